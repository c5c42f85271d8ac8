"""Data-level profiling of tabular distributions (design 5.3), with frictionless semantics and a fast path.

What it measures, per file: completeness (missing cells per column), validity (cells that do not
match the column's Table Schema type, declared or inferred), uniqueness (duplicate rows and
primary keys), structure (blank and duplicate header labels, blank rows, extra and missing cells,
notes rows above and below the table), the text encoding, and personal data (``quality.pii``).

The counts follow frictionless (Table Schema types, its error names and its rules: a missing value
is an empty cell, ``extra-cell`` and ``missing-cell`` are per cell, a blank row is one whose cells
are all empty, a duplicate row equals an earlier one on the header's fields, types are inferred
from the first 100 rows with frictionless's scoring) so our figures can be checked against
``frictionless validate`` on the same file. They differ where frictionless looks at typed values:
``01`` and ``1`` are one integer to frictionless but two strings to our duplicate-row and
primary-key checks, and frictionless counts cells that failed their type (read as null) as equal.

Why it is fast: CSV is read by pyarrow's streaming reader, all columns as strings, and every check
is a vectorised compute over a record batch; rows whose width is wrong go through pyarrow's
invalid-row handler, are padded or cut to the header's width and checked as a small side batch.
Duplicate rows are found from one 64-bit hash per row, so memory grows by 8 bytes per row.

Notes rows: statistical exports (the China NBS pattern) put lines like ``数据库：分省年度数据``
above the header and ``注：...`` / ``数据来源：国家统计局`` below the table. The header is the first row
as wide as the table's dominant width and mostly non-numeric; trailing rows that collapse to one
filled cell are notes. Only the table between them is profiled.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from statistics import median

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from quality import pii as _pii
from quality.findings import FINDING_TYPES, Finding
from quality.rules import table_unreadable

HEAD_BYTES = 256 * 1024  # structure and encoding are decided from this much of the start
TAIL_BYTES = 64 * 1024  # notes below the table are looked for in this much of the end
BLOCK_BYTES = 4 << 20  # pyarrow block size: about 50,000 rows of typical width per batch
ROW_BATCH = 50_000  # rows per batch for row-based sources (spreadsheets, JSON, read_table)
INFER_ROWS = 100  # frictionless's sample size for type inference
INFER_CONFIDENCE = 0.9  # frictionless's field confidence
SAMPLE_ROWS = 20

_NOTE_PREFIX = re.compile(
    r"^\s*(?:注|附注|说明|数据来源|资料来源|来源|备注|"
    r"(?:notes?|notas?|sources?|fuentes?|quellen?|quelle\(n\)|anmerkungen?|hinweise?)\b)", re.I)
_NUMERIC = re.compile(r"^\s*[-+]?(\d[\d,\s]*)?\.?\d+([eE][-+]?\d+)?\s*%?\s*$")


class TableError(ValueError):
    """The file cannot be read as a table. ``reason``: encrypted, unreadable, empty or unsupported-format."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class TableProfile:
    format: str
    encoding: str | None
    rows: int
    columns: int
    header: list[str]
    header_row: int  # 0-based row (record) of the file where the header was found
    notes_rows_above: list[int] = field(default_factory=list)
    notes_rows_below: list[int] = field(default_factory=list)
    missing_cells: int = 0
    missing_by_column: dict[str, int] = field(default_factory=dict)
    blank_rows: int = 0
    duplicate_rows: int = 0
    duplicate_keys: int = 0
    type_errors: int = 0
    type_errors_by_column: dict[str, int] = field(default_factory=dict)
    extra_cells: int = 0
    missing_trailing_cells: int = 0
    blank_header: list[int] = field(default_factory=list)
    duplicate_header: list[str] = field(default_factory=list)
    inferred_types: dict[str, str] = field(default_factory=dict)
    sample: list[list] = field(default_factory=list)
    pii: dict = field(default_factory=dict)
    truncated: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- encoding and format


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _bom(head: bytes) -> tuple[int, str | None]:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return len(bom), enc
    return 0, None


def _normalise_encoding(name: str | None) -> str:
    if not name:
        return "utf-8"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    if canonical in ("ascii", "utf-8-sig"):
        return "utf-8"
    if canonical in ("gb2312", "gbk"):
        return "gb18030"  # a superset: decodes every GB2312/GBK file, and the extension characters too
    return canonical


def detect_encoding(head: bytes) -> tuple[str, str]:
    """(codec to decode with, label to report) for the bytes: BOM, else ``quality.sniff.detect_encoding``,
    else charset-normalizer. GBK is decoded as GB18030, its superset, and reported as detected."""
    _, enc = _bom(head)
    if enc:
        return enc, enc
    try:
        if b"\x00" in head:  # UTF-16/32 without a BOM is valid UTF-8 full of NULs: ask the sniffer
            raise UnicodeDecodeError("utf-8", head, 0, 1, "NUL bytes")
        head.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason.startswith("unexpected end"):
            return "utf-8", "utf-8"  # cut in the middle of a character at the end of the sample
    try:
        from quality.sniff import detect_encoding as _sniff_encoding

        guess = _sniff_encoding(head)[0]
    except ImportError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(head).best()
        guess = best.encoding if best else None
    codec = _normalise_encoding(guess or "cp1252")
    return codec, (guess or codec).lower()


