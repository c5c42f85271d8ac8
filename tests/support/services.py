"""Reach the services of the machine; skip when one is missing, fail under OPENDATA_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def require_services() -> bool:
    return os.environ.get("OPENDATA_REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes", "on")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing(what: str) -> None:
    """A service the test needs is not there: fail in CI, skip elsewhere."""
    message = f"{what} is not available"
    if require_services():
        pytest.fail(message + " (OPENDATA_REQUIRE_SERVICES=1: a missing service is a failure)")
    pytest.skip(message)


def postgres_url() -> str:
    return os.environ.get("OPENDATA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def fast_commits(conn, database: str) -> None:
    """A test database commits without waiting for its WAL to reach the disk (`synchronous_commit = off`):
    a crash of the server could lose the last few commits of a database that is thrown away after the run
    anyway, and each of the suite's thousands of commits stops waiting for an fsync. Set on the database,
    so that every connection to it (the app's pools, servers in subprocesses) gets it."""
    from sqlalchemy import text

    conn.execute(text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A PostgreSQL database of its own, `name`, created empty (dropped first if a crashed run left it) and dropped
    with its connections when done; yields its URL. A missing server fails or skips (`missing`)."""
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    if not port_open("127.0.0.1", 5432):
        missing("PostgreSQL on 127.0.0.1:5432")
    admin_url = postgres_url()
    admin = dbmod.make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            fast_commits(conn, name)
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
