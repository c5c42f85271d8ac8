"""Controlled vocabularies: licences, file formats, update frequencies, data themes, access rights.

Harvested catalogs name the same thing in many ways (``cc-by``, ``CC-BY-4.0``,
``https://creativecommons.org/licenses/by/4.0/deed.en``, ``知识共享署名 4.0``). Every mapper, the
quality engine and the search facets go through this module so a licence, a format or a frequency
has one canonical code in the catalog, and whatever cannot be recognised is reported as ``None``
(the caller keeps the raw value and flags it).

The tables are data, not code paths: JSON files in ``catalog_schema/vocab_data`` (see SOURCES.md
there). They are read lazily, once, on first use; importing this module does no I/O and parses no
RDF. Every lookup is case-insensitive and whitespace-tolerant, and ``None`` or ``""`` gives ``None``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_FREQUENCY = EU_AUTHORITY + "frequency/"
EU_THEME = EU_AUTHORITY + "data-theme/"
EU_ACCESS_RIGHT = EU_AUTHORITY + "access-right/"
EU_FILE_TYPE = EU_AUTHORITY + "file-type/"
DC_FREQ = "http://purl.org/cld/freq/"

__all__ = [
    "ACCESS_RIGHTS",  # noqa: F822 - built lazily by the module __getattr__ below
    "FREQUENCIES",  # noqa: F822
    "THEMES",  # noqa: F822
    "AccessRight",
    "FileFormat",
    "Frequency",
    "Licence",
    "Theme",
    "access_right",
    "access_right_datajson",
    "access_right_uri",
    "declared_media_type",
    "file_format",
    "format_by_code",
    "format_for_extension",
    "format_for_media_type",
    "formats",
    "frequency",
    "frequency_iso8601",
    "frequency_uri",
    "iana_media_type",
    "licence",
    "licence_by_id",
    "licence_key",
    "licences",
    "media_type",
    "plain_media_type",
    "theme",
    "theme_uri",
]


# --------------------------------------------------------------------------- text normalisation


def _clean(raw: Any) -> str | None:
    """Unicode-normalised, whitespace-collapsed text, or None for None/blank."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw))
    text = " ".join(text.split())
    return text or None


def _key(text: str) -> str:
    """A compact matching key: case-folded letters and digits only (CJK kept).

    ``CC-BY-4.0``, ``cc_by_4_0`` and ``CC BY 4.0`` all give ``ccby40``; ``Other (Open)`` and
    ``other-open`` both give ``otheropen``. That makes EU authority codes, SPDX ids, CKAN ids and
    titles meet without a rule per spelling.
    """
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _read(name: str) -> Any:
    return json.loads(resources.files("catalog_schema.vocab_data").joinpath(name).read_text(encoding="utf-8"))


def _last_segment(uri: str) -> str:
    return unquote(re.split(r"[/#]", uri.rstrip("/#"))[-1])


def _uri_tail(text: str, base: str) -> str | None:
    """The code after an authority base URI, http or https, with or without www; else None."""
    low = text.lower()
    stem = base.split("://", 1)[1].lower()
    for scheme in ("http://", "https://"):
        for www in ("", "www."):
            if low.startswith(scheme + www + stem):
                return unquote(text[len(scheme + www + stem) :].strip("/#"))
    return None


# --------------------------------------------------------------------------- licences


@dataclass(frozen=True)
class Licence:
    """One licence, by its Open Definition id; ``is_open`` only when the OD approved it."""

    id: str
    title: str
    url: str | None
    od_conformance: str  # "approved" | "not reviewed" | "rejected"
    is_open: bool
    ckan_id: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _LicenceTable:
    by_id: dict[str, Licence]
    by_key: dict[str, Licence]
    by_url: dict[str, Licence]
    ordered: tuple[Licence, ...] = field(default=())


def _norm_url(url: str) -> str:
    """A licence URL without scheme, www, fragment, trailing slash or the CC deed/legalcode page."""
    u = url.strip().lower()
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u)
    u = u.split("#", 1)[0]
    if u.startswith("www."):
        u = u[4:]
    u = u.rstrip("/")
    u = re.sub(r"/(legalcode(\.[a-z_-]+)?|deed(\.[a-z_-]+)?|index\.html?)$", "", u)
    return u.rstrip("/")


@cache
def _licence_table() -> _LicenceTable:
    extra = _read("licences_extra.json")
    annotations: dict[str, dict] = extra["annotations"]
    rows: list[tuple[dict, list[str]]] = []
    for row in _read("od_licences.json"):
        ann = annotations.get(row["id"], {})
        rows.append(
            ({**row, "ckan_id": ann.get("ckan_id", row["id"])}, list(row["legacy_ids"]) + ann.get("aliases", []))
        )
    for row in extra["licences"]:
        rows.append(({**row, "ckan_id": row.get("ckan_id", row["id"])}, list(row.get("aliases", []))))

    ordered = []
    for row, aliases in rows:
        names = [a for a in ([row["ckan_id"]] if row["ckan_id"] != row["id"] else []) + aliases]
        conformance = row["od_conformance"]
        ordered.append(
            Licence(
                id=row["id"],
                title=row["title"],
                url=row["url"],
                od_conformance=conformance,
                is_open=conformance == "approved",
                ckan_id=row["ckan_id"],
                aliases=tuple(dict.fromkeys(names)),
            )
        )
    by_id = {lic.id: lic for lic in ordered}
    by_key: dict[str, Licence] = {}
    by_url: dict[str, Licence] = {}
    # priority: canonical ids, then CKAN ids, then titles, then other aliases; the first claim wins
    for lic in ordered:
        by_key.setdefault(_key(lic.id), lic)
    for lic in ordered:
        by_key.setdefault(_key(lic.ckan_id), lic)
    for lic in ordered:
        by_key.setdefault(_key(lic.title), lic)
    for lic in ordered:
        for alias in lic.aliases:
            if "://" in alias:
                by_url.setdefault(_norm_url(alias), lic)
            else:
                by_key.setdefault(_key(alias), lic)
    for lic in ordered:
        if lic.url:
            by_url.setdefault(_norm_url(lic.url), lic)
    return _LicenceTable(by_id=by_id, by_key=by_key, by_url=by_url, ordered=tuple(ordered))


