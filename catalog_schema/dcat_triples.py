"""Catalog record -> DCAT-AP 3 triples: the one place where what we publish in RDF is decided.

A triple is three N-Triples terms as text: `<http://...>` (an IRI, the characters IRIs forbid
percent-encoded), `"text"@en`, `"5"^^<http://www.w3.org/2001/XMLSchema#integer>`, `_:b7` (a blank
node, numbered from the counter the caller passes, so labels stay unique in a stream). Text because
it is what the full dumps write: making an rdflib term per triple costs too much on a 100,000-dataset
catalog. Two consumers, no other writer of DCAT:

- `catalog_schema.dcat.dataset_to_rdf` / `catalog_to_rdf` turn the terms into an rdflib Graph (single
  pages, content negotiation, RDF/XML and JSON-LD, the SHACL tests);
- `app.export.stream_rdf` writes them as N-Triples or Turtle, dataset by dataset, in constant memory.

The decisions (see `catalog_schema.dcat` for the reading side and the round trip):

- our URIs: dataset `{site}/dataset/{slug}`, distribution `{site}/dataset/{slug}/resource/{id}`, where {slug}
  is the one the dataset was first published under (`record.iri_slug`: a rename after publishing pins it),
  publisher `{site}/publisher/{slug}`; the dataset's URI at its source is kept as `adms:identifier`
  (an `adms:Identifier` whose `skos:notation` is that URI), not `dct:source`, which DCAT-AP 3 wants
  to be a `dcat:Dataset` we would have to describe;
- every object is typed with the class the DCAT-AP 3 shapes ask for (`dct:LicenseDocument`,
  `dct:Frequency`, `skos:Concept` with a `skos:prefLabel` ...); a value that is no IRI becomes a blank
  node with that value as its `rdfs:label`;
- licences, formats, media types, themes, access rights, frequencies and languages are written as the
  IRIs of their vocabularies (`catalog_schema.vocab`) when known, as given otherwise, except a media type:
  `dcat:mediaType` is the IANA IRI of the media type the value means (`vocab.plain_media_type`: "CSV" and
  "text/csv; charset=utf-8" are .../text/csv), and left out for a value that means none ("comma separated");
- a language tag that is no BCP 47 tag leaves its text untagged; typed literals have rdflib's
  normalised lexical form (xsd:dateTime "Z" -> "+00:00", "0100" -> "100"), so both consumers agree;
- high-value datasets: `dcatap:hvdCategory` (a `skos:Concept` of the EU HVD category vocabulary, with its
  English label) and `dcatap:applicableLegislation` (an `eli:LegalResource`, the HVD regulation's ELI) on
  the dataset, each distribution and the distribution's `dcat:accessService` (a `dcat:DataService` at
  `{distribution}/service` with its endpoint, serving the dataset); the tests validate them with pyshacl
  against the DCAT-AP 3 shapes and the HVD shapes in tests/fixtures/shacl/;
- `extras` are not published: they are the source's words, not ours to assert.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD as XSD_NS

from catalog_schema import dates, places, vocab
from catalog_schema.record import Record, iri_slug, pick_text

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
    "dcatap": "http://data.europa.eu/r5r/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "locn": "http://www.w3.org/ns/locn#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}

IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
LOC_ISO639_1 = "http://id.loc.gov/vocabulary/iso639-1/"
SPDX_ALGO = "http://spdx.org/rdf/terms#checksumAlgorithm_"
XSD = PREFIXES["xsd"]


class _Terms(dict):
    """'dcat:Dataset' -> '<http://www.w3.org/ns/dcat#Dataset>', made on first use; COMPACT maps back."""

    def __missing__(self, key: str) -> str:
        prefix, local = key.split(":", 1)
        value = f"<{PREFIXES[prefix]}{local}>"
        self[key] = value
        COMPACT[value] = key
        return value


COMPACT: dict[str, str] = {}  # N-Triples term -> prefixed name, for every vocabulary term looked up in T
T = _Terms()

A = T["rdf:type"]
for _datatype in ("date", "dateTime", "gYear", "gYearMonth", "nonNegativeInteger", "hexBinary", "decimal", "integer"):
    T["xsd:" + _datatype]  # noqa: B018 (registers the datatype's prefixed name for Turtle)
RDFS_LABEL, RDFS_RESOURCE = T["rdfs:label"], T["rdfs:Resource"]
SKOS_PREF, SKOS_CONCEPT, SKOS_NOTATION = T["skos:prefLabel"], T["skos:Concept"], T["skos:notation"]
FOAF_AGENT, FOAF_NAME, FOAF_HOMEPAGE = T["foaf:Agent"], T["foaf:name"], T["foaf:homepage"]
FOAF_MBOX, FOAF_DOCUMENT = T["foaf:mbox"], T["foaf:Document"]
DCAT_DATASET = T["dcat:dataset"]
XSD_NON_NEGATIVE = XSD + "nonNegativeInteger"

_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")  # a value we publish as an IRI (else a labelled node)
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_IRI_TERMS: dict[str, str] = {}  # value -> its IRI term, or "" when it is no IRI
_IRI_TERMS_MAX = 4096


# --------------------------------------------------------------------------- terms


def iri(value: str) -> str:
    """An IRI as an N-Triples term, with the characters IRIs forbid percent-encoded (every syntax can write it)."""
    if _IRI_FORBIDDEN.search(value):
        value = _IRI_FORBIDDEN.sub(lambda m: f"%{ord(m.group()):02X}", value)
    return f"<{value}>"


def quote(text: str) -> str:
    """A string literal's quoted form, escaped as rdflib's N-Triples writer does (valid Turtle too)."""
    return '"' + text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r") + '"'


def literal(text: str, lang: str | None = None) -> str:
    """A plain or language-tagged literal; `lang` must already be a tag (see `lang_tag`)."""
    return quote(text) + ("@" + lang if lang else "")


@lru_cache(maxsize=1024)
def lang_tag(lang: str | None) -> str | None:
    """The tag rdflib keeps for `lang`, or None when it is no BCP 47 tag (the text is then published untagged)."""
    if not lang:
        return None
    try:
        return Literal("x", lang=lang).language
    except ValueError:
        return None


def typed(lexical: str, datatype: str) -> str:
    """A typed literal with rdflib's normalised lexical form (xsd:dateTime "Z" -> "+00:00", "0100" -> "100")."""
    if datatype == XSD_NON_NEGATIVE and lexical.isdigit() and lexical.isascii():  # byte sizes: nearly all unique
        return f'"{int(lexical)}"^^<{datatype}>'
    return rdflib_typed(lexical, datatype)


