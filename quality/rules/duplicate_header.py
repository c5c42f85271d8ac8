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
                             labels=[ref for label in sorted(set(p.duplicate_header)) for ref in _refs(p, label)])]
    return []


def _refs(p, label: str) -> list[str | int]:
    """A repeated label as the finding lists it: itself, or where it is personal data the positions of the columns
    it names (as quality.findings.column_ref names a column)."""
    from quality.pii import is_personal  # pyarrow: not for the registry's first import

    if not is_personal(label):
        return [label]
    return [i + 1 for i, name in enumerate(p.header) if name == label]


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
