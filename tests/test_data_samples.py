"""The demo government in data_samples/: its files are what they claim to be, its sources
parse and point at them, and expected.json covers every dataset exactly once.

These are checks on fixtures the quality tests lean on, so each one reads the real bytes.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rdflib

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
FILES = SAMPLES / "files"
BASE = "http://127.0.0.1:5001/"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")


def load_json(rel: str):
    return json.loads((SAMPLES / rel).read_text("utf-8"))


@pytest.fixture(scope="module")
def expected() -> dict:
    return load_json("expected.json")


@pytest.fixture(scope="module")
def build_module():
    spec = importlib.util.spec_from_file_location("data_samples_build", SAMPLES / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- independent checkers

def gb11643_valid(number: str) -> bool:
    """PRC resident identity number: 17 digits, then the ISO 7064 MOD 11-2 check character."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(number[:17]))
    return number[17] == "10X98765432"[total % 11]


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def test_checkers_know_published_answers():
    # The worked example of GB 11643-1999 and the classic Luhn test number.
    assert gb11643_valid("11010519491231002X")
    assert not gb11643_valid("110105194912310021")
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


# --------------------------------------------------------------------------- sources

def ckan_packages() -> list[dict]:
    payload = load_json("sources/ckan/package_search.json")
    return payload["result"]["results"]


def dcat_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(SAMPLES / "sources/dcat/catalog.ttl", format="turtle")


def folder_source() -> dict:
    return next(s for s in load_json("sources.json") if (SAMPLES / s["url"]).is_dir())


def folder_sheet() -> list[dict[str, str]]:
    """The folder's metadata sheet, read with the csv module (not the harvester's reader)."""
    data = (SAMPLES / folder_source()["url"] / "元数据.csv").read_bytes()
    return list(csv.DictReader(io.StringIO(data.decode("gbk"))))


def folder_files() -> list[str]:
    folder = SAMPLES / folder_source()["url"]
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "元数据.csv")


def slugs_by_source() -> dict[str, list[str]]:
    graph = dcat_graph()
    return {
        "ckan": [p["name"] for p in ckan_packages()],
        "dcat": [str(graph.value(ds, DCT.identifier)) for ds in graph.subjects(rdflib.RDF.type, DCAT.Dataset)],
        "datajson": [d["identifier"] for d in load_json("sources/datajson/data.json")["dataset"]],
        "datapackage": [load_json("sources/datapackage/datapackage.json")["name"]],
        "folder": [rel.rsplit(".", 1)[0] for rel in folder_files()],  # the file name slugifies to itself
    }


def distribution_urls() -> dict[str, list[str]]:
    graph = dcat_graph()
    return {
        "ckan": [r["url"] for p in ckan_packages() for r in p["resources"]],
        "dcat": [str(u) for u in graph.objects(None, DCAT.downloadURL)],
        "datajson": [d["downloadURL"] for ds in load_json("sources/datajson/data.json")["dataset"]
                     for d in ds["distribution"]],
        "datapackage": [r["path"] for r in load_json("sources/datapackage/datapackage.json")["resources"]],
        "folder": [folder_source()["config"]["base_url"] + rel for rel in folder_files()],
    }


def test_sources_json_lists_one_source_of_each_type_with_known_publishers():
    sources = load_json("sources.json")
    publishers = {p["slug"] for p in load_json("publishers.json")}
    assert sorted(s["type"] for s in sources) == ["ckan", "datajson", "datapackage", "datapackage", "dcat"]
    for source in sources:
        assert (SAMPLES / source["url"]).is_file() != (source["name"] == "jh-stats-yearbook")
        assert source["publisher"] in publishers
    assert len({s["name"] for s in sources}) == len(sources)


