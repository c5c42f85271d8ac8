"""How one version of a table differs from the one before: columns added and removed, rows added, removed
and changed.

Rows are compared on the columns both versions have, as text. A row is "changed" when the versions share a
key column (the first common column, when its values are unique in both) and the row under that key differs;
without such a key a changed row counts as one removed and one added. Tables over `MAX_ROWS` rows are not
compared (the summary says so), so a check never spends more than a few seconds on it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from quality.tabular.model import TableError
from quality.tabular.read import read_table

MAX_ROWS = 1_000_000


def _rows(path: str, fmt: str | None, encoding: str | None) -> tuple[list[str], list[tuple[str, ...]]]:
    names: list[str] = []
    rows: list[tuple[str, ...]] = []
    for batch in read_table(path, format=fmt, encoding=encoding):
        names = batch.schema.names
        cols = [c.to_pylist() for c in batch.columns]
        rows.extend(tuple("" if v is None else str(v) for v in row) for row in zip(*cols, strict=True))
        if len(rows) > MAX_ROWS:
            raise OverflowError
    return names, rows


def _digest(values: tuple[str, ...]) -> bytes:
    return hashlib.blake2b("\x1f".join(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The change from table `old` to table `new`, each {"path", "format", "encoding"}.

    {"rows_before", "rows_after", "rows_added", "rows_removed", "rows_changed", "columns_added",
    "columns_removed", "key"} or {"compared": False, "reason": ...} when either cannot be read or is too big."""
    try:
        old_names, old_rows = _rows(old["path"], old.get("format"), old.get("encoding"))
        new_names, new_rows = _rows(new["path"], new.get("format"), new.get("encoding"))
    except OverflowError:
        return {"compared": False, "reason": f"more than {MAX_ROWS:,} rows"}
    except (TableError, OSError, ValueError) as exc:
        return {"compared": False, "reason": str(exc)[:300]}
    common = [n for n in new_names if n in old_names]
    old_at = [old_names.index(n) for n in common]
    new_at = [new_names.index(n) for n in common]
    before = [tuple(r[i] for i in old_at) for r in old_rows]
    after = [tuple(r[i] for i in new_at) for r in new_rows]
    key = None
    if common:
        old_keys, new_keys = [r[0] for r in before], [r[0] for r in after]
        if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
            key = common[0]
    if key is not None:
        old_by = {r[0]: _digest(r) for r in before}
        new_by = {r[0]: _digest(r) for r in after}
        added = sum(1 for k in new_by if k not in old_by)
        removed = sum(1 for k in old_by if k not in new_by)
        changed = sum(1 for k, d in new_by.items() if k in old_by and old_by[k] != d)
    else:
        old_count, new_count = Counter(map(_digest, before)), Counter(map(_digest, after))
        added = sum((new_count - old_count).values())
        removed = sum((old_count - new_count).values())
        changed = 0
    return {"compared": True, "rows_before": len(old_rows), "rows_after": len(new_rows), "rows_added": added,
            "rows_removed": removed, "rows_changed": changed,
            "columns_added": [n for n in new_names if n not in old_names],
            "columns_removed": [n for n in old_names if n not in new_names], "key": key}
