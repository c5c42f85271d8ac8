"""Folders and file lists with the source's defaults and a metadata sheet beside the files (harvesters/files.py).

Real files in tmp_path, real sheets (a GBK CSV with Chinese headers, an XLSX written by openpyxl with
English headers), real harvest jobs on SQLite and PostgreSQL, and an assessment of the files served
by a local HTTP server.
"""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from app.jobs import assess, harvest
from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestRecord, HarvestSource
from harvesters.base import RemoteItem
from harvesters.datapackage import DataPackageHarvester
from harvesters.distributed import decode_item, encode_item
from harvesters.files import SheetError, read_sheet

DEFAULTS = {"publisher": "jh-stats", "licence": "CC-BY-4.0", "language": "zh", "frequency": "annual",
            "keywords": ["统计"], "contact_point": {"name": "数据处", "email": "data@stats.jinghai.example"},
            "theme": "ECON"}

GBK_SHEET = (
    "文件,标题,说明,许可协议,关键词,主题,更新频率,时间范围,空间范围,更新日期\n"
    "gdp_annual.csv,京海市地区生产总值,2004年以来历年地区生产总值（亿元）,,GDP，国民经济、核算,经济和金融,每年,"
    "2004—2023,京海市,2024-03-31\n"
    "population/districts.csv,分区常住人口,,CC0,人口；普查,人口和社会,每十年,2020-11-01/2020-11-01,,\n"
    "prices.csv,居民消费价格指数,,京海市开放许可,价格,,每月,2023-2020,,\n"
    "missing.csv,不存在的文件,,,,,,,,\n"
    "gdp_annual.csv,重复的行,,,,,,,,\n"
)


def _folder(tmp_path):
    folder = tmp_path / "tjj"
    (folder / "population").mkdir(parents=True)
    (folder / "gdp_annual.csv").write_text("年份,地区生产总值\n2023,8120.5\n", "utf-8")
    (folder / "population" / "districts.csv").write_text("区,人口\n东城区,410000\n", "utf-8")
    (folder / "prices.csv").write_text("月份,指数\n2023-01,102.1\n", "utf-8")
    (folder / "trade.csv").write_text("年份,进出口\n2023,1200\n", "utf-8")
    (folder / "metadata.csv").write_bytes(GBK_SHEET.encode("gbk"))
    return folder


def _datasets(rt, source: str) -> dict[str, Dataset]:
    with rt.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == source))
        rows = session.scalars(select(Dataset).where(Dataset.source_id == sid)).all()
        for ds in rows:
            _ = ds.publisher, ds.distributions
        session.expunge_all()
    return {ds.remote_id: ds for ds in rows}


def _errors(rt, job_id: int) -> dict[str, HarvestRecord]:
    with rt.sessionmaker() as session:
        rows = session.scalars(select(HarvestRecord).where(HarvestRecord.job_id == job_id,
                                                           HarvestRecord.status == "errored")).all()
        session.expunge_all()
    return {r.remote_id: r for r in rows}


def test_folder_with_a_gbk_sheet_in_chinese_and_source_defaults(runtime, add_source, tmp_path):
    folder = _folder(tmp_path)
    add_source("tjj", "datapackage", str(folder), publisher="jh-stats", config={"defaults": DEFAULTS})
    summary = harvest(runtime, "tjj").to_dict()
    assert summary["status"] == "finished", summary
    assert summary["added"] == 4 and summary["errored"] == 3, summary  # the sheet itself is no dataset

    errors = _errors(runtime, summary["job_id"])
    assert set(errors) == {"metadata.csv#row-4", "metadata.csv#row-5", "metadata.csv#row-6"}
    row4 = errors["metadata.csv#row-4"].error
    assert row4.startswith("ValueError: metadata.csv row 4: ")  # how base.py words a record's error
    assert "许可协议 '京海市开放许可': licence not recognised" in row4  # the column as the sheet heads it
    assert "the range ends before it starts" in row4
    assert "no file 'missing.csv' in this source" in errors["metadata.csv#row-5"].error
    assert "described already in row 2" in errors["metadata.csv#row-6"].error
    assert json.loads(errors["metadata.csv#row-5"].payload)["values"]["标题"] == "不存在的文件"
    assert {r.stage for r in errors.values()} == {"gather"}

    ds = _datasets(runtime, "tjj")
    assert set(ds) == {"gdp_annual.csv", "population/districts.csv", "prices.csv", "trade.csv"}
    gdp = ds["gdp_annual.csv"]
    assert gdp.title == {"": "京海市地区生产总值"} and gdp.slug == "gdp-annual"  # a Chinese title gives no slug
    assert gdp.description == {"": "2004年以来历年地区生产总值（亿元）"}
    assert gdp.license_id == "CC-BY-4.0"  # the row leaves the licence blank: the default holds
    assert gdp.keywords == ["GDP", "国民经济", "核算"]  # the row's keywords replace the default's
    assert gdp.themes == ["ECON"] and gdp.frequency == "ANNUAL"
    assert gdp.temporal == {"start": "2004", "end": "2023"}
    assert gdp.spatial == ["京海市"] and gdp.modified == "2024-03-31"
    assert gdp.language == ["zh"] and gdp.publisher.slug == "jh-stats"
    assert gdp.contact_point["email"] == "data@stats.jinghai.example"
    assert gdp.flags == []

    pop = ds["population/districts.csv"]
    assert pop.license_id == "CC0-1.0" and pop.themes == ["SOCI"] and pop.frequency == "DECENNIAL"
    assert pop.keywords == ["人口", "普查"] and pop.temporal == {"start": "2020-11-01", "end": "2020-11-01"}

    prices = ds["prices.csv"]  # a row with errors still describes its file, the bad values flagged
    assert prices.title == {"": "居民消费价格指数"} and prices.frequency == "MONTHLY"
    assert prices.license_id is None and prices.license_raw == "京海市开放许可"
    assert {f["field"] for f in prices.flags} == {"license", "temporal"}
    assert all(f["reason"].startswith("metadata.csv row 4: ") for f in prices.flags)
    assert prices.temporal is None

    trade = ds["trade.csv"]  # no row in the sheet: the defaults alone
    assert trade.title == {"": "trade"} and trade.license_id == "CC-BY-4.0" and trade.frequency == "ANNUAL"
    assert trade.keywords == ["统计"] and trade.themes == ["ECON"]
    assert trade.distributions[0].download_url.startswith("file://")

    again = harvest(runtime, "tjj", full=True).to_dict()
    assert again["unchanged"] == 4 and again["errored"] == 3 and again["withdrawn"] == 0, again


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_sheets_merged_cells_describe_every_row_they_cover(runtime, add_source, tmp_path):
    """A bureau's sheet merges a licence and a publisher down the rows of files that share them: each file gets
    them (the first one only did; the others got the default licence and no publisher, without a word)."""
    folder = tmp_path / "merged"
    folder.mkdir()
    for name in ("m1.csv", "m2.csv", "m3.csv"):
        (folder / name).write_text("a,b\n1,2\n", "utf-8")
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["文件名", "标题", "许可协议", "发布机构"], ["m1.csv", "一", "CC0-1.0", "京海市统计局"],
                ["m2.csv", "二", None, None], ["m3.csv", "三", None, None]):
        ws.append(row)
    ws.merge_cells("C2:C4")
    ws.merge_cells("D2:D4")
    book.save(folder / "元数据.xlsx")
    add_source("merged", "datapackage", str(folder), config={"defaults": {"licence": "CC-BY-4.0"}})
    summary = harvest(runtime, "merged").to_dict()
    assert (summary["added"], summary["errored"]) == (3, 0), summary
    got = _datasets(runtime, "merged")
    assert {got[f].license_id for f in ("m1.csv", "m2.csv", "m3.csv")} == {"CC0-1.0"}
    assert {got[f].publisher.id for f in ("m1.csv", "m2.csv", "m3.csv")} == {got["m1.csv"].publisher.id}
    assert got["m3.csv"].title == {"": "三"} and got["m1.csv"].publisher.name[""] == "京海市统计局"


