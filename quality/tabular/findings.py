"""A profile's findings, from the table rules (``quality.rules``), and the finding for an unreadable table."""

from __future__ import annotations

from quality.findings import FINDING_TYPES, Finding
from quality.rules import table_unreadable
from quality.tabular.model import TableError, TableProfile


def profile_findings(profile: TableProfile, distribution: str | None = None) -> list[Finding]:
    """Findings for one profile, from the table rules (``quality.rules``, ``subject="table"``) in their order.
    Evidence carries counts and column names, never cell values."""
    out: list[Finding] = []
    for rule in FINDING_TYPES.rules("table"):
        out.extend(rule.check(profile, distribution))
    return out


def unreadable_finding(error: TableError, distribution: str | None = None) -> Finding:
    """The finding for a file that ``profile_file`` could not read (encrypted, empty, not a table)."""
    return table_unreadable.check(str(error), distribution, reason=error.reason)[0]
