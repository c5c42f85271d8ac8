"""Catalogs built once per test module and copied for each test that reads them.

Building the demo catalog (five sources harvested over HTTP, every file downloaded and assessed) takes
seconds; a module of read-mostly tests asks for it a dozen times on each backend. The first test that asks
builds it in its own database as before; the database is then saved (SQLite: the backup API into a file of
the module's; PostgreSQL: every table copied by the server into a schema of the worker's database, dropped
when the module ends, and the sequences' positions), and every later test of the module that asks gets a
fresh copy of it instead of a build (SQLite: a file copy; PostgreSQL: the worker's database emptied and the
rows put back by the server, ``INSERT ... SELECT`` from the saved schema, in one transaction and one round
trip: about 15 ms, where sending the rows back from Python took 60-90 ms and ``CREATE DATABASE ... TEMPLATE``
and its drop one to two seconds). A test that changes its copy changes nothing the next test sees.

Archived files stay where the building test's archive put them (their paths are stored in the rows, and
the archive is content-addressed and never deleted from), so copies share them.
"""

from __future__ import annotations

import copy
import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from catalog_schema import db as dbmod
from catalog_schema import search
from catalog_schema.models import Base

_names = itertools.count(1)
#: Every table of the catalog, parents first, and the search change log (no model of its own).
_PG_TABLES = (*(t.name for t in Base.metadata.sorted_tables), "search_changes")
_engines: dict[str, Engine] = {}  # one per worker database, for the process's life (as tests/conftest.py's)


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

    # --- PostgreSQL: rows in a schema of their own --------------------------------------------------

    @staticmethod
    def _pg_engine(url: str):
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = dbmod.make_engine(url)
        return engine

    def _pg_save(self, url: str) -> dict:
        """Copy every table into a schema of the worker's database (the server copies, no row passes through
        Python) and note the sequences' positions."""
        schema = f"snapshot_{os.getpid()}_{next(_names)}"
        with self._pg_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            filled = []
            for name in _PG_TABLES:
                conn.execute(text(f'CREATE UNLOGGED TABLE "{schema}"."{name}" AS TABLE public."{name}"'))
                if conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{schema}"."{name}")')).scalar():
                    filled.append(name)
            sequences = dict(conn.execute(text("SELECT sequencename, last_value FROM pg_sequences "
                                               "WHERE schemaname = 'public'")).all())
        return {"url": url, "schema": schema, "filled": filled, "sequences": sequences}

    def _pg_copy(self, url: str, saved: dict) -> None:
        """Empty `url`'s database and put the saved rows back, in one transaction and one round trip."""
        schema = saved["schema"]
        statements = ["SET LOCAL lock_timeout = '20s'",
                      # no triggers while rows go out and in: a series may come after its members, and the
                      # search change log comes back as it was saved
                      "SET LOCAL session_replication_role = replica",
                      *(f'DELETE FROM public."{name}"' for name in reversed(_PG_TABLES)),
                      *(f'INSERT INTO public."{name}" SELECT * FROM "{schema}"."{name}"' for name in saved["filled"])]
        for name, value in saved["sequences"].items():  # each as it was saved: used, or never used
            statements.append(f'ALTER SEQUENCE public."{name}" RESTART' if value is None
                              else f"SELECT setval('public.\"{name}\"', {int(value)})")
        with self._pg_engine(url).begin() as conn:
            # A connection a previous test left "idle in transaction" would make the deletes wait: end them.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.execute(text("; ".join(statements)))
        search.forget(url)  # the rows changed behind the gate's back: this process's index of them goes too

    def _pg_drop(self, saved: dict) -> None:
        with self._pg_engine(saved["url"]).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{saved["schema"]}" CASCADE'))

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

    def copy(self, backend: str, master_url: str, folder: Path) -> str:
        """A database holding the saved catalog of `backend`; its URL. SQLite: a new file; PostgreSQL: the
        worker's database (`master_url`), emptied and refilled."""
        saved = self.saved[backend]
        if backend == "sqlite":
            target = folder / f"copy-{next(_names)}.db"
            shutil.copyfile(saved.source, target)
            return f"sqlite:///{target}"
        self._pg_copy(master_url, saved.source)
        return master_url

    def close(self) -> None:
        for saved in self.saved.values():
            if saved.backend == "postgresql":
                self._pg_drop(saved.source)
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
