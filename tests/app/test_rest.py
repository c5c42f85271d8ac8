"""The native REST API (/api/v1) on SQLite and PostgreSQL: every endpoint, paging, ETags, errors, usage, OpenAPI.

The catalog of `catalog` below is built through the real store and search index:
fifteen datasets of three publishers (one a department of another), one withdrawn,
a few assessments, and a harvest job with errored records. Expected values are
worked out from that table by hand. One test harvests the demo government of
data_samples/ with the real harvesters and checks the harvest endpoints against
the jobs' own summaries.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from sqlalchemy import func, select, text

from app.api.rest import api
from app.api.rest_schemas import SCHEMAS
from app.services.usage import record_usage, usage_series
from catalog_schema import dictionary, search
from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestRecord, HarvestSource, UsageCounter
from catalog_schema.record import new_record
from catalog_schema.store import ensure_publisher, save_record, set_inferred_dictionary, to_record
from quality.findings import FINDING_TYPES, make_finding
from tests.support.two_harvests import JOB2, JOB2_KINDS, SOURCE, XSS, two_harvests

CITY = {"slug": "city-gov", "name": {"en": "City Government", "zh": "市政府"}}
TRANSPORT = {"slug": "transport", "name": {"en": "Transport Bureau", "zh": "交通局"}, "parent": "city-gov"}
STATS = {"slug": "stats", "name": {"en": "Statistics Bureau", "zh": "统计局"}}

# slug: (title, keywords, themes, licence, formats, stars, score, publisher, state)
CATALOG = {
    "bus-ridership": ({"en": "Bus ridership", "zh": "公交客运量"}, ["公交", "transport"], ["TRAN"], "CC-BY-4.0",
                      ["CSV", "JSON"], 3, 61, TRANSPORT, "active"),
    "metro-stations": ({"en": "Metro stations", "zh": "地铁站点"}, ["transport"], ["TRAN"], "CC-BY-4.0",
                       ["CSV", "GeoJSON"], 4, 78, TRANSPORT, "active"),
    "road-traffic": ({"en": "Road traffic counts", "zh": "道路交通流量"}, ["traffic"], ["TRAN"], "ODbL-1.0",
                     ["XLSX"], 2, 40, TRANSPORT, "active"),
    "taxi-trips": ({"en": "Taxi trips", "zh": "出租车行程"}, ["taxi", "transport"], ["TRAN"], "CC-BY-4.0",
                   ["CSV"], 5, 92, TRANSPORT, "active"),
    "parking": ({"en": "Parking lots", "zh": "停车场"}, ["parking"], ["TRAN"], "CC-BY-4.0", ["PDF"], 1, 20,
                TRANSPORT, "active"),
    "old-timetable": ({"en": "Old bus timetable", "zh": "公交时刻表"}, ["公交"], ["TRAN"], "CC-BY-4.0", ["CSV"],
                      3, 55, TRANSPORT, "withdrawn"),
    "population": ({"en": "Population census", "zh": "人口普查"}, ["census"], ["SOCI"], "CC-BY-4.0", ["CSV"], 5,
                   95, STATS, "active"),
    "gdp": ({"en": "Gross domestic product"}, ["economy"], ["ECON"], "CC0-1.0", ["CSV", "XLSX"], 3, 66, STATS,
            "active"),
    "unemployment": ({"en": "Unemployment rate"}, ["economy", "labour"], ["ECON"], "CC-BY-4.0", ["PDF"], 1, 25,
                     STATS, "active"),
    "prices": ({"en": "Consumer prices", "zh": "居民消费价格"}, ["economy"], ["ECON"], "CC-BY-4.0", ["CSV"], 3, 60,
               STATS, "active"),
    "wages": ({"en": "Average wages"}, ["labour"], ["ECON"], None, [], None, None, STATS, "active"),
    "budget": ({"en": "City budget", "zh": "财政预算"}, ["finance"], ["GOVE"], "CC-BY-4.0", ["PDF"], 1, 30, CITY,
               "active"),
    "hotline": ({"en": "Citizen hotline complaints", "zh": "市民热线"}, ["service"], ["GOVE"], "CC-BY-4.0",
                ["CSV"], 3, 58, CITY, "active"),
    "holidays": ({"en": "Working day calendar", "zh": "工作日历"}, ["calendar"], ["GOVE"], "CC-BY-4.0",
                 ["JSON"], 3, 64, CITY, "active"),
    "air-quality": ({"en": "Air quality", "zh": "空气质量"}, ["air"], ["ENVI"], "ODbL-1.0", ["CSV", "JSON"], 4, 80,
                    CITY, "active"),
}
SLUGS = list(CATALOG)
ACTIVE = [s for s in SLUGS if CATALOG[s][-1] == "active"]
T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def _modified_at(slug: str) -> dt.datetime:
    return T0 + dt.timedelta(days=SLUGS.index(slug))


def _record(slug: str) -> dict:
    title, kws, themes, lic, formats, _stars, _score, pub, state = CATALOG[slug]
    dists = [{"title": {"en": f"{slug} {fmt}"}, "download_url": f"http://127.0.0.1:9/{slug}.{fmt.lower()}",
              "format": fmt} for fmt in formats]
    return new_record(slug=slug, title=title, description={"en": f"About {title['en'].lower()}."}, keywords=kws,
                      themes=themes, license=lic, publisher=pub, state=state, modified="2026-01-01",
                      distributions=dists)


def _assessment(ds_id: str, at: dt.datetime, stars: int, score: int, points: int, findings: list[str]) -> Assessment:
    return Assessment(
        dataset_id=ds_id, assessed_at=at, rule_version="1", stars=stars, score=score, metadata_points=points,
        metadata_rating="good" if points >= 250 else "sufficient", subscores={"openness": stars * 20},
        data={"rows": 120, "columns": 5, "missing_cells": 3, "duplicate_rows": 0, "type_errors": 0},
        distributions=[{"id": "d1", "url": "http://127.0.0.1:9/x.csv", "declared_format": "CSV",
                        "detected_format": "CSV", "encoding": "utf-8", "http_status": 200, "stars": stars,
                        "reasons": ["Machine-readable, non-proprietary format"]}],
        findings=[{"type": t, "severity": "warning", "message": f"Finding {t}", "fix": "Fix it"} for t in findings],
    )


# (slug, days after T0, stars, score, metadata points, findings)
ASSESSMENTS = [
    ("bus-ridership", 10, 2, 45, 200, ["proprietary-format"]),
    ("bus-ridership", 20, 3, 61, 260, ["no-uris"]),
    ("metro-stations", 20, 4, 78, 300, []),
    ("population", 21, 5, 95, 380, []),
    ("gdp", 21, 3, 66, 240, ["stale"]),
]


@pytest.fixture
def catalog(snapshot, app):
    """The fifteen datasets saved, scored, indexed; assessments; a harvest job with errored records: built once
    per backend, a copy for each test."""
    factory = app.extensions["opendata"]["sessionmaker"]
    return {**snapshot.once(lambda: _build(factory)), "factory": factory}


def _build(factory) -> dict:
    with factory() as session:
        ensure_publisher(session, CITY)  # before its department, so the department finds its parent
        ids = {}
        for slug in SLUGS:
            ds, outcome = save_record(session, _record(slug))
            assert outcome == "added"
            ds.stars, ds.score = CATALOG[slug][5], CATALOG[slug][6]
            ds.modified_at = _modified_at(slug)
            session.flush()
            search.index_dataset(session, ds)
            ids[slug] = ds.id
            if slug == "bus-ridership":  # a table profiled: its dictionary
                set_inferred_dictionary(ds.distributions[0], sha256="0" * 64, inferred=dictionary.infer({
                    "inferred_types": {"月份": "string", "客运量(万人次)": "integer"},
                    "notes_above": [], "notes_below": ["数据来源：市交通委"]}))
                ids["bus-ridership/distribution"] = ds.distributions[0].id
        for slug, days, stars, score, points, findings in ASSESSMENTS:
            session.add(_assessment(ids[slug], T0 + dt.timedelta(days=days), stars, score, points, findings))
        src = HarvestSource(name="transport-ckan", type="ckan", url="http://127.0.0.1:9/api/3/action/",
                            config={"api_key": "s3cret-value", "rows": 50, "headers": {"Authorization": "Bearer x"}})
        session.add(src)
        session.flush()
        old = HarvestJob(source_id=src.id, status="finished", added=5, created_at=T0)
        job = HarvestJob(source_id=src.id, status="finished", added=1, errored=2, created_at=T0 + dt.timedelta(1),
                         started_at=T0 + dt.timedelta(1), finished_at=T0 + dt.timedelta(1, 60))
        session.add_all([old, job])
        session.flush()
        session.add_all([
            HarvestRecord(job_id=job.id, remote_id="pkg-ok", status="added", stage="import",
                          dataset_id=ids["bus-ridership"]),
            HarvestRecord(job_id=job.id, remote_id="pkg-bad-json", status="errored", stage="fetch",
                          error="Expecting value: line 1 column 1 (char 0)", payload="<html>Gateway timeout</html>"),
            HarvestRecord(job_id=job.id, remote_id="pkg-no-title", status="errored", stage="import",
                          error="record has no title", payload=json.dumps({"name": "pkg-no-title"})),
        ])
        session.commit()
        return {"ids": ids, "job_id": job.id, "old_job_id": old.id}


def _error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


def _page_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["page"][0])


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# ---------------------------------------------------------------------------
# Datasets: list, search, facets, paging
# ---------------------------------------------------------------------------


def test_list_pages_through_every_active_dataset_newest_first(client, catalog):
    resp = client.get("/api/v1/datasets?per_page=4")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["pagination"] == {"page": 1, "per_page": 4, "total": len(ACTIVE), "pages": math.ceil(14 / 4)}
    assert len(ACTIVE) == 14
    links = body["links"]
    assert "prev" not in links and _page_of(links["next"]) == 2
    assert _page_of(links["first"]) == 1 and _page_of(links["last"]) == 4
    header = resp.headers["Link"]
    assert f'<{links["next"]}>; rel="next"' in header and f'<{links["last"]}>; rel="last"' in header
    assert 'rel="prev"' not in header

    seen = [item["slug"] for item in body["items"]]
    url = links.get("next")
    while url:
        page = client.get(_local(url)).get_json()
        assert page["links"]["prev"]
        seen += [item["slug"] for item in page["items"]]
        url = page["links"].get("next")
    assert seen == sorted(ACTIVE, key=_modified_at, reverse=True)  # default order: -modified

    first = body["items"][0]
    assert first["slug"] == "air-quality" and first["title"] == {"en": "Air quality", "zh": "空气质量"}
    assert first["publisher"]["slug"] == "city-gov" and first["stars"] == 4 and first["score"] == 80
    assert first["id"] == catalog["ids"]["air-quality"]
    assert first["links"]["self"].endswith("/api/v1/datasets/air-quality")


def test_last_page_links_and_a_page_past_the_end(client, catalog):
    body = client.get("/api/v1/datasets?per_page=5&page=3").get_json()
    assert [i["slug"] for i in body["items"]] == sorted(ACTIVE, key=_modified_at, reverse=True)[10:]
    assert "next" not in body["links"] and _page_of(body["links"]["prev"]) == 2
    past = client.get("/api/v1/datasets?per_page=5&page=9").get_json()
    assert past["items"] == [] and past["pagination"]["total"] == 14 and _page_of(past["links"]["prev"]) == 3


def test_paging_links_keep_the_filters(client, catalog):
    body = client.get("/api/v1/datasets?publisher=transport&format=CSV&per_page=1&sort=title").get_json()
    assert body["pagination"]["total"] == 3  # bus-ridership, metro-stations, taxi-trips (old-timetable withdrawn)
    query = parse_qs(urlsplit(body["links"]["next"]).query)
    assert query == {"publisher": ["transport"], "format": ["CSV"], "sort": ["title"], "page": ["2"],
                     "per_page": ["1"]}
    slugs = []
    url = body["links"]["self"]
    while url:
        page = client.get(_local(url)).get_json()
        slugs += [i["slug"] for i in page["items"]]
        url = page["links"].get("next")
    assert slugs == ["bus-ridership", "metro-stations", "taxi-trips"]


def test_filters_combine_and_facets_count_under_them(client, catalog):
    def slugs(qs: str) -> set[str]:
        body = client.get(f"/api/v1/datasets?per_page=100&{qs}").get_json()
        assert body["pagination"]["total"] == len(body["items"])
        return {i["slug"] for i in body["items"]}

    assert slugs("format=PDF") == {"parking", "unemployment", "budget"}
    assert slugs("format=PDF&format=XLSX") == {"parking", "unemployment", "budget", "road-traffic", "gdp"}
    assert slugs("publisher=stats&stars_min=3") == {"population", "gdp", "prices"}
    assert slugs("licence=ODbL-1.0") == {"road-traffic", "air-quality"}
    assert slugs("theme=GOVE&keyword=finance") == {"budget"}
    assert slugs("q=交通") == {"road-traffic", "bus-ridership", "metro-stations", "taxi-trips", "parking"}  # 交通局
    assert slugs("q=交通&publisher=stats") == set()
    assert slugs("q=道路") == {"road-traffic"}
    assert slugs("q=公交") == {"bus-ridership"}  # the withdrawn timetable is not listed
    assert slugs("q=economy prices") == {"prices"}
    assert slugs("stars_min=5") == {"taxi-trips", "population"}
    # values as the CKAN API and the datasets spell them find the same (csv, odc-odbl, gove found nothing)
    assert slugs("format=pdf") == slugs("format=PDF") and slugs("format=geojson") == slugs("format=GeoJSON") != set()
    assert slugs("licence=odc-odbl") == slugs("licence=ODbL-1.0")
    assert slugs("theme=gove&keyword=finance") == {"budget"}
    # what the search cannot answer faithfully is refused, as package_search refuses it (q=-bus found the bus data)
    for q in ("-traffic", "bus OR taxi"):
        assert client.get("/api/v1/datasets", query_string={"q": q}).status_code == 400, q
    assert "不能" in client.get("/api/v1/datasets?q=-bus&lang=zh").get_json()["error"]["message"]


@pytest.mark.parametrize("q", ["🚌", "!!!", "。", "🚌 !!! 。"])
def test_a_query_with_no_searchable_word_finds_nothing_at_every_door(client, catalog, q):
    """q=🚌 listed every dataset: the tokenizer drops an emoji or punctuation, and a query left with no term was
    taken for no query at all. As Solr answers CKAN clients, it finds nothing; an empty q and *:* still list all,
    and a word beside what is dropped is still searched for (one place, catalog_schema.search, for every door)."""
    rest = client.get("/api/v1/datasets", query_string={"q": q}).get_json()
    assert rest["pagination"]["total"] == 0 and rest["items"] == []
    ckan = client.get("/api/3/action/package_search", query_string={"q": q}).get_json()["result"]
    assert ckan["count"] == 0 and ckan["results"] == []
    page = client.get("/dataset", query_string={"q": q, "lang": "en"}).get_data(as_text=True)
    assert "0 datasets found" in page and 'id="no-results"' in page
    # what is left besides the dropped characters is searched for, at each door
    mixed = f"bus {q}"
    assert {i["slug"] for i in client.get("/api/v1/datasets", query_string={"q": mixed}).get_json()["items"]} \
        == {"bus-ridership"}
    assert [p["name"] for p in client.get("/api/3/action/package_search",
                                          query_string={"q": mixed}).get_json()["result"]["results"]] \
        == ["bus-ridership"]
    assert "1 dataset found" in client.get("/dataset", query_string={"q": mixed, "lang": "en"}).get_data(as_text=True)


def test_an_empty_query_and_everything_still_list_every_dataset(client, catalog):
    for q in ("", "   ", "*:*"):
        assert client.get("/api/3/action/package_search", query_string={"q": q}).get_json()["result"]["count"] \
            == len(ACTIVE), q
    assert client.get("/api/3/action/package_search").get_json()["result"]["count"] == len(ACTIVE)
    for q in ("", "   "):
        assert client.get("/api/v1/datasets", query_string={"q": q}).get_json()["pagination"]["total"] \
            == len(ACTIVE), q
        assert f"{len(ACTIVE)} datasets found" in client.get("/dataset", query_string={"q": q, "lang": "en"}) \
            .get_data(as_text=True)

    facets = client.get("/api/v1/datasets?theme=TRAN").get_json()["facets"]
    assert facets["publisher"] == [{"value": "transport", "count": 5}]
    assert facets["format"] == [{"value": "CSV", "count": 3}, {"value": "GeoJSON", "count": 1},
                                {"value": "JSON", "count": 1}, {"value": "PDF", "count": 1},
                                {"value": "XLSX", "count": 1}]
    assert sorted(facets["stars"], key=lambda f: f["value"]) == [
        {"value": v, "count": 1} for v in (1, 2, 3, 4, 5)]
    assert set(facets) == set(search.FACETS)


def test_sorts(client, catalog):
    def order(sort: str) -> list[str]:
        return [i["slug"] for i in client.get(f"/api/v1/datasets?per_page=100&sort={sort}").get_json()["items"]]

    assert order("name") == sorted(ACTIVE)
    assert order("-score")[:3] == ["population", "taxi-trips", "air-quality"]
    assert order("-score")[-1] == "wages"  # no score: last
    assert order("modified") == sorted(ACTIVE, key=_modified_at)
    assert order("title")[:5] == ["air-quality", "wages", "bus-ridership", "hotline", "budget"]  # Citizen < City
    assert order("-title")[0] == "holidays"  # Working day calendar


@pytest.mark.parametrize("qs, name", [
    ("per_page=abc", "per_page"), ("per_page=0", "per_page"), ("per_page=101", "per_page"),
    ("page=-1", "page"), ("page=0", "page"), ("page=1.5", "page"), ("page=99999999999999999999", "page"),
    ("stars_min=9", "stars_min"), ("stars_min=-1", "stars_min"), ("stars_min=three", "stars_min"),
    ("sort=popularity", "sort"), ("sort=title;DROP", "sort"), ("per_page=1_0", "per_page"),
])
def test_bad_parameters_are_400_with_the_stable_shape(client, qs, name):
    message = _error(client.get(f"/api/v1/datasets?{qs}"), 400, "bad-request")
    assert f"'{name}'" in message


@pytest.mark.parametrize("q", [
    "'; DROP TABLE datasets; --", "\" OR 1=1 --", "<script>alert(1)</script>", "a" * 10_000, "交" * 10_000,
    "NEAR(bus ridership) OR *", "bus\x00ridership", "%00", "\\", "title:(x) AND -y",
])
def test_hostile_queries_never_fail(client, catalog, q):
    resp = client.get("/api/v1/datasets", query_string={"q": q})
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/json"
    if resp.status_code == 400:
        _error(resp, 400, "bad-request")
    else:
        assert isinstance(resp.get_json()["items"], list)
    assert "<script>" not in resp.get_data(as_text=True)
    # the catalog is intact
    assert client.get("/api/v1/datasets").get_json()["pagination"]["total"] == 14


def test_undecodable_query_bytes_never_fail(client, catalog):
    resp = client.get("/api/v1/datasets?q=%ED%A0%80%FF%00&publisher=%C0%AF")
    assert resp.status_code in (200, 400) and resp.mimetype == "application/json"
    resp = client.get("/api/v1/datasets?q=%ED%A0%80%FF")
    assert resp.status_code == 200 and resp.get_json()["items"] == []


def test_nul_and_overlong_queries_are_refused_clearly(client, catalog):
    assert "NUL" in _error(client.get("/api/v1/datasets", query_string={"q": "bus\x00"}), 400, "bad-request")
    assert "'q'" in _error(client.get("/api/v1/datasets", query_string={"q": "a" * 10_001}), 400, "bad-request")
    ok = client.get("/api/v1/datasets", query_string={"q": "bus " * 2_500})
    assert ok.status_code == 200 and {i["slug"] for i in ok.get_json()["items"]} == {"bus-ridership"}
    hostile_filter = client.get("/api/v1/datasets", query_string={"publisher": "x\x00y"})
    _error(hostile_filter, 400, "bad-request")


# ---------------------------------------------------------------------------
# One dataset, its quality and usage
# ---------------------------------------------------------------------------


def test_dataset_is_its_record_with_stars_score_and_links(client, catalog, app):
    body = client.get("/api/v1/datasets/bus-ridership").get_json()
    with catalog["factory"]() as session:
        record = to_record(session.get(Dataset, catalog["ids"]["bus-ridership"]))
    for key, value in record.items():
        assert body[key] == value, key
    assert body["title"] == {"en": "Bus ridership", "zh": "公交客运量"}
    assert [d["format"] for d in body["distributions"]] == ["CSV", "JSON"]
    assert body["publisher"]["slug"] == "transport" and body["publisher"]["parent"] == "city-gov"
    assert body["stars"] == 3 and body["score"] == 61
    assert body["assessed_at"].startswith("2026-01-21")
    assert set(body["links"]["exports"]) == {"ttl", "rdf", "jsonld", "nt", "json", "xml", "csv"}
    assert body["links"]["exports"]["ttl"].endswith("/dataset/bus-ridership.ttl")
    assert body["links"]["quality"].endswith("/api/v1/datasets/bus-ridership/quality")
    assert body["links"]["publisher"].endswith("/api/v1/publishers/transport")


def test_withdrawn_dataset_is_410_with_its_tombstone_and_unknown_is_404(client, catalog):
    gone = client.get("/api/v1/datasets/old-timetable")
    assert gone.status_code == 410 and gone.mimetype == "application/json"
    error = gone.get_json()["error"]
    assert error["code"] == "withdrawn" and "withdrawn" in error["message"] and "撤回" in error["message_zh"]
    assert error["tombstone"]["dataset"] == "old-timetable" and error["tombstone"]["state"] == "withdrawn"
    assert "nope" in _error(client.get("/api/v1/datasets/nope"), 404, "not-found")
    _error(client.get("/api/v1/datasets/%00"), 404, "not-found")
    _error(client.get("/api/v1/datasets/" + "x" * 600), 404, "not-found")
    _error(client.get("/api/v1/datasets/nope/quality"), 404, "not-found")
    _error(client.get("/api/v1/datasets/nope/quality/history"), 404, "not-found")
    _error(client.get("/api/v1/no-such-endpoint"), 404, "not-found")
    # an endpoint's address asked with a method it does not take: 405 with Allow, not "No such endpoint"
    wrong = client.get("/api/v1/datasets/metro-stations/distributions")
    _error(wrong, 405, "method-not-allowed")
    assert wrong.headers["Allow"] == "POST"
    # OPTIONS says the same (Flask's own answer added the catch-all's GET to every address)
    options = client.options("/api/v1/datasets/metro-stations/distributions")
    assert options.status_code == 204 and options.headers["Allow"] == "POST, OPTIONS"
    assert client.options("/api/v1/datasets").headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    _error(client.options("/api/v1/no-such-endpoint"), 404, "not-found")
    # an address no route reads (a newline in it) is still answered in the API's shape, not an HTML page
    _error(client.get("/api/v1/no%0Asuch"), 404, "not-found")
    # a method no endpoint at the address takes: 405 with Allow in the API's shape (werkzeug's HTML page before)
    deleted = client.delete("/api/v1/datasets")
    assert "DELETE" in _error(deleted, 405, "method-not-allowed") and "GET" in deleted.headers["Allow"]
    assert "不允许" in client.put("/api/v1/datasets/metro-stations?lang=zh").get_json()["error"]["message"]


def test_etag_304_until_the_dataset_changes(client, catalog):
    first = client.get("/api/v1/datasets/metro-stations")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and "max-age" in first.headers["Cache-Control"]
    again = client.get("/api/v1/datasets/metro-stations", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    strong = etag.removeprefix("W/")
    assert client.get("/api/v1/datasets/metro-stations", headers={"If-None-Match": strong}).status_code == 304
    other = client.get("/api/v1/datasets/metro-stations", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200

    with catalog["factory"]() as session:
        rec = _record("metro-stations")
        rec["title"] = {"en": "Metro stations and entrances", "zh": "地铁站点"}
        _, outcome = save_record(session, rec)
        assert outcome == "updated"
        session.commit()
    changed = client.get("/api/v1/datasets/metro-stations", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["title"]["en"] == "Metro stations and entrances"

    etag = changed.headers["ETag"]
    with catalog["factory"]() as session:  # renaming the publisher changes the embedded record
        ensure_publisher(session, {**TRANSPORT, "name": {"en": "Transport Commission"}})
        session.commit()
    renamed = client.get("/api/v1/datasets/metro-stations", headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and renamed.get_json()["publisher"]["name"]["en"] == "Transport Commission"


def test_list_etag_304_and_changes_with_the_page(client, catalog):
    first = client.get("/api/v1/datasets?per_page=3")
    etag = first.headers["ETag"]
    assert client.get("/api/v1/datasets?per_page=3", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/datasets?per_page=3&page=2", headers={"If-None-Match": etag}).status_code == 200
    pubs = client.get("/api/v1/publishers")
    assert client.get("/api/v1/publishers", headers={"If-None-Match": pubs.headers["ETag"]}).status_code == 304
    with catalog["factory"]() as session:  # a new score changes the list
        ds = session.get(Dataset, catalog["ids"]["air-quality"])
        ds.score = 81
        session.commit()
    assert client.get("/api/v1/datasets?per_page=3", headers={"If-None-Match": etag}).status_code == 200


def test_quality_is_the_latest_assessment(client, catalog):
    body = client.get("/api/v1/datasets/bus-ridership/quality").get_json()
    assert body["dataset"] == "bus-ridership" and body["stars"] == 3 and body["score"] == 61
    assert body["assessed_at"].startswith("2026-01-21")
    assert body["metadata"] == {"points": 260, "max": 405, "rating": "good"}
    assert [f["type"] for f in body["findings"]] == ["no-uris"]
    assert body["data"]["rows"] == 120 and body["distributions"][0]["detected_format"] == "CSV"
    message = _error(client.get("/api/v1/datasets/taxi-trips/quality"), 404, "not-assessed")
    assert "taxi-trips" in message and "not been assessed" in message


def _cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def test_quality_findings_are_said_in_the_language_asked_for(client, catalog):
    """Under ?lang=zh the findings' explanations and fixes came in English while the dataset page said them in
    Chinese. They are now the page's texts in the language the API is asked for (?lang, else Accept-Language, as
    its error messages); the slug, severity, file and evidence (what programs read) are the same in both."""
    findings = [make_finding("licence-missing"),
                make_finding("stale", distribution="d1", dated="modified", age_days=400, frequency="MONTHLY",
                             expected_days=31, periods_late=12),
                make_finding("missing-cells", distribution="d1", count=3, share=2.5)]
    with catalog["factory"]() as session:
        a = _assessment(catalog["ids"]["prices"], T0 + dt.timedelta(days=30), 2, 40, 200, [])
        a.findings = [f.to_dict() for f in findings]
        a.distributions = [{**a.distributions[0], "stars": 0, "reasons": ["No licence is given."]}]
        session.add(a)
        session.commit()
    url = "/api/v1/datasets/prices/quality"
    en, zh = client.get(url), client.get(url + "?lang=zh")
    by_header = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert en.status_code == zh.status_code == by_header.status_code == 200
    assert by_header.get_json() == zh.get_json()
    assert client.get(url, headers={"Accept-Language": "zh-CN"}, query_string={"lang": "en"}).get_json() \
        == en.get_json()  # ?lang wins over the header
    en_doc, zh_doc = en.get_json(), zh.get_json()
    page = unescape(client.get("/dataset/prices?lang=zh").get_data(as_text=True))
    for f, said_en, said_zh in zip(findings, en_doc["findings"], zh_doc["findings"], strict=True):
        ftype = FINDING_TYPES[f.type]
        assert (said_zh["message"], said_zh["fix"]) == (ftype.message("zh", f.evidence), ftype.fix("zh", f.evidence))
        assert _cjk(said_zh["message"]) and _cjk(said_zh["fix"]), said_zh
        assert said_zh["message"] in page and said_zh["fix"] in page  # the dataset page's very words
        assert (said_en["message"], said_en["fix"]) == (f.message, f.fix)
        assert not _cjk(said_en["message"]) and not _cjk(said_en["fix"])
        for key in ("type", "severity", "distribution", "evidence"):  # what programs read: the same
            assert said_en[key] == said_zh[key] == f.to_dict()[key], key
    assert "每月" in zh_doc["findings"][1]["message"]  # the frequency code in words, as the page says it
    assert zh_doc["distributions"][0]["reasons"] == ["未声明许可协议。"]  # the star's reason, as on the page
    assert en_doc["distributions"][0]["reasons"] == ["No licence is given."]
    same = ("dataset", "assessed_at", "rule_version", "stars", "score", "subscores", "metadata", "data", "timeliness",
            "pii")
    assert {k: en_doc[k] for k in same} == {k: zh_doc[k] for k in same}
    # two representations: two validators, and a shared cache told to keep one per language
    assert en.headers["ETag"] != zh.headers["ETag"]
    assert "Accept-Language" in en.headers.get("Vary", "") and "Accept-Language" in zh.headers.get("Vary", "")
    assert client.get(url + "?lang=zh", headers={"If-None-Match": en.headers["ETag"]}).status_code == 200
    assert client.get(url + "?lang=zh", headers={"If-None-Match": zh.headers["ETag"]}).status_code == 304
    # the document says how to ask (test_openapi_document_is_valid_openapi_31 validates it)
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/datasets/{slug}/quality"]["get"]
    lang = next(p for p in operation["parameters"] if p["name"] == "lang")
    # any value is taken (English for one that is neither): the document declared zh|en, and schemathesis found
    # ?lang= answered 200 against it
    assert lang["in"] == "query" and not lang["required"] and lang["schema"] == {"type": "string"}
    assert "Accept-Language" in lang["description"]
    for other in ("", "fr"):
        assert client.get(url + f"?lang={other}").get_json() == en_doc


def test_quality_history_lists_every_assessment_oldest_first(client, catalog):
    body = client.get("/api/v1/datasets/bus-ridership/quality/history").get_json()
    assert body["dataset"] == "bus-ridership"
    assert [(i["stars"], i["score"], i["metadata_points"]) for i in body["items"]] == [(2, 45, 200), (3, 61, 260)]
    assert body["items"][0]["at"].startswith("2026-01-11")
    assert client.get("/api/v1/datasets/taxi-trips/quality/history").get_json()["items"] == []


def test_usage_counts_api_calls_per_dataset_per_day(client, catalog, app):
    ds_id = catalog["ids"]["gdp"]
    for _ in range(3):
        assert client.get("/api/v1/datasets/gdp").status_code == 200
    etag = client.get("/api/v1/datasets/gdp").headers["ETag"]
    assert client.get("/api/v1/datasets/gdp", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/datasets/gdp/quality").status_code == 200
    client.get("/api/v1/datasets/gdp/quality/history")
    client.get("/api/v1/datasets?q=gdp")  # a search is not a call on the dataset
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with catalog["factory"]() as session:
        record_usage(session, ds_id, "view", day=yesterday)
        record_usage(session, ds_id, "view", day=yesterday)
        record_usage(session, ds_id, "download", day=yesterday, n=5)
        session.commit()
        rows = session.scalars(select(UsageCounter).where(UsageCounter.dataset_id == ds_id)
                               .order_by(UsageCounter.day)).all()
        assert [(r.day, r.views, r.downloads, r.api_calls) for r in rows] == [
            (yesterday, 2, 5, 0), (yesterday + dt.timedelta(days=1), 0, 0, 7)]
        assert session.scalar(select(func.count()).select_from(UsageCounter)) == 2  # no other dataset counted
    usage = client.get("/api/v1/datasets/gdp/usage").get_json()
    assert usage["totals"] == {"views": 2, "downloads": 5, "api_calls": 8}  # the usage call counts itself
    assert [d["day"] for d in usage["days"]] == [yesterday.isoformat(), (yesterday + dt.timedelta(1)).isoformat()]


def test_record_usage_upserts_and_rejects_unknown_kinds(session):
    ds, _ = save_record(session, _record("gdp"))
    day = dt.date(2026, 3, 1)
    for kind in ("view", "view", "download", "api", "api", "api"):
        record_usage(session, ds.id, kind, day=day)
    record_usage(session, ds.id, "view", day=day + dt.timedelta(days=1))
    session.commit()
    assert usage_series(session, ds.id) == [
        {"day": "2026-03-01", "views": 2, "downloads": 1, "api_calls": 3},
        {"day": "2026-03-02", "views": 1, "downloads": 0, "api_calls": 0}]
    assert usage_series(session, ds.id, since=day + dt.timedelta(days=1))[0]["views"] == 1
    with pytest.raises(ValueError, match="unknown usage kind"):
        record_usage(session, ds.id, "like")


# ---------------------------------------------------------------------------
# Publishers and the league table
# ---------------------------------------------------------------------------


def test_publishers_list_with_counts(client, catalog):
    body = client.get("/api/v1/publishers").get_json()
    assert [(p["slug"], p["datasets"], p["parent"]) for p in body["items"]] == [
        ("city-gov", 4, None), ("stats", 5, None), ("transport", 5, "city-gov")]
    assert body["pagination"]["total"] == 3
    paged = client.get("/api/v1/publishers?per_page=2&page=2").get_json()
    assert [p["slug"] for p in paged["items"]] == ["transport"] and "next" not in paged["links"]
    _error(client.get("/api/v1/publishers?per_page=500"), 400, "bad-request")


def test_publisher_with_counts(client, catalog):
    body = client.get("/api/v1/publishers/transport").get_json()
    assert body["name"] == {"en": "Transport Bureau", "zh": "交通局"} and body["parent"] == "city-gov"
    assert body["counts"] == {
        "datasets": 5, "series": 0, "withdrawn": 1, "distributions": 7, "assessed": 2, "stars": [0, 1, 1, 1, 1, 1],
        "formats": {"CSV": 3, "GeoJSON": 1, "JSON": 1, "PDF": 1, "XLSX": 1},
        "licences": {"CC-BY-4.0": 4, "ODbL-1.0": 1}}
    assert client.get("/api/v1/publishers/city-gov").get_json()["children"] == ["transport"]
    datasets_link = body["links"]["datasets"]
    listed = client.get(_local(datasets_link)).get_json()
    assert listed["pagination"]["total"] == 5
    _error(client.get("/api/v1/publishers/nobody"), 404, "not-found")


def test_league_table_and_publisher_quality(client, catalog):
    table = client.get("/api/v1/quality/publishers").get_json()["items"]
    # stats: population (5, 95, 380) and gdp (3, 66, 240, stale); transport: bus (3, 61, 260), metro (4, 78, 300)
    assert [(r["publisher"], r["rank"]) for r in table] == [("stats", 1), ("transport", 2)]
    stats = table[0]
    assert stats["datasets"] == 2 and stats["stars"] == [0, 0, 0, 1, 0, 1]
    assert stats["average_stars"] == 4.0 and stats["average_score"] == 80.5
    assert stats["average_metadata_points"] == 310.0 and stats["stale"] == 1 and stats["share_3_plus"] == 1.0
    transport = client.get("/api/v1/publishers/transport/quality").get_json()
    assert transport["average_score"] == 69.5 and transport["rank"] == 2 and transport["name"]["en"] == \
        "Transport Bureau"
    message = _error(client.get("/api/v1/publishers/city-gov/quality"), 404, "not-assessed")
    assert "city-gov" in message
    _error(client.get("/api/v1/publishers/nobody/quality"), 404, "not-found")


# ---------------------------------------------------------------------------
# Harvest sources and jobs
# ---------------------------------------------------------------------------


def test_harvest_source_and_job_with_errored_records(client, catalog):
    sources = client.get("/api/v1/harvest/sources").get_json()["items"]
    assert [s["name"] for s in sources] == ["transport-ckan"]
    src = sources[0]
    assert src["last_job"]["id"] == catalog["job_id"] and src["last_job"]["errored"] == 2
    assert src["config"] == {"api_key": "***", "rows": 50, "headers": {"Authorization": "***"}}
    assert "s3cret" not in client.get("/api/v1/harvest/sources/transport-ckan").get_data(as_text=True)

    one = client.get("/api/v1/harvest/sources/transport-ckan").get_json()
    assert [j["id"] for j in one["jobs"]] == [catalog["job_id"], catalog["old_job_id"]]
    assert [j["id"] for j in client.get("/api/v1/harvest/sources/transport-ckan?jobs=1").get_json()["jobs"]] == [
        catalog["job_id"]]
    _error(client.get("/api/v1/harvest/sources/transport-ckan?jobs=x"), 400, "bad-request")
    _error(client.get("/api/v1/harvest/sources/nothing"), 404, "not-found")

    job = client.get(_local(src["last_job"]["links"]["self"])).get_json()
    assert (job["status"], job["added"], job["errored"], job["errors_total"]) == ("finished", 1, 2, 2)
    assert [(e["remote_id"], e["stage"], e["error"], e["payload"]) for e in job["errors"]] == [
        ("pkg-bad-json", "fetch", "Expecting value: line 1 column 1 (char 0)", "<html>Gateway timeout</html>"),
        ("pkg-no-title", "import", "record has no title", '{"name": "pkg-no-title"}')]
    _error(client.get("/api/v1/harvest/jobs/999999"), 404, "not-found")
    _error(client.get("/api/v1/harvest/jobs/abc"), 404, "not-found")


def test_harvest_endpoints_on_the_demo_government(client, app, app_config):
    """The samples harvested by the real harvesters: the API reports the jobs as the harvester did."""
    from app import settings
    from app.demo import load_samples
    from app.jobs import Runtime

    values = settings.load()
    values.update(app_config)
    rt = Runtime(values)
    try:
        summaries = load_samples(rt)
    finally:
        rt.close()
    sources = {s["name"]: s for s in client.get("/api/v1/harvest/sources").get_json()["items"]}
    assert set(sources) == set(summaries) == {s["name"] for s in json.loads(
        (settings.Path(__file__).resolve().parents[2] / "data_samples" / "sources.json").read_text("utf-8"))}
    for name, summary in summaries.items():
        job = client.get(f"/api/v1/harvest/jobs/{summary['job_id']}").get_json()
        for key in ("status", "added", "updated", "unchanged", "withdrawn", "errored"):
            assert job[key] == summary[key], (name, key)
        assert job["source"] == name and len(job["errors"]) == summary["errored"]
        assert sources[name]["datasets"] == summary["added"] and sources[name]["last_job"]["id"] == job["id"]
    total = sum(s["added"] for s in summaries.values())
    assert client.get("/api/v1/datasets").get_json()["pagination"]["total"] == total
    pubs = {p["slug"]: p["datasets"] for p in client.get("/api/v1/publishers?per_page=100").get_json()["items"]}
    assert pubs["jh-transport"] == summaries["jh-transport-ckan"]["added"]


def _job_rows(runtime, job_id: int) -> list:
    """Job `job_id`'s record rows with their dataset, in the order the job wrote them."""
    with runtime.sessionmaker() as session:
        return session.execute(
            select(HarvestRecord.remote_id, HarvestRecord.status, HarvestRecord.stage, HarvestRecord.error,
                   Dataset.slug, Dataset.title, Dataset.state)
            .outerjoin(Dataset, Dataset.id == HarvestRecord.dataset_id)
            .where(HarvestRecord.job_id == job_id).order_by(HarvestRecord.id)).all()


