"""Every tabular sample distribution served as CSV, JSON, XML and Turtle (CSV on the Web), from its archived copy.

The demo government is harvested and assessed on the test database (SQLite and PostgreSQL); the
department files are served by a server of the test's own on a random port (the sample URLs name
port 5001, which parallel test processes would fight over), so the archive holds the real bytes.
The four formats are parsed back with independent readers (csv, json, defusedxml, rdflib) and
compared after type normalisation, and against the source files read directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
import xlrd
from defusedxml import ElementTree
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.assessment import assess_datasets
from app.demo import SAMPLES
from app.export import convert
from app.export.data import SERVABLE_FORMATS, served_stars
from app.jobs import Runtime
from catalog_schema.models import Dataset, Distribution
from tests.support.publishing import publish_uploads
from tests.support.samples import harvested_samples
from tests.support.wsgiserver import ServedApp

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
FILES = SAMPLES / "files"
XSD = "http://www.w3.org/2001/XMLSchema#"
PII_SAMPLE = "jh-gov-office/hotline-complaints-2026.csv"


# --------------------------------------------------------------------------- the demo catalog, archived


@pytest.fixture
def archived(snapshot, app):
    """{sample file path: (dataset slug, distribution id)} after harvest and assessment: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: _build(app))


def _build(app) -> dict:
    values = dict(app.config["OPENDATA"])
    values.update({"HTTP_TIMEOUT": 5.0, "HTTP_RETRIES": 2, "HTTP_BACKOFF": 0.01})  # retries at once (conftest)
    rt = Runtime(values)
    try:
        with harvested_samples(rt) as (files, summaries):
            assert all(s["status"] == "finished" and s["errored"] == 0 for s in summaries.values()), summaries
            base = files.url("/")
            by_file = {}
            with rt.sessionmaker() as session:
                for dist in session.scalars(select(Distribution)):
                    url = dist.download_url or dist.access_url or ""
                    if url.startswith(base):
                        by_file[url[len(base):]] = (dist.dataset.slug, dist.id)
                ids = list(session.scalars(select(Dataset.id)))
            assess_datasets(rt, ids, now=NOW)
        return by_file
    finally:
        rt.close()


def _dist(app, dist_id: str) -> Distribution:
    # closed once read: a session left open held its PostgreSQL connection "idle in transaction" until the
    # garbage collector came by, and the next test's clean-up ended it (logged as an error at collection)
    with app.extensions["opendata"]["sessionmaker"]() as session:
        dist = session.get(Distribution, dist_id)
        dist.dataset  # noqa: B018 - loaded while the session is open
    return dist


def _url(pair: tuple[str, str], ext: str) -> str:
    slug, dist_id = pair
    return f"/dataset/{slug}/resource/{dist_id}/data.{ext}"


# --------------------------------------------------------------------------- independent readers


def _norm(value, schema_type: str):
    """One value, whatever format carried it: numbers as Decimal, booleans as bool, the rest as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if schema_type in ("integer", "number"):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value  # a cell that is not a number stays text in every format
    if schema_type == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def read_json(client, url: str) -> tuple[dict, list[dict]]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    doc = json.loads(resp.get_data(as_text=True), parse_float=Decimal)
    types = {f["id"]: f["schema_type"] for f in doc["fields"]}
    return doc, [{k: _norm(v, types[k]) for k, v in rec.items()} for rec in doc["records"]]


def read_csv(client, url: str, types: dict[str, str]) -> tuple[list[str], list[dict]]:
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = resp.get_data().decode("utf-8")  # strict: the body must be valid UTF-8
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    return header, [{h: _norm(v, types[h]) for h, v in zip(header, r, strict=True)} for r in rows[1:]]


def read_xml(client, url: str) -> list[dict]:
    resp = client.get(url)
    assert resp.status_code == 200
    root = ElementTree.fromstring(resp.get_data())
    assert root.tag == "table"
    out = []
    for n, row in enumerate(root, 1):
        assert row.tag == "row" and row.get("n") == str(n)
        out.append({c.get("name"): _norm(c.text, c.get("type")) for c in row})
    return out


def read_turtle(client, url: str, base: str, names: dict[str, str]) -> tuple[rdflib.Graph, list[dict]]:
    """Rows from the graph: subject <base/row/n>, predicates mapped back to column names with the
    CSVW metadata's propertyUrl (``names``: propertyUrl -> column name)."""
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=resp.get_data(as_text=True), format="turtle")
    subjects = {str(s) for s in graph.subjects()}
    rows = []
    for n in range(1, len(subjects) + 1):
        subject = rdflib.URIRef(f"{base}/row/{n}")
        assert str(subject) in subjects, f"row {n} missing"
        row = dict.fromkeys(names.values())
        for p, o in graph.predicate_objects(subject):
            dtype = str(o.datatype or "")
            if dtype in (XSD + "integer", XSD + "decimal"):
                value = Decimal(str(o))
            elif dtype == XSD + "boolean":
                value = str(o) == "true"
            else:
                value = str(o)
            row[names[str(p)]] = value
        rows.append(row)
    return graph, rows


