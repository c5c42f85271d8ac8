"""Benchmark: one process vs two Celery workers on PostgreSQL + Redis, same CKAN source (issue 8).

Generates N CKAN packages shaped like the real Birmingham ones (bench/harvest.py), each with one CSV
distribution on a local file server, and serves them from a local Action API. Then:

1. single process: harvest all N into a fresh PostgreSQL database, then assess the first M datasets;
2. distributed: two `opendata worker` processes (concurrency 1 each) on Redis harvest the same source into
   another fresh database (the job split into batch tasks) and assess the same M datasets (chunk tasks);
3. compares the two catalogs per dataset (content hash of the catalog record, state, stars, score) and
   counts the tasks each worker ran.

Assessment profiles every file (about 5 datasets/s per core here), so M defaults to 2,000 while the harvest
runs all 20,000.

    .venv/bin/python -m bench.distributed [--datasets 20000] [--assess 2000]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("OPENDATA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("OPENDATA_BENCH_REDIS", "redis://127.0.0.1:6379/15")


def file_server(n_files: int = 20):
    bodies = {f"/files/{k}.csv": ("id,name,value\n" + "".join(f"{r},row {r} of file {k},{r * k}\n"
                                                              for r in range(30))).encode() for k in range(n_files)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = bodies.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def packages(n: int, files_url: str) -> list[dict]:
    from bench.harvest import make_packages

    out = make_packages(n)
    for i, pkg in enumerate(out):
        res = dict(pkg["resources"][0]) if pkg.get("resources") else {}
        res.update(id=str(uuid.UUID(int=(i + 1) * 100)), url=f"{files_url}/files/{i % 20}.csv", format="CSV",
                   mimetype="text/csv", package_id=pkg["id"])
        pkg["resources"], pkg["num_resources"] = [res], 1
    return out


def fresh_database(tag: str) -> tuple[str, callable]:
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    name = f"opendata_bench_dist_{tag}_{os.getpid()}"
    admin = dbmod.make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    dbmod.upgrade(url)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def runtime(db_url: str, archive: str, broker: str | None):
    from app.jobs import Runtime
    from app.settings import load

    values = load({})
    values.update(DATABASE_URL=db_url, ALLOW_HOSTS=["127.0.0.1"], ASSESS_AFTER_HARVEST=False, ARCHIVE_DIR=archive,
                  BROKER_URL=broker, RESULT_BACKEND=broker)
    return Runtime(values)


def add_source(rt, url: str) -> None:
    from catalog_schema.models import HarvestSource

    with rt.sessionmaker() as session:
        session.add(HarvestSource(name="bench", type="ckan", url=url))
        session.commit()


def first_ids(rt, m: int) -> list[str]:
    from sqlalchemy import select

    from catalog_schema.models import Dataset

    with rt.sessionmaker() as session:
        return list(session.scalars(select(Dataset.id).order_by(Dataset.remote_id).limit(m)))


def snapshot(rt, chunk: int = 1000) -> dict[str, tuple]:
    """(content hash, state, stars, score) of every dataset by remote id, read `chunk` datasets at a time, each
    chunk in a session of its own: one session over the whole catalog kept every dataset it loaded (with its
    distributions, extras and source payload) until the end, some 8 KB a dataset."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from catalog_schema.models import Dataset
    from catalog_schema.record import content_hash
    from catalog_schema.store import to_record

    out: dict[str, tuple] = {}
    after = None
    while True:
        query = (select(Dataset).options(selectinload(Dataset.distributions), selectinload(Dataset.publisher))
                 .order_by(Dataset.id).limit(chunk))
        if after is not None:
            query = query.where(Dataset.id > after)
        with rt.sessionmaker() as session:
            rows = session.scalars(query).all()
            for ds in rows:
                out[ds.remote_id] = (content_hash(to_record(ds)), ds.state, ds.stars, ds.score)
        if len(rows) < chunk:
            return out
        after = rows[-1].id


