"""Which sources are due for a scheduled harvest (daily, weekly), for beat or `opendata schedule`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from catalog_schema.models import HarvestJob, HarvestSource, utcnow

PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}


def due_sources(rt, now: dt.datetime | None = None) -> list[str]:
    now = now or utcnow()
    due = []
    with rt.sessionmaker() as session:
        last = dict(session.execute(select(HarvestJob.source_id, func.max(HarvestJob.created_at))
                                    .group_by(HarvestJob.source_id)).all())
        for source in session.scalars(select(HarvestSource).where(HarvestSource.enabled.is_(True),
                                                                  HarvestSource.deleted_at.is_(None))):
            period = PERIODS.get(source.schedule)
            if period is None:
                continue
            when = last.get(source.id)
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            if when is None or now - when >= period:
                due.append(source.name)
    return due
