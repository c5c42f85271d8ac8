"""opendata versions prune: remove the file versions past retention (app/services/versions.py)."""

from __future__ import annotations

import json

import click

from app.cli_lang import N_, _, lang


def register(main: click.Group) -> None:
    @main.group("versions", help=N_("The archived versions of each distribution's file."))
    def versions_group() -> None:
        pass

    @versions_group.command("prune", help=N_("Remove the versions past retention (never a current copy) and the "
                                             "archive files nothing else uses.\n\nPrints JSON: how many versions and "
                                             "files, the bytes freed, each version removed."))
    @click.option("--dry-run", is_flag=True, help=N_("Only list what would be removed."))
    @click.option("--keep", type=click.IntRange(min=0), default=None,
                  help=N_("Keep the newest N versions of each distribution (default: VERSION_RETENTION_COUNT)."))
    @click.option("--keep-days", type=click.IntRange(min=0), default=None,
                  help=N_("Keep the versions of the last N days (default: VERSION_RETENTION_DAYS)."))
    @click.pass_obj
    def prune(obj, dry_run: bool, keep: int | None, keep_days: int | None) -> None:
        from app.services import versions
        from app.services.context import Actor, Runtime

        retention = versions.Retention.of(obj.settings)
        retention = versions.Retention(count=retention.count if keep is None else keep,
                                       days=retention.days if keep_days is None else keep_days)
        if not retention.active:
            click.echo(_("no retention set (VERSION_RETENTION_COUNT and VERSION_RETENTION_DAYS are 0): every "
                         "version is kept"), err=True)
        runtime = Runtime(obj.sessionmaker(), obj.settings)
        try:
            with obj.sessionmaker()() as session:
                report = versions.prune(Actor(session, None, "cli", runtime=runtime, lang=lang()), retention,
                                        archive_dir=obj.settings["ARCHIVE_DIR"], dry_run=dry_run)
        finally:
            runtime.close()
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
