"""Reading delimited text: the dialect and layout from the file's head and tail, then the body as
string record batches through pyarrow's streaming reader (or Python's csv module, in file order)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from quality.sniff import sniff
from quality.tabular import arrow, settle
from quality.tabular.batches import Shape, fit_row, rows_to_batch
from quality.tabular.encoding import bom_of, reading_encoding
from quality.tabular.layout import filled_cells, find_header, footer_start, note_text
from quality.tabular.model import BLOCK_BYTES, HEAD_BYTES, HEAD_LINES, MAX_LINE_BYTES, TAIL_BYTES, TableError


@dataclass
class CsvLayout:
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
    notes_above_text: list[str] = field(default_factory=list)  # each notes row's filled cells, joined


def parse_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Rows of ``text`` and the character offset where each row ends."""
    lines = io.StringIO(text, newline="").readlines()
    line_ends = list(accumulate(map(len, lines)))
    rows, ends = [], []
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    try:
        for row in reader:  # line_num: the lines the reader has taken, so this row ends where the last one does
            rows.append(row)
            ends.append(line_ends[reader.line_num - 1] if reader.line_num else 0)
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


def sniffed_delimiter(head: bytes, path: str) -> str | None:
    """The dialect ``quality.sniff`` found, so the assessment and the profile split rows alike."""
    try:
        found = (sniff(head, filename=os.path.basename(path)).details or {}).get("delimiter")
    except Exception:  # noqa: BLE001 - sniffing is advice here; our own scoring follows
        return None
    return found if isinstance(found, str) and len(found) == 1 and found not in "\r\n\"" else None


