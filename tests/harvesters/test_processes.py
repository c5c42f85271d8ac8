"""Harvests across processes: a job killed with SIGKILL and re-run at once, heartbeats, and a job run by a Celery
worker."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.jobs import harvest
from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestSource, utcnow
from tests.support import services
from tests.support.ckan_server import FakeCkan, ckan_packages, real_packages, serve_files

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


def test_killed_harvest_reruns_at_once_with_true_counters_and_full_assessment(runtime, add_source, local_server,
                                                                             fixtures_dir, db_url, tmp_path):
    packages = ckan_packages(fixtures_dir, 250, local_server.url("").rstrip("/"))
    serve_files(local_server)
    fake = FakeCkan(local_server, packages)
    search = local_server.routes.handlers["/api/action/package_search"]

    def slow_search(req):
        time.sleep(0.7)
        return search(req)

    local_server.add_route("/api/action/package_search", slow_search)
    add_source("bham", "ckan", fake.url, publisher="birmingham")

    # Assessed after the harvest (the files are on the local server): the killed job never got that far.
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "harvest", "bham", "--json"], cwd=ROOT,
                            # a transaction per page of 100, so that the kill lands between two of them
                            env=_env(db_url, OPENDATA_ASSESS_AFTER_HARVEST="1", OPENDATA_HARVEST_IMPORT_BATCH="100"),
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
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
    with runtime.sessionmaker() as session:
        imported = session.scalar(select(func.count()).select_from(Dataset))
        killed = session.scalar(select(HarvestJob))
        assert killed.status == "running" and killed.worker.endswith(f":{proc.pid}")
    assert 0 < imported < len(packages), "the kill must land mid-harvest"
    # The slow pages were there for the kill to land between two batches; the re-run and the clean harvest
    # below read the same pages at the server's own pace (2 s of sleeps each saved, nothing they check).
    local_server.add_route("/api/action/package_search", search)

    # No waiting for a stall timeout: the process holding the job is gone from this host, so the re-run
    # fails the dead job (with what it really imported) and takes over at once.
    runtime.settings["ASSESS_AFTER_HARVEST"] = True
    summary = harvest(runtime, "bham").to_dict()
    assert summary["status"] == "finished"
    assert summary["added"] == len(packages) - imported
    with runtime.sessionmaker() as session:
        killed, rerun = session.scalars(select(HarvestJob).order_by(HarvestJob.id)).all()
        assert (killed.status, killed.added, rerun.status) == ("failed", imported, "finished")
        assert f"the harvest process {killed.worker} is gone" in killed.error
        assert session.scalar(select(func.count()).select_from(Dataset)) == len(packages)
        # every dataset assessed, those the killed job imported (unchanged for the re-run) included
        assessed = set(session.scalars(select(Assessment.dataset_id)))
        assert assessed == set(session.scalars(select(Dataset.id)))
    runtime.settings["ASSESS_AFTER_HARVEST"] = False
    resumed = _catalog(runtime)

    # The same harvest, never interrupted, into a fresh catalog gives the same rows.
    add_source("bham-clean", "ckan", fake.url, publisher="birmingham")
    with runtime.sessionmaker() as session:
        session.query(Dataset).delete()
        session.commit()
    assert harvest(runtime, "bham-clean").to_dict()["added"] == len(packages)
    assert _catalog(runtime) == resumed


def test_a_job_held_by_a_process_elsewhere_is_dead_after_missed_heartbeats(runtime, add_source, local_server,
                                                                           fixtures_dir):
    fake = FakeCkan(local_server, real_packages(fixtures_dir, 5))
    add_source("bham", "ckan", fake.url, publisher="birmingham")
    runtime.settings["HARVEST_DEAD_AFTER"] = 30
    with runtime.sessionmaker() as session:
        source = session.scalar(select(HarvestSource))
        job = HarvestJob(source=source, status="running", worker="other-host:4242",
                         started_at=utcnow(), heartbeat_at=utcnow() - dt.timedelta(seconds=10))
        session.add(job)
        session.commit()
    with pytest.raises(RuntimeError, match="already has job"):  # beating 10 s ago on another host: alive
        harvest(runtime, "bham")
    with runtime.sessionmaker() as session:
        session.get(HarvestJob, job.id).heartbeat_at = utcnow() - dt.timedelta(seconds=31)
        session.commit()
    assert harvest(runtime, "bham").to_dict()["added"] == 5  # missed 30 s of beats: dead, the re-run goes
    with runtime.sessionmaker() as session:
        dead = session.get(HarvestJob, job.id)
        assert dead.status == "failed" and "its process other-host:4242 stopped" in dead.error


def test_a_running_job_beats_its_heartbeat_while_the_source_is_slow(runtime, add_source, local_server,
                                                                     fixtures_dir):
    fake = FakeCkan(local_server, real_packages(fixtures_dir, 3))
    search = local_server.routes.handlers["/api/action/package_search"]
    beats = []

    def slow_search(req):  # one page that takes 1.5 s: the pulse beats meanwhile
        with runtime.sessionmaker() as session:
            beats.append(session.scalar(select(HarvestJob.heartbeat_at)))
        time.sleep(1.5)
        with runtime.sessionmaker() as session:
            beats.append(session.scalar(select(HarvestJob.heartbeat_at)))
        return search(req)

    local_server.add_route("/api/action/package_search", slow_search)
    add_source("bham", "ckan", fake.url)
    runtime.settings["HARVEST_HEARTBEAT"] = 0.2
    assert harvest(runtime, "bham").to_dict()["added"] == 3
    assert beats[1] > beats[0]  # beaten during the page, not only between batches


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


def test_a_harvest_killed_during_its_assessment_is_assessed_by_the_rerun(runtime, add_source, local_server,
                                                                         fixtures_dir):
    """Killed after its job had finished, while its assessment ran: the re-run found every record unchanged and
    assessed none of them (61 of 402 datasets had an assessment). The job finishing without its assessment is
    the same as a kill during it."""
    packages = ckan_packages(fixtures_dir, 20, local_server.url("").rstrip("/"))
    serve_files(local_server)
    fake = FakeCkan(local_server, packages)
    add_source("bham", "ckan", fake.url, publisher="birmingham")
    runtime.settings["ASSESS_AFTER_HARVEST"] = False  # its assessment never ran
    assert harvest(runtime, "bham").to_dict()["added"] == len(packages)
    runtime.settings["ASSESS_AFTER_HARVEST"] = True
    try:
        rerun = harvest(runtime, "bham").to_dict()
        assert rerun["status"] == "finished" and rerun["added"] == 0
        with runtime.sessionmaker() as session:
            assert set(session.scalars(select(Assessment.dataset_id))) == set(session.scalars(select(Dataset.id)))
    finally:
        runtime.settings["ASSESS_AFTER_HARVEST"] = False
