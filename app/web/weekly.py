"""The weekly evaluation's pages and files (issue 17 item 3): `/dashboard/weekly` (the latest week and every
week kept), `/dashboard/weekly/<week>` (all publishers that week, also CSV and JSON),
`/dashboard/weekly/<week>/<publisher>` (one publisher's report, also CSV and JSON) and
`/dashboard/publisher/<publisher>/weekly` (one publisher's history). The reports are stored whole by
`opendata evaluate weekly` (app.services.weekly); these pages only read them. The e-mail sent to the
publisher's admins is rendered here too (`mail_renderer`), from the same templates' words, so the mail says
what the page says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, render_template, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app import weekly
from app.dashboard_data import pick
from app.i18n import current_lang
from app.request_context import db_session
from app.services import serving
from app.services.weekly import NO_ADMIN
from app.web.dashboard import csv_response, json_response
from app.web.quality_view import SEVERITY
from catalog_schema.models import Publisher, WeeklyReport

bp = Blueprint("weekly", __name__)

REPORT_CSV_COLUMNS = ("slug", "title", "stars", "score", "errors", "change", "stars_before", "score_before")


def present(body: dict[str, Any], lang: str) -> dict[str, Any]:
    """A stored report with its names and finding titles in `lang`, for a page or a mail."""
    change = body.get("change") or {}

    def named(items):
        # a title as the public reads it (serving.public_title), in a report stored before it was stored so too
        return [{**d, "title": pick(serving.public_title(d), lang) or d["slug"]} for d in items or []]

    def told_apart(items):
        """Examples of one finding with their names beside a title two of them share (a duplicate's finding
        listed "Taxi fare schedule, Taxi fare schedule")."""
        items = named(items)
        shown = [d["title"] for d in items[:3]]
        return [{**d, "title": f"{d['title']} ({d['slug']})"} if shown.count(d["title"]) > 1 else d for d in items]

    return {**body, "name": pick(body["publisher"]["name"], lang) or body["publisher"]["slug"],
            "slug": body["publisher"]["slug"], "items": named(body.get("items")),
            "change": {**change, **{k: named(change.get(k)) for k in ("added", "withdrawn", "improved", "declined")}},
            "fix_first": [{**f, "title": weekly.finding_title(f["type"], lang), "examples": told_apart(f["examples"])}
                          for f in body.get("fix_first") or []],
            # every error-level finding is shown, however many: a personal-data leak is never cut off
            "fix_first_shown": max(weekly.FIX_FIRST_TYPES, sum(1 for f in body.get("fix_first") or []
                                                               if f["severity"] == "error"))}


def _weeks(session) -> list[str]:
    return list(session.scalars(select(WeeklyReport.week).distinct().order_by(WeeklyReport.week.desc())))


def _reports_of(session, week: str) -> list[WeeklyReport]:
    rows = session.scalars(select(WeeklyReport).where(WeeklyReport.week == week)).all()
    return sorted(rows, key=lambda r: (r.body["average_score"] is None, -(r.body["average_score"] or 0),
                                       r.body["publisher"]["slug"]))


def _week_rows(reports: list[WeeklyReport], lang: str) -> list[dict[str, Any]]:
    out = []
    for r in reports:
        row = weekly.csv_row(r.body, lang, r.sent_at)
        row["top"] = present(r.body, lang)["fix_first"][:1]
        out.append(row)
    return out


def _checked_week(week: str) -> str:
    try:
        return weekly.parse_week(week)
    except ValueError:
        abort(404)


@bp.get("/dashboard/weekly")
def index():
    session = db_session()
    weeks = _weeks(session)
    latest = weeks[0] if weeks else None
    rows = _week_rows(_reports_of(session, latest), current_lang()) if latest else []
    return render_template("dashboard/weekly_index.html", weeks=weeks, week=latest, rows=rows,
                           severity_labels=SEVERITY)


@bp.get("/dashboard/weekly/<week>")
def week(week: str):
    week = _checked_week(week)
    session = db_session()
    reports = _reports_of(session, week)
    if not reports:
        abort(404)
    weeks = _weeks(session)
    return render_template("dashboard/weekly_index.html", weeks=weeks, week=week,
                           rows=_week_rows(reports, current_lang()), severity_labels=SEVERITY)


@bp.get("/dashboard/weekly/<week>.<any(csv, json):ext>")
def week_download(week: str, ext: str):
    week = _checked_week(week)
    reports = _reports_of(db_session(), week)
    if not reports:
        abort(404)
    lang = current_lang()
    if ext == "csv":
        return csv_response(f"weekly-{week}", weekly.CSV_COLUMNS, [weekly.csv_row(r.body, lang, r.sent_at)
                                                                   for r in reports])
    return json_response(f"weekly-{week}", {"week": week, "columns": list(weekly.CSV_COLUMNS),
                                            "rows": [weekly.csv_row(r.body, lang, r.sent_at) for r in reports],
                                            "reports": [r.body for r in reports]})


def _report(week: str, slug: str) -> WeeklyReport:
    week = _checked_week(week)
    report = db_session().scalar(select(WeeklyReport).join(Publisher, Publisher.id == WeeklyReport.publisher_id)
                                 .where(WeeklyReport.week == week, Publisher.slug == slug))
    if report is None:
        abort(404)
    return report


@bp.get("/dashboard/weekly/<week>/<slug>")
def report(week: str, slug: str):
    r = _report(week, slug)
    made = r.created_at if r.created_at is None or r.created_at.tzinfo else r.created_at.replace(tzinfo=dt.UTC)
    early = made is not None and made < weekly.week_end(r.week)  # the demo's week in progress: said, not hidden
    return render_template("dashboard/weekly_report.html", r=present(r.body, current_lang()),
                           sent_at=r.sent_at, send_error=r.send_error, no_admin=r.send_error == NO_ADMIN,
                           severity_labels=SEVERITY, made_early=made if early else None)


def report_rows(body: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The report's datasets as CSV rows, with how each changed since last week."""
    p = present(body, lang)
    status = {d["slug"]: ("added", None) for d in p["change"]["added"]}
    for key in ("improved", "declined"):
        status.update({d["slug"]: (key, d) for d in p["change"][key]})
    rows = []
    for d in p["items"]:
        change, before = status.get(d["slug"], ("unchanged" if p["change"]["previous_week"] else "", None))
        rows.append({"slug": d["slug"], "title": d["title"], "stars": d["stars"], "score": d["score"],
                     "errors": d["errors"], "change": change,
                     "stars_before": before["stars_before"] if before else None,
                     "score_before": before["score_before"] if before else None})
    rows += [{"slug": d["slug"], "title": d["title"], "stars": d["stars"], "score": d["score"], "errors": None,
              "change": "withdrawn", "stars_before": d["stars"], "score_before": d["score"]}
             for d in p["change"]["withdrawn"]]
    return rows


