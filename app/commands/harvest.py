"""opendata source add|edit|delete|list|show, opendata harvest NAME, opendata worker, opendata schedule."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from app.cli_click import display_width
from app.cli_lang import N_, _, gettext, lang, ngettext, say

TYPES = ["ckan", "dcat", "datajson", "datapackage"]
#: What `source edit` says it changed (app.services.sources.edit_source's names).
EDITED = {"url": N_("URL"), "config": N_("config"), "publisher": N_("publisher"), "schedule": N_("schedule"),
          "enabled": N_("enabled")}


def register(main: click.Group) -> None:
    @main.group("source", help=N_("Harvest sources."))
    def source_group() -> None:
        pass

    @source_group.command("add", help=N_("Register a harvest source."))
    @click.argument("name")
    @click.option("--type", "type_", type=click.Choice(TYPES), required=True)
    @click.option("--url", required=True, help=N_("http(s) URL or local path (for datapackage: a datapackage.json, "
                                               "a folder of files, or a .txt list of files)"))
    @click.option("--publisher", default=None, help=N_("default publisher slug (created if unknown)"))
    @click.option("--new-publisher", is_flag=True,
                  help=N_("create the --publisher even when its name is close to a known publisher's"))
    @click.option("--schedule", type=click.Choice(["daily", "weekly", "manual"]), default="manual")
    @click.option("--config", "config_json", default=None, help=N_("JSON object of type-specific options"))
    @click.pass_obj
    def source_add(obj, name, type_, url, publisher, new_publisher, schedule, config_json) -> None:

        from sqlalchemy import select

        from app.services.errors import ServiceError
        from app.services.sources import add_source
        from catalog_schema.models import Publisher
        from harvesters import registry

        try:
            registry.get(type_, obj.settings["HARVESTERS"])
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            config = json.loads(config_json) if config_json else {}
        except json.JSONDecodeError as exc:
            raise click.ClickException(_("--config is not valid JSON: %(error)s", error=exc)) from exc
        if not isinstance(config, dict):
            raise click.ClickException(_("--config must be a JSON object"))
        with obj.sessionmaker()() as session:
            before = set(session.scalars(select(Publisher.id)))
            try:
                source = add_source(session, name, type_, url, publisher=publisher, schedule=schedule,
                                    config=config, new_publisher=new_publisher, user=_operator(session, None))
            except ServiceError as exc:
                raise click.ClickException(say(exc.message)) from exc
            url = source.url  # a local path as stored: absolute
            pub = source.publisher
            created = pub.slug if pub is not None and pub.id not in before else None
            session.commit()
        click.echo(_("added source %(name)s (%(type)s) %(url)s", name=name, type=type_, url=url))
        if created is not None:  # said, so that a slug typed wrong is seen at once, not on the publisher pages
            click.echo(_("created publisher %(slug)s", slug=created))
        local = "://" not in url and (Path(url).is_dir() or url.endswith(".txt"))
        if type_ == "datapackage" and local and not config.get("base_url"):
            click.echo(_("warning: %(url)s is published as file:// addresses, which no one else can download and the "
                         "link checker cannot fetch (no stars): set config.base_url to where the folder is published "
                         "on the web", url=url), err=True)
        if isinstance(config.get("defaults"), dict):  # said now, not found later as flags on every file
            from harvesters.files import SHEET_COLUMN, defaults_fields
            from harvesters.messages import as_message

            for field, value, reason in defaults_fields(config["defaults"])[1]:
                said, key = as_message(reason), SHEET_COLUMN.get(field, field).removeprefix("defaults.")
                click.echo(_("warning: defaults %(field)s %(value)s: %(reason)s", field=key, value=repr(value),
                             reason=harvest_error(str(said), said.detail())), err=True)

    @source_group.command("edit", help=N_("Change a harvest source: its URL, publisher, schedule or config; "
                                          "--disable stops its scheduled harvests (its datasets and jobs are kept)."))
    @click.argument("name")
    @click.option("--url", default=None, help=N_("http(s) URL or local path (for datapackage: a datapackage.json, "
                                               "a folder of files, or a .txt list of files)"))
    @click.option("--publisher", default=None, help=N_("default publisher slug (created if unknown)"))
    @click.option("--new-publisher", is_flag=True,
                  help=N_("create the --publisher even when its name is close to a known publisher's"))
    @click.option("--schedule", type=click.Choice(["daily", "weekly", "manual"]), default=None)
    @click.option("--config", "config_json", default=None,
                  help=N_("JSON object of type-specific options; replaces the source's config"))
    @click.option("--enable/--disable", "enabled", default=None,
                  help=N_("whether the scheduler harvests the source (a manual harvest still can)"))
    @click.pass_obj
    def source_edit(obj, name, url, publisher, new_publisher, schedule, config_json, enabled) -> None:
        from app.services.errors import ServiceError
        from app.services.sources import edit_source

        config = None
        if config_json is not None:
            try:
                config = json.loads(config_json)
            except json.JSONDecodeError as exc:
                raise click.ClickException(_("--config is not valid JSON: %(error)s", error=exc)) from exc
            if not isinstance(config, dict):
                raise click.ClickException(_("--config must be a JSON object"))
        if all(v is None for v in (url, publisher, schedule, config, enabled)):
            raise click.UsageError(_("nothing to change: give --url, --publisher, --schedule, --config, --enable or "
                                     "--disable"))
        with obj.sessionmaker()() as session:
            try:
                changed = edit_source(session, name, url=url, publisher=publisher, new_publisher=new_publisher,
                                      schedule=schedule, config=config, enabled=enabled,
                                      user=_operator(session, None))
            except ServiceError as exc:
                raise click.ClickException(say(exc.message)) from exc
            session.commit()
        if changed:
            said = [gettext(EDITED[field]) for field in changed]
            click.echo(_("changed source %(name)s: %(fields)s", name=name, fields=", ".join(said)))
        else:
            click.echo(_("source %(name)s already says that: nothing changed", name=name))

    @source_group.command("delete", help=N_("Delete a harvest source: it is no longer listed or harvested, and its "
                                            "jobs stay for the record. A source that has datasets needs --datasets: "
                                            "withdraw (hidden, kept, restorable) or keep (published as their "
                                            "publisher's own)."))
    @click.argument("name")
    @click.option("--datasets", "choice", type=click.Choice(["withdraw", "keep"]), default=None,
                  help=N_("what becomes of the source's datasets: withdraw them, or keep them as their publisher's "
                          "own"))
    @click.option("--dry-run", is_flag=True, help=N_("say what would be done, changing nothing"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print what was done as JSON"))
    @click.option("--as", "as_user", default=None, help=N_("the sysadmin the audit log names (default: the first)"))
    @click.pass_obj
    def source_delete(obj, name, choice, dry_run, as_json, as_user) -> None:
        from app.jobs import Runtime
        from app.services.context import Actor
        from app.services.errors import Forbidden, ServiceError
        from app.services.sources import delete_source

        obj.require_database()
        with obj.sessionmaker()() as session:
            actor = Actor(session, _operator(session, as_user), "cli", runtime=Runtime(obj.settings), lang=lang())
            try:
                done = delete_source(actor, name, datasets=choice, dry_run=dry_run)
            except ServiceError as exc:
                said = say(exc.message)
                if isinstance(exc, Forbidden) and actor.user is None:  # no sysadmin yet: say how to make one
                    said += "\n" + _("no sysadmin account: create one with `opendata user add EMAIL --role "
                                      "sysadmin`")
                raise click.ClickException(said) from exc
            finally:
                actor.runtime.close()
        if as_json:
            click.echo(json.dumps(done, ensure_ascii=False))
            return
        click.echo(_deletion_line(done))


    @source_group.command("list", help=N_("List harvest sources with their last job."))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def source_list(obj, as_json) -> None:
        rows = _sources(obj)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        for row in rows:
            last = row["last_job"]
            # to the minute, as `source show` says a job's time (the JSON keeps the full time with its offset)
            when = dt.datetime.fromisoformat(last["finished_at"]).strftime("%Y-%m-%d %H:%M") \
                if last and last["finished_at"] else ""
            status = f"{_label(last['status'])} {when}" if last else _("never harvested")
            plan = _label(row["schedule"]) if row["enabled"] else _("disabled")
            click.echo(f"{row['name']:<24} {row['type']:<12} {_pad(plan, 8)} {status}  {row['url']}")

    @source_group.command("show", help=N_("A source's report: its recent jobs, what the latest job added, updated "
                                          "and withdrawn, and its errors grouped by kind with an example each "
                                          "(every errored record: /harvest/job/<id>)."))
    @click.argument("name")
    @click.option("--jobs", default=5, show_default=True, type=click.IntRange(1, 100), help=N_("recent jobs to list"))
    @click.option("--titles", default=20, show_default=True, type=click.IntRange(0, 10_000),
                  help=N_("datasets to list per change of the latest job"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the report as JSON"))
    @click.pass_obj
    def source_show(obj, name, jobs, titles, as_json) -> None:
        from catalog_schema.harvest_report import source_report, to_json

        with obj.sessionmaker()() as session:
            report = source_report(session, name, jobs=jobs, titles=titles, details=not as_json)
        if report is None:
            raise click.ClickException(_("no source named %(name)s", name=repr(name)))
        if as_json:
            from app.services.serving import public_errors

            click.echo(json.dumps(public_errors(to_json(report)), ensure_ascii=False, indent=1))
        else:
            for line in _report_lines(report):
                click.echo(line)

    @main.command("harvest", help=N_("Run one harvest job of source NAME to its end (exit 1: failed; 2: needs "
                                     "confirmation)."))
    @click.argument("name")
    @click.option("--full", is_flag=True,
                  help=N_("full gather: every record read and compared, not only those changed since the last "
                          "harvest (what the source no longer lists is withdrawn on every run)"))
    @click.option("--json", "as_json", is_flag=True, help=N_("print the job summary as JSON, no progress"))
    @click.option("--confirm-withdrawals", "confirm", is_flag=True,
                  help=N_("withdraw what the source no longer lists even when it is more than "
                       "OPENDATA_HARVEST_MAX_WITHDRAW_SHARE of its datasets"))
    @click.pass_obj
    def harvest_cmd(obj, name, full, as_json, confirm) -> None:
        from app.jobs import Runtime, harvest
        from harvesters.base import HarvestError
        from harvesters.messages import error_detail

        obj.require_database()
        rt = Runtime(obj.settings)
        progress = None if as_json or not sys.stderr.isatty() else _Progress()
        try:
            summary = harvest(rt, name, full=full, on_record=progress, confirm=confirm)
        except HarvestError as exc:  # the job failed before it ran (the broker could not take it): said so
            raise click.ClickException(harvest_error(str(exc), error_detail(exc))) from exc
        except (LookupError, RuntimeError, TimeoutError) as exc:
            raise click.ClickException(say(exc.args[0]) if exc.args else str(exc)) from exc  # app.jobs's T_ texts
        finally:
            rt.close()
            if progress:
                progress.done()
        if as_json:
            click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
        else:
            d = summary.to_dict()
            click.echo(_("job %(job_id)s %(status)s: added %(added)s, updated %(updated)s, unchanged %(unchanged)s, "
                         "withdrawn %(withdrawn)s, errored %(errored)s", **{**d, "status": _label(d["status"])})
                       + (_(" (%(error)s)", error=harvest_error(summary.error, summary.error_detail))
                          if summary.error else "")
                       + (_("; incremental: only what the source changed since %(since)s was read (--full reads "
                            "every record)", since=summary.since.isoformat(timespec="seconds"))
                          if summary.since and summary.status == "finished" else ""))
        if summary.status != "finished":
            sys.exit(2 if summary.status == "needs-confirmation" else 1)

    @main.command("worker", help=N_("A Celery worker for harvest and assessment jobs (needs OPENDATA_BROKER_URL)."))
    @click.option("--concurrency", default=2, show_default=True, type=int)
    @click.option("--beat", is_flag=True, help=N_("also run the scheduler (daily/weekly harvests)"))
    @click.option("--name", default=None, help=N_("node name (several workers on one host each need their own)"))
    @click.pass_obj
    def worker(obj, concurrency, beat, name) -> None:
        if not obj.settings["BROKER_URL"]:
            raise click.ClickException(_("OPENDATA_BROKER_URL is not set: jobs run in-process, no worker needed"))
        from app.celery_app import make_celery

        celery = make_celery(obj.settings)
        # Without mingle: it spends a second at every start asking the other workers for the tasks they
        # revoked, and the platform revokes none.
        argv = ["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "-Q", "opendata", "--without-mingle"]
        if beat:  # its schedule file in the instance folder, not in whatever folder the worker was started from
            from pathlib import Path

            schedule = Path(obj.settings["INSTANCE_DIR"]) / "celerybeat-schedule"
            schedule.parent.mkdir(parents=True, exist_ok=True)
            argv += ["--beat", f"--schedule={schedule}"]
        if name:
            argv.append(f"--hostname={name}@%h")
        celery.worker_main(argv)

    @main.command("schedule", help=N_("Run the harvests that are due now, then the link re-checks whose moment "
                                      "of the period has come (RECHECK_PERIOD_DAYS), the weekly evaluation and "
                                      "the followers' digests if due, then the daily prune of what is past "
                                      "retention (for an hourly cron, when no Celery beat runs)."))
    @click.pass_obj
    def schedule(obj) -> None:
        from app import recheck
        from app.jobs import Runtime, harvest
        from app.scheduler import due_sources
        from harvesters.base import HarvestError
        from harvesters.messages import error_detail

        obj.require_database()
        rt = Runtime(obj.settings)
        # what failed, said at the end with exit status 1 (a cron job or a timer sees it; everything else still ran)
        failed: list[str] = []
        try:
            for name in due_sources(rt):
                try:
                    summary = harvest(rt, name)
                except HarvestError as exc:  # its job failed, saying why: the other sources go on
                    click.echo(json.dumps({"source": name, "status": "failed",
                                           "error": harvest_error(str(exc), error_detail(exc))}, ensure_ascii=False))
                    failed.append(name)
                    continue
                except RuntimeError as exc:  # a job of it still queued or running: the next run takes it
                    click.echo(json.dumps({"source": name, "status": "skipped", "error": say(exc.args[0])
                                           if exc.args else str(exc)}, ensure_ascii=False))
                    continue
                click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
                if summary.status in ("failed", "needs-confirmation"):
                    failed.append(name)
            if recheck.period_of(obj.settings) is not None:
                click.echo(json.dumps({"recheck": recheck.run(rt)}, ensure_ascii=False))
        finally:
            rt.close()
        if obj.settings["WEEKLY_EVALUATION"]:  # idempotent per week: an hourly cron makes each week's once
            from app.commands.evaluate import run_weekly
            from app.services.weekly import NO_ADMIN

            evaluation = run_weekly(obj.settings, None, send=True)
            click.echo(json.dumps({"weekly_evaluation": evaluation}, ensure_ascii=False))
            if any(s["error"] and s["error"] != NO_ADMIN for s in evaluation["sent"]):
                failed.append(_("the weekly reports' e-mails"))
        if obj.settings["DIGESTS"]:  # only the digests that are due: an hourly cron sends each once
            from app.commands.digest import run_digests

            digests = run_digests(obj.settings)
            click.echo(json.dumps({"digests": digests}, ensure_ascii=False))
            if any(r["error"] for results in digests.values() for r in results):
                failed.append(_("the digests' e-mails"))
        from app.commands.prune import prune_if_due

        pruned = prune_if_due(obj.settings)  # once a day
        if pruned is not None:
            click.echo(json.dumps({"prune": pruned}, ensure_ascii=False))
        if failed:  # exited 0 whatever failed
            click.echo(_("failed or waiting for you: %(what)s (a source's report: opendata source show NAME; the rest "
                         "ran, and what was not sent is sent again by the next run)", what=", ".join(failed)), err=True)
            raise SystemExit(1)


def _operator(session, as_user: str | None):
    """Who the audit log names for a source added, changed or deleted on the command line: `--as` (deletion),
    else the first active sysadmin (the command line acts as the portal's operator, as `opendata licence` does:
    `licences.operator`). With no
    sysadmin at all, nobody: a source without datasets can still go, and one with datasets is refused saying how
    to make one."""
    from app.commands.licences import operator

    try:
        return operator(session, as_user)
    except click.ClickException:
        if as_user:
            raise
        return None


def _deletion_line(done: dict) -> str:
    """What `source delete` did (or, with --dry-run, would do), in one line: "deleted source X: 12 datasets withdrawn,
    30 jobs kept for the record"."""
    parts = []
    if done["choice"] == "withdraw":
        parts.append(ngettext("%(num)s dataset withdrawn", "%(num)s datasets withdrawn", done["withdrawn"]))
        if done["kept"]:  # withdrawn before (or drafts): left as they were, now their publisher's own
            parts.append(ngettext("%(num)s not published left as it was", "%(num)s not published left as they were",
                                  done["kept"]))
    elif done["choice"] == "keep":
        parts.append(ngettext("%(num)s dataset kept as its publisher's own", "%(num)s datasets kept as their "
                              "publisher's own", done["kept"]))
    else:
        parts.append(_("no datasets"))
    parts.append(ngettext("%(num)s job kept for the record", "%(num)s jobs kept for the record", done["jobs"]))
    said = _(", ").join(parts)
    if done["dry_run"]:
        return _("would delete source %(name)s: %(what)s (nothing changed: --dry-run)", name=done["source"], what=said)
    return _("deleted source %(name)s: %(what)s", name=done["source"], what=said)


