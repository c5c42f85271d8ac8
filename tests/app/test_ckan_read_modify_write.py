"""ckanapi's read-modify-write cycle through the CKAN Action API: `pkg = package_show(...)`, one key edited,
`package_update(**pkg)`. package_show gives some fields under two keys (a resource's `url` and its `download_url` or
`access_url`, `format` and `mimetype`, `title` and `title_translated`, `license_id` and `license_title` /
`license_url`, a package's `groups` and its `theme` extra); the key the client changed wins over the one it sent back
as it was, and two changed keys that say different things are a Validation Error naming both (the old value won,
silently). resource_update and resource_patch take an edited `mimetype`."""

from __future__ import annotations

import json

import ckanapi
import pytest
from ckanapi.errors import ValidationError
from sqlalchemy import select

from catalog_schema.models import Dataset
from tests.support.publishing import build_world


class _FlaskTestApp:
    """What ckanapi's TestAppCKAN asks of a paste TestApp (`post` answering `status` and `body`), over Flask's
    test client: ckanapi's own request and error handling against the app, with no server."""

    class _Answer:
        def __init__(self, resp):
            self.status, self.body = resp.status_code, resp.get_data()

    def __init__(self, client):
        self.client = client

    def post(self, url, params=None, headers=None, expect_errors=False):
        return self._Answer(self.client.post(url, data=params, headers=headers or {}))


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


@pytest.fixture
def ck(client, world):
    return ckanapi.TestAppCKAN(_FlaskTestApp(client), apikey=world.tokens["editor_a"])


def _two_urls(ck) -> dict:
    """A published dataset whose resource has a page (access URL) and a file (download URL): package_show gives
    `url` (the file) and both `access_url` and `download_url`."""
    made = ck.action.package_create(name="two-urls", title="Two URLs", owner_org="agency-a", license_id="cc-by",
                                    resources=[{"name": "Table", "url": "http://127.0.0.1:9/table.csv",
                                                "access_url": "http://127.0.0.1:9/page",
                                                "download_url": "http://127.0.0.1:9/table.csv",
                                                "format": "CSV", "mimetype": "text/csv"}])
    res = made["resources"][0]
    assert (res["url"], res["download_url"], res["access_url"]) == (
        "http://127.0.0.1:9/table.csv", "http://127.0.0.1:9/table.csv", "http://127.0.0.1:9/page")
    return made


