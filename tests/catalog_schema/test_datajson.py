"""data.json (Project Open Data v1.1 / DCAT-US) <-> catalog record, on real agency catalogs.

US Treasury (233 datasets), CFPB (11), OpenDataPhilly (402, `modified` null in 391 of them)
and CFTC (7). Output is validated with the POD v1.1 JSON Schema the package ships.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_schema import vocab
from catalog_schema.ckan import from_ckan, to_ckan
from catalog_schema.datajson import (
    catalog_to_datajson,
    datasets_from_datajson,
    from_datajson,
    schema,
    to_datajson,
    validation_errors,
)
from catalog_schema.record import new_distribution, new_record
from catalog_schema.record import validation_errors as record_errors

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
DATAJSON = REAL / "datajson"
SITE = "https://data.example.gov"
FILES = {"treasury": "treasury_data.json", "cfpb": "cfpb_data.json", "philadelphia": "philadelphia_dcatus.json",
         "cftc": "cftc_dcatus.json"}
DATASET_COUNTS = {"treasury": 233, "cfpb": 11, "philadelphia": 402, "cftc": 7}


def _doc(name: str) -> dict:
    return json.loads((DATAJSON / FILES[name]).read_text("utf-8"))


def _catalog(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "dataset"}


@pytest.mark.parametrize("name", FILES)
def test_every_dataset_and_distribution_is_mapped(name):
    doc = _doc(name)
    records = datasets_from_datajson(doc)
    assert len(records) == len(doc["dataset"]) == DATASET_COUNTS[name]
    true_distributions = sum(len(d.get("distribution") or []) for d in doc["dataset"])
    assert sum(len(r["distributions"]) for r in records) == true_distributions
    for rec in records:
        assert record_errors(rec) == []


def test_distribution_totals_of_the_real_files():
    totals = {name: sum(len(d.get("distribution") or []) for d in _doc(name)["dataset"]) for name in FILES}
    assert totals == {"treasury": 324, "cfpb": 11, "philadelphia": 2841, "cftc": 7}


@pytest.mark.parametrize("name", FILES)
def test_to_datajson_gives_every_dataset_back(name):
    doc = _doc(name)
    catalog = _catalog(doc)
    for dataset in doc["dataset"]:
        rec = from_datajson(dataset, catalog)
        assert to_datajson(rec) == dataset
        assert from_datajson(to_datajson(rec), catalog) == rec


def test_treasury_fields_are_read_into_the_record():
    doc = _doc("treasury")
    rec = from_datajson(doc["dataset"][0], _catalog(doc))
    raw = doc["dataset"][0]
    assert rec["title"] == {"": raw["title"]} and rec["description"] == {"": raw["description"]}
    assert rec["keywords"] == raw["keyword"] == ["currency", "denomination", "printing"]
    assert rec["identifier"] == "015-BEP-001" and rec["modified"] == "2012-10-01"
    assert rec["publisher"]["name"] == {"": "Bureau of Engraving and Printing"}
    assert rec["publisher"]["extras"]["datajson"]["subOrganizationOf"]["name"] == "BEP"
    assert rec["contact_point"] == {"name": "External Relations", "email": "moneyfactory.info@bep.gov",
                                    "url": None, "phone": None}
    assert rec["access_rights"] == "PUBLIC"
    assert rec["license"] == "CC0-1.0" and rec["license_raw"] == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert rec["frequency"] == "IRREG"  # "irregular"
    assert rec["landing_page"] == raw["landingPage"]
    assert rec["extras"]["datajson"]["bureauCode"] == ["015:20"]
    assert rec["extras"]["datajson"]["programCode"] == ["015:064"]
    assert rec["extras"]["datajson_catalog"] == "http://www.treasury.gov/data.json"
    (dist,) = rec["distributions"]
    assert dist["access_url"] == raw["distribution"][0]["accessURL"]
    assert dist["download_url"] == raw["distribution"][0]["downloadURL"]
    assert dist["media_type"] == "text/html" and dist["format"] == "HTML" and dist["format_raw"] is None


def test_treasury_frequencies_are_eu_codes():
    doc = _doc("treasury")
    records = datasets_from_datajson(doc)
    raw = {d["identifier"]: d.get("accrualPeriodicity") for d in doc["dataset"]}
    for rec in records:
        periodicity = raw[rec["identifier"]]
        assert rec["frequency"] == vocab.frequency(periodicity)
    assert {r["frequency"] for r in records} >= {"IRREG", "MONTHLY", "DAILY", "ANNUAL", "QUARTERLY"}


def test_philadelphia_nulls_and_unknown_values_are_kept_and_flagged():
    doc = _doc("philadelphia")
    records = datasets_from_datajson(doc)
    nulls = [r for r, d in zip(records, doc["dataset"], strict=True) if d["modified"] is None]
    assert len(nulls) == 391
    assert all(r["modified"] is None and r["extras"]["datajson"]["modified"] is None for r in nulls)
    terms = "https://metadata.phila.gov/#help/help-faqs/what-are-the-terms-of-use/"
    first = records[0]
    assert first["license"] is None and first["license_raw"] == terms
    assert {"field": "license", "value": terms, "reason": "licence not recognised"} in first["flags"]
    formats = [(d["format_raw"], d["format"]) for r in records for d in r["distributions"]]
    assert ("CSV", "CSV") in formats and ("GEOJSON", "GEOJSON") in formats and ("SHP", "SHP") in formats
    api = [f for r in records for f in r["flags"] if f["value"] == "API"]
    assert api and all(f["reason"] == "format not recognised" for f in api)
    assert sum(1 for raw, _ in formats if raw == "API") == len(api) == 447
    assert first["spatial"] == ["Philadelphia, Pennsylvania"]


def test_cftc_repeating_interval_as_modified_is_kept_as_given():
    records = datasets_from_datajson(_doc("cftc"))
    assert records[0]["modified"] == "R/P1W"
    assert records[0]["in_series"] == ["some-collection-id"]  # isPartOf: the series it belongs to


def test_the_shipped_schema_accepts_the_real_catalogs_and_sees_philadelphias_nulls():
    assert schema()["$defs"]["dataset"]["required"][0] == "title"
    for name in ("treasury", "cfpb", "cftc"):
        assert validation_errors(_doc(name)) == []
        assert validation_errors(_doc(name), federal=True) == []
    errors = validation_errors(_doc("philadelphia"))
    assert len(errors) == 391 and all(e.endswith("modified: None is not of type 'string'") for e in errors)


def test_the_schema_rejects_what_pod_forbids():
    good = _doc("treasury")["dataset"][0]
    assert validation_errors(good, kind="dataset") == []
    cases = {
        "accessLevel": ("accessLevel", "open"),
        "accrualPeriodicity": ("accrualPeriodicity", "monthly"),
        "contactPoint/hasEmail": ("contactPoint", {"fn": "x", "hasEmail": "moneyfactory.info@bep.gov"}),
        "keyword": ("keyword", []),
        "bureauCode/0": ("bureauCode", ["15:20"]),
    }
    for where, (key, value) in cases.items():
        bad = copy.deepcopy(good)
        bad[key] = value
        assert any(e.startswith(where) for e in validation_errors(bad, kind="dataset")), where
    no_media = copy.deepcopy(good)
    del no_media["distribution"][0]["mediaType"]
    assert validation_errors(no_media, kind="dataset")
    no_codes = copy.deepcopy(good)
    del no_codes["bureauCode"]
    assert validation_errors(no_codes, kind="dataset") == []
    assert validation_errors(no_codes, kind="dataset", federal=True)


@pytest.mark.parametrize("name", ["treasury", "cfpb", "cftc"])
def test_catalog_to_datajson_of_harvested_records_is_valid_pod(name):
    records = datasets_from_datajson(_doc(name))
    out = catalog_to_datajson(records, site_url=SITE)
    assert validation_errors(out) == []
    assert out["@type"] == "dcat:Catalog" and out["@id"] == SITE + "/data.json"
    assert out["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert len(out["dataset"]) == DATASET_COUNTS[name]
    for got, raw in zip(out["dataset"], _doc(name)["dataset"], strict=True):
        for key in ("title", "description", "keyword", "modified", "identifier", "accessLevel", "contactPoint",
                    "bureauCode", "programCode", "license", "accrualPeriodicity"):
            assert got.get(key) == raw.get(key), key
        assert got["publisher"]["name"] == raw["publisher"]["name"]
        assert [(d.get("downloadURL"), d.get("accessURL"), d.get("mediaType")) for d in got["distribution"]] == \
            [(d.get("downloadURL"), d.get("accessURL"), d.get("mediaType")) for d in raw["distribution"]]


def test_folder_records_with_words_for_a_frequency_become_valid_pod_datasets():
    """A folder's sheet says frequency "每隔一阵" or "sometimes": kept on the record, left out of data.json."""
    from catalog_schema import filemeta
    from catalog_schema.record import new_distribution, new_record

    records = []
    for i, words in enumerate(("sometimes", "每隔一阵", "每月")):
        fields, _problems = filemeta.from_values({"title": f"Table {i}", "frequency": words, "licence": "CC-BY-4.0",
                                                  "modified": "2026-11-30", "description": "A table.", "keywords": "t",
                                                  "contact_point": "data@example.org"})
        records.append(new_record(identifier=f"t{i}", **fields, publisher={"slug": "p", "name": {"": "P"}},
                                  distributions=[new_distribution(download_url=f"http://127.0.0.1/t{i}.csv",
                                                                  format="CSV")]))
    out = catalog_to_datajson(records, site_url=SITE)
    assert validation_errors(out) == []
    assert [d.get("accrualPeriodicity") for d in out["dataset"]] == [None, None, "R/P1M"]


