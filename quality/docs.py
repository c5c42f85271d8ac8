"""The tables of docs/quality.md, generated from the rules themselves (a test keeps the page in step)."""

from __future__ import annotations


def findings_table() -> str:
    from quality.findings import FINDING_TYPES

    lines = ["| slug | severity | what it means | how to fix it |", "| --- | --- | --- | --- |"]
    for slug in sorted(FINDING_TYPES):
        t = FINDING_TYPES[slug]
        # {and_points}: the metadata points the same fix wins back, when the finding is also a metadata indicator's
        fix = t.fix_en.replace("{and_points}", " (and the metadata points it costs: 30 for no licence at all)")
        # {also}: where to look when personal data is outside the table (a sheet, a ZIP member, notes rows), or is a
        # column's name (a file without a header row)
        fix = fix.replace("{also}", " When it is outside the table (another sheet, another file in the ZIP, notes "
                                    "rows), the finding names the part and says to remove it there; when it is a "
                                    "column's name (the file has no header row), it says to add a header row.")
        for variant in t.variants:  # the fix said of a case its sentence would not read right of
            fix += f" {variant.case}: {variant.fix_en}"
        fix = fix.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{slug}` | {t.severity} | {t.title_en} ({t.title_zh}) | {fix} |")
    return "\n".join(lines)


def metadata_table() -> str:
    from quality.metadata import INDICATORS

    lines = ["| dimension | indicator | points | counted on | finding when lost |", "| --- | --- | --- | --- | --- |"]
    for ind in INDICATORS:
        where = "best distribution" if ind.level == "distribution" else "dataset"
        lines.append(f"| {ind.dimension} | {ind.key} | {ind.points} | {where} | `{ind.finding}` |")
    return "\n".join(lines)


def weights_table() -> str:
    from quality.assess import PII_CAP, RULESET_VERSION, WEIGHTS
    from quality.findings import FINDING_TYPES

    measures = {r.part: r.measure for r in FINDING_TYPES.rules() if r.weight is not None}
    lines = ["| part | weight | how it is measured |", "| --- | --- | --- |"]
    for part, weight in WEIGHTS.items():
        lines.append(f"| {part} | {weight} | {measures[part]} |")
    lines.append(f"\nPersonal data found in a public file caps the score at **{PII_CAP}**. Rule set version "
                 f"**{RULESET_VERSION}** (recorded on every assessment).")
    return "\n".join(lines)


TABLES = {"findings": findings_table, "metadata": metadata_table, "weights": weights_table}


def render(page: str) -> str:
    """`page` with every <!-- NAME:start --> ... <!-- NAME:end --> block regenerated."""
    for name, make in TABLES.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        before, rest = page.split(start, 1)
        _, after = rest.split(end, 1)
        page = f"{before}{start}\n{make()}\n{end}{after}"
    return page


if __name__ == "__main__":  # python -m quality.docs docs/quality.md
    import sys

    path = sys.argv[1]
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render(text))
