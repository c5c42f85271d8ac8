"""`table-unreadable`: a file that sniffs as a table (CSV, XLSX, JSON rows ...) cannot be read as one.

Encrypted workbooks, empty files, JSON that is not an array of records, spreadsheets whose XML is
refused (external entities, entity bombs). Files that do not parse at all are `not-parseable`'s.
"""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType(
    "table-unreadable", "error", "The table cannot be read", "无法读取表格",
    "Publish the table unencrypted and well-formed, in one sheet, as CSV in UTF-8 if you can.",
    "请以未加密、格式规范的单个工作表发布表格，最好是 UTF-8 编码的 CSV。",
    # the reader's error in plain words (quality.findings.table_problem); the evidence keeps it as it was
    message_en="The file looks like a table but could not be read: {error_words}",
    message_zh="文件看似表格但无法读取：{error_words}",
)


def check(error: str, distribution: str | None = None, **evidence) -> list[Finding]:
    """The finding for a table that could not be read; ``error`` says why (cut to 300 characters)."""
    return [make_finding(TYPE.slug, distribution=distribution, error=error[:300], **evidence)]


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