def test_file_names_in_gbk_bytes_are_read_and_an_unreadable_one_is_an_error_row(runtime, add_source, tmp_path):
    """A folder unzipped on a Chinese Windows machine keeps GBK names: the whole harvest failed with a
    UnicodeEncodeError naming no file, and nothing was imported."""
    import os

    folder = tmp_path / "unzipped"
    folder.mkdir()
    (folder / "ok.csv").write_text("a,b\n1,2\n", "utf-8")
    with open(os.path.join(os.fsencode(folder), "财政收入.csv".encode("gbk")), "wb") as fh:
        fh.write(b"a,b\n3,4\n")
    with open(os.path.join(os.fsencode(folder), b"\xff\xfe.csv"), "wb") as fh:  # neither UTF-8 nor GBK
        fh.write(b"a,b\n5,6\n")
    add_source("unzipped", "datapackage", str(folder), config={"base_url": "http://files.example/tjj/"})
    summary = harvest(runtime, "unzipped").to_dict()
    assert (summary["status"], summary["added"], summary["errored"]) == ("finished", 2, 1), summary
    got = _datasets(runtime, "unzipped")
    assert set(got) == {"ok.csv", "财政收入.csv"}
    assert got["财政收入.csv"].title == {"": "财政收入"}
    # the folder's web server serves the file under its bytes on disk
    assert got["财政收入.csv"].distributions[0].download_url == "http://files.example/tjj/%B2%C6%D5%FE%CA%D5%C8%EB.csv"
    (error,) = _errors(runtime, summary["job_id"]).values()
    assert "neither UTF-8 nor GBK" in error.error and "\\xff\\xfe.csv" in error.error


def test_an_xlsx_formula_with_no_saved_value_is_said_not_dropped(runtime, add_source, tmp_path):
    """openpyxl (or any program) writes formulas without their values; read as empty, the title fell back to the
    file's name and the date to its mtime without a flag. The row holding them is an error row naming the cells,
    and its file is held (a dataset of it keeps what the sheet said before); the sheet's other rows are used (the
    whole sheet was refused for one such cell). A formula in the header row still refuses the sheet."""
    folder = tmp_path / "formulas"
    folder.mkdir()
    (folder / "prices.csv").write_text("a,b\n1,2\n", "utf-8")
    (folder / "wages.csv").write_text("a,b\n3,4\n", "utf-8")
    sheet = folder / "metadata.xlsx"
    sheet.write_bytes(_xlsx([["File", "Title", "Modified"], ["prices.csv", "Prices by month", "2024-01-31"],
                             ["wages.csv", "Wages", "2024-02-29"]]))
    add_source("formulas", "datapackage", str(folder))
    assert harvest(runtime, "formulas").to_dict()["added"] == 2
    sheet.write_bytes(_xlsx([["File", "Title", "Modified"], ["prices.csv", '=CONCAT("Pri","ces")', "=TODAY()"],
                             ["wages.csv", "Wages by sector", "2024-03-31"]]))
    summary = harvest(runtime, "formulas").to_dict()
    errors = _errors(runtime, summary["job_id"])
    assert summary["errored"] == 1, summary
    assert "B2, C2 hold formulas with no saved value" in errors["metadata.xlsx#row-2"].error
    got = _datasets(runtime, "formulas")
    assert got["prices.csv"].title == {"": "Prices by month"}  # held: what the sheet said before
    assert got["wages.csv"].title == {"": "Wages by sector"}  # the other row is used
    sheet.write_bytes(_xlsx([["File", '=UPPER("title")'], ["prices.csv", "Prices"]]))
    summary = harvest(runtime, "formulas").to_dict()
    errors = _errors(runtime, summary["job_id"])
    assert "B1 hold formulas with no saved value" in errors["metadata.xlsx"].error
    assert _datasets(runtime, "formulas")["prices.csv"].title == {"": "Prices by month"}


