"""data dictionaries: distributions.dictionary

What the last profile of the archived table inferred of each column (type, unit, the measure) and the
notes rows' text, with the agency's edits beside it (catalog_schema.dictionary).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.add_column(sa.Column("dictionary", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("dictionary")
