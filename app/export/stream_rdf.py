"""DCAT-AP 3 written dataset by dataset, in constant memory: N-Triples and Turtle.

Why not rdflib: one Graph of a 100,000-dataset catalog takes gigabytes, its Turtle
writer is quadratic, and even a small Graph per dataset costs about a millisecond to
build (term objects, indexes). The triples come from `catalog_schema.dcat_triples`, the
one record -> DCAT mapping (`dcat.dataset_to_rdf` builds its Graphs from the same
triples), already as N-Triples terms: this module only writes them, one dataset at a
time, forgotten before the next one is read. Blank nodes are numbered by one counter for
the whole stream. Turtle: prefixes once at the top, then one block per subject of each
dataset. Triples about shared nodes (publishers, licences, formats ...) are written once,
up to a bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import rdflib
from rdflib import BNode, Literal, URIRef

from catalog_schema import dcat_triples as mapping
from catalog_schema.dcat_triples import COMPACT, A, iri, quote
from catalog_schema.record import Record

# The Turtle prefixes: the mapping's vocabularies and those of the DQV measurements written alongside
PREFIXES = {
    **mapping.PREFIXES,
    "dqv": "http://www.w3.org/ns/dqv#",
    "prov": "http://www.w3.org/ns/prov#",
}

_PN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_CHUNK = 64 * 1024
_SHARED_MAX = 50_000  # triples about shared nodes (publishers, licences ...) remembered to avoid repeats


def term(node: Any) -> str:
    """An rdflib term as N-Triples text (blank nodes keep rdflib's label)."""
    if isinstance(node, URIRef):
        return iri(str(node))
    if isinstance(node, BNode):
        return f"_:g{node}"
    if isinstance(node, Literal):
        if node.language:
            return quote(str(node)) + "@" + node.language
        if node.datatype:
            return quote(str(node)) + f"^^<{node.datatype}>"
        return quote(str(node))
    raise TypeError(f"not an RDF term: {node!r}")


def graph_triples(graph: rdflib.Graph) -> list[tuple[str, str, str]]:
    """A small rdflib graph's triples as N-Triples terms (withdrawn datasets, DQV measurements)."""
    return [(term(s), term(p), term(o)) for s, p, o in graph]


# --------------------------------------------------------------------------- syntaxes


def nt_lines(triples: Iterable[tuple[str, str, str]]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


_NS_STARTS = tuple("<" + ns for ns in PREFIXES.values())  # IRI terms that may compact


@lru_cache(maxsize=8192)
def _compact_iri(term_: str) -> str:
    """<http://www.w3.org/ns/dcat#Dataset> -> dcat:Dataset when the local name is safe; else unchanged."""
    value = term_[1:-1]
    for prefix, ns in PREFIXES.items():
        if value.startswith(ns) and _PN_LOCAL.match(value[len(ns):]):
            return f"{prefix}:{value[len(ns):]}"
    return term_


def turtle_term(term_: str) -> str:
    """An N-Triples term in Turtle: IRIs of the known vocabularies as prefixed names."""
    found = COMPACT.get(term_)
    if found is not None:
        return found
    if term_[-1] != ">":
        return term_
    if term_[0] == "<":
        return _compact_iri(term_) if term_.startswith(_NS_STARTS) else term_
    lex, _, dt = term_.rpartition("^^")  # a typed literal
    return f"{lex}^^{turtle_term(dt)}"


def turtle_prefixes() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n"


def turtle_blocks(triples: Iterable[tuple[str, str, str]], shared: _SharedFilter | None = None,
                  own_prefix: str = "", last: tuple[str, str, str] | None = None) -> str:
    """Triples grouped by subject (first appearance order) as Turtle statements.

    With `shared`, triples about other subjects than the dataset's own (`own_prefix`) already
    written are dropped on the way (as `_SharedFilter` does for N-Triples); `last` is written
    after them, unfiltered (the catalog's dcat:dataset link).
    """
    by_subject: dict[str, list[tuple[str, str, str]]] = {}
    seen = shared.seen if shared is not None else None
    for triple in triples:
        s = triple[0]
        if seen is not None and s[0] == "<" and not s.startswith(own_prefix):
            if triple in seen:
                continue
            if len(seen) < shared.limit:
                seen.add(triple)
        group = by_subject.get(s)
        if group is None:
            by_subject[s] = [triple]
        else:
            group.append(triple)
    if last is not None:
        by_subject.setdefault(last[0], []).append(last)
    compact, preds, starts = COMPACT.get, _TURTLE_PREDICATES, _NS_STARTS
    parts = []
    for s, group in by_subject.items():
        # Objects: vocabulary terms compact through COMPACT; plain literals (not ending in ">") and
        # IRIs outside the prefixes stay as they are; the rest (typed literals ...) go to turtle_term.
        objects = [compact(o) or (o if o[-1] != ">" or (o[0] == "<" and not o.startswith(starts)) else turtle_term(o))
                   for _, _, o in group]
        body = " ;\n    ".join([f"{preds[t[1]]} {o}" for t, o in zip(group, objects, strict=True)])
        parts.append(f"{compact(s) or turtle_term(s)} {body} .\n")
    parts.append("\n")
    return "".join(parts)


class _Predicates(dict):
    """Predicate term -> its Turtle form ('a' for rdf:type)."""

    def __missing__(self, key: str) -> str:
        value = "a" if key == A else turtle_term(key)
        if len(self) < 4096:
            self[key] = value
        return value


_TURTLE_PREDICATES = _Predicates()


class _SharedFilter:
    """Drops triples about shared IRIs (publishers, licences, formats ...) already written, up to a bound."""

    def __init__(self, limit: int = _SHARED_MAX):
        self.seen: set[tuple[str, str, str]] = set()
        self.limit = limit

    def __call__(self, triples: list[tuple[str, str, str]], own_prefix: str) -> list[tuple[str, str, str]]:
        out = []
        for triple in triples:
            s = triple[0]
            if s[0] == "<" and not s.startswith(own_prefix):
                if triple in self.seen:
                    continue
                if len(self.seen) < self.limit:
                    self.seen.add(triple)
            out.append(triple)
        return out


def stream_catalog(records: Iterable[Record], fmt: str, *, site_url: str, catalog_info: dict[str, Any],
                   extra: Any = None, page: dict[str, Any] | None = None) -> Iterator[str]:
    """The whole catalog as N-Triples (`nt`) or Turtle (`ttl`), in chunks of about 64 KB.

    Memory stays flat: one dataset's triples at a time, plus a bounded set of shared triples.
    `extra(record) -> list of triples` (optional) adds triples per dataset (e.g. DQV measurements).
    """
    if fmt not in ("nt", "ttl"):
        raise ValueError(f"streaming writes nt or ttl, not {fmt!r}")
    counter = iter(range(1, 1 << 62))
    shared = _SharedFilter()
    cat, header = mapping.catalog_triples(site_url=site_url, catalog_info=catalog_info, page=page, bnodes=counter)
    has_dataset = mapping.DCAT_DATASET
    buf: list[str] = [turtle_prefixes() + turtle_blocks(header)] if fmt == "ttl" else [nt_lines(header)]
    size = len(buf[0])
    for record in records:
        triples = mapping.dataset_triples(record, site_url=site_url, bnodes=counter)
        ds = triples[0][0]
        if extra is not None:
            triples.extend(extra(record))
        if fmt == "ttl":
            text = turtle_blocks(triples, shared, ds[:-1], (cat, has_dataset, ds))
        else:
            triples = shared(triples, ds[:-1])
            triples.append((cat, has_dataset, ds))
            text = nt_lines(triples)
        buf.append(text)
        size += len(text)
        if size >= _CHUNK:
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        yield "".join(buf)
