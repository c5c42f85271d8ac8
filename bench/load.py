"""Load test: mixed traffic against gunicorn + PostgreSQL on a generated catalog (issue 8, item 3).

Prepares a PostgreSQL database of its own (created here, dropped at the end) with N generated
datasets (`bench.export.generate`, 3 distributions each, 50 publishers), indexes them for search,
and archives a few real tabular samples from data_samples/ the way `quality.fetch` stores a
download (`<archive>/<sha256[:2]>/<sha256>`, format and encoding sniffed), so data downloads are
real conversions. Then starts `opendata serve --workers W` (gunicorn, gthread) on a free loopback
port and drives it with C concurrent clients for S seconds, each client a keep-alive connection
sending one request after another (no think time), picking the kind of request by weight:

    search     /dataset?q=...&publisher=...            HTML search with a facet filter
    dataset    /dataset/<slug>                          HTML dataset page
    api_search /api/3/action/package_search?q=&fq=...   CKAN API search
    api_show   /api/3/action/package_show?id=<slug>     CKAN API dataset
    dcat       /catalog.ttl?page=N                      DCAT-AP Turtle page (100 datasets)
    download   /dataset/<slug>/resource/<id>/data.csv   an archived table converted to CSV

The load generator is our own (asyncio, one process, raw HTTP/1.1 on keep-alive connections)
rather than wrk: wrk's Lua hooks see no per-request latency, so it cannot give percentiles per
kind of request. It runs as a process of its own and reports its own CPU time, so one can see it
is not the bottleneck. An error is a status >= 400, a broken connection or a request slower than
the timeout; the run must have none.

After the load it sends `--serial` requests one at a time and measures each kind's wall time and
CPU (gunicorn's processes, PostgreSQL's backends, every thread's time on a CPU as the scheduler counts it, in
nanoseconds: not in clock ticks), which a busy machine blurs less than latency.
Each of them is followed by `/health/live`, the trivial request (it reads no catalog row): every kind's
CPU is also given as a ratio of that request's, measured in the same run. The pages outside the mix
(home, publisher list and page, theme list and page) are costed the same way, one at a time.
It also reports the database size per dataset (pg_database_size, pg_total_relation_size per
table) and, from the sample government harvested and assessed once, the bytes per row of real
records (docs/scaling.md sizes a national portal from both).

    .venv/bin/python -m bench.load [--datasets 100000] [--clients 50] [--seconds 120] [--workers 4] [--gzip]

`--gzip`: the clients send `Accept-Encoding: gzip` as browsers do (the bytes counted are then the
compressed ones, and the server's CPU includes compressing them).

`--compare ROOT [ROOT ...]`: no mixed load; one catalog (kept with `--keep DIR` for the next run) served from
each source tree in turn, e.g. an export of main (`git archive main | tar -x -C /tmp/main`) and this checkout,
`--rounds` times, each kind costed one request at a time with its multiple of /health/live's CPU: two versions
compared in the same minutes of a shared machine. Every kind is sent 4 x `--workers` times before measuring;
`--workers 1 --threads 4 --serial 300` gives the steadiest multiples (one warmed process, about 60 requests
of the commonest kinds).

`run_load` (prepare + serve + drive) is what tests/bench/test_load.py runs on a small catalog.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from plumbing.archive import archive

ROOT = Path(__file__).resolve().parents[1]
#: A PostgreSQL database to connect to while creating and dropping the benchmark's own database.
ADMIN_URL = os.environ.get("OPENDATA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PUBLISHERS = 50
#: Real tables from data_samples, archived and served by the download requests.
SAMPLES = [
    "jh-transport/bus-ridership-2024-11.csv",
    "jh-transport/bus-ridership-2024-10.csv",
    "jh-transport/traffic-violations-2024.csv",
    "jh-stats/population-by-district-2024.csv",
    "jh-stats/nbs_gdp_20y_gbk.csv",
    "jh-gov-office/service-statistics.csv",
    "jh-environment/key-pollutant-units.csv",
    "jh-transport/taxi-fares.xlsx",
]
#: Kinds of request and their share of the traffic.
WEIGHTS = {"search": 25, "dataset": 20, "api_search": 15, "api_show": 15, "dcat": 10, "download": 15}
SEARCH_WORDS = ["statistics", "series", "measurements", "monthly", "dataset", "数据集", "测量数据", "published"]


# --- the catalog -----------------------------------------------------------------------------


def create_database(name: str, admin_url: str | None = None) -> str:
    """A fresh PostgreSQL database; returns its URL."""
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    admin_url = admin_url or ADMIN_URL
    admin = dbmod.make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str, admin_url: str | None = None) -> None:
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    admin_url = admin_url or ADMIN_URL
    admin = dbmod.make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def archive_file(src: Path, archive_dir: Path) -> tuple[str, str, int]:
    """Copy a file into the archive as quality.fetch stores a download; returns (path, sha256, size)."""
    with src.open("rb") as fh:
        stored = archive(fh, archive_dir)
    return stored.path, stored.sha256, stored.size


def prepare(url: str, n: int, archive_dir: Path, downloads: int = 18, index_dir: Path | None = None) -> dict:
    """Fill the catalog: n datasets, their search index (in `index_dir`, where the servers will look; else in
    memory), and `downloads` archived tabular distributions."""
    from sqlalchemy import select, update

    from app.export.data import SERVABLE_FORMATS
    from bench.export import generate
    from catalog_schema import db as dbmod
    from catalog_schema import search
    from catalog_schema.models import Dataset, Distribution
    from catalog_schema.store import set_pii_facts
    from quality.sniff import sniff
    from quality.tabular import profile_file

    timings = {}
    t0 = time.perf_counter()
    generate(url, n, dists=3, publishers=PUBLISHERS)
    timings["generate_s"] = time.perf_counter() - t0
    engine = dbmod.make_engine(url)
    session = dbmod.make_sessionmaker(engine)()
    t0 = time.perf_counter()
    search.configure(url, index_dir)
    search.reindex_all(session, batch=2000)
    session.commit()
    timings["index_s"] = time.perf_counter() - t0
    timings["search_index"] = search.index_for(session).stats()
    files = []
    for rel in SAMPLES:
        src = ROOT / "data_samples" / "files" / rel
        path, digest, size = archive_file(src, archive_dir)
        found = sniff(src.read_bytes(), filename=src.name)
        if found.format not in SERVABLE_FORMATS:
            raise ValueError(f"{rel} is sniffed as {found.format}, not a table the portal serves")
        # what the assessment would record of the copy: the serving gate serves only scanned copies
        facts = SimpleNamespace(pii=None)
        set_pii_facts(facts, sha256=digest, columns=profile_file(path, format=found.format,
                                                                 encoding=found.encoding).pii,
                      checked_at=dt.datetime.now(dt.UTC).isoformat())
        files.append((path, digest, size, found, facts.pii))
    targets = []
    step = max(1, n // downloads)
    for k in range(min(downloads, n)):
        slug = f"dataset-{k * step:07d}"
        path, digest, size, found, pii = files[k % len(files)]
        ds_id = session.scalar(select(Dataset.id).where(Dataset.slug == slug))
        dist_id = session.scalar(select(Distribution.id).where(Distribution.dataset_id == ds_id,
                                                               Distribution.position == 0))
        session.execute(update(Distribution).where(Distribution.id == dist_id).values(
            check_status="ok", http_status=200, archive_path=path, archive_hash=digest, archive_size=size,
            detected_format=found.format, detected_media_type=found.media_type, detected_encoding=found.encoding,
            format=found.format, pii=pii))
        targets.append([slug, dist_id])
    session.commit()
    session.close()
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # A catalog at rest has planner statistics and a visibility map; right after a bulk insert
        # it has neither until autovacuum passes, and the first minutes would measure that.
        conn.exec_driver_sql("VACUUM ANALYZE")
    timings["vacuum_s"] = time.perf_counter() - t0
    engine.dispose()
    return {"datasets": n, "publishers": PUBLISHERS, "downloads": targets, **timings}


def database_size(url: str) -> dict:
    """pg_database_size and pg_total_relation_size (table + indexes + TOAST) of each table, in bytes."""
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    engine = dbmod.make_engine(url)
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT pg_database_size(current_database())"))
        rows = conn.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC")).all()
        counts = {}
        for name, _, _ in rows:
            counts[name] = conn.scalar(text(f'SELECT count(*) FROM "{name}"'))
    engine.dispose()
    tables = {name: {"total_bytes": tot, "heap_bytes": heap, "rows": counts[name]} for name, tot, heap in rows}
    return {"database_bytes": total, "tables": tables}


def record_sizes() -> dict:
    """Bytes per row of real records: data_samples harvested and assessed on PostgreSQL (pg_column_size).

    The generated catalog's records are short; these are what harvested records, their source
    payloads and assessments weigh. Returns {table: {"rows", "avg_row_bytes"}} and the seconds the
    assessment took (link checks on a local file server, archiving, profiling, scoring).
    """
    from sqlalchemy import select, text

    from app.assessment import assess_datasets, run_catalog_checks
    from app.demo import SAMPLES, load_samples, serve_files
    from app.jobs import Runtime
    from app.settings import load as load_settings
    from catalog_schema import db as dbmod
    from catalog_schema.models import Dataset

    name = f"opendata_bench_sizes_{os.getpid()}"
    url = create_database(name)
    work = Path(tempfile.mkdtemp(prefix="bench-sizes-"))
    port = free_port()
    files = serve_files(SAMPLES / "files", port)
    values = load_settings({})
    values.update({"DATABASE_URL": url, "ALLOW_HOSTS": ["127.0.0.1"], "ASSESS_AFTER_HARVEST": False,
                   "INSTANCE_DIR": str(work), "ARCHIVE_DIR": str(work / "archive")})
    rt = None
    try:
        dbmod.upgrade(url)
        rt = Runtime(values)
        load_samples(rt, port=port)
        with rt.sessionmaker() as session:
            ids = list(session.scalars(select(Dataset.id)))
        t0 = time.perf_counter()
        assess_datasets(rt, ids)
        run_catalog_checks(rt)
        seconds = time.perf_counter() - t0
        out: dict = {"datasets": len(ids), "assess_s": seconds, "tables": {}}
        with rt.engine.connect() as conn:
            for table in ("datasets", "distributions", "harvest_records", "assessments"):
                rows, size = conn.execute(text(
                    f'SELECT count(*), coalesce(sum(pg_column_size(t.*)), 0) FROM "{table}" t')).one()
                out["tables"][table] = {"rows": rows, "avg_row_bytes": size / max(rows, 1)}
        archived = [p for p in (work / "archive").rglob("*") if p.is_file() and p.parent.name != "tmp"]
        out["archive"] = {"files": len(archived), "bytes": sum(p.stat().st_size for p in archived)}
        return out
    finally:
        files.shutdown()
        files.server_close()
        if rt is not None:
            rt.close()
        shutil.rmtree(work, ignore_errors=True)
        drop_database(name)


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def portal(url: str, archive_dir: Path, instance_dir: Path, workers: int = 4, threads: int = 8,
           startup_timeout: float = 60.0, root: Path = ROOT) -> Iterator[tuple[str, subprocess.Popen]]:
    """`opendata serve --workers N` on a free loopback port; yields (base URL, the gunicorn master). `root`:
    the source tree whose `app` is served (another checkout, to compare two versions on one catalog)."""
    port = free_port()
    env = dict(os.environ, OPENDATA_DATABASE_URL=url, OPENDATA_ARCHIVE_DIR=str(archive_dir),
               OPENDATA_INSTANCE_DIR=str(instance_dir), OPENDATA_SECRET_KEY="bench-load-" + os.urandom(8).hex(),
               OPENDATA_SITE_URL=f"http://127.0.0.1:{port}",
               # One address plays all the clients here: the per-address API limit would answer 429.
               OPENDATA_API_RATE_LIMIT="1000000 per minute")
    log = open(instance_dir / "serve.log", "w+b")  # noqa: SIM115 (closed below)
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--threads", str(threads),
               "--port", str(port)]
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the server stopped ({proc.returncode}): {log.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /health within {startup_timeout:.0f} s")
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the given processes (those still alive) have run, every thread of each.

    Read from the scheduler's own account (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds on a CPU), not
    from utime + stime (`/proc/<pid>/stat`), which count whole clock ticks of 10 ms: a request of 1-2 ms
    then reads as 0 or 10 ms, and a mean of a hundred such readings moved by 2x from run to run (issue 15's
    multiples of /health/live). Ticks are the fallback where the kernel keeps no schedstat."""
    total, ok = 0, True
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as fh:
                    total += int(fh.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):  # the thread ended between the listing and the read
                continue
            except (OSError, ValueError, IndexError):
                ok = False
                break
        if not ok:
            break
    return total / 1e9 if ok else _tick_seconds(pids)


