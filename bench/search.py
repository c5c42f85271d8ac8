"""Benchmark: the search index against the SQL search it replaced (issue 15), and CKAN `package_search` latency
against the bare SQL it runs (issue 5), on SQLite and PostgreSQL.

Index vs SQL: the same catalog indexed both ways, in the same process, queries alternating: the tantivy index
(catalog_schema.search, in a folder as a server keeps it) and the FTS5/tsvector search it replaced
(bench/sql_search.py). Each query asks for the top 20, the exact total and three facets (publisher, format,
keyword): match-all, English and Chinese words, a word with a publisher filter. Prints build time and size of
both, p50/p99 per query and the ratios, and checks that both give the same totals and facet counts.

Generates a catalog of N datasets (default 100,000, 3 distributions each, 50 publishers, varied
bilingual titles: `bench.export.generate` with `topic_title`) in a temporary SQLite database and in
a PostgreSQL database of its own (created at 127.0.0.1:5432, dropped at the end), indexes it for
search, then sends a mix of CKAN searches (English and Chinese words, fq organization:/res_format:/
tags:, facet.field, rows/start, sort) through the real Flask app (its test client: routing, the
CKAN translation, the search, the package dicts, the JSON envelope).

"Bare" is the same SQL without us (since the search index, only the SQL a request still sends: the package
dicts; the index's work is inside "ours"): every statement a request sent to the database (captured
with SQLAlchemy's before_cursor_execute event, with its parameters) replayed on a raw DB-API
connection, rows fetched. Each query runs `--repeat` times (fewer, but at least 5, when a query
has used up `--budget` seconds), ours and bare alternating so both see the same machine load.
Prints p50/p99 per query and over the whole mix, and the ratios (target: ours at most 2x bare).

    .venv/bin/python -m bench.search [--datasets 100000] [--repeat 15] [--budget 10] [--backends sqlite,postgresql]
                                     [--skip-api]
    .venv/bin/python -m bench.search --build-only --datasets 391139     # index build time, size, memory
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


#: (label, SearchQuery fields) of the index vs SQL comparison; every one also asks for three facets.
INDEX_QUERIES = [
    ("match-all", {}),
    ("q=traffic", {"q": "traffic"}),
    ("q=交通", {"q": "交通"}),
    ("q=budget publisher=agency-7", {"q": "budget", "publisher": ["agency-7"]}),
    ("match-all format=JSON, title sort", {"format": ["JSON"], "sort": "title"}),
]
INDEX_FACETS = ["publisher", "format", "keyword"]


def prepare(url: str, n: int, index_dir: str) -> dict:
    """Generate the catalog, index it both ways (the old SQL tables, the tantivy index in `index_dir`);
    returns the seconds each step took and the sizes."""
    from sqlalchemy import text

    from app.services import searchable
    from bench import sql_search
    from bench.export import generate, topic_title
    from catalog_schema import db as dbmod
    from catalog_schema import search

    t0 = time.perf_counter()
    generate(url, n, titles=topic_title)
    t1 = time.perf_counter()
    engine = dbmod.make_engine(url)
    sql_search.create_tables(engine)
    with dbmod.make_sessionmaker(engine)() as session:
        sql_search.reindex_all(session, batch=2000)
        session.commit()
    t2 = time.perf_counter()
    search.configure(url, index_dir)
    searchable.register()  # the texts as the public reads them, as the app indexes them (the app built below too)
    with dbmod.make_sessionmaker(engine)() as session:
        search.reindex_all(session, batch=2000)
        session.commit()
        stats = search.index_for(session).stats()
    t3 = time.perf_counter()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql_bytes = conn.scalar(text("SELECT pg_total_relation_size('search_docs')"))
        else:
            try:
                sql_bytes = conn.scalar(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_%'"))
            except Exception:  # SQLite built without dbstat
                sql_bytes = None
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {"generate_s": t1 - t0, "sql_index_s": t2 - t1, "index_s": t3 - t2, "index_bytes": stats["bytes"],
            "index_segments": stats["segments"], "sql_index_bytes": sql_bytes}


def compare(url: str, repeat: int, budget: float, log=print) -> dict:
    """Per query: the index's latencies and the SQL search's, alternating, and whether they agree."""
    from bench import sql_search
    from catalog_schema import db as dbmod
    from catalog_schema import search

    engine = dbmod.make_engine(url)
    out = {}
    with dbmod.make_sessionmaker(engine)() as session:
        for label, fields in INDEX_QUERIES:
            new_q = search.SearchQuery(**fields, facets=INDEX_FACETS)
            old_q = sql_search.SearchQuery(**fields, facets=INDEX_FACETS)
            new_r, old_r = search.search(session, new_q), sql_search.search(session, old_q)  # warm both
            same = (new_r.total, new_r.facets) == (old_r.total, old_r.facets)
            new_t, old_t = [], []
            began = time.perf_counter()
            while len(new_t) < repeat and (len(new_t) < 3 or time.perf_counter() - began < budget):
                t0 = time.perf_counter()
                search.search(session, new_q)
                t1 = time.perf_counter()
                sql_search.search(session, old_q)
                new_t.append(t1 - t0)
                old_t.append(time.perf_counter() - t1)
                session.rollback()
            out[label] = {"index": new_t, "sql": old_t, "count": new_r.total, "same": same}
            log(f"  {label:36s} {new_r.total:>7,} found  index p50 {percentile(new_t, 50) * 1000:8.2f} ms  "
                f"SQL p50 {percentile(old_t, 50) * 1000:8.1f} ms  "
                f"({percentile(old_t, 50) / percentile(new_t, 50):,.0f}x){'' if same else '  RESULTS DIFFER'}")
    engine.dispose()
    return out


def compare_report(name: str, prep: dict, results: dict) -> list[str]:
    idx = [v for r in results.values() for v in r["index"]]
    sql = [v for r in results.values() for v in r["sql"]]
    size = f"{prep['sql_index_bytes'] / 1e6:.0f} MB" if prep.get("sql_index_bytes") else "size not measured"
    lines = [f"{name}: index vs SQL search, top 20 + exact total + 3 facets (publisher, format, keyword), "
             f"{len(idx)} runs each",
             f"  build: index {prep['index_s']:.1f} s, {prep['index_bytes'] / 1e6:.0f} MB on disk, "
             f"{prep['index_segments']} segments; SQL (FTS5/tsvector) {prep['sql_index_s']:.1f} s, {size}",
             f"  index p50 {percentile(idx, 50) * 1000:.2f} ms  p99 {percentile(idx, 99) * 1000:.2f} ms; "
             f"SQL p50 {percentile(sql, 50) * 1000:.1f} ms  p99 {percentile(sql, 99) * 1000:.1f} ms"]
    for label, r in results.items():
        lines.append(f"    {label:36s} {r['count']:>7,} found  index {percentile(r['index'], 50) * 1000:7.2f} ms"
                     f"  SQL {percentile(r['sql'], 50) * 1000:8.1f} ms  "
                     f"{percentile(r['sql'], 50) / percentile(r['index'], 50):7,.0f}x"
                     + ("" if r["same"] else "  (totals or facets differ)"))
    return lines


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


def measure(url: str, repeat: int, budget: float = 10.0, log=print, index_dir: str | None = None) -> dict:
    """Per query: our latencies, bare latencies, the statement count and the result count."""
    from app import create_app

    tmp = tempfile.mkdtemp(prefix="bench-search-")
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": tmp, "SECRET_KEY": "bench", "ALLOW_HOSTS": ["127.0.0.1"],
                      "RATELIMIT_ENABLED": False, "SEARCH_INDEX_DIR": index_dir})
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
        shutil.rmtree(tmp, ignore_errors=True)  # the app's instance folder: each run left one behind
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


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def build_only(n: int) -> int:
    """Generate n datasets in SQLite, build the index with `opendata search reindex`'s code, then answer a few
    searches: build time and rate, size on disk, the process's memory."""
    from app.services import searchable
    from bench.export import generate, topic_title
    from catalog_schema import db as dbmod
    from catalog_schema import search

    print(f"{n:,} datasets; load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        url = f"sqlite:///{tmp}/catalog.db"
        t0 = time.perf_counter()
        generate(url, n, titles=topic_title)
        print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
        engine = dbmod.make_engine(url)
        search.configure(url, f"{tmp}/search-index")
        searchable.register()  # as `opendata search reindex` builds it
        rss0 = _status_mb("VmRSS")
        with dbmod.make_sessionmaker(engine)() as session:
            t0 = time.perf_counter()
            done = search.reindex_all(session, batch=2000)
            seconds = time.perf_counter() - t0
            stats = search.index_for(session).stats()
            print(f"index built: {done:,} datasets in {seconds:.1f} s ({done / seconds:,.0f}/s), "
                  f"{stats['bytes'] / 1e6:.0f} MB on disk, {stats['segments']} segments; process peak "
                  f"{_status_mb('VmHWM'):.0f} MB (RSS {rss0:.0f} MB before); load average "
                  f"{os.getloadavg()[0]:.2f}", flush=True)
            t0 = time.perf_counter()
            for _label, fields in INDEX_QUERIES:
                search.search(session, search.SearchQuery(**fields, facets=INDEX_FACETS))
            print(f"first searches ({len(INDEX_QUERIES)}): {(time.perf_counter() - t0) * 1000:.0f} ms; RSS now "
                  f"{_status_mb('VmRSS'):.0f} MB (the index's files are mapped: shared by a machine's processes)",
                  flush=True)
        engine.dispose()
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each query (ours and bare)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per query after which 5 runs will do")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-api", action="store_true", help="only the index vs SQL comparison")
    parser.add_argument("--build-only", action="store_true",
                        help="only generate the catalog (SQLite) and build the index: time, size, memory")
    args = parser.parse_args(argv)
    if args.build_only:
        return build_only(args.datasets)
    from bench.load import create_database, drop_database

    lines = [f"{args.datasets:,} datasets x 3 distributions; load average at start "
             f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"]
    print(lines[0], flush=True)
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
            pg_name = f"opendata_bench_search_{os.getpid()}"
            url = f"sqlite:///{tmp}/catalog.db" if backend == "sqlite" else create_database(pg_name)
            try:
                index_dir = f"{tmp}/search-index"
                prep = prepare(url, args.datasets, index_dir)
                print(f"{backend}: generated in {prep['generate_s']:.0f} s, indexed in {prep['index_s']:.1f} s "
                      f"(the SQL search's tables in {prep['sql_index_s']:.1f} s); load average "
                      f"{os.getloadavg()[0]:.2f}", flush=True)
                compared = compare(url, args.repeat, args.budget)
                part = compare_report(backend, prep, compared)
                print("\n".join(part), flush=True)
                lines += part
                if not args.skip_api:
                    results = measure(url, args.repeat, args.budget, index_dir=index_dir)
                    part = report(backend, results)
                    print("\n".join(part), flush=True)
                    lines += part
            finally:
                if backend != "sqlite":
                    drop_database(pg_name)
    lines.append(f"load average at end {os.getloadavg()[0]:.2f}")
    print(lines[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
