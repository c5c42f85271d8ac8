"""Task functions: run in-process, or on Celery workers when OPENDATA_BROKER_URL is set.

The same functions run either way; Celery tasks are thin wrappers that call them.
Every task is idempotent (acks_late: a redelivered task re-runs safely), because a
harvest job re-run after a crash ends with the same catalog.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from app.assessment import assess_datasets, run_catalog_checks
from app.services import searchable
from app.texts import T_
from catalog_schema import harvest_store, search
from catalog_schema.db import make_engine, make_sessionmaker
from catalog_schema.models import Assessment, HarvestJob, HarvestRecord, HarvestSource, utcnow
from harvesters import registry
from harvesters.base import (
    ENDED,
    IMPORT_BATCH,
    HarvestError,
    JobSummary,
    WithdrawPolicy,
    create_job,
    fail_dead_jobs,
    run_job,
    worker_name,
)
from harvesters.distributed import finish_job, gather_job, import_items
from harvesters.messages import N_

log = logging.getLogger(__name__)


class Runtime:
    """Settings, database and HTTP session for task functions (one per process)."""

    def __init__(self, values: dict[str, Any]):
        self.settings = values
        self.engine = make_engine(values["DATABASE_URL"])
        self.sessionmaker = make_sessionmaker(self.engine)
        searchable.register()  # a job's searches (a digest's, the catalog checks') read the texts as the public does
        self._http = None
        self.last_assess_results: list = []  # what the assessment tasks of the last `assess` returned

    def http(self):
        if self._http is None:
            from plumbing.http import GuardedSession

            self._http = GuardedSession.from_settings(self.settings)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self.engine.dispose()


def _index(session, dataset_ids: list[str]) -> None:
    search.log_dataset_changes(session, dataset_ids)


def withdraw_policy(rt: Runtime, confirm: bool = False) -> WithdrawPolicy:
    return WithdrawPolicy(max_share=float(rt.settings.get("HARVEST_MAX_WITHDRAW_SHARE", 0.2)), confirmed=confirm)


def run_harvest(rt: Runtime, job_id: int, on_record=None, *, confirm: bool = False):
    """Run harvest job `job_id` to its end and return its summary."""
    with rt.sessionmaker() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise LookupError(T_("no harvest job %(id)s", id=job_id))
        if job.status in ENDED:  # a redelivered task whose work is done
            return JobSummary.of(job)
        source_type = job.source.type
    cls = registry.get(source_type, rt.settings["HARVESTERS"])
    summary = run_job(rt.sessionmaker, job_id, cls, http=rt.http(), on_record=on_record, index=_index,
                      policy=withdraw_policy(rt, confirm), heartbeat_every=_heartbeat(rt),
                      batch=max(1, int(rt.settings.get("HARVEST_IMPORT_BATCH") or IMPORT_BATCH)))
    if rt.settings.get("ASSESS_AFTER_HARVEST") and summary.status != "failed":
        changed = to_assess_after(rt, job_id)
        if changed:
            assess(rt, changed)
    return summary


def _heartbeat(rt: Runtime) -> float:
    return float(rt.settings.get("HARVEST_HEARTBEAT") or 5.0)


def to_assess_after(rt: Runtime, job_id: int) -> list[str]:
    """What the assessment after job `job_id` looks at: what it changed, and what failed jobs of its source
    imported and never had assessed (a harvest killed before its assessment ran)."""
    changed = set(changed_by_job(rt, job_id))
    with rt.sessionmaker() as session:
        job = session.get(HarvestJob, job_id)
        changed.update(harvest_store.awaiting_assessment(session, job.source_id, before_job=job_id))
    return sorted(changed)


def changed_by_job(rt: Runtime, job_id: int) -> list[str]:
    """Datasets a harvest job added, updated or restored: what its assessment run must look at."""
    with rt.sessionmaker() as session:
        ids = session.scalars(select(HarvestRecord.dataset_id).where(
            HarvestRecord.job_id == job_id, HarvestRecord.status.in_(("added", "updated", "restored")),
            HarvestRecord.dataset_id.is_not(None)))
        return sorted(set(ids))


def queue_harvest(rt: Runtime, source_name: str, *, full: bool = False) -> int:
    """Create a queued job for a source; returns its id."""
    with rt.sessionmaker() as session:
        fail_dead_jobs(session, dead_after=dt.timedelta(seconds=rt.settings.get("HARVEST_DEAD_AFTER") or 30),
                       stall_after=dt.timedelta(seconds=rt.settings.get("HARVEST_STALL_TIMEOUT") or 600))
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == source_name,
                                                            HarvestSource.deleted_at.is_(None)))
        if source is None:
            raise LookupError(T_("no harvest source named %(name)s (see `opendata source list`)",
                                 name=repr(source_name)))
        running = session.scalar(select(HarvestJob).where(HarvestJob.source_id == source.id,
                                                          HarvestJob.status.in_(("queued", "running"))))
        if running is not None:
            raise RuntimeError(T_("source %(name)s already has job %(id)s %(status)s", name=repr(source_name),
                                  id=running.id, status=T_(running.status)))  # "queued", "running": in the catalog
        job = create_job(session, source, full=full)
        session.commit()
        return job.id


def harvest(rt: Runtime, source_name: str, *, full: bool = False, on_record=None, wait_timeout: float = 3600,
            confirm: bool = False):
    """Harvest one source to the end: in-process, or on a worker when a broker is configured. `confirm`: the
    withdrawals may exceed HARVEST_MAX_WITHDRAW_SHARE (a person checked that the source removed them)."""
    job_id = queue_harvest(rt, source_name, full=full)
    if not rt.settings["BROKER_URL"]:
        return run_harvest(rt, job_id, on_record=on_record, confirm=confirm)
    from app.celery_app import make_celery

    celery = make_celery(rt.settings)
    send_harvest(rt, celery, job_id, confirm=confirm)
    return wait_for_job(rt, job_id, timeout=wait_timeout)


def send_harvest(rt: Runtime, celery, job_id: int, *, confirm: bool = False) -> None:
    """Hand a queued job to the workers; when the broker cannot take it the job fails at once, saying so (it
    stayed "queued" for good, and every later harvest of the source was refused as "already has job N queued").
    Raises the job's HarvestError."""
    from harvesters.messages import error_detail

    try:
        celery.send_task("opendata.harvest", args=[job_id], kwargs={"confirm": confirm})
    except Exception as exc:  # noqa: BLE001 - kombu's, redis's, amqp's and celery's errors share no base class
        said = " ".join(f"{exc.__class__.__name__}: {exc}".split())  # celery's own text spans lines
        exc = HarvestError(BROKER_DOWN, error=said)
        with rt.sessionmaker() as session:
            harvest_store.finish_job(session, job_id, "failed", str(exc), detail=error_detail(exc))
            job = session.get(HarvestJob, job_id)
            job.finished_at = utcnow()
            session.commit()
        raise exc from None


