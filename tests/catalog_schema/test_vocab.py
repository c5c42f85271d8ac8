"""catalog_schema.vocab: every lookup path, checked against the strings real portals publish.

The fixtures under tests/fixtures/real are recorded CKAN, DCAT and data.json catalogs; the
tests collect every licence, format, media type, frequency, theme and access level they contain
and require each to be recognised (or to be one of the few listed as legitimately unknowable).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from defusedxml import ElementTree

from catalog_schema import vocab
from catalog_schema.vocab_data import build

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "real"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DCT = "{http://purl.org/dc/terms/}"
DCAT = "{http://www.w3.org/ns/dcat#}"
DCAT_FILES = ("bremen_catalog.rdf", "destatis_catalog.rdf", "unibo_catalog.rdf")


# --------------------------------------------------------------------------- fixture readers


def _walk(obj, keys: set[str], out: list):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in keys and isinstance(v, str):
                out.append((k, v))
            _walk(v, keys, out)
    elif isinstance(obj, list):
        for item in obj:
            _walk(item, keys, out)


def _json_values(pattern: str, keys: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted(REAL.glob(pattern)):
        text = path.read_text(encoding="utf-8")
        if text.startswith("//"):  # data.gov.uk recordings start with a browser-extension comment
            text = text[text.index("{") :]
        _walk(json.loads(text), keys, out)
    return out


def _ckan_extras(key: str) -> list[str]:
    """Values of one CKAN extra ({"key": ..., "value": ...}) across the CKAN fixtures."""
    out: list[str] = []

    def walk(obj):
        if isinstance(obj, dict):
            if obj.get("key") == key and isinstance(obj.get("value"), str):
                out.append(obj["value"])
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for item in obj:
                walk(item)

    for path in sorted(REAL.glob("ckan/**/*.json")):
        text = path.read_text(encoding="utf-8")
        walk(json.loads(text[text.index("{") :] if text.startswith("//") else text))
    return out


def _rdf_objects(prop: str) -> list[str]:
    """Every object URI of a property in the DCAT RDF/XML fixtures (resource or nested node)."""
    out = []
    for name in DCAT_FILES:
        root = ElementTree.parse(str(REAL / "dcat" / name)).getroot()
        for el in root.iter(prop):
            if el.get(RDF + "resource"):
                out.append(el.get(RDF + "resource"))
            for child in el:
                if child.get(RDF + "about"):
                    out.append(child.get(RDF + "about"))
    return out


def _ttl_objects(pred: str) -> list[str]:
    import rdflib

    g = rdflib.Graph().parse(REAL / "dcat" / "gob_es_dataset.ttl", format="turtle")
    return [str(o) for o in g.objects(None, rdflib.URIRef(pred))]


def _fixture_licence_strings() -> set[str]:
    strings = {v for _, v in _json_values("ckan/**/*.json", {"license_id", "license_url", "license_title"})}
    strings |= {v for _, v in _json_values("datajson/*.json", {"license"})}
    strings |= set(_rdf_objects(DCT + "license"))
    strings |= set(_ttl_objects("http://purl.org/dc/terms/license"))
    return strings


# --------------------------------------------------------------------------- import has no cost


def test_import_reads_no_data_and_parses_no_rdf():
    code = (
        "import sys\n"
        "from catalog_schema import vocab\n"
        "assert 'catalog_schema.vocab_data' not in sys.modules, 'data package loaded at import'\n"
        "assert not any(m.startswith(('rdflib', 'defusedxml', 'xml.etree')) for m in sys.modules), 'XML at import'\n"
        "assert vocab._licence_table.cache_info().currsize == 0\n"
        "assert vocab.licence('cc-by').id == 'CC-BY-4.0'\n"
        "assert 'catalog_schema.vocab_data' in sys.modules\n"
        "assert not any(m.startswith(('rdflib', 'defusedxml')) for m in sys.modules), 'XML parsed at lookup'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_tables_load_once():
    vocab.licence("cc-by")
    vocab.licence("odc-odbl")
    assert vocab._licence_table.cache_info().misses == 1


# --------------------------------------------------------------------------- licences: fixtures

# every licence string in the real fixtures, and what it must resolve to
FIXTURE_LICENCES = {
    # data.gov.uk and demo.ckan.org package_show / package_search, Birmingham package_search
    "uk-ogl": "OGL-UK-3.0",
    "UK Open Government Licence (OGL)": "OGL-UK-3.0",
    "http://reference.data.gov.uk/id/open-government-licence": "OGL-UK-3.0",
    "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/": "OGL-UK-3.0",
    "cc-by": "CC-BY-4.0",
    "Creative Commons Attribution": "CC-BY-4.0",
    "http://www.opendefinition.org/licenses/cc-by": "CC-BY-4.0",
    "other-open": "other-open",
    "Other (Open)": "other-open",
    # data.json: Treasury, Philadelphia
    "http://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "http://opendefinition.org/licenses/cc-zero/": "CC0-1.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    # DCAT-AP.de: Bremen, Destatis
    "http://dcat-ap.de/def/licenses/cc-by": "CC-BY-4.0",
    "http://dcat-ap.de/def/licenses/cc-zero": "CC0-1.0",
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": "dl-de-by-2.0",
    "http://dcat-ap.de/def/licenses/cc-by-nc-de/4_0": "CC-BY-NC-4.0",
    # DCAT-AP_IT: dati.unibo.it (the Italian port of CC BY 3.0)
    "https://creativecommons.org/licenses/by/3.0/it/": "CC-BY-3.0",
}
# pages of terms that name no licence: nothing can recognise them, they stay verbatim and flagged
FIXTURE_UNKNOWABLE = {
    "https://metadata.phila.gov/#help/help-faqs/what-are-the-terms-of-use/",  # Philadelphia terms-of-use FAQ
    "https://opendataphilly.org/licenses/other",  # "other" with no terms
    "https://datos.madrid.es/egob/catalogo/aviso-legal",  # Madrid's legal notice page
}


def test_fixture_licence_strings_are_all_accounted_for():
    found = _fixture_licence_strings()
    assert found == set(FIXTURE_LICENCES) | FIXTURE_UNKNOWABLE


@pytest.mark.parametrize("raw,expected", sorted(FIXTURE_LICENCES.items()))
def test_fixture_licence_recognised(raw, expected):
    lic = vocab.licence(raw)
    assert lic is not None and lic.id == expected


@pytest.mark.parametrize("raw", sorted(FIXTURE_UNKNOWABLE))
def test_fixture_licence_unknowable(raw):
    assert vocab.licence(raw) is None


def test_fixture_licence_document_names():
    """dati.unibo.it describes its licence document with a foaf:name: the name resolves like the URI."""
    root = ElementTree.parse(str(REAL / "dcat" / "unibo_catalog.rdf")).getroot()
    names = {el.text for doc in root.iter(DCT + "license") for el in doc.iter("{http://xmlns.com/foaf/0.1/}name")}
    assert names == {"CC BY 3.0 IT"}
    assert vocab.licence("CC BY 3.0 IT") is vocab.licence("https://creativecommons.org/licenses/by/3.0/it/")


def test_fixture_licence_openness():
    assert vocab.licence("http://dcat-ap.de/def/licenses/cc-by-nc-de/4_0").is_open is False
    assert vocab.licence("http://dcat-ap.de/def/licenses/dl-by-de/2.0").is_open is True
    assert vocab.licence("https://creativecommons.org/licenses/by/3.0/it/").is_open is True
    assert vocab.licence("http://reference.data.gov.uk/id/open-government-licence").is_open is True


# --------------------------------------------------------------------------- licences: CKAN

CKAN_IDS = {
    "cc-by": ("CC-BY-4.0", True),
    "cc-by-sa": ("CC-BY-SA-4.0", True),
    "cc-zero": ("CC0-1.0", True),
    "cc-nc": ("CC-BY-NC-4.0", False),
    "odc-odbl": ("ODbL-1.0", True),
    "odc-by": ("ODC-BY-1.0", True),
    "odc-pddl": ("PDDL-1.0", True),
    "uk-ogl": ("OGL-UK-3.0", True),
    "gfdl": ("GFDL-1.3-no-cover-texts-no-invariant-sections", True),
    "other-open": ("other-open", True),
    "other-pd": ("other-pd", True),
    "other-at": ("other-at", True),
    "other-nc": ("other-nc", False),
    "other-closed": ("other-closed", False),
    "notspecified": ("notspecified", False),
}


@pytest.mark.parametrize("ckan_id", sorted(CKAN_IDS))
def test_ckan_ids(ckan_id):
    lic = vocab.licence(ckan_id)
    assert (lic.id, lic.is_open) == CKAN_IDS[ckan_id]
    assert lic.ckan_id == ckan_id
    assert vocab.licence(ckan_id.upper()) is lic
    assert vocab.licence(f"  {ckan_id}\n") is lic


@pytest.mark.parametrize(
    "title,expected",
    [
        ("Creative Commons Attribution Share-Alike", "CC-BY-SA-4.0"),
        ("Creative Commons CCZero", "CC0-1.0"),
        ("Creative Commons Non-Commercial (Any)", "CC-BY-NC-4.0"),
        ("Open Data Commons Open Database License (ODbL)", "ODbL-1.0"),
        ("Open Data Commons Attribution License", "ODC-BY-1.0"),
        ("Open Data Commons Public Domain Dedication and License (PDDL)", "PDDL-1.0"),
        ("GNU Free Documentation License", "GFDL-1.3-no-cover-texts-no-invariant-sections"),
        ("License not specified", "notspecified"),
        ("Other (Not Open)", "other-closed"),
        ("Other (Public Domain)", "other-pd"),
        ("Other (Attribution)", "other-at"),
        ("Other (Non-Commercial)", "other-nc"),
    ],
)
def test_ckan_titles(title, expected):
    assert vocab.licence(title).id == expected


# --------------------------------------------------------------------------- licences: ids, URLs, text


def test_open_definition_rows_come_through():
    lic = vocab.licence_by_id("CC-BY-4.0")
    assert lic.title == "Creative Commons Attribution 4.0"
    assert lic.url == "https://creativecommons.org/licenses/by/4.0/"
    assert lic.od_conformance == "approved" and lic.is_open
    assert "cc-by" in lic.aliases
    assert vocab.licence_by_id("ukcrown").od_conformance == "rejected"
    assert vocab.licence_by_id("LO-FR-2.0").is_open is False  # "not reviewed" is not open
    # retired rows the list left blank count as not reviewed
    assert vocab.licence_by_id("geogratis").od_conformance == "not reviewed"


def test_every_licence_answers_to_its_id_ckan_id_and_url():
    all_licences = vocab.licences()
    assert len({lic.id for lic in all_licences}) == len(all_licences)
    for lic in all_licences:
        assert lic.is_open == (lic.od_conformance == "approved")
        assert lic.od_conformance in ("approved", "not reviewed", "rejected")
        assert vocab.licence(lic.id) is lic, lic.id
        assert vocab.licence_by_id(lic.id.lower()) is lic
        assert vocab.licence(lic.ckan_id) is lic, lic.ckan_id
        if lic.url:
            assert vocab.licence(lic.url) is lic, lic.url
        for alias in lic.aliases:
            assert vocab.licence(alias) is lic, (alias, lic.id)


def test_licence_by_id_does_not_resolve_aliases():
    assert vocab.licence_by_id("cc-by") is None
    assert vocab.licence_by_id("ODbL-1.0").id == "ODbL-1.0"
    assert vocab.licence_by_id("") is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("CC-BY-4.0", "CC-BY-4.0"),
        ("ODbL-1.0", "ODbL-1.0"),
        ("ODC-PDDL-1.0", "PDDL-1.0"),  # legacy id from the OD list
        ("OGL-CA-2.0", "OGL-Canada-2.0"),  # legacy id
        ("CC BY 4.0", "CC-BY-4.0"),
        ("cc by-sa 4.0", "CC-BY-SA-4.0"),
        ("CC BY 3.0 DE", "CC-BY-3.0"),
        ("CC BY-NC-ND 3.0", "CC-BY-NC-ND-3.0"),
        ("Creative Commons BY-SA 2.5", "CC-BY-SA-2.5"),
        ("知识共享署名 4.0", "CC-BY-4.0"),
        ("知识共享署名-相同方式共享 4.0", "CC-BY-SA-4.0"),
        ("CC0 1.0 通用", "CC0-1.0"),
        ("dl-de-by-2.0", "dl-de-by-2.0"),
        ("DL-DE->BY-2.0", "dl-de-by-2.0"),
        ("Datenlizenz Deutschland – Namensnennung – Version 2.0", "dl-de-by-2.0"),
        ("dl-de-zero-2.0", "dl-de-zero-2.0"),
        ("OGL", "OGL-UK-3.0"),
        ("OGL v2.0", "OGL-UK-2.0"),
    ],
)
def test_licence_ids_and_text(raw, expected):
    assert vocab.licence(raw).id == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Creative Commons Attribution 4.0 International", "CC-BY-4.0"),
        ("Creative Commons Attribution 4.0 International (CC BY 4.0)", "CC-BY-4.0"),
        ("Creative Commons Attribution-ShareAlike 4.0 International", "CC-BY-SA-4.0"),
        ("Creative Commons Attribution-NonCommercial 3.0 Unported License", "CC-BY-NC-3.0"),
        ("Attribution-NonCommercial-NoDerivatives 4.0 International", "CC-BY-NC-ND-4.0"),
        ("Creative Commons Attribution 2.5 Generic", "CC-BY-2.5"),
        ("Creative Commons Namensnennung 3.0 Österreich", "CC-BY-3.0"),
        ("Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland", "CC-BY-SA-3.0"),
        ("Namensnennung 4.0 International", "CC-BY-4.0"),
        ("us-pd", "other-pd"),
        ("https://www.usa.gov/government-works", "other-pd"),
        ("http://www.usa.gov/publicdomain/label/1.0/", "other-pd"),
    ],
)
def test_licence_in_words(raw, expected):
    assert vocab.licence(raw).id == expected


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://creativecommons.org/licenses/by/4.0", "CC-BY-4.0"),
        ("http://www.creativecommons.org/licenses/by/4.0/", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/legalcode.de", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/deed.en", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/3.0/de/", "CC-BY-3.0"),
        ("http://creativecommons.org/licenses/by/3.0/nl/legalcode", "CC-BY-3.0"),
        ("https://creativecommons.org/licenses/by-sa/3.0/de/deed.de", "CC-BY-SA-3.0"),
        ("http://creativecommons.org/licenses/by-nc/2.0/", "CC-BY-NC-2.0"),
        ("https://creativecommons.org/licenses/by/2.1/jp/", "CC-BY-2.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/deed.de", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0"),
        ("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3", "OGL-UK-3.0"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/", "OGL-UK-2.0"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/", "OGL-UK-3.0"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/open-government-licence.htm", "OGL-UK-3.0"),
        (
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/open-government-licence.htm",
            "OGL-UK-3.0",
        ),
        ("http://opendatacommons.org/licenses/odbl/", "ODbL-1.0"),
        ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0"),
        ("http://opendatacommons.org/licenses/by/1.0/", "ODC-BY-1.0"),
        ("http://www.opendatacommons.org/licenses/pddl/1.0/", "PDDL-1.0"),
        ("http://www.opendefinition.org/licenses/odc-odbl", "ODbL-1.0"),
        ("https://opendefinition.org/licenses/odc-pddl/", "PDDL-1.0"),
        ("https://opendefinition.org/licenses/cc-by-sa", "CC-BY-SA-4.0"),
        ("https://spdx.org/licenses/CC-BY-4.0.html", "CC-BY-4.0"),
        ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "dl-de-zero-2.0"),
        ("http://dcat-ap.de/def/licenses/cc-by-de/3.0", "CC-BY-3.0"),
        ("http://dcat-ap.de/def/licenses/cc-by/4.0", "CC-BY-4.0"),
        ("http://dcat-ap.de/def/licenses/odbl", "ODbL-1.0"),
        ("https://www.govdata.de/dl-de/by-2-0", "dl-de-by-2.0"),
        ("https://www.govdata.de/dl-de/zero-2-0", "dl-de-zero-2.0"),
        ("https://www.govdata.de/dl-de/by-nc-1-0", "dl-de-by-nc-1.0"),
        ("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "CC-BY-4.0"),
        ("http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0", "CC-BY-SA-4.0"),
        ("http://publications.europa.eu/resource/authority/licence/CC0", "CC0-1.0"),
        ("http://publications.europa.eu/resource/authority/licence/ODC_ODBL", "ODbL-1.0"),
        ("http://publications.europa.eu/resource/authority/licence/DL_DE_BY_2_0", "dl-de-by-2.0"),
        ("https://open.canada.ca/en/open-government-licence-canada", "OGL-Canada-2.0"),
    ],
)
def test_licence_urls(url, expected):
    assert vocab.licence(url).id == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "no such licence",
        "https://example.org/licence",
        "https://creativecommons.org/about/",
        "http://www.nationalarchives.gov.uk/doc/non-commercial-government-licence/",
        "cc-by-xx",
        "attribution",  # CC BY or CKAN's other-at: not guessed
        "CC BY 4.0 but no commercial use",
    ],
)
def test_licence_unknown_is_none(raw):
    assert vocab.licence(raw) is None


def test_german_and_non_commercial_openness():
    assert vocab.licence_by_id("dl-de-by-2.0").is_open
    assert vocab.licence_by_id("dl-de-zero-2.0").is_open
    assert not vocab.licence_by_id("dl-de-by-nc-1.0").is_open
    assert not vocab.licence("cc-nc").is_open
    assert not vocab.licence("CC BY-ND 4.0").is_open
    assert vocab.licence("CC BY-SA 3.0").is_open


# --------------------------------------------------------------------------- formats: fixtures

UNKNOWN_FORMAT_STRINGS = {
    "API",
    "APP",
    "APPLICATION",
    "GEOSERVICE",
    "GTFS",
    "GTFS-RT",  # services and feeds, not file formats
    "CSV, JSON",  # two formats in one field: the harvester must split or flag it
    "IMG",  # an ERDAS Imagine raster at Philadelphia, an ISO disc image in the EU table: ambiguous
}
UNKNOWN_MEDIA_TYPES = {"application/http", "application/octet-stream", "application/x-erdas-hfa"}


def test_fixture_format_strings():
    strings = {v for _, v in _json_values("ckan/**/*.json", {"format"})}
    strings |= {v for _, v in _json_values("datajson/*.json", {"format"})}
    strings.discard("")
    unknown = {s for s in strings if vocab.file_format(s) is None}
    assert unknown == UNKNOWN_FORMAT_STRINGS
    expected = {
        "XLS": "XLS",
        "WMS": "WMS",
        "WFS": "WFS",
        "HT ML": "HTML",
        "XSLX": "XLSX",
        "PNG 24": "PNG",
        "TIF": "TIFF",
        "GEOPARQUET": "PARQUET",
        "SHP": "SHP",
        "GEOJSON": "GEOJSON",
        "KMZ": "KMZ",
    }
    for raw, code in expected.items():
        assert raw in strings
        assert vocab.file_format(raw).code == code


def test_fixture_media_types():
    types = {v for _, v in _json_values("datajson/*.json", {"mediaType"})}
    unknown = {t for t in types if vocab.format_for_media_type(t) is None}
    assert unknown == UNKNOWN_MEDIA_TYPES
    assert vocab.format_for_media_type("application/vnd.api+json").code == "JSON"
    assert vocab.format_for_media_type("application/vnd.google-earth.kml+xml").code == "KML"
    assert vocab.format_for_media_type("application/vnd.las").code == "LAS"
    assert vocab.file_format("application/rss+xml").code == "RSS"


def test_fixture_datajson_format_and_media_type_agree():
    """Where a data.json distribution gives both and both are known, they name the same format,
    except the zipped shapefile and geodatabase (format SHP/GDB, media type application/zip)."""
    for name in ("treasury_data.json", "cfpb_data.json", "cftc_dcatus.json", "philadelphia_dcatus.json"):
        data = json.loads((REAL / "datajson" / name).read_text(encoding="utf-8"))
        for ds in data["dataset"]:
            for dist in ds.get("distribution") or []:
                declared = vocab.file_format(dist.get("format"))
                by_type = vocab.format_for_media_type(dist.get("mediaType"))
                if declared and by_type and declared.code != by_type.code:
                    assert (declared.code, by_type.code) in {("SHP", "ZIP"), ("GDB", "ZIP")}, dist


def test_fixture_dcat_formats_are_eu_uris():
    uris = _rdf_objects(DCT + "format")
    assert len(uris) > 400
    for uri in set(uris):
        fmt = vocab.file_format(uri)
        assert fmt is not None and fmt.eu_uri == uri, uri
    media = set(_rdf_objects(DCAT + "mediaType"))
    assert media == {"https://www.iana.org/assignments/media-types/application/gml+xml"}
    assert vocab.file_format(media.pop()).code == "GML"


def test_fixture_gob_es_format_label_and_value():
    # datos.gob.es gives dct:format as a dct:IMT node with rdfs:label "XLS" and rdf:value the media type
    import rdflib

    g = rdflib.Graph().parse(REAL / "dcat" / "gob_es_dataset.ttl", format="turtle")
    imt = next(g.objects(None, rdflib.DCTERMS.format))
    assert vocab.file_format(str(g.value(imt, rdflib.RDFS.label))).code == "XLS"
    assert vocab.file_format(str(g.value(imt, rdflib.RDF.value))).code == "XLS"
    access = str(next(g.objects(None, rdflib.URIRef("http://www.w3.org/ns/dcat#accessURL"))))
    assert vocab.format_for_extension(access).code == "XLSX"


def test_fixture_resource_urls_by_extension():
    urls = [v for _, v in _json_values("datajson/treasury_data.json", {"downloadURL"})]
    by_ext = {u: vocab.format_for_extension(u) for u in urls}
    assert any(f and f.code == "XLSX" for f in by_ext.values())
    assert (
        vocab.format_for_extension(
            "http://www.treasury.gov/resource-center/data-chart-center/tic/Documents/ticrel_20150916.zip"
        ).code
        == "ZIP"
    )
    # a URL path whose last segment has no extension names no format
    assert vocab.format_for_extension("https://phl.carto.com/api/v2/sql?q=SELECT+1&format=csv") is None


# --------------------------------------------------------------------------- formats: lookups


@pytest.mark.parametrize(
    "raw,code",
    [
        ("CSV", "CSV"),
        ("csv", "CSV"),
        (".csv", "CSV"),
        (" Csv ", "CSV"),
        ("Comma Separated Values", "CSV"),
        ("XLS", "XLS"),
        ("Excel", "XLS"),
        ("text/csv", "CSV"),
        ("text/csv; charset=utf-8", "CSV"),
        ("application/vnd.ms-excel", "XLS"),
        ("http://publications.europa.eu/resource/authority/file-type/CSV", "CSV"),
        ("https://publications.europa.eu/resource/authority/file-type/RDF_TURTLE", "TURTLE"),
        ("http://publications.europa.eu/resource/authority/file-type/WMS_SRVC", "WMS"),
        ("http://publications.europa.eu/resource/authority/file-type/PDFA1B", "PDF"),
        ("http://www.iana.org/assignments/media-types/text/csv", "CSV"),
        ("https://www.iana.org/assignments/media-types/application/ld+json", "JSON_LD"),
        ("application/rdf+xml", "RDF_XML"),
        ("RDF", "RDF_XML"),
        ("text/turtle", "TURTLE"),
        ("TTL", "TURTLE"),
        ("RDF_TURTLE", "TURTLE"),
        ("N-Triples", "NTRIPLES"),
        ("JSON-LD", "JSON_LD"),
        ("n3", "N3"),
        ("application/geo+json", "GEOJSON"),
        ("GeoJSON", "GEOJSON"),
        ("application/xml", "XML"),
        ("XLSX", "XLSX"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
        ("ODS", "ODS"),
        ("PDF", "PDF"),
        ("Word", "DOC"),
        ("docx", "DOCX"),
        ("ODT", "ODT"),
        ("htm", "HTML"),
        ("zip", "ZIP"),
        ("application/gzip", "GZIP"),
        ("image/png", "PNG"),
        ("JPG", "JPEG"),
        ("gif", "GIF"),
        ("tiff", "TIFF"),
        ("Shapefile", "SHP"),
        ("kml", "KML"),
        ("KMZ", "KMZ"),
        ("GML", "GML"),
        ("WMS", "WMS"),
        ("WFS", "WFS"),
        ("application/atom+xml", "ATOM"),
        ("RSS", "RSS"),
        ("text/plain", "TXT"),
        ("parquet", "PARQUET"),
        ("SQLite", "SQLITE"),
        ("TSV", "TSV"),
        ("text/tab-separated-values", "TSV"),
        ("PSV", "PSV"),
        ("NetCDF", "NETCDF"),
        ("EPUB", "EPUB"),  # an EU file type outside the curated table
        ("RDF/XML", "RDF_XML"),  # its label, which CKAN's package_show says: no media type, a name
    ],
)
def test_file_format(raw, code):
    assert vocab.file_format(raw).code == code


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "no such format",
        "application/octet-stream",
        "application/x-unknown-thing",
        "http://publications.europa.eu/resource/authority/file-type/NOPE",
    ],
)
def test_file_format_unknown(raw):
    assert vocab.file_format(raw) is None


#: media ranges, as an HTTP Accept header or a careless source writes them where a media type belongs
WILDCARDS = ["text/*", "*/*", "application/*", "image/*", "TEXT/*", " text/* ", "text/*; charset=utf-8", "*/csv",
             "*/json", "application/*+json", "application/*+xml", "http://www.iana.org/assignments/media-types/text/*",
             "https://www.iana.org/assignments/media-types/*/*"]


@pytest.mark.parametrize("raw", WILDCARDS)
def test_a_wildcard_media_type_names_no_format_and_is_no_media_type(raw):
    """"text/*" was read as TXT (its "text" is a format's name) and declared as text/plain, "*/csv" as CSV and
    "application/*+json" as JSON: a media range is a range of types, which names no format and is no media type a
    dataset can declare, so the exports leave it out and the score says the media type is not recognised."""
    assert vocab.file_format(raw) is None
    assert vocab.format_for_media_type(raw) is None
    assert vocab.media_type(raw) is None
    assert vocab.declared_media_type(raw) is None and vocab.plain_media_type(raw) is None


def test_format_flags():
    def flags(code):
        f = vocab.format_by_code(code)
        return (f.structured, f.non_proprietary, f.rdf, f.tabular)

    assert flags("CSV") == (True, True, False, True)
    assert flags("JSON") == (True, True, False, True)
    assert flags("GEOJSON") == (True, True, False, False)
    assert flags("XML") == (True, True, False, False)
    assert flags("ODS") == (True, True, False, True)
    assert flags("XLS") == (True, False, False, True)
    assert flags("XLSX") == (True, False, False, True)
    assert flags("PDF") == (False, False, False, False)
    assert flags("DOC") == (False, False, False, False)
    assert flags("HTML") == (False, False, False, False)
    assert flags("PNG") == (False, False, False, False)
    assert flags("SHP") == (True, True, False, False)
    for code in ("RDF_XML", "TURTLE", "NTRIPLES", "JSON_LD", "N3"):
        assert flags(code) == (True, True, True, False), code
    for code in ("TSV", "PSV", "PARQUET"):
        assert vocab.format_by_code(code).tabular
    # EU types outside the curated table claim nothing
    assert flags("EPUB") == (False, False, False, False)


def test_format_table_consistency():
    all_formats = vocab.formats()
    codes = [f.code for f in all_formats]
    assert len(codes) == len(set(codes))
    brief = (
        "CSV TSV PSV JSON GEOJSON XML RDF_XML TURTLE NTRIPLES JSON_LD N3 XLS XLSX ODS PDF DOC DOCX ODT HTML ZIP "
        "GZIP PNG JPEG GIF TIFF SHP KML KMZ GML WMS WFS ATOM RSS TXT PARQUET SQLITE"
    )
    assert set(brief.split()) <= set(codes)
    eu_codes = {
        row["code"]
        for row in json.loads(
            (Path(vocab.__file__).parent / "vocab_data" / "eu_file_types.json").read_text(encoding="utf-8")
        )
    }
    for fmt in all_formats:
        assert vocab.format_by_code(fmt.code) is fmt
        assert vocab.file_format(fmt.code) is fmt
        if fmt.eu_uri:
            assert fmt.eu_uri.rsplit("/", 1)[1] in eu_codes
            assert vocab.file_format(fmt.eu_uri) is fmt
        if fmt.rdf:
            assert fmt.structured and fmt.non_proprietary
    for eu_code in eu_codes:  # every EU file type is recognised by its URI
        assert vocab.file_format(vocab.EU_FILE_TYPE + eu_code) is not None, eu_code
    assert vocab.format_by_code("CSV").eu_uri == "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert vocab.format_by_code("TURTLE").eu_uri.endswith("/RDF_TURTLE")
    assert vocab.format_by_code("PSV").eu_uri is None
    assert vocab.format_by_code("CSV").media_types[0] == "text/csv"
    assert vocab.format_by_code("XLS").extensions == ("xls",)
    # a curated format's preferred media type and extensions lead back to it
    for code in brief.split():
        fmt = vocab.format_by_code(code)
        if fmt.media_types:
            assert vocab.format_for_media_type(fmt.media_types[0]) is fmt, code
        for ext in fmt.extensions:
            assert vocab.format_for_extension(ext) is fmt, (code, ext)


@pytest.mark.parametrize(
    "raw,code",
    [
        ("csv", "CSV"),
        (".CSV", "CSV"),
        ("data.csv", "CSV"),
        ("/tmp/Data.XLSX", "XLSX"),
        ("https://example.org/a/b/file.json?download=1#top", "JSON"),
        ("archive.tar.gz", "TAR_GZ"),
        ("x.gz", "GZIP"),
        ("map.geojson", "GEOJSON"),
        ("roads.shp", "SHP"),
        ("x.ttl", "TURTLE"),
        ("table.tab", "TSV"),
        ("book.xlsm", "XLSX"),
        (r"C:\data\report.pdf", "PDF"),
    ],
)
def test_format_for_extension(raw, code):
    assert vocab.format_for_extension(raw).code == code


def test_format_by_code_takes_codes_not_labels():
    assert vocab.format_by_code("csv").code == "CSV"
    assert vocab.format_by_code("json-ld").code == "JSON_LD"
    assert vocab.format_by_code("RDF_TURTLE").code == "TURTLE"  # EU code
    assert vocab.format_by_code("PDFA1B").code == "PDF"  # EU code folded into ours
    assert vocab.format_by_code("EPUB").code == "EPUB"  # EU code outside the curated table
    assert vocab.format_by_code("Excel") is None  # a label: file_format's job
    assert vocab.file_format("Excel").code == "XLS"
    assert vocab.format_by_code("text/csv") is None
    assert vocab.format_by_code(None) is None and vocab.format_by_code("") is None


def test_format_for_extension_unknown():
    for raw in (None, "", "README", "file.unknownext", "https://example.org/download"):
        assert vocab.format_for_extension(raw) is None


# --------------------------------------------------------------------------- a distribution's declared media type

#: (what a source wrote as a resource's mimetype / mediaType, what the catalog reads it as, what the exports say):
#: as real CKAN dumps hold it (a format's name, parameters, capitals, "", words), and as DCAT sources give it
DECLARED = [
    ("text/csv", "text/csv", "text/csv"),
    ("text/csv; charset=utf-8", "text/csv; charset=utf-8", "text/csv"),
    ("TEXT/CSV", "text/csv", "text/csv"),
    ("CSV", "text/csv", "text/csv"),
    (" csv ", "text/csv", "text/csv"),
    (".csv", "text/csv", "text/csv"),
    ("XLS", "application/vnd.ms-excel", "application/vnd.ms-excel"),
    ("application/vnd.ms-excel", "application/vnd.ms-excel", "application/vnd.ms-excel"),
    ("application/vnd.example.table", "application/vnd.example.table", "application/vnd.example.table"),
    ("http://www.iana.org/assignments/media-types/text/csv", "text/csv", "text/csv"),
    ("https://www.iana.org/assignments/media-types/application/ld+json", "application/ld+json", "application/ld+json"),
    ("http://publications.europa.eu/resource/authority/file-type/CSV", "text/csv", "text/csv"),
    ("RDF/XML", "application/rdf+xml", "application/rdf+xml"),  # the format's label, not a type "rdf"
    ("binary/octet-stream", None, None),  # S3's default: "binary" is no IANA top-level type
    ("comma separated", None, None),
    ("CSV; charset=utf-8", None, None),
    ("image/*", None, None),  # a range of types, no one type
    ("text/*", None, None),  # not TXT's text/plain: "text" is a format's name, "text/*" none
    ("*/*", None, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
    (42, None, None),
]


#: media types as the IANA registry names them, and as they are declared with a parameter
IANA_NAMED = ["text/csv", "application/json", "application/ld+json", "application/vnd.ms-excel",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/svg+xml",
              "application/x-www-form-urlencoded", "text/csv; charset=utf-8", "text/csv;charset=utf-8",
              'text/plain; charset="utf-8"']


@pytest.mark.parametrize("media", IANA_NAMED)
def test_an_iana_media_type_iri_reads_back_as_its_media_type_percent_encoded_or_not(media):
    """An IANA media-type IRI and the media type it names, both ways: the IRI every export writes (the registry's
    address and the media type, dcat_triples.IANA_MEDIA) and one whose tail a source percent-encoded
    (.../application%2Fjson, .../text%2Fcsv%3B%20charset%3Dutf-8) read back as the media type, http or https,
    with or without www and a trailing slash; and what the IRI names is what the media type itself reads as."""
    for base in ("https://www.iana.org/assignments/media-types/", "http://iana.org/assignments/media-types/"):
        for tail in (media, quote(media, safe=""), quote(media, safe="/"), quote(media, safe="") + "/"):
            assert vocab.iana_media_type(base + tail) == media, base + tail
            assert vocab.media_type(base + tail) == vocab.media_type(media) == media, base + tail
            assert vocab.plain_media_type(base + tail) == vocab.plain_media_type(media), base + tail
            assert vocab.format_for_media_type(base + tail) is vocab.format_for_media_type(media), base + tail
            assert vocab.file_format(base + tail) is vocab.file_format(media), base + tail


@pytest.mark.parametrize("raw", [
    "https://www.iana.org/assignments/media-types/CSV",  # a format's name, not a media type
    "https://www.iana.org/assignments/media-types/comma%20separated",
    "https://www.iana.org/assignments/media-types/text%2F%2A",  # a wildcard, decoded
    "https://www.iana.org/assignments/media-types/text%252Fcsv",  # encoded twice: "text%2Fcsv" once decoded
    "https://www.iana.org/assignments/media-types/text/csv%00",
    "https://www.iana.org/assignments/media-types/text/csv%0A%3Bx=y",
    "https://www.iana.org/assignments/media-types/text/csv/extra",
    "https://www.iana.org/assignments/media-types/",
    "https://example.org/assignments/media-types/text/csv",  # not IANA's address
    "text/csv",  # a media type, but no IRI
    None,
    42,
])
def test_an_iana_iri_whose_tail_is_no_media_type_reads_as_none(raw):
    """What an IANA media-type IRI's tail, percent-decoded, does not write as a media type is none: no media type,
    no format (an IRI that is not IANA's media-type address is no such IRI at all)."""
    assert vocab.iana_media_type(raw) is None
    if isinstance(raw, str) and "://" in raw:
        assert vocab.media_type(raw) is None and vocab.format_for_media_type(raw) is None
        assert vocab.declared_media_type(raw) is None and vocab.file_format(raw) is None


@pytest.mark.parametrize("raw,declared,published", DECLARED)
def test_a_declared_media_type_is_a_media_type_or_none(raw, declared, published):
    """One reading for the CKAN write API (app/services/fields.media_type stores `declared_media_type`) and every
    export (dcat:mediaType, data.json's mediaType: `plain_media_type`, no parameters): a media type as written, a
    format's name as that format's media type, anything else none, never the raw value."""
    assert vocab.declared_media_type(raw) == declared
    assert vocab.plain_media_type(raw) == published
    if published is not None:  # what is published reads back as itself, and as the format the source meant
        assert vocab.declared_media_type(published) == published == vocab.plain_media_type(published)
        assert vocab.plain_media_type(declared) == published
        named = vocab.file_format(raw)
        if named is not None:
            assert vocab.format_for_media_type(published) is named


# --------------------------------------------------------------------------- frequencies


def test_fixture_frequencies():
    periods = {v for _, v in _json_values("datajson/*.json", {"accrualPeriodicity"})}
    expected = {
        "R/P1D": "DAILY",
        "R/P1M": "MONTHLY",
        "R/P1W": "WEEKLY",
        "R/P1Y": "ANNUAL",
        "R/P3M": "QUARTERLY",
        "R/P6M": "ANNUAL_2",
        "irregular": "IRREG",
    }
    assert periods == set(expected)
    for raw, code in expected.items():
        assert vocab.frequency(raw) == code
    uris = set(_rdf_objects(DCT + "accrualPeriodicity")) | set(_rdf_objects(DCT + "frequency"))
    for uri in uris:
        code = vocab.frequency(uri)
        assert code is not None, uri
        assert uri.endswith("/" + code) or (uri.endswith("/IRREGULAR") and code == "IRREG")
    assert "http://publications.europa.eu/resource/authority/frequency/IRREGULAR" in uris  # Bremen's spelling
    # data.gov.uk: the extra frequency-of-update "quarterly" and demo.ckan.org's UpdateFrequency "Monthly"
    assert _ckan_extras("frequency-of-update") == ["quarterly"]
    assert vocab.frequency("quarterly") == "QUARTERLY"
    assert _ckan_extras("UpdateFrequency") == ["Monthly"]
    assert vocab.frequency("Monthly") == "MONTHLY"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("http://publications.europa.eu/resource/authority/frequency/MONTHLY", "MONTHLY"),
        ("https://publications.europa.eu/resource/authority/frequency/annual_2", "ANNUAL_2"),
        ("DAILY", "DAILY"),
        ("biweekly", "BIWEEKLY"),
        ("UPDATE_CONT", "UPDATE_CONT"),
        ("OTHER", "OTHER"),
        ("http://purl.org/cld/freq/monthly", "MONTHLY"),
        ("http://purl.org/cld/freq/semiannual", "ANNUAL_2"),
        ("http://purl.org/cld/freq/continuous", "CONT"),
        ("http://purl.org/cld/freq/irregular", "IRREG"),
        ("R/P1Y", "ANNUAL"),
        ("R/PT1H", "HOURLY"),
        ("R/P3M", "QUARTERLY"),
        ("R/P2W", "BIWEEKLY"),
        ("R/P0.5M", "MONTHLY_2"),
        ("R/P3.5D", "WEEKLY_2"),
        ("R/PT1S", "UPDATE_CONT"),
        ("R/P10Y", "DECENNIAL"),
        ("r/p1m", "MONTHLY"),
        ("R/P12M", "ANNUAL"),
        ("R/P7D", "WEEKLY"),
        ("P1D", "DAILY"),
        ("daily", "DAILY"),
        ("Weekly", "WEEKLY"),
        ("monthly", "MONTHLY"),
        ("quarterly", "QUARTERLY"),
        ("annually", "ANNUAL"),
        ("yearly", "ANNUAL"),
        ("Annual", "ANNUAL"),
        ("irregular", "IRREG"),
        ("continual", "CONT"),
        ("never", "NEVER"),
        ("unknown", "UNKNOWN"),
        ("每日", "DAILY"),
        ("每周", "WEEKLY"),
        ("每月", "MONTHLY"),
        ("每季度", "QUARTERLY"),
        ("每年", "ANNUAL"),
        ("不定期", "IRREG"),
        ("实时", "UPDATE_CONT"),
    ],
)
def test_frequency(raw, code):
    assert vocab.frequency(raw) == code