@lru_cache(maxsize=65536)
def rdflib_typed(lexical: str, datatype: str) -> str:
    """`typed` as rdflib's Literal writes it (the reference the fast path of `typed` is tested against)."""
    node = Literal(lexical, datatype=URIRef(datatype))
    return quote(str(node)) + f"^^<{node.datatype}>"


def date_value(value: str) -> Literal | None:
    """A record's date as the literal we publish (`catalog_schema.dates.published`): xsd:date, xsd:dateTime,
    xsd:gYearMonth or xsd:gYear when it is a real one, a date a source wrote otherwise (2024年3月1日, 2024.03.01)
    in ISO form; None when it is no date ("2023-13-01", "yesterday-ish"), which is left out: published as it
    was, "2023-13-01"^^xsd:date is an ill-typed literal (rdflib logs a traceback for each one it reads) and an
    untyped "yesterday-ish" is no date to any reader."""
    found = dates.published(value)
    return None if found is None else Literal(found[0], datatype=XSD_NS[found[1]])


@lru_cache(maxsize=65536)
def date_literal(value: str) -> str | None:
    """`date_value` as an N-Triples term (None: no date, nothing to publish)."""
    node = date_value(value)
    if node is None:
        return None
    return quote(str(node)) + (f"^^<{node.datatype}>" if node.datatype else "")