def four_formats(client, pair) -> dict:
    meta_resp = client.get(_url(pair, "csv-metadata.json"))
    assert meta_resp.status_code == 200 and meta_resp.mimetype == "application/csvm+json"
    meta = json.loads(meta_resp.get_data(as_text=True))
    doc, from_json = read_json(client, _url(pair, "json") + "?limit=all")
    types = {f["id"]: f["schema_type"] for f in doc["fields"]}
    header, from_csv = read_csv(client, _url(pair, "csv"), types)
    from_xml = read_xml(client, _url(pair, "xml"))
    base = meta["url"].rsplit("/", 1)[0]
    names = {}
    for col, field in zip(meta["tableSchema"]["columns"], doc["fields"], strict=True):
        names[col["propertyUrl"]] = field["id"]
    graph, from_ttl = read_turtle(client, _url(pair, "ttl"), base, names)
    return {"meta": meta, "json": doc, "header": header, "types": types, "graph": graph, "base": base,
            "rows": {"csv": from_csv, "json": from_json, "xml": from_xml, "ttl": from_ttl}}


def _gbk_table(path: Path) -> list[list[str]]:
    """The NBS table read by hand: GBK decoded, the header is the line starting 地区, the notes start at 注."""
    lines = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"), newline="")))
    start = next(i for i, r in enumerate(lines) if r and r[0] == "地区")
    end = next(i for i, r in enumerate(lines) if r and r[0].startswith("注"))
    return [r for r in lines[start:end] if any(c.strip() for c in r)]


# --------------------------------------------------------------------------- the samples


def test_every_tabular_sample_says_the_same_in_four_formats(app, client, archived):
    served = {}
    for file, pair in sorted(archived.items()):
        dist = _dist(app, pair[1])
        if (dist.detected_format or "") not in SERVABLE_FORMATS or not dist.archive_path:
            continue
        if file == PII_SAMPLE:  # personal data: withheld from the public in every format (tests/app/test_serving.py)
            for ext in ("csv", "json", "xml", "ttl", "csv-metadata.json"):
                assert client.get(_url(pair, ext)).status_code == 451, ext
            continue
        out = four_formats(client, pair)
        rows = out["rows"]
        n = len(rows["json"])
        assert n > 0 and out["json"]["total"] == n and out["json"]["limit"] is None, file
        assert {k: len(v) for k, v in rows.items()} == dict.fromkeys(rows, n), file
        assert rows["csv"] == rows["json"] == rows["xml"] == rows["ttl"], file
        assert out["header"] == [f["id"] for f in out["json"]["fields"]], file
        served[file] = out
    # every tabular sample that was downloaded: CSV (UTF-8 and GBK), XLS, XLSX, ODS, JSON arrays, GeoJSON, XML
    assert {Path(f).suffix for f in served} == {".csv", ".xls", ".xlsx", ".ods", ".json", ".geojson", ".xml"}
    assert len(served) == 21, sorted(served)

    # XML records: a record's attributes and leaf children; the attributes of the elements around them
    docs = served["jh-gov-office/normative-documents.xml"]
    assert docs["header"] == ["id", "number", "title", "issued", "status"] and docs["types"]["issued"] == "date"
    source = ElementTree.fromstring((FILES / "jh-gov-office/normative-documents.xml").read_bytes())
    assert [(r["id"], r["title"]) for r in docs["rows"]["json"]] == [(d.get("id"), d.findtext("title"))
                                                                     for d in source]
    air = served["jh-environment/air-quality-2025.xml"]
    assert air["header"][:4] == ["station.id", "station.name", "value", "aqi"]
    assert air["rows"]["json"][0]["station.name"] == "海城广场" and len(air["rows"]["json"]) == 60

    # the yearbook folder's GBK table (a plain header, no notes rows): UTF-8 Chinese, every row kept
    name = "jh-stats/yearbook/resident-population-2016-2025.csv"
    want = list(csv.reader(io.StringIO((FILES / name).read_bytes().decode("gbk"), newline="")))
    assert served[name]["header"] == want[0] and want[0][1] == "年末常住人口(万人)"
    csv_text = client.get(_url(archived[name], "csv")).get_data().decode("utf-8")
    assert list(csv.reader(io.StringIO(csv_text, newline=""))) == want

    # the GBK NBS table: UTF-8 Chinese, the notes rows above and below gone, every figure kept
    for name in ("jh-stats/nbs_gdp_20y_gbk.csv", "jh-stats/nbs_gdp_by_province_gbk.csv"):
        want = _gbk_table(FILES / name)
        out = served[name]
        assert out["header"] == want[0]
        csv_text = client.get(_url(archived[name], "csv")).get_data().decode("utf-8")
        assert list(csv.reader(io.StringIO(csv_text, newline=""))) == want
        assert "数据库" not in csv_text and "数据来源" not in csv_text and "注：" not in csv_text
        assert [r["地区"] for r in out["rows"]["json"]] == [r[0] for r in want[1:]]
        assert "北京市" in [r["地区"] for r in out["rows"]["ttl"]]
        assert all(out["types"][h] == "number" for h in want[0][1:])

    # the XLS (BIFF8) workbook: the values xlrd reads from the sheet, dates as ISO dates
    book = xlrd.open_workbook(str(FILES / "jh-environment/sister-city-temperatures.xls"))
    sheet = book.sheet_by_index(0)
    out = served["jh-environment/sister-city-temperatures.xls"]
    assert out["header"] == sheet.row_values(0)
    assert len(out["rows"]["csv"]) == sheet.nrows - 1
    for r in range(1, sheet.nrows):
        date, temperature, place = sheet.row_values(r)
        day = xlrd.xldate.xldate_as_datetime(date, book.datemode).date().isoformat()
        assert out["rows"]["json"][r - 1] == {"date": day, "temperature": Decimal(int(temperature)), "place": place}
    assert out["types"] == {"date": "date", "temperature": "integer", "place": "string"}
    assert {str(o.datatype) for o in out["graph"].objects() if isinstance(o, rdflib.Literal) and o.datatype} == {
        XSD + "date", XSD + "integer"}

    # a JSON array of objects: the same records as the source file
    source = json.loads((FILES / "jh-transport/bicycle-stations.json").read_text("utf-8"), parse_float=Decimal)
    got = served["jh-transport/bicycle-stations.json"]["rows"]["json"]
    assert got == [{k: _norm(v, "") for k, v in rec.items()} for rec in source]

    # a cell that is not its column's type stays the text it was, in every format, and the column is text in every
    # one of them (data.json said "integer" of it; the CSVW metadata and the row API say string)
    stats = served["jh-gov-office/service-statistics.csv"]
    assert stats["types"]["办件量"] == "string" and stats["types"]["办件量2"] == "integer"
    assert "约1200" in [r["办件量"] for r in stats["rows"]["xml"]]
    assert stats["header"][0] == "field1" and "办件量2" in stats["header"]


