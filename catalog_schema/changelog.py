"""The change log of the catalog's datasets (table `search_changes`, migration 0004), which every search index
catches up from (catalog_schema/search.py).

Registered on every SQLAlchemy Session when the models are imported, so that no process writes a dataset
without logging it, whatever imported it: any flush that adds, changes or deletes a Dataset row, or adds or
deletes a Distribution row or changes a column of it an index reads (`INDEXED_DISTRIBUTION_FIELDS`), gives its
dataset a new sequence number, in the same transaction (a rolled-back change is never logged).
The services also log explicitly (`search.index_dataset`, `search.reindex_dataset_ids`), for rows changed
behind the ORM.

SQLite: a writer holds the database's one write lock until it commits, so max(seq) + 1 numbers commit in
order. PostgreSQL: `search_change_seq`; transactions may commit out of order (search.py handles the gaps).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import PassiveFlag

from catalog_schema.models import Dataset, Distribution, Publisher

_LOG = {
    "sqlite": text("INSERT INTO search_changes (dataset_id, seq) VALUES "
                   "(:id, (SELECT coalesce(max(seq), 0) + 1 FROM search_changes)) "
                   "ON CONFLICT (dataset_id) DO UPDATE SET seq = excluded.seq"),
    # one statement for the whole list (an array), not one a dataset: a harvest batch's 500 took 8-11 ms as an
    # executemany and 3.5-6 ms so
    "postgresql": text("INSERT INTO search_changes (dataset_id, seq) SELECT id, nextval('search_change_seq') "
                       "FROM unnest(CAST(:ids AS varchar[])) AS id "
                       "ON CONFLICT (dataset_id) DO UPDATE SET seq = EXCLUDED.seq"),
}

#: The Distribution columns a search index reads (catalog_schema/search.py `_rows`: a dataset's declared
#: formats). A change of any other (a link check's status and times, the archived copy, what its profile found)
#: changes no index document nor the catalog's pages: logging it had every re-check, even one that found nothing
#: new, send its whole batch to be indexed again (a weekly re-check: the whole catalog, every week).
INDEXED_DISTRIBUTION_FIELDS = frozenset({"format", "dataset_id"})

#: Called with (database URL key, dataset ids, rolled_back) when this process logs changes or rolls logged
#: ones back: search.py keeps its index of that database fresh with it.
listeners: list[Callable[[str, set[str], bool], None]] = []


def _key(bind) -> str:
    return bind.url.render_as_string(hide_password=False)


def catalog_state(session: Session) -> tuple:
    """A marker that moves whenever a dataset or a publisher of the catalog changes, read without reading the
    catalog: the log's number of rows, its highest number and the sum of its numbers (a dataset's row takes a new
    number at each change; on PostgreSQL a transaction may commit a lower number after a higher one, which leaves
    the highest alone but not the sum), and the publishers' number and latest update (a renamed publisher logs no
    dataset). Two statements over the log's and the publishers' rows (an index-only scan of the log's `seq`), for
    validators of documents that are streamed and cannot be hashed before they are sent (/data.json)."""
    changes = session.execute(text("SELECT count(*), coalesce(max(seq), 0), coalesce(sum(seq), 0) "
                                   "FROM search_changes")).one()
    publishers = session.execute(select(func.count(), func.max(Publisher.updated_at))).one()
    return (*changes, *publishers)


def log_changes(session: Session, ids: Iterable[str]) -> None:
    """Log a change of each dataset in `ids`, in the session's transaction."""
    ids = sorted({i for i in ids if isinstance(i, str)})
    if not ids:
        return
    conn = session.connection()
    dialect = conn.engine.dialect.name
    if dialect not in _LOG:
        raise NotImplementedError(f"search is not available on {dialect!r}")
    conn.execute(_LOG[dialect], {"ids": ids} if dialect == "postgresql" else [{"id": i} for i in ids])
    session.info.setdefault("search_ids", set()).update(ids)
    for listener in listeners:
        listener(_key(conn.engine), set(ids), False)


@event.listens_for(Session, "after_flush")
def _log_flushed_changes(session: Session, _flush_context) -> None:
    ids = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (Dataset, Distribution)):
            if obj in session.dirty and not _changed(obj, None if isinstance(obj, Dataset)
                                                     else INDEXED_DISTRIBUTION_FIELDS):
                continue
            ids.add(obj.id if isinstance(obj, Dataset) else obj.dataset_id)
    ids.discard(None)
    if ids:
        log_changes(session, ids)


def _changed(obj, fields: frozenset[str] | None = None) -> bool:
    """`Session.is_modified(obj, include_collections=False)`, looking only at the attributes that were set since
    the object was loaded (`committed_state`: an attribute that was not set has no history) instead of every one
    of the model's (a Distribution has about 50: a quarter of the CPU an unchanged dataset's re-check wrote), and
    of those only `fields` when given."""
    state = inspect(obj)
    if not state.modified:
        return False
    attrs = state.manager
    for key in list(state.committed_state):
        if fields is not None and key not in fields:
            continue
        impl = attrs[key].impl
        if hasattr(impl, "get_collection") or not hasattr(impl, "get_history"):
            continue
        added, _, deleted = impl.get_history(state, state.dict, passive=PassiveFlag.NO_CHANGE)
        if added or deleted:
            return True
    return False


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop("search_ids", None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction) -> None:
    """An index may have read this transaction's changes before they were rolled back: it looks again."""
    ids = session.info.pop("search_ids", None)
    if ids:
        with contextlib.suppress(Exception):
            key = _key(session.get_bind())
            for listener in listeners:
                listener(key, ids, True)
