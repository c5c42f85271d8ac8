"""`make bench`: run every benchmark and write bench/RESULTS.md (machine, date, figures, ratios).

Each benchmark runs in its own process and prints its own figures and ratios against a peer
run on the same input in the same run; this collects what they print.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [
    ("Metadata assessment vs pyshacl", ["bench.assess"]),
    ("Tabular profiling vs frictionless", ["bench.profile"]),
    ("Harvest vs raw ckanapi download", ["bench.harvest"]),
    ("Catalog export vs rdflib", ["bench.export"]),
]


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.platform()}"


def main() -> None:
    only = set(sys.argv[1:])
    parts = [f"# Benchmark results\n\nMachine: {machine()}  \nDate: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  \n"
             f"Load average at start: {os.getloadavg()[0]:.2f}\n"]
    for title, module in BENCHMARKS:
        name = module[0].split(".")[-1]
        if only and name not in only:
            continue
        if not (ROOT / "bench" / f"{name}.py").exists():
            parts.append(f"## {title}\n\n(not written yet)\n")
            continue
        print(f"running {module[0]} ...", flush=True)
        result = subprocess.run([sys.executable, "-m", *module], cwd=ROOT, capture_output=True, text=True,
                                timeout=3600)
        out = result.stdout.strip() or result.stderr.strip()[-3000:]
        print(out, flush=True)
        parts.append(f"## {title}\n\n```\n{out}\n```\n")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(parts), "utf-8")
    print(f"wrote {ROOT / 'bench' / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