def test_ckan_records_become_valid_pod_datasets():
    package_search = json.loads((REAL / "ckan" / "birmingham_package_search.json").read_text("utf-8"))
    records = [from_ckan(p) for p in package_search["result"]["results"]]
    out = catalog_to_datajson(records, site_url=SITE)
    assert validation_errors(out) == []
    first = out["dataset"][0]
    assert first["identifier"] == "cf552d08-cee9-43bf-8c0f-3196a9311799"
    assert first["publisher"] == {"@type": "org:Organization", "name": "Birmingham City Council",  # its IRI here,
                                  "@id": SITE.rstrip("/") + "/publisher/birmingham-city-council"}  # as in DCAT
    assert first["contactPoint"] == {"fn": "Ian Martin", "hasEmail": "mailto:ian.martin@birmingham.gov.uk"}
    assert first["license"] == vocab.licence("uk-ogl").url
    assert first["landingPage"] == SITE + "/dataset/purchase-card-transactions"
    assert len(first["distribution"]) == 45
    assert {d["mediaType"] for d in first["distribution"]} == {"application/vnd.ms-excel"}  # 2 by extension
    inspire = from_ckan(json.loads((REAL / "ckan" / "datagovuk_package_show_inspire.json").read_text())["result"])
    dataset = to_datajson(inspire, site_url=SITE)
    assert validation_errors(dataset, kind="dataset") == []
    assert dataset["accrualPeriodicity"] == "R/P3M"
    assert dataset["contactPoint"] == {"fn": "Environment Agency",
                                       "hasEmail": "mailto:data.info@environment-agency.gov.uk"}
    assert dataset["theme"] == [vocab.THEMES["ENVI"].labels["en"]]


