"""opendata backup|restore: the catalog database and the archive, while the site runs (app/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli_lang import N_, _, say


def _echo(message) -> None:
    """A progress line in the command's language (a Text of app/backup.py or app/dbcopy.py)."""
    click.echo(say(message))


def register(main: click.Group) -> None:
    @main.command("backup", help=N_("Back up the catalog database (SQLite online backup or pg_dump) and the "
                                    "archive, with a manifest."))
    @click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help=N_("backup folder; default: backups/ in the instance folder. Backing up to the same folder "
                          "again replaces the dump and copies only the archive files it lacks."))
    @click.pass_obj
    def backup_cmd(obj, target: Path | None) -> None:
        from app import backup

        target = target or Path(obj.settings["INSTANCE_DIR"]) / "backups"
        try:
            manifest = backup.backup(obj.settings, target.absolute(), say=_echo)
        except backup.BackupError as exc:
            raise click.ClickException(say(exc.args[0])) from exc
        rows = sum(manifest.counts.values())
        click.echo(_("backed up %(rows)s rows (%(datasets)s datasets) at migration %(revision)s, %(dump)s MB dump; "
                     "archive %(files)s files (%(mb)s MB), %(copied)s copied now; into %(target)s",
                     rows=f"{rows:,}", datasets=f"{manifest.counts.get('datasets', 0):,}",
                     revision=manifest.revision, dump=f"{manifest.dump_bytes / 1e6:.1f}",
                     files=f"{manifest.archive.files:,}", mb=f"{manifest.archive.bytes / 1e6:.1f}",
                     copied=f"{manifest.archive.copied:,}", target=target))
        for what, names in ((_("missing from the archive"), manifest.archive.missing),
                            (_("corrupt in the archive (not copied)"), manifest.archive.corrupt)):
            if names:
                click.echo(_("warning: %(n)s files the catalog names are %(what)s: %(names)s", n=len(names),
                             what=what, names=", ".join(names[:5]) + (" ..." if len(names) > 5 else "")),
                           err=True)

    @main.command("restore", help=N_("Restore a backup folder into the (empty) database of OPENDATA_DATABASE_URL "
                                     "and ARCHIVE_DIR, then rebuild the search index."))
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help=N_("replace what a non-empty target database holds"))
    @click.pass_obj
    def restore_cmd(obj, folder: Path, force: bool) -> None:
        from app import backup
        from catalog_schema import search

        def reindex() -> int:
            with obj.sessionmaker()() as session:
                return search.reindex_all(session)

        try:
            done = backup.restore(obj.settings, folder.absolute(), force=force, say=_echo, reindex=reindex)
        except backup.BackupError as exc:
            raise click.ClickException(say(exc.args[0])) from exc
        click.echo(_("restored the backup of %(taken)s: %(datasets)s datasets, %(files)s archive files",
                     taken=done.manifest.taken_at, datasets=f"{done.manifest.counts.get('datasets', 0):,}",
                     files=f"{done.files:,}"))
        for what, names in ((_("corrupt in the backup (not restored)"), done.corrupt),
                            (_("in neither the backup nor the archive"), done.missing)):
            if names:
                click.echo(_("warning: %(n)s files the catalog names are %(what)s: %(names)s", n=len(names),
                             what=what, names=", ".join(names[:5]) + (" ..." if len(names) > 5 else "")),
                           err=True)
        lacking = len(set(done.corrupt) | set(done.missing))
        if lacking:  # the database is back, the archive is not whole: a script must not take it for done
            raise click.ClickException(_("restored, but %(n)s files the catalog names are not in the archive",
                                         n=lacking))
