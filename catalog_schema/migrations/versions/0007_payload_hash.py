"""import speed: datasets.payload_hash

- datasets.payload_hash: the hash of the source payload (with what else its mapping depends on) that the
  dataset was last harvested from; a re-harvest that sees the same hash counts the record unchanged
  without mapping, validating or writing it (harvesters/base.py). NULL: not known (not harvested, or
  changed by the catalog since), so the next harvest maps it.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("payload_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("payload_hash")
