"""The Celery application: built from settings, never at import time from the environment alone."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from celery import Celery

from plumbing.interrupts import reraise_interruption

log = logging.getLogger(__name__)

_runtime = None


def make_celery(values: dict[str, Any]) -> Celery:
    celery = Celery("opendata", broker=values["BROKER_URL"], backend=values.get("RESULT_BACKEND"))
    celery.conf.update(
        task_acks_late=True,  # a task whose worker dies is redelivered; tasks are idempotent
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        task_default_queue="opendata",
        beat_schedule=_beat_schedule(),
        broker_transport_options=redis_transport_options(int(values.get("BROKER_VISIBILITY_TIMEOUT") or 3600)),
        result_expires=24 * 3600,
        # Connection to the broker lost: stop the acks_late tasks it can no longer acknowledge (they are
        # redelivered, and idempotent) instead of finishing them unacknowledged (Celery 6's default).
        worker_cancel_long_running_tasks_on_connection_loss=True,
        # LOG_FORMAT=json: the worker keeps the JSON handler app/logs.py installed instead of Celery's own.
        worker_hijack_root_logger=values.get("LOG_FORMAT", "text") != "json",
    )
    celery.conf.opendata_settings = values
    _register_tasks(celery)
    return celery


def redis_transport_options(visibility_timeout: int) -> dict[str, Any]:
    """Redis hands a task a dead worker held unacknowledged to another worker once it has been out for
    `visibility_timeout` seconds; every worker sweeps for such tasks. Kombu's sweep runs every 10 s but
    scans Redis only every 10th time (up to 100 s after the timeout, most of a short timeout's wait): scan
    on every sweep, and sweep four times per timeout (every 1 to 10 s), so the task moves on within the
    timeout plus a quarter of it.

    A sweep holds a lock in Redis for the milliseconds it takes. A worker killed while holding it leaves the
    lock to expire, 300 s by Kombu's default, during which no worker sweeps: the lock expires after a
    quarter of the timeout here (2 s to 60 s), so a killed worker delays the others by that at most."""
    return {"visibility_timeout": visibility_timeout,
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 4)),
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": max(2, min(60, visibility_timeout // 4))}


def _beat_schedule() -> dict[str, Any]:
    # The weekly evaluation is idempotent per week: hourly, it makes each week's reports once (after the week
    # ends) and retries the e-mails that failed.
    return {"scheduled-harvests": {"task": "opendata.schedule", "schedule": 3600.0},
            "weekly-evaluation": {"task": "opendata.weekly_evaluation", "schedule": 3600.0},
            # once a day at most (the last run is audited): hourly, so a restarted beat does not wait a day
            "prune": {"task": "opendata.prune", "schedule": 3600.0},
            # hourly too: a follower's digest goes once its day or week has passed since the last one
            "digests": {"task": "opendata.digests", "schedule": 3600.0},
            # the links whose moment of the week has come (app/recheck.py): about 1/168 of the catalog an hour
            "recheck": {"task": "opendata.recheck", "schedule": 3600.0}}


def _rt(celery: Celery):
    global _runtime
    if _runtime is None:
        from app.jobs import Runtime

        _runtime = Runtime(celery.conf.opendata_settings)
    return _runtime


def _stops(task: Callable[..., Any]) -> Callable[..., Any]:
    """A task whose pool process was told to stop (SIGTERM: SystemExit) inside a database driver stops, even when
    the driver turned the stop into an OperationalError: the retry on database errors would have run the task
    again in a process on its way out (plumbing.interrupts)."""

    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return task(*args, **kwargs)
        except Exception as exc:
            reraise_interruption(exc)
            raise

    return run


def _register_tasks(celery: Celery) -> None:
    from sqlalchemy.exc import InterfaceError, OperationalError

    # The database away (restarted, failing over) is worth waiting for: retry with backoff, up to ~10 min.
    db_retry = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1, "retry_backoff_max": 60,
                "retry_jitter": False, "max_retries": 15}

    @celery.task(name="opendata.harvest", shared=False, **db_retry)
    @_stops
    def harvest_task(job_id: int, confirm: bool = False) -> dict:
        """Gather one job and send its records on as batch tasks any worker takes, then a finish task."""
        from app.jobs import gather_on_workers

        return gather_on_workers(_rt(celery), celery, job_id, confirm)

    @celery.task(name="opendata.harvest_batch", shared=False, **db_retry)
    @_stops
    def harvest_batch_task(job_id: int, items: list[dict]) -> dict:
        from app.jobs import import_batch

        return import_batch(_rt(celery), job_id, items)

    # The finish looks again every second until the job's batches are in, or until none came for
    # HARVEST_STALL_TIMEOUT (finish_job fails it then, with its true counters): no retry limit of its own. With
    # db_retry's 15 it gave up 15 s after a worker was killed mid-batch, and the job stayed "running" for good.
    @celery.task(name="opendata.harvest_finish", bind=True, shared=False, **{**db_retry, "max_retries": None})
    @_stops
    def harvest_finish_task(self, job_id: int, expected: int, confirm: bool = False) -> dict:
        from app.jobs import finish_on_workers

        summary = finish_on_workers(_rt(celery), celery, job_id, expected, confirm)
        if summary is None:  # batches still due: look again soon (the worker slot is free meanwhile)
            raise self.retry(countdown=1)
        return summary.to_dict()

    @celery.task(name="opendata.assess", shared=False, **db_retry)
    @_stops
    def assess_task(dataset_ids: list[str], run_at: str | None = None) -> dict:
        from app.jobs import assess_chunk

        return assess_chunk(_rt(celery), dataset_ids, run_at)

    @celery.task(name="opendata.catalog_checks", shared=False, **db_retry)
    @_stops
    def catalog_checks_task(*_results) -> int:
        from app.assessment import run_catalog_checks

        return len(run_catalog_checks(_rt(celery)))

    @celery.task(name="opendata.weekly_evaluation", shared=False)
    def weekly_evaluation_task() -> dict | None:
        from app.commands.evaluate import run_weekly

        settings = _rt(celery).settings
        return run_weekly(settings, None, True) if settings.get("WEEKLY_EVALUATION") else None

    @celery.task(name="opendata.prune", shared=False)
    def prune_task() -> dict | None:
        from app.commands.prune import prune_if_due

        return prune_if_due(_rt(celery).settings)

    @celery.task(name="opendata.digests", shared=False)
    def digests_task() -> dict | None:
        from app.commands.digest import run_digests

        settings = _rt(celery).settings
        return run_digests(settings) if settings.get("DIGESTS") else None

    @celery.task(name="opendata.recheck", shared=False, **db_retry)
    @_stops
    def recheck_task() -> dict:
        from app import recheck

        return recheck.run(_rt(celery), celery=celery)

    @celery.task(name="opendata.schedule", shared=False)
    def schedule_task() -> list[int]:
        from app.jobs import queue_harvest, send_harvest
        from app.scheduler import due_sources
        from harvesters.base import HarvestError

        queued = []
        rt = _rt(celery)
        for name in due_sources(rt):
            try:
                job_id = queue_harvest(rt, name)
            except RuntimeError:
                continue  # already running
            try:
                send_harvest(rt, celery, job_id)  # a broker that cannot take it fails the job, not the source
            except HarvestError:
                log.warning("schedule: harvest job %s of %s could not be queued", job_id, name)
                continue
            queued.append(job_id)
        return queued