def test_frequency_unknown_and_uris():
    for raw in (
        None,
        "",
        " ",
        "sometimes",
        "R/P17D",
        "http://purl.org/cld/freq/nope",
        "http://publications.europa.eu/resource/authority/frequency/NOPE",
    ):
        assert vocab.frequency(raw) is None
    assert vocab.frequency_uri("monthly") == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    assert vocab.frequency_uri("nope") is None
    assert vocab.frequency_iso8601("MONTHLY") == "R/P1M"
    assert vocab.frequency_iso8601("IRREG") == "irregular"
    assert vocab.frequency_iso8601("NEVER") is None


def test_frequencies_table():
    table = vocab.FREQUENCIES
    for code in (
        "DAILY WEEKLY BIWEEKLY MONTHLY BIMONTHLY QUARTERLY ANNUAL BIENNIAL TRIENNIAL ANNUAL_2 MONTHLY_2 "
        "WEEKLY_2 DAILY_2 CONT IRREG UNKNOWN NEVER UPDATE_CONT OTHER HOURLY"
    ).split():
        freq = table[code]
        assert freq.code == code
        assert freq.uri == "http://publications.europa.eu/resource/authority/frequency/" + code
        assert freq.label_en and freq.label_zh
        assert vocab.frequency(freq.uri) == code
        assert vocab.frequency(freq.label_en) == code
        assert vocab.frequency(freq.label_zh) == code
        if freq.iso8601:
            assert vocab.frequency(freq.iso8601) == code
        if freq.dc_uri:
            assert vocab.frequency(freq.dc_uri) == code
    assert table["DAILY"].days == 1.0 and table["WEEKLY"].days == 7.0
    assert 30 < table["MONTHLY"].days < 31 and 365 <= table["ANNUAL"].days <= 366
    assert 90 < table["QUARTERLY"].days < 92 and 182 < table["ANNUAL_2"].days < 184
    for code in ("IRREG", "UNKNOWN", "NEVER", "CONT", "UPDATE_CONT", "OTHER"):
        assert table[code].days is None
    table["DAILY"] = None  # a copy: the shared table is not changed
    assert vocab.FREQUENCIES["DAILY"] is not None


