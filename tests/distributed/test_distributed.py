"""A distributed run for real: PostgreSQL, `opendata serve` on gunicorn, two `opendata worker` processes on
Redis (and once on RabbitMQ), harvesting and assessing a generated CKAN source; the catalog must equal the
one a single process makes. Size: OPENDATA_DIST_DATASETS (default 300, because the assessment profiles every
file; bench/distributed.py runs 20,000). Then every harvester type, a few dozen records each, on two workers
against one process, record by record."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

import pytest
from sqlalchemy import func, select

from app.celery_app import make_celery
from app.jobs import QueueDepth, assess, assess_chunk, gather_on_workers, harvest, queue_harvest
from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestRecord, HarvestSource
from catalog_schema.store import to_record
from harvesters.base import run_job
from harvesters.ckan import CkanHarvester
from harvesters.distributed import finish_job, gather_job, import_items
from tests.distributed.conftest import (
    add_source,
    ckan_packages,
    free_port,
    process_env,
    reference_snapshot,
    runtime_for,
    serve_files,
    snapshot,
    start_workers,
    tasks_done,
    wait_for,
)
from tests.support import services
from tests.support.ckan_server import FakeCkan
from tests.support.httpserver import LocalServer
from tests.support.sources import KINDS, serve_source

pytestmark = pytest.mark.slow

N = int(os.environ.get("OPENDATA_DIST_DATASETS", "300"))


def _all_ids(rt) -> list[str]:
    with rt.sessionmaker() as session:
        return sorted(session.scalars(select(Dataset.id)))


def single_process_run(rt, url: str) -> tuple[dict, float]:
    add_source(rt, "big", url)
    started = time.monotonic()
    assert harvest(rt, "big").status == "finished"
    assess(rt, _all_ids(rt))
    return snapshot(rt), time.monotonic() - started


def distributed_run(tmp_path, procs, db_url: str, broker: str, backend: str, url: str, *, serve: bool = True,
                    assess_after: bool = False):
    """Two workers (and gunicorn) on db_url; returns the runtime, workers, elapsed seconds and portal URL.
    `assess_after`: the workers queue the assessment themselves when the harvest ends (no client waits)."""
    archive = str(tmp_path / "archive")
    env = process_env(db_url, archive, broker, OPENDATA_RESULT_BACKEND=backend,
                      OPENDATA_ASSESS_AFTER_HARVEST="1" if assess_after else "0")
    portal = None
    if serve:
        port = free_port()
        server = procs([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--threads", "4", "--port",
                        str(port)], env, tmp_path / "serve.log")
        portal = f"http://127.0.0.1:{port}"
        wait_for(lambda: services.port_open("127.0.0.1", port, 0.2) or server.popen.poll() is not None, 60,
                 "gunicorn to listen")
        assert server.popen.poll() is None, server.text()[-3000:]
    workers = start_workers(procs, env, ["w1", "w2"], tmp_path)
    rt = runtime_for(db_url, archive, BROKER_URL=broker, RESULT_BACKEND=backend)
    add_source(rt, "big", url)
    started = time.monotonic()
    summary = harvest(rt, "big", wait_timeout=600)
    assert summary.status == "finished", summary
    assert summary.added == N
    if assess_after:
        def assessed():
            with rt.sessionmaker() as session:
                return session.scalar(select(func.count()).select_from(Dataset).where(Dataset.stars.is_not(None)))

        wait_for(lambda: assessed() == N, 600, "the assessment the workers queued")
    else:
        assess(rt, _all_ids(rt), wait_timeout=600)
    return rt, workers, time.monotonic() - started, portal


@pytest.mark.redis
@pytest.mark.postgres
def test_two_workers_make_the_catalog_one_process_makes(tmp_path, procs, pg_databases, fixtures_dir, private_redis):
    # A Redis of its own: on the machine's shared one, another checkout running this test at the same time
    # (a fixed database number) had its workers take this run's tasks, and neither job ever finished.
    broker = private_redis.url()
    with LocalServer() as files:
        serve_files(files)
        packages = ckan_packages(fixtures_dir, N, files.url("").rstrip("/"))
        with LocalServer() as ckan_srv:
            fake = FakeCkan(ckan_srv, packages)
            ref = runtime_for(pg_databases(), str(tmp_path / "archive"))
            expected, single_s = single_process_run(ref, fake.url)
            ref.close()

            rt, workers, dist_s, portal = distributed_run(tmp_path, procs, pg_databases(), broker, broker, fake.url)
    try:
        assert len(expected) == N
        assert snapshot(rt) == expected  # same records, states, stars and scores
        batches = [tasks_done(w, "opendata.harvest_batch") for w in workers]
        chunks = [tasks_done(w, "opendata.assess") for w in workers]
        by_result = {}
        for r in rt.last_assess_results:
            by_result[r["worker"].split(":")[-1]] = by_result.get(r["worker"].split(":")[-1], 0) + r["assessed"]
        assert sum(batches) >= N // 100 and all(batches), batches  # both workers imported part of the job
        assert all(chunks) and len(by_result) == 2, (chunks, by_result)
        assert sum(by_result.values()) == N
        with rt.sessionmaker() as session:
            assert session.scalar(select(func.count()).select_from(Assessment)) == N  # one per dataset, no double
            job = session.scalar(select(HarvestJob))
            assert (job.status, job.added, job.errored) == ("finished", N, 0)
        with urllib.request.urlopen(f"{portal}/api/3/action/package_search?rows=1", timeout=30) as resp:
            assert json.loads(resp.read())["result"]["count"] == N  # gunicorn serves the distributed catalog
        print(f"\ndistributed run of {N} datasets: single process {single_s:.1f} s ({N / single_s:.0f}/s), "
              f"two workers {dist_s:.1f} s ({N / dist_s:.0f}/s); harvest batches per worker {batches}, "
              f"assessment chunks per worker {chunks}")
    finally:
        rt.close()


@pytest.mark.redis
@pytest.mark.postgres
def test_a_big_source_never_fills_the_broker_the_gathering_worker_imports_the_rest(tmp_path, procs, pg_databases,
                                                                                  fixtures_dir, private_redis):
    """HARVEST_QUEUE_BATCHES bounds what waits in the broker (at 391,139 datasets Redis held 2.67 GB without a
    bound): with no worker taking batches yet, the gather sends that many and imports the rest itself; a worker
    started afterwards takes the queued batches and the finish, and the catalog is the one a single process makes."""
    broker, n = private_redis.url(), 600
    archive = str(tmp_path / "archive")
    with LocalServer() as files:
        serve_files(files)
        with LocalServer() as ckan_srv:
            fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, n, files.url("").rstrip("/")))
            expected = reference_snapshot(pg_databases(), str(tmp_path / "ref"), fake.url)

            db_url = pg_databases()
            rt = runtime_for(db_url, archive, BROKER_URL=broker, HARVEST_QUEUE_BATCHES=2)
            add_source(rt, "big", fake.url)
            job_id = queue_harvest(rt, "big")
            celery = make_celery(rt.settings)
            result = gather_on_workers(rt, celery, job_id)
            # two batches of 100 sent, then two waiting: the other four imported by the gathering process
            assert (result["listed"], result["batches"], result["imported_here"]) == (n, 2, 4), result
            with celery.connection_for_write() as conn:
                assert QueueDepth(conn, celery.conf.task_default_queue)() == 3  # the two batches and the finish
            with rt.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(HarvestRecord)
                                      .where(HarvestRecord.job_id == job_id)) == 400

            start_workers(procs, process_env(db_url, archive, broker), ["w1"], tmp_path)

            def finished():
                with rt.sessionmaker() as session:
                    job = session.get(HarvestJob, job_id)
                    return job.status == "finished" and (job.added, job.errored)

            assert wait_for(finished, 120, "the worker to import the queued batches and close the job") == (n, 0)
    try:
        assert snapshot(rt) == expected
        with celery.connection_for_write() as conn:
            assert QueueDepth(conn, celery.conf.task_default_queue)() == 0
    finally:
        rt.close()


@pytest.mark.rabbitmq
def test_queue_depth_on_rabbitmq_counts_waiting_messages_and_a_missing_queue_as_empty():
    if not services.port_open("127.0.0.1", 5672):
        services.missing("RabbitMQ on 127.0.0.1:5672")
    from kombu import Connection, Exchange, Producer, Queue

    name = f"opendata-depth-{os.getpid()}"
    with Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
        depth = QueueDepth(conn, name)
        assert depth() == 0  # no such queue: the failed passive declare closed a channel, the next opens anew
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name, auto_delete=False)
        try:
            producer = Producer(conn.default_channel)
            for k in range(3):
                producer.publish({"k": k}, exchange=queue.exchange, routing_key=name, declare=[queue])
            assert wait_for(lambda: depth() == 3, 10, "RabbitMQ to count the three messages")
        finally:
            queue(conn.default_channel).delete()


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_rabbitmq_broker(tmp_path, procs, pg_databases, fixtures_dir, private_redis):
    if not services.port_open("127.0.0.1", 5672):
        services.missing("RabbitMQ on 127.0.0.1:5672")
    from kombu import Connection

    broker = "amqp://guest:guest@127.0.0.1:5672//"
    with Connection(broker) as conn:  # nothing left over from an earlier run (deleting a missing queue is fine)
        conn.default_channel.queue_delete("opendata")
    n = 150
    with LocalServer() as files:
        serve_files(files)
        with LocalServer() as ckan_srv:
            fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, n, files.url("").rstrip("/")))
            expected = reference_snapshot(pg_databases(), str(tmp_path / "archive"), fake.url, assessed=True)
            global N
            saved, N = N, n
            try:
                rt, workers, _s, _portal = distributed_run(tmp_path, procs, pg_databases(), broker,
                                                           private_redis.url(), fake.url, serve=False,
                                                           assess_after=True)
            finally:
                N = saved
    try:
        assert snapshot(rt) == expected
        assert all(tasks_done(w, "opendata.harvest_batch") for w in workers)
        assert sum(tasks_done(w, "opendata.assess") for w in workers) == n // 50  # queued by the finish task
        wait_for(lambda: any(tasks_done(w, "opendata.catalog_checks") for w in workers), 120, "the catalog checks")
    finally:
        rt.close()


def _source_catalog(rt, source: str) -> dict[str, tuple]:
    """Per remote record of one source: its state, slug and catalog record, without the catalog's own ids
    (a distribution the source gave no id gets one of the catalog's)."""
    with rt.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == source))
        out = {}
        for ds in session.scalars(select(Dataset).where(Dataset.source_id == sid)):
            record = to_record(ds)
            record.pop("id")
            for dist in record["distributions"]:
                own = dist.pop("catalog_id")
                dist["id"] = None if dist["id"] == own else dist["id"]
            out[ds.remote_id] = (ds.state, ds.slug, record)
        return out


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("kind", KINDS)
def test_every_type_on_two_workers_makes_the_catalog_one_process_makes(kind, two_workers, fixtures_dir, tmp_path):
    """Gather runs as one task, the records are mapped by batch tasks (a harvester that never gathered, in
    another process): a mapping that needs state left by gather errors every record here."""
    cluster = two_workers
    batches_before = sum(tasks_done(w, "opendata.harvest_batch") for w in cluster.workers)
    with LocalServer() as server:
        type_, url = serve_source(kind, server, fixtures_dir, tmp_path)
        add_source(cluster.ref, kind, url, publisher="city", type_=type_)
        add_source(cluster.dist, kind, url, publisher="city", type_=type_)
        one = harvest(cluster.ref, kind)
        two = harvest(cluster.dist, kind, wait_timeout=300)
    assert (one.status, one.errored) == ("finished", 0), one
    assert (two.status, two.added, two.errored, two.error) == ("finished", one.added, 0, None), two
    expected, got = _source_catalog(cluster.ref, kind), _source_catalog(cluster.dist, kind)
    assert len(expected) == one.added > 0
    assert sorted(got) == sorted(expected)
    for remote_id, want in expected.items():  # record by record
        differ = {k for k in set(want[2]) | set(got[remote_id][2]) if want[2].get(k) != got[remote_id][2].get(k)}
        assert not differ and got[remote_id] == want, (remote_id, differ)
    with cluster.dist.sessionmaker() as session:
        job = session.get(HarvestJob, two.job_id)
        assert job.worker and not job.worker.endswith(f":{os.getpid()}")  # gathered by a worker
        statuses = set(session.scalars(select(HarvestRecord.status).where(HarvestRecord.job_id == job.id)))
        assert statuses == {"added"}
    # Every record went through a batch task (none was mapped by the task that gathered it).
    wanted = batches_before + -(-one.added // 100)
    wait_for(lambda: sum(tasks_done(w, "opendata.harvest_batch") for w in cluster.workers) == wanted, 30,
             f"{wanted - batches_before} batch task(s) logged as done")


def test_a_task_run_twice_changes_nothing(db_url, tmp_path, fixtures_dir):
    """Each task is idempotent: a batch imported twice, or an assessment chunk run twice (a redelivery),
    leaves the catalog as one run leaves it."""
    with LocalServer() as files:
        serve_files(files)
        with LocalServer() as ckan_srv:
            fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 250, files.url("").rstrip("/")))
            rt = runtime_for(db_url, str(tmp_path / "archive"))
            try:
                add_source(rt, "ref", fake.url)
                from app.jobs import queue_harvest

                ref_job = queue_harvest(rt, "ref")
                run_job(rt.sessionmaker, ref_job, CkanHarvester, http=rt.http())
                expected = snapshot(rt)
                with rt.sessionmaker() as session:
                    session.query(Dataset).delete()
                    session.commit()

                add_source(rt, "split", fake.url)
                job_id = queue_harvest(rt, "split")
                batches: list[list[dict]] = []
                expected_n = gather_job(rt.sessionmaker, job_id, CkanHarvester, http=rt.http(),
                                        send_batch=batches.append)
                assert expected_n == 250 and len(batches) == 3
                assert finish_job(rt.sessionmaker, job_id, expected_n, CkanHarvester) is None  # not all in yet
                for batch in reversed(batches):  # any order
                    import_items(rt.sessionmaker, job_id, CkanHarvester, batch, http=rt.http())
                # A redelivered batch
                again = import_items(rt.sessionmaker, job_id, CkanHarvester, batches[0], http=rt.http())
                assert (again["imported"], again["skipped"]) == (0, 100)
                summary = finish_job(rt.sessionmaker, job_id, expected_n, CkanHarvester)
                assert (summary.status, summary.added, summary.errored) == ("finished", 250, 0)
                assert snapshot(rt) == expected
                assert finish_job(rt.sessionmaker, job_id, expected_n, CkanHarvester).added == 250  # again: same

                # A redelivered assessment chunk
                ids = _all_ids(rt)[:20]
                run_at = "2026-01-02T03:04:05+00:00"
                first = assess_chunk(rt, ids, run_at)
                before = snapshot(rt)
                second = assess_chunk(rt, ids, run_at)
                assert (first["assessed"], second["assessed"], second["skipped"]) == (20, 0, 20)
                assert snapshot(rt) == before
                with rt.sessionmaker() as session:
                    assert session.scalar(select(func.count()).select_from(Assessment)) == 20
            finally:
                rt.close()


