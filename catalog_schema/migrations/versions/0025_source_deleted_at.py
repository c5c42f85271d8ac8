"""a deleted harvest source is kept, marked deleted, with its jobs and their record rows

- harvest_sources.deleted_at: when the source was deleted (`opendata source delete`). Deleting a source had
  removed its row, its jobs and every record row of them: the audit trail of what it harvested, and the public
  activity of the datasets it had imported, went with it.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("harvest_sources", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources") as batch:
        batch.drop_column("deleted_at")
