"""sign-ins: a row per signed-in browser session, so that signing out ends it on the server

- sign_ins (token_hash, user_id, created_at): the SHA-256 of the random token a session cookie carries. The
  session is signed in while its row exists; before, a signed session cookie copied before sign-out still
  opened the publish pages, since nothing on the server knew it had ended. Sessions signed in before this
  revision have no row and are signed out at their next request.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_ins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sign_ins")),
    )
    with op.batch_alter_table("sign_ins") as batch:
        batch.create_index(batch.f("ix_sign_ins_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_ins") as batch:
        batch.drop_index(batch.f("ix_sign_ins_user_id"))
    op.drop_table("sign_ins")
