"""The CKAN door's writes read what a client sends by the rules of the other doors (one gate, docs/api.md):

- a resource added with its `url` alone (package_create's, a new one in package_update or package_patch) is a link to
  that file, its download URL and its access URL, as resource_create, REST and the publish page make a link; a harvest
  of another portal still reads such a url as the access URL (catalog_schema.ckan.from_ckan, unchanged);
- a plain `title`, `notes`, or a resource's `name` and `description` says no language, and is kept under the language
  map's key "" at every action (resource_create, _update and _patch kept it under "en", a language the client never
  said, which package_show and DCAT then published as English);
- resource_patch with a new `url` alone keeps the resource's format and media type, as CKAN's patch keeps every key
  it is not sent (they were lost whenever the new address named no format); resource_update replaces the resource,
  as CKAN's does.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.services import distributions
from app.services.context import Actor
from catalog_schema.models import Dataset, User
from catalog_schema.store import to_record
from tests.support.publishing import build_world

EXPORT = "http://127.0.0.1:9/api/export?id="  # an API's export: its address names no format
PAGE = "http://127.0.0.1:9/portal/population"  # a landing page


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _call(client, world, action: str, body: dict, status: int = 200) -> dict:
    resp = client.post(f"/api/3/action/{action}", headers={"Authorization": world.tokens["editor_a"]}, json=body)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()["result"]


def _files(app, slug: str) -> list[dict]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(s.scalar(select(Dataset).where(Dataset.slug == slug)))["distributions"]


def _dataset(app, slug: str) -> dict:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(s.scalar(select(Dataset).where(Dataset.slug == slug)))


# --------------------------------------------------------------------------- a resource's url


@pytest.mark.parametrize("action", ["package_update", "package_patch"])
def test_a_resource_added_with_its_url_alone_is_a_link_to_that_file(app, client, world, action):
    """package_create, and package_update or package_patch adding a resource: the url alone is the file's address,
    its download and access URL (it was the access URL only, the download URL unknown, where resource_create sets
    both). An access URL the client said as one stays one, and a resource sent back as package_show gave it is not
    read anew."""
    _call(client, world, "package_create", {
        "name": "links", "title": "Links", "owner_org": "agency-a", "state": "draft",
        "resources": [{"url": PAGE, "access_url": PAGE, "name": "Portal page"}, {"url": f"{EXPORT}1", "name": "One"}]})
    assert [(f["access_url"], f["download_url"]) for f in _files(app, "links")] == [
        (PAGE, None), (f"{EXPORT}1", f"{EXPORT}1")]
    shown = _call(client, world, "package_show", {"id": "links"})
    resources = [*shown["resources"], {"url": f"{EXPORT}2", "name": "Two"}]
    if action == "package_update":
        _call(client, world, action, {**shown, "resources": resources})
    else:
        _call(client, world, action, {"id": "links", "resources": resources})
    assert [(f["access_url"], f["download_url"]) for f in _files(app, "links")] == [
        (PAGE, None), (f"{EXPORT}1", f"{EXPORT}1"), (f"{EXPORT}2", f"{EXPORT}2")]
    again = _call(client, world, "package_show", {"id": "links"})["resources"]
    assert [(r["url"], r.get("access_url"), r.get("download_url")) for r in again] == [
        (PAGE, PAGE, None), (f"{EXPORT}1", f"{EXPORT}1", f"{EXPORT}1"), (f"{EXPORT}2", f"{EXPORT}2", f"{EXPORT}2")]


# --------------------------------------------------------------------------- texts in no language

NAME, DESCRIPTION = "各区人口", "按区统计的常住人口"


@pytest.mark.parametrize("action", ["package_create", "resource_create", "resource_update", "resource_patch"])
def test_a_plain_name_and_description_are_kept_in_no_language(app, client, world, action):
    """The same plain texts, sent by any write, are kept under "" (no language said): package_show gives them as
    `name` and `description` alone, with no `name_translated` calling them English, and DCAT as untagged literals
    (resource_create, _update and _patch kept them under "en": "各区人口"@en)."""
    texts = {"name": NAME, "description": DESCRIPTION}
    first = {"url": f"{EXPORT}1", **(texts if action == "package_create" else {"name": "x"})}
    made = _call(client, world, "package_create", {"name": "people", "title": "常住人口", "notes": "人口统计",
                                                   "owner_org": "agency-a", "resources": [first]})
    if action == "resource_create":
        _call(client, world, action, {"package_id": "people", "url": f"{EXPORT}2", **texts})
    elif action == "resource_update":
        _call(client, world, action, {"id": made["resources"][0]["id"], "url": f"{EXPORT}1", **texts})
    elif action == "resource_patch":
        _call(client, world, action, {"id": made["resources"][0]["id"], **texts})
    rec = _dataset(app, "people")
    assert (rec["title"], rec["description"]) == ({"": "常住人口"}, {"": "人口统计"})
    file = rec["distributions"][-1]
    assert (file["title"], file["description"]) == ({"": NAME}, {"": DESCRIPTION})
    shown = _call(client, world, "package_show", {"id": "people"})["resources"][-1]
    assert (shown["name"], shown["description"]) == (NAME, DESCRIPTION)
    assert "name_translated" not in shown and "description_translated" not in shown
    triples = client.get("/dataset/people.nt").get_data(as_text=True)
    assert f'"{NAME}" .' in triples and f'"{NAME}"@' not in triples and f'"{DESCRIPTION}"@' not in triples


def test_texts_kept_in_a_language_before_are_read_and_replaced(app, client, world):
    """Texts kept before under "en" (resource_create's, until now) or under a language the page or REST gave: a
    patch of `name` changes the text of the language package_show showed it in; resource_update, which replaces
    the resource, replaces it with the text sent, in no language (it was added beside the old one, which then
    stayed what a reader of that language saw)."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == world.emails["editor_a"]))
        ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
        english = distributions.add_link(Actor(s, editor, "test", lang="en"), ds, f"{EXPORT}1", title="Old name").id
        chinese = distributions.add_link(Actor(s, editor, "test", lang="zh"), ds, f"{EXPORT}2", title="旧名").id
    _call(client, world, "resource_patch", {"id": english, "name": "New name"})
    _call(client, world, "resource_update", {"id": chinese, "url": f"{EXPORT}2", "name": "新名"})
    assert [f["title"] for f in _files(app, world.draft_a)] == [{"en": "New name"}, {"": "新名"}]
    shown = _call(client, world, "package_show", {"id": world.draft_a})["resources"]
    assert [r["name"] for r in shown] == ["New name", "新名"]
    assert shown[0]["name_translated"] == {"en": "New name"} and "name_translated" not in shown[1]


# --------------------------------------------------------------------------- a new url: patch and update


def test_resource_patch_with_a_new_url_keeps_the_format_and_media_type(app, client, world):
    """resource_patch sent a new `url` alone: the resource keeps its format and media type, as CKAN's patch keeps
    what it is not sent (a new address that names no format lost both). resource_update replaces the resource with
    the dict sent, as CKAN's does: a format and mimetype it leaves out are not kept, the new address's own
    (none for an API's export) taken."""
    made = _call(client, world, "resource_create", {"package_id": world.draft_a, "url": f"{EXPORT}1",
                                                    "name": "Export", "mimetype": "application/json"})
    assert (made["format"], made["mimetype"]) == ("JSON", "application/json")
    for n, url in enumerate((f"{EXPORT}2", "http://127.0.0.1:9/table.csv")):
        patched = _call(client, world, "resource_patch", {"id": made["id"], "url": url})
        assert (patched["url"], patched["format"], patched.get("mimetype")) == (url, "JSON", "application/json"), n
        file, = _files(app, world.draft_a)
        assert (file["access_url"], file["download_url"], file["format"], file["media_type"]) == (
            url, url, "JSON", "application/json")
    # with a format (or a mimetype) sent, that is the file's
    patched = _call(client, world, "resource_patch", {"id": made["id"], "url": f"{EXPORT}3", "format": "CSV"})
    assert (patched["format"], patched["mimetype"]) == ("CSV", "text/csv")
    updated = _call(client, world, "resource_update", {"id": made["id"], "url": f"{EXPORT}4", "name": "Export"})
    assert (updated["url"], updated["format"], updated.get("mimetype")) == (f"{EXPORT}4", "", None)


# --------------------------------------------------------------------------- a new link's format and media type

NEW_LINKS = [
    {"url": "http://127.0.0.1:9/table.csv", "name": "By its address"},  # the address names the format
    {"url": f"{EXPORT}1", "name": "Said CSV", "format": "CSV"},  # a format said: its media type
    {"url": f"{EXPORT}2", "name": "Said JSON", "mimetype": "application/json"},  # a media type said: its format
    {"url": f"{EXPORT}3", "name": "Said nothing"},  # nothing to go by: none
    {"url": f"{EXPORT}4.csv", "name": "Said its own", "format": "comma separated"},  # kept as said, no guess
]


def _kinds(files: list[dict]) -> list[tuple]:
    return [(f["format"], f.get("format_raw"), f["media_type"]) for f in files]


def test_a_new_link_gets_the_same_format_and_media_type_at_every_ckan_action(app, client, world):
    """A resource package_create (or package_update, adding one) makes gets the format its address names and its
    format's media type as resource_create's link does (the one rule of the services): package_create's link to
    table.csv had no format at all and a CSV said had no media type, where resource_create gave CSV and text/csv. A
    resource already there keeps what it has: a link whose format was left empty is not given one by a later update."""
    for res in NEW_LINKS:
        _call(client, world, "resource_create", {"package_id": world.draft_a, **res})
    one_by_one = _kinds(_files(app, world.draft_a))
    assert one_by_one == [("CSV", None, "text/csv"), ("CSV", "CSV", "text/csv"), ("JSON", None, "application/json"),
                          (None, None, None), (None, "comma separated", None)]
    _call(client, world, "package_create", {"name": "at-once", "title": "At once", "owner_org": "agency-a",
                                            "state": "draft", "resources": NEW_LINKS})
    assert _kinds(_files(app, "at-once")) == one_by_one
    _call(client, world, "package_create", {"name": "added-later", "title": "Added later", "owner_org": "agency-a",
                                            "state": "draft", "resources": NEW_LINKS[3:4]})
    shown = _call(client, world, "package_show", {"id": "added-later"})
    _call(client, world, "package_update", {**shown, "resources": [*shown["resources"], NEW_LINKS[0]]})
    assert _kinds(_files(app, "added-later")) == [one_by_one[3], one_by_one[0]]
    _call(client, world, "package_patch", {"id": "added-later", "resources": [
        *_call(client, world, "package_show", {"id": "added-later"})["resources"], NEW_LINKS[1]]})
    assert _kinds(_files(app, "added-later")) == [one_by_one[3], one_by_one[0], one_by_one[1]]


# --------------------------------------------------------------------------- a package sent back as it was


@pytest.mark.parametrize("action", ["package_update", "package_patch"])
def test_a_package_sent_back_as_package_show_gave_it_changes_nothing(app, client, world, action):
    """ckanapi's read-modify-write sends the whole package back: what the client did not change stays as it was.
    It changed three things no one had asked for: the package `id` became the dataset's `identifier` (published as
    dct:identifier, which a dataset made on the page has not), every file's format shown ("CSV") became what its source
    said (`format_raw`), and empty `ckan` extras were stored. Only the field edited changes."""
    _call(client, world, "resource_create", {"package_id": world.draft_a, "url": "http://127.0.0.1:9/t.csv",
                                             "name": "Table"})
    before = _dataset(app, world.draft_a)
    shown = _call(client, world, "package_show", {"id": world.draft_a})
    _call(client, world, action, shown if action == "package_update" else {"id": world.draft_a, **shown})
    assert _dataset(app, world.draft_a) == before
    edited = _call(client, world, "package_show", {"id": world.draft_a})
    edited["notes"] = "Edited."
    _call(client, world, action, edited)
    after = _dataset(app, world.draft_a)
    assert {k for k in set(before) | set(after) if before.get(k) != after.get(k)} == {"description"}


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/stops.csv", "stops on the portal", "javascript:alert(1)"])
def test_a_resource_whose_url_is_no_http_url_is_refused_at_every_package_action(app, client, world, url):
    """package_create and package_update took any `url` for a resource ("javascript:alert(1)" was stored as a file's
    address), where resource_create, the REST API and the page take an http(s) URL only (fields.file_url, in
    check_record): a Validation Error naming resources[<n>].url, nothing created or changed."""
    made = client.post("/api/3/action/package_create", headers={"Authorization": world.tokens["editor_a"]},
                       json={"name": "odd-url", "owner_org": "agency-a", "state": "draft",
                             "resources": [{"url": "http://127.0.0.1:9/ok.csv"}, {"url": url}]})
    assert made.status_code == 409, made.get_json()
    error = made.get_json()["error"]
    assert error["__type"] == "Validation Error" and "resources[1].url" in error["message"], error
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(Dataset.id).where(Dataset.slug == "odd-url")) is None
    _call(client, world, "resource_create", {"package_id": world.draft_a, "url": "http://127.0.0.1:9/ok.csv"})
    shown = _call(client, world, "package_show", {"id": world.draft_a})
    shown["resources"][0]["url"] = url
    before = _dataset(app, world.draft_a)
    changed = client.post("/api/3/action/package_update", headers={"Authorization": world.tokens["editor_a"]},
                          json=shown)
    assert changed.status_code == 409 and "resources[0].url" in changed.get_json()["error"]["message"]
    assert _dataset(app, world.draft_a) == before