_EXT_FORMATS = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "psv": "psv", "txt": "csv", "xls": "xls",
                "xlsx": "xlsx", "xlsm": "xlsx", "ods": "ods", "json": "json"}


def _detect_format(path: str, head: bytes) -> str:
    if path.lower().endswith(".json") and head.lstrip()[:1] in (b"[", b"{"):
        return "json"  # even when broken: it should fail as JSON, not be read as a CSV of brackets
    fmt = None
    try:
        from quality.sniff import sniff

        fmt = (getattr(sniff(head, filename=os.path.basename(path)), "format", None) or "").lower() or None
    except ImportError:
        pass
    if fmt in ("xlsm",):
        fmt = "xlsx"
    if fmt in ("csv", "tsv", "psv", "xls", "xlsx", "ods", "json"):
        return fmt
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        return "ods" if b"application/vnd.oasis.opendocument.spreadsheet" in head[:200] else "xlsx"
    stripped = head.lstrip()[:1]
    if stripped in (b"[", b"{") and not path.lower().endswith((".csv", ".tsv")):
        return "json"
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    return _EXT_FORMATS.get(ext, "csv")


# --------------------------------------------------------------------------- layout (header and notes)


def _filled(row: list) -> int:
    return sum(1 for c in row if c and (c.strip() if isinstance(c, str) else str(c).strip()))


_YEAR_LABEL = re.compile(r"^\s*(1[5-9]|20)\d\d\s*$")


def _mostly_text(row: list) -> bool:
    """Labels are mostly not numbers; a year (1985, 2024) is a common column label, so it counts as text."""
    cells = [str(c) for c in row if c is not None and str(c).strip() != ""]
    numbers = sum(1 for c in cells if _NUMERIC.match(c) and not _YEAR_LABEL.match(c))
    return bool(cells) and numbers * 2 < len(cells)


def _find_header(rows: list[list]) -> tuple[int, int]:
    """(header index, dominant width). The header is the first row as wide as most rows of the table,
    filled at least half as much as they are, and mostly non-numeric; the rows before it must look
    like notes (narrower or nearly empty). Failing that, the first non-blank row."""
    fills = [_filled(r) for r in rows]
    nonblank = [i for i, f in enumerate(fills) if f]
    if not nonblank:
        return 0, len(rows[0]) if rows else 0
    widths = Counter(len(rows[i]) for i in nonblank if fills[i] >= 2) or Counter(len(rows[i]) for i in nonblank)
    top = max(widths.values())
    dominant = max(w for w, n in widths.items() if n == top)
    need = max(1, math.ceil(0.5 * median(fills[i] for i in nonblank if len(rows[i]) == dominant)))
    for i in nonblank:
        if len(rows[i]) == dominant and fills[i] >= need:
            if _mostly_text(rows[i]):
                return i, dominant
            break  # a full-width numeric row before any header: the file has no notes above
    return nonblank[0], dominant


