"""opendata publisher show|release: what a publisher says of itself, and handing fields people edited back to its
harvests."""

from __future__ import annotations

import click

from app.cli_lang import N_, _, say
from app.commands.licences import actor_for


def _publisher(session, slug: str):
    from sqlalchemy import select

    from catalog_schema.models import Publisher

    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        raise click.ClickException(_("no publisher %(slug)s", slug=slug))
    return pub


def _said(value) -> str:
    """A field's value as a line says it: a language map as "zh: 名称; en: Name" (no language: the text alone), the
    CKAN extras as key=value pairs, nothing as "-"."""
    if not value:
        return "-"
    if isinstance(value, dict):
        return "; ".join(f"{lang}: {text}" if lang else str(text) for lang, text in value.items())
    if isinstance(value, list):
        return "; ".join(f"{e.get('key')}={e.get('value')}" if isinstance(e, dict) else str(e) for e in value)
    return str(value)


def register(main: click.Group) -> None:
    @main.group("publisher", help=N_("Publishers: what each says of itself, and which of its fields people said "
                                     "(no harvest changes those)."))
    def publisher_group() -> None:
        pass

    @publisher_group.command("show", help=N_("What publisher SLUG says of itself, the fields people edited, and "
                                             "the harvest source that keeps the rest up to date."))
    @click.argument("slug")
    @click.pass_obj
    def publisher_show(obj, slug) -> None:
        from app.services import publishers
        from catalog_schema.models import HarvestSource

        with obj.sessionmaker()() as session:
            pub = _publisher(session, slug)
            for field, value in publishers.view(pub).items():
                click.echo(f"{field}: {_said(value)}")
            edited = ", ".join(pub.edited or ()) or "-"
            click.echo(_("edited by people (no harvest changes them): %(fields)s", fields=edited))
            source = session.get(HarvestSource, pub.source_id) if pub.source_id is not None else None
            keeper = "-" if source is None else source.name + (_(" (deleted)") if source.deleted_at else "")
            click.echo(_("kept up to date by the harvest source: %(source)s", source=keeper))

    @publisher_group.command("release", help=N_("Hand FIELDS of publisher SLUG (title, description, homepage, "
                                                "image_url, extras; all edited ones when none is named) back to its "
                                                "harvests: its source updates them again at its next import."))
    @click.argument("slug")
    @click.argument("fields", nargs=-1)
    @click.option("--as", "as_user", default=None, help=N_("the sysadmin the audit log names (default: the first)"))
    @click.pass_obj
    def publisher_release(obj, slug, fields, as_user) -> None:
        from app.services import publishers
        from app.services.errors import ServiceError

        with obj.sessionmaker()() as session:
            actor = actor_for(obj, session, as_user)
            try:
                released = publishers.release(actor, _publisher(session, slug), fields)
            except ServiceError as exc:
                raise click.ClickException(say(exc.message)) from exc
            finally:
                actor.runtime.close()
            if released:
                click.echo(_("%(slug)s: %(fields)s handed back to its harvests", slug=slug,
                             fields=", ".join(released)))
            else:
                click.echo(_("%(slug)s: none of these fields was edited by people; nothing changed", slug=slug))
