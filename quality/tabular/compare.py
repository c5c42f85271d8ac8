"""How one version of a table differs from the one before: columns added and removed, rows added, removed
and changed.

Rows are compared on the columns both versions have, as text. A row is "changed" when the versions share a
key column (the first common column, when its values are unique in both) and the row under that key differs;
without such a key a changed row counts as one removed and one added. Tables over `MAX_ROWS` rows are not
compared (the summary says so), so a check never spends more than a few seconds on it.

A version's `RowDigest` (a 64-bit hash of each row's joined cells and of its first cell, kept by the row store when
it loads the copy) stands in for reading the version before again: the next version is then the only table read.

The change is kept with the version (`DistributionVersion.change`), so it names no column by a name that is personal
data itself (a file without a header row has its first row read as its names: a citizen's ID number): such a column
is said by its position, 1-based, in the version that has it, as the quality findings say it
(quality.findings.column_ref); nor is a digest of such a table kept (`save_digest`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from quality import pii
from quality.facts_cache import code_digest
from quality.tabular import arrow
from quality.tabular.hashing import column_hash, combine_hashes
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
_SEP_TEXT = arrow.strings([SEP])[0]


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


@dataclass(frozen=True)
class RowDigest:
    """What comparing a version needs of its table, without its cells: the column names, and per row (in file
    order) a 64-bit hash of its first cell and one of its cells joined by SEP, the text `compare` matches rows
    on. `read_as` is how the table was read (format, encoding): a digest read another way is not used."""

    names: tuple[str, ...]
    keys: np.ndarray
    rows: np.ndarray
    read_as: tuple[str | None, str | None]


class DigestBuilder:
    """A `RowDigest` built batch by batch from `read_table`'s string batches; `result()` is None when a cell
    holds SEP (its joined text would not be one row's alone, so the hashes could tell apart what `compare`
    takes as equal) or the table passes `MAX_ROWS` rows (it is not compared)."""

    def __init__(self, read_as: tuple[str | None, str | None]) -> None:
        self.read_as = read_as
        self.names: tuple[str, ...] | None = None
        self.keys: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.count = 0
        self.spoilt = False

    def add(self, batch: pa.RecordBatch) -> None:
        if self.spoilt or batch.num_rows == 0:
            return
        names = tuple(batch.schema.names)
        if self.names is None:
            self.names = names
        self.count += batch.num_rows
        if names != self.names or not names or self.count > MAX_ROWS:
            self.spoilt = True
            return
        columns = [c if pa.types.is_string(c.type) else pc.cast(c, pa.string()) for c in batch.columns]
        if any(_holds_sep(c) for c in columns):
            self.spoilt = True
            return
        if len(columns) > 1:
            joined = pc.binary_join_element_wise(*columns, _SEP_TEXT, null_handling="replace", null_replacement="")
        else:
            joined = pc.fill_null(columns[0], _EMPTY)
        self.keys.append(column_hash(pc.fill_null(columns[0], _EMPTY)))
        self.rows.append(column_hash(joined))

    def result(self) -> RowDigest | None:
        if self.spoilt or self.names is None:
            return None
        return RowDigest(self.names, np.concatenate(self.keys), np.concatenate(self.rows), self.read_as)


_SEP_BYTE = ord(SEP)


def _holds_sep(column: pa.Array) -> bool:
    """Whether any cell of a string column holds SEP, from its bytes."""
    data = column.buffers()[2]
    if data is None or len(column) == 0:
        return False
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    start, end = int(offsets[column.offset]), int(offsets[column.offset + len(column)])
    return bool((np.frombuffer(data, dtype=np.uint8)[start:end] == _SEP_BYTE).any())


def table_digest(batches: Iterable[pa.RecordBatch], read_as: tuple[str | None, str | None]) -> RowDigest | None:
    builder = DigestBuilder(read_as)
    for batch in batches:
        builder.add(batch)
    return builder.result()


_MAGIC = b"opendata-row-digest 1\n"


def save_digest(path: str | os.PathLike, digest: RowDigest) -> bool:
    """Write `digest` at `path` (atomically): a first line, a line of JSON (the names, how the table was read, the
    quality engine's code digest), then the row hashes and the first-cell hashes as little-endian 64-bit words.
    False when it could not be written (the next comparison then reads the table), or would keep personal data: a
    column name that is personal data itself (`_personal`) is not kept beside the archive."""
    if _personal(digest.names):
        return False
    folder = os.path.dirname(os.fspath(path)) or "."
    about = json.dumps({"names": list(digest.names), "read_as": list(digest.read_as), "code": code_digest(),
                        "rows": len(digest.rows)}, ensure_ascii=False).encode("utf-8")
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".digest-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + about + b"\n")
                fh.write(digest.rows.astype("<u8", copy=False).tobytes())
                fh.write(digest.keys.astype("<u8", copy=False).tobytes())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def load_digest(path: str | os.PathLike | None) -> RowDigest | None:
    """The digest `save_digest` wrote at `path`, or None (none there, or not one this code reads: written by other
    code of the quality engine, whose reading of the same bytes may differ)."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if not data.startswith(_MAGIC):
            return None
        end = data.index(b"\n", len(_MAGIC))
        about = json.loads(data[len(_MAGIC):end])
        n, names, read_as, code = int(about["rows"]), tuple(about["names"]), tuple(about["read_as"]), about["code"]
    except (OSError, KeyError, TypeError, ValueError):
        return None
    if _personal(names):  # kept before the names were looked at: gone, and the table is read instead
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    body = memoryview(data)[end + 1:]
    if (code != code_digest() or n < 0 or len(body) != 16 * n or len(read_as) != 2
            or not all(isinstance(name, str) for name in names)):
        return None
    rows = np.frombuffer(body[:8 * n], dtype="<u8").astype(np.uint64)
    keys = np.frombuffer(body[8 * n:], dtype="<u8").astype(np.uint64)
    return RowDigest(names, keys, rows, (read_as[0], read_as[1]))


def _personal(names: Iterable[Any]) -> bool:
    """Whether a table's column names are its first row of data (quality.pii.first_row_of_data)."""
    return pii.first_row_of_data(names)


def columns_changed(old_names: list[str] | tuple[str, ...], new_names: list[str] | tuple[str, ...],
                    key: str | None) -> dict[str, Any]:
    """The columns a change names (added, removed, its rows' key), as it is kept: a name that is personal data
    itself, and every name of a version one of whose names is (a first row of data read as names), by its position
    (1-based) in the version whose column it is: the new one's for a column added and the key, the old one's for a
    column removed. Every other name as it is. (`opendata pii scrub` rewrites a change
    kept by name before with it, from the two copies' `table_names`: app.services.scrub.)"""
    added = [n for n in new_names if n not in old_names]
    removed = [n for n in old_names if n not in new_names]
    personal = pii.personal_names([*added, *removed, *([key] if key is not None else [])])
    # a version whose names are a first row of data (one of them personal data) has every name said by position: a
    # person's name beside the ID number is a citizen's cell too
    first_rows = {id(names) for names in (old_names, new_names) if _personal(names)}

    def said(name: str, names: list[str] | tuple[str, ...]) -> str | int:
        return list(names).index(name) + 1 if name in personal or id(names) in first_rows else name

    return {"columns_added": [said(n, new_names) for n in added],
            "columns_removed": [said(n, old_names) for n in removed],
            "key": None if key is None else said(key, new_names)}


def table_names(version: dict[str, Any]) -> list[str] | None:
    """The column names `compare` reads of the table {"path", "format", "encoding"} (from its first batch: no rows
    gives none, as `_table` gives them), or None when it cannot be read."""
    try:
        batches = read_table(version["path"], format=version.get("format"), encoding=version.get("encoding"))
        try:
            first = next(batches, None)
        finally:
            batches.close()
    except (TableError, OSError, ValueError):
        return None
    return list(first.schema.names) if first is not None else []


def _distinct(hashes: np.ndarray) -> bool:
    ordered = np.sort(hashes)
    return not bool((ordered[1:] == ordered[:-1]).any())


def _common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two arrays of distinct values share."""
    both = np.sort(np.concatenate((a, b)))
    return int((both[1:] == both[:-1]).sum())


def _counts(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of `hashes` (sorted) and how often each comes."""
    ordered = np.sort(hashes)
    if len(ordered) == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _pairs(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One hash per (first cell, row): the same in two versions exactly when a key's row did not change."""
    return combine_hashes([keys, rows])


def compare_digests(before: RowDigest, after: RowDigest) -> dict[str, Any]:
    """`compare` of two versions with the same columns, from their digests alone (sorting 64-bit hashes: with
    keys unique in each version, a key kept is one both have, and its row unchanged when both have the pair)."""
    key = before.names[0] if _distinct(before.keys) and _distinct(after.keys) else None
    if key is not None:
        kept = _common(before.keys, after.keys)
        same = _common(_pairs(before.keys, before.rows), _pairs(after.keys, after.rows))
        added, removed, changed = len(after.keys) - kept, len(before.keys) - kept, kept - same
    else:
        old_values, old_counts = _counts(before.rows)
        new_values, new_counts = _counts(after.rows)
        values = np.concatenate((old_values, new_values))
        counts = np.concatenate((old_counts, new_counts))
        order = np.argsort(values)
        values, counts = values[order], counts[order]
        equal = values[1:] == values[:-1]  # one of each version: both lists are of distinct values
        matched = int(np.minimum(counts[:-1][equal], counts[1:][equal]).sum())
        added, removed, changed = len(after.rows) - matched, len(before.rows) - matched, 0
    return {"compared": True, "rows_before": len(before.rows), "rows_after": len(after.rows), "rows_added": added,
            "rows_removed": removed, "rows_changed": changed, **columns_changed(before.names, after.names, key)}


def _read_as(version: dict[str, Any]) -> tuple[str | None, str | None]:
    return (version.get("format") or None, version.get("encoding") or None)


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The change from table `old` to table `new`, each {"path", "format", "encoding"}.

    {"rows_before", "rows_after", "rows_added", "rows_removed", "rows_changed", "columns_added",
    "columns_removed", "key"} (a column whose name is personal data said by its position: `columns_changed`) or
    {"compared": False, "reason": ...} when either cannot be read or is too big.

    Both tables are read as columns (pyarrow's reader for delimited text, `read_table`) and compared column-
    wise: each row's cells on the common columns joined into one string, set membership and value counts
    computed by pyarrow. The figures are those of `compare_rows`, which compares row by row in Python.

    With `old["digest"]`, the path of the version before's `RowDigest` read the way `old` says, only `new` is read
    when both have the same columns (the figures are the same); the digest of `new` made then is kept at
    `new["keep_digest"]` when it says where."""
    before_digest = load_digest(old.get("digest"))
    if before_digest is not None and before_digest.read_as != _read_as(old):
        before_digest = None
    try:
        if before_digest is not None:
            after_table = _table(new["path"], new.get("format"), new.get("encoding"))
            after_digest = table_digest(after_table.to_batches(), _read_as(new))
            if after_digest is not None and new.get("keep_digest"):
                save_digest(new["keep_digest"], after_digest)
            if after_digest is not None and after_digest.names == before_digest.names:
                return compare_digests(before_digest, after_digest)
            before_table = _table(old["path"], old.get("format"), old.get("encoding"))
        else:
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
            **columns_changed(old_names, new_names, key)}


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
            "rows_removed": removed, "rows_changed": changed, **columns_changed(old_names, new_names, key)}