def _stored_urls(app, slug: str) -> list[tuple[str | None, str | None]]:
    """(access URL, download URL) of each of a dataset's distributions, as the catalog keeps them."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        return [(d.access_url, d.download_url) for d in ds.distributions]


NEW = "http://127.0.0.1:9/new.csv"
PAGE = "http://127.0.0.1:9/page"


@pytest.mark.parametrize("action", ["package_update", "package_patch"])
def test_a_url_edited_in_package_shows_dict_is_the_resources_url_everywhere(ck, app, client, action):
    """The url edited, `download_url` sent back as it was: the old download URL won (the record, the dataset page
    and DCAT kept it) while package_show echoed the new `url` beside the old `download_url`."""
    _two_urls(ck)
    pkg = ck.action.package_show(id="two-urls")
    pkg["resources"][0]["url"] = NEW
    if action == "package_update":
        ck.action.package_update(**pkg)
    else:
        ck.action.package_patch(id="two-urls", resources=pkg["resources"])
    res = ck.action.package_show(id="two-urls")["resources"][0]
    assert res["url"] == NEW and res.get("download_url", NEW) == NEW
    assert res["access_url"] == PAGE  # the other field, left as it was
    assert _stored_urls(app, "two-urls") == [(PAGE, NEW)]
    page = client.get("/dataset/two-urls").get_data(as_text=True)
    assert NEW in page and "table.csv" not in page


def test_a_download_url_edited_with_the_url_sent_back_as_it_was_is_the_url(ck, app):
    """A resource shown with `url` and `download_url` alone (an address that does not end in a file's extension):
    `download_url` edited, `url` sent back as it was. The old url became the access URL beside the new file."""
    old = "http://127.0.0.1:9/api/table"
    ck.action.package_create(name="one-url", title="One URL", owner_org="agency-a",
                             resources=[{"name": "Table", "url": old, "download_url": old, "format": "CSV"}])
    pkg = ck.action.package_show(id="one-url")
    assert pkg["resources"][0]["download_url"] == old
    pkg["resources"][0]["download_url"] = "http://127.0.0.1:9/api/table-2"
    ck.action.package_update(**pkg)
    res = ck.action.package_show(id="one-url")["resources"][0]
    assert res["url"] == "http://127.0.0.1:9/api/table-2"
    assert old not in (res.get("access_url"), res.get("download_url"))
    assert old not in _stored_urls(app, "one-url")[0]


@pytest.mark.parametrize(("edits", "keys"), [
    ({"url": NEW, "download_url": "http://127.0.0.1:9/other.csv"}, ("url", "download_url")),
    ({"format": "XLSX", "mimetype": "application/json"}, ("format", "mimetype")),
    ({"name": "New name", "name_translated": {"en": "Another name"}}, ("name", "name_translated")),
])
def test_two_keys_of_one_field_both_edited_to_different_values_are_a_validation_error(ck, client, world, edits,
                                                                                       keys):
    _two_urls(ck)
    if "name_translated" in edits:
        ck.action.package_patch(id="two-urls", resources=[{**ck.action.package_show(id="two-urls")["resources"][0],
                                                           "name_translated": {"en": "Table", "zh": "表"}}])
    pkg = ck.action.package_show(id="two-urls")
    before = pkg["resources"][0]
    pkg["resources"][0] = {**before, **edits}
    with pytest.raises(ValidationError) as raised:
        ck.action.package_update(**pkg)
    error = raised.value.error_dict
    assert error["__type"] == "Validation Error"
    assert f"resources[0].{keys[0]}" in error["message"] and f"resources[0].{keys[1]}" in error["message"]
    assert set(keys) <= set(error["resources"][0])
    zh = client.post("/api/3/action/package_update?lang=zh", json=pkg,
                     headers={"Authorization": world.tokens["editor_a"]}).get_json()["error"]
    assert "是同一字段" in zh["message"] and f"resources[0].{keys[0]}" in zh["message"]
    after = ck.action.package_show(id="two-urls")["resources"][0]
    assert {k: after.get(k) for k in keys} == {k: before.get(k) for k in keys}
    # both edited alike: taken
    pkg["resources"][0] = {**before, "url": NEW, "download_url": NEW}
    assert ck.action.package_update(**pkg)["resources"][0]["url"] == NEW


def test_format_and_mimetype_the_edited_one_wins(ck):
    _two_urls(ck)
    pkg = ck.action.package_show(id="two-urls")
    pkg["resources"][0]["mimetype"] = "application/json"
    res = ck.action.package_update(**pkg)["resources"][0]
    assert (res["format"], res["mimetype"]) == ("JSON", "application/json")
    pkg = ck.action.package_show(id="two-urls")
    pkg["resources"][0]["format"] = "XLSX"
    res = ck.action.package_update(**pkg)["resources"][0]
    assert res["format"] == "XLSX" and res.get("mimetype") != "application/json"


def test_a_title_or_name_edited_beside_its_translations_is_the_title(ck, client):
    """`title` (or a resource's `name`, a package's `notes`) edited, `title_translated` sent back as it was: the
    translation won and the edit was lost."""
    ck.action.package_create(name="translated", owner_org="agency-a",
                             title_translated={"en": "Old title", "zh": "旧标题"},
                             notes_translated={"en": "Old notes"},
                             resources=[{"url": NEW, "name_translated": {"en": "Old name", "zh": "旧名"}}])
    pkg = ck.action.package_show(id="translated")
    assert pkg["title"] == "Old title"
    pkg["title"], pkg["notes"], pkg["resources"][0]["name"] = "New title", "New notes", "New name"
    ck.action.package_update(**pkg)
    shown = ck.action.package_show(id="translated")
    assert shown["title"] == "New title" and shown["title_translated"] == {"en": "New title", "zh": "旧标题"}
    assert shown["notes"] == "New notes"
    assert shown["resources"][0]["name"] == "New name"
    assert shown["resources"][0]["name_translated"] == {"en": "New name", "zh": "旧名"}
    assert "New title" in client.get("/dataset/translated").get_data(as_text=True)
    shown["title_translated"] = {"en": "Newer title", "zh": "新标题"}
    again = ck.action.package_update(**shown)
    assert again["title"] == "Newer title"


@pytest.mark.parametrize(("key", "value"), [("license_title", "Open Data Commons Open Database License (ODbL)"),
                                            ("license_url", "http://www.opendefinition.org/licenses/odc-odbl"),
                                            ("license_id", "odc-odbl")])
def test_the_licence_key_edited_wins_over_the_others_sent_back(ck, key, value):
    _two_urls(ck)
    pkg = ck.action.package_show(id="two-urls")
    assert pkg["license_id"] == "cc-by"
    pkg[key] = value
    shown = ck.action.package_update(**pkg)
    assert shown["license_id"] == "odc-odbl" and "Open Database License" in shown["license_title"]
    assert "creativecommons" not in (shown.get("license_url") or "")


def test_resource_update_and_patch_take_an_edited_download_url_and_name(ck, app):
    """resource_update and resource_patch read `url` and `name` only: an edited `download_url` (the `url` sent back
    as resource_show gave it) was dropped, and so was an edited `name_translated`."""
    _two_urls(ck)
    res = ck.action.resource_show(id=ck.action.package_show(id="two-urls")["resources"][0]["id"])
    res["download_url"] = NEW
    res["name_translated"] = {"en": "Table", "zh": "表"}
    shown = ck.action.resource_update(**res)
    assert shown["url"] == NEW and shown["name_translated"] == {"en": "Table", "zh": "表"}
    assert _stored_urls(app, "two-urls")[0][1] == NEW
    other = "http://127.0.0.1:9/other.csv"
    assert ck.action.resource_patch(id=res["id"], download_url=other)["url"] == other
    assert _stored_urls(app, "two-urls")[0][1] == other
    with pytest.raises(ValidationError):
        ck.action.resource_patch(id=res["id"], url=NEW, download_url=PAGE)


# --------------------------------------------------------------------------- themes: `groups` and the `theme` extra

TRAN, ENVI = "http://publications.europa.eu/resource/authority/data-theme/TRAN", \
    "http://publications.europa.eu/resource/authority/data-theme/ENVI"


def _themed(ck, *themes: str) -> dict:
    """A published dataset with these themes (a `theme` extra, as package_show writes it); package_show shows them
    twice: as CKAN groups (`tran`) and as the `theme` extra."""
    made = ck.action.package_create(name="themed", title="Themed", owner_org="agency-a",
                                    extras=[{"key": "theme", "value": json.dumps(list(themes))}],
                                    resources=[{"name": "Table", "url": NEW}])
    assert [g["name"] for g in made["groups"]] == [t.rsplit("/", 1)[-1].lower() for t in themes if "/" in t]
    return made


def _theme_extra(pkg: dict) -> list[str]:
    return json.loads(next(e["value"] for e in pkg["extras"] if e["key"] == "theme"))


def _stored_themes(app, slug: str) -> list[str]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return list(s.scalar(select(Dataset).where(Dataset.slug == slug)).themes or [])


@pytest.mark.parametrize("action", ["package_update", "package_patch"])
def test_a_theme_added_or_removed_through_groups_is_the_datasets_themes(ck, app, client, action):
    """A theme group added (or taken out) with the `theme` extra sent back as it was: the update answered 200 and
    the groups went, silently (the extra, unchanged, was all the catalog read). A theme no group shows (one that is
    no EU data theme) is kept."""
    _themed(ck, TRAN, "Local roads")
    pkg = ck.action.package_show(id="themed")
    pkg["groups"].append({"name": "envi"})
    if action == "package_update":
        ck.action.package_update(**pkg)
    else:
        ck.action.package_patch(id="themed", groups=pkg["groups"])
    shown = ck.action.package_show(id="themed")
    assert [g["name"] for g in shown["groups"]] == ["tran", "envi"]
    assert _theme_extra(shown) == [TRAN, ENVI, "Local roads"]
    assert _stored_themes(app, "themed") == ["TRAN", "ENVI", "Local roads"]
    assert "themed" in {p["name"] for p in ck.action.package_search(fq="groups:envi", rows=100)["results"]}
    shown["groups"] = [g for g in shown["groups"] if g["name"] != "tran"]
    if action == "package_update":
        ck.action.package_update(**shown)
    else:
        ck.action.package_patch(id="themed", groups=shown["groups"])
    again = ck.action.package_show(id="themed")
    assert [g["name"] for g in again["groups"]] == ["envi"] and _theme_extra(again) == [ENVI, "Local roads"]
    assert _stored_themes(app, "themed") == ["ENVI", "Local roads"]


def test_the_theme_extra_edited_with_the_groups_sent_back_is_the_themes(ck, app):
    _themed(ck, TRAN)
    pkg = ck.action.package_show(id="themed")
    pkg["extras"] = [{**e, "value": json.dumps([ENVI])} if e["key"] == "theme" else e for e in pkg["extras"]]
    assert [g["name"] for g in ck.action.package_update(**pkg)["groups"]] == ["envi"]
    assert _stored_themes(app, "themed") == ["ENVI"]


def test_groups_and_the_theme_extra_both_edited_to_different_themes_are_a_validation_error(ck, app, client, world):
    _themed(ck, TRAN)
    pkg = ck.action.package_show(id="themed")
    pkg["groups"] = [{"name": "envi"}]
    pkg["extras"] = [{**e, "value": json.dumps([TRAN, "http://publications.europa.eu/resource/authority/data-theme/"
                                                      "ECON"])} if e["key"] == "theme" else e for e in pkg["extras"]]
    with pytest.raises(ValidationError) as raised:
        ck.action.package_update(**pkg)
    error = raised.value.error_dict
    assert "groups" in error["message"] and "extras[theme]" in error["message"]
    assert {"groups", "extras"} <= set(error)
    zh = client.post("/api/3/action/package_update?lang=zh", json=pkg,
                     headers={"Authorization": world.tokens["editor_a"]}).get_json()["error"]
    assert "是同一字段" in zh["message"] and "groups" in zh["message"]
    assert _stored_themes(app, "themed") == ["TRAN"]
    # both edited alike: taken
    pkg["extras"] = [{**e, "value": json.dumps([ENVI])} if e["key"] == "theme" else e for e in pkg["extras"]]
    assert [g["name"] for g in ck.action.package_update(**pkg)["groups"]] == ["envi"]


@pytest.mark.parametrize("action", ["package_create", "package_update", "package_patch"])
def test_a_group_that_is_no_theme_is_a_validation_error_naming_it(ck, app, action):
    """This catalog's groups are the EU data themes (group_list): another group name was dropped, silently (a
    package_create with nothing but themes as groups lost them all the same way)."""
    if action == "package_create":
        with pytest.raises(ValidationError) as raised:
            ck.action.package_create(name="themed", owner_org="agency-a", groups=[{"name": "tran"},
                                                                                  {"name": "roads-team"}])
        assert "themed" not in ck.action.package_list()
    else:
        _themed(ck, TRAN)
        pkg = ck.action.package_show(id="themed")
        pkg["groups"].append({"name": "roads-team"})
        with pytest.raises(ValidationError) as raised:
            if action == "package_update":
                ck.action.package_update(**pkg)
            else:
                ck.action.package_patch(id="themed", groups=pkg["groups"])
        assert _stored_themes(app, "themed") == ["TRAN"]
    assert "roads-team" in raised.value.error_dict["message"] and "groups" in raised.value.error_dict


def test_package_create_takes_themes_given_as_groups(ck, app):
    made = ck.action.package_create(name="themed", title="Themed", owner_org="agency-a",
                                    groups=[{"name": "tran"}, {"id": "envi"}])
    assert [g["name"] for g in made["groups"]] == ["tran", "envi"]
    assert _stored_themes(app, "themed") == ["TRAN", "ENVI"]


# --------------------------------------------------------------------------- a resource's media type


def _stored_media(app, slug: str) -> tuple[str | None, str | None]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        d = s.scalar(select(Dataset).where(Dataset.slug == slug)).distributions[0]
        return d.media_type, d.format


def test_resource_update_and_patch_take_an_edited_mimetype_and_the_format_it_names(ck, app):
    """resource_update and resource_patch never set the media type: an edited `mimetype` answered 200 and was
    dropped."""
    _two_urls(ck)
    res = ck.action.resource_show(id=ck.action.package_show(id="two-urls")["resources"][0]["id"])
    res["mimetype"] = "application/json"
    shown = ck.action.resource_update(**res)
    assert (shown["mimetype"], shown["format"]) == ("application/json", "JSON")
    assert _stored_media(app, "two-urls") == ("application/json", "JSON")
    shown = ck.action.resource_patch(id=res["id"], mimetype="text/csv")
    assert (shown["mimetype"], shown["format"]) == ("text/csv", "CSV")
    # a media type no format of ours names: kept, the format left as it was
    shown = ck.action.resource_patch(id=res["id"], mimetype="application/vnd.example.table")
    assert (shown["mimetype"], shown["format"]) == ("application/vnd.example.table", "CSV")
    assert _stored_media(app, "two-urls") == ("application/vnd.example.table", "CSV")


@pytest.mark.parametrize("action", ["resource_update", "resource_patch"])
def test_a_mimetype_that_is_no_media_type_is_a_validation_error(ck, app, action):
    _two_urls(ck)
    res = ck.action.resource_show(id=ck.action.package_show(id="two-urls")["resources"][0]["id"])
    with pytest.raises(ValidationError) as raised:
        if action == "resource_update":
            ck.action.resource_update(**{**res, "mimetype": "comma separated"})
        else:
            ck.action.resource_patch(id=res["id"], mimetype="comma separated")
    assert "mimetype" in raised.value.error_dict and "comma separated" in raised.value.error_dict["message"]
    assert _stored_media(app, "two-urls") == ("text/csv", "CSV")


def _stored_media_types(app, slug: str) -> list[str | None]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return [d.media_type for d in s.scalar(select(Dataset).where(Dataset.slug == slug)).distributions]


#: mimetypes as real CKAN dumps hold them: a format's name, parameters, capitals, a type no format of ours has
DUMPED = ("CSV", "text/csv; charset=utf-8", "TEXT/CSV", "application/vnd.example.table")


@pytest.mark.parametrize("action", ["package_create", "package_update", "package_patch"])
def test_a_packages_mimetype_is_stored_as_resource_update_stores_it(ck, app, action):
    """package_create, _update and _patch stored a resource's mimetype as sent, where resource_update normalises it
    (fields.media_type): the same value is stored whichever action sent it, and what resource_update refuses is a
    Validation Error naming the resource's mimetype, nothing changed."""
    _two_urls(ck)
    res = ck.action.resource_show(id=ck.action.package_show(id="two-urls")["resources"][0]["id"])
    expected = []
    for value in DUMPED:
        ck.action.resource_update(**{**res, "mimetype": value})
        expected.append(_stored_media(app, "two-urls")[0])
    assert expected[:3] == ["text/csv", "text/csv; charset=utf-8", "text/csv"]

    resources = [{"name": f"Table {i}", "url": f"http://127.0.0.1:9/{i}.csv", "format": "CSV", "mimetype": value}
                 for i, value in enumerate(DUMPED)]
    plain = [{k: v for k, v in r.items() if k != "mimetype"} for r in resources]
    package = {"name": "dumped", "title": "Dumped", "owner_org": "agency-a"}
    bad = [*resources[:1], {**resources[1], "mimetype": "comma separated"}]

    def send(resources):
        if action == "package_create":
            return ck.action.package_create(**package, resources=resources)
        if action == "package_update":
            return ck.action.package_update(**{**ck.action.package_show(id="dumped"), "resources": resources})
        return ck.action.package_patch(id="dumped", resources=resources)

    if action != "package_create":
        ck.action.package_create(**package, resources=plain)
    before = _stored_media_types(app, "dumped") if action != "package_create" else None
    with pytest.raises(ValidationError) as raised:
        send(bad)
    error = raised.value.error_dict
    assert error["resources"][1]["mimetype"] and "comma separated" in error["message"]
    assert "resources[1].mimetype" in error["message"]
    if action == "package_create":
        with app.extensions["opendata"]["sessionmaker"]() as s:
            assert s.scalar(select(Dataset).where(Dataset.slug == "dumped")) is None
    else:
        assert _stored_media_types(app, "dumped") == before

    shown = send(resources)
    assert _stored_media_types(app, "dumped") == expected
    assert [r["mimetype"] for r in shown["resources"]] == expected
    # sent back as package_show gave them: unchanged
    assert [r["mimetype"] for r in ck.action.package_update(**ck.action.package_show(id="dumped"))["resources"]] \
        == expected


