"""One lifecycle, answered the same at every read door (app/services/lifecycle.py), on SQLite and PostgreSQL.

A small catalog of one publisher: an active dataset, a withdrawn one with a reason and a successor (the
active one), a withdrawn one whose successor is an address elsewhere, a deleted one, a draft, and one
renamed through the rename service. Every door that reads a dataset (the page in zh and en, its
negotiated and suffixed formats, the badge, /api/v1 and its sub-resources, CKAN package_show and
resource_show, over the test client and with ckanapi over a real socket) must answer: 410 with the
tombstone for the withdrawn one, 301 from the old slug, 404 for the deleted one and the draft.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyshacl
import pytest
import rdflib
from ckanapi import RemoteCKAN
from ckanapi.errors import NotFound
from rdflib import URIRef
from rdflib.namespace import RDF, SH
from sqlalchemy import func, select

from app.services import accounts, datasets
from app.services.context import Actor
from app.services.errors import Conflict, Forbidden, Invalid
from catalog_schema import search
from catalog_schema.models import AuditEvent, Dataset, DatasetSlug, User
from catalog_schema.record import new_record
from catalog_schema.store import ensure_publisher, save_record
from tests.support.wsgiserver import ServedApp

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"
ADMS_STATUS = URIRef("http://www.w3.org/ns/adms#status")
WITHDRAWN = URIRef("http://purl.org/adms/status/Withdrawn")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
XSD_DATETIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
SITE = "http://opendata.test"
PUB = {"slug": "transport", "name": {"en": "Transport Bureau", "zh": "交通局"}}
OTHER = {"slug": "stats", "name": {"en": "Statistics Bureau", "zh": "统计局"}}
WITHDRAWN_AT = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
REASON = "Superseded by the GTFS feed of bus stops."
DOORS = ("", ".ttl", ".rdf", ".jsonld", ".nt", ".json", ".xml", ".csv", "/badge.svg")
API_DOORS = ("", "/quality", "/quality/history", "/usage")


def _record(slug: str, title: dict, state: str = "active", publisher: dict = PUB) -> dict:
    return new_record(slug=slug, title=title, description={"en": f"About {title['en'].lower()}."},
                      keywords=["transport"], license="CC-BY-4.0", publisher=publisher, state=state,
                      modified="2026-01-01",
                      distributions=[{"title": {"en": f"{slug} CSV"}, "format": "CSV",
                                      "download_url": f"http://127.0.0.1:9/{slug}.csv"}])


@pytest.fixture
def world(snapshot, app):
    """The catalog above; the renamed dataset went through `datasets.rename` as the publisher's editor. Built once
    per backend, a copy for each test."""
    app.config["OPENDATA"]["SITE_URL"] = SITE
    factory = app.extensions["opendata"]["sessionmaker"]
    return {**snapshot.once(lambda: _build(factory)), "sessionmaker": factory}


def _build(factory) -> dict:
    with factory() as s:
        ensure_publisher(s, PUB)
        ensure_publisher(s, OTHER)
        ids = {}
        for slug, title, state in (
            ("bus-stops", {"en": "Bus stops", "zh": "公交站点"}, "active"),
            ("old-timetable", {"en": "Old bus timetable", "zh": "旧公交时刻表"}, "withdrawn"),
            ("taxi-ranks", {"en": "Taxi ranks", "zh": "出租车停靠点"}, "withdrawn"),
            ("scrapped", {"en": "Scrapped counts", "zh": "废弃计数"}, "deleted"),
            ("unfinished", {"en": "Unfinished draft", "zh": "未完成草稿"}, "draft"),
            ("metro-old", {"en": "Metro lines", "zh": "地铁线路"}, "active"),
        ):
            ds, outcome = save_record(s, _record(slug, title, state))
            assert outcome == "added"
            s.flush()
            search.index_dataset(s, ds)
            ids[slug] = ds.id
        ds, _ = save_record(s, _record("census", {"en": "Census"}, publisher=OTHER))
        ids["census"] = ds.id
        old = s.get(Dataset, ids["old-timetable"])
        old.withdrawn_at, old.withdrawn_reason, old.successor = WITHDRAWN_AT, REASON, "bus-stops"
        taxi = s.get(Dataset, ids["taxi-ranks"])
        taxi.withdrawn_at, taxi.successor = WITHDRAWN_AT, "https://data.example.org/taxi"
        editor = accounts.create_user(s, "editor@transport.example")
        accounts.grant(s, editor, s.get(Dataset, ids["bus-stops"]).publisher, "editor")
        outsider = accounts.create_user(s, "editor@stats.example")
        accounts.grant(s, outsider, s.get(Dataset, ids["census"]).publisher, "editor")
        s.flush()
        tokens = {"editor": accounts.create_token(s, editor, "t"), "outsider": accounts.create_token(s, outsider, "t")}
        datasets.rename(Actor(s, editor, "test"), s.get(Dataset, ids["metro-old"]), "metro-lines")
        s.commit()
    return {"ids": ids, "tokens": tokens}


def _location(resp) -> str:
    return resp.headers["Location"].removeprefix("http://localhost")


def _ckan(client, action: str, headers: dict | None = None, **params):
    return client.post(f"/api/3/action/{action}", json=params, headers=headers or {})


# --------------------------------------------------------------------------- withdrawn: 410 with the tombstone


def _assert_tombstone(stone: dict) -> None:
    assert stone["dataset"] == "old-timetable" and stone["state"] == "withdrawn"
    assert stone["title"] == {"en": "Old bus timetable", "zh": "旧公交时刻表"}
    assert stone["publisher"]["slug"] == "transport" and stone["publisher"]["name"]["zh"] == "交通局"
    assert dt.datetime.fromisoformat(stone["withdrawn_at"]) == WITHDRAWN_AT
    assert stone["reason"] == REASON
    assert stone["successor"] == {"slug": "bus-stops", "url": f"{SITE}/dataset/bus-stops",
                                  "title": {"en": "Bus stops", "zh": "公交站点"}}


def test_withdrawn_page_is_410_with_the_tombstone_in_zh_and_en(client, world):
    en = client.get("/dataset/old-timetable?lang=en", headers={"Accept": "text/html"})
    assert en.status_code == 410 and en.mimetype == "text/html"
    page = en.get_data(as_text=True)
    assert "This dataset has been withdrawn" in page and "Old bus timetable" in page and REASON in page
    assert "Transport Bureau" in page and "2026-03-04" in page
    assert f'href="{SITE}/dataset/bus-stops"' in page and "Bus stops" in page
    assert en.headers["Link"] == f'<{SITE}/dataset/bus-stops>; rel="successor-version"'
    zh = client.get("/dataset/old-timetable?lang=zh", headers={"Accept": "text/html"})
    page = zh.get_data(as_text=True)
    assert zh.status_code == 410 and "该数据集已撤回" in page and "旧公交时刻表" in page and "交通局" in page
    assert "公交站点" in page and "撤回时间" in page
    # the successor elsewhere is linked as it is; no reason given says so
    taxi = client.get("/dataset/taxi-ranks?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="https://data.example.org/taxi"' in taxi and "not stated" in taxi


def test_withdrawn_is_410_json_for_machines_on_every_door(client, world):
    for door in DOORS:
        for accept in ({}, {"Accept": "application/json"}, {"Accept": "text/turtle"}, {"Accept": "*/*"}):
            resp = client.get(f"/dataset/old-timetable{door}", headers=accept)
            assert resp.status_code == 410, (door, accept)
            if door == "/badge.svg":
                assert resp.mimetype == "image/svg+xml" and ">withdrawn<" in resp.get_data(as_text=True)
                continue
            assert resp.mimetype == "application/json", (door, accept)
            error = resp.get_json()["error"]
            assert error["status"] == 410 and error["code"] == "withdrawn"
            assert "withdrawn" in error["message"] and "撤回" in error["message_zh"]
            _assert_tombstone(error["tombstone"])
    # a browser asking for a format gets the page
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    resp = client.get("/dataset/old-timetable.ttl?lang=en", headers=browser)
    assert resp.status_code == 410 and resp.mimetype == "text/html"
    assert "This dataset has been withdrawn" in resp.get_data(as_text=True)


def test_withdrawn_is_410_in_api_v1_with_the_tombstone(client, world):
    for door in API_DOORS:
        resp = client.get(f"/api/v1/datasets/old-timetable{door}", headers={"Accept": "text/html"})
        assert resp.status_code == 410 and resp.mimetype == "application/json", door
        error = resp.get_json()["error"]
        assert error["code"] == "withdrawn" and error["status"] == 410
        _assert_tombstone(error["tombstone"])
    taxi = client.get("/api/v1/datasets/taxi-ranks").get_json()["error"]["tombstone"]
    assert taxi["reason"] is None
    assert taxi["successor"] == {"slug": None, "url": "https://data.example.org/taxi", "title": None}


def test_withdrawn_in_ckan_is_not_found_with_state_and_tombstone(client, world):
    for params in ({"id": "old-timetable"}, {"id": world["ids"]["old-timetable"]}):
        resp = _ckan(client, "package_show", **params)
        assert resp.status_code == 404
        body = resp.get_json()
        assert body["success"] is False
        error = body["error"]
        assert error["__type"] == "Not Found Error" and "withdrawn" in error["message"]
        assert error["state"] == "withdrawn"
        _assert_tombstone(error["tombstone"])
    zh = _ckan(client, "package_show", {"Accept-Language": "zh-CN"}, id="old-timetable").get_json()["error"]
    assert zh["message"].startswith("未找到：数据集“") and "The dataset" not in zh["message"]  # not half English
    resource_id = _ckan(client, "package_show", {"Authorization": world["tokens"]["editor"]},
                        id="old-timetable").get_json()["result"]["resources"][0]["id"]
    resp = client.get(f"/api/3/action/resource_show?id={resource_id}")
    assert resp.status_code == 404 and resp.get_json()["error"]["state"] == "withdrawn"
    _assert_tombstone(resp.get_json()["error"]["tombstone"])
    # who may edit the publisher still sees it (as CKAN shows deleted packages to their editors)
    seen = _ckan(client, "package_show", {"Authorization": world["tokens"]["editor"]}, id="old-timetable")
    assert seen.status_code == 200 and seen.get_json()["result"]["name"] == "old-timetable"
    other = _ckan(client, "package_show", {"Authorization": world["tokens"]["outsider"]}, id="old-timetable")
    assert other.status_code == 404 and other.get_json()["error"]["state"] == "withdrawn"


def test_withdrawn_stays_out_of_listings(client, world):
    names = _ckan(client, "package_list").get_json()["result"]
    assert "old-timetable" not in names and "bus-stops" in names and "metro-lines" in names
    found = _ckan(client, "package_search", q="timetable").get_json()["result"]
    assert found["count"] == 0
    assert "old-timetable" not in {d["slug"] for d in client.get("/api/v1/datasets").get_json()["items"]}


def test_current_package_list_with_resources_lists_the_packages_package_show_shows(client, world):
    """CKAN's current_package_list_with_resources was "Action name not known" (400): a client that reads the
    catalog through it (ckanapi's action, harvesters of CKAN 2.x) got nothing. The live datasets, most recently
    changed first, each the package package_show gives; no withdrawn, deleted or draft one."""
    listed = _ckan(client, "current_package_list_with_resources")
    assert listed.status_code == 200
    packages = listed.get_json()["result"]
    names = sorted(p["name"] for p in packages)
    assert names == sorted(_ckan(client, "package_list").get_json()["result"])
    assert {"bus-stops", "metro-lines"} <= set(names) and len(names) >= 3
    assert not {"old-timetable", "taxi-ranks", "scrapped", "unfinished", "metro-old"} & set(names)
    stamps = [p["metadata_modified"] for p in packages]
    assert stamps == sorted(stamps, reverse=True)
    for package in packages:
        assert package == _ckan(client, "package_show", id=package["name"]).get_json()["result"]
        assert package["resources"] and package["num_resources"] == len(package["resources"])
    first, second = ([p["name"] for p in _ckan(client, "current_package_list_with_resources", **page).get_json()
                      ["result"]] for page in ({"limit": 1}, {"limit": 1, "page": 2}))
    assert first + second == [p["name"] for p in packages][:2]
    assert [p["name"] for p in _ckan(client, "current_package_list_with_resources", limit=1, offset=1)
            .get_json()["result"]] == second
    refused = _ckan(client, "current_package_list_with_resources", limit=0)
    assert refused.status_code == 409 and "limit" in refused.get_json()["error"]


# --------------------------------------------------------------------------- renamed: 301 from the old slug


def test_old_slug_answers_301_on_every_get_door(client, world):
    for door in DOORS:
        resp = client.get(f"/dataset/metro-old{door}?lang=en&x=1")
        assert resp.status_code == 301, door
        assert _location(resp) == f"/dataset/metro-lines{door}?lang=en&x=1"
        assert client.get(_location(resp)).status_code == 200, door
    negotiated = client.get("/dataset/metro-old", headers={"Accept": "text/turtle"})
    assert negotiated.status_code == 301 and _location(negotiated) == "/dataset/metro-lines"
    assert "Accept" in negotiated.headers["Vary"]
    for door in API_DOORS:
        resp = client.get(f"/api/v1/datasets/metro-old{door}?per_page=5")
        assert resp.status_code == 301, door
        assert _location(resp) == f"/api/v1/datasets/metro-lines{door}?per_page=5"
    assert client.get("/api/v1/datasets/metro-lines").get_json()["slug"] == "metro-lines"
    assert client.head("/dataset/metro-old").status_code == 301


def test_what_a_slug_names_is_said_before_any_type_is_refused(client, world):
    """/dataset/<slug> negotiates its type from Accept: a type it has none of is 406, for a dataset that is there.
    A withdrawn one is 410, an old slug 301 and an unknown one 404 whatever type was asked for: they were 406,
    which told a client to ask in another type for a dataset gone or moved."""
    png = {"Accept": "image/png"}
    assert client.get("/dataset/bus-stops", headers=png).status_code == 406
    gone = client.get("/dataset/old-timetable", headers=png)
    assert gone.status_code == 410 and gone.mimetype == "application/json"
    _assert_tombstone(gone.get_json()["error"]["tombstone"])
    moved = client.get("/dataset/metro-old", headers=png)
    assert moved.status_code == 301 and _location(moved) == "/dataset/metro-lines"
    assert client.get("/dataset/no-such-dataset", headers=png).status_code == 404
    assert client.get("/dataset/unfinished", headers=png).status_code == 404  # a draft is no public dataset


def test_old_name_resolves_in_ckan_package_show(client, world):
    resp = _ckan(client, "package_show", id="metro-old")
    assert resp.status_code == 200 and resp.get_json()["result"]["name"] == "metro-lines"
    assert client.get("/api/3/action/package_show?id=metro-old").get_json()["result"]["id"] == world["ids"]["metro-old"]


def test_old_slug_of_a_withdrawn_dataset_moves_then_is_gone(client, world):
    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        datasets.rename(Actor(s, editor, "test"), s.get(Dataset, world["ids"]["old-timetable"]), "timetable-2019")
        s.commit()
    moved = client.get("/dataset/old-timetable.json")
    assert moved.status_code == 301 and _location(moved) == "/dataset/timetable-2019.json"
    gone = client.get(_location(moved))
    assert gone.status_code == 410 and gone.get_json()["error"]["tombstone"]["dataset"] == "timetable-2019"
    resp = _ckan(client, "package_show", id="old-timetable")
    assert resp.status_code == 404 and resp.get_json()["error"]["state"] == "withdrawn"


# --------------------------------------------------------------------------- deleted and draft: 404


@pytest.mark.parametrize("slug", ["scrapped", "unfinished", "no-such-dataset"])
def test_deleted_draft_and_unknown_are_404_everywhere(client, world, slug):
    for door in DOORS:
        for accept in ({}, {"Accept": "text/html"}, {"Accept": "application/json"}):
            assert client.get(f"/dataset/{slug}{door}", headers=accept).status_code == 404, (door, accept)
    for door in API_DOORS:
        resp = client.get(f"/api/v1/datasets/{slug}{door}")
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not-found", door
    resp = _ckan(client, "package_show", id=world["ids"].get(slug, slug))
    assert resp.status_code == 404
    assert resp.get_json()["error"] == {"__type": "Not Found Error", "message": "Not found"}


@pytest.mark.parametrize("slug", ["scrapped", "unfinished"])
def test_a_deleted_or_draft_datasets_resource_is_answered_as_an_unknown_one(client, world, slug):
    """CKAN resource_show said "Not found" for a resource of a draft (or deleted) dataset and "Resource was not
    found." for an id naming none: the words told whoever guessed an id that a hidden dataset holds it. Both are the
    unknown id's answer now, in either language; the publisher's editor still sees the resource."""
    resource_id = _ckan(client, "package_show", {"Authorization": world["tokens"]["editor"]},
                        id=slug).get_json()["result"]["resources"][0]["id"]
    for headers in ({}, {"Accept-Language": "zh-CN"}, {"Authorization": world["tokens"]["outsider"]}):
        unknown = _ckan(client, "resource_show", headers, id="00000000-0000-0000-0000-000000000000")
        hidden = _ckan(client, "resource_show", headers, id=resource_id)
        assert unknown.status_code == hidden.status_code == 404, headers
        assert hidden.get_json()["error"] == unknown.get_json()["error"], (headers, hidden.get_json())
        assert client.get(f"/api/3/action/resource_show?id={resource_id}", headers=headers).get_json()["error"] \
            == unknown.get_json()["error"], headers
    assert _ckan(client, "resource_show", id="no-such-resource").get_json()["error"] == {
        "__type": "Not Found Error", "message": "Resource was not found."}
    seen = _ckan(client, "resource_show", {"Authorization": world["tokens"]["editor"]}, id=resource_id)
    assert seen.status_code == 200 and seen.get_json()["result"]["id"] == resource_id


def test_old_slug_of_a_deleted_dataset_is_404(client, world):
    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        datasets.rename(Actor(s, editor, "test"), s.get(Dataset, world["ids"]["metro-old"]), "metro-2026")
        s.get(Dataset, world["ids"]["metro-old"]).state = "deleted"
        s.commit()
    for slug in ("metro-old", "metro-lines", "metro-2026"):
        assert client.get(f"/dataset/{slug}").status_code == 404
        assert client.get(f"/api/v1/datasets/{slug}").status_code == 404
        assert _ckan(client, "package_show", id=slug).status_code == 404


# --------------------------------------------------------------------------- rename


def _state(sessionmaker) -> tuple:
    with sessionmaker() as s:
        return (sorted(s.execute(select(Dataset.id, Dataset.slug, Dataset.modified_at)).all()),
                sorted(s.execute(select(DatasetSlug.slug, DatasetSlug.dataset_id)).all()),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_rename_keeps_the_history_audits_and_reindexes(world):
    with world["sessionmaker"]() as s:
        ds = s.get(Dataset, world["ids"]["metro-old"])
        assert ds.slug == "metro-lines"
        assert s.scalar(select(DatasetSlug.dataset_id).where(DatasetSlug.slug == "metro-old")) == ds.id
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "publish.rename"))
        assert event.object_id == ds.id and event.detail["old_slug"] == "metro-old"
        assert event.before["slug"] == "metro-old" and event.after["slug"] == "metro-lines"
        assert event.detail["via"] == "test" and event.detail["name"] == "metro-lines"
        found = search.search(s, search.SearchQuery(q="Metro"))
        assert found.ids == [ds.id]
        # renaming back to its own old slug is allowed: the history then holds the other one
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        datasets.rename(Actor(s, editor, "test"), ds, "metro-old")
        s.commit()
        assert dict(s.execute(select(DatasetSlug.slug, DatasetSlug.dataset_id)).all()) == {"metro-lines": ds.id}
        # to its present slug: nothing changes, nothing is audited
        before = _state(world["sessionmaker"])
        assert datasets.rename(Actor(s, editor, "test"), ds, "metro-old") is ds
        s.commit()
        assert _state(world["sessionmaker"]) == before
    assert getattr(datasets.rename, "__opendata_service__", False)


@pytest.mark.parametrize(("new_slug", "error", "words"), [
    ("bus-stops", Conflict, "taken"),             # another dataset's current slug
    ("census", Conflict, "taken"),                # ... of another publisher
    ("scrapped", Conflict, "taken"),              # a deleted dataset keeps its slug
    ("Metro Lines", Invalid, "lower-case"),       # not a slug
    ("m", Invalid, "2-100"),
    ("-metro", Invalid, "lower-case"),
    (None, Invalid, "lower-case"),
])
def test_rename_refuses_a_bad_or_taken_slug_and_changes_nothing(world, new_slug, error, words):
    before = _state(world["sessionmaker"])
    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        with pytest.raises(error) as info:
            datasets.rename(Actor(s, editor, "test"), s.get(Dataset, world["ids"]["bus-stops"]
                                              if new_slug != "bus-stops" else world["ids"]["metro-old"]),
                             new_slug)
        assert words in info.value.message
        s.rollback()
    assert _state(world["sessionmaker"]) == before


def test_rename_refuses_another_datasets_old_slug_and_an_outsider(world):
    before = _state(world["sessionmaker"])
    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        outsider = s.scalar(select(User).where(User.email == "editor@stats.example"))
        bus = s.get(Dataset, world["ids"]["bus-stops"])
        with pytest.raises(Conflict) as info:
            datasets.rename(Actor(s, editor, "test"), bus, "metro-old")  # metro-lines' old slug: still leads there
        assert "another dataset" in info.value.message and info.value.status == 409
        with pytest.raises(Forbidden):
            datasets.rename(Actor(s, outsider, "test"), bus, "bus-stops-2026")
        s.rollback()
    assert _state(world["sessionmaker"]) == before


# --------------------------------------------------------------------------- the changes feed


def _graph(client, path: str) -> rdflib.Graph:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.get_data(as_text=True)[:300])
    fmt = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}[path.split("?")[0].rsplit(".", 1)[1]]
    return rdflib.Graph().parse(data=resp.data, format=fmt)


def test_changes_feed_lists_withdrawn_datasets_as_adms_withdrawn(client, world):
    old, bus = URIRef(f"{SITE}/dataset/old-timetable"), URIRef(f"{SITE}/dataset/bus-stops")
    taxi = URIRef(f"{SITE}/dataset/taxi-ranks")
    since = "modified_since=2026-01-01T00:00:00Z"
    for path in (f"/catalog.ttl?{since}", f"/catalog.nt?{since}", f"/catalog.rdf?{since}",
                 f"/catalog.jsonld?{since}", f"/catalog.ttl?page=all&{since}", f"/catalog/dump.nt?{since}"):
        g = _graph(client, path)
        assert (URIRef(f"{SITE}/catalog"), DCAT.dataset, old) in g, path
        assert (old, RDF.type, DCAT.Dataset) in g and (old, ADMS_STATUS, WITHDRAWN) in g, path
        assert {str(t) for t in g.objects(old, DCTERMS.title)} == {"Old bus timetable", "旧公交时刻表"}, path
        assert any(REASON in str(d) for d in g.objects(old, DCTERMS.description)), path
        modified = g.value(old, DCTERMS.modified)
        assert modified.datatype == XSD_DATETIME and modified.toPython() == WITHDRAWN_AT, path
        assert g.value(old, DCTERMS.isReplacedBy) == bus, path
        assert g.value(taxi, DCTERMS.isReplacedBy) == URIRef("https://data.example.org/taxi"), path
        assert list(g.objects(old, DCAT.distribution)) == [] and list(g.objects(old, DCAT.keyword)) == [], path
        assert (bus, ADMS_STATUS, None) not in g and list(g.objects(bus, DCAT.distribution)), path
        assert (URIRef(f"{SITE}/dataset/scrapped"), None, None) not in g, path
        assert (URIRef(f"{SITE}/dataset/unfinished"), None, None) not in g, path
    # the page counts them among its items
    g = _graph(client, f"/catalog.ttl?{since}")
    # bus-stops, metro-lines, census and the two withdrawn ones
    assert [int(n) for n in g.objects(None, HYDRA.totalItems)] == [5]
    # full listings, data.json and a date after the withdrawal leave them out
    for path in ("/catalog.ttl", "/catalog.rdf", "/catalog.ttl?page=all", "/catalog.ttl?modified_since=2999-01-01"):
        g = _graph(client, path)
        assert (old, None, None) not in g and (None, ADMS_STATUS, None) not in g, path
    data = client.get("/data.json").get_json()
    assert {d["title"] for d in data["dataset"]} >= {"Bus stops"}
    assert not any("timetable" in json.dumps(d) for d in data["dataset"])


def test_changes_feed_passes_the_dcat_ap_3_shapes(client, world):
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    for path in ("/catalog.ttl?modified_since=2026-01-01", "/catalog.nt?page=all&modified_since=2026-01-01"):
        g = _graph(client, path)
        assert (None, ADMS_STATUS, WITHDRAWN) in g
        conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none", advanced=False)
        violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                      for r in report.subjects(RDF.type, SH.ValidationResult)]
        assert violations == [] and conforms, (path, violations)


# --------------------------------------------------------------------------- a real CKAN client


@pytest.fixture
def live(app, world):
    served = ServedApp(app)
    yield served.url
    served.close()


def test_ckanapi_package_show(live):
    ckan = RemoteCKAN(live, user_agent="lifecycle-test")
    assert ckan.action.package_show(id="metro-old")["name"] == "metro-lines"
    with pytest.raises(NotFound) as info:
        ckan.action.package_show(id="old-timetable")
    assert "withdrawn" in str(info.value)
    with pytest.raises(NotFound):
        ckan.action.package_show(id="scrapped")
    assert json.loads(json.dumps(ckan.action.package_show(id="bus-stops")))["state"] == "active"


def test_a_withdrawal_reason_over_2000_characters_is_refused_not_cut(world):
    """The reason was cut at 2,000 characters without a word: the tombstone said half a sentence."""
    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        ds = s.get(Dataset, world["ids"]["bus-stops"])
        with pytest.raises(Invalid) as info:
            datasets.withdraw(Actor(s, editor, "test"), ds, reason="停" * 2001)
        assert info.value.detail["field"] == "reason" and "2,001" in str(info.value) and "2,000" in str(info.value)
        s.rollback()
        assert s.get(Dataset, world["ids"]["bus-stops"]).state == "active"
        done = datasets.withdraw(Actor(s, editor, "test"), ds, reason="停" * 2000)
        assert done.state == "withdrawn" and done.withdrawn_reason == "停" * 2000


def test_the_withdraw_form_says_a_long_reason_beside_it_and_keeps_it(app, client, world):
    from werkzeug.security import generate_password_hash

    from tests.support.publishing import PASSWORD, form_post, sign_in

    with world["sessionmaker"]() as s:
        editor = s.scalar(select(User).where(User.email == "editor@transport.example"))
        editor.password_hash = generate_password_hash(PASSWORD)
        s.commit()
    sign_in(client, "editor@transport.example")
    reason = "Replaced by the new bus network. " * 70  # 2,310 characters
    page_url = "/publish/bus-stops?lang=en"
    resp = form_post(client, page_url, "/publish/bus-stops/withdraw?lang=en", {"reason": reason, "successor": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422, page[:500]
    assert re.search(r'id="reason-error"[^>]*>[^<]*2,309 characters long; at most 2,000', page)
    assert reason.strip() in page  # what was typed is kept
    with world["sessionmaker"]() as s:
        assert s.get(Dataset, world["ids"]["bus-stops"]).state == "active"


def test_a_harvest_does_not_undo_a_sysadmins_withdrawal_or_deletion(app, local_server, runtime, add_source):
    """A sysadmin withdrew a harvested dataset (its tombstone saying why) or deleted it (404 at every door); the next
    harvest of its source, changed or not, made both public again (state active, its page 200): the harvest took
    them for datasets it had withdrawn itself, which come back when their source lists them again. A person's
    withdrawal or deletion now stays until a person restores the dataset; its source's harvests then update it
    again."""
    from app.jobs import harvest
    from catalog_schema import datajson
    from catalog_schema.record import new_distribution
    from tests.support.accounts import make_user

    factory = app.extensions["opendata"]["sessionmaker"]
    make_user(app, "root@lifecycle.example", sysadmin=True)
    with factory() as s:
        token = accounts.create_token(s, s.scalar(select(User).where(User.email == "root@lifecycle.example")), "t")
        s.commit()
    sysadmin = {"Authorization": token}

    def serve(title: str) -> None:
        recs = [new_record(identifier=f"harvested-{n}", title={"en": f"{title} {n}"}, license="CC-BY-4.0",
                           publisher={"slug": "agency-h", "name": {"en": "Agency H"}},
                           distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{n}.csv", format="CSV")])
                for n in (1, 2)]
        local_server.add_bytes("/data.json", json.dumps(datajson.catalog_to_datajson(
            recs, site_url=local_server.url(""))).encode(), "application/json")

    def states() -> dict[str, str]:
        with factory() as s:
            return dict(s.execute(select(Dataset.remote_id, Dataset.state).where(Dataset.source_id.is_not(None))).all())

    serve("Harvested")
    add_source("agency-h-json", "datajson", local_server.url("/data.json"), publisher="agency-h")
    assert harvest(runtime, "agency-h-json", full=True).to_dict()["added"] == 2
    with factory() as s:
        slugs = dict(s.execute(select(Dataset.remote_id, Dataset.slug).where(Dataset.source_id.is_not(None))).all())
    client = app.test_client()
    withdrawn = client.post(f"/api/v1/datasets/{slugs['harvested-1']}/withdraw", headers=sysadmin,
                            json={"reason": "The figures are wrong: do not use them."})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"
    deleted = client.post("/api/3/action/package_delete", headers=sysadmin, json={"id": slugs["harvested-2"]})
    assert deleted.status_code == 200
    for title in ("Harvested", "Changed at the source"):
        serve(title)
        summary = harvest(runtime, "agency-h-json", full=True).to_dict()
        assert summary["status"] == "finished" and summary["updated"] == 0, summary
        assert states() == {"harvested-1": "withdrawn", "harvested-2": "deleted"}, title
        page = client.get(f"/dataset/{slugs['harvested-1']}", headers={"Accept": "text/html"})
        assert page.status_code == 410 and "The figures are wrong" in page.get_data(as_text=True)
        assert client.get(f"/dataset/{slugs['harvested-2']}", headers={"Accept": "text/html"}).status_code == 404
        assert client.get(f"/api/3/action/package_show?id={slugs['harvested-2']}").status_code == 404
    # restored by a person: public again, and its source's harvests update it again
    restored = client.post(f"/api/v1/datasets/{slugs['harvested-1']}/restore", headers=sysadmin)
    assert restored.status_code == 200 and restored.get_json()["state"] == "active", restored.get_json()
    assert harvest(runtime, "agency-h-json", full=True).to_dict()["updated"] == 1
    with factory() as s:
        ds = s.scalar(select(Dataset).where(Dataset.remote_id == "harvested-1"))
        assert ds.state == "active" and "Changed at the source 1" in ds.title.values(), (ds.state, ds.title)