def _tick_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given processes, in whole clock ticks (`/proc/<pid>/stat`)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return total / tick


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- the load generator ----------------------------------------------------------------------


def request_plan(info: dict, seed: int) -> Iterator[tuple[str, str]]:
    """An endless mix of (kind, path) drawn by WEIGHTS, deterministic for a seed."""
    rng = random.Random(seed)
    n, pubs, downloads = info["datasets"], info["publishers"], info["downloads"]
    pages = max(1, -(-n // 100))
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    from urllib.parse import quote, urlencode

    while True:
        kind = rng.choices(kinds, weights)[0]
        if kind == "search":
            # Mostly selective searches (about 1% of the catalog matches "series N"), a publisher's
            # datasets, a title; 1 in 10 a word every generated dataset has, over the whole catalog.
            roll = rng.random()
            if roll < 0.4:
                params = {"q": f"series {rng.randrange(97)}", "publisher": f"agency-{rng.randrange(pubs)}"}
            elif roll < 0.7:
                params = {"publisher": f"agency-{rng.randrange(pubs)}"}
            elif roll < 0.9:
                params = {"q": f"dataset {rng.randrange(n)}"}
            else:
                params = {"q": rng.choice(SEARCH_WORDS)}
            path = "/dataset?" + urlencode(params)
        elif kind == "dataset":
            path = f"/dataset/dataset-{rng.randrange(n):07d}"
        elif kind == "api_search":
            params = {"q": f"series {rng.randrange(97)}" if rng.random() < 0.8 else rng.choice(SEARCH_WORDS),
                      "rows": 20, "start": rng.choice((0, 0, 20, 40))}
            if rng.random() < 0.7:
                params["fq"] = f"organization:agency-{rng.randrange(pubs)}"
            path = "/api/3/action/package_search?" + urlencode(params)
        elif kind == "api_show":
            path = f"/api/3/action/package_show?id=dataset-{rng.randrange(n):07d}"
        elif kind == "dcat":
            path = f"/catalog.ttl?page={rng.randrange(1, pages + 1)}"
        else:
            slug, dist_id = rng.choice(downloads)
            path = f"/dataset/{quote(slug)}/resource/{dist_id}/data.csv"
        yield kind, path


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    bytes: int = 0

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {what}")


class _Closed(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one HTTP/1.1 response; returns (status, body bytes, keep the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise _Closed(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    keep = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
    size = 0
    if status in (204, 304) or 100 <= status < 200:
        return status, 0, keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            length = int(line.split(b";", 1)[0].strip(), 16)
            if length == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                break
            await reader.readexactly(length + 2)
            size += length
    elif "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    else:
        size = len(await reader.read())
        keep = False
    return status, size, keep


async def _client(host: str, port: int, plan: Iterator[tuple[str, str]], stop_at: float, timeout: float,
                  tally: Tally, accept: dict[str, str], encoding: str = "") -> None:
    reader = writer = None
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        kind, path = next(plan)
        start = loop.time()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept.get(kind, '*/*')}\r\n"
                         f"{encoding}Accept-Language: zh-CN,zh;q=0.9,en;q=0.5\r\n"
                         "User-Agent: opendata-bench-load\r\n\r\n"
                         .encode("ascii"))
            await writer.drain()
            status, size, keep = await asyncio.wait_for(_read_response(reader), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, _Closed,
                ValueError) as exc:
            tally.error(kind, f"{path}: {type(exc).__name__} {exc}"[:300])
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        elapsed = loop.time() - start
        if status >= 400:
            tally.error(kind, f"{path}: HTTP {status}")
        else:
            tally.latencies.setdefault(kind, []).append(elapsed)
            tally.bytes += size
        if not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarise(latencies: list[float], errors: int, seconds: float) -> dict:
    values = sorted(latencies)
    return {"requests": len(values), "errors": errors, "rps": len(values) / seconds if seconds else 0.0,
            "p50_ms": percentile(values, 50) * 1000, "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000, "max_ms": (values[-1] * 1000) if values else float("nan")}


async def _drive(base: str, info: dict, clients: int, seconds: float, timeout: float, seed: int) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    tally = Tally()
    accept = {"search": "text/html", "dataset": "text/html", "api_search": "application/json",
              "api_show": "application/json", "dcat": "text/turtle", "download": "text/csv"}
    loop = asyncio.get_running_loop()
    start = loop.time()
    stop_at = start + seconds
    await asyncio.gather(*(_client(parts.hostname, parts.port, request_plan(info, seed + i), stop_at, timeout,
                                   tally, accept, _encoding_header(info)) for i in range(clients)))
    elapsed = loop.time() - start
    kinds = {k: summarise(tally.latencies.get(k, []), tally.errors.get(k, 0), elapsed) for k in WEIGHTS}
    everything = [v for values in tally.latencies.values() for v in values]
    return {"clients": clients, "seconds": elapsed, "bytes": tally.bytes,
            "overall": summarise(everything, sum(tally.errors.values()), elapsed), "kinds": kinds,
            "error_samples": tally.samples}


def drive(base: str, info: dict, clients: int, seconds: float, timeout: float = 30.0, seed: int = 1) -> dict:
    """Run the load in this process; adds the generator's own CPU seconds to the result."""
    before = time.process_time()  # CLOCK_PROCESS_CPUTIME_ID: os.times() counts in 10 ms ticks
    coroutine = _drive(base, info, clients, seconds, timeout, seed)
    if asyncio.events._get_running_loop() is None:
        result = asyncio.run(coroutine)
    else:  # called from inside a running loop (a notebook, playwright's sync API): a thread of its own
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, coroutine).result()
    result["generator_cpu_s"] = time.process_time() - before
    return result


def drive_in_process(base: str, info: dict, clients: int, seconds: float, timeout: float = 30.0) -> dict:
    """Run the load generator as a process of its own (so it does not share our interpreter)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(info, fh)
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.load", "--drive", base, fh.name, str(clients),
                               str(seconds), str(timeout)], cwd=ROOT, capture_output=True, text=True,
                              timeout=seconds + timeout + 120, check=False)
    finally:
        os.unlink(fh.name)
    if proc.returncode != 0:
        raise RuntimeError(f"the load generator failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: The trivial request every kind is compared with: it reads no catalog row (app/web/health.py).
TRIVIAL = "/health/live"
#: Pages outside the mix, costed one at a time after it: kind -> path (publisher `{pub}`, theme ECON,
#: the one bench.export gives every dataset).
PAGES = {"home": "/", "publishers": "/publisher", "publisher": "/publisher/agency-{pub}", "themes": "/theme",
         "theme": "/theme/ECON"}


def _encoding_header(info: dict) -> str:
    """The Accept-Encoding line clients send: gzip, as browsers do, when the run was asked `--gzip`."""
    return "Accept-Encoding: gzip\r\n" if info.get("gzip") else ""


def _cost(base: str, path: str, pids: list[int], url: str, timeout: float,
          gzip: bool = False) -> tuple[float, float, float]:
    backends = _pg_backends(url)
    app0, pg0, start = cpu_seconds(pids), cpu_seconds(backends), time.perf_counter()
    request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"} if gzip else {})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        resp.read()
    wall = time.perf_counter() - start
    return wall, cpu_seconds(pids) - app0, cpu_seconds(backends) - pg0


def _means(values: list[tuple[float, float, float]]) -> dict:
    k = max(1, len(values))
    return {"requests": len(values), "wall_ms": sum(v[0] for v in values) / k * 1000,
            "app_cpu_ms": sum(v[1] for v in values) / k * 1000, "db_cpu_ms": sum(v[2] for v in values) / k * 1000}


def serial_costs(base: str, info: dict, server_pid: int, url: str, count: int, seed: int = 11,
                 timeout: float = 120.0, trivial: list | None = None) -> dict:
    """One request at a time: wall time and CPU (gunicorn's processes, PostgreSQL's backends) per kind.

    No queueing and no neighbour of our own: what each kind costs, whatever the load test's latencies
    say about the machine it ran on. With `trivial` (a list), each request is followed by one to
    TRIVIAL, whose costs are appended to it.
    """
    plan = request_plan(info, seed)
    pids = [server_pid, *_children(server_pid)]
    per: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(count):
        kind, path = next(plan)
        per.setdefault(kind, []).append(_cost(base, path, pids, url, timeout, bool(info.get("gzip"))))
        if trivial is not None:
            trivial.append(_cost(base, TRIVIAL, pids, url, timeout, bool(info.get("gzip"))))
    return {kind: _means(per.get(kind, [])) for kind in WEIGHTS}


def warm_kinds(base: str, info: dict, server_pid: int, url: str, per_kind: int, seed: int = 5,
               timeout: float = 120.0) -> dict[str, int]:
    """Requests of the mix (`request_plan`), one at a time and not measured, until every kind was sent
    `per_kind` times: a kind the mix draws rarely is warmed too (a mixed warm-up of a few dozen requests left
    some workers with no download yet, and its first one imported a reader). Returns the count per kind."""
    pids = [server_pid, *_children(server_pid)]
    sent = dict.fromkeys(WEIGHTS, 0)
    plan = request_plan(info, seed)
    while min(sent.values()) < per_kind:
        kind, path = next(plan)
        if sent[kind] < per_kind:
            _cost(base, path, pids, url, timeout)
            sent[kind] += 1
    return sent


def page_costs(base: str, info: dict, server_pid: int, url: str, rounds: int, seed: int = 13,
               timeout: float = 120.0, trivial: list | None = None) -> dict:
    """PAGES, each requested `rounds` times in turn, one at a time (each followed by TRIVIAL with `trivial`)."""
    rng = random.Random(seed)
    pids = [server_pid, *_children(server_pid)]
    per: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(rounds):
        for kind, path in PAGES.items():
            per.setdefault(kind, []).append(_cost(base, path.format(pub=rng.randrange(info["publishers"])), pids,
                                                  url, timeout, bool(info.get("gzip"))))
            if trivial is not None:
                trivial.append(_cost(base, TRIVIAL, pids, url, timeout, bool(info.get("gzip"))))
    return {kind: _means(per.get(kind, [])) for kind in PAGES}


# --- the whole run ---------------------------------------------------------------------------


def run_load(n: int, clients: int, seconds: float, workers: int = 4, threads: int = 8, *, warmup: float = 0.0,
             timeout: float = 60.0, keep_db: bool = False, db_name: str | None = None, measure_size: bool = True,
             serial: int = 0, log=None, gzip: bool = False) -> dict:
    """Prepare a catalog of n datasets in a database of its own, serve it, drive it; returns every figure."""
    log = log or (lambda *args: print(*args, flush=True))
    name = db_name or f"opendata_bench_load_{os.getpid()}"
    url = create_database(name)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        archive, instance = work / "archive", work / "instance"
        archive.mkdir()
        instance.mkdir()
        t0 = time.perf_counter()
        info = prepare(url, n, archive, index_dir=instance / "search")
        info["gzip"] = gzip
        log(f"catalog: {n:,} datasets x 3 distributions, {len(info['downloads'])} archived tables, in "
            f"{time.perf_counter() - t0:.1f} s (insert {info['generate_s']:.1f} s, search index "
            f"{info['index_s']:.1f} s, {info['search_index']['bytes'] / 1e6:.0f} MB on disk, "
            f"VACUUM ANALYZE {info['vacuum_s']:.1f} s)")
        size = database_size(url) if measure_size else None
        with portal(url, archive, instance, workers=workers, threads=threads) as (base, proc):
            if warmup:
                drive_in_process(base, info, clients, warmup, timeout)
            pids = [proc.pid, *_children(proc.pid)]
            pg_pids = [int(p) for p in _pg_backends(url)]
            load_start, busy0 = os.getloadavg()[0], machine_busy()
            cpu0, pg0 = cpu_seconds(pids), cpu_seconds(pg_pids)
            result = drive_in_process(base, info, clients, seconds, timeout)
            busy1 = machine_busy()
            pg_pids = sorted(set(pg_pids) | {int(p) for p in _pg_backends(url)})
            result.update(server_cpu_s=cpu_seconds(pids) - cpu0, postgres_cpu_s=cpu_seconds(pg_pids) - pg0,
                          machine_busy=(busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
                          load_start=load_start, load_end=os.getloadavg()[0], workers=workers, threads=threads,
                          datasets=n, cpus=os.cpu_count(), gzip=gzip, worker_memory=worker_memory(proc.pid))
            if serial:
                # the pages outside the mix were not sent during the load: each worker's first ones are warmed
                # as --compare warms them (what a process loads once is not a request's cost)
                page_costs(base, info, proc.pid, url, 2 * workers, seed=7, timeout=600)
                trivial: list = []
                result["serial"] = serial_costs(base, info, proc.pid, url, serial, trivial=trivial)
                result["serial_pages"] = page_costs(base, info, proc.pid, url, max(1, serial // 20),
                                                    trivial=trivial)
                result["serial_trivial"] = _means(trivial)
        result["database"] = size
        result["prepare"] = {k: v for k, v in info.items() if k.endswith("_s")}
        result["search_index"] = info.get("search_index")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep_db:
            drop_database(name)


def compare_costs(n: int, roots: list[Path], serial: int = 120, rounds: int = 2, workers: int = 4, threads: int = 8,
                  keep: Path | None = None, log=None) -> dict:
    """One catalog served by each source tree in `roots` in turn (`rounds` times, alternating), each kind costed
    one request at a time as `run_load --serial` does; no mixed load. Two versions of the portal (main and a
    branch) are so compared on the same rows, in the same minutes of a shared machine: their ratios to
    /health/live are comparable even when the absolute figures drift with what else runs.

    `keep`: a folder where the catalog (its database name, archive and search index) is kept, and found again
    by the next run with the same folder instead of being generated anew."""
    log = log or (lambda *args: print(*args, flush=True))
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-costs-"))
    work.mkdir(parents=True, exist_ok=True)
    info_path = work / "info.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        log(f"catalog: {info['datasets']:,} datasets kept in {work} (database {info['db_name']})")
    else:
        name = f"opendata_bench_costs_{os.getpid()}"
        url = create_database(name)
        (work / "archive").mkdir(exist_ok=True)
        t0 = time.perf_counter()
        info = prepare(url, n, work / "archive", index_dir=work / "search")
        info.update(url=url, db_name=name, gzip=False)
        log(f"catalog: {n:,} datasets generated and indexed in {time.perf_counter() - t0:.1f} s")
        if keep:
            info_path.write_text(json.dumps(info))
    url = info["url"]
    out: dict = {"datasets": info["datasets"], "roots": [str(r) for r in roots], "runs": []}
    try:
        for r in range(rounds):
            for i, root in enumerate(roots):
                instance = work / f"instance-{i}"
                instance.mkdir(exist_ok=True)
                if not (instance / "search").exists():  # another schema version rebuilds it on its first search
                    shutil.copytree(work / "search", instance / "search")
                with portal(url, work / "archive", instance, workers=workers, threads=threads, root=root) as (
                        base, proc):
                    # every worker's first requests of a kind load what is loaded once (a reader's imports, a
                    # file's kept rows): not measured; each kind is sent 4 x workers times first
                    warm_kinds(base, info, proc.pid, url, 4 * workers, timeout=600)
                    page_costs(base, info, proc.pid, url, 2 * workers, seed=7, timeout=600)
                    last = max(1, -(-info["datasets"] // 100))
                    for k in range(2 * workers):  # deep DCAT pages too: a process reads what it pages from once
                        _cost(base, f"/catalog.ttl?page={max(1, last - k)}", [proc.pid], url, 600)
                    load0 = os.getloadavg()
                    trivial: list = []
                    run = {"root": str(root), "round": r, "load_start": load0,
                           "serial": serial_costs(base, info, proc.pid, url, serial, trivial=trivial),
                           "serial_pages": page_costs(base, info, proc.pid, url, max(1, serial // 20),
                                                      trivial=trivial),
                           "serial_trivial": _means(trivial), "load_end": os.getloadavg()}
                out["runs"].append(run)
                log(compare_report({**out, "runs": [run]}))
        return out
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
            drop_database(info["db_name"])


def _ratios(run: dict) -> dict[str, float]:
    live = run["serial_trivial"]
    base_ms = live["app_cpu_ms"] + live["db_cpu_ms"]
    return {kind: (c["app_cpu_ms"] + c["db_cpu_ms"]) / base_ms if base_ms > 0 else float("nan")
            for kind, c in [*run["serial"].items(), *run["serial_pages"].items()] if c["requests"]}


def compare_report(r: dict) -> str:
    """Each run's costs per kind (app ms, db ms, multiple of /health/live's), then the multiples side by side."""
    lines = []
    for run in r["runs"]:
        live = run["serial_trivial"]
        lines.append(f"{run['root']} (round {run['round'] + 1}), {r['datasets']:,} datasets; load average "
                     f"{' / '.join(f'{v:.2f}' for v in run['load_start'])} at start, "
                     f"{' / '.join(f'{v:.2f}' for v in run['load_end'])} at end")
        ratios = _ratios(run)
        for kind, c in [*run["serial"].items(), *run["serial_pages"].items()]:
            if c["requests"]:
                lines.append(f"  {kind:11s} {c['requests']:4d} requests {c['wall_ms']:8.1f} ms wall "
                             f"{c['app_cpu_ms']:8.1f} ms app {c['db_cpu_ms']:8.1f} ms db {ratios[kind]:6.1f}x")
        lines.append(f"  {TRIVIAL} {live['requests']} requests {live['wall_ms']:.2f} ms wall "
                     f"{live['app_cpu_ms']:.2f} ms app {live['db_cpu_ms']:.2f} ms db")
    if len(r["runs"]) > 1:
        table = [_ratios(run) for run in r["runs"]]
        kinds = list(dict.fromkeys(k for t in table for k in t))
        lines.append("CPU (app + db) as a multiple of /health/live's, run by run: "
                     + ", ".join(f"[{i + 1}] {run['root']} round {run['round'] + 1}"
                                 for i, run in enumerate(r["runs"])))
        lines.append(f"  {'kind':11s} " + " ".join(f"{'[' + str(i + 1) + ']':>7s}" for i in range(len(table))))
        for kind in kinds:
            lines.append(f"  {kind:11s} " + " ".join(f"{t.get(kind, float('nan')):7.1f}" for t in table))
    return "\n".join(lines)


def worker_memory(master: int) -> list[dict[str, float]]:
    """Each gunicorn worker's memory (MB), from /proc/<pid>/status: resident in all, its own (anonymous), and
    mapped from files (the search index's segments and the libraries: the OS page cache, shared by workers)."""
    out = []
    for pid in _children(master):
        fields = {}
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    name, _, value = line.partition(":")
                    if name in ("VmRSS", "RssAnon", "RssFile"):
                        fields[name] = int(value.split()[0]) / 1024
        except OSError:
            continue
        out.append({"pid": pid, "rss_mb": fields.get("VmRSS", 0.0), "anon_mb": fields.get("RssAnon", 0.0),
                    "file_mb": fields.get("RssFile", 0.0)})
    return out


def _pg_backends(url: str) -> list[int]:
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    engine = dbmod.make_engine(url)
    with engine.connect() as conn:
        pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()")).all()
    engine.dispose()
    return [p for p in pids if os.path.exists(f"/proc/{p}")]


def report(r: dict) -> str:
    secs = r["seconds"]
    lines = [f"{r['datasets']:,} datasets on PostgreSQL, gunicorn {r['workers']} workers x {r['threads']} threads "
             f"(gthread), {r['clients']} clients for {secs:.0f} s, no think time"
             + (", clients accept gzip" if r.get("gzip") else ", clients send no Accept-Encoding"),
             f"{'kind':11s} {'requests':>9s} {'req/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} "
             f"{'max ms':>8s} {'errors':>7s}"]
    for kind, s in [*r["kinds"].items(), ("overall", r["overall"])]:
        lines.append(f"{kind:11s} {s['requests']:9,d} {s['rps']:8.1f} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} "
                     f"{s['p99_ms']:8.1f} {s['max_ms']:8.1f} {s['errors']:7d}")
    cores = r["cpus"]
    lines.append(f"throughput {r['overall']['rps']:.1f} req/s, {r['bytes'] / secs / 1e6:.2f} MB/s; errors: "
                 f"{r['overall']['errors']}" + (f" (e.g. {r['error_samples'][0]})" if r["error_samples"] else ""))
    lines.append(f"CPU while measuring ({cores} cores): machine {r['machine_busy'] * 100:.0f}% busy; gunicorn "
                 f"{r['server_cpu_s'] / secs:.2f} cores, PostgreSQL {r['postgres_cpu_s'] / secs:.2f} cores, load "
                 f"generator {r['generator_cpu_s'] / secs:.2f} cores (its own process); load average "
                 f"{r['load_start']:.2f} at start, {r['load_end']:.2f} at end")
    if r.get("worker_memory"):
        mem = r["worker_memory"]
        lines.append("memory of each gunicorn worker after the load (MB, resident / its own / mapped from files, "
                     "the index's segments and libraries shared through the page cache): "
                     + ", ".join(f"{m['rss_mb']:.0f} / {m['anon_mb']:.0f} / {m['file_mb']:.0f}" for m in mem)
                     + (f"; search index {r['search_index']['bytes'] / 1e6:.0f} MB on disk"
                        if r.get("search_index") else ""))
    done = max(1, r["overall"]["requests"] + r["overall"]["errors"])
    per = (r["server_cpu_s"] + r["postgres_cpu_s"]) / done
    lines.append(f"CPU per request (less sensitive than latency to what else runs): gunicorn "
                 f"{r['server_cpu_s'] / done * 1000:.0f} ms + PostgreSQL {r['postgres_cpu_s'] / done * 1000:.0f} ms; "
                 f"so about {1 / per if per else float('nan'):.1f} req/s per core given to both for this mix")
    if r.get("serial"):
        lines.append("one request at a time (no queueing), mean per kind: wall, gunicorn CPU, PostgreSQL CPU")
        mix = 0.0
        for kind, c in r["serial"].items():
            lines.append(f"  {kind:11s} {c['requests']:4d} requests {c['wall_ms']:8.1f} ms wall "
                         f"{c['app_cpu_ms']:8.1f} ms app {c['db_cpu_ms']:8.1f} ms db")
            mix += WEIGHTS[kind] / sum(WEIGHTS.values()) * (c["app_cpu_ms"] + c["db_cpu_ms"])
        lines.append(f"  weighted by the mix: {mix:.0f} ms of CPU a request, about {1000 / mix if mix else 0:.1f} "
                     "req/s per core")
        for kind, c in (r.get("serial_pages") or {}).items():
            lines.append(f"  {kind:11s} {c['requests']:4d} requests {c['wall_ms']:8.1f} ms wall "
                         f"{c['app_cpu_ms']:8.1f} ms app {c['db_cpu_ms']:8.1f} ms db")
        live = r.get("serial_trivial")
        if live and live["requests"]:
            base_ms = live["app_cpu_ms"] + live["db_cpu_ms"]
            lines.append(f"  {TRIVIAL} (the trivial request, after each of the above) {live['requests']} requests "
                         f"{live['wall_ms']:.2f} ms wall {live['app_cpu_ms']:.2f} ms app {live['db_cpu_ms']:.2f} ms db")
            ratios = ", ".join(f"{kind} {(c['app_cpu_ms'] + c['db_cpu_ms']) / base_ms:.0f}x"
                               for kind, c in [*r["serial"].items(), *(r.get("serial_pages") or {}).items()]
                               if c["requests"]) if base_ms > 0 else "n/a (it took no measurable CPU)"
            lines.append(f"  CPU (app + db) as a multiple of {TRIVIAL}'s: {ratios}")
    db = r.get("database")
    if db:
        n = r["datasets"]
        lines.append(f"database: {db['database_bytes'] / 1e6:.0f} MB ({db['database_bytes'] / n / 1024:.1f} KiB "
                     f"per dataset with 3 distributions, indexes and search index included)")
        for name, t in db["tables"].items():
            if t["total_bytes"] >= 1e6:
                lines.append(f"  {name:24s} {t['rows']:>9,d} rows {t['total_bytes'] / 1e6:8.1f} MB total "
                             f"({t['heap_bytes'] / 1e6:.1f} MB heap), {t['total_bytes'] / n:6.0f} B per dataset")
    real = r.get("records")
    if real:
        per = ", ".join(f"{name} {t['avg_row_bytes']:.0f} B ({t['rows']} rows)" for name, t in real["tables"].items())
        lines.append(f"real records (data_samples harvested and assessed on PostgreSQL, average row incl. TOAST, "
                     f"indexes excluded): {per}; archive {real['archive']['files']} files, "
                     f"{real['archive']['bytes'] / 1e3:.0f} kB; assessing its {real['datasets']} datasets (link "
                     f"checks on a local server, profiling, scoring) took {real['assess_s']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--drive":
        base, info_path, clients, seconds, timeout = argv[1:6]
        with open(info_path, encoding="utf-8") as fh:
            info = json.load(fh)
        print(json.dumps(drive(base, info, int(clients), float(seconds), float(timeout))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before measuring")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds after which a request is an error")
    parser.add_argument("--serial", type=int, default=120, help="requests sent one at a time after the load, "
                        "to cost each kind alone (0: none)")
    parser.add_argument("--gzip", action="store_true", help="clients send Accept-Encoding: gzip, as browsers do "
                        "(bytes are then the compressed bytes, and the server's CPU includes compressing)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    parser.add_argument("--compare", nargs="+", type=Path, metavar="ROOT", help="no mixed load: serve one catalog "
                        "from each of these source trees in turn (e.g. an export of main and this checkout) and cost "
                        "each kind one request at a time (--serial requests, --rounds times)")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: how many times each tree is costed")
    parser.add_argument("--keep", type=Path, help="with --compare: keep the catalog in this folder (and its "
                        "database), or use the one kept there")
    args = parser.parse_args(argv)
    if args.compare:
        result = compare_costs(args.datasets, [p.resolve() for p in args.compare], serial=args.serial,
                               rounds=args.rounds, workers=args.workers, threads=args.threads, keep=args.keep)
        if len(result["runs"]) > 1:  # each run was printed as it ended: now the multiples side by side
            print(compare_report(result).split("CPU (app + db)", 1)[1].join(["CPU (app + db)", ""]))
        if args.json:
            print(json.dumps(result))
        return 0
    result = run_load(args.datasets, args.clients, args.seconds, args.workers, args.threads, warmup=args.warmup,
                      timeout=args.timeout, keep_db=args.keep_db, serial=args.serial, gzip=args.gzip)
    result["records"] = record_sizes()
    print(report(result))
    if args.json:
        print(json.dumps(result))
    return 1 if result["overall"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
