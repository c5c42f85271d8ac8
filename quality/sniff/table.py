"""Delimited tables (CSV, TSV, PSV): the delimiter, quoting and line terminator from a sample of rows."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

from quality.sniff.model import TABLE_SAMPLE_ROWS, Sniffed, result

_DELIMITERS = {",": "CSV", ";": "CSV", "\t": "TSV", "|": "PSV"}


def classify_table(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                    declared: str) -> Sniffed | None:
    sample = body
    if cut and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best: tuple[tuple[float, int], str, dict[str, Any]] | None = None
    for delimiter in _DELIMITERS:
        if delimiter not in sample:
            continue
        stats = _table_stats(sample, delimiter)
        if stats is None:
            continue
        key = (round(stats["consistency"], 2), stats["columns"])
        if best is None or key > best[0]:
            best = (key, delimiter, stats)
    if best is not None and best[2]["consistency"] >= 0.5:
        delimiter, stats = best[1], best[2]
        confidence = 0.5 + 0.45 * stats["consistency"]
        return result(_DELIMITERS[delimiter], confidence, delimiter=delimiter, **_quoting(sample, delimiter),
                       columns=stats["columns"], rows_sampled=stats["rows"], header_row=stats["header_row"],
                       line_terminator=_line_terminator(sample))
    if name.endswith(".csv") or declared in ("text/csv", "application/csv"):
        lines = [ln for ln in sample.splitlines()[:TABLE_SAMPLE_ROWS] if ln.strip()]
        if lines and max(len(ln) for ln in lines) <= 200:
            return result("CSV", 0.5, delimiter=",", columns=1, rows_sampled=len(lines), header_row=0,
                           line_terminator=_line_terminator(sample))
    return None


def _table_stats(sample: str, delimiter: str) -> dict[str, Any] | None:
    """How regular the rows are under `delimiter`: the modal field count and its share of rows."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"')
    counts: list[int] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                counts.append(len(row))
            if len(counts) >= TABLE_SAMPLE_ROWS:
                break
    except csv.Error:
        return None
    wide = Counter(c for c in counts if c > 1)
    if not counts or not wide:
        return None
    columns, hits = wide.most_common(1)[0]
    if hits < 2 and len(counts) > 1:
        return None
    header_row = next(i for i, c in enumerate(counts) if c == columns)
    return {"columns": columns, "consistency": hits / len(counts), "rows": len(counts), "header_row": header_row}


def _quoting(sample: str, delimiter: str) -> dict[str, Any]:
    esc = re.escape(delimiter)
    if re.search(rf'(?m)(^|{esc})"', sample):
        return {"quotechar": '"'}
    if re.search(rf"(?m)(^|{esc})'[^'\n]*'({esc}|$)", sample):
        return {"quotechar": "'"}
    return {}


def _line_terminator(sample: str) -> str:
    crlf = sample.count("\r\n")
    cr = sample.count("\r") - crlf
    lf = sample.count("\n") - crlf
    return max((("\r\n", crlf), ("\r", cr), ("\n", lf)), key=lambda kv: kv[1])[0]
