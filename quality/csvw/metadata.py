"""CSV on the Web metadata (W3C "Metadata Vocabulary for Tabular Data") read into what the stars need (pure).

Only what decides whether a table's rows are named by URIs, and what they link to, is read: each table's `url`
(resolved against the metadata's own address, or its `@base`), its dialect's `encoding`, and each column's name and
its URI templates (`aboutUrl`, `valueUrl`, `propertyUrl`), with the cell properties those templates are expanded
over (`null`, `default`, `separator`) and whether the column is `virtual` or its output suppressed. The inherited
properties pass from the table group to the table, its schema and its columns, as the recommendation says.

A document that is not CSVW metadata (no `@context` of http://www.w3.org/ns/csvw) is None; one that is but cannot
be used raises `CsvwError` with a reason code that `quality.rules.csvw_metadata` words in English and Chinese.
Nothing is fetched: a `tableSchema` or `dialect` given as the address of another document is a reason, not a
request.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urldefrag, urljoin

CONTEXTS = frozenset({"http://www.w3.org/ns/csvw", "https://www.w3.org/ns/csvw"})
#: Bytes that must appear in the first MARKER_WINDOW bytes of a file for it to be read as CSVW metadata at all.
MARKER = b"www.w3.org/ns/csvw"
MARKER_WINDOW = 65536

_INHERITED = ("aboutUrl", "valueUrl", "propertyUrl", "null", "default", "separator")

# One RFC 6570 expression: an optional operator, then variable names (ASCII letters, digits, "_", "%XX", with
# dots between) each with an optional prefix length or explode modifier.
_VARCHAR = r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})"
_VARSPEC = rf"{_VARCHAR}(?:\.?{_VARCHAR})*(?::[1-9][0-9]{{0,3}}|\*)?"
_EXPRESSION = re.compile(rf"\{{[+#./;?&]?{_VARSPEC}(?:,{_VARSPEC})*\}}")


class CsvwError(ValueError):
    """CSVW metadata that cannot be used: `reason` a code (json, no-table, template, schema-elsewhere, not-object),
    `detail` what in the document is at fault, as it was written."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail[:200]


@dataclass(frozen=True)
class Column:
    """One column as its URI templates see it. `name` is the template variable its cells are bound to."""

    name: str
    about_url: str | None = None
    value_url: str | None = None
    property_url: str | None = None
    null: tuple[str, ...] = ("",)
    default: str = ""
    separator: str | None = None
    virtual: bool = False
    suppressed: bool = False


@dataclass(frozen=True)
class Table:
    """One table the metadata describes: the address of its CSV, the encoding its dialect declares, its columns
    (the non-virtual ones in the order of the file's columns, then the virtual ones)."""

    url: str
    columns: tuple[Column, ...]
    encoding: str | None = None
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def width(self) -> int:
        """How many of the file's columns the metadata describes."""
        return sum(1 for c in self.columns if not c.virtual)


def is_csvw(doc: Any) -> bool:
    """Whether a parsed JSON document says it is CSVW metadata (its `@context`)."""
    if not isinstance(doc, dict):
        return False
    ctx = doc.get("@context")
    if isinstance(ctx, list) and ctx:
        ctx = ctx[0]
    return isinstance(ctx, str) and ctx.rstrip("#") in CONTEXTS


def read_metadata(data: bytes, address: str | None) -> list[Table] | None:
    """The tables CSVW metadata describes, their CSV addresses absolute; None when `data` is no CSVW metadata.
    Raises CsvwError when it is, but cannot be used."""
    if MARKER not in data[:MARKER_WINDOW]:
        return None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CsvwError("json", str(exc)) from None
    if not is_csvw(doc):
        return None
    base = _base(doc, address)
    if "tables" in doc:
        tables = doc["tables"]
        if not isinstance(tables, list) or not tables:
            raise CsvwError("no-table", "tables")
        group = _inherited({}, doc)
        defaults = {"dialect": doc.get("dialect"), "tableSchema": doc.get("tableSchema", {})}
        return [_table(t, f"tables[{n}].", base, group, defaults) for n, t in enumerate(tables, 1)]
    return [_table(doc, "", base, {}, {})]


