"""DCAT-AP 3 written dataset by dataset, in constant memory: N-Triples and Turtle.

Why not rdflib: one Graph of a 100,000-dataset catalog takes gigabytes, its Turtle
writer is quadratic, and even a small Graph per dataset costs about a millisecond to
build (term objects, indexes). Here each dataset becomes a short list of triples whose
terms are already N-Triples text, written and forgotten before the next one is read.

`dataset_triples` makes exactly the triples `catalog_schema.dcat.dataset_to_rdf` makes
(the same decisions: it calls the mapper's own helpers for URIs, licences, formats and
vocabularies, and rdflib's Literal for the lexical form of typed literals and language
tags, cached); the tests hold the two to isomorphic graphs on real catalogs. Blank
nodes get labels unique in the stream. Turtle: prefixes once at the top, then one block
per subject of each dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import rdflib
from rdflib import BNode, Literal, URIRef

from catalog_schema import dcat as dcatmap
from catalog_schema import vocab
from catalog_schema.record import Record

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "prov": "http://www.w3.org/ns/prov#",
}


class _Terms(dict):
    """'dcat:Dataset' -> '<http://www.w3.org/ns/dcat#Dataset>', made on first use; COMPACT maps back."""

    def __missing__(self, key: str) -> str:
        prefix, local = key.split(":", 1)
        value = f"<{PREFIXES[prefix]}{local}>"
        self[key] = value
        COMPACT[value] = key
        return value


COMPACT: dict[str, str] = {}
T = _Terms()


A = T["rdf:type"]
for _datatype in ("date", "dateTime", "gYear", "gYearMonth", "nonNegativeInteger", "hexBinary", "decimal", "integer"):
    T["xsd:" + _datatype]  # noqa: B018 (registers the datatype's prefixed name for Turtle)
RDFS_LABEL, RDFS_RESOURCE = T["rdfs:label"], T["rdfs:Resource"]
SKOS_PREF, SKOS_CONCEPT, SKOS_NOTATION = T["skos:prefLabel"], T["skos:Concept"], T["skos:notation"]
FOAF_AGENT, FOAF_NAME, FOAF_HOMEPAGE = T["foaf:Agent"], T["foaf:name"], T["foaf:homepage"]
FOAF_MBOX, FOAF_DOCUMENT = T["foaf:mbox"], T["foaf:Document"]
XSD = PREFIXES["xsd"]
_NON_NEGATIVE = XSD + "nonNegativeInteger"

_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_PN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_CHUNK = 64 * 1024
_IRI_TERMS: dict[str, str] = {}  # value -> its IRI term, or "" when it is no IRI (dcat._IRI)
_IRI_TERMS_MAX = 4096
_SHARED_MAX = 50_000  # triples about shared nodes (publishers, licences ...) remembered to avoid repeats


def iri(value: str) -> str:
    """An IRI as an N-Triples term, with the characters IRIs forbid percent-encoded (as dcat._iri does)."""
    if _IRI_FORBIDDEN.search(value):
        value = _IRI_FORBIDDEN.sub(lambda m: f"%{ord(m.group()):02X}", value)
    return f"<{value}>"


def quote(text: str) -> str:
    """A string literal's quoted form, escaped as rdflib's N-Triples writer does (valid Turtle too)."""
    return '"' + text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r") + '"'


def literal(text: str, lang: str | None = None) -> str:
    return quote(text) + ("@" + lang if lang else "")


@lru_cache(maxsize=1024)
def _lang_tag(lang: str | None) -> str | None:
    """The tag rdflib keeps for `lang`, or None when it is no BCP 47 tag (the text is then published untagged)."""
    if not lang:
        return None
    try:
        return Literal("x", lang=lang).language
    except ValueError:
        return None


def typed(lexical: str, datatype: str) -> str:
    """A typed literal with rdflib's normalised lexical form (xsd:dateTime "Z" -> "+00:00", "0100" -> "100")."""
    if datatype == _NON_NEGATIVE and lexical.isdigit() and lexical.isascii():  # byte sizes: nearly all unique
        return f'"{int(lexical)}"^^<{datatype}>'
    return _typed(lexical, datatype)