def test_paging_rdf_csvw_stars_and_refusals(app, client, archived):
    pair = archived["jh-stats/nbs_gdp_by_province_gbk.csv"]
    doc, everything = read_json(client, _url(pair, "json") + "?limit=all")
    total = doc["total"]
    assert total == len(_gbk_table(FILES / "jh-stats/nbs_gdp_by_province_gbk.csv")) - 1

    # JSON: every row unless a page is asked for (then paged CKAN DataStore style)
    first, rows = read_json(client, _url(pair, "json"))
    assert first["limit"] is None and first["offset"] == 0 and first["total"] == total and rows == everything
    assert first["_links"]["next"] is None
    page, rows = read_json(client, _url(pair, "json") + "?limit=5&offset=3")
    assert rows == everything[3:8] and page["total"] == total
    assert page["_links"]["next"] == _url(pair, "json") + "?limit=5&offset=8"
    assert page["_links"]["start"] == _url(pair, "json") + "?limit=5&offset=0"
    last, rows = read_json(client, _url(pair, "json") + f"?limit=5&offset={total - 2}")
    assert rows == everything[-2:] and last["_links"]["next"] is None
    beyond, rows = read_json(client, _url(pair, "json") + f"?offset={total + 10}")
    assert rows == [] and beyond["total"] == total
    counted, rows = read_json(client, _url(pair, "json") + "?limit=0")
    assert rows == [] and counted["total"] == total
    assert counted["_links"]["next"] is None  # it named this very page: a client following it never ended
    for bad in ("limit=10001", "limit=-1", "limit=ten", "offset=-3", "offset=x"):
        resp = client.get(_url(pair, "json") + "?" + bad)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad-request", bad

    # Turtle: one resource per row at a stable URI, one property per column, typed literals
    out = four_formats(client, pair)
    meta, graph, base = out["meta"], out["graph"], out["base"]
    assert base == f"http://127.0.0.1:5000/dataset/{pair[0]}/resource/{pair[1]}"
    assert meta["url"] == base + "/data.csv"
    assert {str(s) for s in graph.subjects()} == {f"{base}/row/{n}" for n in range(1, total + 1)}
    columns = meta["tableSchema"]["columns"]
    assert {str(p) for p in graph.predicates()} == {c["propertyUrl"] for c in columns}
    assert meta["tableSchema"]["aboutUrl"].replace("{_row}", "7") == f"{base}/row/7"
    # CSVW metadata names every column of the CSV, with datatypes the Turtle literals carry
    assert [c["titles"] for c in columns] == out["header"]
    assert [c["datatype"] for c in columns] == ["string"] + ["decimal"] * (len(columns) - 1)
    assert all(c["name"].replace("%", "").replace("_", "").isalnum() and c["name"].isascii() for c in columns)
    by_prop = {c["propertyUrl"]: c["datatype"] for c in columns}
    for _s, p, o in graph:
        assert str(o.datatype or XSD + "string") == XSD + by_prop[str(p)]
    assert client.get(_url(pair, "csv")).headers["Link"] == (
        f'<{base}/data.csv-metadata.json>; rel="describedby"; type="application/csvm+json"')
    # a repeated request can be answered from the cache
    resp = client.get(_url(pair, "ttl"))
    assert client.get(_url(pair, "ttl"), headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304

    # stars as served here beside stars as published
    xls = _dist(app, archived["jh-environment/sister-city-temperatures.xls"][1])
    with app.app_context():
        stars = served_stars(xls)
    assert stars["published"] == 2
    assert stars["served"] == {"csv": 3, "json": 3, "xml": 3, "ttl": 4}
    assert stars["urls"]["ttl"].endswith(_url(archived["jh-environment/sister-city-temperatures.xls"], "ttl"))
    assert stars["urls"]["csv-metadata"].endswith("/data.csv-metadata.json")
    closed = _dist(app, archived["jh-environment/key-pollutant-units.csv"][1])
    with app.app_context():
        assert served_stars(closed)["served"] == {"csv": 0, "json": 0, "xml": 0, "ttl": 0}  # CC-BY-NC stays closed
    pdf = _dist(app, archived["jh-gov-office/general-public-budget-2024.pdf"][1])
    with app.app_context():
        assert served_stars(pdf) == {"published": 1, "served": {}, "urls": {}}

    # refusals: JSON 404s that say why
    for file, code in (("jh-gov-office/general-public-budget-2024.pdf", "not-tabular"),
                       ("jh-transport/parking-lots.csv", "not-tabular"),  # an HTML soft 404 was archived
                       ("jh-transport/road-works-2025.csv", "not-archived")):  # the download failed
        for ext in ("csv", "json", "xml", "ttl", "csv-metadata.json"):
            resp = client.get(_url(archived[file], ext))
            assert resp.status_code == 404 and resp.mimetype == "application/json", (file, ext)
            assert resp.get_json()["error"]["code"] == code, (file, ext)
    assert "PDF" in client.get(_url(archived["jh-gov-office/general-public-budget-2024.pdf"], "csv")) \
        .get_json()["error"]["message"]
    other_dataset = archived["jh-transport/bicycle-stations.json"][0]
    for url in (_url(("no-such-dataset", pair[1]), "csv"), _url((pair[0], "no-such-id"), "json"),
                _url((other_dataset, pair[1]), "xml"),  # a real id under another dataset's slug
                f"/dataset/{pair[0]}/resource/{pair[1]}/data.exe"):
        resp = client.get(url)
        assert resp.status_code == 404, url
    assert client.get(_url(("no-such-dataset", pair[1]), "csv")).get_json()["error"]["code"] == "not-found"


def test_unknown_ids_are_404_json_on_an_empty_catalog(client):
    for ext in ("csv", "json", "xml", "ttl", "csv-metadata.json"):
        resp = client.get(f"/dataset/nothing/resource/0000/data.{ext}")
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not-found"


# --------------------------------------------------------------------------- conversion on its own


HOSTILE = [
    ["name", "code", "amount", "note", "when"],
    ["<script>alert(1)</script>", "0571", "12", 'say "hi" \\ & <b>', "2024-1-5"],
    ["ctl\x01\x0bchar", "0010", "+7", "line\nbreak", "2024-02-29"],
] + [[f"row {i}", f"{i:04d}", str(i * 10), "", f"2024-03-{i % 28 + 1:02d}"] for i in range(1, 120)] + [
    ["A&B", "1200", "约1200", "tab\there", ""],  # beyond the rows types are inferred from
]
LAST = len(HOSTILE) - 1


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _body(chunks) -> bytes:
    return b"".join(chunks)


def test_hostile_cells_are_escaped_and_codes_keep_their_zeros(tmp_path):
    path = _write_csv(tmp_path / "hostile.csv", HOSTILE)
    types = [c.type for c in convert.open_table(path, format="CSV").columns]
    assert types == ["string", "string", "integer", "string", "date"]  # 0571 is a code, not 571

    xml = _body(convert.to_xml(convert.open_table(path, format="CSV")))
    rows = [{c.get("name"): (c.text, c.get("type")) for c in row} for row in ElementTree.fromstring(xml)]
    assert rows[0]["name"] == ("<script>alert(1)</script>", "string")
    assert b"<script>" not in xml
    assert rows[1]["name"] == ("ctlchar", "string")  # characters XML 1.0 cannot carry are removed
    assert rows[0]["when"] == ("2024-01-05", "date") and rows[1]["amount"] == ("7", "integer")
    assert rows[-1]["amount"] == ("约1200", "string") and rows[-1]["when"] == (None, "date")
    assert rows[-1]["name"] == ("A&B", "string") and len(rows) == LAST
    assert rows[0]["code"] == ("0571", "string") and rows[1]["code"] == ("0010", "string")

    base = "http://example.org/dataset/x/resource/1"
    graph = rdflib.Graph().parse(data=_body(convert.to_turtle(convert.open_table(path, format="CSV"), base=base)),
                                 format="turtle")
    note = rdflib.URIRef(base + "/column/note")
    assert str(graph.value(rdflib.URIRef(base + "/row/1"), note)) == 'say "hi" \\ & <b>'
    assert str(graph.value(rdflib.URIRef(base + "/row/2"), note)) == "line\nbreak"
    assert str(graph.value(rdflib.URIRef(base + "/row/2"), rdflib.URIRef(base + "/column/name"))) == "ctl\x01\x0bchar"
    assert graph.value(rdflib.URIRef(f"{base}/row/{LAST}"), rdflib.URIRef(base + "/column/when")) is None
    assert len(set(graph.subjects())) == LAST
    amount = graph.value(rdflib.URIRef(base + "/row/1"), rdflib.URIRef(base + "/column/amount"))
    assert amount.datatype == rdflib.XSD.integer and amount.toPython() == 12

    doc = json.loads(_body(convert.to_json(convert.open_table(path, format="CSV"), limit=None)))
    assert [r["amount"] for r in doc["records"][:3]] + [doc["records"][-1]["amount"]] == [12, 7, 10, "约1200"]
    assert doc["records"][1]["name"] == "ctl\x01\x0bchar" and doc["records"][-1]["when"] is None
    assert doc["total"] == len(doc["records"]) == LAST

    back = list(csv.reader(io.StringIO(_body(convert.to_csv(convert.open_table(path, format="CSV"))).decode(),
                                       newline="")))
    assert back[1] == ["<script>alert(1)</script>", "0571", "12", 'say "hi" \\ & <b>', "2024-01-05"]
    assert back[2][0] == "ctl\x01\x0bchar" and back[2][3] == "line\nbreak"


def test_a_files_column_types_are_inferred_once_until_it_changes(tmp_path, monkeypatch):
    """Inferring the columns' types from the first rows was about 40% of a converted download: the types of a
    file opened before (same path, inode, size and modification time, read the same way) are kept; a file
    rewritten, or read with another schema, is inferred again."""
    inferred = []
    infer = convert.infer_column_types
    monkeypatch.setattr(convert, "infer_column_types", lambda cols: inferred.extend([1] * len(cols)) or infer(cols))
    path = _write_csv(tmp_path / "kept.csv", HOSTILE)
    first = convert.open_table(path, format="CSV").columns
    assert len(inferred) == len(first) == 5
    again = convert.open_table(path, format="CSV")
    assert again.columns == first and len(inferred) == 5
    assert [r for b in again.normalised() for r in b]  # the rows are still read
    again.columns[0].fdesc["format"] = "changed"  # a caller's copy: the kept columns do not change
    assert convert.open_table(path, format="CSV").columns[0].fdesc == {}
    declared = {"fields": [{"name": "amount", "type": "string"}]}
    assert [c.type for c in convert.open_table(path, format="CSV", schema=declared).columns][2] == "string"
    assert len(inferred) == 9  # another schema: the other four inferred again
    _write_csv(path, [["a", "b"], ["1", "x"], ["2", "y"]])
    assert [c.type for c in convert.open_table(path, format="CSV").columns] == ["integer", "string"]
    assert len(inferred) == 11


def test_column_slugs_are_unique_uri_segments_and_csvw_names(tmp_path):
    path = _write_csv(tmp_path / "names.csv", [["地区", "GDP (亿元)", "gdp-亿元", "", "_x"], ["a", "1", "2", "3", "4"]])
    columns = convert.open_table(path, format="CSV").columns
    slugs = [c.slug for c in columns]
    assert len(set(slugs)) == len(slugs)
    assert convert.column_slug("GDP (亿元)") == "gdp-亿元"  # readable: lower-cased, other characters to -
    assert slugs == ["%E5%9C%B0%E5%8C%BA", "gdp-%E4%BA%BF%E5%85%83", "gdp-%E4%BA%BF%E5%85%83-2", "field4", "_x"]
    assert columns[4].csvw_name == "c_x" and columns[1].csvw_name == "gdp%2D%E4%BA%BF%E5%85%83"
    assert all(c.csvw_name.isascii() and not c.csvw_name.startswith("_") for c in columns)
    assert len({c.csvw_name for c in columns}) == len(columns)


def _big_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "district", "value", "day", "flag"])
        for i in range(rows):
            writer.writerow([i, f"区{i % 97}", f"{i * 1.25:.2f}", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                             "true" if i % 3 else "false"])
    return path


