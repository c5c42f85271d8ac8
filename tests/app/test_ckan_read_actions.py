"""CKAN 2.10's read actions that clients call and the Action API answered "Action name not known" (400): tag_show,
tag_search, tag_autocomplete, format_autocomplete, package_autocomplete, organization_autocomplete,
group_autocomplete, group_package_show, member_list, resource_search, package_relationships_list, vocabulary_list,
user_show and user_list; each with CKAN's parameters and result shapes. Accounts are private: user_show to the
account itself and sysadmins, user_list to sysadmins, member_list's users to who may see an organization's members;
anyone else gets CKAN's Authorization Error (403), never an address.

Through the Flask test client to a real catalog (tests/support/publishing.build_world, with a few keyworded and
themed datasets of its own) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog_schema import series
from catalog_schema.models import Dataset, User
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import join_series, save_record
from tests.support.publishing import build_world


def _extra(sessionmaker) -> None:
    with sessionmaker() as s:
        for slug, title, words, themes, fmt, pub in (
                ("bus-stops", {"en": "Bus stops", "zh": "公交站点"}, ["公交", "bus"], ["TRAN"], "GeoJSON", "agency-a"),
                ("bus-ridership", {"en": "Bus ridership"}, ["公交", "ridership"], ["TRAN"], "CSV", "agency-b"),
                ("air-quality", {"en": "Air quality", "zh": "空气质量"}, ["air"], ["ENVI"], "XLSX", "agency-b")):
            save_record(s, new_record(slug=slug, title=title, publisher={"slug": pub}, license="CC-BY-4.0",
                                      keywords=words, themes=themes,
                                      distributions=[new_distribution(
                                          title={"en": f"{title['en']} file"}, format=fmt,
                                          download_url=f"http://127.0.0.1:9/{slug}.{fmt.lower()}")]))
        made, _ = save_record(s, new_record(slug="bus-series", title={"en": "Bus series"}, kind="series",
                                            publisher={"slug": "agency-a"}))
        s.flush()
        members = [s.scalar(select(Dataset).where(Dataset.slug == slug)) for slug in ("bus-stops", "bus-ridership")]
        for member in members:
            join_series(member, made.id)
        series.link(s, [m.id for m in members])
        s.commit()


@pytest.fixture
def world(snapshot, app):
    sessionmaker = app.extensions["opendata"]["sessionmaker"]

    def build():
        made = build_world(sessionmaker)
        _extra(sessionmaker)
        return made

    return snapshot.once(build)


def _call(client, world, name: str, who: str | None = None, status: int = 200, **params):
    headers = {"Authorization": world.tokens[who]} if who else {}
    resp = client.get(f"/api/3/action/{name}", query_string=params, headers=headers)
    body = resp.get_json()
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert body["success"] is (status == 200) and body["help"].endswith(f"help_show?name={name}")
    return body["result"] if status == 200 else body["error"]


def _ids(app, *slugs: str) -> list[str]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        by_slug = dict(s.execute(select(Dataset.slug, Dataset.id).where(Dataset.slug.in_(slugs))).all())
    return [by_slug[slug] for slug in slugs]


def test_tag_show_search_and_autocomplete(client, world):
    tag = _call(client, world, "tag_show", id="公交")
    assert tag == {"id": "公交", "name": "公交", "display_name": "公交", "state": "active", "vocabulary_id": None}
    tag = _call(client, world, "tag_show", id="公交", include_datasets="true")
    assert sorted(p["name"] for p in tag["packages"]) == ["bus-ridership", "bus-stops"]
    assert all(p["num_resources"] == 1 and "organization" in p for p in tag["packages"])
    error = _call(client, world, "tag_show", status=404, id="nobody-has-this")
    assert error["__type"] == "Not Found Error"
    assert _call(client, world, "tag_show", status=409, id="")["__type"] == "Validation Error"
    assert _call(client, world, "tag_autocomplete", q="bu") == ["bus"]
    assert _call(client, world, "tag_autocomplete", query="公") == ["公交"]
    assert _call(client, world, "tag_autocomplete", q="r", limit="1") == ["air"]
    assert _call(client, world, "tag_autocomplete", q="") == []
    found = _call(client, world, "tag_search", query="bus")
    assert found == {"count": 1, "results": [{"id": "bus", "name": "bus", "display_name": "bus", "state": "active",
                                              "vocabulary_id": None}]}
    assert _call(client, world, "tag_search", query="r", limit="1", offset="1")["results"][0]["name"] == "ridership"
    assert _call(client, world, "vocabulary_list") == []


def test_format_package_and_organization_autocomplete(client, world):
    assert _call(client, world, "format_autocomplete", q="cs") == ["csv"]
    assert _call(client, world, "format_autocomplete", q="json") == ["geojson"]
    assert _call(client, world, "format_autocomplete", status=409)["__type"] == "Validation Error"  # q is required
    found = _call(client, world, "package_autocomplete", q="bus")
    assert found == [{"name": "bus-ridership", "title": "Bus ridership", "match_field": "name",
                      "match_displayed": "bus-ridership"},
                     {"name": "bus-series", "title": "Bus series", "match_field": "name",
                      "match_displayed": "bus-series"},
                     {"name": "bus-stops", "title": "Bus stops", "match_field": "name", "match_displayed": "bus-stops"}]
    assert _call(client, world, "package_autocomplete", q="bus", limit="1") == found[:1]
    found = _call(client, world, "package_autocomplete", q="空气质量")
    assert found == [{"name": "air-quality", "title": "Air quality", "match_field": "title",
                      "match_displayed": "Air quality (air-quality)"}]
    # drafts are nobody's suggestion but their publisher's, and the public's autocomplete is the public's
    assert _call(client, world, "package_autocomplete", q="draft") == []
    assert _call(client, world, "organization_autocomplete", q="agency") == [
        {"id": "agency-a", "name": "agency-a", "title": "Agency A"},
        {"id": "agency-b", "name": "agency-b", "title": "Agency B"}]
    assert _call(client, world, "organization_autocomplete", q="乙") == [
        {"id": "agency-b", "name": "agency-b", "title": "Agency B"}]
    assert _call(client, world, "group_autocomplete", q="trans")[0]["name"] == "tran"


def test_group_package_show(client, app, world):
    themed = _call(client, world, "group_package_show", id="tran")  # (the series has no theme)
    assert sorted(p["name"] for p in themed) == ["bus-ridership", "bus-stops"]
    assert all(p["resources"] and p["organization"] for p in themed)
    org = _call(client, world, "group_package_show", id="agency-b", limit="1")
    assert len(org) == 1 and org[0]["organization"]["name"] == "agency-b"
    names = {p["name"] for p in _call(client, world, "group_package_show", id="agency-a")}
    assert "draft-a" not in names and {"bus-stops", "active-a-1"} <= names
    assert _call(client, world, "group_package_show", status=404, id="no-such-group")["__type"] == "Not Found Error"


def test_member_list_gives_users_only_to_who_may_see_them(client, app, world):
    stops, ridership = _ids(app, "bus-stops", "bus-ridership")
    assert sorted(_call(client, world, "member_list", id="tran")) == sorted(
        [[stops, "package", "public"], [ridership, "package", "public"]])
    listed = _call(client, world, "member_list", id="agency-b", object_type="package")
    assert sorted(m[0] for m in listed) == sorted(_ids(app, "bus-ridership", "air-quality"))
    assert {m[1] for m in listed} == {"package"} and {m[2] for m in listed} == {"organization"}
    with app.extensions["opendata"]["sessionmaker"]() as s:
        editor_b = str(s.scalar(select(User.id).where(User.email == world.emails["editor_b"])))
    for who in ("editor_b", "sysadmin"):
        assert _call(client, world, "member_list", who, id="agency-b", object_type="user") == [
            [editor_b, "user", "editor"]]
        assert _call(client, world, "member_list", who, id="agency-b", object_type="user", capacity="admin") == []
    for who in (None, "editor_a"):  # the public, another publisher's editor
        error = _call(client, world, "member_list", who, status=403, id="agency-b", object_type="user")
        assert error["__type"] == "Authorization Error" and "@" not in error["message"]
        everyone = _call(client, world, "member_list", who, id="agency-b")
        assert {m[1] for m in everyone} == {"package"}  # the members CKAN would list, less the accounts
    assert _call(client, world, "member_list", status=404, id="nobody")["__type"] == "Not Found Error"
    assert _call(client, world, "member_list", id="agency-b", object_type="group") == []  # as CKAN: none of them


def test_resource_search(client, world):
    found = _call(client, world, "resource_search", query="format:csv")
    assert found["count"] == 5 and {r["format"] for r in found["results"]} == {"CSV"}  # A's four and B's ridership
    found = _call(client, world, "resource_search", query=["url:bus-", "format:geo"])
    assert found["count"] == 1 and found["results"][0]["url"] == "http://127.0.0.1:9/bus-stops.geojson"
    assert found["results"][0]["package_id"] and found["results"][0]["name"] == "Bus stops file"
    posted = client.post("/api/3/action/resource_search", json={"fields": {"url": "bus-", "format": "geo"}})
    assert posted.get_json()["result"] == found  # CKAN's older `fields`, as a client POSTs it
    found = _call(client, world, "resource_search", query="name:QUALITY FILE")
    assert [r["url"] for r in found["results"]] == ["http://127.0.0.1:9/air-quality.xlsx"]
    page = _call(client, world, "resource_search", query="format:csv", limit="2", offset="1", order_by="url")
    assert page["count"] == 5 and len(page["results"]) == 2
    urls = [r["url"] for r in _call(client, world, "resource_search", query="format:csv", order_by="url")["results"]]
    assert [r["url"] for r in page["results"]] == urls[1:3] == sorted(urls)[1:3]
    for bad in ("nofield", "secret_column:x"):
        error = _call(client, world, "resource_search", status=409, query=bad)
        assert error["__type"] == "Validation Error" and "query" in error


def test_user_show_and_user_list_are_not_for_the_public(client, app, world):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ids = {role: str(s.scalar(select(User.id).where(User.email == world.emails[role])))
               for role in ("editor_a", "admin_a", "editor_b", "sysadmin")}
    for who in (None, "editor_b"):
        error = _call(client, world, "user_show", who, status=403, id=ids["editor_a"])
        assert error["__type"] == "Authorization Error" and error["message"].startswith("Access denied")
        assert "@" not in error["message"]
        error = _call(client, world, "user_list", who, status=403)
        assert error["__type"] == "Authorization Error"
    # an account nobody has is the same refusal to them: user_show tells no one which accounts exist
    assert _call(client, world, "user_show", "editor_b", status=403, id="99999")["__type"] == "Authorization Error"
    assert _call(client, world, "user_show", "editor_b", status=403, id="nobody@example.gov")["__type"] \
        == "Authorization Error"
    me = _call(client, world, "user_show", "editor_a", id=ids["editor_a"])
    assert me["id"] == me["name"] == ids["editor_a"] and me["email"] == world.emails["editor_a"]
    assert me["sysadmin"] is False and me["state"] == "active" and me["display_name"] == ids["editor_a"]
    assert me["created"] and "password_hash" not in me and "apikey" not in me
    assert _call(client, world, "user_show", "editor_a", id=world.emails["editor_a"]) == me
    assert _call(client, world, "user_show", "sysadmin", id=ids["editor_a"]) == me
    assert _call(client, world, "user_show", "sysadmin", status=404, id="99999")["__type"] == "Not Found Error"
    listed = _call(client, world, "user_list", "sysadmin")
    assert sorted(u["id"] for u in listed) == sorted(ids.values())
    assert _call(client, world, "user_list", "sysadmin", all_fields="false", q="editor.a") == [ids["editor_a"]]
    assert _call(client, world, "user_list", "sysadmin", limit="1", offset="1", order_by="id",
                 all_fields="false") == [sorted(ids.values(), key=int)[1]]


def test_package_relationships_list_gives_a_series_and_its_members(client, app, world):
    assert _call(client, world, "package_relationships_list", id="bus-stops") == [
        {"subject": "bus-stops", "type": "child_of", "object": "bus-series", "comment": ""}]
    assert _call(client, world, "package_relationships_list", id="bus-series") == [
        {"subject": "bus-series", "type": "parent_of", "object": "bus-ridership", "comment": ""},
        {"subject": "bus-series", "type": "parent_of", "object": "bus-stops", "comment": ""}]
    assert _call(client, world, "package_relationships_list", id="bus-series", id2="bus-stops", rel="parent_of") \
        == [{"subject": "bus-series", "type": "parent_of", "object": "bus-stops", "comment": ""}]
    assert _call(client, world, "package_relationships_list", id="bus-series", rel="child_of") == []
    assert _call(client, world, "package_relationships_list", id="air-quality") == []
    assert _call(client, world, "package_relationships_list", status=404, id="draft-a")["__type"] == "Not Found Error"


def test_unknown_actions_still_answer_as_ckan_does(client, world):
    resp = client.get("/api/3/action/config_option_shows")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == {"__type": "Bad Request",
                                        "message": "Bad request - Action name not known: config_option_shows"}
    for name in ("tag_show", "user_show", "member_list", "resource_search", "package_autocomplete"):
        help_text = client.get("/api/3/action/help_show", query_string={"name": name}).get_json()["result"]
        assert help_text and help_text[0].isupper(), name


def test_a_nul_byte_or_a_wildcard_finds_nothing(client, world):
    """A NUL byte is no filter of the search index (it drops it) nor of SQLite's LIKE (the pattern ends there):
    tag_show "found" a tag "\\x00" held by every dataset, and package_autocomplete and resource_search listed every
    dataset and resource; on PostgreSQL a NUL in a query is an error. `%`, `_` and `*` are text to find, not
    wildcards; `*` is no title's word."""
    assert _call(client, world, "tag_show", status=404, id="\x00")["__type"] == "Not Found Error"
    assert _call(client, world, "tag_show", status=404, id="公交\x00")["__type"] == "Not Found Error"
    for q in ("\x00", "%", "_", "*", "\\"):
        assert _call(client, world, "package_autocomplete", q=q) == [], q
        assert _call(client, world, "resource_search", query=f"url:{q}") == {"count": 0, "results": []}, q
        assert _call(client, world, "user_list", "sysadmin", q=q) == [], q
        assert _call(client, world, "tag_autocomplete", q=q) == [], q