@lru_cache(maxsize=65536)
def _typed(lexical: str, datatype: str) -> str:
    return term(Literal(lexical, datatype=URIRef(datatype)))


@lru_cache(maxsize=65536)
def date_literal(value: str) -> str:
    return term(dcatmap._date_literal(value))


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
    """A small rdflib graph's triples as N-Triples terms (the catalog header, DQV measurements)."""
    return [(term(s), term(p), term(o)) for s, p, o in graph]


# --------------------------------------------------------------------------- vocabulary decisions, cached


@lru_cache(maxsize=4096)
def _theme_value(theme: str) -> str:
    uri = vocab.theme_uri(theme) if vocab.theme(theme) == theme else None
    return uri or theme


@lru_cache(maxsize=4096)
def _access_value(value: str) -> str:
    code = vocab.access_right(value)
    uri = vocab.access_right_uri(code) if code == value else None
    return uri or value


@lru_cache(maxsize=4096)
def _frequency_value(value: str) -> str:
    code = vocab.frequency(value)
    uri = vocab.frequency_uri(code) if code == value else None
    return uri or value


@lru_cache(maxsize=4096)
def _licence_value(code: str | None, raw: str | None) -> str | None:
    return dcatmap._licence_iri(code, raw)


@lru_cache(maxsize=4096)
def _format_value(code: str | None, raw: str | None) -> str | None:
    return dcatmap._format_iri(code, raw)


@lru_cache(maxsize=4096)
def _media_value(media: str) -> str:
    return dcatmap._media_iri(media)


# --------------------------------------------------------------------------- one dataset


class _Triples:
    """Collects one dataset's triples (deduplicated, in order: a dict's keys) and numbers its blank nodes."""

    __slots__ = ("out", "bnodes")

    def __init__(self, bnodes: Iterator[int]):
        self.out: dict[tuple[str, str, str], None] = {}
        self.bnodes = bnodes

    def add(self, s: str, p: str, o: str) -> None:
        self.out[s, p, o] = None

    def bnode(self) -> str:
        return f"_:b{next(self.bnodes)}"

    def texts(self, node: str, pred: str, langmap: dict[str, str] | None) -> None:
        if not langmap:
            return
        out = self.out
        for lang, text in (sorted(langmap.items()) if len(langmap) > 1 else langmap.items()):
            if text:
                tag = _lang_tag(lang.replace("_", "-") or None)
                out[node, pred, quote(text) + "@" + tag if tag else quote(text)] = None

    def typed_value(self, pred: str, subject: str, value: str, cls: str, label: str | None = None) -> str:
        """As dcat._typed: <value> typed `cls`, or a labelled blank node when value is no IRI."""
        out = self.out
        obj = _IRI_TERMS.get(value)
        if obj is None:
            obj = iri(value) if dcatmap._IRI.match(value) else ""
            if len(_IRI_TERMS) < _IRI_TERMS_MAX:  # licences, formats, themes ... repeat; URLs fill it once
                _IRI_TERMS[value] = obj
        if not obj:
            obj = self.bnode()
            out[obj, RDFS_LABEL, quote(value)] = None
        out[subject, pred, obj] = None
        out[obj, A, cls] = None
        if label is not None:
            out[obj, SKOS_PREF, quote(label)] = None
        return obj

    def agent(self, subject: str, pred: str, agent: dict[str, Any], site_url: str) -> None:
        node = iri(f"{site_url.rstrip('/')}/publisher/{dcatmap.publisher_slug(agent)}")
        self.add(subject, pred, node)
        self.add(node, A, FOAF_AGENT)
        self.texts(node, FOAF_NAME, agent.get("name"))
        if agent.get("homepage"):
            self.add(node, FOAF_HOMEPAGE, iri(agent["homepage"]))
        if agent.get("email"):
            self.add(node, FOAF_MBOX, iri("mailto:" + agent["email"]))

    def contact(self, subject: str, cp: dict[str, Any]) -> None:
        node = self.bnode()
        self.add(subject, T["dcat:contactPoint"], node)
        self.add(node, A, T["vcard:Kind"])
        if cp.get("name"):
            self.add(node, T["vcard:fn"], quote(cp["name"]))
        if cp.get("email"):
            self.add(node, T["vcard:hasEmail"], iri("mailto:" + cp["email"]))
        if cp.get("url"):
            self.add(node, T["vcard:hasURL"], iri(cp["url"]))
        if cp.get("phone"):
            self.add(node, T["vcard:hasTelephone"], iri("tel:" + cp["phone"]))

    def languages(self, subject: str, languages) -> None:
        for lang in languages or []:
            value = lang if dcatmap._IRI.match(lang) else dcatmap.LOC_ISO639_1 + lang
            self.typed_value(T["dct:language"], subject, value, T["dct:LinguisticSystem"])

    def dates(self, subject: str, item: dict[str, Any]) -> None:
        for pred, key in ((T["dct:issued"], "issued"), (T["dct:modified"], "modified")):
            if item.get(key):
                self.add(subject, pred, date_literal(item[key]))


