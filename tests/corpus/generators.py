"""Hostile inputs too large (or too binary) to commit: built at run time, by the name the manifest gives.

Each generator returns the bytes of one input. They are deterministic and take well under a
second each; the biggest (the ZIP bomb) is a few hundred kilobytes that claim gigabytes.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from functools import lru_cache

GENERATORS: dict[str, Callable[[], bytes]] = {}


def generator(fn: Callable[[], bytes]) -> Callable[[], bytes]:
    GENERATORS[fn.__name__] = fn
    return fn


def generate(name: str) -> bytes:
    if name not in GENERATORS:
        raise KeyError(f"no generator {name!r} (known: {', '.join(sorted(GENERATORS))})")
    return GENERATORS[name]()


# --------------------------------------------------------------------------- JSON


@generator
def deep_json() -> bytes:
    """A JSON array nested 100,000 deep: Python's parser recurses and blows its stack."""
    return b"[" * 100_000 + b"]" * 100_000


@generator
def deep_json_object() -> bytes:
    """{"a": {"a": ... }} 100,000 deep, where a data.json or CKAN answer has an object."""
    return b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@generator
def deep_datajson() -> bytes:
    """A data.json whose first dataset's title is nested 100,000 deep."""
    return b'{"dataset": [{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"


@generator
def ckan_deep_answer() -> bytes:
    """A CKAN package_search answer nested 100,000 deep inside result."""
    return b'{"success": true, "result": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@generator
def json_rows_deep() -> bytes:
    """A JSON distribution (array of rows) whose second row nests 100,000 deep."""
    return b'[{"a": 1}, {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"


