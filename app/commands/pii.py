"""opendata pii scrub: rewrite what the catalog kept of personal column names before they were said by position
(app/services/scrub.py)."""

from __future__ import annotations

import json

import click

from app.cli_lang import N_, lang


def register(main: click.Group) -> None:
    @main.group("pii", help=N_("Personal data the catalog keeps."))
    def pii_group() -> None:
        pass

    @pii_group.command("scrub", help=N_(
        "Rewrite what was kept of column names that are personal data (a file without a header row has its first "
        "row, a citizen's ID number, read as its column names) before such names were said by position: the "
        "versions' changes and counts per column, the quality findings of assessments and of the checks kept with "
        "datasets, the checks' previews and the audit log's dictionary edits. Run it once after upgrading; a second "
        "run rewrites nothing.\n\nPrints JSON: how many of each were rewritten (or would be), and how many names "
        "are now said by their column's position or [redacted]."))
    @click.option("--dry-run", is_flag=True, help=N_("Only count what would be rewritten."))
    @click.pass_obj
    def scrub(obj, dry_run: bool) -> None:
        from app.services import scrub as scrubbing
        from app.services.context import Actor

        with obj.sessionmaker()() as session:
            report = scrubbing.scrub(Actor(session, None, "cli", lang=lang()), dry_run=dry_run)
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