def test_xlsx_sheet_with_english_headers_named_in_the_config(runtime, add_source, tmp_path):
    import datetime as dt

    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "bus_stops.csv").write_text("id,name\n1,North\n", "utf-8")
    (folder / "budget.xlsx").write_bytes(_xlsx([["year", "amount"], [2024, 10]]))
    (folder / "Catalogue.xlsx").write_bytes(_xlsx([
        [" File ", "TITLE", "Description", "License", "Keywords", "Theme", "Update frequency", "Temporal",
         "Spatial", "Publisher", "Language", "Modified", "Notes for staff", "Slug"],
        ["bus_stops.csv", "Bus stops", "Every stop of the city buses", "cc-by", "bus; transport, stops",
         "Transport", "weekly", "2024-01-01/2024-12-31", "Jinghai", "jh-transport", "English",
         dt.datetime(2024, 6, 30), "checked by Li", "city-bus-stops"],
        [None] * 14,
        ["budget.xlsx", "Budget 2024", None, "Some licence", None, "Budgets", "now and then", "next year", None,
         None, None, "yesterday", None, None],
    ]))
    add_source("agency", "datapackage", str(folder), publisher="agency",
               config={"metadata_sheet": "Catalogue.xlsx", "defaults": {"licence": "OGL-UK-3.0"}})
    summary = harvest(runtime, "agency").to_dict()
    assert summary["status"] == "finished" and summary["added"] == 2 and summary["errored"] == 1, summary
    errors = _errors(runtime, summary["job_id"])
    error = errors["Catalogue.xlsx#row-4"].error  # row 3 is blank and skipped; numbers are the sheet's
    for part in ("License 'Some licence'", "Theme 'Budgets'", "Update frequency 'now and then'",
                 "Temporal 'next year'", "Modified 'yesterday'"):  # each column as the sheet heads it
        assert part in error, error

    ds = _datasets(runtime, "agency")
    stops = ds["bus_stops.csv"]
    assert stops.title == {"": "Bus stops"} and stops.license_id == "CC-BY-4.0" and stops.slug == "city-bus-stops"
    assert stops.keywords == ["bus", "transport", "stops"] and stops.themes == ["TRAN"]
    assert stops.frequency == "WEEKLY" and stops.temporal == {"start": "2024-01-01", "end": "2024-12-31"}
    assert stops.language == ["en"] and stops.modified == "2024-06-30" and stops.publisher.slug == "jh-transport"
    assert stops.extras["file_metadata"] == {"Notes for staff": "checked by Li"}
    budget = ds["budget.xlsx"]
    assert budget.license_raw == "Some licence" and budget.license_id is None
    assert budget.themes == ["Budgets"] and budget.frequency == "now and then"
    assert budget.publisher.slug == "agency"  # no publisher in the row or the defaults: the source's


