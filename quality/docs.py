"""The tables of docs/quality.md, generated from the rules themselves (a test keeps the page in step)."""

from __future__ import annotations


def _load_rules() -> None:
    # Importing the rule modules registers their finding types.
    from quality import assess, catalog, metadata, openness, tabular, timeliness  # noqa: F401


def findings_table() -> str:
    _load_rules()
    from quality.findings import FINDING_TYPES

    lines = ["| slug | severity | what it means | how to fix it |", "| --- | --- | --- | --- |"]
    for slug in sorted(FINDING_TYPES):
        t = FINDING_TYPES[slug]
        fix = t.fix_en.replace("|", "\\|").replace("\n", " ")
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

    lines = ["| part | weight | how it is measured |", "| --- | --- | --- |"]
    how = {
        "openness": "dataset stars / 5 (the best distribution's stars)",
        "metadata": "metadata points / 405",
        "data": "1 - (missing cells share + 2 x type errors share + duplicate rows share) - 0.05 per structure "
                "problem (blank rows, bad header, notes rows, extra cells), averaged over tabular distributions; "
                "left out (weights rescaled) when there is no table",
        "timeliness": "1 when fresh; 1 - 0.25 per period late when stale; 0.5 when no date is known",
        "accessibility": "share of distributions whose link answers",
    }
    for part, weight in WEIGHTS.items():
        lines.append(f"| {part} | {weight} | {how[part]} |")
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
