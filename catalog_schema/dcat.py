"""Catalog record <-> DCAT-AP 3 RDF graph (pure functions, both directions).

Reading (`parse_catalog`, `dataset_from_rdf`) keeps everything a source says about a
dataset or a distribution: what the record models goes to its field, every other
triple goes to `extras["rdf"]` as {predicate URI: [value, ...]} where a value is the
N3 form of an IRI or literal (`<http://...>`, `"text"@de`) or, for a blank node, a
JSON object of the same shape. Extra values of single-valued fields (a second
`dct:issued`, a second untagged title) land there too, so nothing is dropped.
Sub-structures mapped explicitly (publisher, contact point, temporal period) keep
their own unmapped triples in their own `extras`. Licences, formats, frequencies,
themes and access rights go through `catalog_schema.vocab`; what it does not know is
kept verbatim and flagged.

Writing (`dataset_to_rdf`, `catalog_to_rdf`) publishes DCAT-AP 3 under OUR URIs. What is written
is decided once, in `catalog_schema.dcat_triples` (our URIs, the classes the DCAT-AP 3 shapes ask for,
the vocabularies' IRIs), whose triples come as N-Triples terms; here they become an rdflib Graph, and
the full dumps (`app.export.stream_rdf`) write the same triples as text. The output validates against
the official SHACL shapes.

Round trip: `dataset_from_rdf(dataset_to_rdf(r))` gives back `r`'s content fields
(see `comparable`): our URIs replace the source's, and a raw value that was
canonicalised on output (a format written as its EU file-type URI) comes back as that
canonical form.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD, Namespace

from catalog_schema import places, vocab
from catalog_schema.dcat_triples import (
    DCAT_DATASET,
    LOC_ISO639_1,
    SPDX_ALGO,
    catalog_triples,
    dataset_triples,
    date_value,
    with_series,
)
from catalog_schema.dcat_triples import dataset_uri as dataset_uri  # our URI of a dataset, part of this API
from catalog_schema.record import Record, email_address, flag, new_distribution, new_record
from plumbing.xmlchars import XML_ILLEGAL

DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")  # DCAT 3: not in rdflib's DCAT 2 term list
# DCAT 3 dataset series (not in rdflib's DCAT 2 term list either)
DCAT_SERIES = URIRef("http://www.w3.org/ns/dcat#DatasetSeries")
DCAT_IN_SERIES = URIRef("http://www.w3.org/ns/dcat#inSeries")
DCAT_FIRST, DCAT_LAST = URIRef("http://www.w3.org/ns/dcat#first"), URIRef("http://www.w3.org/ns/dcat#last")
DCAT_PREV, DCAT_NEXT = URIRef("http://www.w3.org/ns/dcat#prev"), URIRef("http://www.w3.org/ns/dcat#next")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
SCHEMA_S = Namespace("https://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
DCATAP = Namespace("http://data.europa.eu/r5r/")

FORMATS = ("xml", "turtle", "json-ld", "nt")
_MAX_NEST = 4  # depth of blank-node structures copied into extras

_LANG_KEY = re.compile(r"^([a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*)?$")  # record.schema.json's langmap keys
_HEX = re.compile(r"^([0-9a-fA-F]{2})*$")
_NT_LINE = re.compile(r'^(<[^>]*>|_:\S+)\s+<[^>]*>\s+.+\.\s*$')


# --------------------------------------------------------------------------- parsing


@dataclass
class ParsedCatalog:
    """What one DCAT document holds: the catalog, its datasets as records, the paging."""

    catalog: dict[str, Any]
    records: list[Record]
    next_page: str | None = None
    total_items: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    #: datasets the document says are withdrawn (`adms:status` Withdrawn, as our changes feed lists them): not
    #: records, so that a harvest treats them as gone from the source instead of importing their tombstones
    withdrawn: list[str] = field(default_factory=list)


def sniff_format(data: bytes | str) -> str:
    """The rdflib parser name for a document, from its first characters."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    head = text.lstrip("\ufeff \t\r\n")[:2048]
    if head.startswith("<") and not head.startswith("<http"):
        return "xml"
    if head.startswith(("{", "[")):
        return "json-ld"
    lines = [ln for ln in text.splitlines()[:50] if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and all(_NT_LINE.match(ln.strip()) for ln in lines):
        return "nt"
    return "turtle"


def _reject_unsafe_xml(data: bytes | str) -> None:
    """No DTD, no entities, no external references: XML bombs and XXE stop here.

    rdflib's RDF/XML parser sits on expat through SAX, which would expand internal
    entities; defusedxml refuses any DOCTYPE before rdflib sees the document.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        SafeET.fromstring(data if isinstance(data, bytes) else data.encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ValueError(f"unsafe RDF/XML refused (DOCTYPE, entity or external reference): {exc!r}") from exc
    except SafeET.ParseError as exc:
        raise ValueError(f"RDF/XML is not well-formed XML: {exc}") from exc


def _reject_remote_context(document: Any) -> None:
    """A JSON-LD @context or @import given by URL would make rdflib fetch it: refuse, never go to the network.

    Walks the document with a stack, so a deeply nested one cannot exhaust the recursion limit.
    """
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                items = value if isinstance(value, list) else [value]
                if key in ("@context", "@import") and any(isinstance(item, str) for item in items):
                    raise ValueError(f"JSON-LD with a remote {key} is refused (it would need a network fetch)")
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def load_graph(data: bytes | str, format: str | None = None, base: str | None = None) -> rdflib.Graph:
    """Parse an RDF document safely into a graph; any problem is a ValueError."""
    fmt = {"rdf": "xml", "rdf/xml": "xml", "ttl": "turtle", "jsonld": "json-ld", "ntriples": "nt"}.get(
        format or "", format) or sniff_format(data)
    if fmt not in FORMATS:
        raise ValueError(f"unsupported RDF format {format!r}; use one of {', '.join(FORMATS)}")
    if fmt == "xml":
        _reject_unsafe_xml(data)
    if fmt == "json-ld":
        try:
            document = json.loads(data)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"JSON-LD is not valid JSON (or nested too deeply): {exc}") from exc
        _reject_remote_context(document)
    graph = rdflib.Graph()
    try:
        with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
            warnings.simplefilter("ignore", DeprecationWarning)
            graph.parse(data=data, format=fmt, publicID=base)
    except ValueError:
        raise
    except Exception as exc:  # rdflib raises many types (BadSyntax, SAXParseException ...)
        raise ValueError(f"could not parse {fmt} document: {exc}") from exc
    return graph


def parse_catalog(data: bytes | str, format: str | None = None, base: str | None = None) -> ParsedCatalog:
    """A DCAT document -> catalog info, one record per dcat:Dataset, Hydra paging.

    One dataset that cannot be mapped becomes an entry of `.errors`; the others go on.
    Records come in document order (the first place each dataset's URI appears).
    """
    graph = load_graph(data, format, base)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    records, errors, withdrawn = [], [], []
    for subject in _document_order(graph, text):
        if any(status in WITHDRAWN_STATUSES for status in graph.objects(subject, ADMS.status)):
            withdrawn.append(str(subject))
            continue
        try:
            records.append(dataset_from_rdf(graph, subject))
        except Exception as exc:  # one bad dataset must not stop the page
            errors.append({"uri": str(subject), "message": f"{type(exc).__name__}: {exc}"})
    next_page, total = _hydra(graph)
    return ParsedCatalog(catalog=_catalog_info(graph), records=records, next_page=next_page,
                         total_items=total, errors=errors, withdrawn=withdrawn)


#: The lifecycle statuses saying a dataset is no longer published: ADMS's (DCAT 3 gives every resource one; our
#: changes feed marks a withdrawn dataset so) and the EU's authority table's.
WITHDRAWN_STATUSES = frozenset(URIRef(u) for u in (
    "http://purl.org/adms/status/Withdrawn",
    "http://publications.europa.eu/resource/authority/distribution-status/WITHDRAWN",
    "http://publications.europa.eu/resource/authority/dataset-status/WITHDRAWN"))


_ABOUT = re.compile(r"""about=["']([^"']+)["']""")
_MENTION = re.compile(r'<([^<>\s]+)>|"@id"\s*:\s*"([^"]+)"')


def _document_order(graph: rdflib.Graph, text: str) -> list:
    """Datasets in the order the document describes them: one pass over the text, not one search per dataset.

    RDF/XML: the first rdf:about of each URI (where it is described, not where a catalog
    lists it); Turtle, N-Triples, JSON-LD: the first <IRI> or "@id". Blank-node datasets last.
    """
    first: dict[str, int] = {}
    pattern = _ABOUT if _ABOUT.search(text[:100_000]) else _MENTION
    for match in pattern.finditer(text):
        value = html.unescape(next(g for g in match.groups() if g is not None))
        first.setdefault(value, match.start())
    end = len(text) + 1
    subjects = set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT_SERIES))
    return sorted(subjects,
                  key=lambda s: (first.get(str(s), end) if isinstance(s, URIRef) else end, str(s)))


def _hydra(graph: rdflib.Graph) -> tuple[str | None, int | None]:
    nxt = next((str(o) for p in (HYDRA.next, HYDRA.nextPage) for o in graph.objects(None, p)), None)
    total = None
    for o in graph.objects(None, HYDRA.totalItems):
        try:
            total = int(str(o))
        except ValueError:
            continue
    return nxt, total


def _catalog_info(graph: rdflib.Graph) -> dict[str, Any]:
    node = next(iter(sorted(graph.subjects(RDF.type, DCAT.Catalog), key=str)), None)
    if node is None:
        return {"uri": None, "title": {}, "description": {}, "publisher": None, "homepage": None}
    reader = _Reader(graph, node)
    pub = reader.first_node(DCTERMS.publisher)
    return {
        "uri": str(node) if isinstance(node, URIRef) else None,
        "title": reader.langmap(DCTERMS.title),
        "description": reader.langmap(DCTERMS.description),
        "publisher": _agent(graph, pub) if pub is not None else None,
        "homepage": reader.first_str(FOAF.homepage),
    }


# --------------------------------------------------------------------------- RDF -> record


def encode_term(graph: rdflib.Graph, term, depth: int = 0, seen: frozenset = frozenset()) -> Any:
    """One RDF value as plain JSON: N3 text for IRIs and literals, a dict for a blank node."""
    if isinstance(term, BNode):
        if depth >= _MAX_NEST or term in seen:
            return {"@id": term.n3()}
        return _describe(graph, term, depth + 1, seen | {term})
    return term.n3()


def _describe(graph, node, depth=0, seen=frozenset(), skip=()) -> dict[str, list]:
    out: dict[str, list] = {}
    for p, o in sorted(graph.predicate_objects(node), key=lambda po: (str(po[0]), po[1].n3())):
        if (p, o) in skip:
            continue
        out.setdefault(str(p), []).append(encode_term(graph, o, depth, seen))
    return out


class _Reader:
    """Reads one subject's properties and remembers which triples it consumed."""

    def __init__(self, graph: rdflib.Graph, subject):
        self.g, self.s = graph, subject
        self.used: set[tuple] = set()

    def values(self, pred) -> list:
        return sorted(self.g.objects(self.s, pred), key=lambda o: (not isinstance(o, URIRef), o.n3()))

    def take(self, pred, obj) -> None:
        self.used.add((pred, obj))

    def langmap(self, pred) -> dict[str, str]:
        out: dict[str, str] = {}
        for o in self.values(pred):  # empty, or a tag the record cannot hold (x-private): extras keep it
            if (isinstance(o, Literal) and str(o) and (o.language or "") not in out
                    and _LANG_KEY.match(o.language or "")):
                out[o.language or ""] = str(o)
                self.take(pred, o)
        return out

    def first(self, pred, kinds=(URIRef, Literal)):
        for o in self.values(pred):
            if isinstance(o, kinds):
                self.take(pred, o)
                return o
        return None

    def first_str(self, pred, kinds=(URIRef, Literal)) -> str | None:
        o = self.first(pred, kinds)
        return None if o is None else str(o)

    def first_node(self, pred):
        return self.first(pred, (URIRef, BNode, Literal))

    def all_str(self, pred, kinds=(URIRef, Literal)) -> list[str]:
        out = []
        for o in self.values(pred):
            if isinstance(o, kinds) and str(o) not in out:
                out.append(str(o))
                self.take(pred, o)
        return sorted(out)

    def texts(self, pred, literals: bool = True, limit: int | None = None) -> list[str]:
        """IRIs (and literals) as text; a blank node by its label (how we write a value that is no IRI)."""
        out: list[str] = []
        for o in self.values(pred):
            if limit is not None and len(out) >= limit:
                break
            if isinstance(o, BNode):
                text = _label(self.g, o) if _label_only(self.g, o) else None
            else:
                text = str(o) if literals or isinstance(o, URIRef) else None
            if text is not None and text not in out:
                out.append(text)
                self.take(pred, o)
        return out

    def first_text(self, pred) -> str | None:
        found = self.texts(pred, limit=1)
        return found[0] if found else None

    def leftovers(self, skip_types=()) -> dict[str, list]:
        skip = set(self.used) | {(RDF.type, t) for t in skip_types}
        return _describe(self.g, self.s, skip=skip)


def _label(graph, node) -> str | None:
    for pred in (SKOS.prefLabel, RDFS.label, FOAF.name, DCTERMS.title, RDF.value):
        for o in graph.objects(node, pred):
            if isinstance(o, Literal):
                return str(o)
    return None


def _label_only(graph, node) -> bool:
    """A blank node that only names something (rdfs:label / skos:prefLabel and a type)."""
    preds = set(graph.predicates(node)) - {RDF.type}
    return bool(preds) and preds <= {RDFS.label, SKOS.prefLabel}


def _strip_mailto(value: str | None) -> str | None:
    """The address of a mailto: IRI (or of one resolved against the document); else the value as given."""
    if value is None:
        return None
    return email_address(value) or (value[7:] if value.lower().startswith("mailto:") else value)


def _agent(graph: rdflib.Graph, node) -> dict[str, Any]:
    """foaf:Agent (or a SKOS concept, or a bare name) -> {uri, name, homepage, email, extras}."""
    if isinstance(node, Literal):
        return {"slug": None, "uri": None, "name": {node.language or "": str(node)}, "homepage": None,
                "email": None, "parent": None, "extras": {}}
    r = _Reader(graph, node)
    name = r.langmap(FOAF.name) or r.langmap(SKOS.prefLabel) or r.langmap(VCARD.fn) or r.langmap(RDFS.label)
    agent = {
        "slug": None,
        "uri": str(node) if isinstance(node, URIRef) else None,
        "name": name,
        "homepage": r.first_str(FOAF.homepage),
        "email": _strip_mailto(r.first_str(FOAF.mbox)),
        "parent": None,
    }
    agent["extras"] = r.leftovers(skip_types=(FOAF.Agent,))
    return agent


def _contact(graph: rdflib.Graph, node) -> dict[str, Any]:
    """vcard:Kind -> {name, email, url, phone, uri?, extras}."""
    if isinstance(node, Literal):
        return {"name": str(node), "email": None, "url": None, "phone": None, "extras": {}}
    r = _Reader(graph, node)
    phone = r.first_node(VCARD.hasTelephone)
    if isinstance(phone, BNode):  # vcard:hasTelephone [ vcard:hasValue <tel:...> ]
        phone = next(iter(graph.objects(phone, VCARD.hasValue)), None)
    phone_text = None if phone is None else str(phone)
    if phone_text and phone_text.lower().startswith("tel:"):
        phone_text = unquote(phone_text[4:])
    cp = {
        "name": r.first_str(VCARD.fn, (Literal,)),
        "email": _strip_mailto(r.first_str(VCARD.hasEmail)),
        "url": r.first_str(VCARD.hasURL),
        "phone": phone_text,
    }
    if isinstance(node, URIRef):
        cp["uri"] = str(node)
    cp["extras"] = r.leftovers(skip_types=(VCARD.Kind,))
    return cp


def _date_of(graph, node) -> str | None:
    for pred in (TIME.inXSDDate, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime):
        for o in graph.objects(node, pred):
            return str(o)
    return None


def _temporal(graph: rdflib.Graph, node) -> dict[str, Any] | None:
    """dct:PeriodOfTime with dcat:, schema.org or OWL-Time bounds -> {start, end, extras}."""
    r = _Reader(graph, node)
    start = r.first_str(DCAT.startDate) or r.first_str(SCHEMA.startDate) or r.first_str(SCHEMA_S.startDate)
    end = r.first_str(DCAT.endDate) or r.first_str(SCHEMA.endDate) or r.first_str(SCHEMA_S.endDate)
    if start is None and (b := r.first(TIME.hasBeginning, (URIRef, BNode))) is not None:
        start = _date_of(graph, b)
    if end is None and (e := r.first(TIME.hasEnd, (URIRef, BNode))) is not None:
        end = _date_of(graph, e)
    if start is None and end is None:
        return None
    out = {"start": start, "end": end}
    extras = r.leftovers(skip_types=(DCTERMS.PeriodOfTime,))
    if extras:
        out["extras"] = extras
    return out


def dataset_from_rdf(graph: rdflib.Graph, subject) -> Record:
    """One dcat:Dataset of a graph -> catalog record (see the module docstring for the rules)."""
    r = _Reader(graph, subject)
    rec = new_record(uri=str(subject) if isinstance(subject, URIRef) else None)
    r.take(RDF.type, DCAT.Dataset)
    if (subject, RDF.type, DCAT_SERIES) in graph:
        r.take(RDF.type, DCAT_SERIES)
        rec["kind"] = "series"
    # The series it is in, as the source names them; the order (first, last, prev, next) the catalog derives
    # again from the members' dates (catalog_schema/series.py).
    rec["in_series"] = r.all_str(DCAT_IN_SERIES, (URIRef,))
    for pred in (DCAT_FIRST, DCAT_LAST, DCAT_PREV, DCAT_NEXT):
        for o in r.values(pred):
            r.take(pred, o)
    rec["title"] = r.langmap(DCTERMS.title)
    rec["description"] = r.langmap(DCTERMS.description)
    rec["identifier"] = r.first_str(DCTERMS.identifier, (Literal, URIRef))

    keywords, keyword_lang = [], {}
    for o in r.values(DCAT.keyword):
        if isinstance(o, Literal) and str(o) not in keywords:
            keywords.append(str(o))
            r.take(DCAT.keyword, o)
            if o.language:
                keyword_lang[str(o)] = o.language
    rec["keywords"] = sorted(keywords)
    if keyword_lang:
        rec["extras"]["keyword_languages"] = keyword_lang

    pub = r.first_node(DCTERMS.publisher)
    rec["publisher"] = _agent(graph, pub) if pub is not None else None
    creator = r.first_node(DCTERMS.creator)
    rec["creator"] = _agent(graph, creator) if creator is not None else None
    cp = r.first_node(DCAT.contactPoint)
    rec["contact_point"] = _contact(graph, cp) if cp is not None else None

    for raw in r.texts(DCAT.theme):
        code = vocab.theme(raw)
        rec["themes"].append(code or raw)
        if code is None:
            flag(rec, "themes", raw, "theme not in the EU data-theme vocabulary")
    rec["themes"] = sorted(set(rec["themes"]))

    _read_licence(r, rec, rec, "license")
    access = r.first_text(DCTERMS.accessRights)
    if access is not None:
        code = vocab.access_right(access)
        rec["access_rights"] = code or access
        if code is None:
            flag(rec, "access_rights", access, "access right not in the EU access-right vocabulary")
    rec["rights"] = _rights(r)
    rec["issued"] = r.first_str(DCTERMS.issued, (Literal,))
    rec["modified"] = r.first_str(DCTERMS.modified, (Literal,))

    period = r.first(DCTERMS.temporal, (BNode, URIRef))
    if period is not None:
        rec["temporal"] = _temporal(graph, period)
        if rec["temporal"] is None:  # nothing we understand: keep it whole
            r.used.discard((DCTERMS.temporal, period))
    # IRIs and labelled places; a bare literal or a geometry is no dct:Location we can name: extras keep it
    rec["spatial"] = sorted(set(r.texts(DCTERMS.spatial, literals=False)))
    rec["extent"] = _extent(r)

    freq = r.first_text(DCTERMS.accrualPeriodicity)
    if freq is not None:
        code = vocab.frequency(freq)
        rec["frequency"] = code or freq
        if code is None:
            flag(rec, "frequency", freq, "frequency not in the EU frequency vocabulary")
    rec["landing_page"] = r.first_str(DCAT.landingPage)
    rec["conforms_to"] = _standards(r)
    _read_hvd(r, rec, rec, "hvd_category")
    rec["language"] = _languages(r)
    rec["version"] = r.first_str(DCAT_VERSION, (Literal,)) or r.first_str(OWL.versionInfo, (Literal,))

    dist_nodes = sorted((o for o in graph.objects(subject, DCAT.distribution) if not isinstance(o, Literal)),
                        key=lambda o: o.n3())
    for index, node in enumerate(dist_nodes):
        r.take(DCAT.distribution, node)
        rec["distributions"].append(distribution_from_rdf(graph, node, rec, index))
    if not rec["license_raw"]:
        _derive_dataset_licence(rec)

    rdf_extras = r.leftovers()
    if rdf_extras:
        rec["extras"]["rdf"] = rdf_extras
    return rec


def _extent(r: _Reader) -> dict[str, Any] | None:
    """dct:spatial locations with a dcat:bbox or locn:geometry (GeoDCAT-AP: WKT or GeoJSON literals) -> the
    record's extent (catalog_schema/places.py). A location that is only geometry is consumed; one that is also
    a named place (an IRI) stays a place too."""
    literals, whole = [], []
    for loc in r.values(DCTERMS.spatial):
        if isinstance(loc, Literal):
            continue
        found = [(role, o) for role, pred in (("bbox", DCAT.bbox), ("geometry", LOCN.geometry))
                 for o in r.g.objects(loc, pred) if isinstance(o, Literal)]
        for node in r.g.objects(loc, LOCN.geometry):  # a locn:Geometry node (DCAT-AP 3, GeoSPARQL)
            found += [("geometry", o) for pred in (GSP.asGeoJSON, GSP.asWKT) for o in r.g.objects(node, pred)
                      if isinstance(o, Literal) and not isinstance(node, Literal)]
        if not found:
            continue
        literals += [(role, str(o.datatype) if o.datatype else None, str(o)) for role, o in found]
        if isinstance(loc, BNode) and _label(r.g, loc) is None:
            whole.append(loc)
    result = places.extent_from_literals(literals)
    if result is not None:
        for loc in whole:
            r.take(DCTERMS.spatial, loc)
    return result


def _rights(r: _Reader) -> str | None:
    return r.first_text(DCTERMS.rights)


def _standards(r: _Reader) -> list[str]:
    return sorted(set(r.texts(DCTERMS.conformsTo)))


def _read_hvd(r: _Reader, target: Record, rec: Record, field_name: str) -> None:
    """dcatap:hvdCategory (IRIs of the HVD category vocabulary; another value kept and flagged on `rec`) and
    dcatap:applicableLegislation (ELI IRIs) of a dataset, distribution or data service into `target`."""
    cats = []
    for raw in r.texts(DCATAP.hvdCategory):
        code = vocab.hvd_category(raw)
        cats.append(code or raw)
        if code is None:
            flag(rec, field_name, raw, "category not in the EU high-value dataset category vocabulary")
    target["hvd_category"] = sorted(set(cats))
    target["applicable_legislation"] = sorted(set(r.texts(DCATAP.applicableLegislation)))


def _access_service(graph: rdflib.Graph, node, rec: Record, index: int) -> dict[str, Any] | None:
    """A distribution's dcat:accessService (a dcat:DataService): title, endpoint and its HVD fields."""
    r = _Reader(graph, node)
    endpoint = r.first_str(DCAT.endpointURL, (URIRef,))
    if endpoint is None:
        return None  # nothing to reach: extras keep the node
    service: dict[str, Any] = {"title": r.langmap(DCTERMS.title), "endpoint_url": endpoint,
                               "endpoint_description": r.first_str(DCAT.endpointDescription, (URIRef,))}
    _read_hvd(r, service, rec, f"distributions[{index}].access_service.hvd_category")
    return service


def _languages(r: _Reader) -> list[str]:
    out = []
    for value in r.all_str(DCTERMS.language):
        if value.startswith(LOC_ISO639_1):
            value = value[len(LOC_ISO639_1):]
        elif value.startswith(vocab.EU_LANGUAGE):  # what we publish for a code (the EU table's ZHO): the code
            code = vocab.language_code(value)
            value = code if code and vocab.language_iri(code) == value else value
        out.append(value)
    return sorted(set(out))


def _read_licence(r: _Reader, target: Record, rec: Record, field_name: str) -> None:
    """dct:license -> target's license (canonical id) and license_raw (the URI as given); unknown: flagged."""
    node = r.first_node(DCTERMS.license)
    if node is None:
        return
    raw = _label(r.g, node) if isinstance(node, BNode) else str(node)
    if raw is None:
        r.used.discard((DCTERMS.license, node))
        return
    found = vocab.licence(raw)
    target["license_raw"] = raw
    target["license"] = found.id if found else None
    if found is None:
        flag(rec, field_name, raw, "licence not known")


def _derive_dataset_licence(rec: Record) -> None:
    """No dataset licence: when every distribution has the same one, it is the dataset's."""
    raws = {d["license_raw"] for d in rec["distributions"]}
    if len(raws) == 1 and None not in raws:
        first = rec["distributions"][0]
        rec["license_raw"], rec["license"] = first["license_raw"], first["license"]


def _iana_short(value: str) -> str:
    """The media type an IANA media-type IRI names (`vocab.iana_media_type`: <http://www.iana.org/assignments/
    media-types/text/csv> and its https twin, its tail percent-decoded, .../application%2Fjson: application/json);
    any other value, and an IANA IRI whose tail is then no media type (.../comma%20separated), as it is written."""
    return vocab.iana_media_type(value) or value


def distribution_from_rdf(graph: rdflib.Graph, node, rec: Record, index: int) -> Record:
    """One dcat:Distribution -> distribution dict; unknown values flagged on the dataset record."""
    r = _Reader(graph, node)
    r.take(RDF.type, DCAT.Distribution)
    dist = new_distribution(uri=str(node) if isinstance(node, URIRef) else None)
    ident = r.first_str(DCTERMS.identifier, (Literal,))
    match = re.search(r"/resource/([^/#?]+)$", dist["uri"] or "")
    dist["id"] = ident or (match.group(1) if match else None)
    if ident:
        dist["extras"]["identifier"] = ident
    dist["title"] = r.langmap(DCTERMS.title)
    dist["description"] = r.langmap(DCTERMS.description)
    dist["access_url"] = r.first_str(DCAT.accessURL)
    dist["download_url"] = r.first_str(DCAT.downloadURL)

    fmt_node = r.first_node(DCTERMS.format)
    media = r.first_str(DCAT.mediaType)
    if media is None and (mnode := r.first(DCAT.mediaType, (BNode,))) is not None:
        media = _label(graph, mnode)
    dist["media_type"] = _iana_short(media) if media else None
    candidates = []
    if fmt_node is not None:
        raw = _label(graph, fmt_node) if isinstance(fmt_node, BNode) else str(fmt_node)
        dist["format_raw"] = raw
        candidates = [raw]
        if not isinstance(fmt_node, Literal):  # an IMT node: its label and value help (datos.gob.es)
            candidates += [str(o) for p in (RDFS.label, RDF.value) for o in graph.objects(fmt_node, p)
                           if isinstance(o, Literal)]
    elif media is not None:
        dist["format_raw"] = media
    candidates.append(dist["media_type"])  # the media type the IRI names (a trailing slash read no format)
    found = next((f for f in (vocab.file_format(c) for c in candidates if c) if f), None)
    dist["format"] = found.code if found else None
    if found is None and dist["format_raw"]:
        flag(rec, f"distributions[{index}].format", dist["format_raw"], "format not in the EU file-type vocabulary")

    _read_licence(r, dist, rec, f"distributions[{index}].license")
    dist["rights"] = _rights(r)
    size = r.first(DCAT.byteSize, (Literal,))
    if size is not None:
        try:
            number = float(str(size))
            if number != int(number) or number < 0:
                raise ValueError
            dist["byte_size"] = int(number)
        except ValueError:
            r.used.discard((DCAT.byteSize, size))
            flag(rec, f"distributions[{index}].byte_size", str(size), "byte size is not a non-negative integer")
    dist["checksum"] = _checksum(r)
    dist["issued"] = r.first_str(DCTERMS.issued, (Literal,))
    dist["modified"] = r.first_str(DCTERMS.modified, (Literal,))
    dist["language"] = _languages(r)
    dist["conforms_to"] = _standards(r)
    _read_hvd(r, dist, rec, f"distributions[{index}].hvd_category")
    svc_node = r.first(DCAT.accessService, (URIRef, BNode))
    if svc_node is not None:
        dist["access_service"] = _access_service(graph, svc_node, rec, index)
        if dist["access_service"] is None:
            r.used.discard((DCAT.accessService, svc_node))
    rest = r.leftovers()
    if rest:
        dist["extras"]["rdf"] = rest
    return dist


def _checksum(r: _Reader) -> dict[str, str] | None:
    node = r.first(SPDX.checksum, (BNode, URIRef))
    if node is None:
        return None
    algo = next(iter(r.g.objects(node, SPDX.algorithm)), None)
    value = next(iter(r.g.objects(node, SPDX.checksumValue)), None)
    if algo is None or value is None:
        r.used.discard((SPDX.checksum, node))
        return None
    name = str(algo)
    name = name[len(SPDX_ALGO):] if name.startswith(SPDX_ALGO) else name
    return {"algorithm": name, "value": str(value)}


# --------------------------------------------------------------------------- record -> RDF (dcat_triples decides)


_ESCAPE = re.compile(r"\\(.)")
_UNESCAPE = {"\\": "\\", "n": "\n", '"': '"', "r": "\r"}


@lru_cache(maxsize=65536)
def _rdflib_term(term: str) -> URIRef | Literal:
    """An N-Triples IRI or literal of `dcat_triples` as an rdflib term."""
    if term[0] == "<":
        return URIRef(term[1:-1])
    end = term.rindex('"')
    lexical = term[1:end]
    if "\\" in lexical:
        lexical = _ESCAPE.sub(lambda m: _UNESCAPE[m.group(1)], lexical)
    rest = term[end + 1:]
    if not rest:
        return Literal(lexical)
    if rest[0] == "@":
        return Literal(lexical, lang=rest[1:])
    return Literal(lexical, datatype=URIRef(rest[3:-1]))  # ^^<datatype>


def _add_triples(g: rdflib.Graph, triples, bnodes: dict[str, BNode], scope: str = "") -> None:
    """Triples of N-Triples terms into a graph; `bnodes` gives each label of one document its own BNode.

    The BNode is named by the label (`_:b3` -> `b3`, after `scope`), not at random: the same record then makes
    the same RDF/XML, JSON-LD and N-Triples, so their ETag holds and a harvester's diff shows only changes (a
    random id a request made every copy new). `scope` keeps the labels of one graph's several documents apart."""
    def node(term: str):
        if term[0] == "_":
            found = bnodes.get(term)
            if found is None:
                found = bnodes[term] = BNode(scope + term[2:])
            return found
        return _rdflib_term(term)

    for s, p, o in triples:
        g.add((node(s), _rdflib_term(p), node(o)))


def dataset_to_rdf(record: Record, *, site_url: str, graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """A record -> DCAT-AP 3 triples under our URIs (added to `graph` when given); see `dcat_triples`."""
    g = graph if graph is not None else new_graph()
    triples = dataset_triples(record, site_url=site_url, bnodes=itertools.count())
    # a graph given may hold other datasets, each counted from b0: their blank nodes named by their own IRI
    scope = "" if graph is None else hashlib.sha256(triples[0][0].encode("utf-8")).hexdigest()[:12]
    _add_triples(g, triples, {}, scope)
    return g


# URL extension -> (rdflib format, media type): the syntaxes of /catalog.{ttl,rdf,jsonld,nt}
SYNTAXES = {"ttl": ("turtle", "text/turtle"), "rdf": ("xml", "application/rdf+xml"),
            "jsonld": ("json-ld", "application/ld+json"), "nt": ("nt", "application/n-triples")}




def xml_safe_literals(graph: rdflib.Graph) -> rdflib.Graph:
    """`graph` with the characters XML 1.0 cannot carry dropped from its literals, in place.

    rdflib's RDF/XML writer writes them as they are, and one such character (a vertical tab pasted into a
    harvested description) makes the whole document not well-formed: a harvester then loses the catalog page.
    Turtle, N-Triples and JSON-LD escape them and keep them."""
    bad = [(s, p, o) for s, p, o in graph if isinstance(o, Literal) and XML_ILLEGAL.search(o)]
    for s, p, o in bad:
        graph.remove((s, p, o))
        graph.add((s, p, Literal(XML_ILLEGAL.sub("", str(o)), lang=o.language, datatype=o.datatype)))
    return graph


def serialize(graph: rdflib.Graph, extension: str) -> tuple[bytes, str]:
    """A graph in the syntax of a URL extension (ttl, rdf, jsonld, nt): (body, media type)."""
    if extension not in SYNTAXES:
        raise ValueError(f"unknown RDF extension {extension!r}; use one of {', '.join(SYNTAXES)}")
    fmt, media_type = SYNTAXES[extension]
    return rdf_text(graph, fmt).encode("utf-8"), media_type


def rdf_text(graph: rdflib.Graph, fmt: str) -> str:
    """`graph` in rdflib's syntax `fmt` (turtle, xml, json-ld, nt), the same text in every process: rdflib writes a
    graph's triples in its store's order, which Python's per-process string hashing sets, so each server process
    gave the same graph other bytes (and another ETag: a client polling a server of several workers downloaded it
    again and again). RDF/XML also has its XML 1.0 illegal characters dropped (`xml_safe_literals`)."""
    if fmt == "xml":
        xml_safe_literals(graph)
        # prefixes rdflib makes up for namespaces with none (ns1, ns2 ...) go in the order it meets the predicates
        for predicate in sorted(set(graph.predicates()), key=str):
            graph.namespace_manager.compute_qname_strict(predicate)
        view = _InOrder(store=graph.store, identifier=graph.identifier, namespace_manager=graph.namespace_manager,
                        base=graph.base)
        return view.serialize(format="xml")
    return in_order(fmt, graph.serialize(format=fmt))


class _InOrder(rdflib.Graph):
    """A graph's store listed in order: its subjects, and each subject's predicates and objects, sorted (what
    rdflib's RDF/XML writer reads; it writes in the order they come)."""

    def subjects(self, predicate=None, object=None, unique=False):  # noqa: A002 - rdflib's names
        return iter(sorted(set(super().subjects(predicate, object)), key=lambda term: term.n3()))

    def predicate_objects(self, subject=None, unique=False):
        return iter(sorted(super().predicate_objects(subject), key=lambda po: (po[0].n3(), po[1].n3())))


def in_order(fmt: str, text: str) -> str:
    """N-Triples and JSON-LD as rdflib wrote them, put in an order of their own (see `rdf_text`). N-Triples: its
    lines sorted. JSON-LD: its nodes by @id, each property's values sorted (a property's values are a set; an @list
    keeps its order), keys sorted. Other syntaxes as they are (Turtle is written in order)."""
    if fmt == "nt":
        lines = sorted(line for line in text.splitlines() if line.strip())
        return "\n".join(lines) + "\n" if lines else ""
    if fmt == "json-ld":
        doc = json.loads(text)
        if isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
            doc["@graph"] = _jsonld_nodes(doc["@graph"])
        elif isinstance(doc, list):
            doc = _jsonld_nodes(doc)
        return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)
    return text


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _jsonld_nodes(nodes: list) -> list:
    for node in nodes:
        if isinstance(node, dict):
            for key, values in node.items():
                if not key.startswith("@") and isinstance(values, list):
                    node[key] = sorted(values, key=_canonical)
    return sorted(nodes, key=lambda n: (str(n.get("@id", "")) if isinstance(n, dict) else "", _canonical(n)))


def new_graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX),
                       ("adms", ADMS), ("skos", SKOS), ("hydra", HYDRA), ("xsd", XSD)):
        g.bind(prefix, ns)
    return g