class _Layouts:
    """The layouts kept, least recently used first out, with the keys of each path beside them: the kept scans
    of a file are asked for after every file an assessment reads, and looking through every key for its path
    was about 6% of an unchanged dataset's re-check with a thousand kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._found: OrderedDict[tuple, CsvLayout] = OrderedDict()
        self._by_path: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()  # web threads convert tables too

    def __len__(self) -> int:
        return len(self._found)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._by_path.clear()

    def get(self, key: tuple) -> CsvLayout | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: tuple, found: CsvLayout) -> None:
        with self._lock:
            if key not in self._found:
                self._by_path.setdefault(key[0], []).append(key)
            self._found[key] = found
            self._found.move_to_end(key)
            while len(self._found) > self.limit:
                old, _ = self._found.popitem(last=False)
                keys = self._by_path[old[0]]
                keys.remove(old)
                if not keys:
                    del self._by_path[old[0]]

    def of_path(self, path: str) -> list[tuple[tuple, CsvLayout]]:
        with self._lock:
            return [(key, self._found[key]) for key in self._by_path.get(path, ())]


#: The layouts of the files read last, by (path, size, mtime, inode, encoding, format): a changed file is read
#: three times in one assessment (profiled, compared with the version before, loaded into the row store), and
#: the layout (Python's csv module over the first 256 kB) is the costliest part of each read after the first.
#: An assessment chunk (50 datasets) profiles all its files before it loads them, and seeds each one's version
#: before: room for a chunk of datasets with several tables each (a layout is a header and a few numbers).
LAYOUT_CACHE = 1024
_LAYOUTS = _Layouts(LAYOUT_CACHE)


def csv_layout(path: str, encoding: str | None, fmt: str) -> CsvLayout:
    """Where the table is in a delimited text file, and how to read it (`CsvLayout`); a copy each time, as
    callers may change it (the profiler falls back to Latin-1)."""
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    key = (os.fspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, encoding, fmt) if stat else None
    found = _LAYOUTS.get(key) if key else None
    if found is None:
        followed = _FOLLOWED.get(key[:4]) if key else None
        before = followed[1].get((encoding, fmt)) if followed else None
        found = layout_after(path, followed[0], before, encoding) if before else None
        if found is None:
            found = _csv_layout(path, encoding, fmt)
        if key:
            _LAYOUTS.put(key, found)
    return replace(found, header=list(found.header), notes_above=list(found.notes_above),
                   notes_above_text=list(found.notes_above_text))


def kept_layouts(path: str) -> list[dict]:
    """The layouts this process found for the file at `path` (one per encoding and format it was read with), as
    JSON-ready documents: kept beside the archived copy's facts (`app.assessment`), so the comparison of its next
    version reads them instead of scanning this copy again (`seed_layouts`)."""
    return [{"encoding": key[4], "format": key[5], "layout": asdict(found)}
            for key, found in _LAYOUTS.of_path(os.fspath(path))]


def seed_layouts(path: str, docs: list) -> int:
    """Put layouts kept by `kept_layouts` (for the same bytes: the caller matches them by sha256) in this
    process's cache for the file at `path` as it is on disk now; how many were taken. Anything else than what
    `kept_layouts` wrote is left out, and the file is then scanned as usual."""
    try:
        stat = os.stat(path)
    except OSError:
        return 0
    taken = 0
    for doc in docs if isinstance(docs, list) else ():
        try:
            found = CsvLayout(**doc["layout"])
            key = (os.fspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, doc["encoding"], doc["format"])
        except (KeyError, TypeError):
            continue
        if found.size != stat.st_size or not isinstance(found.delimiter, str) or not isinstance(found.header, list):
            continue
        _LAYOUTS.put(key, found)
        taken += 1
    return taken


#: The version before of files new in an assessment, by the new file's (path, size, mtime, inode): where it is
#: archived and its kept layouts by (encoding, format) (`follow_layouts`).
_FOLLOWED: OrderedDict[tuple, tuple[str, dict[tuple, CsvLayout]]] = OrderedDict()
_FOLLOWED_LOCK = threading.Lock()


def follow_layouts(path: str, before_path: str, docs: list) -> int:
    """Offer the kept layouts (`kept_layouts`' documents) of the version before of the file at `path`, archived
    at `before_path`, to the reading of this one: `csv_layout` then tries `layout_after` before scanning it.
    A re-check meets every changed file of a catalog, and a new version of an agency's export nearly always
    keeps its layout; the scan of a file's first 256 kB (delimiter, rows, header among the notes) is most of
    what reading it costs. How many layouts were taken; anything else than what `kept_layouts` wrote is left
    out."""
    try:
        stat = os.stat(path)
    except OSError:
        return 0
    layouts = {}
    for doc in docs if isinstance(docs, list) else ():
        try:
            found = CsvLayout(**doc["layout"])
            layouts[(doc["encoding"], doc["format"])] = found
        except (KeyError, TypeError):
            continue
    layouts = {k: v for k, v in layouts.items() if _well_formed(v)}
    if not layouts:
        return 0
    with _FOLLOWED_LOCK:
        _FOLLOWED[(os.fspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)] = (os.fspath(before_path), layouts)
        while len(_FOLLOWED) > LAYOUT_CACHE:
            _FOLLOWED.popitem(last=False)
    return len(layouts)


def _well_formed(found: CsvLayout) -> bool:
    """A layout as `_csv_layout` makes them (a kept document could hold anything)."""
    ints = (found.header_row, found.footer_rows, found.data_start, found.data_end, found.size)
    return (isinstance(found.encoding, str) and isinstance(found.label, str) and isinstance(found.delimiter, str)
            and len(found.delimiter) == 1 and all(isinstance(n, int) and not isinstance(n, bool) for n in ints)
            and all(isinstance(x, list) for x in (found.header, found.notes_above, found.notes_above_text)))


def layout_after(path: str, before_path: str, before: CsvLayout, encoding: str | None) -> CsvLayout | None:
    """The layout of the file at `path` as a new version of the one at `before_path`, whose layout was `before`:
    when its bytes down to the end of the header row are the same as the version before's, and its head
    decodes as that version's did, it has the same delimiter, notes rows above and header; only its end is
    scanned, for the notes below (`footer_start`). None when it is not such a version (the file is then
    scanned as any other)."""
    start = before.data_start
    try:
        size = os.path.getsize(path)
        if not 0 < start < size or start > HEAD_BYTES or before.size < start:
            return None
        with open(before_path, "rb") as fh:
            prefix = fh.read(start)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
            if head[:start] != prefix:
                return None
            enc, label = reading_encoding(fh, head, encoding)
            if (enc, label) != (before.encoding, before.label):
                return None
            width = len(before.header)
            for window in (END_WINDOW, TAIL_BYTES):
                tail_from = max(start, size - window)
                fh.seek(tail_from)
                rows, ends, text, base = _end_rows(fh.read(), tail_from > start, enc, before.delimiter, size)
                # the notes may begin above a window whose scan up from the end met no row of the body below its
                # first (partial lines left out): the whole end is scanned then
                if window == TAIL_BYTES or tail_from == start or any(
                        filled_cells(rows[i]) for i in range(1, footer_start(rows, width))):
                    break
    except OSError:
        return None
    footer_rows, data_end = _notes_below(rows, ends, text, base, 0, width, enc, size)
    return replace(before, header=list(before.header), notes_above=list(before.notes_above),
                   notes_above_text=list(before.notes_above_text), footer_rows=footer_rows,
                   data_end=max(data_end, start), size=size)


#: The end of a file first scanned for notes below (`layout_after`): the whole `TAIL_BYTES` when the notes may
#: begin above it.
END_WINDOW = 8 * 1024


def _end_rows(tail: bytes, cut: bool, enc: str, delimiter: str, size: int
              ) -> tuple[list[list[str]], list[int], str, int]:
    """The rows of a file's last bytes `tail` (`cut`: its first line is probably partial, and left out), where each
    ends in their text, that text, and the byte offset in the file where it begins."""
    if cut:
        nl = tail.find(b"\n")
        if nl < 0:
            nl = tail.find(b"\r")
        tail = tail[nl + 1:]
    text = tail.decode(enc, errors="surrogateescape")
    rows, ends = parse_rows(text, delimiter)
    return rows, ends, text, size - len(tail)


def _notes_below(rows: list[list[str]], ends: list[int], text: str, base: int, first: int, width: int, enc: str,
                 size: int) -> tuple[int, int]:
    """(notes rows below the table, the byte offset where its body ends) among `rows` from index `first` on, read
    from `text` at byte offset `base` of the file (`footer_start`)."""
    start = footer_start(rows[first:], width) + first
    footer_rows = len(rows) - start
    if not footer_rows:
        return 0, size
    prefix = text[:ends[start - 1]] if start > 0 else ""
    return footer_rows, base + len(prefix.encode(enc, errors="surrogateescape"))


def _head(fh) -> bytes:
    """The start of a file the layout is decided from: HEAD_BYTES, read on until it holds HEAD_LINES whole lines (or
    the whole file), up to MAX_LINE_BYTES. A header of 40,000 columns longer than HEAD_BYTES was cut, and read as
    39,037 columns with duplicate names, missing and extra cells. No line break in MAX_LINE_BYTES is a header too
    long to read, said so (TableError "header-too-long"), never guessed at."""
    head = fh.read(HEAD_BYTES)
    while len(head) < MAX_LINE_BYTES and head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") < HEAD_LINES:
        more = fh.read(HEAD_BYTES)
        if not more:
            return head
        head += more
    if b"\n" not in head and b"\r" not in head and fh.read(1):
        raise TableError("header-too-long", f"The first line is longer than {MAX_LINE_BYTES >> 20} MB: the header "
                                            "is too long to read as a table's column names.")
    return head


def _csv_layout(path: str, encoding: str | None, fmt: str) -> CsvLayout:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = _head(fh)
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read()
        if not head.strip():
            raise TableError("empty", "The file is empty.")
        enc, label = reading_encoding(fh, head, encoding)
    bom_len = bom_of(head)[0]
    if codecs.lookup(enc).name.startswith(("utf-16", "utf-32")):
        raise TableError("unsupported-format", "UTF-16/32 text must be transcoded before profiling.")
    whole = size <= len(head)
    body = head[bom_len:]
    if not whole:  # drop the last, probably partial, line of the sample
        cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
        body = body[:cut + 1] if cut > 0 else body
    text = body.decode(enc, errors="surrogateescape")
    delimiter = sniffed_delimiter(head, path) or _sniff_delimiter(text, fmt)
    rows, ends = parse_rows(text, delimiter)
    if not rows:
        raise TableError("empty", "No rows could be read from the file.")
    header_idx, _ = find_header(rows)
    header = rows[header_idx]
    width = len(header)
    notes_above = [i for i in range(header_idx) if filled_cells(rows[i])]
    data_start = bom_len + len(text[:ends[header_idx]].encode(enc, errors="surrogateescape"))

    if whole:
        footer_rows, data_end = _notes_below(rows, ends, text, bom_len, header_idx + 1, width, enc, size)
    else:
        footer_rows, data_end = _notes_below(*_end_rows(tail, True, enc, delimiter, size), 0, width, enc, size)
    data_end = max(data_end, data_start)
    return CsvLayout(enc, label, delimiter, header, header_idx, notes_above, footer_rows, data_start, data_end, size,
                     [note_text(rows[i]) for i in notes_above])


class ByteRange(io.RawIOBase):
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


def arrow_csv_batches(path: str, layout: CsvLayout, names: list[str], shape: Shape,
                       block_size: int = BLOCK_BYTES) -> Iterator[pa.RecordBatch]:
    """The table body as string batches, ragged rows fitted to the header and appended as side batches."""
    width = len(names)
    side: list[list[str]] = []

    def on_invalid(row) -> str:
        cells = next(csv.reader([row.text], delimiter=layout.delimiter), []) if row.text else []
        if not cells and width > 1:
            side.append([""] * width)  # an empty line: a blank row, as frictionless counts it
        else:
            side.append(fit_row(cells, width, shape))
        return "skip"

    if layout.data_end <= layout.data_start:
        return
    reader = _open_arrow_csv(path, layout, width, block_size, True, on_invalid)
    try:
        with reader:
            for batch in reader:
                yield pa.RecordBatch.from_arrays(batch.columns, names=names)
                if side:
                    out, side[:] = list(side), []
                    yield rows_to_batch(out, names)
    finally:
        settle.hand_back(on_invalid)
    if side:
        yield rows_to_batch(side, names)


class Irregular(Exception):
    """The table body is not one pyarrow reads the way Python's csv module does: a row whose width is not the
    header's, bytes not valid in the encoding, a cell longer than a block. ``rows``: how many rows were
    given out before it was met."""

    def __init__(self, rows: int) -> None:
        super().__init__(f"irregular table body after {rows} rows")
        self.rows = rows


def arrow_csv_rows(path: str, layout: CsvLayout, names: list[str], skip_blank_rows: bool,
                   block_size: int | None = None) -> Iterator[pa.RecordBatch]:
    """The table body as string batches in file order, read by pyarrow's streaming reader: the same cells
    as `python_csv_rows` (fitted, blank rows left out with `skip_blank_rows`) in a fraction of the time, as
    long as every row is exactly as wide as the header and every byte decodes. At the first row that is not
    (pyarrow would set it aside, out of order) or at any parsing error, raises `Irregular` with the count of
    rows already given out, so the caller can go on from there with Python's reader."""
    width = len(names)
    done = 0
    irregular: list[str] = []

    def on_invalid(row) -> str:
        irregular.append(row.text or "")
        return "skip"

    if layout.data_end <= layout.data_start:
        return
    try:
        reader = _open_arrow_csv(path, layout, width, block_size or BLOCK_BYTES, False, on_invalid)
    except (pa.ArrowException, UnicodeError, LookupError, ValueError) as exc:
        raise Irregular(0) from exc
    try:
        with reader:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, UnicodeError, ValueError) as exc:
                    raise Irregular(done) from exc
                if irregular:  # a row of another width in this block: Python's reader takes over from here
                    raise Irregular(done)
                columns = [pc.fill_null(c, _EMPTY) if c.null_count else c for c in batch.columns]
                out = pa.RecordBatch.from_arrays(columns, names=names)
                if skip_blank_rows and out.num_rows:
                    out = out.filter(_filled_rows(columns))
                if out.num_rows:
                    done += out.num_rows
                    yield out
    finally:
        settle.hand_back(on_invalid)
    if irregular:  # in the last block, or every row of it
        raise Irregular(done)


