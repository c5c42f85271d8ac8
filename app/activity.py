"""The public activity of the catalog's datasets: what changed, when, by whom, read from the history the
one gate already keeps (reads only; nothing here writes).

Two tables hold every change of a dataset:

- `audit_events` (app/services/audit.py): each accepted change through a service, by a user, with the
  record before and after;
- `harvest_records` (catalog_schema/harvest_store.py): each record a harvest job added, updated, restored or
  withdrawn.

`search_changes` (migration 0004) keeps only the latest change of each dataset and `distribution_versions`
only files, so neither is a history of datasets. A change is public when the public saw the dataset before
or after it: a draft's edits are nobody's news, and its publication is a "new" dataset; a withdrawal or a
harvest's withdrawal is "deleted". Datasets deleted by a sysadmin, and drafts, have no public activity.

Newest first, in keyset batches from each table merged by time: a page costs a few indexed queries whatever
the history's length.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from catalog_schema.models import AuditEvent, Dataset, HarvestJob, HarvestRecord, HarvestSource

NEW, CHANGED, DELETED = "new", "changed", "deleted"
#: States whose datasets have public activity (a withdrawn dataset's tombstone is public).
PUBLIC_STATES = ("active", "withdrawn")
HARVEST_KINDS = {"added": NEW, "updated": CHANGED, "restored": CHANGED, "withdrawn": DELETED}
BATCH = 100


@dataclass(frozen=True)
class Change:
    """One public change of a dataset."""

    key: str  # "audit:<id>" or "harvest:<id>": stable, unique
    at: dt.datetime
    kind: str  # NEW, CHANGED or DELETED
    dataset_id: str
    action: str  # the audit action ("publish.update", "ckan.update", ...) or "harvest.<outcome>"
    user_id: int | None = None
    source: str | None = None  # the harvest source's name
    record: dict[str, Any] | None = None  # the record after the change (audit entries)
    slug: str = ""  # the dataset's name and title now
    title: dict[str, Any] | None = None


def kind_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str | None:
    """NEW, CHANGED or DELETED as the public saw a change from `before` to `after` (records), or None when
    the public saw the dataset neither before nor after (a draft's edits)."""
    was = bool(before) and before.get("state") == "active"
    now = bool(after) and after.get("state") == "active"
    if now:
        if was:
            return CHANGED
        return NEW if not before or before.get("state") in (None, "draft") else CHANGED
    if was and after:
        return DELETED
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _scope(stmt, dataset_ids: Iterable[str] | None, publisher_id: int | None, since: dt.datetime | None,
           until: dt.datetime | None, at_column, states: tuple[str, ...]):
    stmt = stmt.where(Dataset.state.in_(states))
    if dataset_ids is not None:
        stmt = stmt.where(Dataset.id.in_(list(dataset_ids)))
    if publisher_id is not None:
        stmt = stmt.where(Dataset.publisher_id == publisher_id)
    if since is not None:
        stmt = stmt.where(at_column > since)
    if until is not None:
        stmt = stmt.where(at_column <= until)
    return stmt


def _audited(session: Session, scope: dict[str, Any], batch: int) -> Iterator[Change]:
    last = None
    while True:
        stmt = (select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.user_id, AuditEvent.object_id,
                       AuditEvent.before, AuditEvent.after, Dataset.slug, Dataset.title)
                .join(Dataset, Dataset.id == AuditEvent.object_id)
                .where(AuditEvent.object_type == "dataset"))
        stmt = _scope(stmt, at_column=AuditEvent.at, **scope)
        if last is not None:
            stmt = stmt.where(or_(AuditEvent.at < last[0], and_(AuditEvent.at == last[0], AuditEvent.id < last[1])))
        rows = session.execute(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(batch)).all()
        for row in rows:
            kind = kind_of(row.before, row.after)
            if kind is not None:
                yield Change(f"audit:{row.id}", _aware(row.at), kind, row.object_id, row.action,
                             user_id=row.user_id, record=row.after, slug=row.slug, title=row.title)
        if len(rows) < batch:
            return
        last = (rows[-1].at, rows[-1].id)


def _harvested(session: Session, scope: dict[str, Any], batch: int) -> Iterator[Change]:
    last = None
    while True:
        stmt = (select(HarvestRecord.id, HarvestRecord.created_at, HarvestRecord.status, HarvestRecord.dataset_id,
                       HarvestSource.name.label("source"), Dataset.slug, Dataset.title)
                .join(Dataset, Dataset.id == HarvestRecord.dataset_id)
                .join(HarvestJob, HarvestJob.id == HarvestRecord.job_id)
                .join(HarvestSource, HarvestSource.id == HarvestJob.source_id)
                .where(HarvestRecord.status.in_(tuple(HARVEST_KINDS))))
        stmt = _scope(stmt, at_column=HarvestRecord.created_at, **scope)
        if last is not None:
            stmt = stmt.where(or_(HarvestRecord.created_at < last[0],
                                  and_(HarvestRecord.created_at == last[0], HarvestRecord.id < last[1])))
        rows = session.execute(stmt.order_by(HarvestRecord.created_at.desc(), HarvestRecord.id.desc())
                               .limit(batch)).all()
        for row in rows:
            yield Change(f"harvest:{row.id}", _aware(row.created_at), HARVEST_KINDS[row.status], row.dataset_id,
                         f"harvest.{row.status}", source=row.source, slug=row.slug, title=row.title)
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].id)


def changes(session: Session, *, dataset_ids: Iterable[str] | None = None, publisher_id: int | None = None,
            since: dt.datetime | None = None, until: dt.datetime | None = None,
            states: tuple[str, ...] = PUBLIC_STATES, batch: int = BATCH) -> Iterator[Change]:
    """The public changes of the datasets in scope (all, those of `dataset_ids`, of a publisher; after `since`
    and up to `until`), newest first, read lazily."""
    scope = {"dataset_ids": None if dataset_ids is None else sorted(set(dataset_ids)), "publisher_id": publisher_id,
             "since": since, "until": until, "states": states}
    if scope["dataset_ids"] == []:
        return iter(())
    return heapq.merge(_audited(session, scope, batch), _harvested(session, scope, batch),
                       key=lambda c: (c.at, c.key.startswith("audit"), int(c.key.split(":")[1])), reverse=True)


def page(session: Session, *, offset: int = 0, limit: int = 31, **scope: Any) -> list[Change]:
    """`limit` changes after the first `offset` (newest first)."""
    batch = min(offset + limit + 1, BATCH)  # one more than asked: a page is one query a table
    return list(itertools.islice(changes(session, batch=batch, **scope), offset, offset + limit))
