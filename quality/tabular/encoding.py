"""Text encodings of tabular files: BOMs, detection (via ``quality.sniff``), and UTF-16/32 transcoding to UTF-8."""

from __future__ import annotations

import codecs
import os
import tempfile
from contextlib import contextmanager

from quality.sniff import detect_encoding as sniff_encoding
from quality.sniff.encoding import after_ascii
from quality.tabular.model import HEAD_BYTES

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def bom_of(head: bytes) -> tuple[int, str | None]:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return len(bom), enc
    return 0, None


def normalise_encoding(name: str | None) -> str:
    if not name:
        return "utf-8"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    if canonical in ("ascii", "utf-8-sig"):
        return "utf-8"
    if canonical in ("gb2312", "gbk"):
        return "gb18030"  # a superset: decodes every GB2312/GBK file, and the extension characters too
    return canonical


def detect_encoding(head: bytes) -> tuple[str, str]:
    """(codec to decode with, label to report) for the bytes: BOM, else ``quality.sniff.detect_encoding``,
    else charset-normalizer. GBK is decoded as GB18030, its superset, and reported as detected."""
    _, enc = bom_of(head)
    if enc:
        return enc, enc
    try:
        if b"\x00" in head:  # UTF-16/32 without a BOM is valid UTF-8 full of NULs: ask the sniffer
            raise UnicodeDecodeError("utf-8", head, 0, 1, "NUL bytes")
        head.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason.startswith("unexpected end"):
            return "utf-8", "utf-8"  # cut in the middle of a character at the end of the sample
    guess = sniff_encoding(head)[0]
    codec = normalise_encoding(guess or "cp1252")
    return codec, (guess or codec).lower()


def reading_encoding(fh, head: bytes, encoding: str | None) -> tuple[str, str]:
    """(codec, label) a delimited text file is read with, `head` being its first `HEAD_BYTES` and `fh` the file
    open in binary: the encoding given (what the sniffer said of the file), else its BOM's, else detected from
    `head` (`detect_encoding`). An ASCII head says nothing of the rest: a GBK table whose first rows are codes
    and figures, its Chinese further down (the sniffer reports such a file's first 4 MB as ``ascii``, this
    reader detected UTF-8 from its first 256 kB), was decoded as UTF-8 and every Chinese cell became U+FFFD in
    every conversion and in the row store. When what was given or detected is UTF-8 or ASCII and rests on an
    ASCII head, the file is read on to its first byte that is not ASCII, and the encoding detected from there."""
    if encoding:
        enc, label = normalise_encoding(encoding), encoding.lower()
    else:
        bom = bom_of(head)[1]
        if bom:
            return bom, bom
        enc, label = detect_encoding(head)
    if enc != "utf-8" or len(head) < HEAD_BYTES or not head.isascii():
        return enc, label
    window = after_ascii(fh, len(head), HEAD_BYTES)
    return detect_encoding(window) if window else (enc, label)


_WIDE = ("utf-16", "utf-32")


def wide_encoding(path: str, encoding: str | None) -> str | None:
    """The UTF-16/32 codec of a text file, if it is one (those cannot be split at newline bytes)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    _, bom = bom_of(head)
    if encoding:
        codec = codecs.lookup(encoding).name
        return codec if codec.startswith(_WIDE) else None
    if bom:
        return bom.rsplit("-", 1)[0] if bom.startswith(_WIDE) else None  # the generic codec eats the BOM
    if b"\x00" in head:
        codec = codecs.lookup(detect_encoding(head)[0]).name
        return codec if codec.startswith(_WIDE) else None
    return None


@contextmanager
def as_utf8(path: str, encoding: str | None):
    """(path, encoding, wide label): UTF-16/32 text is transcoded chunk by chunk to a temporary UTF-8
    copy first, so the byte-level layout scan and pyarrow see an ASCII-compatible encoding."""
    wide = wide_encoding(path, encoding)
    if not wide:
        yield path, encoding, None
        return
    decoder = codecs.getincrementaldecoder(wide)(errors="replace")
    tmp = tempfile.NamedTemporaryFile(prefix="profile-", suffix=".csv", delete=False)
    try:
        with open(path, "rb") as src, tmp:
            while chunk := src.read(1 << 20):
                tmp.write(decoder.decode(chunk).encode("utf-8"))
            tmp.write(decoder.decode(b"", final=True).encode("utf-8"))
        yield tmp.name, "utf-8", wide
    finally:
        os.unlink(tmp.name)
