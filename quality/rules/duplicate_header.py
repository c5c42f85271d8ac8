"""`duplicate-header`: Header labels used more than once."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("duplicate-header", "warning", "Repeated column names", "列名重复",
    "Give each column a distinct name.", "为每一列使用不同的列名。",
    message_en="Column names used more than once: {labels}.",
    message_zh="重复使用的列名：{labels}。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.duplicate_header:
        return [make_finding(TYPE.slug, distribution=d, count=len(p.duplicate_header),
                             labels=", ".join(sorted(set(p.duplicate_header))))]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
