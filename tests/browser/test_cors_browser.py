"""A web app on another site reads the catalog from a browser, as CKAN's data explorers do: it POSTs JSON to
package_search and datastore_search, which makes Chromium ask first (a CORS preflight). The preflight had no answer
but `Allow`, so the browser refused every such read, though the same GET was open. Writes stay closed to other
sites."""

from __future__ import annotations

import pytest

from tests.support.httpserver import LocalServer
from tests.support.portals import editor_portal

PAGE = b"<!doctype html><html lang='en'><title>another site</title><p>an app on another origin</p></html>"

FETCH = """async ([url, body]) => {
  try {
    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                body: JSON.stringify(body)});
    return {status: r.status, body: await r.json()};
  } catch (e) { return {refused: String(e)}; }
}"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with editor_portal(tmp_path_factory.mktemp("cors-portal"), secret="browser-cors",
                       editor="clerk@stats.example.gov") as url:
        yield url


def test_a_web_app_on_another_site_posts_reads_but_not_writes(browser, portal):
    with LocalServer() as other:
        other.add_bytes("/app.html", PAGE, "text/html; charset=utf-8")
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(other.url("/app.html"))
            assert other.url("/").split("/")[2] != portal.split("/")[2]  # two origins: another port
            found = page.evaluate(FETCH, [f"{portal}/api/3/action/package_search", {"q": "", "rows": 1}])
            assert found.get("status") == 200 and found["body"]["success"] is True, found
            rows = page.evaluate(FETCH, [f"{portal}/api/3/action/datastore_search", {"resource_id": "no-such"}])
            assert rows.get("status") == 404 and rows["body"]["success"] is False, rows  # CKAN's answer, read
            write = page.evaluate(FETCH, [f"{portal}/api/3/action/package_create", {"name": "from-elsewhere"}])
            assert "refused" in write, write  # the browser stops a write from another site at its preflight
            rest = page.evaluate(FETCH, [f"{portal}/api/v1/datasets", {"title": "from elsewhere"}])
            assert "refused" in rest, rest
        finally:
            context.close()