# --------------------------------------------------------------------------- themes

ZH = {
    "AGRI": "农业",
    "ECON": "经济和金融",
    "EDUC": "教育",
    "ENER": "能源",
    "ENVI": "环境",
    "GOVE": "政府和公共部门",
    "HEAL": "卫生",
    "INTR": "国际",
    "JUST": "司法",
    "OP_DATPRO": "暂定数据",
    "REGI": "区域和城市",
    "SOCI": "人口和社会",
    "TECH": "科学技术",
    "TRAN": "交通",
}


def test_themes_table():
    themes = vocab.THEMES
    assert set(themes) == set(ZH)
    for code, t in themes.items():
        assert t.uri == "http://publications.europa.eu/resource/authority/data-theme/" + code
        assert t.labels["zh"] == ZH[code]
        assert len(t.labels) >= 24  # the EU languages plus zh
        assert vocab.theme_uri(code) == t.uri
        for lang, label in t.labels.items():
            assert vocab.theme(label) == code, (lang, label)
    assert themes["TRAN"].labels["en"] == "Transport"
    assert themes["ECON"].labels["de"] == "Wirtschaft und Finanzen"


def test_fixture_themes():
    uris = set(_rdf_objects(DCAT + "theme"))
    assert len(uris) >= 9
    for uri in uris:
        assert vocab.theme(uri) == uri.rsplit("/", 1)[1]
    primary = {v for _, v in _json_values("ckan/**/*.json", {"theme-primary"})} | set(_ckan_extras("theme-primary"))
    assert primary == {"Environment"} and vocab.theme("Environment") == "ENVI"
    secondary = set(_ckan_extras("theme-secondary"))  # JSON-encoded lists inside the extra
    assert secondary == {'["Transport"]', "[]"}
    assert vocab.theme(json.loads('["Transport"]')[0]) == "TRAN"
    # datos.gob.es uses its own sector taxonomy, not the EU themes: not recognised, kept verbatim
    assert vocab.theme(_ttl_objects("http://www.w3.org/ns/dcat#theme")[0]) is None


