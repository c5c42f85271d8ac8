"""one assessment per dataset and instant: ix_assessments_dataset_at becomes unique

An assessment run shared by workers stamps every chunk with the run's instant. When the broker delivers a
chunk twice (its visibility timeout passed while a busy worker still held it), both deliveries could commit
and the dataset counted two assessments for one run. The unique index makes the second commit fail; the
chunk then looks again and skips what the first delivery assessed (app/jobs.assess_chunk). Rows already
doubled are removed first, the lowest id of each pair kept.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "DELETE FROM assessments WHERE id NOT IN ("
        " SELECT keep FROM (SELECT min(id) AS keep FROM assessments GROUP BY dataset_id, assessed_at) AS kept)"))
    with op.batch_alter_table("assessments") as batch:
        batch.drop_index("ix_assessments_dataset_at")
        batch.create_index("ix_assessments_dataset_at", ["dataset_id", "assessed_at"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_index("ix_assessments_dataset_at")
        batch.create_index("ix_assessments_dataset_at", ["dataset_id", "assessed_at"])
