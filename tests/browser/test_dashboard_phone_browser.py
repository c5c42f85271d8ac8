"""What an agency reads on a phone of the datasets a finding hits: what was found and how to fix it, without
scrolling a table sideways; and the findings chart says which findings are errors, as the table beside it does."""

from __future__ import annotations

FINDINGS = ("/dashboard/finding/link-broken", "/dashboard/finding/missing-rights")


def test_what_was_found_and_how_to_fix_it_read_on_a_phone(sized_page):
    """At 390 px the finding's table was six (nine for a broken link) columns in a box scrolled sideways: the
    dataset and its publisher on screen, "What was found" and "How to fix" off it. On a phone each dataset is a
    card now, every cell named by its column; on a desktop it stays a table."""
    size, lang, page = sized_page
    for path in FINDINGS:
        page.goto(path)
        width = page.evaluate("() => document.documentElement.clientWidth")
        first = page.locator("#finding-datasets-table tbody tr").first
        fix = first.locator("td").last  # "How to fix", the last column
        box = fix.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (size, lang, path, box, width)
        scroller = page.evaluate("""() => { const e = document.querySelector('#finding-datasets-table').parentElement;
            return e.scrollWidth - e.clientWidth; }""")
        label = fix.get_attribute("data-label")
        assert label == ("修复方法" if lang == "zh-CN" else "How to fix"), label
        header_shown = page.locator("#finding-datasets-table thead").is_visible()
        if size == "phone":
            assert scroller <= 0 and not header_shown, (lang, path, scroller)
            shown = page.evaluate("e => getComputedStyle(e, '::before').content", fix.element_handle())
            assert label in shown, shown  # the cell says which column it is
        else:
            assert header_shown


def test_the_findings_chart_colours_each_bar_by_its_severity(sized_page):
    """The findings chart drew every bar one blue: the errors the page puts first (one dataset each) were the
    shortest, plainest bars under twenty advice bars. Each bar takes its severity's colour now, as in the table."""
    size, lang, page = sized_page
    page.goto("/dashboard")
    page.wait_for_selector('[data-chart-for="findings-table"][data-chart-drawn="true"]')
    colours = page.evaluate("""() => {
        const holder = document.querySelector('[data-chart-for="findings-table"]');
        return holder.chart.data.datasets[0].backgroundColor; }""")
    severities = page.evaluate("""() => [...document.querySelectorAll('#findings-table tbody tr')]
        .map(r => r.getAttribute('data-severity'))""")
    assert isinstance(colours, list) and len(colours) == len(severities), colours
    by_severity = {}
    for severity, colour in zip(severities, colours, strict=True):
        by_severity.setdefault(severity, set()).add(colour)
    assert all(len(c) == 1 for c in by_severity.values()), by_severity
    assert len({next(iter(c)) for c in by_severity.values()}) == len(by_severity) == 3, by_severity


def test_the_league_keeps_each_publisher_in_view_while_its_figures_scroll(sized_page):
    """On a phone the league table scrolls sideways in its box: scrolled to its last columns, the publishers' names
    had gone off screen, leaving rows of figures no one could tell apart."""
    size, lang, page = sized_page
    page.goto("/dashboard")
    page.evaluate("""() => { const e = document.querySelector('#league-table').parentElement;
        window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 10); e.scrollLeft = e.scrollWidth; }""")
    width = page.evaluate("() => document.documentElement.clientWidth")
    name = page.locator("#league-table tbody th[scope=row]").first
    box = name.bounding_box()
    scrolled = page.evaluate("() => document.querySelector('#league-table').parentElement.scrollLeft")
    if size == "phone":
        assert scrolled > 0, "the table fits a phone: nothing to keep in view"
        assert box and 0 <= box["x"] and box["x"] + 10 <= width, (lang, box, scrolled)
        # the name is drawn over the figures that scroll under it, not beside them
        covering = page.evaluate("""([x, y]) => document.elementFromPoint(x, y).closest('th') !== null""",
                                 [box["x"] + 4, box["y"] + box["height"] / 2])
        assert covering, (lang, box)
