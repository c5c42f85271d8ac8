"""Readable names for downloaded files: `<dataset-slug>_<resource-name>.<ext>`, Chinese kept.

Browsers take the name from `Content-Disposition` (RFC 6266): `filename*` carries it in UTF-8
(RFC 8187) and `filename` an ASCII stand-in for clients that read only that one.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

#: Characters no file system or shell should meet in a name, control characters included.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")
MAX_NAME = 120  # characters before the extension


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub("_", _UNSAFE.sub(" ", text).strip())
    return text.strip("._")[:MAX_NAME].rstrip("._")


def resource_name(title: str | None, url: str | None, fallback: str) -> str:
    """What to call a distribution in a file name: its title, else its URL's file name without the
    extension, else `fallback` (its id)."""
    for candidate in (title, (unquote(urlsplit(url).path.rsplit("/", 1)[-1]).rsplit(".", 1)[0] if url else None)):
        name = _clean(candidate or "")
        if name:
            return name
    return _clean(fallback) or "data"


def download_name(slug: str, resource: str, ext: str) -> str:
    """`<slug>_<resource>.<ext>`; the resource part is left out when it says nothing the slug does not. A resource
    named by its file keeps no extension of its own (`x_x.csv.csv` was a CSV download's name)."""
    resource = re.sub(r"\.(csv|tsv|txt|xlsx?|ods|json|geojson|xml|ttl|rdf|jsonld|zip|pdf)$", "", _clean(resource),
                      flags=re.IGNORECASE)
    stem = slug if not resource or resource == slug else f"{slug}_{resource}"
    return f"{stem}.{ext}"


def ascii_name(name: str, fallback: str) -> str:
    """An ASCII stand-in: accents dropped, other scripts left out; `fallback` when nothing is left."""
    stem, dot, ext = name.rpartition(".")
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9.-]+", "_", folded).strip("._")
    return f"{folded or fallback}{dot}{ext}" if dot else (folded or fallback)


def content_disposition(name: str, *, attachment: bool, fallback: str) -> str:
    """The header value: `attachment` (save) or `inline` (show), the ASCII name and the UTF-8 one."""
    kind = "attachment" if attachment else "inline"
    plain = ascii_name(name, fallback)
    if plain == name:
        return f'{kind}; filename="{plain}"'
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
