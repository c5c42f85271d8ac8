"""Benchmark: how much the database grows per daily harvest, as a share of one catalog copy.

Serves N CKAN packages shaped like the real Birmingham ones (bench.harvest.make_packages) from a local
Action API, harvests them once (round 0: the catalog copy), then runs R more rounds, each changing 2% of the
packages (a new title and metadata_modified) and harvesting again as the scheduler does (incremental), and,
with --prune, `opendata prune`'s history retention (HARVEST_JOB_RETENTION_COUNT, default 7) after each round.
Prints the database size after each round and the growth per round as a percentage of the size round 0
added (issue 19's goal: under 5%), on SQLite (the file's used pages) and PostgreSQL (pg_database_size, after
VACUUM so freed rows are counted as free), with the load average.

    .venv/bin/python -m bench.history [--datasets 20000] [--rounds 30] [--churn 0.02] [--keep-jobs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.harvest import PG_ADMIN, make_packages, serve


def _sqlite_used(engine) -> int:
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()
        free = conn.execute(text("PRAGMA freelist_count")).scalar()
        size = conn.execute(text("PRAGMA page_size")).scalar()
    return (pages - free) * size


def _pg_size(engine) -> int:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar()


def _pg_database(name: str) -> str | None:
    from catalog_schema.db import make_engine

    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: SQLite only
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}): SQLite only")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def run(db_url: str, packages: list[dict], rounds: int, churn: float, keep_jobs: int, prune: bool) -> dict:
    from app import settings
    from app.jobs import Runtime, harvest
    from app.services import history
    from app.services.context import Actor
    from catalog_schema.db import make_engine, upgrade
    from catalog_schema.models import HarvestSource

    upgrade(db_url)
    engine = make_engine(db_url)
    measure = _pg_size if db_url.startswith("postgresql") else _sqlite_used
    empty = measure(engine)
    values = settings.load({})
    values.update(DATABASE_URL=db_url, ALLOW_HOSTS=["127.0.0.1"], ASSESS_AFTER_HARVEST=False)
    rt = Runtime(values)
    rng = random.Random(7)
    sizes, times = [], []
    httpd, url = serve(packages)
    with rt.sessionmaker() as s:
        s.add(HarvestSource(name="bench", type="ckan", url=url, schedule="daily"))
        s.commit()
    try:
        for day in range(rounds + 1):
            if day:
                for pkg in rng.sample(packages, max(1, int(len(packages) * churn))):
                    pkg["title"] = f"{pkg['title'].split(' (rev')[0]} (rev {day})"
                    pkg["metadata_modified"] = f"2026-01-{1 + day % 28:02d}T{day % 24:02d}:00:00.{day:06d}"
                httpd.shutdown()
                httpd, url = serve(packages)
                with rt.sessionmaker() as s:
                    s.query(HarvestSource).filter_by(name="bench").update({"url": url})
                    s.commit()
            start = time.perf_counter()
            summary = harvest(rt, "bench")
            if summary.status != "finished":
                raise RuntimeError(f"round {day}: {summary}")
            if prune and day:
                with rt.sessionmaker() as s:
                    history.prune(Actor(s, None, "bench"), history.HistoryRetention(jobs=keep_jobs))
            times.append(time.perf_counter() - start)
            sizes.append(measure(engine))
            print(f"  round {day:2d}: {sizes[-1] / 1e6:8.2f} MB, updated {summary.updated}, "
                  f"unchanged {summary.unchanged}, {times[-1]:.1f} s", flush=True)
    finally:
        httpd.shutdown()
        rt.close()
        engine.dispose()
    copy = sizes[0] - empty
    growth = [(b - a) / copy * 100 for a, b in zip(sizes, sizes[1:], strict=False)]
    return {"copy_mb": copy / 1e6, "final_mb": sizes[-1] / 1e6, "mean_growth_pct": sum(growth) / len(growth),
            "max_growth_pct": max(growth), "last_growth_pct": growth[-1], "round_s": sum(times[1:]) / rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--churn", type=float, default=0.02)
    parser.add_argument("--keep-jobs", type=int, default=7)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'history.db'}")]
        if not args.skip_postgres:
            pg = _pg_database(f"opendata_bench_history_{os.getpid()}")
            if pg:
                targets.append(("PostgreSQL", pg))
        for name, url in targets:
            for prune in (False, True):
                label = f"{name}, {'prune keeping ' + str(args.keep_jobs) + ' jobs' if prune else 'no prune'}"
                print(f"{label}: {args.datasets:,} datasets, {args.rounds} rounds, {args.churn:.0%} changed a round")
                db = url if not prune else (url.replace("history.db", "history-pruned.db") if name == "SQLite"
                                            else _pg_database(f"opendata_bench_history_p_{os.getpid()}"))
                results.append((label, run(db, make_packages(args.datasets), args.rounds, args.churn,
                                           args.keep_jobs, prune)))
    print(f"load average after: {os.getloadavg()}")
    print("\n| database | one catalog copy | after the rounds | growth a round: mean | max | last | round |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, r in results:
        print(f"| {label} | {r['copy_mb']:.1f} MB | {r['final_mb']:.1f} MB | {r['mean_growth_pct']:.2f}% | "
              f"{r['max_growth_pct']:.2f}% | {r['last_growth_pct']:.2f}% | {r['round_s']:.1f} s |")


if __name__ == "__main__":
    main()
