"""`extra-cell`: Cells beyond the header's width (frictionless counts them per cell)."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("extra-cell", "warning", "Rows wider than the header", "行的单元格多于表头",
    "Make every row as wide as the header: extra cells usually mean an unquoted delimiter.",
    "使每一行的列数与表头一致：多出的单元格通常是由于分隔符未加引号。",
    message_en="{count:p/cell lies/cells lie} beyond the header's {columns} columns.",
    message_zh="有 {count} 个单元格超出表头的 {columns} 列。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.extra_cells:
        return [make_finding(TYPE.slug, distribution=d, count=p.extra_cells, columns=p.columns)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