def _footer_start(rows: list[list], width: int) -> int:
    """Index in ``rows`` where the notes below the table begin (len(rows) if there are none).

    Scanning up from the end, a note is a row with one filled cell that is narrower than the table
    or starts like a note (注：, 数据来源, Fuente:), or under a wide table a short row of a quarter of its
    width at most; blank rows between notes belong to the notes; the first other row ends the scan.
    Trailing blank rows without any note stay in the table, as frictionless counts them as blank rows."""
    start = len(rows)
    pending = len(rows)
    for i in range(len(rows) - 1, -1, -1):
        r = rows[i]
        filled = _filled(r)
        if filled == 0:
            continue
        first = next(str(c) for c in r if c is not None and str(c).strip() != "")
        narrow = len(r) < width and filled <= max(1, width // 4)  # e.g. "term:;definition" under 11 columns
        if (filled == 1 and (len(r) < width or _NOTE_PREFIX.match(first))) or narrow:
            start = pending = i
            continue
        break
    if start < len(rows):
        # blank rows right above the first note are part of the notes block
        while start > 0 and not _filled(rows[start - 1]) and start - 1 > 0:
            start -= 1
        return start
    return pending


def _header_labels(raw: list) -> tuple[list[str], list[int], list[str], list[str]]:
    """(labels, blank positions, repeated labels, field names). Field names follow frictionless:
    a blank label becomes ``field<n>``, a repeated one gets its occurrence number (``name2``)."""
    labels = ["" if c is None else str(c) for c in raw]
    blank = [i for i, lab in enumerate(labels) if lab.strip() == ""]
    seen: Counter = Counter()
    repeated: list[str] = []
    names: list[str] = []
    for i, lab in enumerate(labels):
        name = lab if lab.strip() else f"field{i + 1}"
        if lab.strip():
            seen[lab] += 1
            if seen[lab] > 1:
                repeated.append(lab)
                name = f"{lab}{seen[lab]}"
        names.append(name)
    while len(set(names)) < len(names):  # a generated name can meet a real one: make it unique
        dup = {n for n in names if names.count(n) > 1}
        names = [f"{n}_{i + 1}" if n in dup else n for i, n in enumerate(names)]
    return labels, blank, repeated, names


# --------------------------------------------------------------------------- CSV dialect and layout


@dataclass
class _CsvLayout:
    encoding: str  # the codec used to decode
    label: str  # the encoding as detected (gbk, latin-1 ...), reported in the profile
    delimiter: str
    header: list
    header_row: int
    notes_above: list[int]
    footer_rows: int  # rows of notes (and blank rows among them) at the end
    data_start: int  # byte offsets of the table body
    data_end: int
    size: int


class _LineTracker:
    """Feeds text lines to csv.reader while recording where each line ends (in characters)."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="").readlines()
        self.ends: list[int] = []
        pos = 0
        for line in self.lines:
            pos += len(line)
            self.ends.append(pos)
        self.i = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.i >= len(self.lines):
            raise StopIteration
        self.i += 1
        return self.lines[self.i - 1]


def _parse_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Rows of ``text`` and the character offset where each row ends."""
    tracker = _LineTracker(text)
    rows, ends = [], []
    reader = csv.reader(tracker, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    try:
        for row in reader:
            rows.append(row)
            ends.append(tracker.ends[tracker.i - 1] if tracker.i else 0)
    except csv.Error:
        pass
    return rows, ends


def _sniff_delimiter(text: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    if fmt == "psv":
        return "|"
    lines = [ln for ln in io.StringIO(text[:65536], newline="").readlines()[:200] if ln.strip()]
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        common, freq = Counter(c for c in counts if c).most_common(1)[0]
        score = freq / len(counts) * (1 + min(common, 50) / 100)
        if score > best_score:
            best, best_score = delim, score
    return best


def _sniffed_delimiter(head: bytes, path: str) -> str | None:
    """The dialect ``quality.sniff`` found, so the assessment and the profile split rows alike."""
    try:
        from quality.sniff import sniff
    except ImportError:
        return None
    try:
        found = (sniff(head, filename=os.path.basename(path)).details or {}).get("delimiter")
    except Exception:  # noqa: BLE001 - sniffing is advice here; our own scoring follows
        return None
    return found if isinstance(found, str) and len(found) == 1 and found not in "\r\n\"" else None


def _csv_layout(path: str, encoding: str | None, fmt: str) -> _CsvLayout:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read()
    if not head.strip():
        raise TableError("empty", "The file is empty.")
    bom_len, bom_enc = _bom(head)
    if encoding:
        enc, label = _normalise_encoding(encoding), encoding.lower()
    else:
        enc, label = (bom_enc, bom_enc) if bom_enc else detect_encoding(head)
    if codecs.lookup(enc).name.startswith(("utf-16", "utf-32")):
        raise TableError("unsupported-format", "UTF-16/32 text must be transcoded before profiling.")
    whole = size <= HEAD_BYTES
    body = head[bom_len:]
    if not whole:  # drop the last, probably partial, line of the sample
        cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
        body = body[:cut + 1] if cut > 0 else body
    text = body.decode(enc, errors="surrogateescape")
    delimiter = _sniffed_delimiter(head, path) or _sniff_delimiter(text, fmt)
    rows, ends = _parse_rows(text, delimiter)
    if not rows:
        raise TableError("empty", "No rows could be read from the file.")
    header_idx, _ = _find_header(rows)
    header = rows[header_idx]
    width = len(header)
    notes_above = [i for i in range(header_idx) if _filled(rows[i])]
    data_start = bom_len + len(text[:ends[header_idx]].encode(enc, errors="surrogateescape"))

    if whole:
        tail_rows, tail_ends, tail_text, tail_base = rows, ends, text, bom_len
        first_data = header_idx + 1
    else:
        nl = tail.find(b"\n")
        if nl < 0:
            nl = tail.find(b"\r")
        tail_body = tail[nl + 1:]
        tail_text = tail_body.decode(enc, errors="surrogateescape")
        tail_rows, tail_ends = _parse_rows(tail_text, delimiter)
        tail_base = size - len(tail_body)
        first_data = 0
    start = _footer_start(tail_rows[first_data:], width) + first_data
    footer_rows = len(tail_rows) - start
    if footer_rows:
        prefix = tail_text[:tail_ends[start - 1]] if start > 0 else ""
        data_end = tail_base + len(prefix.encode(enc, errors="surrogateescape"))
    else:
        data_end = size
    data_end = max(data_end, data_start)
    return _CsvLayout(enc, label, delimiter, header, header_idx, notes_above, footer_rows, data_start, data_end, size)


class _ByteRange(io.RawIOBase):
    """A read-only window [start, end) of a file, so pyarrow sees only the table body."""

    def __init__(self, path: str, start: int, end: int) -> None:
        self._fh = open(path, "rb")
        self._fh.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self._left <= 0:
            return 0
        n = min(len(buf), self._left)
        data = self._fh.read(n)
        buf[:len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


@dataclass
class _Shape:
    """Counts of cells outside the header's width, gathered while rows are fitted to it."""

    extra_cells: int = 0
    missing_trailing_cells: int = 0
    rows_read: int = 0


def _fit(row: list, width: int, shape: _Shape, count_short: bool = True) -> list[str]:
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


def _rows_to_batch(rows: list[list[str]], names: list[str]) -> pa.RecordBatch:
    cols = list(zip(*rows, strict=False)) if rows else [()] * len(names)
    return pa.RecordBatch.from_arrays([pa.array(list(c), pa.string()) for c in cols], names=names)


def _arrow_csv_batches(path: str, layout: _CsvLayout, names: list[str], shape: _Shape,
                       block_size: int = BLOCK_BYTES) -> Iterator[pa.RecordBatch]:
    """The table body as string batches, ragged rows fitted to the header and appended as side batches."""
    width = len(names)
    side: list[list[str]] = []

    def on_invalid(row) -> str:
        cells = next(csv.reader([row.text], delimiter=layout.delimiter), []) if row.text else []
        if not cells and width > 1:
            side.append([""] * width)  # an empty line: a blank row, as frictionless counts it
        else:
            side.append(_fit(cells, width, shape))
        return "skip"

    if layout.data_end <= layout.data_start:
        return
    tmp = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        _ByteRange(path, layout.data_start, layout.data_end),
        read_options=pacsv.ReadOptions(column_names=tmp, block_size=block_size, use_threads=True,
                                       encoding=layout.encoding if layout.encoding != "utf-8" else "utf8"),
        parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in tmp},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    with reader:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(batch.columns, names=names)
            if side:
                out, side[:] = list(side), []
                yield _rows_to_batch(out, names)
    if side:
        yield _rows_to_batch(side, names)


def _python_csv_rows(path: str, layout: _CsvLayout) -> Iterator[list[str]]:
    """The table body row by row, in file order (for read_table, where order matters more than speed)."""
    raw = _ByteRange(path, layout.data_start, layout.data_end)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding=layout.encoding, errors="replace", newline="")
    with text:
        yield from csv.reader(text, delimiter=layout.delimiter, quotechar='"', doublequote=True, strict=False)


# --------------------------------------------------------------------------- other formats (row lists)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _trim(row: list) -> list[str]:
    cells = [_cell_text(c) for c in row]
    while cells and cells[-1].strip() == "":
        cells.pop()
    return cells


def _xls_rows(path: str, sheet) -> list[list[str]]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise TableError("encrypted", "The XLS workbook is encrypted (password-protected), so it cannot "
                                          "be read.") from exc
        raise TableError("unreadable", f"The XLS file cannot be read: {exc}") from exc
    sh = book.sheet_by_name(sheet) if isinstance(sheet, str) else book.sheet_by_index(sheet)
    rows = []
    for r in range(sh.nrows):
        out = []
        for c, v in zip(sh.row_types(r), sh.row_values(r), strict=False):
            if c == xlrd.XL_CELL_DATE:
                try:
                    v = xlrd.xldate.xldate_as_datetime(v, book.datemode)
                except Exception:  # noqa: BLE001 - an impossible date stays a number
                    pass
            elif c == xlrd.XL_CELL_BOOLEAN:
                v = bool(v)
            elif c == xlrd.XL_CELL_ERROR:
                v = ""
            out.append(v)
        rows.append(_trim(out))
    return rows


def _xlsx_rows(path: str, sheet) -> list[list[str]]:
    import zipfile

    import openpyxl

    # An open file, not the path: archived copies are named by their hash, with no extension,
    # and openpyxl refuses a path whose extension it does not know.
    with open(path, "rb") as fh:
        try:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, openpyxl.utils.exceptions.InvalidFileException) as exc:
            raise TableError("unreadable", f"The XLSX file cannot be read: {exc}") from exc
        try:
            ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
            # The sheet's own <dimension> is not trusted: one claiming A1:XFD1048576 made openpyxl pad every
            # row to 16,384 cells (a hang); each row is read as wide as its cells (trailing blanks go anyway).
            ws.reset_dimensions()
            return [_trim(list(r)) for r in ws.iter_rows(values_only=True)]
        finally:
            book.close()


def _ods_rows(path: str, sheet) -> list[list[str]]:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, engine="odf", header=None, dtype=object)
    except Exception as exc:  # noqa: BLE001 - odfpy raises many kinds
        raise TableError("unreadable", f"The ODS file cannot be read: {exc}") from exc
    return [_trim([None if (isinstance(v, float) and math.isnan(v)) else v for v in r])
            for r in frame.itertuples(index=False, name=None)]