_CC_PARTS = ("nc", "nd", "sa")


def _cc_family(kind: str, version: str | None) -> Licence | None:
    """CC-BY(-NC/-ND/-SA) at a version; unversioned means the current 4.0; an unknown port version
    (2.1 Japan) falls back to the nearest lower version the table knows."""
    parts = [p for p in re.split(r"[\s_-]+", kind.lower()) if p]
    if not parts or parts[0] != "by" or any(p not in _CC_PARTS for p in parts[1:]):
        return None
    family = "CC-" + "-".join(["BY"] + [p.upper() for p in _CC_PARTS if p in parts[1:]])
    table = _licence_table().by_id
    version = (version or "4.0").replace("_", ".")
    if f"{family}-{version}" in table:
        return table[f"{family}-{version}"]
    known = sorted(lid.rsplit("-", 1)[1] for lid in table if lid.rsplit("-", 1)[0] == family)
    lower = [v for v in known if _version_tuple(v) <= _version_tuple(version)]
    return table[f"{family}-{(lower or known)[-1]}"] if known else None


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)) or (0,)


def _licence_from_url(text: str) -> Licence | None:
    table = _licence_table()
    u = _norm_url(text)
    if u in table.by_url:
        return table.by_url[u]
    host, _, path = u.partition("/")
    if host == "creativecommons.org":
        m = re.match(r"licenses/([a-z-]+)(?:/(\d+(?:\.\d+)?))?(?:/([a-z-]+))?$", path)
        if m:
            return _cc_family(m.group(1), m.group(2))
        m = re.match(r"publicdomain/(zero|mark)(?:/(\d\.\d))?(?:/[a-z-]+)?$", path)
        if m:
            return table.by_id["CC0-1.0" if m.group(1) == "zero" else "CC-PDM-1.0"]
        return None
    if host in ("nationalarchives.gov.uk", "reference.data.gov.uk"):
        if re.match(r"(doc|id)/open-government-licence(/|$)", path):
            m = re.search(r"/version/(\d+)", path)
            return table.by_id.get(f"OGL-UK-{m.group(1) if m else '3'}.0")
        return None
    if host == "opendatacommons.org":
        m = re.match(r"licenses/(odbl|by|pddl)(/|$)", path)
        return table.by_id[{"odbl": "ODbL-1.0", "by": "ODC-BY-1.0", "pddl": "PDDL-1.0"}[m.group(1)]] if m else None
    if host in ("opendefinition.org", "spdx.org") and path.startswith("licenses/"):
        slug = re.sub(r"\.(html?|json)$", "", path[len("licenses/") :])
        return table.by_key.get(_key(slug))
    if host == "govdata.de" and path.startswith("dl-de/"):
        return table.by_key.get(_key("dl-de-" + path[len("dl-de/") :].replace(".", "-")))
    if host == "dcat-ap.de" and path.startswith("def/licenses/"):
        return _licence_from_dcat_ap_de(path[len("def/licenses/") :])
    if host == "publications.europa.eu" and path.startswith("resource/authority/licence/"):
        return table.by_key.get(_key(_last_segment(path)))
    return None


def _licence_from_dcat_ap_de(slug_path: str) -> Licence | None:
    """DCAT-AP.de licence URIs: ``cc-by``, ``cc-by-de/3.0``, ``cc-by-nc-de/4_0``, ``dl-by-de/2.0`` ..."""
    slug, _, version = slug_path.partition("/")
    version = version.replace("_", ".") or None
    table = _licence_table()
    if slug == "cc-zero":
        return table.by_id["CC0-1.0"]
    if slug == "cc-nc":
        return table.by_key.get("ccnc")
    if slug.startswith("cc-"):
        kind = slug[3:]
        kind = kind[: -len("-de")] if kind.endswith("-de") else kind
        return _cc_family(kind, version)
    if version and _key(slug + version) in table.by_key:
        return table.by_key[_key(slug + version)]
    return table.by_key.get(_key(slug))


_CC_TEXT = re.compile(
    r"^(?:creative\s*commons|cc)[\s_-]*(by(?:[\s_-]*(?:nc|nd|sa))*)"
    r"(?:[\s_-]*v?(\d(?:[._]\d)?)(?:[\s_-]+[^\W\d_]+)?)?$"  # a port's country after the version: DE, Deutschland
)


