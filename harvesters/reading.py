"""Read a source document from a URL (through the guarded session) or a local path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harvesters.base import HarvestError


@dataclass
class Document:
    url: str
    content: bytes
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def read(url: str, http) -> Document:
    """The bytes at `url`: http(s) through `http` (the guarded session), else a local file."""
    if is_remote(url):
        if http is None:
            raise HarvestError(f"{url}: no HTTP session to fetch it with")
        try:
            result = http.fetch(url, headers={"Accept": "application/json, application/rdf+xml, text/turtle, "
                                                        "application/ld+json, application/n-triples;q=0.9, */*;q=0.5"})
        except Exception as exc:  # HttpError carries a readable message
            raise HarvestError(f"{url}: {exc}") from exc
        headers = {k.lower(): v for k, v in (result.headers or {}).items()}
        return Document(url=result.final_url or url, content=result.content,
                        content_type=headers.get("content-type"), headers=headers)
    scheme = urlsplit(url).scheme
    if scheme == "file":
        url = urlsplit(url).path
    elif scheme:
        raise HarvestError(f"{url}: only http(s) URLs and local paths can be harvested")
    path = Path(url)
    if not path.exists():
        raise HarvestError(f"{url}: no such file")
    if path.is_dir():
        raise HarvestError(f"{url}: is a folder, not a document")
    return Document(url=str(path.resolve()), content=path.read_bytes())