def test_a_package_sent_back_unchanged_changes_nothing(ck, app, client):
    """`package_update(**package_show(...))`, ckanapi's read-modify-write with nothing edited, changes nothing: no
    `archiver` block of the link's check stored as the resource's own key (it went stale there), no `issued` extra,
    no new activity, the same metadata_modified and the same catalog ETag (every harvester downloaded again)."""
    import datetime as dt

    from catalog_schema.models import Distribution
    from catalog_schema.store import set_evidence

    made = ck.action.package_create(name="as-it-was", title="As it was", owner_org="agency-a", license_id="cc-by",
                                    notes="Bus stops.", tags=[{"name": "bus"}],
                                    resources=[{"name": "Stops", "url": "http://127.0.0.1:9/stops.csv",
                                                "format": "CSV"}])
    with app.extensions["opendata"]["sessionmaker"]() as s:  # the link was checked: package_show says how
        row = s.get(Distribution, made["resources"][0]["id"])
        checked = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
        set_evidence(row, check_status="ok", http_status=200, last_checked=checked, last_success=checked,
                     failure_count=0)
        s.commit()
    shown = ck.action.package_show(id="as-it-was")
    assert "archiver" in shown["resources"][0]
    record = client.get("/api/v1/datasets/as-it-was").get_json()
    activity = ck.action.package_activity_list(id="as-it-was")
    etag = client.get("/data.json").headers["ETag"]
    for _ in range(2):
        again = ck.action.package_update(**ck.action.package_show(id="as-it-was"))
        rec2 = client.get("/api/v1/datasets/as-it-was").get_json()
        diff = {k: (record.get(k), rec2.get(k)) for k in set(record) | set(rec2) if record.get(k) != rec2.get(k)}
        assert again["metadata_modified"] == shown["metadata_modified"], diff
    after = client.get("/api/v1/datasets/as-it-was").get_json()
    assert after["extras"] == record["extras"] and after["distributions"] == record["distributions"]
    assert ck.action.package_activity_list(id="as-it-was") == activity
    assert client.get("/data.json").headers["ETag"] == etag
    assert ck.action.package_show(id="as-it-was") == shown