# Creative Commons licences written out in words, English or German, to the short tokens
_CC_WORDS = (
    (r"creative\s*commons", "cc"),
    (r"\b(attribution|namensnennung)\b", "by"),
    (r"\b(non-?commercial|nicht-?kommerziell)\b", "nc"),
    (r"\b(share-?alike|weitergabe unter gleichen bedingungen)\b", "sa"),
    (r"\b(no-?deriv(ative)?s?|keine bearbeitung(en)?)\b", "nd"),
    (r"\b(licen[cs]e|lizenz|international|unported|generic|version|deed)\b", " "),
)


def _licence_from_cc_words(text: str) -> Licence | None:
    """``Creative Commons Attribution-ShareAlike 4.0 International``, ``CC BY 3.0 DE`` and the like."""
    low = text.lower()
    inner = re.search(r"\((cc[^)]*)\)", low)  # "... (CC BY 4.0)" says it shortest
    if inner:
        low = inner.group(1)
    worded = re.search(r"attribution|namensnennung", low) is not None
    for pattern, repl in _CC_WORDS:
        low = re.sub(pattern, repl, low)
    low = " ".join(low.replace(",", " ").split()).strip(" -")
    if worded and not low.startswith("cc"):
        low = "cc " + low
    m = _CC_TEXT.match(low)
    if not m or (worded and m.group(2) is None and "cc" not in text.lower() and "creative" not in text.lower()):
        return None  # a bare "Attribution" is CKAN's other-at as much as CC BY: say nothing
    kind = re.sub(r"(by|nc|nd|sa)(?=nc|nd|sa)", r"\1-", re.sub(r"[\s_-]+", "-", m.group(1)))
    return _cc_family(kind, m.group(2))


def licence(raw: str | None) -> Licence | None:
    """Recognise a licence by CKAN id, OD/SPDX id, legacy id, title, alias or URL; None if unknown."""
    if isinstance(raw, str):
        return _licence_of_text(raw)
    return _licence(raw)


@lru_cache(maxsize=4096)
def _licence_of_text(raw: str) -> Licence | None:
    """`licence` of a text, remembered: the tables are fixed and a harvest asks about the same few licence
    texts for every record (twice each: reading and writing a CKAN package)."""
    return _licence(raw)


def _licence(raw: Any) -> Licence | None:
    text = _clean(raw)
    if text is None:
        return None
    if "://" in text or text.lower().startswith("www."):
        return _licence_from_url(text)
    found = _licence_table().by_key.get(_key(text))
    if found is not None:
        return found
    return _licence_from_cc_words(text)


def licence_key(raw: str | None) -> str | None:
    """The key two spellings of one raw licence text share (``CC BY 4.0 `` and ``cc-by-4.0``), for the
    licence mappings sysadmins keep (catalog_schema.models.LicenceMapping); None for blank text."""
    text = _clean(raw)
    return _key(text)[:500] or None if text is not None else None


def licence_title(id: str | None, lang: str = "en") -> str | None:  # noqa: A002 - as licence_by_id
    """A licence's title in `lang` ("zh" or "en"): its Chinese title where the project has one
    (vocab_data/licence_titles_zh.json), else the Open Definition's English title; None for an unknown id."""
    lic = licence_by_id(id) if id else None
    if lic is None:
        return None
    if lang == "zh":
        return _licence_titles_zh().get(lic.id) or lic.title
    return lic.title


@cache
def _licence_titles_zh() -> dict[str, str]:
    return {k: v for k, v in _read("licence_titles_zh.json").items() if not k.startswith("_")}


def licence_by_id(id: str) -> Licence | None:  # noqa: A002 - the interface's name
    """The licence with exactly this canonical id (case-insensitive); no alias matching."""
    if isinstance(id, str):
        return _licence_by_id_text(id)
    return _licence_by_id(id)


@lru_cache(maxsize=4096)
def _licence_by_id_text(id: str) -> Licence | None:  # noqa: A002
    """`licence_by_id` of a text, remembered (an id in another case is found by a scan of every licence)."""
    return _licence_by_id(id)


def _licence_by_id(id: Any) -> Licence | None:  # noqa: A002
    text = _clean(id)
    if text is None:
        return None
    table = _licence_table().by_id
    if text in table:
        return table[text]
    folded = text.casefold()
    return next((lic for lid, lic in table.items() if lid.casefold() == folded), None)


def licences() -> list[Licence]:
    """Every licence the platform knows, Open Definition list first."""
    return list(_licence_table().ordered)


# --------------------------------------------------------------------------- file formats


@dataclass(frozen=True)
class FileFormat:
    """A file format with the properties five-star scoring and conversion need."""

    code: str
    label: str
    extensions: tuple[str, ...]
    media_types: tuple[str, ...]
    structured: bool
    non_proprietary: bool
    rdf: bool
    tabular: bool
    eu_uri: str | None


@dataclass(frozen=True)
class _FormatTable:
    ordered: tuple[FileFormat, ...]
    by_code: dict[str, FileFormat]
    by_key: dict[str, FileFormat]
    by_ext: dict[str, FileFormat]
    by_media: dict[str, FileFormat]
    curated: frozenset[str]
    by_eu_code: dict[str, FileFormat]  # every EU file-type code, folded ones (PDFA1B -> PDF) included


# say nothing about the content: never a format on their own
_GENERIC_MEDIA_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "application/unknown"})


def _base_media_type(mt: str) -> str:
    return mt.split(";", 1)[0].strip().lower()


