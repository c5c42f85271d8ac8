"""The catalog record: plain JSON shared by mappers, harvesters, quality and storage.

`record.schema.json` beside this module is the contract. This module gives the
defaults, validation, language selection and the content hash used to skip
unchanged records on re-harvest.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import orjson

Record = dict[str, Any]

DATASET_DEFAULTS: dict[str, Any] = {
    "id": None,
    "slug": None,
    "uri": None,
    "identifier": None,
    "title": {},
    "description": {},
    "publisher": None,
    "creator": None,
    "contact_point": None,
    "keywords": [],
    "themes": [],
    "license": None,
    "license_raw": None,
    "access_rights": None,
    "rights": None,
    "issued": None,
    "modified": None,
    "temporal": None,
    "spatial": [],
    "extent": None,
    "frequency": None,
    "landing_page": None,
    "conforms_to": [],
    "hvd_category": [],
    "applicable_legislation": [],
    "language": [],
    "version": None,
    "state": "active",
    "kind": "dataset",
    "in_series": [],
    "extras": {},
    "flags": [],
    "distributions": [],
}

DISTRIBUTION_DEFAULTS: dict[str, Any] = {
    "id": None,
    "uri": None,
    "title": {},
    "description": {},
    "access_url": None,
    "download_url": None,
    "format": None,
    "format_raw": None,
    "media_type": None,
    "license": None,
    "license_raw": None,
    "rights": None,
    "byte_size": None,
    "checksum": None,
    "issued": None,
    "modified": None,
    "language": [],
    "conforms_to": [],
    "hvd_category": [],
    "applicable_legislation": [],
    "access_service": None,
    "schema": None,
    "extras": {},
}

_DATASET_KEYS = frozenset(DATASET_DEFAULTS)
_DISTRIBUTION_KEYS = frozenset(DISTRIBUTION_DEFAULTS)

# Keys that describe the catalog's bookkeeping, not the content at the source.
_VOLATILE = ("id", "slug", "state")
# A distribution's: its id in this catalog, and whether the catalog publishes a data dictionary of it (the
# dictionary lives with the catalog's copy, not the source's record; the mappers link to it).
_DIST_VOLATILE = ("catalog_id", "catalog_dictionary")


def _defaults(defaults: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of a defaults dict: its values are scalars and empty containers, so copying those is the
    deep copy (copy.deepcopy took a tenth of a harvest's mapping time): the dict copied whole, then each of
    its containers."""
    out = defaults.copy()
    for key in _CONTAINERS.get(id(defaults)) or [k for k, v in defaults.items() if isinstance(v, (dict, list))]:
        out[key] = out[key].copy()
    return out


#: The keys of the defaults dicts whose values are containers (copied for each new record).
_CONTAINERS = {id(d): tuple(k for k, v in d.items() if isinstance(v, (dict, list)))
               for d in (DATASET_DEFAULTS, DISTRIBUTION_DEFAULTS)}


def new_record(**fields: Any) -> Record:
    """A dataset record with every key present, defaults filled in."""
    rec = _defaults(DATASET_DEFAULTS)
    rec.update(fields)
    rec["distributions"] = [new_distribution(**d) for d in rec.get("distributions") or []]
    return rec


def new_distribution(**fields: Any) -> Record:
    dist = _defaults(DISTRIBUTION_DEFAULTS)
    dist.update(fields)
    return dist


