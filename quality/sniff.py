"""The real format and text encoding of a file, decided from its bytes.

Publishers' declared formats and file extensions lie often (an HTML error page behind a
".csv" link, an XLSX called CSV), and the five-star rating must rest on what the file is.
So this module looks only at the bytes: magic numbers for binary formats, the inside of ZIP
and OLE2 containers, and for text the encoding first, then JSON, XML, RDF, HTML or a
delimited table. A file name or declared media type only breaks ties the bytes leave open
(N3 versus Turtle, a one-column CSV versus plain text).

Everything is pure and bounded: at most `HEAD_BYTES` of text are examined, archive members
are read through streaming decompressors capped at `MEMBER_READ_BYTES`, and a member whose
declared size and ratio look like a zip bomb is reported in `details["bomb"]`, not unpacked.
XML is parsed with defusedxml. `sniff` never raises on bad input: what it cannot tell is
format None.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import charset_normalizer
import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from catalog_schema import vocab

HEAD_BYTES = 64 * 1024  # text sniffing looks at this much
MEMBER_READ_BYTES = 64 * 1024  # decompressed bytes read from one archive member
ARCHIVE_READ_BUDGET = 2 * 1024 * 1024  # decompressed bytes read from all members together
MAX_SNIFFED_MEMBERS = 32
MAX_LISTED_MEMBERS = 50
NESTED_ARCHIVE_CAP = 8 * 1024 * 1024  # a nested archive is opened whole only below this size
MAX_DEPTH = 2  # archives inside archives inside archives are not opened
BOMB_RATIO = 100  # compression ratio above which a large member is treated as a bomb
BOMB_MIN_BYTES = 100 * 1024 * 1024  # ... when it also claims at least this many bytes
BOMB_TOTAL_BYTES = 8 * 1024 ** 3  # members together claiming this much are a bomb whatever their ratios
JSON_PARSE_CAP = 4 * 1024 * 1024  # whole-document JSON parse only below this size
TABLE_SAMPLE_ROWS = 300


@dataclass
class Sniffed:
    """What the bytes are. `format` is a vocabulary code (catalog_schema.vocab) or None.

    For a ZIP or GZIP, `details["inner"]` is the Sniffed of the member that matters most
    (`inner_name` names it); `effective` follows that chain, and openness rates it.
    """

    format: str | None
    media_type: str | None = None
    encoding: str | None = None
    confidence: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    inner_name: str | None = None

    @property
    def effective(self) -> Sniffed:
        """The innermost sniffed member of an archive, or this result itself."""
        current = self
        for _ in range(MAX_DEPTH + 2):
            inner = current.details.get("inner")
            if not isinstance(inner, Sniffed):
                break
            current = inner
        return current

    def to_dict(self) -> dict[str, Any]:
        details = {k: (v.to_dict() if isinstance(v, Sniffed) else v) for k, v in self.details.items()}
        return {
            "format": self.format,
            "media_type": self.media_type,
            "encoding": self.encoding,
            "confidence": round(self.confidence, 3),
            "details": details,
            "inner_name": self.inner_name,
        }


def _result(fmt: str | None, confidence: float, *, encoding: str | None = None,
            media_type: str | None = None, inner_name: str | None = None, **details: Any) -> Sniffed:
    if media_type is None and fmt is not None:
        ff = vocab.format_by_code(fmt)
        if ff is not None and ff.media_types:
            media_type = ff.media_types[0]
    return Sniffed(fmt, media_type, encoding, confidence, dict(details), inner_name)


def _lower_name(filename: str | None) -> str:
    return (filename or "").rsplit("/", 1)[-1].lower()


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def sniff(data: bytes, *, filename: str | None = None, declared_media_type: str | None = None) -> Sniffed:
    """The real format of `data` (the whole file, or as much of it as was downloaded)."""
    try:
        return _sniff(bytes(data), filename, declared_media_type, depth=0, partial=False)
    except Exception as exc:  # noqa: BLE001 - the last guard: one odd file must not stop an assessment
        return _result(None, 0.0, media_type="application/octet-stream", sniff_error=f"{type(exc).__name__}: {exc}")


def _sniff(data: bytes, filename: str | None, declared: str | None, *, depth: int, partial: bool) -> Sniffed:
    if not data:
        return _result(None, 0.0, empty=True)
    found = _sniff_binary(data, filename, depth, partial)
    if found is not None:
        return found
    return _sniff_text(data, filename, declared, partial)


# ---------------------------------------------------------------------------------------------
# Binary formats: magic numbers, containers
# ---------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
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


def _sniff_binary(data: bytes, filename: str | None, depth: int, partial: bool) -> Sniffed | None:
    if data.startswith(_OLE_MAGIC):
        return _sniff_ole(data, filename)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _sniff_zip(data, filename, depth, partial)
    if data.startswith(b"\x1f\x8b"):
        return _sniff_gzip(data, filename, depth)
    pdf_at = data[:1024].find(b"%PDF-")
    if pdf_at == 0 or (pdf_at > 0 and not data[:pdf_at].strip()):
        return _sniff_pdf(data, 0.99)
    for magic, fmt in _IMAGE_MAGIC:
        if data.startswith(magic):
            return _result(fmt, 0.99)
    if len(data) >= 100 and data[:4] == b"\x00\x00\x27\x0a" and struct.unpack_from("<I", data, 28)[0] == 1000:
        return _result("SHP", 0.95, shape_type=struct.unpack_from("<I", data, 32)[0])
    for magic, kind, media_type in _OTHER_MAGIC:
        if data.startswith(magic) and (kind != "bmp" or _looks_binary(data[:512])):
            return _result(None, 0.9, media_type=media_type, container=kind)
    if 0 < pdf_at < 1024 and _looks_binary(data[:pdf_at]):
        return _sniff_pdf(data, 0.8)
    return None


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (9, 10, 12, 13, 27))


def _looks_binary(chunk: bytes) -> bool:
    """Many NULs or C0 control bytes: not text in any encoding we read (UTF-16 is caught first)."""
    if not chunk:
        return False
    controls = len(chunk) - len(chunk.translate(None, _CONTROL_BYTES))
    return controls / len(chunk) > 0.05


def _sniff_pdf(data: bytes, confidence: float) -> Sniffed:
    start = data.find(b"%PDF-", 0, 1024)
    match = re.match(rb"%PDF-(\d\.\d)", data[start: start + 16]) if start >= 0 else None
    tail = data[-2048:]
    details: dict[str, Any] = {"truncated": b"%%EOF" not in tail}
    if match:
        details["version"] = match.group(1).decode("ascii")
    if b"/Encrypt" in data[-65536:] or b"/Encrypt" in data[:65536]:
        details["encrypted"] = True
    return _result("PDF", confidence, **details)


# --- OLE2 compound files (XLS, DOC, encrypted OOXML) ------------------------------------------

_ENDOFCHAIN_MIN = 0xFFFFFFFA  # FAT values at or above this end a chain or mark special sectors


class _OleError(Exception):
    """The compound file's structures point outside the bytes we have."""


