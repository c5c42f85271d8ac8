"""A harvest source's report: its last jobs with their counts, what the latest job added, updated and
withdrawn (titles, capped), and the latest job's errors grouped by kind with a count and one example each.

One read for the three doors that show it: the page `/harvest/source/<name>`, the REST resource
`/api/v1/harvest/sources/<name>/report` and `opendata source show NAME [--json]`. It needs no bookkeeping
of its own: harvest_store.py keeps a row per remote record per job (added, updated, restored, unchanged,
withdrawn or errored, with the stage and the error), and the report reads those rows. Nothing here writes.

An error's kind is its stage and its message with what varies from record to record taken out (URLs,
quoted values, numbers, ids, field paths): "import / ValueError: record does not match the catalog
schema: license_raw: <n> is not of type '…', '…'" holds every record whose licence is a number.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource

JOBS = 5  # jobs listed by default
TITLES = 20  # titles listed per change by default
KINDS = 50  # error kinds listed at most
EXAMPLE_CHARS = 1000  # of an example's message
KIND_CHARS = 200  # of a kind's text

# The lists of the latest job, and the record statuses each holds (a restored dataset was updated).
CHANGES = {"added": ("added",), "updated": ("updated", "restored"), "withdrawn": ("withdrawn",)}
COUNTS = ("added", "updated", "unchanged", "withdrawn", "errored")

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
_QUOTED = re.compile(r"""(?<!\w)(?:'[^'\n]{0,300}'|"[^"\n]{0,300}")(?!\w)""")
_RECORD_PATH = re.compile(r"\brecord(?:\.[\w-]*|\[[^\]\s]*\])+")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_SPACE = re.compile(r"\s+")


def error_kind(message: str | None) -> str:
    """The class of an error message: its first line with URLs, quoted values, ids, numbers and record
    field paths replaced by placeholders, and only its first problem when it lists several ("a; b")."""
    text = (message or "").strip().split("\n", 1)[0]
    text = _URL.sub(lambda m: "<url>" + m.group(0)[len(m.group(0).rstrip(":,;.)")):], text)
    text = _QUOTED.sub("'…'", text)
    text = _RECORD_PATH.sub("record.…", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    text = text.split("; ", 1)[0]
    text = _SPACE.sub(" ", text).strip()
    return text[:KIND_CHARS] if text else "(no message)"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Stored times are UTC; SQLite hands them back without their zone."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _live_counts(session: Session, job_id: int) -> dict[str, int]:
    """A job's counts from its record rows (a running job's own columns are filled when it ends)."""
    rows = session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                           .group_by(HarvestRecord.status)).all()
    by_status = {status: int(n) for status, n in rows}
    counts = {key: sum(by_status.get(s, 0) for s in CHANGES.get(key, (key,))) for key in COUNTS}
    return counts


def _job(session: Session, job: HarvestJob) -> dict[str, Any]:
    closed = job.status in ("finished", "failed")
    counts = ({key: int(getattr(job, key) or 0) for key in COUNTS} if closed
              else _live_counts(session, job.id))
    return {"id": job.id, "status": job.status, "full": bool(job.full), "created_at": _aware(job.created_at),
            "started_at": _aware(job.started_at), "finished_at": _aware(job.finished_at), **counts,
            "error": job.error}


def _changes(session: Session, job_id: int, statuses: tuple[str, ...], total: int, limit: int) -> dict[str, Any]:
    rows = session.execute(
        select(HarvestRecord.remote_id, HarvestRecord.status, Dataset.slug, Dataset.title, Dataset.state)
        .outerjoin(Dataset, Dataset.id == HarvestRecord.dataset_id)
        .where(HarvestRecord.job_id == job_id, HarvestRecord.status.in_(statuses))
        .order_by(HarvestRecord.id).limit(limit)).all()
    items = [{"remote_id": remote_id, "status": status, "dataset": slug, "title": title or {}, "state": state}
             for remote_id, status, slug, title, state in rows]
    return {"total": total, "items": items, "more": max(0, total - len(items))}


def _errors(session: Session, job_id: int, limit: int) -> dict[str, Any]:
    rows = session.execute(select(HarvestRecord.remote_id, HarvestRecord.stage, HarvestRecord.error)
                           .where(HarvestRecord.job_id == job_id, HarvestRecord.status == "errored")
                           .order_by(HarvestRecord.id).execution_options(yield_per=1000))
    kinds: dict[tuple[str, str], dict[str, Any]] = {}
    total = 0
    for remote_id, stage, error in rows:
        total += 1
        key = (stage or "", error_kind(error))
        found = kinds.get(key)
        if found is None:
            kinds[key] = {"stage": stage, "kind": key[1], "count": 1,
                          "example": {"remote_id": remote_id, "error": (error or "")[:EXAMPLE_CHARS]}}
        else:
            found["count"] += 1
    ranked = sorted(kinds.values(), key=lambda k: -k["count"])  # stable: ties keep their first appearance
    return {"total": total, "kinds": ranked[:limit], "more_kinds": max(0, len(ranked) - limit)}


def job_report(session: Session, job: HarvestJob, *, titles: int = TITLES, kinds: int = KINDS) -> dict[str, Any]:
    """One job: its summary, the datasets it added, updated (or restored) and withdrawn (the first `titles`
    of each, in the order it met them, with how many more), and its errors grouped by kind."""
    live = _live_counts(session, job.id)
    report = {"job": _job(session, job)}
    for key, statuses in CHANGES.items():
        report[key] = _changes(session, job.id, statuses, live[key], titles)
    report["errors"] = _errors(session, job.id, kinds)
    return report


def source_report(session: Session, name: str, *, jobs: int = JOBS, titles: int = TITLES,
                  kinds: int = KINDS) -> dict[str, Any] | None:
    """The report of the source named `name` (None when there is none): the source, its last `jobs` jobs
    newest first, how many it ran in all, and the newest job's `job_report` (None before the first job)."""
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if src is None:
        return None
    recent = session.scalars(select(HarvestJob).where(HarvestJob.source_id == src.id)
                             .order_by(HarvestJob.id.desc()).limit(max(1, jobs))).all()
    total = session.scalar(select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == src.id))
    return {
        "source": {"name": src.name, "type": src.type, "url": src.url,
                   "publisher": src.publisher.slug if src.publisher else None, "schedule": src.schedule,
                   "enabled": bool(src.enabled), "last_gathered_at": _aware(src.last_gathered_at)},
        "jobs_total": int(total or 0),
        "jobs": [_job(session, j) for j in recent[:jobs]],
        "latest": job_report(session, recent[0], titles=titles, kinds=kinds) if recent else None,
    }


def to_json(value: Any) -> Any:
    """The report with its times as RFC 3339 text, for JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value