#: The headings of a job's changes (`opendata source show`).
CHANGES = {"added": N_("added (%(n)s):"), "updated": N_("updated (%(n)s):"), "withdrawn": N_("withdrawn (%(n)s):"),
           "held_back": N_("to be withdrawn once confirmed (%(n)s):")}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def harvest_error(text: str | None, detail: dict | None) -> str:
    """A harvest error in this invocation's language: from its msgid and parameters (`error_detail`) when it has
    them, else its stored text as it is; English too (app/web/harvest.py `harvest_error` says why)."""
    from app.services.serving import said_error

    # the value an error quotes (a record's, a cell's) may be personal data: said [redacted], as the job's page says
    # it to the public, for a log keeps what the command prints and no reader of it is known to be an editor
    return said_error(text, detail, gettext)


def _plain(value) -> str:
    """Source text fit for a terminal: control characters (escape sequences a source could send) spelled out."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(value if value is not None else ""))


#: A job's status and a source's schedule in the command's language (the web's words, app/web/harvest.py); the
#: JSON outputs keep the values as they are.
LABELS = {"queued": N_("queued"), "running": N_("running"), "finished": N_("finished"), "failed": N_("failed"),
          "needs-confirmation": N_("needs confirmation"), "daily": N_("daily"), "weekly": N_("weekly"),
          "manual": N_("manual"), "gather": N_("gather"), "fetch": N_("fetch"), "import": N_("import")}


def _label(value: str) -> str:
    return gettext(LABELS[value]) if value in LABELS else value


status_label = _label  # what `opendata demo` says of each sample harvest, in the same words


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(width - display_width(text), 0)


def _report_lines(report: dict) -> list[str]:
    """A source report (catalog_schema.harvest_report) as text for the terminal; source text made plain."""
    from catalog_schema.record import pick_text

    src = report["source"]
    lines = [_("%(name)s: %(type)s %(url)s schedule=%(schedule)s publisher=%(publisher)s", name=src["name"],
               type=src["type"], url=src["url"], schedule=_label(src["schedule"]), publisher=src["publisher"] or "-")
             + ("" if src["enabled"] else _(" (disabled)")),
             _("jobs: %(n)s", n=report["jobs_total"])]
    for job in report["jobs"]:
        when = job["finished_at"] or job["started_at"] or job["created_at"]
        lines.append(_("  job %(id)s %(status)s %(when)s added=%(added)s updated=%(updated)s unchanged=%(unchanged)s "
                       "withdrawn=%(withdrawn)s errored=%(errored)s", when=when.strftime("%Y-%m-%d %H:%M") if when
                       else "", status=_label(job["status"]), **{k: job[k] for k in ("id", "added", "updated",
                                                                                    "unchanged", "withdrawn",
                                                                                    "errored")})
                     + (_(" (changes since %(when)s)", when=job["since"].strftime("%Y-%m-%d %H:%M"))
                        if job.get("since") else "")
                     + (_(" error=%(error)s", error=_plain(harvest_error(job["error"], job.get("error_detail"))))
                        if job["error"] else ""))
    latest = report["latest"]
    if latest is None:
        lines.append(_("never harvested"))
        return lines
    lines.append(_("latest job %(id)s:", id=latest["job"]["id"]))
    for key in CHANGES:
        change = latest[key]
        if key == "held_back" and not change["total"]:  # only a job that needs confirmation has any
            continue
        lines.append("  " + _(CHANGES[key], n=change["total"]))
        for item in change["items"]:
            title = _plain(pick_text(item["title"]) or item["remote_id"])
            where = item["dataset"] or _("deleted, remote id %(id)s", id=_plain(item["remote_id"]))
            lines.append(f"    {title} [{where}]" + (_(" (restored)") if item["status"] == "restored" else ""))
        if change["more"]:
            lines.append("    " + _("and %(n)s more", n=change["more"]))
    errors = latest["errors"]
    lines.append("  " + _("errors (%(n)s):", n=errors["total"]))
    for kind in errors["kinds"]:
        example = kind["example"]
        stage = _label(kind["stage"]) if kind["stage"] else "-"
        lines.append("    " + _("%(count)s x [%(stage)s] %(kind)s", count=kind["count"], stage=stage,
                                   kind=_plain(harvest_error(kind["kind"], kind.get("kind_detail")))))
        said = _plain(harvest_error(example["error"], example.get("error_detail")))
        remote = _plain(example["remote_id"])
        # a sheet's error names the sheet itself ("元数据.xlsx: ...", "元数据.xlsx row 3: ..."): not said twice
        named = said.startswith(remote.split("#", 1)[0])
        lines.append("      " + (_("e.g. %(error)s", error=said) if named else
                                 _("e.g. %(id)s: %(error)s", id=remote, error=said)))
    if errors["more_kinds"]:
        lines.append("    " + _("and %(n)s more kinds", n=errors["more_kinds"]))
    return lines


def _sources(obj) -> list[dict]:
    from sqlalchemy import select

    from app.auth import aware
    from catalog_schema.models import HarvestJob, HarvestSource

    out = []
    with obj.sessionmaker()() as session:
        for src in session.scalars(select(HarvestSource).where(HarvestSource.deleted_at.is_(None))
                                   .order_by(HarvestSource.name)):
            job = session.scalar(select(HarvestJob).where(HarvestJob.source_id == src.id)
                                 .order_by(HarvestJob.id.desc()).limit(1))
            out.append({"name": src.name, "type": src.type, "url": src.url, "schedule": src.schedule,
                        "enabled": bool(src.enabled),
                        "publisher": src.publisher.slug if src.publisher else None,
                        "last_job": None if job is None else {
                            "id": job.id, "status": job.status,
                            # in UTC with its offset on every database (SQLite handed back a naive time: the same
                            # instant read "20:11:13" there and "20:11:13+00:00" on PostgreSQL)
                            "finished_at": aware(job.finished_at).isoformat() if job.finished_at else None,
                            "added": job.added, "updated": job.updated, "unchanged": job.unchanged,
                            "withdrawn": job.withdrawn, "errored": job.errored}})
    return out


#: A record's outcome on the progress line, in the command's language (it read "errored=1 unchanged=3" under zh).
OUTCOMES = {"added": N_("added"), "updated": N_("updated"), "unchanged": N_("unchanged"), "errored": N_("errored"),
            "restored": N_("restored"), "withdrawn": N_("withdrawn")}


class _Progress:
    """A one-line counter on the terminal (the total is not known before the gather ends)."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def __call__(self, status: str, remote_id: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        total = sum(self.counts.values())
        parts = " ".join(f"{gettext(OUTCOMES[k]) if k in OUTCOMES else k} {v}" for k, v in sorted(self.counts.items()))
        sys.stderr.write("\r" + _("%(n)s records", n=total) + f"  {parts}")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
