"""Catalogs built once per test module and copied for each test that reads them.

Building the demo catalog (five sources harvested over HTTP, every file downloaded and assessed) takes
seconds; a module of read-mostly tests asks for it a dozen times on each backend. The first test that asks
builds it in its own database as before; the database is then saved (SQLite: the backup API into a file of
the module's; PostgreSQL: every table's rows and the sequences' positions, in memory), and every later test
of the module that asks gets a fresh copy of it instead of a build (SQLite: a file copy; PostgreSQL: the
worker's database emptied and the rows put back, tens of milliseconds where ``CREATE DATABASE ... TEMPLATE``
and its drop took one to two seconds). A test that changes its copy changes nothing the next test sees.

Archived files stay where the building test's archive put them (their paths are stored in the rows, and
the archive is content-addressed and never deleted from), so copies share them.
"""

from __future__ import annotations

import copy
import itertools
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import make_url

from catalog_schema import db as dbmod
from catalog_schema.models import Base

_names = itertools.count(1)


@dataclass
class Saved:
    backend: str
    source: Any  # SQLite: the saved file; PostgreSQL: the tables, their rows and the sequences' positions
    value: Any  # what the build returned, handed to every later test


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


class Snapshots:
    """The saved catalogs of one test module, one per backend."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.saved: dict[str, Saved] = {}

    def has(self, backend: str) -> bool:
        return backend in self.saved

    # --- PostgreSQL: rows in memory ----------------------------------------------------------------

    @staticmethod
    def _pg_tables(conn) -> list[Table]:
        """Every table of the catalog, parents first, and the search change log (no model of its own)."""
        changes = Table("search_changes", MetaData(), autoload_with=conn)
        return [*Base.metadata.sorted_tables, changes]

    def _pg_save(self, url: str) -> dict:
        engine = dbmod.make_engine(url)
        try:
            with engine.connect() as conn:
                tables = self._pg_tables(conn)
                rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in tables}
                seqs = dict(conn.execute(text("SELECT sequencename, last_value FROM pg_sequences "
                                              "WHERE schemaname = 'public' AND last_value IS NOT NULL")).all())
        finally:
            engine.dispose()
        return {"tables": tables, "rows": rows, "sequences": seqs}

    @staticmethod
    def _pg_fill(url: str, saved: dict) -> None:
        """Put the saved rows into `url`'s database, emptied by the caller."""
        engine = dbmod.make_engine(url)
        try:
            with engine.begin() as conn:
                # no foreign-key triggers while rows go in: a series may come after its members
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in saved["tables"]:
                    if saved["rows"][table.name]:
                        conn.execute(table.insert(), saved["rows"][table.name])
                for name, value in saved["sequences"].items():
                    conn.execute(text("SELECT setval(:name, :value)"), {"name": f'"{name}"', "value": value})
        finally:
            engine.dispose()

    # --- save, copy, drop ----------------------------------------------------------------------

    def save(self, url: str, value: Any) -> None:
        backend = backend_of(url)
        if backend == "sqlite":
            target = self.folder / f"saved-{next(_names)}.db"
            src = sqlite3.connect(_sqlite_path(url))
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # consistent even with the WAL and other connections open
            finally:
                dst.close()
                src.close()
            self.saved[backend] = Saved(backend, str(target), value)
            return
        self.saved[backend] = Saved(backend, self._pg_save(url), value)

    def copy(self, backend: str, master_url: str, folder: Path, empty: Callable[[str], None]) -> str:
        """A database holding the saved catalog of `backend`; its URL. SQLite: a new file; PostgreSQL: the
        worker's database (`master_url`), emptied with `empty` and refilled."""
        saved = self.saved[backend]
        if backend == "sqlite":
            target = folder / f"copy-{next(_names)}.db"
            shutil.copyfile(saved.source, target)
            return f"sqlite:///{target}"
        empty(master_url)
        self._pg_fill(master_url, saved.source)
        return master_url

    def close(self) -> None:
        self.saved.clear()


class Snapshot:
    """One test's handle: `once(build)` builds the module's catalog the first time and returns what the build
    returned, on a copy, every later time."""

    def __init__(self, snapshots: Snapshots, db_url: str):
        self.snapshots = snapshots
        self.db_url = db_url

    @property
    def copied(self) -> bool:
        return self.snapshots.has(backend_of(self.db_url))

    def once(self, build: Callable[[], Any]) -> Any:
        saved = self.snapshots.saved.get(backend_of(self.db_url))
        if saved is not None:
            return copy.deepcopy(saved.value)  # a test that changes what it was handed changes only its own
        value = build()
        self.snapshots.save(self.db_url, copy.deepcopy(value))
        return value