def _base(doc: dict, address: str | None) -> str:
    ctx = doc.get("@context")
    extra = ctx[1] if isinstance(ctx, list) and len(ctx) > 1 and isinstance(ctx[1], dict) else {}
    base = extra.get("@base")
    return urljoin(address or "", base) if isinstance(base, str) else (address or "")


def _table(node: Any, where: str, base: str, group: dict, defaults: dict) -> Table:
    """One table's description; `where` is how its place in the document is said ("tables[2]." or ""), `defaults`
    the group's `dialect` and `tableSchema`, which a table's own replace whole."""
    if not isinstance(node, dict):
        raise CsvwError("not-object", where.rstrip(".") or "the document")
    url = node.get("url")
    if not isinstance(url, str) or not url.strip():
        raise CsvwError("no-table", f"{where}url")
    absolute = urldefrag(urljoin(base, url.strip()))[0]
    schema = node.get("tableSchema", defaults.get("tableSchema") or {})
    if isinstance(schema, str):
        raise CsvwError("schema-elsewhere", schema)
    if not isinstance(schema, dict):
        raise CsvwError("not-object", f"{where}tableSchema")
    inherited = _inherited(_inherited(group, node), schema)
    columns = schema.get("columns", [])
    if not isinstance(columns, list):
        raise CsvwError("not-object", f"{where}tableSchema.columns")
    read = [_column(c, n, f"{where}tableSchema.columns[{n}]", inherited) for n, c in enumerate(columns, 1)]
    ordered = tuple([c for c in read if not c.virtual] + [c for c in read if c.virtual])
    dialect = node.get("dialect", defaults.get("dialect"))
    encoding = dialect.get("encoding") if isinstance(dialect, dict) else None
    suppressed = node.get("suppressOutput") is True
    return Table(absolute, ordered, encoding.strip() if isinstance(encoding, str) and encoding.strip() else None,
                 suppressed)


def _inherited(outer: dict, node: dict) -> dict:
    """The inherited properties in force at `node`: its own, else its parent's."""
    out = dict(outer)
    for key in _INHERITED:
        if key in node:
            out[key] = node[key]
    for key in ("aboutUrl", "valueUrl", "propertyUrl"):
        value = out.get(key)
        if value is not None and (not isinstance(value, str) or not valid_template(value)):
            raise CsvwError("template", str(value))
    return out


def _column(node: Any, position: int, where: str, outer: dict) -> Column:
    if not isinstance(node, dict):
        raise CsvwError("not-object", where)
    props = _inherited(outer, node)
    null = props.get("null", "")
    nulls = tuple(v for v in (null if isinstance(null, list) else [null]) if isinstance(v, str)) or ("",)
    default = props.get("default", "")
    separator = props.get("separator")
    return Column(
        name=_name(node, position),
        about_url=props.get("aboutUrl"), value_url=props.get("valueUrl"), property_url=props.get("propertyUrl"),
        null=nulls, default=default if isinstance(default, str) else "",
        separator=separator if isinstance(separator, str) and separator else None,
        virtual=node.get("virtual") is True, suppressed=node.get("suppressOutput") is True,
    )


def _name(node: dict, position: int) -> str:
    """The column's name; else its first title, percent-encoded; else `_col.N` (the recommendation's defaults)."""
    name = node.get("name")
    if isinstance(name, str) and name:
        return name
    title = _first_title(node.get("titles"))
    if title:
        return quote(title, safe="")
    return f"_col.{position}"


def _first_title(titles: Any) -> str | None:
    if isinstance(titles, str):
        return titles
    if isinstance(titles, list):
        return next((t for t in titles if isinstance(t, str) and t), None)
    if isinstance(titles, dict):
        for value in titles.values():
            found = _first_title(value)
            if found:
                return found
    return None


def valid_template(template: str) -> bool:
    """Whether `template` is an RFC 6570 URI template: every brace opens or closes a well-formed expression."""
    rest = _EXPRESSION.sub("", template)
    return "{" not in rest and "}" not in rest
