"""first IRIs: datasets renamed before IRIs were pinned get the slug they were first published under

Since the first rename of a public dataset pins its IRI (`store.pin_iri`: `extras.publishing.iri_slug`, read by
`record.iri_slug`), a rename no longer changes `{site}/dataset/{slug}`. Datasets renamed before that change have
no pin: their IRI followed the rename, and harvesters of the catalog (other portals, data.europa.eu) still know
them by the one they were first published under. This migration pins it, as `pin_iri` would have at the time.

What it assumes, from what the database keeps of a rename:

- The slug a dataset was first published under is its oldest former slug still in `dataset_slugs` (earliest
  `changed_at`, the table has no other order; the slug breaks a tie). A rename back to a former slug takes that
  slug out of the table (`store.rename_dataset`), so a dataset renamed a -> b -> a -> c gets b, not a.
- `pin_iri` pins only while the dataset is public (active or withdrawn) at the rename. Renames made through the
  services are audited (`publish.rename`, with the record before it and `old_slug`): when the audit log holds the
  rename away from that slug, the dataset is pinned if it was public in any of them. A rename the log does not
  hold (a harvest renamed it at its source, which is not audited, or the entry is gone) is taken to have happened
  in the state the dataset is in now: it is pinned if it is active or withdrawn now.
- A deleted dataset is in no output and is left alone, and so is one that already has a pin (the migration can run
  again and changes nothing), and a slug that is another dataset's current slug or pin (possible only in a catalog
  from before no dataset could take another's former slug): pinning it would give two datasets one IRI.

A pinned dataset's `modified_at` (and `updated_at`) is set to now and its search change logged: its IRI in the
catalog's outputs changed, and a harvester that asks the changes feed (`modified_since`) must see it again. Its
`content_hash` is left as it is (the next save writes it).

Downgrade leaves the pins: the code at 0021 reads them already (the pins are data in `extras`, no column), and
taking them away would change these datasets' IRIs once more, which is what the pin is there to prevent.

Revision ID: 0022
Revises: 0021
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

IRI_SLUG = "iri_slug"  # record.IRI_SLUG, frozen here
PUBLIC_STATES = ("active", "withdrawn")  # store.PUBLIC_STATES, frozen here

datasets = sa.table("datasets", sa.column("id", sa.String), sa.column("slug", sa.String),
                    sa.column("state", sa.String), sa.column("extras", JSON),
                    sa.column("modified_at", sa.DateTime(timezone=True)),
                    sa.column("updated_at", sa.DateTime(timezone=True)))
dataset_slugs = sa.table("dataset_slugs", sa.column("slug", sa.String), sa.column("dataset_id", sa.String),
                         sa.column("changed_at", sa.DateTime(timezone=True)))
audit_events = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("action", sa.String),
                        sa.column("object_type", sa.String), sa.column("object_id", sa.String),
                        sa.column("before", JSON), sa.column("detail", JSON))

# catalog_schema/changelog.py's statements, frozen here
_LOG_CHANGE = {
    "sqlite": "INSERT INTO search_changes (dataset_id, seq) VALUES "
              "(:id, (SELECT coalesce(max(seq), 0) + 1 FROM search_changes)) "
              "ON CONFLICT (dataset_id) DO UPDATE SET seq = excluded.seq",
    "postgresql": "INSERT INTO search_changes (dataset_id, seq) VALUES (:id, nextval('search_change_seq')) "
                  "ON CONFLICT (dataset_id) DO UPDATE SET seq = EXCLUDED.seq",
}


def _publishing(extras) -> dict:
    publishing = extras.get("publishing") if isinstance(extras, dict) else None
    return publishing if isinstance(publishing, dict) else {}


def _pinned(extras) -> str | None:
    value = _publishing(extras).get(IRI_SLUG)
    return value if isinstance(value, str) and value else None


def upgrade() -> None:
    bind = op.get_bind()
    first: dict[str, str] = {}  # dataset id -> its oldest former slug
    for slug, ds_id in bind.execute(sa.select(dataset_slugs.c.slug, dataset_slugs.c.dataset_id)
                                    .order_by(dataset_slugs.c.dataset_id, dataset_slugs.c.changed_at,
                                              dataset_slugs.c.slug)):
        first.setdefault(ds_id, slug)
    if not first:
        return
    former = sa.select(dataset_slugs.c.slug)
    # who else holds a former slug as its IRI: a dataset whose current slug it is, or one that pinned it
    others: dict[str, set[str]] = {}
    for ds_id, slug in bind.execute(sa.select(datasets.c.id, datasets.c.slug).where(datasets.c.slug.in_(former))):
        others.setdefault(slug, set()).add(ds_id)
    for ds_id, extras in bind.execute(sa.select(datasets.c.id, datasets.c.extras)
                                      .where(sa.cast(datasets.c.extras, sa.Text).like(f"%{IRI_SLUG}%"))):
        if _pinned(extras):
            others.setdefault(_pinned(extras), set()).add(ds_id)
    candidates = {ds_id: (state, extras) for ds_id, state, extras in bind.execute(
        sa.select(datasets.c.id, datasets.c.state, datasets.c.extras)
        .where(datasets.c.id.in_(sa.select(dataset_slugs.c.dataset_id)), datasets.c.state != "deleted"))
        if not _pinned(extras)}
    if not candidates:
        return
    public_at_rename: dict[tuple[str, str], bool] = {}  # (dataset id, old slug) -> public at a rename away from it
    for object_id, before, detail in bind.execute(
            sa.select(audit_events.c.object_id, audit_events.c.before, audit_events.c.detail)
            .where(audit_events.c.action == "publish.rename", audit_events.c.object_type == "dataset")):
        if object_id not in candidates or not isinstance(detail, dict):
            continue
        key = (object_id, detail.get("old_slug"))
        public = isinstance(before, dict) and before.get("state") in PUBLIC_STATES
        public_at_rename[key] = public_at_rename.get(key, False) or public
    now = dt.datetime.now(dt.UTC)
    pinned_ids = []
    for ds_id, (state, extras) in candidates.items():
        slug = first[ds_id]
        public = public_at_rename.get((ds_id, slug), state in PUBLIC_STATES)
        if not public or others.get(slug, set()) - {ds_id}:
            continue
        extras = dict(extras) if isinstance(extras, dict) else {}
        extras["publishing"] = {**_publishing(extras), IRI_SLUG: slug}
        bind.execute(datasets.update().where(datasets.c.id == ds_id)
                     .values(extras=extras, modified_at=now, updated_at=now))
        pinned_ids.append(ds_id)
    if pinned_ids and bind.dialect.name in _LOG_CHANGE:
        bind.execute(sa.text(_LOG_CHANGE[bind.dialect.name]), [{"id": i} for i in sorted(pinned_ids)])


def downgrade() -> None:
    """The pins stay (see the module's docstring): 0021's code reads them, and removing them moves IRIs again."""
