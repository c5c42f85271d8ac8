"""Harvest status: `/harvest` (every source, its last job and counts), `/harvest/source/<name>` (a source's
report: its last jobs, what the latest one added, updated and withdrawn, its errors by kind; the same report as
the REST resource and `opendata source show`) and `/harvest/job/<id>` (one job's errored records).

Why the original record is shown: a record that failed to import is fixed at the source, and the
department's data officer needs to see exactly what their portal sent, next to the error. It is
shown escaped (Jinja autoescaping; never marked safe) and truncated, since a payload can be large.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import auth
from app.i18n import current_lang
from app.request_context import db_session
from app.services import serving
from catalog_schema import harvest_report
from catalog_schema.models import HarvestJob, HarvestRecord, HarvestSource
from plumbing.credentials import hidden

bp = Blueprint("harvest_status", __name__)

#: What a job's status and a source's schedule read as, in the page's language.
LABELS = {"queued": _l("queued"), "running": _l("running"), "finished": _l("finished"), "failed": _l("failed"),
          "needs-confirmation": _l("needs confirmation"), "daily": _l("daily"), "weekly": _l("weekly"),
          "manual": _l("manual"), "gather": _l("gather"), "fetch": _l("fetch"), "import": _l("import")}


@bp.app_template_filter("harvest_label")
def harvest_label(value: str | None) -> str:
    """A job status, a schedule or a record's stage in the reader's language (an unknown value as it is)."""
    return str(LABELS.get(value, value or ""))


@bp.app_template_filter("source_address")
def source_address(url: str | None) -> str:
    """A source's address as a page shows it: a web address as it is; a path on the portal's server only to a
    sysadmin (the demo's pages showed /srv/.../package_search.json to anyone)."""
    text = str(url or "")
    if text.lower().startswith(("http://", "https://")):
        return hidden(text)  # its password or api_key said as *** (plumbing.credentials)
    from app.security import current_account

    user = current_account()
    return text if user is not None and user.is_sysadmin else str(_l("a file on the portal's server"))


@bp.app_template_global("publisher_label")
def publisher_label(slug: str | None) -> str:
    """A publisher's name in the page's language (its slug when it has none), not its code."""
    from catalog_schema.models import Publisher
    from catalog_schema.record import pick_text

    if not slug:
        return ""
    pub = db_session().scalar(select(Publisher).where(Publisher.slug == slug))
    return (pick_text(pub.name, current_lang()) or slug) if pub is not None else slug


@bp.app_template_global("harvest_error")
def harvest_error(text: str | None, detail: dict | None = None, privileged: Any = False) -> str:
    """A harvest error in the page's language: from its msgid and parameters (`error_detail`) when it has them,
    else its stored text as it is (rows from before they were kept; errors that are no HarvestError). English
    is rendered from the msgid too: a kind of errors (`harvest_report.kind_detail`) keeps the message's own
    words whole, where the stored English kind had its fixed text's numbers turned into "<n>" and was cut at a
    "; " of its own, and a record row's "ValueError: " (Python's word, not the reader's) is not shown."""
    # an error repeats the address, credentials and all; and may quote the value it failed on (a record's, a cell's):
    # its personal data is said [redacted] but to the source's publisher's editors (`privileged`), as the payload is
    return hidden(serving.said_error(text, detail, gettext, privileged))


PAYLOAD_LIMIT = 4000  # characters of an original record shown on the job page
RECENT_JOBS = 10
RECORDS_SHOWN = 200
TITLES_SHOWN = 20  # datasets listed per change on a source's report ("and N more" after them)


def truncate(text: str | None, limit: int = PAYLOAD_LIMIT) -> tuple[str, bool]:
    """`text` cut to `limit` characters, and whether it was cut."""
    text = text or ""
    return (text[:limit], True) if len(text) > limit else (text, False)


def _edits_source(session, job: HarvestJob) -> bool:
    """Whether the request's user may edit the datasets of the job's source's publisher (a sysadmin, when it has
    none): who reads its records' payloads as they came."""
    return _edits_publisher(session, job.source)


def _edits_publisher(session, source: HarvestSource | None) -> bool:
    return auth.can_edit(session, serving.viewer(session), source.publisher if source else None)


def _asked_once(question: Callable[[], bool]) -> Callable[[], bool]:
    """`question`, asked at most once (a page says many errors, each asking only when it has something to redact)."""
    return functools.cache(question)


@bp.get("/harvest")
def index():
    session = db_session()
    sources = session.scalars(select(HarvestSource).where(HarvestSource.deleted_at.is_(None))
                              .options(selectinload(HarvestSource.publisher))
                              .order_by(HarvestSource.name)).all()
    last_ids = dict(session.execute(select(HarvestJob.source_id, func.max(HarvestJob.id))
                                    .group_by(HarvestJob.source_id)).all())
    jobs = {j.id: j for j in session.scalars(select(HarvestJob).where(HarvestJob.id.in_(list(last_ids.values()))))}
    rows = [(s, jobs.get(last_ids.get(s.id))) for s in sources]
    recent = session.scalars(select(HarvestJob).options(selectinload(HarvestJob.source))
                             .order_by(HarvestJob.id.desc()).limit(RECENT_JOBS)).all()
    return render_template("harvest/index.html", rows=rows, recent=recent)


def _bounded(raw: str | None, default: int, low: int, high: int) -> int:
    """A whole number from the query string within [low, high]; the default when absent or not one."""
    if raw is None or not raw.strip().isdigit() or len(raw.strip()) > 6:
        return default
    return max(low, min(high, int(raw)))


@bp.get("/harvest/source/<name>")
def source(name: str):
    found = len(name) <= 200 and "\x00" not in name  # else no column could hold it
    # the same report at the three doors (this page, `opendata source show`, the REST resource): the same
    # defaults, and the same ?jobs= and ?titles= (within the REST resource's bounds)
    jobs = _bounded(request.args.get("jobs"), harvest_report.JOBS, 1, 100)
    titles = _bounded(request.args.get("titles"), TITLES_SHOWN, 0, 500)
    report = harvest_report.source_report(db_session(), name, jobs=jobs, titles=titles,
                                          details=True) if found else None
    if report is None:
        abort(404)
    session = db_session()
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    # its errors are said without the personal data they quote but to the source's publisher's editors (the gate)
    privileged = _asked_once(functools.partial(_edits_publisher, session, src))
    return render_template("harvest/source.html", report=report, latest=report["latest"], privileged=privileged,
                           changes=[("added", _l("Added")), ("updated", _l("Updated or restored")),
                                    ("withdrawn", _l("Withdrawn")),
                                    ("held_back", _l("To be withdrawn once confirmed"))])


@bp.get("/harvest/job/<int:job_id>")
def job(job_id: int):
    session = db_session()
    found = session.get(HarvestJob, job_id, options=[selectinload(HarvestJob.source)])
    if found is None:
        abort(404)
    counts = dict(session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                                  .group_by(HarvestRecord.status)).all())
    # every errored record, RECORDS_SHOWN a page (a job of 250 errors showed its first 200 and said nothing of
    # the others); a page past the last shows the last
    pages = max(1, -(-counts.get("errored", 0) // RECORDS_SHOWN))
    raw = request.args.get("page", "1")
    page = min(int(raw), pages) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    records = session.scalars(select(HarvestRecord).where(HarvestRecord.job_id == job_id,
                                                          HarvestRecord.status == "errored")
                              .order_by(HarvestRecord.id).offset((page - 1) * RECORDS_SHOWN)
                              .limit(RECORDS_SHOWN)).all()
    # what the records held is said without its personal data but to the source's publisher's editors (the gate)
    privileged = _asked_once(functools.partial(_edits_source, session, found))
    errored = [(r, *truncate(serving.public_payload(r.payload, privileged))) for r in records]
    first = (page - 1) * RECORDS_SHOWN + 1
    return render_template("harvest/job.html", job=found, errored=errored, counts=counts, limit=PAYLOAD_LIMIT,
                           privileged=privileged,
                           page=page, pages=pages, first=first, last=first + len(errored) - 1,
                           total=counts.get("errored", 0))
