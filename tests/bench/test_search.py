"""bench/search.py on a small SQLite catalog: every query answers, finds what the generator made, and replays bare."""

from __future__ import annotations

from bench import search as bench_search
from bench.export import TOPICS


def test_search_benchmark_runs_each_query_through_the_app_and_bare(tmp_path):
    n = 600
    url = f"sqlite:///{tmp_path}/catalog.db"
    index_dir = str(tmp_path / "search-index")
    prep = bench_search.prepare(url, n, index_dir)
    assert prep["index_s"] > 0 and prep["sql_index_s"] > 0
    compared = bench_search.compare(url, repeat=2, budget=5.0, log=lambda *a: None)
    assert compared and all(r["same"] for r in compared.values()), compared  # the index answers as SQL did
    results = bench_search.measure(url, repeat=2, log=lambda *a: None, index_dir=index_dir)
    assert list(results) == [label for label, _ in bench_search.QUERIES]
    traffic = sum(1 for i in range(n) if i % len(TOPICS) == 0)  # topic 0: "traffic" / 交通
    assert results["q=traffic"]["count"] == results["q=交通"]["count"] == traffic
    assert results["facets only, rows=0"]["count"] == n
    for label, r in results.items():
        assert len(r["ours"]) == len(r["bare"]) == 2, label
        # a page of results reads its datasets, facets their publishers' names; a page past the last with no
        # facets is answered by the index alone
        params = dict(bench_search.QUERIES)[label]
        shown = min(params.get("rows", 10), r["count"] - params.get("start", 0))
        assert r["statements"] >= (2 if shown > 0 else 1 if params.get("facet.field") else 0), (label, r["count"])
        assert all(t > 0 for t in r["ours"] + r["bare"]), label
    lines = bench_search.report("sqlite", results)
    assert "ratio p50" in lines[3] and "requests" in lines[0]
