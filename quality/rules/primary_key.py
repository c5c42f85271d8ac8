"""`primary-key`: Rows repeating the primary key a Table Schema declares."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("primary-key", "error", "Duplicate primary key values", "主键值重复",
    "Make the primary key unique.", "确保主键值唯一。",
    message_en="{count:p/row repeats/rows repeat} the primary key of an earlier row.",
    message_zh="有 {count} 行的主键与前面的行重复。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.duplicate_keys:
        return [make_finding(TYPE.slug, distribution=d, count=p.duplicate_keys)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
