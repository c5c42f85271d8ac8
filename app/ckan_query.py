"""CKAN's Solr-flavoured `q`, `fq`, `sort` and `facet.field` translated to a `search.SearchQuery` (pure).

Why translate instead of emulating Solr: our search is one interface over an embedded
index (catalog_schema.search). The clauses CKAN clients and harvesters really
send map onto its filters; anything else is refused with CKAN's own "Search Query is
invalid" error (409), because silently dropping a filter would hand a harvester the
wrong datasets.

Understood in `fq` (and as field clauses inside `q`), joined by spaces, `AND`, `&&`
or a leading `+`:

    organization:<slug>   res_format:<format>   tags:<tag>   license_id:<licence>
    groups:<theme>        metadata_modified:[<from> TO <to>]   (`*`, NOW, NOW-7DAYS, ISO dates)
    hvd_category:<IRI, code or label of a high-value dataset category>   (as ckanext-dcat names it)
    dataset_type:dataset  type:dataset  state:active  capacity:public   (what we always have)

A value may be quoted ("公交 站点") or a group (`res_format:(CSV OR JSON)`, any one of
them), and clauses of one field may be joined by `OR` (`organization:a OR organization:b`,
the same as `organization:(a OR b)`); `OR` between two fields is refused. The same field
twice means both (Solr's AND: `tags:公交 tags:客运量`, as CKAN's pages build fq, finds the
datasets with both tags). `*:*` is everything. A clause of a field above with a leading `-` leaves out the
datasets with any one of its values (`-organization:a -groups:(x OR y)`: ckanext-harvest's
organizations_filter_exclude and groups_filter_exclude send it so); `-metadata_modified:[...]` and `-field:*`
are refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.texts import T_
from catalog_schema import vocab


class QueryError(ValueError):
    """A query CKAN would call invalid, or one we cannot answer faithfully."""


# CKAN field name -> SearchQuery facet/filter name.
FACET_FIELDS = {"organization": "publisher", "res_format": "format", "tags": "keyword",
                "license_id": "licence", "groups": "theme", "hvd_category": "hvd_category"}
_ALWAYS = {"dataset_type": "dataset", "type": "dataset", "state": "active", "capacity": "public"}
_CLAUSE = re.compile(
    r'(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.-]*):(?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|[^\s()"]+)'
)
_JOINER = re.compile(r"\s+|AND\b|&&")
_RANGE = re.compile(r"^[\[{]\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*[\]}]$")
_NOW = re.compile(r"^NOW(?:(?P<sign>[+-])(?P<n>\d+)(?P<unit>YEARS?|MONTHS?|DAYS?|HOURS?|MINUTES?))?(?:/DAY)?$")
MAX_ROWS = 1000


@dataclass
class Filters:
    """What fq (and fielded q clauses) asked for, in SearchQuery's terms."""

    publisher: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    keyword: list[str] = field(default_factory=list)
    licence: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    hvd_category: list[str] = field(default_factory=list)
    modified_since: dt.datetime | None = None
    modified_until: dt.datetime | None = None
    #: a facet asked again with other values, which must match too (SearchQuery.all_of)
    also: list[tuple[str, list[str]]] = field(default_factory=list)
    #: a facet's values a `-field:value` clause leaves out: no dataset with any one of them (SearchQuery.none_of)
    none_of: list[tuple[str, list[str]]] = field(default_factory=list)
    nothing: bool = False  # a clause no dataset here can match (dataset_type:harvest ...)
    seen: set[str] = field(default_factory=set)



def unsearchable(token: str) -> str | None:
    """Why a word of a free-text query cannot be answered faithfully (every word given must match), or None: an
    OR between words, or a word to leave out. The REST search refuses them with the same words."""
    if token in ("OR", "||"):
        return T_("OR between words cannot be searched in q (every word must match): search them one at a time, "
                  "or use fq=tags:(a OR b)")
    if token.startswith("-") and len(token) > 1:
        return T_("a word to leave out (%(word)s) cannot be searched in q: every word given must match", word=token)
    return None

def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return re.sub(r"\\(.)", r"\1", value)


def _values(raw: str) -> list[str]:
    """`a`, `"a b"` or `(a OR "b c")` -> the alternatives."""
    if raw.startswith("(") and raw.endswith(")"):
        inner = raw[1:-1].strip()
        parts = [p.strip() for p in re.split(r"\s+OR\s+|\|\|", inner) if p.strip()]
        if any(re.search(r"\s(AND|NOT)\s", p) for p in parts):
            raise QueryError(T_("only OR is understood inside ( ): %(raw)s", raw=raw))
        return [_unquote(p) for p in parts]
    return [_unquote(raw)]


