"""A table with a header and no rows yet (a template published before its data, a period with no events) is a
table of its columns and 0 rows: the row store loads it, the row APIs and CKAN's datastore_search answer its fields
and a total of 0, the dataset page previews its columns and says it has no rows (in English and Chinese), and the
converted downloads are valid documents with no rows. A file with no header at all is still refused.

Real files written here (CSV in UTF-8 and GBK, an XLSX by openpyxl), uploaded to a published dataset through the
services, and asked for over HTTP: Flask's client for the pages and downloads, ckanapi over a real socket.
"""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import openpyxl
import pytest
import rdflib
from ckanapi import RemoteCKAN
from defusedxml import ElementTree

from app.datastore import load as store
from app.datastore import query as rowq
from app.services import datasets, distributions
from app.services.context import Actor
from app.services.context import Runtime as ServiceRuntime
from catalog_schema.models import User
from tests.support.accounts import make_user
from tests.support.wsgiserver import ServedApp

HEADER = ["编号", "名称", "金额", "日期"]
UTF8 = "编号,名称,金额,日期\n".encode()
GBK = "编号,名称,金额,日期\r\n".encode("gbk")
#: Names that say personal data, with no value of it: nothing to withhold (the scan reads values, not names).
PERSONAL_NAMES = "姓名,身份证号,联系电话\n".encode()


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "报表"
    sheet.append(HEADER)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- the store


@pytest.mark.parametrize("body, fmt, encoding", [(UTF8, "CSV", "utf-8"), (GBK, "CSV", "gbk"), (None, "XLSX", None)],
                         ids=["utf-8", "gbk", "xlsx"])
def test_a_header_without_rows_loads_as_a_table_of_its_columns(tmp_path, body, fmt, encoding):
    path = tmp_path / f"template.{fmt.lower()}"
    path.write_bytes(_xlsx() if body is None else body)
    root = tmp_path / "store"
    got = store.load(root, "a" * 64, path, format=fmt, encoding=encoding)
    assert isinstance(got, store.Loaded), got
    assert got.rows == 0 and got.names == HEADER
    # no value to read a type from: text, as the loader types a column whose cells are not all of one type
    assert [(f.type, f.schema_type) for f in got.fields] == [("text", "string")] * 4
    assert not store.error_path(root, "a" * 64).exists() and store.failed(root, "a" * 64) is False
    result = rowq.run(got, rowq.Query())
    assert result.rows == [] and result.total == 0
    # a data dictionary's types stand: the stored column is of its type, with no value in it
    typed = store.load(root, "b" * 64, path, format=fmt, encoding=encoding,
                       schema={"fields": [{"name": "金额", "type": "number"}, {"name": "日期", "type": "date"}]})
    assert [(f.id, f.type) for f in typed.fields] == [("编号", "text"), ("名称", "text"), ("金额", "numeric"),
                                                      ("日期", "date")]
    assert rowq.run(typed, rowq.Query(conditions=[rowq.Condition("金额", "exact", ("1.5",))])).total == 0
    # `ensure` finds it there (a loaded table, not a failure to load again)
    dist = SimpleNamespace(archive_hash="a" * 64, archive_path=str(path), detected_format=fmt,
                           detected_encoding=encoding, table_schema=None)
    assert store.ensure(root, dist) == store.lookup(root, "a" * 64)


@pytest.mark.parametrize("body", [b"", b"\n\n", b" \r\n "], ids=["nothing", "blank-lines", "spaces"])
def test_a_file_without_a_header_is_still_refused(tmp_path, body):
    path = tmp_path / "empty.csv"
    path.write_bytes(body)
    failed = store.load(tmp_path / "store", "c" * 64, path, format="CSV")
    assert isinstance(failed, store.Failed) and failed.reason == "empty"
    assert store.lookup(tmp_path / "store", "c" * 64) == failed


def test_a_sheet_without_any_cell_is_still_refused(tmp_path):
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    failed = store.load(tmp_path / "store", "d" * 64, path, format="XLSX")
    assert isinstance(failed, store.Failed) and failed.reason == "empty"


# --------------------------------------------------------------------------- published, over HTTP


FILES = {"template-utf8.csv": UTF8, "template-gbk.csv": GBK, "template.xlsx": _xlsx(),
         "personal-template.csv": PERSONAL_NAMES}


def _publish(app) -> dict[str, str]:
    """The files uploaded to one published dataset ("templates"): {file name: distribution id}."""
    make_user(app, "editor@templates.example", editor_of="agency-templates")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = ServiceRuntime(factory, app.config["OPENDATA"])
    out = {}
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@templates.example").one()
            actor = Actor(s, user, "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, "agency-templates", {"title": "Templates", "license": "CC-BY-4.0"},
                                 slug="templates")
            for name, body in FILES.items():
                out[name] = distributions.add_upload(actor, ds, io.BytesIO(body), name).id
            datasets.publish(actor, ds)
    finally:
        runtime.close()
    return out


