"""Fingerprinted, gzipped static files and revalidated pages in a real browser (Debian's chromium).

The stylesheets and scripts the pages name by content hash arrive gzipped with a year's lifetime and still
style the page and draw the dashboard's charts; a page visited again is revalidated (304) and its inline
style, allowed by the nonce of the copy the browser kept, still applies.
"""

from __future__ import annotations

import pytest

from tests.browser.test_browser import _PAINTED

pytestmark = pytest.mark.browser


def _static_responses(page, url: str) -> dict[str, object]:
    seen: dict[str, object] = {}
    page.on("response", lambda r: seen.__setitem__(r.url, r) if "/static/" in r.url else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return seen


def test_fingerprinted_css_and_js_style_the_page_and_draw_the_charts(page):
    seen = _static_responses(page, "/dashboard?lang=en")
    names = {u.split("/static/", 1)[1].split("?")[0]: r for u, r in seen.items()}
    assert {"vendor/uswds/css/uswds.used.min.css", "site.css", "vendor/chartjs/chart.umd.min.js",
            "dashboard.js"} <= set(names), sorted(names)
    for name in ("vendor/uswds/css/uswds.used.min.css", "site.css", "vendor/chartjs/chart.umd.min.js", "dashboard.js"):
        resp = names[name]
        assert "?v=" in resp.url and resp.status == 200, (name, resp.url, resp.status)
        headers = resp.all_headers()
        assert headers["cache-control"] == "public, max-age=31536000, immutable", name
        assert headers.get("content-encoding") == "gzip", (name, headers)
    for chart in ("stars-table", "trend-table", "findings-table"):
        canvas = page.locator(f'[data-chart-for="{chart}"] canvas')
        canvas.wait_for(state="visible")
        assert canvas.evaluate(_PAINTED) > 500, chart
    # USWDS styled the page: its header font and its primary button colour, not the browser's defaults.
    page.goto("/?lang=en")
    button = page.locator("main button.usa-button").first  # a filled one (the header's menu button is an outline)
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 94, 162)"


def test_a_page_revalidated_keeps_its_inline_style(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    wire = []  # what the server answered, as the browser's network layer saw it
    cdp.on("Network.responseReceivedExtraInfo", lambda e: wire.append(e.get("statusCode")))
    sent = []
    page.on("request", lambda r: sent.append(r.all_headers().get("if-none-match"))
            if r.url.endswith("/api/v1/docs") else None)
    for _ in range(2):
        page.goto("/api/v1/docs")
        method = page.locator(".method").first
        assert method.evaluate("m => getComputedStyle(m).backgroundColor") == "rgb(238, 238, 255)"
    assert sent[0] is None and sent[1] and sent[1].startswith('W/"'), sent  # the kept copy's validator
    assert 304 in wire, wire  # and the server said it is still good