@pytest.mark.parametrize(("sent", "field"), [({"extras": "notalist"}, "extras"),
                                             ({"extras": ["notakeyvalue"]}, "extras"),
                                             ({"tags": [{"name": "bus"}, {"name": "a,b"}]}, "tags"),
                                             ({"tags": ["公交，客运"]}, "tags")])
def test_extras_not_a_list_and_a_tag_with_a_comma_are_refused_naming_the_field(ck, app, sent, field):
    """package_create took `extras: "notalist"` silently (200) and a tag "a,b", which CKAN's tag validator refuses
    (data.json then carried "a,b" as one keyword). Both are CKAN's Validation Error naming the field, nothing made."""
    with pytest.raises(ValidationError) as refused:
        ck.action.package_create(name="refused-shape", title="Refused", owner_org="agency-a", **sent)
    assert field in refused.value.error_dict, refused.value.error_dict
    if field == "tags":
        assert refused.value.error_dict["tags"][-1]["name"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(Dataset).where(Dataset.slug == "refused-shape")) is None
    made = ck.action.package_create(name="fine-shape", title="Fine", owner_org="agency-a", tag_string="a,b",
                                    extras=[{"key": "source_note", "value": "x"}])
    assert sorted(t["name"] for t in made["tags"]) == ["a", "b"]


