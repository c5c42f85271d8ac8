"""`missing-cell`: Cells missing at the end of rows narrower than the header."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("missing-cell", "warning", "Rows narrower than the header", "行的单元格少于表头",
    "Make every row as wide as the header.", "使每一行的列数与表头一致。",
    message_en="{count:p/cell is/cells are} missing at the end of short rows.",
    message_zh="有 {count} 个单元格在较短的行末缺失。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.missing_trailing_cells:
        return [make_finding(TYPE.slug, distribution=d, count=p.missing_trailing_cells)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
