"""opendata serve: the production WSGI server (waitress), not Flask's development server."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    @main.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--threads", default=8, show_default=True, type=int)
    def serve(host: str, port: int, threads: int) -> None:
        """Serve the portal with waitress (for several processes use gunicorn 'app.wsgi:app')."""
        import waitress

        from app import create_app

        app = create_app()
        click.echo(f"serving on http://{host}:{port}")
        waitress.serve(app, host=host, port=port, threads=threads, ident="opendata")
