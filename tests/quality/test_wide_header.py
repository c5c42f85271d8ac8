"""A header line longer than the head the table reader decides the layout from is read whole, not cut."""

from __future__ import annotations

import pytest

from quality.tabular import TableError, profile_file, profile_findings, read_table, unreadable_finding
from quality.tabular.model import HEAD_BYTES, MAX_LINE_BYTES


def _wide(path, columns: int, rows: int, *, name: str = "c{}") -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(name.format(i) for i in range(columns)) + "\n")
        for j in range(rows):
            fh.write(",".join(str(j) for _ in range(columns)) + "\n")


def test_a_header_longer_than_the_head_is_read_whole(tmp_path):
    path = tmp_path / "wide.csv"
    # Names of 13 bytes and a comma: 20,000 columns make a 280 kB header line, longer than the head. (With names of
    # 5 to 6 bytes it took 40,000, and the profile's cost goes by the column: 21 s in a worker of `make test`.)
    _wide(path, 20_000, 5, name="column_{:06d}")
    assert path.read_bytes().index(b"\n") > HEAD_BYTES
    p = profile_file(path)
    assert (p.rows, p.columns) == (5, 20_000)
    assert p.header[-1] == "column_019999" and not p.notes_rows_above
    assert [f.type for f in profile_findings(p, "d")] == []
    batches = list(read_table(path))
    assert sum(b.num_rows for b in batches) == 5 and batches[0].num_columns == 20_000


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


def test_a_wide_tables_names_and_preview_are_scanned_for_personal_data_in_one_pass_each(tmp_path, monkeypatch):
    """Each column name and preview cell is asked whether it is personal data itself, in one vectorised scan for
    all the names and one for all the cells: one scan each took about a millisecond, 16 s for a header of 20,000
    names of 11 characters or more."""
    from quality import pii

    scans: list[int] = []
    scan = pii.mask_array
    monkeypatch.setattr(pii, "mask_array", lambda arr, *a, **kw: scans.append(len(arr)) or scan(arr, *a, **kw))
    names = [f"measurement_{i:04d}" for i in range(300)]
    names[7] = "13812345678"  # a file without a header row: its first row of data, a mobile number among it
    rows = [[f"reading number {j}-{i}" for i in range(300)] for j in range(5)]
    rows[2][9] = "13912345678"
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(row) for row in [names, *rows]) + "\n", encoding="utf-8")
    p = profile_file(path)
    assert p.header_pii == {"13812345678": {"phone": 1}}
    assert [row[9] for row in p.sample] == ["[redacted]"] * 5 and p.sample[0][8] == "reading number 0-8"
    assert len(scans) == 2, scans  # the names with the readings a reader may have made of them; the cells
