"""History retention: harvest jobs and assessments past their retention, and pruning them.

Every harvest job keeps a row per remote record it saw, and every assessment run a row per dataset: a catalog
harvested daily and assessed weekly grows by its own size over and over. Retention (docs/configuration.md):

- HARVEST_JOB_RETENTION_COUNT keeps each source's newest N jobs, HARVEST_JOB_RETENTION_DAYS every job of
  the last D days; a job either keeps stays, and so does a job that has not ended (queued or running).
  A pruned job loses its record rows (the datasets it imported stay: a record row is the job's log), all but
  those of the datasets' public activity (added, updated, restored, withdrawn: app/activity.py reads them), which
  stay without their payload (only rows written before 2026-12-05 have one: since then a payload is kept on error
  rows alone); the job itself goes when it has no row left. Unchanged and errored rows, nearly
  all of a daily harvest's, go: the prune had also emptied every harvested dataset's activity ("No public
  changes yet").
- ASSESSMENT_RETENTION_COUNT keeps each dataset's newest N assessments and, older than those, the last one
  of each calendar month, so the dashboards' trends still have a point a month however far back they go.
- USAGE_DAILY_RETENTION_DAYS keeps the per-day usage counts (views, downloads, API calls) of the last D days,
  from the first day of that month on; older days are added up into one row per dataset per month, dated the
  month's first day, so every total, the most downloaded datasets and the monthly trends stay exact while the
  table holds a row a month instead of one a day.

0 (the default) keeps everything. `prune` deletes in batches (each committed, with progress) and writes one
audit event for the run; `opendata prune` runs it with the file versions' own retention
(app/services/versions.py), and `opendata schedule` and the scheduler run that daily.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, cast, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.activity import HARVEST_KINDS
from app.services.base import service
from app.services.context import Actor
from app.settings import USAGE_MIN_DAYS
from catalog_schema.models import Assessment, HarvestJob, HarvestRecord, UsageCounter
from catalog_schema.store import add_audit_event

BATCH = 5000
#: The record rows a dataset's public activity is read from: kept by a prune.
ACTIVITY = tuple(HARVEST_KINDS)
ENDED = ("finished", "failed", "needs-confirmation")


@dataclass(frozen=True)
class HistoryRetention:
    jobs: int = 0  # each source's newest N harvest jobs (0: no count rule)
    job_days: int = 0  # harvest jobs of the last D days (0: no age rule)
    assessments: int = 0  # each dataset's newest N assessments, plus the last of each month (0: keep all)
    usage_days: int = 0  # daily usage counts of the last D days; older ones added up per month (0: keep all)

    @classmethod
    def of(cls, settings: dict[str, Any]) -> HistoryRetention:
        def n(key: str) -> int:  # the settings refuse a negative number (app.settings._count)
            return max(0, int(settings.get(key) or 0))

        usage = n("USAGE_DAILY_RETENTION_DAYS")  # at least USAGE_MIN_DAYS or 0, for callers past the settings
        return cls(jobs=n("HARVEST_JOB_RETENTION_COUNT"), job_days=n("HARVEST_JOB_RETENTION_DAYS"),
                   assessments=n("ASSESSMENT_RETENTION_COUNT"), usage_days=max(usage, USAGE_MIN_DAYS) if usage else 0)

    @property
    def active(self) -> bool:
        return bool(self.jobs or self.job_days or self.assessments or self.usage_days)

    def to_dict(self) -> dict[str, int]:
        return {"harvest_jobs": self.jobs, "harvest_job_days": self.job_days, "assessments": self.assessments,
                "usage_days": self.usage_days}


@dataclass
class HistoryReport:
    retention: HistoryRetention
    dry_run: bool
    harvest_jobs: list[int] = field(default_factory=list)
    harvest_records: int = 0
    assessments: int = 0
    usage_rows: int = 0  # daily usage rows added into their month's row

    def to_dict(self) -> dict[str, Any]:
        return {"retention": self.retention.to_dict(), "dry_run": self.dry_run,
                "harvest_jobs": len(self.harvest_jobs), "harvest_records": self.harvest_records,
                "assessments": self.assessments, "usage_rows": self.usage_rows}


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC


def jobs_past_retention(session, retention: HistoryRetention, *, now: dt.datetime) -> list[int]:
    """Ids of the ended harvest jobs neither rule keeps, oldest first."""
    if not (retention.jobs or retention.job_days):
        return []
    since = now - dt.timedelta(days=retention.job_days) if retention.job_days else None
    rank: dict[int, int] = {}
    out = []
    for job_id, source_id, status, created in session.execute(
            select(HarvestJob.id, HarvestJob.source_id, HarvestJob.status, HarvestJob.created_at)
            .order_by(HarvestJob.source_id, HarvestJob.created_at.desc(), HarvestJob.id.desc())):
        n = rank.get(source_id, 0)
        rank[source_id] = n + 1
        if status not in ENDED:
            continue
        if retention.jobs and n < retention.jobs:
            continue
        if since is not None and _aware(created) >= since:
            continue
        out.append(job_id)
    return sorted(out)


def _month(session):
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", Assessment.assessed_at)
    return func.strftime("%Y-%m", Assessment.assessed_at)


def assessments_past_retention(session, retention: HistoryRetention) -> list[int]:
    """Ids of the assessments past each dataset's newest N that are not the last of their month."""
    if not retention.assessments:
        return []
    newest = func.row_number().over(partition_by=Assessment.dataset_id,
                                    order_by=(Assessment.assessed_at.desc(), Assessment.id.desc()))
    in_month = func.row_number().over(partition_by=(Assessment.dataset_id, _month(session)),
                                      order_by=(Assessment.assessed_at.desc(), Assessment.id.desc()))
    ranked = select(Assessment.id.label("id"), newest.label("newest"), in_month.label("in_month")).subquery()
    return list(session.scalars(select(ranked.c.id).where(ranked.c.newest > retention.assessments,
                                                          ranked.c.in_month > 1).order_by(ranked.c.id)))


