"""Tables read on a phone and a desktop, in Chinese as in English (app/static/site.css). A file's preview: a short value
keeps to one line, a long one wraps in a column of its own width (`long_cell` in app/web/datasets.py); before, a table
wider than its box was laid out at its columns' narrowest and its column of Chinese region names was one character
wide (北/京/市). The star ladder is stacked on a phone. A column's name in Chinese wraps where an English one would (at
a space), never between two of its characters (三星及以上占比 stood a character a line). A table that scrolls sideways
keeps its caption in its box, in view as it scrolls; a publisher's name in the harvest sources' table has a name's
width."""

from __future__ import annotations

from app.web.datasets import LONG_CELL, long_cell

#: window.lines(node): how many lines the node's text takes (the distinct tops of its text's boxes)
LINES = """() => { window.lines = node => { const range = document.createRange(); range.selectNodeContents(node);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; }; }"""

#: each preview cell of the page: its text, its class, the number of lines its text takes, its width, and whether its
#: text stays inside it
CELLS = """() => [...document.querySelectorAll('table.preview')].flatMap(table =>
    [...table.querySelectorAll('th, td')].filter(cell => cell.textContent.trim()).map(cell =>
        ({text: cell.textContent.trim(), long: cell.classList.contains('long'), lines: window.lines(cell),
          width: cell.getBoundingClientRect().width, inside: cell.scrollWidth <= cell.clientWidth + 1})))"""


def _open(page, path: str) -> None:
    page.goto(path)
    page.evaluate(LINES)


def test_short_values_keep_to_one_line_in_a_table_wider_than_the_screen(sized_page):
    size, lang, page = sized_page
    # 20 and 26 columns of figures beside a column of provinces (GBK files of the statistics bureau)
    _open(page, "/dataset/jinghai-statistical-tables-2024")
    cells = page.evaluate(CELLS)
    assert any(c["text"] == "内蒙古自治区" for c in cells) and any(c["text"] == "2017年" for c in cells)
    broken = [c for c in cells if not c["long"] and c["lines"] != 1]
    assert not broken, (size, lang, broken[:5])
    assert not [c for c in cells if c["long"]]  # no value there is a text to wrap


def test_long_values_wrap_in_a_column_of_their_own_width(sized_page):
    size, lang, page = sized_page
    _open(page, "/dataset/bus-stops")  # each stop's GeoJSON geometry: 50 characters and no space
    cells = page.evaluate(CELLS)
    long = [c for c in cells if c["long"]]
    assert long and all(len(c["text"]) > LONG_CELL for c in long)
    rem = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert all(c["width"] >= 16 * rem - 1 and c["inside"] and c["lines"] >= 2 for c in long), (size, lang, long[:3])
    assert all(c["lines"] == 1 for c in cells if not c["long"]), (size, lang)


def test_what_counts_as_a_long_value():
    assert long_cell("x" * (LONG_CELL + 1)) and long_cell("京" * (LONG_CELL + 1))
    assert not long_cell("内蒙古自治区") and not long_cell("x" * LONG_CELL)
    assert not long_cell(None) and not long_cell(123456789012345678901234567890)


def test_the_star_ladder_is_stacked_on_a_phone_and_its_column_names_keep_to_one_line_on_a_desktop(sized_page):
    size, lang, page = sized_page
    _open(page, "/dataset/jinghai-statistical-tables-2024")
    ladder = page.evaluate("""() => {
        const table = document.querySelector('table.star-ladder');
        const shown = [...table.querySelectorAll('tbody td')].filter(td => getComputedStyle(td).display !== 'none');
        return {table: table.getBoundingClientRect().width, head: getComputedStyle(table.tHead).display,
                names: [...table.tHead.querySelectorAll('th')].map(window.lines),
                cells: shown.map(td => ({width: td.getBoundingClientRect().width, label: td.dataset.label,
                                         empty: !td.textContent.trim()}))};
    }""")
    if size == "phone":  # each star a block of labelled cells as wide as the table; no label over an empty cell
        assert ladder["head"] == "none"
        assert all(c["label"] and not c["empty"] and c["width"] >= ladder["table"] - 1 for c in ladder["cells"]), ladder
    else:  # a table whose column names ("Star", 星级) keep to one line
        assert ladder["head"] != "none" and ladder["names"] == [1, 1, 1, 1], ladder


def test_a_columns_name_wraps_only_at_its_spaces(sized_page):
    """...or before an opening bracket: 周（起始日） may take two lines, as "Week (starting)" does."""
    size, lang, page = sized_page
    _open(page, "/dashboard")
    names = page.evaluate("""() => [...document.querySelectorAll('main thead th')].filter(th => th.textContent.trim())
        .map(th => ({text: th.textContent.trim(), lines: window.lines(th),
                     words: th.textContent.trim().split(/\\s+|(?=[（(])/).length}))""")
    assert len(names) > 20 and (lang == "en" or any(n["text"] == "三星及以上占比" for n in names))
    broken = [n for n in names if n["lines"] > n["words"]]
    assert not broken, (size, lang, broken[:5])


#: each shown caption of a table that scrolls sideways in its box: where its text ends, and where the caption is once
#: the box is scrolled to its end, against the box's edges
CAPTIONS = """() => [...document.querySelectorAll('.usa-table-container--scrollable > table > caption')]
    .filter(c => !c.classList.contains('usa-sr-only')).map(c => {
        const box = c.closest('.usa-table-container--scrollable'), edges = box.getBoundingClientRect();
        const range = document.createRange(); range.selectNodeContents(c);
        const right = Math.max(...[...range.getClientRects()].filter(r => r.width > 0).map(r => r.right));
        box.scrollLeft = box.scrollWidth; const scrolled = c.getBoundingClientRect().left; box.scrollLeft = 0;
        return {text: c.textContent.trim(), scrolls: box.scrollWidth > box.clientWidth + 1, right, scrolled,
                left: edges.left, end: edges.right};
    })"""


def test_a_scrolling_tables_caption_stays_in_its_box_and_in_view(sized_page):
    """Before, the caption was as wide as the table: a long one ran off the screen on a phone (the weekly table's), and
    every one scrolled out of view with the table's first columns."""
    size, lang, page = sized_page
    seen = []
    for path in ("/dashboard", "/harvest", "/dashboard/publisher/jh-transport", "/harvest/source/jh-transport-ckan"):
        _open(page, path)
        captions = [c for c in page.evaluate(CAPTIONS) if c["scrolls"]]
        bad = [c for c in captions if c["right"] > c["end"] + 1 or abs(c["scrolled"] - c["left"]) > 1]
        assert not bad, (size, lang, path, bad[:3])
        seen += captions
    if size == "phone":  # the dashboard's five tables and the harvest pages' (on a desktop they may all fit)
        assert len(seen) >= 7, (lang, seen)


def test_a_publishers_name_in_the_harvest_table_has_room(sized_page):
    size, lang, page = sized_page
    _open(page, "/harvest")
    names = page.evaluate("""() => [...document.querySelectorAll('#sources-table td.name a')]
        .map(a => ({text: a.textContent.trim(), lines: window.lines(a)}))""")
    assert names and (lang == "en" or any(n["text"] == "京海市人民政府办公厅" for n in names)), names
    # 京海市人民政府办公厅 took three lines of three characters on a phone, "General Office of Jinghai Municipal
    # People's Government" six. On a desktop the table fits its box (test_harvest_tables_browser) and the English
    # names take what the columns of counts leave them: up to four lines.
    most = 1 if lang == "zh-CN" else 3 if size == "phone" else 4
    assert all(n["lines"] <= most for n in names), (size, lang, names)
