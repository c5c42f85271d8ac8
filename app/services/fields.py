"""The editable metadata of a dataset, set from plain values (what a form or a JSON body gives).

Pure functions on catalog records: `apply_fields(record, fields, lang)` returns nothing and changes the
record; the services hand the record to the store. Texts are written in `lang` (other languages are
kept); licences and frequencies are recognised by any of their names (vocab); themes must be EU theme
codes. Bad values raise `Invalid` naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from app.services.errors import Invalid
from catalog_schema import vocab
from catalog_schema.record import Record, validation_errors

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000
EDITABLE = ("title", "description", "keywords", "themes", "license", "frequency", "contact_point", "temporal",
            "spatial", "access_rights", "landing_page", "issued", "modified", "language", "version")


def langmap(value: Any, lang: str, current: dict | None) -> dict[str, str]:
    """A language map from a map, or from a text in `lang` merged into `current`."""
    if isinstance(value, dict):
        return {str(k)[:10]: str(v)[:MAX_TEXT_CHARS] for k, v in value.items() if isinstance(v, str) and v.strip()}
    text = str(value or "").strip()[:MAX_TEXT_CHARS]
    out = {k: v for k, v in (current or {}).items() if k != lang}
    if text:
        out[lang] = text
    return out


def str_list(value: Any, field: str = "value") -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，;；\n]", value)
    if not isinstance(value, list):
        raise Invalid(f"{field}: expected a list of words (or a comma-separated text).", field=field)
    out = []
    for item in value:
        text = str(item).strip()[:200]
        if text and text not in out:
            out.append(text)
    return out


def apply_fields(rec: Record, fields: dict[str, Any], *, lang: str = "zh") -> None:
    """Set the editable fields of `rec` from `fields`; raises Invalid on an unknown field or a bad value."""
    lang = "en" if str(lang).startswith("en") else "zh"
    for key in fields:
        if key not in EDITABLE:
            raise Invalid(f"Field {key!r} cannot be set here; editable: {', '.join(EDITABLE)}.", field=key)
    if "title" in fields:
        title = langmap(fields["title"], lang, rec.get("title"))
        if not title or any(len(v) > MAX_TITLE_CHARS for v in title.values()):
            raise Invalid("A title is required (at most 500 characters).", field="title")
        rec["title"] = title
    if "description" in fields:
        rec["description"] = langmap(fields["description"], lang, rec.get("description"))
    if "keywords" in fields:
        rec["keywords"] = str_list(fields["keywords"] or [], "keywords")
    if "themes" in fields:
        themes = [t.upper() for t in str_list(fields["themes"] or [], "themes")]
        unknown = [t for t in themes if t not in vocab.THEMES]
        if unknown:
            known = ", ".join(sorted(vocab.THEMES)[:5])
            raise Invalid(f"Unknown theme code(s): {', '.join(unknown)}; use e.g. {known}.", field="themes")
        rec["themes"] = themes
    if "license" in fields:
        raw = str(fields["license"] or "").strip()
        lic = vocab.licence(raw) if raw else None
        rec["license"] = lic.id if lic else None
        rec["license_raw"] = raw or None
    if "frequency" in fields:
        raw = str(fields["frequency"] or "").strip()
        code = vocab.frequency(raw) if raw else None
        if raw and code is None:
            raise Invalid(f"Unknown update frequency {raw[:40]!r}; use e.g. DAILY, WEEKLY, MONTHLY, ANNUAL.",
                          field="frequency")
        rec["frequency"] = code
    if "contact_point" in fields:
        cp = fields["contact_point"]
        if isinstance(cp, str):
            cp = {"email": cp} if "@" in cp else {"name": cp}
        keys = ("name", "email", "url", "phone")
        cp = {k: (str(v).strip()[:320] or None) for k, v in (cp or {}).items() if k in keys}
        rec["contact_point"] = cp if any(cp.values()) else None
    if "temporal" in fields:
        tmp = fields["temporal"] or {}
        tmp = {k: (str(tmp.get(k) or "").strip() or None) for k in ("start", "end")} if isinstance(tmp, dict) else {}
        rec["temporal"] = tmp if any(tmp.values()) else None
    if "spatial" in fields:
        rec["spatial"] = str_list(fields["spatial"] or [], "spatial")
    if "language" in fields:
        rec["language"] = str_list(fields["language"] or [], "language")
    for key in ("access_rights", "landing_page", "issued", "modified", "version"):
        if key in fields:
            value = str(fields[key] or "").strip()[:500]
            rec[key] = value or None
    problems = validation_errors(rec)
    if problems:
        raise Invalid("; ".join(problems[:3]))
