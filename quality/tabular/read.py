"""``read_table``: the clean table between the notes rows, as string record batches in file order."""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from plumbing.bombs import archive_bomb
from quality.sniff import sniff
from quality.tabular.batches import fitted_batches, rows_to_batch
from quality.tabular.csvfile import Irregular, arrow_csv_rows, csv_layout, python_csv_rows
from quality.tabular.encoding import as_utf8
from quality.tabular.formats import table_format
from quality.tabular.layout import header_labels, row_layout
from quality.tabular.model import ROW_BATCH, TableError
from quality.tabular.sheets import sheet_rows

#: Extensions of the members of a ZIP that are read as its table, in order of preference.
ZIP_TABLE_EXTENSIONS = (".csv", ".tsv", ".tab", ".psv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".json",
                        ".geojson")


class _Kept:
    """Tables read whole in this context, by the file and how it was read, least recently used out past `limit`
    bytes; a table over `one` bytes is not kept."""

    def __init__(self, limit: int, one: int) -> None:
        self.limit, self.one = limit, one
        self.tables: OrderedDict[tuple, pa.Table] = OrderedDict()
        self.bytes = 0

    def get(self, key: tuple) -> pa.Table | None:
        table = self.tables.get(key)
        if table is not None:
            self.tables.move_to_end(key)
        return table

    def put(self, key: tuple, table: pa.Table) -> None:
        if table.nbytes > self.one or key in self.tables:
            return
        self.tables[key] = table
        self.bytes += table.nbytes
        while self.bytes > self.limit:
            _, gone = self.tables.popitem(last=False)
            self.bytes -= gone.nbytes


_KEPT: contextvars.ContextVar[_Kept | None] = contextvars.ContextVar("quality_tables_kept", default=None)


@contextmanager
def tables_kept(limit: int = 64 << 20, one: int = 16 << 20):
    """Within it, a table `read_table` reads to its end is kept (up to `limit` bytes in all, tables of at most
    `one` bytes), and read from memory when the same file is read the same way again: an assessment compares a
    changed file with the version before and then loads it into the row store, two reads of the same copy. Only
    the thread (context) that entered it keeps tables; a file changed on disk is a new key (size, time, inode)."""
    token = _KEPT.set(_Kept(limit, one))
    try:
        yield
    finally:
        _KEPT.reset(token)


def read_table(path, *, format: str | None = None, encoding: str | None = None, sheet: int | str = 0,
               skip_blank_rows: bool = True, batch_rows: int = ROW_BATCH,
               header: bool = False) -> Iterator[pa.RecordBatch]:
    """The table between the notes rows as string record batches named by the cleaned header
    (blank labels become ``field<n>``, repeated ones ``name2``), in file order, in bounded memory.
    Rows are padded or cut to the header's width. ``format="zip"`` reads the first table inside the ZIP
    (``zip_member``); ``format="geojson"`` the features' properties; ``format="xml"`` the records of a
    record-oriented XML file (``quality.tabular.xmltable``). Inside `tables_kept`, a table read before is
    given from memory, in batches of `batch_rows` rows as read.

    A table with a header and no rows gives no batch, or with `header` one batch of no rows that names its
    columns (a template published before its data: the row store and the conversions serve its columns); a
    file with no header at all raises TableError ("empty")."""
    kept = _KEPT.get()
    key = None
    if kept is not None:
        try:
            st = os.stat(path)
            key = (os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ino, format, encoding, sheet, skip_blank_rows)
        except OSError:
            key = None
    if key is None:
        yield from _read_table(path, format=format, encoding=encoding, sheet=sheet, skip_blank_rows=skip_blank_rows,
                               batch_rows=batch_rows, header=header)
        return
    table = kept.get(key)
    if table is not None:
        yield from table.to_batches(max_chunksize=batch_rows)
        return
    batches: list[pa.RecordBatch] | None = []
    size = 0
    for batch in _read_table(path, format=format, encoding=encoding, sheet=sheet, skip_blank_rows=skip_blank_rows,
                             batch_rows=batch_rows, header=header):
        if batches is not None and batch.num_rows:  # a header's batch of no rows is not kept: read again
            size += batch.nbytes
            if size <= kept.one:
                batches.append(batch)
            else:  # too big to keep: not held either
                batches = None
        yield batch
    if batches:  # read to its end (a reader that stopped early never comes back here)
        try:
            kept.put(key, pa.Table.from_batches(batches).combine_chunks())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # batches of other columns or types: not kept
            pass