@bp.get("/dashboard/weekly/<week>/<slug>.<any(csv, json):ext>")
def report_download(week: str, slug: str, ext: str):
    r = _report(week, slug)
    name = f"weekly-{r.week}-{slug}"
    if ext == "csv":
        return csv_response(name, REPORT_CSV_COLUMNS, report_rows(r.body, current_lang()))
    # whether it was e-mailed, not to whom nor why a send failed (the mail server's words stay with the operator:
    # `opendata evaluate weekly` prints them)
    return json_response(name, {**stored_public(r.body), "sent_at": r.sent_at.isoformat() if r.sent_at else None})


def stored_public(body: dict[str, Any]) -> dict[str, Any]:
    """A stored report with each dataset's title as the public reads it (serving.public_title), every language kept:
    a report stored before titles were stored so gave them raw in its JSON."""
    def titled(items):
        return [{**d, "title": serving.public_title(d)} for d in items or []]

    change = body.get("change") or {}
    return {**body, "items": titled(body.get("items")),
            "change": {**change, **{k: titled(change.get(k)) for k in ("added", "withdrawn", "improved", "declined")
                                    if k in change}},
            "fix_first": [{**f, "examples": titled(f.get("examples"))} for f in body.get("fix_first") or []]}


@bp.get("/dashboard/publisher/<slug>/weekly")
def publisher(slug: str):
    session = db_session()
    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        abort(404)
    reports = session.scalars(select(WeeklyReport).where(WeeklyReport.publisher_id == pub.id)
                              .order_by(WeeklyReport.week.desc())).all()
    lang = current_lang()
    return render_template("dashboard/weekly_publisher.html", slug=slug, name=pick(pub.name, lang) or slug,
                           rows=[weekly.csv_row(r.body, lang, r.sent_at) for r in reports])


def mail_renderer(app: Flask):
    """(report body, lang) -> (subject, text, HTML) of the weekly e-mail, links absolute on SITE_URL."""
    site = (app.config["OPENDATA"].get("SITE_URL") or "http://127.0.0.1:5000").rstrip("/")

    def render(body: dict[str, Any], lang: str) -> tuple[str, str, str]:
        with app.test_request_context("/", base_url=site), force_locale("zh_CN" if lang == "zh" else "en"):
            r = present(body, lang)
            link = site + url_for("weekly.report", week=r["week"], slug=r["slug"])
            finding_links = {f["type"]: site + url_for("dashboard.finding", finding=f["type"], publisher=r["slug"])
                             for f in r["fix_first"]}
            ctx = {"r": r, "link": link, "finding_links": finding_links, "site": site,
                   "severity_labels": {k: str(v) for k, v in SEVERITY.items()}}
            subject = gettext("Weekly evaluation %(week)s: %(name)s", week=r["week"], name=r["name"])
            return (subject, render_template("dashboard/weekly_mail.txt", **ctx),
                    render_template("dashboard/weekly_mail.html", **ctx))

    return render