def test_folder_source_is_served_where_its_base_url_says():
    from catalog_schema.store import slugify

    source = folder_source()
    assert source["name"] == "jh-stats-yearbook" and source["type"] == "datapackage"
    folder = (SAMPLES / source["url"]).resolve()
    # the demo serves files/ at BASE, so the folder's base URL is its path under files/
    assert source["config"]["base_url"] == BASE + folder.relative_to(FILES.resolve()).as_posix() + "/"
    defaults = source["config"]["defaults"]
    assert defaults["publisher"] == source["publisher"] == "jh-stats" and defaults["language"] == "zh"
    assert defaults["contact_point"]["name"] and "@" in defaults["contact_point"]["email"]
    assert len(folder_files()) == 3
    for rel in folder_files():
        assert slugify(rel.rsplit(".", 1)[0]) == rel.rsplit(".", 1)[0]


def test_folder_metadata_sheet_is_gbk_with_chinese_headers_and_a_row_per_file():
    from catalog_schema import vocab

    data = (SAMPLES / folder_source()["url"] / "元数据.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = folder_sheet()
    assert list(rows[0]) == ["文件", "标题", "描述", "许可协议", "关键词", "主题", "更新频率", "时间范围", "空间范围",
                             "更新日期"]
    assert sorted(r["文件"] for r in rows) == folder_files()
    for row in rows:
        assert row["标题"] and len(row["描述"]) > 30 and row["空间范围"] == "京海市"
        assert row["许可协议"] == "CC-BY-4.0" and vocab.licence(row["许可协议"]).is_open
        assert vocab.frequency(row["更新频率"]) == "ANNUAL"
        assert {vocab.theme(t) for t in row["主题"].split("、")} <= {"ECON", "SOCI"}
        assert len(row["关键词"].split("、")) >= 3
        assert re.fullmatch(r"\d{4}—\d{4}", row["时间范围"])


def test_folder_tables_one_in_gbk_and_their_sums_add_up():
    folder = SAMPLES / folder_source()["url"]
    encodings = {}
    for rel in folder_files():
        data = (folder / rel).read_bytes()
        try:
            data.decode("utf-8")
            encodings[rel] = "utf-8"
        except UnicodeDecodeError:
            data.decode("gbk")
            encodings[rel] = "gbk"
    assert sorted(encodings.values()) == ["gbk", "utf-8", "utf-8"]
    gdp = list(csv.reader(io.StringIO((folder / "gdp-by-industry-2016-2025.csv").read_text("utf-8"))))
    assert [int(r[0]) for r in gdp[1:]] == list(range(2016, 2026))
    for row in gdp[1:]:
        total, *industries = (float(v) for v in row[1:5])
        assert abs(total - sum(industries)) < 0.05, row


def test_publishers_have_bilingual_names_and_parents_listed_first():
    seen: set[str] = set()
    for pub in load_json("publishers.json"):
        assert pub["name"]["zh"] and pub["name"]["en"]
        assert pub["homepage"].startswith("https://") and "@" in pub["email"]
        assert pub["parent"] is None or pub["parent"] in seen
        seen.add(pub["slug"])
    assert {"jh-stats", "jh-transport", "jh-environment", "jh-gov-office"} <= seen


def test_ckan_dump_is_a_package_search_response():
    payload = load_json("sources/ckan/package_search.json")
    assert payload["success"] is True and payload["help"]
    result = payload["result"]
    assert result["count"] == len(result["results"]) > 0
    for package in result["results"]:
        assert package["organization"]["name"] == "jh-transport"
        assert package["license_id"] in {"cc-by", "cc-nc"}
        assert package["num_resources"] == len(package["resources"]) >= 1
        for res in package["resources"]:
            assert res["url"].startswith(BASE) and res["format"] and res["mimetype"]
        extras = {e["key"]: e["value"] for e in package["extras"]}
        assert extras["frequency"].startswith("http://publications.europa.eu/resource/authority/frequency/")


def test_dcat_catalog_parses_and_conforms_to_dcat_ap_3_shapes():
    import pyshacl

    graph = dcat_graph()
    assert len(list(graph.subjects(rdflib.RDF.type, DCAT.Catalog))) == 1
    datasets = list(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert len(datasets) == 6
    for ds in datasets:
        langs = {t.language for t in graph.objects(ds, DCT.title)}
        assert langs == {"zh", "en"}
        assert graph.value(ds, DCT.license) is not None
    shapes = rdflib.Graph().parse(
        Path(__file__).parent / "fixtures/real/shacl/dcat-ap_3_shacl_shapes.ttl", format="turtle")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, report


def test_two_dcat_datasets_are_high_value_datasets_and_conform_to_the_hvd_shapes():
    import pyshacl

    from catalog_schema import dcat, vocab

    graph = dcat_graph()
    dcatap = rdflib.Namespace("http://data.europa.eu/r5r/")
    tagged = sorted(str(graph.value(ds, DCT.identifier)) for ds in graph.subjects(dcatap.hvdCategory, None))
    assert tagged == ["air-quality-monitoring-stations", "surface-water-quality-sections"]
    shapes = rdflib.Graph().parse(Path(__file__).parent / "fixtures/shacl/dcat-ap-hvd_shapes.ttl", format="turtle")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, report
    parsed = dcat.parse_catalog((SAMPLES / "sources/dcat/catalog.ttl").read_bytes())
    records = {r["identifier"]: r for r in parsed.records}
    for slug in tagged:
        assert records[slug]["hvd_category"] == ["http://data.europa.eu/bna/c_dd313021"]
        assert records[slug]["applicable_legislation"] == [vocab.HVD_LEGISLATION]
        assert all(d["applicable_legislation"] == [vocab.HVD_LEGISLATION] for d in records[slug]["distributions"])


def test_datajson_has_the_required_project_open_data_fields():
    catalog = load_json("sources/datajson/data.json")
    assert catalog["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    required = {"title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
                "accessLevel"}
    for ds in catalog["dataset"]:
        assert required <= ds.keys(), ds["identifier"]
        assert ds["contactPoint"]["hasEmail"].startswith("mailto:")
    missing = [ds["identifier"] for ds in catalog["dataset"] if "license" not in ds]
    assert missing == ["working-day-calendar-2026"]
    no_frequency = [ds["identifier"] for ds in catalog["dataset"] if "accrualPeriodicity" not in ds]
    assert no_frequency == ["normative-documents"]


def test_datapackage_is_valid_and_its_table_schema_fits_the_csv():
    from frictionless import Package

    descriptor = load_json("sources/datapackage/datapackage.json")
    package = Package(descriptor)
    assert [r.name for r in package.resources] == [r["name"] for r in descriptor["resources"]]
    with_schema = [r for r in descriptor["resources"] if "schema" in r]
    assert len(with_schema) == 1
    res = with_schema[0]
    local = FILES / urlsplit(res["path"]).path.lstrip("/")
    rows = list(csv.reader(io.StringIO(local.read_text("utf-8"))))
    assert rows[0] == [f["name"] for f in res["schema"]["fields"]]
    assert all(len(row) == len(rows[0]) and all(row) for row in rows[1:])
    for r in descriptor["resources"]:
        data = (FILES / urlsplit(r["path"]).path.lstrip("/")).read_bytes()
        assert r["bytes"] == len(data)
        assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_every_distribution_url_is_a_served_file_except_the_missing_one(expected):
    missing = {d["file"] for e in expected.values() for d in e["distributions"] if "link-broken" in d["findings"]}
    assert missing == {"jh-transport/road-works-2025.csv"}
    seen = set()
    for source, urls in distribution_urls().items():
        for url in urls:
            assert url.startswith(BASE), (source, url)
            rel = url[len(BASE):]
            seen.add(rel)
            assert (FILES / rel).is_file() != (rel in missing), url
    assert missing <= seen
    expected_files = {d["file"] for e in expected.values() for d in e["distributions"]}
    assert seen == expected_files


def test_each_expected_dataset_is_in_exactly_one_source(expected, build_module):
    from catalog_schema.store import slugify

    by_source = slugs_by_source()
    everywhere = [slug for slugs in by_source.values() for slug in slugs]
    assert sorted(everywhere) == sorted(expected)
    assert len(set(everywhere)) == len(everywhere)
    assert len(expected) >= 20
    # DCAT and data.json datasets: the English title slugifies to the slug, as the catalog would derive it.
    graph = dcat_graph()
    for ds in graph.subjects(rdflib.RDF.type, DCAT.Dataset):
        en = next(t for t in graph.objects(ds, DCT.title) if t.language == "en")
        assert slugify(str(en)) == str(graph.value(ds, DCT.identifier))
        assert build_module.slugify(str(en)) == slugify(str(en))
    for ds in load_json("sources/datajson/data.json")["dataset"]:
        assert slugify(ds["title"]) == ds["identifier"]


def test_expectations_cover_every_star_level_and_finding(expected):
    stars = {d["stars"] for e in expected.values() for d in e["distributions"]}
    assert stars == {0, 1, 2, 3, 4, 5}
    findings = {f for e in expected.values() for f in e["findings"]}
    assert findings == {
        "link-broken", "licence-not-open", "licence-missing", "html-not-data",
        "not-machine-readable", "proprietary-format", "no-uris", "no-external-links", "encoding-not-utf8",
        "notes-rows", "blank-header", "duplicate-header", "blank-row", "duplicate-row", "missing-cells",
        "type-error", "pii-id-number", "pii-phone", "pii-email", "pii-bank-card", "stale", "frequency-missing",
        "duplicate-dataset", "fragmented-series"}
    for slug, e in expected.items():
        assert e["stars"] == max(d["stars"] for d in e["distributions"]), slug
        for d in e["distributions"]:
            assert set(d["findings"]) <= set(e["findings"]), slug


# --------------------------------------------------------------------------- the files themselves

def test_folder_stays_under_two_megabytes():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 2 * 1024 * 1024


def test_build_reproduces_every_committed_output(build_module, tmp_path):
    # In a process of its own: odfpy keeps module-level state (namespaces met in earlier documents)
    # that other tests' spreadsheets would change, and with it the bytes of the ODS file.
    code = ("import importlib.util, json, sys, pathlib; "
            "spec = importlib.util.spec_from_file_location('b', sys.argv[1]); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            "out = m.outputs(pathlib.Path(sys.argv[2])); m.write(out, pathlib.Path(sys.argv[3])); "
            "print(json.dumps(sorted(out)))")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "build.py"), str(FILES), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outputs = {rel: (tmp_path / rel).read_bytes() for rel in json.loads(done.stdout)}
    for rel, data in outputs.items():
        assert (SAMPLES / rel).read_bytes() == data, rel
    committed = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    real = {f"files/{dest}" for dest in build_module.REAL_FILES}
    assert committed == set(outputs) | real | {"build.py"}


def test_real_files_are_unchanged_copies():
    rows = re.findall(r"^\| files/(\S+) \| fixtures/real/messy/(\S+) \| .+ \| ([0-9a-f]{64}) \|$",
                      (SAMPLES / "SOURCES.md").read_text("utf-8"), re.MULTILINE)
    assert len(rows) == 3
    for dest, _, digest in rows:
        assert hashlib.sha256((FILES / dest).read_bytes()).hexdigest() == digest


def test_fabricated_personal_data_has_valid_check_digits():
    rows = list(csv.DictReader(io.StringIO((FILES / "jh-gov-office/hotline-complaints-2026.csv").read_text("utf-8"))))
    assert len(rows) == 20
    for row in rows:
        assert gb11643_valid(row["身份证号"]), row["身份证号"]
        assert re.fullmatch(r"1[3-9]\d{9}", row["联系电话"])
        assert re.fullmatch(r"[\w.]+@example\.(com|org|net)", row["电子邮箱"])
        card = row["退款银行卡号"]
        assert 16 <= len(card) <= 19 and luhn_valid(card), card


def test_no_other_file_carries_personal_data_patterns():
    id_like = re.compile(rb"(?<!\d)\d{17}[\dX](?!\d)")
    mobile = re.compile(rb"(?<!\d)1[3-9]\d{9}(?!\d)")
    for path in FILES.rglob("*"):
        if path.is_file() and path.name != "hotline-complaints-2026.csv" and path.suffix in {".csv", ".json",
                                                                                                ".geojson", ".xml"}:
            data = path.read_bytes()
            assert not id_like.search(data), path
            assert not mobile.search(data), path
            assert b"@" not in data, path


def test_gbk_files_decode_as_gbk_and_not_as_utf8():
    for name in ("nbs_gdp_20y_gbk.csv", "nbs_gdp_by_province_gbk.csv"):
        data = (FILES / "jh-stats" / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gbk")
        lines = text.splitlines()
        assert lines[0].startswith("数据库：") and lines[3].startswith("地区,")
        assert lines[-1] == "数据来源：国家统计局"


def test_html_page_where_a_csv_was_promised():
    data = (FILES / "jh-transport/parking-lots.csv").read_bytes()
    assert data.lstrip().lower().startswith(b"<!doctype html")
    assert b"404" in data


def test_quality_problem_table_has_each_problem():
    rows = list(csv.reader(io.StringIO((FILES / "jh-gov-office/service-statistics.csv").read_text("utf-8"))))
    header, body = rows[0], rows[1:]
    assert "" in header
    assert len([h for h in header if h]) > len({h for h in header if h})  # duplicate header
    assert any(all(c == "" for c in row) for row in body)  # blank row
    filled = [tuple(r) for r in body if any(r)]
    assert len(filled) > len(set(filled))  # duplicate row
    assert any(c == "" for r in body if any(r) for c in r)  # missing cells
    count_col = header.index("办件量")
    bad = [r[count_col] for r in body if any(r) and r[count_col] and not r[count_col].isdigit()]
    assert bad == ["约1200"]


def test_fragmented_series_share_one_table_shape():
    headers = [(FILES / f"jh-transport/bus-ridership-2024-{m}.csv").read_text("utf-8").splitlines()[0]
               for m in ("10", "11", "12")]
    assert len(set(headers)) == 1


def test_duplicate_datasets_share_title_publisher_and_bytes():
    packages = {p["name"]: p for p in ckan_packages()}
    a, b = packages["taxi-fares"], packages["taxi-fares-2026"]
    assert a["title"] == b["title"] and a["organization"]["name"] == b["organization"]["name"]
    files = [FILES / urlsplit(p["resources"][0]["url"]).path.lstrip("/") for p in (a, b)]
    assert files[0] != files[1] and files[0].read_bytes() == files[1].read_bytes()


def test_stale_dataset_is_monthly_and_last_modified_in_january_2025():
    extras = {e["key"]: e["value"] for e in {p["name"]: p for p in ckan_packages()}
              ["traffic-violations-monthly"]["extras"]}
    assert extras["frequency"].endswith("/MONTHLY")
    assert extras["modified"].startswith("2025-01")


def test_pdf_is_well_formed():
    data = (FILES / "jh-gov-office/general-public-budget-2024.pdf").read_bytes()
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\s+(\d+)\s+%%EOF", data).group(1))
    assert data[startxref:].startswith(b"xref")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data[startxref:])]
    for number, offset in enumerate(offsets, 1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())
    stream = re.search(rb"/Length (\d+) >>\nstream\n", data)
    assert data[stream.end() + int(stream.group(1)):].startswith(b"\nendstream")


