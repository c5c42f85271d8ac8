"""Benchmark: the streamed DCAT dumps against rdflib doing the same work (design section 8, issue 5).

Generates a catalog of N datasets (default 100,000, 3 distributions each) in a temporary
SQLite database by bulk insert (never committed), then, each in its own subprocess so peak
memory (VmHWM) is the run's own:

- ours: `/catalog.nt` and `/catalog.ttl` full dumps (`catalog_schema.readers` + `app.export.stream_rdf`),
  on the whole catalog and on a 10,000-dataset slice;
- rdflib: one Graph of the slice (`catalog_to_rdf`) and `serialize` as N-Triples, and as Turtle
  under a time cap (its Turtle writer is quadratic);
- ckanext-dcat style: pages of 100 datasets, one Graph and a Turtle `serialize` per page
  (a sample of pages, extrapolated to the catalog).

    .venv/bin/python -m bench.export [--datasets 100000] [--slice 10000] [--turtle-cap 180]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

SITE = "https://data.example.gov"
INFO = {"title": {"en": "Bench catalog"}, "description": {"en": "Generated datasets"},
        "publisher": {"slug": "bench", "name": {"en": "Bench"}}}


TOPICS = [("traffic", "交通"), ("air quality", "空气质量"), ("population", "人口"), ("budget", "预算"),
          ("schools", "学校"), ("hospital beds", "医院床位"), ("water", "水质"), ("bus ridership", "公交客运量"),
          ("energy use", "能源消耗"), ("housing prices", "房价"), ("rainfall", "降雨量"), ("tourism", "旅游")]
KINDS = [("monthly report", "月报"), ("statistics", "统计"), ("survey", "调查"), ("register", "名录"),
         ("annual figures", "年度数据"), ("measurements", "监测数据"), ("open data", "公开数据")]
CITIES = ["北京市", "上海市", "广州市", "深圳市", "成都市"]


def topic_title(i: int) -> dict[str, str]:
    """A varied bilingual title (12 topics x 7 kinds x 5 cities), for benchmarks that search text."""
    (topic, topic_zh), (kind, kind_zh) = TOPICS[i % len(TOPICS)], KINDS[i // len(TOPICS) % len(KINDS)]
    return {"en": f"{topic.capitalize()} {kind} {i}", "zh": f"{CITIES[i % len(CITIES)]}{topic_zh}{kind_zh} {i}"}


def generate(url: str, n: int, dists: int = 3, publishers: int = 50, titles=None) -> None:
    """Bulk-insert n datasets with `dists` distributions each (Core executemany, 5,000 rows a statement).

    `titles(i) -> langmap` replaces the plain "Dataset i" titles (e.g. `topic_title`).
    """
    from sqlalchemy import insert

    from catalog_schema import db as dbmod
    from catalog_schema.models import Dataset, Distribution, Publisher

    dbmod.upgrade(url)
    engine = dbmod.make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Publisher.__table__), [
            {"id": p + 1, "slug": f"agency-{p}", "name": {"en": f"Agency {p}", "zh": f"机构 {p}"}, "description": {},
             "extras": {}, "email": f"data@agency{p}.example.gov", "created_at": now, "updated_at": now}
            for p in range(publishers)])
    step = 5000
    for start in range(0, n, step):
        ds_rows, dist_rows = [], []
        for i in range(start, min(n, start + step)):
            ds_id = str(uuid.UUID(int=i + 1))
            ds_rows.append({
                "id": ds_id, "slug": f"dataset-{i:07d}",
                "title": titles(i) if titles else {"en": f"Dataset {i}", "zh": f"数据集 {i}"},
                "description": {"en": f"Measurements of series {i}, published monthly.", "zh": "每月发布的测量数据。"},
                "publisher_id": i % publishers + 1, "keywords": ["statistics", f"series-{i % 97}"], "themes": ["ECON"],
                "license_id": "CC-BY-4.0", "license_raw": "https://creativecommons.org/licenses/by/4.0/",
                "issued": "2020-01-01", "modified": f"2024-{i % 12 + 1:02d}-01", "frequency": "MONTHLY",
                "landing_page": f"https://agency{i % publishers}.example.gov/data/{i}", "spatial": [],
                "conforms_to": [], "language": ["zh"], "extras": {}, "flags": [], "state": "active",
                "created_at": now, "updated_at": now, "modified_at": now})
            for k in range(dists):
                fmt = ("CSV", "XLSX", "JSON")[k % 3]
                dist_rows.append({
                    "id": str(uuid.UUID(int=(i + 1) * 16 + k)), "dataset_id": ds_id, "position": k,
                    "title": {"en": f"Dataset {i} as {fmt}"}, "description": {},
                    "download_url": f"https://agency{i % publishers}.example.gov/files/{i}.{fmt.lower()}",
                    "format": fmt, "format_raw": fmt, "byte_size": 1000 + i, "language": [], "conforms_to": [],
                    "extras": {}, "failure_count": 0})
        with engine.begin() as conn:
            conn.execute(insert(Dataset.__table__), ds_rows)
            conn.execute(insert(Distribution.__table__), dist_rows)
    engine.dispose()


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _records(url: str, limit: int | None):
    from itertools import islice

    from catalog_schema import db as dbmod
    from catalog_schema import readers

    session = dbmod.make_sessionmaker(dbmod.make_engine(url))()
    records = readers.iter_records(session)
    return records if limit is None else islice(records, limit)


def _cpu() -> float:
    return time.process_time()


def worker(kind: str, url: str, limit: int | None, fmt: str, out_path: str) -> dict:
    """One measurement; returns seconds (wall and CPU), peak MB, bytes written and datasets done.

    CPU seconds tell what the machine's load did to the wall time (other processes on the cores).
    """
    from app.export import stream_rdf
    from catalog_schema import dcat

    limit = limit or None
    cpu0 = _cpu()
    start = time.perf_counter()
    size, done = 0, 0
    with open(out_path, "w", encoding="utf-8") as out:
        if kind == "stream":
            for chunk in stream_rdf.stream_catalog(_records(url, limit), fmt, site_url=SITE, catalog_info=INFO):
                size += out.write(chunk)
            done = limit or -1
        elif kind == "rdflib":
            records = list(_records(url, limit))
            graph = dcat.catalog_to_rdf(records, site_url=SITE, catalog_info=INFO)
            built = time.perf_counter() - start
            size = out.write(graph.serialize(format={"nt": "nt", "ttl": "turtle"}[fmt]))
            done = len(records)
            return {"seconds": time.perf_counter() - start, "build_seconds": built, "peak_mb": _peak_mb(),
                    "bytes": size, "datasets": done, "cpu_seconds": _cpu() - cpu0}
        elif kind == "pages":
            page: list = []
            for rec in _records(url, limit):
                page.append(rec)
                if len(page) == 100:
                    size += out.write(dcat.catalog_to_rdf(page, site_url=SITE, catalog_info=INFO)
                                      .serialize(format="turtle"))
                    done += len(page)
                    page = []
        else:
            raise ValueError(kind)
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "bytes": size, "datasets": done,
            "cpu_seconds": _cpu() - cpu0}


def run(kind: str, url: str, limit: int, fmt: str, tmp: str, timeout: float | None = None) -> dict | None:
    out_path = os.path.join(tmp, f"{kind}-{limit}.{fmt}")
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.export", "--worker", kind, url, str(limit), fmt,
                               out_path], capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    finally:
        if os.path.exists(out_path):
            os.remove(out_path)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(r: dict | None, cap: float | None = None) -> str:
    if r is None:
        return f"> {cap:.0f} s (stopped at the cap)"
    extra = f", graph built in {r['build_seconds']:.1f} s" if "build_seconds" in r else ""
    return (f"{r['seconds']:7.1f} s (CPU {r['cpu_seconds']:6.1f} s)  peak {r['peak_mb']:6.0f} MB  "
            f"{r['bytes'] / 1e6:7.1f} MB written{extra}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        kind, url, limit, fmt, out_path = argv[1:6]
        print(json.dumps(worker(kind, url, int(limit), fmt, out_path)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--slice", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=20, help="ckanext-dcat style pages of 100 to time")
    parser.add_argument("--turtle-cap", type=float, default=180.0, help="seconds allowed to rdflib's Turtle")
    args = parser.parse_args(argv)
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        url = f"sqlite:///{tmp}/catalog.db"
        t0 = time.perf_counter()
        generate(url, args.datasets)
        print(f"generated {args.datasets:,} datasets x 3 distributions in {time.perf_counter() - t0:.1f} s")
        n, s = args.datasets, args.slice
        res = {
            ("ours nt", n): run("stream", url, 0, "nt", tmp),
            ("ours ttl", n): run("stream", url, 0, "ttl", tmp),
            ("ours nt", s): run("stream", url, s, "nt", tmp),
            ("ours ttl", s): run("stream", url, s, "ttl", tmp),
            ("rdflib nt", s): run("rdflib", url, s, "nt", tmp),
            ("rdflib ttl", s): run("rdflib", url, s, "ttl", tmp, timeout=args.turtle_cap),
            ("pages ttl", args.pages * 100): run("pages", url, args.pages * 100, "ttl", tmp),
        }
        for (name, size), r in res.items():
            print(f"{name:11s} {size:>8,} datasets: {_fmt(r, args.turtle_cap)}")
        ours_nt, rdf_nt = res[("ours nt", s)], res[("rdflib nt", s)]
        print(f"N-Triples on {s:,}: ours {rdf_nt['seconds'] / ours_nt['seconds']:.1f}x faster than rdflib "
              f"(target >= 5x), peak {ours_nt['peak_mb']:.0f} MB vs {rdf_nt['peak_mb']:.0f} MB")
        ours_ttl, rdf_ttl = res[("ours ttl", s)], res[("rdflib ttl", s)]
        if rdf_ttl is None:
            print(f"Turtle on {s:,}: rdflib did not finish within {args.turtle_cap:.0f} s; ours took "
                  f"{ours_ttl['seconds']:.1f} s (>{args.turtle_cap / ours_ttl['seconds']:.0f}x)")
        else:
            print(f"Turtle on {s:,}: ours {rdf_ttl['seconds'] / ours_ttl['seconds']:.1f}x faster than rdflib")
        pages = res[("pages ttl", args.pages * 100)]
        per_100 = pages["seconds"] / args.pages
        full_ttl = res[("ours ttl", n)]
        print(f"ckanext-dcat style pages: {per_100:.2f} s per 100-dataset page, {per_100 * n / 100:.0f} s for "
              f"{n:,} (extrapolated) vs ours {full_ttl['seconds']:.1f} s "
              f"({per_100 * n / 100 / full_ttl['seconds']:.1f}x)")
        print(f"targets: {n:,}-dataset Turtle dump {full_ttl['seconds']:.1f} s (CPU {full_ttl['cpu_seconds']:.1f} s; "
              f"<= 30 s), peak "
              f"{full_ttl['peak_mb']:.0f} MB (< 200 MB; {s:,}-slice peak {ours_ttl['peak_mb']:.0f} MB)")
        print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