def _json_rows(path: str) -> list[list[str]]:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TableError("unreadable", f"The JSON file cannot be read: {exc}") from exc
    if isinstance(data, dict):  # {"data": [...]}: the first list of records inside
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not data:
        raise TableError("unsupported-format", "The JSON is not an array of objects or arrays.")
    if all(isinstance(r, dict) for r in data):
        keys: list[str] = []
        for r in data:
            keys.extend(k for k in r if k not in keys)
        return [keys] + [[_json_cell(r.get(k)) for k in keys] for r in data]
    if all(isinstance(r, list) for r in data):
        return [[_json_cell(c) for c in r] for r in data]
    raise TableError("unsupported-format", "The JSON array mixes records and other values.")


def _json_cell(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return _cell_text(v)


def _sheet_rows(path: str, fmt: str, sheet) -> list[list[str]]:
    if fmt == "xls":
        return _xls_rows(path, sheet)
    if fmt == "xlsx":
        return _xlsx_rows(path, sheet)
    if fmt == "ods":
        return _ods_rows(path, sheet)
    return _json_rows(path)


@dataclass
class _RowLayout:
    header: list
    header_row: int
    notes_above: list[int]
    body: list[list[str]]
    notes_below: list[int]


def _row_layout(rows: list[list[str]]) -> _RowLayout:
    if not rows or not any(_filled(r) for r in rows):
        raise TableError("empty", "The sheet has no data.")
    idx, _ = _find_header(rows)
    header = rows[idx]
    body = rows[idx + 1:]
    start = _footer_start(body, len(header))
    return _RowLayout(header, idx, [i for i in range(idx) if _filled(rows[i])], body[:start],
                      [idx + 1 + start + j for j in range(len(body) - start) if _filled(body[start + j])])


# --------------------------------------------------------------------------- types (vectorised)


_INT_RE = r"^[+-]?\d+(_\d+)*$"
_NUM_RE = (r"(?i)^[+-]?((\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[+-]?\d+(_\d+)*)?"
           r"|inf|infinity|s?nan\d*)$")
_DATE_RE = r"^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$"
_DATETIME_RE = (r"^\d{4}-(1[0-2]|0?[1-9])-(3[01]|[12]\d|0?[1-9])T([01]?\d|2[0-3]):[0-5]?\d:([0-5]?\d|6[01])"
                r"(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2}(:?\d{2})?)$")
_TIME_RE = r"^([01]?\d|2[0-3]):([0-5]?\d):([0-5]?\d|6[01])$"
_YEARMONTH_RE = r"^\d{4}-(0?[1-9]|1[0-2])$"
_YEAR_RE = r"^\d{4}$"
_DIM = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]

