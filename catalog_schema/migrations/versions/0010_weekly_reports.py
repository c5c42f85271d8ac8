"""weekly evaluation: weekly_reports (issue 17 item 3)

- weekly_reports: one row per publisher per ISO week ("2026-W48"), unique on (week, publisher_id); `body` is
  the report as computed that week (kept, never recomputed: the history officials compare against),
  `recipients`, `sent_at`, `send_error` and `send_attempts` say whether the e-mail to the publisher's admins
  went out (a failed send is retried on the next run).

Revision ID: 0010
Revises: 0009 (the lead re-chains at merge)
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.Column("recipients", _json(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_error", sa.Text(), nullable=True),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["publisher_id"], ["publishers.id"],
                                name=op.f("fk_weekly_reports_publisher_id_publishers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reports")),
        sa.UniqueConstraint("week", "publisher_id", name="uq_weekly_reports_week_publisher"),
    )
    op.create_index(op.f("ix_weekly_reports_week"), "weekly_reports", ["week"], unique=False)
    op.create_index(op.f("ix_weekly_reports_publisher_id"), "weekly_reports", ["publisher_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_weekly_reports_publisher_id"), table_name="weekly_reports")
    op.drop_index(op.f("ix_weekly_reports_week"), table_name="weekly_reports")
    op.drop_table("weekly_reports")