def test_federal_codes_come_from_ckan_extras_too():
    rec = new_record(slug="x", title={"": "X"}, description={"": "d"}, keywords=["k"], modified="2024-01-01",
                     identifier="x-1", publisher={"name": {"": "Agency"}},
                     contact_point={"name": "A", "email": "a@example.gov"},
                     extras={"ckan_extras": {"bureauCode": "015:11,015:12", "programCode": '["015:001"]'}})
    out = to_datajson(rec)
    assert out["bureauCode"] == ["015:11", "015:12"] and out["programCode"] == ["015:001"]
    assert validation_errors(out, kind="dataset", federal=True) == []


def test_an_edited_record_is_written_canonically():
    doc = _doc("cfpb")
    rec = from_datajson(doc["dataset"][0])
    rec["contact_point"] = {"name": "Open data team", "email": "data@cfpb.gov", "url": None, "phone": None}
    rec["frequency"] = "WEEKLY"
    rec["license"], rec["license_raw"] = "CC-BY-4.0", None
    rec["themes"] = ["ECON"]
    rec["temporal"] = {"start": "2011-12-01", "end": "2024-12-31"}
    out = to_datajson(rec)
    assert out["contactPoint"] == {"fn": "Open data team", "hasEmail": "mailto:data@cfpb.gov"}
    assert out["accrualPeriodicity"] == "R/P1W"
    assert out["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert out["temporal"] == "2011-12-01/2024-12-31"
    assert validation_errors(out, kind="dataset") == []
    back = from_datajson(out)
    for field in ("contact_point", "frequency", "license", "themes", "temporal", "keywords", "title"):
        assert back[field] == rec[field], field


def test_a_native_record_with_every_field():
    rec = new_record(
        slug="bus-stops", identifier="https://data.example.gov/id/bus", title={"en": "Bus stops", "zh": "公交站点"},
        description={"en": "Every stop."}, keywords=["bus"], themes=["TRAN"], license="CC-BY-4.0",
        publisher={"slug": "transport", "name": {"en": "Transport"}, "email": "t@example.gov"},
        contact_point={"name": "Data team", "email": None}, access_rights="RESTRICTED", issued="2024-01-02",
        modified="2024-03-04T10:00:00Z", frequency="QUARTERLY", language=["en", "zh"],
        conforms_to=["https://schema.example.gov/bus"], spatial=["Hong Kong"], landing_page="https://example.gov/bus",
        distributions=[new_distribution(title={"en": "CSV"}, download_url="/files/bus.csv", format="CSV",
                                        format_raw="CSV"),
                       new_distribution(access_url="https://example.gov/api/bus")])
    out = to_datajson(rec, site_url=SITE)
    assert validation_errors(out, kind="dataset") == []
    assert out["title"] == "Bus stops" and out["accessLevel"] == "restricted public"
    assert out["contactPoint"] == {"fn": "Data team", "hasEmail": "mailto:t@example.gov"}
    assert out["distribution"][0] == {"title": "CSV", "downloadURL": SITE + "/files/bus.csv", "format": "CSV",
                                      "mediaType": "text/csv"}
    assert out["distribution"][1] == {"accessURL": "https://example.gov/api/bus"}
    assert out["accrualPeriodicity"] == "R/P3M" and out["language"] == ["en", "zh"]


def test_tolerant_of_odd_values():
    dataset = copy.deepcopy(_doc("cftc")["dataset"][0])
    dataset["keyword"] = "futures, options , cot"
    dataset["distribution"] = None
    dataset["contactPoint"] = "mailto:hhild@CFTC.GOV"
    dataset["publisher"] = "U.S. Commodity Futures Trading Commission"
    dataset["theme"] = "Finance"
    dataset["language"] = None
    rec = from_datajson(dataset)
    assert record_errors(rec) == []
    assert rec["keywords"] == ["futures", "options", "cot"]
    assert rec["distributions"] == []
    assert rec["contact_point"]["email"] == "hhild@CFTC.GOV"
    assert rec["publisher"]["name"] == {"": "U.S. Commodity Futures Trading Commission"}
    assert to_datajson(rec) == dataset

    one = copy.deepcopy(_doc("cftc")["dataset"][1])
    one["distribution"] = one["distribution"][0]  # an object, not a list
    rec = from_datajson(one)
    assert len(rec["distributions"]) == 1 and rec["distributions"][0]["access_url"]
    assert any(f["field"] == "distributions" for f in rec["flags"])

    broken = copy.deepcopy(_doc("cftc")["dataset"][2])
    broken["distribution"] = ["not an object", {"accessURL": "https://www.cftc.gov/x"}]
    rec = from_datajson(broken)
    assert rec["distributions"][1]["access_url"] == "https://www.cftc.gov/x"
    assert to_datajson(rec)["distribution"] == broken["distribution"]


def test_an_unmappable_dataset_is_a_clear_error_and_does_not_stop_the_others():
    doc = _doc("cftc")
    doc["dataset"].insert(2, ["not", "a", "dataset"])
    doc["dataset"].insert(4, {"title": None, "identifier": None, "description": "no name at all"})
    doc["dataset"].insert(5, {"title": ["a", "list"], "identifier": "x"})
    with pytest.raises(ValueError, match=r"dataset\[2\]: dataset: expected an object, got list"):
        datasets_from_datajson(doc)
    errors: list = []
    records = datasets_from_datajson(doc, errors=errors)
    assert len(records) == 7
    assert [(e["index"], e["error"].split(":")[0]) for e in errors] == [(2, "dataset"), (4, "title"), (5, "title")]
    assert errors[1]["payload"] == {"title": None, "identifier": None, "description": "no name at all"}
    with pytest.raises(ValueError, match="'dataset' list"):
        datasets_from_datajson({"conformsTo": "x"})
    assert len(datasets_from_datajson(_doc("cftc")["dataset"])) == 7  # a bare v1.0 list


def test_a_dataset_without_title_but_with_identifier_is_mapped_and_flagged():
    rec = from_datajson({"identifier": "abc", "title": None})
    assert rec["title"] == {} and rec["identifier"] == "abc"
    assert {"field": "title", "value": None, "reason": "title missing"} in rec["flags"]


# --------------------------------------------------------------------------- generated records

_LICENCES = [lic.id for lic in vocab.licences() if lic.url]
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30) \
    .filter(lambda t: t.strip() and t == t.strip())
