"""Personal data anywhere in a file as it is stored, for the doors that hand out the file itself (an upload as it
was sent, an archived version): every cell of every sheet of a workbook, every line and field of a text file,
every member of a ZIP (workbooks and text files inside, one ZIP inside another), what a GZIP holds, the text of
every page of a PDF (`_pdf`).

The profile and the row store read one table: a workbook's first sheet, a ZIP's first table, the rows between
the notes. The original file holds the rest too (a second sheet of names and ID numbers, a second CSV in the
ZIP, an ID number in a notes row), so what they found does not say the original is clean.

`scan_file` gives the personal kinds found per part (``{part: {kind: cells}}``, counts only, never a value): a
part is a sheet (``名单``), a ZIP member (``data/hotline.csv``, ``book.xlsx!名单``) or ``*`` for a text file as
a whole. What cannot be read as text or a workbook (a PDF, an image) gives nothing here.

A part the scan cannot read to its end is said to hold `UNSCANNED` (one), never nothing: a GZIP that unpacks past
the bound, a ZIP that is a bomb or nested deeper than `_DEPTH`, an encrypted or broken member. The doors that hand
out the file itself then withhold it as they do a file with personal data (it may hold some: a gzipped CSV of ID
numbers a hundred times smaller than its content was served whole, said to hold nothing). So is a PDF that cannot be
opened (a password, AES encryption this build cannot undo, a file pypdf cannot parse) or whose reading passes the
bounds (`_PDF_PAGES` pages, a GZIP's bound of text, `_PDF_SECONDS`, `_PDF_STREAM_BYTES` unpacked from one stream).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator

from plumbing.bombs import BOMB_MIN_BYTES, BOMB_RATIO, archive_bomb
from quality import pii
from quality.tabular.sheets import sheet_rows

WORKBOOKS = {"xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls", "ods": "ods"}
WHOLE = "*"
_LINES = 10_000  # lines scanned at once (bounded memory)
_FIELDS = re.compile(r"[,\t|;\"'<>{}\[\]\s]+")  # what separates a text file's fields (CSV, TSV, JSON, XML)
_DEPTH = 3  # ZIPs inside ZIPs read this deep
#: The kind said of a part the scan could not read to its end (not a kind of quality.pii: no finding is made of it).
UNSCANNED = "unscanned"
#: A PDF is read within these bounds (a bomb: a page tree of a million pages in a few kilobytes, a content stream
#: that unpacks to gigabytes, objects nested past any reader's stack), and its text within a GZIP's (BOMB_RATIO
#: times the file, at least BOMB_MIN_BYTES characters); past any of them it is `UNSCANNED`.
_PDF_PAGES = 2_000  # at 10 to 30 ms a page of text (pypdf, then the detector) on 2 loaded cores: 20 to 60 s
_PDF_SECONDS = 120.0
_PDF_STREAM_BYTES = 32 * 1024 * 1024
#: Why a PDF (or some of its pages) was not read, as `scan_whole` keeps it (``"pdf"``: ``unread``).
PDF_ENCRYPTED, PDF_DAMAGED, PDF_BOUND = "encrypted", "damaged", "bound"
#: A decimal number standing on its own (a cell, or a field between separators, or a word of a line): the profile
#: reads such a column as numbers and never scans it, and no personal kind has a decimal point in it (an ID number,
#: a mobile or a card number is digits, spaces and hyphens), while a fraction's digits may look like one
#: (512.13456789012: "13456789012" after the point reads as a mobile number).
_DECIMAL = re.compile(r"(?<![\w@.])[+-]?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w@.])")


def scan_file(path: str | os.PathLike, fmt: str | None) -> dict[str, dict[str, int]]:
    """The personal data found in the file at `path` (sniffed format `fmt`: ``XLSX``, ``ZIP``, ``CSV`` ...)."""
    return _scan(os.fspath(path), (fmt or "").lower(), "", 0, {})


def scan_whole(path: str | os.PathLike, fmt: str | None) -> dict:
    """``{"parts": scan_file(...), "table": table_part(...), "pdf": {part: pages}}``: what the assessment and the
    doors keep of a copy. ``pdf`` says, of each part that is a PDF, how many pages it has (``pages``), the pages each
    kind of personal data was found on (``found``: ``{kind: [[first, last], ...]}``), the pages without any text
    (``textless``, as ranges) and why it was not read to its end (``unread``: `PDF_ENCRYPTED`, `PDF_DAMAGED`,
    `PDF_BOUND`; the part is then `UNSCANNED` too)."""
    pdf: dict[str, dict] = {}
    parts = _scan(os.fspath(path), (fmt or "").lower(), "", 0, pdf)
    return {"parts": parts, "table": table_part(path, fmt), "pdf": pdf}


def table_part(path: str | os.PathLike, fmt: str | None) -> str | None:
    """The part of the file (named as `scan_file` names parts) that the profile and the row store read as its
    table: a workbook's first sheet, a ZIP's table member (``quality.tabular.read.zip_member``; its first sheet when
    it is a workbook), a text file as a whole (``*``). None when there is none (a ZIP without a table, a workbook
    that cannot be opened)."""
    return _table_part(os.fspath(path), (fmt or "").lower(), "")


def _table_part(path: str, fmt: str, prefix: str) -> str | None:
    if fmt in WORKBOOKS:
        try:
            names = _sheet_names(path, WORKBOOKS[fmt])
        except Exception:  # noqa: BLE001 - a workbook these libraries cannot open: no table is read from it
            return None
        return f"{prefix}{names[0]}" if names else None
    if fmt == "pdf":
        return None  # no table is read from a PDF: all it holds is beyond one
    if fmt != "zip":
        return prefix.rstrip("!") or WHOLE
    from quality.tabular.read import zip_member  # pyarrow, which read.py loads, is not needed to scan a file

    try:
        with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory(prefix="whole-") as tmp:
            info = zip_member(zf)
            ext = os.path.splitext(info.filename.lower())[1].lstrip(".")
            if ext not in WORKBOOKS:
                return f"{prefix}{info.filename}"
            target = os.path.join(tmp, "member")
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return _table_part(target, ext, f"{prefix}{info.filename}!")
    except (zipfile.BadZipFile, RuntimeError, OSError, ValueError):  # TableError is a ValueError: no table member
        return None


def _scan(path: str, fmt: str, prefix: str, depth: int, pdf: dict[str, dict]) -> dict[str, dict[str, int]]:
    if fmt in WORKBOOKS:
        return _workbook(path, WORKBOOKS[fmt], prefix)
    if fmt == "zip":
        return _zip(path, prefix, depth, pdf) if depth < _DEPTH else _unscanned(prefix)
    if fmt == "gzip":
        return _gzip(path, prefix, depth, pdf) if depth < _DEPTH else _unscanned(prefix)
    if fmt == "pdf":
        return _pdf(path, prefix, pdf)
    with open(path, "rb") as fh:
        found = _text(fh)
    return {(prefix.rstrip("!") or WHOLE): found} if found else {}


def _unscanned(prefix: str) -> dict[str, dict[str, int]]:
    """The part `prefix` names (the file itself when none), as one the scan could not read to its end."""
    return {(prefix.rstrip("!") or WHOLE): {UNSCANNED: 1}}


def _personal(counts: dict[str, int]) -> dict[str, int]:
    return {k: int(n) for k, n in counts.items() if k in pii.PERSONAL_KINDS and n}


def _more(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in {*a, *b}}


def _sheet_names(path: str, fmt: str) -> list[str]:
    if fmt == "xlsx":
        import openpyxl

        with open(path, "rb") as fh:  # an archived copy has no extension: openpyxl wants an open file
            book = openpyxl.load_workbook(fh, read_only=True)
            try:
                return list(book.sheetnames)
            finally:
                book.close()
    if fmt == "xls":
        import xlrd

        return list(xlrd.open_workbook(path, on_demand=True).sheet_names())
    import pandas as pd

    with pd.ExcelFile(path, engine="odf") as book:
        return [str(name) for name in book.sheet_names]


def _workbook(path: str, fmt: str, prefix: str) -> dict[str, dict[str, int]]:
    """Every cell of every sheet, per sheet (a cell is scanned as it is: a bank card number is a cell of its own)."""
    try:
        names = _sheet_names(path, fmt)
    except Exception:  # noqa: BLE001 - a workbook these libraries cannot open: its readers fail the same way
        return {}
    out = {}
    for index, name in enumerate(names):
        try:
            rows = sheet_rows(path, fmt, index)
        except Exception:  # noqa: BLE001 - a sheet that cannot be read (TableError or its library's) holds nothing to say
            continue
        found = _personal(pii.scan_values(_without_decimals(cell for row in rows for cell in row if cell)))
        if found:
            out[f"{prefix}{name}"] = found
    return out


def _text(fh) -> dict[str, int]:
    """Every line of a text file, and every field of each line, scanned (the larger count of each kind)."""
    head = fh.read(8192)
    fh.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\0" in head:
        return {}  # binary: not text
    else:
        encoding = "utf-8-sig" if _utf8(fh) else "gb18030"
        fh.seek(0)
    return _lines(io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline=""))


def _lines(text: Iterable[str]) -> dict[str, int]:
    """Every line of `text`, and every field of each line, scanned (the larger count of each kind)."""
    by_line: dict[str, int] = {}
    by_field: dict[str, int] = {}
    for lines in _chunks(text, _LINES):
        lines = list(_without_decimals(lines))
        for kind, n in _personal(pii.scan_values(lines)).items():
            by_line[kind] = by_line.get(kind, 0) + n
        fields = [f for line in lines for f in _FIELDS.split(line) if f]
        for kind, n in _personal(pii.scan_values(fields)).items():
            by_field[kind] = by_field.get(kind, 0) + n
    return _more(by_line, by_field)


def _is_pdf(head: bytes) -> bool:
    """Whether bytes that begin a file are a PDF's: ``%PDF-`` after nothing but white space, as the sniffer reads it."""
    return head.lstrip()[:5] == b"%PDF-"


