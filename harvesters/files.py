"""Plain files as datasets: a local folder, or a text file listing file URLs, with the source's defaults
and an optional metadata sheet beside the files (one row per file).

Gather lists the files, reads the sheet and puts everything a file's record needs into its payload
(`file`, `url`, `size`, the source's `defaults`, its sheet row): the import may run in another
process, so `file_record` reads nothing but the payload. A sheet row that cannot be used (it names
no file the source holds, names one twice, or holds a value the vocabularies do not know, a date
range that is not one ...) is an error item of its own, keyed ``<sheet>#row-<n>``; a sheet that
cannot be read at all is one error item keyed by its name. Neither fails the job, and a file without
a usable row still gets the defaults. A sheet that is there but cannot be read this time (a 503, a
half-saved file) says nothing of the files: their items are held (`RemoteItem.hold`), so datasets the
catalog holds of them keep the metadata the sheet gave them, and only a new file gets the defaults.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import mimetypes
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from catalog_schema import filemeta, vocab
from catalog_schema.record import Record, new_distribution, new_record
from catalog_schema.store import name_slug
from harvesters.base import HarvestError, RemoteItem
from harvesters.messages import N_, Message, as_message
from harvesters.reading import is_html, is_remote, read
from plumbing.bombs import archive_bomb
from plumbing.http_errors import HttpError
from plumbing.textencoding import detect_encoding

IGNORED = {".ds_store", "thumbs.db", "desktop.ini"}
SHEET_NAMES = ("metadata.csv", "metadata.xlsx", "元数据.csv", "元数据.xlsx")
MAX_SHEET_BYTES = 20 * 1024 * 1024
MAX_SHEET_ROWS = 100_000
MAX_LINE = 500  # characters of a file list's line (HarvestRecord.remote_id)


class SheetError(ValueError):
    """The metadata sheet as a whole cannot be read."""


class Unsaved(str):
    """A cell of an XLSX sheet holding a formula with no saved value (the sheet was written by a program and never
    saved by Excel or WPS): its text is the cell's reference (B2). Read as empty, a title, a licence or a date would
    be lost without a word; the row is an error row and its file is held (`match_rows`)."""


# --------------------------------------------------------------------------- reading a sheet


def read_sheet(name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a metadata sheet (CSV in UTF-8 or GBK, or XLSX) as (spreadsheet row number,
    {header: text}); the header is the first row naming the file column (`_header_at`). SheetError when it
    cannot be read."""
    if len(content) > MAX_SHEET_BYTES:
        raise SheetError(Message(N_("%(name)s: %(size)s bytes; a metadata sheet may have %(max)s"), name=name,
                                 size=f"{len(content):,}", max=f"{MAX_SHEET_BYTES:,}"))
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in (".xls", ".ods", ".numbers"):
        raise SheetError(Message(N_("%(name)s: a metadata sheet is read as CSV or XLSX; save it as one of those"),
                                 name=name))
    if is_html(content):  # a page saved under the sheet's name (a portal's "download" link): said as such, not
        # as the spreadsheet library's complaint inside our sentence ("File is not a zip file")
        raise SheetError(Message(N_("%(name)s: this is a web page (HTML), not a metadata sheet"), name=name))
    rows = _xlsx_rows(name, content) if suffix == ".xlsx" else _csv_rows(name, content)
    if len(rows) > MAX_SHEET_ROWS:
        raise SheetError(Message(N_("%(name)s: more than %(max)s rows; a metadata sheet has one row per file"),
                                 name=name, max=f"{MAX_SHEET_ROWS:,}"))
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c is not None for c in row)]
    if not numbered:
        raise SheetError(Message(N_("%(name)s: the sheet is empty"), name=name))
    numbered = numbered[_header_at([row for _n, row in numbered]):]  # a title or note row above: not a file's row
    _, header = numbered[0]
    headers = [filemeta.cell_text(h) or "" for h in header]
    if "file" not in {filemeta.field_for_header(h) for h in headers}:
        raise SheetError(Message(N_("%(name)s: no column naming the file (file, 文件); the headers are %(headers)s"),
                                 name=name, headers=", ".join(h for h in headers if h) or "blank"))
    out = []
    for n, row in numbered[1:]:
        cells = {}
        for i, value in enumerate(row):
            if i < len(headers) and headers[i]:
                cells.setdefault(headers[i], value)
            elif value is not None:
                cells[f"column {i + 1}"] = value
        out.append((n, cells))
    return out