def test_package_search_takes_the_query_forms_ckans_pages_and_clients_send(client, world):
    """fq=`tags:公交 tags:客运量` (two facets clicked on CKAN's pages: both), `organization:a OR organization:b` and
    sort=`metadata_created desc` were refused with 409 Search Query Error; fl=`name,res_format` dropped res_format
    silently. Now: AND, OR within one field, the creation order, and res_format as CKAN's index gives it (an unknown
    fl name is refused, naming it)."""
    ck = ckanapi.TestAppCKAN(_FlaskTestApp(client), apikey=world.tokens["sysadmin"])
    for name, org, tags in (("both-tags", "agency-a", ["公交", "客运量"]), ("one-tag", "agency-a", ["公交"]),
                            ("other-org", "agency-b", ["客运量"])):
        ck.action.package_create(name=name, title=name, owner_org=org, tags=[{"name": t} for t in tags],
                                 resources=[{"name": "t", "url": f"http://127.0.0.1:9/{name}.csv", "format": "CSV"}])
    both = ck.action.package_search(fq="tags:公交 tags:客运量", rows=100)
    assert [p["name"] for p in both["results"]] == ["both-tags"]
    either = ck.action.package_search(fq="organization:agency-a OR organization:agency-b", rows=1000)
    assert {"both-tags", "one-tag", "other-org"} <= {p["name"] for p in either["results"]}
    assert {p["organization"]["name"] for p in either["results"]} == {"agency-a", "agency-b"}
    newest = ck.action.package_search(sort="metadata_created desc", rows=1000)["results"]
    stamps = [p["metadata_created"] for p in newest]
    assert stamps == sorted(stamps, reverse=True) and newest[0]["name"] == "other-org"
    oldest = ck.action.package_search(sort="metadata_created asc", rows=1000)["results"]
    assert [p["metadata_created"] for p in oldest] == sorted(stamps) and oldest[-1]["name"] == "other-org"
    fl = ck.action.package_search(fq="tags:公交 tags:客运量", fl="name,res_format")["results"]
    assert fl == [{"name": "both-tags", "res_format": ["CSV"]}]
    with pytest.raises(ckanapi.errors.SearchQueryError):
        ck.action.package_search(fl="name,no_such_field")


