"""A table's data dictionary: each column's name, type, title, unit and description, and the notes the
file carried above and below the table.

It lives with the distribution (`Distribution.dictionary`), not with a loaded copy of the table, so it
outlives every reload and re-harvest:

    {"sha256": the archived copy it was inferred from, "inferred": {"fields": [...], "notes": {...}},
     "edits": {column name: {"title", "description", "unit", "type"}}, "edited_at": iso8601}

`infer` reads a table profile (quality.tabular); `effective` lays over it what the source declared (its
Frictionless Table Schema) and then what the agency edited. Units come from where statistics bureaus put
them: in a column label ("年末常住人口(万人)"), in an indicator note above the table
("指标：地区生产总值(亿元)", which is also the measure every numeric column holds) or in a unit note
("单位：万元", "Unit: tonnes").

`to_table_schema` / `from_table_schema` are the pair that publishes a dictionary as a Frictionless
Table Schema (`unit` is an extra field property, which Table Schema allows) and reads one back as edits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from catalog_schema.record import REFUSED_CHARS

#: The media type of a published dictionary (data.json's ``describedByType``, the schema.json response):
#: a Frictionless Table Schema is JSON, the ``+json`` suffix says so to any JSON reader.
MEDIA_TYPE = "application/table-schema+json"
#: Table Schema types a column can be edited to (the ones our readers and converters know).
TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time", "year", "any")
NUMERIC = ("integer", "number")
EDITABLE = ("title", "description", "unit", "type")
MAX_TEXT = 2000  # characters of a title, description or unit an agency may give
_LABEL_UNIT = re.compile(r"^(?P<label>.*?\S)\s*[(（](?P<unit>[^()（）]{1,20})[)）]\s*$")
_INDICATOR = re.compile(r"^\s*(?:指标|indicator)\s*[:：]\s*(?P<text>.+)$", re.IGNORECASE)
_UNIT_NOTE = re.compile(r"^\s*(?:计量单位|单位|units?)\s*[:：]\s*(?P<unit>.{1,20}?)\s*$", re.IGNORECASE)


def unit_in_label(label: str) -> str | None:
    """The unit a label ends with in brackets: "年末常住人口(万人)" -> "万人"; "Area (km²)" -> "km²"."""
    found = _LABEL_UNIT.match(label or "")
    return found.group("unit").strip() if found else None


def table_measure(notes: list[str]) -> tuple[str | None, str | None]:
    """(measure, unit) the notes give the whole table: "指标：地区生产总值(亿元)" -> ("地区生产总值", "亿元");
    "单位：万元" -> (None, "万元")."""
    measure = unit = None
    for note in notes:
        indicator = _INDICATOR.match(note)
        if indicator and measure is None:
            text = indicator.group("text").strip()
            label = _LABEL_UNIT.match(text)
            measure, unit = (label.group("label"), label.group("unit").strip()) if label else (text, unit)
        stated = _UNIT_NOTE.match(note)
        if stated and unit is None:
            unit = stated.group("unit")
    return measure, unit


def infer(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The dictionary a table profile (TableProfile.to_dict()) gives: types as inferred, units and the
    measure from labels and notes, the notes themselves."""
    above, below = list(profile.get("notes_above") or []), list(profile.get("notes_below") or [])
    measure, table_unit = table_measure(above + below)
    fields = []
    for name, type_ in (profile.get("inferred_types") or {}).items():
        numeric = type_ in NUMERIC
        unit = unit_in_label(name) or (table_unit if numeric else None)
        fields.append({"name": name, "type": type_ if type_ in TYPES else "any", "title": None,
                       "unit": unit, "description": measure if numeric and measure else None})
    return {"fields": fields, "notes": {"above": above, "below": below}}


