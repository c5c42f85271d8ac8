"""A header line longer than the head the table reader decides the layout from is read whole, not cut."""

from __future__ import annotations

import pytest

from quality.tabular import TableError, profile_file, profile_findings, read_table, unreadable_finding
from quality.tabular.model import HEAD_BYTES, MAX_LINE_BYTES


def _wide(path, columns: int, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(f"c{i}" for i in range(columns)) + "\n")
        for j in range(rows):
            fh.write(",".join(str(j) for _ in range(columns)) + "\n")


def test_a_header_longer_than_the_head_is_read_whole(tmp_path):
    path = tmp_path / "wide.csv"
    _wide(path, 40_000, 5)
    assert path.read_bytes().index(b"\n") > HEAD_BYTES
    p = profile_file(path)
    assert (p.rows, p.columns) == (5, 40_000)
    assert p.header[-1] == "c39999" and not p.notes_rows_above
    assert [f.type for f in profile_findings(p, "d")] == []
    batches = list(read_table(path))
    assert sum(b.num_rows for b in batches) == 5 and batches[0].num_columns == 40_000


def test_a_header_beyond_the_bound_is_said_to_be_too_long(tmp_path):
    path = tmp_path / "endless.csv"
    columns = MAX_LINE_BYTES // 6 + 10
    _wide(path, columns, 1)
    with pytest.raises(TableError) as caught:
        profile_file(path)
    assert caught.value.reason == "header-too-long"
    finding = unreadable_finding(caught.value, "d")
    assert "first line" in finding.message and "MB" in finding.message and "damaged" not in finding.message
    assert "第一行" in finding.localised("zh")[0]
