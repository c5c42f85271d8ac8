"""Personal data detection in tabular data, counted per column and never echoed.

A public file that lists resident identity numbers, mobile numbers, e-mail addresses or bank card
numbers is a privacy incident, so the quality engine counts such cells per column (design 5.3).
The counts are all it keeps: no function here returns, stores or logs a matched value.

Detection is vectorised: a cheap length or literal prefilter and a regular expression run over
whole pyarrow string arrays; checksums (ISO 7064 MOD 11-2 for resident identity numbers, Luhn for
bank cards, GB 32100-2015 for unified social credit codes) run in numpy only on the regex
candidates, so a column of five million cells is scanned without a Python loop per cell. A number
that looks right but fails its checksum is not counted: it is most likely an ordinary code.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from quality.tabular.arrow import booleans, from_booleans, integer

#: The kinds counted, in report order. ``uscc`` identifies organisations, not people: it is
#: counted for the publisher's information but is not personal data by itself.
# Lengths compared with as arrow scalars: a Python int in a compute call makes pyarrow import pandas.
_N11, _N13, _N18, _N23 = integer(11), integer(13), integer(18), integer(23)

KINDS = ("id_number", "phone", "email", "bank_card", "uscc")

# Province-level prefixes of GB/T 2260 administrative division codes (first two digits).
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[[11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
            50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]] = True
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_CHARS):
    _USCC_VALUE[ord(_c)] = _i
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)

_ID_RE = r"^[1-8]\d{16}[\dXx]$"
_ID_INSIDE = re.compile(r"(?<![0-9A-Za-z])([1-8]\d{16}[\dXx])(?![0-9A-Za-z])")  # in text: 身份证11010519...，
_ID_INSIDE_CAND = r"\d{17}[\dXx]"
_PHONE_RE = r"(^|[^\d])(\+86[ -]?|0086[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}([^\d]|$)"
_EMAIL_RE = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_CARD_RE = r"^(4|5[1-5]|2[2-7]|3[457]|6)\d{12,18}$"
_USCC_RE = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def _fixed_width(arr: pa.Array, width: int) -> np.ndarray:
    """View a string array whose values are all ``width`` ASCII bytes as an (n, width) uint8 matrix."""
    arr = pc.cast(arr, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    return data[start:start + n * width].reshape(n, width)


def _valid_ids(arr: pa.Array) -> np.ndarray:
    """Checksum, birth date and province checks on candidates already matching ``_ID_RE``."""
    m = _fixed_width(pc.utf8_upper(arr), 18)
    if len(m) == 0:
        return np.zeros(0, dtype=bool)
    d = m[:, :17].astype(np.int64) - 48
    check = _ID_CHECK[(d * _ID_WEIGHTS).sum(axis=1) % 11]
    ok = check == m[:, 17]
    ok &= _PROVINCES[d[:, 0] * 10 + d[:, 1]]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ok &= month_ok & (day >= 1) & (day <= dim)
    ok &= (year >= 1900) & (year <= _dt.date.today().year)
    return ok


def _luhn(arr: pa.Array) -> np.ndarray:
    """Luhn check on digit-only candidates of 13 to 19 digits (left-padded with zeros, which is neutral)."""
    m = _fixed_width(pc.utf8_lpad(arr, width=19, padding="0"), 19)
    if len(m) == 0:
        return np.zeros(0, dtype=bool)
    d = m.astype(np.int64) - 48
    doubled = np.arange(19)[::-1] % 2 == 1  # every second digit from the right
    d[:, doubled] *= 2
    d[d > 9] -= 9
    return d.sum(axis=1) % 10 == 0


def _valid_uscc(arr: pa.Array) -> np.ndarray:
    """GB 32100-2015 check character on candidates already matching ``_USCC_RE``."""
    m = _fixed_width(arr, 18)
    if len(m) == 0:
        return np.zeros(0, dtype=bool)
    v = _USCC_VALUE[m]
    check = (31 - (v[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    return (v.min(axis=1) >= 0) & (check == v[:, 17])


def _ids_inside(arr: pa.Array) -> np.ndarray:
    """Which cells of `arr` (longer than 18 characters) hold a valid resident identity number inside their text
    ("市民王某（身份证11010519491231002X，电话...）"): a boolean per cell. Only cells with a run of 17 digits are
    looked into, and the numbers found are checked together (`_valid_ids`)."""
    out = np.zeros(len(arr), dtype=bool)
    cand = np.flatnonzero(booleans(pc.match_substring_regex(arr, _ID_INSIDE_CAND)))
    if not len(cand):
        return out
    cells, numbers = [], []
    for pos, text in zip(cand, pc.take(arr, pa.array(cand, pa.int64())).to_pylist(), strict=True):
        for found in _ID_INSIDE.finditer(text or ""):
            cells.append(pos)
            numbers.append(found.group(1).upper())
    if numbers:
        ok = _valid_ids(pa.array(numbers, pa.string()))
        out[np.asarray(cells, dtype=np.int64)[ok]] = True
    return out


#: The full-width forms a number or an address may be typed in by a Chinese input method's full-width mode (digits,
#: Ｘ, ＋, ＠: ３７０２８１…Ｘ, １３８…); NFKC makes each the ASCII character it stands for. Only the cells holding one
#: are normalised (full-width punctuation, ，（）, is in most Chinese text: normalising it all tripled a scan's time).
_FULL_WIDTH = "[\uff10-\uff19\uff38\uff58\uff0b\uff20]"
#: A resident identity number grouped as forms print it, 6-8-4 by spaces or hyphens (370281 19800105 2005).
_ID_GROUPED = r"(^|[^0-9A-Za-z])([1-8]\d{5})[ \-](\d{8})[ \-](\d{3}[\dXx])($|[^0-9A-Za-z])"


def _plain(arr: pa.Array) -> pa.Array:
    """`arr` (strings) as the tests read numbers: full-width forms as ASCII (NFKC, only in the cells that have one), an
    ID number grouped 6-8-4 written whole. Cell for cell, so positions stay those of `arr`."""
    if len(arr) == 0:
        return arr
    wide = pc.match_substring_regex(arr, _FULL_WIDTH)
    if pc.any(wide).as_py():
        arr = pc.if_else(wide, pc.utf8_normalize(arr, "NFKC"), arr)
    if pc.any(pc.match_substring_regex(arr, _ID_GROUPED)).as_py():
        arr = pc.replace_substring_regex(arr, _ID_GROUPED, r"\1\2\3\4\5")
    return arr


def _candidates(arr: pa.Array, mask) -> pa.Array:
    return pc.filter(arr, mask) if mask is not None else arr


def scan_array(arr: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """Count cells of one string array per PII kind. Kinds with no hit are left out."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.drop_null(arr)
    counts: dict[str, int] = {}
    if len(arr) == 0:
        return counts
    # Every kind needs 11 characters or an '@': two cheap byte-level tests drop most cells of
    # ordinary columns (names, amounts, codes) before any regular expression runs.
    maybe = pc.or_(pc.greater_equal(pc.binary_length(arr), _N11), pc.match_substring(arr, "@"))
    arr = _plain(pc.filter(arr, maybe))
    if len(arr) == 0:
        return counts
    trimmed = pc.utf8_trim_whitespace(arr)
    length = pc.utf8_length(trimmed)

    # Resident identity numbers and unified social credit codes: exactly 18 characters.
    is18 = pc.filter(trimmed, pc.equal(length, _N18))
    id_valid_count = 0
    if len(is18):
        upper = pc.utf8_upper(is18)
        id_cand = pc.match_substring_regex(upper, _ID_RE)
        ids = pc.filter(upper, id_cand)
        id_ok = _valid_ids(ids)
        id_valid_count = int(id_ok.sum())
        # A valid identity number is not also counted as an organisation code.
        not_id = pc.invert(id_cand)
        if id_valid_count:
            id_positions = np.flatnonzero(booleans(id_cand))
            not_id_np = booleans(not_id)  # a null is not kept (False): `filter` drops a null as a False
            not_id_np[id_positions[~id_ok]] = True
            not_id = from_booleans(not_id_np)
        rest = pc.filter(upper, not_id)
        uscc = pc.filter(rest, pc.match_substring_regex(rest, _USCC_RE))
        n_uscc = int(_valid_uscc(uscc).sum())
        if n_uscc:
            counts["uscc"] = n_uscc
    longer = pc.filter(trimmed, pc.greater(length, _N18))  # a number inside a text cell counts as one too
    if len(longer):
        id_valid_count += int(_ids_inside(longer).sum())
    if id_valid_count:
        counts["id_number"] = id_valid_count

    # Mobile numbers, also inside longer text ("tel: 138 1234 5678").
    long_enough = pc.filter(trimmed, pc.greater_equal(length, _N11))
    if len(long_enough):
        n_phone = int(pc.sum(pc.match_substring_regex(long_enough, _PHONE_RE)).as_py() or 0)
        if n_phone:
            counts["phone"] = n_phone

    # E-mail addresses: a literal '@' first, the regex only on those cells.
    at = pc.filter(trimmed, pc.match_substring(trimmed, "@"))
    if len(at):
        n_mail = int(pc.sum(pc.match_substring_regex(at, _EMAIL_RE)).as_py() or 0)
        if n_mail:
            counts["email"] = n_mail

    # Bank cards: 13-19 digits once spaces and hyphens are removed, a card-scheme prefix, Luhn.
    mid = pc.filter(trimmed, pc.and_(pc.greater_equal(length, _N13), pc.less_equal(length, _N23)))
    if len(mid):
        digits = pc.replace_substring_regex(mid, r"[ \-]", "")
        cards = pc.filter(digits, pc.match_substring_regex(digits, _CARD_RE))
        if len(cards):
            ok = _luhn(cards)
            is_id = np.zeros(len(cards), dtype=bool)
            c_len = np.asarray(pc.utf8_length(cards).to_numpy(zero_copy_only=False))
            if (c_len == 18).any():
                pos = np.flatnonzero(c_len == 18)
                is_id[pos] = _valid_ids(pc.take(cards, pa.array(pos)))
            n_card = int((ok & ~is_id).sum())
            if n_card:
                counts["bank_card"] = n_card
    return {k: counts[k] for k in KINDS if k in counts}