def usage_cutoff(retention: HistoryRetention, now: dt.datetime) -> dt.date | None:
    """The first day whose usage counts stay daily: the first of the month holding the day `usage_days` ago (a
    month is added up whole), or None when every day is kept."""
    if not retention.usage_days:
        return None
    return (now.date() - dt.timedelta(days=retention.usage_days)).replace(day=1)


def _month_start(session):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", UsageCounter.day), Date)
    return func.date(UsageCounter.day, "start of month")


def _daily_before(session, cutoff: dt.date):
    """The usage rows of a day before `cutoff` that is not the first of its month (a month's row)."""
    return (UsageCounter.day < cutoff, UsageCounter.day != _month_start(session))


def usage_rows_past_retention(session, cutoff: dt.date | None) -> int:
    if cutoff is None:
        return 0
    return session.scalar(select(func.count()).select_from(UsageCounter).where(*_daily_before(session, cutoff))) or 0


def roll_up_usage(session, cutoff: dt.date) -> None:
    """Each dataset's usage of every month before `cutoff` that still has daily rows, added up into the row of
    the month's first day (made, or set to the month's sum, which counts it already), then the daily rows gone.
    Idempotent: a month already added up is left alone."""
    month = _month_start(session).label("month")
    touched = select(_month_start(session)).where(*_daily_before(session, cutoff)).distinct()
    sums = (select(UsageCounter.dataset_id, month, func.sum(UsageCounter.views), func.sum(UsageCounter.downloads),
                   func.sum(UsageCounter.api_calls))
            .where(UsageCounter.day < cutoff, _month_start(session).in_(touched))
            .group_by(UsageCounter.dataset_id, month))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(UsageCounter).from_select(["dataset_id", "day", "views", "downloads", "api_calls"], sums)
    stmt = stmt.on_conflict_do_update(index_elements=["dataset_id", "day"],
                                      set_={"views": stmt.excluded.views, "downloads": stmt.excluded.downloads,
                                            "api_calls": stmt.excluded.api_calls})
    session.execute(stmt)
    session.execute(delete(UsageCounter).where(*_daily_before(session, cutoff)))


