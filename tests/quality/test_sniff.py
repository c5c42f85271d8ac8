"""quality.sniff: the real format and encoding from the bytes, on generated files and real messy ones."""

from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
from odf.table import Table, TableCell, TableRow
from odf.text import P

from quality.sniff import HEAD_BYTES, Sniffed, detect_encoding, sniff
from tests.support.archives import deflated_zip_bomb

MESSY = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "messy"


# --- builders for binary containers -----------------------------------------------------------


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _ods() -> bytes:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="Population")
    for values in (("district", "people"), ("Hill", "1200")):
        tr = TableRow()
        for v in values:
            cell = TableCell()
            cell.addElement(P(text=v))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _odt() -> bytes:
    doc = OpenDocumentText()
    doc.text.addElement(P(text="Annual report of the statistics office"))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _docx() -> bytes:
    """A minimal WordprocessingML package, as Word writes it: [Content_Types].xml names the main part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>'))
        z.writestr("word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/"
                                        "2006/main'><w:body/></w:document>")
    return out.getvalue()


def _ole(streams: dict[str, bytes]) -> bytes:
    """A compound file ([MS-CFB] version 3) holding `streams`, each padded past the mini-stream cutoff."""
    sector = 512
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = list(streams)
    dir_sectors = (len(names) + 1 + 3) // 4
    fat = [fatsect] + [i + 2 if i + 1 < dir_sectors else end for i in range(dir_sectors)]
    body = b""
    starts = []
    for name in names:
        data = streams[name].ljust(4096, b"\x00")
        data += b"\x00" * (-len(data) % sector)
        count = len(data) // sector
        first = len(fat)
        starts.append((first, len(streams[name]) if len(streams[name]) >= 4096 else 4096))
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        body += data
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", free, right,
                child) + b"\x00" * 36 + struct.pack("<III", start, size, 0))

    entries = [entry("Root Entry", 5, end, 0, 1 if names else free, free)]
    for i, (name, (start, size)) in enumerate(zip(names, starts, strict=True)):
        entries.append(entry(name, 2, start, size, free, i + 2 if i + 1 < len(names) else free))
    directory = b"".join(entries).ljust(dir_sectors * sector, b"\x00")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\x00" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", 0, *([free] * 108)))
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + body


def _biff(encrypted: bool) -> bytes:
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HH", 0x002F, 6) + b"\x00\x00\x01\x00\x01\x00" if encrypted else b""
    codepage = struct.pack("<HHH", 0x0042, 2, 1200)
    return bof + filepass + codepage + struct.pack("<HH", 0x000A, 0)


def _fib(encrypted: bool) -> bytes:
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0, 0, 0x0100 if encrypted else 0) + b"\x00" * 100


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


# --- text formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "fmt", "delimiter"), [
    (b"district,people,area\nHill,1200,3.5\nVale,800,2.1\n", "CSV", ","),
    (b"district;people;area\nHill;1200;3,5\nVale;800;2,1\n", "CSV", ";"),
    (b"district\tpeople\tarea\nHill\t1200\t3.5\nVale\t800\t2.1\n", "TSV", "\t"),
    (b"district|people|area\nHill|1200|3.5\nVale|800|2.1\n", "PSV", "|"),
])
def test_delimited_tables_and_their_dialect(data, fmt, delimiter):
    found = sniff(data)
    assert (found.format, found.details["delimiter"], found.details["columns"]) == (fmt, delimiter, 3)
    assert found.encoding == "ascii"


def test_quoted_csv_with_embedded_delimiters_and_newlines():
    data = b'id,name,note\n1,"Smith, John","line one\nline two"\n2,"Lee, Ann",ok\n'
    found = sniff(data)
    assert found.format == "CSV"
    assert found.details["quotechar"] == '"'
    assert found.details["columns"] == 3


def test_prose_is_text_not_a_table():
    prose = (b"This dataset lists schools.\nIt was compiled, checked and published by the office.\n"
             b"Questions go to the data team.\nThank you for reading this file.\n")
    assert sniff(prose).format == "TXT"


def test_one_column_file_named_csv_is_csv():
    assert sniff(b"name\nalice\nbob\n", filename="names.csv").format == "CSV"
    assert sniff(b"name\nalice\nbob\n", filename="names.txt").format == "TXT"


def test_json_array_object_geojson_jsonld_and_lines():
    array = sniff(json.dumps([{"a": 1}, {"a": 2}]).encode())
    assert (array.format, array.details["json_top"], array.details["items"]) == ("JSON", "array", 2)
    obj = sniff(json.dumps({"result": {"count": 3}}).encode())
    assert (obj.format, obj.details["json_top"]) == ("JSON", "object")
    geo = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}, "properties": {}}]}
    assert sniff(json.dumps(geo).encode()).format == "GEOJSON"
    ld = {"@context": {"name": "http://schema.org/name"}, "@id": "http://data.example.gov/school/1", "name": "Hill"}
    assert sniff(json.dumps(ld).encode()).format == "JSON_LD"
    lines = sniff(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    assert (lines.format, lines.details["json_top"]) == ("JSON", "lines")


def test_json_nested_100000_deep_is_reported_not_crashed():
    found = sniff(b"[" * 100_000 + b"]" * 100_000)
    assert found.format == "JSON"
    assert found.details["too_deep"] is True


def test_large_json_judged_from_its_head():
    big = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [i, i]}, "properties": {"n": i}}
        for i in range(60_000)]}).encode()
    assert len(big) > 4 * 1024 * 1024
    found = sniff(big)
    assert found.format == "GEOJSON"
    assert found.details["head_only"] == HEAD_BYTES


@pytest.mark.parametrize(("data", "fmt", "root"), [
    (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
     b'<rdf:Description rdf:about="http://a.example/1"/></rdf:RDF>', "RDF_XML",
     "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"),
    (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
     "ATOM", "{http://www.w3.org/2005/Atom}feed"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>', "RSS", "rss"),
    (b'<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms"><Service/></WMS_Capabilities>', "WMS",
     "{http://www.opengis.net/wms}WMS_Capabilities"),
    (b'<WMT_MS_Capabilities version="1.1.1"><Service/></WMT_MS_Capabilities>', "WMS", "WMT_MS_Capabilities"),
    (b'<wfs:WFS_Capabilities xmlns:wfs="http://www.opengis.net/wfs/2.0" version="2.0.0"/>', "WFS",
     "{http://www.opengis.net/wfs/2.0}WFS_Capabilities"),
    (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>', "KML", "{http://www.opengis.net/kml/2.2}kml"),
    (b'<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2"/>', "GML",
     "{http://www.opengis.net/gml/3.2}FeatureCollection"),
    (b'<?xml version="1.0"?>\n<!-- export -->\n<schools><school id="1"/></schools>', "XML", "schools"),
])
def test_xml_and_its_kinds_by_root_element(data, fmt, root):
    found = sniff(data)
    assert (found.format, found.details["xml_root"]) == (fmt, root)


def test_xml_in_gbk_declared_in_its_prolog():
    data = '<?xml version="1.0" encoding="GBK"?><数据><行>北京市</行></数据>'.encode("gbk")
    found = sniff(data)
    assert (found.format, found.encoding, found.details["xml_root"]) == ("XML", "gbk", "数据")


def test_xml_declared_legacy_encoding_is_believed_when_the_bytes_agree():
    data = '<?xml version="1.0" encoding="Big5"?><資料><列>臺北市</列></資料>'.encode("big5")
    found = sniff(data)
    assert (found.format, found.encoding, found.details["xml_root"]) == ("XML", "big5", "資料")
    lying = '<?xml version="1.0" encoding="Big5"?><数据>北京市</数据>'.encode()
    assert sniff(lying).encoding == "utf-8"  # valid UTF-8 outranks a label


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
])
def test_xml_bombs_and_external_entities_are_refused_but_still_named(data):
    found = sniff(data)
    assert found.format == "XML"
    assert found.details["xml_unsafe"] == "EntitiesForbidden"


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>",
    b"\n\n  <html>\n<body>Service unavailable</body></html>",
    b"<!-- nginx -->\n<HEAD><TITLE>Moved</TITLE></HEAD>",
    b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml"><head/><body/></html>',
    b"Warning: mysql_connect() failed\n<!DOCTYPE html>\n<html><body>error</body></html>",
])
def test_html_at_a_csv_name_is_html(data):
    found = sniff(data, filename="population.csv", declared_media_type="text/csv")
    assert found.format == "HTML"
    assert found.media_type == "text/html"


def test_rdf_text_syntaxes():
    turtle = b"@prefix ex: <http://data.example.gov/id/> .\nex:s1 ex:name \"Hill\" .\n"
    assert sniff(turtle).format == "TURTLE"
    assert sniff(turtle, filename="schools.n3").format == "N3"
    sparql_style = b"PREFIX ex: <http://data.example.gov/id/>\nex:s1 ex:name \"Hill\" .\n"
    assert sniff(sparql_style).format == "TURTLE"
    ntriples = (b'<http://data.example.gov/id/s1> <http://schema.org/name> "Hill"@en .\n'
                b"<http://data.example.gov/id/s1> <http://schema.org/location> _:b0 .\n"
                b'_:b0 <http://schema.org/postalCode> "100000"^^<http://www.w3.org/2001/XMLSchema#string> .\n')
    assert sniff(ntriples).format == "NTRIPLES"
    bare = b"<http://data.example.gov/id/s1> a <http://schema.org/School> ;\n    <http://schema.org/name> \"Hill\" .\n"
    assert sniff(bare).format == "TURTLE"


def test_real_turtle_and_rdfxml_catalogs(fixtures_dir):
    dcat = fixtures_dir / "real" / "dcat"
    assert sniff((dcat / "gob_es_dataset.ttl").read_bytes()).format == "TURTLE"
    bremen = sniff((dcat / "bremen_catalog.rdf").read_bytes())
    assert bremen.format == "RDF_XML"
    assert bremen.encoding == "utf-8"


# --- encodings --------------------------------------------------------------------------------


def test_boms_and_utf16():
    table = "地区,人口\n北京市,2185\n"
    assert detect_encoding(table.encode("utf-8-sig")) == ("utf-8-sig", 1.0)
    assert detect_encoding(table.encode("utf-16"))[0] == "utf-16"
    assert detect_encoding(table.encode("utf-16-le"))[0] == "utf-16-le"
    assert detect_encoding(table.encode("utf-16-be"))[0] == "utf-16-be"
    found = sniff(table.encode("utf-16"))
    assert (found.format, found.encoding) == ("CSV", "utf-16")


def test_utf8_ascii_and_a_late_accent():
    assert detect_encoding(b"a,b\n1,2\n") == ("ascii", 1.0)
    assert detect_encoding("Zürich,Genève\n".encode())[0] == "utf-8"
    late = b"city,n\n" + b"Bern,1\n" * 20_000 + "Zürich,2\n".encode("cp1252")
    assert len(late) > HEAD_BYTES
    assert detect_encoding(late)[0] == "latin-1"


@pytest.mark.parametrize(("text", "codec", "expected"), [
    ("北京市", "gbk", "gbk"),
    ("地区生产总值", "gbk", "gbk"),
    ("北京市,天津市\n1,2\n", "gbk", "gbk"),
    ("数据库：分省年度数据\n指标：地区生产总值(亿元)\n", "gbk", "gbk"),
    ("中華民國", "big5", "big5"),
    ("北京市,天津市\n1,2\n", "big5", "big5"),
    ("臺灣省政府資料開放平臺,人口統計\n", "big5", "big5"),
    # Big5 whose trail bytes are ASCII (北 A5 5F, 鄉 B6 6D): its lone high bytes read as ISO-8859-2 letters (ś, ľ, ť)
    ("區域,數值\n北市計臺,31755\n計年市新,47956\n合女區臺計度,11049\n", "big5", "big5"),
    ("𠀀中文", "gb18030", "gb18030"),
    # charset-normalizer calls these Korean (cp949: 地区 -> 뒈혐) and Japanese (euc_jis_2004: 姓名 -> 侖兆)
    ("地区,人口\n" + "".join(f"区{i},{1000 + i}\n" for i in range(12)), "gbk", "gbk"),
    ("姓名,身份证号,手机号\n" + "".join(f"李{i},110105194912310{i:03d},1390000{i:04d}\n" for i in range(12)),
     "gbk", "gbk"),
    ("单位,金额\n财政局,100\n教育局,200\n", "gbk", "gbk"),
])
def test_short_chinese_text_is_named_right(text, codec, expected):
    assert detect_encoding(text.encode(codec))[0] == expected


def test_long_gbk_table_cut_mid_character_at_the_head():
    rows = "".join(f"{i},北京市朝阳区{i},{i * 3.5:.1f}\n" for i in range(9000))
    data = ("编号,地区,数值\n" + rows).encode("gbk")
    assert len(data) > 3 * HEAD_BYTES
    found = sniff(data)
    assert (found.format, found.encoding, found.details["columns"]) == ("CSV", "gbk", 3)
    assert found.details["head_only"] == HEAD_BYTES


@pytest.mark.parametrize(("codec", "family"), [
    ("cp1251", "cyrillic"), ("koi8_r", "cyrillic"), ("euc_kr", "korean"), ("shift_jis", "japanese"),
    ("euc_jp", "japanese"), ("euc_kr", "korean-short"),
])
def test_other_double_byte_and_cyrillic_text_is_not_called_chinese(codec, family):
    text = {
        "cyrillic": "Население по районам, данные за 2023 год.\nРайон,Население\nАрбат,35000\nБасманный,110000\n",
        "korean": "서울특별시 자치구별 인구 통계입니다.\n구,인구\n강남구,540000\n종로구,150000\n",
        "japanese": "東京都の区別人口データです。\n区,人口\n千代田区,67000\n新宿区,349000\n",
        "korean-short": "이름,나이,주소\n김철수,30,서울\n이영희,25,부산\n",
    }[family] * 20
    encoding, _ = detect_encoding(text.encode(codec))
    assert encoding not in ("gbk", "gb18030", "big5")
    assert text.encode(codec).decode(encoding) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("Café crème, naïve façade", "latin-1"),
    ("Straße,Größe\nMünchen,groß\n", "latin-1"),
    ("Price: 5€ – “quoted” …", "cp1252"),
])
def test_western_text_is_latin1_or_cp1252(text, expected):
    assert detect_encoding(text.encode("cp1252"))[0] == expected


def test_binary_has_no_encoding():
    assert detect_encoding(bytes(range(256)) * 8) == (None, 0.0)
    assert detect_encoding(b"") == (None, 0.0)


# --- real messy files -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "word"), [("nbs_gdp_20y_gbk.csv", "北京市"), ("nbs_gdp_by_province_gbk.csv", "地区")])
def test_nbs_gbk_csvs(name, word):
    data = (MESSY / name).read_bytes()
    found = sniff(data, filename=name)
    assert found.format == "CSV"
    assert found.encoding in ("gbk", "gb18030")
    assert found.details["delimiter"] == ","
    assert found.details["header_row"] == 3  # three notes rows above the header
    assert word in data.decode(found.encoding)


@pytest.mark.parametrize(("name", "word", "delimiter"), [
    ("messytables_spanish_chars.csv", "Descripción", ","),
    ("messytables_sparse_with_column_errors.csv", "Trägerorganisationen", ","),
])
def test_messytables_western_files_decode_right(name, word, delimiter):
    data = (MESSY / name).read_bytes()
    found = sniff(data, filename=name)
    assert found.format == "CSV"
    assert found.encoding in ("cp1252", "latin-1")
    assert found.details["delimiter"] == delimiter
    assert word in data.decode(found.encoding)


def test_messytables_semicolon_file_with_padding_above():
    data = (MESSY / "messytables_weird_head_padding.csv").read_bytes()
    found = sniff(data, filename="weird_head_padding.csv")
    assert (found.format, found.encoding, found.details["delimiter"]) == ("CSV", "utf-8", ";")
    assert "Ärztinnen" in data.decode(found.encoding)


def test_messytables_cr_line_endings():
    found = sniff((MESSY / "messytables_mixedGLB.csv").read_bytes())
    assert (found.format, found.details["line_terminator"], found.details["columns"]) == ("CSV", "\r", 19)


def test_messytables_spreadsheets():
    encrypted = sniff((MESSY / "messytables_encrypted_no_password.xls").read_bytes())
    assert (encrypted.format, encrypted.details.get("encrypted")) == ("XLS", True)
    plain = sniff((MESSY / "messytables_simple.xls").read_bytes())
    assert plain.format == "XLS"
    assert "encrypted" not in plain.details
    ods = sniff((MESSY / "messytables_simple.ods").read_bytes())
    assert (ods.format, ods.media_type) == ("ODS", "application/vnd.oasis.opendocument.spreadsheet")
    xlsm = sniff((MESSY / "messytables_bian-anal-mca-2005-dols-eng-1011-0312-tab3.xlsm").read_bytes())
    assert (xlsm.format, xlsm.details.get("macro_enabled")) == ("XLSX", True)


def test_truncated_compound_files():
    # the real file keeps its directory in sector 9: cut before it, the kind is unknowable
    data = (MESSY / "messytables_encrypted_no_password.xls").read_bytes()
    head = sniff(data[:1536])
    assert (head.format, head.details["truncated"]) == (None, True)
    # with the directory present but the stream cut off, the stream names still tell XLS
    cut = sniff(_ole({"Workbook": _biff(True) * 400})[:2100])
    assert (cut.format, cut.details["truncated"]) == ("XLS", True)


# --- binary formats and containers ------------------------------------------------------------


def test_xlsx_named_csv_is_xlsx():
    found = sniff(_xlsx([["district", "people"], ["Hill", 1200]]), filename="people.csv",
                  declared_media_type="text/csv")
    assert found.format == "XLSX"
    assert found.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_office_zip_containers_told_apart():
    assert sniff(_ods()).format == "ODS"
    assert sniff(_odt()).format == "ODT"
    assert sniff(_docx()).format == "DOCX"


def test_ole2_xls_and_doc_with_encryption_flags():
    assert sniff(_ole({"Workbook": _biff(False)})).format == "XLS"
    found = sniff(_ole({"Workbook": _biff(True)}))
    assert (found.format, found.details.get("encrypted")) == ("XLS", True)
    doc = sniff(_ole({"WordDocument": _fib(False), "1Table": b"\x00" * 10}))
    assert doc.format == "DOC"
    assert "encrypted" not in doc.details
    assert sniff(_ole({"WordDocument": _fib(True)})).details.get("encrypted") is True
    enc = sniff(_ole({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x01" * 100}), filename="budget.xlsx")
    assert (enc.format, enc.details.get("encrypted")) == ("XLSX", True)


def test_pdf_images_and_gzip():
    pdf = sniff(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    assert (pdf.format, pdf.details["version"], pdf.details["truncated"]) == ("PDF", "1.7", False)
    assert sniff(b"%PDF-1.4\n1 0 obj\n<<").details["truncated"] is True
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).format == "PNG"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").format == "JPEG"
    assert sniff(b"GIF89a\x01\x00\x01\x00").format == "GIF"
    assert sniff(b"II*\x00\x08\x00\x00\x00").format == "TIFF"
    gz = sniff(gzip.compress(b"district,people\nHill,1200\nVale,800\n"), filename="people.csv.gz")
    assert (gz.format, gz.inner_name, gz.effective.format) == ("GZIP", "people.csv", "CSV")


def test_zip_holding_a_csv_is_a_zip_with_the_csv_inside():
    found = sniff(_zip({"data/people.csv": b"district,people\nHill,1200\nVale,800\n", "README.txt": b"Read me."}))
    assert found.format == "ZIP"
    assert found.inner_name == "data/people.csv"
    inner = found.details["inner"]
    assert isinstance(inner, Sniffed)
    assert (inner.format, inner.details["delimiter"]) == ("CSV", ",")
    assert {m["name"] for m in found.details["members"]} == {"data/people.csv", "README.txt"}
    assert found.to_dict()["details"]["inner"]["format"] == "CSV"


def test_zip_member_choice_prefers_the_most_open_data():
    found = sniff(_zip({"report.pdf": b"%PDF-1.4\n%%EOF", "table.xlsx": _xlsx([["a"], [1]]),
                        "table.ttl": b"@prefix ex: <http://x.example/> .\nex:a ex:b ex:c .\n"}))
    assert found.effective.format == "TURTLE"


def test_zip_without_central_directory_is_read_from_local_headers():
    whole = _zip({"people.csv": b"district,people\nHill,1200\nVale,800\n" * 50})
    found = sniff(whole[: len(whole) - 60])
    assert (found.format, found.details["truncated"], found.effective.format) == ("ZIP", True, "CSV")
    office = sniff(_xlsx([["a", "b"]])[:2500])
    assert office.format == "XLSX"


def test_nested_zip_is_opened_once_more():
    inner = _zip({"people.csv": b"district,people\nHill,1200\n"})
    found = sniff(_zip({"inner.zip": inner}))
    assert found.effective.format == "CSV"


def test_zip_bomb_is_reported_and_not_unpacked():
    bomb = deflated_zip_bomb()
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:  # the bomb is a real ZIP that inflates to 1 GiB
        info = z.infolist()[0]
        assert info.file_size == 1 << 30
        with z.open(info) as fh:
            assert fh.read(4096) == bytes(4096)
    found = sniff(bomb, filename="bomb.zip")
    assert found.format == "ZIP"
    assert found.details["bomb"]["member"] == "zeros.csv"
    assert found.details["bomb"]["uncompressed"] == 1 << 30
    assert found.details["bomb"]["ratio"] >= 100
    assert "inner" not in found.details


def test_archive_claiming_too_much_in_total_is_a_bomb():
    # 130 members of 64 MiB zeros each: every one under the per-member threshold, 8.1 GiB together
    data = deflated_zip_bomb(size=64 << 20, names=[f"part{i:03}.csv" for i in range(130)])
    found = sniff(data)
    assert found.details["member_count"] == 130
    assert found.details["bomb"]["member"] == "(all 130 members)"
    assert found.details["bomb"]["uncompressed"] == 130 * (64 << 20)
    small = sniff(_zip({f"p{i}.csv": b"a,b\n1,2\n" for i in range(3)}))
    assert "bomb" not in small.details


def test_gzip_bomb_header_is_reported():
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = comp.compress(bytes(1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    # 200 MiB of zeros: a valid stream head and a trailer whose ISIZE says so
    data = block * 200 + zlib.compressobj(9, zlib.DEFLATED, -15).flush() + struct.pack("<II", 0, 200 << 20)
    found = sniff(data)
    assert found.format == "GZIP"
    assert found.details["bomb"]["uncompressed"] == 200 << 20


def test_unknown_binary_and_empty_input():
    assert sniff(b"").details == {"empty": True}
    found = sniff(bytes(range(256)) * 4)
    assert found.format is None
    assert found.details["binary"] is True
    assert sniff(b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 30).details["container"] == "7z"


# --- robustness -------------------------------------------------------------------------------

_MAGICS = [b"", b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x1f\x8b\x08", b"%PDF-1.",
           b"<?xml version='1.0'?><", b"{", b"[", b"@prefix ", b"<http://a.example/>", b"\xef\xbb\xbf", b"\xff\xfe"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_MAGICS), st.binary(max_size=1500), st.sampled_from([None, "x.csv", "x.xlsx", "x.n3"]))
def test_sniff_never_raises(prefix, tail, filename):
    found = sniff(prefix + tail, filename=filename)
    assert isinstance(found, Sniffed)
    assert "sniff_error" not in found.details
    assert 0.0 <= found.confidence <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=520, max_size=3000))
def test_sniff_never_raises_on_mangled_containers(noise):
    for base in (_ole({"Workbook": _biff(True)}), _zip({"a.csv": b"a,b\n1,2\n"}), _xlsx([["a"]])):
        cut = len(noise) % len(base)
        mangled = base[:cut] + noise + base[cut + len(noise):]
        found = sniff(mangled)
        assert "sniff_error" not in found.details