_email = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,5})?@[a-z]{2,8}\.(gov|org|cn)", fullmatch=True)
_date = st.dates().map(lambda d: d.isoformat()).filter(lambda d: len(d) == 10)
_url = st.from_regex(r"https://[a-z]{3,10}\.example\.gov/[a-z0-9/]{0,20}", fullmatch=True)


@st.composite
def _records(draw):
    dists = draw(st.lists(st.builds(
        lambda title, dl, acc, fmt: new_distribution(title={"": title}, download_url=dl, access_url=acc,
                                                     format=fmt, format_raw=fmt,
                                                     media_type=vocab.format_by_code(fmt).media_types[0]),
        _text, _url, st.one_of(st.none(), _url), st.sampled_from(["CSV", "XLSX", "JSON", "PDF", "GEOJSON"])),
        max_size=3))
    start = draw(_date)
    return new_record(
        identifier=draw(_text), title={"": draw(_text)}, description={"": draw(_text)},
        keywords=draw(st.lists(_text.filter(lambda t: "," not in t), min_size=1, max_size=4, unique=True)),
        modified=draw(_date), issued=draw(st.one_of(st.none(), _date)),
        publisher={"slug": None, "name": {"": draw(_text)}, "uri": None, "homepage": None, "email": None,
                   "parent": None, "extras": {"datajson": {}}},
        contact_point={"name": draw(_text), "email": draw(_email), "url": None, "phone": None},
        access_rights=draw(st.sampled_from(["PUBLIC", "RESTRICTED", "NON_PUBLIC"])),
        license=(lic := draw(st.sampled_from(_LICENCES))), license_raw=vocab.licence_by_id(lic).url,
        frequency=draw(st.sampled_from([c for c in vocab.FREQUENCIES if vocab.frequency_iso8601(c)])),
        themes=draw(st.lists(st.sampled_from(sorted(vocab.THEMES)), max_size=3, unique=True)),
        temporal=draw(st.one_of(st.none(), st.just({"start": start, "end": draw(_date)}))),
        spatial=draw(st.lists(_text, max_size=1)), landing_page=draw(st.one_of(st.none(), _url)),
        language=draw(st.lists(st.sampled_from(["en", "zh", "de", "fr"]), max_size=2, unique=True)),
        extras={"datajson": {"bureauCode": ["015:11"], "programCode": ["015:001"]}},
        distributions=dists)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_generated_records_go_out_as_valid_pod_and_come_back(rec):
    out = to_datajson(rec)
    assert validation_errors(out, kind="dataset", federal=True) == []
    back = from_datajson(out)
    assert record_errors(back) == []
    for field in ("identifier", "title", "description", "keywords", "modified", "issued", "publisher",
                  "contact_point", "access_rights", "license", "license_raw", "frequency", "themes", "temporal",
                  "spatial", "landing_page", "language", "extras"):
        assert back[field] == rec[field], field
    for got, want in zip(back["distributions"], rec["distributions"], strict=True):
        for field in ("title", "download_url", "access_url", "format", "format_raw", "media_type"):
            assert got[field] == want[field], field


