"""The data part of the overall score: how clean the tables are (no finding of its own; the table rules say why)."""

from __future__ import annotations

from quality.findings import Rule

MEASURE = ("1 - (missing cells share + 2 x type errors share + duplicate rows share) - 0.05 per structure "
           "problem (blank rows, bad header, notes rows, extra cells), averaged over tabular distributions; "
           "left out (weights rescaled) when there is no table")


def score(profiles: list) -> float | None:
    """1.0 for clean tables, less for missing cells, type errors, duplicates and structure problems."""
    if not profiles:
        return None
    scores = []
    for p in profiles:
        cells = max(1, p.rows * max(1, p.columns))
        rows = max(1, p.rows)
        penalty = (p.missing_cells / cells) + 2 * (p.type_errors / cells) + (p.duplicate_rows / rows)
        penalty += 0.05 * bool(p.blank_rows) + 0.05 * bool(p.duplicate_header or p.blank_header)
        penalty += 0.05 * bool(p.notes_rows_above or p.notes_rows_below) + 0.05 * bool(p.extra_cells)
        scores.append(max(0.0, 1.0 - penalty))
    return sum(scores) / len(scores)


RULE = Rule("data", subject="score", part="data", weight=15, measure=MEASURE, check=score)