# --------------------------------------------------------------------------- our URIs


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80]


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def dataset_slug(record: Record) -> str:
    """The slug in our URIs: the one its IRI was pinned to when it was renamed after publishing
    (`record.iri_slug`), else the record's own, else its id, else a hash of its source URI or title."""
    return (iri_slug(record.get("slug"), record.get("extras")) or record.get("id")
            or "ds-" + _short_hash(record.get("uri") or json.dumps(record.get("title"), sort_keys=True)))


def publisher_slug(agent: dict[str, Any]) -> str:
    return (agent.get("slug") or _slugify(pick_text(agent.get("name")))
            or "pub-" + _short_hash(agent.get("uri") or json.dumps(agent.get("name"), sort_keys=True)))


def distribution_id(dist: Record, index: int) -> str:
    return str(dist.get("id") or _short_hash(dist.get("uri") or dist.get("access_url") or dist.get("download_url")
                                             or str(index)))


def dataset_uri(record: Record, site_url: str) -> str:
    return f"{site_url.rstrip('/')}/dataset/{dataset_slug(record)}"


def distribution_uris(record: Record, site_url: str) -> list[str]:
    """Our URI of each of the record's distributions, in order."""
    ds = dataset_uri(record, site_url)
    return [f"{ds}/resource/{ident}" for ident in _distribution_idents(record.get("distributions") or [])]


def _distribution_idents(dists: list[Record]) -> list[str]:
    """The {id} in each distribution's URI: two never share one (a repeated id gets -index)."""
    out, used = [], set()
    for index, dist in enumerate(dists):
        ident = distribution_id(dist, index)
        if ident in used:  # two distributions must not merge into one node (DCAT-AP maxCount 1 on format ...)
            ident = f"{ident}-{index}"
        used.add(ident)
        out.append(ident)
    return out


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
    if raw and _IRI.match(raw):
        return raw
    found = vocab.licence_by_id(code) if code else None
    if found is not None and found.url:
        return found.url
    return raw


@lru_cache(maxsize=4096)
def _format_value(code: str | None, raw: str | None) -> str | None:
    fmt = vocab.format_by_code(code) if code else None
    if fmt is not None and fmt.eu_uri:
        return fmt.eu_uri
    return raw


@lru_cache(maxsize=4096)
def _media_value(media: str) -> str | None:
    """The IANA IRI of the media type a distribution's declared one means (vocab.plain_media_type: "CSV" and
    "text/csv; charset=utf-8" are .../text/csv), None for a value that means none ("comma separated")."""
    plain = vocab.plain_media_type(media)
    return IANA_MEDIA + plain if plain is not None else None


def _common_dist_licence(record: Record) -> str | None:
    dists = record.get("distributions") or []
    raws = {d.get("license_raw") for d in dists}
    return next(iter(raws)) if dists and len(raws) == 1 else None


# --------------------------------------------------------------------------- one dataset