def test_frequencies_pod_cannot_say_are_left_out_not_written_invalid():
    rec = from_datajson(_doc("cftc")["dataset"][0])
    rec["frequency"] = "CONT"
    assert "accrualPeriodicity" not in to_datajson(rec)
    rec["frequency"] = "every leap year"  # a folder sheet's words: the POD schema would refuse the catalog
    assert "accrualPeriodicity" not in to_datajson(rec)
    rec["frequency"] = "R/P3Y"  # no EU code says it, POD takes it
    assert to_datajson(rec)["accrualPeriodicity"] == "R/P3Y"
    # a data.json source's own words still come back as it said them (kept verbatim by the mapping)
    entry = {**_doc("cftc")["dataset"][0], "accrualPeriodicity": "every leap year"}
    assert to_datajson(from_datajson(entry))["accrualPeriodicity"] == "every leap year"


def test_a_date_that_is_no_date_is_not_published_and_a_chinese_one_is_in_iso_form():
    """issued and modified follow the rule every door publishes by (catalog_schema.dates): POD's schema refused the
    whole catalog for one "2023-13-01"; a duration (R/P1D, which POD takes for modified) stays as written."""
    rec = from_datajson(_doc("cftc")["dataset"][0])
    rec.pop("catalog_modified", None)
    rec.update(issued="2023-13-01", modified="yesterday-ish")
    out = to_datajson(rec)
    assert "issued" not in out and "modified" not in out
    rec["catalog_modified"] = "2026-12-01"  # the date the catalog's copy changed stands in (the dumps add it)
    assert to_datajson(rec)["modified"] == "2026-12-01"
    del rec["catalog_modified"]
    rec.update(issued="2024年3月1日", modified="2024-05-01 10:00:00")
    out = to_datajson(rec)
    assert (out["issued"], out["modified"]) == ("2024-03-01", "2024-05-01T10:00:00")
    assert not validation_errors(out, kind="dataset")
    rec.update(issued="2023-13-01", modified="R/P1D")
    out = to_datajson(rec)
    assert out["modified"] == "R/P1D" and "issued" not in out
    rec.update(modified="2024-02-30")  # no modified that is a date: the publication date stands in, if real
    assert "modified" not in to_datajson(rec)
    rec.update(issued="2024.03.01")
    assert to_datajson(rec)["modified"] == "2024-03-01"


