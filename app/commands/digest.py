"""opendata digest send [--period daily|weekly] [--json]: e-mail the followers' digests that are due."""

from __future__ import annotations

import json

import click

from app.cli_lang import N_, _, say

PERIODS = ("daily", "weekly")


def run_digests(settings: dict, periods=PERIODS, *, now=None) -> dict:
    """Send every digest due of `periods` (app/services/digests.py). The same for cron, `opendata schedule`,
    Celery beat and a person: a digest not due yet is not sent, so running it often sends nothing twice."""
    from app import create_app
    from app.services import digests
    from app.web.follows import mail_renderer

    app = create_app(settings)
    try:
        with app.extensions["opendata"]["sessionmaker"]() as session:
            out = {}
            for period in periods:
                results = digests.send_digests(session, app.config["OPENDATA"], mail_renderer(app), period, now=now)
                out[period] = [{"to": r.email, "changes": r.changes, "sent": r.sent, "error": r.error}
                               for r in results]
    finally:
        app.extensions["opendata"]["engine"].dispose()
    return out


def register(main: click.Group) -> None:
    @main.group("digest", help=N_("E-mail digests of what users follow."))
    def digest() -> None:
        pass

    @digest.command("send", help=N_("Send each follower whose digest is due one e-mail listing the changes since "
                                    "their last digest."))
    @click.option("--period", type=click.Choice(PERIODS), default=None,
                  help=N_("only the daily or the weekly digests (default: both)"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the summary as JSON"))
    @click.pass_obj
    def send_cmd(obj, period, as_json) -> None:
        summary = run_digests(obj.settings, (period,) if period else PERIODS)
        if as_json:  # the exit status says a failed send as the text's does (it said success)
            click.echo(json.dumps(summary, ensure_ascii=False))
            if any(r["error"] for results in summary.values() for r in results):
                raise SystemExit(1)
            return
        for name, results in summary.items():
            sent = sum(1 for r in results if r["sent"])
            click.echo(_("%(period)s: %(sent)s digests sent, %(due)s users due", period=_(name), sent=sent,
                         due=len(results)))
            for r in results:
                if r["error"]:
                    click.echo("  " + _("%(to)s: not sent (%(error)s)", to=r["to"], error=say(r["error"])))
        if any(r["error"] for results in summary.values() for r in results):
            raise SystemExit(1)