def catalog_to_rdf(records, *, site_url: str, catalog_info: dict[str, Any],
                   page: dict[str, Any] | None = None) -> rdflib.Graph:
    """A dcat:Catalog with its datasets. `catalog_info` needs title, description and publisher (DCAT-AP 3).

    `page` (optional) adds Hydra paging: {"uri", "next", "previous", "first", "last", "total_items", "per_page"}.
    """
    records = with_series(list(records))
    counter = itertools.count()
    cat, header = catalog_triples(site_url=site_url, catalog_info=catalog_info, page=page, bnodes=counter)
    g, bnodes = new_graph(), {}
    _add_triples(g, header, bnodes)
    for record in records:
        triples = dataset_triples(record, site_url=site_url, bnodes=counter)
        triples.append((cat, DCAT_DATASET, triples[0][0]))
        _add_triples(g, triples, bnodes)
    return g

# --------------------------------------------------------------------------- round trip and fast SHACL


_CONTENT = ("identifier", "title", "description", "keywords", "themes", "license", "license_raw", "access_rights",
            "rights", "issued", "modified", "spatial", "extent", "frequency", "landing_page", "conforms_to", "language",
            "version", "flags", "kind", "hvd_category", "applicable_legislation")
_DIST_CONTENT = ("title", "description", "access_url", "download_url", "format", "media_type", "license",
                 "license_raw", "rights", "byte_size", "checksum", "issued", "modified", "language", "conforms_to",
                 "hvd_category", "applicable_legislation", "access_service")


