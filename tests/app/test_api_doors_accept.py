"""The row doors under /api/ (``/api/v1/.../rows``, its ``openapi.json``, CKAN ``datastore_search`` and
``datastore_info``) answer their withheld (451) and withdrawn (410) refusals in the API's JSON shape whatever the
Accept header says, as their other refusals already did: a browser's Accept (text/html named) got the site's HTML
pages, the one answer of these APIs in another shape. The language is the reader's, the status and the headers
(RFC 7725's blocked-by Link, the successor Link of a withdrawn dataset) are kept. Outside /api/ a browser still
gets the page (the dump, a table's data.csv).
"""

from __future__ import annotations

import pytest

from tests.support.publishing import withheld_and_withdrawn

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ZH = "zh-CN,zh;q=0.9,en;q=0.5"


@pytest.fixture
def ids(snapshot, app) -> dict[str, str]:
    """{"phones", "old"}: a table added after publishing with phone numbers in it (withheld), and a table of a
    dataset withdrawn in favour of the first one (gone); built once per backend, a copy for each test."""
    return snapshot.once(lambda: withheld_and_withdrawn(app))


def _doors(ids: dict[str, str]) -> list[tuple[str, str, int]]:
    """(door, url, status) of every row door under /api/ for the withheld table and the withdrawn one."""
    out = []
    for which, slug, status in (("phones", "rows", 451), ("old", "old-rows", 410)):
        rid = ids[which]
        out += [("rest", f"/api/v1/datasets/{slug}/distributions/{rid}/rows", status),
                ("rest", f"/api/v1/datasets/{slug}/distributions/{rid}/rows/openapi.json", status),
                ("ckan", f"/api/3/action/datastore_search?resource_id={rid}", status),
                ("ckan", f"/api/action/datastore_search?resource_id={rid}", status),
                ("ckan", f"/api/3/action/datastore_info?resource_id={rid}", status)]
    return out


@pytest.mark.parametrize("accept", [BROWSER, "text/html"])
def test_withheld_and_withdrawn_rows_are_json_under_the_api_whatever_accept_says(client, ids, accept):
    for door, url, status in _doors(ids):
        en = client.get(url, headers={"Accept": accept})
        zh = client.get(url, headers={"Accept": accept, "Accept-Language": ZH})
        for resp in (en, zh):
            case = (url, accept, resp.status_code, resp.get_data(as_text=True)[:200])
            assert resp.status_code == status and resp.mimetype == "application/json", case
            assert resp.headers["X-Data-Gate"] == "withhold", case
            error = resp.get_json()["error"]
            if door == "ckan":
                assert resp.get_json()["success"] is False, case
                assert error["__type"] == ("Authorization Error" if status == 451 else "Not Found Error"), case
            else:
                assert error["status"] == status, case
            assert error["code"] == ("personal-data" if status == 451 else "withdrawn"), case
            if status == 451:  # RFC 7725: who blocks it; whom to ask is in the body
                assert resp.headers["Link"].endswith('rel="blocked-by"') and error["contact"], case
            else:  # the tombstone and the successor, in the body and the Link header
                assert error["tombstone"]["successor"]["slug"] == "rows", case
                assert resp.headers["Link"].endswith('/dataset/rows>; rel="successor-version"'), case
        assert "Accept-Language" in zh.headers["Vary"], url
        said_en, said_zh = en.get_json()["error"]["message"], zh.get_json()["error"]["message"]
        assert said_en != said_zh and any("\u4e00" <= ch <= "\u9fff" for ch in said_zh), (url, said_en, said_zh)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in said_en), (url, said_en)


def test_a_posted_datastore_action_is_json_too(client, ids):
    """ckanapi POSTs its actions; a browser-like Accept on the POST is answered in CKAN's envelope as well."""
    for rid, status in ((ids["phones"], 451), (ids["old"], 410)):
        for action in ("datastore_search", "datastore_info"):
            resp = client.post(f"/api/3/action/{action}", json={"resource_id": rid}, headers={"Accept": BROWSER})
            assert resp.status_code == status and resp.mimetype == "application/json", (action, status)
            assert resp.get_json()["success"] is False


def test_outside_the_api_a_browser_still_gets_the_pages(client, ids):
    """The rule is the API's: the dump and a table's conversions keep a page for a browser, JSON for others."""
    for url, status in ((f"/datastore/dump/{ids['phones']}", 451), (f"/datastore/dump/{ids['old']}", 410),
                        (f"/dataset/old-rows/resource/{ids['old']}/data.csv", 410)):
        page = client.get(url, headers={"Accept": BROWSER})
        assert page.status_code == status and page.mimetype == "text/html", url
        machine = client.get(url, headers={"Accept": "*/*"})
        assert machine.status_code == status and machine.mimetype == "application/json", url