HEADER_SEARCH = 10  # non-blank rows a sheet's header may be below (a title, a note, the date it was made)


def _names_file(row: list[Any]) -> bool:
    return "file" in {filemeta.field_for_header(filemeta.cell_text(h) or "") for h in row}


def _header_at(rows: list[list[Any]]) -> int:
    """Which of a sheet's non-blank rows is its header: the first of the first HEADER_SEARCH that names the file
    column, as a bureau's sheet puts its title ("京海市财政局数据目录") or a note above the headers; else the
    first (whose headers the refusal names). Taken as the header, a title row made the whole sheet unreadable."""
    return next((i for i, row in enumerate(rows[:HEADER_SEARCH]) if _names_file(row)), 0)


def _decodings(content: bytes) -> Iterator[tuple[str, str]]:
    """(encoding, text) candidates: UTF-8 first, then the encoding every other door reads the bytes in
    (``plumbing.textencoding.detect_encoding``: GBK or Korean, Big5, UTF-16 ...), then GB18030 (the superset of
    GBK), each only when the bytes decode under it. The candidates were charset-normalizer's in its order: a
    short sheet with English headers and Chinese titles was read as Korean (朝阳门街道 -> 陳栠藷...)."""
    tried = set()
    names = ["utf-8-sig"]
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        names += [detect_encoding(content)[0] or "gb18030", "gb18030"]
    for name in names:
        if name in tried:
            continue
        tried.add(name)
        try:
            yield name, content.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue


def _csv_rows(name: str, content: bytes) -> list[list[str | None]]:
    """Rows of a CSV sheet in the first encoding whose header names a file column (a short GBK sheet can
    pass for another CJK encoding; the headers tell)."""
    first = None
    for _encoding, text in _decodings(content):
        rows = _parse_csv(text)
        first = first if first is not None else rows
        if any(_names_file(r) for r in [r for r in rows if any(c is not None for c in r)][:HEADER_SEARCH]):
            return rows
    if first is None:
        raise SheetError(Message(N_("%(name)s: not text in UTF-8 or a Chinese encoding"), name=name))
    return first


def _parse_csv(text: str) -> list[list[str | None]]:
    # the delimiter of the first line that has one (a title line above the headers may have none)
    lines = text[:8192].split("\n")
    first = next((line for line in lines[:HEADER_SEARCH] if any(d in line for d in ",;\t")), lines[0])
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    for row in reader:
        rows.append([filemeta.cell_text(c) for c in row])
        if len(rows) > MAX_SHEET_ROWS:
            break
    return rows


