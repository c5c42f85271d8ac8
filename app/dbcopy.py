"""`opendata db copy`: move a catalog to another database (a catalog that grew up on the embedded SQLite
default, to PostgreSQL).

1. The source must be at this code's migration head (`opendata db upgrade` first), the target must hold no
   catalog row: a copy never merges into or overwrites a catalog.
2. The target is migrated with alembic to the same head: its schema is the one `opendata db upgrade` makes,
   indexes, constraints and PostgreSQL's sequences included.
3. Table by table, parents before children (the models' foreign keys; a table's references to itself are set
   after its rows), in batches of `batch` rows read in primary-key order through the models' column types, so
   JSON stays JSON (JSONB on PostgreSQL) and timestamps keep their instant (SQLite hands back the UTC it stored
   without its zone: it is given back). The search change log (`search_changes`) comes along. Everything is
   written in one transaction on the target: a copy that fails leaves it empty.
4. On PostgreSQL the sequences are set past the copied ids, so new rows get new ids.

The counts of every table are compared at the end; the search index of the target is built by its first
search or `opendata search reindex`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Table, column, func, insert, select, table, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError

from app.texts import T_
from catalog_schema import db as dbmod
from catalog_schema.models import Base

SEARCH_CHANGES = table("search_changes", column("dataset_id"), column("seq"))

Say = Callable[[str], None]


class CopyError(Exception):
    """A copy that cannot start or did not come out whole; the message says why in one sentence."""


def copy(source_url: str, target_url: str, *, batch: int = 1000, say: Say = lambda _: None) -> dict[str, int]:
    """Copy every catalog table from `source_url` to the empty database at `target_url`; the rows of each."""
    if dbmod.normalize_url(source_url) == dbmod.normalize_url(target_url):
        raise CopyError(T_("the source and the target are the same database"))
    if batch < 1:  # partitions of 0 rows read nothing, and an empty copy was reported as done
        raise CopyError(T_("a batch is at least 1 row (not %(batch)s)", batch=batch))
    src = make_url(dbmod.normalize_url(source_url))
    if src.get_backend_name() == "sqlite" and src.database not in (None, "", ":memory:") \
            and not Path(src.database).is_file():  # opening it would make an empty file, "at migration (none)"
        raise CopyError(T_("there is no SQLite database at %(path)s", path=src.database))
    head = dbmod.head_revision()
    source = dbmod.make_engine(source_url)
    target = dbmod.make_engine(target_url)
    try:
        try:
            with source.connect() as conn:
                revision = dbmod.current_revision(conn)
        except OperationalError as exc:  # was the command's catch-all, which named OPENDATA_DATABASE_URL, not --from
            raise CopyError(T_("cannot connect to the source database %(url)s (%(reason)s): check its URL (--from, "
                               "else OPENDATA_DATABASE_URL) and that its server is running",
                               url=dbmod.safe_url(source_url), reason=dbmod.driver_reason(exc))) from exc
        if revision is None:  # an empty database (a PostgreSQL one created and never upgraded, a wrong name)
            raise CopyError(T_("the source database holds no catalog (no migration was ever run on it): check "
                               "its address, or run `opendata db upgrade` on it if it is meant to be empty"))
        if revision != head:
            raise CopyError(T_("the source database is at migration %(revision)s, this code's head is %(head)s: "
                               "run `opendata db upgrade` on it first", revision=revision, head=head))
        try:
            full = dbmod.nonempty_tables(target)
        except OperationalError as exc:
            # the driver's reason: a server that is down or a role that does not exist were all "create it first"
            raise CopyError(T_("cannot connect to the target database %(url)s (%(reason)s): check its URL and that "
                               "its server is running; a PostgreSQL database must be created first (createdb)",
                               url=dbmod.safe_url(target_url), reason=dbmod.driver_reason(exc))) from exc
        if full:
            raise CopyError(T_("the target database is not empty (%(tables)s hold rows): copy only into an empty "
                               "database", tables=", ".join(full[:5]) + (", ..." if len(full) > 5 else "")))
        say(T_("target %(url)s: migrating to %(head)s", url=dbmod.safe_url(target_url), head=head))
        dbmod.upgrade(target_url)
        counts: dict[str, int] = {}
        # One read snapshot for every table: PostgreSQL's REPEATABLE READ; SQLite's read transaction (in WAL mode
        # writers go on meanwhile).
        options = {"isolation_level": "REPEATABLE READ"} if source.dialect.name == "postgresql" else {}
        with source.connect().execution_options(**options) as src, target.begin() as dst:
            if src.dialect.name == "sqlite":
                src.execute(text("BEGIN"))
            for t in Base.metadata.sorted_tables:
                counts[t.name] = _copy_table(src, dst, t, batch, say)
            counts["search_changes"] = _copy_table(src, dst, SEARCH_CHANGES, batch, say)
            if dst.dialect.name == "postgresql":
                _reset_sequences(dst)
            copied = dbmod.table_counts(dst)
            src.rollback()
        if copied != counts:
            raise CopyError(T_("the copy does not hold what was read: %(copied)s != %(read)s", copied=str(copied),
                               read=str(counts)))
        if dbmod.analyze(target):  # rows bulk-written: the planner's statistics, before anyone queries them
            say(T_("target: planner statistics taken (ANALYZE)"))
        return counts
    finally:
        source.dispose()
        target.dispose()


def _copy_table(src: Connection, dst: Connection, t, batch: int, say: Say) -> int:
    total = src.scalar(select(func.count()).select_from(t)) or 0
    keys = list(t.primary_key.columns) if isinstance(t, Table) else []
    order = keys or [text("dataset_id")]
    own = [fk.parent.name for fk in getattr(t, "foreign_keys", ()) if fk.column.table is t]  # self-references
    zoned = {c.name for c in t.columns if getattr(c.type, "timezone", False)}
    done, later = 0, []
    result = src.execution_options(stream_results=True, yield_per=batch).execute(select(t).order_by(*order))
    for part in result.partitions(batch):
        rows = [_row(r._mapping, zoned) for r in part]
        for row in rows:
            refs = {name: row[name] for name in own if row[name] is not None}
            if refs:
                # Set with every column as read: an UPDATE would otherwise stamp the `onupdate` ones anew.
                later.append(({k.name: row[k.name] for k in keys}, dict(row)))
                row.update(dict.fromkeys(refs))
        dst.execute(insert(t), rows)
        done += len(rows)
        say(f"  {t.name}: {done:,}/{total:,}")
    for key, values in later:
        dst.execute(update(t).where(*[t.c[k] == v for k, v in key.items()]).values(**values))
    if not total:
        say(f"  {t.name}: 0")
    if done != total:  # read in the snapshot it was counted in: the target must hold what the source holds
        raise CopyError(T_("%(table)s: %(done)s rows copied of the %(total)s the source holds", table=t.name,
                              done=f"{done:,}", total=f"{total:,}"))
    return done


def _row(mapping, zoned: set[str]) -> dict[str, Any]:
    row = dict(mapping)
    for name in zoned:
        value = row.get(name)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            row[name] = value.replace(tzinfo=dt.UTC)  # SQLite stored it as UTC and gives it back without a zone
    return row


def _reset_sequences(dst: Connection) -> None:
    for t in Base.metadata.sorted_tables:
        for c in t.primary_key.columns:
            sequence = dst.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": c.name})
            if sequence:
                dst.execute(text(f'SELECT setval(:s, coalesce((SELECT max("{c.name}") FROM "{t.name}"), 0) + 1, '
                                 "false)"), {"s": sequence})
    dst.execute(text("SELECT setval('search_change_seq', coalesce((SELECT max(seq) FROM search_changes), 0) + 1, "
                     "false)"))
