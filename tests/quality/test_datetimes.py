"""Date-times as frictionless reads them: naive local times (most exports write no offset), a space or another ASCII
character before the time, 24:00:00, fractions after "," ... were typed as text, so the profile, the row store and
the conversions treated a column of timestamps as strings."""

from __future__ import annotations

import itertools

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from frictionless.fields import DatetimeField

from app.datastore import load as datastore
from app.export import convert
from quality.tabular import profile_file
from quality.tabular.celltypes import valid_mask

DATES = ["2024-03-01", "2024-02-29", "2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10",
         "2024-3-01", "0000-01-01", "2024-12-31"]
SEPARATORS = ["T", " ", "t", "X", "5", "/", "\t", "\x00", "\x7f", "é", "ü", ""]
TIMES = ["10:00:00", "23:59:59", "24:00:00", "24:00:01", "00:00:60", "1:00:00", "10:0:00", "10:00", "10:60:00",
         "10:00:00.5", "10:00:00,25", "10:00:00.1234567", "10:00:00.", "24:00:00.000", "24:00:00.1"]
OFFSETS = ["", "Z", "z", "+08:00", "+0800", "+08", "-05:30", "+23:59", "-00:00", "+24:00", "+00:60", "+08:00:00",
           "+8", "+08:0", "+08:5", "+08:", "+080", "UTC", " "]


def test_every_spelling_is_a_date_time_exactly_when_frictionless_reads_one():
    cells = ["".join(parts) for parts in itertools.product(DATES, SEPARATORS, TIMES, OFFSETS)]
    read = DatetimeField(name="t").create_value_reader()
    ours = valid_mask(pa.array(cells, pa.string()), "datetime")
    differ = [(cell, bool(mine)) for cell, mine in zip(cells, ours, strict=True)
              if bool(mine) != (read(cell) is not None)]
    assert differ == [], differ[:20]
    assert ours.sum() > 1000  # the product holds many of each


def test_a_column_of_naive_date_times_is_typed_stored_and_served_as_date_times(tmp_path):
    path = tmp_path / "hotline.csv"
    rows = [f"{i},2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00,{i * 3}" for i in range(60)]
    path.write_text("id,received,calls\n" + "\n".join(rows) + "\n2024,2024-03-31T24:00:00,1\n", encoding="utf-8")
    assert profile_file(path).inferred_types["received"] == "datetime"
    loaded = datastore.load(tmp_path / "store", "ab" * 32, path, format="CSV")
    assert isinstance(loaded, datastore.Loaded), loaded
    assert loaded.field("received").type == "timestamp"
    stored = pq.read_table(loaded.path).column("received")
    assert stored.type == pa.timestamp("us")
    as_text = [v.isoformat() for v in stored.to_pylist()]
    assert as_text[:2] == ["2024-03-01T00:00:00", "2024-03-02T01:01:00"] and as_text[-1] == "2024-04-01T00:00:00"
    con = duckdb.connect()
    try:
        later = con.execute(f"SELECT count(*) FROM '{loaded.path}' WHERE received >= TIMESTAMP '2024-03-20'").fetchone()
    finally:
        con.close()
    assert later == (sum(1 + i % 28 >= 20 for i in range(60)) + 1,)
    assert convert._datetime("2024-03-01X10:00:00,5", {}) == "2024-03-01T10:00:00.500000"
    assert convert._datetime("2024-03-01T10:00:00.1234567z", {}) == "2024-03-01T10:00:00.123456+00:00"