@pytest.mark.parametrize(
    "raw,code",
    [
        ("https://publications.europa.eu/resource/authority/data-theme/tran", "TRAN"),
        ("educ", "EDUC"),
        ("  Economy and finance ", "ECON"),
        ("ÉNERGIE", "ENER"),
        ("Umwelt", "ENVI"),
        ("交通", "TRAN"),
        ("人口和社会", "SOCI"),
        ("Towns & cities", "REGI"),
        ("Crime & justice", "JUST"),
    ],
)
def test_theme(raw, code):
    assert vocab.theme(raw) == code


def test_theme_unknown():
    for raw in (None, "", "nothing like a theme", "http://publications.europa.eu/resource/authority/data-theme/XXX"):
        assert vocab.theme(raw) is None
    assert vocab.theme_uri("nope") is None


# --------------------------------------------------------------------------- access rights


def test_fixture_access_levels():
    levels = {v for _, v in _json_values("datajson/*.json", {"accessLevel"})}
    assert levels == {"public"}
    assert vocab.access_right("public") == "PUBLIC"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("public", "PUBLIC"),
        ("restricted public", "RESTRICTED"),
        ("non-public", "NON_PUBLIC"),
        ("NON_PUBLIC", "NON_PUBLIC"),
        ("Restricted", "RESTRICTED"),
        ("http://publications.europa.eu/resource/authority/access-right/PUBLIC", "PUBLIC"),
        ("https://publications.europa.eu/resource/authority/access-right/NON_PUBLIC", "NON_PUBLIC"),
        ("公开", "PUBLIC"),
        ("不公开", "NON_PUBLIC"),
    ],
)
def test_access_right(raw, code):
    assert vocab.access_right(raw) == code


