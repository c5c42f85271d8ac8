"""Catalog-wide checks (duplicates, fragmented series): the pure function, and the run that writes them."""

from __future__ import annotations

import time

from quality.catalog import MAX_LISTED, Entry, catalog_findings


def _e(i: int, title: str, publisher: str | None = "jt", hashes: tuple[str, ...] = ()) -> Entry:
    return Entry(id=f"id-{i:06d}", slug=f"ds-{i:06d}", title={"zh": title}, publisher=publisher, hashes=list(hashes))


def test_same_title_and_publisher_and_same_file_are_duplicates():
    found = catalog_findings([_e(1, "公交线路", hashes=("aa",)), _e(2, "公交线路 "), _e(3, "地铁站点", hashes=("aa",)),
                              _e(4, "公交线路", publisher="other")])
    [one] = found["id-000001"]
    assert one.type == "duplicate-dataset"
    assert one.evidence["others"] == "ds-000002, ds-000003"
    assert one.evidence["why"] == "same file; same title and publisher"
    assert [f.evidence["others"] for f in found["id-000003"]] == ["ds-000001"]
    assert "id-000004" not in found  # the same title from another publisher is not a duplicate


def test_a_series_split_by_month_is_fragmented_and_two_parts_are_not():
    found = catalog_findings([_e(1, "2024年1月 空气质量"), _e(2, "2024年2月 空气质量"), _e(3, "2024年3月 空气质量"),
                              _e(4, "2023年 预算"), _e(5, "2024年 预算")])
    assert [f.evidence["count"] for f in found["id-000002"]] == [3]
    assert found["id-000002"][0].evidence["others"] == "ds-000001, ds-000003"
    assert "id-000004" not in found


def test_a_file_shared_by_thousands_of_datasets_names_a_few_and_counts_the_rest():
    # A placeholder file linked from 20,000 datasets: each finding names MAX_LISTED others and the count of the
    # rest, and the check stays linear (the quadratic version held 20,000 x 20,000 names).
    n = 20_000
    entries = [_e(i, f"数据集 {chr(0x4e00 + i)}", hashes=("placeholder",)) for i in range(n)]
    start = time.process_time()
    found = catalog_findings(entries)
    assert time.process_time() - start < 30  # generous: a quadratic run does not finish in this
    assert len(found) == n
    evidence = found["id-000005"][0].evidence
    names, more = evidence["others"].rsplit(" (+", 1)
    assert names.split(", ") == [f"ds-{i:06d}" for i in range(MAX_LISTED + 1) if i != 5]
    assert more == f"{n - 1 - MAX_LISTED})"


def test_a_series_of_thousands_names_a_few_parts():
    entries = [_e(i, f"{2000 + i // 12}年{i % 12 + 1}月 客流") for i in range(600)]
    found = catalog_findings(entries)
    evidence = found["id-000000"][0].evidence
    assert evidence["count"] == 600
    assert evidence["others"].endswith(f"(+{599 - MAX_LISTED})")
