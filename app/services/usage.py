"""Usage counts: page views, downloads and API calls per dataset per day (issue 5 item 6).

Why an upsert: many requests for the same dataset on the same day race to create the
same (dataset, day) row. `INSERT ... ON CONFLICT DO UPDATE SET n = n + 1` is atomic on
both SQLite (3.24+) and PostgreSQL, so no count is lost and no request fails on a
duplicate key. The caller owns the transaction (commit after calling).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalog_schema.models import UsageCounter

# kind -> UsageCounter column
KINDS = {"view": "views", "download": "downloads", "api": "api_calls"}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def record_usage(session: Session, dataset_id: str, kind: str, *, day: dt.date | None = None, n: int = 1) -> None:
    """Add `n` to the dataset's `kind` count ("view", "download" or "api") for `day` (UTC today by default)."""
    try:
        column = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown usage kind {kind!r} (one of {', '.join(KINDS)})") from None
    day = day or today()
    values = {"dataset_id": dataset_id, "day": day, "views": 0, "downloads": 0, "api_calls": 0}
    values[column] = n
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = insert(UsageCounter).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["dataset_id", "day"],
                                          set_={column: getattr(UsageCounter, column) + n})
        session.execute(stmt)
        return
    row = session.get(UsageCounter, (dataset_id, day))  # other databases: read then write
    if row is None:
        session.add(UsageCounter(**values))
    else:
        setattr(row, column, getattr(row, column) + n)
    session.flush()


def usage_series(session: Session, dataset_id: str, *, since: dt.date | None = None) -> list[dict[str, Any]]:
    """The dataset's counts per day, oldest first: [{"day", "views", "downloads", "api_calls"}]."""
    stmt = select(UsageCounter).where(UsageCounter.dataset_id == dataset_id)
    if since is not None:
        stmt = stmt.where(UsageCounter.day >= since)
    return [{"day": r.day.isoformat(), "views": r.views, "downloads": r.downloads, "api_calls": r.api_calls}
            for r in session.scalars(stmt.order_by(UsageCounter.day))]