_CKAN_PACKAGE_KEYS = {"author", "author_email", "creator_user_id", "id", "isopen", "license_id", "license_title",
                      "maintainer", "maintainer_email", "metadata_created", "metadata_modified", "name", "notes",
                      "num_resources", "num_tags", "organization", "owner_org", "private", "state", "title", "type",
                      "url", "version", "extras", "resources", "tags", "groups", "relationships_as_object",
                      "relationships_as_subject"}
_CKAN_RESOURCE_KEYS = {"cache_last_updated", "cache_url", "created", "datastore_active", "description", "format",
                       "hash", "id", "last_modified", "metadata_modified", "mimetype", "mimetype_inner", "name",
                       "package_id", "position", "resource_type", "size", "state", "url", "url_type"}
_CKAN_TAG_KEYS = {"display_name", "id", "name", "state", "vocabulary_id"}


def test_every_package_dict_has_ckans_whole_key_set_harvested_or_made_here(ck, client, world):
    """Datasets made here gave `tags` as [{"name"}], resources without created, last_modified, url_type (an upload
    had no url_type "upload") ..., and no author, creator_user_id or relationships_as_*, where a harvested one had
    them: two shapes. CKAN 2.10's package_show gives every key (null when empty); so does every package dict here,
    package_show, package_search and organization_show's, and a package sent back unchanged still changes nothing."""
    import io

    ck.action.package_create(name="whole-shape", title="Whole shape", owner_org="agency-a", license_id="cc-by",
                             tags=[{"name": "qa"}],
                             resources=[{"name": "Stops", "url": "http://127.0.0.1:9/stops.csv", "format": "CSV"}])
    made = client.post("/api/3/action/resource_create", headers={"Authorization": world.tokens["editor_a"]},
                       content_type="multipart/form-data",
                       data={"package_id": "whole-shape", "name": "Upload",
                             "upload": (io.BytesIO(b"stop,name\n1,Main Street\n2,Harbour\n"), "upload.csv")})
    assert made.status_code == 200 and made.get_json()["result"]["url_type"] == "upload", made.get_json()
    shown = ck.action.package_show(id="whole-shape")
    searched = ck.action.package_search(fq="tags:qa", rows=10)["results"]
    org = ck.action.organization_show(id="agency-a", include_datasets=True)["packages"]
    for pkg in (shown, next(p for p in searched if p["name"] == "whole-shape"),
                next(p for p in org if p["name"] == "whole-shape")):
        assert _CKAN_PACKAGE_KEYS <= set(pkg), _CKAN_PACKAGE_KEYS - set(pkg)
        assert pkg["tags"] == [{"id": "qa", "name": "qa", "display_name": "qa", "state": "active",
                                "vocabulary_id": None}]
        for res in pkg["resources"]:
            assert _CKAN_RESOURCE_KEYS <= set(res), _CKAN_RESOURCE_KEYS - set(res)
        assert [r["url_type"] for r in pkg["resources"]] == [None, "upload"]
        assert pkg["author"] is None and pkg["relationships_as_object"] == []
    harvested = ck.action.package_show(id=world.harvested)
    assert _CKAN_PACKAGE_KEYS <= set(harvested)
    assert all(_CKAN_TAG_KEYS <= set(t) for t in harvested["tags"])
    assert all(_CKAN_RESOURCE_KEYS <= set(r) for r in harvested["resources"])
    # sent back as shown, nothing changes; a key given for the shape and filled in is read as what it says
    record = client.get("/api/v1/datasets/whole-shape").get_json()
    again = ck.action.package_update(**shown)
    assert again == shown and client.get("/api/v1/datasets/whole-shape").get_json() == record
    patched = ck.action.package_patch(id="whole-shape", author="Transport Office", tags=shown["tags"] + [
        {"name": "bus", "id": "bus", "display_name": "bus", "state": "active", "vocabulary_id": None}])
    assert patched["author"] == "Transport Office" and [t["name"] for t in patched["tags"]] == ["qa", "bus"]
    assert ck.action.package_update(**patched) == patched


def test_a_licence_sent_back_as_package_show_gave_it_keeps_its_words(client, world):
    """A sysadmin's `package_update(**package_show(harvested))` changed the record: package_show's `license_id`
    (cc-by) became the licence words of a dataset whose source had given none, and the dataset was assessed again.
    The licence sent is the one it has: its words stay as they were, and nothing changes."""
    ck = ckanapi.TestAppCKAN(_FlaskTestApp(client), apikey=world.tokens["sysadmin"])
    token = {"Authorization": world.tokens["sysadmin"]}
    before = client.get(f"/api/v1/datasets/{world.harvested}", headers=token).get_json()
    shown = ck.action.package_show(id=world.harvested)
    again = ck.action.package_update(**shown)
    assert again["metadata_modified"] == shown["metadata_modified"]
    assert client.get(f"/api/v1/datasets/{world.harvested}", headers=token).get_json() == before
    # another licence is a change, its words those sent
    changed = ck.action.package_update(**{**shown, "license_id": "cc-zero"})
    assert changed["license_id"] == "cc-zero" and changed["metadata_modified"] != shown["metadata_modified"]
