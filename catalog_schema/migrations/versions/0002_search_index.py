"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

The index lives in tables named `search_*`, which migrations/env.py leaves out of
autogenerate's comparison: they are written here in raw SQL per dialect and are
not part of the models (catalog_schema/search.py reads and writes them).

SQLite: `search_docs` maps a dataset id to an integer rowid (FTS5 rows are keyed
by integer) and cascades with the dataset; a trigger removes the FTS5 row when
the mapping row goes. `search_fts` has, per field, one column of Latin words and
one of CJK bigrams (see search.py for why), tokenised by unicode61.

PostgreSQL: `search_docs` holds one weighted tsvector per dataset (built with the
'simple' configuration from text search.py prepared) under a GIN index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Keep in step with catalog_schema.search.FTS_COLUMNS.
_FTS_COLUMNS = ("title", "title_cjk", "keywords", "keywords_cjk", "publisher", "publisher_cjk",
                "description", "description_cjk")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TABLE search_docs ("
            " id INTEGER PRIMARY KEY,"
            " dataset_id VARCHAR(36) NOT NULL UNIQUE REFERENCES datasets (id) ON DELETE CASCADE)"
        )
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(" + ", ".join(_FTS_COLUMNS)
            + ", tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_docs_after_delete AFTER DELETE ON search_docs BEGIN"
            " DELETE FROM search_fts WHERE rowid = old.id; END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TABLE search_docs ("
            " dataset_id VARCHAR(36) PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,"
            " doc tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX search_docs_doc_gin ON search_docs USING gin (doc)")
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no search index for dialect {dialect!r}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_docs_after_delete")
        op.execute("DROP TABLE IF EXISTS search_fts")
        op.execute("DROP TABLE IF EXISTS search_docs")
    elif dialect == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_docs")