def _pdf(path: str, prefix: str, notes: dict[str, dict]) -> dict[str, dict[str, int]]:
    """The text of every page of the PDF at `path`, scanned as a text file's lines and fields are, as one part (the
    file, ``*``, or the ZIP member `prefix` names). Its pages are kept in `notes` under the part (`scan_whole`).

    An encrypted PDF is opened with the empty password (one that only restricts printing or copying opens so, as
    in any reader; AES needs the `cryptography` package, RC4 nothing); one that needs a password, or whose
    encryption this build cannot undo, is not read, nor one
    pypdf cannot parse: each is `UNSCANNED` (withheld at the doors, as an encrypted ZIP member is), never said to
    hold nothing. So is one whose reading passes a bound: `_PDF_PAGES`, `_PDF_SECONDS`, a GZIP's bound of text
    characters, `_PDF_STREAM_BYTES` unpacked from one stream (pypdf's own limits, which stop a FlateDecode bomb
    before it is unpacked, tightened), objects nested past Python's stack. What was found before the bound is kept.
    Pages without text (scanned images) are noted, not `UNSCANNED`: most scanned PDFs are harmless notices, and
    nothing here can read them; the finding says so (quality.rules.pii_file)."""
    import pypdf
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    part = prefix.rstrip("!") or WHOLE
    note: dict = {"pages": 0, "found": {}, "textless": []}
    notes[part] = note
    counts: dict[str, int] = {}
    found: dict[str, list[int]] = {}
    textless: list[int] = []
    text_cap = max(BOMB_MIN_BYTES, os.path.getsize(path) * BOMB_RATIO)
    deadline = time.monotonic() + _PDF_SECONDS
    limits = {"zlib_maximum_output_length": _PDF_STREAM_BYTES, "lzw_maximum_output_length": _PDF_STREAM_BYTES,
              "run_length_maximum_output_length": _PDF_STREAM_BYTES, "brotli_maximum_output_length": _PDF_STREAM_BYTES,
              "array_based_stream_maximum_output_length": _PDF_STREAM_BYTES,
              "stream_decoding_work_maximum_length": 4 * _PDF_STREAM_BYTES,
              "page_tree_maximum_page_entries": 64 * _PDF_PAGES, "page_tree_maximum_entries": 4 * _PDF_PAGES,
              "jbig2dec_binary": None, "disable_legacy_handling": True}
    unread = None
    try:
        with pypdf.apply_configuration(**limits):
            reader = pypdf.PdfReader(path, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("a password is needed")
            pages = reader.pages
            note["pages"] = len(pages)
            if len(pages) > _PDF_PAGES:
                raise LimitReachedError(f"{len(pages)} pages")
            chars = 0
            for number, page in enumerate(pages, start=1):
                if time.monotonic() > deadline:
                    raise LimitReachedError("time")
                text = page.extract_text() or ""
                chars += len(text)
                if chars > text_cap:
                    raise LimitReachedError("text")
                if not text.strip():
                    textless.append(number)
                    continue
                for kind, n in _lines(text.splitlines()).items():
                    counts[kind] = counts.get(kind, 0) + n
                    found.setdefault(kind, []).append(number)
    except (LimitReachedError, RecursionError, MemoryError):
        unread = PDF_BOUND
    except Exception as exc:  # noqa: BLE001 - pypdf raises what a damaged file makes it (KeyError, ValueError ...)
        encrypted = isinstance(exc, FileNotDecryptedError) or exc.__class__.__name__ == "DependencyError"
        unread = PDF_ENCRYPTED if encrypted else PDF_DAMAGED
    note["found"] = {kind: _ranges(numbers) for kind, numbers in sorted(found.items())}
    note["textless"] = _ranges(textless)
    if unread is not None:
        note["unread"] = unread
        counts[UNSCANNED] = 1
    return {part: counts} if counts else {}


def _ranges(numbers: list[int]) -> list[list[int]]:
    """Page numbers (ascending) as ranges: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    out: list[list[int]] = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def _without_decimals(values: Iterable[str]) -> Iterator[str]:
    """`values` with each decimal number in them blanked (`_DECIMAL`), those that are one left out."""
    for value in values:
        text = str(value)
        if "." in text:
            text = _DECIMAL.sub(" ", text)
            if not text.strip():
                continue
        yield text


def _utf8(fh) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in iter(lambda: fh.read(1 << 20), b""):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    held: list[str] = []
    for line in lines:
        held.append(line)
        if len(held) >= size:
            yield held
            held = []
    if held:
        yield held


def _gzip(path: str, prefix: str, depth: int, pdf: dict[str, dict]) -> dict[str, dict[str, int]]:
    """What a GZIP holds, unpacked to a temporary file and scanned as what it is: a ZIP (or a workbook, a ZIP too) by
    its members, anything else as text, the file as a whole (``*``). No table is read from a GZIP, so all it holds is
    beyond the table (a CSV of ID numbers, gzipped, was published and served whole: its compressed bytes were
    scanned as text). Unpacking stops at a bomb's size (BOMB_RATIO times the file, at least BOMB_MIN_BYTES): nothing
    is said of it here, and its readers refuse it."""
    cap = max(BOMB_MIN_BYTES, os.path.getsize(path) * BOMB_RATIO)
    with tempfile.TemporaryDirectory(prefix="whole-") as tmp:
        target = os.path.join(tmp, "member")
        with open(path, "rb") as src, open(target, "wb") as dst:
            written = _gunzip(src, dst, cap)
        if written is None:  # past the bound: what it holds beyond was never read
            return _unscanned(prefix)
        if not written:
            return {}
        with open(target, "rb") as fh:
            magic = fh.read(1024)
        inner = "zip" if magic[:4] == b"PK\x03\x04" else "pdf" if _is_pdf(magic) else ""
        return _scan(target, inner, prefix, depth + 1, pdf)


def _gunzip(src, dst, cap: int) -> int | None:
    """Unpack the GZIP `src` into `dst` as far as it goes (a stream cut short, a copy cut at the download limit, gives
    what it holds up to the cut; members one after another, all of them); how many bytes, or None past `cap`."""
    written = 0
    unpack = zlib.decompressobj(wbits=31)
    for block in iter(lambda: src.read(1 << 16), b""):
        while block:
            try:
                out = unpack.decompress(block, cap + 1 - written)
            except zlib.error:  # damaged from here on: what came before is kept
                return written
            written += len(out)
            if written > cap:
                return None
            dst.write(out)
            block = unpack.unconsumed_tail
            if unpack.eof:  # another member may follow
                block = unpack.unused_data + block
                unpack = zlib.decompressobj(wbits=31)
                if not block.startswith(b"\x1f\x8b"):
                    return written
    return written


def _zip(path: str, prefix: str, depth: int, pdf: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Every member: workbooks by sheet, ZIPs, GZIPs and PDFs inside (by their first bytes, whatever their names),
    anything else as text (a member that is not text gives nothing). A bomb is not opened (its readers refuse it
    too), nor an encrypted member, nor one that breaks off: each is said `UNSCANNED`."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        # a ZIP no reader opens (no central directory, cut off): its local entries may still be unpacked by tools
        # that read them in turn, so it is not said to hold nothing, as a broken member is not
        return _unscanned(prefix)
    out: dict[str, dict[str, int]] = {}
    with zf, tempfile.TemporaryDirectory(prefix="whole-") as tmp:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if archive_bomb((i.filename, i.file_size, i.compress_size) for i in infos) is not None:
            return _unscanned(prefix)
        for info in infos:
            ext = os.path.splitext(info.filename.lower())[1].lstrip(".")
            member = f"{prefix}{info.filename}"
            try:
                with zf.open(info) as src:
                    magic = src.read(1024)
                inner = ext if ext in WORKBOOKS else "zip" if ext == "zip" or magic[:4] == b"PK\x03\x04" else \
                    "gzip" if magic[:2] == b"\x1f\x8b" else "pdf" if ext == "pdf" or _is_pdf(magic) else None
                if inner is not None:
                    target = os.path.join(tmp, "member")
                    with zf.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    out.update(_scan(target, inner, f"{member}!", depth + 1, pdf))
                    os.unlink(target)
                else:
                    with zf.open(info) as src:
                        found = _text(src)
                    if found:
                        out[member] = found
            except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError, zlib.error):
                out[member] = {UNSCANNED: 1}  # encrypted or broken: not read to its end
    return out
