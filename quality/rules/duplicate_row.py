"""`duplicate-row`: Rows equal to an earlier row on every field."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("duplicate-row", "warning", "Duplicate rows", "重复行",
    "Remove the repeated rows, or add the column that tells them apart.",
    "删除重复的行，或增加能够区分它们的列。",
    message_en="{count:p/row repeats/rows repeat} an earlier row exactly.",
    message_zh="有 {count} 行与前面的某行完全相同。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.duplicate_rows:
        return [make_finding(TYPE.slug, distribution=d, count=p.duplicate_rows)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
