"""A draft its publisher no longer wants is discarded (app/services/datasets.py `discard`), by the one rule of every
door: the publish page, POST /api/v1/datasets/<slug>/discard and CKAN's package_delete by a publisher's editor.

A draft was never public (no link, no search hit, no harvester of this catalog knew it), so discarding it is a
deletion: it answers 404 at every door, as a sysadmin's deletion does, its rows and an audit entry stay for the
record, and its name (and any name it had before) is free for the next dataset. Before, only a sysadmin could
remove one: a publisher's mistaken draft (a PII file uploaded by error among them) stayed on its list for good, and
package_delete answered "only a sysadmin may delete it". A published dataset is still withdrawn, never discarded;
another publisher's draft is not found; nothing is changed by a refusal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.datastore.load import root_of, stored_hashes
from app.services import datasets
from app.services.context import Actor
from app.services.errors import Conflict
from catalog_schema.models import AuditEvent, Dataset, DatasetSlug, User
from plumbing.archive import address
from quality import facts_cache
from tests.support.openapi import validate_against
from tests.support.publishing import CLEAN_CSV, PII_CSV, build_world, csrf_from, form_post, sign_in
from tests.support.publishing import snapshot as rows_of


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _state(app, ref: str) -> tuple[str | None, str | None]:
    """(state, slug) of the dataset with id or slug `ref`; (None, None) when there is none."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.get(Dataset, ref) or s.scalar(select(Dataset).where(Dataset.slug == ref))
        return (ds.state, ds.slug) if ds is not None else (None, None)


def _id(app, slug: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.scalar(select(Dataset.id).where(Dataset.slug == slug))


def _audit(app, dataset_id: str) -> list[str]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == dataset_id)
                              .order_by(AuditEvent.id)))


def _gone_everywhere(client, slug: str, signed_in: bool = False) -> None:
    for path in (f"/dataset/{slug}", f"/api/v1/datasets/{slug}", *([f"/publish/{slug}"] if signed_in else [])):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/3/action/package_show", query_string={"id": slug}).status_code == 404


def test_the_service_discards_a_draft_and_frees_its_name(app, world):
    sm = app.extensions["opendata"]["sessionmaker"]
    with sm() as s:
        editor = s.scalar(select(User).where(User.email == world.emails["editor_a"]))
        ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
        datasets.rename(Actor(s, editor, "test", lang="en"), ds, "draft-a-renamed")
        ds_id = ds.id
    with sm() as s:
        editor = s.scalar(select(User).where(User.email == world.emails["editor_a"]))
        datasets.discard(Actor(s, editor, "test", lang="en"), s.get(Dataset, ds_id))
    state, slug = _state(app, ds_id)
    assert state == "deleted" and slug == f"discarded-{ds_id}"
    with sm() as s:
        assert s.scalar(select(func.count()).select_from(DatasetSlug).where(DatasetSlug.dataset_id == ds_id)) == 0
        editor = s.scalar(select(User).where(User.email == world.emails["editor_a"]))
        # both names it had are free: a new dataset takes the first
        again = datasets.create(Actor(s, editor, "test", lang="en"), "agency-a", {"title": "Draft again"},
                                slug=world.draft_a)
        assert again.slug == world.draft_a and again.id != ds_id
    assert _audit(app, ds_id)[-1] == "publish.discard"


@pytest.mark.parametrize("slug", ["active-a-1", "harvested-a"])
def test_only_a_draft_is_discarded(app, world, slug):
    sm = app.extensions["opendata"]["sessionmaker"]
    before = rows_of(sm)
    with sm() as s:
        admin = s.scalar(select(User).where(User.email == world.emails["sysadmin"]))
        with pytest.raises(Conflict, match="Only a draft can be discarded"):
            datasets.discard(Actor(s, admin, "test", lang="en"), s.scalar(select(Dataset).where(Dataset.slug == slug)))
        s.rollback()
    assert rows_of(sm) == before