@cache
def _format_table() -> _FormatTable:
    eu = {row["code"]: row for row in _read("eu_file_types.json")}
    curated = _read("formats.json")["formats"]
    ordered: list[FileFormat] = []
    by_code: dict[str, FileFormat] = {}
    by_key: dict[str, FileFormat] = {}
    by_ext: dict[str, FileFormat] = {}
    by_media: dict[str, FileFormat] = {}
    claimed_eu: dict[str, FileFormat] = {}

    for row in curated:
        eu_code = row["eu_code"]
        fmt = FileFormat(
            code=row["code"],
            label=row["label"],
            extensions=tuple(row["extensions"]),
            media_types=tuple(row["media_types"]),
            structured=row["structured"],
            non_proprietary=row["non_proprietary"],
            rdf=row["rdf"],
            tabular=row["tabular"],
            eu_uri=EU_FILE_TYPE + eu_code if eu_code else None,
        )
        if eu_code and eu_code not in eu:
            raise ValueError(f"formats.json: {fmt.code} names unknown EU file type {eu_code}")
        ordered.append(fmt)
        by_code[fmt.code] = fmt
        for eu_alias in ([eu_code] if eu_code else []) + row["eu_aliases"]:
            claimed_eu[eu_alias] = fmt
    # pass 1: what the curated table declares
    for fmt, row in zip(ordered, curated, strict=True):
        for name in (fmt.code, fmt.label, *row["aliases"]):
            by_key.setdefault(_key(name), fmt)
        for ext in fmt.extensions:
            by_ext.setdefault(ext, fmt)
        for mt in fmt.media_types:
            by_media.setdefault(_base_media_type(mt), fmt)
    # pass 2: the EU table's codes and labels for curated formats, then EU types we do not curate
    for eu_code, fmt in claimed_eu.items():
        by_key.setdefault(_key(eu_code), fmt)
        for name in (eu[eu_code]["label"], *eu[eu_code]["alt_labels"]):
            by_key.setdefault(_key(name), fmt)
    for eu_code, row in eu.items():
        if eu_code in claimed_eu:
            continue
        media = tuple(dict.fromkeys(_base_media_type(mt) for mt in row["media_types"]))
        fmt = FileFormat(
            code=eu_code,
            label=row["label"],
            extensions=tuple(row["extensions"]),
            media_types=media,
            structured=False,
            non_proprietary=False,
            rdf=False,
            tabular=False,
            eu_uri=row["uri"],
        )
        ordered.append(fmt)
        by_code[fmt.code] = fmt
        for name in (fmt.code, fmt.label, *row["alt_labels"]):
            by_key.setdefault(_key(name), fmt)
        for ext in fmt.extensions:
            by_ext.setdefault(ext, fmt)
        for mt in media:
            if mt not in _GENERIC_MEDIA_TYPES:
                by_media.setdefault(mt, fmt)
    for eu_code, fmt in claimed_eu.items():
        for ext in eu[eu_code]["extensions"]:
            by_ext.setdefault(ext, fmt)
        for mt in eu[eu_code]["media_types"]:
            by_media.setdefault(_base_media_type(mt), fmt)
    for mt in _GENERIC_MEDIA_TYPES:
        by_media.pop(mt, None)
    curated_codes = frozenset(row["code"] for row in curated)
    by_eu_code = {**claimed_eu, **{code: by_code[code] for code in eu if code not in claimed_eu}}
    return _FormatTable(tuple(ordered), by_code, by_key, by_ext, by_media, curated_codes, by_eu_code)


_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;.*)?$")
_IANA = re.compile(r"^https?://(www\.)?iana\.org/assignments/media-types/", re.IGNORECASE)
#: An IANA media-type IRI as sources write it: http or https (DCAT-AP's own examples say http), with or without www,
#: a trailing slash tolerated; the exports write https (dcat_triples.IANA_MEDIA).
_IANA_IRI = re.compile(r"^https?://(?:www\.)?iana\.org/assignments/media-types/(.+?)/?$", re.IGNORECASE)
#: A media range ("text/*", "*/*", "application/*+json": a type or subtype with a wildcard, as an Accept header writes
#: it): a range of types, which names no format and is no media type a dataset can declare.
_MEDIA_RANGE = re.compile(r"^[a-z0-9!#$&^_.+*-]*\*[a-z0-9!#$&^_.+*-]*/[a-z0-9!#$&^_.+*-]+(\s*;.*)?$"
                          r"|^[a-z0-9!#$&^_.+*-]+/[a-z0-9!#$&^_.+*-]*\*[a-z0-9!#$&^_.+*-]*(\s*;.*)?$", re.IGNORECASE)


def format_by_code(code: str) -> FileFormat | None:
    """The format with this canonical code (``CSV``, ``RDF_XML``, ``JSON-LD``) or EU file-type code
    (``RDF_TURTLE`` gives ``TURTLE``); labels and aliases are ``file_format``'s job."""
    text = _clean(code)
    if text is None:
        return None
    table = _format_table()
    upper = text.upper()
    if upper in table.by_code:
        return table.by_code[upper]
    if upper in table.by_eu_code:
        return table.by_eu_code[upper]
    found = table.by_key.get(_key(text))  # spelling variants of a code: json-ld, rdf xml
    return found if found is not None and _key(found.code) == _key(text) else None