def _xlsx_rows(name: str, content: bytes) -> list[list[str | None]]:
    """The worksheet that holds the catalogue, read-only (openpyxl parses through defusedxml: entity declarations are
    refused): the first one with a column naming the file (a template's instructions sheet, 填写说明, often comes
    first, and its text was read as the headers), else the first one. An archive whose members claim absurd sizes is
    refused before openpyxl opens it."""
    import openpyxl  # heavy; only for an XLSX sheet

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            bomb = archive_bomb((i.filename, i.file_size, i.compress_size) for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise SheetError(Message(N_("%(name)s: not an XLSX file (%(error)s)"), name=name, error=str(exc))) from exc
    if bomb is not None:
        raise SheetError(Message(N_("%(name)s: refused, member %(member)s claims %(size)s bytes (a zip bomb)"),
                                 name=name, member=bomb["member"], size=f"{bomb['uncompressed']:,}"))
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl and defusedxml raise many kinds
        raise SheetError(Message(N_("%(name)s: cannot be read as XLSX (%(error)s)"), name=name,
                                 error=f"{exc.__class__.__name__}: {exc}")) from exc
    try:
        first: list[list[str | None]] | SheetError | None = None
        for ws in book.worksheets:
            try:
                rows: list[list[str | None]] | SheetError = _worksheet_rows(name, book, ws)
            except SheetError as exc:  # an instructions sheet's formula: refused only if no other sheet is the one
                rows = exc
            if first is None:
                first = rows
            if not isinstance(rows, SheetError) and _names_the_file(rows):
                return rows
        if isinstance(first, SheetError):
            raise first
        return first or []
    finally:
        book.close()


def _names_the_file(rows: list[list[str | None]]) -> bool:
    """Whether a worksheet's header rows (`_header_at`) name the file column."""
    filled = [row for row in rows if any(c is not None for c in row)]
    if not filled:
        return False
    header = filled[_header_at(filled)]
    return "file" in {filemeta.field_for_header(filemeta.cell_text(h) or "") for h in header}


def _worksheet_rows(name: str, book, ws) -> list[list[str | None]]:
    """One worksheet's rows as text, its merged cells filled and its formulas with no saved value refused."""
    try:
        ws.reset_dimensions()  # a sheet's own <dimension> is not trusted (see quality/tabular/sheets.py)
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append([filemeta.cell_text(c) for c in row])
            if len(rows) > MAX_SHEET_ROWS:
                break
        with book._archive.open(ws._worksheet_path) as xml:  # noqa: SLF001 - read-only mode keeps neither
            merged, unsaved = _merges_and_unsaved_formulas(xml)
    except SheetError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SheetError(Message(N_("%(name)s: cannot be read as XLSX (%(error)s)"), name=name,
                                 error=f"{exc.__class__.__name__}: {exc}")) from exc
    _fill_merged(rows, merged)
    _mark_unsaved(name, rows, unsaved)
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    return rows


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _merges_and_unsaved_formulas(xml) -> tuple[list[str], list[str]]:
    """The merged ranges of a worksheet's XML (C2:C4 ...) and the cells whose formula has no saved value, read as
    a stream (defusedxml: no entity declarations)."""
    from defusedxml.ElementTree import iterparse

    merged, unsaved = [], []
    for _event, el in iterparse(xml, events=("end",)):
        if el.tag == _SHEET_NS + "c":
            value = el.find(_SHEET_NS + "v")
            if el.find(_SHEET_NS + "f") is not None and (value is None or not (value.text or "").strip()):
                unsaved.append(el.get("r") or "?")
            el.clear()
        elif el.tag == _SHEET_NS + "mergeCell" and el.get("ref"):
            merged.append(el.get("ref"))
    return merged, unsaved


def _mark_unsaved(name: str, rows: list[list[str | None]], unsaved: list[str]) -> None:
    """Each cell with a formula but no saved value becomes `Unsaved` (its reference), so that only the rows
    holding one are refused. One in the header row (before any other row with a value) refuses the sheet: its
    columns cannot be told."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    filled = [(n, row) for n, row in enumerate(rows, start=1) if any(c is not None for c in row)]
    header = filled[_header_at([row for _n, row in filled])][0] if filled else None
    cells = []
    for ref in unsaved:
        try:
            letters, number = coordinate_from_string(ref)
            cells.append((ref, number, column_index_from_string(letters)))
        except ValueError:
            cells.append((ref, 0, 0))
    if any(number == 0 or header is None or number <= header for _ref, number, _col in cells):
        raise SheetError(Message(N_("%(name)s: cells %(cells)s hold formulas with no saved value (the sheet was "
                                    "written by a program, never saved by Excel or WPS): open and save it, or "
                                    "write the values"), name=name,
                                 cells=", ".join(unsaved[:5]) + (", ..." if len(unsaved) > 5 else "")))
    for ref, number, col in cells:
        if number <= len(rows):
            row = rows[number - 1]
            row.extend([None] * (col - len(row)))
            row[col - 1] = Unsaved(ref)


def _fill_merged(rows: list[list[str | None]], merged: list[str]) -> None:
    """A range merged down rows gives its value to each row, as the sheet shows it: a licence merged down the rows
    of three files is every one's licence (it was the first file's only, the others got the default). Across
    columns the value stays in the first one (a title merged over the description's cell is not a description)."""
    from openpyxl.utils.cell import range_boundaries

    for ref in merged:
        col, min_row, _max_col, max_row = range_boundaries(ref)
        if min_row > len(rows):
            continue
        first = rows[min_row - 1]
        value = first[col - 1] if col - 1 < len(first) else None
        for r in range(min_row, min(max_row, len(rows))):
            row = rows[r]
            row.extend([None] * (col - len(row)))
            row[col - 1] = value


# --------------------------------------------------------------------------- matching rows to files

SHEET_COLUMN = {"license": "licence", "themes": "theme"}  # a record field by the name of its sheet column
HELD = "held"  # a file's entry in match_rows' answer when its row cannot be read this time: its item is held


def _joined(reasons: list[Message]) -> Message:
    """A row's problems as one message, "; " between them (each said in the reader's language)."""
    out = reasons[-1]
    for reason in reversed(reasons[:-1]):
        out = Message(N_("%(first)s; %(rest)s"), first=reason, rest=out)
    return out


def match_rows(sheet: str, rows: list[tuple[int, dict[str, str]]], files: list[str],
               aliases: dict[str, str] | None = None) -> tuple[dict[str, dict[str, Any]], list[RemoteItem]]:
    """Each file's sheet row ({"name", "row", "values"}) and an error item for every row that cannot be
    used whole. A row names a file by its path as listed (`aliases` adds other spellings, a URL list's
    resolved URLs), or, when only one file answers to it, by that path in another case or by its bare
    file name."""
    names: dict[str, str] = {f: f for f in files}
    names.update(aliases or {})
    loose: dict[str, set[str]] = {}  # a path in any case, and a bare file name: used when only one file has it
    for spelling, f in names.items():
        loose.setdefault(spelling.casefold(), set()).add(f)
    for f in files:
        loose.setdefault(PurePosixPath(f).name.casefold(), set()).add(f)
    found: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    errors = []
    for n, values in rows:
        unsaved = [str(v) for v in values.values() if isinstance(v, Unsaved)]
        if unsaved:
            values = {k: None if isinstance(v, Unsaved) else v for k, v in values.items()}
        file, _fields, problems = filemeta.from_row(values)
        headers: dict[str | None, str] = {}  # a field's column as this sheet heads it (许可协议, License ...)
        for header in values:
            headers.setdefault(filemeta.field_for_header(header), str(header).strip())
        reasons = [Message(N_("%(column)s %(value)s: %(reason)s"),
                           column=headers.get(SHEET_COLUMN.get(field, field)) or SHEET_COLUMN.get(field, field),
                           value=repr(value), reason=as_message(reason)) for field, value, reason in problems]
        if unsaved:  # read as empty they would be lost without a word: the row is not used, its file held
            cells = ", ".join(unsaved[:5]) + (", ..." if len(unsaved) > 5 else "")
            reasons.insert(0, Message(N_("cells %(cells)s hold formulas with no saved value (the sheet was written by "
                                         "a program, never saved by Excel or WPS): open and save it, or write the "
                                         "values"), cells=cells))
        target = None
        if not file:
            reasons.insert(0, Message(N_("the row names no file")))
        else:
            spelled = file.replace("\\", "/").removeprefix("./")
            target = names.get(spelled)
            if target is None and len(loose.get(spelled.casefold(), ())) == 1:
                target = next(iter(loose[spelled.casefold()]))
            candidates = sorted(loose.get(spelled.casefold(), ()))
            if target is None and len(candidates) > 1:  # a bare name several files answer to: which one?
                reasons.insert(0, Message(N_("%(file)s names %(n)s files (%(files)s): give its path"),
                                          file=repr(file), n=len(candidates), files=", ".join(candidates[:5])))
            elif target is None:
                reasons.insert(0, Message(N_("no file %(file)s in this source"), file=repr(file)))
            elif target in first_row:
                reasons.insert(0, Message(N_("file %(file)s is described already in row %(row)s; this row is not "
                                             "used"), file=repr(file), row=first_row[target]))
                target = None
        if target is not None:
            first_row[target] = n
            found[target] = {"name": sheet, "row": n, "values": values}
            if unsaved:
                found[target] = {HELD: True}
        if reasons:
            errors.append(RemoteItem(remote_id=f"{sheet}#row-{n}", payload={"sheet": sheet, "row": n,
                                                                             "values": values},
                                     error=Message(N_("%(sheet)s row %(row)s: %(problems)s"), sheet=sheet, row=n,
                                                   problems=_joined(reasons))))
    return found, errors


# --------------------------------------------------------------------------- the two forms


def gather_folder(folder: Path, config: dict[str, Any]) -> Iterator[RemoteItem]:
    """One item per file of `folder` (the sheet, hidden files and OS litter left out)."""
    base_url = config.get("base_url")  # where the folder is published, if it is
    sheet_path = _local_sheet(folder, config.get("metadata_sheet"))
    # every sheet under a default name is a sheet, not a file to publish, even when the config names another
    # (a 元数据.csv was published as a dataset when the configured sheet was missing); one sheet only is read
    sheets = _default_sheets(folder)
    paths = {}
    spelled: dict[str, str] = {}  # a file named in GBK bytes: its name as read -> its path as the disk has it
    unreadable = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.lower() in IGNORED or path.name.startswith(".") or path.resolve() == sheet_path \
                or path.resolve() in sheets:
            continue
        rel = path.relative_to(folder).as_posix()
        name = _file_name(rel)
        if name is None:
            unreadable.append(os.fsencode(rel).decode("utf-8", "backslashreplace"))  # its bytes: \xff\xfe.csv
            continue
        if name != rel:
            spelled[name] = rel
        paths[name] = path
    rows, errors = _sheet_rows(config, sheet_path.name if sheet_path else None,
                               (lambda: sheet_path.read_bytes()) if sheet_path else None, list(paths))
    for other in (p for p in sheets if p != sheet_path):
        if sheet_path is not None:
            said = Message(N_("%(sheet)s: a second metadata sheet, not read: %(read)s was (name the one to read in "
                              "the source's config, metadata_sheet)"), sheet=other.name, read=sheet_path.name)
        else:  # the config names a sheet that is not there (its own error row says so)
            said = Message(N_("%(sheet)s: a metadata sheet, not read: the source's config names %(read)s"),
                           sheet=other.name, read=str(config.get("metadata_sheet")))
        errors.append(RemoteItem(remote_id=other.name, payload={"sheet": other.name}, error=said))
    for raw in unreadable:  # one file whose name cannot be read stops nothing: an error row names it
        errors.append(RemoteItem(remote_id=raw[:MAX_LINE], payload={"file": raw},
                                 error=Message(N_("%(file)s: the file name is neither UTF-8 nor GBK; rename the "
                                                  "file"), file=f"'{raw[:200]}'")))
    for rel, path in paths.items():
        if base_url:  # a name in GBK bytes is served by the folder's web server under those bytes
            url = base_url.rstrip("/") + "/" + (quote(os.fsencode(spelled[rel]), safe="/") if rel in spelled else rel)
        else:
            url = path.resolve().as_uri()
        stat = path.stat()
        payload = _payload(rel, url, stat.st_size, config, _usable((rows or {}).get(rel)))
        # When the file last changed is a fact the folder knows: the dataset's modification date unless the
        # defaults or the sheet say otherwise (data.json requires one; timeliness is judged on it).
        payload["mtime"] = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).date().isoformat()
        yield RemoteItem(remote_id=rel, payload=payload, hold=_held(rows, rel))
    yield from errors


