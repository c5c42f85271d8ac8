"""What the sniffer reports (``Sniffed``) and the bounds it works within."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog_schema import vocab
from plumbing import textencoding

HEAD_BYTES = textencoding.HEAD_BYTES  # text sniffing looks at this much (and the encoding is decided from it)


MEMBER_READ_BYTES = 64 * 1024  # decompressed bytes read from one archive member


ARCHIVE_READ_BUDGET = 2 * 1024 * 1024  # decompressed bytes read from all members together


MAX_SNIFFED_MEMBERS = 32


MAX_LISTED_MEMBERS = 50


NESTED_ARCHIVE_CAP = 8 * 1024 * 1024  # a nested archive is opened whole only below this size


MAX_DEPTH = 2  # archives inside archives inside archives are not opened


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

    def to_dict(self, *, exact: bool = False) -> dict[str, Any]:
        """A JSON-able dict; the confidence rounded to 3 places unless `exact` (for `from_dict` to give it back)."""
        details = {k: (v.to_dict(exact=exact) if isinstance(v, Sniffed) else v) for k, v in self.details.items()}
        return {
            "format": self.format,
            "media_type": self.media_type,
            "encoding": self.encoding,
            "confidence": self.confidence if exact else round(self.confidence, 3),
            "details": details,
            "inner_name": self.inner_name,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Sniffed:
        """The inverse of `to_dict(exact=True)` (an archive's inner member comes back as a Sniffed of its own)."""
        details = dict(doc.get("details") or {})
        if isinstance(details.get("inner"), dict):
            details["inner"] = cls.from_dict(details["inner"])
        return cls(doc.get("format"), doc.get("media_type"), doc.get("encoding"), doc.get("confidence") or 0.0,
                   details, doc.get("inner_name"))


def result(fmt: str | None, confidence: float, *, encoding: str | None = None,
            media_type: str | None = None, inner_name: str | None = None, **details: Any) -> Sniffed:
    if media_type is None and fmt is not None:
        ff = vocab.format_by_code(fmt)
        if ff is not None and ff.media_types:
            media_type = ff.media_types[0]
    return Sniffed(fmt, media_type, encoding, confidence, dict(details), inner_name)


def lower_name(filename: str | None) -> str:
    return (filename or "").rsplit("/", 1)[-1].lower()
