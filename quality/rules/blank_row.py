"""`blank-row`: Rows whose cells are all empty (frictionless's blank-row)."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("blank-row", "info", "Blank rows", "空行",
    "Delete the empty rows from the table.", "删除表格中的空行。",
    message_en="{count:p/row is/rows are} empty.", message_zh="有 {count} 行为空行。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.blank_rows:
        return [make_finding(TYPE.slug, distribution=d, count=p.blank_rows)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
