"""dataset series (DCAT-AP 3 dcat:DatasetSeries): datasets.kind, datasets.in_series, series_links

A series is a dataset of kind "series"; a member names its series in `in_series` as its source did (URI,
identifier, id or slug), and `series_links` holds one row a reference with the series it resolves to (NULL
until that series is in the catalog), so a series' members are one indexed query (catalog_schema/series.py).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), server_default="dataset", nullable=False))
        batch.add_column(sa.Column("in_series", JSONType, nullable=True))
    op.create_table(
        "series_links",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=500), nullable=False),
        sa.Column("series_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["datasets.id"], name=op.f("fk_series_links_member_id_datasets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["series_id"], ["datasets.id"], name=op.f("fk_series_links_series_id_datasets"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("member_id", "ref", name=op.f("pk_series_links")),
    )
    op.create_index(op.f("ix_series_links_ref"), "series_links", ["ref"])
    op.create_index(op.f("ix_series_links_series_id"), "series_links", ["series_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_series_links_series_id"), table_name="series_links")
    op.drop_index(op.f("ix_series_links_ref"), table_name="series_links")
    op.drop_table("series_links")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("in_series")
        batch.drop_column("kind")