# --- one job on many workers (harvesters/distributed.py holds the bookkeeping) ----------------------


def _harvester_cls(rt: Runtime, job_id: int):
    with rt.sessionmaker() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise LookupError(T_("no harvest job %(id)s", id=job_id))
        return registry.get(job.source.type, rt.settings["HARVESTERS"]), job.status


#: A gather that cannot hand a batch to the broker (Redis or RabbitMQ restarted, unreachable) fails its job in
#: a sentence that says so: the source is not at fault, and what was queued may be gone with the broker.
BROKER_LOST = N_("the task queue could not take a batch (%(error)s); run it again")
#: A job the broker could not take at all (not reachable, a wrong OPENDATA_BROKER_URL).
BROKER_DOWN = N_("the task queue could not take the job (%(error)s): is the broker running, and is "
                 "OPENDATA_BROKER_URL its address? Run it again then")


def _from_broker(call, *args, **kwargs):
    """`call(*args, **kwargs)` talking to the broker; a failure of the broker becomes the job's HarvestError."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - kombu's, redis's and amqp's errors share no base class
        raise HarvestError(BROKER_LOST, error=f"{exc.__class__.__name__}: {exc}") from exc


def gather_on_workers(rt: Runtime, celery, job_id: int, confirm: bool = False) -> dict[str, Any]:
    """The first task of a job on workers: list the source, send a batch task per BATCH records (any
    worker takes them), then the task that closes the job once every batch is in."""
    cls, status = _harvester_cls(rt, job_id)
    if status in ENDED:  # a redelivered task of a closed job
        return {"job_id": job_id, "status": status, "worker": worker_name()}
    counts = {"batches": 0, "imported_here": 0}
    limit = int(rt.settings.get("HARVEST_QUEUE_BATCHES") or 0)

    with celery.connection_for_write() as conn:
        waiting = QueueDepth(conn, celery.conf.task_default_queue)

        def send(items: list[dict]) -> None:
            # The source lists faster than workers import: without a bound the broker would hold most of a
            # big source's payloads (2.67 GB of Redis at 391,139 datasets). Past the bound, import here.
            if limit and _from_broker(waiting) >= limit:
                import_items(rt.sessionmaker, job_id, cls, items, http=rt.http(), index=_index)
                counts["imported_here"] += 1
                return
            _from_broker(celery.send_task, "opendata.harvest_batch", args=[job_id, items])
            counts["batches"] += 1

        expected = gather_job(rt.sessionmaker, job_id, cls, http=rt.http(), send_batch=send, index=_index,
                              policy=withdraw_policy(rt, confirm), heartbeat_every=_heartbeat(rt))
    if expected is not None:
        celery.send_task("opendata.harvest_finish", args=[job_id, expected, confirm])
    return {"job_id": job_id, "listed": expected, **counts, "worker": worker_name()}


class QueueDepth:
    """How many tasks wait in a broker's queue (Redis or RabbitMQ), asked on one connection; a queue the
    broker does not hold (Redis drops an empty list) has none waiting."""

    def __init__(self, conn, queue: str):
        self.conn, self.queue, self._channel = conn, queue, None

    def __call__(self) -> int:
        if self._channel is None:
            self._channel = self.conn.channel()
        try:
            return self._channel.queue_declare(queue=self.queue, passive=True).message_count
        except self.conn.channel_errors:
            self._channel = None  # AMQP closes a channel after a failed passive declare: a new one next time
            return 0


def import_batch(rt: Runtime, job_id: int, items: list[dict]) -> dict[str, Any]:
    cls, _status = _harvester_cls(rt, job_id)
    return import_items(rt.sessionmaker, job_id, cls, items, http=rt.http(), index=_index)


def finish_on_workers(rt: Runtime, celery, job_id: int, expected: int, confirm: bool = False):
    """Close the job when all its records are in (None: not yet); then queue its assessment."""
    cls, status = _harvester_cls(rt, job_id)
    summary = finish_job(rt.sessionmaker, job_id, expected, cls, index=_index,
                         dead_after=dt.timedelta(seconds=rt.settings.get("HARVEST_STALL_TIMEOUT") or 600),
                         policy=withdraw_policy(rt, confirm))
    if summary is not None and status == "running" and summary.status != "failed" \
            and rt.settings.get("ASSESS_AFTER_HARVEST"):
        changed = to_assess_after(rt, job_id)
        if changed:
            queue_assess(rt, celery, changed)
    return summary


def queue_assess(rt: Runtime, celery, dataset_ids: list[str], *, chunk: int | None = None):
    """Send the assessment of `dataset_ids` as chunk tasks (then the catalog checks, when a result
    backend can tell when all chunks are done); returns the AsyncResult, nobody has to wait on it."""
    from celery import chord, group

    chunk = chunk or ASSESS_CHUNK
    run_at = utcnow().isoformat()
    parts = [dataset_ids[i:i + chunk] for i in range(0, len(dataset_ids), chunk)]
    tasks = group(celery.signature("opendata.assess", args=[part, run_at]) for part in parts)
    if rt.settings.get("RESULT_BACKEND"):
        return chord(tasks)(celery.signature("opendata.catalog_checks"))
    return tasks.apply_async()


def assess_chunk(rt: Runtime, dataset_ids: list[str], run_at: str | None = None) -> dict[str, Any]:
    """Assess one chunk as of `run_at`; a redelivered chunk skips what that run already assessed."""
    now = dt.datetime.fromisoformat(run_at) if run_at else None
    for attempt in range(3):
        todo = list(dataset_ids)
        if now is not None:
            with rt.sessionmaker() as session:
                done = set(session.scalars(select(Assessment.dataset_id).where(
                    Assessment.dataset_id.in_(todo), Assessment.assessed_at == now)))
            todo = [i for i in todo if i not in done]
        if not todo:
            break
        try:
            assess_datasets(rt, todo, now=now)
            break
        except IntegrityError:
            if now is None or attempt == 2:
                raise
            # a twin delivery of this chunk (the broker's visibility timeout passed while a worker still held
            # it) committed first: the unique (dataset, instant) index refused ours; look again
            log.info("assess chunk: a twin delivery assessed some of %d datasets first; looking again", len(todo))
    return {"assessed": len(todo), "skipped": len(dataset_ids) - len(todo), "worker": worker_name()}


def wait_for_job(rt: Runtime, job_id: int, timeout: float = 3600, poll: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with rt.sessionmaker() as session:
                job = session.get(HarvestJob, job_id)
                if job.status in ENDED:
                    return JobSummary.of(job)
        except (OperationalError, InterfaceError) as exc:  # the database restarting: the workers retry, so wait
            log.info("waiting for job %s: database unavailable (%s)", job_id, exc.__class__.__name__)
        time.sleep(poll)
    raise TimeoutError(T_("harvest job %(id)s did not finish within %(seconds)s s (is a worker running?)", id=job_id,
                          seconds=f"{timeout:.0f}"))


ASSESS_CHUNK = 50


def assess(rt: Runtime, dataset_ids: list[str], *, chunk: int = ASSESS_CHUNK, wait_timeout: float = 3600) -> int:
    """Assess datasets in chunks: in-process, or as Celery tasks many workers share (this waits for
    them: call it from a client, not from a task). Returns the count."""
    chunks = [dataset_ids[i:i + chunk] for i in range(0, len(dataset_ids), chunk)]
    if not rt.settings["BROKER_URL"]:
        for part in chunks:
            assess_datasets(rt, part)
    else:
        from celery import group

        from app.celery_app import make_celery
        celery = make_celery(rt.settings)
        run_at = utcnow().isoformat()
        tasks = group(celery.signature("opendata.assess", args=[part, run_at]) for part in chunks)
        rt.last_assess_results = tasks.apply_async().get(timeout=wait_timeout, disable_sync_subtasks=False)
    run_catalog_checks(rt)
    return len(dataset_ids)
