"""opendata prune: the catalog's history past retention (app/services/history.py), the file versions past
theirs, the archive files nothing holds, and what the facts cache kept of copies no distribution has any more
(app/services/versions.py), in one run."""

from __future__ import annotations

import json
import sys

import click

from app.cli_lang import N_, _


def run_prune(settings: dict, *, dry_run: bool = False, progress=None) -> dict:
    """Prune history and file versions by the settings' retention, and the facts cache's documents nothing reads
    again (whatever the retention); the report as a dict (the scheduler and `opendata schedule` call this too)."""
    from app.datastore.load import root_of
    from app.services import history, versions
    from app.services.context import Actor, Runtime
    from catalog_schema.db import make_engine, make_sessionmaker

    engine = make_engine(settings["DATABASE_URL"])
    factory = make_sessionmaker(engine)
    runtime = Runtime(factory, settings)
    try:
        with factory() as session:
            actor = Actor(session, None, "cli", runtime=runtime, lang="en")
            kept = history.prune(actor, history.HistoryRetention.of(settings), dry_run=dry_run, progress=progress)
            files = versions.prune(actor, versions.Retention.of(settings), archive_dir=settings["ARCHIVE_DIR"],
                                   dry_run=dry_run)
            swept = versions.sweep(actor, archive_dir=settings["ARCHIVE_DIR"], store_root=root_of(settings),
                                   dry_run=dry_run)
            facts = versions.prune_facts(session, archive_dir=settings["ARCHIVE_DIR"], dry_run=dry_run)
    finally:
        runtime.close()
        engine.dispose()
    out = kept.to_dict()
    out["versions"] = {k: v for k, v in files.to_dict().items() if k != "removed"}
    out["archive"] = swept.to_dict()
    out["facts"] = facts.to_dict()
    return out


def prune_if_due(settings: dict, now=None) -> dict | None:
    """`run_prune` when the last prune is a day old or more (or there was none); else None. It runs whether or not a
    retention is set: the archive files nothing holds are removed whatever the retention (`versions.sweep`)."""
    import datetime as dt

    from app.services.history import last_run
    from catalog_schema.db import make_engine, make_sessionmaker

    now = now or dt.datetime.now(dt.UTC)
    engine = make_engine(settings["DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            last = last_run(session)
    finally:
        engine.dispose()
    if last is not None and now - last < dt.timedelta(days=1):
        return None
    return run_prune(settings)


def register(main: click.Group) -> None:
    @main.command("prune", help=N_("Remove the harvest jobs, assessments and file versions past their retention "
                                   "settings (HARVEST_JOB_RETENTION_*, ASSESSMENT_RETENTION_COUNT, "
                                   "VERSION_RETENTION_*), add up daily usage counts older than "
                                   "USAGE_DAILY_RETENTION_DAYS into monthly ones, remove the archive files no file or "
                                   "version holds (written more than a day ago) and what was kept beside the "
                                   "archive of files no distribution has any more (ARCHIVE_DIR/facts/).\n\nPrints "
                                   "JSON: the retention and how many jobs, record rows, assessments, versions, daily "
                                   "usage rows, archive files and kept facts went (or would go); progress on standard "
                                   "error when it is a terminal."))
    @click.option("--dry-run", is_flag=True, help=N_("Only count what would be removed."))
    @click.pass_obj
    def prune(obj, dry_run: bool) -> None:
        from app.services.history import HistoryRetention
        from app.services.versions import Retention

        settings = obj.settings
        if not HistoryRetention.of(settings).active and not Retention.of(settings).active:
            click.echo(_("no retention set (HARVEST_JOB_RETENTION_*, ASSESSMENT_RETENTION_COUNT, "
                         "USAGE_DAILY_RETENTION_DAYS and VERSION_RETENTION_* are 0): every job, assessment, version "
                         "and usage count is kept"), err=True)

        def progress(kind: str, done: int, total: int) -> None:
            if sys.stderr.isatty():
                click.echo(f"\r{kind}: {done:,}/{total:,}", err=True, nl=done >= total)

        click.echo(json.dumps(run_prune(settings, dry_run=dry_run, progress=progress), ensure_ascii=False))
