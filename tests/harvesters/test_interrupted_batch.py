"""A harvest told to stop inside a batch stops, and leaves the database as a killed process would.

Seen in a CI run: Redis went away, Celery cancelled the batch task it could no longer acknowledge by sending
its pool process SIGTERM, which the pool turns into SystemExit. The exit landed inside the batch's COPY;
psycopg, ending the COPY on the way out, raised OperationalError instead, and the batch took that for a refused
batch: it went on importing the records one by one, on a new connection, while the interrupted one stayed open
on the server mid-COPY holding the batch's new publisher row. The first record's insert of that publisher
waited on it forever; the job never ended, and every DROP DATABASE on the server waited too (PostgreSQL 15
waits for every backend, and one inside a COPY does not answer).
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from catalog_schema import db as dbmod
from catalog_schema import harvest_store, store
from catalog_schema.models import Dataset, Publisher, utcnow
from harvesters.base import create_job, run_job
from harvesters.datajson import DataJsonHarvester
from plumbing.interrupts import interruption
from tests.harvesters.test_import_speed import _bulk_dataset


def _raised_while_handling(stop: BaseException, error: Exception) -> Exception:
    try:
        try:
            raise stop
        except BaseException:
            raise error  # noqa: B904 - what a driver's clean-up does: its error, the stop only the context
    except Exception as exc:
        return exc


def test_a_stop_behind_an_error_is_found():
    assert isinstance(interruption(_raised_while_handling(SystemExit(-241), ValueError("copy end failed"))),
                      SystemExit)
    assert isinstance(interruption(_raised_while_handling(KeyboardInterrupt(), OSError())), KeyboardInterrupt)
    cause = ValueError("x")
    error = RuntimeError("y")
    error.__cause__, cause.__context__ = cause, error  # a cycle ends the walk
    assert interruption(error) is None
    assert interruption(ValueError("a plain error")) is None


@pytest.mark.postgres
def test_a_copy_interrupted_and_not_ended_raises_the_stop_and_frees_its_locks(postgres_master_url, monkeypatch):
    """psycopg failing to end a COPY it was interrupted in (the server left waiting for the rest): the stop
    comes out, not the driver's error, and the connection is dropped, so its transaction's rows lock nobody."""
    finish = psycopg.copy.LibpqWriter.finish

    def end_fails_after_a_stop(self, exc=None):
        if isinstance(exc, SystemExit):
            raise psycopg.OperationalError("sending copy end failed: another command is already in progress")
        return finish(self, exc)

    monkeypatch.setattr(psycopg.copy.LibpqWriter, "finish", end_fails_after_a_stop)
    row_writer = store._row_writer

    def stopped_at_the_third_row(conn, table, rows):
        target, width, values = row_writer(conn, table, rows)
        seen = []

        def stopping(row):
            seen.append(row)
            if len(seen) == 3:
                raise SystemExit(-241)  # what a Celery pool process's SIGTERM handler raises
            return values(row)

        return target, width, stopping

    monkeypatch.setattr(store, "_row_writer", stopped_at_the_third_row)
    slug = f"interrupted-{uuid.uuid4().hex[:8]}"
    engine = dbmod.make_engine(postgres_master_url)
    other = dbmod.make_engine(postgres_master_url)
    try:
        with Session(engine) as session:
            session.add(Publisher(slug=slug, name={"": slug}))
            now = utcnow()
            with pytest.raises(SystemExit):
                store.bulk_insert(session, Dataset, [_bulk_dataset(f"{slug}-{i}", now) for i in range(5)])
        deadline = time.monotonic() + 10
        while True:
            with other.connect() as conn:
                copying = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'active' AND query LIKE 'COPY%'")).scalar()
            if not copying or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert copying == 0, "the interrupted COPY is still open on the server"
        with Session(other) as session:  # the interrupted transaction's publisher row holds no lock now
            session.execute(text("SET LOCAL lock_timeout = '5s'"))
            session.add(Publisher(slug=slug, name={"": slug}))
            session.flush()
            session.rollback()
    finally:
        engine.dispose()
        other.dispose()


def test_a_batch_stopped_by_the_process_is_not_imported_one_by_one(runtime, add_source, local_server, fixtures_dir,
                                                                   monkeypatch):
    """A database error that carries a stop is not a refused batch: the harvest stops there (the job's
    heartbeat stops, a re-run takes over), instead of importing the records one by one."""
    local_server.add_bytes("/data.json", (fixtures_dir / "real/datajson/treasury_data.json").read_bytes(),
                           "application/json")
    add_source("treasury", "datajson", local_server.url("/data.json"))
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(len(args[3]))
        raise _raised_while_handling(SystemExit(-241), OperationalError("COPY", None, Exception("copy end failed")))

    monkeypatch.setattr(harvest_store, "import_records", interrupted)
    with runtime.sessionmaker() as session:
        from sqlalchemy import select

        from catalog_schema.models import HarvestSource

        job = create_job(session, session.scalar(select(HarvestSource).where(HarvestSource.name == "treasury")),
                         full=True)
        session.commit()
        job_id = job.id
    with pytest.raises(SystemExit):
        run_job(runtime.sessionmaker, job_id, DataJsonHarvester, http=runtime.http())
    assert len(calls) == 1 and calls[0] > 1, "the batch was tried once, whole, and no record on its own"


def test_a_task_stopped_inside_the_database_driver_is_not_retried(monkeypatch):
    """The batch task retries on database errors (the database restarting); an error that carries a stop is the
    process going away, so the task stops instead of trying again in it."""
    import app.jobs
    from app.celery_app import make_celery
    from app.settings import load

    def interrupted(*args):
        raise _raised_while_handling(SystemExit(-241), OperationalError("COPY", None, Exception("copy end failed")))

    monkeypatch.setattr(app.jobs, "import_batch", interrupted)
    celery = make_celery({**load({}), "BROKER_URL": "memory://", "RESULT_BACKEND": None})
    with pytest.raises(SystemExit):
        celery.tasks["opendata.harvest_batch"].run(1, [])
