"""opendata db upgrade|check"""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    @main.group("db")
    def db_group() -> None:
        """Create, migrate and check the catalog database."""

    @db_group.command("upgrade")
    @click.option("--revision", default="head", show_default=True)
    @click.pass_obj
    def upgrade(obj, revision: str) -> None:
        """Create or migrate the catalog database (OPENDATA_DATABASE_URL)."""
        from catalog_schema.db import upgrade as do_upgrade

        url = obj.settings["DATABASE_URL"]
        do_upgrade(url, revision)
        click.echo(f"database at {_safe(url)} is at revision {revision}")

    @db_group.command("check")
    @click.pass_obj
    def check(obj) -> None:
        """Fail when the models and the migrations disagree."""
        from catalog_schema.db import check as do_check

        try:
            do_check(obj.settings["DATABASE_URL"])
        except Exception as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo("models and migrations agree")


def _safe(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
