"""The catalog record: plain JSON shared by mappers, harvesters, quality and storage.

`record.schema.json` beside this module is the contract. This module gives the
defaults, validation, language selection and the content hash used to skip
unchanged records on re-harvest.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

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
    "frequency": None,
    "landing_page": None,
    "conforms_to": [],
    "language": [],
    "version": None,
    "state": "active",
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
    "schema": None,
    "extras": {},
}

# Keys that describe the catalog's bookkeeping, not the content at the source.
_VOLATILE = ("id", "slug", "state")


def new_record(**fields: Any) -> Record:
    """A dataset record with every key present, defaults filled in."""
    rec = copy.deepcopy(DATASET_DEFAULTS)
    rec.update(fields)
    rec["distributions"] = [new_distribution(**d) for d in rec.get("distributions") or []]
    return rec


def new_distribution(**fields: Any) -> Record:
    dist = copy.deepcopy(DISTRIBUTION_DEFAULTS)
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


def validation_errors(record: Record) -> list[str]:
    """Human-readable schema violations of a record (empty list when valid)."""
    validator = _validator()
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(record)"
        errors.append(f"{where}: {err.message}")
    return errors


def pick_text(langmap: dict[str, str] | None, lang: str | None = None, fallback: str = "") -> str:
    """The text of a language map in `lang`, else English, else untagged, else any."""
    if not langmap:
        return fallback
    if isinstance(langmap, str):  # tolerate a bare string
        return langmap
    candidates = []
    if lang:
        candidates += [lang, lang.split("-")[0].split("_")[0]]
    candidates += ["en", "", "zh"]
    for key in candidates:
        if langmap.get(key):
            return langmap[key]
    for value in langmap.values():
        if value:
            return value
    return fallback


def content_hash(record: Record) -> str:
    """SHA-256 of the record's content, ignoring catalog bookkeeping (id, slug, state).

    Two harvests of the same source record give the same hash, so an unchanged
    record can be skipped.
    """
    body = {k: v for k, v in record.items() if k not in _VOLATILE}
    body["distributions"] = [{k: v for k, v in d.items() if k != "catalog_id"} for d in body.get("distributions") or []]
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flag(record: Record, field: str, value: Any, reason: str) -> None:
    """Note a value that could not be normalised; it stays in the record verbatim."""
    entry = {"field": field, "value": value, "reason": reason}
    if entry not in record.setdefault("flags", []):
        record["flags"].append(entry)