def test_an_unreadable_sheet_is_one_error_row_and_the_files_keep_the_defaults(runtime, add_source, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n", "utf-8")
    # an XLSX whose sheet part declares an entity: openpyxl parses through defusedxml, which refuses it
    good = _xlsx([["file", "title"], ["a.csv", "A"]])
    parts = {}
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert sheet.startswith("<worksheet")
    parts["xl/worksheets/sheet1.xml"] = ('<!DOCTYPE worksheet [<!ENTITY big "aaaaaaaaaa">]>' + sheet).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    (folder / "metadata.xlsx").write_bytes(out.getvalue())
    add_source("f", "datapackage", str(folder), config={"defaults": {"license": "CC0", "licnese": "CC0"}})
    summary = harvest(runtime, "f").to_dict()
    assert summary["status"] == "finished" and summary["added"] == 1 and summary["errored"] == 1, summary
    errors = _errors(runtime, summary["job_id"])
    assert list(errors) == ["metadata.xlsx"] and "cannot be read as XLSX" in errors["metadata.xlsx"].error
    a = _datasets(runtime, "f")["a.csv"]
    assert a.title == {"": "a"} and a.license_id == "CC0-1.0"
    assert a.flags == [{"field": "defaults.licnese", "value": "CC0",
                        "reason": "source defaults: not a field a default can be given for"}]


def test_files_named_in_chinese_get_a_slug_of_their_own_that_a_harvest_keeps(runtime, add_source, tmp_path):
    folder = tmp_path / "tjj"
    folder.mkdir()
    for name in ("人口统计.csv", "就业.csv", "2023年.csv", "bus stops.csv"):
        (folder / name).write_text("a,b\n1,2\n", "utf-8")
    add_source("zh-names", "datapackage", str(folder))
    assert harvest(runtime, "zh-names").to_dict()["added"] == 4
    slugs = {name: ds.slug for name, ds in _datasets(runtime, "zh-names").items()}
    assert slugs["bus stops.csv"] == "bus-stops"
    ids = {name: ds.id for name, ds in _datasets(runtime, "zh-names").items()}
    for name in ("人口统计.csv", "就业.csv", "2023年.csv"):  # not dataset, dataset-2 ... by the order harvested
        assert slugs[name] == f"dataset-{ids[name][:8]}", slugs
    again = harvest(runtime, "zh-names", full=True).to_dict()
    assert again["unchanged"] == 4
    assert {name: ds.slug for name, ds in _datasets(runtime, "zh-names").items()} == slugs


def test_sheet_reading_refuses_what_is_not_a_sheet():
    with pytest.raises(SheetError, match="no column naming the file"):
        read_sheet("metadata.csv", b"title,licence\nA,CC0\n")
    with pytest.raises(SheetError, match="empty"):
        read_sheet("metadata.csv", b"\n\n")
    with pytest.raises(SheetError, match="not an XLSX"):
        read_sheet("metadata.xlsx", b"file,title\n")
    with pytest.raises(SheetError, match="save it as"):
        read_sheet("metadata.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(SheetError, match="more than 100,000 rows"):
        read_sheet("metadata.csv", b"file\n" + b"a.csv\n" * 100_001)
    # UTF-16 with a tab between columns, as Excel saves "Unicode text"
    assert read_sheet("metadata.csv", "文件\t标题\r\nx.csv\t人口\r\n".encode("utf-16")) == [
        (2, {"文件": "x.csv", "标题": "人口"})]
    # a short GBK sheet that charset-normalizer alone takes for another CJK encoding: the headers decide
    rows = read_sheet("metadata.csv", "文件,标题\nx.csv,人口\n".encode("gbk"))
    assert rows == [(2, {"文件": "x.csv", "标题": "人口"})]
    # UTF-8 with a BOM, semicolons, a quoted cell over two lines: numbered as the spreadsheet shows them
    rows = read_sheet("metadata.csv", '\ufeffFile;Title\na.csv;"two\nlines"\n\nb.csv;B\n'.encode())
    assert rows == [(2, {"File": "a.csv", "Title": "two lines"}), (4, {"File": "b.csv", "Title": "B"})]


@pytest.mark.parametrize(("text", "codec"), [
    ("file,title\nx.csv,朝阳门街道\n", "gbk"),
    ("file,title\nx.csv,西城区面积\n", "gbk"),
    ("file,title\nx.csv,东城区人口\ny.csv,西城区人口\n", "gb18030"),
    ("file,title\nx.csv,종로구\ny.csv,중구\n", "euc_kr"),
    ("file,title\nx.csv,이름\n", "cp949"),
    ("file,title\nx.csv,종로구 인구\n", "euc_kr"),
])
def test_a_short_sheet_of_english_headers_and_chinese_or_korean_titles(text, codec):
    """English headers name the file column in any decoding, so they cannot tell GBK from EUC-KR: the sheet was
    read in charset-normalizer's first proposal (朝阳门街道 -> 陳栠藷..., 종로구 -> 檜葷...). The encoding is now
    the one every other door decides (``plumbing.textencoding.detect_encoding``)."""
    lines = text.splitlines()
    assert read_sheet("metadata.csv", text.encode(codec)) == [
        (n, {"file": line.split(",")[0], "title": line.split(",")[1]}) for n, line in enumerate(lines[1:], 2)]


def test_a_file_list_on_a_web_server_with_its_sheet_beside_it(runtime, add_source, local_server):
    local_server.add_bytes("/tjj/files.txt", b"# the bureau's files\n"
                                              b"gdp.csv\n"
                                              b"http://127.0.0.1:9/elsewhere/cpi.xlsx\n"
                                              b"\n"
                                              b"ftp://example.org/old.csv\n"
                                              b"/etc/passwd\n"
                                              b"gdp.csv\n", "text/plain")
    local_server.add_bytes("/tjj/metadata.csv", (
        "文件,标题,许可协议,更新频率\n"
        "gdp.csv,地区生产总值,CC-BY-4.0,每年\n"
        "cpi.xlsx,居民消费价格指数,CC-BY-4.0,每月\n").encode("gbk"), "text/csv")
    add_source("list", "datapackage", local_server.url("/tjj/files.txt"), config={"defaults": {"language": "zh"}})
    summary = harvest(runtime, "list").to_dict()
    assert summary["status"] == "finished" and summary["added"] == 2 and summary["errored"] == 2, summary
    errors = _errors(runtime, summary["job_id"])
    assert "only http(s) URLs and relative paths" in errors["ftp://example.org/old.csv"].error
    assert "an absolute path" in errors["/etc/passwd"].error  # not any path of the list's server
    ds = _datasets(runtime, "list")
    gdp = ds["gdp.csv"]
    assert gdp.distributions[0].download_url == local_server.url("/tjj/gdp.csv")
    assert gdp.title == {"": "地区生产总值"} and gdp.license_id == "CC-BY-4.0" and gdp.language == ["zh"]
    cpi = ds["http://127.0.0.1:9/elsewhere/cpi.xlsx"]  # named in the sheet by its file name alone
    assert cpi.title == {"": "居民消费价格指数"} and cpi.frequency == "MONTHLY"
    assert cpi.distributions[0].format == "XLSX"

    # no sheet beside the list: looked for under each default name (404s), and nothing is wrong
    local_server.add_bytes("/bare/files.txt", b"a.csv\n", "text/plain")
    add_source("bare-list", "datapackage", local_server.url("/bare/files.txt"))
    summary = harvest(runtime, "bare-list").to_dict()
    assert summary["added"] == 1 and summary["errored"] == 0, summary
    asked = [r.path for r in local_server.requests if r.path.startswith("/bare/")]
    assert asked[0] == "/bare/files.txt" and len(asked) == 5  # the list, then four sheet names
    # a sheet named in the config that is not there is an error row; the files are harvested all the same
    add_source("named", "datapackage", local_server.url("/bare/files.txt"), config={"metadata_sheet": "meta.xlsx"})
    summary = harvest(runtime, "named").to_dict()
    assert summary["added"] == 1 and summary["errored"] == 1, summary
    assert "404" in _errors(runtime, summary["job_id"])["meta.xlsx"].error


def test_a_file_list_in_gbk_is_read_as_chinese(runtime, add_source, local_server):
    """A list saved in GBK by a Chinese office's editor: 一.csv in GBK is also valid UTF-8 (һ.csv), which named a
    file that does not exist without a word."""
    from harvesters.files import _list_text

    local_server.add_bytes("/gbk/files.txt", "一.csv\n人口普查.csv\n".encode("gbk"), "text/plain")
    add_source("gbk-list", "datapackage", local_server.url("/gbk/files.txt"))
    summary = harvest(runtime, "gbk-list").to_dict()
    assert summary["added"] == 2 and summary["errored"] == 0, summary
    assert sorted(_datasets(runtime, "gbk-list")) == ["一.csv", "人口普查.csv"]
    assert _list_text("一.csv\n".encode("gbk"), "x") == "一.csv\n"  # valid UTF-8 too, but not Chinese
    assert _list_text("Ωmega.csv\n".encode("utf-8-sig"), "x") == "Ωmega.csv\n"  # a BOM says UTF-8
    assert _list_text("数据.csv\n".encode(), "x") == "数据.csv\n"


def test_one_file_listed_by_its_path_and_its_url_is_one_dataset(runtime, add_source, local_server):
    local_server.add_bytes("/twice/files.txt", f"a.csv\n{local_server.url('/twice/a.csv')}\nb.csv\n".encode(),
                           "text/plain")
    add_source("twice", "datapackage", local_server.url("/twice/files.txt"))
    summary = harvest(runtime, "twice").to_dict()
    assert (summary["added"], summary["errored"]) == (2, 1), summary  # it was a and a-2
    error = _errors(runtime, summary["job_id"])[local_server.url("/twice/a.csv")].error
    assert "the same file as 'a.csv', listed before" in error


def test_a_local_file_list_stays_inside_its_folder(runtime, add_source, tmp_path):
    folder = tmp_path / "pub"
    folder.mkdir()
    (tmp_path / "secret.csv").write_text("x\n", "utf-8")
    (folder / "a.csv").write_text("x\n1\n", "utf-8")
    long = "x" * 600 + ".csv"
    (folder / "list.txt").write_text(f"a.csv\n../secret.csv\n/etc/hostname\nnot-there.csv\n{long}\n", "utf-8")
    (folder / "metadata.csv").write_text("file,title\nA.CSV,A\n", "utf-8")  # a name in another case
    add_source("local-list", "datapackage", str(folder / "list.txt"),
               config={"base_url": "https://data.example.gov/pub/"})
    summary = harvest(runtime, "local-list").to_dict()
    assert summary["added"] == 1 and summary["errored"] == 4, summary
    errors = _errors(runtime, summary["job_id"])
    assert "longer than 500 characters" in errors[long[:500]].error
    assert "must stay inside" in errors["../secret.csv"].error
    assert "must stay inside" in errors["/etc/hostname"].error
    assert "no such file" in errors["not-there.csv"].error
    a = _datasets(runtime, "local-list")["a.csv"]
    assert a.title == {"": "A"} and a.distributions[0].download_url == "https://data.example.gov/pub/a.csv"


def test_to_record_needs_nothing_but_the_payload(runtime, add_source, tmp_path):
    """Gather and import run in different processes: a record mapped from an item sent as JSON by a
    harvester of a source that has since lost its config is the record the gathering harvester makes."""
    folder = _folder(tmp_path)
    add_source("tjj", "datapackage", str(folder), config={"defaults": DEFAULTS})
    with runtime.sessionmaker() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == "tjj"))
        gatherer = DataPackageHarvester(source)
        items = [i for i in gatherer.gather() if i.error is None]
        source.config = {}
        importer = DataPackageHarvester(source)
    assert len(items) == 4
    for item in items:
        sent = decode_item(json.loads(json.dumps(encode_item(item))))
        assert importer.to_record(sent) == gatherer.to_record(item)
    assert any(importer.to_record(decode_item(encode_item(i)))["license"] == "CC-BY-4.0" for i in items)
    # an item held (its sheet could not be read) is held on the worker too
    held = decode_item(json.loads(json.dumps(encode_item(RemoteItem(remote_id="a.csv", payload={}, hold=True)))))
    assert held.hold and not decode_item(encode_item(items[0])).hold


