"""The officials' quality dashboard: `/dashboard`, `/dashboard/publisher/<slug>`, and every table as CSV/JSON.

Why the downloads share the page's rows: an official pastes the CSV into a weekly report and
must find there exactly the figures the page showed; both come from `app.dashboard_data`, and the
files carry the same columns as the HTML tables (raw numbers, not the page's rounded percentages).
CSV starts with a UTF-8 byte order mark so that spreadsheet programs read the Chinese names right.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from app import dashboard_data as data
from app import hvd_report
from app.datastore.gate import root as datastore_root
from app.export.catalog import spreadsheet_cell
from app.i18n import current_lang
from app.request_context import db_session
from app.services.serving import KIND_LABELS
from app.web.check_view import problem_text
from app.web.quality_view import SEVERITY
from catalog_schema import vocab
from quality.findings import FINDING_TYPES

bp = Blueprint("dashboard", __name__)

TABLES = ("league", "stars", "trends", "findings", "fix-first", "downloads")
#: How many of the datasets to fix first the page lists (its CSV and JSON give them all).
FIX_FIRST_SHOWN = 20


def _sessionmaker():
    return current_app.extensions["opendata"]["sessionmaker"]


def _table(name: str, lang: str, sort: str | None = None,
           order: str | None = None) -> tuple[Sequence[str], list[dict[str, Any]]]:
    session = db_session()
    if name == "league":
        return data.LEAGUE_COLUMNS, data.league(_sessionmaker(), lang, sort, order, store_root=datastore_root())
    if name == "stars":
        return data.STARS_COLUMNS, data.star_distribution(session)
    if name == "trends":
        return data.TREND_COLUMNS, data.trends(session)
    if name == "findings":
        return data.FINDING_COLUMNS, data.common_findings(session, lang)
    if name == "downloads":
        return data.DOWNLOAD_COLUMNS, data.most_downloaded(session, lang)
    return data.FIX_FIRST_COLUMNS, data.fix_first(session, lang, None, store_root=datastore_root())  # all of them


def csv_response(filename: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> Response:
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    # a BOM for Excel, which these are for: a publisher's or a dataset's name that starts like a formula is text
    writer.writerows({k: ("" if r.get(k) is None else spreadsheet_cell(r.get(k))) for k in columns} for r in rows)
    return Response(buf.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}.csv"'})


def json_response(filename: str, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, indent=1), mimetype="application/json", headers={
        "Content-Disposition": f'inline; filename="{filename}.json"'})


@bp.get("/dashboard")
def index():
    lang = current_lang()
    sort = request.args.get("sort") or "rank"
    if sort not in data.LEAGUE_SORTS:
        sort = "rank"
    order = request.args.get("order") if request.args.get("order") in data.ORDERS else None
    descending = data.sort_direction(sort, order)
    session = db_session()
    trend_rows = data.trends(session)
    to_fix = data.fix_first(session, lang, None, store_root=datastore_root())
    league = data.league(_sessionmaker(), lang, sort, order, store_root=datastore_root())
    names = {r["publisher"]: r["name"] for r in league}
    for r in trend_rows:
        r["publisher_name"] = names.get(r["publisher"], r["publisher"])
    return render_template(
        "dashboard/index.html", sort=sort, sorts=data.LEAGUE_SORTS, order=order, descending=descending,
        flipped="asc" if descending else "desc",
        league=league, stars=data.star_distribution(session),
        overall=[r for r in trend_rows if r["publisher"] == ""],
        trends=[r for r in trend_rows if r["publisher"] != ""],
        findings=data.common_findings(session, lang),
        fix_first=to_fix[:FIX_FIRST_SHOWN], fix_first_total=len(to_fix),
        most_downloaded=data.most_downloaded(session, lang), recent_days=data.RECENT_DAYS,
        kind_labels={k: v[0 if lang == "en" else 1] for k, v in KIND_LABELS.items()},
        severity_labels=SEVERITY)


@bp.get("/dashboard/<any(league, stars, trends, findings, 'fix-first', downloads):table>.<any(csv, json):ext>")
def download(table: str, ext: str):
    sort = request.args.get("sort")
    order = request.args.get("order") if request.args.get("order") in data.ORDERS else None
    columns, rows = _table(table, current_lang(), sort, order)
    if ext == "csv":
        return csv_response(table, columns, rows)
    return json_response(table, {"table": table, "columns": list(columns), "rows": rows})


def _drilldown(slug: str, lang: str) -> dict[str, Any]:
    session = db_session()
    pub = data.find_publisher(session, slug)
    if pub is None:
        abort(404)
    league = data.league(_sessionmaker(), lang, store_root=datastore_root())
    row = next((r for r in league if r["publisher"] == slug), None)
    datasets = data.publisher_datasets(session, pub.id, lang)
    # published (as the publisher's page and the weekly report count them) and, of those, assessed (the league's)
    return {"publisher": slug, "name": data.pick(pub.name, lang) or slug, "league": row,
            "published": len(datasets), "assessed": sum(1 for r in datasets if r["score"] is not None),
            "stars": data.star_distribution(session, pub.id), "trends": data.trends(session, pub.id),
            "findings": data.common_findings(session, lang, pub.id), "datasets": datasets}


@bp.get("/dashboard/publisher/<slug>")
def publisher(slug: str):
    return render_template("dashboard/publisher.html", d=_drilldown(slug, current_lang()), severity_labels=SEVERITY)


@bp.get("/dashboard/publisher/<slug>.<any(csv, json):ext>")
def publisher_download(slug: str, ext: str):
    d = _drilldown(slug, current_lang())
    if ext == "csv":
        return csv_response(f"publisher-{slug}", data.PUBLISHER_DATASET_COLUMNS, d["datasets"])
    return json_response(f"publisher-{slug}", {"table": "publisher", "columns": list(data.PUBLISHER_DATASET_COLUMNS),
                                               "rows": d["datasets"], **d})


@bp.get("/dashboard/hvd")
def hvd():
    """The high-value datasets report: per HVD category and publisher (app/hvd_report.py)."""
    rows = hvd_report.rows(db_session(), current_lang())
    return render_template("dashboard/hvd.html", rows=rows, categories=vocab.hvd_categories(),
                           legislation=vocab.HVD_LEGISLATION)


@bp.get("/dashboard/hvd.<any(csv, json):ext>")
def hvd_download(ext: str):
    rows = hvd_report.rows(db_session(), current_lang())
    if ext == "csv":
        return csv_response("hvd", hvd_report.COLUMNS, rows)
    return json_response("hvd", {"table": "hvd", "legislation": vocab.HVD_LEGISLATION,
                                 "columns": list(hvd_report.COLUMNS), "rows": rows})


def _finding(finding: str, lang: str) -> dict[str, Any]:
    """The datasets with `finding` (optionally of ?publisher=), for the page and its downloads."""
    session = db_session()
    ftype = FINDING_TYPES.get(finding)
    slug = request.args.get("publisher") or None
    pub = data.find_publisher(session, slug) if slug else None
    if slug and pub is None:
        abort(404)
    rows = data.finding_datasets(session, finding, lang, pub.id if pub else None)
    if ftype is None and not rows:
        abort(404)
    return {"type": finding, "severity": ftype.severity if ftype else (rows[0].get("severity") or "info"),
            "title": ftype.title(lang) if ftype else finding, "fix": _general_fix(ftype, lang),
            "publisher": slug, "publisher_name": data.pick(pub.name, lang) or slug if pub else None,
            "datasets": rows}


def _general_fix(ftype, lang: str) -> str:
    """The finding's fix hint when it reads whole without a dataset's evidence, else "" (each row has its own)."""
    text = ftype.fix(lang, {}) if ftype else ""
    return "" if "?" in text else text


@bp.get("/dashboard/finding/<finding>")
def finding(finding: str):
    """Datasets with this finding: where a row of "Most common findings" (or a weekly report) leads."""
    return render_template("dashboard/finding.html", f=_finding(finding, current_lang()), severity_labels=SEVERITY,
                           problem_text=problem_text)  # a link's last answer in the reader's words


@bp.get("/dashboard/finding/<finding>.<any(csv, json):ext>")
def finding_download(finding: str, ext: str):
    f = _finding(finding, current_lang())
    rows = [{**r, "messages": " | ".join(r["messages"])} if ext == "csv" else r for r in f["datasets"]]
    if ext == "csv":
        return csv_response(f"finding-{finding}", data.finding_columns(finding), rows)
    about = {k: v for k, v in f.items() if k != "datasets"}
    about["fix"] = about.get("fix") or None  # null: each row has its own fix (a link's URL is in it), no general one
    return json_response(f"finding-{finding}", {"table": "finding", "columns": list(data.finding_columns(finding)),
                                                 "rows": rows, **about})
