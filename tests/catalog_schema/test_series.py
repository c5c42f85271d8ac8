"""Dataset series: the record, the store's links and order on both backends, DCAT-AP 3 both ways (the shapes
checked with pyshacl), data.json isPartOf (the POD schema) and CKAN in_series / type."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF

from catalog_schema import ckan, datajson, dcat, series, store
from catalog_schema.models import Dataset, SeriesLink
from catalog_schema.record import content_hash, new_distribution, new_record, validation_errors

SHAPES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"
SITE = "https://data.example.gov"
SRC = "https://source.example.org/"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(SHAPES_FILE, format="turtle")
    return g


def _series_record() -> dict:
    return new_record(uri=SRC + "series/bus", slug="bus-ridership", kind="series",
                      title={"en": "Bus ridership by month", "zh": "公交客运量（按月）"},
                      description={"en": "Monthly bus ridership"}, frequency="MONTHLY",
                      publisher={"slug": "transport", "name": {"en": "Transport"}})


def _member(month: int) -> dict:
    return new_record(uri=f"{SRC}ds/bus-2024-{month}", slug=f"bus-ridership-2024-{month}",
                      title={"en": f"Bus ridership 2024-{month}"}, description={"en": "One month"},
                      temporal={"start": f"2024-{month:02d}-01", "end": f"2024-{month:02d}-28"},
                      in_series=[SRC + "series/bus"],
                      publisher={"slug": "transport", "name": {"en": "Transport"}},
                      distributions=[new_distribution(id=f"csv{month}", download_url=f"{SRC}bus-{month}.csv",
                                                      format="CSV", media_type="text/csv")])


def _validate(graph, shapes):
    conforms, report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    return conforms, text


# --------------------------------------------------------------------------- the record


def test_series_fields_are_in_the_contract_and_leave_plain_hashes_alone():
    assert validation_errors(_series_record()) == []
    assert validation_errors(_member(10)) == []
    assert validation_errors(new_record(title={"en": "x"}, kind="collection"))  # not a kind
    plain = new_record(title={"en": "x"})
    legacy = {k: v for k, v in plain.items() if k not in ("kind", "in_series")}
    assert content_hash(plain) == content_hash(legacy)  # stored hashes of plain datasets stay valid
    assert content_hash(_member(10)) != content_hash({**_member(10), "in_series": []})


# --------------------------------------------------------------------------- DCAT-AP 3


CATALOG = {"title": {"en": "Catalog"}, "description": {"en": "All"}, "publisher": {"name": {"en": "Portal"}}}


def test_dcat_round_trip_of_a_series_and_its_members_conforms(shapes):
    records = [_member(11), _series_record(), _member(10)]
    graph = dcat.catalog_to_rdf(records, site_url=SITE, catalog_info=CATALOG)
    series_uri = URIRef(f"{SITE}/dataset/bus-ridership")
    assert (series_uri, RDF.type, DCAT.DatasetSeries) in graph and (series_uri, RDF.type, DCAT.Dataset) in graph
    # the member names the series of the same document under our URI
    assert (URIRef(f"{SITE}/dataset/bus-ridership-2024-10"), DCAT.inSeries, series_uri) in graph
    conforms, text = _validate(graph, shapes)
    assert conforms, text
    parsed = dcat.parse_catalog(graph.serialize(format="turtle"))
    back = {r["uri"]: r for r in parsed.records}
    assert set(back) == {str(series_uri), f"{SITE}/dataset/bus-ridership-2024-10",
                         f"{SITE}/dataset/bus-ridership-2024-11"}
    assert back[str(series_uri)]["kind"] == "series"
    assert dcat.comparable(back[str(series_uri)]) == dcat.comparable(_series_record())
    member = back[f"{SITE}/dataset/bus-ridership-2024-10"]
    assert member["in_series"] == [str(series_uri)] and member["kind"] == "dataset"  # the series' URI, read back
    assert dcat.comparable(member) == dcat.comparable(_member(10))
    # and the records read back resolve among themselves again: the same graph
    again = dcat.catalog_to_rdf(parsed.records, site_url=SITE, catalog_info=CATALOG)
    series_again = URIRef(dcat.dataset_uri(back[str(series_uri)], SITE))
    assert sorted(o for _, _, o in again.triples((None, DCAT.inSeries, None))) == [series_again, series_again]


def test_a_reference_nothing_resolves_is_not_published(shapes):
    graph = dcat.dataset_to_rdf(_member(10), site_url=SITE)
    assert not list(graph.triples((None, DCAT.inSeries, None)))
    conforms, text = _validate(graph, shapes)
    assert conforms, text


def test_catalog_resolution_is_published_under_our_uris_with_the_order(shapes):
    entry = {"slug": "bus-ridership", "title": {"en": "Bus ridership by month"}, "description": None,
             "previous": "bus-ridership-2024-10", "next": "bus-ridership-2024-12"}
    member = {**_member(11), "catalog_series": [entry]}
    graph = dcat.dataset_to_rdf(member, site_url=SITE)  # a member's own page: the series node is described
    m, s = URIRef(f"{SITE}/dataset/bus-ridership-2024-11"), URIRef(f"{SITE}/dataset/bus-ridership")
    assert graph.value(m, DCAT.inSeries) == s
    assert graph.value(m, DCAT.prev) == URIRef(f"{SITE}/dataset/bus-ridership-2024-10")
    assert graph.value(m, DCAT.next) == URIRef(f"{SITE}/dataset/bus-ridership-2024-12")
    conforms, text = _validate(graph, shapes)
    assert conforms, text
    ser = {**_series_record(), "catalog_series_ends": {"first": "bus-ridership-2024-10",
                                                       "last": "bus-ridership-2024-12"}}
    graph = dcat.dataset_to_rdf(ser, site_url=SITE)
    assert graph.value(s, DCAT.first) == URIRef(f"{SITE}/dataset/bus-ridership-2024-10")
    assert graph.value(s, DCAT.last) == URIRef(f"{SITE}/dataset/bus-ridership-2024-12")
    conforms, text = _validate(graph, shapes)
    assert conforms, text
    # the order is the catalog's to derive: read back, it is not left over in extras
    back = dcat.dataset_from_rdf(graph, s)
    leftovers = set(back["extras"].get("rdf") or {})
    assert not leftovers & {str(DCAT.first), str(DCAT.last)} and back["kind"] == "series"


# --------------------------------------------------------------------------- data.json and CKAN


def test_datajson_is_part_of_validates_and_comes_back():
    member = {**_member(10), "modified": "2024-11-01", "contact_point": {"name": "Desk", "email": "d@example.gov"}}
    doc = datajson.catalog_to_datajson([member, {**_series_record(), "modified": member["modified"],
                                                     "contact_point": member["contact_point"]}], site_url=SITE)
    assert datajson.validation_errors(doc) == [], datajson.validation_errors(doc)
    entry = doc["dataset"][0]
    assert entry["isPartOf"] == SRC + "series/bus"
    assert datajson.from_datajson(entry)["in_series"] == [SRC + "series/bus"]
    resolved = {**member, "catalog_series": [{"id": "1234", "identifier": "BUS-SERIES", "slug": "bus-ridership"}]}
    assert datajson.to_datajson(resolved, site_url=SITE)["isPartOf"] == "BUS-SERIES"
    assert "isPartOf" not in datajson.to_datajson(_series_record(), site_url=SITE)


def test_ckan_type_and_in_series_as_ckanext_dataset_series_has_them():
    package = ckan.to_ckan({**_series_record(), "id": "s1"})
    assert package["type"] == "dataset_series" and package["series_order_field"] == "temporal_start"
    assert ckan.from_ckan(package)["kind"] == "series"
    member = ckan.to_ckan({**_member(10), "id": "m1", "catalog_series": [{"id": "s1", "slug": "bus-ridership"}]})
    assert member["type"] == "dataset" and member["in_series"] == ["s1"]
    assert ckan.from_ckan(member)["in_series"] == ["s1"]
    # the older hyphenated type and a bare string are read too, and given back as they were
    old = {"id": "x", "name": "x", "title": "X", "type": "dataset-series"}
    assert ckan.from_ckan(old)["kind"] == "series"
    assert ckan.to_ckan(ckan.from_ckan(old))["type"] == "dataset-series"
    assert ckan.from_ckan({"id": "y", "name": "y", "in_series": "s1"})["in_series"] == ["s1"]


# --------------------------------------------------------------------------- the store, both backends


def test_members_saved_before_their_series_are_linked_and_ordered(session):
    m12 = new_record(**{**_member(12), "temporal": None, "issued": "2025-01-05"})  # no coverage: issued
    for rec in (_member(11), m12, _member(10)):
        store.save_record(session, rec)
    session.commit()
    assert session.query(SeriesLink).filter(SeriesLink.series_id.is_(None)).count() == 3
    ser, _ = store.save_record(session, _series_record())
    session.commit()
    assert [m.slug for m in series.members(session, ser.id)] == [
        "bus-ridership-2024-10", "bus-ridership-2024-11", "bus-ridership-2024-12"]
    nav = series.navigation(session, ser)
    assert nav["first"]["slug"] == "bus-ridership-2024-10" and nav["last"]["slug"] == "bus-ridership-2024-12"
    middle = session.query(Dataset).filter_by(slug="bus-ridership-2024-11").one()
    (entry,) = series.navigation(session, middle, "zh")["series"]
    assert entry["series"]["label"] == "公交客运量（按月）"
    assert (entry["previous"]["slug"], entry["next"]["slug"], entry["position"], entry["count"]) == (
        "bus-ridership-2024-10", "bus-ridership-2024-12", 2, 3)
    # the record comes back as it went in
    back = store.to_record(middle)
    assert back["in_series"] == [SRC + "series/bus"] and back["kind"] == "dataset"
    assert store.to_record(ser)["kind"] == "series"
    # a withdrawn member leaves the order; a member leaving the series loses its link
    store.set_lifecycle(middle, "withdrawn", reason="test")
    session.commit()
    assert [m.slug for m in series.members(session, ser.id)] == ["bus-ridership-2024-10", "bus-ridership-2024-12"]
    first = session.query(Dataset).filter_by(slug="bus-ridership-2024-10").one()
    store.save_record(session, {**store.to_record(first), "in_series": []}, dataset=first)
    session.commit()
    assert [m.slug for m in series.members(session, ser.id)] == ["bus-ridership-2024-12"]
    assert series.member_ids(session) == {session.query(Dataset).filter_by(slug=s).one().id
                                          for s in ("bus-ridership-2024-11", "bus-ridership-2024-12")}


def test_a_harvest_batch_links_its_members_to_a_series_of_the_same_batch(session):
    from catalog_schema.models import HarvestSource

    src = HarvestSource(name="dcat", type="dcat", url="http://127.0.0.1/catalog.ttl")
    session.add(src)
    session.flush()
    records = [_member(10), _series_record(), _member(11)]
    store.add_harvested(session, src.id, [{"record": r, "remote_id": r["uri"], "payload": r} for r in records])
    session.commit()
    ser = session.query(Dataset).filter_by(kind="series").one()
    assert [m.slug for m in series.members(session, ser.id)] == ["bus-ridership-2024-10", "bus-ridership-2024-11"]
    assert series.series_slugs(session, [m.id for m in series.members(session, ser.id)]) == {
        m.id: ["bus-ridership"] for m in series.members(session, ser.id)}
