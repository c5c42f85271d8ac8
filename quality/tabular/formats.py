"""Which reader a file needs (CSV/TSV/PSV, XLS, XLSX, ODS, JSON), from the sniffed bytes and the name; which
sniffed formats are tables (``TABLE_FORMATS``)."""

from __future__ import annotations

import os

from quality.sniff import sniff

#: Sniffed format codes (quality.sniff) whose files ``read_table`` reads as one table when given the code: the
#: conversions (data.csv/json/xml/ttl) and the row store serve exactly these.
TABLE_FORMATS = frozenset({"CSV", "TSV", "PSV", "XLS", "XLSX", "ODS", "JSON", "GEOJSON", "ZIP", "XML"})

_EXT_FORMATS = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "psv": "psv", "txt": "csv", "xls": "xls",
                "xlsx": "xlsx", "xlsm": "xlsx", "ods": "ods", "json": "json"}


def detect_format(path: str, head: bytes) -> str:
    if path.lower().endswith(".json") and head.lstrip()[:1] in (b"[", b"{"):
        return "json"  # even when broken: it should fail as JSON, not be read as a CSV of brackets
    fmt = (sniff(head, filename=os.path.basename(path)).format or "").lower() or None
    if fmt in ("xlsm",):
        fmt = "xlsx"
    if fmt in ("csv", "tsv", "psv", "xls", "xlsx", "ods", "json"):
        return fmt
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        return "ods" if b"application/vnd.oasis.opendocument.spreadsheet" in head[:200] else "xlsx"
    stripped = head.lstrip()[:1]
    if stripped in (b"[", b"{") and not path.lower().endswith((".csv", ".tsv")):
        return "json"
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    return _EXT_FORMATS.get(ext, "csv")


def table_format(path: str, format: str | None = None) -> str:
    """The reader to use for `path`: the given format code (lower-cased, aliases folded) or the one its
    first bytes say."""
    if not format:
        with open(path, "rb") as fh:
            head = fh.read(8192)
        format = detect_format(path, head)
    fmt = format.lower()
    return {"xlsm": "xlsx", "tab": "tsv"}.get(fmt, fmt)
