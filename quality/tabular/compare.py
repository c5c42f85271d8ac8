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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from quality.tabular import arrow
from quality.tabular.model import TableError
from quality.tabular.read import read_table

MAX_ROWS = 1_000_000
SEP = "\x1f"  # between a row's cells, when its cells are joined into one string to compare


def _table(path: str, fmt: str | None, encoding: str | None) -> pa.Table:
    """The table as read_table reads it (cells as text, blank rows left out), every column a string column."""
    batches = []
    rows = 0
    for batch in read_table(path, format=fmt, encoding=encoding):
        batches.append(batch)
        rows += batch.num_rows
        if rows > MAX_ROWS:
            raise OverflowError
    if not batches:
        # no body rows: read_table gave nothing, not even the header's names (as the row-by-row compare had it)
        return pa.table({})
    return pa.Table.from_batches(batches)


def _joined(table: pa.Table, at: list[int]) -> pa.ChunkedArray:
    """Each row's cells in the columns at positions `at`, joined by SEP into one string (large_string: a big
    table's joined rows may pass 2 GB). The same text the row-by-row compare hashed, so two rows are equal
    here exactly when they were there."""
    if not at:
        return pa.chunked_array([arrow.strings([""] * table.num_rows).cast(pa.large_string())], pa.large_string())
    columns = [_column(table, i).cast(pa.large_string()) for i in at]
    if len(columns) == 1:
        return columns[0]
    return pc.binary_join_element_wise(*columns, _SEP)


_EMPTY = arrow.strings([""])[0]
_SEP = arrow.strings([SEP])[0].cast(pa.large_string())


def _unique(values: pa.ChunkedArray) -> bool:
    return pc.count_distinct(values).as_py() == len(values)


def _keyed(old_keys: pa.ChunkedArray, new_keys: pa.ChunkedArray, before: pa.ChunkedArray,
           after: pa.ChunkedArray) -> tuple[int, int, int]:
    """(added, removed, changed) when every key is unique in both versions: a new row whose key the old
    version has is changed when its joined cells differ from the old row's under that key."""
    if len(new_keys) == 0 or len(old_keys) == 0:
        return len(new_keys), len(old_keys), 0
    at = pc.index_in(new_keys, value_set=old_keys.combine_chunks())
    kept = len(at) - at.null_count
    if not kept:
        return len(new_keys), len(old_keys), 0
    same = pc.equal(pc.take(before.combine_chunks(), at), after)  # null where the key is new
    unchanged = int(pc.sum(pc.fill_null(same, False).cast(pa.int64())).as_py() or 0)
    return len(new_keys) - kept, len(old_keys) - kept, kept - unchanged


def _matched(before: pa.ChunkedArray, after: pa.ChunkedArray) -> int:
    """The size of the multiset intersection of the two columns: over their values, the sum of the smaller
    of the two counts (what Counter's subtraction leaves out)."""
    if len(before) == 0 or len(after) == 0:
        return 0
    old, new = pc.value_counts(before), pc.value_counts(after)
    at = pc.index_in(new.field(0), value_set=old.field(0))
    found = arrow.booleans(pc.is_valid(at))
    if not found.any():
        return 0
    old_counts = arrow.int64s(old.field(1))
    new_counts = arrow.int64s(new.field(1))[found]
    positions = arrow.int64s(pc.fill_null(at, arrow.ZERO32).cast(pa.int64()))[found]
    return int(np.minimum(old_counts[positions], new_counts).sum())


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The change from table `old` to table `new`, each {"path", "format", "encoding"}.

    {"rows_before", "rows_after", "rows_added", "rows_removed", "rows_changed", "columns_added",
    "columns_removed", "key"} or {"compared": False, "reason": ...} when either cannot be read or is too big.

    Both tables are read as columns (pyarrow's reader for delimited text, `read_table`) and compared column-
    wise: each row's cells on the common columns joined into one string, set membership and value counts
    computed by pyarrow. The figures are those of `compare_rows`, which compares row by row in Python."""
    try:
        before_table = _table(old["path"], old.get("format"), old.get("encoding"))
        after_table = _table(new["path"], new.get("format"), new.get("encoding"))
    except OverflowError:
        return {"compared": False, "reason": f"more than {MAX_ROWS:,} rows"}
    except (TableError, OSError, ValueError) as exc:
        return {"compared": False, "reason": str(exc)[:300]}
    old_names, new_names = before_table.schema.names, after_table.schema.names
    common = [n for n in new_names if n in old_names]
    old_at = [old_names.index(n) for n in common]
    new_at = [new_names.index(n) for n in common]
    key = None
    if common and _unique(_column(before_table, old_at[0])) and _unique(_column(after_table, new_at[0])):
        key = common[0]
    before, after = _joined(before_table, old_at), _joined(after_table, new_at)
    if key is not None:
        added, removed, changed = _keyed(_column(before_table, old_at[0]), _column(after_table, new_at[0]),
                                         before, after)
    else:
        matched = _matched(before, after)
        added = len(after) - matched
        removed = len(before) - matched
        changed = 0
    return {"compared": True, "rows_before": before_table.num_rows, "rows_after": after_table.num_rows,
            "rows_added": added, "rows_removed": removed, "rows_changed": changed,
            "columns_added": [n for n in new_names if n not in old_names],
            "columns_removed": [n for n in old_names if n not in new_names], "key": key}


def _column(table: pa.Table, i: int) -> pa.ChunkedArray:
    return pc.fill_null(table.column(i), _EMPTY)


# --------------------------------------------------------------------------- row by row (the reference)


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
    return hashlib.blake2b(SEP.join(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def compare_rows(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`compare` row by row in Python, as it was done before (about 20 times slower): the reference the
    tests hold `compare` to."""
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
