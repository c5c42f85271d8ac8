"""The row store keeps a table's rows clustered on its categorical columns, so DuckDB's zone maps skip the row
groups a filter on them excludes; answers do not depend on the stored order (queries sort by _id)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from app.datastore.load import ID, TABLE, cluster_columns, native

N = 300_000  # over two of DuckDB's row groups (122,880 rows)
DISTRICTS = ["东港区", "北山区", "临江区", "白沙县", "南湖区", "西城区"]


def _table(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        ID: pa.array(range(1, N + 1), pa.int64()),
        "code": pa.array([f"C{i:07d}" for i in range(N)]),  # unique: not categorical
        "district": pa.array([DISTRICTS[(i * 7) % 6] for i in range(N)]),
        "flag": pa.array([i % 3 == 0 for i in range(N)]),
        "amount": pa.array([float(i % 1000) for i in range(N)]),
    }), path)
    return path


def test_categorical_columns_are_chosen_fewest_values_first(tmp_path):
    path = _table(tmp_path)
    with duckdb.connect() as con:
        assert cluster_columns(con, path) == ["flag", "district"]


def test_a_filter_on_a_clustered_column_reads_few_row_groups_and_answers_the_same(tmp_path):
    path = _table(tmp_path)
    target = tmp_path / "t.duckdb"
    native(path, target)
    with duckdb.connect(str(target), read_only=True) as con:
        # each district's rows sit together (within each flag value): few runs instead of every row group
        runs = con.execute(f"SELECT count(*) FROM (SELECT district, lag(district) OVER (ORDER BY rowid) AS prev "
                           f"FROM {TABLE}) WHERE prev IS DISTINCT FROM district").fetchone()[0]
        assert runs <= 2 * len(DISTRICTS)
        got = con.execute(f"SELECT {ID}, amount FROM {TABLE} WHERE district = '北山区' ORDER BY amount DESC, {ID} "
                          "LIMIT 5").fetchall()
    with duckdb.connect() as con:
        want = con.execute(f"SELECT {ID}, amount FROM read_parquet(?) WHERE district = '北山区' "
                           f"ORDER BY amount DESC, {ID} LIMIT 5", [str(path)]).fetchall()
    assert got == want


def test_a_table_with_no_categorical_column_keeps_row_order(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({ID: pa.array([3, 1, 2], pa.int64()), "x": pa.array([1.5, 2.5, 3.5])}), path)
    with duckdb.connect() as con:
        assert cluster_columns(con, path) == []
    native(path, tmp_path / "n.duckdb")
    with duckdb.connect(str(tmp_path / "n.duckdb"), read_only=True) as con:
        assert [r[0] for r in con.execute(f"SELECT {ID} FROM {TABLE}").fetchall()] == [1, 2, 3]
