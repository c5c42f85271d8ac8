"""The whole bytes of the one archive member the sniffer rated (`Sniffed.details["inner"]` of a ZIP or a GZIP), for the
checks that judge a whole document: does it parse (JSON, RDF), what does its RDF name and link. The sniffer read only
its first bytes; openness rates it (`Sniffed.effective`), so it is read whole here, within a bound, never a bomb."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

from quality.rules.not_parseable import PARSE_CAP
from quality.sniff.model import Sniffed

ARCHIVES = ("ZIP", "GZIP")


def rated(sniffed: Sniffed | None) -> Sniffed | None:
    """The member of a ZIP or GZIP (one level in, not itself an archive) that openness rates; None for any other."""
    if sniffed is None or sniffed.format not in ARCHIVES:
        return None
    inner = sniffed.details.get("inner")
    if not isinstance(inner, Sniffed) or inner.format is None or inner.format in ARCHIVES:
        return None
    return inner


def member_bytes(path: Path, sniffed: Sniffed, cap: int = PARSE_CAP) -> bytes | None:
    """The rated member's bytes, decompressed; None when there is none, when the archive is a bomb, encrypted, a tar
    or damaged, or when the member is larger than `cap` (not judged, as a larger file is not parsed either)."""
    if rated(sniffed) is None or sniffed.details.get("bomb") or sniffed.details.get("encrypted") \
            or sniffed.details.get("tar"):
        return None
    try:
        if sniffed.format == "ZIP":
            with zipfile.ZipFile(path) as zf, zf.open(sniffed.inner_name or "") as fh:
                data = fh.read(cap + 1)
        else:
            with gzip.open(path, "rb") as fh:
                data = fh.read(cap + 1)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError):
        return None  # a truncated or damaged archive: what the sniffer saw stands
    return data if len(data) <= cap else None
