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
import re
from collections.abc import Callable, Iterator
from typing import Any

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session, selectinload

from app.export import stream_rdf
from app.services import lifecycle, serving
from catalog_schema import dcat as dcatmap
from catalog_schema.models import Dataset, DatasetSlug

ADMS_STATUS = dcatmap.ADMS.status
WITHDRAWN = URIRef(lifecycle.ADMS_WITHDRAWN)
BATCH = 500
_URL = re.compile(r"^https?://", re.IGNORECASE)  # a successor elsewhere (lifecycle.successor)


def _when(ds: Dataset) -> dt.datetime:
    value = ds.withdrawn_at or ds.modified_at
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _descriptions(ds: Dataset) -> dict[str, str]:
    day = _when(ds).date().isoformat()
    reason = (serving.public_reason(ds) or "").strip()  # its personal data redacted: the catalog's changes are public
    return {"en": f"Withdrawn by its publisher on {day}." + (f" Reason: {reason}" if reason else ""),
            "zh": f"已于 {day} 被发布部门撤回。" + (f"原因：{reason}" if reason else "")}


def _iri(ds: Dataset, site_url: str) -> URIRef:
    """The dataset's IRI: the one it was first published under, whatever it was renamed to since."""
    return URIRef(dcatmap.dataset_uri({"slug": ds.slug, "extras": ds.extras}, site_url))


def successor_iris(session: Session | None, datasets: list[Dataset], site_url: str) -> dict[str, URIRef | None]:
    """Each withdrawn dataset's `dct:isReplacedBy`, by its id: the IRI of the dataset of this catalog it names
    (found by its current or a former slug, as `lifecycle.find` does; the IRI it was first published under) while
    that one is published, the address elsewhere it names, else None. One query for the whole list (the feed's
    page or batch), whatever the number of successors."""
    named = {ds.id: (ds.successor or "").strip() for ds in datasets}
    slugs = {name for name in named.values()
             if name and not _URL.match(name) and "\x00" not in name and len(name) <= lifecycle.MAX_SLUG_CHARS}
    current: dict[str, tuple[str, Any, str]] = {}
    former: dict[str, tuple[str, Any, str]] = {}
    if slugs and session is not None:
        rows = session.execute(
            select(Dataset.slug, Dataset.extras, Dataset.state, DatasetSlug.slug)
            .outerjoin(DatasetSlug, (DatasetSlug.dataset_id == Dataset.id) & DatasetSlug.slug.in_(slugs))
            .where(or_(Dataset.slug.in_(slugs), DatasetSlug.slug.in_(slugs))))
        for slug, extras, state, old in rows:
            if slug in slugs:
                current[slug] = (slug, extras, state)
            if old is not None:
                former[old] = (slug, extras, state)
    out: dict[str, URIRef | None] = {}
    for ds_id, name in named.items():
        if _URL.match(name):
            out[ds_id] = URIRef(name)
            continue
        target = current.get(name) or former.get(name)  # a current slug wins over another's former one
        out[ds_id] = (URIRef(dcatmap.dataset_uri({"slug": target[0], "extras": target[1]}, site_url))
                      if target is not None and target[2] == "active" else None)
    return out


def add_withdrawn(graph: rdflib.Graph, ds: Dataset, *, site_url: str, catalog_uri: str | None = None,
                  successors: dict[str, URIRef | None] | None = None) -> URIRef:
    """The minimal record of withdrawn `ds` into `graph` (and the catalog's dcat:dataset link to it). `successors`:
    `successor_iris` of a list `ds` is in (looked up for `ds` alone when not given)."""
    node = _iri(ds, site_url)
    graph.add((node, RDF.type, DCAT.Dataset))
    titles = {lang: text for lang, text in (serving.public_title(ds) or {}).items() if text} or {"": ds.slug}
    for lang, text in titles.items():
        graph.add((node, DCTERMS.title, Literal(text, lang=lang or None)))
    for lang, text in _descriptions(ds).items():
        graph.add((node, DCTERMS.description, Literal(text, lang=lang)))
    graph.add((node, DCTERMS.modified, Literal(_when(ds).astimezone(dt.UTC).isoformat(), datatype=XSD.dateTime)))
    graph.add((node, ADMS_STATUS, WITHDRAWN))
    if successors is None:
        successors = successor_iris(object_session(ds), [ds], site_url)
    successor = successors.get(ds.id)
    if successor is not None:
        graph.add((node, DCTERMS.isReplacedBy, successor))
    if catalog_uri:
        graph.add((URIRef(catalog_uri), DCAT.dataset, node))
    return node


def triples(ds: Dataset, *, site_url: str, catalog_uri: str,
            successors: dict[str, URIRef | None] | None = None) -> list[tuple[str, str, str]]:
    """The minimal record as N-Triples terms, for the streamed Turtle and N-Triples writers."""
    graph = rdflib.Graph()
    add_withdrawn(graph, ds, site_url=site_url, catalog_uri=catalog_uri, successors=successors)
    return stream_rdf.graph_triples(graph)


def text(datasets: list[Dataset], fmt: str, *, site_url: str, catalog_uri: str) -> str:
    """The minimal records as Turtle statements (after the page's prefixes) or N-Triples lines."""
    parts = []
    successors = successor_iris(object_session(datasets[0]), datasets, site_url) if datasets else {}
    for ds in datasets:
        found = triples(ds, site_url=site_url, catalog_uri=catalog_uri, successors=successors)
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

