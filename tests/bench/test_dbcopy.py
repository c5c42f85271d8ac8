"""bench/dbcopy.py on a small catalog: both copies land in PostgreSQL, equal to the source, and the figures print."""

from __future__ import annotations

import pytest

from bench import dbcopy
from tests.support import services

pytestmark = pytest.mark.postgres


def test_dbcopy_benchmark_copies_both_ways_and_compares(monkeypatch):
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    monkeypatch.setattr("bench.load.ADMIN_URL", services.postgres_url())
    lines: list[str] = []
    result = dbcopy.run(300, batch=100, log=lines.append)
    assert result["same"] and result["rows"] > 4 * 300  # datasets, three distributions each, publishers, ...
    assert result["ours_wall_s"] > 0 and result["raw_wall_s"] > 0
    assert "load average" in lines[1] and "ours / raw" in lines[-1] and "copies equal (counts, dataset ids" in lines[-1]
