"""harvest error detail: the message id and parameters of a harvest error (issue 17)

- harvest_jobs.error_detail, harvest_records.error_detail: {"msgid": ..., "params": {...}} of the error kept
  as English text in `error` (harvesters/messages.py), so that the pages and the command line say it in the
  reader's language. NULL: the error is plain text (rows written before, or an exception that is no
  HarvestError), shown as it is.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("harvest_jobs", "harvest_records"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("error_detail", JSON, nullable=True))


def downgrade() -> None:
    for table in ("harvest_records", "harvest_jobs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("error_detail")