def _canonical_date(value: str | None) -> str | None:
    """A date as any RDF parser hands it back: rdflib writes xsd:dateTime "Z" as "+00:00"; one that is no date is
    not published (None)."""
    node = None if value is None else date_value(value)
    return None if node is None else str(node)


def comparable(record: Record) -> dict[str, Any]:
    """The content a DCAT round trip must keep: what `dataset_to_rdf` publishes, source URIs left out.

    A format_raw is kept only when no canonical format was found (otherwise the EU URI is
    published instead); a distribution without access URL gets its download URL as one.
    """
    out = {k: record.get(k) for k in _CONTENT}
    for key in ("issued", "modified"):
        out[key] = _canonical_date(record.get(key))
    out["keyword_languages"] = (record.get("extras") or {}).get("keyword_languages") or {}
    out["flags"] = sorted(re.sub(r"distributions\[\d+\]", "distributions[]", json.dumps(f, sort_keys=True))
                          for f in record.get("flags") or [])
    out["temporal"] = {k: _canonical_date((record.get("temporal") or {}).get(k)) for k in ("start", "end")}
    for key in ("publisher", "creator"):
        agent = record.get(key)
        out[key] = None if not agent else {k: agent.get(k) for k in ("name", "homepage", "email")}
    cp = record.get("contact_point")
    out["contact_point"] = None if not cp else {k: cp.get(k) for k in ("name", "email", "url", "phone")}
    dists = []
    for dist in record.get("distributions") or []:
        d = {k: dist.get(k) for k in _DIST_CONTENT}
        d["access_url"] = dist.get("access_url") or dist.get("download_url")
        d["issued"], d["modified"] = _canonical_date(dist.get("issued")), _canonical_date(dist.get("modified"))
        d["format_raw"] = None if dist.get("format") else dist.get("format_raw")
        dists.append(d)
    out["distributions"] = sorted(dists, key=lambda d: json.dumps(d, sort_keys=True, default=str))
    return out


