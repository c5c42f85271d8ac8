"""bench/harvest.py's `--phases`: a harvest with timers around each step says where a first harvest's time goes,
each step measured (none zero), together no more than the harvest took."""

from __future__ import annotations

import tempfile

from bench import harvest as bench_harvest


def test_the_phases_run_times_each_step_of_a_first_harvest():
    packages = bench_harvest.make_packages(60)
    httpd, url = bench_harvest.serve(packages)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            timed = bench_harvest.harvest_in_subprocess(f"sqlite:///{tmp}/bench.db", url, phases=True)
    finally:
        httpd.shutdown()
    assert timed["summary"]["added"] == 60 and timed["again"]["unchanged"] == 60
    steps = timed["phases"]
    assert set(steps) == {"reading the pages", "what the catalog holds", "mapping and checks", "rows and inserts",
                          "search-change log", "commits"}
    assert all(seconds > 0 for seconds in steps.values()), steps
    assert sum(steps.values()) <= timed["elapsed"]
    report = bench_harvest.report({"packages": 60, "load_before": (0, 0, 0), "load_after": (0, 0, 0),
                                   "raw_full": [0.01, 0.01], "phases": timed})
    assert "where a first harvest's time goes" in report and "mapping and checks" in report
    assert "us a package" in report and "the raw download: 167 us a package at best" in report
