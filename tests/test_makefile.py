"""The README's make targets run what it says (dry runs: `make -n`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _dry(*args: str) -> str:
    return subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), *args], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_demo_serves_on_the_port_asked_for():
    """`make demo` could only serve on 5000: a user with that port taken had no way round it from make."""
    assert _dry("demo").strip().splitlines()[-1].endswith("opendata demo --port 5000")
    assert _dry("demo", "PORT=5050").strip().splitlines()[-1].endswith("opendata demo --port 5050")
