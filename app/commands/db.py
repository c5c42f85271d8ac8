"""opendata db upgrade|check|copy"""

from __future__ import annotations

import click

from app.cli_lang import N_, _, say


def _echo(message) -> None:
    """A progress line in the command's language (a Text of app/backup.py or app/dbcopy.py)."""
    click.echo(say(message))


def register(main: click.Group) -> None:
    @main.group("db", help=N_("Create, migrate and check the catalog database."))
    def db_group() -> None:
        pass

    @db_group.command("upgrade", help=N_("Create or migrate the catalog database (OPENDATA_DATABASE_URL)."))
    @click.option("--revision", default="head", show_default=True)
    @click.pass_obj
    def upgrade(obj, revision: str) -> None:
        from alembic.util import CommandError

        from catalog_schema import db as dbmod

        url = obj.settings["DATABASE_URL"]
        try:
            dbmod.upgrade(url, revision)
        except OSError as exc:  # the SQLite file's folder cannot be made (a file there, no permission): a traceback
            raise click.ClickException(_("cannot create the catalog database %(url)s (%(reason)s): check "
                                         "OPENDATA_INSTANCE_DIR and OPENDATA_DATABASE_URL", url=_safe(url),
                                         reason=f"{exc.strerror or exc}: {exc.filename}" if exc.filename
                                         else exc.strerror or str(exc))) from exc
        except CommandError as exc:  # a revision that is none of ours ("bogus", "0099"): was alembic's traceback
            raise click.ClickException(_("cannot migrate to %(revision)s (%(reason)s): give a migration of this "
                                         "code, up to %(head)s, or leave --revision out (head)",
                                         revision=repr(revision), reason=str(exc),
                                         head=dbmod.head_revision())) from exc
        engine = dbmod.make_engine(url)
        try:
            with engine.connect() as conn:  # the migration it is at ("0018"), not the word asked for ("head")
                revision = dbmod.current_revision(conn) or revision
        finally:
            engine.dispose()
        click.echo(_("database at %(url)s is at revision %(revision)s", url=_safe(url), revision=revision))

    @db_group.command("check", help=N_("Fail when the models and the migrations disagree."))
    @click.pass_obj
    def check(obj) -> None:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from catalog_schema import db as dbmod
        from catalog_schema.db import check as do_check

        url = obj.settings["DATABASE_URL"]
        # A SQLite file that is not there was made empty by the check (a typo's catalgo.db), and a database behind
        # or never migrated was alembic's "Target database is not up to date.", in English, saying nothing to do.
        obj.require_database()
        engine = dbmod.make_engine(url)
        try:
            with engine.connect() as conn:
                revision = dbmod.current_revision(conn)
        finally:
            engine.dispose()
        head = dbmod.head_revision()
        if revision is None:
            raise click.ClickException(_("the database %(url)s holds no catalog (no migration was ever run on it): "
                                         "run `opendata db upgrade`", url=_safe(url)))
        if revision != head:
            raise click.ClickException(
                _("the database %(url)s is at migration %(revision)s, this code's head is %(head)s: run `opendata "
                  "db upgrade`", url=_safe(url), revision=revision, head=head) if revision in dbmod.known_revisions()
                else _("the database %(url)s is at migration %(revision)s, which this code does not know (its head "
                       "is %(head)s): it was migrated by a newer version of the platform, run that one",
                       url=_safe(url), revision=revision, head=head))
        try:
            do_check(url)
        except (OperationalError, ProgrammingError):
            raise  # said by the command group (app.cli_lang.database_trouble)
        except Exception as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(_("models and migrations agree"))


    @db_group.command("copy", help=N_("Copy the catalog into another, empty database (SQLite to PostgreSQL): the "
                                      "schema at the same migration, then every table in batches, sequences set "
                                      "past the copied ids."))
    @click.option("--from", "source", default=None, callback=_database_url,
                  help=N_("database to copy; default: OPENDATA_DATABASE_URL"))
    @click.option("--to", "target", required=True, callback=_database_url,
                  help=N_("empty database to copy into, e.g. postgresql://..."))
    @click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
                  help=N_("rows read and written at a time"))
    @click.pass_obj
    def copy(obj, source: str | None, target: str, batch: int) -> None:
        from app import dbcopy

        source = source or obj.settings["DATABASE_URL"]
        click.echo(_("copying %(source)s to %(target)s", source=_safe(source), target=_safe(target)))
        try:
            counts = dbcopy.copy(source, target, batch=batch, say=_echo)
        except dbcopy.CopyError as exc:
            raise click.ClickException(say(exc.args[0])) from exc
        click.echo(_("copied %(rows)s rows in %(tables)s tables (%(datasets)s datasets); counts compared. Point "
                     "OPENDATA_DATABASE_URL at the new database and run `opendata search reindex` on each machine.",
                     rows=f"{sum(counts.values()):,}", tables=len(counts), datasets=f"{counts.get('datasets', 0):,}"))


def _database_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--from and --to as OPENDATA_DATABASE_URL is read: one that cannot be read is said, not a traceback."""
    from app.settings import _database_url as parse

    if value is None:
        return None
    try:
        url = parse(value)
    except ValueError as exc:
        raise click.BadParameter(say(exc.args[0]), ctx=ctx, param=param) from None
    if not url:
        raise click.BadParameter(_("an empty URL names no database"), ctx=ctx, param=param)
    return url


def _safe(url: str) -> str:
    from catalog_schema.db import safe_url

    return safe_url(url)