def test_access_rights_table():
    table = vocab.ACCESS_RIGHTS
    assert set(table) == {"PUBLIC", "RESTRICTED", "NON_PUBLIC"}
    for code, ar in table.items():
        assert ar.uri == "http://publications.europa.eu/resource/authority/access-right/" + code
        assert vocab.access_right_uri(code) == ar.uri
        assert vocab.access_right(ar.datajson) == code
        assert vocab.access_right_datajson(code) == ar.datajson
    assert vocab.access_right(None) is None and vocab.access_right("secret-ish") is None
    assert vocab.access_right_uri("") is None


# --------------------------------------------------------------------------- generated data


def test_generated_files_match_their_sources():
    """The committed JSON is exactly what build.py makes from the upstream copies."""
    data_dir = Path(vocab.__file__).parent / "vocab_data"
    src = FIXTURES / "vocab"
    made = {
        "od_licences.json": build.build_licences(src / "licenses_all.csv"),
        "eu_data_themes.json": build.build_themes(src / "eu_data-theme-skos.rdf"),
        "eu_file_types.json": build.build_file_types(src / "eu_filetypes-skos.rdf"),
    }
    for name, data in made.items():
        assert json.loads((data_dir / name).read_text(encoding="utf-8")) == data, name
    assert len(made["od_licences.json"]) == 114
    assert [t["code"] for t in made["eu_data_themes.json"]] == sorted(ZH)
    tsv = next(r for r in made["eu_file_types.json"] if r["code"] == "TSV")
    assert tsv["extensions"] == ["tsv", "tab"]


def test_build_main_writes_files(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "HERE", tmp_path)
    assert build.main(["build", str(FIXTURES / "vocab")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "eu_data_themes.json",
        "eu_file_types.json",
        "od_licences.json",
    ]