def test_lost_batches_fail_the_job_saying_what_to_rerun(db_url, tmp_path, fixtures_dir):
    import datetime as dt

    with LocalServer() as ckan_srv:
        fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 150, "http://127.0.0.1:9"))
        rt = runtime_for(db_url, str(tmp_path / "archive"))
        try:
            from app.jobs import queue_harvest

            add_source(rt, "lossy", fake.url)
            job_id = queue_harvest(rt, "lossy")
            batches: list[list[dict]] = []
            n = gather_job(rt.sessionmaker, job_id, CkanHarvester, http=rt.http(), send_batch=batches.append)
            import_items(rt.sessionmaker, job_id, CkanHarvester, batches[0], http=rt.http())  # batch 2 lost
            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)
            summary = finish_job(rt.sessionmaker, job_id, n, CkanHarvester, now=later)
            assert summary.status == "failed"
            assert summary.error.startswith("50 of 150 records were never imported")
            assert harvest(rt, "lossy").to_dict()["added"] == 50  # the re-run completes the catalog
            with rt.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(Dataset)) == 150
        finally:
            rt.close()


def test_a_failed_gather_fails_the_job_and_late_batches_import_nothing(db_url, tmp_path, fixtures_dir):
    with LocalServer() as ckan_srv:
        fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 250, "http://127.0.0.1:9"))
        search = ckan_srv.routes.handlers["/api/action/package_search"]

        def broken_after_first_page(req):
            if "start=0" not in req.query:
                return 500, {"Content-Type": "text/plain"}, b"Solr is down"
            return search(req)

        ckan_srv.add_route("/api/action/package_search", broken_after_first_page)
        rt = runtime_for(db_url, str(tmp_path / "archive"))
        try:
            from app.jobs import queue_harvest

            add_source(rt, "flaky", fake.url)
            job_id = queue_harvest(rt, "flaky")
            batches: list[list[dict]] = []
            assert gather_job(rt.sessionmaker, job_id, CkanHarvester, http=rt.http(),
                              send_batch=batches.append) is None
            with rt.sessionmaker() as session:
                job = session.get(HarvestJob, job_id)
                assert job.status == "failed" and "500" in job.error
            late = import_items(rt.sessionmaker, job_id, CkanHarvester, batches[0], http=rt.http())
            assert late["imported"] == 0 and late["reason"] == "job is failed"
        finally:
            rt.close()


