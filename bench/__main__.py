"""`make bench`: run every benchmark and write bench/RESULTS.md (machine, date, figures, ratios).

Each benchmark runs in its own process with its default sizes and prints its own figures and
ratios against a peer run on the same input in the same run; this collects what they print,
with the time each took, its exit status and the load average before and after it (the figures
of a loaded machine are not those of an idle one). RESULTS.md is rewritten after every benchmark,
so a run stopped half-way keeps what it measured; running some of them replaces only their own
sections and rows, each of which names the commit and the time it was measured at.

    .venv/bin/python -m bench                 # all of them (about 25 minutes on 2 cores)
    .venv/bin/python -m bench load export     # some of them, by module name
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
#: (title, module and arguments), sized so that the whole run stays under 30 minutes on 2 idle cores:
#: frictionless reads about 2,000 rows/s and our harvest imports hundreds of datasets/s, hence their sizes.
BENCHMARKS = [
    ("Command-line start-up vs frictionless validate", ["bench.cli_start"]),
    ("Metadata assessment vs pyshacl", ["bench.assess"]),
    ("Tabular profiling vs frictionless", ["bench.profile", "--rows", "200000"]),
    ("Harvest vs raw ckanapi download", ["bench.harvest", "--packages", "5000"]),
    ("Catalog export vs rdflib", ["bench.export"]),
    ("Search index vs the SQL search it replaced; CKAN package_search vs its bare SQL", ["bench.search"]),
    ("Row API: a filtered, sorted page of 100 from 5,000,000 rows vs bare DuckDB", ["bench.rows", "--rows", "5000000"]),
    ("History: database growth per daily harvest (2% changed), with and without pruning",
     ["bench.history", "--datasets", "5000", "--rounds", "10"]),
    ("Re-checks: a weekly re-assessment (5% of files changed) vs a full one", ["bench.recheck", "--datasets", "300"]),
    ("Moving a SQLite catalog to PostgreSQL: opendata db copy vs a raw COPY", ["bench.dbcopy", "--datasets", "20000"]),
    ("Distributed: one process vs two Celery workers", ["bench.distributed", "--datasets", "5000", "--assess", "500"]),
    ("Load: mixed traffic on gunicorn + PostgreSQL, 100,000 datasets, 50 clients, 2 minutes", ["bench.load"]),
]
#: Seconds one benchmark may run before it is stopped (and reported as stopped).
TIMEOUT = 20 * 60


def _first(path: str, key: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> str:
    mem = _first("/proc/meminfo", "MemTotal")
    mem = f", {int(mem.split()[0]) / 1024 / 1024:.1f} GiB RAM" if mem else ""
    cpu = _first("/proc/cpuinfo", "model name")
    return (f"{platform.node()}: {os.cpu_count()} cores{f' ({cpu})' if cpu else ''}{mem}, "
            f"Python {platform.python_version()}, {platform.platform()}")


def postgres_version() -> str:
    try:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not reachable"
    return out.stdout.strip() or "not reachable"


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_one(module: list[str], timeout: float = TIMEOUT) -> tuple[str, int | None, float]:
    """Run one benchmark; returns (what it printed, exit status or None when stopped, seconds)."""
    start = time.monotonic()
    try:
        result = subprocess.run([sys.executable, "-m", *module], cwd=ROOT, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return out.strip() + f"\n(stopped after {timeout:.0f} s)", None, time.monotonic() - start
    out = result.stdout.strip()
    if result.returncode != 0 and result.stderr.strip():
        out += "\n" + result.stderr.strip()[-3000:]
    return out or result.stderr.strip()[-3000:], result.returncode, time.monotonic() - start


TABLE_HEAD = ["| Benchmark | Module | Measured | Time | Exit | Load avg before | Load avg after |",
              "|---|---|---|---|---|---|---|"]


def previous(text: str) -> dict[str, tuple[str, str]]:
    """The rows and sections of an earlier RESULTS.md, by benchmark title: what a partial run keeps."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith(TABLE_HEAD[0][:12]):
            cells = line.split("|")
            if len(cells) == 8:  # written before rows named when they were measured
                cells.insert(3, " see its section ")
            rows[cells[1].strip()] = "|".join(cells)
    kept: dict[str, tuple[str, str]] = {}
    for chunk in text.split("\n## ")[1:]:
        title = chunk.split("\n", 1)[0].strip()
        body = chunk.split("\nLoad average (1 / 5 / 15 min) at end:", 1)[0].rstrip("\n")
        if title in rows:
            kept[title] = (rows[title], f"## {body}\n")
    return kept


def render(header: str, done: dict[str, tuple[str, str]], end: str) -> str:
    order = [title for title, _ in BENCHMARKS]
    titles = sorted(done, key=lambda t: order.index(t) if t in order else len(order))
    return "\n".join([header, *TABLE_HEAD, *(done[t][0] for t in titles), "",
                      *(done[t][1] for t in titles), end])


def main(argv: list[str] | None = None) -> int:
    only = set(sys.argv[1:] if argv is None else argv)
    started = dt.datetime.now(dt.UTC)
    header = (f"# Benchmark results\n\nWritten by `make bench` (`python -m bench`); each section is what the "
              f"benchmark printed.\n\nMachine: {machine()}  \nPostgreSQL: {postgres_version()}  \n"
              f"Commit: {commit()}  \nDate: {started:%Y-%m-%d %H:%M} UTC  \n"
              f"Load average (1 / 5 / 15 min) at start: {loadavg()}\n")
    done = previous(RESULTS.read_text("utf-8")) if only and RESULTS.exists() else {}
    stamp = f"{commit()}, {started:%Y-%m-%d %H:%M} UTC"
    failed = 0
    for title, module in BENCHMARKS:
        name = module[0].split(".")[-1]
        if only and name not in only:
            continue
        if not (ROOT / "bench" / f"{name}.py").exists():
            done[title] = (f"| {title} | `{' '.join(module)}` | | | not written yet | | |",
                           f"## {title}\n\n(not written yet)\n")
            continue
        print(f"running {' '.join(module)} ...", flush=True)
        before = loadavg()
        out, code, seconds = run_one(module)
        after = loadavg()
        failed += code != 0
        print(out, flush=True)
        status = "stopped" if code is None else str(code)
        row = (f"| {title} | `{' '.join(module)}` | {stamp} | {seconds:.0f} s | {status} | {before} | "
               f"{after} |")
        section = (f"## {title}\n\n`python -m {' '.join(module)}` on {stamp}: {seconds:.0f} s, exit {status}, "
                   f"load average {before} before, {after} after\n\n```\n{out}\n```\n")
        done[title] = (row, section)
        end = f"Load average (1 / 5 / 15 min) at end: {loadavg()} (still running)\n"
        RESULTS.write_text(render(header, done, end), "utf-8")
    total = (dt.datetime.now(dt.UTC) - started).total_seconds()
    end = f"Load average (1 / 5 / 15 min) at end: {loadavg()}; whole run {total / 60:.1f} min\n"
    RESULTS.write_text(render(header, done, end), "utf-8")
    print(f"wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
