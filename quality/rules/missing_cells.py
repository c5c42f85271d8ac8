"""`missing-cells`: Empty cells in non-blank rows (completeness)."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, column_key, make_finding

TYPE = FindingType("missing-cells", "info", "Missing values", "缺失值",
    "Fill the empty cells, or explain in the description what an empty cell means.",
    "填写空单元格，或在描述中说明空单元格的含义。",
    message_en="{count:p/cell is/cells are} empty ({share}% of the table).",
    message_zh="有 {count} 个单元格为空（占表格的 {share}%）。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.missing_cells:
        cells = max(1, (p.rows - p.blank_rows) * max(1, p.columns))
        by_column = {column_key(p, k): n for k, n in p.missing_by_column.items()}  # "#3" for a name that is personal
        return [make_finding(TYPE.slug, distribution=d, count=p.missing_cells,
                             share=round(100 * p.missing_cells / cells, 1), by_column=by_column)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
