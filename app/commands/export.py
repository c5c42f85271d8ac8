"""opendata export catalog --format csv|xml|json|jsonld|ttl|rdf|nt|datajson [-o FILE]"""

from __future__ import annotations

import sys

import click

from app.cli_lang import N_, _


class _Formats(click.Choice):
    """The export formats of app.export.catalog, imported only when the option is parsed or its help shown
    (the exporters load the RDF stack: `opendata --help` should not)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self):
        from app.export.catalog import FORMATS

        return tuple(FORMATS)

    @choices.setter
    def choices(self, value) -> None:  # click.Choice.__init__ assigns the (empty) tuple given above
        pass


def register(main: click.Group) -> None:
    @main.group("export", help=N_("Export the catalog."))
    def export_group() -> None:
        pass

    @export_group.command("catalog", help=N_("The whole active catalog in one format (DCAT-AP 3 for the RDF ones)."))
    @click.option("--format", "fmt", type=_Formats(), required=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
                  help=N_("File to write (default: standard output)."))
    @click.pass_obj
    def catalog(obj, fmt: str, output: str | None) -> None:
        from app.export.catalog import catalog_info, export

        with obj.sessionmaker()() as session:
            if output:
                import os

                tmp = output + ".part"
                try:
                    with open(tmp, "w", encoding="utf-8", newline="") as fh:
                        export(session, fmt, fh, site_url=obj.settings["SITE_URL"],
                               catalog_info=catalog_info(obj.settings),
                               contact_email=obj.settings["CONTACT_EMAIL"] or None)
                    os.replace(tmp, output)  # never leave a half-written file under the real name
                except OSError as exc:  # a folder missing, no permission, a full disk: was a traceback
                    if os.path.exists(tmp):
                        os.remove(tmp)
                    raise click.ClickException(_("cannot write %(file)s (%(reason)s): nothing was exported",
                                                 file=output, reason=exc.strerror or str(exc))) from exc
                click.echo(_("wrote %(file)s", file=output), err=True)
            else:
                export(session, fmt, sys.stdout, site_url=obj.settings["SITE_URL"],
                       catalog_info=catalog_info(obj.settings), contact_email=obj.settings["CONTACT_EMAIL"] or None)
