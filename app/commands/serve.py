"""opendata serve: a production WSGI server, never Flask's development server.

One process (`--workers 1`, the default) runs waitress with threads; several (`--workers N`)
run gunicorn's pre-fork master with N worker processes of `--threads` threads each, the
shape a portal on PostgreSQL runs in (SQLite wants one process).
"""

from __future__ import annotations

import os

import click

from app.cli_lang import N_, _, ngettext


def _ready(app):
    """`app` with every template compiled: the first visitor of each page after a start (a deploy, a worker
    gunicorn replaced) is served as fast as the next one."""
    from app.templating import compile_all

    compile_all(app.jinja_env)
    if not os.environ.get("OPENDATA_SITE_URL"):  # every absolute link is made from it, never from a request's Host
        app.logger.warning("OPENDATA_SITE_URL is not set: links, RDF URIs and e-mails name %s; set it to the "
                           "portal's public address", app.config["OPENDATA"]["SITE_URL"])
    return app


def _gunicorn(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    import secrets

    from gunicorn.app.base import BaseApplication

    if not os.environ.get("OPENDATA_SECRET_KEY"):
        # Workers must sign sessions and CSRF tokens with one key, or a sign-in made on one worker
        # is unknown to the next: draw it once here, in the master, before the fork.
        click.echo(_("OPENDATA_SECRET_KEY is not set: using a random key shared by the workers until restart"))
        os.environ["OPENDATA_SECRET_KEY"] = secrets.token_hex(32)

    import tempfile

    # Request metrics of every worker in one folder (prometheus-client's multiprocess mode): a scrape adds them
    # up whichever worker answers. Set before anything imports prometheus_client, so before create_app.
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="opendata-metrics-")

    from app import create_app

    def child_exit(_server, worker) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    from gunicorn import glogging

    class _Logs(glogging.Logger):
        """gunicorn's own lines (booting a worker, a worker's timeout) through the portal's handler on the root
        logger (app/logs.py), so that OPENDATA_LOG_FORMAT=json gives JSON lines only: gunicorn wrote its own
        text lines into the stream beside them."""

        def setup(self, cfg) -> None:
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in list(log.handlers):
                    log.removeHandler(handler)
                log.propagate = True

    class _Portal(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("logger_class", _Logs)
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", timeout)
            self.cfg.set("accesslog", None)
            self.cfg.set("proc_name", "opendata")
            # Several portals (tests, benchmarks) may run side by side: no shared control socket in $HOME.
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("child_exit", child_exit)

        def load(self):
            # Each worker builds its own app (and database engine) after the fork, and compiles its templates
            # before its first request.
            return _ready(create_app())

    try:
        _Portal().run()
    finally:
        if made:  # the folder this run made (its workers' files are counts of this run only): not left behind
            import shutil

            shutil.rmtree(made, ignore_errors=True)


#: A TCP port a server can be given.
PORT = click.IntRange(1, 65535)


def can_listen(host: str, port: int) -> None:
    """A port another program holds is said in one line (ClickException), before anything is started or built."""
    import socket

    try:
        with socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET):
            pass
    except OSError as exc:
        raise click.ClickException(_("cannot listen on %(host)s:%(port)s: %(error)s", host=host, port=port,
                                     error=exc.strerror or exc)) from exc


def register(main: click.Group) -> None:
    @main.command("serve", help=N_("Serve the portal: waitress in one process, or gunicorn with several workers."))
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=PORT)
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
                  help=N_("Processes; more than 1 runs gunicorn (use PostgreSQL then)."))
    @click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
    @click.option("--timeout", default=60, show_default=True, type=int, help=N_("gunicorn worker timeout, seconds."))
    def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
        can_listen(host, port)  # before the banner (it was a traceback after it)
        click.echo(ngettext("serving on http://%(host)s:%(port)s (%(num)s process)",
                            "serving on http://%(host)s:%(port)s (%(num)s processes)", workers, host=host, port=port))
        if workers > 1:
            _gunicorn(host, port, workers, threads, timeout)
            return
        import waitress

        from app import create_app

        waitress.serve(_ready(create_app()), host=host, port=port, threads=threads, ident="opendata")
