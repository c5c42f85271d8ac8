"""What a finding says a file is holds for the file: an empty file is said to be empty, a damaged CSV is not
"an unrecognised file", RDF, JSON or a web page inside an archive is read as what it is."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import struct
import zipfile
import zlib

import openpyxl

from catalog_schema.record import new_distribution, new_record
from quality import assess
from quality.fetch import CheckResult
from quality.findings import format_label, make_finding

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _assess_file(tmp_path, name: str, data: bytes, fmt: str | None, licence: str | None = "CC-BY-4.0"):
    path = tmp_path / name
    path.write_bytes(data)
    record = new_record(title={"": name}, license=licence,
                        distributions=[new_distribution(id="f", download_url=f"http://x/{name}", format=fmt)])
    check = CheckResult(url=f"http://x/{name}", status="ok", checked_at=NOW, http_status=200, path=str(path),
                        size=len(data))
    facts = assess.collect_facts(record, {"f": check})
    return facts["f"], assess.assess(record, facts, now=NOW, dcat_violations=[])


def _by_type(doc) -> dict[str, dict]:
    return {f["type"]: f for f in doc["findings"]}


def _localised(finding: dict, lang: str) -> tuple[str, str]:
    from quality.findings import FINDING_TYPES

    ftype = FINDING_TYPES[finding["type"]]
    return ftype.message(lang, finding["evidence"]), ftype.fix(lang, finding["evidence"])


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    _fact, doc = _assess_file(tmp_path, "empty.csv", b"", "CSV")
    found = _by_type(doc)
    assert doc["stars"] == 1
    assert "empty-file" in found
    assert "format-mismatch" not in found and "not-machine-readable" not in found
    message, fix = found["empty-file"]["message"], found["empty-file"]["fix"]
    assert "empty" in message and "unrecognised" not in message + fix
    zh_message, zh_fix = _localised(found["empty-file"], "zh")
    assert "为空" in zh_message and not any("a" <= ch <= "z" for ch in zh_message.replace("http://x/empty.csv", ""))
    assert "unrecognised" not in zh_fix
    assert doc["distributions"][0]["reasons"][0] == "The file is empty: it holds no data."
    _fact, unlicensed = _assess_file(tmp_path, "empty.csv", b"", "CSV", licence=None)
    assert "empty-file" in _by_type(unlicensed)  # said whichever star is missed first


def test_a_csv_with_a_nul_byte_is_not_parseable_and_nothing_else_about_its_format(tmp_path):
    _fact, doc = _assess_file(tmp_path, "nul.csv", b"a,b\n1,2\n3\x004\n5,6\n", "CSV")
    found = _by_type(doc)
    assert doc["stars"] == 1 and "not-parseable" in found
    assert "format-mismatch" not in found
    assert all("unrecognised" not in f["message"] + f["fix"] for f in doc["findings"])


def test_unrecognised_bytes_are_said_in_chinese_in_chinese(tmp_path):
    _fact, doc = _assess_file(tmp_path, "data.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(40), "CSV")
    for finding in doc["findings"]:
        if finding["type"] in ("format-mismatch", "not-machine-readable"):
            for text in _localised(finding, "zh"):
                assert "unrecognised" not in text, text


def test_json_cut_off_stays_json_that_does_not_parse(tmp_path):
    fact, doc = _assess_file(tmp_path, "bad.json", b'[{"a":1},{"a":2', "JSON")
    assert fact.sniffed.format == "JSON"
    found = _by_type(doc)
    assert doc["stars"] == 1 and "not-parseable" in found and "format-mismatch" not in found
    assert found["not-parseable"]["evidence"]["format"] == "JSON"
    assert all("CSV" not in f["message"] + f["fix"] for f in doc["findings"])


def test_json_lines_is_a_table_of_records_not_a_damaged_file(tmp_path):
    from quality.tabular import read_table

    fact, doc = _assess_file(tmp_path, "records.json", b'{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n{"a":3}\n', "JSON")
    found = _by_type(doc)
    assert fact.sniffed.format == "JSON" and fact.sniffed.details.get("json_top") == "lines"
    assert "table-unreadable" not in found and "not-parseable" not in found
    assert doc["stars"] == 3
    assert (fact.profile.rows, fact.profile.header) == (3, ["a", "b"])
    rows = [r for batch in read_table(tmp_path / "records.json") for r in batch.to_pylist()]
    assert rows == [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}, {"a": "3", "b": ""}]  # as data.csv serves it


TTL = (b"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
       b"@prefix ex: <http://data.example.gov.cn/id/> .\n"
       b"ex:beijing owl:sameAs <http://dbpedia.org/resource/Beijing> .\n"
       b"ex:shanghai owl:sameAs <http://www.wikidata.org/entity/Q8686> .\n")


def _zip(name: str, data: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _gzip(name: str, data: bytes) -> bytes:
    import gzip
    import io

    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def test_turtle_in_a_zip_or_a_gzip_is_parsed_as_it_is_alone(tmp_path):
    _fact, alone = _assess_file(tmp_path, "places.ttl", TTL, "TURTLE")
    assert alone["stars"] == 5
    for name, data, fmt in (("places.zip", _zip("places.ttl", TTL), "ZIP"),
                            ("places.ttl.gz", _gzip("places.ttl", TTL), "GZIP")):
        fact, doc = _assess_file(tmp_path, name, data, fmt)
        assert (fact.rdf_subjects, fact.rdf_links) == (2, 2), name
        found = _by_type(doc)
        assert doc["stars"] == 5 and "no-uris" not in found and "no-external-links" not in found, (name, found)


def test_broken_turtle_or_json_in_a_zip_does_not_parse(tmp_path):
    fact, doc = _assess_file(tmp_path, "broken.zip", _zip("places.ttl", TTL[:-30]), "ZIP")
    assert doc["stars"] == 1 and fact.parse_error["format"] == "TURTLE"
    assert "no-uris" not in _by_type(doc)
    fact, doc = _assess_file(tmp_path, "bad.zip", _zip("bad.json", b'[{"a":1},{"a":2'), "ZIP")
    found = _by_type(doc)
    assert doc["stars"] == 1 and fact.parse_error["format"] == "JSON" and "not-parseable" in found
    assert "table-unreadable" not in found
    assert all("CSV" not in f["message"] for f in doc["findings"])


def test_a_web_page_in_a_zip_is_not_said_to_be_what_the_link_returns(tmp_path):
    page = b"<!DOCTYPE html><html><head><title>Data</title></head><body><p>See the portal.</p></body></html>"
    _fact, doc = _assess_file(tmp_path, "page.zip", _zip("index.html", page), "ZIP")
    found = _by_type(doc)
    assert "html-not-data" not in found
    said = " ".join(f["message"] for f in doc["findings"]) + " ".join(doc["distributions"][0]["reasons"])
    assert "returns an HTML" not in said and "link returns" not in said
    assert doc["stars"] == 1 and "not-machine-readable" in found
    assert "ZIP" in found["not-machine-readable"]["message"]
    assert "ZIP" in _localised(found["not-machine-readable"], "zh")[0]


def _seven_zip() -> bytes:
    """An empty 7z archive as 7-Zip writes one: its signature, version 0.4, then the start header (next header at
    offset 0, 0 bytes long, its CRC 0) and that header's CRC-32."""
    start = struct.pack("<QQI", 0, 0, 0)
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start


