"""every archived copy of a distribution: distribution_versions

One row per copy a check found (sha256, size, where it is in the archive, its format and encoding, when it
was archived, its stars, what its profile found of personal data, and how its rows changed from the copy
before), so earlier versions can be listed, compared and downloaded through the serving gate.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "distribution_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("format", sa.String(length=100), nullable=True),
        sa.Column("encoding", sa.String(length=50), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("pii", JSON, nullable=True),
        sa.Column("change", JSON, nullable=True),
        sa.ForeignKeyConstraint(["distribution_id"], ["distributions.id"],
                                name=op.f("fk_distribution_versions_distribution_id_distributions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_versions")),
        sa.UniqueConstraint("distribution_id", "sha256", name="uq_distribution_versions_copy"),
    )
    op.create_index(op.f("ix_distribution_versions_distribution_id"), "distribution_versions", ["distribution_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_distribution_versions_distribution_id"), table_name="distribution_versions")
    op.drop_table("distribution_versions")
