"""places: the spatial extent of datasets and GeoJSON files

- datasets.extent: the extent as the source gave it (the record's `extent`: {"bbox": [W, S, E, N],
  "geometry": GeoJSON or null}); NULL: none given.
- datasets.bbox_west, bbox_south, bbox_east, bbox_north: the box the catalog searches (`ext_bbox`) and
  draws: the extent's, else the union of its gazetteer places' boxes, else of its GeoJSON files' extents.
  NULL: no box known. Indexed together for the intersection query.
- distributions.extent: the extent of the archived copy of a GeoJSON file, computed at assessment
  ({"sha256", "bbox", "features"}); NULL: not GeoJSON or not assessed.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BBOX = ("bbox_west", "bbox_south", "bbox_east", "bbox_north")


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("extent", JSON, nullable=True))
        for column in BBOX:
            batch.add_column(sa.Column(column, sa.Float(), nullable=True))
        batch.create_index("ix_datasets_bbox", ["bbox_west", "bbox_east", "bbox_south", "bbox_north"])
    with op.batch_alter_table("distributions") as batch:
        batch.add_column(sa.Column("extent", JSON, nullable=True))
    _boxes_of_places()


def _boxes_of_places() -> None:
    """Datasets that name gazetteer places get their places' box now, not at their next save."""
    from catalog_schema import places

    datasets = sa.table("datasets", sa.column("id", sa.String), sa.column("spatial", JSON),
                        *(sa.column(c, sa.Float) for c in BBOX))
    bind = op.get_bind()
    for ds_id, spatial in bind.execute(sa.select(datasets.c.id, datasets.c.spatial)).all():
        box = places.effective_bbox(None, spatial or [])
        if box:
            bind.execute(datasets.update().where(datasets.c.id == ds_id).values(**places.bbox_columns(box)))


def downgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("extent")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_index("ix_datasets_bbox")
        for column in reversed(BBOX):
            batch.drop_column(column)
        batch.drop_column("extent")
