"""Stars only for what parses: the not-parseable rule finds where reading failed, and caps the stars at one."""

from __future__ import annotations

import datetime as dt
import re

from catalog_schema.record import new_distribution, new_record
from quality import assess
from quality.fetch import CheckResult
from quality.findings import FINDING_TYPES
from quality.openness import Evidence, distribution_stars
from quality.rules import not_parseable
from quality.sniff import sniff

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _check(data: bytes, name: str, declared: str | None = None):
    return not_parseable.check(data, sniff(data, filename=name), declared, name)


def test_json_cut_off_says_where():
    data = b'[{"a": 1},\n {"a": 2}, {"a": "thr'
    found = _check(data, "rows.json")
    assert found["format"] == "JSON"
    assert (found["line"], found["column"], found["byte"]) == (2, 18, 28)
    assert found["where"] == "line 2, column 18, byte 28"
    assert "Unterminated string" in found["problem"]


def test_json_that_ends_early_says_so():
    found = _check(b'{"a": [1, 2, ', "x.json")
    assert found["problem"].startswith("the document ends early")
    assert found["byte"] == 13


def test_whole_json_parses():
    assert _check(b'{"a": [1, 2, {"b": null}]}', "x.json") is None
    assert _check(b'\xef\xbb\xbf[1, 2]', "x.json") is None


def test_bom_is_counted_in_the_byte_offset():
    found = _check(b'\xef\xbb\xbf[1, 2', "x.json")
    assert found["byte"] == 8 and found["line"] == 1 and found["column"] == 9


def test_json_deeper_than_the_parser_takes():
    data = b'{"rows": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    found = _check(data, "deep.json")
    assert "deeper than the parser takes" in found["problem"]
    assert found["byte"] == 9 + not_parseable.MAX_JSON_DEPTH - 1  # the opening bracket one level too deep


def test_json_lines_with_one_bad_line():
    lines = [b'{"i": %d}' % i for i in range(30)]
    lines[25] = b'{"i": '
    found = _check(b"\n".join(lines), "events.json")
    assert found["line"] == 26


def test_a_csv_with_nul_bytes():
    data = b"a,b\n" + b"1,2\n" * 3000 + b"3,\x00\x00\n"
    assert sniff(data, filename="x.csv").format == "CSV"
    found = _check(data, "x.csv")
    assert found["format"] == "CSV" and found["line"] == 3002 and found["column"] == 3
    assert found["problem"].startswith("2 NUL byte(s)")
    from quality.findings import FINDING_TYPES

    zh = FINDING_TYPES["not-parseable"].message("zh", found)  # "...：2 NUL byte(s), the first。" before
    assert "有 2 个 NUL 字节" in zh and "byte(s)" not in zh
    assert "first error" not in FINDING_TYPES["not-parseable"].message("zh", {"format": "JSON", "problem": "x"})


def test_utf16_text_is_not_taken_for_nul_bytes():
    data = "a,b\n1,2\n".encode("utf-16")
    assert _check(data, "x.csv") is None


def test_clean_csv_and_other_formats_are_not_judged():
    assert _check(b"a,b\n1,2\n", "x.csv") is None
    assert _check(b"%PDF-1.4 ...", "x.pdf") is None
    assert not_parseable.meant_format(b"hello", None, None, "x.txt") is None


def test_a_broken_json_file_sniffed_as_csv_is_meant_to_be_json():
    data = b'{"title": "a", "rows": [1, 2'
    assert not_parseable.meant_format(data, sniff(data, filename="x.csv"), "JSON", None) == "JSON"


def test_rdf_failure_reads_the_line_from_the_parser():
    found = not_parseable.rdf_failure(b"x", "TURTLE", ValueError("BadSyntax: at line 4 of <>: bad"))
    assert found["line"] == 4 and found["where"] == "line 4"
    found = not_parseable.rdf_failure(b"<x/>\n<!ENTITY a SYSTEM 'f'>", "RDF_XML", ValueError("entities; refused"))
    assert found["byte"] == 5 and found["line"] == 2
    assert not_parseable.rdf_failure(b"", "N3", ValueError("odd"))["where"].startswith("position not")