#: frictionless's inference order, limited to the types that a CSV cell can carry here.
CANDIDATES = ("yearmonth", "datetime", "time", "date", "integer", "number", "boolean", "string")


def _np(mask) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _valid_dates(col: pa.Array) -> np.ndarray:
    """``%Y-%m-%d`` as Python's strptime reads it: the regex, then day-of-month in numpy."""
    ok = _np(pc.match_substring_regex(col, _DATE_RE))
    if ok.any():
        idx = np.flatnonzero(ok)
        cand = pc.take(col, pa.array(idx))
        y = np.asarray(pc.cast(pc.utf8_slice_codeunits(cand, 0, 4), pa.int64()))
        split = pc.split_pattern(pc.utf8_slice_codeunits(cand, 5, 99), "-")
        m = np.asarray(pc.cast(pc.list_element(split, 0), pa.int64()))
        d = np.asarray(pc.cast(pc.utf8_trim_whitespace(pc.list_element(split, 1)), pa.int64()))
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        ok[idx] = (y >= 1) & (d <= _DIM[m] + ((m == 2) & leap))
    return ok


#: Arrow's own parsers accept a strict subset of what frictionless's readers accept (no blanks around
#: integers, zero-padded ISO dates only), so when a whole batch casts, every cell is valid and the
#: regular expressions are skipped; a batch with one bad cell takes the exact path.
_STRICT_CASTS = {"integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}


def _casts_cleanly(col: pa.Array, to_type: pa.DataType) -> bool:
    filled = pc.filter(col, pc.greater(pc.binary_length(col), 0))
    try:
        pc.cast(filled, to_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _python_valid(col: pa.Array, test) -> np.ndarray:
    """For types with a custom format: test each distinct value once in Python."""
    uniq = pc.unique(col)
    good = [v for v in uniq.to_pylist() if test(v)]
    return _np(pc.is_in(col, value_set=pa.array(good, pa.string())))


def valid_mask(col: pa.Array, ftype: str, fdesc: dict | None = None) -> np.ndarray:
    """Which cells of a string array read as Table Schema type ``ftype`` (frictionless's readers)."""
    fdesc = fdesc or {}
    fmt = fdesc.get("format", "default")
    if ftype in ("string", "any") or len(col) == 0:
        return np.ones(len(col), dtype=bool)
    if ftype in ("integer", "number") and fdesc.get("bareNumber", True) is False:
        col = pc.replace_substring_regex(col, r"((^[^-\d]*)|(\D*$))", "")
    if ftype in ("integer", "number") and (fdesc.get("groupChar") or fdesc.get("decimalChar", ".") != "."):
        if fdesc.get("groupChar"):
            col = pc.replace_substring(col, fdesc["groupChar"], "")
        if fdesc.get("decimalChar", ".") != ".":
            col = pc.replace_substring(col, fdesc["decimalChar"], ".")
    if fmt in ("default", None) and ftype in _STRICT_CASTS and _casts_cleanly(col, _STRICT_CASTS[ftype]):
        return np.ones(len(col), dtype=bool)
    if ftype == "integer":
        return _np(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _INT_RE))
    if ftype == "number":
        return _np(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _NUM_RE))
    if ftype == "boolean":
        values = list(fdesc.get("trueValues", _TRUE)) + list(fdesc.get("falseValues", _FALSE))
        return _np(pc.is_in(col, value_set=pa.array(values, pa.string())))
    if ftype in ("date", "datetime", "time") and fmt not in ("default", None):
        import datetime as _dt

        def test(v, _f=fmt):
            try:
                if _f == "any":
                    return bool(v.strip())
                _dt.datetime.strptime(v, _f)
                return True
            except ValueError:
                return False
        return _python_valid(col, test)
    if ftype == "date":
        return _valid_dates(col)
    if ftype == "datetime":
        return _np(pc.match_substring_regex(col, _DATETIME_RE))
    if ftype == "time":
        return _np(pc.match_substring_regex(col, _TIME_RE))
    if ftype == "yearmonth":
        return _np(pc.match_substring_regex(col, _YEARMONTH_RE))
    if ftype == "year":
        return _np(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _YEAR_RE))
    return np.ones(len(col), dtype=bool)  # types we do not check (object, array, geopoint ...)