def scan_values(values: Iterable[str | None]) -> dict[str, int]:
    """Count PII kinds in an iterable of strings (None is skipped)."""
    return scan_array(pa.array([None if v is None else str(v) for v in values], pa.string()))


class ColumnScanner:
    """Accumulates per-column counts over a stream of record batches (bounded memory)."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, batch: pa.RecordBatch | pa.Table, columns: Iterable[str] | None = None) -> None:
        names = list(columns) if columns is not None else batch.schema.names
        for name in names:
            col = batch.column(name)
            if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                    or pa.types.is_integer(col.type)):
                continue
            found = scan_array(col)
            if found:
                target = self.counts.setdefault(name, {})
                for kind, n in found.items():
                    target[kind] = target.get(kind, 0) + n

    def result(self) -> dict[str, dict[str, int]]:
        return {col: {k: kinds[k] for k in KINDS if k in kinds} for col, kinds in self.counts.items()}


def scan_columns(table_or_batches) -> dict[str, dict[str, int]]:
    """Counts per column and kind for a pyarrow Table/RecordBatch, a pandas DataFrame or an
    iterable of record batches. Columns without any hit are left out."""
    scanner = ColumnScanner()
    if hasattr(table_or_batches, "to_dict") and hasattr(table_or_batches, "columns") \
            and not isinstance(table_or_batches, (pa.Table, pa.RecordBatch)):
        frame = table_or_batches.astype("string")
        table_or_batches = pa.Table.from_pandas(frame, preserve_index=False)
    if isinstance(table_or_batches, (pa.Table, pa.RecordBatch)):
        scanner.add(table_or_batches)
    else:
        for batch in table_or_batches:
            scanner.add(batch)
    return scanner.result()


def is_valid_resident_id(s: str) -> bool:
    """True for an 18-character PRC resident identity number with a plausible birth date,
    a known province prefix and a correct ISO 7064 MOD 11-2 check character."""
    return scan_values([s]).get("id_number", 0) == 1 and len(s.strip()) == 18


def luhn_ok(s: str) -> bool:
    """True when a string of 13 to 19 digits (spaces and hyphens ignored) passes the Luhn check."""
    digits = s.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    return bool(_luhn(pa.array([digits]))[0])


def is_valid_uscc(s: str) -> bool:
    """True for an 18-character unified social credit code with a correct GB 32100-2015 check character."""
    s = s.strip().upper()
    arr = pa.array([s])
    if len(s) != 18 or not pc.match_substring_regex(arr, _USCC_RE)[0].as_py():
        return False
    return bool(_valid_uscc(arr)[0])


#: The kinds that identify people (``uscc`` identifies organisations): what ``mask_array`` masks by default.
PERSONAL_KINDS = ("id_number", "phone", "email", "bank_card")

#: The shapes every value of `PERSONAL_KINDS` has before `mask_array` checks it (its regular expressions, widened to
#: full-width digits and hyphens, which it reads as ASCII): an '@' (an e-mail address); a mobile number; 17 digits
#: in a row (an identity number, alone or in a text) or grouped 6-8-4; and, in a text of at most 23 characters, 13
#: digits with spaces or hyphens between them (a bank card, as `mask_array` reads one).
_MAYBE_PERSONAL = re.compile(r"[@\uff20]|[1\uff11][3-9\uff13-\uff19]\d[ \-\uff0d]?\d{4}[ \-\uff0d]?\d{4}|\d{17}"
                             r"|\d{6}[ \-\uff0d]\d{8}[ \-\uff0d]\d{3}")
_CARD_SHAPE = re.compile(r"\d(?:[ \-\uff0d]*\d){12}")


def may_hold(text: str) -> bool:
    """False when `text` cannot hold a value of `PERSONAL_KINDS` (`mask_array` would not mask it): a test in plain
    Python for a few short texts, where `mask_array`'s twenty array operations cost half a millisecond whatever the
    texts (a dataset's metadata, read at every door that describes it)."""
    if _MAYBE_PERSONAL.search(text) is not None:
        return True
    return len(text.strip()) <= 23 and _CARD_SHAPE.search(text) is not None


#: `may_hold_within`'s reading of a document's UTF-8: every ASCII digit as 0, a space or a hyphen as -, a quote (double
#: or single) as ", any other byte as x.
_SHAPE_BYTES = bytes(48 if 48 <= b <= 57 else 45 if b in (32, 45) else 34 if b in (34, 39) else 120 for b in range(256))
#: Eleven digits as a mobile number is written (3-4-4, a space or a hyphen between the groups at most), read so: an
#: identity number (17 digits in a row, or grouped 6-8-4) and a bank card of 13 digits in a row hold one too.
_ELEVEN_DIGITS = (b"00000000000", b"000-0000-0000", b"000-00000000", b"0000000-0000")
#: A whole text of digits, spaces and hyphens, 13 characters or more: a bank card however grouped (`mask_array` reads
#: one only so).
_DIGITS_TEXT = re.compile(rb'"[0\-]{13,}"')
#: Those shapes as one expression of the text itself, for a document with full-width forms (``\d`` is any decimal
#: digit, the full-width ones too), which `mask_array` reads as ASCII.
_FULL_WIDTH_DIGITS = re.compile(rb"\xef\xbc[\x8d\x90-\x99]")  # U+FF0D, U+FF10-FF19 in UTF-8 (not U+FF0C, a comma)
_JSON_SHAPES = re.compile(r'\d{3}[ \-\uff0d]?\d{4}[ \-\uff0d]?\d{4}|["\'][\d \-\uff0d]{13,}["\']')


def may_hold_within(document: str) -> bool:
    """False when no text of `document` (texts and numbers written out, the texts between quotes with their characters
    as they are: the `repr` of a structure of them, or its JSON with ``ensure_ascii=False``) holds a value `mask_array`
    would mask: no '@', no eleven digits as a mobile number is written (`_ELEVEN_DIGITS`) nor a text of digits long
    enough for a bank card (`_DIGITS_TEXT`). A few microseconds for a dataset's metadata (its bytes mapped to four,
    then searched), where testing each of its texts with `may_hold` took fifty and a regular expression of the text
    itself thirty."""
    if "@" in document or "\uff20" in document:
        return True
    raw = document.encode("utf-8", "surrogatepass")
    if _FULL_WIDTH_DIGITS.search(raw) is not None:
        return _JSON_SHAPES.search(document) is not None
    shapes = raw.translate(_SHAPE_BYTES)
    return any(digits in shapes for digits in _ELEVEN_DIGITS) or _DIGITS_TEXT.search(shapes) is not None


def is_personal(text: object) -> bool:
    """Whether a text is personal data itself: it holds a value of `PERSONAL_KINDS` (a resident identity number, a
    mobile number, an e-mail address, a bank card number), as ``scan_values([text])`` counts them, read as it is or
    as the label it was before a reader made it a unique column name (`name_readings`). The one test of a name: a
    file without a header row has its first row of data read as its column names, so a citizen's ID number or phone
    number is the name of a column, and whatever says a column by its name (a quality finding, the serving gate's
    refusals and descriptions) asks this first. A text too short for any kind is not scanned."""
    return bool(personal_names(["" if text is None else str(text)]))


def first_row_of_data(names) -> bool:
    """Whether a table's column names are its first row of data (a file without a header row): one of them is personal
    data itself (`is_personal`). Every name is then a citizen's cell, a person's name beside the ID number among them
    (no detector tells a name from a word), and every door says each by its position or as ``[redacted]``: the rules'
    findings (quality.findings.column_ref), a version's change (quality.tabular.compare), the serving gate's
    descriptions (app.services.serving)."""
    return bool(personal_names([str(n) for n in names if n is not None]))


#: A reader makes a repeated column name unique by appending its occurrence number (frictionless, and
#: quality.tabular.layout.header_labels: ``name2``, ``name12``), then ``_<n>`` where that met another name, as the row
#: store also renames (app.datastore.load.unique_names: ``name_2``).
_UNIQUE = re.compile(r"_[1-9]\d*$")


def name_readings(name: str) -> list[str]:
    """`name` and the labels it may have been before a reader made it unique: the same phone number twice in a first
    row read as names is ``13812345678`` and ``138123456782``, and the second, a 12-digit number, is no phone number.
    Each ending a reader may have appended is tried (an occurrence number of 2 to 999): this errs towards calling a
    name personal, never the other way."""
    out = [name]
    for base in dict.fromkeys([name, _UNIQUE.sub("", name)]):
        out.append(base)
        for k in (1, 2, 3):
            tail = base[-k:]
            if len(base) > k and tail.isascii() and tail.isdigit() and tail[0] != "0" and int(tail) >= 2:
                out.append(base[:-k])
    return list(dict.fromkeys(out))


def personal_names(names: list[str]) -> dict[str, dict[str, int]]:
    """The `names` (column names) that are personal data (`is_personal`), each with the kinds it holds:
    ``{name: {kind: 1}}``, in one vectorised pass (a table may be wide)."""
    readings = [(n, r) for n in names if len(n) >= 11 or "@" in n for r in name_readings(n)]
    if not readings:
        return {}
    out: dict[str, dict[str, int]] = {}
    for j in mask_array(pa.array([r for _, r in readings], pa.string())).nonzero()[0]:
        name, reading = readings[j]
        kinds = out.setdefault(name, {})
        kinds.update({kind: 1 for kind in scan_values([reading]) if kind in PERSONAL_KINDS})
    return out


def mask_array(arr: pa.Array | pa.ChunkedArray, kinds: Iterable[str] = PERSONAL_KINDS) -> np.ndarray:
    """Which cells of one string array hold a value of `kinds`: a boolean numpy array, one entry per cell.

    The same tests as ``scan_array`` (the same prefilter, regular expressions, checksums, birth dates and
    province codes), applied per position instead of counted, so a cell is masked exactly when
    ``scan_values([cell])`` counts one of `kinds` in it. Nulls are never masked.
    """
    wanted = set(kinds)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    out = np.zeros(len(arr), dtype=bool)
    if len(arr) == 0:
        return out
    maybe = booleans(pc.or_(pc.greater_equal(pc.binary_length(arr), _N11), pc.match_substring(arr, "@")))
    idx = np.flatnonzero(maybe)
    if len(idx) == 0:
        return out
    trimmed = pc.utf8_trim_whitespace(_plain(pc.take(arr, pa.array(idx))))
    length = np.asarray(pc.fill_null(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False))

    def take(positions: np.ndarray) -> pa.Array:
        return pc.take(trimmed, pa.array(positions, pa.int64()))

    if "id_number" in wanted:
        pos = np.flatnonzero(length == 18)
        if len(pos):
            upper = pc.utf8_upper(take(pos))
            cand = booleans(pc.match_substring_regex(upper, _ID_RE))
            if cand.any():
                ok = _valid_ids(pc.filter(upper, pa.array(cand)))
                out[idx[pos[cand][ok]]] = True
        pos = np.flatnonzero(length > 18)
        if len(pos):
            out[idx[pos[_ids_inside(take(pos))]]] = True
    if "phone" in wanted:
        pos = np.flatnonzero(length >= 11)
        if len(pos):
            out[idx[pos[booleans(pc.match_substring_regex(take(pos), _PHONE_RE))]]] = True
    if "email" in wanted:
        pos = np.flatnonzero(booleans(pc.match_substring(trimmed, "@")))
        if len(pos):
            out[idx[pos[booleans(pc.match_substring_regex(take(pos), _EMAIL_RE))]]] = True
    if "bank_card" in wanted:
        pos = np.flatnonzero((length >= 13) & (length <= 23))
        if len(pos):
            digits = pc.replace_substring_regex(take(pos), r"[ \-]", "")
            cand = booleans(pc.match_substring_regex(digits, _CARD_RE))
            if cand.any():
                cards = pc.filter(digits, pa.array(cand))
                ok = _luhn(cards)
                c_len = np.asarray(pc.utf8_length(cards).to_numpy(zero_copy_only=False))
                is_id = np.zeros(len(cards), dtype=bool)
                if (c_len == 18).any():
                    at18 = np.flatnonzero(c_len == 18)
                    is_id[at18] = _valid_ids(pc.take(cards, pa.array(at18)))
                out[idx[pos[cand][ok & ~is_id]]] = True
    if "uscc" in wanted:
        pos = np.flatnonzero(length == 18)
        if len(pos):
            upper = pc.utf8_upper(take(pos))
            cand = booleans(pc.match_substring_regex(upper, _USCC_RE))
            id_cand = booleans(pc.match_substring_regex(upper, _ID_RE))
            if cand.any():
                valid = _valid_uscc(pc.filter(upper, pa.array(cand)))
                is_id = np.zeros(len(pos), dtype=bool)
                if id_cand.any():
                    is_id[np.flatnonzero(id_cand)] = _valid_ids(pc.filter(upper, pa.array(id_cand)))
                out[idx[pos[cand][valid & ~is_id[cand]]]] = True
    return out
