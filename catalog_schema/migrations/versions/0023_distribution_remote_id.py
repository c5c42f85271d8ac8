"""a file found by its source's id from an index

- ix_distributions_remote_id: CKAN's resource_show and the DataStore doors (datastore_search, datastore_info,
  /datastore/dump) take the id a harvested file had at its source, the `id` /api/v1 shows first. Without the
  index each such request read every distribution of the catalog (a million at catalog.data.gov's size), which
  any client could ask for again and again.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_distributions_remote_id", "distributions", ["remote_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_distributions_remote_id", table_name="distributions")