def test_split_incremental_runs_withdraw_deletions_and_hold_back_a_truncated_listing(db_url, tmp_path,
                                                                                    fixtures_dir):
    """The stages on workers follow the same withdrawal rules as one process: an incremental run withdraws
    what the source deleted, restores it when the source lists it again unchanged, and one that would withdraw too
    much ends needs-confirmation."""
    with LocalServer() as ckan_srv:
        fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 30, "http://127.0.0.1:9"))
        rt = runtime_for(db_url, str(tmp_path / "archive"))
        try:
            from app.jobs import queue_harvest

            add_source(rt, "split", fake.url)

            def run_split() -> object:
                job_id = queue_harvest(rt, "split")
                batches: list[list[dict]] = []
                n = gather_job(rt.sessionmaker, job_id, CkanHarvester, http=rt.http(), send_batch=batches.append)
                for batch in batches:
                    import_items(rt.sessionmaker, job_id, CkanHarvester, batch, http=rt.http())
                return finish_job(rt.sessionmaker, job_id, n, CkanHarvester)

            assert run_split().added == 30
            lost = fake.packages.pop()  # deleted upstream: the incremental run withdraws it
            summary = run_split()
            assert (summary.status, summary.withdrawn) == ("finished", 1)
            fake.packages.append(lost)  # listed again, unchanged: the incremental run restores it
            summary = run_split()
            assert (summary.status, summary.updated, summary.withdrawn) == ("finished", 1, 0)
            del fake.packages[10:]  # 20 of 30 gone at once: held back
            summary = run_split()
            assert (summary.status, summary.withdrawn) == ("needs-confirmation", 0)
            assert "no longer lists 20 of the 30 datasets" in summary.error
            with rt.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(Dataset).where(
                    Dataset.state == "active")) == 30
        finally:
            rt.close()