def run(n: int, m: int, workers: int) -> int:
    import redis

    from app.jobs import assess, harvest
    from bench.harvest import serve

    tmp = Path(tempfile.mkdtemp(prefix="opendata-bench-dist-"))
    files, files_url = file_server()
    ckan, ckan_url = serve(packages(n, files_url))
    print(f"{n} datasets (one CSV file each), {m} assessed, {workers} workers; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    figures: dict[str, float] = {}

    url, drop_single = fresh_database("single")
    rt = runtime(url, str(tmp / "archive"), None)
    add_source(rt, ckan_url)
    t = time.perf_counter()
    single = harvest(rt, "bench")
    figures["single harvest"] = time.perf_counter() - t
    print(f"  single harvest: {figures['single harvest']:.1f} s", flush=True)
    ids = first_ids(rt, m)
    t = time.perf_counter()
    assess(rt, ids)
    figures["single assess"] = time.perf_counter() - t
    print(f"  single assess: {figures['single assess']:.1f} s", flush=True)
    expected = snapshot(rt)
    rt.close()
    drop_single()

    redis.Redis.from_url(REDIS).flushdb()
    url, drop_dist = fresh_database("dist")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update(OPENDATA_DATABASE_URL=url, OPENDATA_BROKER_URL=REDIS, OPENDATA_ALLOW_HOSTS="127.0.0.1",
               OPENDATA_ASSESS_AFTER_HARVEST="0", OPENDATA_ARCHIVE_DIR=str(tmp / "archive"))
    procs, logs = [], []
    try:
        for i in range(workers):
            log = tmp / f"worker{i}.log"
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--concurrency", "1",
                                           "--name", f"bench{i}"], cwd=ROOT, env=env, stdout=log.open("wb"),
                                          stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 120
        while not all("ready." in log.read_text("utf-8", "replace") for log in logs):
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start")
            time.sleep(0.2)
        rt = runtime(url, str(tmp / "archive"), REDIS)
        add_source(rt, ckan_url)
        t = time.perf_counter()
        dist = harvest(rt, "bench", wait_timeout=7200)
        figures["distributed harvest"] = time.perf_counter() - t
        print(f"  distributed harvest: {figures['distributed harvest']:.1f} s", flush=True)
        ids = first_ids(rt, m)
        t = time.perf_counter()
        assess(rt, ids, wait_timeout=7200)
        figures["distributed assess"] = time.perf_counter() - t
        print(f"  distributed assess: {figures['distributed assess']:.1f} s", flush=True)
        got = snapshot(rt)
        rt.close()
        peaks = [_group_peak_mb(proc.pid) for proc in procs]
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
        drop_dist()
        ckan.shutdown()
        files.shutdown()

    def done(log: Path, task: str) -> int:
        return sum(1 for line in log.read_text("utf-8", "replace").splitlines()
                   if f"Task {task}[" in line and " succeeded in " in line)

    print(f"single process: harvest {figures['single harvest']:.1f} s ({n / figures['single harvest']:.0f} "
          f"datasets/s), assess {figures['single assess']:.1f} s ({m / figures['single assess']:.1f} datasets/s)"
          f" [{single.status}, added {single.added}]")
    print(f"{workers} workers:      harvest {figures['distributed harvest']:.1f} s "
          f"({n / figures['distributed harvest']:.0f} datasets/s), assess {figures['distributed assess']:.1f} s "
          f"({m / figures['distributed assess']:.1f} datasets/s) [{dist.status}, added {dist.added}]")
    print(f"ratio distributed/single: harvest {figures['distributed harvest'] / figures['single harvest']:.2f}, "
          f"assess {figures['distributed assess'] / figures['single assess']:.2f}")
    for i, log in enumerate(logs):
        print(f"worker {i}: {done(log, 'opendata.harvest_batch')} harvest batches, "
              f"{done(log, 'opendata.assess')} assessment chunks")
    print(f"peak memory of each worker (its largest process): {', '.join(f'{mb:.0f} MB' for mb in peaks)}")
    rate = n / figures["distributed harvest"]
    print(f"at {rate:.0f} datasets/s, catalog.data.gov's {CATALOG_DATA_GOV:,} datasets would take "
          f"{CATALOG_DATA_GOV / rate / 60:.1f} min on {workers} workers (extrapolated from {n:,})")
    print(f"load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    same = got == expected
    print(f"catalogs identical (content hash, state, stars, score of all {len(expected)} datasets): "
          f"{'yes' if same else 'NO'}")
    return 0 if same and dist.status == "finished" else 1


CATALOG_DATA_GOV = 391_139  # datasets on catalog.data.gov (issue 14's target: under 10 minutes on two workers)


def _group_peak_mb(pgid: int) -> float:
    """The largest peak resident size (VmHWM) among the processes of process group `pgid` (a Celery worker
    and its pool child), in MB; 0 when /proc cannot tell."""
    peak = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--assess", type=int, default=2_000, help="how many of them to assess")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.exit(run(args.datasets, min(args.assess, args.datasets), args.workers))


if __name__ == "__main__":
    main()
