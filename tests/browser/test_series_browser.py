"""The demo's monthly bus ridership as a dataset series in chromium, at 390 and 1366 px, in Chinese and English:
a member page says where it stands (dataset 2 of 3, previous and next), and the series page lists its members
with the latest first."""

from __future__ import annotations

from tests.browser.conftest import SCREENSHOTS

MONTHS = ["bus-ridership-2024-12", "bus-ridership-2024-11", "bus-ridership-2024-10"]  # latest first
WORDS = {"zh-CN": ("所属系列", "最新"), "en": ("Part of a series", "latest")}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_a_member_shows_its_place_and_the_series_its_members_latest_first(sized_page):
    size, lang, page = sized_page
    part_of, latest = WORDS[lang]
    page.goto("/dataset/bus-ridership-2024-11")
    section = page.locator("#series")
    section.scroll_into_view_if_needed()
    assert section.is_visible() and part_of in section.locator("h2").text_content()
    assert page.locator("#series a[rel=prev]").get_attribute("href") == "/dataset/bus-ridership-2024-10"
    assert page.locator("#series a[rel=next]").get_attribute("href") == "/dataset/bus-ridership-2024-12"
    items = section.locator("ol.series-members > li")
    assert items.count() == 3
    assert items.nth(1).locator("[aria-current=page]").count() == 1  # this month, between the other two
    assert latest in items.nth(0).text_content()
    assert _no_sideways_scroll(page)
    if size == "desktop":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        section.screenshot(path=str(SCREENSHOTS / f"series-member-{lang[:2]}.png"))

    section.locator("h2 a").click()
    page.wait_for_load_state()
    series = page.locator("#series")
    links = [a.get_attribute("href") for a in series.locator("ol.series-members > li a").all()]
    assert links == [f"/dataset/{slug}" for slug in MONTHS]
    assert latest in series.locator("ol.series-members > li").nth(0).text_content()
    assert _no_sideways_scroll(page)
    if size == "desktop":
        series.screenshot(path=str(SCREENSHOTS / f"series-{lang[:2]}.png"))