def dataset_triples(record: Record, *, site_url: str, bnodes: Iterator[int]) -> list[tuple[str, str, str]]:
    """The DCAT-AP 3 triples of one record, as `dcat.dataset_to_rdf` makes them, in N-Triples terms."""
    t = _Triples(bnodes)
    ds_uri = dcatmap.dataset_uri(record, site_url)
    ds = iri(ds_uri)
    t.add(ds, A, T["dcat:Dataset"])
    t.texts(ds, T["dct:title"], record.get("title"))
    t.texts(ds, T["dct:description"], record.get("description"))
    if record.get("identifier"):
        t.add(ds, T["dct:identifier"], quote(record["identifier"]))
    if record.get("uri") and record["uri"] != ds_uri:
        ident = t.bnode()
        t.add(ds, T["adms:identifier"], ident)
        t.add(ident, A, T["adms:Identifier"])
        t.add(ident, SKOS_NOTATION, quote(record["uri"]))
    langs = (record.get("extras") or {}).get("keyword_languages") or {}
    for kw in record.get("keywords") or []:
        t.add(ds, T["dcat:keyword"], literal(kw, _lang_tag(langs.get(kw))))
    for theme in record.get("themes") or []:
        t.typed_value(T["dcat:theme"], ds, _theme_value(theme), SKOS_CONCEPT, label=theme)
    if record.get("publisher"):
        t.agent(ds, T["dct:publisher"], record["publisher"], site_url)
    if record.get("creator"):
        t.agent(ds, T["dct:creator"], record["creator"], site_url)
    if record.get("contact_point"):
        t.contact(ds, record["contact_point"])
    if record.get("license_raw") or record.get("license"):
        if record.get("license_raw") != dcatmap._common_dist_licence(record):
            lic = _licence_value(record.get("license"), record.get("license_raw"))
            if lic:
                t.typed_value(T["dct:license"], ds, lic, T["dct:LicenseDocument"])
    if record.get("access_rights"):
        t.typed_value(T["dct:accessRights"], ds, _access_value(record["access_rights"]),
                      T["dct:RightsStatement"])
    if record.get("rights"):
        t.typed_value(T["dct:rights"], ds, record["rights"], T["dct:RightsStatement"])
    t.dates(ds, record)
    temporal = record.get("temporal") or {}
    if temporal.get("start") or temporal.get("end"):
        period = t.bnode()
        t.add(ds, T["dct:temporal"], period)
        t.add(period, A, T["dct:PeriodOfTime"])
        if temporal.get("start"):
            t.add(period, T["dcat:startDate"], date_literal(temporal["start"]))
        if temporal.get("end"):
            t.add(period, T["dcat:endDate"], date_literal(temporal["end"]))
    for place in record.get("spatial") or []:
        t.typed_value(T["dct:spatial"], ds, place, T["dct:Location"])
    if record.get("frequency"):
        t.typed_value(T["dct:accrualPeriodicity"], ds, _frequency_value(record["frequency"]),
                      T["dct:Frequency"])
    if record.get("landing_page"):
        t.typed_value(T["dcat:landingPage"], ds, record["landing_page"], FOAF_DOCUMENT)
    for std in record.get("conforms_to") or []:
        t.typed_value(T["dct:conformsTo"], ds, std, T["dct:Standard"])
    t.languages(ds, record.get("language"))
    if record.get("version"):
        t.add(ds, T["dcat:version"], quote(record["version"]))
    used: set[str] = set()
    for index, dist in enumerate(record.get("distributions") or []):
        ident = dcatmap.distribution_id(dist, index)
        if ident in used:
            ident = f"{ident}-{index}"
        used.add(ident)
        _distribution(t, ds, dist, iri(f"{ds_uri}/resource/{ident}"))
    return list(t.out)