def _is_agent_unnamed(agent) -> bool:
    return not any(v for v in (agent.get("name") or {}).values())


#: Gaps `dataset_to_rdf` fills with a documented fallback (docs/api.md): still findings for the publisher,
#: no longer violations in what we publish. Matched against the end of a violation's path.
FILLED_ON_OUTPUT = ("dct:description", "/foaf:name", "/dcat:accessURL")


def is_filled_on_output(violation: dict[str, str]) -> bool:
    return violation["path"].endswith(FILLED_ON_OUTPUT)


def shacl_violations_fast(record: Record) -> list[dict[str, str]]:
    """What a record lacks or gets wrong against the DCAT-AP 3 shapes, without pyshacl.

    Only what a record can get wrong is checked: everything else (classes, node kinds,
    cardinalities) `dataset_to_rdf` guarantees by construction. `dataset_to_rdf` violates
    exactly the ones `is_filled_on_output` does not cover; the tests hold both to pyshacl with the
    official shapes.
    """
    out: list[dict[str, str]] = []

    def add(path: str, message: str) -> None:
        out.append({"path": path, "message": message})

    if not any(v for v in (record.get("title") or {}).values()):
        add("dct:title", "dataset has no title (dct:title is mandatory)")
    if not any(v for v in (record.get("description") or {}).values()):
        add("dct:description", "dataset has no description (dct:description is mandatory)")
    for key, path in (("publisher", "dct:publisher"), ("creator", "dct:creator")):
        if record.get(key) and _is_agent_unnamed(record[key]):
            add(f"{path}/foaf:name", f"{key} has no name (foaf:name is mandatory for a foaf:Agent)")
    for i, dist in enumerate(record.get("distributions") or []):
        where = f"dcat:distribution[{i}]"
        if not (dist.get("access_url") or dist.get("download_url")):
            add(f"{where}/dcat:accessURL", "distribution has no access URL (dcat:accessURL is mandatory)")
        size = dist.get("byte_size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            add(f"{where}/dcat:byteSize", "byte size must be an xsd:nonNegativeInteger")
        checksum = dist.get("checksum")
        if checksum:
            if not checksum.get("algorithm"):
                add(f"{where}/spdx:checksum/spdx:algorithm", "checksum without algorithm")
            value = checksum.get("value")
            if not value:
                add(f"{where}/spdx:checksum/spdx:checksumValue", "checksum without value")
            elif not _HEX.match(value):
                add(f"{where}/spdx:checksum/spdx:checksumValue", "checksum value must be xsd:hexBinary")
    return out
