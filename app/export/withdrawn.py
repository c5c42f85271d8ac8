"""Withdrawn datasets in the DCAT changes feed (`/catalog.*?modified_since=`, and its dumps).

A harvester that asks what changed since a date must also learn what went away. DCAT 3 gives every
dcat:Resource a lifecycle status (`adms:status`) and names the ADMS status vocabulary for it; DCAT-AP 3
builds on DCAT 3 and its shapes are open, so a dcat:Dataset may carry it. A withdrawn dataset changed
since the date is therefore listed as a minimal record: its IRI (the one it was first published under), title,
a description saying it was withdrawn (DCAT-AP 3 requires one), dct:modified (when it was withdrawn),
`adms:status <http://purl.org/adms/status/Withdrawn>`, and `dct:isReplacedBy` its successor when one was
named. Its distributions and the rest of its metadata are not re-published. Full listings (no
`modified_since`) and data.json (Project Open Data v1.1 has no status field) leave withdrawn datasets out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from app.export import stream_rdf
from app.services import lifecycle
from catalog_schema import dcat as dcatmap
from catalog_schema.models import Dataset

ADMS_STATUS = dcatmap.ADMS.status
WITHDRAWN = URIRef(lifecycle.ADMS_WITHDRAWN)
BATCH = 500


def _when(ds: Dataset) -> dt.datetime:
    value = ds.withdrawn_at or ds.modified_at
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _descriptions(ds: Dataset) -> dict[str, str]:
    day = _when(ds).date().isoformat()
    reason = (ds.withdrawn_reason or "").strip()
    return {"en": f"Withdrawn by its publisher on {day}." + (f" Reason: {reason}" if reason else ""),
            "zh": f"已于 {day} 被发布部门撤回。" + (f"原因：{reason}" if reason else "")}


def _iri(ds: Dataset, site_url: str) -> URIRef:
    """The dataset's IRI: the one it was first published under, whatever it was renamed to since."""
    return URIRef(dcatmap.dataset_uri({"slug": ds.slug, "extras": ds.extras}, site_url))


def _successor_iri(ds: Dataset, site_url: str) -> URIRef | None:
    named = lifecycle.successor(ds, site_url)
    if named is None:
        return None
    if named["slug"] and named["url"]:  # a dataset of this catalog: its dataset IRI
        session = object_session(ds)
        target = lifecycle.find(session, named["slug"])[0] if session is not None else None
        return _iri(target, site_url) if target is not None else URIRef(dcatmap.dataset_uri(named, site_url))
    return URIRef(named["url"]) if named["url"] else None


def add_withdrawn(graph: rdflib.Graph, ds: Dataset, *, site_url: str, catalog_uri: str | None = None) -> URIRef:
    """The minimal record of withdrawn `ds` into `graph` (and the catalog's dcat:dataset link to it)."""
    node = _iri(ds, site_url)
    graph.add((node, RDF.type, DCAT.Dataset))
    titles = {lang: text for lang, text in (ds.title or {}).items() if text} or {"": ds.slug}
    for lang, text in titles.items():
        graph.add((node, DCTERMS.title, Literal(text, lang=lang or None)))
    for lang, text in _descriptions(ds).items():
        graph.add((node, DCTERMS.description, Literal(text, lang=lang)))
    graph.add((node, DCTERMS.modified, Literal(_when(ds).astimezone(dt.UTC).isoformat(), datatype=XSD.dateTime)))
    graph.add((node, ADMS_STATUS, WITHDRAWN))
    successor = _successor_iri(ds, site_url)
    if successor is not None:
        graph.add((node, DCTERMS.isReplacedBy, successor))
    if catalog_uri:
        graph.add((URIRef(catalog_uri), DCAT.dataset, node))
    return node


def triples(ds: Dataset, *, site_url: str, catalog_uri: str) -> list[tuple[str, str, str]]:
    """The minimal record as N-Triples terms, for the streamed Turtle and N-Triples writers."""
    graph = rdflib.Graph()
    add_withdrawn(graph, ds, site_url=site_url, catalog_uri=catalog_uri)
    return stream_rdf.graph_triples(graph)


def text(datasets: list[Dataset], fmt: str, *, site_url: str, catalog_uri: str) -> str:
    """The minimal records as Turtle statements (after the page's prefixes) or N-Triples lines."""
    parts = []
    for ds in datasets:
        found = triples(ds, site_url=site_url, catalog_uri=catalog_uri)
        parts.append(stream_rdf.turtle_blocks(found) if fmt == "ttl" else stream_rdf.nt_lines(found))
    return "".join(parts)


def changed_since(session: Session, since: dt.datetime, *, after: str = "", limit: int = BATCH) -> list[Dataset]:
    """Withdrawn datasets changed since `since`, in slug order, `limit` after the slug `after`."""
    return list(session.scalars(select(Dataset).where(Dataset.state == "withdrawn", Dataset.modified_at >= since,
                                                      Dataset.slug > after)
                                .order_by(Dataset.slug).limit(limit).options(selectinload(Dataset.publisher))))


def stream(sessionmaker: Callable[[], Session], since: dt.datetime, fmt: str, *, site_url: str,
           catalog_uri: str) -> Iterator[str]:
    """The minimal records of every withdrawn dataset changed since `since`, batch by batch, in its own
    session (a streamed body outlives the request)."""
    last = ""
    with sessionmaker() as session:
        while True:
            rows = changed_since(session, since, after=last)
            if not rows:
                return
            yield text(rows, fmt, site_url=site_url, catalog_uri=catalog_uri)
            last = rows[-1].slug
            session.expunge_all()