#: Files that are no text, each named by what only its bytes say: a 7z and a RAR 5 archive by their signatures, a
#: blob of bytes no encoding reads (and no signature).
_NOT_TEXT = {"7z": (_seven_zip(), "an unrecognised file (7z)"),
             "rar": (b"Rar!\x1a\x07\x01\x00" + bytes(range(256)) * 4, "an unrecognised file (rar)"),
             "blob": (bytes(range(256)) * 8, "an unrecognised file")}


def test_a_file_of_no_recognised_format_declared_as_text_is_told_it_is_not_what_it_says(tmp_path):
    """A 7z archive, a RAR archive or a binary blob declared as CSV, TSV or JSON was "not-parseable": "The file does
    not parse as CSV: 5 NUL byte(s), the first (line 1, column 7, byte 6)", about a table it never was (and a blob
    named .csv declared JSON was both a CSV of NUL bytes and a file of no recognised format). It is now told that
    the file is not what its declared format says, as the same file declared XLS was; its name changes nothing."""
    for kind, (data, label) in _NOT_TEXT.items():
        for declared in ("CSV", "TSV", "JSON"):
            for name in (f"data.{kind}", "data.csv", "data.json"):
                _fact, doc = _assess_file(tmp_path, name, data, declared)
                found = _by_type(doc)
                assert "not-parseable" not in found, (kind, declared, name, found["not-parseable"]["message"])
                mismatch = found["format-mismatch"]
                assert mismatch["evidence"] == {"declared": declared, "sniffed": label, "recognised": False}
                assert mismatch["fix"].startswith(f"The file is {label}, which does not match the declared format")
                assert "NUL" not in mismatch["message"] + mismatch["fix"] and doc["stars"] == 1
                assert _localised(mismatch, "zh")[1].startswith("文件是未知类型的文件")

    # a recognised format is that format, declared wrong; a CSV with stray NUL bytes, however short, is a CSV that
    # does not parse (the bytes taken for a blob are those no encoding reads once their NULs are out)
    book = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["区县", "人口"])
    workbook.save(book)
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    for data, label in ((png, "PNG"), (book.getvalue(), "Excel XLSX")):
        for declared in ("CSV", "TSV", "JSON"):
            found = _by_type(_assess_file(tmp_path, "data.csv", data, declared)[1])
            assert "not-parseable" not in found
            assert found["format-mismatch"]["fix"] == (f"Correct the declared format to {label} (or publish the "
                                                       "file the metadata promises).")
    for data in (b"a,b\n1,2\n3\x004\n5,6\n", b"\x00\x00a,b\n1,2\n", "区县,人口\n临江区,\x00\x00\n".encode("gbk"),
                 bytes(4096)):  # and a copy of nothing but NUL bytes: what it holds is said exactly
        found = _by_type(_assess_file(tmp_path, "nul.csv", data, "CSV")[1])
        assert "format-mismatch" not in found and "NUL byte" in found["not-parseable"]["message"], data


