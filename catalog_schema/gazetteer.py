"""The gazetteer of China's administrative divisions (GB/T 2260 codes): the places a dataset can cover.

`vocab_data/admin_divisions.json` lists every province, prefecture and county with its six-digit code and
its parent (see vocab_data/SOURCES.md). A dataset's spatial coverage names a place by its URI
`urn:gb2260:<code>` (a dct:Location IRI in DCAT); `place(raw)` recognises that URI, the bare code, the full
name ("浙江省杭州市西湖区"), a name with spaces or the picker's "name (code)" form, and a short name that is
unique ("西湖区" is not: several cities have one). Read lazily, once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

URI_PREFIX = "urn:gb2260:"
_CODE = re.compile(r"(\d{6})")


@dataclass(frozen=True)
class Place:
    code: str
    name: str  # its own name: 西湖区
    full_name: str  # with its parents: 浙江省杭州市西湖区
    level: int  # 1 province, 2 prefecture, 3 county
    parent: str | None

    @property
    def uri(self) -> str:
        return URI_PREFIX + self.code

    @property
    def picker_label(self) -> str:
        """What the place picker lists and sends back: the full name and the code."""
        return f"{self.full_name} ({self.code})"


@cache
def _table() -> tuple[dict[str, Place], dict[str, list[Place]]]:
    rows = json.loads(resources.files("catalog_schema.vocab_data").joinpath("admin_divisions.json")
                      .read_text("utf-8"))["divisions"]
    raw = {code: (name, parent) for code, name, parent in rows}
    by_code: dict[str, Place] = {}

    def build(code: str) -> Place:
        if code in by_code:
            return by_code[code]
        name, parent = raw[code]
        up = build(parent) if parent else None
        place = Place(code, name, (up.full_name if up else "") + name, (up.level + 1) if up else 1, parent)
        by_code[code] = place
        return place

    for code in raw:
        build(code)
    by_name: dict[str, list[Place]] = {}
    for place in by_code.values():
        for key in {place.full_name, place.name}:
            by_name.setdefault(key, []).append(place)
    return by_code, by_name


def by_code(code: str) -> Place | None:
    return _table()[0].get(str(code))


def place(raw: Any) -> Place | None:
    """The place `raw` names (URI, code, full or unique short name, "name (code)"), or None."""
    text = " ".join(str(raw or "").split())
    if not text:
        return None
    if text.lower().startswith(URI_PREFIX):
        return by_code(text[len(URI_PREFIX):])
    found = _CODE.search(text)
    if found and (text == found.group(1) or text.endswith(f"({found.group(1)})")):
        return by_code(found.group(1))
    matches = _table()[1].get(text.replace(" ", ""), [])
    if not matches:  # a name written without its kind (北京 for 北京市, 浙江 for 浙江省), when one place answers
        matches = _short_names().get(text.replace(" ", ""), [])
    return matches[0] if len(matches) == 1 else None


#: What a place's name ends with that people leave out when they write it (longest first).
_KINDS = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "县", "区", "盟", "旗")


@cache
def _short_names() -> dict[str, list[Place]]:
    out: dict[str, list[Place]] = {}
    for place in _table()[0].values():
        kind = next((k for k in _KINDS if place.name.endswith(k)), None)
        short = place.name[: -len(kind)] if kind else ""
        if len(short) >= 2:
            out.setdefault(short, []).append(place)
    return out


def places(max_level: int = 3) -> list[Place]:
    """Every place down to `max_level` (1 provinces, 2 and prefectures, 3 and counties), by code."""
    return sorted((p for p in _table()[0].values() if p.level <= max_level), key=lambda p: p.code)


def search(text: Any, limit: int = 20) -> list[Place]:
    """The places whose full name contains `text` (spaces ignored) or whose code starts with it, at every level
    (counties included): those whose own name starts with it first, then provinces before prefectures before
    counties, then by code. The publish form's picker asks this as the agency types."""
    query = "".join(str(text or "").split())
    if not query:
        return []
    hits = [p for p in _table()[0].values() if query in p.full_name or p.code.startswith(query)]
    hits.sort(key=lambda p: (not p.name.startswith(query), p.level, p.code))
    return hits[:limit]


def label(value: Any) -> str:
    """A spatial value as people read it: the place's full name for a gazetteer URI, else the value."""
    found = place(value) if str(value or "").lower().startswith(URI_PREFIX) else None
    return found.full_name if found else str(value or "")
