"""``sniff``: the entry point, binary formats first, then text."""

from __future__ import annotations

from quality.sniff.binary import sniff_binary
from quality.sniff.model import Sniffed, result
from quality.sniff.text import sniff_text


def sniff(data: bytes, *, filename: str | None = None, declared_media_type: str | None = None) -> Sniffed:
    """The real format of `data` (the whole file, or as much of it as was downloaded)."""
    try:
        return sniff_at(bytes(data), filename, declared_media_type, depth=0, partial=False)
    except Exception as exc:  # noqa: BLE001 - the last guard: one odd file must not stop an assessment
        return result(None, 0.0, media_type="application/octet-stream", sniff_error=f"{type(exc).__name__}: {exc}")


def sniff_at(data: bytes, filename: str | None, declared: str | None, *, depth: int, partial: bool) -> Sniffed:
    if not data:
        return result(None, 0.0, empty=True)
    found = sniff_binary(data, filename, depth, partial)
    if found is not None:
        return found
    return sniff_text(data, filename, declared, partial)
