"""A draft over the REST read doors: its publisher's editors and admins (and sysadmins), sending their API token,
read it with its state, as the publish page and CKAN's package_show show it to them; everyone else gets the 404 an
unknown dataset gets (not 403: a draft is not said to exist), and no list, search, dump or feed names it."""

from __future__ import annotations

import pytest

from tests.support.openapi import validate_against
from tests.support.publishing import build_world, sign_in

#: Every REST read door of one dataset that a draft (no assessment, no file) can answer 200 to.
READS = ("", "/usage", "/quality/history")


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))



@pytest.mark.parametrize("role", ["editor_a", "admin_a", "sysadmin"])
def test_a_draft_is_read_over_rest_by_who_may_edit_its_publisher(app, client, world, role):
    token = {"Authorization": world.tokens[role]}
    slug = world.draft_a
    page = app.test_client()  # the web's answer for the same person: the draft, on its publish page
    sign_in(page, world.emails[role])
    assert page.get(f"/publish/{slug}").status_code == 200
    for door in READS:
        resp = client.get(f"/api/v1/datasets/{slug}{door}", headers=token)
        assert resp.status_code == 200, (door, resp.get_json())
        assert resp.headers["Cache-Control"] == "private, no-store", door  # no shared cache keeps a draft
    doc = client.get(f"/api/v1/datasets/{slug}", headers={"Authorization": f"Bearer {world.tokens[role]}"}).get_json()
    assert doc["slug"] == slug and doc["state"] == "draft" and doc["title"]["en"] == "Draft of A"
    validate_against(client.get("/api/v1/openapi.json").get_json(), "Dataset", doc)
    ds_id = doc["id"]
    # CKAN's package_show, the same decision: the draft with its state
    shown = client.get(f"/api/3/action/package_show?id={ds_id}", headers=token)
    assert shown.status_code == 200 and shown.get_json()["result"]["state"] == "draft"
    # an editor's reads of a draft are no public use: nothing counted
    usage = client.get(f"/api/v1/datasets/{slug}/usage", headers=token).get_json()
    assert usage["totals"]["api_calls"] == 0
    # a published dataset is the same public document with a token or without, for as long; but an answer to a
    # request with a token is its sender's: `private`, or a shared cache may keep it (RFC 9111 3.5, app/delivery.py)
    public = client.get("/api/v1/datasets/active-a-1", headers=token)
    assert public.status_code == 200 and public.headers["Cache-Control"] == "private, max-age=60"
    assert client.get("/api/v1/datasets/active-a-1").get_json() == public.get_json()


@pytest.mark.parametrize("role", ["anonymous", "editor_b", "bad_token"])
def test_a_draft_is_404_over_rest_to_everyone_else(client, world, role):
    headers = {"anonymous": {}, "bad_token": {"Authorization": "not-a-token"}}.get(
        role, {"Authorization": world.tokens.get(role, "")})
    slug = world.draft_a
    for door in (*READS, "/quality"):
        resp = client.get(f"/api/v1/datasets/{slug}{door}", headers=headers)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not-found", (door, resp.status_code)
    unknown = client.get("/api/v1/datasets/no-such-draft", headers=headers).get_json()
    assert client.get(f"/api/v1/datasets/{slug}", headers=headers).get_json() == {
        "error": {**unknown["error"], "message": unknown["error"]["message"].replace("no-such-draft", slug)}}
    shown = client.get(f"/api/3/action/package_show?id={slug}", headers=headers)
    assert shown.status_code == 404


def test_a_ckan_clients_key_header_reads_a_draft_over_rest(client, world):
    """A CKAN client sends its token as `X-CKAN-API-Key`, which the REST writes and the CKAN API take: the REST reads
    read `Authorization` only, so its editor got a draft's 404 with a valid token. They now take the token from the
    same headers (app.security.request_token); a key that is no token is read as none: the 404 anonymous gets."""
    slug = world.draft_a
    key = {"X-CKAN-API-Key": world.tokens["editor_a"]}
    for door in READS:
        resp = client.get(f"/api/v1/datasets/{slug}{door}", headers=key)
        assert resp.status_code == 200, (door, resp.status_code, resp.get_json())
        assert resp.headers["Cache-Control"] == "private, no-store", door
    assert client.get(f"/api/v1/datasets/{slug}", headers=key).get_json()["state"] == "draft"
    anonymous = client.get(f"/api/v1/datasets/{slug}")
    for bad in ("not-a-token", f"{world.tokens['editor_a']}x", world.tokens["editor_b"]):
        resp = client.get(f"/api/v1/datasets/{slug}", headers={"X-CKAN-API-Key": bad})
        assert resp.status_code == 404 and resp.get_json() == anonymous.get_json(), bad
    # Authorization, when sent, is the token (as the writes read it)
    both = client.get(f"/api/v1/datasets/{slug}", headers={**key, "Authorization": "not-a-token"})
    assert both.status_code == 404


def test_drafts_stay_out_of_every_list_even_for_their_editors(client, world):
    token = {"Authorization": world.tokens["editor_a"]}
    slug = world.draft_a
    listed = client.get("/api/v1/datasets?per_page=100", headers=token).get_json()
    assert slug not in {d["slug"] for d in listed["items"]} and listed["pagination"]["total"] == 4
    assert slug not in {d["slug"] for d in client.get("/api/v1/datasets?q=Draft", headers=token).get_json()["items"]}
    search = client.get("/api/3/action/package_search?q=Draft", headers=token).get_json()["result"]
    assert search["count"] == 0
    assert slug not in client.get("/api/3/action/package_list", headers=token).get_data(as_text=True)
    for path in ("/data.json", "/catalog.ttl", "/catalog.csv", "/catalog.json", "/feeds/dataset.atom",
                 "/api/v1/publishers/agency-a"):
        resp = client.get(path, headers=token)
        assert resp.status_code == 200, path
        body = resp.get_data(as_text=True)
        assert slug not in body and "Draft of A" not in body, path


def test_the_openapi_document_says_a_token_shows_drafts(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/datasets/{slug}", "get"), ("/datasets/{slug}/usage", "get"),
                         ("/datasets/{slug}/quality", "get"), ("/datasets/{slug}/quality/history", "get")):
        op = doc["paths"][path][method]
        assert op["security"] == [{}, {"token": []}], path  # anonymous, or with a token
        assert "401" not in op["responses"], path  # a token that is no token is read as none: 404 for a draft
    assert "A draft answers 404" in doc["paths"]["/datasets/{slug}"]["get"]["description"]
    assert "security" not in doc["paths"]["/datasets"]["get"]  # the list shows no draft to anyone
    page = client.get("/api/v1/docs?lang=zh").get_data(as_text=True)
    assert "可选择在 Authorization 头中提供 API 令牌" in page and "草稿对其发布部门的编辑" in page
