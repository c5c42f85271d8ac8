"""opendata demo [--port 5000]: harvest data_samples into the catalog and serve on 127.0.0.1."""

from __future__ import annotations

import os

import click


def register(main: click.Group) -> None:
    @main.command("demo")
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--no-serve", is_flag=True, help="Load the samples and exit (for checks and CI).")
    def demo(port: int, no_serve: bool) -> None:
        """Build the demo catalog from data_samples/ on SQLite and serve it."""
        from app import settings as settings_mod
        from app.demo import (
            DEMO_AGENCY_EMAIL,
            DEMO_AGENCY_PUBLISHER,
            SAMPLES,
            ensure_agency_account,
            load_samples,
            serve_files,
        )
        from app.jobs import Runtime
        from catalog_schema.db import upgrade

        # The demo's department servers live on loopback: allow it here, and only here.
        os.environ.setdefault("OPENDATA_ALLOW_HOSTS", "127.0.0.1")
        values = settings_mod.load()
        upgrade(values["DATABASE_URL"])
        files = serve_files(SAMPLES / "files", values["DEMO_FILES_PORT"])
        click.echo(f"department files served at http://127.0.0.1:{values['DEMO_FILES_PORT']}/")
        rt = Runtime(values)
        try:
            for name, summary in load_samples(rt, port=values["DEMO_FILES_PORT"]).items():
                click.echo(f"harvested {name}: {summary['status']}, {summary['added']} added, "
                           f"{summary['updated']} updated, {summary['unchanged']} unchanged, "
                           f"{summary['errored']} errored")
            if values["ASSESS_AFTER_HARVEST"]:
                click.echo("assessed every harvested dataset (links checked, files sniffed and profiled)")
            password = ensure_agency_account(rt)
        finally:
            rt.close()
        click.echo(f"example agency account ({DEMO_AGENCY_PUBLISHER}, admin): {DEMO_AGENCY_EMAIL} / {password}")
        click.echo(f"  sign in at http://127.0.0.1:{port}/login, then publish at http://127.0.0.1:{port}/publish")
        if no_serve:
            files.shutdown()
            return
        import waitress

        from app import create_app

        click.echo(f"the portal: http://127.0.0.1:{port}/")
        waitress.serve(create_app(), host="127.0.0.1", port=port, threads=8, ident="opendata")