def format_for_media_type(media_type: str) -> FileFormat | None:
    """The format for a media type (parameters ignored; an IANA media-type URI also works); None for a media range
    ("text/*", "*/*"), which names no one format."""
    text = _clean(media_type)
    if text is not None and _IANA.match(text):
        text = iana_media_type(text)
    if text is None:
        return None
    base = _base_media_type(text)
    if base in _GENERIC_MEDIA_TYPES or "*" in base:  # a media range (text/*) names no one format
        return None
    table = _format_table()
    if base in table.by_media:
        return table.by_media[base]
    if base.endswith("+json"):
        return table.by_code["JSON"]
    if base.endswith("+xml"):
        return table.by_code["XML"]
    return None


_MEDIA_TYPE_WHOLE = re.compile(r"^([a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126})"
                               r"((?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:\"[^\"]*\"|[^\s;\"]+))*)\s*;?\s*$", re.IGNORECASE)


def media_type(raw: Any) -> str | None:
    """The media type `raw` writes (RFC 6838's type/subtype, parameters kept: "text/csv; charset=utf-8"; an IANA
    media-type IRI gives the one it names, `iana_media_type`), its type and subtype in lower case; None when it
    writes none."""
    text = _clean(raw) if isinstance(raw, str) else None
    if text is None:
        return None
    if _IANA.match(text):
        return iana_media_type(text)
    found = _MEDIA_TYPE_WHOLE.match(text)
    return found.group(1).lower() + found.group(2) if found else None


def iana_media_type(iri: Any) -> str | None:
    """The media type an IANA media-type IRI names (<http://www.iana.org/assignments/media-types/text/csv> and its
    https twin, with or without www and a trailing slash: text/csv), its tail percent-decoded first
    (.../application%2Fjson, .../text%2Fcsv%3Bcharset%3Dutf-8) and read as `media_type` reads one; None for any other
    value, and for an IRI whose decoded tail is no media type (.../CSV, .../comma%20separated, .../text%2F%2A, a
    tail encoded twice, a control character). The inverse of the IRI the exports write (dcat_triples.IANA_MEDIA
    and the media type)."""
    found = _IANA_IRI.match(iri.strip()) if isinstance(iri, str) else None
    tail = unquote(found.group(1)) if found else ""
    return media_type(tail) if tail.isprintable() and not _IANA.match(tail) else None


#: IANA's top-level media types (its registry of them; RFC 6838 section 4.2): a type/subtype under any other
#: ("RDF/XML", a format's label; S3's "binary/octet-stream") names no IANA media type
IANA_TOP_LEVEL_TYPES = frozenset({"application", "audio", "example", "font", "haptics", "image", "message", "model",
                                  "multipart", "text", "video"})


def declared_media_type(raw: Any) -> str | None:
    """The IANA media type a distribution's declared media type means, parameters kept ("text/csv; charset=utf-8"):
    a media type as `media_type` reads it, else the media type of the format it names ("CSV", "XLS", ".csv", an EU
    file-type IRI: what many CKAN portals keep as a resource's mimetype), else None ("comma separated", "", a
    type/subtype whose top-level type is none of IANA's, a media range such as "text/*"). What the CKAN write API stores
    (app/services/fields.media_type) and, without its parameters (`plain_media_type`), what every export says."""
    found = media_type(raw)
    if found is None or found.split("/", 1)[0] not in IANA_TOP_LEVEL_TYPES:
        fmt = file_format(raw) if isinstance(raw, str) else None
        found = fmt.media_types[0] if fmt is not None and fmt.media_types else None
    return found if found is not None and found.split("/", 1)[0] in IANA_TOP_LEVEL_TYPES else None


def plain_media_type(raw: Any) -> str | None:
    """`declared_media_type` without its parameters ("text/csv"): what dcat:mediaType names as an IANA IRI (which
    has none) and data.json's mediaType says; None where the value means no media type (the property is left out,
    the source's own word never published in its place)."""
    found = declared_media_type(raw)
    return found.split(";", 1)[0].strip() if found is not None else None


def format_for_extension(ext_or_filename: str) -> FileFormat | None:
    """The format for an extension (``csv``, ``.csv``) or a file name or URL ending in one."""
    text = _clean(ext_or_filename)
    if text is None:
        return None
    is_path = "/" in text or "\\" in text
    name = re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/").replace("\\", "/").rsplit("/", 1)[-1].lower()
    table = _format_table()
    parts = name.split(".")
    if len(parts) == 1:
        # a bare "csv" is an extension; the last segment of a URL path (".../api/v2/sql") is not
        return None if is_path else table.by_ext.get(parts[0])
    for i in range(1, len(parts)):  # longest compound first: tar.gz before gz
        ext = ".".join(parts[i:])
        if ext in table.by_ext:
            return table.by_ext[ext]
    return None


def file_format(raw: str | None) -> FileFormat | None:
    """Recognise a format from a code, label, extension, media type, EU file-type URI or IANA URI; a media range
    ("text/*", "*/*", "application/*") names none."""
    text = _clean(raw)
    if text is None:
        return None
    eu_code = _uri_tail(text, EU_FILE_TYPE)
    if eu_code is not None:
        return _format_table().by_eu_code.get(eu_code.upper())
    if _IANA.match(text):
        return format_for_media_type(text)
    if _MEDIA_RANGE.match(text):  # "text/*" is no format, though "text" alone is TXT's name
        return None
    low = text.lower()
    if _MEDIA_TYPE.match(low):
        found = format_for_media_type(low)
        if found is not None or ";" in low:
            return found
        # no media type we know: a name with a slash in it ("RDF/XML", the format's own label), read as a name
    if low.startswith("."):
        return format_for_extension(low)
    table = _format_table()
    found = table.by_code.get(text.upper()) or table.by_key.get(_key(text))
    if found is not None:
        return found
    # a bare extension ("tif", "htm"), only for formats we curate: the EU table's rarer extensions
    # (".img" for ISO images) collide with names portals use for other things
    found = table.by_ext.get(low)
    return found if found is not None and found.code in table.curated else None