def _file_name(rel: str) -> str | None:
    """A file's path as people read it: as it is when the disk's bytes are UTF-8, else read as GB18030 (a folder
    unzipped on a Chinese Windows machine keeps GBK names: 财政收入.csv); None when neither reads it."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(rel).decode("gb18030")
    except UnicodeDecodeError:
        return None


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def _list_text(content: bytes, url: str) -> str:
    """A file list's text: UTF-8, or GBK (GB18030) as a Chinese office's editor saves it. Short GBK text is often
    valid UTF-8 too (一.csv in GBK reads as һ.csv): UTF-8 that holds no Chinese character but other non-ASCII
    letters, when the same bytes read as Chinese in GB18030, is taken as GB18030. The bytes alone cannot tell
    such a list from a UTF-8 one of Greek or Cyrillic names (Ωmega.csv reads as 惟mega.csv): a UTF-8 list with a
    byte-order mark is always read as UTF-8."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise HarvestError(N_("%(url)s: a file list must be text in UTF-8 or GBK (%(error)s)"), url=url,
                               error=exc) from exc
    if not content.startswith(codecs.BOM_UTF8) and not text.isascii() and not _has_cjk(text):
        try:
            chinese = content.decode("gb18030")
        except UnicodeDecodeError:
            return text
        if _has_cjk(chinese):
            return chinese
    return text


