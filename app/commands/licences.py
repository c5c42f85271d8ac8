"""opendata licence list|map|unmap: the sysadmins' licence mappings (raw licence text -> licence id)."""

from __future__ import annotations

import click

from app.cli_lang import N_, _, lang, ngettext, say


def actor_for(obj, session, as_user: str | None):
    """The Actor of a change made on the command line (`operator`: the account the audit log names)."""
    from app.jobs import Runtime
    from app.services.context import Actor

    return Actor(session, operator(session, as_user), "cli", runtime=Runtime(obj.settings), lang=lang())


def operator(session, as_user: str | None):
    """The account the audit log names for a change made on the command line: `--as`, else the first sysadmin."""
    from app.auth import find_user

    user = find_user(session, as_user) if as_user else None
    if as_user and user is None:
        raise click.ClickException(_("no user %(email)s", email=as_user))
    if user is None:  # the command line acts as the portal's operator: a sysadmin stands for it in the audit log
        from sqlalchemy import select

        from catalog_schema.models import User
        user = session.scalar(select(User).where(User.is_sysadmin.is_(True), User.active.is_(True))
                              .order_by(User.id))
        if user is None:
            raise click.ClickException(_("no sysadmin account: create one with `opendata user add EMAIL --role "
                                         "sysadmin`"))
    return user


def register(main: click.Group) -> None:
    @main.group("licence", help=N_("Licence mappings: raw licence texts the vocabulary does not know, mapped to "
                                   "licence ids."))
    def licence_group() -> None:
        pass

    @licence_group.command("list", help=N_("The mappings, then the raw texts still without a licence (with how "
                                           "many datasets carry each)."))
    @click.pass_obj
    def licence_list(obj) -> None:
        from app.services import licences

        with obj.sessionmaker()() as session:
            rows = licences.mappings(session)
            click.echo(ngettext("%(num)s mapping", "%(num)s mappings", len(rows)))
            for row in rows:
                click.echo(f"  {row.raw!r} -> {row.licence_id}")
            left = licences.unmapped(session)
            click.echo(ngettext("%(num)s raw licence text without a licence",
                                "%(num)s raw licence texts without a licence", len(left)))
            for raw, n in left:
                click.echo(ngettext("  %(raw)s: %(num)s dataset", "  %(raw)s: %(num)s datasets", n, raw=repr(raw)))

    @licence_group.command("map", help=N_("Map the licence text RAW to LICENCE_ID (e.g. cc-by-4.0) and re-assess "
                                          "the datasets it affects."))
    @click.argument("raw")
    @click.argument("licence_id")
    @click.option("--as", "as_user", default=None, help=N_("the sysadmin the audit log names (default: the first)"))
    @click.pass_obj
    def licence_map(obj, raw, licence_id, as_user) -> None:
        from app.services import licences
        from app.services.errors import ServiceError

        with obj.sessionmaker()() as session:
            actor = actor_for(obj, session, as_user)
            try:
                done = licences.map_licence(actor, raw, licence_id)
            except ServiceError as exc:
                raise click.ClickException(say(exc.message)) from exc
            finally:
                actor.runtime.close()
            click.echo(_("%(raw)s -> %(licence)s: %(changed)s dataset(s) changed, %(reassessed)s re-assessed",
                         raw=repr(done["raw"]), licence=done["licence_id"], changed=len(done["datasets"]),
                         reassessed=done["reassessed"]))

    @licence_group.command("unmap", help=N_("Remove the mapping of RAW; its datasets get what the vocabulary alone "
                                            "makes of the text."))
    @click.argument("raw")
    @click.option("--as", "as_user", default=None, help=N_("the sysadmin the audit log names (default: the first)"))
    @click.pass_obj
    def licence_unmap(obj, raw, as_user) -> None:
        from app.services import licences
        from app.services.errors import ServiceError

        with obj.sessionmaker()() as session:
            actor = actor_for(obj, session, as_user)
            try:
                done = licences.unmap_licence(actor, raw)
            except ServiceError as exc:
                raise click.ClickException(say(exc.message)) from exc
            finally:
                actor.runtime.close()
            click.echo(_("%(raw)s unmapped: %(changed)s dataset(s) changed, %(reassessed)s re-assessed",
                         raw=repr(done["raw"]), changed=len(done["datasets"]), reassessed=done["reassessed"]))