def _stream(path: Path, write) -> tuple[int, int, int]:
    """(bytes out, chunks, peak bytes allocated by Python while converting)."""
    table = convert.open_table(path, format="CSV", batch_rows=1_000)
    tracemalloc.start()
    total = chunks = 0
    for chunk in write(table):
        total += len(chunk)
        chunks += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return total, chunks, peak


def test_conversion_streams_in_bounded_memory(tmp_path):
    """Five times the rows: five times the output, not more memory (the table is never held whole)."""
    small, big = _big_csv(tmp_path / "small.csv", 4_000), _big_csv(tmp_path / "big.csv", 20_000)
    for name, write in (("csv", convert.to_csv), ("xml", convert.to_xml),
                        ("json", lambda t: convert.to_json(t, limit=None)),
                        ("ttl", lambda t: convert.to_turtle(t, base="http://example.org/r/1"))):
        small_out, _, small_peak = _stream(small, write)
        big_out, chunks, big_peak = _stream(big, write)
        assert big_out > 4.9 * small_out and chunks >= 5, name
        assert big_peak < 1.3 * small_peak + 256 * 1024, (name, small_peak, big_peak)
        assert big_peak < 16 * 1024 * 1024, (name, big_peak)


def test_every_served_table_and_its_csvw_metadata_pass_the_csvw_validator(app, archived):
    """The csvw package (a CSV on the Web implementation) reads each table through its metadata over HTTP,
    checking every cell against the declared datatypes: GBK, XLS, ODS and JSON tables included."""
    from csvw import CSVW

    served = ServedApp(app)
    app.config["OPENDATA"]["SITE_URL"] = served.url  # the metadata's table URL is absolute
    checked = []
    try:
        for file, pair in sorted(archived.items()):
            dist = _dist(app, pair[1])
            if (dist.detected_format or "") not in SERVABLE_FORMATS or not dist.archive_path or file == PII_SAMPLE:
                continue
            table = CSVW(served.url + _url(pair, "csv"), md_url=served.url + _url(pair, "csv-metadata.json"),
                         validate=True)
            assert table.is_valid, (file, [str(w.message) for w in table.warnings])
            rows = list(table.tablegroup.tables[0].iterdicts(strict=True))
            assert rows, file
            checked.append(file)
    finally:
        served.close()
    assert len(checked) == 21, checked  # every tabular sample but the one withheld for personal data


