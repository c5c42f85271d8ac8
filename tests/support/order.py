"""The longest test files first, so that two workers end together.

pytest-xdist (``--dist loadfile``) hands each worker one file at a time, in the order it is given. When a
half-minute file comes last, one worker runs it while the other has nothing left. Files are therefore
ordered by what each took in a recorded run (``tests/durations.json``: seconds per file, summed over its
tests' set-up, call and tear-down); a file the record does not know is weighed by its number of tests.
The record only orders the work: stale or missing, it costs time, never a result.

Refresh it with ``make test-durations`` (the whole suite once, writing the file).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

RECORD = Path(__file__).resolve().parents[1] / "durations.json"
PER_TEST = 0.3  # seconds a test of a file the record does not know is taken to cost (the suite's mean)


def load() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(RECORD.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def ordered(items: list, record: dict[str, float]) -> list:
    """`items` with whole files longest first; within a file, the order they came in."""
    counts = Counter(file_of(item.nodeid) for item in items)
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(file_of(item.nodeid), index)

    def weight(item) -> tuple[float, int]:
        name = file_of(item.nodeid)
        return (-record.get(name, counts[name] * PER_TEST), first_seen[name])

    return sorted(items, key=weight)  # stable: a file's tests keep their order


class Recorder:
    """Sums each file's test durations as reports come in (on the xdist controller, every worker's)."""

    def __init__(self, path: Path):
        self.path = path
        self.seconds: Counter = Counter()

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session) -> None:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            return
        data = {name: round(s, 1) for name, s in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