def _open_arrow_csv(path: str, layout: CsvLayout, width: int, block_size: int, use_threads: bool,
                    on_invalid) -> pacsv.CSVStreamingReader:
    """pyarrow's streaming reader on the table body's bytes, every column read as strings. The bytes come
    through arrow's own file (no Python call, so no GIL, for each read); the caller hands ``on_invalid`` to
    `settle` once the reader is closed."""
    tmp = [f"c{i}" for i in range(width)]
    body = pa.OSFile(path).get_stream(layout.data_start, layout.data_end - layout.data_start)
    return pacsv.open_csv(
        body,
        read_options=pacsv.ReadOptions(column_names=tmp, block_size=block_size, use_threads=use_threads,
                                       encoding=layout.encoding if layout.encoding != "utf-8" else "utf8"),
        parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in tmp},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))


def _filled_rows(columns: list[pa.Array]) -> pa.Array:
    """True for each row with at least one non-empty cell (what `fit_row` and `fitted_batches` keep)."""
    mask = pc.greater(pc.binary_length(columns[0]), arrow.ZERO32)
    for col in columns[1:]:
        mask = pc.or_(mask, pc.greater(pc.binary_length(col), arrow.ZERO32))
    return mask


_EMPTY = arrow.strings([""])[0]


def python_csv_rows(path: str, layout: CsvLayout) -> Iterator[list[str]]:
    """The table body row by row, in file order (for read_table, where order matters more than speed)."""
    raw = ByteRange(path, layout.data_start, layout.data_end)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding=layout.encoding, errors="replace", newline="")
    with text:
        yield from csv.reader(text, delimiter=layout.delimiter, quotechar='"', doublequote=True, strict=False)


def nonblank_footer(path: str, layout: CsvLayout, rows: list[int]) -> tuple[list[int], list[str]]:
    """The footer's rows that hold something, and their text (each row's filled cells, joined)."""
    with open(path, "rb") as fh:
        fh.seek(layout.data_end)
        text = fh.read().decode(layout.encoding, errors="replace")
    parsed, _ = parse_rows(text, layout.delimiter)
    kept = [(i, r) for i, r in zip(rows, parsed, strict=False) if filled_cells(r)]
    return [i for i, _ in kept], [note_text(r) for _, r in kept]