def test_harvest_source_report_after_two_real_harvests(client, runtime, add_source, local_server, fixtures_dir,
                                                       openapi):
    """A CKAN source harvested twice (adding, updating, withdrawing, failing): the report's figures are the
    database's, its lists in the order the job met the records, its errors grouped by kind."""
    first, second = two_harvests(runtime, add_source, local_server, fixtures_dir)
    assert (first["added"], first["errored"]) == (4, 2)
    assert {k: second[k] for k in JOB2} == {k: len(v) for k, v in JOB2.items()}
    resp = client.get(f"/api/v1/harvest/sources/{SOURCE}/report")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    doc = resp.get_json()
    _validator(openapi, "#/components/schemas/HarvestReport").validate(doc)
    assert doc["source"]["name"] == SOURCE and doc["source"]["publisher"] == "birmingham"

    with runtime.sessionmaker() as session:
        jobs = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).all()
        columns = [{k: getattr(j, k) for k in ("id", "status", "added", "updated", "unchanged", "withdrawn",
                                               "errored")} for j in jobs]
    assert doc["jobs_total"] == 2 and [{k: j[k] for k in columns[0]} for j in doc["jobs"]] == columns
    for job in doc["jobs"]:
        rows = _job_rows(runtime, job["id"])
        assert sum(job[k] for k in ("added", "updated", "unchanged", "withdrawn", "errored")) == len(rows)
        assert job["errored"] == sum(r.status == "errored" for r in rows)
        assert _local(job["links"]["self"]) == f"/api/v1/harvest/jobs/{job['id']}"

    latest = doc["latest"]
    assert latest["job"]["id"] == jobs[0].id
    rows = _job_rows(runtime, jobs[0].id)
    for key in ("added", "updated", "withdrawn"):
        expected = [r for r in rows if r.status in (("updated", "restored") if key == "updated" else (key,))]
        assert [r.remote_id for r in expected] == JOB2[key]
        got = latest[key]
        assert (got["total"], got["more"]) == (len(expected), 0)
        assert [(i["remote_id"], i["dataset"], i["title"], i["state"]) for i in got["items"]] == [
            (r.remote_id, r.slug, r.title, r.state) for r in expected]
        assert all(_local(i["links"]["html"]) == f"/dataset/{i['dataset']}" for i in got["items"])
    assert list(latest["updated"]["items"][0]["title"].values()) == [f"Retitled {XSS}"]
    assert latest["withdrawn"]["items"][0]["state"] == "withdrawn"

    errored = {r.remote_id: r for r in rows if r.status == "errored"}
    assert sorted(errored) == sorted(JOB2["errored"])
    kinds = latest["errors"]["kinds"]
    assert [(k["stage"], k["kind"], k["count"], k["example"]["remote_id"]) for k in kinds] == JOB2_KINDS
    assert latest["errors"]["total"] == sum(k["count"] for k in kinds) == len(errored)
    assert all(k["example"]["error"] == errored[k["example"]["remote_id"]].error for k in kinds)
    assert latest["errors"]["more_kinds"] == 0

    capped = client.get(f"/api/v1/harvest/sources/{SOURCE}/report?jobs=1&titles=1").get_json()
    _validator(openapi, "#/components/schemas/HarvestReport").validate(capped)
    assert [j["id"] for j in capped["jobs"]] == [jobs[0].id] and capped["jobs_total"] == 2
    assert [i["remote_id"] for i in capped["latest"]["added"]["items"]] == ["p7"]
    assert (capped["latest"]["added"]["total"], capped["latest"]["added"]["more"]) == (2, 1)
    assert capped["latest"]["errors"] == latest["errors"]  # kinds are not capped by `titles`
    source = client.get(f"/api/v1/harvest/sources/{SOURCE}").get_json()
    assert _local(source["links"]["report"]) == f"/api/v1/harvest/sources/{SOURCE}/report"
    assert _local(doc["links"]["html"]) == f"/harvest/source/{SOURCE}"
    _error(client.get(f"/api/v1/harvest/sources/{SOURCE}/report?titles=x"), 400, "bad-request")
    _error(client.get(f"/api/v1/harvest/sources/{SOURCE}/report?jobs=0"), 400, "bad-request")
    _error(client.get("/api/v1/harvest/sources/nothing/report"), 404, "not-found")


