"""The `opendata` command (README.md, "Command line"; docs/api.md).

The group lives here; each family of subcommands is a module under app/commands/
with a `register(group)` function, listed in COMMAND_MODULES.
"""

from __future__ import annotations

import importlib
import sys

import click

from app import settings as settings_mod

COMMAND_MODULES = [
    "app.commands.db",
    "app.commands.serve",
    "app.commands.demo",
    "app.commands.export",
    "app.commands.harvest",
    "app.commands.quality",
    "app.commands.users",
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
                raise click.ClickException(str(exc)) from exc
        return self._settings

    def sessionmaker(self):
        if self._sessionmaker is None:
            from catalog_schema.db import make_engine, make_sessionmaker

            self._sessionmaker = make_sessionmaker(make_engine(self.settings["DATABASE_URL"]))
        return self._sessionmaker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Government open-data platform: harvest, assess and publish datasets."""
    ctx.obj = Context()


@main.command("settings")
def show_settings() -> None:
    """List every setting with its environment variable, current value and help."""
    values = settings_mod.load()
    for s in settings_mod.SETTINGS:
        value = "(secret)" if s.secret and values[s.name] else values[s.name]
        click.echo(f"{s.env}={value}\n    {s.help}")


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