def test_downloads_people_can_open(client, archived):
    """A CSV Excel reads (UTF-8 with a BOM on asking), a file name that says what it is (Chinese kept, RFC 6266
    with an ASCII stand-in), saved rather than shown from the download buttons, and the whole table in JSON."""
    import urllib.parse

    pair = archived["jh-stats/nbs_gdp_by_province_gbk.csv"]
    plain = client.get(_url(pair, "csv"))
    assert plain.status_code == 200 and not plain.data.startswith(b"\xef\xbb\xbf")
    for flag in ("bom=1", "bom=true"):
        excel = client.get(_url(pair, "csv") + "?" + flag)
        assert excel.data == b"\xef\xbb\xbf" + plain.data, flag
        assert excel.headers["ETag"] != plain.headers["ETag"]  # a cache keeps the two apart
    assert client.get(_url(pair, "csv") + "?bom=0").data == plain.data

    disposition = plain.headers["Content-Disposition"]
    assert disposition.startswith("inline; ")
    kind, ascii_part, utf8_part = [p.strip() for p in disposition.split(";")]
    slug = pair[0]
    assert ascii_part == f'filename="{slug}.csv"' or ascii_part.startswith(f'filename="{slug}_')
    assert ascii_part.isascii() and "/" not in ascii_part
    name = urllib.parse.unquote(utf8_part.removeprefix("filename*=UTF-8''"))
    assert name.startswith(f"{slug}_") and name.endswith(".csv") and any("\u4e00" <= ch <= "\u9fff" for ch in name)
    saved = client.get(_url(pair, "xml") + "?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment; ") and name[:-4] + ".xml" in \
        urllib.parse.unquote(saved.headers["Content-Disposition"])

    doc, rows = read_json(client, _url(pair, "json"))
    assert doc["limit"] is None and len(rows) == doc["total"] > 0


