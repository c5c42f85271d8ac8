"""Benchmark: CKAN `package_search` latency against the bare SQL it runs (issue 5), on SQLite and PostgreSQL.

Generates a catalog of N datasets (default 100,000, 3 distributions each, 50 publishers, varied
bilingual titles: `bench.export.generate` with `topic_title`) in a temporary SQLite database and in
a PostgreSQL database of its own (created at 127.0.0.1:5432, dropped at the end), indexes it for
search, then sends a mix of CKAN searches (English and Chinese words, fq organization:/res_format:/
tags:, facet.field, rows/start, sort) through the real Flask app (its test client: routing, the
CKAN translation, the search, the package dicts, the JSON envelope).

"Bare" is the same SQL without us: every statement a request sent to the database (captured
with SQLAlchemy's before_cursor_execute event, with its parameters) replayed on a raw DB-API
connection, rows fetched. Each query runs `--repeat` times (fewer, but at least 5, when a query
has used up `--budget` seconds), ours and bare alternating so both see the same machine load.
Prints p50/p99 per query and over the whole mix, and the ratios (target: ours at most 2x bare).

    .venv/bin/python -m bench.search [--datasets 100000] [--repeat 15] [--budget 10] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from urllib.parse import urlencode

FACETS = json.dumps(["organization", "res_format", "tags"])
#: (label, package_search parameters)
QUERIES = [
    ("q=traffic", {"q": "traffic", "rows": 10}),
    ("q=交通", {"q": "交通", "rows": 10}),
    ("q=空气质量 fq=organization", {"q": "空气质量", "fq": "organization:agency-3", "rows": 10}),
    ("q=bus ridership, title sort", {"q": "bus ridership", "rows": 20, "sort": "title_string asc"}),
    ("fq=res_format:CSV, modified", {"fq": "res_format:CSV", "rows": 20, "sort": "metadata_modified desc"}),
    ("fq=tags + res_format, start", {"fq": "tags:series-5 res_format:JSON", "rows": 10, "start": 20,
                                     "sort": "name asc"}),
    ("q=北京市 facets", {"q": "北京市", "rows": 10, "facet.field": FACETS}),
    ("facets only, rows=0", {"rows": 0, "facet.field": FACETS}),
    ("id asc paging, start=50000", {"rows": 100, "start": 50000, "sort": "id asc"}),
    ("q=budget fq=organization facets", {"q": "budget", "fq": "organization:agency-7", "rows": 10,
                                         "facet.field": json.dumps(["res_format", "license_id"])}),
]


def prepare(url: str, n: int) -> dict:
    """Generate and index the catalog; returns the seconds each step took."""
    from bench.export import generate, topic_title
    from catalog_schema import db as dbmod
    from catalog_schema import search

    t0 = time.perf_counter()
    generate(url, n, titles=topic_title)
    t1 = time.perf_counter()
    engine = dbmod.make_engine(url)
    with dbmod.make_sessionmaker(engine)() as session:
        search.reindex_all(session, batch=2000)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {"generate_s": t1 - t0, "index_s": time.perf_counter() - t1}


class Recorder:
    """The statements (with DB-API parameters) the app's engine sends while `on`."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.on = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            self.statements.append((statement, parameters))


def replay(raw, statements: list[tuple[str, object]]) -> float:
    """Seconds to run `statements` on the raw DB-API connection `raw`, fetching every row."""
    start = time.perf_counter()
    cursor = raw.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description is not None:
            cursor.fetchall()
    cursor.close()
    raw.rollback()
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    from bench.load import percentile as nearest_rank

    return nearest_rank(sorted(values), p)


def measure(url: str, repeat: int, budget: float = 10.0, log=print) -> dict:
    """Per query: our latencies, bare latencies, the statement count and the result count."""
    from app import create_app

    tmp = tempfile.mkdtemp(prefix="bench-search-")
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": tmp, "SECRET_KEY": "bench", "ALLOW_HOSTS": ["127.0.0.1"],
                      "RATELIMIT_ENABLED": False})
    engine = app.extensions["opendata"]["engine"]
    recorder = Recorder(engine)
    client = app.test_client()
    raw = engine.raw_connection()  # its own connection from the pool: the app's stays free
    out = {}
    try:
        for label, params in QUERIES:
            path = "/api/3/action/package_search?" + urlencode(params)
            for _ in range(2):  # warm caches (pages, compiled statements, prepared plans) on both sides
                resp = client.get(path)
            assert resp.status_code == 200, (label, resp.status_code, resp.get_data(as_text=True)[:300])
            recorder.statements, recorder.on = [], True
            resp = client.get(path)
            recorder.on = False
            statements = list(recorder.statements)
            count = resp.get_json()["result"]["count"]
            replay(raw.driver_connection, statements)
            ours, bare = [], []
            began = time.perf_counter()
            while len(ours) < repeat and (len(ours) < 5 or time.perf_counter() - began < budget):
                t0 = time.perf_counter()
                resp = client.get(path)
                ours.append(time.perf_counter() - t0)
                assert resp.status_code == 200
                bare.append(replay(raw.driver_connection, statements))
            out[label] = {"ours": ours, "bare": bare, "statements": len(statements), "count": count}
            log(f"  {label:34s} {count:>7,} found  {len(statements):2d} statements  ours p50 "
                f"{percentile(ours, 50) * 1000:7.1f} ms  bare p50 {percentile(bare, 50) * 1000:7.1f} ms")
    finally:
        raw.close()
        engine.dispose()
    return out


def report(name: str, results: dict) -> list[str]:
    ours = [v for r in results.values() for v in r["ours"]]
    bare = [v for r in results.values() for v in r["bare"]]
    ratios = sorted(percentile(r["ours"], 50) / percentile(r["bare"], 50) for r in results.values())
    most = max(len(r["ours"]) for r in results.values())
    lines = [f"{name}: {len(ours)} requests ({len(results)} queries, 5 to {most} runs each)",
             f"  ours p50 {percentile(ours, 50) * 1000:.1f} ms  p99 {percentile(ours, 99) * 1000:.1f} ms",
             f"  bare p50 {percentile(bare, 50) * 1000:.1f} ms  p99 {percentile(bare, 99) * 1000:.1f} ms",
             f"  ratio p50 {percentile(ours, 50) / percentile(bare, 50):.2f}x  p99 "
             f"{percentile(ours, 99) / percentile(bare, 99):.2f}x  (target <= 2x); per query p50 ratios "
             f"{ratios[0]:.2f}x .. {ratios[-1]:.2f}x, median {ratios[len(ratios) // 2]:.2f}x"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each query (ours and bare)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per query after which 5 runs will do")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    from bench.load import create_database, drop_database

    lines = [f"{args.datasets:,} datasets x 3 distributions; load average at start "
             f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"]
    print(lines[0], flush=True)
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
            pg_name = f"opendata_bench_search_{os.getpid()}"
            url = f"sqlite:///{tmp}/catalog.db" if backend == "sqlite" else create_database(pg_name)
            try:
                prep = prepare(url, args.datasets)
                print(f"{backend}: generated in {prep['generate_s']:.0f} s, indexed in {prep['index_s']:.0f} s",
                      flush=True)
                results = measure(url, args.repeat, args.budget)
            finally:
                if backend != "sqlite":
                    drop_database(pg_name)
            part = report(backend, results)
            print("\n".join(part), flush=True)
            lines += part
    lines.append(f"load average at end {os.getloadavg()[0]:.2f}")
    print(lines[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