def test_folder_files_earn_licence_points_from_the_defaults(runtime, add_source, local_server, tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    body = b"district,population\nNorth,410000\nSouth,385000\n"
    (folder / "population.csv").write_bytes(body)
    local_server.add_bytes("/served/population.csv", body, "text/csv")
    base = local_server.url("/served/")
    add_source("bare", "datapackage", str(folder), config={"base_url": base})
    add_source("described", "datapackage", str(folder), config={"base_url": base, "defaults": DEFAULTS})
    for name in ("bare", "described"):
        assert harvest(runtime, name).to_dict()["added"] == 1
    ids = {name: next(iter(_datasets(runtime, name).values())).id for name in ("bare", "described")}
    assess(runtime, list(ids.values()))
    with runtime.sessionmaker() as session:
        got = {name: session.scalar(select(Assessment).where(Assessment.dataset_id == i)) for name, i in ids.items()}
        slugs = {name: {f["type"] for f in a.findings} for name, a in got.items()}
        assert got["bare"].stars == 0 and "licence-missing" in slugs["bare"]
        assert got["described"].stars == 3 and "licence-missing" not in slugs["described"]
        assert got["described"].metadata_points > got["bare"].metadata_points
        assert session.scalar(select(HarvestJob.errored).where(HarvestJob.status == "finished").limit(1)) == 0


def test_a_file_without_a_date_is_modified_when_the_file_last_changed(runtime, add_source, tmp_path):
    """Neither defaults nor a sheet date it: the file's own modification time does (data.json requires a
    `modified`; timeliness is judged on it); a sheet's date wins over it."""
    import os

    from catalog_schema.datajson import to_datajson
    from catalog_schema.store import to_record

    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "undated.csv").write_text("id,name\n1,North\n", "utf-8")
    (folder / "dated.csv").write_text("id,name\n1,South\n", "utf-8")
    os.utime(folder / "undated.csv", (1_700_000_000, 1_700_000_000))  # 2023-11-14 UTC
    (folder / "metadata.csv").write_text("file,title,modified\ndated.csv,Dated,2025-06-30\n", "utf-8")
    add_source("agency", "datapackage", str(folder), publisher="agency")
    assert harvest(runtime, "agency").to_dict()["added"] == 2
    with runtime.sessionmaker() as session:
        got = {ds.remote_id: ds for ds in session.scalars(select(Dataset))}
        assert got["undated.csv"].modified == "2023-11-14" and got["dated.csv"].modified == "2025-06-30"
        assert to_datajson(to_record(got["undated.csv"]), site_url="http://127.0.0.1")["modified"] == "2023-11-14"


