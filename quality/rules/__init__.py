"""The quality rules, listed once.

Each module named in RULES declares one `Rule` (``quality.findings.Rule``) as ``RULE``: its check,
the finding types it raises (slug, severity, English and Chinese text, fix) and, for the rule that
measures a part of the overall score, that part's weight. The registry
(``quality.findings.FINDING_TYPES``) is filled from this list; docs/quality.md is generated from it.

Adding a rule: write its module (a `TYPE`, a `check`, a `RULE`) and list it here; a rule that runs on
table profiles (``subject="table"``) is applied by ``quality.tabular.profile_findings`` in this order.
"""

from __future__ import annotations

RULES: tuple[str, ...] = (
    # a distribution's file: stars, and what is wrong with the file itself
    "quality.openness",
    "quality.rules.format_mismatch",
    "quality.rules.archive_bomb",
    "quality.rules.not_parseable",
    "quality.rules.table_unreadable",
    "quality.rules.encoding_declared",
    "quality.rules.truncated_copy",
    "quality.rules.csvw_metadata",
    # a table's profile, in report order
    "quality.rules.encoding",
    "quality.rules.notes_rows",
    "quality.rules.blank_header",
    "quality.rules.duplicate_header",
    "quality.rules.blank_row",
    "quality.rules.duplicate_row",
    "quality.rules.primary_key",
    "quality.rules.missing_cells",
    "quality.rules.type_error",
    "quality.rules.extra_cell",
    "quality.rules.missing_cell",
    "quality.rules.pii",
    "quality.rules.table_score",
    # the file beyond its table (the same personal-data findings, by part)
    "quality.rules.pii_file",
    # the record
    "quality.metadata",
    "quality.timeliness",
    "quality.rules.accessibility",
    # the whole catalog
    "quality.catalog",
)
