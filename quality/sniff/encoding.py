"""The text encoding of a file's bytes: decided by ``plumbing.textencoding.detect_encoding`` (BOMs, UTF-8, UTF-16
without a BOM, Chinese, Korean, Japanese and Western legacy codecs), the one decision every door shares; here
what the sniffer adds around it (the window past an ASCII head, an XML declaration, the head decoded)."""

from __future__ import annotations

import codecs
import re

from plumbing.textencoding import canonical as _canonical
from plumbing.textencoding import decodes, detect_encoding, looks_binary

__all__ = ["SELF_EVIDENT", "after_ascii", "decode_head", "decodes", "detect_encoding", "looks_binary",
           "xml_declared_encoding"]


def after_ascii(fh, start: int, size: int) -> bytes | None:
    """The lines of the binary file `fh` from its first byte that is not ASCII at or after offset `start` (`size`
    bytes at most, cut after a line's end so that no character is cut), or None when the rest is ASCII too: an
    ASCII head says nothing of the encoding of what follows it."""
    fh.seek(start)
    at = start
    while block := fh.read(1 << 20):
        if not block.isascii():
            at += len(block) - len(block.lstrip(_ASCII))
            fh.seek(at)
            window = fh.read(size)
            end = max(window.rfind(b"\n"), window.rfind(b"\r"))
            return window[:end + 1] if end > 0 and len(window) == size else window
        at += len(block)
    return None


_ASCII = bytes(range(0x80))


SELF_EVIDENT = frozenset({"ascii", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


def xml_declared_encoding(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head[:200])
    if not match:
        return None
    name = _canonical(match.group(1).decode("ascii"))
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def decode_head(head: bytes, encoding: str, cut: bool) -> str:
    try:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("latin-1")("replace")
    return decoder.decode(head, final=not cut)