def test_download_names_are_safe_and_readable():
    from app.export import filenames

    name = filenames.download_name("gdp", filenames.resource_name("分省 GDP (亿元)", None, "d1"), "csv")
    assert name == "gdp_分省_GDP_(亿元).csv"
    assert filenames.content_disposition(name, attachment=True, fallback="gdp.csv") == (
        "attachment; filename=\"gdp_GDP.csv\"; "
        "filename*=UTF-8''gdp_%E5%88%86%E7%9C%81_GDP_%28%E4%BA%BF%E5%85%83%29.csv")
    hostile = filenames.resource_name('../../etc/passwd\r\nSet-Cookie: x="1"', None, "d1")
    assert not set('/\\\r\n"') & set(hostile)
    assert filenames.resource_name(None, "http://x/files/road%20works.csv?x=1", "d1") == "road_works"
    assert filenames.resource_name(None, None, "d1") == "d1"
    assert filenames.download_name("road-works", "road-works", "csv") == "road-works.csv"
    # a resource titled by its file name: no doubled extension (gdp_gdp.csv.csv)
    assert filenames.download_name("gdp", "gdp.csv", "csv") == "gdp.csv"
    assert filenames.download_name("gdp", "table.xlsx", "csv") == "gdp_table.csv"
    chinese_only = filenames.content_disposition("数据.csv", attachment=False, fallback="ds")
    assert chinese_only.startswith('inline; filename="ds.csv"; filename*=')


