"""Catalogs built once per test module and copied for each test that reads them.

Building the demo catalog (five sources harvested over HTTP, every file downloaded and assessed) takes
seconds; a module of read-mostly tests asks for it a dozen times on each backend. The first test that asks
builds it in its own database as before; the database is then saved (SQLite: the backup API into a file of
the module's; PostgreSQL: a template database), and every later test of the module that asks gets a fresh
copy of it (a file copy; ``CREATE DATABASE ... TEMPLATE``) instead of a build. A test that changes its copy
changes nothing the next test sees.

Archived files stay where the building test's archive put them (their paths are stored in the rows, and
the archive is content-addressed and never deleted from), so copies share them.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from catalog_schema import db as dbmod
from tests.support import services

_names = itertools.count(1)


@dataclass
class Saved:
    backend: str
    source: str  # SQLite: the saved file; PostgreSQL: the template database's name
    value: Any  # what the build returned, handed to every later test


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


class Snapshots:
    """The saved catalogs of one test module, one per backend."""

    def __init__(self, folder: Path, admin_url: Callable[[], str]):
        self.folder = folder
        self._admin_url = admin_url
        self._admin = None
        self.saved: dict[str, Saved] = {}
        self._clones: list[str] = []

    def has(self, backend: str) -> bool:
        return backend in self.saved

    # --- PostgreSQL administration -------------------------------------------------------------

    def _admin_engine(self):
        if self._admin is None:
            self._admin = dbmod.make_engine(self._admin_url(), isolation_level="AUTOCOMMIT")
        return self._admin

    def _pg_copy(self, source: str, target: str) -> None:
        with self._admin_engine().connect() as conn:
            # A template must have no other session: end those of the building test (its pools reconnect).
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": source})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target}"'))
            conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
            services.fast_commits(conn, target)

    def _pg_drop(self, name: str) -> None:
        with self._admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

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
        database = make_url(url).database
        name = f"{database}_saved{next(_names)}"
        self._pg_copy(database, name)
        self.saved[backend] = Saved(backend, name, value)

    def copy(self, backend: str, master_url: str, folder: Path) -> str:
        """A new database holding the saved catalog of `backend`; its URL."""
        saved = self.saved[backend]
        if backend == "sqlite":
            target = folder / f"copy-{next(_names)}.db"
            shutil.copyfile(saved.source, target)
            return f"sqlite:///{target}"
        url = make_url(master_url)
        name = f"{url.database}_copy{next(_names)}"
        self._pg_copy(saved.source, name)
        self._clones.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    def drop_copy(self, url: str) -> None:
        if backend_of(url) == "postgresql":
            name = make_url(url).database
            self._pg_drop(name)
            self._clones.remove(name)

    def close(self) -> None:
        for name in list(self._clones):
            self._pg_drop(name)
        for saved in self.saved.values():
            if saved.backend == "postgresql":
                self._pg_drop(saved.source)
        self.saved.clear()
        if self._admin is not None:
            self._admin.dispose()


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
            return saved.value
        value = build()
        self.snapshots.save(self.db_url, value)
        return value
