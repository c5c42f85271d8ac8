"""`notes-rows`: Titles, notes and sources above the header or below the table (the China NBS export pattern)."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("notes-rows", "warning", "Notes rows around the table", "表格上下有说明行",
    "Keep only the header and the data in the file; move titles, notes and sources to the "
    "dataset's description.",
    "文件中只保留表头和数据；将标题、注释和数据来源移到数据集的描述中。",
    message_en="{notes_where}, not data.",  # only the non-zero counts (quality.findings `_notes_where`)
    message_zh="{notes_where}是说明文字而非数据。")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.notes_rows_above or p.notes_rows_below:
        return [make_finding(TYPE.slug, distribution=d, above=len(p.notes_rows_above),
                             below=len(p.notes_rows_below), rows_above=list(p.notes_rows_above),
                             rows_below=list(p.notes_rows_below), header_row=p.header_row)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