def test_an_archive_of_another_format_is_told_to_declare_the_archive(tmp_path):
    """A ZIP holding a workbook, or CSV files, declared as something else was told "Correct the declared format to
    ZIP of XLSX" (将声明的格式更正为 ZIP 压缩包中的 Excel XLSX): no format a publisher can pick. It is told to
    declare ZIP, the archive, naming what it holds; a GZIP of a CSV likewise."""
    book = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["区县", "人口"])
    workbook.save(book)
    zipped, tables = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("人口.xlsx", book.getvalue())
    with zipfile.ZipFile(tables, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", "区县,人口\n临江区,120000\n")
        archive.writestr("b.csv", "区县,人口\n江北区,80000\n")
    gzipped = gzip.compress("区县,人口\n临江区,120000\n".encode())
    for name, data, declared, archive, holds, holds_zh in (
            ("data.zip", zipped.getvalue(), "CSV", "ZIP", "Excel XLSX", "Excel XLSX"),
            ("data.zip", tables.getvalue(), "JSON", "ZIP", "CSV", "CSV"),
            ("data.csv.gz", gzipped, "XLSX", "GNU zip", "CSV", "CSV")):
        mismatch = _by_type(_assess_file(tmp_path, name, data, declared)[1])["format-mismatch"]
        assert mismatch["evidence"]["archive"] == ("GZIP" if archive == "GNU zip" else archive)
        assert mismatch["message"].endswith(f"but the file is {holds} in a {archive} archive.")  # not "ZIP of XLSX"
        assert mismatch["fix"] == (f"Correct the declared format to {archive}, the archive the file is (it holds "
                                   f"{holds}), or publish the file the metadata promises.")
        assert _localised(mismatch, "zh")[1] == (f"将声明的格式更正为 {archive}（文件是压缩包，其中为 {holds_zh}），"
                                                 "或发布元数据所承诺的文件。")
    kept = make_finding("format-mismatch", declared="CSV", sniffed="ZIP of XLSX", recognised=True)  # before `archive`
    assert kept.fix.startswith("Correct the declared format to ZIP, the archive the file is (it holds Excel XLSX)")
    for lang in ("en", "zh"):  # only an archive's member is said so: a publisher's words that hold " of " stay
        assert format_label("CSV of population", lang) == "CSV of population"
