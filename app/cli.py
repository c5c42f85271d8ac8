"""The `opendata` command (README.md, "Command line"; docs/api.md).

The group lives here; each family of subcommands is a module under app/commands/
with a `register(group)` function, listed in COMMAND_MODULES.
"""

from __future__ import annotations

import importlib
import sys

import click

from app import settings as settings_mod
from app.cli_lang import LANGS, N_, RootGroup, _, gettext, say

COMMAND_MODULES = [
    "app.commands.db",
    "app.commands.serve",
    "app.commands.demo",
    "app.commands.export",
    "app.commands.harvest",
    "app.commands.quality",
    "app.commands.users",
    "app.commands.licences",
    "app.commands.publishers",
    "app.commands.datastore",
    "app.commands.versions",
    "app.commands.pii",
    "app.commands.prune",
    "app.commands.search",
    "app.commands.evaluate",
    "app.commands.digest",
    "app.commands.backup",
]


class Context:
    """Lazy access to settings and the database from commands."""

    def __init__(self) -> None:
        self._settings = None
        self._sessionmaker = None

    @property
    def settings(self) -> dict:
        if self._settings is None:
            try:
                self._settings = settings_mod.load()
            except ValueError as exc:
                raise click.ClickException(say(exc.args[0])) from exc
        return self._settings

    def close(self) -> None:
        """Close the database connections the command opened (the command has ended)."""
        if self._sessionmaker is not None:
            bind = self._sessionmaker.kw.get("bind")
            if bind is not None:
                bind.dispose()
            self._sessionmaker = None

    def require_database(self) -> None:
        """Stop when OPENDATA_DATABASE_URL names a SQLite file that does not exist. Opening it made an empty file
        there (a typo, catalgo.db, or the wrong OPENDATA_INSTANCE_DIR), then advised `opendata db upgrade`, which
        made an empty catalog at the typo. A PostgreSQL database must exist already: its server says so."""
        from pathlib import Path

        from sqlalchemy.engine import make_url

        url = make_url(self.settings["DATABASE_URL"])
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not url.database.startswith("file:") and not Path(url.database).exists():
            raise click.ClickException(_("there is no SQLite database at %(path)s: check OPENDATA_DATABASE_URL and "
                                         "OPENDATA_INSTANCE_DIR, or make a new catalog there with `opendata db "
                                         "upgrade`", path=url.database))

    def sessionmaker(self):
        if self._sessionmaker is None:
            self.require_database()
            from app.services import searchable
            from catalog_schema import search
            from catalog_schema.db import make_engine, make_sessionmaker

            self._sessionmaker = make_sessionmaker(make_engine(self.settings["DATABASE_URL"]))
            search.configure(self.settings["DATABASE_URL"], settings_mod.search_index_dir(self.settings),
                             refresh=self.settings["SEARCH_REFRESH_SECONDS"])
            searchable.register()  # the index holds the texts as the public reads them
        return self._sessionmaker


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Government open-data platform: harvest, assess and publish datasets."))
@click.option("--lang", type=click.Choice(LANGS), default=None, expose_value=False,
              help=N_("Language of messages and help (default: OPENDATA_LANG, else Chinese when the first of "
                      "LC_ALL, LC_MESSAGES and LANG that is set names it, else English)."))
@click.pass_context
def main(ctx: click.Context) -> None:
    # the language was set when the arguments were parsed (app.cli_lang.RootGroup), before any --help
    from app.logs import configure as configure_logging

    try:
        values = settings_mod.load()
    except ValueError as exc:  # a setting's value refused: said in the command's language
        raise click.UsageError(say(exc.args[0])) from exc
    configure_logging(values["LOG_LEVEL"], values["LOG_FORMAT"])
    for env, meant in settings_mod.unknown():  # a typo's value was ignored without a word
        click.echo(_("warning: %(env)s is not a setting and is ignored: did you mean %(meant)s?", env=env,
                     meant=meant) if meant else
                   _("warning: %(env)s is not a setting and is ignored (`opendata settings` lists them)", env=env),
                   err=True)
    ctx.obj = Context()
    ctx.call_on_close(ctx.obj.close)


@main.command("settings", help=N_("List every setting with its environment variable, current value and help."))
def show_settings() -> None:
    values = settings_mod.load()
    read = settings_mod.instance_file(values["INSTANCE_DIR"])
    if read.exists():  # the demo's catalog allows its own loopback files: said, not hidden in a file
        click.echo(_("# read from the environment, then from %(path)s", path=str(read)))
    for s in settings_mod.SETTINGS:
        click.echo(f"{s.env}={_shown(s, values[s.name])}\n    {gettext(s.help)}")  # the help in the command's language


def _shown(setting: settings_mod.Setting, value) -> str:
    """A setting's value as the variable is written (a list comma-separated), or a word for people: unset, secret.
    A URL's password is hidden (postgresql://opendata:***@db/opendata): the output is pasted into tickets, and
    DATABASE_URL, BROKER_URL, RESULT_BACKEND and the Redis URLs carry their passwords."""
    if value is None or value == "" or value == []:
        return _("(unset)")
    if setting.secret:
        return _("(secret)")
    return ",".join(value) if isinstance(value, list) else _without_password(str(value))


def _without_password(value: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in value:
        return value
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:  # not a URL after all (a port that is no number): said as it is, nothing to hide in it
        return value
    if not password:
        return value
    userinfo, _at, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
