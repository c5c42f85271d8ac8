"""one gate: personal-data facts per distribution, tombstones, slug history

- distributions.pii: what the last profile found in the archived copy (the serving gate reads it);
- datasets.withdrawn_reason, datasets.successor: the tombstone a withdrawn dataset answers with (410);
- dataset_slugs: slugs a dataset had before a rename (they answer 301 to the current one).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.add_column(sa.Column("pii", JSON, nullable=True))
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("successor", sa.Text(), nullable=True))
    op.create_table(
        "dataset_slugs",
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_slugs_dataset_id_datasets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_dataset_slugs")),
    )
    op.create_index(op.f("ix_dataset_slugs_dataset_id"), "dataset_slugs", ["dataset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dataset_slugs_dataset_id"), table_name="dataset_slugs")
    op.drop_table("dataset_slugs")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("successor")
        batch.drop_column("withdrawn_reason")
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("pii")