def gather_list(url: str, http: Any, config: dict[str, Any]) -> Iterator[RemoteItem]:
    """One item per line of a text file listing files: http(s) URLs, or paths relative to the list (a local
    list's relative paths must stay inside its folder; `config.base_url` says where that folder is
    published). Blank lines and lines starting with # are skipped."""
    doc = read(url, http, expected=N_("a file list"))
    text = _list_text(doc.content, url)
    remote = is_remote(doc.url)
    folder = None if remote else Path(doc.url).parent
    base_url = config.get("base_url")
    entries: dict[str, tuple[str | None, int | None, Message | None]] = {}  # entry -> (url, size, error)
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#") or entry in entries:
            continue
        if len(entry) > MAX_LINE:  # the line is the record's key, and keys have room for 500 characters
            entries[entry[:MAX_LINE]] = (None, None, Message(N_("%(entry)s...: longer than %(max)s characters"),
                                                             entry=entry[:80], max=MAX_LINE))
            continue
        entries[entry] = _resolve(entry, doc.url, folder, base_url)
    first: dict[str, str] = {}  # a file's URL -> the line that named it first
    for entry, (file_url, _size, error) in entries.items():
        if error is None and file_url:
            if file_url in first:  # a.csv and its whole URL: one file, not two datasets (a and a-2)
                entries[entry] = (None, None, Message(N_("%(entry)s: the same file as %(first)s, listed before"),
                                                      entry=f"'{entry}'", first=f"'{first[file_url]}'"))
            else:
                first[file_url] = entry
    sheet_name, fetch_sheet = _list_sheet(doc.url, folder, http, config.get("metadata_sheet"))
    good = [e for e, (_u, _s, err) in entries.items() if err is None]
    aliases = {entries[e][0]: e for e in good if entries[e][0] and entries[e][0] != e}
    rows, errors = _sheet_rows(config, sheet_name, fetch_sheet, good, aliases)
    for entry, (file_url, size, error) in entries.items():
        if error:
            yield RemoteItem(remote_id=entry, payload={"file": entry}, error=error)
            continue
        yield RemoteItem(remote_id=entry, payload=_payload(entry, file_url, size, config,
                                                           _usable((rows or {}).get(entry))),
                         hold=_held(rows, entry))
    yield from errors


