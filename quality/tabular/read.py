"""``read_table``: the clean table between the notes rows, as string record batches in file order."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa

from quality.tabular.batches import fitted_batches
from quality.tabular.csvfile import csv_layout, python_csv_rows
from quality.tabular.encoding import as_utf8
from quality.tabular.formats import table_format
from quality.tabular.layout import header_labels, row_layout
from quality.tabular.model import ROW_BATCH
from quality.tabular.sheets import sheet_rows


def read_table(path, *, format: str | None = None, encoding: str | None = None, sheet: int | str = 0,
               skip_blank_rows: bool = True, batch_rows: int = ROW_BATCH) -> Iterator[pa.RecordBatch]:
    """The table between the notes rows as string record batches named by the cleaned header
    (blank labels become ``field<n>``, repeated ones ``name2``), in file order, in bounded memory.
    Rows are padded or cut to the header's width."""
    path = os.fspath(path)
    fmt = table_format(path, format)
    if fmt in ("csv", "tsv", "psv"):
        with as_utf8(path, encoding) as (src, enc, _):
            layout = csv_layout(src, enc, fmt)
            names = header_labels(layout.header)[3]
            yield from fitted_batches(python_csv_rows(src, layout), names, skip_blank_rows, batch_rows)
    else:
        rl = row_layout(sheet_rows(path, fmt, sheet))
        names = header_labels(rl.header)[3]
        yield from fitted_batches(iter(rl.body), names, skip_blank_rows, batch_rows)
