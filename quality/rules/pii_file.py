"""Personal data in a file outside the table the profile reads: a workbook's other sheets, a ZIP's other members,
notes rows or text around the table, or a file no table is read from (quality.tabular.whole scans every cell,
member and line). The findings are those of ``quality.rules.pii`` (the same slugs, severity, score cap and
override), naming the part of the file instead of a column: counts only, never a value.

The doors that hand out the file itself withhold it for the same parts (app/datastore/gate.py `whole_file`, with
the same `beyond`), so what is withheld is also a finding: it blocks publishing, is counted on the dashboards, and
an admin's override of it releases the file.
"""

from __future__ import annotations

from quality.findings import Finding, Rule, make_finding
from quality.rules.pii import KIND_SLUGS

#: What a part of a file is, by the file's format: a sheet of a workbook, a member of a ZIP, else the file.
SHEET, MEMBER, FILE = "sheet", "member", "file"
#: As quality.tabular.whole names them (WHOLE, WORKBOOKS; that module loads numpy, which a rule must not): a text
#: file as a whole, and the formats whose parts are sheets.
WHOLE = "*"
WORKBOOKS = frozenset({"xlsx", "xlsm", "xls", "ods"})


def within(fmt: str | None) -> str:
    code = (fmt or "").lower()
    return SHEET if code in WORKBOOKS else MEMBER if code == "zip" else FILE


def beyond(columns: dict[str, dict[str, int]], parts: dict[str, dict[str, int]],
           table: str | None) -> dict[str, dict[str, int]]:
    """What `parts` (a whole-file scan: ``{part: {kind: cells}}``) hold that the table's `columns` (``{column:
    {kind: cells}}``: what the profile, or a door's own reading of the table, found) do not account for: every
    part's cells of each kind, the table's own part `table` less the cells its columns hold (what is left there is
    around the table: notes rows, text). Counts only; ``{}`` when the file holds nothing beyond its table."""
    held: dict[str, int] = {}
    for kinds in columns.values():
        for kind, n in kinds.items():
            held[kind] = held.get(kind, 0) + int(n)
    out: dict[str, dict[str, int]] = {}
    for part, kinds in parts.items():
        for kind, n in kinds.items():
            left = int(n) - (held.get(kind, 0) if part == table else 0)
            if left > 0:
                out.setdefault(part, {})[kind] = left
    return out


def check(whole: dict | None, columns: dict[str, dict[str, int]] | None, fmt: str | None,
          d: str | None = None) -> list[Finding]:
    """One finding per part and kind of personal data the whole-file scan `whole` (``{"parts", "table"}``) found
    beyond the table's `columns` (the profile's ``pii``; None when no table was read) in a file of format `fmt`."""
    if not whole or not whole.get("parts"):
        return []
    found = beyond(columns or {}, whole["parts"], whole.get("table"))
    kind_of_part = within(fmt)
    out: list[Finding] = []
    for part, kinds in sorted(found.items()):
        for kind, count in sorted(kinds.items()):
            if kind in KIND_SLUGS:
                out.append(make_finding(KIND_SLUGS[kind], distribution=d, part=part,
                                        within=FILE if part == WHOLE else kind_of_part,
                                        beside_table=columns is not None, table_part=part == whole.get("table"),
                                        count=count))
    return out


RULE = Rule("pii-file", (), subject="file", check=check)