def format_name(code: str | None, raw: str | None) -> str | None:
    """The name a file's format goes out as where readers want a name (CKAN's resource format, data.json's
    `format`): the source's own word when it wrote one, the format's label when the source gave an IRI (a DCAT
    feed's .../file-type/CSV) or nothing (an upload); an IRI no format of ours has stays as given."""
    fmt = format_by_code(code) if code else None
    if raw and "://" in raw and fmt is not None:
        raw = None
    return raw or (fmt.label if fmt else None) or None


#: SPDX's checksum algorithms, by the name its RDF terms give them (spdx:checksumAlgorithm_sha256).
_SPDX_ALGORITHMS = {name.replace("_", ""): name for name in (
    "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b256", "blake2b384",
    "blake2b512", "blake3", "md2", "md4", "md5", "md6", "adler32")}


def checksum_algorithm(name: str) -> str:
    """SPDX's name of a checksum algorithm however a record spells it (an upload's "sha-256", a CKAN hash's
    "SHA256": sha256; "SHA3-256": sha3_256); a name SPDX has no term for, as given."""
    return _SPDX_ALGORITHMS.get(re.sub(r"[^a-z0-9]", "", name.lower()), name)


def formats() -> list[FileFormat]:
    """Every known format: the curated table first, then the rest of the EU file-type table."""
    return list(_format_table().ordered)


# --------------------------------------------------------------------------- frequencies


@dataclass(frozen=True)
class Frequency:
    """An EU frequency code; ``days`` is the expected period (None when there is none)."""

    code: str
    uri: str
    label_en: str
    label_zh: str
    days: float | None
    iso8601: str | None = None  # the data.json accrualPeriodicity for it, when it has one
    dc_uri: str | None = None  # the Dublin Core Collection frequency URI, when it has one


@dataclass(frozen=True)
class _FrequencyTable:
    by_code: dict[str, Frequency]
    by_key: dict[str, Frequency]
    by_iso: dict[str, Frequency]
    by_dc: dict[str, Frequency]


@cache
def _frequency_table() -> _FrequencyTable:
    by_code: dict[str, Frequency] = {}
    by_key: dict[str, Frequency] = {}
    by_iso: dict[str, Frequency] = {}
    by_dc: dict[str, Frequency] = {}
    rows = _read("frequencies.json")["frequencies"]
    for row in rows:
        freq = Frequency(
            code=row["code"],
            uri=EU_FREQUENCY + row["code"],
            label_en=row["label_en"],
            label_zh=row["label_zh"],
            days=row["days"],
            iso8601=row["iso8601"],
            dc_uri=DC_FREQ + row["dc_term"] if row["dc_term"] else None,
        )
        by_code[freq.code] = freq
        if freq.iso8601:
            by_iso[freq.iso8601.upper()] = freq
        if row["dc_term"]:
            by_dc[row["dc_term"].lower()] = freq
    for freq in by_code.values():
        by_key.setdefault(_key(freq.code), freq)
    for row in rows:
        freq = by_code[row["code"]]
        for name in (freq.label_en, freq.label_zh, *(a for a in row["aliases"] if not a.upper().startswith("R/"))):
            by_key.setdefault(_key(name), freq)
        for alias in row["aliases"]:
            if alias.upper().startswith("R/"):
                by_iso.setdefault(alias.upper(), freq)
    return _FrequencyTable(by_code, by_key, by_iso, by_dc)


