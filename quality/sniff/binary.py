"""Binary formats by their magic numbers: PDF, images, shapefiles, and the containers (OLE2, ZIP, GZIP)."""

from __future__ import annotations

import re
import struct
from typing import Any

from quality.sniff.archive import sniff_gzip, sniff_zip
from quality.sniff.encoding import looks_binary
from quality.sniff.model import Sniffed, result
from quality.sniff.ole import OLE_MAGIC, sniff_ole

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


# Containers and binaries the vocabulary has no code for: named, so a finding can say what they are.
_OTHER_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"BZh", "bzip2", "application/x-bzip2"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "rar", "application/vnd.rar"),
    (b"\xfd7zXZ\x00", "xz", "application/x-xz"),
    (b"PAR1", "parquet", "application/vnd.apache.parquet"),
    (b"SQLite format 3\x00", "sqlite", "application/vnd.sqlite3"),
    (b"BM", "bmp", "image/bmp"),
)


def sniff_binary(data: bytes, filename: str | None, depth: int, partial: bool) -> Sniffed | None:
    if data.startswith(OLE_MAGIC):
        return sniff_ole(data, filename)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return sniff_zip(data, filename, depth, partial)
    if data.startswith(b"\x1f\x8b"):
        return sniff_gzip(data, filename, depth)
    pdf_at = data[:1024].find(b"%PDF-")
    if pdf_at == 0 or (pdf_at > 0 and not data[:pdf_at].strip()):
        return _sniff_pdf(data, 0.99)
    for magic, fmt in _IMAGE_MAGIC:
        if data.startswith(magic):
            return result(fmt, 0.99)
    if len(data) >= 100 and data[:4] == b"\x00\x00\x27\x0a" and struct.unpack_from("<I", data, 28)[0] == 1000:
        return result("SHP", 0.95, shape_type=struct.unpack_from("<I", data, 32)[0])
    for magic, kind, media_type in _OTHER_MAGIC:
        if data.startswith(magic) and (kind != "bmp" or looks_binary(data[:512])):
            return result(None, 0.9, media_type=media_type, container=kind)
    if 0 < pdf_at < 1024 and looks_binary(data[:pdf_at]):
        return _sniff_pdf(data, 0.8)
    return None


def _sniff_pdf(data: bytes, confidence: float) -> Sniffed:
    start = data.find(b"%PDF-", 0, 1024)
    match = re.match(rb"%PDF-(\d\.\d)", data[start: start + 16]) if start >= 0 else None
    tail = data[-2048:]
    details: dict[str, Any] = {"truncated": b"%%EOF" not in tail}
    if match:
        details["version"] = match.group(1).decode("ascii")
    if b"/Encrypt" in data[-65536:] or b"/Encrypt" in data[:65536]:
        details["encrypted"] = True
    return result("PDF", confidence, **details)
