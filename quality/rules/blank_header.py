"""`blank-header`: Header labels that are empty."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("blank-header", "warning", "Blank column names", "列名为空",
    "Give every column a name in the header row.", "在表头行中为每一列命名。",
    message_en="{count:p/column has/columns have} no name (positions {positions}).",
    message_zh="有 {count} 列没有列名（位置 {positions}）。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.blank_header:
        return [make_finding(TYPE.slug, distribution=d, count=len(p.blank_header),
                             positions=", ".join(str(i + 1) for i in p.blank_header))]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
