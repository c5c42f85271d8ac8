"""A table's data dictionary in CKAN DataStore's shape, both ways: `datastore_info`'s ``info`` of each field, and
`datastore_create`'s ``fields`` read as the agency's edits (``app.services.distributions.edit_dictionary``).

CKAN keeps a column's description in ``info`` (its Data Dictionary form: ``label``, ``notes``,
``type_override``); we map ``label`` <-> title, ``notes`` <-> description, ``type_override`` <-> the column's
Table Schema type (CKAN's type names or Table Schema's), and add ``unit`` (CKAN lets ``info`` hold any key).
An empty value goes back to what was inferred from the file. The stored column types come from the file,
so a ``type`` that differs from the stored one is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.export.convert import CKAN_TYPES
from app.texts import T_
from catalog_schema import dictionary

#: CKAN DataStore type names -> Table Schema types (a type_override may use either).
SCHEMA_TYPES = {"text": "string", "numeric": "number", "int": "integer", "bigint": "integer", "float": "number",
                "timestamp": "datetime", "date": "date", "bool": "boolean", "time": "time"}
#: ``info`` keys -> dictionary properties.
INFO_KEYS = {"label": "title", "notes": "description", "type_override": "type", "unit": "unit"}


class FieldsError(ValueError):
    """A `fields` list CKAN-shaped but not acceptable here; `key` is the parameter to name (CKAN's error key)."""

    def __init__(self, message: str, key: str = "fields"):
        super().__init__(message)
        self.key, self.message = key, message  # a `Text`: said in the reader's language by the API


def info(field: Mapping[str, Any] | None, edited_type: str | None = None) -> dict[str, str]:
    """CKAN's ``info`` of one column from its effective dictionary entry (`field`, or None); ``type_override`` is
    the type the agency gave the column (`edited_type`, a Table Schema type), as CKAN names it."""
    field = field or {}
    out = {"label": field.get("title") or "", "notes": field.get("description") or "",
           "type_override": CKAN_TYPES.get(edited_type, edited_type) if edited_type else ""}
    if field.get("unit"):
        out["unit"] = field["unit"]
    return out


def described(dist) -> dict[str, dict[str, str]]:
    """{column: CKAN info} of a distribution's effective dictionary (empty when it has none)."""
    dic = dictionary.effective(dist.dictionary, dist.table_schema if isinstance(dist.table_schema, Mapping) else None)
    edited = ((dist.dictionary or {}).get("edits") or {}) if isinstance(dist.dictionary, Mapping) else {}
    return {f["name"]: info(f, (edited.get(f["name"]) or {}).get("type")) for f in (dic or {}).get("fields") or []}


def edits(fields: Any, stored_types: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """`datastore_create`'s ``fields`` (``[{"id", "type", "info": {...}}]``) as dictionary edits
    (``{column: {title, description, unit, type}}``, validated by the service). `stored_types`: each column's
    CKAN type in the store (empty when the table is not loaded). FieldsError names what is wrong."""
    if not isinstance(fields, list) or not fields:
        raise FieldsError(T_("Give a list of fields: [{\"id\": column, \"info\": {\"label\", \"notes\", "
                             "\"type_override\", \"unit\"}}]"))
    out: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(fields):
        where = f"fields[{i}]"
        if not isinstance(f, Mapping) or not isinstance(f.get("id"), str) or not f["id"]:
            raise FieldsError(T_("%(where)s: give an object with the column's id", where=where))
        name = f["id"]
        if name == "_id":
            continue  # the row number the store adds (datastore_search lists it): no column of the file
        unknown = set(f) - {"id", "type", "info", "schema"}
        if unknown:
            raise FieldsError(T_("%(where)s: unknown key(s) %(keys)s", where=where, keys=", ".join(sorted(unknown))))
        given_type = f.get("type")
        if given_type and name in stored_types and given_type != stored_types[name]:
            raise FieldsError(T_("%(where)s.type: the column is stored as %(type)s, as read from the file; state "
                                 "another type in info.type_override (it goes into the data dictionary)",
                                 where=where, type=stored_types[name]))
        raw = f.get("info") or {}
        if not isinstance(raw, Mapping):
            raise FieldsError(T_("%(where)s.info: give an object", where=where))
        unknown = set(raw) - set(INFO_KEYS)
        if unknown:
            raise FieldsError(T_("%(where)s.info: only %(kept)s are kept here, not %(keys)s", where=where,
                                 kept=", ".join(INFO_KEYS), keys=", ".join(sorted(unknown))))
        change: dict[str, Any] = {}
        for key, prop in INFO_KEYS.items():
            if key not in raw:
                continue
            value = raw[key]
            if value is not None and not isinstance(value, str):
                raise FieldsError(T_("%(where)s.info.%(key)s: give text", where=where, key=key))
            value = (value or "").strip() or None
            if prop == "type" and value is not None:
                value = SCHEMA_TYPES.get(value.lower(), value.lower())
                if value not in dictionary.TYPES:
                    raise FieldsError(T_("%(where)s.info.type_override: one of %(types)s", where=where,
                                         types=", ".join(sorted(set(SCHEMA_TYPES) | set(dictionary.TYPES)))))
            change[prop] = value
        if change:
            out.setdefault(name, {}).update(change)
    return out
