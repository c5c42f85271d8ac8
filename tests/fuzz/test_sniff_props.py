"""Property tests of the sniffer: whatever the bytes, `sniff` answers and never needs its last-resort guard.

`quality.sniff.sniff` wraps everything in a catch-all that reports `details["sniff_error"]`; these
tests check that the guard is never what answers (an internal exception is a bug even when caught),
that the format is a vocabulary code or None, and that the same bytes always give the same answer.
Inputs are biased towards what trips sniffers: magic numbers followed by junk, ZIP/GZIP containers
with odd members, text in many encodings, delimiters, quotes, markup and JSON fragments.
"""

from __future__ import annotations

import gzip
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_schema import vocab
from plumbing.textencoding import decodes
from quality.sniff import sniff

SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

MAGICS = [b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x1f\x8b\x08", b"%PDF-1.7\n",
          b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BZh9", b"7z\xbc\xaf\x27\x1c", b"PAR1",
          b"SQLite format 3\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<?xml version='1.0'?>",
          b"<!DOCTYPE html>", b"<rdf:RDF ", b"@prefix ", b"{", b"[", b'{"@context": ', b"<svg", b"\x00\x00\xfe\xff"]
TEXT_BITS = [",", ";", "\t", "|", "\n", "\r\n", '"', "'", "<", ">", "{", "}", "[", "]", ":", "=", "&", "#",
             "id", "名称", "数据", "é", "ß", "\x00", "\ufeff", "@prefix", "<http://x/a>", " .", "a,b,c\n", "1,2,3\n"]
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "gbk", "gb18030", "big5", "shift_jis", "latin-1", "cp1252", "koi8-r"]

text_like = st.lists(st.sampled_from(TEXT_BITS) | st.text(max_size=12), max_size=60).map("".join)


@st.composite
def encoded_text(draw) -> bytes:
    text = draw(text_like)
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def with_magic(draw) -> bytes:
    return draw(st.sampled_from(MAGICS)) + draw(st.binary(max_size=600) | encoded_text())


@st.composite
def zip_container(draw) -> bytes:
    buf = io.BytesIO()
    names = st.sampled_from(["data.csv", "a/b.json", "../x.csv", "[Content_Types].xml", "xl/workbook.xml",
                             "word/document.xml", "mimetype", "content.xml", "inner.zip", "x.gz", "名.csv", ""])
    with zipfile.ZipFile(buf, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as zf:
        for name in draw(st.lists(names, max_size=4, unique=True)):
            zf.writestr(name or "empty", draw(st.binary(max_size=300) | encoded_text()))
    data = buf.getvalue()
    cut = draw(st.integers(0, len(data)))
    return data if draw(st.booleans()) else data[:cut]  # whole, or cut anywhere


@st.composite
def gzip_container(draw) -> bytes:
    data = gzip.compress(draw(st.binary(max_size=300) | encoded_text()))
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


any_bytes = st.binary(max_size=2000) | encoded_text() | with_magic() | zip_container() | gzip_container()
filenames = st.none() | st.sampled_from(["data.csv", "x.xlsx", "a.json", "b.ttl", "c.rdf", "d.zip", "e", ".csv",
                                         "f.csv.gz", "g.n3", "h.geojson", "名.txt"])
media_types = st.none() | st.sampled_from(["text/csv", "application/json", "text/html", "application/zip",
                                           "application/octet-stream", "text/turtle; charset=gbk", "garbage/;;"])

#: Encodings a source's metadata may declare: right, wrong, unknown, and Python codecs that are no charset of a file.
declared_encodings = st.none() | st.sampled_from(["gbk", "UTF-8", "utf-16", "EUC-KR", "ISO-8859-1", "gb18030",
                                                  "big5", "utf-7", "rot13", "zlib", "idna", "no-such", "", "utf-8-sig"])

KNOWN_OTHER = {"bzip2", "7z", "rar", "xz", "parquet", "sqlite", "bmp"}


def _check(result) -> None:
    assert "sniff_error" not in result.details, result.details["sniff_error"]
    if result.format is not None:
        assert vocab.format_by_code(result.format) is not None or result.format in KNOWN_OTHER, result.format
    assert 0.0 <= result.confidence <= 1.0
    result.to_dict()  # serialisable for the assessment document
    inner = result.effective
    assert inner.format is None or isinstance(inner.format, str)


@SETTINGS
@given(data=any_bytes, filename=filenames, declared=media_types, encoding=declared_encodings)
def test_sniff_never_needs_its_guard(data, filename, declared, encoding):
    result = sniff(data, filename=filename, declared_media_type=declared, declared_encoding=encoding)
    _check(result)
    again = sniff(data, filename=filename, declared_media_type=declared, declared_encoding=encoding)
    assert again.to_dict() == result.to_dict()  # deterministic
    if result.encoding and (result.details or {}).get("encoding_by"):  # a declaration taken: the bytes decode in it
        assert decodes(data[:4 * 1024 * 1024], result.encoding, True)


@SETTINGS
@given(data=any_bytes)
def test_sniff_any_prefix(data):
    """A download cut anywhere (a capped copy) is sniffed like any other bytes."""
    for cut in sorted({0, 1, len(data) // 3, len(data) // 2, len(data) - 1}):
        _check(sniff(data[: max(cut, 0)]))
