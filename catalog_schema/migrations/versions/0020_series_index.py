"""series index: a publisher's series counted from an index

- ix_datasets_kind_publisher (kind, publisher_id): the publisher pages count each department's series apart from
  its datasets (a series groups datasets and has no files of its own); with the index, the count is a seek to the
  few series rows of each publisher instead of a read of every dataset of it.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_datasets_kind_publisher", "datasets", ["kind", "publisher_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_datasets_kind_publisher", table_name="datasets")
