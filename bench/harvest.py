"""Benchmark: harvest throughput from a local CKAN-compatible server vs the raw download.

Generates N CKAN package dicts shaped like the real Birmingham ones (tests/fixtures/real/ckan),
serves them from a local Action API on 127.0.0.1, then in the same run:

1. downloads every page with ckanapi alone (`package_search`, 100 rows a page): the raw cost;
2. harvests the source into SQLite, then into PostgreSQL (when reachable), each in a subprocess
   so its peak memory (ru_maxrss) is its own, with the raw download again after each (a harvest's ratio is
   against the mean of the downloads just before and after it), then harvests it again (a full run: every page read
   again, every record unchanged, so none is mapped or written: the payload hash);
3. harvests N/4 packages too, to show peak memory does not grow with the catalog;
4. with `--phases`, harvests once more into SQLite with timers around each step (reading the source's pages,
   mapping and checking, writing rows, committing; the pages read in turn, not ahead) and prints what each costs a
   record: where the time goes;
5. with `--latency MS`, each page is answered after MS milliseconds (a portal across a network), for both sides.

Prints datasets/s, the ratio harvest time / raw download time (our overhead; the target of issue 14 is
at most 5x), the same for the unchanged re-harvest, peak memory and the load average.

    .venv/bin/python -m bench.harvest [--packages 20000] [--skip-postgres] [--phases] [--latency MS]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/real/ckan/birmingham_package_search.json"
PG_ADMIN = os.environ.get("OPENDATA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_packages(n: int) -> list[dict]:
    """n packages shaped like the real ones: real fields and values, unique ids and names, 1-4 resources."""
    base = json.loads(FIXTURE.read_text("utf-8"))["result"]["results"]
    out = []
    for i in range(n):
        pkg = copy.deepcopy(base[i % len(base)])
        pkg["id"] = str(uuid.UUID(int=i + 1))
        pkg["name"] = f"{pkg['name'][:80]}-{i}"
        pkg["title"] = f"{pkg['title']} {i}"
        pkg["metadata_modified"] = f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:{i % 60:02d}.{i:06d}"
        resources = pkg.get("resources") or []
        pkg["resources"] = resources[: 1 + i % 4]
        for j, res in enumerate(pkg["resources"]):
            res["id"] = str(uuid.UUID(int=(i + 1) * 100 + j))
            res["package_id"] = pkg["id"]
        pkg["num_resources"] = len(pkg["resources"])
        org = f"dept-{i % 40}"
        pkg["organization"] = {**(pkg.get("organization") or {}), "name": org, "title": f"Department {i % 40}",
                               "id": str(uuid.UUID(int=10**9 + i % 40))}
        pkg["owner_org"] = pkg["organization"]["id"]
        out.append(pkg)
    return out


def serve(packages: list[dict], latency: float = 0.0):
    """A minimal CKAN package_search over the packages, pages pre-sorted (the server is not what we measure);
    `latency`: seconds each answer waits before it is sent, as a portal across a network does."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread
    from urllib.parse import parse_qs, urlsplit

    ordered = sorted(packages, key=lambda p: (p["metadata_modified"], p["id"]))
    encoded = [json.dumps(p) for p in ordered]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if latency:
                time.sleep(latency)
            parts = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            start, rows = int(q.get("start", 0)), min(int(q.get("rows", 10)), 1000)
            page = ",".join(encoded[start:start + rows])
            body = f'{{"help": "", "success": true, "result": {{"count": {len(encoded)}, "results": [{page}]}}}}'
            body = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def raw_download(url: str) -> tuple[float, int]:
    from ckanapi import RemoteCKAN

    start, seen, count = time.perf_counter(), 0, None
    with RemoteCKAN(url, get_only=True) as ckan:
        while count is None or seen < count:
            result = ckan.action.package_search(q="*:*", rows=100, start=seen, sort="metadata_modified asc")
            count = result["count"]
            if not result["results"]:
                break
            seen += len(result["results"])
    return time.perf_counter() - start, seen


