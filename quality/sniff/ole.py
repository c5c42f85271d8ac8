"""OLE2 compound files (XLS, DOC, encrypted OOXML): the directory read without a library, encryption noticed."""

from __future__ import annotations

import struct

from quality.sniff.model import MEMBER_READ_BYTES, Sniffed, lower_name, result

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


def sniff_ole(data: bytes, filename: str | None) -> Sniffed:
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
            return result("XLS", 0.9, truncated=True)
        return result("XLS", 0.98, **({"encrypted": True} if encrypted else {}))
    if "worddocument" in names:
        try:
            fib = ole.read("worddocument", 64)
            encrypted = len(fib) >= 12 and bool(struct.unpack_from("<H", fib, 10)[0] & 0x0100)
        except (_OleError, struct.error):
            return result("DOC", 0.9, truncated=True)
        return result("DOC", 0.98, **({"encrypted": True} if encrypted else {}))
    if "encryptedpackage" in names:
        return _encrypted_ooxml(filename)
    kind = "powerpoint" if "powerpoint document" in names else "other"
    return result(None, 0.8, media_type="application/x-ole-storage", ole=kind, ole_streams=sorted(names)[:20])


def _encrypted_ooxml(filename: str | None) -> Sniffed:
    """A password-protected XLSX/DOCX is an OLE2 file whose real type only the name can suggest."""
    name = lower_name(filename)
    fmt = "XLSX" if name.endswith((".xlsx", ".xlsm")) else "DOCX" if name.endswith(".docx") else None
    return result(fmt, 0.6 if fmt else 0.5, media_type=None if fmt else "application/x-ole-storage",
                   encrypted=True, ooxml_encrypted=True)


def _sniff_ole_by_names(data: bytes, filename: str | None, problem: str) -> Sniffed:
    """A truncated compound file: the directory names are still visible as UTF-16 in the raw bytes."""
    raw = data[: 4 * 1024 * 1024]
    if "Workbook".encode("utf-16-le") in raw or b"B\x00o\x00o\x00k\x00\x00\x00" in raw:
        return result("XLS", 0.7, truncated=True, ole_error=problem)
    if "WordDocument".encode("utf-16-le") in raw:
        return result("DOC", 0.7, truncated=True, ole_error=problem)
    if "EncryptedPackage".encode("utf-16-le") in raw:
        found = _encrypted_ooxml(filename)
        found.details.update(truncated=True)
        return found
    return result(None, 0.5, media_type="application/x-ole-storage", truncated=True, ole_error=problem)
