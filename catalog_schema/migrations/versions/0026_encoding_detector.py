"""the encoding detector's version that decided a distribution's encoding

- distributions.encoding_detector: plumbing.textencoding.DETECTOR_VERSION when `detected_encoding` was decided. The
  row store loads an archived copy once, in the encoding decided then; when the detector's decisions changed (short
  GBK tables had been read as Korean cp949) the copy's bytes did not, and its stored table stayed garbled until an
  operator ran `opendata datastore rebuild`. A re-check of a table decided by an older detector now reads it again
  when today's decision differs. NULL (every row so far): decided before versions were recorded, older than any.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("distributions", sa.Column("encoding_detector", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("encoding_detector")