def timed_raw_download(url: str, size: int) -> float:
    raw, seen = raw_download(url)
    assert seen == size, (seen, size)
    return raw


#: Timers the `--phases` run puts around each step of a harvest (in the harvest's own process): the step's wall
#: time, summed over the harvest. Reading the pages is timed inside the gather (each package the harvester
#: yields, the page it came with); "what the catalog holds" the one query a batch reads before mapping; "rows and
#: inserts" the store's import of a batch (the rows' values, the database's inserts); "commits" each commit. The
#: pages are read in turn there, not ahead on a thread: two threads' steps would each be timed with the other's share
#: of Python's lock in it.
PHASE_TIMERS = """
import time
from catalog_schema import harvest_store
from harvesters import base, ckan
from sqlalchemy.orm import Session
from catalog_schema import search
PHASES = {"reading the pages": 0.0, "what the catalog holds": 0.0, "mapping and checks": 0.0, "rows and inserts": 0.0,
          "search-change log": 0.0, "commits": 0.0}

def timed(name, fn):
    def wrapper(*args, **kw):
        start = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            PHASES[name] += time.perf_counter() - start
    return wrapper

def timed_gather(gather):
    def wrapper(self):
        items = gather(self)
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                PHASES["reading the pages"] += time.perf_counter() - start
                return
            PHASES["reading the pages"] += time.perf_counter() - start
            yield item
    return wrapper

def serial(items, **_kw):  # the pages read in turn, as before the read ahead: each step's time its own, not shared
    yield from items         # with a second thread's (harvesters/readahead.py)

base.read_ahead = serial
base._prepare = timed("mapping and checks", base._prepare)
harvest_store.import_records = timed("rows and inserts", harvest_store.import_records)
harvest_store.known_records = timed("what the catalog holds", harvest_store.known_records)
search.log_dataset_changes = timed("search-change log", search.log_dataset_changes)
Session.commit = timed("commits", Session.commit)
ckan.CkanHarvester.gather = timed_gather(ckan.CkanHarvester.gather)
"""