class _Triples:
    """Collects triples (deduplicated, in order: a dict's keys) and numbers their blank nodes."""

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
                tag = lang_tag(lang.replace("_", "-") or None)
                out[node, pred, quote(text) + "@" + tag if tag else quote(text)] = None

    def typed_value(self, pred: str, subject: str, value: str, cls: str, label: str | None = None) -> str:
        """subject pred <value>, <value> typed `cls` (DCAT-AP 3 checks classes); a non-IRI becomes a labelled node."""
        out = self.out
        obj = _IRI_TERMS.get(value)
        if obj is None:
            obj = iri(value) if _IRI.match(value) else ""
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
        node = iri(f"{site_url.rstrip('/')}/publisher/{publisher_slug(agent)}")
        self.add(subject, pred, node)
        self.add(node, A, FOAF_AGENT)
        # DCAT-AP requires the agent's name: one the source left unnamed is named by its slug (docs/api.md).
        self.texts(node, FOAF_NAME, agent.get("name") or {"": publisher_slug(agent)})
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
            # DCAT-AP's vocabulary (the EU language table: zh -> .../language/ZHO); a tag it has no entry for
            # (en-US) under id.loc.gov's ISO 639-1 codes, as before
            value = lang if _IRI.match(lang) else (vocab.language_iri(lang) or LOC_ISO639_1 + lang)
            self.typed_value(T["dct:language"], subject, value, T["dct:LinguisticSystem"])

    def hvd(self, subject: str, item: dict[str, Any]) -> None:
        """dcatap:hvdCategory and dcatap:applicableLegislation of a dataset, distribution or data service."""
        for cat in item.get("hvd_category") or []:
            known = vocab.hvd_category(cat)
            self.typed_value(T["dcatap:hvdCategory"], subject, known or cat, SKOS_CONCEPT,
                             label=vocab.hvd_label(known) if known else None)
        for law in item.get("applicable_legislation") or []:
            self.typed_value(T["dcatap:applicableLegislation"], subject, law, T["eli:LegalResource"])

    def dates(self, subject: str, item: dict[str, Any]) -> None:
        for pred, key in ((T["dct:issued"], "issued"), (T["dct:modified"], "modified")):
            term = date_literal(item[key]) if item.get(key) else None
            if term is not None:
                self.add(subject, pred, term)


def dataset_triples(record: Record, *, site_url: str, bnodes: Iterator[int]) -> list[tuple[str, str, str]]:
    """The DCAT-AP 3 triples of one record under our URIs; the first one is `<dataset> a dcat:Dataset` (a series
    is also `a dcat:DatasetSeries`).

    `bnodes` numbers the blank nodes (`_:b{n}`): one counter for everything that goes into one document.
    """
    t = _Triples(bnodes)
    ds_uri = dataset_uri(record, site_url)
    ds = iri(ds_uri)
    t.add(ds, A, T["dcat:Dataset"])
    if record.get("kind") == "series":  # DCAT 3: a dcat:DatasetSeries is a dcat:Dataset (and catalogs list it so)
        t.add(ds, A, T["dcat:DatasetSeries"])
    t.texts(ds, T["dct:title"], record.get("title"))
    # DCAT-AP requires a description: a record without one is described by its title (docs/api.md).
    t.texts(ds, T["dct:description"], record.get("description") or record.get("title"))
    if record.get("identifier"):
        t.add(ds, T["dct:identifier"], quote(record["identifier"]))
    if record.get("uri") and record["uri"] != ds_uri:
        ident = t.bnode()
        t.add(ds, T["adms:identifier"], ident)
        t.add(ident, A, T["adms:Identifier"])
        t.add(ident, SKOS_NOTATION, quote(record["uri"]))
    langs = (record.get("extras") or {}).get("keyword_languages") or {}
    for kw in record.get("keywords") or []:
        t.add(ds, T["dcat:keyword"], literal(kw, lang_tag(langs.get(kw))))
    for theme in record.get("themes") or []:
        t.typed_value(T["dcat:theme"], ds, _theme_value(theme), SKOS_CONCEPT, label=theme)
    if record.get("publisher"):
        t.agent(ds, T["dct:publisher"], record["publisher"], site_url)
    if record.get("creator"):
        t.agent(ds, T["dct:creator"], record["creator"], site_url)
    if record.get("contact_point"):
        t.contact(ds, record["contact_point"])
    if record.get("license_raw") or record.get("license"):
        if record.get("license_raw") != _common_dist_licence(record):  # else the distributions carry it
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
    start, end = (date_literal(temporal[k]) if temporal.get(k) else None for k in ("start", "end"))
    if start or end:
        period = t.bnode()
        t.add(ds, T["dct:temporal"], period)
        t.add(period, A, T["dct:PeriodOfTime"])
        if start:
            t.add(period, T["dcat:startDate"], start)
        if end:
            t.add(period, T["dcat:endDate"], end)
    for place in record.get("spatial") or []:
        t.typed_value(T["dct:spatial"], ds, place, T["dct:Location"])
    _extent(t, ds, record.get("extent"))
    if record.get("frequency"):
        t.typed_value(T["dct:accrualPeriodicity"], ds, _frequency_value(record["frequency"]),
                      T["dct:Frequency"])
    if record.get("landing_page"):
        t.typed_value(T["dcat:landingPage"], ds, record["landing_page"], FOAF_DOCUMENT)
    for std in record.get("conforms_to") or []:
        t.typed_value(T["dct:conformsTo"], ds, std, T["dct:Standard"])
    t.languages(ds, record.get("language"))
    t.hvd(ds, record)
    if record.get("version"):
        t.add(ds, T["dcat:version"], quote(record["version"]))
    _series(t, ds, record, site_url)
    dists = record.get("distributions")
    if dists:
        for dist, ident in zip(dists, _distribution_idents(dists), strict=True):
            _distribution(t, ds, dist, iri(f"{ds_uri}/resource/{ident}"),
                          fallback_access=record.get("landing_page") or ds_uri)
            if dist.get("catalog_dictionary") and dist.get("catalog_id"):
                # The table's data dictionary, a Frictionless Table Schema: DCAT-AP 3 links the schema a
                # distribution follows with dct:conformsTo, to a dct:Standard.
                t.typed_value(T["dct:conformsTo"], iri(f"{ds_uri}/resource/{ident}"),
                              f"{ds_uri}/resource/{dist['catalog_id']}/schema.json", T["dct:Standard"])
    return list(t.out)