def test_office_files_open_in_their_readers():
    import openpyxl
    import xlrd
    from odf.opendocument import load
    from odf.table import TableRow

    sheet = openpyxl.load_workbook(FILES / "jh-transport/taxi-fares.xlsx").active
    assert sheet.max_row == 6 and sheet.cell(1, 1).value == "车型"
    doc = load(str(FILES / "jh-environment/noise-monitoring.ods"))
    assert len(doc.spreadsheet.getElementsByType(TableRow)) == 11
    with zipfile.ZipFile(FILES / "jh-environment/noise-monitoring.ods") as ods:
        first = ods.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    book = xlrd.open_workbook(str(FILES / "jh-environment/sister-city-temperatures.xls"))
    assert book.sheet_by_index(0).row_values(0) == ["date", "temperature", "place"]


def test_json_and_geojson_files_have_the_promised_shape():
    stops = json.loads((FILES / "jh-transport/bus-stops.geojson").read_text("utf-8"))
    assert stops["type"] == "FeatureCollection" and len(stops["features"]) == 30
    assert all(f["geometry"]["type"] == "Point" for f in stops["features"])
    for name in ("jh-transport/bicycle-stations.json", "jh-gov-office/working-day-calendar-2026.json"):
        items = json.loads((FILES / name).read_text("utf-8"))
        assert isinstance(items, list) and items
        assert all(isinstance(i, dict) and i.keys() == items[0].keys() and all(v not in ("", None)
                                                                              for v in i.values()) for i in items)