def normalize(record: Record) -> Record:
    """Return a copy with every default key present (mappers may omit empty ones)."""
    return new_record(**copy.deepcopy(record))


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("record.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _fast_validator():
    """The schema compiled once by jsonschema-rs (Rust): it says valid or not about six times faster than the
    schema compiled to Python by fastjsonschema, and some 150 times faster than jsonschema, on a valid record,
    which is nearly every record a harvest imports (a fifth of a first harvest's time went to the check).
    jsonschema, the reference, gives the full list when it says not (tests/catalog_schema/
    test_record_validation.py holds the two to the same verdict)."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(schema())


def validation_errors(record: Record) -> list[str]:
    """Human-readable schema violations of a record (empty list when valid)."""
    try:
        if _fast_validator().is_valid(record):
            return []
    except (ValueError, TypeError, OverflowError):
        pass  # a value the Rust side cannot take (an integer past 64 bits): jsonschema decides
    validator = _validator()
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(record)"
        errors.append(f"{where}: {err.message}")
    return errors


#: The key, in a dataset's platform extras (`extras["publishing"]`), of the slug its IRI was first published under.
IRI_SLUG = "iri_slug"


def iri_slug(slug: str | None, extras: dict[str, Any] | None) -> str | None:
    """The slug in a dataset's IRI (`{site}/dataset/{slug}`): the one it was first published under when a rename
    pinned it (an identifier is forever: DCAT harvesters of the catalog know the dataset by it), else its slug.
    Page URLs keep the current slug."""
    publishing = extras.get("publishing") if isinstance(extras, dict) else None
    pinned = publishing.get(IRI_SLUG) if isinstance(publishing, dict) else None
    return pinned if isinstance(pinned, str) and pinned else slug


#: What a dataset's platform extras (`extras["publishing"]`) say of the platform's own people: who overrode a
#: personal-data block or confirmed it, who detached a dataset from its source (their e-mail and user id). Kept
#: for the audit and the publisher's editors; a public document gives what was done, when and why, not by whom.
_PEOPLE = frozenset(("by", "user_id", "confirmed_by", "confirmed_user_id"))
#: Platform extras that are work in progress, not facts about the dataset: an override waiting for a second admin.
_UNDECIDED = frozenset(("pii_override_pending",))


def public_record(record: Record) -> Record:
    """`record` as a public document gives it (the REST API, the catalog's and a dataset's JSON and XML): without
    the platform's people in its platform extras (`_PEOPLE`) and without what is still undecided (`_UNDECIDED`).
    The record itself is not changed; one without such extras is given back as it is."""
    extras = record.get("extras")
    publishing = extras.get("publishing") if isinstance(extras, dict) else None
    if not isinstance(publishing, dict) or not publishing:
        return record
    kept = {key: ({k: v for k, v in value.items() if k not in _PEOPLE} if isinstance(value, dict) else value)
            for key, value in publishing.items() if key not in _UNDECIDED}
    return {**record, "extras": {**extras, "publishing": kept}}


def pick_text(langmap: dict[str, str] | None, lang: str | None = None, fallback: str = "") -> str:
    """The text of a language map in `lang`, else English, else untagged, else any."""
    if not langmap:
        return fallback
    if isinstance(langmap, str):  # tolerate a bare string
        return langmap
    found = _picked(langmap, lang)
    return fallback if found is None else found[1]


def _picked(langmap: dict[str, str], lang: str | None) -> tuple[str, str] | None:
    """(key, text) of the text `pick_text` gives; None when every text is empty."""
    candidates = []
    if lang:
        candidates += [lang, lang.split("-")[0].split("_")[0]]
    candidates += ["en", "", "zh"]
    for key in candidates:
        if langmap.get(key):
            return key, langmap[key]
    for key, value in langmap.items():
        if value:
            return key, value
    return None


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


#: Characters that text typed into the catalog may not hold: controls other than tab and line ends (a NUL cannot
#: go into a PostgreSQL JSON value nor any other into XML, which the DCAT, CSVW and CKAN XML exports are) and lone
#: surrogates (no UTF-8 for them). What a harvest imports is checked for the first and the last only
#: (harvesters.base): the source said it.
REFUSED_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def refused_chars(value: Any) -> set[str]:
    """The `REFUSED_CHARS` characters a value holds (text, or lists and objects of them, keys too)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.update(REFUSED_CHARS.findall(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def text_language(langmap: dict[str, str] | str | None, lang: str | None = None) -> str:
    """The language of what `pick_text(langmap, lang)` gives: its key ("zh", "en" ...) when it is tagged;
    for untagged text (a bare string, or the "" key) "zh" when it is written in Chinese characters, else ""
    (not known). A page marks text in another language than its own with it (WCAG 3.1.2)."""
    if not langmap:
        return ""
    if isinstance(langmap, str):
        return "zh" if _HAN.search(langmap) else ""
    found = _picked(langmap, lang)
    if found is None:
        return ""
    key, shown = found
    if key:
        return str(key).split("-")[0].split("_")[0].lower()
    return "zh" if _HAN.search(shown) else ""


def _content(record: Record) -> dict[str, Any]:
    """The record without catalog bookkeeping (id, slug, state, a distribution's catalog_id and
    catalog_dictionary): what its content hash covers."""
    body = {k: v for k, v in record.items() if k not in _VOLATILE}
    # A plain dataset in no series hashes as it did before series existed (stored hashes stay valid).
    if body.get("kind") in ("dataset", None):
        body.pop("kind", None)
    if not body.get("in_series"):
        body.pop("in_series", None)
    body["distributions"] = [{k: v for k, v in d.items() if k not in _DIST_VOLATILE}
                             for d in body.get("distributions") or []]
    return body


#: orjson's options for content text: keys sorted; a datetime or a dataclass goes to `default` (str), as json
#: gave it; keys that are not text are spelled as text.
_CONTENT_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                    | orjson.OPT_PASSTHROUGH_DATACLASS)


def content_text(record: Record) -> str:
    """The record's content as canonical JSON (sorted keys, no spaces, UTF-8 text), without catalog bookkeeping:
    what `content_hash` hashes. Written by orjson (json.dumps with sorted keys was about a tenth of a harvest's
    import); what orjson refuses (an integer past 64 bits, a lone surrogate) by json, in the spelling it had."""
    body = _content(record)
    try:
        return orjson.dumps(body, default=str, option=_CONTENT_OPTIONS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        return _json_content_text(body)


def _json_content_text(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_hash(record: Record, text: str | None = None) -> str:
    """SHA-256 of the record's content, ignoring catalog bookkeeping (id, slug, state); `text`: its
    content_text when the caller has it already.

    Two harvests of the same source record give the same hash, so an unchanged
    record can be skipped.
    """
    return hashlib.sha256((text if text is not None else content_text(record)).encode("utf-8")).hexdigest()


def earlier_content_hash(record: Record) -> str:
    """The content hash as it was spelled before content_text was written by orjson (json.dumps's text, which
    differs only where a float is written in exponent form: 1e-05 against 1e-5). A dataset stored before keeps
    that hash until it is written again, so a store that finds another hash asks this one too before it calls
    the content changed."""
    return hashlib.sha256(_json_content_text(_content(record)).encode("utf-8")).hexdigest()


def filled(record: Record) -> Record:
    """`record` with every default key present (new_record(**record)), copying only what it adds: a record
    that has them all (what the mappers make) is given back as it is."""
    if not _DATASET_KEYS <= record.keys() or not all(_DISTRIBUTION_KEYS <= d.keys()
                                                        for d in record.get("distributions") or []):
        return new_record(**record)
    return record


def flag(record: Record, field: str, value: Any, reason: str) -> None:
    """Note a value that could not be normalised; it stays in the record verbatim."""
    entry = {"field": field, "value": value, "reason": reason}
    if entry not in record.setdefault("flags", []):
        record["flags"].append(entry)


_EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+$")


def email_address(value: Any) -> str | None:
    """The e-mail address a source meant, or None when there is none.

    Takes "a@b.org", "mailto:a@b.org", and "https://portal/dcat/a@b.org": an RDF/XML source that wrote
    `vcard:hasEmail rdf:resource="a@b.org"` (no mailto:) has it resolved against the document's address
    by every RDF parser, so the address is the last path segment.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:].split("?", 1)[0].strip()
    elif "/" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return text if _EMAIL.match(text) else None