def test_group_and_organization_lists_page_filter_and_sort_as_ckan(client, world):
    """group_list took none of CKAN's `limit`, `offset`, `sort`, `groups` and `q`: every page was the whole list (a
    client paging until an empty page never stopped), and organization_list took no `q`; tag_list with a
    `vocabulary_id` gave the free tags, where there is no such vocabulary."""
    assert _call(client, world, "group_list") == ["envi", "tran"]
    assert _call(client, world, "group_list", limit="1") == ["envi"]
    assert _call(client, world, "group_list", limit="1", offset="1") == ["tran"]
    assert _call(client, world, "group_list", offset="2") == []
    assert _call(client, world, "group_list", sort="package_count desc") == ["tran", "envi"]
    assert _call(client, world, "group_list", sort="name desc") == ["tran", "envi"]
    assert _call(client, world, "group_list", groups="tran") == ["tran"]
    assert _call(client, world, "group_list", q="TRANS") == ["tran"]
    assert _call(client, world, "group_list", q="环境") == ["envi"]  # a title in Chinese
    assert _call(client, world, "group_list", status=409, sort="colour asc")["__type"] == "Validation Error"
    assert _call(client, world, "organization_list", q="乙") == ["agency-b"]
    assert _call(client, world, "organization_list", q="agency a") == ["agency-a"]
    assert _call(client, world, "organization_list", q="nobody") == []
    for name, params in (("tag_list", {}), ("tag_show", {"id": "bus"}), ("tag_autocomplete", {"q": "bus"}),
                         ("tag_search", {"query": "bus"})):
        error = _call(client, world, name, status=404, vocabulary_id="colours", **params)
        assert error["__type"] == "Not Found Error" and "colours" in error["message"], name