def _resolve(entry: str, list_url: str, folder: Path | None, base_url: str | None):
    """(url, size, error) of one line of a file list."""
    scheme = urlsplit(entry).scheme
    if is_remote(entry):
        return entry, None, None
    if scheme and len(scheme) > 1:
        return None, None, Message(N_("%(entry)s: only http(s) URLs and relative paths can be listed"),
                                   entry=f"'{entry}'")
    if folder is None:  # a list on the web: its relative paths are on the web too
        if entry.startswith(("/", "\\")):  # "/etc/passwd" would be any path of the list's server
            return None, None, Message(N_("%(entry)s: an absolute path; list a path relative to the list, or a "
                                          "whole http(s) URL"), entry=f"'{entry}'")
        return urljoin(list_url, entry), None, None
    rel = PurePosixPath(unquote(entry.replace("\\", "/")))
    path = (folder / rel).resolve()
    if rel.is_absolute() or not path.is_relative_to(folder.resolve()):
        return None, None, Message(N_("%(entry)s: a listed path must stay inside the list's folder"),
                                   entry=f"'{entry}'")
    if not path.is_file():
        return None, None, Message(N_("%(entry)s: no such file beside the list"), entry=f"'{entry}'")
    rel_text = path.relative_to(folder.resolve()).as_posix()
    url = (base_url.rstrip("/") + "/" + rel_text) if base_url else path.as_uri()
    return url, path.stat().st_size, None