def last_run(session) -> dt.datetime | None:
    """When the history was last pruned (the audit event every run writes), or None."""
    from catalog_schema.models import AuditEvent

    at = session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == "history.prune"))
    return _aware(at) if at is not None else None


def _batches(ids: list[int]):
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


@service
def prune(actor: Actor, retention: HistoryRetention, *, now: dt.datetime | None = None, dry_run: bool = False,
          progress: Callable[[str, int, int], None] | None = None) -> HistoryReport:
    """Remove the harvest jobs (with their record rows) and assessments past `retention` (with `dry_run`, only
    count them). A run that is not dry is audited even when it removed nothing (`last_run` reads it). Only
    a sysadmin, or the system (the CLI, the scheduler: no user), prunes. `progress(kind, done, total)` is
    told after each batch."""
    if actor.user is not None and not actor.user.is_sysadmin:
        from app.services.errors import Forbidden

        raise Forbidden("Only a sysadmin prunes the catalog's history.")
    session = actor.session
    now = now or dt.datetime.now(dt.UTC)
    report = HistoryReport(retention=retention, dry_run=dry_run)
    pruned = jobs_past_retention(session, retention, now=now)
    activity = set()  # the pruned jobs that recorded a dataset's public activity: they stay, with those rows
    for part in _batches(pruned):
        activity.update(session.scalars(select(HarvestRecord.job_id).where(
            HarvestRecord.job_id.in_(part), HarvestRecord.status.in_(ACTIVITY)).distinct()))
        report.harvest_records += session.scalar(
            select(func.count()).select_from(HarvestRecord).where(HarvestRecord.job_id.in_(part),
                                                                  HarvestRecord.status.not_in(ACTIVITY))) or 0
    report.harvest_jobs = jobs = [j for j in pruned if j not in activity]
    assessments = assessments_past_retention(session, retention)
    report.assessments = len(assessments)
    cutoff = usage_cutoff(retention, now)
    report.usage_rows = usage_rows_past_retention(session, cutoff)
    if dry_run:
        return report
    done = 0
    for part in _batches(pruned):
        session.execute(delete(HarvestRecord).where(HarvestRecord.job_id.in_(part),
                                                    HarvestRecord.status.not_in(ACTIVITY)))
        session.execute(update(HarvestRecord).where(HarvestRecord.job_id.in_(part),
                                                    HarvestRecord.payload.is_not(None)).values(payload=None))
        gone = [j for j in part if j not in activity]
        if gone:
            session.execute(delete(HarvestJob).where(HarvestJob.id.in_(gone)))
        session.commit()
        done += len(gone)
        if progress:
            progress("harvest_jobs", done, len(jobs))
    done = 0
    for part in _batches(assessments):
        session.execute(delete(Assessment).where(Assessment.id.in_(part)))
        session.commit()
        done += len(part)
        if progress:
            progress("assessments", done, len(assessments))
    if report.usage_rows:  # one statement each way: the rows are small, and a day's prune meets a month at most
        roll_up_usage(session, cutoff)
        session.commit()
        if progress:
            progress("usage_rows", report.usage_rows, report.usage_rows)
    user = actor.user
    add_audit_event(session, user_id=user.id if user is not None else None, action="history.prune",
                    object_type="catalog", object_id="history", publisher_id=None, before=None, after=None,
                    detail={"via": actor.via, "retention": retention.to_dict(), "harvest_jobs": len(jobs),
                            "harvest_records": report.harvest_records, "assessments": len(assessments),
                            "usage_rows": report.usage_rows},
                    ip=actor.ip)
    session.commit()
    return report


__all__ = ["HistoryReport", "HistoryRetention", "assessments_past_retention", "jobs_past_retention", "prune"]
