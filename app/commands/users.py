"""opendata user add|grant, opendata token create (README.md, "Command line"; docs/api.md)."""

from __future__ import annotations

import sys

import click


def register(main: click.Group) -> None:
    @main.group("user")
    def user_group() -> None:
        """Accounts and their roles on publishers."""

    @user_group.command("add")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["sysadmin"]), default=None, help="make the user a sysadmin")
    @click.option("--name", default=None, help="display name")
    @click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
    @click.pass_obj
    def user_add(obj, email, role, name, password_stdin) -> None:
        """Create a user account."""
        from app.services.accounts import create_user

        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise click.ClickException("no password on stdin")
        with obj.sessionmaker()() as session:
            try:
                user = create_user(session, email, sysadmin=role == "sysadmin", password=password, name=name)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            session.commit()
            click.echo(f"user {user.email} created" + (" (sysadmin)" if user.is_sysadmin else ""))

    @user_group.command("grant")
    @click.argument("email")
    @click.argument("publisher")
    @click.argument("role", type=click.Choice(["admin", "editor"]))
    @click.pass_obj
    def user_grant(obj, email, publisher, role) -> None:
        """Give a user a role (admin or editor) on a publisher, by the publisher's slug."""
        from sqlalchemy import select

        from app.auth import find_user
        from app.services.accounts import grant
        from catalog_schema.models import Publisher

        with obj.sessionmaker()() as session:
            user = find_user(session, email)
            if user is None:
                raise click.ClickException(f"no user {email} (create it with `opendata user add`)")
            pub = session.scalar(select(Publisher).where(Publisher.slug == publisher))
            if pub is None:
                raise click.ClickException(f"no publisher {publisher!r}")
            grant(session, user, pub, role)
            session.commit()
            click.echo(f"{user.email} is {role} of {pub.slug}")

    @main.group("token")
    def token_group() -> None:
        """API tokens (for CKAN clients: Authorization: <token>)."""

    @token_group.command("create")
    @click.argument("email")
    @click.option("--name", default=None, help="a label to tell tokens apart")
    @click.pass_obj
    def token_create(obj, email, name) -> None:
        """Create an API token; it is printed once, alone on the last line, and stored hashed."""
        from app.auth import find_user
        from app.services.accounts import create_token

        with obj.sessionmaker()() as session:
            user = find_user(session, email)
            if user is None:
                raise click.ClickException(f"no user {email} (create it with `opendata user add`)")
            token = create_token(session, user, name)
            session.commit()
            click.echo(f"token for {user.email}" + (f" ({name})" if name else "") + "; it is shown only now:")
            click.echo(token)