# --------------------------------------------------------------------------- GeoJSON, a table in a ZIP, XML records

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rows [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rows><row><a>&d;</a></row><row><a>&d;</a></row></rows>"""


def _published(app, files: dict[str, bytes], added: dict[str, bytes] | None = None) -> dict[str, tuple[str, str]]:
    """The files uploaded to one published dataset of an agency's: {name: (slug, distribution id)}."""
    return {name: ("tables", dist_id) for name, dist_id in
            publish_uploads(app, "editor@tables.example", "agency-tables", "tables", "Tables", files, added).items()}


def test_geojson_zipped_csv_and_xml_records_are_converted_like_any_table(app, client):
    """Real files: the City of Vienna's Citybike stations (GeoJSON from its WFS), the NBS GBK table inside a ZIP,
    a GPX track (record-oriented XML: attributes and leaf children); all four formats say the same, each the
    rows an independent reading of the source gives. An XML entity bomb is refused, not expanded."""
    import zipfile

    geojson = (REAL / "tables" / "wien_citybike_stations.geojson").read_bytes()
    gpx = (REAL / "tables" / "biketirol_etappe03.gpx").read_bytes()
    gbk = (REAL / "messy" / "nbs_gdp_by_province_gbk.csv").read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", "分省年度数据")
        zf.writestr("data/分省年度数据.csv", gbk)
    pairs = _published(app, {"citybike.geojson": geojson, "gdp.zip": buf.getvalue(), "etappe03.gpx": gpx,
                             "bomb.xml": BOMB})

    out = {name: four_formats(client, pairs[name]) for name in ("citybike.geojson", "gdp.zip", "etappe03.gpx")}
    for name, got in out.items():
        rows = got["rows"]
        assert rows["csv"] == rows["json"] == rows["xml"] == rows["ttl"], name

    features = json.loads(geojson)["features"]
    stations = out["citybike.geojson"]
    assert stations["header"] == ["STATION", "BEZIRK", "SE_SDO_ROWID", "SE_ANNO_CAD_DATA", "geometry"]
    assert [(r["STATION"], r["BEZIRK"]) for r in stations["rows"]["json"]] == [
        (f["properties"]["STATION"], Decimal(f["properties"]["BEZIRK"])) for f in features]
    assert all(r["SE_ANNO_CAD_DATA"] is None for r in stations["rows"]["csv"])  # null properties: missing values
    assert json.loads(stations["rows"]["json"][0]["geometry"]) == features[0]["geometry"]

    want = _gbk_table(REAL / "messy" / "nbs_gdp_by_province_gbk.csv")
    csv_text = client.get(_url(pairs["gdp.zip"], "csv")).get_data().decode("utf-8")
    assert list(csv.reader(io.StringIO(csv_text, newline=""))) == want

    points = [pt for pt in ElementTree.fromstring(gpx).iter("{http://www.topografix.com/GPX/1/1}trkpt")]
    track = out["etappe03.gpx"]
    assert track["header"] == ["lat", "lon", "ele"] and track["types"] == dict.fromkeys(("lat", "lon", "ele"), "number")
    assert [(r["lat"], r["lon"], r["ele"]) for r in track["rows"]["json"]] == [
        (Decimal(p.get("lat")), Decimal(p.get("lon")), Decimal(p[0].text)) for p in points]

    for ext in ("csv", "json", "xml", "ttl"):
        resp = client.get(_url(pairs["bomb.xml"], ext))
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not-tabular", ext
        assert "entities" in resp.get_json()["error"]["message"], ext
    resp = client.get("/api/3/action/datastore_info", query_string={"id": pairs["bomb.xml"][1]})
    assert resp.status_code == 404 and resp.get_json()["error"]["datastore_error"]["reason"] == "unreadable"

    # the row store reads the same rows (one reader per kind)
    for name, got in out.items():
        resp = client.get("/api/3/action/datastore_search", query_string={"resource_id": pairs[name][1],
                                                                          "limit": 32000})
        result = resp.get_json()["result"]
        assert result["total"] == len(got["rows"]["csv"]), name
        assert [f["id"] for f in result["fields"][1:]] == got["header"], name


def test_personal_data_in_a_geojson_is_withheld_or_masked_in_every_conversion(app, client):
    """The profile does not read GeoJSON: the row store's scan of its properties decides for the conversions, as
    for datastore_search (withheld by default, masked under PII_POLICY=redact)."""
    features = [{"type": "Feature", "properties": {"站点": f"S{n}", "联系电话": f"1381234567{n}"},
                 "geometry": {"type": "Point", "coordinates": [119.1, 34.2]}} for n in range(5)]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")
    # its phone numbers block publishing (the whole-file scan reads the properties' text): added once published
    pair = _published(app, {"stops.csv": "站点,线路\n临江路站,3\n".encode()},
                      added={"stations.geojson": body})["stations.geojson"]
    for ext in ("csv", "json", "xml", "ttl", "csv-metadata.json"):
        resp = client.get(_url(pair, ext))
        assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold", ext
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    resp = client.get(_url(pair, "csv"))
    assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "redact"
    text = resp.get_data(as_text=True)
    assert "13812345670" not in text and convert.MASK in text and "S0" in text
    assert "13812345670" not in client.get(_url(pair, "json")).get_data(as_text=True)


_CELLS = ["", " ", "  7", "0571", "12", "-3", "+4", "1.5", "1e3", ".5", "nan", "inf", "2024-01-05", "2024-1-5",
          "2023-02-30", "2024-02-29", "2024-13-01", "2024-03", "2024-3", "12:30:00", "25:00:00",
          "2024-01-05T10:00:00Z", "2024-01-05T10:00:00", "true", "FALSE", "1", "0", "yes", "abc", "1_000", "北京",
          "1,5", "\u3000", None]


# 100 generated tables and, written out, one column of every cell kind and the leading-zero cases (300 generated
# took 2.8 s alone, 12.7 s in a worker of `make test`; 100 take about 1 s).
@settings(max_examples=100, deadline=None)
@example([_CELLS, _CELLS[::-1]])
@example([["0571", "12"], ["0571", "abc"], ["0", "1"], ["00", None], ["1.5", "0.5"], ["2024-01-05", "2024-1-5"]])
@example([[None, None], ["", " "], ["true", "FALSE"], ["yes", "0"], ["12:30:00", "25:00:00"], ["2024-03", "2024-3"]])
@example([["1e3", "nan"], ["inf", "-3"], ["+4", ".5"], ["1_000", "1,5"], ["北京", "\u3000"],
          ["2023-02-30", "2024-02-29"]])
@given(st.integers(1, 30).flatmap(lambda rows: st.lists(st.lists(st.sampled_from(_CELLS), min_size=rows,
                                                                  max_size=rows), min_size=1, max_size=6)))
def test_columns_inferred_together_get_the_types_each_gets_alone(columns):
    """table_columns infers every column's type with one validity pass per candidate over all the columns: each
    gets the type frictionless's inference gives it alone (the leading-zero rule included)."""
    import numpy as np
    import pyarrow as pa

    from quality import tabular

    def alone(values: list) -> str:
        col = pa.array(values, pa.string())
        missing = np.array([v is None or v.strip() == "" for v in values], dtype=bool)
        ftype = tabular.infer_type(col, missing)
        if ftype in ("integer", "number", "year") and any(v and convert._LEADING_ZERO.match(v) for v in values):
            return "string"
        return ftype if ftype in convert.XSD_TYPES else "string"

    arrays = [pa.array(values, pa.string()) for values in columns]
    assert convert.infer_column_types(arrays) == [alone(values) for values in columns]
    batch = pa.RecordBatch.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    assert [c.type for c in convert.table_columns(batch)] == [alone(values) for values in columns]


def test_a_conversions_refusals_carry_cors_as_its_rows_do(app, archived):
    """data.csv and its kin carried `Access-Control-Allow-Origin: *` on the rows only: a web app on another site that
    asked for a withheld table (451, with whom to contact) or a bad `limit` (400) saw a CORS failure, not why."""
    import requests

    served = ServedApp(app)
    try:
        pii = archived[PII_SAMPLE]
        for ext in ("csv", "json", "xml", "ttl", "csv-metadata.json"):
            resp = requests.get(served.url + _url(pii, ext), headers={"Origin": "https://app.example"}, timeout=30)
            assert resp.status_code == 451 and resp.headers.get("Access-Control-Allow-Origin") == "*", ext
            assert resp.json()["error"]["code"] == "personal-data", ext
        table = archived["jh-transport/taxi-fares.xlsx"]
        bad = requests.get(served.url + _url(table, "json"), params={"limit": "-1"}, timeout=30)
        assert bad.status_code == 400 and bad.headers.get("Access-Control-Allow-Origin") == "*"
        missing = requests.get(f"{served.url}/dataset/{table[0]}/resource/no-such-id/data.csv", timeout=30)
        assert missing.status_code == 404 and missing.headers.get("Access-Control-Allow-Origin") == "*"
        ok = requests.get(served.url + _url(table, "csv"), timeout=30)
        assert ok.status_code == 200 and ok.headers.get("Access-Control-Allow-Origin") == "*"
    finally:
        served.close()