def test_a_sheet_date_that_is_no_date_is_not_replaced_by_the_files_time(runtime, add_source, tmp_path):
    """A sheet's row dated 2025-13-45 or 2024年2月30日 was flagged, and the dataset published as modified when the
    file last changed (today, for a file just copied): stale data looked fresh to every door and to the timeliness
    score. The date is left undeclared (flagged as before), as a source that said none that could be read."""
    import os

    folder = tmp_path / "agency"
    folder.mkdir()
    for name in ("typo.csv", "feb.csv", "fine.csv"):
        (folder / name).write_text("id,name\n1,North\n", "utf-8")
        os.utime(folder / name, (1_700_000_000, 1_700_000_000))  # 2023-11-14 UTC
    (folder / "metadata.csv").write_text("file,title,modified\ntypo.csv,Typo,2025-13-45\nfeb.csv,Feb,2024年2月30日\n"
                                         "fine.csv,Fine,2025-06-30\n", "utf-8")
    add_source("agency", "datapackage", str(folder), publisher="agency")
    assert harvest(runtime, "agency").to_dict()["added"] == 3
    got = _datasets(runtime, "agency")
    assert (got["typo.csv"].modified, got["feb.csv"].modified, got["fine.csv"].modified) == (None, None, "2025-06-30")
    assert any(f["field"] == "modified" and f["value"] == "2025-13-45" for f in got["typo.csv"].flags or []), \
        got["typo.csv"].flags


def test_a_sheet_that_cannot_be_read_this_time_keeps_what_it_gave(runtime, add_source, tmp_path, local_server):
    """A sheet that is there but cannot be read (half saved, a 503) says nothing of the files: the datasets the
    catalog holds of them keep the titles the sheet gave them (they were rewritten from the defaults alone), a
    new file gets the defaults, and once the sheet reads again nothing has changed."""
    folder = tmp_path / "f"
    folder.mkdir()
    for name in ("a.csv", "b.csv"):
        (folder / name).write_text("x\n1\n", "utf-8")
    good = _xlsx([["file", "title", "frequency"], ["a.csv", "A one", "monthly"], ["b.csv", "B two", "annual"]])
    (folder / "metadata.xlsx").write_bytes(good)
    add_source("f", "datapackage", str(folder), config={"defaults": {"license": "CC0"}})
    first = harvest(runtime, "f").to_dict()
    assert first["added"] == 2 and first["errored"] == 0, first

    (folder / "metadata.xlsx").write_bytes(good[:300])  # half saved
    (folder / "c.csv").write_text("x\n2\n", "utf-8")
    broken = harvest(runtime, "f").to_dict()
    assert (broken["status"], broken["added"], broken["updated"], broken["unchanged"], broken["errored"]) == \
        ("finished", 1, 0, 2, 1), broken
    assert "not an XLSX file" in _errors(runtime, broken["job_id"])["metadata.xlsx"].error
    ds = _datasets(runtime, "f")
    assert (ds["a.csv"].title, ds["a.csv"].frequency, ds["b.csv"].title) == ({"": "A one"}, "MONTHLY", {"": "B two"})
    assert ds["c.csv"].title == {"": "c"} and ds["c.csv"].license_id == "CC0-1.0"

    (folder / "metadata.xlsx").write_bytes(good)
    again = harvest(runtime, "f").to_dict()
    assert (again["updated"], again["unchanged"], again["errored"]) == (0, 3, 0), again

    # a file list on the web whose sheet answers 503 once
    local_server.add_bytes("/l/files.txt", b"a.csv\n", "text/plain")
    local_server.add_bytes("/l/metadata.csv", b"file,title\na.csv,Listed A\n", "text/csv")
    add_source("l", "datapackage", local_server.url("/l/files.txt"))
    assert harvest(runtime, "l").to_dict()["added"] == 1
    local_server.add_bytes("/l/metadata.csv", b"busy", "text/plain", status=503)
    down = harvest(runtime, "l").to_dict()
    assert (down["updated"], down["unchanged"], down["errored"]) == (0, 1, 1), down
    assert _datasets(runtime, "l")["a.csv"].title == {"": "Listed A"}


