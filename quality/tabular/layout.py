"""Where the table is: the header row among notes rows above it, the notes rows below it, and clean labels.

Statistical exports (the China NBS pattern) put lines like ``数据库：分省年度数据`` above the header and
``注：...`` / ``数据来源：国家统计局`` below the table. The header is the first row as wide as the table's
dominant width and mostly non-numeric; trailing rows that collapse to one filled cell are notes."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from quality.tabular.model import TableError

NOTE_PREFIX = re.compile(
    r"^\s*(?:注|附注|说明|数据来源|资料来源|来源|备注|"
    r"(?:notes?|notas?|sources?|fuentes?|quellen?|quelle\(n\)|anmerkungen?|hinweise?)\b)", re.I)


NUMERIC = re.compile(r"^\s*[-+]?(\d[\d,\s]*)?\.?\d+([eE][-+]?\d+)?\s*%?\s*$")


def filled_cells(row: list) -> int:
    try:  # a row of text (every CSV row): counted in C
        return len(row) - list(map(str.strip, row)).count("")
    except TypeError:  # numbers, None (spreadsheets, JSON)
        return sum(1 for c in row if c and (c.strip() if isinstance(c, str) else str(c).strip()))


_YEAR_LABEL = re.compile(r"^\s*(1[5-9]|20)\d\d\s*$")


def mostly_text(row: list) -> bool:
    """Labels are mostly not numbers; a year (1985, 2024) is a common column label, so it counts as text."""
    cells = [str(c) for c in row if c is not None and str(c).strip() != ""]
    numbers = sum(1 for c in cells if NUMERIC.match(c) and not _YEAR_LABEL.match(c))
    return bool(cells) and numbers * 2 < len(cells)


def find_header(rows: list[list]) -> tuple[int, int]:
    """(header index, dominant width). The header is the first row as wide as most rows of the table,
    filled at least half as much as they are, and mostly non-numeric; the rows before it must look
    like notes (narrower or nearly empty). Failing that, the first non-blank row."""
    fills = [filled_cells(r) for r in rows]
    nonblank = [i for i, f in enumerate(fills) if f]
    if not nonblank:
        return 0, len(rows[0]) if rows else 0
    widths = Counter(len(rows[i]) for i in nonblank if fills[i] >= 2) or Counter(len(rows[i]) for i in nonblank)
    top = max(widths.values())
    dominant = max(w for w, n in widths.items() if n == top)
    need = max(1, math.ceil(0.5 * median(fills[i] for i in nonblank if len(rows[i]) == dominant)))
    for i in nonblank:
        if len(rows[i]) == dominant and fills[i] >= need:
            if mostly_text(rows[i]):
                return i, dominant
            break  # a full-width numeric row before any header: the file has no notes above
    return nonblank[0], dominant


def footer_start(rows: list[list], width: int) -> int:
    """Index in ``rows`` where the notes below the table begin (len(rows) if there are none).

    Scanning up from the end, a note is a row with one filled cell that is narrower than the table
    or starts like a note (注：, 数据来源, Fuente:), or under a wide table a short row of a quarter of its
    width at most; blank rows between notes belong to the notes; the first other row ends the scan.
    Trailing blank rows without any note stay in the table, as frictionless counts them as blank rows."""
    start = len(rows)
    pending = len(rows)
    for i in range(len(rows) - 1, -1, -1):
        r = rows[i]
        filled = filled_cells(r)
        if filled == 0:
            continue
        first = next(str(c) for c in r if c is not None and str(c).strip() != "")
        narrow = len(r) < width and filled <= max(1, width // 4)  # e.g. "term:;definition" under 11 columns
        if (filled == 1 and (len(r) < width or NOTE_PREFIX.match(first))) or narrow:
            start = pending = i
            continue
        break
    if start < len(rows):
        # blank rows right above the first note are part of the notes block
        while start > 0 and not filled_cells(rows[start - 1]) and start - 1 > 0:
            start -= 1
        return start
    return pending


def header_labels(raw: list) -> tuple[list[str], list[int], list[str], list[str]]:
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


#: A notes row's text is cut to this many characters (a unit, a source, a footnote: not a document).
NOTE_CHARS = 1000


def note_text(row: list) -> str:
    """A notes row as one line of text: its filled cells, joined by a space."""
    return " ".join(str(c).strip() for c in row if c is not None and str(c).strip())[:NOTE_CHARS]


@dataclass
class RowLayout:
    header: list
    header_row: int
    notes_above: list[int]
    body: list[list[str]]
    notes_below: list[int]
    notes_above_text: list[str] = field(default_factory=list)
    notes_below_text: list[str] = field(default_factory=list)


def row_layout(rows: list[list[str]]) -> RowLayout:
    if not rows or not any(filled_cells(r) for r in rows):
        raise TableError("empty", "The sheet has no data.")
    idx, _ = find_header(rows)
    header = rows[idx]
    body = rows[idx + 1:]
    start = footer_start(body, len(header))
    above = [i for i in range(idx) if filled_cells(rows[i])]
    below = [j for j in range(len(body) - start) if filled_cells(body[start + j])]
    return RowLayout(header, idx, above, body[:start], [idx + 1 + start + j for j in below],
                     [note_text(rows[i]) for i in above], [note_text(body[start + j]) for j in below])
