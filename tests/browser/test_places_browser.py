"""The demo's bus-stop dataset draws its extent and its GeoJSON file's stops on maps that chromium renders, at
390 and 1366 px, in Chinese and English, without a request leaving the portal."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import SCREENSHOTS, SIZES

TITLES = {"zh-CN": "空间范围地图", "en": "Map of the spatial coverage"}


def test_the_bus_stops_are_on_a_map(sized_page, portal):
    size, lang, page = sized_page
    hosts = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.goto("/dataset/bus-stops")
    extent = page.locator("#extent svg.extent-map")
    extent.scroll_into_view_if_needed()
    assert extent.is_visible()
    assert extent.locator("title").text_content() == TITLES[lang]
    box = extent.bounding_box()
    viewport = SIZES[size]["width"]
    assert 250 < box["width"] <= viewport and box["height"] > 100
    # the extent drawn: an orange box over the land outlines, inside the picture
    drawn = extent.locator("rect.map-extent").bounding_box()
    assert drawn["width"] >= 2 and box["x"] <= drawn["x"] and drawn["x"] + drawn["width"] <= box["x"] + box["width"]
    assert extent.locator("path.map-land").count() >= 1
    # the GeoJSON file's stops, drawn where the gate serves the file
    stops = page.locator("figure.file-map svg.extent-map")
    assert stops.count() == 1 and stops.locator("circle.map-feature").count() >= 10
    over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert over <= 0
    assert hosts == {urlsplit(portal).netloc}  # nothing fetched from anywhere else
    if size == "desktop":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#extent").screenshot(path=str(SCREENSHOTS / f"places-map-{lang[:2]}.png"))
        page.locator("figure.file-map").screenshot(path=str(SCREENSHOTS / f"places-file-map-{lang[:2]}.png"))
