"""bench/recheck.py's per-file reading of its three runs (issue 19's goal as a bound on a changed file)."""

from __future__ import annotations

import re

import pytest

from bench.recheck import per_file


@pytest.mark.parametrize(("n", "changed", "u", "c", "again"), [(1000, 50, 0.00107, 0.038, 0.0214),
                                                                 (400, 20, 0.0005, 0.02, 0.03)])
def test_per_file_recovers_each_kinds_cost_and_the_bound_gives_ten_percent(n, changed, u, c, again):
    runs = {"quiet": {"cpu_s": n * u}, "weekly": {"cpu_s": (n - changed) * u + changed * c},
            "full": {"cpu_s": (n - changed) * again + changed * c}}
    said = [float(x) for x in re.findall(r"(\d+\.\d+) ms", per_file(runs, n, changed))]
    assert said[:3] == [pytest.approx(v * 1e3, abs=0.05) for v in (u, c, again)]
    bound = said[3] / 1e3
    weekly, full = (n - changed) * u + changed * bound, (n - changed) * again + changed * bound
    assert weekly / full == pytest.approx(0.10, abs=0.002)


def test_per_file_needs_both_kinds():
    runs = {"quiet": {"cpu_s": 1.0}, "weekly": {"cpu_s": 1.0}, "full": {"cpu_s": 2.0}}
    assert "needs" in per_file(runs, 10, 0) and "needs" in per_file(runs, 10, 10)


def test_the_benchmark_runs_its_three_runs_and_reads_them_per_file(monkeypatch, capsys):
    import sys

    from bench import recheck

    monkeypatch.setattr(sys, "argv", ["recheck", "--datasets", "20", "--rows", "50", "--changed", "0.1"])
    monkeypatch.setattr(recheck, "ROWS", recheck.ROWS)  # main() sets it from --rows: put it back afterwards
    recheck.main()
    out = capsys.readouterr().out
    assert "after the weekly run: 2 downloaded again, 18 answered 304" in out
    # a re-check sends to the search index no dataset whose files it only checked (2 changed files: their
    # versions change nothing the index reads either)
    assert "datasets sent to the search index again: full 0, weekly 0, nothing changed 0" in out
    assert re.search(r"\| SQLite \| 20 \| .* \| \d+\.\d%, \d+\.\d% \| \d+\.\d% \|", out)
    assert "per file (CPU): an unchanged dataset" in out and "load average after" in out
