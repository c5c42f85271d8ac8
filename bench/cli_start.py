"""Command-line start-up: `opendata --help` and `opendata quality file` against `frictionless validate`.

Each command runs `--runs` times as a fresh process, alternating with the others so a change of load
hits all of them alike (hyperfine's method without hyperfine); the figures are the median and the
minimum wall time, and the ratio of ours to frictionless's median. The load average is printed
before and after: on 2 shared cores a busy neighbour doubles every figure.

    .venv/bin/python -m bench.cli_start [--runs 15] [--importtime]

`--importtime` also prints the ten slowest imports of `opendata quality file` (python -X importtime).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _command(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else name


def _sample_csv(folder: str) -> str:
    path = os.path.join(folder, "stops.csv")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,name,lat,lon\n")
        for i in range(200):
            fh.write(f"{i},stop {i},{51 + i / 1000:.3f},{-0.1 - i / 1000:.3f}\n")
    return path


def _run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return time.perf_counter() - started


def _slowest_imports(argv: list[str], count: int = 10) -> list[tuple[int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "app.cli", *argv[1:]], capture_output=True,
                         text=True, check=False).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not name[1:].startswith(" "):  # top level: imported by our code, not by another package
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = _sample_csv(tmp)
        commands = {
            "opendata --help": [_command("opendata"), "--help"],
            "opendata quality file": [_command("opendata"), "quality", "file", csv_path, "--licence", "CC-BY-4.0"],
            "frictionless validate": [_command("frictionless"), "validate", csv_path],
        }
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  "
              f"({os.cpu_count()} cores, {args.runs} runs each, alternating)")
        for argv_ in commands.values():  # warm the page cache once, not measured
            _run(argv_)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv_ in commands.items():
                times[name].append(_run(argv_))
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        base = statistics.median(times["frictionless validate"])
        print(f"{'command':<24}{'median s':>10}{'min s':>8}{'ratio':>8}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<24}{median:>10.3f}{min(values):>8.3f}{median / base:>8.2f}")
        if args.importtime:
            print("\nslowest imports of `opendata quality file` (cumulative ms):")
            for micros, name in _slowest_imports(commands["opendata quality file"]):
                print(f"{micros / 1000:>9.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
