"""Benchmark: tabular profiling throughput and memory against `frictionless validate` (design section 8).

Generates CSVs in a temporary directory (never committed): a 500,000-row file and a 5,000,000-row one,
8 mixed columns with some missing cells, blank rows, duplicate rows and a few type errors. Profiles
both with ``quality.tabular.profile_file`` and validates the smaller one with frictionless (Python API,
same declared Table Schema, every field required so it reports empty cells, plus its duplicate-row
check), each in its own subprocess so peak memory (ru_maxrss) is the run's own. Prints the throughput
ratio and whether the counts of missing cells, blank rows, duplicate rows and type errors agree.

    .venv/bin/python -m bench.profile [--rows 500000] [--big-rows 5000000] [--skip-big]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

NAMES = ["id", "name", "amount", "day", "flag", "category", "count", "comment"]
TYPES = ["integer", "string", "number", "date", "boolean", "string", "integer", "string"]
SCHEMA = {"fields": [{"name": n, "type": t, "constraints": {"required": True}} for n, t in zip(NAMES, TYPES,
                                                                                            strict=True)]}


def generate(path: str, rows: int, seed: int = 42) -> dict:
    """Write the CSV; returns what was planted (for the reader's interest, not used as the oracle)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    chunk = 500_000
    planted = {"rows": rows, "blank": 0, "dup": 0, "type_err": 0}
    names_pool = np.array(["Anna", "Bo", "Chen Li", "Dário", "Eve", "王芳", "Fatima", "Gustav"])
    cats = np.array(["a", "b", "c", "d"])
    comments = np.array(["", "ok", "checked, fine", "late", "see note"])
    with open(path, "wb") as out:
        out.write((",".join(NAMES) + "\n").encode())
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start + 1, start + n + 1)
            cols = {
                "id": ids.astype(str),
                "name": names_pool[rng.integers(0, len(names_pool), n)],
                "amount": np.char.mod("%.2f", rng.uniform(-1e5, 1e5, n)),
                "day": np.datetime_as_string(np.datetime64("2015-01-01") + rng.integers(0, 3650, n)),
                "flag": np.where(rng.random(n) < 0.5, "true", "false"),
                "category": cats[rng.integers(0, len(cats), n)],
                "count": rng.integers(0, 1000, n).astype(str),
                "comment": comments[rng.integers(0, len(comments), n)],
            }
            for col, share in (("name", 0.01), ("amount", 0.02), ("category", 0.005)):
                cols[col] = np.where(rng.random(n) < share, "", cols[col])
            late = ids > 100  # keep the first 100 rows clean: both tools infer types from them
            bad = late & (rng.random(n) < 0.0002)
            cols["count"] = np.where(bad, "n/a", cols["count"])
            planted["type_err"] += int(bad.sum())
            # exact copies of an earlier row of the chunk, and blank rows
            dup_at = np.flatnonzero(late & (rng.random(n) < 0.005))
            src = np.maximum(dup_at - rng.integers(1, 50, len(dup_at)), 0)
            blank_at = np.flatnonzero(late & (rng.random(n) < 0.0001))
            for col in NAMES:
                cols[col] = cols[col].astype(object)
                cols[col][dup_at] = cols[col][src]
                cols[col][blank_at] = ""
            planted["dup"] += len(dup_at)
            planted["blank"] += len(blank_at)
            table = pa.table({c: pa.array(cols[c], pa.string()) for c in NAMES})
            sink = pa.BufferOutputStream()
            pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False,
                                                                          quoting_style="needed"))
            out.write(sink.getvalue().to_pybytes())
    return planted


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, so unlike ru_maxrss
    it is not inherited from the parent that generated the data."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker_ours(path: str) -> dict:
    from quality.tabular import profile_file

    t0 = time.perf_counter()
    p = profile_file(path, schema=SCHEMA)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": p.rows, "peak_mb": _peak_mb(), "missing": p.missing_cells,
            "blank": p.blank_rows, "duplicate": p.duplicate_rows, "type_errors": p.type_errors}


def worker_frictionless(path: str) -> dict:
    from collections import Counter

    from frictionless import Checklist, Resource, Schema, checks, validate

    t0 = time.perf_counter()
    res = Resource(os.path.basename(path), basepath=os.path.dirname(path), schema=Schema.from_descriptor(SCHEMA))
    report = validate(res, checklist=Checklist(checks=[checks.duplicate_row()]), limit_errors=10**9)
    seconds = time.perf_counter() - t0
    counts = Counter(e.type for e in report.tasks[0].errors)
    return {"seconds": seconds, "rows": report.tasks[0].stats["rows"], "peak_mb": _peak_mb(),
            "missing": counts["constraint-error"], "blank": counts["blank-row"],
            "duplicate": counts["duplicate-row"], "type_errors": counts["type-error"]}


def run(kind: str, path: str) -> dict:
    """One measurement in a fresh interpreter, so its peak memory is its own."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-m", "bench.profile", "--worker", kind, path],
                         capture_output=True, text=True, cwd=root, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000, help="rows of the file compared with frictionless")
    ap.add_argument("--big-rows", type=int, default=5_000_000, help="rows of the memory/throughput file")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--worker", choices=["ours", "frictionless"], help=argparse.SUPPRESS)
    ap.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        result = worker_ours(args.path) if args.worker == "ours" else worker_frictionless(args.path)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        small = os.path.join(tmp, "small.csv")
        t0 = time.perf_counter()
        generate(small, args.rows)
        print(f"generated {args.rows:,} rows ({os.path.getsize(small) / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        ours = run("ours", small)
        theirs = run("frictionless", small)
        for name, r in (("quality.tabular", ours), ("frictionless", theirs)):
            print(f"{name:>16}: {r['seconds']:8.2f} s  {r['rows'] / r['seconds']:>12,.0f} rows/s  "
                  f"peak {r['peak_mb']:7.0f} MB  missing={r['missing']} blank={r['blank']} "
                  f"duplicate={r['duplicate']} type_errors={r['type_errors']}")
        ratio = theirs["seconds"] / ours["seconds"]
        print(f"throughput ratio: {ratio:.1f}x frictionless (target >= 20x)")
        for key in ("missing", "blank", "duplicate", "type_errors"):
            print(f"  {key:>12}: {'agree' if ours[key] == theirs[key] else 'DIFFER'} "
                  f"({ours[key]} vs {theirs[key]})")
        if not args.skip_big:
            big = os.path.join(tmp, "big.csv")
            t0 = time.perf_counter()
            generate(big, args.big_rows, seed=7)
            print(f"generated {args.big_rows:,} rows ({os.path.getsize(big) / 1e6:.0f} MB) "
                  f"in {time.perf_counter() - t0:.1f} s")
            r = run("ours", big)
            print(f"{'quality.tabular':>16}: {r['seconds']:8.2f} s  {r['rows'] / r['seconds']:>12,.0f} rows/s  "
                  f"peak {r['peak_mb']:7.0f} MB (target < 1024 MB)  missing={r['missing']} "
                  f"blank={r['blank']} duplicate={r['duplicate']} type_errors={r['type_errors']}")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # run as a script: make the project importable
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
