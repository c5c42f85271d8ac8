"""search: the change log an embedded index catches up from, instead of FTS5/tsvector tables

The search index moved out of the database into an embedded tantivy index per machine
(catalog_schema/search.py, docs/architecture.md "Search"). What stays in the database
is what every copy of that index needs to follow the catalog: `search_changes`, one
row per dataset ever changed, holding the sequence number of its latest change. An
index remembers the highest number it has applied and reads the rows above it.

- SQLite: a writer holds the database's only write lock until it commits, so the next
  number is max(seq) + 1 and numbers commit in order.
- PostgreSQL: numbers come from the sequence `search_change_seq`; two transactions may
  commit out of order, so an index keeps the numbers it skipped for a while (search.py).

The old tables (`search_docs`, `search_fts` and its trigger) are dropped; migration 0002
stays for history, and downgrading recreates them empty (run a reindex of the old code).

Like 0002's tables, `search_changes` is outside the models (migrations/env.py leaves
`search_*` out of autogenerate's comparison): search.py alone reads and writes it.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FTS_COLUMNS = ("title", "title_cjk", "keywords", "keywords_cjk", "publisher", "publisher_cjk",
                "description", "description_cjk")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_docs_after_delete")
        op.execute("DROP TABLE IF EXISTS search_fts")
        op.execute("DROP TABLE IF EXISTS search_docs")
        op.execute("CREATE TABLE search_changes (dataset_id VARCHAR(36) PRIMARY KEY, seq BIGINT NOT NULL)")
    elif dialect == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_docs")
        op.execute("CREATE SEQUENCE search_change_seq")
        op.execute("CREATE TABLE search_changes (dataset_id VARCHAR(36) PRIMARY KEY, seq BIGINT NOT NULL)")
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no search change log for dialect {dialect!r}")
    op.execute("CREATE INDEX search_changes_seq ON search_changes (seq)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP TABLE IF EXISTS search_changes")
    if dialect == "sqlite":
        op.execute("CREATE TABLE search_docs (id INTEGER PRIMARY KEY,"
                   " dataset_id VARCHAR(36) NOT NULL UNIQUE REFERENCES datasets (id) ON DELETE CASCADE)")
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(" + ", ".join(_FTS_COLUMNS)
                   + ", tokenize = 'unicode61 remove_diacritics 2')")
        op.execute("CREATE TRIGGER search_docs_after_delete AFTER DELETE ON search_docs BEGIN"
                   " DELETE FROM search_fts WHERE rowid = old.id; END")
    elif dialect == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS search_change_seq")
        op.execute("CREATE TABLE search_docs (dataset_id VARCHAR(36) PRIMARY KEY"
                   " REFERENCES datasets (id) ON DELETE CASCADE, doc tsvector NOT NULL)")
        op.execute("CREATE INDEX search_docs_doc_gin ON search_docs USING gin (doc)")
