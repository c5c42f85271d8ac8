"""Re-checking every link on a schedule spread over the period (RECHECK_PERIOD_DAYS, a week by default).

Each dataset has its own moment in the period, from a hash of its id (the same on every worker and after
every restart): `offset`. It is due when its last assessment is older than its latest moment, so the
catalog's re-checks spread evenly (100,000 datasets a week: about 600 an hour) however the datasets arrived
(a harvest that brought 100,000 at once does not bring them all back together a week later). A moment
missed by more than `GRACE` (the scheduler was down for a day) is not caught up in a burst: that dataset
waits for its next moment.

A re-check is an ordinary assessment: each link gets a conditional GET (a 304 costs no download), a file
whose sha256 did not change is not read again (quality.facts_cache), and the requests to one host keep the
politeness turns every worker shares (plumbing.turns).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select

from catalog_schema.models import Assessment, Dataset, utcnow
from catalog_schema.series import SERIES

#: How long after its moment a dataset is still re-checked (the scheduler runs hourly; a day covers restarts).
GRACE = dt.timedelta(days=1)


def period_of(settings: dict) -> dt.timedelta | None:
    days = settings.get("RECHECK_PERIOD_DAYS") or 0
    return dt.timedelta(days=days) if days > 0 else None


def offset(dataset_id: str, period: dt.timedelta) -> dt.timedelta:
    """Where in the period this dataset's moment falls (stable: a hash of its id)."""
    seconds = int(period.total_seconds())
    return dt.timedelta(seconds=int(hashlib.sha1(dataset_id.encode()).hexdigest()[:12], 16) % seconds)


def latest_moment(dataset_id: str, period: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The dataset's most recent moment at or before `now` (moments are offset + k * period since the epoch)."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    since = (now - epoch - offset(dataset_id, period)) % period
    return now - since


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def due(session, period: dt.timedelta, now: dt.datetime | None = None) -> list[str]:
    """Published datasets whose moment has come since their last assessment (within GRACE of it)."""
    now = _aware(now or utcnow())
    last = (select(Assessment.dataset_id, func.max(Assessment.assessed_at).label("at"))
            .group_by(Assessment.dataset_id).subquery())
    rows = session.execute(select(Dataset.id, last.c.at).outerjoin(last, last.c.dataset_id == Dataset.id)
                           .where(Dataset.state == "active", Dataset.kind != SERIES)
                           .execution_options(yield_per=10000))
    out = []
    for dataset_id, at in rows:
        moment = latest_moment(dataset_id, period, now)
        if now - moment <= GRACE and (at is None or _aware(at) < moment):
            out.append(dataset_id)
    return sorted(out)


def run(rt, *, now: dt.datetime | None = None, celery=None) -> dict:
    """Re-assess the datasets that are due: in this process, or as chunk tasks on the workers (`celery`)."""
    period = period_of(rt.settings)
    if period is None:
        return {"due": 0, "period_days": 0}
    with rt.sessionmaker() as session:
        ids = due(session, period, now)
    if ids:
        if celery is not None:
            from app.jobs import queue_assess

            queue_assess(rt, celery, ids)
        else:
            from app.jobs import assess

            assess(rt, ids)
    return {"due": len(ids), "period_days": period.days}