def test_what_pod_requires_and_a_record_lacks_is_never_written_invalid():
    """A licence the vocabulary does not know was written as the source's words ("不存在的协议"), and a record
    with no publisher (a CKAN package without organization) had none: the POD schema refused the catalog for
    either. A licence that is a URI is still written as the source wrote it."""
    rec = from_datajson(_doc("cftc")["dataset"][0])
    rec.update(license=None, license_raw="不存在的协议", publisher=None)
    out = to_datajson(rec, site_publisher="京海市数据开放平台", contact_email="open@jinghai.example")
    assert "license" not in out and out["publisher"] == {"@type": "org:Organization", "name": "京海市数据开放平台"}
    assert not validation_errors(out, kind="dataset")
    rec["license_raw"] = "https://data.jinghai.example/licence/v1"
    assert to_datajson(rec, site_publisher="x")["license"] == "https://data.jinghai.example/licence/v1"
    assert "publisher" not in to_datajson(rec)  # (no portal named: nothing invented)


def test_a_format_goes_out_by_name_as_ckan_names_it_and_comes_back_the_same():
    """data.json's format is a human-readable name. A file harvested from a DCAT feed went out as the EU IRI
    (.../file-type/RDF_TURTLE) where package_show says "Turtle"."""
    rec = new_record(slug="s", title={"en": "t"}, distributions=[
        new_distribution(download_url="https://x.example/a.ttl", format="TURTLE",
                         format_raw="http://publications.europa.eu/resource/authority/file-type/RDF_TURTLE"),
        new_distribution(download_url="https://x.example/b.csv", format="CSV", format_raw="CSV"),
        new_distribution(download_url="https://x.example/c", format=None, format_raw="https://x.example/formats/8d3c"),
        new_distribution(download_url="https://x.example/d.csv", format="CSV", format_raw="csv")])
    pod = [d.get("format") for d in to_datajson(rec)["distribution"]]
    assert pod == ["Turtle", "CSV", "https://x.example/formats/8d3c", "csv"]
    assert pod == [r["format"] for r in to_ckan(rec)["resources"]]
    for fmt in vocab.formats():
        for raw in filter(None, (fmt.code, fmt.eu_uri)):
            rec = new_record(slug="s", title={"en": "t"}, distributions=[new_distribution(
                download_url="https://x.example/a", format=fmt.code, format_raw=raw)])
            back = from_datajson(to_datajson(rec))
            assert back["distributions"][0]["format"] == fmt.code, (fmt.code, raw)
            assert not back["flags"], (fmt.code, raw)


