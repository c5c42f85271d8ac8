"""Rows fitted to the header's width and packed into string record batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa

from quality.tabular import arrow
from quality.tabular.model import ROW_BATCH


@dataclass
class Shape:
    """Counts of cells outside the header's width, gathered while rows are fitted to it."""

    extra_cells: int = 0
    missing_trailing_cells: int = 0
    rows_read: int = 0


def fit_row(row: list, width: int, shape: Shape, count_short: bool = True) -> list[str]:
    """Pad or cut a row to the header's width, counting the cells outside it. In a spreadsheet a
    short row only lacks empty trailing cells (``count_short`` False): nothing is missing."""
    n = len(row)
    if n > width:
        shape.extra_cells += n - width
        return ["" if c is None else str(c) for c in row[:width]]
    if n < width:
        if n > 0 and count_short:
            shape.missing_trailing_cells += width - n
        return ["" if c is None else str(c) for c in row] + [""] * (width - n)
    return ["" if c is None else str(c) for c in row]


def rows_to_batch(rows: list[list[str]], names: list[str]) -> pa.RecordBatch:
    cols = list(zip(*rows, strict=False)) if rows else [()] * len(names)
    return pa.RecordBatch.from_arrays([arrow.strings(c) for c in cols], names=names)


def batched(rows, names: list[str]) -> Iterator[pa.RecordBatch]:
    buf: list[list[str]] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= ROW_BATCH:
            yield rows_to_batch(buf, names)
            buf = []
    if buf:
        yield rows_to_batch(buf, names)


def fitted_batches(rows, names: list[str], skip_blank_rows: bool, batch_rows: int,
                   skip: int = 0) -> Iterator[pa.RecordBatch]:
    """`rows` fitted to the header's width (blank ones left out with `skip_blank_rows`) in batches of
    `batch_rows`, leaving out the first `skip` of them (given out already by a faster reader)."""
    shape = Shape()
    fitted = (fit_row(r, len(names), shape) for r in rows)
    if skip_blank_rows:
        fitted = (r for r in fitted if any(c != "" for c in r))
    if skip:
        fitted = islice(fitted, skip, None)
    buf: list[list[str]] = []
    for r in fitted:
        buf.append(r)
        if len(buf) >= batch_rows:
            yield rows_to_batch(buf, names)
            buf = []
    if buf:
        yield rows_to_batch(buf, names)
