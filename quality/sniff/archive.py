"""ZIP and GZIP: members listed and sniffed through capped streaming reads; bombs reported, never unpacked;
OOXML and ODF office documents recognised by their members."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog_schema import vocab
from plumbing.bombs import member_bomb, total_bomb
from quality.sniff.model import (
    ARCHIVE_READ_BUDGET,
    MAX_DEPTH,
    MAX_LISTED_MEMBERS,
    MAX_SNIFFED_MEMBERS,
    MEMBER_READ_BYTES,
    NESTED_ARCHIVE_CAP,
    Sniffed,
    lower_name,
    result,
)


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
            return result(_ODF_KINDS[mimetype], 0.98, **extra)
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            return result(None, 0.9, media_type=mimetype, odf=mimetype, **extra)
    if "[Content_Types].xml" in by_name:
        types = (_read_member(by_name["[Content_Types].xml"], MEMBER_READ_BYTES) or b"").decode("utf-8", "replace")
        low = types.lower()
        for marker, fmt, details in _OOXML_KINDS:
            if marker in low:
                media = None if fmt else "application/vnd.openxmlformats-officedocument.presentationml.presentation"
                return result(fmt, 0.98, media_type=media, **details, **extra)
    # No type list (it may sit past a truncation, openpyxl writes it last): the part names tell.
    names = set(by_name)
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names or any(n.startswith("xl/worksheets/") for n in names):
        return result("XLSX", 0.85, **extra)
    if "word/document.xml" in names:
        return result("DOCX", 0.85, **extra)
    return None


def _rank(found: Sniffed, name: str) -> tuple[int, int, int, int, int]:
    """Which member an archive is rated by: the one that would earn the most stars."""
    eff = found.effective
    ff = vocab.format_by_code(eff.format) if eff.format else None
    ext_agrees = bool(ff) and vocab.format_for_extension(name) is ff
    if ff is None:
        return (0, 0, 0, 0, 0)
    return (int(ff.rdf), int(ff.structured and ff.non_proprietary), int(ff.structured), 1, int(ext_agrees))


def sniff_zip(data: bytes, filename: str | None, depth: int, partial: bool) -> Sniffed:
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
        bomb = member_bomb(member.name, member.size, member.compressed)
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
    whole = total_bomb(count, declared_total, compressed_total)
    if "bomb" not in details and whole is not None:
        # many members each modest, together absurd: the archive as a whole is the bomb
        details["bomb"] = whole
    if best is None:
        return result(fmt, 0.95, **details)
    details["inner"] = best[2]
    return result(fmt, 0.98, inner_name=best[1], **details)


def _sniff_member(member: _Member, limit: int, depth: int) -> Sniffed | None:
    nested = member.name.lower().endswith((".zip", ".kmz"))
    if nested and member.size is not None and member.size <= NESTED_ARCHIVE_CAP:
        limit = NESTED_ARCHIVE_CAP
    head = _read_member(member, limit)
    if head is None:
        return None
    partial = member.size is None or len(head) < member.size
    from quality.sniff.detect import sniff_at  # the entry point sniffs members: imported late, it imports us

    return sniff_at(head, member.name, None, depth=depth + 1, partial=partial)


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


def sniff_gzip(data: bytes, filename: str | None, depth: int) -> Sniffed:
    details: dict[str, Any] = {}
    try:
        head = zlib.decompressobj(31).decompress(data, MEMBER_READ_BYTES)
    except zlib.error as exc:
        head = b""
        details["corrupt"] = str(exc)
    name = _gzip_name(data)
    if name is None and filename and lower_name(filename).endswith((".gz", ".tgz")):
        base = filename.rsplit("/", 1)[-1]
        name = base[:-3] if base.lower().endswith(".gz") else base[:-4] + ".tar"
    if len(data) >= 18:
        isize = struct.unpack_from("<I", data, len(data) - 4)[0]
        bomb = member_bomb(name or "(gzip)", isize, len(data))
        if bomb is not None:
            details["bomb"] = bomb
    if not head or depth >= MAX_DEPTH:
        return result("GZIP", 0.95, inner_name=name, **details)
    if len(head) >= 512 and head[257:262] == b"ustar":
        details["tar"] = True
        name = head[:100].split(b"\x00", 1)[0].decode("utf-8", "replace")
        try:
            size = int(head[124:136].split(b"\x00", 1)[0].strip() or b"0", 8)
        except ValueError:
            size = 0
        head = head[512: 512 + size]
        if not head:
            return result("GZIP", 0.95, inner_name=name, **details)
    from quality.sniff.detect import sniff_at  # the entry point sniffs members: imported late, it imports us

    inner = sniff_at(head, name, None, depth=depth + 1, partial=len(head) >= MEMBER_READ_BYTES)
    details["inner"] = inner
    return result("GZIP", 0.98, inner_name=name, **details)
