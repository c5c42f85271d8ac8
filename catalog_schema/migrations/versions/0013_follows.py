"""activity and follows: follows, and the indexes a dataset's activity reads by (issue 18 item 1)

- follows: a signed-in user follows a dataset, a publisher or a search (kind, target; q and fq of a search),
  with the period of the e-mail digest (daily or weekly) and where the next digest begins (`last_sent_at`);
  unique per (user, kind, target).
- ix_harvest_records_dataset_id, ix_audit_events_object: the activity of one dataset (app/activity.py) reads
  its harvest records and audit entries without scanning either table.

Revision ID: 0013
Revises: 0012 (the lead re-chains at merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("q", sa.Text(), nullable=True),
        sa.Column("fq", sa.Text(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "kind", "target", name="uq_follows_user_kind_target"),
    )
    op.create_index(op.f("ix_follows_user_id"), "follows", ["user_id"], unique=False)
    op.create_index(op.f("ix_harvest_records_dataset_id"), "harvest_records", ["dataset_id"], unique=False)
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_events_object", table_name="audit_events")
    op.drop_index(op.f("ix_harvest_records_dataset_id"), table_name="harvest_records")
    op.drop_index(op.f("ix_follows_user_id"), table_name="follows")
    op.drop_table("follows")