def parse_time(text: str, now: dt.datetime) -> dt.datetime | None:
    """A range end: `*` (None), NOW with an optional offset, or an ISO date/time (UTC when naive)."""
    text = text.strip()
    if text == "*":
        return None
    m = _NOW.match(text)
    if m:
        if not m.group("n"):
            return now
        n = int(m.group("n")) * (1 if m.group("sign") == "+" else -1)
        unit = m.group("unit").rstrip("S")
        days = {"YEAR": 365 * n, "MONTH": 30 * n, "DAY": n}.get(unit)
        delta = dt.timedelta(days=days) if days is not None else (
            dt.timedelta(hours=n) if unit == "HOUR" else dt.timedelta(minutes=n))
        return now + delta
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(T_("not a date: %(text)s", text=text)) from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _format_code(value: str) -> str:
    found = vocab.file_format(value)
    return found.code if found else value


def _licence_id(value: str) -> str:
    found = vocab.licence(value)
    return found.id if found else value


def _theme_code(value: str) -> str:
    return vocab.theme(value) or value.upper()


def _hvd_category(value: str) -> str:
    return vocab.hvd_category(value) or value


_CONVERT = {"publisher": str, "format": _format_code, "keyword": str, "licence": _licence_id, "theme": _theme_code,
            "hvd_category": _hvd_category}


def _apply(filters: Filters, name: str, raw: str, sign: str, now: dt.datetime, more: tuple[str, ...] = ()) -> None:
    """One clause `name:raw` (`more`: the values of clauses of the same field joined to it by OR)."""
    if sign == "-":
        _apply_minus(filters, name, raw, more)
        return
    if name in _ALWAYS:
        if all(v not in (_ALWAYS[name], "*") for r in (raw, *more) for v in _values(r)):
            filters.nothing = True
        return
    if more and name == "metadata_modified":
        raise QueryError(T_("OR between ranges of %(name)s cannot be searched: give one range", name=name))
    if name == "metadata_modified":
        m = _RANGE.match(raw)
        if not m:
            raise QueryError(T_("metadata_modified needs a range [from TO to]: %(raw)s", raw=raw))
        if "metadata_modified" in filters.seen:
            raise QueryError(T_("metadata_modified given twice"))
        filters.seen.add(name)
        filters.modified_since = parse_time(m.group("low"), now)
        filters.modified_until = parse_time(m.group("high"), now)
        return
    target = FACET_FIELDS.get(name) or ("publisher" if name == "owner_org" else None)
    if target is None:
        raise QueryError(T_("field %(name)s cannot be searched here (supported: %(fields)s)", name=repr(name),
                            fields=", ".join([*FACET_FIELDS, "metadata_modified", *_ALWAYS])))
    values = list(dict.fromkeys(_CONVERT[target](v) for r in (raw, *more) for v in _values(r) if v))
    if not values:
        raise QueryError(T_("%(name)s: no value", name=name))
    if "*" in values:
        return
    current = getattr(filters, target)
    if target in filters.seen:  # the same field again: both must match (Solr's AND)
        if sorted(current) != sorted(values) and (target, sorted(values)) not in filters.also:
            filters.also.append((target, sorted(values)))
        return
    filters.seen.add(target)
    setattr(filters, target, values)


def _apply_minus(filters: Filters, name: str, raw: str, more: tuple[str, ...]) -> None:
    """`-name:raw`: the datasets with any one of its values left out, as ckanext-harvest's organizations_filter_exclude
    and groups_filter_exclude send it (`-organization:a -organization:b`). A range cannot be left out."""
    values = [v for r in (raw, *more) for v in _values(r) if v]
    if name in _ALWAYS:
        if any(v in (_ALWAYS[name], "*") for v in values):  # what every dataset here has, left out: none is left
            filters.nothing = True
        return
    target = FACET_FIELDS.get(name) or ("publisher" if name == "owner_org" else None)
    if target is None:
        raise QueryError(T_("negative clauses are understood for %(fields)s, not %(clause)s",
                            fields=", ".join([*FACET_FIELDS, *_ALWAYS]), clause=f"-{name}:{raw}"))
    if not values:
        raise QueryError(T_("%(name)s: no value", name=name))
    if "*" in values:  # Solr's "the datasets without any value of the field": not searchable here
        raise QueryError(T_("%(clause)s (the datasets without any %(name)s) cannot be searched here",
                            clause=f"-{name}:{raw}", name=name))
    converted = list(dict.fromkeys(_CONVERT[target](v) for v in values))
    if (target, converted) not in filters.none_of:
        filters.none_of.append((target, converted))


_OR = re.compile(r"\s+(?:OR|\|\|)\s+")


def _or_joined(text: str, pos: int, name: str) -> tuple[list[str], int]:
    """The values of the clauses joined to a clause of `name` ending at `pos` by OR, and where they end. OR before a
    clause of another field, or before no clause, is refused: it cannot be searched as it says."""
    more: list[str] = []
    while True:
        joiner = _OR.match(text, pos)
        if joiner is None:
            return more, pos
        m = _CLAUSE.match(text, joiner.end())
        if m is None or m.group("sign") or m.group("field") != name:
            raise QueryError(T_("OR is understood between clauses of one field only (%(name)s:a OR %(name)s:b): "
                                "%(bad)s", name=name, bad=repr(text[joiner.start():joiner.end() + 40].strip())))
        more.append(m.group("value"))
        pos = m.end()


