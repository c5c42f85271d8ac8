"""opendata evaluate weekly [--week YYYY-Www] [--send] [--json]: the weekly evaluation (issue 17 item 3)."""

from __future__ import annotations

import json

import click

from app.cli_lang import N_, _, say


def run_weekly(settings: dict, week: str | None, send: bool, *, now=None, running: bool = False) -> dict:
    """Store the reports of `week` (default: the last week that has ended) and, with `send`, e-mail them and
    the still unsent ones of the weeks before. The same for cron, `opendata schedule` and a person. A week that
    has not ended is refused, unless `running` (the demo shows this week's report, on a catalog of a day)."""
    from app import create_app, weekly
    from app.datastore.load import root_of
    from app.services import weekly as service
    from app.web.weekly import mail_renderer
    from catalog_schema.models import utcnow

    now = now or utcnow()
    if week:
        week = weekly.parse_week(week) if running else weekly.ended_week(week, now)
    else:
        week = weekly.last_complete_week(now)
    app = create_app(settings)
    sessionmaker = app.extensions["opendata"]["sessionmaker"]
    try:
        with sessionmaker() as session:
            existing = {r.publisher_id for r in service.existing(session, week)}
            # personal data counted as the dashboard counts it, the kept whole-file scans included
            reports = service.evaluate_week(session, week, now=now, store_root=root_of(app.config["OPENDATA"]))
            made = [r.body["publisher"]["slug"] for r in reports if r.publisher_id not in existing]
            session.commit()
            sent = service.send_reports(session, app.config["OPENDATA"], mail_renderer(app), week, now=now) \
                if send else []
    finally:
        app.extensions["opendata"]["engine"].dispose()
    return {"week": week, "publishers": len(reports), "created": made,
            "sent": [{"week": s.week, "publisher": s.publisher, "to": s.sent_to, "error": s.error} for s in sent]}


def register(main: click.Group) -> None:
    @main.group("evaluate", help=N_("Evaluations of the publishers (the weekly report)."))
    def evaluate() -> None:
        pass

    @evaluate.command("weekly", help=N_("Make each publisher's report of a week (kept; a second run changes "
                                        "nothing) and optionally send it."))
    @click.option("--week", default=None, help=N_("ISO week, e.g. 2026-W48 (default: the last week that has ended)"))
    @click.option("--send", is_flag=True, help=N_("e-mail each report to its publisher's admins (and retry earlier "
                                               "failures)"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the summary as JSON"))
    @click.pass_obj
    def weekly_cmd(obj, week, send, as_json) -> None:
        try:
            summary = run_weekly(obj.settings, week, send)
        except ValueError as exc:
            raise click.ClickException(say(exc.args[0] if exc.args else str(exc))) from exc
        from app.services.weekly import NO_ADMIN

        # a report the mail server did not take is a failure (cron must see it: the exit status); a publisher with
        # no admin is not one that a retry mends, and is said with what to do
        failed = any(s["error"] and s["error"] != NO_ADMIN for s in summary["sent"])
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
            if failed:
                raise SystemExit(1)
            return
        click.echo(_("week %(week)s: %(reports)s publisher reports, %(new)s new", week=summary["week"],
                     reports=summary["publishers"], new=len(summary["created"])))
        for s in summary["sent"]:
            if s["error"] == NO_ADMIN:
                click.echo(_("  %(week)s %(publisher)s: not sent: the publisher has no admin (give it one: opendata "
                             "user grant EMAIL %(publisher)s admin)", week=s["week"], publisher=s["publisher"]))
            elif s["error"]:
                click.echo(_("  %(week)s %(publisher)s: not sent (%(error)s)", week=s["week"], publisher=s["publisher"],
                             error=say(s["error"])))
            else:
                click.echo(_("  %(week)s %(publisher)s: sent to %(to)s", week=s["week"], publisher=s["publisher"],
                             to=", ".join(s["to"]) or _("nobody new")))
        if failed:
            click.echo(_("some reports were not sent: they are sent again by the next run with --send (or by "
                         "`opendata schedule`)"), err=True)
            raise SystemExit(1)