_DURATION = re.compile(
    r"^(?:R\d*/)?P(?:(?P<Y>[\d.]+)Y)?(?:(?P<M>[\d.]+)M)?(?:(?P<W>[\d.]+)W)?(?:(?P<D>[\d.]+)D)?"
    r"(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
_UNIT_DAYS = {"Y": 365.25, "M": 365.25 / 12, "W": 7.0, "D": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}


def _frequency_from_duration(text: str) -> Frequency | None:
    """An ISO 8601 (repeating) duration not in the data.json list, matched by its period: R/P12M is annual."""
    m = _DURATION.match(text)
    if not m or not any(m.groupdict().values()):
        return None
    try:
        days = sum(float(v) * _UNIT_DAYS[k] for k, v in m.groupdict().items() if v)
    except ValueError:
        return None
    if days <= 0:
        return None
    for freq in _frequency_table().by_code.values():
        if freq.days and abs(freq.days - days) / freq.days < 0.02:
            return freq
    return None


def frequency(raw: Any) -> str | None:
    """The EU frequency code for an EU URI/code, a Dublin Core freq URI, an ISO 8601 repeating
    duration (data.json), or an English, German or Chinese word; None if unknown."""
    text = _clean(raw)
    if text is None:
        return None
    table = _frequency_table()
    tail = _uri_tail(text, EU_FREQUENCY)
    if tail is not None:
        found = table.by_key.get(_key(tail))
        return found.code if found else None
    tail = _uri_tail(text, DC_FREQ)
    if tail is not None:
        found = table.by_dc.get(tail.lower())
        return found.code if found else None
    compact = text.replace(" ", "").upper()
    if compact in table.by_iso:
        return table.by_iso[compact].code
    if compact.startswith(("R/", "P")) and re.match(r"^(R\d*/)?P[\dT]", compact):
        found = _frequency_from_duration(compact)
        return found.code if found else None
    if text.upper().replace("-", "_").replace(" ", "_") in table.by_code:
        return table.by_code[text.upper().replace("-", "_").replace(" ", "_")].code
    found = table.by_key.get(_key(text))
    return found.code if found else None


def frequency_uri(code: Any) -> str | None:
    """The EU frequency URI for a code (or anything ``frequency`` recognises)."""
    found = frequency(code)
    return EU_FREQUENCY + found if found else None


def frequency_iso8601(code: Any) -> str | None:
    """The data.json accrualPeriodicity (``R/P1M``, ``irregular``) for a frequency, if it has one."""
    found = frequency(code)
    return _frequency_table().by_code[found].iso8601 if found else None


# --------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class Theme:
    """An EU data theme with its labels by language (the EU's languages plus zh)."""

    code: str
    uri: str
    labels: dict[str, str]

    def __hash__(self) -> int:  # labels is a dict; a theme is identified by its code
        return hash(self.code)


@cache
def _theme_table() -> tuple[dict[str, Theme], dict[str, Theme]]:
    extra = _read("themes_extra.json")
    by_code: dict[str, Theme] = {}
    for row in _read("eu_data_themes.json"):
        labels = dict(row["labels"])
        if row["code"] in extra["zh"]:
            labels["zh"] = extra["zh"][row["code"]]
        by_code[row["code"]] = Theme(code=row["code"], uri=row["uri"], labels=labels)
    by_key: dict[str, Theme] = {}
    for t in by_code.values():
        by_key.setdefault(_key(t.code), t)
    for lang in ("en", "zh"):
        for t in by_code.values():
            by_key.setdefault(_key(t.labels[lang]), t)
    for t in by_code.values():
        for label in t.labels.values():
            by_key.setdefault(_key(label), t)
    for code, aliases in extra["aliases"].items():
        for alias in aliases:
            by_key.setdefault(_key(alias), by_code[code])
    return by_code, by_key


def theme(raw: Any) -> str | None:
    """The EU data-theme code for an EU URI, a code, or a label in any language present."""
    text = _clean(raw)
    if text is None:
        return None
    by_code, by_key = _theme_table()
    tail = _uri_tail(text, EU_THEME)
    if tail is not None:
        return tail.upper() if tail.upper() in by_code else None
    found = by_key.get(_key(text))
    return found.code if found else None


def theme_uri(code: Any) -> str | None:
    """The EU data-theme URI for a code (or anything ``theme`` recognises)."""
    found = theme(code)
    return EU_THEME + found if found else None


# --------------------------------------------------------------------------- access rights


@dataclass(frozen=True)
class AccessRight:
    """An EU access-right code and the data.json ``accessLevel`` that says the same."""

    code: str
    uri: str
    label_en: str
    label_zh: str
    datajson: str


@cache
def _access_table() -> tuple[dict[str, AccessRight], dict[str, AccessRight]]:
    by_code: dict[str, AccessRight] = {}
    by_key: dict[str, AccessRight] = {}
    rows = _read("access_rights.json")["access_rights"]
    for row in rows:
        ar = AccessRight(row["code"], EU_ACCESS_RIGHT + row["code"], row["label_en"], row["label_zh"], row["datajson"])
        by_code[ar.code] = ar
    for ar in by_code.values():
        for name in (ar.code, ar.datajson, ar.label_en, ar.label_zh):
            by_key.setdefault(_key(name), ar)
    for row in rows:
        for alias in row["aliases"]:
            by_key.setdefault(_key(alias), by_code[row["code"]])
    return by_code, by_key


def access_right(raw: Any) -> str | None:
    """PUBLIC / RESTRICTED / NON_PUBLIC for an EU URI, a code or a data.json accessLevel."""
    text = _clean(raw)
    if text is None:
        return None
    by_code, by_key = _access_table()
    tail = _uri_tail(text, EU_ACCESS_RIGHT)
    if tail is not None:
        return tail.upper() if tail.upper() in by_code else None
    found = by_key.get(_key(text))
    return found.code if found else None


def access_right_uri(code: Any) -> str | None:
    """The EU access-right URI for a code (or anything ``access_right`` recognises)."""
    found = access_right(code)
    return EU_ACCESS_RIGHT + found if found else None


def access_right_datajson(code: Any) -> str | None:
    """The data.json accessLevel (public, restricted public, non-public) for an access right."""
    found = access_right(code)
    return _access_table()[0][found].datajson if found else None


# --------------------------------------------------------------------------- high-value datasets

#: The ELI of the HVD implementing regulation (EU) 2023/138: the `dcatap:applicableLegislation` of an HVD.
HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
HVD_CATEGORY_BASE = "http://data.europa.eu/bna/"


@dataclass(frozen=True)
class HvdCategory:
    """One of the six high-value dataset categories (HVD regulation, Annex): its IRI, short key and labels."""

    uri: str
    key: str
    label_en: str
    label_zh: str

    def label(self, lang: str | None = "en") -> str:
        return self.label_zh if (lang or "").startswith("zh") else self.label_en


@cache
def _hvd_table() -> tuple[dict[str, HvdCategory], dict[str, HvdCategory]]:
    data = _read("hvd_categories.json")
    if data["legislation"] != HVD_LEGISLATION:
        raise ValueError("hvd_categories.json names another regulation")
    by_uri: dict[str, HvdCategory] = {}
    by_key: dict[str, HvdCategory] = {}
    for row in data["categories"]:
        cat = HvdCategory(row["uri"], row["key"], row["label_en"], row["label_zh"])
        by_uri[cat.uri] = cat
        for name in (cat.uri, cat.uri.rsplit("/", 1)[-1], cat.key, cat.label_en, cat.label_zh, *row["aliases"]):
            by_key.setdefault(_key(name), cat)
    return by_uri, by_key


def hvd_category(raw: Any) -> str | None:
    """The HVD category IRI for an IRI, its code (c_ac64a52d), short key (GEO) or a label in en or zh."""
    text = _clean(raw)
    if text is None:
        return None
    by_uri, by_key = _hvd_table()
    if text in by_uri:
        return text
    if text.startswith(("http://", "https://")):
        tail = text.rstrip("/").rsplit("/", 1)[-1]
        found = by_uri.get(HVD_CATEGORY_BASE + tail) if "data.europa.eu/bna/" in text else None
        return found.uri if found else None
    found = by_key.get(_key(text))
    return found.uri if found else None


def hvd_categories() -> list[HvdCategory]:
    """The six categories in the regulation's order."""
    return list(_hvd_table()[0].values())


def hvd_label(uri: str | None, lang: str | None = "en") -> str:
    """A category's label in `lang` (zh or en), the value itself when it is no HVD category."""
    found = _hvd_table()[0].get(hvd_category(uri) or "") if uri else None
    return found.label(lang) if found else (uri or "")


# --------------------------------------------------------------------------- languages

#: Names people write for a language beside its codes and labels (metadata sheets, CKAN extras).
_LANGUAGE_ALIASES = {"zh": ("汉语", "简体中文", "繁體中文", "zh-cn", "zh-hans", "zh-hant", "zh-tw"),
                     "en": ("英文",)}
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$", re.IGNORECASE)


@cache
def _language_table() -> dict[str, str]:
    """Every code, label and alias (folded) -> the ISO 639-1 code."""
    out: dict[str, str] = {}
    for lang in _read("languages.json")["languages"]:
        for name in (lang["code"], lang["iso639_2t"], lang["iso639_2b"], lang["label_en"], lang["label_zh"],
                     *_LANGUAGE_ALIASES.get(lang["code"], ())):
            out.setdefault(_key(name), lang["code"])
    return out


@cache
def _language_labels() -> dict[str, tuple[str, str]]:
    return {lang["code"]: (lang["label_en"], lang["label_zh"]) for lang in _read("languages.json")["languages"]}


def language_label(code: Any, lang: str = "en") -> str:
    """The name of a language (by its ISO 639-1 code) in English or Chinese; the code when unknown."""
    labels = _language_labels().get(str(code or ""))
    if labels is None and "-" in str(code or ""):  # a tag with a region (zh-CN): its language's name
        primary, _, region = str(code).partition("-")
        found = _language_labels().get(primary.lower())
        if found is not None:
            return f"{found[1]}（{region}）" if lang == "zh" else f"{found[0]} ({region})"
    if labels is None:
        return str(code or "")
    return labels[1] if lang == "zh" else labels[0]


EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"


@cache
def _language_iris() -> dict[str, str]:
    return {lang["code"]: EU_LANGUAGE + lang["iso639_2t"].upper() for lang in _read("languages.json")["languages"]}


def language_iri(code: Any) -> str | None:
    """The EU language authority table's IRI (DCAT-AP's vocabulary for dct:language) of an ISO 639-1 code
    (zh -> .../language/ZHO); None for a code the table here does not hold, or a tag with a region (en-US)."""
    return _language_iris().get(str(code or ""))


def language_code(raw: Any) -> str | None:
    """A language as a BCP 47 tag: the ISO 639-1 code where the language has one, else the tag as given.

    Takes codes (de, deu, GER), tags (en-US: kept whole), labels (German, 德语), and IRIs whose last
    segment is a code (the EU language authority table's .../language/DEU, id.loc.gov's iso639-1/de).
    None for what is none of these.
    """
    text = _clean(raw)
    if text is None:
        return None
    if "/" in text or "#" in text:
        text = _last_segment(text)
    table = _language_table()
    found = table.get(_key(text))
    if found:
        return found
    if _LANGUAGE_TAG.match(text):
        primary, _, rest = text.partition("-")
        primary = table.get(_key(primary), primary.lower())
        return f"{primary}-{rest}" if rest else primary
    return None


# --------------------------------------------------------------------------- lazy constant tables


def __getattr__(name: str) -> dict:
    """FREQUENCIES, THEMES and ACCESS_RIGHTS are built on first access, not at import.

    Each access returns a fresh dict (code -> entry), so a caller cannot change the shared table.
    """
    if name == "FREQUENCIES":
        return dict(_frequency_table().by_code)
    if name == "THEMES":
        return dict(_theme_table()[0])
    if name == "ACCESS_RIGHTS":
        return dict(_access_table()[0])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