def parse_clauses(text: str, filters: Filters, now: dt.datetime, *, free_text: bool) -> str:
    """Read field clauses of `text` into `filters`; returns the free text left (only when `free_text`)."""
    rest: list[str] = []
    pos, text = 0, text or ""
    while pos < len(text):
        skip = _JOINER.match(text, pos)
        if skip and skip.end() > pos:
            pos = skip.end()
            continue
        if text.startswith("*:*", pos):
            pos += 3
            continue
        m = _CLAUSE.match(text, pos)
        if m:
            more, pos = _or_joined(text, m.end(), m.group("field"))
            _apply(filters, m.group("field"), m.group("value"), m.group("sign"), now, tuple(more))
            continue
        if not free_text:
            bad = text[pos:pos + 40]
            raise QueryError(T_("cannot read %(bad)s (expected field:value clauses)", bad=repr(bad)))
        word = re.match(r"\S+", text[pos:])
        token = word.group(0) if word else text[pos]
        # what the search cannot answer faithfully is refused, not answered otherwise: every word given must match
        # (q="公交 OR GDP" was answered as both words; q="-bus" found the bus datasets)
        refused = unsearchable(token)
        if refused is not None:
            raise QueryError(refused)
        field = re.match(r"^(\w+):(?!//)", token)
        if field:  # a field clause the clause syntax did not read (an unknown field, an unclosed quote)
            raise QueryError(T_("cannot read %(bad)s (expected field:value clauses)", bad=repr(token[:40])))
        if token != "+":
            rest.append(token.lstrip("+"))
        pos += len(token)
    return " ".join(r for r in rest if r)


def translate(q: Any, fq: Any, fq_list: Any = None, *, now: dt.datetime | None = None) -> tuple[str, Filters]:
    """(free text, filters) of CKAN's q, fq and fq_list."""
    now = now or dt.datetime.now(dt.UTC)
    filters = Filters()
    for value in [fq, *(fq_list if isinstance(fq_list, list) else [fq_list])]:
        if value is None:
            continue
        if not isinstance(value, str):
            raise QueryError(T_("fq must be a string"))
        parse_clauses(value, filters, now, free_text=False)
    if q is not None and not isinstance(q, str):
        raise QueryError(T_("q must be a string"))
    text = parse_clauses(q or "", filters, now, free_text=True)
    return text, filters


_SORTS = {("score", "desc"): "relevance", ("metadata_modified", "desc"): "-modified",
          ("metadata_modified", "asc"): "modified", ("metadata_created", "desc"): "-created",
          ("metadata_created", "asc"): "created", ("title_string", "asc"): "title",
          ("title_string", "desc"): "-title", ("title", "asc"): "title", ("title", "desc"): "-title",
          ("name", "asc"): "name", ("name", "desc"): "-name",
          # ckanext-harvest pages with `id asc` (a stable, total order): the dataset ids in order.
          ("id", "asc"): "id", ("id", "desc"): "-id"}


def translate_sort(sort: Any) -> str | None:
    """`metadata_modified desc`, `title_string asc`, `score desc, metadata_modified desc` ... -> a search sort key.

    The first clause decides; later ones must be valid too (the search breaks ties itself).
    """
    if sort is None or sort == "":
        return None
    if not isinstance(sort, str):
        raise QueryError(T_("sort must be a string"))
    keys = []
    for clause in sort.split(","):
        words = clause.split()
        if not words:
            continue
        pair = (words[0], words[1].lower() if len(words) > 1 else "asc")
        if len(words) > 2 or pair not in _SORTS:
            raise QueryError(T_("cannot sort by %(clause)s (supported: %(sorts)s)", clause=repr(clause.strip()),
                                sorts=", ".join(f"{f} {d}" for f, d in _SORTS)))
        keys.append(_SORTS[pair])
    return keys[0] if keys else None


def facet_fields(value: Any) -> list[str]:
    """CKAN's facet.field: a JSON list (as a string or a list); each must be one we facet on."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:  # said in the reader's language, not the JSON parser's English
            raise QueryError(T_("facet.field must be a JSON list of field names, such as [\"tags\"], not %(value)s",
                                value=repr(value[:80]))) from exc
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(T_("facet.field must be a list of field names"))
    unknown = [v for v in value if v not in FACET_FIELDS]
    if unknown:
        raise QueryError(T_("cannot facet on %(fields)s (supported: %(supported)s)", fields=", ".join(unknown),
                            supported=", ".join(FACET_FIELDS)))
    return list(dict.fromkeys(value))
