"""the publish form: datasets.prepublication_check

- datasets.prepublication_check: the last pre-publication check of the dataset as the agency saw it
  (stars, score, findings, preview, what blocks publishing) with the fingerprint of the record and files
  it was computed from; the publish page shows it again until the draft or its files change
  (app/services/check.py). NULL: never checked.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("prepublication_check", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("prepublication_check")
