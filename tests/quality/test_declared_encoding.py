"""A declared encoding is honoured when the bytes bear it out, and a wrong one is a finding.

Sources declare the encoding of their files: a Frictionless Data Package resource's `encoding`, the charset of the
HTTP answer (`Content-Type: text/csv; charset=gbk`). The platform used to detect every file's encoding and never read
either, so a short Korean price list declared EUC-KR was read as GBK (떡볶이 -> 侗汉捞) in every door, and a
publisher whose metadata said UTF-8 of a GBK file was never told. Precedence: the metadata's declaration, then the
HTTP charset (not the generic ISO-8859-1 many servers send of any text), then detection; a declaration is taken when
the bytes decode strictly under it and prove no other encoding (a BOM, valid UTF-8 with multi-byte sequences: a
legacy declaration of such bytes would garble them, and GBK/GB18030 decode much UTF-8 Chinese). Real bytes: the
phrases are written here as text and encoded here."""

from __future__ import annotations

import io

from plumbing.textencoding import decide_encoding, declarations, decodes, detect_encoding
from quality.assess import assess
from quality.findings import FINDING_TYPES
from quality.rules import encoding_declared
from quality.sniff import sniff_file

KOREAN_MENU = "떡볶이,값\n떡볶이,4000\n"  # tteokbokki, price: short EUC-KR, which reads as GBK as well (侗汉捞,蔼)
DISTRICTS = "区名,面积\n西城区,50.7\n东城区,41.8\n"
CITIES_UTF8 = "名称,人口\n北京,2189\n上海,2487\n".encode()  # cells of two characters: six bytes each


def _decide(data: bytes, encoding: str | None = None, content_type: str | None = None):
    return decide_encoding(data, declarations(encoding, content_type))


def test_what_the_detector_alone_reads_wrong_is_read_as_the_metadata_declares():
    data = KOREAN_MENU.encode("euc_kr")
    assert detect_encoding(data)[0] == "gbk"  # what the declaration is needed for
    decision = _decide(data, "EUC-KR")
    assert (decision.encoding, decision.by, decision.refused) == ("euc_kr", "metadata", ())
    assert data.decode(decision.encoding) == KOREAN_MENU


def test_a_gbk_file_declared_gbk_is_read_as_declared():
    decision = _decide(DISTRICTS.encode("gbk"), "gbk")
    assert (decision.encoding, decision.by, decision.refused) == ("gbk", "metadata", ())


def test_a_gbk_file_declared_utf8_is_read_as_detected_and_the_declaration_is_refused():
    decision = _decide(DISTRICTS.encode("gbk"), "UTF-8")
    assert (decision.encoding, decision.by) == ("gbk", "detected")
    assert [(r.declared, r.by) for r in decision.refused] == [("UTF-8", "metadata")]


def test_gb18030_decodes_utf8_chinese_but_a_gb18030_declaration_cannot_garble_valid_utf8():
    # the danger: the bytes decode strictly as GB18030 (and GBK) into other characters
    assert decodes(CITIES_UTF8, "gb18030", False) and decodes(CITIES_UTF8, "gbk", False)
    assert CITIES_UTF8.decode("gb18030") != CITIES_UTF8.decode("utf-8")
    decision = _decide(CITIES_UTF8, "gb18030")
    assert (decision.encoding, decision.by) == ("utf-8", "detected")
    assert [(r.declared, r.why) for r in decision.refused] == [("gb18030", "utf-8")]


def test_a_single_byte_declaration_that_any_bytes_satisfy_cannot_garble_chinese():
    data = DISTRICTS.encode("gbk")
    assert decodes(data, "latin-1", False)
    decision = _decide(data, "ISO-8859-1")
    assert decision.encoding == "gbk" and [r.why for r in decision.refused] == ["double-byte"]


def test_an_ascii_file_is_ascii_whatever_ascii_compatible_encoding_is_declared():
    decision = _decide(b"id,value\n1,2\n", "gbk")
    assert (decision.encoding, decision.refused) == ("ascii", ())
    assert [r.declared for r in _decide(b"id,value\n1,2\n", "utf-16").refused] == ["utf-16"]


def test_a_bom_says_what_the_file_is():
    data = "\ufeff".encode() + DISTRICTS.encode()
    assert _decide(data, "utf-8").encoding == "utf-8-sig" and not _decide(data, "utf-8").refused
    assert [r.why for r in _decide(data, "gbk").refused] == ["bom"]


def test_an_encoding_nobody_knows_is_refused():
    decision = _decide(DISTRICTS.encode("gbk"), "chinese-simplified-2000")
    assert decision.encoding == "gbk" and [r.why for r in decision.refused] == ["unknown"]