def effective(stored: Mapping[str, Any] | None, declared: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The dictionary to show and publish: inferred, then the source's declared Table Schema, then the agency's
    edits. None when there is nothing to say (never profiled, nothing declared)."""
    stored = stored or {}
    inferred = stored.get("inferred") or {}
    fields = [dict(f) for f in inferred.get("fields") or []]
    by_name = {f["name"]: f for f in fields}
    for name, change in from_table_schema(declared).items():
        if name not in by_name:
            by_name[name] = {"name": name, "type": "any", "title": None, "unit": None, "description": None}
            fields.append(by_name[name])
        by_name[name].update({k: v for k, v in change.items() if v is not None})
    for name, change in (stored.get("edits") or {}).items():
        if name in by_name:
            by_name[name].update({k: v for k, v in change.items() if k in EDITABLE})
    if not fields:
        return None
    return {"fields": fields, "notes": dict(inferred.get("notes") or {"above": [], "below": []}),
            "edited_at": stored.get("edited_at")}


def exists(stored: Mapping[str, Any] | None, declared: Mapping[str, Any] | None = None) -> bool:
    """Whether `effective` has a dictionary to publish (what the catalog's mappers link to)."""
    return effective(stored if isinstance(stored, Mapping) else None,
                     declared if isinstance(declared, Mapping) else None) is not None


def schema_url(site_url: str, slug: str, dist_id: str) -> str:
    """Where a distribution's dictionary is published as a Table Schema (app.export.data.table_schema)."""
    return f"{site_url.rstrip('/')}/dataset/{slug}/resource/{dist_id}/schema.json"


class EditError(ValueError):
    """A refused edit: `column` and `prop` (None when the edits as a whole are wrong), `why` (shape, no-column,
    column-shape, not-editable, not-text, too-long, type, control) and what the message needs (`value`,
    `length`, `limit`, `columns`). Its text names the column and property at fault, in English."""

    def __init__(self, message: str, *, why: str, column: str | None = None, prop: str | None = None,
                 **detail: Any) -> None:
        super().__init__(message)
        self.why, self.column, self.prop, self.detail = why, column, prop, detail


def edit_problems(edits: Any, columns: list[str]) -> tuple[dict[str, dict[str, Any]], list[EditError]]:
    """The agency's edits checked, every one: (the clean edits {column: {title|description|unit|type: text or
    None}}, the refusals, each naming its column and property). A form marks every refused box at once."""
    if not isinstance(edits, Mapping):
        return {}, [EditError("fields: give an object of columns, each an object of title, description, unit, type",
                              why="shape")]
    known = set(columns)
    out: dict[str, dict[str, Any]] = {}
    problems: list[EditError] = []
    for name, change in edits.items():
        if name not in known:
            shown = ", ".join(columns[:20]) + (f" and {len(columns) - 20} more" if len(columns) > 20 else "")
            problems.append(EditError(f"fields.{name}: the table has no such column (it has: {shown})",
                                      why="no-column", column=name, columns=columns))
            continue
        if not isinstance(change, Mapping):
            problems.append(EditError(f"fields.{name}: give an object of title, description, unit, type",
                                      why="column-shape", column=name))
            continue
        clean: dict[str, Any] = {}
        for key, value in change.items():
            where = f"fields.{name}.{key}"
            if key not in EDITABLE:
                problems.append(EditError(f"{where}: only {', '.join(EDITABLE)} can be edited", why="not-editable",
                                          column=name, prop=str(key)))
                continue
            if value is not None and not isinstance(value, str):
                problems.append(EditError(f"{where}: give text (or null to go back to what was inferred)",
                                          why="not-text", column=name, prop=key))
                continue
            value = value.strip() if isinstance(value, str) else None
            if value and len(value) > MAX_TEXT:
                problems.append(EditError(f"{where}: {len(value):,} characters; at most {MAX_TEXT:,}", why="too-long",
                                          column=name, prop=key, length=len(value), limit=MAX_TEXT))
                continue
            if value and REFUSED_CHARS.search(value):
                problems.append(EditError(f"{where}: holds a control character (such as NUL), which cannot be kept",
                                          why="control", column=name, prop=key))
                continue
            if key == "type" and value and value not in TYPES:
                problems.append(EditError(f"{where}: {value[:40]!r} is not a type; use one of {', '.join(TYPES)}",
                                          why="type", column=name, prop=key, value=value[:40]))
                continue
            clean[key] = value or None
        out[name] = clean
    return out, problems


def validate_edits(edits: Any, columns: list[str]) -> dict[str, dict[str, Any]]:
    """The agency's edits, checked: {column: {title|description|unit|type: text or None}}. Raises EditError (a
    ValueError) naming the first column and property at fault."""
    clean, problems = edit_problems(edits, columns)
    if problems:
        raise problems[0]
    return clean


def to_table_schema(dictionary: Mapping[str, Any]) -> dict[str, Any]:
    """A Frictionless Table Schema: each field's name and type, with its title, description and unit when known."""
    fields = []
    for f in dictionary.get("fields") or []:
        out = {"name": f["name"], "type": f.get("type") or "any"}
        out.update({k: f[k] for k in ("title", "description", "unit") if f.get(k)})
        fields.append(out)
    return {"fields": fields}


def from_table_schema(schema: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """What a Table Schema says of each column, as edits: {name: {title, description, unit, type}}."""
    out: dict[str, dict[str, Any]] = {}
    for f in (schema or {}).get("fields") or []:
        if not isinstance(f, Mapping) or not isinstance(f.get("name"), str):
            continue
        out[f["name"]] = {"title": _text(f.get("title")), "description": _text(f.get("description")),
                          "unit": _text(f.get("unit")),
                          "type": f["type"] if f.get("type") in TYPES else None}
    return out


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