def _read_table(path, *, format: str | None, encoding: str | None, sheet: int | str, skip_blank_rows: bool,
                batch_rows: int, header: bool = False) -> Iterator[pa.RecordBatch]:
    path = os.fspath(path)
    fmt = table_format(path, format)
    if fmt == "zip":
        yield from _zipped_table(path, sheet=sheet, skip_blank_rows=skip_blank_rows, batch_rows=batch_rows,
                                 header=header)
    elif fmt in ("csv", "tsv", "psv"):
        with as_utf8(path, encoding) as (src, enc, _):
            layout = csv_layout(src, enc, fmt)
            names = header_labels(layout.header)[3]
            yield from _or_header(_csv_batches(src, layout, names, skip_blank_rows, batch_rows), names, header)
    else:
        rl = row_layout(sheet_rows(path, fmt, sheet))
        names = header_labels(rl.header)[3]
        yield from _or_header(fitted_batches(iter(rl.body), names, skip_blank_rows, batch_rows), names, header)


def _or_header(batches: Iterator[pa.RecordBatch], names: list[str], header: bool) -> Iterator[pa.RecordBatch]:
    """`batches`; when they hold no row and `header` is asked, one batch of no rows with the header's `names`."""
    rows = 0
    for batch in batches:
        rows += batch.num_rows
        yield batch
    if header and not rows:
        yield rows_to_batch([], names)


def _csv_batches(path: str, layout, names: list[str], skip_blank_rows: bool,
                 batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The body through pyarrow's reader while it reads it as Python's csv module would (`arrow_csv_rows`),
    then, from the first irregular row on, through Python's reader; in batches of `batch_rows` rows either way."""
    done = 0
    try:
        yield from rebatched(arrow_csv_rows(path, layout, names, skip_blank_rows), batch_rows)
        return
    except Irregular as exc:
        done = exc.rows
    yield from fitted_batches(python_csv_rows(path, layout), names, skip_blank_rows, batch_rows, skip=done)


def rebatched(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The rows of `batches` again, in batches of exactly `size` rows (the last one shorter). Rows are only
    given out in whole batches, so a reader that stops with `Irregular` has given out a multiple of `size`:
    the rows held back are read again by the reader that takes over."""
    held: list[pa.RecordBatch] = []
    count = 0
    try:
        for batch in batches:
            held.append(batch)
            count += batch.num_rows
            while count >= size:
                table = pa.Table.from_batches(held).combine_chunks()
                yield _one_batch(table.slice(0, size))
                rest = table.slice(size)
                held = [_one_batch(rest)] if rest.num_rows else []
                count = rest.num_rows
    except Irregular as exc:
        raise Irregular(exc.rows - count) from exc
    if count:
        yield _one_batch(pa.Table.from_batches(held).combine_chunks())


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], names=table.schema.names)


def zip_member(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The member of a ZIP read as its table: the first file (by the order of ZIP_TABLE_EXTENSIONS, then by
    name) with a table's extension. TableError when the archive holds none, or is a bomb."""
    infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
             and not os.path.basename(i.filename).startswith(".")]
    bomb = archive_bomb((i.filename, i.file_size, i.compress_size) for i in infos)
    if bomb is not None:
        raise TableError("unreadable", f"The ZIP archive is a zip bomb ({bomb['member']}: {bomb['ratio']}:1).")
    ranked = sorted((ZIP_TABLE_EXTENSIONS.index(os.path.splitext(i.filename.lower())[1]), i.filename, i)
                    for i in infos if os.path.splitext(i.filename.lower())[1] in ZIP_TABLE_EXTENSIONS)
    if not ranked:
        raise TableError("unsupported-format", "The ZIP archive holds no table (CSV, TSV, XLS, XLSX, ODS, JSON "
                                               "or GeoJSON file).")
    return ranked[0][2]


def _is_geojson(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    return (sniff(head, filename=os.path.basename(path)).format or "").upper() == "GEOJSON"


@contextmanager
def zip_table_copy(path: str) -> Iterator[str]:
    """The ZIP's table member (`zip_member`) copied out to a temporary file named like it (so its extension
    says how to read it); the copy is removed afterwards. TableError when the archive cannot be read."""
    folder = tempfile.mkdtemp(prefix="opendata-zip-")
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                info = zip_member(zf)
                member = os.path.join(folder, "table" + os.path.splitext(info.filename.lower())[1])
                with zf.open(info) as src, open(member, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:  # encrypted: RuntimeError
            raise TableError("unreadable", f"The ZIP archive cannot be read: {exc}") from exc
        yield member
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def zipped_is_geojson(member: str) -> bool:
    """Is this member copied out of a ZIP a GeoJSON file (read as its features' properties)?"""
    return member.endswith((".json", ".geojson")) and _is_geojson(member)


def _zipped_table(path: str, **kwargs) -> Iterator[pa.RecordBatch]:
    """The table of the ZIP's first table member, read in order (see `zip_table_copy`)."""
    with zip_table_copy(path) as member:
        fmt = "geojson" if zipped_is_geojson(member) else None
        yield from _read_table(member, format=fmt, encoding=None, **kwargs)