def _local_sheet(folder: Path, configured: str | None) -> Path | None:
    """The sheet to read: the one the config names when it is a file inside the folder (None otherwise: the
    caller says it is not there), else the first of the default names present."""
    if configured:
        path = (folder / configured).resolve()
        return path if path.is_relative_to(folder.resolve()) and path.is_file() else None
    return next(iter(_default_sheets(folder)), None)


def _default_sheets(folder: Path) -> list[Path]:
    """The files of the folder named as sheets are by default, in SHEET_NAMES's order."""
    present = {p.name.lower(): p.resolve() for p in folder.iterdir() if p.is_file()}
    return [present[n] for n in SHEET_NAMES if n in present]


def _list_sheet(list_url: str, folder: Path | None, http: Any, configured: str | None):
    """(name, fetch) of the sheet beside a file list; fetch returns its bytes, or None when a sheet looked
    for under a default name is not there."""
    if folder is not None:
        path = _local_sheet(folder, configured)
        if path is None:
            return None, None
        return path.name, path.read_bytes
    names = [configured] if configured else list(SHEET_NAMES)

    def fetch():
        for name in names:
            try:
                return name, read(urljoin(list_url, name), http, expected=N_("a metadata sheet")).content
            except HarvestError as exc:
                cause = exc.__cause__
                if not configured and isinstance(cause, HttpError) and cause.status == 404:
                    continue
                raise SheetError(Message(N_("%(name)s: %(error)s"), name=name, error=exc.message)) from exc
        return None

    return (configured or "metadata sheet"), fetch


def _sheet_rows(config: dict[str, Any], name: str | None, fetch, files: list[str],
                aliases: dict[str, str] | None = None) -> tuple[dict[str, dict[str, Any]] | None, list[RemoteItem]]:
    """Each file's sheet row, and the error items; rows None when a sheet is there (or named in the config)
    but could not be read: the files' items are then held (the module's docstring)."""
    if fetch is None:
        if config.get("metadata_sheet"):
            item = RemoteItem(remote_id=str(config["metadata_sheet"]), payload={"sheet": config["metadata_sheet"]},
                              error=Message(N_("%(sheet)s: the metadata sheet named in the config is not in the "
                                               "folder"), sheet=str(config["metadata_sheet"])))
            return None, [item]
        return {}, []
    try:
        got = fetch()
        if got is None:
            return {}, []
        if isinstance(got, tuple):
            name, got = got
        rows = read_sheet(name, got)
    except SheetError as exc:
        return None, [RemoteItem(remote_id=name, payload={"sheet": name}, error=exc.args[0])]
    except OSError as exc:  # its reason, not the server's path
        said = Message(N_("%(name)s: cannot be read (%(error)s)"), name=name, error=exc.strerror or type(exc).__name__)
        return None, [RemoteItem(remote_id=name, payload={"sheet": name}, error=said)]
    return match_rows(name, rows, files, aliases)