def test_a_parse_error_caps_the_stars_at_one():
    data = b'{"a": [1, 2'
    sniffed = sniff(data, filename="x.json")
    ev = Evidence(url="http://x/x.json", reachable=True, http_status=200, error=None, declared_format="JSON",
                  sniffed=sniffed, licence_id="CC-BY-4.0")
    assert distribution_stars(ev).stars >= 3 or sniffed.format != "JSON"
    ev.parse_error = _check(data, "x.json")
    result = distribution_stars(ev)
    assert result.stars == 1
    assert [f.type for f in result.findings][:1] == ["not-parseable"]
    assert "does not parse as JSON" in result.reasons[0]
    zh = result.findings[0].localised("zh")[0]
    assert "第 1 行" in zh


def _assess_file(tmp_path, name: str, data: bytes, fmt: str | None):
    path = tmp_path / name
    path.write_bytes(data)
    record = new_record(title={"": name}, license="CC-BY-4.0",
                        distributions=[new_distribution(id="f", download_url=f"http://x/{name}", format=fmt)])
    check = CheckResult(url=f"http://x/{name}", status="ok", checked_at=NOW, http_status=200, path=str(path),
                        size=len(data))
    facts = assess.collect_facts(record, {"f": check})
    return facts["f"], assess.assess(record, facts, now=NOW, dcat_violations=[])


def test_a_truncated_json_file_is_not_profiled_as_a_csv(tmp_path):
    fact, doc = _assess_file(tmp_path, "rows.json", b'[{"a": 1, "b": 2}, {"a": 3, "b"', "JSON")
    assert fact.parse_error is not None and fact.profile is None
    assert doc["stars"] == 1 and doc["data"]["tables"] == 0
    assert "not-parseable" in {f["type"] for f in doc["findings"]}


def test_turtle_with_a_syntax_error(tmp_path):
    data = b'@prefix ex: <http://example.org/> .\nex:a ex:b "open string ;\nex:c ex:d ex:e .\n'
    fact, doc = _assess_file(tmp_path, "x.ttl", data, "TURTLE")
    assert doc["distributions"][0]["detected_format"] == "TURTLE"
    assert doc["stars"] == 1
    unparsed = [f for f in doc["findings"] if f["type"] == "not-parseable"]
    assert unparsed and unparsed[0]["evidence"]["line"] == 2


def test_good_turtle_keeps_its_stars(tmp_path):
    data = b'@prefix ex: <http://example.org/> .\nex:a ex:b <http://other.example.net/c> .\n'
    fact, doc = _assess_file(tmp_path, "x.ttl", data, "TURTLE")
    assert fact.parse_error is None and doc["stars"] == 5


def test_why_a_file_does_not_parse_is_said_in_chinese(tmp_path):
    """The Chinese finding carried the parser's English as it was: "文件无法按 JSON 格式解析（第 1 行第 21 列，第 20
    字节）：Expecting ',' delimiter。" on the dataset page, the publish page's check and the quality API. The English
    keeps the parser's words; Chinese says them, and a message no pattern knows is a syntax error at that place."""
    said = {}
    for name, data, fmt in (("a.json", b'[{"a": 1, "b": 2} {"a": 3}]', "JSON"),
                            ("b.json", b'{"a": [1, 2, ', "JSON"),
                            ("c.ttl", b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;; ex:d .\n", "TURTLE")):
        _fact, doc = _assess_file(tmp_path, name, data, fmt)
        (found,) = [f for f in doc["findings"] if f["type"] == "not-parseable"]
        said[name] = FINDING_TYPES["not-parseable"].message("zh", found["evidence"]), found["message"]
    assert said["a.json"] == ("文件无法按 JSON 格式解析（第 1 行第 19 列，第 18 字节）：此处缺少逗号分隔符。",
                              "The file does not parse as JSON: Expecting ',' delimiter (line 1, column 19, byte 18).")
    assert said["b.json"][0].endswith("：文件提前结束，内容不完整。")
    assert said["c.ttl"][0].startswith("文件无法按 Turtle 格式解析（第 2 行") and said["c.ttl"][0].endswith(
        "：不符合 Turtle 语法。")
    for zh, _en in said.values():
        assert not re.search(r"[A-Za-z]{3,}", zh.replace("JSON", "").replace("Turtle", "")), zh
