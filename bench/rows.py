"""Benchmark: a filtered, sorted page of 100 rows from a big table, through the row API vs bare DuckDB.

Generates a CSV (default 1,000,000 rows; ``--rows 5000000`` for the issue's size) in a temporary folder:
an integer id, a code with leading zeros and letters (text), a district in Chinese, an amount, a date and
a flag. Loads it into the row store (``app.datastore.load``; the time is printed, it happens once per
archived copy), puts one dataset with that table as its archived distribution into a SQLite catalog,
and asks, in process (Flask's test client: no socket), the same question three ways, alternating:

- ``rest``: ``GET /api/v1/datasets/<slug>/distributions/<id>/rows?district__exact=..&amount__strictly_greater=0
  &amount__sort=desc&page_size=100`` (the serving gate, the catalog lookups, the query, the count, JSON);
- ``ckan``: ``POST /api/3/action/datastore_search`` with the same filter, sort and limit;
- ``bare``: the same SELECT ... ORDER BY ... LIMIT 100 and its count(*) run straight on DuckDB over the
  same table file the API reads (the store's DuckDB file; a table under 50,000 rows has none and the API reads
  its Parquet file), on a connection of its own; and, for the record, the same over the store's Parquet file.

Prints median and 95th percentile latencies, our/bare ratios and the load average before and after.

    .venv/bin/python -m bench.rows [--rows 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

DISTRICTS = ["东湖区", "西岭区", "南湖区", "北山区", "临江区", "云溪县", "白沙县", "海城区", "新港区", "青华区",
             "东港区", "望海区", "金川区", "石门县", "清河区", "松林县"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    chunk = 250_000
    districts = np.array(DISTRICTS)
    with open(path, "wb") as out:
        out.write(b"id,code,district,amount,day,flag\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start + 1, start + n + 1)
            codes = np.char.add(np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4),
                                np.array(list("ABCD"))[rng.integers(0, 4, n)])
            amount = np.char.mod("%.2f", rng.uniform(-1e4, 1e5, n))
            days = (np.datetime64("2020-01-01") + rng.integers(0, 2000, n)).astype(str)
            flags = np.array(["true", "false"])[rng.integers(0, 2, n)]
            cols = [ids.astype(str), codes, districts[rng.integers(0, len(districts), n)], amount, days, flags]
            lines = np.char.add(cols[0], ",")
            for col in cols[1:-1]:
                lines = np.char.add(np.char.add(lines, col), ",")
            lines = np.char.add(lines, cols[-1])
            out.write(("\n".join(lines.tolist()) + "\n").encode("utf-8"))


def catalog(tmp: Path, csv_path: Path, sha: str, store_root: Path):
    """A SQLite catalog with one published dataset whose distribution's archived copy is the table."""
    from app import create_app
    from catalog_schema.db import upgrade
    from catalog_schema.models import Dataset
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record, set_evidence, set_pii_facts

    url = f"sqlite:///{tmp / 'catalog.db'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp), "ARCHIVE_DIR": str(tmp / "archive"),
                      "DATASTORE_DIR": str(store_root), "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        save_record(s, new_record(slug="big-table", title={"en": "Big table"}, publisher={"slug": "bench"},
                                  license="CC-BY-4.0", state="active",
                                  distributions=[{"download_url": "http://127.0.0.1:9/big.csv", "format": "CSV"}]))
        s.flush()
        ds = s.query(Dataset).filter_by(slug="big-table").one()
        row = ds.distributions[0]
        set_evidence(row, archive_path=str(csv_path), archive_hash=sha, archive_size=csv_path.stat().st_size,
                     detected_format="CSV", detected_encoding="utf-8", check_status="ok", http_status=200)
        set_pii_facts(row, sha256=sha, columns={}, checked_at="2026-12-03T00:00:00+00:00")
        s.commit()
        return app, ds.slug, row.id


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    import duckdb

    from app.datastore import load as store

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-rows-") as name:
        tmp = Path(name)
        csv_path = tmp / "big.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"table: {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB CSV, generated in "
              f"{time.perf_counter() - t0:.1f} s")
        sha = hashlib.sha256(csv_path.read_bytes()).hexdigest()
        root = tmp / "datastore"
        t0 = time.perf_counter()
        loaded = store.load(root, sha, csv_path, format="CSV", encoding="utf-8")
        assert isinstance(loaded, store.Loaded), loaded
        copy = (f"{loaded.db.stat().st_size / 1e6:.0f} MB DuckDB file" if loaded.db is not None else
                f"no DuckDB file (under {store.NATIVE_MIN_ROWS:,} rows the Parquet file answers)")
        print(f"loaded into the row store in {time.perf_counter() - t0:.1f} s: {loaded.size / 1e6:.0f} MB Parquet, "
              f"{copy}, types {', '.join(f'{f.id}={f.type}' for f in loaded.fields)}")
        app, slug, dist_id = catalog(tmp, csv_path, sha, root)
        client = app.test_client()
        district = DISTRICTS[3]
        rest_url = (f"/api/v1/datasets/{slug}/distributions/{dist_id}/rows?district__exact={district}"
                    "&amount__strictly_greater=0&amount__sort=desc&page_size=100")
        ckan_body = json.dumps({"resource_id": dist_id, "filters": {"district": district}, "sort": "amount desc",
                                "limit": 100, "q": None})
        ckan_body = json.dumps({k: v for k, v in json.loads(ckan_body).items() if v is not None})

        if loaded.db is not None:  # what the API reads: the DuckDB file, else the Parquet file
            bare = duckdb.connect(str(loaded.db), read_only=True)
        else:
            bare = duckdb.connect()
            quoted = str(loaded.path).replace("'", "''")
            bare.execute(f"CREATE VIEW rows AS SELECT * FROM read_parquet('{quoted}')")
        page_sql = ('SELECT * FROM rows WHERE "district" = ? AND "amount" > ? '
                    'ORDER BY "amount" DESC NULLS LAST, "_id" LIMIT 100')
        count_sql = 'SELECT count(*) FROM rows WHERE "district" = ? AND "amount" > ?'
        params = [district, 0.0]
        parquet = duckdb.connect()
        parquet_sql = page_sql.replace("FROM rows", "FROM read_parquet(?)")

        def rest():
            resp = client.get(rest_url)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            assert len(resp.get_json()["data"]) == 100

        def ckan():
            resp = client.post("/api/3/action/datastore_search", data=ckan_body, content_type="application/json")
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]

        def bare_page():
            rows = bare.execute(page_sql, params).fetchall()
            assert len(rows) == 100

        def bare_both():
            bare_page()
            bare.execute(count_sql, params).fetchone()

        def bare_parquet():
            assert len(parquet.execute(parquet_sql, [str(loaded.path), *params]).fetchall()) == 100

        for fn in (rest, ckan, bare_page, bare_both, bare_parquet):
            fn()
            fn()  # warm: file cache, footer cache, compiled statements
        results: dict[str, list[float]] = {"rest": [], "ckan": [], "bare page": [], "bare page+count": [],
                                           "bare, Parquet page": []}
        for _ in range(args.repeat):  # alternate, so a busy moment hits each side alike
            results["rest"] += timed(rest, 1)
            results["ckan"] += timed(ckan, 1)
            results["bare page"] += timed(bare_page, 1)
            results["bare page+count"] += timed(bare_both, 1)
            results["bare, Parquet page"] += timed(bare_parquet, 1)
        print(f"query: district = {district}, amount > 0, sorted by amount desc, a page of 100, with the total; "
              f"{args.repeat} runs each, alternating")
        for label, ms in results.items():
            print(f"  {label:18s} {summary(ms)}")
        rest_m = statistics.median(results["rest"])
        for peer in ("bare page+count", "bare page"):
            print(f"ratio rest / {peer}: {rest_m / statistics.median(results[peer]):.2f}x")
        print(f"ratio ckan / bare page+count: "
              f"{statistics.median(results['ckan']) / statistics.median(results['bare page+count']):.2f}x")
        bare.close()
        parquet.close()
        app.extensions["opendata"]["engine"].dispose()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