def test_the_publish_page_discards_a_draft_once_confirmed(app, client, world):
    sign_in(client, world.emails["editor_a"])
    page = client.get(f"/publish/{world.draft_a}").get_data(as_text=True)
    assert 'id="discard-button"' in page and 'id="discard-confirm"' in page
    ds_id = _id(app, world.draft_a)
    before = rows_of(app.extensions["opendata"]["sessionmaker"])
    # not confirmed: said beside the box, nothing changed
    refused = form_post(client, f"/publish/{world.draft_a}", f"/publish/{world.draft_a}/discard", {})
    assert refused.status_code == 422
    assert 'id="discard-confirm-error"' in refused.get_data(as_text=True)
    assert rows_of(app.extensions["opendata"]["sessionmaker"]) == before
    done = form_post(client, f"/publish/{world.draft_a}", f"/publish/{world.draft_a}/discard", {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/publish")
    listed = client.get("/publish").get_data(as_text=True)
    assert "已丢弃：草稿 draft-a 已删除" in listed and f"/publish/{world.draft_a}\"" not in listed
    assert _state(app, ds_id)[0] == "deleted"
    _gone_everywhere(client, world.draft_a, signed_in=True)


def test_a_published_dataset_offers_no_discard(app, client, world):
    sign_in(client, world.emails["admin_a"])
    page = client.get("/publish/active-a-1").get_data(as_text=True)
    assert 'id="discard-button"' not in page and 'id="withdraw-button"' in page
    resp = client.post("/publish/active-a-1/discard", data={"confirm": "yes", "csrf_token": csrf_from(page)})
    assert resp.status_code == 303  # back to its page, which says why (as any refused change of state)
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "只有草稿可以丢弃（active-a-1 的状态为已发布）" in shown, re.findall("只有草稿[^<]*", shown)
    assert _state(app, "active-a-1")[0] == "active"


def test_the_rest_api_discards_a_draft(app, client, world, openapi):
    ds_id = _id(app, world.draft_a)
    headers = {"Authorization": f"Bearer {world.tokens['editor_b']}"}
    assert client.post(f"/api/v1/datasets/{world.draft_a}/discard", headers=headers).status_code == 404
    headers = {"Authorization": f"Bearer {world.tokens['editor_a']}"}
    refused = client.post("/api/v1/datasets/active-a-1/discard", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not-draft"
    validate_against(openapi, "Error", refused.get_json())  # a code the document lists
    resp = client.post(f"/api/v1/datasets/{world.draft_a}/discard", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"id": ds_id, "slug": world.draft_a, "state": "deleted"}
    validate_against(openapi, "Discarded", resp.get_json())
    assert _state(app, ds_id)[0] == "deleted"
    _gone_everywhere(client, world.draft_a)


def test_ckan_package_delete_by_an_editor_discards_a_draft(app, client, world):
    """CKAN lets an organization's editor delete its datasets; here a published one is withdrawn (kept, with its
    tombstone) and a draft discarded. It answered a Validation Error, "only a sysadmin may delete it"."""
    ds_id = _id(app, world.draft_a)
    other = client.post("/api/3/action/package_delete", headers={"Authorization": world.tokens["editor_b"]},
                        json={"id": world.draft_a})
    assert other.status_code == 404
    resp = client.post("/api/3/action/package_delete", headers={"Authorization": world.tokens["editor_a"]},
                       json={"id": world.draft_a})
    assert resp.status_code == 200 and resp.get_json()["success"] is True, resp.get_json()
    assert _state(app, ds_id)[0] == "deleted"
    assert _audit(app, ds_id)[-1] == "ckan.package_delete"
    _gone_everywhere(client, world.draft_a)


def _upload(client, token: str, slug: str, path) -> dict:
    with open(path, "rb") as fh:
        resp = client.post(f"/api/v1/datasets/{slug}/distributions", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (fh, path.name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _copy(app, slug: str) -> tuple[str, Path]:
    """(sha256, archived file) of the dataset's first file."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        dist = s.scalar(select(Dataset).where(Dataset.slug == slug)).distributions[0]
        return dist.archive_hash, address(app.config["OPENDATA"]["ARCHIVE_DIR"], dist.archive_hash)


def test_a_discarded_drafts_files_go_with_it_but_a_copy_another_dataset_holds(app, client, world):
    """A file with personal data uploaded to a draft by mistake: discarding the draft takes its bytes out of the
    archive, with what reading them found (the facts cache) and the kept check's preview of its rows; the same bytes
    uploaded to another dataset stay, since that one holds them."""
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    _upload(client, world.tokens["editor_a"], world.draft_a, PII_CSV)
    _upload(client, world.tokens["editor_a"], world.draft_a, CLEAN_CSV)
    _upload(client, world.tokens["editor_b"], world.draft_b, CLEAN_CSV)
    assert client.get(f"/api/v1/datasets/{world.draft_a}/check",
                      headers={"Authorization": f"Bearer {world.tokens['editor_a']}"}).status_code == 200
    ds_id = _id(app, world.draft_a)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.get(Dataset, ds_id)
        pii_sha, clean_sha = (d.archive_hash for d in ds.distributions)
        assert ds.prepublication_check is not None
    pii_file, clean_file = address(archive, pii_sha), address(archive, clean_sha)
    assert pii_file.is_file() and clean_file.is_file()
    store = root_of(app.config["OPENDATA"])
    assert pii_sha in stored_hashes(store)  # the check's whole-file scan of it, kept in the row store
    assert list((Path(archive) / facts_cache.FOLDER / pii_sha[:2]).glob(f"{pii_sha}.*.json"))
    resp = client.post(f"/api/v1/datasets/{world.draft_a}/discard",
                       headers={"Authorization": f"Bearer {world.tokens['editor_a']}"})
    assert resp.status_code == 200, resp.get_json()
    assert not pii_file.exists()
    assert not list((Path(archive) / facts_cache.FOLDER / pii_sha[:2]).glob(f"{pii_sha}.*.json"))
    assert pii_sha not in stored_hashes(store) and clean_sha in stored_hashes(store)  # the row store's too
    assert clean_file.is_file() and _copy(app, world.draft_b) == (clean_sha, clean_file)  # B's file holds it
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.get(Dataset, ds_id)
        assert ds.distributions == [] and ds.prepublication_check is None
        entry = s.scalar(select(AuditEvent).where(AuditEvent.object_id == ds_id,
                                                  AuditEvent.action == "publish.discard"))
        assert [d["catalog_id"] for d in entry.before["distributions"]] and entry.after["distributions"] == []
    # B's file is read as before: its check previews its rows from the copy
    check = client.get(f"/api/v1/datasets/{world.draft_b}/check?again=1",
                       headers={"Authorization": f"Bearer {world.tokens['editor_b']}"})
    assert check.status_code == 200 and check.get_json()["preview"][0]["sample"]


def test_a_file_taken_out_of_a_draft_goes_from_the_archive_too(app, client, world):
    """The wrong file uploaded to a draft and taken out (the draft kept, the right file uploaded next) left its bytes
    in the archive for good, with what reading them found. A draft's file was never public: taking it out takes out
    the copy no other file holds. A published dataset's file taken out keeps its copy until the daily prune's sweep,
    a day later (tests/app/test_archive_sweep.py)."""
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    token = {"Authorization": world.tokens["editor_a"]}
    _upload(client, world.tokens["editor_a"], world.draft_a, PII_CSV)
    ds_id = _id(app, world.draft_a)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        dist = s.get(Dataset, ds_id).distributions[0]
        dist_id, sha = dist.id, dist.archive_hash
    assert address(archive, sha).is_file()
    resp = client.delete(f"/api/v1/datasets/{world.draft_a}/distributions/{dist_id}", headers=token)
    assert resp.status_code == 200, resp.get_json()
    assert not address(archive, sha).exists()
    assert not list((Path(archive) / facts_cache.FOLDER / sha[:2]).glob(f"{sha}.*.json"))
    # a published dataset's: kept
    made = client.post("/api/v1/datasets/active-a-2/distributions", headers=token, content_type="multipart/form-data",
                       data={"file": (CLEAN_CSV.open("rb"), "population.csv")})
    assert made.status_code == 201, made.get_json()
    dist = made.get_json()["distributions"][-1]
    sha = _copy_of(app, dist["id"])
    assert client.delete(f"/api/v1/datasets/active-a-2/distributions/{dist['id']}", headers=token).status_code == 200
    assert address(archive, sha).is_file()


def _copy_of(app, dist_id: str) -> str:
    from catalog_schema.models import Distribution

    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.get(Distribution, dist_id).archive_hash