def test_the_http_charset_decides_when_the_metadata_declares_nothing():
    data = KOREAN_MENU.encode("euc_kr")
    decision = _decide(data, None, "text/csv; charset=EUC-KR")
    assert (decision.encoding, decision.by) == ("euc_kr", "http")


def test_the_generic_iso_8859_1_charset_declares_nothing():
    decision = _decide(DISTRICTS.encode("gbk"), None, "text/csv; charset=ISO-8859-1")
    assert (decision.encoding, decision.by, decision.refused) == ("gbk", "detected", ())


def test_the_metadata_goes_before_the_http_charset():
    data = KOREAN_MENU.encode("euc_kr")
    decision = _decide(data, "EUC-KR", 'text/csv; charset="gbk"')
    assert (decision.encoding, decision.by, decision.refused) == ("euc_kr", "metadata", ())
    wrong = _decide(DISTRICTS.encode("gbk"), "utf-8", "text/csv; charset=gb18030")
    assert (wrong.encoding, wrong.by) == ("gb18030", "http")
    assert [(r.declared, r.by) for r in wrong.refused] == [("utf-8", "metadata")]


def test_the_sniffer_honours_the_declaration_past_an_ascii_head():
    head = b"code,value\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(20_000))  # past the sniffer's window
    data = head + KOREAN_MENU.encode("euc_kr")
    found = sniff_file(io.BytesIO(data), data[:64 * 1024], filename="menu.csv", declared_encoding="EUC-KR")
    assert found.encoding == "euc_kr" and found.details.get("encoding_by") == "metadata"


def _record(encoding: str | None) -> dict:
    dist = {"id": "d1", "download_url": "http://example.org/menu.csv", "format": "CSV",
            "extras": {"datapackage": {"encoding": encoding}} if encoding else {}}
    return {"slug": "menu", "distributions": [dist]}


def _findings(data: bytes, encoding: str | None, content_type: str | None = "text/csv", tmp_path=None):
    import datetime as dt
    import hashlib

    from quality.assess import collect_facts
    from quality.fetch import CheckResult

    path = tmp_path / "copy.csv"
    path.write_bytes(data)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    check = CheckResult(url="http://example.org/menu.csv", status="ok", checked_at=now, http_status=200,
                        media_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        path=str(path))
    record = _record(encoding)
    facts = collect_facts(record, {"d1": check}, cache_dir=tmp_path / "archive")
    doc = assess(record, facts, now=now)
    return doc, [f for f in doc["findings"] if f["type"].startswith("encoding-")]


def test_a_wrong_declaration_is_a_finding_in_english_and_chinese(tmp_path):
    doc, found = _findings(DISTRICTS.encode("gbk"), "UTF-8", tmp_path=tmp_path)
    assert doc["distributions"][0]["encoding"] == "gbk"
    wrong = [f for f in found if f["type"] == "encoding-declared-wrong"]
    assert len(wrong) == 1 and wrong[0]["evidence"]["declared_encoding"] == "UTF-8"
    assert wrong[0]["evidence"]["encoding"] == "gbk" and wrong[0]["distribution"] == "d1"
    assert "UTF-8" in wrong[0]["message"] and "GBK" in wrong[0]["message"]
    ftype = FINDING_TYPES["encoding-declared-wrong"]
    assert "UTF-8" in ftype.message("zh", wrong[0]["evidence"]) and "声明" in ftype.message("zh", wrong[0]["evidence"])
    assert "GBK" in ftype.fix("zh", wrong[0]["evidence"])


def test_a_right_declaration_is_no_finding_and_decides_the_reading(tmp_path):
    doc, found = _findings(KOREAN_MENU.encode("euc_kr"), "EUC-KR", tmp_path=tmp_path)
    assert doc["distributions"][0]["encoding"] == "euc_kr"
    assert [f["type"] for f in found] == ["encoding-not-utf8"]


def test_a_wrong_http_charset_is_a_finding_of_its_own(tmp_path):
    _, found = _findings(DISTRICTS.encode("gbk"), None, "text/csv; charset=utf-8", tmp_path=tmp_path)
    wrong = [f for f in found if f["type"] == "encoding-header-wrong"]
    assert len(wrong) == 1 and wrong[0]["evidence"]["declared_encoding"] == "utf-8"
    assert "charset=utf-8" in wrong[0]["message"]


def test_the_rule_reads_only_what_the_sniffer_recorded():
    from quality.sniff.model import Sniffed

    assert encoding_declared.check(Sniffed("CSV", encoding="gbk"), "d1") == []
    assert encoding_declared.check(None, "d1") == []
