"""High-value datasets at the doors (issue 18 item 3): agencies pick the HVD category on the publish form,
search facets and filters on it (the search page, /api/v1, CKAN package_search facet.field and fq), and the
officials' HVD report gives the same figures as a page (zh and en), CSV and JSON. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
import rdflib
from rdflib.compare import isomorphic
from sqlalchemy import select

from app.export import stream_rdf
from catalog_schema import dcat, dcat_triples, search, vocab
from catalog_schema.models import Dataset
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record, to_record
from tests.catalog_schema.test_hvd import SITE, hvd_record
from tests.support.publishing import build_world, form_post, sign_in

MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
STATISTICS = "http://data.europa.eu/bna/c_e1da4e07"
HVD = vocab.HVD_LEGISLATION


@pytest.fixture
def world(snapshot, app):
    """build_world and three high-value datasets: built once per backend, a copy for each test."""
    return snapshot.once(lambda: _build(app.extensions["opendata"]["sessionmaker"]))


def _build(sessionmaker):
    world = build_world(sessionmaker)
    with sessionmaker() as s:
        for rec in (
            # A: bus ridership, mobility and statistics; open licence, a CSV and an API
            new_record(slug="bus-ridership", title={"en": "Bus ridership", "zh": "公交客运量"},
                       publisher={"slug": "agency-a"}, license="CC-BY-4.0",
                       hvd_category=[MOBILITY, STATISTICS], applicable_legislation=[HVD],
                       distributions=[
                           new_distribution(download_url="http://127.0.0.1:9/bus.csv", format="CSV",
                                            applicable_legislation=[HVD]),
                           new_distribution(access_url="http://127.0.0.1:9/api", applicable_legislation=[HVD],
                                            access_service={"endpoint_url": "http://127.0.0.1:9/api",
                                                            "hvd_category": [MOBILITY],
                                                            "applicable_legislation": [HVD]})]),
            # B: parking, mobility; a PDF under a non-open licence, no API
            new_record(slug="parking", title={"en": "Parking spaces", "zh": "停车位"}, publisher={"slug": "agency-b"},
                       license="CC-BY-NC-4.0", hvd_category=[MOBILITY], applicable_legislation=[HVD],
                       distributions=[new_distribution(download_url="http://127.0.0.1:9/p.pdf", format="PDF")]),
            # withdrawn: never counted
            new_record(slug="old-timetable", title={"en": "Old timetable"}, publisher={"slug": "agency-a"},
                       state="withdrawn", hvd_category=[MOBILITY], applicable_legislation=[HVD]),
        ):
            ds, _ = save_record(s, rec)
        s.flush()
        for ds in s.scalars(select(Dataset)):
            search.index_dataset(s, ds)
        s.commit()
    return world


def _stored(app, slug):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(s.scalar(select(Dataset).where(Dataset.slug == slug)))


def test_agency_picks_the_hvd_category_on_the_publish_form(app, client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    page = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    assert 'name="hvd_category"' in page and f'<option value="{MOBILITY}" >交通出行</option>' in page
    saved = form_post(client, edit_url, edit_url, {"hvd_category_sent": "1", "hvd_category": [MOBILITY, "STA"]})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    rec = _stored(app, world.draft_a)
    assert rec["hvd_category"] == [MOBILITY, STATISTICS] and rec["applicable_legislation"] == [HVD]
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert f'<option value="{MOBILITY}" selected>Mobility</option>' in page

    refused = form_post(client, edit_url, edit_url, {"hvd_category_sent": "1", "hvd_category": "weather-ish"})
    assert refused.status_code == 422
    assert 'id="hvd_category-error"' in refused.get_data(as_text=True)
    assert _stored(app, world.draft_a)["hvd_category"] == [MOBILITY, STATISTICS]  # unchanged

    cleared = form_post(client, edit_url, edit_url, {"hvd_category_sent": "1"})
    assert cleared.status_code == 303
    rec = _stored(app, world.draft_a)
    assert rec["hvd_category"] == [] and rec["applicable_legislation"] == []


def test_search_facets_and_filters_on_hvd_category(client, world):
    page = client.get("/dataset?lang=zh").get_data(as_text=True)
    assert 'id="facet-list-hvd_category"' in page and "交通出行" in page and "统计" in page
    filtered = client.get(f"/dataset?lang=en&hvd_category={MOBILITY}").get_data(as_text=True)
    assert "/dataset/bus-ridership" in filtered and "/dataset/parking" in filtered
    assert "/dataset/active-a-1" not in filtered

    api = client.get("/api/v1/datasets?hvd_category=STA").get_json()
    assert [d["slug"] for d in api["items"]] == ["bus-ridership"]
    everything = client.get("/api/v1/datasets").get_json()
    assert {f["value"]: f["count"] for f in everything["facets"]["hvd_category"]} == {MOBILITY: 2, STATISTICS: 1}

    ckan = client.get('/api/3/action/package_search?facet.field=["hvd_category"]&fq=hvd_category:MOB').get_json()
    assert ckan["success"] and ckan["result"]["count"] == 2
    assert ckan["result"]["facets"]["hvd_category"] == {MOBILITY: 2, STATISTICS: 1}
    items = {i["name"]: i["display_name"] for i in ckan["result"]["search_facets"]["hvd_category"]["items"]}
    assert items[MOBILITY] == "Mobility"
    # the package carries the fields as ckanext-dcat's DCAT-AP 3 profile does: JSON lists in extras
    pkg = client.get("/api/3/action/package_show?id=bus-ridership").get_json()["result"]
    extras = {e["key"]: json.loads(e["value"]) for e in pkg["extras"] if e["key"] in ("hvd_category",
                                                                                    "applicable_legislation")}
    assert extras == {"hvd_category": [MOBILITY, STATISTICS], "applicable_legislation": [HVD]}


def test_hvd_report_page_csv_and_json_agree(client, world):
    body = client.get("/dashboard/hvd.json?lang=zh").get_json()
    rows = {(r["category_key"], r["publisher"]): r for r in body["rows"]}
    assert body["legislation"] == HVD
    assert list(rows) == [("STA", "agency-a"), ("STA", ""), ("MOB", "agency-a"), ("MOB", "agency-b"), ("MOB", "")]
    assert {k: rows["MOB", ""][k] for k in ("datasets", "open_licence", "with_api", "machine_readable")} == {
        "datasets": 2, "open_licence": 1, "with_api": 1, "machine_readable": 1}
    assert {k: rows["MOB", "agency-b"][k] for k in ("datasets", "open_licence", "with_api", "machine_readable")} == {
        "datasets": 1, "open_licence": 0, "with_api": 0, "machine_readable": 0}

    text = client.get("/dashboard/hvd.csv?lang=zh").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["category_key"], r["publisher"], r["datasets"]) for r in table] == [
        (k[0], k[1], str(r["datasets"])) for k, r in rows.items()]
    assert table[0]["category_label"] == "统计" and table[0]["publisher_name"] == "甲局"

    for lang, label, heading in (("zh", "交通出行", "高价值数据集"), ("en", "Mobility", "High-value datasets")):
        page = client.get(f"/dashboard/hvd?lang={lang}").get_data(as_text=True)
        assert label in page and heading in page
        assert 'data-category="MOB" data-publisher="agency-b"' in page
    assert json.loads(client.get("/dashboard/hvd.json?lang=zh").get_data(as_text=True)) == body


def test_rest_patch_sets_the_category_and_refuses_an_unknown_one(app, client, world):
    auth = {"Authorization": world.tokens["editor_a"]}
    ok = client.patch(f"/api/v1/datasets/{world.draft_a}", json={"hvd_category": ["Statistics"]}, headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    rec = _stored(app, world.draft_a)
    assert rec["hvd_category"] == [STATISTICS] and rec["applicable_legislation"] == [HVD]
    bad = client.patch(f"/api/v1/datasets/{world.draft_a}", json={"hvd_category": ["nope"]}, headers=auth)
    assert bad.status_code == 422 and "high-value dataset category" in bad.get_json()["error"]["message"]
    assert _stored(app, world.draft_a)["hvd_category"] == [STATISTICS]


def test_both_consumers_of_the_triples_agree_on_an_hvd_record():
    """The N-Triples terms, parsed by rdflib, are the graph `dataset_to_rdf` builds; the streamed Turtle of the
    full dumps (app.export.stream_rdf, with the dcatap and eli prefixes) parses to the same graph."""
    triples = dcat_triples.dataset_triples(hvd_record(), site_url=SITE, bnodes=itertools.count())
    graph = dcat.dataset_to_rdf(hvd_record(), site_url=SITE)
    parsed = rdflib.Graph().parse(data="".join(f"{s} {p} {o} .\n" for s, p, o in triples), format="nt")
    assert len(graph) == len(triples) and isomorphic(parsed, graph)
    turtle = stream_rdf.turtle_prefixes() + stream_rdf.turtle_blocks(triples)
    assert "dcatap:hvdCategory" in turtle and "a eli:LegalResource" in turtle
    assert isomorphic(rdflib.Graph().parse(data=turtle, format="turtle"), graph)


def test_a_file_added_to_a_high_value_dataset_is_under_the_hvd_regulation_and_the_page_shows_the_category(
        app, client, world):
    auth = {"Authorization": world.tokens["editor_a"]}
    assert client.patch(f"/api/v1/datasets/{world.draft_a}", json={"hvd_category": ["MOB"]},
                        headers=auth).status_code == 200
    added = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=auth,
                        json={"url": "http://127.0.0.1:9/timetable.csv", "title": "Timetable"})
    assert added.status_code == 201, added.get_data(as_text=True)
    rec = _stored(app, world.draft_a)
    assert [d["applicable_legislation"] for d in rec["distributions"]] == [[HVD]]
    assert violations_free(rec)
    page = client.get("/dataset/bus-ridership?lang=zh").get_data(as_text=True)
    assert 'id="hvd"' in page and "交通出行" in page and "统计" in page


def violations_free(rec) -> bool:
    """The record as published conforms to the HVD shapes (pyshacl)."""
    import pyshacl

    from tests.catalog_schema.test_hvd import HVD_SHAPES

    shapes = rdflib.Graph().parse(HVD_SHAPES, format="turtle")
    conforms, _, text = pyshacl.validate(dcat.dataset_to_rdf(rec, site_url=SITE), shacl_graph=shapes,
                                         inference="none")
    assert conforms, text
    return conforms
