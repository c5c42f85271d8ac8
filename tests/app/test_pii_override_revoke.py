"""An admin's override of the personal-data block can be taken back: through the services (the permission of giving
one, a reason, the audit log), at each door that gives one (the publish page's form, /api/v1), and the files it let
out are withheld again at once: the next request, a shared cache's revalidation included, gets the 451."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from catalog_schema.models import AuditEvent, Dataset
from tests.support.publishing import PII_CSV, build_world, csrf_from, form_post, sign_in

REASON = {"reason": "Office hotline numbers, public by regulation."}
REVOKE = {"reason": "The numbers turned out to be private lines of callers, not offices."}


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _published_with_override(client, world) -> tuple[str, str]:
    """The hotline table uploaded to A's draft, overridden by A's admin and published: (slug, the file's path)."""
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=editor, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(PII_CSV.read_bytes()), "hotline.csv")})
    assert up.status_code == 201
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=REASON).status_code == 200
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=editor).status_code == 200
    dist = client.get(f"/api/v1/datasets/{slug}").get_json()["distributions"][0]
    return slug, "/" + dist["download_url"].split("//", 1)[1].split("/", 1)[1]


def test_an_overridden_file_is_revalidated_by_shared_caches(client, world):
    """Served under an override, a file is `public, no-cache`: a shared cache keeps it but asks again each time, so a
    revocation is not outlived by five minutes of copies (a clean file keeps its max-age)."""
    _slug, path = _published_with_override(client, world)
    served = client.get(path)
    assert served.status_code == 200 and served.headers["X-Data-Gate"] == "serve"
    assert served.headers["Cache-Control"] == "public, no-cache" and served.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "public, no-cache"


def test_an_admin_revokes_an_override_through_the_api(app, client, world):
    slug, path = _published_with_override(client, world)
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    served = client.get(path)
    assert served.status_code == 200
    url = f"/api/v1/datasets/{slug}/pii-override/revoke"
    assert client.post(url, headers=editor, json=REVOKE).status_code == 403  # as for giving one
    assert client.post(url, json=REVOKE).status_code == 401
    short = client.post(url, headers=admin, json={"reason": "no"})
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "invalid"
    assert client.get(path).status_code == 200  # nothing revoked yet
    done = client.post(url, headers=admin, json=REVOKE)
    assert done.status_code == 200, done.get_json()
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["pii_override"] is None and "pii" in check["blocked_by"]
    # the next request is withheld, a cache's revalidation with the tag it holds too
    for headers in ({}, {"If-None-Match": served.headers["ETag"]}):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 451 and refused.headers["X-Data-Gate"] == "withhold", headers
        assert refused.headers["Cache-Control"] == "no-cache"
    assert client.get(path, headers=editor).status_code == 200  # its editors still get the real file
    # said in public (the reason, when; not who), and the dataset's own page says it
    shown = client.get(f"/api/v1/datasets/{slug}").get_json()["extras"]["publishing"]
    assert "pii_override" not in shown and shown["pii_override_revoked"]["reason"] == REVOKE["reason"]
    assert world.emails["admin_a"] not in client.get(f"/api/v1/datasets/{slug}").get_data(as_text=True)
    page = client.get(f"/dataset/{slug}?lang=en").get_data(as_text=True)
    assert 'id="pii-override-revoked"' in page and REVOKE["reason"] in page
    zh = client.get(f"/dataset/{slug}?lang=zh").get_data(as_text=True)
    assert 'id="pii-override-revoked"' in zh  # its words once the catalog has them (NEW_MSGIDS.json)
    # and its activity: the change says what it was
    assert "Personal-data override revoked" in page
    # nothing left to revoke
    again = client.post(url, headers=admin, json=REVOKE)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "no-override"
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        event = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ds.id)
                          .order_by(AuditEvent.id.desc())).first()
        assert event.action == "publish.pii_override_revoked" and event.detail["reason"] == REVOKE["reason"]
        assert event.detail["via"] == "rest" and event.before["extras"]["publishing"]["pii_override"]
        assert "pii_override" not in event.after["extras"]["publishing"]
        revoked = ds.extras["publishing"]["pii_override_revoked"]
        assert revoked["by"] == world.emails["admin_a"] and revoked["override"]["reason"] == REASON["reason"]
    # the re-assessment counts the personal data again: the dataset is one to fix first
    quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert quality["pii"] is True
    # a new override lets it out again
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=REASON).status_code == 200
    assert client.get(path).status_code == 200