def _distribution(t: _Triples, ds: str, dist: Record, node: str) -> None:
    t.add(ds, T["dcat:distribution"], node)
    t.add(node, A, T["dcat:Distribution"])
    t.texts(node, T["dct:title"], dist.get("title"))
    t.texts(node, T["dct:description"], dist.get("description"))
    access = dist.get("access_url") or dist.get("download_url")
    if access:
        t.typed_value(T["dcat:accessURL"], node, access, RDFS_RESOURCE)
    if dist.get("download_url"):
        t.typed_value(T["dcat:downloadURL"], node, dist["download_url"], RDFS_RESOURCE)
    fmt = _format_value(dist.get("format"), dist.get("format_raw"))
    if fmt:
        t.typed_value(T["dct:format"], node, fmt, T["dct:MediaTypeOrExtent"])
    if dist.get("media_type"):
        t.typed_value(T["dcat:mediaType"], node, _media_value(dist["media_type"]), T["dct:MediaType"])
    lic = _licence_value(dist.get("license"), dist.get("license_raw"))
    if lic:
        t.typed_value(T["dct:license"], node, lic, T["dct:LicenseDocument"])
    if dist.get("rights"):
        t.typed_value(T["dct:rights"], node, dist["rights"], T["dct:RightsStatement"])
    if dist.get("byte_size") is not None:
        t.add(node, T["dcat:byteSize"], typed(str(dist["byte_size"]), XSD + "nonNegativeInteger"))
    checksum = dist.get("checksum")
    if checksum:
        cnode = t.bnode()
        t.add(node, T["spdx:checksum"], cnode)
        t.add(cnode, A, T["spdx:Checksum"])
        if checksum.get("algorithm"):
            algo = checksum["algorithm"]
            t.typed_value(T["spdx:algorithm"], cnode,
                          algo if dcatmap._IRI.match(algo) else dcatmap.SPDX_ALGO + algo,
                          T["spdx:ChecksumAlgorithm"])
        if checksum.get("value"):
            t.add(cnode, T["spdx:checksumValue"], typed(checksum["value"], XSD + "hexBinary"))
    t.dates(node, dist)
    t.languages(node, dist.get("language"))
    for std in dist.get("conforms_to") or []:
        t.typed_value(T["dct:conformsTo"], node, std, T["dct:Standard"])


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


def catalog_header(*, site_url: str, catalog_info: dict[str, Any],
                   page: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, str, str]]]:
    """The dcat:Catalog node (title, description, publisher ...): its IRI term and its triples.

    `page` (as `dcat.catalog_to_rdf` takes it) adds the Hydra paging node of one catalog page.
    """
    graph = dcatmap.catalog_to_rdf([], site_url=site_url, catalog_info=catalog_info, page=page)
    node = next(iter(graph.subjects(rdflib.RDF.type, dcatmap.DCAT.Catalog)))
    return term(node), graph_triples(graph)


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
    cat, header = catalog_header(site_url=site_url, catalog_info=catalog_info, page=page)
    has_dataset = T["dcat:dataset"]
    buf: list[str] = [turtle_prefixes() + turtle_blocks(header)] if fmt == "ttl" else [nt_lines(header)]
    size = len(buf[0])
    for record in records:
        triples = dataset_triples(record, site_url=site_url, bnodes=counter)
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
