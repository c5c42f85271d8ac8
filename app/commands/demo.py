"""opendata demo [--port 5000]: harvest data_samples into the catalog and serve on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os

import click

from app.cli_lang import N_, _
from app.commands.harvest import status_label
from app.commands.serve import PORT, can_listen


def register(main: click.Group) -> None:
    @main.command("demo", help=N_("Build the demo catalog from data_samples/ in the catalog database "
                                         "(OPENDATA_DATABASE_URL; SQLite by default) and serve it."))
    @click.option("--port", default=5000, show_default=True, type=PORT)
    @click.option("--no-serve", is_flag=True, help=N_("Load the samples and exit (for checks and CI)."))
    def demo(port: int, no_serve: bool) -> None:
        from app import settings as settings_mod
        from app.demo import (
            DEMO_AGENCY_EMAIL,
            DEMO_AGENCY_PUBLISHER,
            SAMPLES,
            ensure_agency_account,
            load_samples,
            make_demo_series,
            serve_files,
        )
        from app.jobs import Runtime
        from catalog_schema.db import upgrade

        # Links, RDF URIs and CKAN's site_url name the port the demo serves on, unless a SITE_URL is set.
        os.environ.setdefault("OPENDATA_SITE_URL", f"http://127.0.0.1:{port}")
        # and the departments' file server the next port (5001 beside 5000): `make demo PORT=5300` failed when 5001
        # was taken by another demo
        os.environ.setdefault("OPENDATA_DEMO_FILES_PORT", str(port + 1 if port < 65535 else port - 1))
        # The demo's department servers live on loopback: allow their port and the portal's for this catalog (below:
        # its instance folder's settings.env), never for another one, and not the rest of loopback (a link to a
        # database's or a cache's port on the same machine is refused as on any catalog).
        os.environ.setdefault("OPENDATA_ALLOW_HOSTS",
                              f"127.0.0.1:{os.environ['OPENDATA_DEMO_FILES_PORT']},127.0.0.1:{port}")
        values = settings_mod.load()
        # both ports tried before the catalog is built (a busy one was a traceback after it)
        can_listen("127.0.0.1", values["DEMO_FILES_PORT"])
        if not no_serve:
            can_listen("127.0.0.1", port)
        click.echo(_("site URL (page links, RDF URIs, CKAN site_url): %(url)s", url=values["SITE_URL"]))
        upgrade(values["DATABASE_URL"])
        # What the demo set holds for every command run on its catalog afterwards (`opendata assess`, the web page's
        # "check again", the scheduler's re-checks): read from the instance folder, under the environment. Only the
        # demo's folder has it; without it a re-check refused the demo's links as local addresses, every one broken.
        written = settings_mod.write_instance_settings(values["INSTANCE_DIR"], {
            env: os.environ[env] for env in ("OPENDATA_ALLOW_HOSTS", "OPENDATA_SITE_URL", "OPENDATA_DEMO_FILES_PORT")},
            "written by `opendata demo`: the demo catalog's files are served on 127.0.0.1")
        click.echo(_("the demo's settings, which every command on this catalog reads: %(path)s", path=str(written)))
        files = serve_files(SAMPLES / "files", values["DEMO_FILES_PORT"])
        click.echo(_("department files served at %(url)s", url=f"http://127.0.0.1:{values['DEMO_FILES_PORT']}/"))
        rt = Runtime(values)
        try:
            for name, summary in load_samples(rt, port=values["DEMO_FILES_PORT"]).items():
                if summary is None:
                    click.echo(_("left out %(name)s: its source was deleted (opendata source delete)", name=name))
                    continue
                click.echo(_("harvested %(name)s: %(status)s, %(added)s added, %(updated)s updated, %(unchanged)s "
                             "unchanged, %(errored)s errored", name=name,
                             **{**summary, "status": status_label(summary["status"])}))
            if values["ASSESS_AFTER_HARVEST"]:
                click.echo(_("assessed every harvested dataset (links checked, files sniffed and profiled)"))
            made = make_demo_series(rt)
            if made:
                click.echo(_("dataset series: %(url)s (bus ridership by month)",
                             url=f"http://127.0.0.1:{port}/dataset/{made}"))
            password = ensure_agency_account(rt)
        finally:
            rt.close()
        # This week's evaluation (in progress), so /dashboard/weekly has a report to show; its mail to the
        # agency account lands in instance/outbox/ unless OPENDATA_SMTP_HOST is set.
        from app.commands.evaluate import run_weekly
        from app.weekly import week_of

        evaluation = run_weekly(values, week_of(dt.datetime.now(dt.UTC).date()), True, running=True)
        click.echo(_("weekly evaluation %(week)s: %(reports)s publisher reports at %(url)s, %(mailed)s e-mailed",
                     week=evaluation["week"], reports=evaluation["publishers"],
                     url=f"http://127.0.0.1:{port}/dashboard/weekly",
                     mailed=sum(1 for sent in evaluation["sent"] if sent["to"] and not sent["error"])))
        click.echo(_("example agency account (%(publisher)s, admin): %(email)s / %(password)s",
                     publisher=DEMO_AGENCY_PUBLISHER, email=DEMO_AGENCY_EMAIL, password=password))
        if no_serve:  # nothing answers at the portal's address: say how to serve it, not where to sign in
            files.shutdown()
            click.echo(_("catalog built, not served: `opendata serve --port %(port)s` serves it (the departments' "
                         "files are not served after this command)", port=port))
            return
        click.echo(_("  sign in at %(login)s, then publish at %(publish)s", login=f"http://127.0.0.1:{port}/login",
                     publish=f"http://127.0.0.1:{port}/publish"))
        import waitress

        from app import create_app

        click.echo(_("the portal: %(url)s", url=f"http://127.0.0.1:{port}/"))
        waitress.serve(create_app(), host="127.0.0.1", port=port, threads=8, ident="opendata")
