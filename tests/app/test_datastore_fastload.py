"""Loading a table into the row store cheaply (issue 19: a re-check loads every changed file): the cells are
normalised as Arrow arrays (`convert.normalise_arrays`, the same texts as `normalise_batch`) and the DuckDB
files are written through one in-memory DuckDB instance, each attached while it is written."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from app.datastore import load as datastore
from app.export import convert
from quality.tabular import arrow

CELLS = ["", " ", "1", "+7", "007", "1.5e3", "1.50", "2024-1-5", "2024-01-05", "true", "yes", "x", "12:00:00",
         "2024-01", "1999", "-0", "inf", "nan", "1,000", "2024-01-05T10:00:00Z", "北京"]


def test_normalise_arrays_gives_the_texts_normalise_batch_gives():
    rnd = random.Random(19)
    for ftype in convert.XSD_TYPES:
        for fdesc in ({}, {"groupChar": ","}, {"bareNumber": False}, {"format": "%Y-%m-%d"}):
            for _ in range(25):
                cells = [rnd.choice(CELLS) for _ in range(rnd.randint(1, 12))]
                column = convert.Column(name="c", title="c", type=ftype, slug="c", fdesc=fdesc)
                batch = pa.RecordBatch.from_arrays([arrow.strings(cells)], names=["c"])
                reference = convert.normalise_batch(batch, [column])[0]
                texts, strings = convert.normalise_arrays(batch, [column])[0]
                assert texts.to_pylist() == reference.texts, (ftype, fdesc, cells)
                assert strings == bool(reference.strings), (ftype, fdesc, cells)


def test_loads_write_readable_duckdb_files_through_one_instance(tmp_path, monkeypatch):
    root = tmp_path / "store"
    monkeypatch.setattr(datastore, "NATIVE_MIN_ROWS", 50)  # tables of 50 rows count as big: DuckDB copies
    for k in range(3):
        path = tmp_path / f"t{k}.csv"
        path.write_text("id,district,n\n" + "".join(f"{i},D{i % 3},{i * k}\n" for i in range(50)), encoding="utf-8")
        loaded = datastore.load(root, f"{k:02d}" * 32, path, format="CSV")
        assert isinstance(loaded, datastore.Loaded) and loaded.rows == 50 and loaded.db is not None
        con = duckdb.connect(str(loaded.db), read_only=True)
        try:
            assert con.execute("SELECT count(*), sum(n) FROM rows").fetchone() == (50, sum(i * k for i in range(50)))
        finally:
            con.close()
    assert len(datastore._WRITER) == 1  # one instance for the process
    leftovers = [p.name for p in root.glob("??/.*")] + [p.name for p in root.glob("??/*.wal")]
    assert leftovers == []


def test_a_table_too_big_to_hold_is_staged_on_disk_with_the_same_result(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("code,n,when\n" + "".join(f"0{i},{i},2024-01-{1 + i % 28:02d}\n" for i in range(300))
                    + "x,1.5,soon\n", encoding="utf-8")
    monkeypatch.setattr(datastore, "PASS_ROWS", 100)
    held = datastore.load(tmp_path / "a", "aa" * 32, path, format="CSV")
    monkeypatch.setattr(datastore, "STAGE_IN_MEMORY", 0)  # every batch written to the staging file
    staged = datastore.load(tmp_path / "b", "aa" * 32, path, format="CSV")
    assert held.fields == staged.fields and held.rows == staged.rows == 301
    assert pq.read_table(held.path).equals(pq.read_table(staged.path))
