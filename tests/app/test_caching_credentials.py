"""Shared caches and API tokens (RFC 9111 3.5, 4.1): what a request carrying a token is answered is its sender's.

A read of the APIs may take an API token in a header (`Authorization: <token>`, `Authorization: Bearer <token>` or
CKAN's `X-CKAN-API-Key`, app.security.request_token) and then answer what no one else may see: a draft to its
publisher's editor (package_show, /api/v1/datasets/<slug>), the real bytes of withheld data (tests/app/test_serving.py).
A shared cache may keep an answer to a request with `Authorization` that says `public`, and treats
`X-CKAN-API-Key` as any other header: it could keep a draft's package_show (no Cache-Control at all) and hand it to
the next anonymous reader. So (app/delivery.py, the one place answers get their caching headers):

- an answer to a request that carried a token header is `Cache-Control: private` (its lifetime, `no-cache` and
  `no-store` kept);
- an answer that read the token says `Vary: Authorization, X-CKAN-API-Key`, the anonymous one too, so a cache
  that kept one keys it by the token (an editor is not handed the anonymous 404 of their draft, nor anyone the
  editor's answer); its 304 says the same;
- what does not read it (the catalog's documents, the search) keeps its answer for everyone.

The requests go through the Flask test client to a real catalog (tests/support/publishing.build_world) on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import gzip
import json

import pytest

from app import delivery
from tests.support.publishing import build_world

CREDENTIALS = {"authorization", "x-ckan-api-key"}

#: Reads whose answer depends on the token: a draft to its editor, a published dataset, the search.
TOKEN_READS = ("/api/3/action/package_show?id=draft-a", "/api/3/action/package_show?id=active-a-1",
               "/api/3/action/package_search?q=Published", "/api/v1/datasets/draft-a",
               "/api/v1/datasets/active-a-1", "/api/v1/datasets/active-a-1/usage")
#: Reads the same for everyone (no token read): the list, the catalog's documents, a page.
OPEN_READS = ("/api/v1/datasets", "/catalog.ttl", "/data.json", "/dataset/active-a-1.jsonld", "/dataset")


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _sent(world, how: str) -> dict[str, str]:
    token = world.tokens["editor_a"]
    return {"authorization": {"Authorization": token}, "bearer": {"Authorization": f"Bearer {token}"},
            "key": {"X-CKAN-API-Key": token}, "bad": {"Authorization": "not-a-token"},
            "bad_key": {"X-CKAN-API-Key": "not-a-token"}}[how]


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def _directives(resp) -> list[str]:
    return [d.strip().lower() for d in resp.headers.get("Cache-Control", "").split(",") if d.strip()]


def _private(resp) -> bool:
    """What no shared cache may keep (RFC 9111 3, 5.2.2.7): `private`, nor anything only shared caches read."""
    names = [d.split("=")[0] for d in _directives(resp)]
    return "private" in names and not {"public", "s-maxage", "proxy-revalidate"} & set(names)


@pytest.mark.parametrize("how", ["authorization", "bearer", "key", "bad", "bad_key"])
def test_an_answer_to_a_request_with_a_token_is_private(client, world, how):
    """Whatever the token (valid or not: a cache cannot tell), whatever the door, whatever the status."""
    headers = _sent(world, how)
    for url in (*TOKEN_READS, *OPEN_READS, "/api/3/action/no_such_action", "/api/v1/datasets/no-such-dataset"):
        resp = client.get(url, headers=headers)
        assert _private(resp), (url, resp.status_code, resp.headers.get("Cache-Control"))


def test_a_tokens_answer_keeps_its_lifetime_and_its_no_store(client, world):
    token = _sent(world, "key")
    draft = client.get("/api/v1/datasets/draft-a", headers=token)
    assert draft.status_code == 200 and draft.headers["Cache-Control"] == "private, no-store"
    shown = client.get("/api/3/action/package_show?id=draft-a", headers=token)
    assert shown.status_code == 200 and shown.get_json()["result"]["state"] == "draft"
    assert shown.headers["Cache-Control"] == "private"
    published = client.get("/api/v1/datasets/active-a-1", headers=token)
    assert published.status_code == 200 and published.headers["Cache-Control"] == "private, max-age=60"
    catalog = client.get("/catalog.ttl", headers=token)
    assert catalog.status_code == 200 and catalog.headers["Cache-Control"] == "private, no-cache"


def test_an_anonymous_answer_keeps_its_caching(client, world):
    assert client.get("/api/v1/datasets/active-a-1").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/v1/datasets").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/catalog.ttl").headers["Cache-Control"] == "public, no-cache"
    assert client.get("/api/v1/datasets/draft-a").headers["Cache-Control"] == "no-store"
    assert client.get("/api/3/action/package_show?id=active-a-1").headers["Cache-Control"] == "public, max-age=60"


def test_an_anonymous_ckan_read_is_cached_as_the_public_api_is(client, world):
    """An anonymous GET of a CKAN read said no Cache-Control at all, where the REST API's public answers say their
    lifetime: it is the same policy (`public, max-age=60`), with the Vary of the credential headers, so a shared cache
    keeps the public's copy apart from a token's. A POST (what ckanapi sends) and an error are never kept."""
    public = client.get("/api/v1/datasets/active-a-1").headers["Cache-Control"]
    assert public.startswith("public, max-age=")
    for url in ("/api/3/action/package_show?id=active-a-1", "/api/3/action/package_search?q=Published",
                "/api/3/action/organization_show?id=agency-a", "/api/3/action/status_show"):
        for method in (client.get, client.head):
            resp = method(url)
            assert resp.status_code == 200 and resp.headers["Cache-Control"] == public, (url, method)
            assert CREDENTIALS <= _vary(resp), url
    refused = {"/api/3/action/package_show?id=draft-a": 404, "/api/3/action/package_show?id=nothing": 404,
               "/api/3/action/no_such_action": 400, "/api/3/action/package_search?rows=-1": 409,
               "/api/3/action/package_create?name=x": 400}
    for url, status in refused.items():
        resp = client.get(url)
        assert resp.status_code == status and _directives(resp) == ["no-store"], (url, resp.status_code)
    for body in ({"id": "active-a-1"}, {"id": "draft-a"}):
        posted = client.post("/api/3/action/package_show", json=body)
        assert posted.status_code in (200, 404) and _directives(posted) == ["no-store"], body
    written = client.post("/api/3/action/package_patch", json={"id": "active-a-1", "title": "x"},
                          headers=_sent(world, "key"))
    assert written.status_code == 200 and _directives(written) == ["private", "no-store"]


@pytest.mark.parametrize("how", ["anonymous", "authorization", "key"])
def test_an_answer_that_reads_the_token_varies_by_it(client, world, how):
    """The anonymous answer too: a cache that kept it must not hand it to an editor (their draft's 404), nor the
    editor's to anyone."""
    headers = {} if how == "anonymous" else _sent(world, how)
    for url in TOKEN_READS:
        resp = client.get(url, headers=headers)
        assert CREDENTIALS <= _vary(resp), (url, resp.status_code, resp.headers.get("Vary"))


def test_what_does_not_read_the_token_is_kept_once_for_everyone(client, world):
    for url in OPEN_READS:
        for headers in ({}, _sent(world, "authorization")):
            resp = client.get(url, headers=headers)
            assert resp.status_code == 200 and not CREDENTIALS & _vary(resp), (url, resp.headers.get("Vary"))


@pytest.mark.parametrize("url", ["/api/v1/datasets/active-a-1", "/api/v1/datasets/draft-a",
                                 "/api/3/action/package_show?id=active-a-1", "/api/3/action/package_show?id=draft-a",
                                 "/catalog.ttl"])
@pytest.mark.parametrize("how", ["anonymous", "key"])
def test_a_304_says_the_cache_control_and_vary_of_its_200(client, world, url, how):
    headers = {} if how == "anonymous" else _sent(world, how)
    first = client.get(url, headers=headers)
    if first.status_code != 200:  # a draft, anonymously: its 404 has no validator
        assert how == "anonymous" and first.status_code == 404 and "ETag" not in first.headers
        return
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _vary(again) == _vary(first), url
    assert again.headers.get("Cache-Control") == first.headers.get("Cache-Control"), url


def test_a_tokens_answer_is_gzipped_as_any_other(client, world):
    headers = {**_sent(world, "authorization"), "Accept-Encoding": "gzip"}
    plain = client.get("/api/3/action/package_search?q=Published&rows=3", headers=_sent(world, "authorization"))
    zipped = client.get("/api/3/action/package_search?q=Published&rows=3", headers=headers)
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == plain.get_json()
    assert {"accept-encoding", *CREDENTIALS} <= _vary(zipped) and _private(zipped)
    again = client.get("/api/3/action/package_search?q=Published&rows=3",
                       headers={**headers, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and _vary(again) == _vary(zipped) and _private(again)


@pytest.mark.parametrize(("given", "sent"), [
    (None, "private"),
    ("no-cache", "private, no-cache"),
    ("no-store", "private, no-store"),
    ("private, no-store", "private, no-store"),
    ("public, max-age=60", "private, max-age=60"),
    ("public, no-cache", "private, no-cache"),
    ("public, max-age=31536000, immutable", "private, max-age=31536000, immutable"),
    ("public, max-age=60, s-maxage=600, proxy-revalidate", "private, max-age=60"),
    ('private="Set-Cookie", max-age=5', "private, max-age=5"),
    ("max-age=0, must-revalidate", "private, max-age=0, must-revalidate"),
])
def test_the_private_form_of_a_cache_control(given, sent):
    assert delivery.private_cache_control(given) == sent
