"""A CSV's "URI-valued schema": a Frictionless Table Schema whose primary key is a column of http(s) URIs (pure).

The schema declared on a distribution (a Data Package resource's `schema`) says which column identifies a row
(`primaryKey`). When that key is one column, its values are the rows' names: read as a CSVW table whose every
column's `aboutUrl` is the key's value itself (`{+key}`), the rows are named by URIs exactly when the values are
absolute http(s) URIs. The declaration only says where to look; the stars are earned by the values, and only when
every row read has one (a key column of codes with a few URIs among them names no thing by URI). Fields declared
with `format: uri` are the row's links, counted as CSVW `valueUrl`s are. A schema's `rdfType` is a claim about the
rows, not a URI made from them, and earns nothing.
"""

from __future__ import annotations

from typing import Any

from quality.csvw.metadata import Column, Table


def keyed_table(schema: Any, url: str) -> tuple[Table, str] | None:
    """The CSVW reading of a Table Schema whose primary key is one of its fields, and the key's name; None for any
    other schema."""
    if not isinstance(schema, dict):
        return None
    fields = schema.get("fields")
    key = schema.get("primaryKey")
    key = key[0] if isinstance(key, list) and len(key) == 1 else key
    if not isinstance(fields, list) or not isinstance(key, str) or not all(isinstance(f, dict) for f in fields):
        return None
    names = [f.get("name") if isinstance(f.get("name"), str) else f"_col.{n}" for n, f in enumerate(fields, 1)]
    if key not in names:
        return None
    variable = f"_key{names.index(key)}"
    columns = tuple(
        Column(name=f"_key{n}", about_url=f"{{+{variable}}}",
               value_url=f"{{+_key{n}}}" if field.get("format") == "uri" and names[n] != key else None)
        for n, field in enumerate(fields))
    return Table(url=url, columns=columns), key


def all_named(found: dict[str, Any]) -> bool:
    """Whether every row read was named by an http(s) URI (what a key column must show to earn the star)."""
    return bool(found.get("rows")) and found.get("subjects") == found.get("rows") and not found.get("not_http")
