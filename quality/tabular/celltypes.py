"""Table Schema types, vectorised: which cells read as a type (frictionless's readers) and type inference."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from quality.tabular import arrow
from quality.tabular.model import INFER_CONFIDENCE

_INT_RE = r"^[+-]?\d+(_\d+)*$"


_NUM_RE = (r"(?i)^[+-]?((\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[+-]?\d+(_\d+)*)?"
           r"|inf|infinity|s?nan\d*)$")


_DATE_RE = r"^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$"


#: A date-time as frictionless reads one by default (dateutil's isoparse, with the time's seconds at [17:19]): a
#: zero-padded date, one ASCII character between it and the time ("T", a space ...), seconds with a fraction
#: after "." or ",", 24:00:00 for the next midnight, an offset or none (a naive local time, as most exports
#: write them). The day of the month is checked after (`_datetime_days`).
_DATETIME_RE = (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[\x00-\x7f]"
                r"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d([.,]\d+)?|24:00:00([.,]0+)?)"
                r"([Zz]|[+-]([01]\d|2[0-3])(:?[0-5]\d|:\d)?)?$")


_TIME_RE = r"^([01]?\d|2[0-3]):([0-5]?\d):([0-5]?\d|6[01])$"


_YEARMONTH_RE = r"^\d{4}-(0?[1-9]|1[0-2])$"


_YEAR_RE = r"^\d{4}$"


_DIM = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


TRUE_VALUES = ["true", "True", "TRUE", "1"]


FALSE_VALUES = ["false", "False", "FALSE", "0"]


#: frictionless's inference order, limited to the types that a CSV cell can carry here.
CANDIDATES = ("yearmonth", "datetime", "time", "date", "integer", "number", "boolean", "string")


def bool_mask(mask) -> np.ndarray:
    """A numpy bool array of an arrow boolean array (null counts as False), read from its bit buffers:
    ``to_numpy()`` on booleans goes through pandas, which it would import."""
    return arrow.booleans(mask)


def _valid_dates(col: pa.Array) -> np.ndarray:
    """``%Y-%m-%d`` as Python's strptime reads it: the regex, then day-of-month in numpy."""
    ok = bool_mask(pc.match_substring_regex(col, _DATE_RE))
    if ok.any():
        idx = np.flatnonzero(ok)
        cand = pc.take(col, arrow.integers(idx))
        y = arrow.int64s(pc.cast(pc.utf8_slice_codeunits(cand, 0, 4), pa.int64()))
        split = pc.split_pattern(pc.utf8_slice_codeunits(cand, 5, 99), "-")
        m = arrow.int64s(pc.cast(pc.list_element(split, arrow.ZERO), pa.int64()))
        d = arrow.int64s(pc.cast(pc.utf8_trim_whitespace(pc.list_element(split, arrow.ONE)), pa.int64()))
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        ok[idx] = (y >= 1) & (d <= _DIM[m] + ((m == 2) & leap))
    return ok


def _valid_datetimes(col: pa.Array) -> np.ndarray:
    """`_DATETIME_RE`, then the day of the month of each cell it matches (no 2024-02-30 at any hour)."""
    ok = bool_mask(pc.match_substring_regex(col, _DATETIME_RE))
    if ok.any():
        idx = np.flatnonzero(ok)
        ok[idx] = _valid_dates(pc.utf8_slice_codeunits(pc.take(col, arrow.integers(idx)), 0, 10))
    return ok


#: Arrow's own parsers accept a strict subset of what frictionless's readers accept (no blanks around
#: integers, zero-padded ISO dates only), so when a whole batch casts, every cell is valid and the
#: regular expressions are skipped; a batch with one bad cell takes the exact path.
_STRICT_CASTS = {"integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}


def _casts_cleanly(col: pa.Array, to_type: pa.DataType) -> bool:
    filled = pc.filter(col, pc.greater(pc.binary_length(col), arrow.ZERO))
    try:
        pc.cast(filled, to_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _python_valid(col: pa.Array, test) -> np.ndarray:
    """For types with a custom format: test each distinct value once in Python."""
    uniq = pc.unique(col)
    good = [v for v in uniq.to_pylist() if test(v)]
    return bool_mask(pc.is_in(col, value_set=arrow.strings(good)))


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
        return bool_mask(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _INT_RE))
    if ftype == "number":
        return bool_mask(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _NUM_RE))
    if ftype == "boolean":
        values = list(fdesc.get("trueValues", TRUE_VALUES)) + list(fdesc.get("falseValues", FALSE_VALUES))
        return bool_mask(pc.is_in(col, value_set=arrow.strings(values)))
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
        return _valid_datetimes(col)
    if ftype == "time":
        return bool_mask(pc.match_substring_regex(col, _TIME_RE))
    if ftype == "yearmonth":
        return bool_mask(pc.match_substring_regex(col, _YEARMONTH_RE))
    if ftype == "year":
        return bool_mask(pc.match_substring_regex(pc.utf8_trim_whitespace(col), _YEAR_RE))
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


#: The types `infer_types` found last, by the cells and missing masks of the samples: a changed file's columns
#: are inferred by its profile and again by its load into the row store (app/export/convert.py), from the same
#: first rows, about 5 ms for six columns.
INFERRED_KEPT = 256
_INFERRED: OrderedDict[tuple, list[str]] = OrderedDict()
_INFERRED_LOCK = threading.Lock()


def infer_types(samples: list[pa.Array], missing: list[np.ndarray]) -> list[str]:
    """`infer_type` of each sample column, with one validity pass per candidate type over all of them together
    (a cell's validity does not depend on the cells beside it, so each column's slice of a mask is the mask of
    that column alone: per column, a table 10,000 columns wide took minutes). ``missing``: each column's
    missing cells. The answer for the same cells and masks is kept (`INFERRED_KEPT`)."""
    if not samples:
        return []
    together = pa.concat_arrays([c if c.type == pa.string() else c.cast(pa.string()) for c in samples])
    key = _sample_key(together, [len(c) for c in samples], missing)
    with _INFERRED_LOCK:
        kept = _INFERRED.get(key)
        if kept is not None:
            _INFERRED.move_to_end(key)
            return list(kept)
    masks = {t: valid_mask(together, t) for t in CANDIDATES}
    out, at = [], 0
    for col, miss in zip(samples, missing, strict=True):
        n = len(col)
        out.append(infer_type(col, miss, {t: m[at:at + n] for t, m in masks.items()}))
        at += n
    with _INFERRED_LOCK:
        _INFERRED[key] = list(out)
        while len(_INFERRED) > INFERRED_KEPT:
            _INFERRED.popitem(last=False)
    return out


def _sample_key(together: pa.Array, lengths: list[int], missing: list[np.ndarray]) -> tuple:
    """The samples' cells (text, nulls), how they divide into columns and their missing masks, as a digest."""
    h = hashlib.blake2b(digest_size=20)
    n = len(together)
    offsets = np.frombuffer(together.buffers()[1], dtype=np.int32, count=n + 1, offset=together.offset * 4)
    data = together.buffers()[2]
    h.update((offsets - offsets[0]).tobytes())
    if data is not None:
        h.update(memoryview(data)[offsets[0]:offsets[-1]])
    h.update(bool_mask(together.is_null()).tobytes())
    for miss in missing:
        h.update(np.asarray(miss, dtype=bool).tobytes())
    return tuple(lengths), h.digest()
