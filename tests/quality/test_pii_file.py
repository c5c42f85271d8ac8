"""quality.rules.pii_file on its own: personal data the whole-file scan finds outside the profiled table (another
sheet, another ZIP member, a notes row) gives the same findings as a column's, naming the part; a file that holds
nothing beyond its table's columns gives none, and its score is what it was. Real files written here."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib

from catalog_schema.record import new_distribution, new_record
from quality import assess
from quality.fetch import CheckResult
from quality.rules.pii_file import beyond, check
from quality.tabular.whole import scan_whole
from tests.support.personal import CLEAN_CSV, HEADER, IDS, PII_CSV, ROWS, xlsx_bytes, zip_bytes

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


COUNTIES = [["区县", "人口"], ["临江区", "120000"], ["白沙县", "56000"]]
NAMES = [[HEADER[1], HEADER[2]], *[[row[1], row[2]] for row in ROWS]]
FILES = {
    "second-sheet.xlsx": xlsx_bytes(("人口", COUNTIES), ("名单", NAMES)),
    "second-member.zip": zip_bytes(("a-population.csv", CLEAN_CSV), ("b-hotline.csv", PII_CSV)),
    "notes-row.csv": f"来源：热线办 经办人身份证 {IDS[0]}\r\n".encode() + CLEAN_CSV,
    "in-the-table.csv": PII_CSV,
    "clean.xlsx": xlsx_bytes(("人口", COUNTIES), ("说明", [["字段", "含义"], ["人口", "常住人口"]])),
    # no table is read from a GZIP: what it holds is all beyond the table (its compressed bytes were scanned as text,
    # so a gzipped CSV of ID numbers was published and served whole)
    "hotline.csv.gz": gzip.compress(PII_CSV),
    "members.zip.gz": gzip.compress(zip_bytes(("a-population.csv", CLEAN_CSV), ("b-hotline.csv", PII_CSV))),
    "cut.csv.gz": gzip.compress(PII_CSV * 3)[:-40],  # a copy cut short (at the download limit): what it holds is read
}


def _assessed(tmp_path, name: str, *, whole: bool = True) -> dict:
    path = tmp_path / name
    path.write_bytes(FILES[name])
    check_ = CheckResult(url=f"http://x/{name}", status="ok", checked_at=NOW, http_status=200, path=str(path),
                         size=path.stat().st_size, sha256=hashlib.sha256(FILES[name]).hexdigest())
    record = new_record(title={"en": "Hotline"}, slug="hotline", license="CC-BY-4.0",
                        distributions=[new_distribution(id="d", download_url=f"http://x/{name}")])
    scan = (lambda sha256, p, fmt: scan_whole(p, fmt)) if whole else None
    facts = assess.collect_facts(record, {"d": check_}, whole=scan)
    return assess.assess(record, facts, now=NOW)


def _beyond_table(doc: dict) -> list[tuple]:
    return sorted((f["type"], f["evidence"]["part"], f["evidence"]["within"], f["evidence"]["count"])
                  for f in doc["findings"] if "part" in f["evidence"])


def test_the_scan_names_the_table_part(tmp_path):
    for name, table in (("second-sheet.xlsx", "人口"), ("second-member.zip", "a-population.csv"),
                        ("notes-row.csv", "*")):
        path = tmp_path / name
        path.write_bytes(FILES[name])
        assert scan_whole(path, name.rsplit(".", 1)[1].upper())["table"] == table


def test_personal_data_outside_the_table_is_a_finding_naming_the_part(tmp_path):
    sheet = _assessed(tmp_path, "second-sheet.xlsx")
    assert _beyond_table(sheet) == [("pii-id-number", "名单", "sheet", 12)]
    assert sheet["pii"] is True and sheet["score"] <= assess.PII_CAP
    member = _assessed(tmp_path, "second-member.zip")
    assert _beyond_table(member) == [("pii-email", "b-hotline.csv", "member", 1),
                                     ("pii-id-number", "b-hotline.csv", "member", 12),
                                     ("pii-phone", "b-hotline.csv", "member", 12)]
    notes = _assessed(tmp_path, "notes-row.csv")
    assert _beyond_table(notes) == [("pii-id-number", "*", "file", 1)]
    said = next(f for f in notes["findings"] if f["type"] == "pii-id-number")
    assert said["message"] == "The file holds 1 valid resident identity number outside the table."
    assert "notes rows" in said["fix"] and IDS[0] not in str(notes)


def test_what_a_gzip_holds_is_scanned(tmp_path):
    text = _assessed(tmp_path, "hotline.csv.gz")
    assert _beyond_table(text) == [("pii-email", "*", "file", 1), ("pii-id-number", "*", "file", 12),
                                   ("pii-phone", "*", "file", 12)]
    assert text["pii"] is True and text["score"] <= assess.PII_CAP
    assert ("pii-id-number", "b-hotline.csv", "file", 12) in _beyond_table(_assessed(tmp_path, "members.zip.gz"))
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(FILES["cut.csv.gz"])
    assert scan_whole(path, "GZIP")["parts"]["*"]["id_number"] >= 10  # of 36, up to the cut


def test_personal_data_in_the_table_is_told_once_by_its_columns(tmp_path):
    """The whole-file scan of a CSV of citizens finds what its columns hold, and nothing more: no second finding."""
    doc = _assessed(tmp_path, "in-the-table.csv")
    assert _beyond_table(doc) == []
    assert {f["evidence"]["column"] for f in doc["findings"] if f["type"].startswith("pii-")} == {
        "身份证号", "联系电话", "备注"}


def test_files_without_such_data_keep_their_score(tmp_path):
    for name in ("clean.xlsx", "in-the-table.csv"):
        assert _assessed(tmp_path, name) == _assessed(tmp_path, name, whole=False), name
    clean = _assessed(tmp_path, "clean.xlsx")
    assert clean["pii"] is False and clean["score"] > assess.PII_CAP


def test_beyond_takes_the_tables_own_cells_out_of_its_part_only():
    columns = {"身份证号": {"id_number": 5}}
    parts = {"人口": {"id_number": 6}, "名单": {"id_number": 3, "phone": 2}}
    assert beyond(columns, parts, "人口") == {"人口": {"id_number": 1}, "名单": {"id_number": 3, "phone": 2}}
    assert beyond(columns, {"人口": {"id_number": 5}}, "人口") == {}
    assert check(None, columns, "XLSX", "d") == [] and check({"parts": {}, "table": None}, None, "CSV", "d") == []