def test_a_media_type_goes_out_as_the_media_type_a_source_meant_or_not_at_all():
    """mediaType went out as the record keeps it, a CKAN resource's mimetype as its source wrote it: "CSV" and
    "comma separated" fail the POD schema's pattern (and with them the whole /data.json). It is now the media type
    the value means without its parameters (vocab.plain_media_type), else what a downloadURL's mediaType is without
    one (its format's), else none; a data.json source's own word stays in the record and comes back the same."""
    said = {"CSV": "text/csv", "text/csv; charset=utf-8": "text/csv", "XLS": "application/vnd.ms-excel",
            "comma separated": None, "": None}
    rec = new_record(slug="s", title={"en": "t"}, keywords=["k"], publisher={"name": {"en": "P"}},
                     contact_point={"name": "Desk", "email": "desk@example.gov"}, modified="2024-01-01",
                     distributions=[new_distribution(access_url=f"https://x.example/{i}", media_type=raw)
                                    for i, raw in enumerate(said)]
                     + [new_distribution(download_url="https://x.example/t.csv", format="CSV", format_raw="CSV",
                                         media_type="comma separated")])
    out = to_datajson(rec, site_url=SITE)
    assert validation_errors(out, kind="dataset") == []
    assert [d.get("mediaType") for d in out["distribution"]] == [*said.values(), "text/csv"]

    source = {"title": "t", "identifier": "t-1", "description": "d", "keyword": ["k"], "modified": "2024-01-01",
              "publisher": {"name": "P"}, "contactPoint": {"fn": "Desk", "hasEmail": "mailto:desk@example.gov"},
              "accessLevel": "public",
              "distribution": [{"accessURL": f"https://x.example/{i}", "mediaType": raw} for i, raw in enumerate(said)]}
    harvested = from_datajson(source)
    assert [d["media_type"] for d in harvested["distributions"]] == [raw or None for raw in said]
    again = to_datajson(harvested)
    assert validation_errors(again, kind="dataset") == []
    assert [d.get("mediaType") for d in again["distribution"]] == list(said.values())


def test_a_period_is_published_by_the_date_rule_dcat_and_schema_org_follow():
    """temporal went out as the source wrote its ends ("2020年1月1日/2020.12.31"), which the POD schema refuses (and
    with it the whole /data.json) while DCAT said 2020-01-01 to 2020-12-31. Each end is now published as
    catalog_schema.dates publishes a date; a period with an end that is no date has no interval to say."""
    def temporal(start, end):
        rec = new_record(slug="s", title={"en": "t"}, keywords=["k"], publisher={"name": {"en": "P"}},
                         contact_point={"name": "Desk", "email": "desk@example.gov"}, modified="2024-01-01",
                         temporal={"start": start, "end": end})
        out = to_datajson(rec, site_url=SITE)
        assert validation_errors(out, kind="dataset") == [], out.get("temporal")
        return out.get("temporal")

    assert temporal("2020年1月1日", "2020.12.31") == "2020-01-01/2020-12-31"
    assert temporal("2024-05-01 10:00", "2024-05-02T10:00:00+0800") == "2024-05-01T10:00/2024-05-02T10:00:00+08:00"
    assert temporal("2016", "2025") == "2016/2025"
    assert temporal("2020-01-01", "2020-13-45") is None  # no end on the calendar: DCAT leaves it out too
    assert temporal("2020-01-01", "P1Y") == "2020-01-01/P1Y"  # a source's duration, POD's own form, as written
    back = from_datajson(to_datajson(new_record(slug="s", title={"en": "t"},
                                                temporal={"start": "2020年1月1日", "end": "2020.12.31"})))
    assert back["temporal"] == {"start": "2020-01-01", "end": "2020-12-31"}