def _with_a_dead_broker(db_url, tmp_path):
    """A runtime whose broker is a port nothing listens on (the socket closed), and its Celery app set to fail at
    once, as a broker gone for good does."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    rt = runtime_for(db_url, str(tmp_path / "archive"), BROKER_URL=f"redis://127.0.0.1:{dead}/0")
    celery = make_celery(rt.settings)
    celery.conf.task_publish_retry = False
    celery.conf.broker_connection_retry = False
    # and kombu's own connection retries (a channel's connection is ensured with the transport's options, and
    # without a limit there slept 6 s in the test of a job handed to the dead broker): one try, no sleep
    celery.conf.broker_transport_options = {**celery.conf.broker_transport_options, "max_retries": 0}
    return rt, celery


def test_a_broker_lost_mid_gather_fails_the_job_in_a_sentence(db_url, tmp_path, fixtures_dir):
    """Redis or RabbitMQ gone while the gather hands out batches: not the source's fault, said so, in both
    languages (a restarted Redis once left the job's error as redis's own "ConnectionError: Error 111 ...")."""

    from app.cli_lang import gettext
    from harvesters.messages import render

    with LocalServer() as ckan_srv:
        fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 150, "http://127.0.0.1:9"))
        rt, celery = _with_a_dead_broker(db_url, tmp_path)
        try:
            add_source(rt, "src", fake.url)
            job_id = queue_harvest(rt, "src")
            assert gather_on_workers(rt, celery, job_id)["listed"] is None
            with rt.sessionmaker() as session:
                job = session.get(HarvestJob, job_id)
                assert job.status == "failed", job.error
                assert job.error.startswith("the task queue could not take a batch (") and "run it again" in job.error
                zh = render(job.error_detail, job.error, lambda msgid: gettext(msgid, "zh"))
                assert zh.startswith("任务队列无法接收批次（") and zh.endswith("；请重新运行"), zh
        finally:
            rt.close()


def test_a_job_the_broker_cannot_take_fails_at_once_and_the_source_harvests_again(db_url, tmp_path, fixtures_dir):
    """A harvest started while the broker was unreachable left its job "queued" for good: every later harvest of
    the source was refused ("already has job 9 queued"), by hand and by the scheduler."""

    from app.cli_lang import gettext
    from app.jobs import send_harvest
    from harvesters.base import HarvestError
    from harvesters.messages import render

    with LocalServer() as ckan_srv:
        fake = FakeCkan(ckan_srv, ckan_packages(fixtures_dir, 12, "http://127.0.0.1:9"))
        rt, celery = _with_a_dead_broker(db_url, tmp_path)
        try:
            add_source(rt, "src", fake.url)
            job_id = queue_harvest(rt, "src")
            with pytest.raises(HarvestError):
                send_harvest(rt, celery, job_id)
            with rt.sessionmaker() as session:
                job = session.get(HarvestJob, job_id)
                assert job.status == "failed" and "could not take the job" in job.error, job.error
                zh = render(job.error_detail, job.error, lambda msgid: gettext(msgid, "zh"))
                assert zh.startswith("任务队列无法接收该任务（"), zh
            rt.settings["BROKER_URL"] = ""  # the broker back (here: in-process): the source is not blocked
            assert harvest(rt, "src").status == "finished"
        finally:
            rt.close()


def test_the_finish_task_waits_as_long_as_the_stall_timeout_not_fifteen_tries(db_url, tmp_path):
    """The finish polls every second while batches are due; it took db_retry's 15 tries as its own limit, gave up
    15 s after a worker was killed mid-batch, and the job stayed "running" past HARVEST_STALL_TIMEOUT for good.
    Its end is the stall timeout's (finish_job fails the job), so it has no retry limit; the others keep theirs."""
    rt = runtime_for(db_url, str(tmp_path / "archive"), BROKER_URL="memory://")
    try:
        celery = make_celery(rt.settings)
        assert celery.tasks["opendata.harvest_finish"].max_retries is None
        assert celery.tasks["opendata.harvest_batch"].max_retries == 15
    finally:
        rt.close()