def _extent(t: _Triples, ds: str, extent: dict[str, Any] | None) -> None:
    """The extent as GeoDCAT-AP writes it: a dct:Location with its dcat:bbox (a WKT polygon) and, when it says
    more than the box, its locn:geometry (a locn:Geometry with gsp:asGeoJSON)."""
    if not extent or not extent.get("bbox"):
        return
    loc = t.bnode()
    t.add(ds, T["dct:spatial"], loc)
    t.add(loc, A, T["dct:Location"])
    t.add(loc, T["dcat:bbox"], quote(places.bbox_to_wkt(extent["bbox"])) + "^^" + T["gsp:wktLiteral"])
    if extent.get("geometry"):  # DCAT-AP 3: a locn:Geometry node, its GeoJSON as GeoSPARQL 1.1 writes it
        geometry = t.bnode()
        t.add(loc, T["locn:geometry"], geometry)
        t.add(geometry, A, T["locn:Geometry"])
        text = json.dumps(extent["geometry"], separators=(",", ":"), sort_keys=True)
        t.add(geometry, T["gsp:asGeoJSON"], quote(text) + "^^" + T["gsp:geoJSONLiteral"])


def _series(t: _Triples, ds: str, record: Record, site_url: str) -> None:
    """dcat:inSeries, and the order DCAT 3 names (dcat:first/last on a series, dcat:prev/next on a member).

    Only series this catalog resolved are named (`catalog_series`: each {"slug", "iri_slug", "title", "description",
    "previous", "next"}, the neighbours as the slugs in their IRIs; `catalog_series_ends`: {"first", "last"} of a
    series, the same): DCAT-AP
    3 wants the object of dcat:inSeries to be a dcat:DatasetSeries with its title and description, so the
    series node carries them. A reference the catalog could not resolve is not published. `with_series` gives
    a list of records not stored the resolution they find among themselves.
    """
    site = site_url.rstrip("/")
    for entry in record.get("catalog_series") or []:
        node = iri(f"{site}/dataset/{entry.get('iri_slug') or entry['slug']}")
        t.add(ds, T["dcat:inSeries"], node)
        t.add(node, A, T["dcat:DatasetSeries"])
        t.texts(node, T["dct:title"], entry.get("title") or {"": entry["slug"]})
        t.texts(node, T["dct:description"], entry.get("description") or entry.get("title") or {"": entry["slug"]})
        for key, pred in (("previous", "dcat:prev"), ("next", "dcat:next")):
            if entry.get(key):
                t.add(ds, T[pred], iri(f"{site}/dataset/{entry[key]}"))
    ends = record.get("catalog_series_ends") or {}
    for key in ("first", "last"):
        if ends.get(key):
            t.add(ds, T["dcat:" + key], iri(f"{site}/dataset/{ends[key]}"))