@generator
def json_cut_midway() -> bytes:
    """A 20,000-record JSON array (over 1 MB, beyond the sniffer's head) cut off in the middle of a record."""
    rows = b",".join(b'{"id": %d, "name": "stop %d", "lat": 51.5, "lon": -0.12}' % (i, i) for i in range(20_000))
    whole = b"[" + rows + b"]"
    return whole[:len(whole) // 2]


@generator
def ndjson_bad_line() -> bytes:
    """Newline-delimited JSON whose 40th line is cut short (the sniffer looks at the first 20)."""
    lines = [b'{"id": %d, "value": %d}' % (i, i * 3) for i in range(60)]
    lines[39] = lines[39][:9]
    return b"\n".join(lines) + b"\n"


# --------------------------------------------------------------------------- CSV


@generator
def csv_nul_cells() -> bytes:
    """A CSV that sniffs as CSV (5,000 clean rows, beyond the sniffer's head) then rows of NUL bytes."""
    clean = b"".join(b"%d,station %d,%d\n" % (i, i, i * 7) for i in range(5_000))
    return b"id,name,value\n" + clean + b"".join(b"%d,\x00\x00\x00,\x00%d\n" % (i, i) for i in range(5_000, 8_000))


@generator
def csv_10000_columns() -> bytes:
    header = ",".join(f"c{i}" for i in range(10_000))
    rows = [",".join(str((r * 7 + i) % 100) for i in range(10_000)) for r in range(3)]
    return ("\n".join([header, *rows]) + "\n").encode()


@generator
def csv_1m_char_cell() -> bytes:
    """One cell of 1,000,000 characters (quoted, with commas and newlines inside)."""
    cell = ("long text, with commas\nand lines " * 40_000)[:1_000_000]
    return ('id,note\n1,"' + cell + '"\n2,short\n').encode()


@generator
def csv_unterminated_quote() -> bytes:
    """A quote opened on row 2 and never closed: the rest of the file is one 300 kB cell."""
    return b'id,name\n1,"never closed\n' + b"2,x\n" * 75_000


@generator
def csv_many_rows_one_column() -> bytes:
    return b"only\n" + b"1\n" * 200_000


# --------------------------------------------------------------------------- archives


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


@lru_cache(maxsize=4)
def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate of `size` zero bytes (a multiple of 1 MiB) and its CRC, fast: one MiB is compressed once
    and ended with a full flush (byte-aligned, no reference back), so the piece can be repeated. Kept per
    process: the bombs are asked for by several cases, and the CRC of 1 GiB costs about 0.4 s each time."""
    block = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    count = size >> 20
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    return piece * count + comp.flush(zlib.Z_FINISH), crc


def _zip_stored_raw(name: str, compressed: bytes, crc: int, size: int) -> bytes:
    """A one-member ZIP (deflate) from an already compressed body, written by hand (zip64 when needed)."""
    fname = name.encode()
    zip64 = size >= 0xFFFFFFFF
    extra = struct.pack("<HHQQ", 1, 16, size, len(compressed)) if zip64 else b""
    csize32, size32 = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (len(compressed), size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, csize32, size32, len(fname), len(extra))
    local += fname + extra + compressed
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, crc, csize32, size32, len(fname),
                          len(extra), 0, 0, 0, 0, 0) + fname + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


@generator
def zip_bomb() -> bytes:
    """One CSV member that inflates to 1 GiB of zeros (about 1 MB compressed)."""
    size = 1 << 30
    compressed, crc = _deflated_zeros(size)
    return _zip_stored_raw("data.csv", compressed, crc, size)


@generator
def zip_bomb_claims() -> bytes:
    """Small real content, but the headers claim a 16 GiB member (a lie meant to exhaust whoever trusts it)."""
    data = b"a,b\n1,2\n"
    compressed = zlib.compress(data, 9)[2:-4]
    return _zip_stored_raw("big.csv", compressed, zlib.crc32(data), 16 << 30)


@generator
def zip_nested_bomb() -> bytes:
    """ZIP in ZIP in ZIP, the innermost a 200 MB member of zeros."""
    compressed, crc = _deflated_zeros(200 << 20)
    inner = _zip_stored_raw("zeros.csv", compressed, crc, 200 << 20)
    return _zip([("level1.zip", _zip([("level2.zip", inner)]))])


@generator
def zip_path_traversal() -> bytes:
    """Members named to escape whatever folder they are unpacked into."""
    return _zip([("../../../../tmp/opendata-corpus-escape.csv", b"a,b\n1,2\n"),
                 ("/etc/opendata-corpus-abs.csv", b"a,b\n3,4\n"),
                 ("..\\..\\windows-escape.csv", b"a,b\n5,6\n"),
                 ("ok/data.csv", b"a,b\n7,8\n")])


@generator
def zip_truncated() -> bytes:
    """A ZIP cut in half: no central directory."""
    whole = _zip([("data.csv", b"id,value\n" + b"1,2\n" * 5000)])
    return whole[: len(whole) // 2]


@generator
def gzip_bomb() -> bytes:
    """A .csv.gz that inflates to 1 GiB."""
    size = 1 << 30
    body, crc = _deflated_zeros(size)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", crc, size & 0xFFFFFFFF)


@generator
def gzip_small_csv() -> bytes:
    return gzip.compress(b"a,b\n1,2\n")


# --------------------------------------------------------------------------- spreadsheets


def _xlsx(extra_parts: dict[str, bytes], workbook_rels_extra: str = "", sheet_xml: bytes | None = None,
          content_types_extra: str = "") -> bytes:
    """A minimal but valid XLSX, built by hand so that hostile parts can be slipped in."""
    sheet = sheet_xml or (b'<?xml version="1.0" encoding="UTF-8"?>'
                          b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                          b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
                          b'<c r="B1" t="inlineStr"><is><t>value</t></is></c></row>'
                          b'<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>[1]Sheet1!A1</f><v>42</v></c></row>'
                          b'</sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + content_types_extra + "</Types>").encode(),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
            + ('<externalReferences><externalReference r:id="rId9"/></externalReferences>'
               if workbook_rels_extra else "") + "</workbook>").encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>' + workbook_rels_extra + "</Relationships>").encode(),
        "xl/worksheets/sheet1.xml": sheet,
        **extra_parts,
    }
    return _zip(list(parts.items()))


@generator
def xlsx_external_link() -> bytes:
    """A workbook whose formula reads another workbook at a URL and a local path (never to be followed)."""
    link = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1">'
            b'<sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>')
    link_rels = (b'<?xml version="1.0" encoding="UTF-8"?>'
                 b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'externalLinkPath" Target="http://169.254.169.254/latest/meta-data/secret.xlsx" '
                 b'TargetMode="External"/>'
                 b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'externalLinkPath" Target="file:///etc/passwd" TargetMode="External"/></Relationships>')
    rels = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'externalLink" Target="externalLinks/externalLink1.xml"/>')
    ctypes = ('<Override PartName="/xl/externalLinks/externalLink1.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>')
    return _xlsx({"xl/externalLinks/externalLink1.xml": link,
                  "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels}, rels, content_types_extra=ctypes)


@generator
def xlsx_xxe() -> bytes:
    """A worksheet XML that declares an external entity reading /etc/passwd."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')
    return _xlsx({}, sheet_xml=sheet)


@generator
def xlsx_billion_laughs() -> bytes:
    """A worksheet XML with the billion laughs entity expansion."""
    ents = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [<!ENTITY l0 "lol">' + ents + ']>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>').encode()
    return _xlsx({}, sheet_xml=sheet)


@generator
def xlsx_huge_dimension() -> bytes:
    """A sheet that claims the whole grid (A1:XFD1048576) and holds three rows and one far cell (XFD20000):
    a reader that trusts the claim pads the 20,000 rows to 16,384 cells each (330 million cells)."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<dimension ref="A1:XFD1048576"/><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
             b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
             b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>one</t></is></c></row>'
             b'<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>two</t></is></c></row>'
             b'<row r="20000"><c r="XFD20000"><v>3</v></c></row>'
             b'</sheetData></worksheet>')
    return _xlsx({}, sheet_xml=sheet)


@generator
def xlsx_not_a_workbook() -> bytes:
    """A ZIP named .xlsx holding no workbook at all."""
    return _zip([("readme.txt", b"this is not a spreadsheet")])


# --------------------------------------------------------------------------- metadata


@generator
def datajson_invalid_utf8() -> bytes:
    """A data.json whose dataset title holds bytes that are not UTF-8 (latin-1 and a lone continuation byte)."""
    return (b'{"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [{"title": "Caf\xe9 \x80 '
            b'inspections", "identifier": "bad-utf8", "description": "d", "keyword": ["k"], '
            b'"modified": "2024-01-01", "publisher": {"name": "P"}, "contactPoint": {"fn": "x", '
            b'"hasEmail": "mailto:x@example.org"}, "accessLevel": "public"}]}')


@generator
def ckan_html_error_page() -> bytes:
    return (b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>503</h1>"
            b"<p>The site is down for maintenance. " + b"x" * 2000 + b"</p></body></html>")


def ckan_envelope(packages: list, count: int | None = None) -> bytes:
    return json.dumps({"help": "", "success": True,
                       "result": {"count": len(packages) if count is None else count, "results": packages}}).encode()
