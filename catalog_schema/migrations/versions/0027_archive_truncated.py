"""a distribution's archived copy cut at the download limit: distributions.archive_truncated

A link's file larger than OPENDATA_MAX_DOWNLOAD_BYTES is archived as its first part, enough to sniff. The check knew
(`CheckResult.truncated`) and nothing kept it: the cut copy was loaded into the row store and served as the file's
data (data.csv, datastore_search) as if whole. True now for such a copy; NULL (every row so far) or false: whole, as
far as the check knew.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("distributions", sa.Column("archive_truncated", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("archive_truncated")
