"""Every page kind fits a phone and a desktop: no sideways scroll at 390 and 1366 px, in Chinese and English,
and the header's menu button folds the navigation on a phone."""

from __future__ import annotations

#: one URL of each public page kind of the demo catalog
PAGES = ["/", "/dataset", "/dataset?page=999", "/dataset/bus-stops", "/dataset/air-quality-monitoring-stations",
         "/publisher", "/publisher/jh-transport", "/theme", "/theme/TRAN", "/dashboard",
         "/dashboard/publisher/jh-transport", "/dashboard/finding/link-broken", "/dashboard/weekly",
         "/dashboard/publisher/jh-transport/weekly", "/harvest", "/harvest/source/jh-transport", "/api/v1/docs",
         "/login", "/no-such-page"]


def test_no_page_scrolls_sideways(sized_page):
    size, lang, page = sized_page
    wide = []
    for url in PAGES:
        page.goto(url)
        over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if over > 0:
            culprits = page.evaluate("""() => [...document.querySelectorAll('main *, header *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))""")
            wide.append((url, over, culprits))
    assert not wide, f"{size} {lang}: pages wider than the screen: {wide}"


def test_the_menu_button_folds_the_navigation_on_a_phone(sized_page):
    size, lang, page = sized_page
    page.goto("/")
    button, nav = page.locator("#site-menu-button"), page.locator("#site-nav")
    if size == "desktop":
        assert not button.is_visible() and nav.is_visible()
        return
    assert button.is_visible() and not nav.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    header_height = page.evaluate("() => document.querySelector('header').getBoundingClientRect().height")
    assert header_height < 100  # one row: the name and the button (it took three rows before)
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")  # closes it, the focus back on the button
    assert not nav.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("() => document.activeElement.id") == "site-menu-button"
    button.click()
    nav.get_by_role("link", name="数据集" if lang == "zh-CN" else "Datasets", exact=True).click()
    page.wait_for_url("**/dataset")


def test_the_api_examples_scroll_inside_themselves_on_a_phone(sized_page):
    size, lang, page = sized_page
    page.goto("/api/v1/docs")
    blocks = page.evaluate("""() => [...document.querySelectorAll('pre.example')]
        .map(e => ({inner: e.scrollWidth - e.clientWidth, right: e.getBoundingClientRect().right}))""")
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert len(blocks) >= 20  # the getting-started examples, with the ones on the demo's tables
    assert all(b["right"] <= width + 1 for b in blocks)
    if size == "phone":
        assert any(b["inner"] > 0 for b in blocks)  # long commands scroll in their block, not the page


def test_every_link_the_keyboard_reaches_is_on_screen(sized_page):
    """On a phone the breadcrumb's links other than the parent sat 17,000 px left of the screen and still took the
    focus: a keyboard user saw nothing focused."""
    size, lang, page = sized_page
    page.goto("/dataset/bus-stops")
    width = page.evaluate("() => document.documentElement.clientWidth")
    off = []
    for _ in range(15):
        page.keyboard.press("Tab")
        box = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
            return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 30), x: r.x, right: r.right,
                    w: r.width, h: r.height}; }""")
        if box["tag"] in ("A", "BUTTON", "INPUT", "SELECT") and (box["x"] < 0 or box["right"] > width + 1
                                                                 or box["w"] == 0 or box["h"] == 0):
            off.append(box)
    assert not off, f"{size} {lang}: focused out of sight: {off}"
