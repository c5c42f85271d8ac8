"""Tables kept while an assessment runs (quality/tabular/read.py `tables_kept`): a table read to its end is read
from memory the next time, the same rows in batches of the size asked; nothing is kept outside it, of a reader
that stopped early, or past its limits."""

from __future__ import annotations

import os

import pytest

from quality.tabular import read as read_mod
from quality.tabular import read_table, tables_kept


@pytest.fixture
def reads(monkeypatch):
    seen = []
    real = read_mod._read_table

    def counted(path, **kwargs):
        seen.append(os.path.basename(os.fspath(path)))
        return real(path, **kwargs)

    monkeypatch.setattr(read_mod, "_read_table", counted)
    return seen


def _rows(batches):
    return [row for b in batches for row in zip(*[c.to_pylist() for c in b.columns], strict=True)]


def _csv(path, n):
    path.write_text("id,name\n" + "".join(f"{i},名{i}\n" for i in range(n)), encoding="utf-8")
    return path


def test_a_table_read_again_comes_from_memory_in_the_batches_asked(tmp_path, reads):
    path = _csv(tmp_path / "t.csv", 250)
    with tables_kept():
        first = list(read_table(path, format="csv", batch_rows=100))
        again = list(read_table(path, format="csv", batch_rows=64))
        other = list(read_table(path, format="csv", encoding="gbk"))  # read another way: read again
    assert reads == ["t.csv", "t.csv"]
    assert _rows(first) == _rows(again) and len(_rows(first)) == len(_rows(other)) == 250
    assert [b.num_rows for b in first] == [100, 100, 50] and [b.num_rows for b in again] == [64, 64, 64, 58]
    assert again[0].schema.names == ["id", "name"]
    reads.clear()
    list(read_table(path, format="csv"))  # outside: nothing kept
    assert reads == ["t.csv"]


def test_nothing_is_kept_of_a_reader_stopped_early_a_changed_file_or_a_table_too_big(tmp_path, reads):
    path = _csv(tmp_path / "t.csv", 300)
    with tables_kept():
        next(read_table(path, format="csv", batch_rows=100))  # stopped after its first batch
        list(read_table(path, format="csv"))
        list(read_table(path, format="csv"))
        _csv(path, 301)  # the file changed on disk
        assert len(_rows(read_table(path, format="csv"))) == 301
    assert reads == ["t.csv", "t.csv", "t.csv"]
    reads.clear()
    with tables_kept(one=100):  # bigger than a table may be
        list(read_table(path, format="csv"))
        list(read_table(path, format="csv"))
    assert reads == ["t.csv", "t.csv"]
    reads.clear()
    small = [_csv(tmp_path / f"s{i}.csv", 50) for i in range(3)]
    with tables_kept(limit=1):  # the least recently kept goes first past the limit: none stays here
        for p in small + small:
            list(read_table(p, format="csv"))
    assert reads == ["s0.csv", "s1.csv", "s2.csv"] * 2
