"""Benchmark: `opendata db copy` moving a SQLite catalog to PostgreSQL, against a raw copy of the same rows.

Builds a SQLite catalog of N generated datasets (three distributions each, bench/export.py's generator), then,
back to back in one run, into two fresh PostgreSQL databases migrated to the same head:

1. ours: `app.dbcopy.copy` (what `opendata db copy --to` runs: one read snapshot, every table in batches
   through SQLAlchemy with JSON and time zones as the models type them, sequences set, counts compared);
2. raw: the peer, the least a copy can cost here: each table read with the sqlite3 module and written
   with psycopg's COPY FROM STDIN in binary-free text form, nothing checked.

Both copies are then compared table by table (row counts, and a checksum of the datasets' ids and slugs).
Prints wall-clock and this process's CPU for each side, the ratio, and the load average before and after
(a ratio whose two sides ran under different load is not a figure).

    .venv/bin/python -m bench.dbcopy [--datasets 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path


def _raw_copy(sqlite_path: Path, pg_url: str) -> dict[str, int]:
    """Every table of the catalog, read with sqlite3 and written with COPY: the peer."""
    import psycopg

    from catalog_schema.models import Base

    tables = [t.name for t in Base.metadata.sorted_tables] + ["search_changes"]
    counts = {}
    src = sqlite3.connect(sqlite_path)
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as dst:
        with dst.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no foreign-key checks: the raw cost
            for name in tables:
                cols = [row[1] for row in src.execute(f'PRAGMA table_info("{name}")')]
                quoted = ", ".join(f'"{c}"' for c in cols)
                n = 0
                with cur.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
                    for row in src.execute(f'SELECT {quoted} FROM "{name}"'):
                        copy.write_row(row)
                        n += 1
                counts[name] = n
        dst.commit()
    src.close()
    return counts


def _fingerprint(url: str) -> dict:
    from sqlalchemy import text

    from catalog_schema import db as dbmod

    engine = dbmod.make_engine(url)
    try:
        with engine.connect() as conn:
            counts = dbmod.table_counts(conn)
            digest = hashlib.sha256()
            for ds_id, slug in conn.execute(text("SELECT id, slug FROM datasets ORDER BY id")):
                digest.update(f"{ds_id}\t{slug}\n".encode())
    finally:
        engine.dispose()
    return {"counts": counts, "datasets": digest.hexdigest()}


def _timed(fn):
    cpu0, t0 = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - cpu0


def run(n: int, batch: int, log=print) -> dict:
    from app import dbcopy
    from bench.export import generate
    from bench.load import create_database, drop_database

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-dbcopy-") as tmp:
        path = Path(tmp) / "catalog.db"
        source = f"sqlite:///{path}"
        t0 = time.perf_counter()
        generate(source, n, dists=3)
        log(f"generated {n:,} datasets on SQLite in {time.perf_counter() - t0:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)")
        ours_db, raw_db = f"bench_dbcopy_ours_{os.getpid()}", f"bench_dbcopy_raw_{os.getpid()}"
        ours_url, raw_url = create_database(ours_db), create_database(raw_db)
        try:
            from catalog_schema import db as dbmod

            dbmod.upgrade(raw_url)  # the raw side gets the same schema, made before its clock starts
            counts, ours_wall, ours_cpu = _timed(lambda: dbcopy.copy(source, ours_url, batch=batch))
            raw_counts, raw_wall, raw_cpu = _timed(lambda: _raw_copy(path, raw_url))
            load_after = os.getloadavg()
            same = _fingerprint(ours_url) == _fingerprint(raw_url) == _fingerprint(source)
        finally:
            drop_database(ours_db)
            drop_database(raw_db)
    rows = sum(counts.values())
    result = {"datasets": n, "rows": rows, "batch": batch, "ours_wall_s": ours_wall, "ours_cpu_s": ours_cpu,
              "raw_wall_s": raw_wall, "raw_cpu_s": raw_cpu, "ratio_wall": ours_wall / raw_wall,
              "same": same and counts == raw_counts, "load_before": load_before, "load_after": load_after,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    log(f"opendata db copy of {n:,} datasets ({rows:,} rows in all) from SQLite to PostgreSQL; 2 cores, load average "
        f"{' / '.join(f'{v:.2f}' for v in load_before)} before, {' / '.join(f'{v:.2f}' for v in load_after)} after")
    log(f"  ours (app.dbcopy, batch {batch}): {ours_wall:.1f} s wall, {ours_cpu:.1f} s CPU, "
        f"{rows / ours_wall:,.0f} rows/s")
    log(f"  raw (sqlite3 + COPY, nothing checked): {raw_wall:.1f} s wall, {raw_cpu:.1f} s CPU, "
        f"{rows / raw_wall:,.0f} rows/s")
    log(f"  ours / raw: {result['ratio_wall']:.2f}x wall; copies equal (counts, dataset ids and slugs): "
        f"{'yes' if result['same'] else 'NO'}; peak memory {result['peak_rss_mb']:.0f} MB")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    result = run(args.datasets, args.batch)
    if args.json:
        print(json.dumps(result, default=str))
    return 0 if result["same"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
