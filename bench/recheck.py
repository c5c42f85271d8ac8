"""Benchmark: a weekly re-assessment with 5% of the files changed, against a full re-assessment (issue 19).

Builds a catalog of N datasets, each with one CSV (--rows, 5,000 by default: 6 columns, about 250 kB, the
size of a typical statistics table) on a local file server (HTTP/1.1, connections kept alive) that sends
ETags and answers If-None-Match with 304, and assesses it once (the catalog as it stands). Then, back to back
in one run:

1. full: 5% of the files changed at the source, then every link downloaded and every file read again, as
   before the cheap re-checks (the facts cache emptied and the stored validators cleared first: no 304, no
   reuse);
2. weekly: another 5% changed, then the whole catalog re-assessed as the scheduler does (conditional GETs,
   facts reused for files whose sha256 did not change).

Each run starts with what the process keeps in memory of the files it read emptied (`another_process`), as the
scheduler's process holds nothing of a file read a week before in a catalog of the issue's 100,000 datasets.

Both runs meet the same number of changed files, whose new versions are compared with the old ones and
loaded into the row store: that work is the same on both sides.

Both sides are timed in wall-clock and in this process's CPU (the file server runs in its own process), on
the same database (SQLite by default, PostgreSQL with --postgres), with the load average before and after.
Issue 19's goal: the weekly run costs under 10% of the full one.

    .venv/bin/python -m bench.recheck [--datasets 5000] [--changed 0.05] [--postgres]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select, update

ROWS = 5000


def body(k: int, version: int, rows: int | None = None) -> bytes:
    rnd = random.Random(k * 1000 + version)
    lines = ["id,district,year,population,area_km2,updated"]
    lines += [f"{i},District {rnd.randint(1, 90)},{2000 + i % 25},{rnd.randint(1000, 900000)},"
              f"{rnd.uniform(1, 900):.2f},2026-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(rows or ROWS)]
    return ("\n".join(lines) + "\n").encode()


def files_handler(versions):
    """The file server's handler: /f<k>.csv is file k at version versions[k], with an ETag, answered 304 when
    the client's If-None-Match is that ETag."""
    class Files(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            k = int(self.path.strip("/").split(".")[0][1:])
            etag = f'"{k}-{versions[k]}"'  # a server answers a 304 without making the file (as a real one does)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            data = body(k, versions[k])
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    # HTTP/1.1 (every answer has its length, a 304 none): connections kept alive between requests, as an
    # agency's web server keeps them; http.server's default, HTTP/1.0, closes each one after its answer
    Files.protocol_version = "HTTP/1.1"
    return Files


def _serve(port_box, versions) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), files_handler(versions))
    server.daemon_threads = True
    port_box.value = server.server_port
    server.serve_forever()


def _catalog(rt, base: str, n: int) -> list[str]:
    from catalog_schema.record import new_distribution, new_record
    from catalog_schema.store import save_record

    ids = []
    with rt.sessionmaker() as session:
        for k in range(n):
            rec = new_record(slug=f"bench-{k}", title={"en": f"Population by district {k}"}, license="CC-BY-4.0",
                             description={"en": "Population and area of each district, by year."},
                             publisher={"slug": f"dept-{k % 20}", "name": {"en": f"Department {k % 20}"}},
                             distributions=[new_distribution(format="CSV", download_url=f"{base}/f{k}.csv")])
            ds, _ = save_record(session, rec)
            ids.append(ds.id)
            if k % 1000 == 999:
                session.commit()
        session.commit()
    return ids