def test_harvest_report_of_a_source_never_harvested(client, add_source):
    add_source("idle", "ckan", "http://127.0.0.1:9/")
    doc = client.get("/api/v1/harvest/sources/idle/report").get_json()
    assert (doc["jobs_total"], doc["jobs"], doc["latest"]) == (0, [], None)


# ---------------------------------------------------------------------------
# OpenAPI: valid, complete, and true to the responses
# ---------------------------------------------------------------------------

def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + [r for v in node.values()
                                                                                 for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_document_is_valid_openapi_31(openapi):
    """openapi-spec-validator (the reference validator of OpenAPI documents) accepts it, references included:
    the record schema's own definitions are components, not `#/$defs/...` that dangle from the root."""
    from openapi_spec_validator import OpenAPIV31SpecValidator

    assert openapi["openapi"].startswith("3.1.")
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OpenAPIV31SpecValidator(openapi).iter_errors()]
    assert errors == []
    for schema in openapi["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    for ref in _refs(openapi):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in openapi["components"]["schemas"]
    operation_ids = [op["operationId"] for item in openapi["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    # every operation says it may answer 429 past the rate limit (schemathesis met undeclared 429s)
    assert all("429" in op["responses"] for item in openapi["paths"].values() for op in item.values())
    for path, item in openapi["paths"].items():  # every {name} of a path is a declared path parameter
        for op in item.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_openapi_lists_every_api_route_flask_has(app, openapi):
    flask_paths = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api_rest.not_found":
            path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                flask_paths.add((path, method.lower()))
    documented = {(path, method) for path, item in openapi["paths"].items() for method in item}
    assert flask_paths == documented
    assert openapi["servers"][0]["url"].endswith("/api/v1")
    hidden = [e.view.__name__ for e in api.endpoints if e.hidden]
    assert hidden == ["not_found"]
    params = {p["name"]: p for p in openapi["paths"]["/datasets"]["get"]["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100
    assert params["sort"]["schema"]["enum"] == list(search.SORTS)
    assert params["format"]["schema"]["type"] == "array"


def _validator(openapi: dict, ref: str) -> jsonschema.Draft202012Validator:
    """A validator for one component schema: the components become $defs of one root schema, so the
    record schema embedded with its own $id resolves its internal references against itself."""
    defs = json.loads(json.dumps(openapi["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/"))
    return jsonschema.Draft202012Validator({"$ref": ref.replace("#/components/schemas/", "#/$defs/"),
                                            "$defs": defs})


def test_responses_match_their_published_schemas(client, catalog, openapi):
    job_id = catalog["job_id"]
    urls = {
        "/datasets": "/api/v1/datasets?per_page=5&page=2",
        "/datasets/{slug}": "/api/v1/datasets/bus-ridership",
        "/datasets/{slug}/quality": "/api/v1/datasets/bus-ridership/quality",
        "/datasets/{slug}/quality/history": "/api/v1/datasets/bus-ridership/quality/history",
        "/datasets/{slug}/usage": "/api/v1/datasets/bus-ridership/usage",
        "/datasets/{slug}/distributions/{dist_id}/dictionary":
            f"/api/v1/datasets/bus-ridership/distributions/{catalog['ids']['bus-ridership/distribution']}/dictionary",
        "/datasets/{slug}/distributions/{dist_id}/versions":
            f"/api/v1/datasets/bus-ridership/distributions/{catalog['ids']['bus-ridership/distribution']}/versions",
        "/publishers": "/api/v1/publishers",
        "/publishers/{slug}": "/api/v1/publishers/transport",
        "/publishers/{slug}/quality": "/api/v1/publishers/stats/quality",
        "/quality/publishers": "/api/v1/quality/publishers",
        "/harvest/sources": "/api/v1/harvest/sources",
        "/harvest/sources/{name}": "/api/v1/harvest/sources/transport-ckan",
        "/harvest/sources/{name}/report": "/api/v1/harvest/sources/transport-ckan/report",
        "/harvest/jobs/{job_id}": f"/api/v1/harvest/jobs/{job_id}",
        "/openapi.json": "/api/v1/openapi.json",
    }
    json_paths = {p for p, item in openapi["paths"].items()  # public reads (writes: tests/app/test_publish_api.py)
                  if "get" in item and (not item["get"].get("security") or {} in item["get"]["security"])
                  and "application/json" in item["get"]["responses"]["200"]["content"]}
    # a table's rows need an archived table, which this catalog has not: tests/app/test_datastore.py checks them
    rows = "/datasets/{slug}/distributions/{dist_id}/rows"
    json_paths -= {rows, rows + "/openapi.json"}
    assert json_paths == set(urls)
    for path, url in urls.items():
        ref = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        resp = client.get(url)
        assert resp.status_code == 200, url
        _validator(openapi, ref).validate(resp.get_json())
    for url in ("/api/v1/datasets?page=x", "/api/v1/datasets/none", "/api/v1/datasets/taxi-trips/quality"):
        _validator(openapi, "#/components/schemas/Error").validate(client.get(url).get_json())
    with pytest.raises(jsonschema.ValidationError):  # the schemas do constrain
        _validator(openapi, "#/components/schemas/DatasetList").validate({"items": []})
    with pytest.raises(jsonschema.ValidationError):  # the embedded record schema is applied too
        body = client.get("/api/v1/datasets/gdp").get_json()
        body["title"] = {"not a language tag": "x"}
        _validator(openapi, "#/components/schemas/Dataset").validate(body)


def test_openapi_schemas_are_the_code_registry(openapi):
    assert openapi["components"]["schemas"] == json.loads(json.dumps(SCHEMAS))
    assert {e.openapi_path.removeprefix("/api/v1") for e in api.documented()} == set(openapi["paths"])


def test_docs_page_lists_every_endpoint_without_scripts(client, openapi):
    resp = client.get("/api/v1/docs?lang=en")  # the summaries as the document has them (zh: test_api_docs.py)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    raw = resp.get_data(as_text=True)
    # the site's own script only (the phone menu, from base.html): nothing inline, nothing of the API's texts
    assert all('src="/static/site.js' in tag for tag in re.findall(r"<script[^>]*>", raw.lower())), raw
    html = unescape(raw)
    for path, item in openapi["paths"].items():
        assert f"/api/v1{path}" in html
        for op in item.values():
            assert op["summary"] in html
    assert "per_page" in html and "stars_min" in html and "/api/v1/openapi.json" in html


def test_the_open_reads_carry_cors_and_pages_and_writes_do_not(client, catalog):
    """A web app on another site read the rows (data.csv, /rows had the header) but not the search, a package or the
    catalog documents."""
    for url in ("/api/v1/datasets", "/api/v1/datasets/metro-stations", "/api/3/action/package_search",
                "/api/3/action/package_show?id=metro-stations", "/catalog.ttl", "/data.json"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers.get("Access-Control-Allow-Origin") == "*", url
    assert "Access-Control-Allow-Origin" not in client.get("/dataset/metro-stations").headers
    assert "Access-Control-Allow-Origin" not in client.post("/api/v1/datasets", json={}).headers


def test_an_open_read_answers_its_cors_preflight_outside_the_api_too(client, catalog):
    """A web app revalidating the catalog with If-None-Match asks first (a preflight): /api/ answered it, the catalog
    documents, data.json, the feeds and a dataset's documents answered with Allow alone, so the browser blocked the
    read. A POST is offered at the API's reads only, a page and a write not at all."""
    ask = {"Origin": "http://x.example", "Access-Control-Request-Method": "GET",
           "Access-Control-Request-Headers": "if-none-match"}
    for url in ("/catalog.ttl", "/data.json", "/feeds/dataset.atom", "/dataset/metro-stations.ttl",
                "/api/v1/datasets"):
        resp = client.options(url, headers=ask)
        assert resp.headers.get("Access-Control-Allow-Origin") == "*", url
        assert resp.headers.get("Access-Control-Allow-Headers") == "if-none-match", url
        assert "POST" not in resp.headers["Access-Control-Allow-Methods"], url
    post = {**ask, "Access-Control-Request-Method": "POST"}
    assert "Access-Control-Allow-Origin" not in client.options("/data.json", headers=post).headers
    assert "POST" in client.options("/api/3/action/package_search", headers=post).headers[
        "Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.options("/dataset/metro-stations", headers=ask).headers


def test_errors_shape_only_on_the_api(client, catalog):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and not (page.is_json and "error" in (page.get_json() or {}))
    method = client.delete("/api/v1/datasets")  # (POST creates a dataset: tests/app/test_publish_api.py)
    assert method.status_code == 405


def test_catalog_table_untouched_by_hostile_slug(client, catalog, app):
    _error(client.get("/api/v1/datasets/x'; DELETE FROM datasets; --"), 404, "not-found")
    _error(client.get("/api/v1/publishers/<script>alert(1)</script>"), 404, "not-found")
    with catalog["factory"]() as session:
        assert session.scalar(select(func.count()).select_from(Dataset)) == 15
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_datasets_own_documents_carry_cors_as_the_catalogs_do(app, catalog):
    """/catalog.ttl and /api/v1/datasets/<slug> carried `Access-Control-Allow-Origin: *`, but one dataset's DCAT,
    data.json or CSV document (/dataset/<slug>.ttl, ...) did not: a web app on another site could read the whole
    catalog and not the one dataset it wanted. Its page stays without."""
    import requests

    from tests.support.wsgiserver import ServedApp

    served = ServedApp(app, threads=2)
    try:
        for ext in ("ttl", "rdf", "jsonld", "nt", "json", "xml", "csv"):
            for method in (requests.get, requests.head):
                resp = method(f"{served.url}/dataset/metro-stations.{ext}", headers={"Origin": "https://app.example"},
                              timeout=30)
                assert resp.status_code == 200, (ext, resp.status_code)
                assert resp.headers.get("Access-Control-Allow-Origin") == "*", (ext, method)
        page = requests.get(f"{served.url}/dataset/metro-stations", headers={"Origin": "https://app.example"},
                            timeout=30)
        assert page.status_code == 200 and "Access-Control-Allow-Origin" not in page.headers
    finally:
        served.close()
