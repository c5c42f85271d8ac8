"""A distribution's table converted to CSV, JSON, XML and Turtle, streamed in bounded memory.

Pure conversion: record batches in (``quality.tabular.read_table`` gives the cleaned table between
the notes rows, decoded, as string batches), chunks of UTF-8 bytes out. Nothing here touches the
database or Flask, so the writers can be tested on their own and reused by the CLI.

Why typed values: the four formats must say the same thing. Each column gets one Table Schema type
(declared in the distribution's Table Schema, else inferred from the first 100 rows with
frictionless's rules, ``quality.tabular.infer_type``) and every cell is normalised once
(``Cell``): a valid cell carries the column's type and a canonical lexical form (``+7`` -> ``7``,
``1.5e3`` -> ``1500``, ``2024-1-5`` -> ``2024-01-05``) that is also a valid XSD literal; a cell that
does not read as its column's type stays the string it was, typed ``string`` in every format (the
way a CSVW processor keeps an invalid cell's string value). An empty cell is a missing value: null
in JSON, an empty ``cell`` in XML, no triple in RDF. Integers written with a leading zero (``0571``,
a code, not a quantity) are never read as integers, so no digit is lost.

RDF follows CSV on the Web (csv2rdf minimal mode): row n of the table is the resource
``<base>/row/<n>`` and each column is the property ``<base>/column/<slug>``; the CSVW metadata
document (``csvw_metadata``) states the same templates, so a CSVW processor reading our CSV
with it produces the same triples as our Turtle.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import chain
from urllib.parse import quote, unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plumbing.xmlchars import XML_ILLEGAL
from quality import pii, tabular
from quality.tabular import arrow as tabular_arrow

CHUNK_CHARS = 64 * 1024  # text gathered before a chunk is sent
BATCH_ROWS = 5_000  # rows per record batch read from the file
INFER_ROWS = tabular.INFER_ROWS

#: Table Schema type -> XSD datatype (the CSVW datatype name is the same local name).
XSD_TYPES = {"integer": "integer", "number": "decimal", "boolean": "boolean", "date": "date",
             "datetime": "dateTime", "time": "time", "yearmonth": "gYearMonth", "year": "gYear",
             "string": "string"}
#: Table Schema type -> CKAN DataStore field type.
CKAN_TYPES = {"integer": "int", "number": "numeric", "boolean": "bool", "date": "date", "datetime": "timestamp",
              "time": "time", "yearmonth": "text", "year": "int", "string": "text"}
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Column:
    name: str  # the cleaned header label (read_table's batch field name)
    title: str  # the label to show (the declared Table Schema title, else the name)
    type: str  # a key of XSD_TYPES
    slug: str  # URI path segment, unique in the table, percent-encoded
    fdesc: dict = field(default_factory=dict, compare=False)  # declared field options (format, groupChar ...)

    @property
    def csvw_name(self) -> str:
        """A CSVW column name: only [A-Za-z0-9_] and %XX, not starting with '_'."""
        out = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "".join(f"%{b:02X}" for b in c.encode())
                      for c in unquote(self.slug))
        return "c" + out if out.startswith("_") else out


@dataclass
class Values:
    """One column of a batch, normalised: ``texts`` holds each cell's canonical lexical form (None when
    the cell is missing); ``strings`` the row indexes of cells that do not read as the column's type and
    are kept as the text they were (typed ``string``)."""

    texts: list[str | None]
    strings: frozenset[int] = frozenset()


class Table:
    """Columns plus the rows, read once, lazily, batch by batch (``normalised()``)."""

    def __init__(self, columns: list[Column], batches: Iterable[pa.RecordBatch]):
        self.columns = columns
        self._batches = iter(batches)
        self._used = False

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._used:
            raise RuntimeError("a Table's rows can be read once")
        self._used = True
        return self._batches

    def normalised(self) -> Iterator[list[Values]]:
        """Per batch, the normalised values of every column."""
        for batch in self.batches():
            yield normalise_batch(batch, self.columns)

    def close(self) -> None:
        close = getattr(self._batches, "close", None)
        if close:
            close()


# --------------------------------------------------------------------------- masking

MASK = tabular.REDACTED  # what a masked cell reads, as in the dataset page's preview


def masked(table: Table, columns: Iterable[str]) -> Table:
    """`table` with personal data masked as its rows stream: every filled cell of the flagged `columns`
    (typed ``string`` from then on, so every format says the same), and any other cell where
    ``quality.pii.mask_array`` finds personal data. A flagged column the table does not have means the facts
    do not describe this file: ValueError (the caller withholds rather than serve unmasked data)."""
    flagged = set(columns)
    missing = flagged - {c.name for c in table.columns}
    if missing:
        raise ValueError(f"the personal-data facts name columns this table does not have: {sorted(missing)}")
    out_columns = [replace(c, type="string", fdesc={}) if c.name in flagged else c for c in table.columns]

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in table.batches():
                arrays = []
                for column, arr in zip(table.columns, batch.columns, strict=True):
                    if column.name in flagged:
                        hide = tabular_arrow.booleans(pc.greater(pc.binary_length(arr), tabular_arrow.ZERO))
                    else:
                        hide = pii.mask_array(arr)
                    if hide.any():
                        arr = pc.if_else(tabular_arrow.from_booleans(hide), tabular_arrow.text(MASK, arr.type), arr)
                    arrays.append(arr)
                yield pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
        finally:
            table.close()

    return Table(out_columns, batches())


# --------------------------------------------------------------------------- reading


def open_table(path, *, format: str | None = None, encoding: str | None = None, schema: dict | None = None,
               batch_rows: int = BATCH_ROWS) -> Table:
    """The table of a tabular file with its typed columns; raises ``quality.tabular.TableError`` at once
    (before any byte is sent) when the file cannot be read as a table. A header without rows is a table of
    its columns and no rows (typed ``string`` unless ``schema`` declares them: no cell to infer a type from).

    ``format`` is the sniffed format code (CSV, XLS ...); ``encoding`` the detected encoding (GBK is
    read as GB18030, its superset); ``schema`` a declared Table Schema whose field names match the header.
    """
    fmt = format.lower() if format else None
    with _named_for_reader(os.fspath(path), fmt) as readable:
        batches = tabular.read_table(readable, format=fmt, batch_rows=batch_rows, header=True,
                                     encoding=encoding if fmt in ("csv", "tsv", "psv") else None)
        try:
            first = next(batches, None)
        except tabular.TableError:
            raise
        except Exception as exc:  # noqa: BLE001 - spreadsheet and JSON libraries raise many kinds
            raise tabular.TableError("unreadable", f"The file cannot be read as {fmt or 'a table'}: {exc}") from exc
    if first is None:  # the readers refuse a file without a header themselves; kept for any other
        raise tabular.TableError("empty", "The table has no header.")
    return Table(_known_columns(path, first, fmt, encoding, batch_rows, schema), chain([first], batches))


#: The typed columns of the files last opened, by the file (path, inode, size, modification time) and how it was
#: read: inferring a column's type from its first rows was about 40% of the CPU of a download converted to CSV,
#: and the same archived copies (named by their hash, never rewritten) are served again and again.
_KNOWN_COLUMNS: OrderedDict[tuple, list[Column]] = OrderedDict()
_KNOWN_LIMIT = 512
_known_lock = threading.Lock()


def _known_columns(path, first: pa.RecordBatch, fmt: str | None, encoding: str | None, batch_rows: int,
                   schema: dict | None) -> list[Column]:
    """`table_columns(first, schema)`, kept for the file at `path` read this way (see above)."""
    try:
        st = os.stat(path)
        key = (os.fspath(path), st.st_ino, st.st_size, st.st_mtime_ns, fmt, encoding, batch_rows,
               json.dumps(schema, sort_keys=True, default=str), tuple(first.schema.names))
    except (OSError, TypeError, ValueError):
        return table_columns(first, schema)
    with _known_lock:
        known = _KNOWN_COLUMNS.get(key)
        if known is not None:
            _KNOWN_COLUMNS.move_to_end(key)
    if known is None:
        known = table_columns(first, schema)
        with _known_lock:
            _KNOWN_COLUMNS[key] = known
            while len(_KNOWN_COLUMNS) > _KNOWN_LIMIT:
                _KNOWN_COLUMNS.popitem(last=False)
    return [replace(c, fdesc=dict(c.fdesc)) for c in known]  # a caller's options are its own


@contextmanager
def _named_for_reader(path: str, fmt: str | None):
    """Adapter for ``read_table`` on archived copies, which are named by their hash: openpyxl refuses a
    file whose name does not end in .xlsx, so an XLSX is given a temporary link with that suffix. The
    link may go once the first batch is read, as spreadsheets are read whole at that point."""
    if fmt != "xlsx" or path.lower().endswith((".xlsx", ".xlsm")):
        yield path
        return
    folder = tempfile.mkdtemp(prefix="opendata-table-")
    link = os.path.join(folder, "table.xlsx")
    try:
        try:
            os.symlink(os.path.abspath(path), link)
        except OSError:
            shutil.copyfile(path, link)
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def table_columns(sample: pa.RecordBatch, schema: dict | None = None) -> list[Column]:
    """Columns of a table from its first batch: declared types and titles where a Table Schema names
    the column, else the type frictionless infers from the first rows."""
    declared = {f.get("name"): f for f in (schema or {}).get("fields") or [] if isinstance(f, dict)}
    head = sample.slice(0, INFER_ROWS)
    fdescs = []
    for name in sample.schema.names:
        fdesc = declared.get(name) or {}
        fdescs.append(fdesc if fdesc.get("type") in XSD_TYPES else None)
    undeclared = [j for j, fdesc in enumerate(fdescs) if fdesc is None]
    inferred = dict(zip(undeclared, infer_column_types([head.column(j) for j in undeclared]), strict=True))
    columns: list[Column] = []
    used: set[str] = set()
    for j, name in enumerate(sample.schema.names):
        fdesc = fdescs[j] or {}
        ftype = inferred[j] if fdescs[j] is None else fdesc["type"]
        slug = unique_slug(column_slug(name), used)
        columns.append(Column(name=name, title=str(fdesc.get("title") or name), type=ftype, slug=slug,
                              fdesc={k: v for k, v in fdesc.items() if k in _FIELD_OPTIONS}))
    return columns


_FIELD_OPTIONS = ("format", "groupChar", "decimalChar", "bareNumber", "trueValues", "falseValues")
_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")


def infer_column_type(col: pa.Array) -> str:
    """frictionless's inference on the sample, except that integers written with a leading zero make
    the column a string column (codes such as 0571 would otherwise lose their zero)."""
    return infer_column_types([col])[0]


def infer_column_types(cols: list[pa.Array]) -> list[str]:
    """`infer_column_type` of each sample column, by `quality.tabular.infer_types` (one validity pass per candidate
    over all the columns, as the profiler infers them; a changed file's load into the row store finds the answer
    its profile kept, when the missing cells are the same: no cell of only spaces)."""
    strings = [c if c.type == pa.string() else c.cast(pa.string()) for c in cols]
    values = [s.to_pylist() for s in strings]
    missing = [np.array([v is None or v.strip() == "" for v in vals], dtype=bool) for vals in values]
    out = []
    for ftype, vals in zip(tabular.infer_types(strings, missing), values, strict=True):
        if ftype in ("integer", "number", "year") and any(map(_LEADING_ZERO.match, filter(None, vals))):
            ftype = "string"
        out.append(ftype if ftype in XSD_TYPES else "string")
    return out


def column_slug(name: str) -> str:
    """A readable URI path segment for a column name (letters of any script kept, lower-cased)."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = re.sub(r"[^\w.~-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    return text or "column"


def unique_slug(slug: str, used: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in used:
        n += 1
        candidate = f"{slug}-{n}"
    used.add(candidate)
    return quote(candidate, safe="-._~")


# --------------------------------------------------------------------------- normalising cells


#: Lexical forms that are already canonical (and valid JSON numbers and XSD literals): kept as they are.
_CANONICAL = {"integer": r"^-?(0|[1-9][0-9]*)$", "number": r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$",
              "boolean": r"^(true|false)$", "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
              "time": r"^[0-9]{2}:[0-9]{2}:[0-9]{2}$", "yearmonth": r"^[0-9]{4}-[0-9]{2}$", "year": r"^[0-9]{4}$"}


def normalise_batch(batch: pa.RecordBatch, columns: list[Column]) -> list[Values]:
    """Every column of the batch normalised. Validity is decided per column with frictionless's vectorised
    readers (``quality.tabular.valid_mask``); cells already in canonical form are found by one vectorised
    match, so only the others (``+7``, ``2024-1-5``, ``约1200``) are looked at one by one in Python."""
    out = []
    for column, arr in zip(columns, batch.columns, strict=True):
        values = arr.to_pylist()
        texts = [v if v else None for v in values]  # "" is frictionless's missing value
        if column.type == "string":
            out.append(Values(texts))
            continue
        valid, canonical = _valid_and_canonical(arr, column)
        strings = []
        for i in np.flatnonzero(~canonical).tolist():
            value = values[i]
            if not value:
                continue
            text = None
            if valid[i]:
                try:
                    text = _NORMALISE[column.type](value, column.fdesc)
                except (ValueError, ArithmeticError):
                    text = None
            if text is None:
                strings.append(i)
            else:
                texts[i] = text
        out.append(Values(texts, frozenset(strings)))
    return out


def _valid_and_canonical(arr: pa.Array, column: Column) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: whether it is a valid value of the column's type, and whether it is already written the
    canonical way (then nothing needs normalising; a column with a format pattern is never taken as such)."""
    valid = tabular.valid_mask(arr, column.type, column.fdesc or None)
    pattern = _CANONICAL.get(column.type)
    if pattern and not column.fdesc:
        # (booleans read from arrow's bits: `to_numpy()` on a boolean array imports pandas, 0.4-0.7 s, on a
        # worker's first download)
        return valid, valid & tabular_arrow.booleans(pc.match_substring_regex(arr, pattern))
    return valid, np.zeros(len(arr), dtype=bool)


_NULL_TEXT = pa.nulls(1, pa.string())[0]


def normalise_arrays(batch: pa.RecordBatch, columns: list[Column]) -> list[tuple[pa.Array, bool]]:
    """`normalise_batch` as Arrow arrays, for the row store: per column, the canonical texts (null where the
    cell is missing) and whether any cell stays the string it was. Columns whose filled cells are all in
    canonical form (most of them) are never turned into Python values; only the other cells are normalised
    one by one, as `normalise_batch` does."""
    out = []
    for column, arr in zip(columns, batch.columns, strict=True):
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if not pa.types.is_string(arr.type):
            arr = pc.cast(arr, pa.string())
        mask = pc.fill_null(pc.greater(pc.binary_length(arr), tabular_arrow.ZERO32), False)
        filled = tabular_arrow.booleans(mask)
        texts = arr if filled.all() else pc.if_else(mask, arr, _NULL_TEXT)
        if column.type == "string":
            out.append((texts, False))
            continue
        valid, canonical = _valid_and_canonical(arr, column)
        others = np.flatnonzero(filled & ~canonical).tolist()
        if not others:
            out.append((texts, False))
            continue
        values = texts.to_pylist()
        strings = False
        for i in others:
            text = None
            if valid[i]:
                try:
                    text = _NORMALISE[column.type](values[i], column.fdesc)
                except (ValueError, ArithmeticError):
                    text = None
            if text is None:
                strings = True
            else:
                values[i] = text
        out.append((pa.array(values, pa.string()), strings))
    return out


def _number_text(value: str, fdesc: dict) -> str:
    v = value.strip()
    if fdesc.get("groupChar"):
        v = v.replace(fdesc["groupChar"], "")
    if fdesc.get("decimalChar", ".") != ".":
        v = v.replace(fdesc["decimalChar"], ".")
    if fdesc.get("bareNumber", True) is False:
        v = re.sub(r"^[^-\d.]*|[^\d.]*$", "", v)
    return v.replace("_", "")


def _integer(value: str, fdesc: dict) -> str | None:
    v = _number_text(value, fdesc)
    if _LEADING_ZERO.match(v):
        return None
    return str(int(v))


def _decimal(value: str, fdesc: dict) -> str | None:
    try:
        d = Decimal(_number_text(value, fdesc))
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None  # inf and nan have no xsd:decimal form: kept as the string they were
    return format(d, "f")


def _boolean(value: str, fdesc: dict) -> str | None:
    if value in fdesc.get("trueValues", tabular.TRUE_VALUES):
        return "true"
    if value in fdesc.get("falseValues", tabular.FALSE_VALUES):
        return "false"
    return None


def _strptime(value: str, fdesc: dict) -> dt.datetime | None:
    fmt = fdesc.get("format")
    if fmt and fmt not in ("default", "any"):
        return dt.datetime.strptime(value, fmt)
    return None


def _date(value: str, fdesc: dict) -> str:
    parsed = _strptime(value, fdesc)
    if parsed is not None:
        return parsed.date().isoformat()
    y, m, d = value.strip().split("-")
    return dt.date(int(y), int(m), int(d)).isoformat()


def _datetime(value: str, fdesc: dict) -> str:
    parsed = _strptime(value, fdesc)
    if parsed is not None:
        return parsed.isoformat()
    # every spelling the type check takes (quality.tabular.celltypes), as frictionless reads it: 24:00:00 is the
    # next midnight, a fraction after "," or of more than six digits, "z", any ASCII character before the time.
    # Imported here: 35 ms, paid by the first table with a date-time column, not by every worker's first download.
    from dateutil.parser import isoparse

    return isoparse(value.strip()).isoformat()


def _time(value: str, fdesc: dict) -> str:
    parsed = _strptime(value, fdesc)
    if parsed is not None:
        return parsed.time().isoformat()
    h, m, s = value.strip().split(":")
    return f"{int(h):02d}:{int(m):02d}:{int(s):02d}" if int(s) < 60 else value.strip()


def _yearmonth(value: str, fdesc: dict) -> str:
    y, m = value.strip().split("-")
    return f"{int(y):04d}-{int(m):02d}"


def _year(value: str, fdesc: dict) -> str:
    return f"{int(value.strip()):04d}"


_NORMALISE: dict[str, Callable[[str, dict], str | None]] = {
    "integer": _integer, "number": _decimal, "boolean": _boolean, "date": _date, "datetime": _datetime,
    "time": _time, "yearmonth": _yearmonth, "year": _year}


# --------------------------------------------------------------------------- writers


def _chunks(parts: Iterable[str]) -> Iterator[bytes]:
    """Gather small strings into chunks of about CHUNK_CHARS, encoded as UTF-8."""
    buf: list[str] = []
    size = 0
    for part in parts:
        buf.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8")


def to_csv(table: Table) -> Iterator[bytes]:
    """CSV in UTF-8 (no BOM), a header of the column names, CRLF line ends (RFC 4180), normalised cells."""
    def parts() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.name for c in table.columns])
        for values in table.normalised():
            writer.writerows(zip(*(v.texts for v in values), strict=True))  # None is written as ""
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()
    return _chunks(parts())


def _dumps(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _json_fragments(key: str, column: Column, values: Values) -> list[str]:
    """``"name":value`` for every cell of a column: numbers and booleans bare, the rest as JSON strings, and an
    integer a double cannot hold exactly (beyond 2**53 - 1: an 18-digit code) as its digits in a string."""
    if column.type in ("integer", "number", "boolean"):
        bad = values.strings
        return [key + ("null" if t is None else (_dumps(t) if i in bad or _unsafe_integer(column, t) else t))
                for i, t in enumerate(values.texts)]
    return [key + ("null" if t is None else _dumps(t)) for t in values.texts]


#: The largest integer a JSON reader holding numbers as doubles (JavaScript, most JSON libraries by default) keeps
#: exactly: 2**53 - 1. An 18-digit code in a column of integers (a resident ID, an order number) came out as a JSON
#: number, and 110101199003071233 read back as 110101199003071230. data.json here, and the rows' JSON doors
#: (app/datastore/query.py `plain`), write a bigger one as its digits in a string.
MAX_SAFE_INTEGER = 2**53 - 1


def _unsafe_integer(column: Column, text: str) -> bool:
    return column.type == "integer" and len(text) > 15 and abs(int(text)) > MAX_SAFE_INTEGER


def to_json(table: Table, *, limit: int | None, offset: int = 0,
            page_url: Callable[[int], str] | None = None) -> Iterator[bytes]:
    """CKAN DataStore's ``datastore_search`` shape: ``fields`` (id, CKAN type, Table Schema type),
    ``records`` (objects keyed by column name), ``total`` rows of the whole table, the paging
    (``limit`` null when everything is sent) and ``_links`` (``start``, ``next``: null on the last page).
    ``total`` and ``_links`` come after the records, so the page streams without a counting pass."""
    def parts() -> Iterator[str]:
        fields = [{"id": c.name, "type": CKAN_TYPES[c.type], "schema_type": c.type, "title": c.title}
                  for c in table.columns]
        keys = [_dumps(c.name) + ":" for c in table.columns]
        yield '{"fields":' + _dumps(fields)
        yield f',"limit":{"null" if limit is None else limit},"offset":{offset},"records":['
        total = 0
        end = None if limit is None else offset + limit
        first = True
        for batch in table.batches():
            start, stop = total, total + batch.num_rows
            total = stop
            lo, hi = max(start, offset), stop if end is None else min(stop, end)
            if lo >= hi:
                continue  # outside the page: only counted
            values = normalise_batch(batch.slice(lo - start, hi - lo), table.columns)
            frags = [_json_fragments(k, c, v) for k, c, v in zip(keys, table.columns, values, strict=True)]
            records = ",".join("{" + ",".join(row) + "}" for row in zip(*frags, strict=True))
            yield ("" if first else ",") + records
            first = False
        has_next = end is not None and end < total and limit > 0  # limit=0 asks the total: its next was itself
        links = {"start": page_url(0) if page_url else None,
                 "next": page_url(end) if page_url and has_next else None}
        yield f'],"total":{total},"_links":' + _dumps(links) + "}"
    return _chunks(parts())


def xml_text(text: str) -> str:
    """Text safe in an XML 1.0 element: characters XML cannot carry removed, markup escaped."""
    text = XML_ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    return '"' + xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;") \
        .replace("\t", "&#9;") + '"'


def _xml_fragments(column: Column, values: Values) -> list[str]:
    name = xml_attr(column.name)
    typed, plain = f'<cell name={name} type="{column.type}"', f'<cell name={name} type="string"'
    bad = values.strings
    return [typed + "/>" if t is None else (plain if i in bad else typed) + ">" + xml_text(t) + "</cell>"
            for i, t in enumerate(values.texts)]


def to_xml(table: Table) -> Iterator[bytes]:
    """``<table><row n="1"><cell name=".." type="integer">..</cell>..</row></table>``: one cell per
    column in header order, the cell's type as in the other formats, an empty cell for a missing value."""
    def parts() -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<table>\n'
        n = 0
        for values in table.normalised():
            frags = [_xml_fragments(c, v) for c, v in zip(table.columns, values, strict=True)]
            rows = []
            for row in zip(*frags, strict=True):
                n += 1
                rows.append(f'<row n="{n}">' + "".join(row) + "</row>\n")
            yield "".join(rows)
        yield "</table>\n"
    return _chunks(parts())


_TTL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TTL_SPECIAL = re.compile(r'["\\\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]')


def turtle_string(text: str) -> str:
    """A Turtle string literal: quotes, backslashes and control characters escaped."""
    def esc(m: re.Match) -> str:
        ch = m.group(0)
        if ch in _TTL_ESCAPES:
            return _TTL_ESCAPES[ch]
        if "\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff":
            return "\\uFFFD"
        return f"\\u{ord(ch):04X}"
    return '"' + _TTL_SPECIAL.sub(esc, text) + '"'


def _turtle_fragments(column: Column, values: Values) -> list[str | None]:
    """``<column/slug> "lexical"^^xsd:type`` per filled cell, None for a missing one."""
    prop = f"<column/{column.slug}> "
    suffix = "" if column.type == "string" else f"^^xsd:{XSD_TYPES[column.type]}"
    bad = values.strings
    return [None if t is None else prop + turtle_string(t) + ("" if i in bad else suffix)
            for i, t in enumerate(values.texts)]


def row_uri(base: str, n: int) -> str:
    return f"{base}/row/{n}"


def column_uri(base: str, column: Column) -> str:
    return f"{base}/column/{column.slug}"


def to_turtle(table: Table, *, base: str) -> Iterator[bytes]:
    """Turtle per CSV on the Web (minimal mode): ``<base/row/n>`` has one property ``<base/column/slug>``
    per filled cell, typed with the column's XSD datatype. ``base`` is the distribution's absolute URI,
    written once as ``@base`` so the rows' relative IRIs stay short."""
    def parts() -> Iterator[str]:
        yield f"@base <{base}/> .\n@prefix xsd: <{XSD}> .\n\n"
        n = 0
        for values in table.normalised():
            frags = [_turtle_fragments(c, v) for c, v in zip(table.columns, values, strict=True)]
            rows = []
            for row in zip(*frags, strict=True):
                n += 1
                pairs = [f for f in row if f is not None]
                if not pairs:  # cannot happen with blank rows skipped; keep the row a resource anyway
                    pairs = [f"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{CSVW}Row>"]
                rows.append(f"<row/{n}> " + " ;\n    ".join(pairs) + " .\n")
            yield "".join(rows)
    return _chunks(parts())


CSVW = "http://www.w3.org/ns/csvw#"


def columns_every_cell_fits(table: Table) -> list[Column]:
    """The table's columns, each typed ``string`` where a cell does not read as the column's type.

    Types come from the first rows; a later ``约1200`` in a decimal column is served as the text it is.
    CSVW gives a column one datatype that every cell must satisfy, so its metadata declares such a
    column a string. Reads the whole table, a batch at a time."""
    loose: set[int] = set()
    for values in table.normalised():
        loose.update(i for i, v in enumerate(values) if v.strings)
    return [replace(c, type="string", fdesc={}) if i in loose else c for i, c in enumerate(table.columns)]


def csvw_metadata(columns: list[Column], *, base: str, csv_url: str, title: str | None = None,
                  licence: str | None = None, described: dict[str, dict] | None = None) -> dict:
    """The CSVW metadata document of ``data.csv``: the columns with their titles and datatypes, and the
    aboutUrl/propertyUrl templates that give the same URIs as ``to_turtle``. ``described``: the data
    dictionary's fields by column name, whose title, description and unit each column carries (the title first in
    ``titles``, before the header's own label; ``dc:description``, ``schema:unitText``)."""
    doc: dict = {"@context": "http://www.w3.org/ns/csvw", "url": csv_url}
    if title:
        doc["dc:title"] = title
    if licence:
        doc["dc:license"] = {"@id": licence} if licence.startswith(("http://", "https://")) else licence
    doc["dialect"] = {"encoding": "utf-8", "header": True, "lineTerminators": ["\r\n"]}
    cols = []
    for c in columns:
        said = (described or {}).get(c.name) or {}
        titles = list(dict.fromkeys(t for t in (said.get("title"), c.title, c.name) if isinstance(t, str) and t))
        col = {"name": c.csvw_name, "titles": titles[0] if len(titles) == 1 else titles,
               "datatype": XSD_TYPES[c.type], "propertyUrl": column_uri(base, c)}
        if said.get("description"):
            col["dc:description"] = said["description"]
        if said.get("unit"):
            col["schema:unitText"] = said["unit"]
        cols.append(col)
    doc["tableSchema"] = {"aboutUrl": f"{base}/row/{{_row}}", "columns": cols}
    return doc
