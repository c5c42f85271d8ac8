"""high-value datasets: dcatap:hvdCategory and dcatap:applicableLegislation

- datasets.hvd_category, distributions.hvd_category: the HVD category IRIs (EU HVD category vocabulary,
  catalog_schema/vocab.py hvd_category); empty list: not a high-value dataset.
- datasets.applicable_legislation, distributions.applicable_legislation: ELI IRIs of the legislation
  (the HVD regulation, http://data.europa.eu/eli/reg_impl/2023/138/oj).
- distributions.access_service: the dcat:DataService (an API) the distribution is reached through, with its
  endpoint and its own HVD fields. NULL: none.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("datasets", "distributions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("hvd_category", JSON, nullable=True))
            batch.add_column(sa.Column("applicable_legislation", JSON, nullable=True))
            if table == "distributions":
                batch.add_column(sa.Column("access_service", JSON, nullable=True))


def downgrade() -> None:
    for table in ("datasets", "distributions"):
        with op.batch_alter_table(table) as batch:
            if table == "distributions":
                batch.drop_column("access_service")
            batch.drop_column("applicable_legislation")
            batch.drop_column("hvd_category")
