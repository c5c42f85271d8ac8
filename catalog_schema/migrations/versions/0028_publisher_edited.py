"""what people said of a publisher, kept from harvests: publishers.edited and publishers.source_id

A publisher's admin (or a sysadmin) edited its title, description, homepage or logo (CKAN organization_update or
_patch), and the next harvest of a source naming it put the source's title back. `edited` lists the fields people
said (no harvest changes them again); `source_id` the harvest source whose harvests keep the rest up to date (the
first that names it; another only fills what is empty, so two sources naming it differently no longer take turns).
The fields already edited are read from the audit log (`publisher.created` and `publisher.updated` by a person).

Revision ID: 0028
Revises: 0027
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
FIELDS = ("title", "description", "homepage", "image_url", "extras")


def upgrade() -> None:
    op.add_column("publishers", sa.Column("edited", JSON, nullable=True))
    op.add_column("publishers", sa.Column("source_id", sa.Integer(), nullable=True))
    bind = op.get_bind()
    audit = sa.table("audit_events", sa.column("publisher_id", sa.Integer), sa.column("action", sa.String),
                     sa.column("after", JSON), sa.column("user_id", sa.Integer))
    edited: dict[int, set[str]] = {}
    rows = bind.execute(sa.select(audit.c.publisher_id, audit.c.after).where(
        audit.c.action.in_(("publisher.created", "publisher.updated")), audit.c.publisher_id.is_not(None),
        audit.c.user_id.is_not(None)))
    for publisher_id, after in rows:
        if isinstance(after, str):
            after = json.loads(after)
        edited.setdefault(publisher_id, set()).update(k for k in (after or {}) if k in FIELDS)
    publishers = sa.table("publishers", sa.column("id", sa.Integer), sa.column("edited", JSON))
    for publisher_id, fields in edited.items():
        if fields:
            bind.execute(publishers.update().where(publishers.c.id == publisher_id).values(edited=sorted(fields)))


def downgrade() -> None:
    with op.batch_alter_table("publishers") as batch:
        batch.drop_column("source_id")
        batch.drop_column("edited")
