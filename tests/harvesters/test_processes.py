"""Harvests across processes: a job killed with SIGKILL and re-run, and a job run by a Celery worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.jobs import harvest
from catalog_schema.models import Dataset, HarvestJob
from tests.support import services
from tests.support.ckan_server import FakeCkan, real_packages

ROOT = Path(__file__).resolve().parents[2]


def _catalog(rt) -> set[tuple]:
    with rt.sessionmaker() as session:
        rows = session.execute(select(Dataset.remote_id, Dataset.content_hash, Dataset.state)).all()
    return {tuple(r) for r in rows}


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0",  # the fixture packages name remote URLs: no link checks
                "OPENDATA_HTTP_TIMEOUT": "10", **extra})
    return env


def test_killed_harvest_reruns_to_the_same_catalog(runtime, add_source, local_server, fixtures_dir, db_url, tmp_path):
    packages = real_packages(fixtures_dir, 250)
    fake = FakeCkan(local_server, packages)
    search = local_server.routes.handlers["/api/action/package_search"]

    def slow_search(req):
        time.sleep(0.7)
        return search(req)

    local_server.add_route("/api/action/package_search", slow_search)
    add_source("bham", "ckan", fake.url, publisher="birmingham")

    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "harvest", "bham", "--json"], cwd=ROOT,
                            env=_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    imported = 0
    while time.monotonic() < deadline:
        with runtime.sessionmaker() as session:
            imported = session.scalar(select(func.count()).select_from(Dataset))
        if 0 < imported < len(packages):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert 0 < imported < len(packages), "the kill must land mid-harvest"

    with runtime.sessionmaker() as session:  # the dead job's heartbeat stops: it is failed, not left running
        job = session.scalar(select(HarvestJob))
        job.heartbeat_at = job.heartbeat_at.replace(year=2000)
        session.commit()
    summary = harvest(runtime, "bham").to_dict()
    assert summary["status"] == "finished"
    with runtime.sessionmaker() as session:
        statuses = session.scalars(select(HarvestJob.status).order_by(HarvestJob.id)).all()
        assert statuses == ["failed", "finished"]
        assert session.scalar(select(func.count()).select_from(Dataset)) == len(packages)
    resumed = _catalog(runtime)

    # The same harvest, never interrupted, into a fresh catalog gives the same rows.
    add_source("bham-clean", "ckan", fake.url, publisher="birmingham")
    with runtime.sessionmaker() as session:
        session.query(Dataset).delete()
        session.commit()
    assert harvest(runtime, "bham-clean").to_dict()["added"] == len(packages)
    assert _catalog(runtime) == resumed


@pytest.mark.redis
def test_job_runs_on_a_separate_celery_worker(runtime, add_source, local_server, fixtures_dir, db_url):
    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    import redis

    # A Redis database of its own per backend: the two parametrised runs may go on at once (xdist).
    broker = f"redis://127.0.0.1:6379/{12 if db_url.startswith('sqlite') else 13}"
    redis.Redis.from_url(broker).flushdb()
    fake = FakeCkan(local_server, real_packages(fixtures_dir, 40))
    add_source("inproc", "ckan", fake.url, publisher="birmingham")
    assert harvest(runtime, "inproc").to_dict()["added"] == 40
    expected = _catalog(runtime)
    with runtime.sessionmaker() as session:
        session.query(Dataset).delete()
        session.commit()

    add_source("viaworker", "ckan", fake.url, publisher="birmingham")
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--concurrency", "1"], cwd=ROOT,
                              env=_env(db_url, OPENDATA_BROKER_URL=broker), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        runtime.settings["BROKER_URL"] = broker
        summary = harvest(runtime, "viaworker", wait_timeout=90).to_dict()
    finally:
        runtime.settings["BROKER_URL"] = None
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert summary["status"] == "finished" and summary["added"] == 40
    with runtime.sessionmaker() as session:
        job = session.scalar(select(HarvestJob).order_by(HarvestJob.id.desc()))
        assert job.worker and not job.worker.endswith(f":{os.getpid()}")  # run by the other process
    assert _catalog(runtime) == expected