def series_entry(series: Record) -> dict[str, Any]:
    """What a member's `catalog_series` tells of one series (see `_series`)."""
    return {"id": series.get("id"), "slug": dataset_slug(series), "identifier": series.get("identifier"),
            "uri": series.get("uri"), "title": series.get("title") or {}, "description": series.get("description")}


def with_series(records: list[Record]) -> list[Record]:
    """Records not stored (a harvested page, a test's list) with `catalog_series` resolved among themselves: a
    reference names a series of the list by its URI, identifier, id or slug. Records that have it keep theirs."""
    by_ref: dict[str, Record] = {}
    for rec in records:
        if rec.get("kind") == "series":
            for key in (rec.get("uri"), rec.get("identifier"), rec.get("id"), rec.get("slug")):
                if key:
                    by_ref.setdefault(key, rec)
    if not by_ref:
        return records
    out = []
    for rec in records:
        if rec.get("catalog_series") is None and rec.get("in_series"):
            found = [by_ref[ref] for ref in rec["in_series"] if ref in by_ref and by_ref[ref] is not rec]
            rec = {**rec, "catalog_series": [series_entry(s) for s in dict((id(s), s) for s in found).values()]}
        out.append(rec)
    return out


def _distribution(t: _Triples, ds: str, dist: Record, node: str, *, fallback_access: str) -> None:
    t.add(ds, T["dcat:distribution"], node)
    t.add(node, A, T["dcat:Distribution"])
    t.texts(node, T["dct:title"], dist.get("title"))
    t.texts(node, T["dct:description"], dist.get("description"))
    # DCAT-AP: accessURL is mandatory; a download URL is also an access URL, and a distribution the source
    # gave no URL at all is reached from the dataset's landing page (docs/api.md).
    access = dist.get("access_url") or dist.get("download_url") or fallback_access
    t.typed_value(T["dcat:accessURL"], node, access, RDFS_RESOURCE)
    if dist.get("download_url"):
        t.typed_value(T["dcat:downloadURL"], node, dist["download_url"], RDFS_RESOURCE)
    fmt = _format_value(dist.get("format"), dist.get("format_raw"))
    if fmt:
        t.typed_value(T["dct:format"], node, fmt, T["dct:MediaTypeOrExtent"])
    media = _media_value(dist["media_type"]) if isinstance(dist.get("media_type"), str) else None
    if media:
        t.typed_value(T["dcat:mediaType"], node, media, T["dct:MediaType"])
    lic = _licence_value(dist.get("license"), dist.get("license_raw"))
    if lic:
        t.typed_value(T["dct:license"], node, lic, T["dct:LicenseDocument"])
    if dist.get("rights"):
        t.typed_value(T["dct:rights"], node, dist["rights"], T["dct:RightsStatement"])
    if dist.get("byte_size") is not None:
        t.add(node, T["dcat:byteSize"], typed(str(dist["byte_size"]), XSD_NON_NEGATIVE))
    checksum = dist.get("checksum")
    if checksum:
        cnode = t.bnode()
        t.add(node, T["spdx:checksum"], cnode)
        t.add(cnode, A, T["spdx:Checksum"])
        if checksum.get("algorithm"):
            algo = checksum["algorithm"]
            t.typed_value(T["spdx:algorithm"], cnode,
                          algo if _IRI.match(algo) else SPDX_ALGO + vocab.checksum_algorithm(algo),
                          T["spdx:ChecksumAlgorithm"])
        if checksum.get("value"):
            t.add(cnode, T["spdx:checksumValue"], typed(checksum["value"], XSD + "hexBinary"))
    t.dates(node, dist)
    t.languages(node, dist.get("language"))
    for std in dist.get("conforms_to") or []:
        t.typed_value(T["dct:conformsTo"], node, std, T["dct:Standard"])
    t.hvd(node, dist)
    service = dist.get("access_service")
    if service and service.get("endpoint_url"):
        svc = node[:-1] + "/service>"
        t.add(node, T["dcat:accessService"], svc)
        t.add(svc, A, T["dcat:DataService"])
        # DCAT-AP requires a data service's title: one the source left untitled takes the distribution's.
        t.texts(svc, T["dct:title"], service.get("title") or dist.get("title") or {"": "API"})
        t.typed_value(T["dcat:endpointURL"], svc, service["endpoint_url"], RDFS_RESOURCE)
        if service.get("endpoint_description"):
            t.typed_value(T["dcat:endpointDescription"], svc, service["endpoint_description"], RDFS_RESOURCE)
        t.add(svc, T["dcat:servesDataset"], ds)
        t.hvd(svc, service)


