"""The Celery application: built from settings, never at import time from the environment alone."""

from __future__ import annotations

from typing import Any

from celery import Celery

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
    )
    celery.conf.opendata_settings = values
    _register_tasks(celery)
    return celery


def _beat_schedule() -> dict[str, Any]:
    return {"scheduled-harvests": {"task": "opendata.schedule", "schedule": 3600.0}}


def _rt(celery: Celery):
    global _runtime
    if _runtime is None:
        from app.jobs import Runtime

        _runtime = Runtime(celery.conf.opendata_settings)
    return _runtime


def _register_tasks(celery: Celery) -> None:
    @celery.task(name="opendata.harvest", bind=True)
    def harvest_task(self, job_id: int) -> dict:
        from app.jobs import run_harvest

        return run_harvest(_rt(celery), job_id).to_dict()

    @celery.task(name="opendata.assess")
    def assess_task(dataset_ids: list[str]) -> int:
        from app.assessment import assess_datasets

        return len(assess_datasets(_rt(celery), dataset_ids))

    @celery.task(name="opendata.schedule")
    def schedule_task() -> list[int]:
        from app.jobs import queue_harvest
        from app.scheduler import due_sources

        queued = []
        rt = _rt(celery)
        for name in due_sources(rt):
            try:
                job_id = queue_harvest(rt, name)
            except RuntimeError:
                continue  # already running
            celery.send_task("opendata.harvest", args=[job_id])
            queued.append(job_id)
        return queued