def _logged(rt) -> int:
    """The highest change number of the catalog's change log: what a search index catches up from."""
    from sqlalchemy import text

    with rt.sessionmaker() as session:
        return int(session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes")) or 0)


def _sent_to_index(rt, since: int) -> int:
    """How many datasets a run sent to be indexed again (logged as changed after `since`)."""
    from sqlalchemy import text

    with rt.sessionmaker() as session:
        return int(session.scalar(text("SELECT count(*) FROM search_changes WHERE seq > :s"), {"s": since}))


def _timed(label: str, fn) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    prof = os.environ.get("BENCH_PROFILE")  # a directory: each run's cProfile statistics kept there
    if prof:
        import cProfile

        profiler = cProfile.Profile()
        profiler.runcall(fn)
        profiler.dump_stats(os.path.join(prof, "-".join(label.replace("%", "").split()).strip("()") + ".prof"))
    else:
        fn()
    out = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    print(f"  {label}: {out['wall_s']:.2f} s wall, {out['cpu_s']:.2f} s CPU", flush=True)
    return out


def runtime(db_url: str, work: Path):
    """A migrated catalog at `db_url` with its instance and archive in `work`, fetching from this machine only."""
    from app import settings
    from app.jobs import Runtime
    from catalog_schema.db import upgrade

    upgrade(db_url)
    values = settings.load({})
    values.update({"DATABASE_URL": db_url, "ALLOW_HOSTS": ["127.0.0.1"], "INSTANCE_DIR": str(work),
                   "ARCHIVE_DIR": str(work / "archive"), "HTTP_RETRIES": 0})
    return Runtime(values)


def another_process() -> None:
    """Empty what this process keeps of the files it read (CSV layouts, inferred columns, the row store's table
    metadata) before a timed run: each run is the week after in the scheduler's process, which at the issue's
    100,000 datasets holds nothing of a week-old file (its caches keep a thousand). Kept, a run of a thousand
    datasets read the layouts of the run before from memory, and the full run's files were read without their
    scan (about a fifth of a read)."""
    from app.datastore import load
    from app.export import convert
    from quality.tabular import csvfile

    csvfile._LAYOUTS.clear()
    convert._KNOWN_COLUMNS.clear()
    load._META_CACHE.clear()


def run(db_url: str, n: int, changed: float, work: Path) -> dict:
    from app.jobs import assess
    from catalog_schema.models import Distribution
    from quality import facts_cache

    # spawned, not forked: a fork of a process with threads (a test runner's, the row store's watchdog) can
    # leave the child holding a lock no thread will release, and the file server never starts
    spawn = multiprocessing.get_context("spawn")
    versions = spawn.Array("i", n, lock=False)
    port = spawn.Value("i", 0)
    server = spawn.Process(target=_serve, args=(port, versions), daemon=True)
    server.start()
    started = time.monotonic()
    while not port.value:
        if not server.is_alive() or time.monotonic() - started > 60:
            server.terminate()
            raise RuntimeError(f"the benchmark's file server did not start (exit code {server.exitcode})")
        time.sleep(0.05)
    rt = runtime(db_url, work)
    try:
        ids = _catalog(rt, f"http://127.0.0.1:{port.value}", n)
        first = _timed("first assessment (the catalog as it stands)", lambda: assess(rt, ids))

        def forget_everything():
            another_process()
            shutil.rmtree(work / "archive" / facts_cache.FOLDER, ignore_errors=True)
            with rt.sessionmaker() as session:
                session.execute(update(Distribution).values(etag=None, last_modified_header=None))
                session.commit()

        rng = random.Random(19)

        def change_some():
            for k in rng.sample(range(n), int(n * changed)):
                versions[k] += 1

        change_some()  # both runs meet the same share of changed files (new versions to compare and load)
        forget_everything()
        since = _logged(rt)
        full = _timed(f"full re-assessment ({changed:.0%} changed; every file downloaded and read)",
                      lambda: assess(rt, ids))
        full["indexed"], since = _sent_to_index(rt, since), _logged(rt)
        change_some()
        another_process()
        weekly = _timed(f"weekly re-assessment ({changed:.0%} changed)", lambda: assess(rt, ids))
        weekly["indexed"], since = _sent_to_index(rt, since), _logged(rt)
        with rt.sessionmaker() as session:  # what the weekly run's link checks answered
            statuses = dict.fromkeys(("ok", "unchanged", "broken", "error"), 0)
            for status in session.scalars(select(Distribution.check_status)):
                statuses[status] = statuses.get(status, 0) + 1
        another_process()
        quiet = _timed("weekly re-assessment (nothing changed)", lambda: assess(rt, ids))
        quiet["indexed"] = _sent_to_index(rt, since)
    finally:
        rt.close()
        server.terminate()
    return {"first": first, "full": full, "weekly": weekly, "quiet": quiet, "statuses": statuses,
            "ratio_wall": weekly["wall_s"] / full["wall_s"], "ratio_cpu": weekly["cpu_s"] / full["cpu_s"]}


def main() -> None:
    global ROWS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of each CSV")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL (OPENDATA_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    ROWS = args.rows
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-recheck-") as tmp:
        work = Path(tmp)
        if args.postgres:
            from bench.history import _pg_database

            db_url = _pg_database("opendata_bench_recheck")
            if db_url is None:
                return
        else:
            db_url = f"sqlite:///{work / 'catalog.db'}"
        label = "PostgreSQL" if args.postgres else "SQLite"
        size = len(body(0, 0)) / 1e3
        print(f"{label}: {args.datasets:,} datasets, one CSV of {args.rows:,} rows each ({size:.0f} kB), "
              f"{args.changed:.0%} changed")
        r = run(db_url, args.datasets, args.changed, work)
    print(f"load average after: {os.getloadavg()}")
    print(f"after the weekly run: {r['statuses']['ok']} downloaded again, {r['statuses']['unchanged']} answered 304")
    # work the runs leave the search index (not timed here): each dataset logged as changed is indexed again
    print(f"datasets sent to the search index again: full {r['full']['indexed']}, weekly {r['weekly']['indexed']}, "
          f"nothing changed {r['quiet']['indexed']}")
    quiet_cpu = r["quiet"]["cpu_s"] / r["full"]["cpu_s"]
    print("\n| database | datasets | full re-assessment (wall, CPU) | weekly, 5% changed | weekly / full (wall, "
          "CPU) | nothing changed / full (CPU) |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {label} | {args.datasets:,} | {r['full']['wall_s']:.1f} s, {r['full']['cpu_s']:.1f} s | "
          f"{r['weekly']['wall_s']:.1f} s, {r['weekly']['cpu_s']:.1f} s | {r['ratio_wall']:.1%}, "
          f"{r['ratio_cpu']:.1%} | {quiet_cpu:.1%} |")
    print()
    print(per_file(r, args.datasets, int(args.datasets * args.changed)))


def per_file(r: dict, n: int, changed: int) -> str:
    """The CPU of one dataset of each kind, from the three runs: an unchanged one (the run where nothing changed),
    a changed file (the weekly run less its unchanged datasets), a file read again in the full run (the full run
    less its changed files), and the changed file's cost under which the weekly run would be 10% of the full one
    at that unchanged cost (issue 19's goal): share s changed, u unchanged, r read again, c changed,
    s c + (1 - s) u < 0.1 ((1 - s) r + s c)  <=>  c < (1 - s) (0.1 r - u) / (0.9 s)."""
    if not changed or changed >= n:
        return "per file: needs some changed files and some unchanged ones"
    share = changed / n
    u = r["quiet"]["cpu_s"] / n
    c = (r["weekly"]["cpu_s"] - (n - changed) * u) / changed
    again = (r["full"]["cpu_s"] - changed * c) / (n - changed)
    bound = (1 - share) * (0.1 * again - u) / (0.9 * share)
    return (f"per file (CPU): an unchanged dataset {u * 1e3:.2f} ms, a changed file {c * 1e3:.1f} ms, a file read "
            f"again in the full run {again * 1e3:.1f} ms; the weekly run is under 10% of the full one when a "
            f"changed file costs under {bound * 1e3:.1f} ms at this unchanged cost")


if __name__ == "__main__":
    main()