def test_sheets_under_two_default_names_and_a_named_sheet_that_is_not_there(runtime, add_source, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "k.csv").write_text("x\n1\n", "utf-8")
    (folder / "metadata.csv").write_text("file,title\nk.csv,From CSV\n", "utf-8")
    (folder / "metadata.xlsx").write_bytes(_xlsx([["file", "title"], ["k.csv", "From XLSX"]]))
    add_source("two", "datapackage", str(folder))
    summary = harvest(runtime, "two").to_dict()
    assert (summary["added"], summary["errored"]) == (1, 1), summary  # the second sheet is no dataset
    assert _datasets(runtime, "two")["k.csv"].title == {"": "From CSV"}
    said = _errors(runtime, summary["job_id"])["metadata.xlsx"].error
    assert "a second metadata sheet" in said and "metadata.csv was" in said

    add_source("named", "datapackage", str(folder), config={"metadata_sheet": "nosuch.xlsx"})
    summary = harvest(runtime, "named").to_dict()
    errors = _errors(runtime, summary["job_id"])
    said = errors["nosuch.xlsx"].error
    assert "named in the config is not in the folder" in said and str(tmp_path) not in said
    # the sheets under default names are still sheets, not datasets (they were published as data)
    assert summary["added"] == 1 and set(_datasets(runtime, "named")) == {"k.csv"}, summary
    assert all("the source's config names nosuch.xlsx" in errors[n].error for n in ("metadata.csv", "metadata.xlsx"))


def test_a_bare_file_name_several_files_answer_to_asks_for_the_path():
    from harvesters.files import match_rows

    found, errors = match_rows("元数据.xlsx", [(2, {"file": "data.csv", "title": "?"}),
                                              (3, {"file": "a/data.csv", "title": "A"}),
                                              (4, {"file": "Other.CSV", "title": "O"})],
                               ["a/data.csv", "b/data.csv", "other.csv"])
    assert set(found) == {"a/data.csv", "other.csv"}  # a path, and a bare name only one file answers to
    (error,) = errors
    assert error.remote_id == "元数据.xlsx#row-2"
    assert str(error.error) == ("元数据.xlsx row 2: 'data.csv' names 2 files (a/data.csv, b/data.csv): give its "
                                "path")


def test_a_name_in_a_contact_email_column_is_said_and_kept_as_the_name(client, runtime, add_source, tmp_path):
    """A sheet's 联系邮箱 (contact email) holding 张伟, or "zhang at stats": published as the contact's name
    without a word, and the dataset had no address to write to. It is kept as the name and said: an error row
    naming the column, and a flag on the dataset."""
    folder = tmp_path / "tjj"
    folder.mkdir()
    (folder / "gdp.csv").write_text("年份,地区生产总值\n2023,8120.5\n", "utf-8")
    (folder / "prices.csv").write_text("月份,指数\n2023-01,102.1\n", "utf-8")
    (folder / "metadata.csv").write_text("文件,标题,联系邮箱\ngdp.csv,地区生产总值,张伟\n"
                                         "prices.csv,价格指数,prices@stats.jinghai.example\n", "utf-8")
    add_source("tjj", "datapackage", str(folder), publisher="jh-stats", config={"defaults": DEFAULTS})
    summary = harvest(runtime, "tjj").to_dict()
    assert summary["status"] == "finished" and summary["added"] == 2 and summary["errored"] == 1, summary
    row2 = _errors(runtime, summary["job_id"])["metadata.csv#row-2"].error
    assert "联系邮箱 '张伟': not an e-mail address" in row2 and "kept as the contact's name" in row2, row2
    ds = _datasets(runtime, "tjj")
    gdp, prices = ds["gdp.csv"], ds["prices.csv"]
    assert gdp.contact_point["name"] == "张伟" and not gdp.contact_point["email"]
    assert [f["field"] for f in gdp.flags] == ["contact_point"], gdp.flags
    assert prices.contact_point["email"] == "prices@stats.jinghai.example" and prices.flags == []
    zh = client.get(f"/harvest/job/{summary['job_id']}?lang=zh_CN").get_data(as_text=True)
    assert "联系邮箱 &#39;张伟&#39;：不是电子邮件地址" in zh and "已作为联系人姓名保留" in zh


def test_a_title_row_above_the_headers_is_not_taken_for_them(runtime, add_source, tmp_path):
    """A bureau's catalog sheet opens with its title ("京海市财政局数据目录", merged across the columns) and then the
    headers: the title was taken for the header row, the sheet refused ("no column naming the file") and every file
    harvested without its title, licence or theme."""
    folder = tmp_path / "czj"
    folder.mkdir()
    for name in ("财政收入.csv", "财政支出.csv"):
        (folder / name).write_text("年份,金额\n2023,100\n", "utf-8")
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["京海市财政局数据目录"], ["（2024年3月更新）"], [], ["文件名称", "数据集名称", "开放协议", "主题分类"],
                ["财政收入.csv", "财政收入", "CC-BY-4.0", "经济和金融"], ["财政支出.csv", "财政支出", None, "GOVE"],
                ["missing.csv", "不存在", None, None]):
        ws.append(row)
    ws.merge_cells("A1:D1")
    book.save(folder / "元数据.xlsx")
    add_source("czj", "datapackage", str(folder))
    summary = harvest(runtime, "czj").to_dict()
    assert (summary["added"], summary["errored"]) == (2, 1), summary
    got = _datasets(runtime, "czj")
    assert got["财政收入.csv"].title == {"": "财政收入"} and got["财政收入.csv"].license_id == "CC-BY-4.0"
    assert got["财政支出.csv"].title == {"": "财政支出"}
    # the rows keep the numbers the spreadsheet shows them under
    assert list(_errors(runtime, summary["job_id"])) == ["元数据.xlsx#row-7"]

    # the same in a CSV sheet, its title line without a delimiter above semicolon-separated headers
    assert read_sheet("metadata.csv", "京海市财政局数据目录\n\nFile;Title\na.csv;A\n".encode("gbk")) == [
        (4, {"File": "a.csv", "Title": "A"})]
    assert read_sheet("metadata.csv", "京海市财政局数据目录,,\n文件,标题\nx.csv,人口\n".encode()) == [
        (3, {"文件": "x.csv", "标题": "人口"})]
    # a sheet with no file column at all is still refused, naming its first row
    with pytest.raises(SheetError, match="the headers are 京海市财政局数据目录"):
        read_sheet("metadata.csv", "京海市财政局数据目录\n标题,许可\nA,CC0\n".encode())


