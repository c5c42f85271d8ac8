"""bench/rows.py on a small generated table: the row API and bare DuckDB answer the same page, and it prints
its figures, ratios and the load average."""

from __future__ import annotations

from bench import rows as bench_rows


def test_rows_benchmark_runs_the_api_and_bare_duckdb(capsys):
    assert bench_rows.main(["--rows", "20000", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "table: 20,000 rows" in out and "types id=int, code=text, district=text, amount=numeric" in out
    assert "ratio rest / bare page+count" in out and "load average at end" in out
