"""The accumulator: every vectorised check over a stream of equally wide string batches, then the profile
(with personal data redacted from the preview)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from quality import pii as _pii
from quality.tabular import arrow
from quality.tabular.batches import Shape
from quality.tabular.celltypes import bool_mask, infer_types, valid_mask
from quality.tabular.hashing import column_hash, combine_hashes
from quality.tabular.model import INFER_ROWS, SAMPLE_ROWS, TableProfile

#: Column types whose valid cells cannot hold personal data: only their other cells are scanned.
UNSCANNED_TYPES = frozenset({"date", "datetime", "time", "boolean"})


class Profiler:
    """Runs every vectorised check over a stream of equally wide string batches."""

    def __init__(self, names: list[str], schema: dict | None, max_rows: int | None) -> None:
        self.names = names
        self.schema = schema or {}
        fields = self.schema.get("fields") or []
        self.fields = [fields[i] if i < len(fields) else {"name": n, "type": "any"} for i, n in enumerate(names)] \
            if fields else None
        self.missing_values = arrow.strings(self.schema.get("missingValues", [""]))
        pk = self.schema.get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else list(pk)
        declared = [f.get("name") for f in fields]
        self.pk_idx = [declared.index(k) if k in declared else names.index(k) for k in pk
                       if k in declared or k in names]
        self.types: list[str] | None = None
        self.max_rows = max_rows
        self.rows = 0
        self.blank_rows = 0
        self.missing = np.zeros(len(names), dtype=np.int64)
        self.type_errors = np.zeros(len(names), dtype=np.int64)
        self.hashes: list[np.ndarray] = []
        self.key_hashes: list[np.ndarray] = []
        self.sample: list[list] = []
        self.pii = _pii.ColumnScanner()
        self.truncated = False

    def _infer(self, batch: pa.RecordBatch, empties: list[np.ndarray]) -> None:
        if self.fields is not None:
            self.types = [f.get("type", "string") for f in self.fields]
            return
        n = min(INFER_ROWS, batch.num_rows)
        self.types = infer_types([batch.column(j).slice(0, n) for j in range(len(self.names))],
                                 [empties[j][:n] for j in range(len(self.names))])

    def add(self, batch: pa.RecordBatch) -> bool:
        """Profile one batch; False once ``max_rows`` is reached (the caller stops reading)."""
        if self.max_rows is not None and self.rows + batch.num_rows > self.max_rows:
            batch = batch.slice(0, self.max_rows - self.rows)
            self.truncated = True
        n = batch.num_rows
        if n == 0:
            return not self.truncated
        cols = batch.columns
        if self.missing_values.to_pylist() == [""]:
            empties = [bool_mask(pc.equal(pc.binary_length(c), arrow.ZERO)) for c in cols]
        else:
            empties = [bool_mask(pc.is_in(c, value_set=self.missing_values)) for c in cols]
        if self.types is None:
            self._infer(batch, empties)
        blank = np.logical_and.reduce(empties) if empties else np.zeros(n, dtype=bool)
        nonblank = ~blank
        self.blank_rows += int(blank.sum())
        off_type: dict[int, np.ndarray] = {}  # a date or boolean column's cells that are neither (scanned below)
        for j, col in enumerate(cols):
            self.missing[j] += int((empties[j] & nonblank).sum())
            t = self.types[j]
            if t not in ("string", "any"):
                valid = valid_mask(col, t, self.fields[j] if self.fields else None)
                wrong = ~valid & ~empties[j]
                self.type_errors[j] += int(wrong.sum())
                if t in UNSCANNED_TYPES and wrong.any():
                    off_type[j] = wrong
        # duplicate rows: one 64-bit hash per row, combined from vectorised per-column hashes
        col_hashes = [column_hash(c) for c in cols]
        self.hashes.append(combine_hashes(col_hashes))
        if self.pk_idx:
            kh = combine_hashes([col_hashes[i] for i in self.pk_idx])
            filled = np.logical_and.reduce([~empties[i] for i in self.pk_idx])
            self.key_hashes.append(kh[filled])
        if len(self.sample) < SAMPLE_ROWS:
            head = batch.slice(0, SAMPLE_ROWS - len(self.sample)).to_pylist()
            self.sample.extend([list(r.values()) for r in head])
        scan = [name for name, t in zip(self.names, self.types, strict=False) if t not in UNSCANNED_TYPES]
        self.pii.add(batch, scan)
        # A column typed date or boolean (from its first rows, or as a schema declares it) holds no personal data
        # where its cells are dates or booleans; the others are text like any and are scanned: an ID number or a
        # phone number below a hundred dates went unseen, and the table's conversions served them.
        for j, wrong in off_type.items():
            self.pii.add(pa.RecordBatch.from_arrays([cols[j].filter(pa.array(wrong))], names=[self.names[j]]))
        self.rows += n
        return not self.truncated

    def duplicates(self, chunks: list[np.ndarray]) -> int:
        """Rows equal to an earlier one = rows - distinct rows (sorting 8-byte hashes)."""
        if not chunks:
            return 0
        allh = np.sort(np.concatenate(chunks))
        return int((allh[1:] == allh[:-1]).sum())


REDACTED = "[redacted]"


def _redact(sample: list[list], names: list[str], pii: dict) -> list[list]:
    """The preview rows without personal data, so a profile never carries it: every filled cell of a
    column where personal data was found (near misses too), and any other cell that holds some."""
    hidden = {j for j, n in enumerate(names) if any(k != "uscc" for k in pii.get(n, {}))}
    # the other cells in one pass (`is_personal` of each, as one vectorised scan: a wide table's preview holds
    # thousands of cells, and one scan a cell cost about a millisecond)
    personal = _pii.personal_names([str(c) for row in sample for j, c in enumerate(row) if c and j not in hidden])
    return [[REDACTED if c and (j in hidden or str(c) in personal) else c for j, c in enumerate(row)] for row in sample]


def personal_names(labels: list[str], names: list[str]) -> dict[str, dict[str, int]]:
    """The columns whose header label is personal data itself, by field name: ``{name: {kind: 1}}`` for each kind of
    ``quality.pii.PERSONAL_KINDS`` the label holds. A file without a header row has its first row of data read as its
    column names; when no cell below holds personal data (or there is no row below), the names are the only personal
    data the file's table holds, and every conversion heads its columns with them."""
    texts = ["" if label is None else str(label) for label in labels]
    # `is_personal` of every label in one vectorised scan: one scan a label cost about a millisecond, 16 s for a
    # table of 20,000 columns with names of 11 characters or more (the length a personal value starts at)
    personal = _pii.personal_names(texts)
    out: dict[str, dict[str, int]] = {}
    for label, text, name in zip(labels, texts, names, strict=False):
        if text in personal:
            out[name] = {kind: 1 for kind in _pii.scan_values([label]) if kind in _pii.PERSONAL_KINDS}
    return out