@pytest.fixture
def published(app):
    return _publish(app)


def _header(name: str) -> list[str]:
    return ["姓名", "身份证号", "联系电话"] if name == "personal-template.csv" else HEADER


def test_datastore_search_and_the_rows_api_answer_the_fields_and_no_rows(app, client, published):
    served = ServedApp(app, threads=2)
    try:
        ck = RemoteCKAN(served.url)
        for name, rid in published.items():
            page = ck.action.datastore_search(resource_id=rid)
            assert page["total"] == 0 and page["records"] == [], name
            assert page["fields"] == [{"id": "_id", "type": "int"}] + [
                {"id": h, "type": "text"} for h in _header(name)], name
            info = ck.action.datastore_info(id=rid)
            assert info["meta"]["count"] == 0 and [f["id"] for f in info["fields"]] == _header(name), name
            # a filter on a column that is there finds nothing; one on a column that is not is refused as ever
            assert ck.action.datastore_search(resource_id=rid, filters={_header(name)[0]: "x"})["total"] == 0
            assert ck.action.datastore_search(resource_id=rid, records_format="csv")["records"] == ""
    finally:
        served.close()
    for name, rid in published.items():
        resp = client.get(f"/api/v1/datasets/templates/distributions/{rid}/rows")
        assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve", (name, resp.get_data(as_text=True))
        doc = resp.get_json()
        assert doc["meta"]["total"] == 0 and doc["data"] == [] and doc["links"]["next"] is None, (name, doc)
        assert [f["id"] for f in doc["fields"] if f["id"] != "_id"] == _header(name), name
        dump = client.get(f"/datastore/dump/{rid}")
        assert dump.status_code == 200
        assert list(csv.reader(io.StringIO(dump.get_data().decode("utf-8-sig"), newline=""))) == [
            ["_id", *_header(name)]], name
        dumped = client.get(f"/datastore/dump/{rid}", query_string={"format": "json"}).get_json()
        assert dumped["records"] == [] and [f["id"] for f in dumped["fields"]] == ["_id", *_header(name)]
        root = ElementTree.fromstring(client.get(f"/datastore/dump/{rid}", query_string={"format": "xml"}).get_data())
        assert len(root) == 0, name  # a well-formed document with no row
        tsv = client.get(f"/datastore/dump/{rid}", query_string={"format": "tsv"}).get_data(as_text=True)
        assert tsv.splitlines() == ["\t".join(["_id", *_header(name)])], name


def test_the_converted_downloads_are_the_header_an_empty_list_and_an_empty_root(client, published):
    for name, rid in published.items():
        base = f"/dataset/templates/resource/{rid}"
        resp = client.get(f"{base}/data.csv")
        assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve", (name, resp.get_data(as_text=True))
        assert list(csv.reader(io.StringIO(resp.get_data(as_text=True), newline=""))) == [_header(name)], name
        doc = json.loads(client.get(f"{base}/data.json").get_data(as_text=True))
        assert doc["records"] == [] and doc["total"] == 0 and doc["_links"]["next"] is None, (name, doc)
        assert [(f["id"], f["schema_type"]) for f in doc["fields"]] == [(h, "string") for h in _header(name)]
        xml = client.get(f"{base}/data.xml")
        assert xml.status_code == 200
        root = ElementTree.fromstring(xml.get_data())  # well-formed: the root, empty
        assert root.tag == "table" and len(root) == 0, (name, xml.data)
        ttl = client.get(f"{base}/data.ttl")
        assert ttl.status_code == 200
        assert len(rdflib.Graph().parse(data=ttl.get_data(as_text=True), format="turtle")) == 0  # valid, no rows
        meta = client.get(f"{base}/data.csv-metadata.json").get_json()
        assert [c["titles"] for c in meta["tableSchema"]["columns"]] == _header(name), name


@pytest.mark.parametrize("lang, says, row_api", [("en", "no rows", "Row API (0 rows)"),
                                                  ("zh-CN", "没有数据行", "数据行接口（共 0 行）")])
def test_the_dataset_page_previews_the_columns_and_says_there_are_no_rows(client, published, lang, says, row_api):
    page = client.get("/dataset/templates", headers={"Accept-Language": lang}).get_data(as_text=True)
    for name, rid in published.items():
        start = page.index(f'id="dist-{rid}"')
        part = page[start:page.find('class="usa-summary-box margin-bottom-3 distribution"', start + 1)]
        assert "row-api--failed" not in part and row_api in part, name
        assert all(f'<th scope="col">{h}</th>' in part for h in _header(name)), name
        caption = part[part.index("<caption>"):part.index("</caption>")]
        assert says in caption, (name, caption)
