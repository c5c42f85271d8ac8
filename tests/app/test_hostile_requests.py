"""Requests built to break a door answer the door's own 4xx, never a 500: a number in an address past what a
database column holds (OverflowError binding it), a JSON body nested past Python's recursion limit
(RecursionError reading it). Found by a security audit (2026-12-07)."""

from __future__ import annotations

import pytest

from tests.support.publishing import build_world, sign_in

HUGE = "9" * 20
DEEP = "{\"a\": " + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def test_an_id_past_64_bits_is_not_found(client):
    for url in (f"/harvest/job/{HUGE}", f"/sitemap-datasets-{HUGE}.xml", f"/api/v1/harvest/jobs/{HUGE}",
                f"/harvest/job/{2**63}"):
        resp = client.get(url)
        assert resp.status_code == 404, (url, resp.status_code)
    assert client.get("/harvest/job/1").status_code in (200, 404)  # a plain id still reaches the view


def test_a_signed_in_form_post_to_a_huge_id_is_not_found(app, world):
    browser = app.test_client()
    sign_in(browser, world.emails["editor_a"])
    for url in (f"/account/tokens/{HUGE}/revoke", f"/follow/{HUGE}/unfollow"):
        resp = browser.post(url, data={})
        assert resp.status_code == 404, (url, resp.status_code)


def test_a_json_body_nested_too_deep_is_a_bad_request(client, world):
    token = {"Authorization": world.tokens["editor_a"], "Content-Type": "application/json"}
    for method, url in (("post", "/api/v1/datasets"), ("patch", f"/api/v1/datasets/{world.draft_a}")):
        resp = getattr(client, method)(url, data=DEEP, headers=token)
        assert resp.status_code == 400, (url, resp.status_code, resp.get_data(as_text=True)[:200])
        assert resp.get_json()["error"]["code"] == "bad-request"
    # the CKAN door said so already; it still does
    resp = client.post("/api/3/action/package_create", data=DEEP, headers=token)
    assert resp.status_code == 400 and resp.get_json()["success"] is False


def test_a_forged_host_header_never_reaches_a_link(client, app):
    """`Host: evil.example` made the API's paging links, a feed's self link and the OpenAPI document's server point
    there, in answers with `Cache-Control: public` (a cache that ignores Host would hand them on: a docs reader's
    "try it", token and all, sent there). Every absolute link is on SITE_URL, as RDF URIs and e-mailed links were."""
    site = app.config["OPENDATA"]["SITE_URL"].rstrip("/")
    forged = {"Host": "evil.example"}
    for url in ("/api/v1/datasets?per_page=1", "/feeds/dataset.atom", "/api/v1/openapi.json", "/api/v1/docs",
                "/api/v1/harvest/sources", "/api/v1/publishers"):
        resp = client.get(url, headers=forged)
        assert resp.status_code == 200, url
        assert "evil.example" not in resp.get_data(as_text=True) + str(resp.headers), url
    assert client.get("/api/v1/openapi.json", headers=forged).get_json()["servers"][0]["url"] == site + "/api/v1"
