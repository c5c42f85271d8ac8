"""Who may change what: publishers' admins and editors their own datasets, sysadmins all of them.

A harvested dataset (it has a harvest source) is read-only to everyone but sysadmins until an admin of its
publisher detaches it (app.services.datasets.detach).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import auth
from app.services import lifecycle
from app.services.errors import Forbidden, Invalid, NotFound
from app.texts import T_
from catalog_schema.models import Dataset, Membership, Publisher, User


def editable_publishers(session: Session, user: User | None) -> list[Publisher]:
    """The publishers whose datasets `user` may create and edit (all of them for a sysadmin)."""
    if user is None or not user.active:
        return []
    stmt = select(Publisher).order_by(Publisher.slug)
    if not user.is_sysadmin:
        stmt = stmt.join(Membership, Membership.publisher_id == Publisher.id).where(
            Membership.user_id == user.id, Membership.role.in_(auth.EDIT_ROLES))
    return list(session.scalars(stmt))



def unpublished_readable(session: Session, user: User | None) -> list[str] | None:
    """Whose drafts and withdrawn datasets `user` may read beside what is published, by `lifecycle.visible`'s rule:
    None for every publisher's (a sysadmin), else the slugs of the publishers they edit ([] for anyone else). CKAN's
    package_search gives its private, draft and deleted datasets to the same people; the search index filters by
    these publishers (catalog_schema.search `drafts_of`, `withdrawn_of`)."""
    if user is not None and user.active and user.is_sysadmin:
        return None
    return [p.slug for p in editable_publishers(session, user)]


def is_admin_of(session: Session, user: User | None, publisher: Publisher | None) -> bool:
    """Admins of the publisher and sysadmins: they override personal-data blocks and detach datasets."""
    if user is None or not user.active:
        return False
    if user.is_sysadmin:
        return True
    return publisher is not None and auth.role_on(session, user, publisher) == "admin"


def require_edit(session: Session, user: User | None, publisher: Publisher | None, what: str = "edit") -> None:
    if not auth.can_edit(session, user, publisher):
        raise _forbidden(publisher, what)


def _forbidden(publisher: Publisher | None, what: str = "edit") -> Forbidden:
    where = publisher.slug if publisher is not None else "a dataset without a publisher"
    return Forbidden(T_("You may not %(what)s datasets of %(where)s.", what=what, where=where))


def publisher_for(session: Session, user: User | None, ref: str | int | None) -> Publisher:
    """The publisher named by slug (or id) if `user` may publish for it."""
    pub = session.scalar(select(Publisher).where(Publisher.slug == str(ref or "")))
    if pub is None and isinstance(ref, str) and ref.isdigit():
        pub = session.get(Publisher, int(ref))
    if pub is None:
        raise Invalid(T_("No publisher %(ref)s.", ref=repr(str(ref)[:80])), code="invalid", field="publisher")
    require_edit(session, user, pub, "publish")
    return pub


def find_dataset(session: Session, ref: str) -> Dataset | None:
    """A dataset by id, slug or former slug (deleted ones included)."""
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    ds = session.get(Dataset, ref) if len(ref) == 36 else None
    return ds or lifecycle.find(session, ref)[0]


def dataset_for_edit(session: Session, user: User | None, ref: str, *, write: bool = True) -> Dataset:
    """The dataset `ref` (slug or id) if `user` may edit it: NotFound when there is none (or it is deleted),
    Forbidden when it belongs to a publisher the user does not edit, or (for writes) when it is harvested and
    the user is not a sysadmin.

    To whoever may not edit it, a dataset the public may not know of (a draft: `lifecycle.visible` says MISSING)
    is NotFound like one that does not exist, as every read door answers it: a Forbidden told another publisher's
    editor that a draft of that name existed. A published or withdrawn one (its page or its tombstone is public)
    stays Forbidden."""
    ds = find_dataset(session, ref)
    missing = NotFound(T_("No dataset %(ref)s.", ref=repr(str(ref)[:80])))
    if ds is None or ds.state == "deleted":
        raise missing
    if not auth.can_edit(session, user, ds.publisher):
        raise missing if lifecycle.visible(session, ds) == lifecycle.MISSING else _forbidden(ds.publisher)
    if write:
        ensure_not_harvested(ds, user)
    return ds


def ensure_not_harvested(ds: Dataset, user: User | None) -> None:
    if ds.source_id is not None and not (user is not None and user.is_sysadmin):
        raise Forbidden(T_("Dataset %(slug)s is harvested from a source: it is read-only until an admin of its "
                           "publisher detaches it from the source.", slug=ds.slug), code="harvested")


def my_datasets(session: Session, user: User | None) -> list[Dataset]:
    """Every dataset (drafts included, deleted ones not) of the publishers `user` edits, newest first."""
    pubs = editable_publishers(session, user)
    if not pubs:
        return []
    stmt = select(Dataset).where(Dataset.state != "deleted").order_by(Dataset.modified_at.desc(), Dataset.slug)
    if not user.is_sysadmin:
        stmt = stmt.where(Dataset.publisher_id.in_([p.id for p in pubs]))
    return list(session.scalars(stmt.limit(1000)))