def with_names(cells: dict[str, dict[str, int]], named: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The cells' counts per column and kind with the names' (`personal_names`) added, in `quality.pii.KINDS` order."""
    out = {column: dict(kinds) for column, kinds in cells.items()}
    for column, kinds in named.items():
        target = out.setdefault(column, {})
        for kind, n in kinds.items():
            target[kind] = target.get(kind, 0) + n
    return {column: {k: kinds[k] for k in _pii.KINDS if k in kinds} for column, kinds in out.items()}


def finish(fmt: str, encoding: str | None, labels, blank_hdr, repeated, names, prof: Profiler,
            shape: Shape, header_row: int, above: list[int], below: list[int],
            notes: tuple[list[str], list[str]] = ([], [])) -> TableProfile:
    types = prof.types or ["any"] * len(names)
    found_pii = prof.pii.result()
    named = personal_names(labels, names)
    return TableProfile(
        format=fmt, encoding=encoding, rows=prof.rows, columns=len(names), header=labels, header_row=header_row,
        notes_rows_above=above, notes_rows_below=below,
        notes_above=[REDACTED if _pii.is_personal(n) else n for n in notes[0]],
        notes_below=[REDACTED if _pii.is_personal(n) else n for n in notes[1]],
        missing_cells=int(prof.missing.sum()),
        missing_by_column={n: int(v) for n, v in zip(names, prof.missing, strict=False) if v},
        blank_rows=prof.blank_rows, duplicate_rows=prof.duplicates(prof.hashes),
        duplicate_keys=prof.duplicates(prof.key_hashes),
        type_errors=int(prof.type_errors.sum()),
        type_errors_by_column={n: int(v) for n, v in zip(names, prof.type_errors, strict=False) if v},
        extra_cells=shape.extra_cells, missing_trailing_cells=shape.missing_trailing_cells,
        blank_header=blank_hdr, duplicate_header=repeated,
        inferred_types=dict(zip(names, types, strict=False)), sample=_redact(prof.sample, names, found_pii),
        pii=with_names(found_pii, named), header_pii=named,
        truncated=prof.truncated,
    )