def _objects_outside(path: Path, domain: str) -> set[str]:
    graph = rdflib.Graph().parse(path, format="turtle")
    subjects = {urlsplit(str(s)).hostname for s in graph.subjects() if isinstance(s, rdflib.URIRef)}
    assert subjects == {domain}
    return {str(o) for p, o in graph.predicate_objects() if isinstance(o, rdflib.URIRef) and p != rdflib.RDF.type
            and urlsplit(str(o)).hostname != domain}


def test_four_star_turtle_links_nowhere_else_and_five_star_turtle_does():
    domain = "data.jinghai.example"
    assert _objects_outside(FILES / "jh-environment/water-quality-sections.ttl", domain) == set()
    outside = _objects_outside(FILES / "jh-environment/air-quality-stations.ttl", domain)
    assert {urlsplit(u).hostname for u in outside} == {"sws.geonames.org", "dbpedia.org"}


def _frequencies_and_dates() -> dict[str, tuple[str | None, str]]:
    out = {}
    for p in ckan_packages():
        extras = {e["key"]: e["value"] for e in p["extras"]}
        out[p["name"]] = (extras["frequency"].rsplit("/", 1)[1], extras["modified"])
    graph = dcat_graph()
    for ds in graph.subjects(rdflib.RDF.type, DCAT.Dataset):
        freq = graph.value(ds, DCT.accrualPeriodicity)
        out[str(graph.value(ds, DCT.identifier))] = (str(freq).rsplit("/", 1)[1], str(graph.value(ds, DCT.modified)))
    iso = {"R/P1Y": "ANNUAL", "R/P1M": "MONTHLY", "irregular": "IRREG"}
    for ds in load_json("sources/datajson/data.json")["dataset"]:
        out[ds["identifier"]] = (iso[ds["accrualPeriodicity"]] if "accrualPeriodicity" in ds else None, ds["modified"])
    package = load_json("sources/datapackage/datapackage.json")
    out[package["name"]] = (package["x_frequency"], package["x_modified"])
    for row in folder_sheet():
        frequency = {"每年": "ANNUAL"}[row["更新频率"]]
        out[row["文件"].rsplit(".", 1)[0]] = (frequency, row["更新日期"].replace(".", "-"))
    return out


def test_only_the_stale_dataset_can_be_late_before_2027(expected):
    for slug, (frequency, modified) in _frequencies_and_dates().items():
        if "stale" in expected[slug]["findings"]:
            assert (frequency, modified[:7]) == ("MONTHLY", "2025-01")
        elif frequency == "ANNUAL":
            assert modified >= "2026-01-05", slug
        else:
            assert frequency in {"IRREG", None}, slug
            assert (frequency is None) == ("frequency-missing" in expected[slug]["findings"]), slug
