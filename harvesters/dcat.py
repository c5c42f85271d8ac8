"""DCAT / DCAT-AP sources: RDF/XML, Turtle, JSON-LD or N-Triples, Hydra pages followed."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

from catalog_schema import dcat
from catalog_schema.record import Record
from harvesters.base import Harvester, HarvestError, RemoteItem
from harvesters.messages import N_, Message
from harvesters.reading import read, wrong_type

MAX_PAGES = 10_000

_BY_MEDIA_TYPE = {
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/n-triples": "nt",
    "text/plain": None,  # N-Triples is often served as text/plain: sniff
}
_BY_EXTENSION = {".rdf": "xml", ".xml": "xml", ".owl": "xml", ".ttl": "turtle", ".jsonld": "json-ld",
                 ".json": "json-ld", ".nt": "nt"}


def rdf_format(url: str, content_type: str | None) -> str | None:
    """The rdflib format name from the Content-Type, else the extension; None: let the parser sniff."""
    if content_type:
        fmt = _BY_MEDIA_TYPE.get(content_type.split(";")[0].strip().lower())
        if fmt:
            return fmt
    path = urlsplit(url).path.lower()
    for ext, fmt in _BY_EXTENSION.items():
        if path.endswith(ext):
            return fmt
    return None


class DcatHarvester(Harvester):
    type = "dcat"

    def gather(self) -> Iterator[RemoteItem]:
        """Each page is parsed whole (RDF has no order to stream in); its datasets are mapped here and
        travel as records (JSON), so that `to_record` needs no graph. Hydra `next` is followed; a page
        that names an earlier page as its next fails the job (a loop is a broken server, not the end)."""
        url: str | None = self.source.url
        pages: dict[str, int] = {}
        while url:
            if url in pages:
                raise HarvestError(N_("%(url)s: Hydra paging loops back to page %(page)s (page %(last)s names "
                                      "%(next)s as its next page)"), url=self.source.url, page=pages[url],
                                   last=len(pages), next=url)
            if len(pages) >= MAX_PAGES:
                raise HarvestError(N_("%(url)s: more than %(max)s Hydra pages; stopped"), url=self.source.url,
                                   max=MAX_PAGES)
            pages[url] = len(pages) + 1
            doc = read(url, self.http, expected=N_("a DCAT catalog"))
            syntax = rdf_format(doc.url, doc.content_type)
            if syntax == "json-ld":
                _check_json_ld(url, doc.content)
            try:
                parsed = dcat.parse_catalog(doc.content, format=syntax, base=doc.url)
            except ValueError as exc:
                if not str(exc).startswith("could not parse"):
                    raise HarvestError(N_("%(url)s: %(error)s"), url=url, error=exc) from exc
                # the parser's own complaint was three lines of rdflib's (b''^b'Service temporarily ...'): said as
                # what the answer is, another kind of catalog, or text that is no RDF, with how it begins
                raise (wrong_type(url, doc.content, self.type) or HarvestError(
                    N_("%(url)s: the answer is no RDF (read as %(syntax)s); it begins “%(start)s”"), url=url,
                    syntax=syntax, start=_start(doc.content))) from exc
            for rec in parsed.records:
                remote_id = rec.get("uri") or rec.get("identifier")
                if not remote_id:
                    yield RemoteItem(remote_id=f"{url}#{pages[url]}-{id(rec)}", payload=None,
                                     error=Message(N_("dataset has neither a URI nor a dct:identifier")))
                    continue
                yield RemoteItem(remote_id=str(remote_id)[:500], payload=_payload(rec))
            for err in parsed.errors:
                yield RemoteItem(remote_id=str(err.get("uri") or f"{url}#error")[:500], payload=None,
                                 error=err.get("message") or "could not map this dataset")
            url = parsed.next_page

    def to_record(self, item: RemoteItem) -> Record:
        payload = item.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("record"), dict):
            raise ValueError("no mapped dataset in the item")
        return copy.deepcopy(payload["record"])  # the payload stays as the source described it


def _start(content: bytes, limit: int = 80) -> str:
    """How an answer begins, as one line of text (a quoted sample for a sentence)."""
    text = " ".join(content[:limit * 4].decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_json_ld(url: str, content: bytes) -> None:
    """JSON whose top objects have no JSON-LD keyword (@context, @graph, @id ...) is no JSON-LD: read as JSON-LD
    it holds no triples, and the job said "the catalog lists no datasets" of a data.json listing ten. Said for
    what it is instead."""
    try:
        value = json.loads(content)
    except ValueError:
        return  # not JSON at all: the RDF parser says why
    context = value.get("@context") if isinstance(value, dict) else None
    if isinstance(value, dict) and isinstance(value.get("dataset"), list) and (
            context is None or "project-open-data" in str(context)):  # POD's own context is no DCAT mapping
        raise HarvestError(N_("%(url)s: JSON without a JSON-LD @context, holding a \"dataset\" list: a data.json "
                              "catalog, not RDF (add the source with --type datajson)"), url=url)
    tops = value if isinstance(value, list) else [value]
    if any(isinstance(t, dict) and any(k.startswith("@") for k in t) for t in tops):  # expanded JSON-LD has no
        return  # @context, but its objects have their @id and @type
    raise HarvestError(N_("%(url)s: JSON without a JSON-LD @context, not an RDF catalog"), url=url)


def _payload(rec: Record) -> dict:
    """The original description of the dataset: the triples the mapper kept, as the record holds them."""
    return {"uri": rec.get("uri"), "identifier": rec.get("identifier"), "record": rec}