def test_a_pending_override_can_be_withdrawn_too(app, client, world):
    """Under the two-person rule, an override waiting for its second admin is taken back the same way."""
    app.config["OPENDATA"]["PII_OVERRIDE_SECOND_ADMIN"] = True
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    client.post(f"/api/v1/datasets/{slug}/distributions", headers=editor, content_type="multipart/form-data",
                data={"file": (io.BytesIO(PII_CSV.read_bytes()), "hotline.csv")})
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=REASON).status_code == 200
    done = client.post(f"/api/v1/datasets/{slug}/pii-override/revoke", headers=admin, json=REVOKE)
    assert done.status_code == 200
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        assert "pii_override_pending" not in ds.extras["publishing"]
    sysadmin = {"Authorization": world.tokens["sysadmin"]}
    second = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=sysadmin, json=REASON)
    assert second.status_code == 200  # a new request, not a confirmation of the one withdrawn
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["pii_override"] is None and "pii" in check["blocked_by"]


def test_an_admin_revokes_an_override_on_the_publish_page(app, client, world):
    slug, path = _published_with_override(client, world)
    edit_url = f"/publish/{slug}"
    sign_in(client, world.emails["editor_a"])
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="pii-override"' in page and 'id="revoke-override-form"' not in page  # editors cannot revoke
    assert form_post(client, edit_url, f"{edit_url}/revoke-override", REVOKE).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/publish").get_data(as_text=True))})
    sign_in(client, world.emails["admin_a"])
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="revoke-override-form"' in page
    short = form_post(client, edit_url, f"{edit_url}/revoke-override", {"reason": "no"})
    assert short.status_code == 422
    said = short.get_data(as_text=True)
    assert 'id="revoke-override-reason"' in said and "at least" in said
    assert client.get(path).status_code == 200
    done = form_post(client, edit_url, f"{edit_url}/revoke-override", REVOKE)
    assert done.status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert "Override revoked" in page and REVOKE["reason"] in page and 'id="pii-override-revoked"' in page
    assert 'id="override-form"' in page  # a new override may be given
    zh = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    assert 'id="pii-override-revoked"' in zh  # its words once the catalog has them (NEW_MSGIDS.json)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/publish").get_data(as_text=True))})
    assert client.get(path).status_code == 451
    with app.extensions["opendata"]["sessionmaker"]() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "publish.pii_override_revoked"))
        assert event.detail["reason"] == REVOKE["reason"] and event.detail["via"] == "web"


def test_a_document_showing_an_override_is_revalidated_by_shared_caches(client, world):
    """The /api/v1 document of a dataset says its override (the reason, the files): `public, no-cache` with its ETag,
    as the data the override lets out is, so a revocation is what the next request reads, not a minute later. A dataset
    without an override keeps its minute, and so do CKAN's package dicts, which do not say an override."""
    clean = client.get("/api/v1/datasets/active-a-2")
    assert clean.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/3/action/package_show?id=active-a-2").headers["Cache-Control"] == "public, max-age=60"
    slug, _path = _published_with_override(client, world)
    assert client.get(f"/api/3/action/package_show?id={slug}").headers["Cache-Control"] == "public, max-age=60"
    doors = (f"/api/v1/datasets/{slug}", f"/dataset/{slug}.json")
    tags = {}
    for url in doors:
        shown = client.get(url)
        assert shown.status_code == 200 and REASON["reason"] in shown.get_data(as_text=True), url
        assert shown.headers["Cache-Control"] == "public, no-cache" and shown.headers["ETag"], url
        tags[url] = shown.headers["ETag"]
        kept = client.get(url, headers={"If-None-Match": tags[url]})
        assert kept.status_code == 304 and kept.headers["Cache-Control"] == "public, no-cache", url
    # a token's answer stays its own, revalidated too
    mine = client.get(f"/api/v1/datasets/{slug}", headers={"Authorization": world.tokens["editor_b"]})
    assert mine.headers["Cache-Control"] == "private, no-cache"
    url = f"/api/v1/datasets/{slug}/pii-override/revoke"
    assert client.post(url, headers={"Authorization": world.tokens["admin_a"]}, json=REVOKE).status_code == 200
    for door in doors:
        fresh = client.get(door, headers={"If-None-Match": tags[door]})
        assert fresh.status_code == 200 and REVOKE["reason"] in fresh.get_data(as_text=True), door
