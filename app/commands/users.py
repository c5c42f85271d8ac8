"""opendata user add|grant|remove, opendata token create (README.md, "Command line"; docs/api.md)."""

from __future__ import annotations

import json
import sys

import click

from app.cli_lang import N_, _, ngettext


def _refused(exc, email: str) -> str:
    """Why `user add` made no account, in the command's language (the service's AccountError says it in
    English for the log)."""
    from app.services.accounts import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS

    if exc.code == "weak-password":
        return _("the password is refused: it needs at least %(min)s characters (spaces not counted), at most "
                 "%(max)s, and may not be the e-mail address; no account was created", min=MIN_PASSWORD_CHARS,
                 max=MAX_PASSWORD_CHARS)
    return _("not an e-mail address: %(value)s", value=repr(email))


def register(main: click.Group) -> None:
    @main.group("user", help=N_("Accounts and their roles on publishers."))
    def user_group() -> None:
        pass

    @user_group.command("add", help=N_("Create a user account."))
    @click.argument("email")
    @click.option("--role", type=click.Choice(["sysadmin"]), default=None, help=N_("make the user a sysadmin"))
    @click.option("--name", default=None, help=N_("display name"))
    @click.option("--password-stdin", is_flag=True, help=N_("read the password from the first line of stdin"))
    @click.pass_obj
    def user_add(obj, email, role, name, password_stdin) -> None:
        from app.services.accounts import AccountError, create_user

        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise click.ClickException(_("no password on stdin"))
        from app.auth import find_user

        with obj.sessionmaker()() as session:
            if find_user(session, email) is not None:
                raise click.ClickException(_(
                    "a user %(email)s exists already. To give them a role on a publisher: opendata user grant "
                    "%(email)s PUBLISHER editor|admin; a new API token: opendata token create %(email)s; a forgotten "
                    "password: the user asks for a reset link on the portal's sign-in page (/password/forgot); "
                    "to invite them to a publisher by e-mail: the account page of an admin of it", email=email))
            try:
                user = create_user(session, email, sysadmin=role == "sysadmin", password=password, name=name)
            except AccountError as exc:
                raise click.ClickException(_refused(exc, email)) from exc
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            session.commit()
            click.echo(_("user %(email)s created (sysadmin)", email=user.email) if user.is_sysadmin
                       else _("user %(email)s created", email=user.email))
            if password is None:  # said where a person reads it; stdout stays the one line scripts read
                click.echo(_("%(email)s has no password yet, so cannot sign in: they choose one with the reset link of "
                             "the portal's sign-in page (/password/forgot), or give one now with opendata user add "
                             "--password-stdin", email=user.email), err=True)

    @user_group.command("grant", help=N_("Give a user a role (admin or editor) on a publisher, by the publisher's "
                                         "slug."))
    @click.argument("email")
    @click.argument("publisher")
    @click.argument("role", type=click.Choice(["admin", "editor"]))
    @click.pass_obj
    def user_grant(obj, email, publisher, role) -> None:
        from app.services.accounts import change_role

        with obj.sessionmaker()() as session:
            user = _user(session, email)
            pub = _publisher(session, publisher)
            change_role(session, user, pub, role)
            session.commit()
            click.echo(_("%(email)s is admin of %(publisher)s", email=user.email, publisher=pub.slug) if role == "admin"
                       else _("%(email)s is editor of %(publisher)s", email=user.email, publisher=pub.slug))

    @user_group.command("remove", help=N_("Take a user's role on a publisher away (its API tokens and sessions no "
                                          "longer change its datasets; their roles elsewhere stay), by the "
                                          "publisher's slug."))
    @click.argument("email")
    @click.argument("publisher")
    @click.pass_obj
    def user_remove(obj, email, publisher) -> None:
        # there was `grant` and no way back: someone who left a publisher kept editing it, unless their whole account
        # was deactivated (and with it their roles on other publishers)
        from app.services.accounts import change_role

        with obj.sessionmaker()() as session:
            user = _user(session, email)
            pub = _publisher(session, publisher)
            had = change_role(session, user, pub, None)
            session.commit()
        if had is None:
            click.echo(_("%(email)s has no role on %(publisher)s", email=user.email, publisher=pub.slug))
        else:
            click.echo(_("%(email)s is no longer a member of %(publisher)s", email=user.email, publisher=pub.slug))

    @user_group.command("list", help=N_("Every account: its address, whether it is a sysadmin or deactivated, and its "
                                        "roles on publishers."))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the accounts as JSON"))
    @click.pass_obj
    def user_list(obj, as_json) -> None:
        # there was no way to see the accounts, or which ones `user deactivate` had stopped, without SQL
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        from catalog_schema.models import Membership, User

        with obj.sessionmaker()() as session:
            users = session.scalars(select(User).order_by(User.email).options(
                selectinload(User.memberships).selectinload(Membership.publisher))).all()
            rows = [{"email": u.email, "name": u.name, "sysadmin": bool(u.is_sysadmin), "active": bool(u.active),
                     "roles": dict(sorted((m.publisher.slug, m.role) for m in u.memberships)),
                     "created_at": _iso(u.created_at)} for u in users]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        click.echo(ngettext("%(num)s account", "%(num)s accounts", len(rows)))
        for r in rows:
            flags = [_("sysadmin")] * r["sysadmin"] + [_("deactivated")] * (not r["active"])
            roles = ", ".join(f"{slug} {role}" for slug, role in r["roles"].items())
            click.echo("  " + "  ".join(part for part in (r["email"], ", ".join(flags), roles) if part))

    for command, active in (("deactivate", False), ("activate", True)):
        _activation_command(user_group, command, active)

    @user_group.command("invitations", help=N_("The open invitations (not accepted, revoked or expired), newest "
                                               "first; with --revoke ID, void one: its link stops working."))
    @click.option("--revoke", "revoke_id", type=int, default=None, help=N_("the id of the invitation to revoke"))
    @click.option("--as", "as_user", default=None, help=N_("the sysadmin the audit log names (default: the first)"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the invitations as JSON"))
    @click.pass_obj
    def user_invitations(obj, revoke_id, as_user, as_json) -> None:
        from app.commands.licences import operator
        from app.services import accounts

        with obj.sessionmaker()() as session:
            if revoke_id is not None:
                actor = operator(session, as_user)
                try:
                    row = accounts.revoke_invitation(session, actor, revoke_id, via="cli")
                except accounts.AccountError as exc:
                    raise click.ClickException(_("no open invitation %(id)s", id=revoke_id)
                                               if exc.code == "no-invitation" else str(exc)) from exc
                session.commit()
                click.echo(_("invitation %(id)s of %(email)s revoked", id=row.id, email=row.email))
                return
            rows = [{"id": r.id, "email": r.email, "publisher": r.publisher.slug if r.publisher else None,
                     "role": r.role, "invited_by": r.created_by, "created_at": _iso(r.created_at),
                     "expires_at": _iso(r.expires_at)} for r in accounts.pending_invitations(session, None)]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        click.echo(ngettext("%(num)s open invitation", "%(num)s open invitations", len(rows)))
        for r in rows:
            click.echo(_("  %(id)s  %(email)s  %(role)s of %(publisher)s  until %(expires_at)s", **r))

    @main.group("token", help=N_("API tokens (for CKAN clients: Authorization: <token>)."))
    def token_group() -> None:
        pass

    @token_group.command("create", help=N_("Create an API token; it is printed once, alone on the last line, and "
                                           "stored hashed."))
    @click.argument("email")
    @click.option("--name", default=None, help=N_("a label to tell tokens apart"))
    @click.pass_obj
    def token_create(obj, email, name) -> None:
        from app.services.accounts import AccountError, create_token

        with obj.sessionmaker()() as session:
            user = _user(session, email)
            try:
                token = create_token(session, user, name)
            except AccountError as exc:  # "inactive"
                raise click.ClickException(_("%(email)s is deactivated and its API tokens are refused: no token was "
                                             "made (`opendata user activate %(email)s` first)",
                                             email=user.email)) from exc
            session.commit()
            click.echo(_("token for %(email)s (%(name)s); it is shown only now:", email=user.email, name=name) if name
                       else _("token for %(email)s; it is shown only now:", email=user.email))
            click.echo(token)


def _user(session, email: str):
    """The account with this address, or the command stops saying how to make it."""
    from app.auth import find_user

    user = find_user(session, email)
    if user is None:
        raise click.ClickException(_("no user %(email)s (create it with `opendata user add`)", email=email))
    return user


def _publisher(session, slug: str):
    """The publisher with this slug, or the command stops saying there is none."""
    from sqlalchemy import select

    from catalog_schema.models import Publisher

    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        raise click.ClickException(_("no publisher %(slug)s", slug=repr(slug)))
    return pub


def _iso(value) -> str | None:
    from app.auth import aware

    return aware(value).isoformat(timespec="minutes") if value else None


def _activation_command(group: click.Group, command: str, active: bool) -> None:
    help_text = (N_("Deactivate an account: it cannot sign in, its sessions end at once and its API tokens are "
                    "refused (kept: `opendata user activate` gives them back)") if not active else
                 N_("Reactivate a deactivated account (its API tokens work again)."))

    @group.command(command, help=help_text)
    @click.argument("email")
    @click.pass_obj
    def run(obj, email) -> None:
        from app.services.accounts import set_active

        with obj.sessionmaker()() as session:
            user = _user(session, email)
            changed = set_active(session, user, active)
            session.commit()
        if not changed:
            click.echo(_("%(email)s is already active", email=user.email) if active
                       else _("%(email)s is already deactivated", email=user.email))
        else:
            click.echo(_("%(email)s is active again", email=user.email) if active
                       else _("%(email)s is deactivated: signed out everywhere, its API tokens refused",
                              email=user.email))
