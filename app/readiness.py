"""`/health/ready`'s checks: can this process serve? Each check returns None (fine) or one sentence saying
what failed; `/health/ready` (app/web/health.py) answers 200 when none failed, else 503 naming them.

- database: it answers `SELECT 1` and is at this code's migration (not migrated, or behind: said so);
- broker (only when BROKER_URL is set): Redis answers PING, another broker (AMQP) accepts a connection, within
  BROKER_CHECK_TIMEOUT seconds;
- rate_limits (only when RATELIMIT_STORAGE_URL is a Redis): it answers PING (meanwhile each process counts the
  limits in its own memory);
- search: this machine's index exists and, after catching up as a search would, is at most
  SEARCH_READY_MAX_LAG change-log entries behind the database (the same lag `/metrics` reports). An index not
  built yet is built in a thread of its own, started by the first probe that finds it missing: the probe does
  not wait for it (a 1,000,000-dataset build takes minutes) and says "being built" until it is done, so a
  node no search reaches still gets ready.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_builds: dict[str, threading.Thread] = {}
_builds_lock = threading.Lock()


@functools.cache
def _head() -> str:
    from catalog_schema.db import head_revision

    return head_revision()


def check_database(session: Session) -> str | None:
    """It answers, and holds the catalog at this code's migration (a database never migrated, or a URL with a
    typo, answers SELECT 1 too, and then every page failed while the probe blamed the search index)."""
    try:
        session.execute(text("SELECT 1"))
        try:
            revision = session.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception:  # noqa: BLE001 - no such table: never migrated
            session.rollback()
            revision = None
    except Exception as exc:  # noqa: BLE001 - the database is down or refuses us: that is the answer
        session.rollback()
        return f"the database did not answer ({exc.__class__.__name__})"
    if revision is None:
        return "the database holds no catalog: it was never migrated (run `opendata db upgrade`)"
    if revision != _head():
        return f"the database is at migration {revision}, this code needs {_head()} (run `opendata db upgrade`)"
    return None


def check_broker(url: str | None, timeout: float) -> str | None:
    if not url:
        return None
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection  # celery's transport library: AMQP and the other brokers

            with Connection(url, connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the answer
        return f"the broker did not answer ({exc.__class__.__name__})"
    return None


def check_search(session: Session, factory: sessionmaker, max_lag: int) -> str | None:
    from catalog_schema import search

    try:
        idx = search.index_for(session)
        if not idx.built():
            _build_in_background(idx, factory)
            return "the search index is being built"
        idx.searcher(session)  # catch up, as the next search would
        latest = int(session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes")) or 0)
        lag = max(0, latest - int(idx.stats().get("cursor") or 0))
    except Exception as exc:  # noqa: BLE001 - an index that cannot be read or caught up is not ready
        session.rollback()
        return f"the search index could not be read ({exc.__class__.__name__})"
    if lag > max_lag:
        return f"the search index is {lag} changes behind the database (at most {max_lag})"
    return None


def _build_in_background(idx, factory: sessionmaker) -> None:
    with _builds_lock:
        running = _builds.get(idx.url)
        if running is not None and running.is_alive():
            return

        def build() -> None:
            try:
                with factory() as session:
                    idx.searcher(session)  # opens the index another process built meanwhile, or builds it
            except Exception:  # noqa: BLE001 - the next probe starts another try and says why it failed
                log.exception("building the search index for /health/ready failed")

        _builds[idx.url] = thread = threading.Thread(target=build, name="search-index-build", daemon=True)
        thread.start()


def failures(session: Session, factory: sessionmaker, settings: dict[str, Any]) -> dict[str, str]:
    """What keeps this process from serving, by check name; empty when it is ready."""
    failed = {}
    problem = check_database(session)
    if problem:
        failed["database"] = problem
    problem = check_broker(settings.get("BROKER_URL"), settings["BROKER_CHECK_TIMEOUT"])
    if problem:
        failed["broker"] = problem
    storage = str(settings.get("RATELIMIT_STORAGE_URL") or "")
    if storage.startswith(("redis://", "rediss://")):  # the rate limits' shared counts (each process counts
        problem = check_broker(storage, settings["BROKER_CHECK_TIMEOUT"])  # alone meanwhile)
        if problem:
            failed["rate_limits"] = problem.replace("the broker", "the rate-limit storage")
    if "database" not in failed:
        problem = check_search(session, factory, settings["SEARCH_READY_MAX_LAG"])
        if problem:
            failed["search"] = problem
    return failed
