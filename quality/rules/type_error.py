"""`type-error`: Cells that do not read as their column's Table Schema type, declared or inferred."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, column_key, column_ref, make_finding

TYPE = FindingType("type-error", "warning", "Values of the wrong type", "数据类型不符",
    "Correct the cells that do not fit their column's type (numbers with text, dates in "
    "another form), or declare the column's type in a Table Schema.",
    "更正与列类型不符的单元格（数字中夹杂文字、日期格式不一致等），或在 Table Schema 中声明列类型。",
    message_en="{count:p/cell does not match its/cells do not match their} column's type; most in {columns}.",
    message_zh="有 {count} 个单元格与所在列的类型不符，主要在 {columns}。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.type_errors:
        worst = sorted(p.type_errors_by_column.items(), key=lambda kv: -kv[1])[:3]
        # named, or by position where the name is personal data (quality.findings.column_ref)
        return [make_finding(TYPE.slug, distribution=d, count=p.type_errors,
                             columns=[column_ref(p, k) for k, _ in worst],
                             by_column={column_key(p, k): n for k, n in p.type_errors_by_column.items()})]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