# --------------------------------------------------------------------------- the catalog


def catalog_triples(*, site_url: str, catalog_info: dict[str, Any], bnodes: Iterator[int],
                    page: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, str, str]]]:
    """The dcat:Catalog node: its IRI term and its triples. Each dataset is then linked by (catalog, DCAT_DATASET, ds).

    `catalog_info` needs title, description and publisher (mandatory in DCAT-AP 3); `page` (optional) adds
    Hydra paging: {"uri", "next", "previous", "first", "last", "total_items", "per_page"}.
    """
    title, description = catalog_info.get("title"), catalog_info.get("description")
    publisher = catalog_info.get("publisher")
    if not title or not description or not publisher:
        raise ValueError("catalog_info needs title, description and publisher (mandatory in DCAT-AP 3)")
    t = _Triples(bnodes)
    cat_uri = catalog_info.get("uri") or f"{site_url.rstrip('/')}/catalog"
    cat = iri(cat_uri)
    t.add(cat, A, T["dcat:Catalog"])
    t.texts(cat, T["dct:title"], title if isinstance(title, dict) else {"": title})
    t.texts(cat, T["dct:description"], description if isinstance(description, dict) else {"": description})
    t.agent(cat, T["dct:publisher"], publisher if isinstance(publisher, dict) else {"name": {"": publisher}},
            site_url)
    if catalog_info.get("homepage"):
        t.typed_value(FOAF_HOMEPAGE, cat, catalog_info["homepage"], FOAF_DOCUMENT)
    # DCAT-AP's recommended properties of a catalog: the languages its metadata is in, the themes' vocabulary
    t.languages(cat, catalog_info.get("languages"))
    for scheme in catalog_info.get("theme_taxonomies") or []:  # {"uri", "title": a language map}
        t.typed_value(T["dcat:themeTaxonomy"], cat, scheme["uri"], T["skos:ConceptScheme"])
        t.texts(iri(scheme["uri"]), T["dct:title"], scheme["title"])
    if page:
        node = iri(page.get("uri") or cat_uri)
        t.add(node, A, T["hydra:PagedCollection"])
        for key in ("next", "previous", "first", "last"):
            if page.get(key):
                t.add(node, T["hydra:" + key], iri(page[key]))
        for key, pred in (("total_items", "hydra:totalItems"), ("per_page", "hydra:itemsPerPage")):
            if page.get(key) is not None:
                t.add(node, T[pred], f'"{int(page[key])}"^^<{XSD}integer>')
    return cat, list(t.out)