def _held(rows: dict[str, dict[str, Any]] | None, file: str) -> bool:
    """Whether the file's item is held: the sheet could not be read, or the file's row this time."""
    return rows is None or HELD in rows.get(file, {})


def _usable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None or HELD in row else row


def _payload(file: str, url: str, size: int | None, config: dict[str, Any], row: dict[str, Any] | None):
    payload: dict[str, Any] = {"file": file, "url": url, "size": size}
    if config.get("defaults"):
        payload["defaults"] = config["defaults"]
    if row is not None:
        payload["sheet"] = row
    return payload


# --------------------------------------------------------------------------- the record


def file_record(payload: dict[str, Any]) -> Record:
    """A file's dataset from its payload alone: inferred from the file (title from its name, format from
    its extension), then the source's defaults, then its sheet row, each overriding what came before;
    values not understood are flagged where they came from. The slug comes from the file's name (a sheet's
    Chinese title would give none), unless the row gives one; a name with no Latin letter gives none."""
    rec = record_for_file(payload["file"], payload["url"], payload.get("size"))
    slug = name_slug(rec["title"][""])  # 人口统计.csv gives none: the store names it dataset-<its id>
    if slug:
        rec["slug"] = slug
    if payload.get("mtime"):
        rec["modified"] = payload["mtime"]
    defaults = payload.get("defaults")
    if defaults:
        if not isinstance(defaults, dict):
            raise ValueError("config.defaults must be an object of field: value")
        fields, problems = defaults_fields(defaults)
        filemeta.apply(rec, fields, problems, where="source defaults")
    sheet = payload.get("sheet")
    if sheet:
        _file, fields, problems = filemeta.from_row(sheet["values"])
        if "modified" not in fields and any(field == "modified" for field, _value, _why in problems):
            # the sheet's date could not be read: not the file's own time instead, which published stale data as
            # changed today (flagged, the quality score says the date was not one)
            rec["modified"] = None
        filemeta.apply(rec, fields, problems, where=f"{sheet['name']} row {sheet['row']}")
    return rec


def defaults_fields(defaults: dict[str, Any]) -> tuple[Record, list[tuple[str, Any, str]]]:
    """The record fields a source's defaults give every file, and what in them is not understood: values the
    vocabularies do not know, and keys no default can be given for (a slug or a title, one for every file, is
    none; a key no field has)."""
    fields, problems = filemeta.from_values(defaults)
    unknown = (fields.pop("extras", None) or {}).get("file_metadata", {})
    if "slug" in fields:  # one slug for every file is no default
        unknown["slug"] = fields.pop("slug")
    if "title" in fields:  # nor one title: every file was called the same
        unknown["title"] = fields.pop("title").get("")
    for key, value in unknown.items():
        problems.append((f"defaults.{key}", value, N_("not a field a default can be given for")))
    return fields, problems


def record_for_file(rel: str, url: str, size: int | None) -> Record:
    """A dataset inferred from one file: title from its name, format from its extension, and as its identifier the
    file's web address (its relative path was the identifier: two folders holding parking-lots.csv published the same
    data.json identifier, which data.gov's harvester and every client keying datasets by it merge); a file with no
    web address has none (the doors then give the dataset's own)."""
    name = PurePosixPath(rel).stem
    title = name.replace("_", " ").replace("-", " ").strip() or rel
    fmt = vocab.format_for_extension(rel)
    media = mimetypes.guess_type(rel)[0]
    return new_record(
        title={"": title},
        identifier=url if url.startswith(("http://", "https://")) else None,
        distributions=[new_distribution(id=rel, title={"": PurePosixPath(rel).name}, download_url=url,
                                        access_url=url, format=fmt.code if fmt else None,
                                        format_raw=PurePosixPath(rel).suffix.lstrip(".") or None, media_type=media,
                                        byte_size=size)],
    )
