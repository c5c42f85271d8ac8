"""``profile_file``: one tabular file in, its ``TableProfile`` out."""

from __future__ import annotations

import csv
import os

import pyarrow as pa

from quality.tabular.batches import Shape, batched, fit_row
from quality.tabular.csvfile import arrow_csv_batches, csv_layout, nonblank_footer
from quality.tabular.encoding import as_utf8
from quality.tabular.formats import table_format
from quality.tabular.layout import header_labels, row_layout
from quality.tabular.model import BLOCK_BYTES, TableError, TableProfile
from quality.tabular.profiler import Profiler, finish
from quality.tabular.read import zip_table_copy, zipped_is_geojson
from quality.tabular.sheets import sheet_rows


def profile_file(path, *, format: str | None = None, encoding: str | None = None, schema: dict | None = None,
                 sheet: int | str = 0, max_rows: int | None = None) -> TableProfile:
    """Profile one tabular file. Raises ``TableError`` for a file that is not a readable table
    (encrypted workbook, empty file, JSON that is not an array) instead of crashing."""
    path = os.fspath(path)
    fmt = table_format(path, format)
    if fmt == "zip":  # its table member, the one read_table (the row store, the exports) serves
        with zip_table_copy(path) as member:
            if zipped_is_geojson(member):
                raise TableError("unsupported-format", "Profiling does not read GeoJSON files.")
            return profile_file(member, schema=schema, sheet=sheet, max_rows=max_rows)
    if fmt in ("csv", "tsv", "psv"):
        try:
            with as_utf8(path, encoding) as (src, enc, wide):
                profile = _profile_csv(src, fmt, enc, schema, max_rows)
        except TableError:
            raise
        except (csv.Error, UnicodeError, ValueError, LookupError, pa.ArrowException) as exc:
            raise TableError("unreadable", f"The file cannot be read as {fmt.upper()}: {exc}") from exc
        if wide:
            profile.encoding = wide
        return profile
    if fmt not in ("xls", "xlsx", "ods", "json"):
        raise TableError("unsupported-format", f"Profiling does not read {fmt} files.")
    layout = row_layout(sheet_rows(path, fmt, sheet))
    labels, blank_hdr, repeated, names = header_labels(layout.header)
    prof, shape = Profiler(names, schema, max_rows), Shape()
    count_short = fmt == "json"  # spreadsheet rows end at their last filled cell
    for batch in batched((fit_row(r, len(names), shape, count_short) for r in layout.body), names):
        if not prof.add(batch):
            break
    return finish(fmt, "utf-8" if fmt == "json" else None, labels, blank_hdr, repeated, names, prof, shape,
                   layout.header_row, layout.notes_above, layout.notes_below,
                   notes=(layout.notes_above_text, layout.notes_below_text))


def _profile_csv(path: str, fmt: str, encoding: str | None, schema, max_rows) -> TableProfile:
    layout = csv_layout(path, encoding, fmt)
    labels, blank_hdr, repeated, names = header_labels(layout.header)
    block_size, retried = BLOCK_BYTES, set()
    while True:
        prof, shape = Profiler(names, schema, max_rows), Shape()
        try:
            for batch in arrow_csv_batches(path, layout, names, shape, block_size):
                if not prof.add(batch):
                    break
            break
        except pa.ArrowInvalid as exc:
            message = str(exc).lower().replace("-", "")
            if "utf8" in message and "encoding" not in retried:
                # bytes beyond the sampled start that are not valid in the detected encoding: the
                # file is not what its start suggested; read it as Latin-1, which decodes any byte
                retried.add("encoding")
                layout.encoding = layout.label = "latin-1"
            elif "straddl" in message and "block" not in retried:
                retried.add("block")  # one cell longer than a block: read in blocks big enough for it
                block_size = 64 << 20
            else:
                raise TableError("unreadable", f"The CSV file cannot be parsed: {exc}") from exc
    body_rows = prof.rows if not prof.truncated else None
    below: list[int] = []
    below_text: list[str] = []
    if layout.footer_rows and body_rows is not None:
        first = layout.header_row + 1 + body_rows
        below, below_text = nonblank_footer(path, layout, list(range(first, first + layout.footer_rows)))
    return finish(fmt, layout.label, labels, blank_hdr, repeated, names, prof, shape,
                   layout.header_row, layout.notes_above, below, notes=(layout.notes_above_text, below_text))