class _Ole:
    """Just enough of [MS-CFB] to list stream names and read the head of a stream.

    Every chain walk is capped and loop-checked, so a crafted or truncated file ends the walk
    instead of spinning or reading without bound.
    """

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise _OleError("header truncated")
        self.data = data
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            raise _OleError(f"sector shift {shift}")
        self.ssz = 1 << shift
        self.mini_size = 1 << struct.unpack_from("<H", data, 32)[0]
        num_fat, dir_start = struct.unpack_from("<II", data, 44)
        self.mini_cutoff, minifat_start, _num_minifat, difat_start, num_difat = struct.unpack_from("<IIIII", data, 56)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < _ENDOFCHAIN_MIN]
        seen: set[int] = set()
        sector = difat_start
        while sector < _ENDOFCHAIN_MIN and sector not in seen and len(seen) < min(num_difat, 4096):
            seen.add(sector)
            ints = struct.unpack(f"<{self.ssz // 4}I", self._sector(sector))
            fat_sectors.extend(s for s in ints[:-1] if s < _ENDOFCHAIN_MIN)
            sector = ints[-1]
        fat_bytes = b"".join(self._sector(s) for s in fat_sectors[: max(num_fat, 1)] if self._has(s))
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes[: len(fat_bytes) // 4 * 4])
        self.minifat_start = minifat_start
        if not self.fat or not self._has(dir_start):
            raise _OleError("directory beyond the data")
        directory = self._chain_bytes(dir_start, 256 * 1024)
        self.entries: dict[str, tuple[int, int, int]] = {}
        self.root: tuple[int, int] | None = None
        for off in range(0, len(directory) - 127, 128):
            entry = directory[off: off + 128]
            name_len = struct.unpack_from("<H", entry, 64)[0]
            kind = entry[66]
            if kind == 0 or not 2 <= name_len <= 64:
                continue
            name = entry[: name_len - 2].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<II", entry, 116)
            if kind == 5:
                self.root = (start, size)
            self.entries[name.lower()] = (kind, start, size)

    def _has(self, sector: int) -> bool:
        return (sector + 1) * self.ssz + self.ssz <= len(self.data)

    def _sector(self, sector: int) -> bytes:
        if not self._has(sector):
            raise _OleError(f"sector {sector} beyond the data")
        off = (sector + 1) * self.ssz
        return self.data[off: off + self.ssz]

    def _chain(self, start: int, table: tuple[int, ...], limit: int) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        sector = start
        while sector < _ENDOFCHAIN_MIN and sector not in seen and len(out) < limit:
            seen.add(sector)
            out.append(sector)
            if sector >= len(table):
                break
            sector = table[sector]
        return out

    def _chain_bytes(self, start: int, limit_bytes: int) -> bytes:
        sectors = self._chain(start, self.fat, limit_bytes // self.ssz + 1)
        return b"".join(self._sector(s) for s in sectors)

    def read(self, name: str, limit: int) -> bytes:
        """The first `limit` bytes of stream `name` (case-insensitive)."""
        _kind, start, size = self.entries[name.lower()]
        want = min(size, limit)
        if size >= self.mini_cutoff or self.root is None:
            return self._chain_bytes(start, want)[:want]
        mini_stream = self._chain_bytes(self.root[0], min(self.root[1], 4 * 1024 * 1024))
        minifat_raw = self._chain_bytes(self.minifat_start, 1024 * 1024)
        minifat = struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw[: len(minifat_raw) // 4 * 4])
        chunks = [mini_stream[s * self.mini_size: (s + 1) * self.mini_size]
                  for s in self._chain(start, minifat, want // self.mini_size + 1)]
        return b"".join(chunks)[:want]


def _biff_encrypted(workbook_head: bytes) -> bool:
    """A FILEPASS record (0x002F) in the workbook globals means the sheet data are encrypted."""
    pos = 0
    for _ in range(1000):
        if pos + 4 > len(workbook_head):
            return False
        rtype, rlen = struct.unpack_from("<HH", workbook_head, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A and pos > 0:  # EOF of the globals substream
            return False
        pos += 4 + rlen
    return False


def _sniff_ole(data: bytes, filename: str | None) -> Sniffed:
    try:
        ole = _Ole(data)
        names = set(ole.entries)
    except (_OleError, struct.error) as exc:
        return _sniff_ole_by_names(data, filename, str(exc))
    if "workbook" in names or "book" in names:
        stream = "workbook" if "workbook" in names else "book"
        try:
            encrypted = _biff_encrypted(ole.read(stream, MEMBER_READ_BYTES))
        except (_OleError, struct.error):
            return _result("XLS", 0.9, truncated=True)
        return _result("XLS", 0.98, **({"encrypted": True} if encrypted else {}))
    if "worddocument" in names:
        try:
            fib = ole.read("worddocument", 64)
            encrypted = len(fib) >= 12 and bool(struct.unpack_from("<H", fib, 10)[0] & 0x0100)
        except (_OleError, struct.error):
            return _result("DOC", 0.9, truncated=True)
        return _result("DOC", 0.98, **({"encrypted": True} if encrypted else {}))
    if "encryptedpackage" in names:
        return _encrypted_ooxml(filename)
    kind = "powerpoint" if "powerpoint document" in names else "other"
    return _result(None, 0.8, media_type="application/x-ole-storage", ole=kind, ole_streams=sorted(names)[:20])


def _encrypted_ooxml(filename: str | None) -> Sniffed:
    """A password-protected XLSX/DOCX is an OLE2 file whose real type only the name can suggest."""
    name = _lower_name(filename)
    fmt = "XLSX" if name.endswith((".xlsx", ".xlsm")) else "DOCX" if name.endswith(".docx") else None
    return _result(fmt, 0.6 if fmt else 0.5, media_type=None if fmt else "application/x-ole-storage",
                   encrypted=True, ooxml_encrypted=True)


def _sniff_ole_by_names(data: bytes, filename: str | None, problem: str) -> Sniffed:
    """A truncated compound file: the directory names are still visible as UTF-16 in the raw bytes."""
    raw = data[: 4 * 1024 * 1024]
    if "Workbook".encode("utf-16-le") in raw or b"B\x00o\x00o\x00k\x00\x00\x00" in raw:
        return _result("XLS", 0.7, truncated=True, ole_error=problem)
    if "WordDocument".encode("utf-16-le") in raw:
        return _result("DOC", 0.7, truncated=True, ole_error=problem)
    if "EncryptedPackage".encode("utf-16-le") in raw:
        found = _encrypted_ooxml(filename)
        found.details.update(truncated=True)
        return found
    return _result(None, 0.5, media_type="application/x-ole-storage", truncated=True, ole_error=problem)


# --- ZIP and GZIP ----------------------------------------------------------------------------


@dataclass
class _Member:
    """One archive member as the ZIP analysis needs it, whichever way the archive was read."""

    name: str
    size: int | None
    compressed: int | None
    encrypted: bool
    read: Callable[[int], bytes]


def _is_junk(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.endswith("/") or name.startswith("__MACOSX/") or base.startswith("._") or base in (
        ".DS_Store", "Thumbs.db", "desktop.ini")


def _bomb(member: _Member) -> dict[str, Any] | None:
    if member.size is None or member.compressed is None:
        return None
    ratio = member.size / max(member.compressed, 1)
    if member.size >= BOMB_MIN_BYTES and ratio >= BOMB_RATIO:
        return {"member": member.name, "uncompressed": member.size, "compressed": member.compressed,
                "ratio": round(ratio)}
    return None


def _zip_members_central(data: bytes) -> tuple[list[_Member], int]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()

    def reader(info: zipfile.ZipInfo) -> Callable[[int], bytes]:
        def read(limit: int) -> bytes:
            with zf.open(info) as fh:
                return fh.read(limit)
        return read

    members = [_Member(i.filename, i.file_size, i.compress_size, bool(i.flag_bits & 0x1), reader(i))
               for i in infos[: MAX_LISTED_MEMBERS * 20]]
    return members, len(infos)


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def _zip_members_local(data: bytes) -> list[_Member]:
    """Members found by walking local headers: for a ZIP cut off before its central directory."""
    members: list[_Member] = []
    off = 0
    while off + _LOCAL_HEADER.size <= len(data) and len(members) < MAX_LISTED_MEMBERS * 20:
        sig, _ver, flags, method, _t, _d, _crc, csize, usize, nlen, xlen = _LOCAL_HEADER.unpack_from(data, off)
        if sig != b"PK\x03\x04":
            break
        name = data[off + 30: off + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        start = off + 30 + nlen + xlen
        sizes_known = not flags & 0x08 and csize != 0xFFFFFFFF
        if sizes_known:
            end = start + csize
        else:  # sizes follow the data (a data descriptor): the next local header ends this member
            found = data.find(b"PK\x03\x04", start)
            end = found if found >= 0 else len(data)
        body = data[start: min(end, start + ARCHIVE_READ_BUDGET)]
        members.append(_Member(name, usize if sizes_known else None, csize if sizes_known else None,
                               bool(flags & 0x1), _raw_member_reader(body, method)))
        off = end
    return members


def _raw_member_reader(body: bytes, method: int) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        if method == 0:
            return body[:limit]
        if method == 8:
            return zlib.decompressobj(-15).decompress(body, limit)
        raise NotImplementedError(f"compression method {method}")
    return read


def _read_member(member: _Member, limit: int) -> bytes | None:
    try:
        return member.read(limit)
    except (RuntimeError, zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, ValueError):
        return None


_OOXML_KINDS: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    ("ms-excel.sheet.macroenabled.main", "XLSX", {"macro_enabled": True}),
    ("ms-excel.sheet.binary.macroenabled.main", "XLSX", {"binary": True}),
    ("spreadsheetml.sheet.main", "XLSX", {}),
    ("spreadsheetml.template.main", "XLSX", {"template": True}),
    ("ms-word.document.macroenabled.main", "DOCX", {"macro_enabled": True}),
    ("wordprocessingml.document.main", "DOCX", {}),
    ("wordprocessingml.template.main", "DOCX", {"template": True}),
    ("presentationml", None, {"ooxml": "presentation"}),
)
_ODF_KINDS = {
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ODS",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.text-template": "ODT",
}


def _office_container(members: list[_Member], truncated: bool) -> Sniffed | None:
    """XLSX/DOCX by [Content_Types].xml, ODS/ODT by the mimetype member; None for a plain ZIP."""
    by_name = {m.name: m for m in members}
    extra = {"truncated": True} if truncated else {}
    if "mimetype" in by_name:
        raw = _read_member(by_name["mimetype"], 200) or b""
        mimetype = raw.decode("ascii", "replace").strip()
        if mimetype in _ODF_KINDS:
            return _result(_ODF_KINDS[mimetype], 0.98, **extra)
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            return _result(None, 0.9, media_type=mimetype, odf=mimetype, **extra)
    if "[Content_Types].xml" in by_name:
        types = (_read_member(by_name["[Content_Types].xml"], MEMBER_READ_BYTES) or b"").decode("utf-8", "replace")
        low = types.lower()
        for marker, fmt, details in _OOXML_KINDS:
            if marker in low:
                media = None if fmt else "application/vnd.openxmlformats-officedocument.presentationml.presentation"
                return _result(fmt, 0.98, media_type=media, **details, **extra)
    # No type list (it may sit past a truncation, openpyxl writes it last): the part names tell.
    names = set(by_name)
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names or any(n.startswith("xl/worksheets/") for n in names):
        return _result("XLSX", 0.85, **extra)
    if "word/document.xml" in names:
        return _result("DOCX", 0.85, **extra)
    return None


def _rank(found: Sniffed, name: str) -> tuple[int, int, int, int, int]:
    """Which member an archive is rated by: the one that would earn the most stars."""
    eff = found.effective
    ff = vocab.format_by_code(eff.format) if eff.format else None
    ext_agrees = bool(ff) and vocab.format_for_extension(name) is ff
    if ff is None:
        return (0, 0, 0, 0, 0)
    return (int(ff.rdf), int(ff.structured and ff.non_proprietary), int(ff.structured), 1, int(ext_agrees))


def _sniff_zip(data: bytes, filename: str | None, depth: int, partial: bool) -> Sniffed:
    truncated = False
    try:
        members, count = _zip_members_central(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error, KeyError):
        members = _zip_members_local(data)
        count = len(members)
        truncated = True
    office = _office_container(members, truncated)
    if office is not None:
        if any(m.encrypted for m in members):
            office.details["encrypted"] = True
        return office
    return _archive_result("ZIP", members, count, truncated, depth)


def _archive_result(fmt: str, members: list[_Member], count: int, truncated: bool, depth: int) -> Sniffed:
    details: dict[str, Any] = {"member_count": count}
    if truncated:
        details["truncated"] = True
    listed: list[dict[str, Any]] = []
    best: tuple[tuple[int, ...], str, Sniffed] | None = None
    budget = ARCHIVE_READ_BUDGET
    sniffed_count = 0
    for member in members:
        if _is_junk(member.name):
            continue
        row: dict[str, Any] = {"name": member.name, "size": member.size}
        bomb = _bomb(member)
        if bomb is not None:
            details.setdefault("bomb", bomb)
            row["bomb"] = True
        elif member.encrypted:
            details["encrypted"] = True
            row["encrypted"] = True
        elif sniffed_count < MAX_SNIFFED_MEMBERS and budget > 0 and depth < MAX_DEPTH:
            inner = _sniff_member(member, min(MEMBER_READ_BYTES, budget), depth)
            if inner is not None:
                sniffed_count += 1
                budget -= MEMBER_READ_BYTES
                row["format"] = inner.format
                rank = _rank(inner, member.name)
                if best is None or rank > best[0]:
                    best = (rank, member.name, inner)
        if len(listed) < MAX_LISTED_MEMBERS:
            listed.append(row)
    details["members"] = listed
    declared_total = sum(m.size or 0 for m in members)
    compressed_total = sum(m.compressed or 0 for m in members)
    if "bomb" not in details and declared_total >= BOMB_TOTAL_BYTES:
        # many members each modest, together absurd: the archive as a whole is the bomb
        details["bomb"] = {"member": f"(all {count} members)", "uncompressed": declared_total,
                           "compressed": compressed_total, "ratio": round(declared_total / max(compressed_total, 1))}
    if best is None:
        return _result(fmt, 0.95, **details)
    details["inner"] = best[2]
    return _result(fmt, 0.98, inner_name=best[1], **details)


def _sniff_member(member: _Member, limit: int, depth: int) -> Sniffed | None:
    nested = member.name.lower().endswith((".zip", ".kmz"))
    if nested and member.size is not None and member.size <= NESTED_ARCHIVE_CAP:
        limit = NESTED_ARCHIVE_CAP
    head = _read_member(member, limit)
    if head is None:
        return None
    partial = member.size is None or len(head) < member.size
    return _sniff(head, member.name, None, depth=depth + 1, partial=partial)


def _gzip_name(data: bytes) -> str | None:
    """FNAME from the gzip header (RFC 1952), if the writer stored one."""
    if len(data) < 10 or not data[3] & 0x08:
        return None
    pos = 10
    if data[3] & 0x04:
        if pos + 2 > len(data):
            return None
        pos += 2 + struct.unpack_from("<H", data, pos)[0]
    end = data.find(b"\x00", pos, pos + 1024)
    return data[pos:end].decode("latin-1") if end > pos else None


def _sniff_gzip(data: bytes, filename: str | None, depth: int) -> Sniffed:
    details: dict[str, Any] = {}
    try:
        head = zlib.decompressobj(31).decompress(data, MEMBER_READ_BYTES)
    except zlib.error as exc:
        head = b""
        details["corrupt"] = str(exc)
    name = _gzip_name(data)
    if name is None and filename and _lower_name(filename).endswith((".gz", ".tgz")):
        base = filename.rsplit("/", 1)[-1]
        name = base[:-3] if base.lower().endswith(".gz") else base[:-4] + ".tar"
    if len(data) >= 18:
        isize = struct.unpack_from("<I", data, len(data) - 4)[0]
        ratio = isize / len(data)
        if isize >= BOMB_MIN_BYTES and ratio >= BOMB_RATIO:
            details["bomb"] = {"member": name or "(gzip)", "uncompressed": isize, "compressed": len(data),
                               "ratio": round(ratio)}
    if not head or depth >= MAX_DEPTH:
        return _result("GZIP", 0.95, inner_name=name, **details)
    if len(head) >= 512 and head[257:262] == b"ustar":
        details["tar"] = True
        name = head[:100].split(b"\x00", 1)[0].decode("utf-8", "replace")
        try:
            size = int(head[124:136].split(b"\x00", 1)[0].strip() or b"0", 8)
        except ValueError:
            size = 0
        head = head[512: 512 + size]
        if not head:
            return _result("GZIP", 0.95, inner_name=name, **details)
    inner = _sniff(head, name, None, depth=depth + 1, partial=len(head) >= MEMBER_READ_BYTES)
    details["inner"] = inner
    return _result("GZIP", 0.98, inner_name=name, **details)


# ---------------------------------------------------------------------------------------------
# Text encodings
# ---------------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CENTRAL_EUROPEAN = frozenset({"Polish", "Czech", "Slovak", "Hungarian", "Croatian", "Slovene", "Romanian"})
_WESTERN_PUNCT = frozenset("€‚„…†‡‰‹›‘’“”•–—™«»°£§©®¿¡½¼¾²³µ·\xa0\xad")
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F),  # ideographs
    (0x3000, 0x303F), (0xFF00, 0xFFEF), (0xFE30, 0xFE4F),  # CJK and full-width punctuation
    (0x2010, 0x203B), (0x2160, 0x217F), (0x2460, 0x24FF), (0x2190, 0x21FF), (0x25A0, 0x25FF),
    (0x00B7, 0x00B7), (0x00D7, 0x00D7), (0x00B0, 0x00B1), (0x2103, 0x2103), (0x2116, 0x2116),
)


def detect_encoding(data: bytes) -> tuple[str | None, float]:
    """(encoding, confidence) of text bytes; (None, 0.0) for binary or empty input.

    Order: a BOM; pure ASCII; valid UTF-8; UTF-16 without a BOM (NUL pattern); then for legacy
    8-bit text our own byte-pattern rules before charset-normalizer, because on government
    files charset-normalizer often names short GBK as Big5 and Latin-1 as cp1250: Chinese
    double-byte text shows as even-length runs of high bytes (GBK when every pair lies in the
    GB2312 block, Big5 when trail bytes fall below 0x80), Western text as isolated accented
    letters inside ASCII words (Latin-1, or cp1252 when its 0x80-0x9F punctuation is used).
    Only the first `HEAD_BYTES` are examined, plus a window at the first non-ASCII byte when
    the head is pure ASCII, so an accent on line 10,000 is still seen.
    """
    if not data:
        return None, 0.0
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, 1.0
    head = data[:HEAD_BYTES]
    cut = len(data) > HEAD_BYTES
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return utf16, 0.9
        if head.count(b"\x00") > len(head) // 100 or _looks_binary(head):
            return None, 0.0
    elif _looks_binary(head):
        return None, 0.0
    sample, sample_cut = head, cut
    if head.isascii():
        if not cut or data.isascii():
            return "ascii", 1.0
        pos = _NON_ASCII.search(data).start()
        sample = data[pos: pos + HEAD_BYTES]
        sample_cut = pos + HEAD_BYTES < len(data)
    if _decodes(sample, "utf-8", sample_cut):
        return "utf-8", 0.99
    return _legacy_encoding(sample, sample_cut)


def _decodes(sample: bytes, encoding: str, cut: bool) -> bool:
    """True when `sample` decodes strictly, allowing a multi-byte character split by the cut."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=not cut)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    window = head[:4096]
    pairs = len(window) // 2
    if pairs < 2:
        return None
    even_nul = sum(1 for i in range(0, pairs * 2, 2) if window[i] == 0)
    odd_nul = sum(1 for i in range(1, pairs * 2, 2) if window[i] == 0)
    if odd_nul >= pairs * 0.4 and even_nul <= pairs * 0.05:
        name = "utf-16-le"
    elif even_nul >= pairs * 0.4 and odd_nul <= pairs * 0.05:
        name = "utf-16-be"
    else:
        return None
    return name if _decodes(head[: len(head) // 2 * 2], name, True) else None


def _legacy_encoding(sample: bytes, cut: bool) -> tuple[str | None, float]:
    runs = [len(m.group()) for m in _HIGH_RUN.finditer(sample)]
    isolated = sum(1 for r in runs if r == 1) / len(runs)
    if isolated >= 0.5 and _plausible_western(sample):
        guess = _normalizer_guess(sample)
        if guess and guess[0] in ("cp1250", "iso8859-2") and guess[2] in _CENTRAL_EUROPEAN:
            return guess[0], guess[1]
        c1 = {b for b in sample if 0x80 <= b <= 0x9F}
        if c1 and not c1 & _CP1252_UNDEFINED:
            return "cp1252", 0.85
        return "latin-1", 0.85
    guess = _normalizer_guess(sample)
    if guess and guess[2] in ("Korean", "Japanese") and _decodes(sample, guess[0], cut):
        return guess[0], guess[1]  # EUC-KR and EUC-JP share GB2312's byte ranges: language decides
    chinese = _chinese_encoding(sample, cut)
    if chinese is not None:
        return chinese
    if guess is None or guess[0].startswith(("utf-16", "utf-32")) or not _decodes(sample, guess[0], cut):
        return None, 0.0
    if guess[0] == "gb18030" and _decodes(sample, "gbk", cut):
        return "gbk", guess[1]
    return guess[0], guess[1]


def _cjk_share(text: str) -> tuple[float, int]:
    """Share of non-ASCII characters that Chinese text is made of, and how many there were.

    GB2312 rows A4-A9 hold kana, Greek, Cyrillic and box drawing: Big5 text decoded as GBK
    lands there, so the share tells the right decoding from a wrong one that merely decodes.
    """
    total = cjk = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        total += 1
        if any(lo <= code <= hi for lo, hi in _CJK_RANGES):
            cjk += 1
    return (cjk / total if total else 0.0), cjk


def _chinese_encoding(sample: bytes, cut: bool) -> tuple[str, float] | None:
    """GBK, GB18030 or Big5, whichever decodes `sample` into Chinese text; ties go to GBK."""
    best: tuple[float, str, int] | None = None
    for name in ("gbk", "gb18030", "big5"):
        if name == "gb18030" and best is not None:
            continue  # GBK decoded it: GBK suffices, report the smaller encoding
        try:
            text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=not cut)
        except UnicodeDecodeError:
            continue
        share, count = _cjk_share(text[:20_000])
        if best is None or share > best[0]:
            best = (share, name, count)
    if best is None or best[0] < 0.8:
        return None
    return best[1], (0.9 if best[2] >= 8 else 0.7)


def _plausible_western(sample: bytes) -> bool:
    """Accented letters sitting inside words, or typographic punctuation: Western 8-bit text."""
    text = sample.decode("cp1252", "replace")
    total = plausible = 0
    for idx, ch in enumerate(text):
        if ord(ch) < 0x80:
            continue
        total += 1
        if ch in _WESTERN_PUNCT:
            plausible += 1
        elif ch.isalpha():
            before = text[idx - 1] if idx else " "
            after = text[idx + 1] if idx + 1 < len(text) else " "
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
                plausible += 1
    return total > 0 and plausible / total >= 0.8


def _normalizer_guess(sample: bytes) -> tuple[str, float, str] | None:
    """charset-normalizer's best guess as (canonical codec name, confidence, language)."""
    best = charset_normalizer.from_bytes(sample[:16384]).best()
    if best is None:
        return None
    return _canonical(best.encoding), max(0.1, 0.8 * (1.0 - best.chaos)), best.language


def _canonical(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return name
    return {"iso8859-1": "latin-1", "gb2312": "gbk", "utf_8": "utf-8", "windows-1252": "cp1252"}.get(codec, codec)


_SELF_EVIDENT = frozenset({"ascii", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


def _xml_declared_encoding(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head[:200])
    if not match:
        return None
    name = _canonical(match.group(1).decode("ascii"))
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _decode(head: bytes, encoding: str, cut: bool) -> str:
    try:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("latin-1")("replace")
    return decoder.decode(head, final=not cut)


# ---------------------------------------------------------------------------------------------
# Text formats
# ---------------------------------------------------------------------------------------------


def _sniff_text(data: bytes, filename: str | None, declared: str | None, partial: bool) -> Sniffed:
    encoding, enc_conf = detect_encoding(data)
    if encoding is None:
        return _result(None, 0.5, media_type="application/octet-stream", binary=True)
    head = data[:HEAD_BYTES]
    cut = partial or len(data) > HEAD_BYTES
    declared_xml = _xml_declared_encoding(head)
    if declared_xml and encoding not in _SELF_EVIDENT and declared_xml != encoding and _decodes(
            head, declared_xml, cut):
        encoding, enc_conf = declared_xml, 0.95  # the document names its legacy encoding, and the bytes agree
    text = _decode(head, encoding, cut)
    body = text.lstrip("\ufeff \t\r\n")
    extra: dict[str, Any] = {}
    if partial:
        extra["truncated"] = True  # only the start of an archive member was read
    if len(data) > HEAD_BYTES:
        extra["head_only"] = HEAD_BYTES  # the judgement rests on this many leading bytes
    if not body:
        return _result("TXT", 0.5, encoding=encoding, blank=True, **extra)
    name = _lower_name(filename)
    declared = (declared or "").split(";")[0].strip().lower()
    for classify in (_classify_json, _classify_markup, _classify_rdf_text, _classify_table):
        found = classify(data, body, encoding, cut, partial, name, declared)
        if found is not None:
            found.encoding = encoding
            found.confidence = round(found.confidence * (0.5 + enc_conf / 2), 3)
            for key, value in extra.items():
                found.details.setdefault(key, value)
            return found
    return _result("TXT", 0.6 * (0.5 + enc_conf / 2), encoding=encoding, **extra)


# --- JSON ---

_GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "Point", "LineString", "Polygon", "MultiPoint",
                            "MultiLineString", "MultiPolygon", "GeometryCollection"})
_GEOJSON_HINT = re.compile(r'"type"\s*:\s*"(FeatureCollection|Feature)"')
_JSONLD_HINT = re.compile(r'"@(context|graph)"\s*:')


def _classify_json(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                   declared: str) -> Sniffed | None:
    if body[0] not in "{[":
        return None
    if not partial and len(data) <= JSON_PARSE_CAP:
        full = body if len(data) <= HEAD_BYTES else _decode(data, encoding, False).lstrip("\ufeff \t\r\n")
        try:
            return _json_kind(json.loads(full))
        except RecursionError:
            return _result("JSON", 0.8, too_deep=True)
        except ValueError:
            return _json_lines(full)
    # Only a head of the document: judge by its opening and by tell-tale keys.
    if not re.match(r'[\[{]\s*(["{\[\]}\d-]|true|false|null)', body):
        return None
    json_top = "object" if body[0] == "{" else "array"
    if _JSONLD_HINT.search(body):
        return _result("JSON_LD", 0.7, json_top=json_top)
    if _GEOJSON_HINT.search(body):
        return _result("GEOJSON", 0.7, json_top=json_top)
    return _result("JSON", 0.7, json_top=json_top)


def _json_kind(doc: Any) -> Sniffed:
    if isinstance(doc, dict):
        if "@context" in doc or "@graph" in doc:
            return _result("JSON_LD", 0.97, json_top="object")
        if doc.get("type") in _GEOJSON_TYPES and any(k in doc for k in ("features", "geometry", "coordinates",
                                                                          "geometries")):
            return _result("GEOJSON", 0.97, json_top="object")
        return _result("JSON", 0.97, json_top="object", keys=list(doc)[:20])
    if isinstance(doc, list):
        first = doc[0] if doc else None
        if isinstance(first, dict) and ("@context" in first or "@id" in first and any(
                isinstance(k, str) and k.startswith(("@", "http:", "https:")) for k in first if k != "@id")):
            return _result("JSON_LD", 0.9, json_top="array", items=len(doc))
        return _result("JSON", 0.97, json_top="array", items=len(doc))
    return _result("JSON", 0.6, json_top=type(doc).__name__)


def _json_lines(body: str) -> Sniffed | None:
    """Newline-delimited JSON: each of the first lines an object or array of its own."""
    lines = [ln for ln in body.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return None
    try:
        for ln in lines:
            if not isinstance(json.loads(ln), dict | list):
                return None
    except (ValueError, RecursionError):
        return None
    return _result("JSON", 0.85, json_top="lines")


# --- XML and HTML ---

_HTML_TAGS = ("!doctype html", "html", "head", "body", "title", "meta", "script", "style", "link", "iframe",
              "frameset", "noscript", "div")
_PROLOG = re.compile(r"(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_HTML_START = re.compile(r"<(" + "|".join(re.escape(t) for t in _HTML_TAGS) + r")[\s>/]", re.I)
_HTML_LATER = re.compile(r"(?im)^\s*<(!doctype\s+html|html)[\s>]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?([^>]*)>", re.S)
_SKIP_MARKUP = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S | re.I)
_IRI_START = re.compile(r"<(?:https?|urn|ftp|file|mailto|tag|info|did):[^<>\s\"]*>\s")

_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_WFS_NS = ("http://www.opengis.net/wfs", "http://www.opengis.net/wfs/2.0")


def _classify_markup(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                     declared: str) -> Sniffed | None:
    if not body.startswith("<"):
        if _HTML_LATER.search(body[:2048]):
            return _result("HTML", 0.7)
        return None
    if _IRI_START.match(body):
        return None  # "<http://...> <...>" is N-Triples or Turtle, not markup
    after_prolog = body[_PROLOG.match(body).end():]
    if _HTML_START.match(after_prolog) or re.match(r"<!doctype\s+html", after_prolog, re.I):
        return _result("HTML", 0.95)
    ns, local, unsafe = _xml_root(body)
    if local is None:
        return None
    details: dict[str, Any] = {"xml_root": f"{{{ns}}}{local}" if ns else local}
    if unsafe:
        details["xml_unsafe"] = unsafe
    return _result(_xml_kind(ns, local, body, name), 0.95 if not unsafe else 0.8, **details)


def _xml_root(body: str) -> tuple[str, str | None, str | None]:
    """(namespace, local name, unsafe-construct) of the root element, parsed with defusedxml.

    The XML declaration is dropped because we parse the already-decoded text (its encoding
    label would contradict). A document defusedxml refuses (entities, external references)
    still gets its root from a plain scan of the start tag, and the refusal is reported.
    """
    text = _XML_DECL.sub("", body, count=1)
    unsafe = None
    try:
        for _event, elem in DET.iterparse(io.BytesIO(text.encode("utf-8")), events=("start",)):
            tag = elem.tag
            if isinstance(tag, str):
                if tag.startswith("{"):
                    ns, _, local = tag[1:].partition("}")
                    return ns, local, None
                return "", tag, None
            break
    except DefusedXmlException as exc:
        unsafe = type(exc).__name__
    except (DET.ParseError, ValueError, RecursionError):
        pass
    ns, local = _scan_root(text)
    return ns, local, unsafe


def _scan_root(text: str) -> tuple[str, str | None]:
    rest = text[:HEAD_BYTES]
    pos = 0
    while True:
        rest_stripped = rest[pos:].lstrip()
        skipped = _SKIP_MARKUP.match(rest_stripped)
        if not skipped:
            break
        pos = len(rest) - len(rest_stripped) + skipped.end()
    match = _ROOT_TAG.match(rest[pos:].lstrip())
    if not match:
        return "", None
    prefix, local, attrs = match.group(1), match.group(2), match.group(3)
    if local is None:
        prefix, local = None, prefix
    attr = f"xmlns:{prefix}" if prefix else "xmlns"
    ns = re.search(rf"{re.escape(attr)}\s*=\s*[\"']([^\"']*)[\"']", attrs)
    return (ns.group(1) if ns else ""), local


def _xml_kind(ns: str, local: str, body: str, name: str) -> str:
    if ns == _RDF_NS and local == "RDF":
        return "RSS" if "http://purl.org/rss/1.0/" in body[:4096] else "RDF_XML"
    if ns == _ATOM_NS and local in ("feed", "entry"):
        return "ATOM"
    if local == "rss":
        return "RSS"
    if local in ("WMS_Capabilities", "WMT_MS_Capabilities"):
        return "WMS"
    if local == "WFS_Capabilities":
        return "WFS"
    if local == "kml":
        return "KML"
    if ns.startswith("http://www.opengis.net/gml") or (local == "FeatureCollection" and ns in _WFS_NS):
        return "GML"
    if local.lower() == "html":
        return "HTML"
    return "XML"


# --- RDF text syntaxes ---

_TURTLE_DIRECTIVE = re.compile(r"(?mi)^\s*(@prefix\s+[\w.\-]*:|@base\s|prefix\s+[\w.\-]*:\s*<|base\s+<)")
_NT_IRI = r"<[^<>\"{}|^`\\\s]*>"
_NT_BNODE = r"_:[A-Za-z0-9_][\w.\-]*"
_NT_LITERAL = r'"(?:[^"\\]|\\.)*"(?:\^\^' + _NT_IRI + r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?"
_NT_LINE = re.compile(
    rf"^\s*(?:{_NT_IRI}|{_NT_BNODE})\s*{_NT_IRI}\s*(?:{_NT_IRI}|{_NT_BNODE}|{_NT_LITERAL})\s*\.\s*(?:#.*)?$")


def _classify_rdf_text(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                       declared: str) -> Sniffed | None:
    lines = body.splitlines()
    if cut and len(lines) > 1:
        lines = lines[:-1]
    statements = [ln for ln in lines[:200] if ln.strip() and not ln.lstrip().startswith("#")]
    n3 = name.endswith(".n3") or declared in ("text/n3", "text/rdf+n3")
    if statements and sum(1 for ln in statements if _NT_LINE.match(ln)) >= 0.95 * len(statements):
        return _result("NTRIPLES", 0.9, statements_sampled=len(statements))
    if _TURTLE_DIRECTIVE.search(body[:HEAD_BYTES]):
        return _result("N3" if n3 else "TURTLE", 0.9)
    if _IRI_START.match(body) and re.search(r"\s\.\s*$", "\n".join(lines[:50]), re.M):
        return _result("N3" if n3 else "TURTLE", 0.6)
    return None


# --- Delimited tables ---

_DELIMITERS = {",": "CSV", ";": "CSV", "\t": "TSV", "|": "PSV"}


def _classify_table(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                    declared: str) -> Sniffed | None:
    sample = body
    if cut and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best: tuple[tuple[float, int], str, dict[str, Any]] | None = None
    for delimiter in _DELIMITERS:
        if delimiter not in sample:
            continue
        stats = _table_stats(sample, delimiter)
        if stats is None:
            continue
        key = (round(stats["consistency"], 2), stats["columns"])
        if best is None or key > best[0]:
            best = (key, delimiter, stats)
    if best is not None and best[2]["consistency"] >= 0.5:
        delimiter, stats = best[1], best[2]
        confidence = 0.5 + 0.45 * stats["consistency"]
        return _result(_DELIMITERS[delimiter], confidence, delimiter=delimiter, **_quoting(sample, delimiter),
                       columns=stats["columns"], rows_sampled=stats["rows"], header_row=stats["header_row"],
                       line_terminator=_line_terminator(sample))
    if name.endswith(".csv") or declared in ("text/csv", "application/csv"):
        lines = [ln for ln in sample.splitlines()[:TABLE_SAMPLE_ROWS] if ln.strip()]
        if lines and max(len(ln) for ln in lines) <= 200:
            return _result("CSV", 0.5, delimiter=",", columns=1, rows_sampled=len(lines), header_row=0,
                           line_terminator=_line_terminator(sample))
    return None


def _table_stats(sample: str, delimiter: str) -> dict[str, Any] | None:
    """How regular the rows are under `delimiter`: the modal field count and its share of rows."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"')
    counts: list[int] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                counts.append(len(row))
            if len(counts) >= TABLE_SAMPLE_ROWS:
                break
    except csv.Error:
        return None
    wide = Counter(c for c in counts if c > 1)
    if not counts or not wide:
        return None
    columns, hits = wide.most_common(1)[0]
    if hits < 2 and len(counts) > 1:
        return None
    header_row = next(i for i, c in enumerate(counts) if c == columns)
    return {"columns": columns, "consistency": hits / len(counts), "rows": len(counts), "header_row": header_row}


def _quoting(sample: str, delimiter: str) -> dict[str, Any]:
    esc = re.escape(delimiter)
    if re.search(rf'(?m)(^|{esc})"', sample):
        return {"quotechar": '"'}
    if re.search(rf"(?m)(^|{esc})'[^'\n]*'({esc}|$)", sample):
        return {"quotechar": "'"}
    return {}


def _line_terminator(sample: str) -> str:
    crlf = sample.count("\r\n")
    cr = sample.count("\r") - crlf
    lf = sample.count("\n") - crlf
    return max((("\r\n", crlf), ("\r", cr), ("\n", lf)), key=lambda kv: kv[1])[0]
