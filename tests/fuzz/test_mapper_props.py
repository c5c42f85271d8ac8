"""Property tests of the mappers (catalog_schema/ckan.py, datajson.py, datapackage.py, dcat.py).

Garbled input: any JSON-like value, or a plausible package/dataset/descriptor with any field
replaced by junk, gives a record or a ValueError (the harvest makes that an error row), never
another exception. Generated valid records survive to -> from: the fields the standard carries come
back equal, and mapping the result again changes nothing (a fixed point).
"""

from __future__ import annotations

import json

import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_schema import ckan, datajson, datapackage, dcat
from catalog_schema.record import new_record, validation_errors

SETTINGS = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SITE = "https://data.example.org"

# --------------------------------------------------------------------------- garbled input

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.sampled_from(["", " ", "2024-13-45", "http://", "javascript:x", "\x00",
                                                   "名称", "CC-BY-4.0", "cc-by", "R/P1D", "mailto:", "../../x"]))
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=25)


def _garbled(template: dict) -> st.SearchStrategy:
    """The template with some of its fields replaced by junk and some junk fields added."""
    keys = sorted(template)
    return st.builds(
        lambda replaced, extra: {**template, **replaced, **extra},
        st.dictionaries(st.sampled_from(keys), json_like, max_size=len(keys)),
        st.dictionaries(st.text(max_size=10), json_like, max_size=3),
    )


CKAN_PACKAGE = {"id": "p1", "name": "bus-stops", "title": "Bus stops", "notes": "All stops", "license_id": "cc-by",
                "tags": [{"name": "bus"}], "groups": [{"name": "transport"}], "organization": {"name": "city"},
                "extras": [{"key": "frequency", "value": "daily"}], "metadata_modified": "2024-01-01T00:00:00",
                "resources": [{"id": "r1", "url": "http://example.org/a.csv", "format": "CSV", "name": "A"}]}
DATAJSON_DATASET = {"title": "Bus stops", "identifier": "bus-1", "description": "All stops", "keyword": ["bus"],
                    "modified": "2024-01-01", "publisher": {"name": "City"}, "license": "cc-by",
                    "contactPoint": {"fn": "Ann", "hasEmail": "mailto:a@example.org"}, "accessLevel": "public",
                    "accrualPeriodicity": "R/P1D", "temporal": "2020-01-01/2021-01-01", "theme": ["Transport"],
                    "distribution": [{"downloadURL": "http://example.org/a.csv", "mediaType": "text/csv"}]}
DATAPACKAGE = {"name": "bus-stops", "title": "Bus stops", "licenses": [{"name": "CC-BY-4.0"}], "keywords": ["bus"],
               "resources": [{"name": "stops", "path": "stops.csv", "format": "csv",
                              "schema": {"fields": [{"name": "id", "type": "integer"}]}}]}


def _maps_or_value_error(fn, value) -> None:
    try:
        rec = fn(value)
    except ValueError:
        return
    assert isinstance(rec, dict)
    json.dumps(rec, default=str)  # storable as the record's JSON
    assert isinstance(validation_errors(rec), list)


@SETTINGS
@given(value=json_like | _garbled(CKAN_PACKAGE))
def test_from_ckan_garbled(value):
    _maps_or_value_error(ckan.from_ckan, value)


@SETTINGS
@given(value=json_like | _garbled(DATAJSON_DATASET))
def test_from_datajson_garbled(value):
    _maps_or_value_error(lambda v: datajson.from_datajson(v, {"@id": "http://example.org/data.json"}), value)


@SETTINGS
@given(value=json_like | _garbled(DATAPACKAGE))
def test_from_datapackage_garbled(value):
    _maps_or_value_error(lambda v: datapackage.from_datapackage(v, base_url="http://example.org/pkg/"), value)


@SETTINGS
@given(value=json_like)
def test_datasets_from_datajson_document_garbled(value):
    errors: list = []
    try:
        records = datajson.datasets_from_datajson(value, errors=errors)
    except ValueError:
        return
    assert isinstance(records, list)