def infer_type(values: pa.Array, missing: np.ndarray, valids: dict[str, np.ndarray] | None = None) -> str:
    """frictionless's inference on a sample: each candidate scores +1 per readable cell and -1 per
    other cell; the first to reach 90% of the non-missing cells wins (``any`` if none does).
    ``valids``: the candidates' validity masks of ``values`` when the caller computed them already."""
    n = len(values)
    if valids is None:
        valids = {t: valid_mask(values, t) for t in CANDIDATES}
    scores = dict.fromkeys(CANDIDATES, 0)
    max_score = n
    threshold = n * (INFER_CONFIDENCE - 1)
    for i in range(n):
        if missing[i]:
            max_score -= 1
        for t in CANDIDATES:
            if scores[t] < threshold:
                continue
            if not missing[i]:
                scores[t] += 1 if valids[t][i] else -1
            if max_score > 0 and scores[t] >= max_score * INFER_CONFIDENCE:
                return t
    return "any"


# --------------------------------------------------------------------------- row hashing (vectorised)


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 2**64)
_LEN_MIX = np.uint64(0x9E3779B97F4A7C15)
_tables: dict[str, np.ndarray] = {}


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**i and BASE**-i modulo 2**64 for i < n (numpy's uint64 arithmetic wraps)."""
    if len(_tables.get("pow", ())) < n:
        size = max(n, 2 * len(_tables.get("pow", ())), 1 << 16)
        for key, base in (("pow", _BASE), ("inv", _BASE_INV)):
            table = np.full(size, base, dtype=np.uint64)
            table[0] = 1
            _tables[key] = np.cumprod(table, dtype=np.uint64)
    return _tables["pow"], _tables["inv"]


def column_hash(col: pa.Array) -> np.ndarray:
    """A 64-bit hash of every string of an array, from its bytes, without a Python loop.

    Each cell's polynomial sum(byte_i * BASE**i) is computed with absolute byte positions (one
    multiply against a contiguous slice of powers, one segmented sum) and brought back to the
    cell's own origin by multiplying with BASE**-start, then mixed with the cell's length."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    n = len(col)
    bufs = col.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[col.offset:col.offset + n + 1].astype(np.int64)
    lengths = np.diff(offsets)
    start = int(offsets[0])
    total = int(offsets[-1]) - start
    h = np.zeros(n, dtype=np.uint64)
    if total:
        pw, inv = _powers(total)
        data = np.frombuffer(bufs[2], dtype=np.uint8)[start:start + total]
        weighted = data * pw[:total]
        starts = offsets[:-1] - start
        filled = lengths > 0
        fs = starts[filled]
        h[filled] = np.add.reduceat(weighted, fs) * inv[fs]
    return _mix(h ^ (lengths.astype(np.uint64) * _LEN_MIX))


def combine_hashes(hashes: list[np.ndarray]) -> np.ndarray:
    """One hash per row from its columns' hashes, order-sensitive."""
    out = np.zeros(len(hashes[0]) if hashes else 0, dtype=np.uint64)
    for j, h in enumerate(hashes):
        out = _mix(out * _BASE + h + np.uint64(j + 1))
    return out


# --------------------------------------------------------------------------- the accumulator


class _Profiler:
    """Runs every vectorised check over a stream of equally wide string batches."""

    def __init__(self, names: list[str], schema: dict | None, max_rows: int | None) -> None:
        self.names = names
        self.schema = schema or {}
        fields = self.schema.get("fields") or []
        self.fields = [fields[i] if i < len(fields) else {"name": n, "type": "any"} for i, n in enumerate(names)] \
            if fields else None
        self.missing_values = pa.array(self.schema.get("missingValues", [""]), pa.string())
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
        samples = [batch.column(j).slice(0, n) for j in range(len(self.names))]
        # One validity pass per candidate type over all the columns' samples together: per column it cost
        # ~8 compute calls, and a table 10,000 columns wide took minutes to infer.
        together = pa.concat_arrays([c.cast(pa.string()) for c in samples]) if samples else pa.array([], pa.string())
        masks = {t: valid_mask(together, t) for t in CANDIDATES}
        self.types = [infer_type(samples[j], empties[j][:n], {t: m[j * n:(j + 1) * n] for t, m in masks.items()})
                      for j in range(len(self.names))]

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
            empties = [_np(pc.equal(pc.binary_length(c), 0)) for c in cols]
        else:
            empties = [_np(pc.is_in(c, value_set=self.missing_values)) for c in cols]
        if self.types is None:
            self._infer(batch, empties)
        blank = np.logical_and.reduce(empties) if empties else np.zeros(n, dtype=bool)
        nonblank = ~blank
        self.blank_rows += int(blank.sum())
        for j, col in enumerate(cols):
            self.missing[j] += int((empties[j] & nonblank).sum())
            t = self.types[j]
            if t not in ("string", "any"):
                valid = valid_mask(col, t, self.fields[j] if self.fields else None)
                self.type_errors[j] += int((~valid & ~empties[j]).sum())
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
        scan = [name for name, t in zip(self.names, self.types, strict=False)
                if t not in ("date", "datetime", "time", "boolean")]
        self.pii.add(batch, scan)
        self.rows += n
        return not self.truncated

    def duplicates(self, chunks: list[np.ndarray]) -> int:
        """Rows equal to an earlier one = rows - distinct rows (sorting 8-byte hashes)."""
        if not chunks:
            return 0
        allh = np.sort(np.concatenate(chunks))
        return int((allh[1:] == allh[:-1]).sum())


REDACTED = "[redacted]"


def _holds_pii(cell: str) -> bool:
    if len(cell) < 11 and "@" not in cell:  # too short for any kind: skip the scan
        return False
    return any(k != "uscc" for k in _pii.scan_values([cell]))


def _redact(sample: list[list], names: list[str], pii: dict) -> list[list]:
    """The preview rows without personal data, so a profile never carries it: every filled cell of a
    column where personal data was found (near misses too), and any other cell that holds some."""
    hidden = {j for j, n in enumerate(names) if any(k != "uscc" for k in pii.get(n, {}))}
    out = []
    for row in sample:
        out.append([REDACTED if c and (j in hidden or _holds_pii(c)) else c for j, c in enumerate(row)])
    return out


def _finish(fmt: str, encoding: str | None, labels, blank_hdr, repeated, names, prof: _Profiler,
            shape: _Shape, header_row: int, above: list[int], below: list[int]) -> TableProfile:
    types = prof.types or ["any"] * len(names)
    found_pii = prof.pii.result()
    return TableProfile(
        format=fmt, encoding=encoding, rows=prof.rows, columns=len(names), header=labels, header_row=header_row,
        notes_rows_above=above, notes_rows_below=below,
        missing_cells=int(prof.missing.sum()),
        missing_by_column={n: int(v) for n, v in zip(names, prof.missing, strict=False) if v},
        blank_rows=prof.blank_rows, duplicate_rows=prof.duplicates(prof.hashes),
        duplicate_keys=prof.duplicates(prof.key_hashes),
        type_errors=int(prof.type_errors.sum()),
        type_errors_by_column={n: int(v) for n, v in zip(names, prof.type_errors, strict=False) if v},
        extra_cells=shape.extra_cells, missing_trailing_cells=shape.missing_trailing_cells,
        blank_header=blank_hdr, duplicate_header=repeated,
        inferred_types=dict(zip(names, types, strict=False)), sample=_redact(prof.sample, names, found_pii),
        pii=found_pii,
        truncated=prof.truncated,
    )


# --------------------------------------------------------------------------- public API


def profile_file(path, *, format: str | None = None, encoding: str | None = None, schema: dict | None = None,
                 sheet: int | str = 0, max_rows: int | None = None) -> TableProfile:
    """Profile one tabular file. Raises ``TableError`` for a file that is not a readable table
    (encrypted workbook, empty file, JSON that is not an array) instead of crashing."""
    path = os.fspath(path)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    fmt = (format or "").lower() or _detect_format(path, head)
    fmt = {"xlsm": "xlsx", "tab": "tsv"}.get(fmt, fmt)
    if fmt in ("csv", "tsv", "psv"):
        try:
            with _as_utf8(path, encoding) as (src, enc, wide):
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
    layout = _row_layout(_sheet_rows(path, fmt, sheet))
    labels, blank_hdr, repeated, names = _header_labels(layout.header)
    prof, shape = _Profiler(names, schema, max_rows), _Shape()
    count_short = fmt == "json"  # spreadsheet rows end at their last filled cell
    for batch in _batched((_fit(r, len(names), shape, count_short) for r in layout.body), names):
        if not prof.add(batch):
            break
    return _finish(fmt, "utf-8" if fmt == "json" else None, labels, blank_hdr, repeated, names, prof, shape,
                   layout.header_row, layout.notes_above, layout.notes_below)


def _batched(rows, names: list[str]) -> Iterator[pa.RecordBatch]:
    buf: list[list[str]] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= ROW_BATCH:
            yield _rows_to_batch(buf, names)
            buf = []
    if buf:
        yield _rows_to_batch(buf, names)


_WIDE = ("utf-16", "utf-32")


def _wide_encoding(path: str, encoding: str | None) -> str | None:
    """The UTF-16/32 codec of a text file, if it is one (those cannot be split at newline bytes)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    _, bom = _bom(head)
    if encoding:
        codec = codecs.lookup(encoding).name
        return codec if codec.startswith(_WIDE) else None
    if bom:
        return bom.rsplit("-", 1)[0] if bom.startswith(_WIDE) else None  # the generic codec eats the BOM
    if b"\x00" in head:
        codec = codecs.lookup(detect_encoding(head)[0]).name
        return codec if codec.startswith(_WIDE) else None
    return None


@contextmanager
def _as_utf8(path: str, encoding: str | None):
    """(path, encoding, wide label): UTF-16/32 text is transcoded chunk by chunk to a temporary UTF-8
    copy first, so the byte-level layout scan and pyarrow see an ASCII-compatible encoding."""
    wide = _wide_encoding(path, encoding)
    if not wide:
        yield path, encoding, None
        return
    decoder = codecs.getincrementaldecoder(wide)(errors="replace")
    tmp = tempfile.NamedTemporaryFile(prefix="profile-", suffix=".csv", delete=False)
    try:
        with open(path, "rb") as src, tmp:
            while chunk := src.read(1 << 20):
                tmp.write(decoder.decode(chunk).encode("utf-8"))
            tmp.write(decoder.decode(b"", final=True).encode("utf-8"))
        yield tmp.name, "utf-8", wide
    finally:
        os.unlink(tmp.name)


def _profile_csv(path: str, fmt: str, encoding: str | None, schema, max_rows) -> TableProfile:
    layout = _csv_layout(path, encoding, fmt)
    labels, blank_hdr, repeated, names = _header_labels(layout.header)
    block_size, retried = BLOCK_BYTES, set()
    while True:
        prof, shape = _Profiler(names, schema, max_rows), _Shape()
        try:
            for batch in _arrow_csv_batches(path, layout, names, shape, block_size):
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
    if layout.footer_rows and body_rows is not None:
        first = layout.header_row + 1 + body_rows
        below = list(range(first, first + layout.footer_rows))
        below = _nonblank_footer(path, layout, below)
    return _finish(fmt, layout.label, labels, blank_hdr, repeated, names, prof, shape,
                   layout.header_row, layout.notes_above, below)


def _nonblank_footer(path: str, layout: _CsvLayout, rows: list[int]) -> list[int]:
    with open(path, "rb") as fh:
        fh.seek(layout.data_end)
        text = fh.read().decode(layout.encoding, errors="replace")
    parsed, _ = _parse_rows(text, layout.delimiter)
    return [i for i, r in zip(rows, parsed, strict=False) if _filled(r)]


def read_table(path, *, format: str | None = None, encoding: str | None = None, sheet: int | str = 0,
               skip_blank_rows: bool = True, batch_rows: int = ROW_BATCH) -> Iterator[pa.RecordBatch]:
    """The table between the notes rows as string record batches named by the cleaned header
    (blank labels become ``field<n>``, repeated ones ``name2``), in file order, in bounded memory.
    Rows are padded or cut to the header's width."""
    path = os.fspath(path)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    fmt = (format or "").lower() or _detect_format(path, head)
    fmt = {"xlsm": "xlsx", "tab": "tsv"}.get(fmt, fmt)
    if fmt in ("csv", "tsv", "psv"):
        with _as_utf8(path, encoding) as (src, enc, _):
            layout = _csv_layout(src, enc, fmt)
            names = _header_labels(layout.header)[3]
            yield from _fitted_batches(_python_csv_rows(src, layout), names, skip_blank_rows, batch_rows)
    else:
        rl = _row_layout(_sheet_rows(path, fmt, sheet))
        names = _header_labels(rl.header)[3]
        yield from _fitted_batches(iter(rl.body), names, skip_blank_rows, batch_rows)


def _fitted_batches(rows, names: list[str], skip_blank_rows: bool, batch_rows: int) -> Iterator[pa.RecordBatch]:
    shape = _Shape()
    fitted = (_fit(r, len(names), shape) for r in rows)
    if skip_blank_rows:
        fitted = (r for r in fitted if any(c != "" for c in r))
    buf: list[list[str]] = []
    for r in fitted:
        buf.append(r)
        if len(buf) >= batch_rows:
            yield _rows_to_batch(buf, names)
            buf = []
    if buf:
        yield _rows_to_batch(buf, names)


# --------------------------------------------------------------------------- findings


def profile_findings(profile: TableProfile, distribution: str | None = None) -> list[Finding]:
    """Findings for one profile, from the table rules (``quality.rules``, ``subject="table"``) in their order.
    Evidence carries counts and column names, never cell values."""
    out: list[Finding] = []
    for rule in FINDING_TYPES.rules("table"):
        out.extend(rule.check(profile, distribution))
    return out


def unreadable_finding(error: TableError, distribution: str | None = None) -> Finding:
    """The finding for a file that ``profile_file`` could not read (encrypted, empty, not a table)."""
    return table_unreadable.check(str(error), distribution, reason=error.reason)[0]
