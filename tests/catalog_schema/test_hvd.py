"""High-value datasets in DCAT-AP: dcatap:hvdCategory and dcatap:applicableLegislation on datasets,
distributions and data services, written by the one triple mapping, read back by the harvester's reader,
and validated with pyshacl against the official DCAT-AP 3 shapes and the HVD shapes."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, SH

from catalog_schema import dcat, vocab
from catalog_schema.record import new_distribution, new_record, validation_errors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DCAT_AP_3 = FIXTURES / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"
HVD_SHAPES = FIXTURES / "shacl" / "dcat-ap-hvd_shapes.ttl"
SITE = "https://data.example.gov"
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
STATISTICS = "http://data.europa.eu/bna/c_e1da4e07"
HVD = vocab.HVD_LEGISLATION


@pytest.fixture(scope="module")
def shapes() -> dict[str, rdflib.Graph]:
    return {name: rdflib.Graph().parse(path, format="turtle")
            for name, path in (("dcat-ap-3", DCAT_AP_3), ("hvd", HVD_SHAPES))}


def violations(graph: rdflib.Graph, shapes_graph: rdflib.Graph) -> list[str]:
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes_graph, inference="none")
    out = [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)} {report.value(r, SH.resultMessage)}"
           for r in report.subjects(RDF.type, SH.ValidationResult)
           if report.value(r, SH.resultSeverity) == SH.Violation]
    assert conforms == (not out)
    return out


def hvd_record() -> dict:
    return new_record(
        slug="bus-ridership", title={"en": "Bus ridership", "zh": "公交客运量"},
        description={"en": "Passengers per line and month."},
        publisher={"name": {"en": "Transport Commission"}},
        hvd_category=[MOBILITY, STATISTICS], applicable_legislation=[HVD],
        distributions=[
            new_distribution(id="csv", title={"en": "CSV"}, download_url="https://files.example.gov/bus.csv",
                             format="CSV", hvd_category=[MOBILITY], applicable_legislation=[HVD]),
            new_distribution(id="api", title={"en": "API"}, access_url="https://api.example.gov/bus",
                             applicable_legislation=[HVD],
                             access_service={"title": {"en": "Bus ridership API"},
                                             "endpoint_url": "https://api.example.gov/bus",
                                             "endpoint_description": "https://api.example.gov/bus/openapi.json",
                                             "hvd_category": [MOBILITY], "applicable_legislation": [HVD]}),
        ])


def test_the_record_contract_takes_the_hvd_fields():
    assert validation_errors(hvd_record()) == []
    assert new_record()["hvd_category"] == [] and new_distribution()["access_service"] is None


def test_hvd_fields_are_written_as_dcat_ap_with_their_classes():
    g = dcat.dataset_to_rdf(hvd_record(), site_url=SITE)
    ds = URIRef(f"{SITE}/dataset/bus-ridership")
    assert set(g.objects(ds, DCATAP.hvdCategory)) == {URIRef(MOBILITY), URIRef(STATISTICS)}
    assert set(g.objects(ds, DCATAP.applicableLegislation)) == {URIRef(HVD)}
    assert (URIRef(HVD), RDF.type, URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in g
    assert str(g.value(URIRef(MOBILITY), URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))) == "Mobility"
    api = URIRef(f"{SITE}/dataset/bus-ridership/resource/api")
    svc = g.value(api, DCAT.accessService)
    assert svc == URIRef(f"{api}/service")
    assert (svc, RDF.type, DCAT.DataService) in g
    assert g.value(svc, DCAT.endpointURL) == URIRef("https://api.example.gov/bus")
    assert g.value(svc, DCAT.servesDataset) == ds
    assert set(g.objects(svc, DCATAP.hvdCategory)) == {URIRef(MOBILITY)}


def test_round_trip_keeps_the_hvd_fields():
    record = hvd_record()
    for syntax in ("ttl", "rdf", "jsonld"):
        data, _ = dcat.serialize(dcat.dataset_to_rdf(record, site_url=SITE), syntax)
        back = dcat.parse_catalog(data).records
        assert len(back) == 1
        assert dcat.comparable(back[0]) == dcat.comparable(record), syntax
        assert "rdf" not in back[0]["extras"]  # nothing of it left unread
        api = next(d for d in back[0]["distributions"] if d["id"] == "api")
        assert api["access_service"]["endpoint_url"] == "https://api.example.gov/bus"


def test_published_hvd_record_conforms_to_dcat_ap_3_and_the_hvd_shapes(shapes):
    g = dcat.dataset_to_rdf(hvd_record(), site_url=SITE)
    assert violations(g, shapes["dcat-ap-3"]) == []
    assert violations(g, shapes["hvd"]) == []


def test_hvd_shapes_refuse_a_high_value_dataset_missing_what_hvd_requires(shapes):
    no_category = hvd_record()
    no_category["hvd_category"] = []
    assert violations(dcat.dataset_to_rdf(no_category, site_url=SITE), shapes["hvd"])
    no_law = hvd_record()
    no_law["applicable_legislation"] = []
    assert violations(dcat.dataset_to_rdf(no_law, site_url=SITE), shapes["hvd"])
    dist_without_law = hvd_record()
    dist_without_law["distributions"][0]["applicable_legislation"] = []
    dist_without_law["distributions"][0]["hvd_category"] = []
    assert violations(dcat.dataset_to_rdf(dist_without_law, site_url=SITE), shapes["hvd"])
    odd_category = hvd_record()
    odd_category["hvd_category"] = ["https://example.org/not-hvd"]
    assert violations(dcat.dataset_to_rdf(odd_category, site_url=SITE), shapes["hvd"])
    plain = new_record(slug="plain", title={"en": "Not HVD"}, description={"en": "x"})
    assert violations(dcat.dataset_to_rdf(plain, site_url=SITE), shapes["hvd"]) == []


def test_harvest_reads_hvd_categories_from_labels_iris_and_flags_unknown_ones():
    ttl = f"""
    @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    @prefix dcatap: <http://data.europa.eu/r5r/> .
    <https://src.example/ds/1> a dcat:Dataset ; dct:title "Weather stations"@en ;
      dcatap:hvdCategory <http://data.europa.eu/bna/c_164e0bf5>, <https://src.example/hvd/other> ;
      dcatap:applicableLegislation <{HVD}> ;
      dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://src.example/api> ;
        dcatap:applicableLegislation <{HVD}> ;
        dcat:accessService [ a dcat:DataService ; dct:title "Stations API"@en ;
          dcat:endpointURL <https://src.example/api> ; dcatap:hvdCategory <http://data.europa.eu/bna/c_164e0bf5> ;
          dcatap:applicableLegislation <{HVD}> ] ] .
    """
    rec = dcat.parse_catalog(ttl, format="turtle").records[0]
    assert rec["hvd_category"] == ["http://data.europa.eu/bna/c_164e0bf5", "https://src.example/hvd/other"]
    assert rec["applicable_legislation"] == [HVD]
    assert {"field": "hvd_category", "value": "https://src.example/hvd/other",
            "reason": "category not in the EU high-value dataset category vocabulary"} in rec["flags"]
    dist = rec["distributions"][0]
    assert dist["applicable_legislation"] == [HVD]
    assert dist["access_service"] == {"title": {"en": "Stations API"}, "endpoint_url": "https://src.example/api",
                                      "endpoint_description": None,
                                      "hvd_category": ["http://data.europa.eu/bna/c_164e0bf5"],
                                      "applicable_legislation": [HVD]}


def test_vocabulary_has_the_six_categories_with_chinese_and_english_labels():
    cats = vocab.hvd_categories()
    assert [c.key for c in cats] == ["GEO", "EOE", "MET", "STA", "CCO", "MOB"]
    assert all(c.label_zh and c.label_en and c.uri.startswith(vocab.HVD_CATEGORY_BASE) for c in cats)
    assert vocab.hvd_category("Mobility") == vocab.hvd_category("交通出行") == vocab.hvd_category("MOB") == MOBILITY
    assert vocab.hvd_category("c_b79e35eb") == MOBILITY
    assert vocab.hvd_category("https://example.org/c_b79e35eb") is None
    assert vocab.hvd_label(STATISTICS, "zh") == "统计" and vocab.hvd_label(STATISTICS) == "Statistics"



def test_ckan_package_round_trip_keeps_the_dataset_hvd_fields():
    from catalog_schema import ckan

    record = hvd_record()
    pkg = ckan.to_ckan(record, site_url=SITE)
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["hvd_category"] == f'["{MOBILITY}", "{STATISTICS}"]'
    assert extras["applicable_legislation"] == f'["{HVD}"]'
    back = ckan.from_ckan(pkg)
    assert back["hvd_category"] == [MOBILITY, STATISTICS] and back["applicable_legislation"] == [HVD]


def test_ckan_resource_round_trip_keeps_a_distributions_hvd_fields():
    """A resource carries its own hvd_category and applicable_legislation as lists (ckanext-dcat's DCAT-AP 3
    schema); their JSON text is read too, and a resource without them gets no such keys."""
    from catalog_schema import ckan

    record = hvd_record()
    pkg = ckan.to_ckan(record, site_url=SITE)
    csv, api = pkg["resources"]
    assert csv["hvd_category"] == [MOBILITY] and csv["applicable_legislation"] == [HVD]
    assert "hvd_category" not in api and api["applicable_legislation"] == [HVD]
    back = ckan.from_ckan(pkg)
    assert [(d["hvd_category"], d["applicable_legislation"]) for d in back["distributions"]] == [
        ([MOBILITY], [HVD]), ([], [HVD])]
    assert ckan.to_ckan(back, site_url=SITE)["resources"] == pkg["resources"]
    assert all("hvd_category" not in (d["extras"].get("ckan") or {}) for d in back["distributions"])

    as_text = {**pkg, "resources": [{**csv, "hvd_category": f'["{MOBILITY}"]', "applicable_legislation": HVD}]}
    dist = ckan.from_ckan(as_text)["distributions"][0]
    assert dist["hvd_category"] == [MOBILITY] and dist["applicable_legislation"] == [HVD]
    plain = ckan.to_ckan(new_record(slug="plain", distributions=[new_distribution(download_url="https://x/a.csv")]))
    assert not {"hvd_category", "applicable_legislation"} & set(plain["resources"][0])


def test_a_distributions_category_is_written_as_dcat_ap_and_conforms(shapes):
    """The file's own category: dcatap:hvdCategory on the dcat:Distribution beside the HVD regulation, read
    back by the harvester; the DCAT-AP 3 and HVD shapes take it, and refuse it without the regulation."""
    g = dcat.dataset_to_rdf(hvd_record(), site_url=SITE)
    node = URIRef(f"{SITE}/dataset/bus-ridership/resource/csv")
    assert set(g.objects(node, DCATAP.hvdCategory)) == {URIRef(MOBILITY)}
    assert set(g.objects(node, DCATAP.applicableLegislation)) == {URIRef(HVD)}
    assert violations(g, shapes["dcat-ap-3"]) == [] and violations(g, shapes["hvd"]) == []
    back = dcat.parse_catalog(dcat.serialize(g, "ttl")[0]).records[0]
    assert next(d for d in back["distributions"] if d["id"] == "csv")["hvd_category"] == [MOBILITY]
    lawless = hvd_record()
    lawless["distributions"][0]["applicable_legislation"] = []
    found = violations(dcat.dataset_to_rdf(lawless, site_url=SITE), shapes["hvd"])
    assert any(str(node) in v for v in found)
