"""The full dumps' database reader (catalog_schema.readers) on a SQLite catalog: query plans and packed rows."""

from __future__ import annotations

from sqlalchemy import event

from bench.export import generate
from catalog_schema import db as dbmod
from catalog_schema import readers


def test_sqlite_dump_reader_walks_the_slug_index_and_reads_every_dataset_once(tmp_path):
    url = f"sqlite:///{tmp_path}/catalog.db"
    generate(url, 2500, dists=2, publishers=3)
    engine = dbmod.make_engine(url)
    statements: list[tuple[str, tuple]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append((sql, params)))
    with dbmod.make_sessionmaker(engine)() as session:
        records = list(readers.iter_records(session, batch=1000))
    assert [r["slug"] for r in records] == [f"dataset-{i:07d}" for i in range(2500)]
    assert all(len(r["distributions"]) == 2 and r["distributions"][1]["format"] == "XLSX" for r in records)
    assert records[7]["title"] == {"en": "Dataset 7", "zh": "数据集 7"}
    assert records[7]["publisher"]["slug"] == "agency-1"
    dataset_queries = [(sql, params) for sql, params in statements if "FROM datasets" in sql and "LIMIT" in sql]
    assert len(dataset_queries) == 3
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for sql, params in dataset_queries:
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
            # Each batch walks the slug index from the last slug on: no sort of every active dataset.
            assert "TEMP B-TREE" not in plan and "slug>" in plan.replace(" ", ""), plan
    engine.dispose()
