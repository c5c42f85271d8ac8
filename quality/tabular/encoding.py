"""Text encodings of tabular files: BOMs, detection (via ``quality.sniff``), and UTF-16/32 transcoding to UTF-8."""

from __future__ import annotations

import codecs
import os
import tempfile
from contextlib import contextmanager

from quality.sniff import detect_encoding as sniff_encoding
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
