"""What CKAN clients ask a portal that the Action API did not answer as CKAN does, asked by ckanapi's RemoteCKAN of
the app served on 127.0.0.1 (tests/support/wsgiserver.py) over a real catalog (tests/support/publishing.build_world:
two agencies, their editors, a sysadmin, a draft of each agency), on SQLite and PostgreSQL.

- package_search's `include_private` and `include_drafts` (CKAN 2.9+): an editor's drafts (CKAN's private datasets
  here) to them, every draft to a sysadmin, none to anyone else; they were ignored.
- package_revise (CKAN 2.9+): match, filter and update, flattened keys, a file for a resource; through package_update's
  gate (who may, the personal-data gate, the audit). It was "Action name not known".
- resource_view_list (none here), config_option_show and config_option_list (sysadmins, as in CKAN),
  user_autocomplete (sysadmins, as user_list): each was "Action name not known".
- organization_delete: a sysadmin's, refused as CKAN refuses it while the organization has datasets; it was always
  refused.
- api_token_create, api_token_list, api_token_revoke (an account's own tokens, a sysadmin's of anyone), the follower
  lists (sysadmins) and followee lists (the account itself, sysadmins), package_search's include_deleted (withdrawn
  datasets to their publisher's people) and config_option_update (CKAN's refusal: no runtime settings store here):
  each was "Action name not known", or ignored."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError
from sqlalchemy import func, select

from app.api import ckan_paths
from app.services import follows
from app.services.context import Actor
from catalog_schema.models import AuditEvent, Dataset, Follow, Publisher, User
from tests.support.publishing import CLEAN_CSV, GBK_CSV, PII_CSV, build_world
from tests.support.wsgiserver import ServedApp


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


@pytest.fixture
def live(app, world):
    served = ServedApp(app)
    yield served
    served.close()


def _ckan(live, world, who: str | None = None) -> RemoteCKAN:
    return RemoteCKAN(live.url, apikey=world.tokens[who] if who else None)


PUBLISHED = ["active-a-1", "active-a-2", "active-a-3", "harvested-a"]


def _walk(ck: RemoteCKAN, **params) -> list[str]:
    """Every name package_search gives, a page of two at a time."""
    names, start = [], 0
    while True:
        page = ck.action.package_search(rows=2, start=start, **params)["results"]
        if not page:
            return names
        names += [p["name"] for p in page]
        start += len(page)


def test_package_search_include_private_gives_an_editor_their_drafts_and_nobody_else_any(live, world):
    anonymous, editor_a, sysadmin = _ckan(live, world), _ckan(live, world, "editor_a"), _ckan(live, world, "sysadmin")
    for ck in (anonymous, editor_a):  # not asked for: what is published, to everyone
        assert sorted(p["name"] for p in ck.action.package_search(rows=50)["results"]) == PUBLISHED
    # asked for by anyone but a publisher's people: nothing more
    found = anonymous.action.package_search(include_private=True, include_drafts=True, rows=50)
    assert found["count"] == 4 and sorted(p["name"] for p in found["results"]) == PUBLISHED
    assert sorted(p["name"] for p in _ckan(live, world, "editor_b").action.package_search(
        include_private=True, fq="organization:agency-a", rows=50)["results"]) == PUBLISHED
    # agency A's editor: A's draft beside the published datasets, as CKAN's private dataset (B's draft is not theirs)
    for flag in ("include_private", "include_drafts"):
        found = editor_a.action.package_search(rows=50, sort="name asc", **{flag: True},
                                               **{"facet.field": '["organization"]'})
        assert found["count"] == 5
        assert [p["name"] for p in found["results"]] == sorted([*PUBLISHED, "draft-a"])
        draft = next(p for p in found["results"] if p["name"] == "draft-a")
        assert draft["private"] is True and draft["state"] == "draft" and draft["organization"]["name"] == "agency-a"
        assert found["facets"]["organization"] == {"agency-a": 5}
    # walked a page at a time, in either order, each dataset once, in its place
    assert _walk(editor_a, include_private=True, sort="name asc") == sorted([*PUBLISHED, "draft-a"])
    assert _walk(editor_a, include_private=True, sort="name desc") == sorted([*PUBLISHED, "draft-a"], reverse=True)
    assert len(set(_walk(editor_a, include_private=True))) == 5  # the default order: the latest change first
    # words: the drafts that match, first
    found = editor_a.action.package_search(q="draft", include_private=True)
    assert [p["name"] for p in found["results"]] == ["draft-a"] and found["count"] == 1
    assert editor_a.action.package_search(q="published", include_private=True)["count"] == 3
    assert editor_a.action.package_search(fq="organization:agency-b", include_private=True)["count"] == 0
    # a sysadmin: every draft
    found = sysadmin.action.package_search(include_drafts="true", rows=50, sort="name asc")
    assert [p["name"] for p in found["results"]] == sorted([*PUBLISHED, "draft-a", "draft-b"])
    assert sysadmin.action.package_search(include_drafts="true", rows=2, start=4, sort="name asc")["results"][0][
        "name"] == "draft-b"


# --------------------------------------------------------------------------- package_revise


def _audit(app, slug: str) -> list[str]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ds.id).order_by(AuditEvent.id)))


def test_package_revise_changes_what_still_matches_and_nothing_else(app, live, world):
    ck = _ckan(live, world, "editor_a")
    shown = ck.action.package_show(id="active-a-1")
    revised = ck.action.package_revise(match={"name": "active-a-1", "title": "Published by A 1"},
                                       update={"notes": "Counted every morning", "tags": [{"name": "counts"}]})
    pkg = revised["package"]
    assert set(revised) == {"package"} and pkg["notes"] == "Counted every morning"
    assert [t["name"] for t in pkg["tags"]] == ["counts"] and pkg["title"] == shown["title"]
    assert pkg["resources"][0]["url"] == shown["resources"][0]["url"]  # what the revise did not name stays
    assert ck.action.package_show(id="active-a-1")["notes"] == "Counted every morning"
    assert _audit(app, "active-a-1")[-1] == "ckan.package_revise"
    # someone changed it meanwhile: nothing changes, and the error lists what no longer matches, as CKAN's
    before = _audit(app, "active-a-1")
    with pytest.raises(ValidationError) as refused:
        ck.action.package_revise(match={"id": pkg["id"], "notes": "the old notes", "resources": [{"format": "XLS"}]},
                                 update={"notes": "mine"})
    assert refused.value.error_dict == {"__type": "Validation Error", "match": ["notes", "resources__0__format"],
                                        "message": refused.value.error_dict["message"]}
    assert ck.action.package_show(id="active-a-1")["notes"] == "Counted every morning"
    assert _audit(app, "active-a-1") == before
    # flattened keys, as `ckanapi action package_revise match__name=... update__resources__0__name=...` sends them
    res_id = shown["resources"][0]["id"]
    pkg = ck.call_action("package_revise", {"match__name": "active-a-1", "match__resources__0__format": "CSV",
                                            f"update__resources__{res_id[:6]}__description": "One row a stop",
                                            "update__resources__extend": [{"name": "Second file",
                                                                           "url": "http://127.0.0.1:9/second.csv"}],
                                            "include": ["+package__resources", "-package__*"]})
    assert list(pkg) == ["package"] and list(pkg["package"]) == ["resources"]
    assert [r.get("name") for r in pkg["package"]["resources"]][1] == "Second file"
    assert pkg["package"]["resources"][0]["description"] == "One row a stop"
    assert pkg["package"]["resources"][1]["format"] == "CSV"
    # filter: take the second resource out, keep the rest
    pkg = ck.action.package_revise(match={"name": "active-a-1"}, filter=["-resources__1"])["package"]
    assert [r["id"] for r in pkg["resources"]] == [res_id]
    # a path that names nothing, a value of the wrong kind: Validation Errors naming the key, nothing changed
    with pytest.raises(ValidationError) as refused:
        ck.call_action("package_revise", {"match__name": "active-a-1", "update__resources__7__name": "x"})
    assert refused.value.error_dict["update__resources__7__name"] == ["Unmatched key resources__7"]
    with pytest.raises(ValidationError) as refused:
        ck.action.package_revise(match={"name": "active-a-1"}, update={"resources": {"name": "x"}})
    assert refused.value.error_dict["update"] == ["Expected list for resources"]
    with pytest.raises(ValidationError) as refused:
        ck.action.package_revise(update={"notes": "x"})
    assert refused.value.error_dict["match__id"] == ["Missing value"]
    # the dataset matched is the one written: an `id` in the update names no other
    other = ck.action.package_show(id="active-a-2")
    pkg = ck.action.package_revise(match={"name": "active-a-1"}, update={"id": other["id"], "notes": "Mine"})["package"]
    assert pkg["name"] == "active-a-1" and pkg["notes"] == "Mine"
    assert ck.action.package_show(id="active-a-2")["notes"] == other["notes"]


def test_package_revise_is_the_gate_of_package_update(app, live, world):
    # another publisher's dataset: CKAN's Authorization Error; a draft they may not see: Not Found, as package_show
    with pytest.raises(NotAuthorized):
        _ckan(live, world, "editor_b").action.package_revise(match={"name": "active-a-1"}, update={"notes": "x"})
    with pytest.raises(NotFound):
        _ckan(live, world, "editor_b").action.package_revise(match={"name": world.draft_a}, update={"notes": "x"})
    with pytest.raises(NotAuthorized):
        _ckan(live, world).action.package_revise(match={"name": "active-a-1"}, update={"notes": "x"})
    # a harvested dataset is read-only to all but sysadmins, as package_update says
    with pytest.raises(NotAuthorized):
        _ckan(live, world, "editor_a").action.package_revise(match={"name": "harvested-a"}, update={"notes": "x"})


def test_package_revise_uploads_a_file_through_the_upload_gate(app, live, world):
    ck = _ckan(live, world, "admin_a")
    # a new resource with its file, into A's draft: what package_revise's docs show
    with PII_CSV.open("rb") as fh:
        pkg = ck.call_action("package_revise", {"match__name": world.draft_a,
                                                "update__resources__extend": '[{"name": "Complaints"}]'},
                             files={"update__resources__-1__upload": fh})["package"]
    assert [r["name"] for r in pkg["resources"]] == ["Complaints"] and pkg["resources"][0]["url_type"] == "upload"
    assert _audit(app, world.draft_a)[-1] == "ckan.package_revise"
    # published by a revise: the personal-data gate refuses it, as package_patch's state change is refused
    with pytest.raises(ValidationError) as refused:
        ck.action.package_revise(match={"name": world.draft_a}, update={"state": "active"})
    assert "resources" in refused.value.error_dict
    assert ck.action.package_show(id=world.draft_a)["state"] == "draft"
    # a new file for a published dataset's resource, with its new name: one change of that resource
    res = ck.action.package_show(id="active-a-2")["resources"][0]
    with CLEAN_CSV.open("rb") as fh:
        pkg = ck.call_action("package_revise", {"match__name": "active-a-2",
                                                "update__resources__0__name": "Population"},
                             files={"update__resources__0__upload": fh})["package"]
    [new] = pkg["resources"]
    assert new["id"] == res["id"] and new["name"] == "Population" and new["url_type"] == "upload"
    assert new["url"] != res["url"] and new["format"] == "CSV"
    with CLEAN_CSV.open("rb") as fh, pytest.raises(ValidationError) as refused:  # a file and other changes
        ck.call_action("package_revise", {"match__name": "active-a-2", "update__notes": "x"},
                       files={"update__resources__0__upload": fh})
    assert "update__resources__0__upload" in refused.value.error_dict
    assert ck.action.package_show(id="active-a-2")["notes"] != "x"
    # ckanapi's command line, as CKAN's docs show it: a new resource and its file (KEY@FILE) in one revise
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "ckanapi"), "action", "package_revise", "-r", live.url, "-a",
                           world.tokens["admin_a"], "match__name=active-a-2",
                           'update__resources__extend=[{"name": "Second year"}]',
                           f"update__resources__-1__upload@{GBK_CSV}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)["package"]["resources"]] == ["Population", "Second year"]
    # the same file again: the upload gate's refusal, as resource_create's (nothing added)
    done = subprocess.run([str(bin_dir / "ckanapi"), "action", "package_revise", "-r", live.url, "-a",
                           world.tokens["admin_a"], "match__name=active-a-2",
                           'update__resources__extend=[{"name": "Once more"}]',
                           f"update__resources__-1__upload@{GBK_CSV}"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "duplicate-file" in done.stderr
    assert len(ck.action.package_show(id="active-a-2")["resources"]) == 2


def test_revise_paths_filter_and_merge_as_ckan_documents_them():
    pkg = {"id": "1234", "name": "x", "title": "X", "notes": "n",
           "resources": [{"id": "1492a-0", "name": "a"}, {"id": "77777-1", "name": "b"}]}
    kept = copy.deepcopy(pkg)
    ckan_paths.drop(kept, ["+title", "+resources", "-*"])  # "replace all fields at dataset level, keep resources"
    assert kept == {"title": "X", "resources": pkg["resources"]}
    kept = copy.deepcopy(pkg)
    ckan_paths.drop(kept, ["+resources__1492a__id", "-resources__1492a__*"])  # "replace all fields of a resource"
    assert kept["resources"] == [{"id": "1492a-0"}, {"id": "77777-1", "name": "b"}]
    kept = copy.deepcopy(pkg)
    ckan_paths.drop(kept, ["-resources__-1"])
    assert kept["resources"] == [{"id": "1492a-0", "name": "a"}]
    merged = copy.deepcopy(pkg)
    ckan_paths.merge_at(merged, "resources__77777__name", "B")
    ckan_paths.merge_at(merged, "resources__extend", [{"name": "c"}])
    ckan_paths.merge(merged, {"resources": [{"name": "A"}]})
    assert [r["name"] for r in merged["resources"]] == ["A", "B", "c"]
    assert ckan_paths.mismatches(pkg, {"name": "x", "resources": [{"name": "z"}], "nokey": 1}) == [
        ("nokey",), ("resources", 0, "name")]
    with pytest.raises(ckan_paths.PathError):
        ckan_paths.resolve(pkg, "resources__1234")  # fewer than five characters: a position, and there is none


# --------------------------------------------------------------------------- views, configuration, accounts


def test_resource_view_list_answers_none_for_a_resource_the_reader_may_see(app, live, world):
    public = _ckan(live, world)
    res = public.action.package_show(id="active-a-1")["resources"][0]
    assert public.action.resource_view_list(id=res["id"]) == []
    with pytest.raises(NotFound):
        public.action.resource_view_list(id="no-such-resource")
    with pytest.raises(ValidationError) as refused:
        public.action.resource_view_list()
    assert refused.value.error_dict["id"] == ["Missing value"]
    with pytest.raises(NotFound):
        public.action.resource_view_show(id="a-view")
    # ckanapi's `dump datasets --resource-views` asks it of each resource, and writes the package as it is
    bin_dir = Path(sys.executable).parent  # its workers are `ckanapi` processes of their own
    out = subprocess.run([str(bin_dir / "ckanapi"), "dump", "datasets", "active-a-1", "--resource-views", "-r",
                          live.url, "-q"], capture_output=True, text=True, timeout=60, check=True,
                         env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert json.loads(out.stdout)["name"] == "active-a-1"


def test_config_options_to_sysadmins_as_in_ckan(app, live, world):
    sysadmin = _ckan(live, world, "sysadmin")
    assert sysadmin.action.config_option_list() == []  # CKAN's: the options config_option_update changes; none here
    assert sysadmin.action.config_option_show(key="ckan.site_url") == app.config["OPENDATA"]["SITE_URL"].rstrip("/")
    assert sysadmin.action.config_option_show(key="ckan.site_title") == sysadmin.action.status_show()["site_title"]
    assert sysadmin.action.config_option_show(key="ckan.site_about") is None
    with pytest.raises(ValidationError) as refused:
        sysadmin.action.config_option_show(key="sqlalchemy.url")
    assert refused.value.error_dict["message"] == "Configuration option 'sqlalchemy.url' can not be shown"
    for who in (None, "admin_a"):
        with pytest.raises(NotAuthorized):
            _ckan(live, world, who).action.config_option_show(key="ckan.site_title")
        with pytest.raises(NotAuthorized):
            _ckan(live, world, who).action.config_option_list()


def test_user_autocomplete_to_sysadmins_only(app, live, world):
    sysadmin = _ckan(live, world, "sysadmin")
    found = sysadmin.action.user_autocomplete(q="editor")
    assert len(found) == 2 and all(set(u) == {"id", "name", "fullname"} and u["name"].isdigit() for u in found)
    assert len(sysadmin.action.user_autocomplete(q="example.gov", limit=3)) == 3
    assert len(sysadmin.action.user_autocomplete(q="example.gov", ignore_self=True)) == 3
    with pytest.raises(ValidationError):
        sysadmin.action.user_autocomplete()
    for who in (None, "admin_a"):  # the accounts are named by private addresses: no one else learns of them
        with pytest.raises(NotAuthorized):
            _ckan(live, world, who).action.user_autocomplete(q="editor")


# --------------------------------------------------------------------------- organization_delete


def test_organization_delete_by_a_sysadmin_once_it_has_no_datasets(app, live, world):
    sysadmin, admin_a = _ckan(live, world, "sysadmin"), _ckan(live, world, "admin_a")
    sysadmin.action.organization_create(name="agency-c", title="Agency C")
    sysadmin.action.organization_member_create(id="agency-c", username=world.emails["editor_b"], role="editor")
    sessionmaker = app.extensions["opendata"]["sessionmaker"]
    with sessionmaker() as s:
        reader = s.scalar(select(User).where(User.email == world.emails["editor_a"]))
        follows.follow(Actor(s, reader, "test"), "publisher", "agency-c")
        pub_id = s.scalar(select(Publisher.id).where(Publisher.slug == "agency-c"))
    # a publisher's own admin may not (the brief's rule: a sysadmin's), nor may anyone without a token
    for ck in (admin_a, _ckan(live, world)):
        with pytest.raises(NotAuthorized):
            ck.action.organization_delete(id="agency-a")
    # while it has datasets, published, withdrawn or drafts (agency B has only a draft): CKAN's Validation Error
    for slug in ("agency-a", "agency-b"):
        with pytest.raises(ValidationError) as refused:
            sysadmin.action.organization_delete(id=slug)
        assert refused.value.error_dict["message"].startswith(
            "Organization cannot be deleted while it still has datasets")
        assert refused.value.error_dict["code"] == "publisher-has-datasets"
        assert sysadmin.action.organization_show(id=slug)["name"] == slug
    with pytest.raises(NotFound):
        sysadmin.action.organization_delete(id="agency-nobody")
    # empty: deleted, its members' role and its followers with it, the audit keeps what it was
    assert sysadmin.action.organization_delete(id="agency-c") is None
    with pytest.raises(NotFound):
        sysadmin.action.organization_show(id="agency-c")
    assert "agency-c" not in sysadmin.action.organization_list()
    assert [o["name"] for o in _ckan(live, world, "editor_b").action.organization_list_for_user(
        permission="create_dataset")] == ["agency-b"]
    with sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(Follow).where(Follow.kind == "publisher",
                                                                       Follow.target == str(pub_id))) == 0
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "publisher.deleted")).one()
        assert event.object_id == "agency-c" and event.before["title"] == {"": "Agency C"} and event.after is None
    # ckanapi's own command
    sysadmin.action.organization_create(name="agency-d", title="Agency D")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "ckanapi"), "delete", "organizations", "agency-d", "-r", live.url,
                           "-a", world.tokens["sysadmin"]], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stderr
    with pytest.raises(NotFound):
        sysadmin.action.organization_show(id="agency-d")


def test_an_organizations_drafts_to_its_editors_as_ckans_private_datasets(app, live, world):
    # organization_show: its editors (and sysadmins) count and list its drafts, as CKAN gives members its private ones
    for who, count in ((None, 4), ("editor_b", 4), ("editor_a", 5), ("sysadmin", 5)):
        org = _ckan(live, world, who).action.organization_show(id="agency-a", include_datasets=True)
        names = sorted(p["name"] for p in org["packages"])
        assert org["package_count"] == count and names == sorted(PUBLISHED + ["draft-a"][:count - 4]), who
    # current_package_list_with_resources: a sysadmin's has the private datasets too, as CKAN's
    assert {p["name"] for p in _ckan(live, world, "sysadmin").action.current_package_list_with_resources()} == {
        *PUBLISHED, "draft-a", "draft-b"}
    for who in (None, "editor_a"):
        assert sorted(p["name"] for p in _ckan(live, world, who).action.current_package_list_with_resources()) \
            == PUBLISHED


# --------------------------------------------------------------------------- following


def test_following_datasets_and_organizations_as_ckan_front_ends_ask(app, live, world):
    editor_a, editor_b, public = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b"), _ckan(live, world)
    ds_id = public.action.package_show(id="active-a-1")["id"]
    assert public.action.dataset_follower_count(id="active-a-1") == 0
    assert editor_a.action.am_following_dataset(id=ds_id) is False
    followed = editor_a.action.follow_dataset(id="active-a-1")
    assert followed["object_id"] == ds_id and followed["follower_id"].isdigit() and followed["datetime"]
    assert editor_a.action.follow_dataset(id=ds_id) == followed  # again: the same follow, as CKAN's
    editor_b.action.follow_dataset(id=ds_id)
    assert public.action.dataset_follower_count(id=ds_id) == 2
    assert editor_a.action.am_following_dataset(id="active-a-1") is True
    with pytest.raises(NotAuthorized):  # who is asking? a token says
        public.action.am_following_dataset(id="active-a-1")
    with pytest.raises(NotAuthorized):
        public.action.follow_dataset(id="active-a-1")
    editor_a.action.unfollow_dataset(id="active-a-1")
    editor_a.action.unfollow_dataset(id="active-a-1")  # not followed: left as it is
    assert editor_a.action.am_following_dataset(id=ds_id) is False
    assert public.action.dataset_follower_count(id=ds_id) == 1
    # a draft: its publisher's people may follow it, to anyone else it is a dataset nobody has
    assert editor_a.action.follow_dataset(id=world.draft_a)["object_id"]
    for ck, name in ((editor_b, world.draft_a), (public, world.draft_a), (public, "no-such-dataset")):
        with pytest.raises(ValidationError) as refused:
            ck.action.dataset_follower_count(id=name)
        assert refused.value.error_dict["id"] == ["Not found: Dataset"]
    with pytest.raises(ValidationError):
        editor_b.action.follow_dataset(id=world.draft_a)
    # organizations, as CKAN's groups; a theme is no follow here
    assert editor_b.action.follow_group(id="agency-a")["object_id"] == "agency-a"
    assert editor_b.action.am_following_group(id="agency-a") is True
    assert public.action.group_follower_count(id="agency-a") == 1
    assert public.action.organization_follower_count(id="agency-a") == 1
    assert public.action.group_follower_count(id="tran") == 0 and editor_b.action.am_following_group(id="tran") is False
    with pytest.raises(ValidationError):
        editor_b.action.follow_group(id="tran")
    editor_b.action.unfollow_group(id="agency-a")
    assert public.action.organization_follower_count(id="agency-a") == 0
    with pytest.raises(ValidationError):
        public.action.organization_follower_count(id="agency-nobody")
    # what the account's page lists: the follows made here
    with app.extensions["opendata"]["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == world.emails["editor_b"]))
        assert [(f.kind, f.target) for f in follows.of_user(Actor(s, editor, "test"))] == [("dataset", ds_id)]


def test_package_resource_reorder(app, live, world):
    ck = _ckan(live, world, "editor_a")
    first = ck.action.package_show(id="active-a-3")["resources"][0]["id"]
    second = ck.action.resource_create(package_id="active-a-3", url="http://127.0.0.1:9/b.csv", name="B")["id"]
    third = ck.action.resource_create(package_id="active-a-3", url="http://127.0.0.1:9/c.csv", name="C")["id"]
    assert ck.action.package_resource_reorder(id="active-a-3", order=[third]) == {
        "id": "active-a-3", "order": [third, first, second]}
    shown = ck.action.package_show(id="active-a-3")["resources"]
    assert [(r["id"], r["position"]) for r in shown] == [(third, 0), (first, 1), (second, 2)]
    assert _audit(app, "active-a-3")[-1] == "ckan.package_resource_reorder"
    for order, said in (([third, third], "Must supply unique resource_ids"), ("x", "Must be a list of resource"),
                        (["no-such-id"], "resource_id no-such-id can not be found")):
        with pytest.raises(ValidationError) as refused:
            ck.action.package_resource_reorder(id="active-a-3", order=order)
        assert refused.value.error_dict["order"] == [said]
    with pytest.raises(NotAuthorized):
        _ckan(live, world, "editor_b").action.package_resource_reorder(id="active-a-3", order=[first])
    assert [r["id"] for r in ck.action.package_show(id="active-a-3")["resources"]] == [third, first, second]
    # ckanapi's read-modify-write with the resources reordered: the order it sends is kept (it was dropped as no change)
    pkg = ck.action.package_show(id="active-a-3")
    pkg["resources"].reverse()
    assert [r["id"] for r in ck.action.package_update(**pkg)["resources"]] == [second, first, third]
    assert [r["id"] for r in ck.action.package_show(id="active-a-3")["resources"]] == [second, first, third]


def test_user_show_without_an_id_is_the_tokens_own_account(app, live, world):
    me = _ckan(live, world, "editor_a").action.user_show()
    assert me["email"] == world.emails["editor_a"] and me["sysadmin"] is False
    assert _ckan(live, world, "editor_a").action.user_show(id=me["id"]) == me
    assert _ckan(live, world, "sysadmin").action.user_show()["sysadmin"] is True
    with pytest.raises(ValidationError):  # no token, no account named
        _ckan(live, world).action.user_show()


# --------------------------------------------------------------------------- ckanext-dcat's actions


def test_dcat_actions_as_ckanext_dcat_answers_them(app, live, world):
    from rdflib import RDF, Graph, Literal, Namespace, URIRef

    dcat, dct, hydra = (Namespace("http://www.w3.org/ns/dcat#"), Namespace("http://purl.org/dc/terms/"),
                        Namespace("http://www.w3.org/ns/hydra/core#"))
    public = _ckan(live, world)
    text = public.action.dcat_dataset_show(id="active-a-1", format="ttl")
    graph = Graph().parse(data=text, format="turtle")
    [ds] = graph.subjects(RDF.type, dcat.Dataset)
    assert Literal("Published by A 1", lang=None) in {Literal(str(t)) for t in graph.objects(ds, dct.title)}
    # RDF/XML by default, and the same graph as the dataset's own address gives
    xml = Graph().parse(data=public.action.dcat_dataset_show(id="active-a-1"), format="xml")
    page = Graph().parse(data=requests.get(f"{live.url}/dataset/active-a-1.ttl", timeout=30).text, format="turtle")
    assert len(xml) == len(graph) == len(page)
    # a draft: to its publisher's people only, as package_show
    with pytest.raises(NotFound):
        public.action.dcat_dataset_show(id=world.draft_a)
    assert "Draft of A" in _ckan(live, world, "editor_a").action.dcat_dataset_show(id=world.draft_a, format="nt")
    with pytest.raises(ValidationError) as refused:
        public.action.dcat_dataset_show(id="active-a-1", format="pdf")
    assert "format" in refused.value.error_dict
    # a catalog page: the published datasets package_search finds, with ckanext-dcat's hydra paging
    graph = Graph().parse(data=public.action.dcat_catalog_show(format="jsonld"), format="json-ld")
    assert len(set(graph.subjects(RDF.type, dcat.Dataset))) == 4
    [paged] = graph.subjects(RDF.type, hydra.PagedCollection)
    assert int(next(graph.objects(paged, hydra.totalItems))) == 4
    assert "dcat_catalog_show" in str(paged) and isinstance(paged, URIRef)
    graph = Graph().parse(data=public.action.dcat_catalog_search(q="published", fq="organization:agency-a",
                                                                 format="ttl"), format="turtle")
    assert len(set(graph.subjects(RDF.type, dcat.Dataset))) == 3
    assert len(set(Graph().parse(data=public.action.dcat_catalog_show(
        format="ttl", modified_since="2999-01-01T00:00:00Z"), format="turtle").subjects(RDF.type, dcat.Dataset))) == 0
    for bad in ({"page": "0"}, {"modified_since": "last week"}):
        with pytest.raises(ValidationError):
            public.action.dcat_catalog_show(**bad)


def test_group_update_of_an_organization_as_ckanapi_load_upload_logo_sends_it(app, live, world, tmp_path):
    """`ckanapi load organizations --upload-logo` writes each organization, then sends its logo by group_update
    (CKAN's organizations are groups): an address as `image_upload`'s text, an uploaded logo as a file part. It was
    "Group not found", and the load stopped."""
    admin_a = _ckan(live, world, "admin_a")
    org = admin_a.action.group_update(id="agency-a", image_upload="https://example.gov/a-logo.png",
                                      image_url="https://example.gov/a-logo.png", clear_upload=True)
    assert org["name"] == "agency-a" and org["image_url"] == "https://example.gov/a-logo.png"
    assert org["title"] == "Agency A"  # a patch: what it does not send stays
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    with logo.open("rb") as fh:  # a dump's uploaded logo: taken by its address on the portal it comes from
        org = admin_a.call_action("group_update", {
            "id": "agency-a", "image_url": "2019-logo.png", "is_organization": "True", "type": "organization",
            "image_display_url": "https://old.example.gov/uploads/group/2019-logo.png"},
            files={"image_upload": ("logo.png", fh)})
    assert org["image_url"] == "https://old.example.gov/uploads/group/2019-logo.png"
    with pytest.raises(NotAuthorized):  # an organization's admin's, as organization_patch
        _ckan(live, world, "editor_a").action.group_update(id="agency-a", image_url="https://example.gov/x.png")
    # a dump of the organization loaded by ckanapi's command, with --upload-logo
    dump = tmp_path / "orgs.jsonl"
    shown = _ckan(live, world, "sysadmin").action.organization_show(id="agency-b", include_users=False)
    dump.write_text(json.dumps({**shown, "image_url": "https://example.gov/b-logo.png",
                                "image_display_url": "https://example.gov/b-logo.png"}) + "\n")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "ckanapi"), "load", "organizations", "-I", str(dump), "--upload-logo",
                           "-r", live.url, "-a", world.tokens["sysadmin"]], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert _ckan(live, world).action.organization_show(id="agency-b")["image_url"] == "https://example.gov/b-logo.png"


# --------------------------------------------------------------------------- API tokens


def test_api_tokens_made_listed_and_revoked_as_ckan_scripts_rotate_them(app, live, world):
    editor_a, editor_b, public = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b"), _ckan(live, world)
    sysadmin = _ckan(live, world, "sysadmin")
    me = editor_a.action.user_show()["id"]
    made = editor_a.action.api_token_create(user=me, name="rotation")
    assert set(made) == {"token"}
    rotated = RemoteCKAN(live.url, apikey=made["token"])
    assert rotated.action.user_show()["id"] == me  # the new token is the account's
    listed = editor_a.action.api_token_list(user_id=me)
    assert [t["name"] for t in listed] == ["tests", "rotation"]
    assert all(set(t) == {"id", "name", "user_id", "created_at", "last_access", "plugin_extras"} for t in listed)
    assert listed[1]["user_id"] == me and listed[1]["last_access"] and listed[1]["plugin_extras"] is None
    assert made["token"] not in json.dumps(listed)  # kept hashed: never shown again
    assert [t["id"] for t in editor_a.action.api_token_list(user=world.emails["editor_a"])] == [
        t["id"] for t in listed]  # CKAN 2.9's `user`, and an account named by its address
    # an expiry, as CKAN's expire_api_token plugin takes it: expires_in units of `unit` seconds
    hour = editor_a.action.api_token_create(user=me, name="an hour", expires_in=1, unit=3600)["token"]
    [entry] = [t for t in editor_a.action.api_token_list(user_id=me) if t["name"] == "an hour"]
    exp = entry["plugin_extras"]["expire_api_token"]["exp"]
    assert 3500 < exp - dt.datetime.now(dt.UTC).timestamp() <= 3600
    for params, key, said in (({"user": me}, "name", "Missing value"), ({"name": "x"}, "user", "Missing value"),
                              ({"user": me, "name": "x", "expires_in": 2}, "unit", "Missing value"),
                              ({"user": me, "name": "x", "expires_in": 0, "unit": 60}, "expires_in",
                               "Must be a positive integer")):
        with pytest.raises(ValidationError) as refused:
            editor_a.action.api_token_create(**params)
        assert refused.value.error_dict[key] == [said]
    # another account's tokens: an Authorization Error, whether or not the account exists; the public none either
    for ck in (editor_b, public):
        for call in (lambda c: c.action.api_token_create(user=me, name="x"),
                     lambda c: c.action.api_token_list(user_id=me),
                     lambda c: c.action.api_token_list(user_id="987654"),
                     lambda c: c.action.api_token_revoke(jti=entry["id"])):
            with pytest.raises(NotAuthorized):
                call(ck)
    # a sysadmin manages anyone's, and is told of an account nobody has
    for_b = sysadmin.action.api_token_create(user=world.emails["editor_b"], name="for B")["token"]
    assert RemoteCKAN(live.url, apikey=for_b).action.user_show()["email"] == world.emails["editor_b"]
    assert [t["name"] for t in sysadmin.action.api_token_list(user_id=world.emails["editor_b"])] == ["tests", "for B"]
    with pytest.raises(NotFound):
        sysadmin.action.api_token_create(user="987654", name="x")
    # revoked by the token itself: it opens nothing from the next request on, and is listed no more
    assert editor_a.action.api_token_revoke(token=made["token"]) is None
    with pytest.raises(NotAuthorized):
        rotated.action.api_token_list(user_id=me)
    with pytest.raises(NotAuthorized):
        rotated.action.package_patch(id="active-a-1", notes="with a revoked token")
    assert [t["name"] for t in editor_a.action.api_token_list(user_id=me)] == ["tests", "an hour"]
    # by its id (CKAN's jti); again: nothing to do
    with pytest.raises(NotAuthorized):
        editor_b.action.api_token_revoke(jti=entry["id"])
    assert RemoteCKAN(live.url, apikey=hour).action.user_show()["id"] == me
    editor_a.action.api_token_revoke(jti=entry["id"])
    editor_a.action.api_token_revoke(jti=entry["id"])
    with pytest.raises(NotAuthorized):
        RemoteCKAN(live.url, apikey=hour).action.user_show(id=me)
    assert [t["name"] for t in editor_a.action.api_token_list(user_id=me)] == ["tests"]
    with pytest.raises(ValidationError) as refused:
        editor_a.action.api_token_revoke()
    assert refused.value.error_dict["token"] == ["Missing value"]
    sysadmin.action.api_token_revoke(token=for_b)  # a sysadmin revokes anyone's
    with pytest.raises(NotAuthorized):
        RemoteCKAN(live.url, apikey=for_b).action.user_show(id=world.emails["editor_b"])
    # each one made and revoked is in the audit log, with the door it came by
    with app.extensions["opendata"]["sessionmaker"]() as s:
        events = [(e.action, e.detail["name"], e.detail["via"]) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "api_token").order_by(AuditEvent.id))]
    assert events == [("token.create", "rotation", "ckan_action"), ("token.create", "an hour", "ckan_action"),
                      ("token.create", "for B", "ckan_action"), ("token.revoke", "rotation", "ckan_action"),
                      ("token.revoke", "an hour", "ckan_action"), ("token.revoke", "for B", "ckan_action")]


# --------------------------------------------------------------------------- who follows what


def test_follower_lists_to_sysadmins_and_followee_lists_to_the_account_itself(app, live, world):
    editor_a, editor_b, public = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b"), _ckan(live, world)
    sysadmin, admin_a = _ckan(live, world, "sysadmin"), _ckan(live, world, "admin_a")
    a_id, b_id = editor_a.action.user_show()["id"], editor_b.action.user_show()["id"]
    editor_a.action.follow_dataset(id="active-a-1")
    editor_a.action.follow_group(id="agency-a")
    editor_b.action.follow_dataset(id="active-a-1")
    # who follows: to sysadmins only, as CKAN 2.10's, named by account numbers, never an address
    followers = sysadmin.action.dataset_follower_list(id="active-a-1")
    assert [u["id"] for u in followers] == [a_id, b_id] and not any("email" in u for u in followers)
    assert [u["id"] for u in sysadmin.action.organization_follower_list(id="agency-a")] == [a_id]
    assert sysadmin.action.dataset_follower_list(id="active-a-2") == []
    for ck in (public, editor_a, admin_a):
        with pytest.raises(NotAuthorized):
            ck.action.dataset_follower_list(id="active-a-1")
        with pytest.raises(NotAuthorized):
            ck.action.organization_follower_list(id="agency-a")
    with pytest.raises(ValidationError) as refused:
        sysadmin.action.dataset_follower_list(id="no-such-dataset")
    assert refused.value.error_dict["id"] == ["Not found: Dataset"]
    # CKAN 2.10's group_follower_list (an organization is a group) and user_follower_list: sysadmins only too
    assert [u["id"] for u in sysadmin.action.group_follower_list(id="agency-a")] == [a_id]
    assert sysadmin.action.group_follower_list(id="agency-b") == []
    assert sysadmin.action.group_follower_list(id="TRAN") == []  # a theme: not followed here
    assert sysadmin.action.user_follower_list(id=a_id) == []  # accounts are not followed here
    assert sysadmin.action.user_follower_list(id=world.emails["editor_b"]) == []
    for name, ref, said in (("group_follower_list", "no-such-group", "Not found: Group"),
                            ("user_follower_list", "987654", "Not found: User")):
        with pytest.raises(ValidationError) as refused:
            sysadmin.call_action(name, {"id": ref})
        assert refused.value.error_dict["id"] == [said]
        for ck in (public, editor_a, admin_a):
            with pytest.raises(NotAuthorized):
                ck.call_action(name, {"id": ref})
    for ck in (public, editor_a, admin_a):
        with pytest.raises(NotAuthorized):
            ck.action.group_follower_list(id="agency-a")
        with pytest.raises(NotAuthorized):
            ck.action.user_follower_list(id=a_id)
    # what an account follows: to itself and sysadmins, by display name
    for ck in (editor_a, sysadmin):
        found = ck.action.followee_list(id=a_id)
        assert [(f["type"], f["display_name"]) for f in found] == [("organization", "Agency A"),
                                                                   ("dataset", "Published by A 1")]
        assert found[1]["dict"]["name"] == "active-a-1" and found[0]["dict"]["name"] == "agency-a"
        assert ck.action.followee_count(id=a_id) == 2
        assert [p["name"] for p in ck.action.dataset_followee_list(id=a_id)] == ["active-a-1"]
        assert [o["name"] for o in ck.action.organization_followee_list(id=a_id)] == ["agency-a"]
        assert ck.action.group_followee_list(id=a_id) == [] and ck.action.user_followee_list(id=a_id) == []
    assert [f["display_name"] for f in editor_a.action.followee_list(id=world.emails["editor_a"], q="publ")] == [
        "Published by A 1"]
    for ck in (public, editor_b):
        for name in ("followee_list", "followee_count", "dataset_followee_list", "organization_followee_list"):
            with pytest.raises(NotAuthorized):
                ck.call_action(name, {"id": a_id})
    with pytest.raises(ValidationError) as refused:
        sysadmin.action.followee_count(id="987654")
    assert refused.value.error_dict["id"] == ["Not found: User"]
    # withdrawn: gone from the lists of whoever may no longer see it; its publisher's people see it as deleted
    admin_a.action.package_delete(id="active-a-1")
    assert editor_b.action.dataset_followee_list(id=b_id) == [] and editor_b.action.followee_count(id=b_id) == 0
    [pkg] = editor_a.action.dataset_followee_list(id=a_id)
    assert pkg["name"] == "active-a-1" and pkg["state"] == "deleted"


# --------------------------------------------------------------------------- deleted datasets, package_list


def test_include_deleted_gives_withdrawn_datasets_to_their_publishers_people(app, live, world):
    editor_a, editor_b, public = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b"), _ckan(live, world)
    sysadmin = _ckan(live, world, "sysadmin")
    editor_a.action.package_delete(id="active-a-2")  # withdrawn: CKAN's deleted state
    live_names = sorted(set(PUBLISHED) - {"active-a-2"})
    for ck in (public, editor_b):  # nobody else learns of it
        found = ck.action.package_search(include_deleted=True, rows=50)
        assert sorted(p["name"] for p in found["results"]) == live_names and found["count"] == 3
    found = editor_a.action.package_search(include_deleted=True, rows=50, sort="name asc",
                                           **{"facet.field": '["organization"]'})
    assert [p["name"] for p in found["results"]] == sorted([*live_names, "active-a-2"])
    assert found["count"] == 4 and found["facets"]["organization"] == {"agency-a": 4}
    withdrawn = next(p for p in found["results"] if p["name"] == "active-a-2")
    assert withdrawn["state"] == "deleted" and withdrawn["private"] is False
    assert [p["name"] for p in editor_a.action.package_search(rows=50, sort="name asc")["results"]] == live_names
    assert [p["name"] for p in editor_a.action.package_search(q="published", include_deleted=True, rows=50,
                                                              sort="name asc")["results"]] == [
        "active-a-1", "active-a-2", "active-a-3"]
    everything = sysadmin.action.package_search(include_deleted="true", include_drafts="true", rows=50, sort="name asc")
    assert [p["name"] for p in everything["results"]] == sorted([*PUBLISHED, "draft-a", "draft-b"])
    # package_show: to its publisher's people as deleted, as CKAN shows a deleted dataset to its organization's members
    assert editor_a.action.package_show(id="active-a-2")["state"] == "deleted"
    for ck in (public, editor_b):
        with pytest.raises(NotFound):
            ck.action.package_show(id="active-a-2")
    # package_list: the published datasets only, as CKAN lists its active public ones, whoever asks
    for ck in (public, editor_a, sysadmin):
        assert ck.action.package_list() == live_names
    assert public.action.package_list(limit=1, offset=1) == live_names[1:2]


def test_include_deleted_ranks_withdrawn_datasets_among_the_others_in_one_order(app, live, world):
    """The withdrawn datasets are searched where the published ones are (the index holds them), filtered by who may
    read them: one relevance order. They were indexed again beside it for each call (0.3 ms of CPU a dataset: 0.6 s
    at 2,000 withdrawn) and put first, whatever their relevance."""
    editor_a, editor_b = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b")
    notes = "A register of road works. " * 40 + "Once harvested, now kept here."  # a weak match for "harvested"
    editor_a.action.package_patch(id="active-a-3", notes=notes)
    editor_a.action.package_delete(id="active-a-3")
    found = editor_a.action.package_search(q="harvested", include_deleted=True)
    assert [p["name"] for p in found["results"]] == ["harvested-a", "active-a-3"] and found["count"] == 2
    assert [p["state"] for p in found["results"]] == ["active", "deleted"]
    assert [p["name"] for p in editor_b.action.package_search(q="harvested", include_deleted=True)["results"]] == [
        "harvested-a"]
    both = editor_a.action.package_search(fq="organization:agency-a", include_deleted=True, include_drafts=True,
                                          rows=50, sort="name asc", **{"facet.field": '["organization"]'})
    assert [p["name"] for p in both["results"]] == ["active-a-1", "active-a-2", "active-a-3", "draft-a",
                                                    "harvested-a"]
    assert both["count"] == 5 and both["facets"]["organization"] == {"agency-a": 5}


def test_include_private_ranks_drafts_among_the_published_in_one_order(app, live, world):
    """The drafts too are in the index, found by the searches of those who may read them: by relevance they take
    their place among the published ones (they came first, whatever they matched, from an index made beside it for
    each call: 0.4 ms of CPU a draft, 0.8 s for a sysadmin with 2,000)."""
    editor_a, editor_b = _ckan(live, world, "editor_a"), _ckan(live, world, "editor_b")
    notes = "A register of road works. " * 40 + "To be harvested, later."  # a weak match for "harvested"
    editor_a.action.package_patch(id="draft-a", notes=notes)
    for ck in (editor_a, _ckan(live, world, "sysadmin")):
        found = ck.action.package_search(q="harvested", include_private=True)
        assert [p["name"] for p in found["results"]] == ["harvested-a", "draft-a"] and found["count"] == 2
    assert [p["name"] for p in editor_b.action.package_search(q="harvested", include_private=True)["results"]] == [
        "harvested-a"]
    assert [p["name"] for p in _ckan(live, world).action.package_search(q="harvested", include_private=True)[
        "results"]] == ["harvested-a"]


# --------------------------------------------------------------------------- config_option_update


def test_config_option_update_is_ckans_refusal_of_an_option_it_cannot_update(app, live, world):
    sysadmin = _ckan(live, world, "sysadmin")
    title = sysadmin.action.status_show()["site_title"]
    for options, said in (({"ckan.site_title": "Renamed"}, "'ckan.site_title'"),
                          ({"ckan.site_title": "Renamed", "ckan.site_about": "x"}, "'ckan.site_about ckan.site_title'"),
                          ({"sqlalchemy.url": "sqlite://"}, "'sqlalchemy.url'")):
        with pytest.raises(ValidationError) as refused:
            sysadmin.call_action("config_option_update", options)
        assert refused.value.error_dict == {"__type": "Validation Error",
                                            "message": f"Configuration option(s) {said} can not be updated"}
    assert sysadmin.action.status_show()["site_title"] == title
    assert sysadmin.action.config_option_show(key="ckan.site_title") == title
    assert sysadmin.action.config_option_update() == {}  # nothing asked, nothing changed
    # what config_option_list names, config_option_update takes (it named ten options, each refused)
    listed = sysadmin.action.config_option_list()
    shown = {key: sysadmin.action.config_option_show(key=key) for key in listed}
    assert sysadmin.call_action("config_option_update", shown) == shown
    for who in (None, "admin_a"):
        with pytest.raises(NotAuthorized):
            _ckan(live, world, who).call_action("config_option_update", {"ckan.site_title": "Renamed"})
