"""Harvest bookkeeping in and out of the database: jobs, per-record rows, withdrawals of records a source
no longer lists. Beside store.py, the only code that writes these rows; harvesters call it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource, utcnow
from catalog_schema.store import save_record, set_lifecycle


def create_job(session: Session, source: HarvestSource, *, full: bool = False) -> HarvestJob:
    job = HarvestJob(source=source, status="queued", full=full)
    session.add(job)
    session.flush()
    return job


def start_job(job: HarvestJob, *, since: dt.datetime | None, worker: str) -> dt.datetime:
    job.since = since
    job.status = "running"
    job.started_at = job.heartbeat_at = utcnow()
    job.worker = worker
    return job.started_at


def heartbeat(session: Session, job_id: int) -> None:
    session.execute(update(HarvestJob).where(HarvestJob.id == job_id).values(heartbeat_at=utcnow()))


def mark_gathered(session: Session, source_id: int, at: dt.datetime) -> None:
    session.get(HarvestSource, source_id).last_gathered_at = at


def record_done(session: Session, job_id: int, remote_id: str) -> HarvestRecord | None:
    return session.scalar(select(HarvestRecord).where(HarvestRecord.job_id == job_id,
                                                      HarvestRecord.remote_id == remote_id))


def record_error(session: Session, job_id: int, remote_id: str, *, payload: str | None, stage: str,
                 error: str | None) -> str:
    session.add(HarvestRecord(job_id=job_id, remote_id=remote_id, payload=payload, stage=stage, status="errored",
                              error=error))
    return "errored"


def import_record(session: Session, job_id: int, source_id: int, remote_id: str, record: dict[str, Any], *,
                  payload_text: str | None, payload: Any, stage: str) -> tuple[Dataset, str]:
    """Upsert the dataset a harvested record describes and keep the per-record row. Returns (dataset,
    outcome: added, updated, unchanged or restored)."""
    dataset, outcome = save_record(session, record, source_id=source_id, remote_id=remote_id, payload=payload)
    session.add(HarvestRecord(job_id=job_id, remote_id=remote_id, payload=payload_text, stage=stage,
                              dataset=dataset, content_hash=dataset.content_hash, status=outcome))
    return dataset, outcome


def withdraw_unseen(session: Session, job_id: int, source_id: int, *, reason: str) -> list[Dataset]:
    """Withdraw this source's active datasets that job `job_id` did not list; returns them."""
    seen_ids = select(HarvestRecord.remote_id).where(HarvestRecord.job_id == job_id)
    gone = session.scalars(select(Dataset).where(
        and_(Dataset.source_id == source_id, Dataset.state == "active", Dataset.remote_id.not_in(seen_ids))
    )).all()
    for ds in gone:
        set_lifecycle(ds, "withdrawn", reason=reason)
        session.add(HarvestRecord(job_id=job_id, remote_id=ds.remote_id, dataset=ds, status="withdrawn",
                                  stage="import"))
    session.flush()
    return list(gone)


def job_counts(session: Session, job_id: int) -> dict[str, int]:
    rows = session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                           .group_by(HarvestRecord.status)).all()
    counts = {status: n for status, n in rows}
    counts["updated"] = counts.get("updated", 0) + counts.pop("restored", 0)
    return counts


def finish_job(session: Session, job_id: int, status: str, error: str | None = None) -> HarvestJob:
    """Close a job with its counters taken from its record rows."""
    job = session.get(HarvestJob, job_id)
    counts = job_counts(session, job_id)
    job.added = counts.get("added", 0)
    job.updated = counts.get("updated", 0)
    job.unchanged = counts.get("unchanged", 0)
    job.withdrawn = counts.get("withdrawn", 0)
    job.errored = counts.get("errored", 0)
    job.status = status
    job.error = error
    job.finished_at = job.heartbeat_at = utcnow()
    return job


def fail_dead_jobs(session: Session, *, dead_after: dt.timedelta, now: dt.datetime | None = None) -> list[int]:
    """Mark running jobs whose heartbeat stopped as failed (their process died); returns their ids."""
    now = now or utcnow()
    cutoff = now - dead_after
    dead = []
    for job in session.scalars(select(HarvestJob).where(HarvestJob.status == "running")).all():
        beat = job.heartbeat_at or job.started_at or job.created_at
        if beat.tzinfo is None:  # SQLite gives naive datetimes back
            beat = beat.replace(tzinfo=dt.UTC)
        if beat < cutoff:
            job.status = "failed"
            job.error = f"the harvest process stopped (no heartbeat since {beat.isoformat()}); run it again"
            job.finished_at = now
            dead.append(job.id)
    return dead