DCAT_PROPS = [rdflib.URIRef(u) for u in (
    "http://purl.org/dc/terms/title", "http://purl.org/dc/terms/description", "http://purl.org/dc/terms/issued",
    "http://purl.org/dc/terms/modified", "http://purl.org/dc/terms/identifier", "http://purl.org/dc/terms/license",
    "http://purl.org/dc/terms/publisher", "http://purl.org/dc/terms/temporal", "http://purl.org/dc/terms/spatial",
    "http://purl.org/dc/terms/accrualPeriodicity", "http://www.w3.org/ns/dcat#keyword",
    "http://www.w3.org/ns/dcat#theme", "http://www.w3.org/ns/dcat#distribution",
    "http://www.w3.org/ns/dcat#contactPoint", "http://www.w3.org/ns/dcat#landingPage",
    "http://www.w3.org/ns/dcat#downloadURL", "http://www.w3.org/ns/dcat#accessURL",
    "http://www.w3.org/ns/dcat#mediaType", "http://purl.org/dc/terms/format", "http://www.w3.org/ns/dcat#startDate",
    "http://xmlns.com/foaf/0.1/name", "http://www.w3.org/2006/vcard/ns#hasEmail",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")]
nodes = st.sampled_from([rdflib.URIRef("http://example.org/ds/1"), rdflib.URIRef("http://example.org/d/1"),
                         rdflib.URIRef("http://example.org/agent"), rdflib.BNode("b1"), rdflib.BNode("b2"),
                         rdflib.URIRef("http://www.w3.org/ns/dcat#Distribution"),
                         rdflib.URIRef("javascript:alert(1)")])
literals = st.builds(rdflib.Literal, st.text(max_size=20)) | st.builds(
    lambda t, lang: rdflib.Literal(t, lang=lang), st.text(max_size=10), st.sampled_from(["en", "zh", "de-CH"])) | \
    st.builds(lambda t, dt: rdflib.Literal(t, datatype=rdflib.URIRef(dt)), st.text(max_size=12),
              st.sampled_from(["http://www.w3.org/2001/XMLSchema#date", "http://www.w3.org/2001/XMLSchema#dateTime",
                               "http://www.w3.org/2001/XMLSchema#integer", "http://example.org/odd"]))
triples = st.lists(st.tuples(nodes, st.sampled_from(DCAT_PROPS), nodes | literals), max_size=25)


@SETTINGS
@given(extra=triples)
def test_dataset_from_rdf_garbled_graph(extra):
    graph = rdflib.Graph()
    subject = rdflib.URIRef("http://example.org/ds/1")
    graph.add((subject, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))
    for triple in extra:
        graph.add(triple)
    _maps_or_value_error(lambda g: dcat.dataset_from_rdf(g, subject), graph)


@SETTINGS
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
       fmt=st.sampled_from([None, "xml", "turtle", "nt", "json-ld"]))
def test_parse_catalog_garbage_is_a_value_error(data, fmt):
    try:
        parsed = dcat.parse_catalog(data, format=fmt, base="http://example.org/")
    except ValueError:
        return
    assert isinstance(parsed.records, list)


# --------------------------------------------------------------------------- valid records round-trip

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20) \
    .map(str.strip).filter(bool)
slugs = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True)
urls = slugs.map(lambda s: f"http://example.org/{s}.csv")
dates = st.dates().map(lambda d: d.isoformat())


@st.composite
def records(draw) -> dict:
    dists = [{"title": {"": draw(words)}, "download_url": draw(urls), "format": draw(st.sampled_from(["CSV", "JSON"]))}
             for _ in range(draw(st.integers(0, 3)))]
    return new_record(
        slug=draw(slugs), identifier=draw(slugs), title={"": draw(words)}, description={"": draw(words)},
        keywords=sorted(set(draw(st.lists(words, max_size=4)))),
        **_licence(draw(st.sampled_from([None, "CC-BY-4.0", "CC0-1.0", "ODbL-1.0"]))),
        modified=draw(dates), distributions=dists)


def _licence(lic: str | None) -> dict:
    """As the mappers and the publish form keep it: the recognised id and the text it came as."""
    return {"license": lic, "license_raw": lic} if lic else {}


def _core(rec: dict) -> dict:
    """What every one of these standards carries: title, description, keywords, licence, dates, download URLs."""
    return {"title": sorted(rec.get("title", {}).values()), "description": sorted(rec.get("description", {}).values()),
            "keywords": sorted(rec.get("keywords") or []), "license": rec.get("license"),
            "modified": (rec.get("modified") or "")[:10],
            "urls": [d.get("download_url") or d.get("access_url") for d in rec.get("distributions") or []]}


def _round_trip(to, back, rec: dict) -> None:
    once = back(to(rec))
    assert _core(once) == _core(rec)
    assert back(to(once)) == once  # a fixed point: mapping again changes nothing


@SETTINGS
@given(rec=records())
def test_ckan_round_trip(rec):
    _round_trip(lambda r: ckan.to_ckan(r, site_url=SITE), ckan.from_ckan, rec)


@SETTINGS
@given(rec=records())
def test_datajson_round_trip(rec):
    _round_trip(lambda r: datajson.to_datajson(r, site_url=SITE), datajson.from_datajson, rec)


@SETTINGS
@given(rec=records())
def test_datapackage_round_trip(rec):
    _round_trip(datapackage.to_datapackage, datapackage.from_datapackage, rec)


@SETTINGS
@given(rec=records())
def test_dcat_round_trip(rec):
    def there_and_back(r):
        return dcat.dataset_from_rdf(dcat.dataset_to_rdf(r, site_url=SITE), rdflib.URIRef(dcat.dataset_uri(r, SITE)))

    once = there_and_back(rec)
    core, want = _core(once), _core(rec)
    core["urls"], want["urls"] = sorted(core["urls"]), sorted(want["urls"])  # an RDF graph has no order
    assert core == want
    again = there_and_back({**once, "slug": rec["slug"]})
    assert dcat.comparable(again) == dcat.comparable(once)  # a fixed point (the licence comes back as its URI)
