"""a harvest's record rows without an index the unique one already gives

- ix_harvest_records_job_id dropped: uq_harvest_records_job_remote (job_id, remote_id) starts with job_id, so
  every lookup of a job's rows (its counts, the withdrawals' anti-join, a record done, the cascade when a job
  goes) reads that one. The second index cost every record row of every harvest an insert more (20,000 rows a
  daily harvest of a big source, unchanged records included).

Revision ID: 0024
Revises: 0023
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_harvest_records_job_id", table_name="harvest_records")


def downgrade() -> None:
    op.create_index("ix_harvest_records_job_id", "harvest_records", ["job_id"], unique=False)