def harvest_in_subprocess(db_url: str, url: str, *, phases: bool = False) -> dict:
    timers = PHASE_TIMERS if phases else "PHASES = None"
    code = f"""
import json, resource, time
{timers}
from app import settings
from app.jobs import Runtime, harvest
from catalog_schema.db import upgrade
from catalog_schema.models import HarvestSource
upgrade({db_url!r})
values = settings.load({{}})
values.update(DATABASE_URL={db_url!r}, ALLOW_HOSTS=["127.0.0.1"], ASSESS_AFTER_HARVEST=False)
rt = Runtime(values)
with rt.sessionmaker() as s:
    s.add(HarvestSource(name="bench", type="ckan", url={url!r}))
    s.commit()
start = time.perf_counter()
summary = harvest(rt, "bench").to_dict()
elapsed = time.perf_counter() - start
phases = dict(PHASES) if PHASES is not None else None
start = time.perf_counter()
again = harvest(rt, "bench", full=True).to_dict()
again_elapsed = time.perf_counter() - start
print(json.dumps({{"elapsed": elapsed, "summary": summary, "again_elapsed": again_elapsed, "again": again,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "phases": phases}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_url(name: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server: report and go on
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipping it")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(n: int, skip_postgres: bool, phases: bool = False, latency: float = 0.0) -> dict:
    results: dict = {"packages": n, "load_before": os.getloadavg(), "latency": latency}
    for size, label in ((n, "full"), (max(1, n // 4), "quarter")):
        packages = make_packages(size)
        httpd, url = serve(packages, latency)
        try:
            raws = [timed_raw_download(url, size)]
            with tempfile.TemporaryDirectory() as tmp:
                lite = harvest_in_subprocess(f"sqlite:///{tmp}/bench.db", url)
            raws.append(timed_raw_download(url, size))
            # each harvest against the raw downloads just before and just after it: the host's speed drifts
            # (the same download took 1.27 s, then 1.73 s a minute later), and a ratio is only a figure when its
            # two sides ran under the same load
            lite["raw"] = (raws[-2] + raws[-1]) / 2
            results[f"sqlite_{label}"] = lite
            if not skip_postgres:
                pg_url = postgres_url(f"opendata_bench_{os.getpid()}")
                if pg_url:
                    try:
                        pg = harvest_in_subprocess(pg_url, url)
                    finally:
                        drop_postgres(f"opendata_bench_{os.getpid()}")
                    raws.append(timed_raw_download(url, size))
                    pg["raw"] = (raws[-2] + raws[-1]) / 2
                    results[f"postgres_{label}"] = pg
            if phases and label == "full":
                with tempfile.TemporaryDirectory() as tmp:
                    results["phases"] = harvest_in_subprocess(f"sqlite:///{tmp}/bench.db", url, phases=True)
            results[f"raw_{label}"] = raws
        finally:
            httpd.shutdown()
    results["load_after"] = os.getloadavg()
    return results


def report(r: dict) -> str:
    n = r["packages"]
    wait = f", each page answered after {r['latency'] * 1000:.0f} ms" if r.get("latency") else ""
    lines = [f"harvest of {n} CKAN packages from a local Action API (100 a page{wait}); {os.cpu_count()} cores, load "
             f"average {' / '.join(f'{x:.2f}' for x in r['load_before'])} before, "
             f"{' / '.join(f'{x:.2f}' for x in r['load_after'])} after",
             f"  raw download with ckanapi alone, before and after each harvest: "
             f"{', '.join(f'{x:.2f}' for x in r['raw_full'])} s ({n / min(r['raw_full']):.0f} datasets/s at best)"]
    for backend in ("sqlite", "postgres"):
        full = r.get(f"{backend}_full")
        if not full:
            continue
        quarter = r.get(f"{backend}_quarter")
        added = full["summary"]["added"]
        lines.append(f"  {backend:<8}: {full['elapsed']:.1f} s, {added / full['elapsed']:.0f} datasets/s, "
                     f"{full['elapsed'] / full['raw']:.2f}x the raw download around it ({full['raw']:.2f} s); "
                     f"peak memory {full['peak_mb']:.0f} MB "
                     f"(with {n // 4} packages: {quarter['peak_mb']:.0f} MB)")
        again = full["again"]
        lines.append(f"  {'':<8}  again, unchanged: {full['again_elapsed']:.1f} s, "
                     f"{again['unchanged'] / full['again_elapsed']:.0f} datasets/s, "
                     f"{full['again_elapsed'] / full['raw']:.2f}x the raw download "
                     f"[{again['status']}: unchanged {again['unchanged']}, added {again['added']}, "
                     f"updated {again['updated']}]")
    timed = r.get("phases")
    if timed:
        added = timed["summary"]["added"] or 1
        steps = timed["phases"]
        lines.append(f"  where a first harvest's time goes (SQLite, the pages read in turn, timers around each step; "
                     f"{timed['elapsed']:.1f} s "
                     f"in all, {timed['elapsed'] / added * 1e6:.0f} us a package):")
        for name, seconds in [*steps.items(), ("the rest", timed["elapsed"] - sum(steps.values()))]:
            lines.append(f"    {name:<24} {seconds:6.2f} s, {seconds / added * 1e6:5.0f} us a package")
        lines.append(f"    (the raw download: {min(r['raw_full']) / n * 1e6:.0f} us a package at best)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, default=20000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="milliseconds each page is answered after (a portal across a network); 0: at once")
    parser.add_argument("--phases", action="store_true",
                        help="harvest once more into SQLite with timers around each step, and say where the time goes")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    print(report(run(args.packages, args.skip_postgres, args.phases, args.latency / 1000)))


if __name__ == "__main__":
    main()