def test_a_contact_that_is_a_telephone_number_is_the_contacts_phone(client, runtime, add_source, tmp_path):
    """A bureau's 联系方式 column often holds a telephone number (the citizens' hotline 12345, 0571-87654321): it
    became the contact's name, "12345" shown as a person, and the phone field stayed empty."""
    folder = tmp_path / "czj"
    folder.mkdir()
    for name in ("income.csv", "spending.csv", "tax.csv"):
        (folder / name).write_text("年份,金额\n2023,100\n", "utf-8")
    (folder / "元数据.csv").write_bytes("文件名,标题,联系方式\nincome.csv,财政收入,12345\n"
                                      "spending.csv,财政支出,(0571) 8765 4321 转 801\ntax.csv,税收,\n".encode("gbk"))
    add_source("czj", "datapackage", str(folder), config={"defaults": {"contact_point": "+86 571 8765 0000"}})
    summary = harvest(runtime, "czj").to_dict()
    assert (summary["added"], summary["errored"]) == (3, 0), summary
    got = _datasets(runtime, "czj")
    assert got["income.csv"].contact_point == {"name": None, "email": None, "url": None, "phone": "12345"}
    assert got["spending.csv"].contact_point["phone"] == "(0571) 8765 4321 转 801"
    assert got["tax.csv"].contact_point["phone"] == "+86 571 8765 0000" and not got["tax.csv"].contact_point["name"]
    page = client.get(f"/dataset/{got['income.csv'].slug}?lang=zh").get_data(as_text=True)
    assert "12345" in page


def test_two_folders_files_of_one_name_are_two_identifiers(runtime, add_source, tmp_path):
    """A file's relative path was its dataset's identifier: two departments' folders both holding parking-lots.csv
    published one data.json identifier twice, and clients keying datasets by it (data.gov's harvester) merge them.
    The identifier is the file's web address; one with none gives the dataset's own."""
    for dept in ("transport", "planning"):
        folder = tmp_path / dept
        folder.mkdir()
        (folder / "parking-lots.csv").write_text("lot,spaces\nNorth,40\n", "utf-8")
        add_source(dept, "datapackage", str(folder), config={"base_url": f"http://127.0.0.1:9/{dept}/"})
        assert harvest(runtime, dept).to_dict()["added"] == 1
    local = tmp_path / "local"
    local.mkdir()
    (local / "parking-lots.csv").write_text("lot,spaces\nSouth,10\n", "utf-8")
    add_source("local", "datapackage", str(local))
    assert harvest(runtime, "local").to_dict()["added"] == 1
    got = {**_datasets(runtime, "transport"), **{f"planning/{k}": v for k, v in _datasets(runtime, "planning").items()}}
    assert sorted(ds.identifier for ds in got.values()) == ["http://127.0.0.1:9/planning/parking-lots.csv",
                                                             "http://127.0.0.1:9/transport/parking-lots.csv"]
    assert _datasets(runtime, "local")["parking-lots.csv"].identifier is None


def test_an_xlsx_sheets_catalogue_is_found_after_an_instructions_worksheet(runtime, add_source, tmp_path):
    """A government template puts its instructions (填写说明) first and the catalogue (目录) second: the first
    worksheet was read, and the job said there was no column naming the file, its "headers" the instructions' text.
    The worksheet that names the file column is the one read; a workbook with none says so of its first."""
    folder = tmp_path / "bureau"
    folder.mkdir()
    (folder / "人口.csv").write_text("区县,人口\n婺城区,100\n", "utf-8")
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "填写说明"
    notes.append(["请在“目录”工作表中填写，每个文件一行。"])
    notes.append(["日期写作 2024-03-31 或 2024年3月31日。"])
    catalogue = book.create_sheet("目录")
    catalogue.append(["文件", "标题", "许可"])
    catalogue.append(["人口.csv", "各区县人口", "CC-BY-4.0"])
    out = io.BytesIO()
    book.save(out)
    (folder / "元数据.xlsx").write_bytes(out.getvalue())
    add_source("bureau", "datapackage", str(folder))
    summary = harvest(runtime, "bureau").to_dict()
    assert (summary["added"], summary["errored"]) == (1, 0), summary
    got = _datasets(runtime, "bureau")["人口.csv"]
    assert got.title == {"": "各区县人口"} and got.license_id == "CC-BY-4.0"
    # no worksheet names the file: said of the first, as before
    (folder / "元数据.xlsx").write_bytes(_xlsx([["说明"], ["请填写"]]))
    summary = harvest(runtime, "bureau").to_dict()
    errors = _errors(runtime, summary["job_id"])
    assert "no column naming the file" in errors["元数据.xlsx"].error
