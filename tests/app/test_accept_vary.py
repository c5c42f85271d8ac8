"""The doors that answer a person and a program differently by `Accept` (a page or the JSON error) say so with
`Vary: Accept`, whichever of the two this request got, beside the Vary they had (Accept-Language): a withdrawn
dataset's 410 is public for a day, and a shared cache keyed without Accept handed the JSON tombstone it kept for
curl to the next browser. And a client that gives text/html `q=0` refuses HTML: it is no browser, at every door
(app/accept.py), where naming the type at all made it one.

Real HTTP through the Flask test client on a real database: a table withheld for its phone numbers (451) and a
withdrawn dataset's table (410), built through the services (tests/app/test_api_doors_accept.py).
"""

from __future__ import annotations

import pytest

from tests.app.test_api_doors_accept import BROWSER, ZH
from tests.support.publishing import withheld_and_withdrawn

REFUSES_HTML = "text/html;q=0, application/json"
MACHINES = ["*/*", "application/json", REFUSES_HTML]


@pytest.fixture
def ids(snapshot, app) -> dict[str, str]:
    """{"phones", "old"}: the withheld table's id and the withdrawn dataset's table's."""
    return snapshot.once(lambda: withheld_and_withdrawn(app))


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def _gate_doors(ids: dict[str, str]) -> list[tuple[str, int]]:
    """(url, status) of the serving gate's doors outside /api/ for the withheld table and the withdrawn one."""
    out = []
    for which, slug, status in (("phones", "rows", 451), ("old", "old-rows", 410)):
        rid = ids[which]
        base = f"/dataset/{slug}/resource/{rid}"
        out += [(f"{base}/data.{ext}", status) for ext in ("csv", "json", "xml", "ttl")]
        out += [(f"{base}/data.csv-metadata.json", status), (f"/datastore/dump/{rid}", status)]
    out.append((f"/dataset/rows/resource/{ids['phones']}-nothing/data.csv", 404))  # the gate's own refusal
    return out


def test_the_gates_refusals_outside_the_api_vary_by_accept_in_either_shape(client, ids):
    for url, status in _gate_doors(ids):
        page = client.get(url, headers={"Accept": BROWSER})
        assert page.status_code == status and page.mimetype == "text/html", url
        assert "accept" in _vary(page), url
        for accept in [*MACHINES, None]:
            headers = {"Accept-Language": ZH} | ({"Accept": accept} if accept else {})
            resp = client.get(url, headers=headers)
            case = (url, accept, resp.status_code, resp.headers.get("Vary"))
            assert resp.status_code == status and resp.mimetype == "application/json", case
            assert {"accept", "accept-language"} <= _vary(resp), case  # the other Vary kept


def test_a_withdrawn_datasets_public_tombstone_names_accept_among_what_a_cache_keys_it_by(client, ids):
    """The 410 is `public` for a day: the cache must key it by Accept, so curl's JSON never reaches a browser."""
    url = f"/dataset/old-rows/resource/{ids['old']}/data.csv"
    machine = client.get(url, headers={"Accept": "*/*"})
    assert machine.status_code == 410 and machine.headers["Cache-Control"].startswith("public")
    assert machine.get_json()["error"]["tombstone"]["dataset"] == "old-rows"
    assert "accept" in _vary(machine)


def test_under_the_api_the_shape_does_not_follow_accept(client, ids):
    """Under /api/ a refusal is JSON whatever Accept says: nothing to vary by there but the language."""
    url = f"/api/v1/datasets/old-rows/distributions/{ids['old']}/rows"
    for accept in (BROWSER, "*/*"):
        resp = client.get(url, headers={"Accept": accept, "Accept-Language": ZH})
        assert resp.status_code == 410 and resp.mimetype == "application/json"
        assert "accept-language" in _vary(resp)


def test_a_client_refusing_html_gets_json_at_the_gate(client, ids):
    for url, status in _gate_doors(ids):
        resp = client.get(url, headers={"Accept": "text/html;q=0"})
        assert resp.status_code == status and resp.mimetype == "application/json", url
        assert resp.get_json()["error"]["status"] == status, url


def test_a_client_refusing_html_gets_the_json_tombstone_of_a_dataset(client, ids):
    """The dataset's own address negotiates its 410 (app/services/lifecycle.py): q=0 is no vote for the page."""
    resp = client.get("/dataset/old-rows.json", headers={"Accept": "text/html;q=0"})
    assert resp.status_code == 410 and resp.mimetype == "application/json"
    assert resp.get_json()["error"]["code"] == "withdrawn" and "accept" in _vary(resp)
    page = client.get("/dataset/old-rows.json", headers={"Accept": BROWSER})
    assert page.status_code == 410 and page.mimetype == "text/html" and "accept" in _vary(page)


def test_a_machine_doors_errors_vary_by_accept_and_q0_is_no_browser(client, ids):
    """A catalog page past the last (404), DELETE on /data.json (405): JSON for programs, a page for browsers."""
    for method, url, status in (("GET", "/catalog.ttl?page=999", 404), ("DELETE", "/data.json", 405)):
        for accept, mimetype in ((REFUSES_HTML, "application/json"), ("*/*", "application/json"),
                                 (BROWSER, "text/html")):
            resp = client.open(url, method=method, headers={"Accept": accept})
            case = (method, url, accept, resp.status_code, resp.mimetype, resp.headers.get("Vary"))
            assert resp.status_code == status and resp.mimetype == mimetype, case
            assert "accept" in _vary(resp), case


def test_a_missing_page_varies_by_accept_and_q0_gets_no_site_page(client, ids):
    browser = client.get("/dataset/no-such-dataset", headers={"Accept": BROWSER})
    refusing = client.get("/dataset/no-such-dataset", headers={"Accept": REFUSES_HTML})
    assert browser.status_code == refusing.status_code == 404
    assert browser.get_data() != refusing.get_data()  # the site's page for the browser only
    assert "accept" in _vary(browser) and "accept" in _vary(refusing)
