"""Following: a signed-in user follows a dataset, a publisher or a search (CKAN's q and fq) and chooses how
often the digest of their changes comes (daily or weekly, per follow). The digest itself: app/services/digests.py.

Following writes no catalog row; a dataset is followed only where its reader may see it (a draft by who may edit
it: its activity then starts when it is published). Each service commits.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app import ckan_query
from app.services import lifecycle
from app.services.base import service
from app.services.context import Actor
from app.services.errors import Forbidden, Invalid, NotFound
from app.texts import T_
from catalog_schema.models import Dataset, Follow, Publisher, User

KINDS = ("dataset", "publisher", "search")
PERIODS = ("daily", "weekly")
MAX_QUERY_CHARS = 450  # q and fq together fit the target column with room to spare


def _signed_in(actor: Actor) -> None:
    if actor.user is None:
        raise Forbidden(T_("Sign in to follow datasets, publishers and searches."))


def _period(value: str | None, default: str) -> str:
    period = (value or default or "weekly").strip().lower()
    if period not in PERIODS:
        raise Invalid(T_("The digest comes daily or weekly."), field="period")
    return period


def _target(actor: Actor, kind: str, ref: str | None, q: str | None, fq: str | None) -> tuple[str, str | None,
                                                                                          str | None]:
    session = actor.session
    if kind == "dataset":
        ds, _old = lifecycle.find(session, ref or "")
        if ds is None or lifecycle.visible(session, ds, actor.user) != lifecycle.FOUND:
            raise NotFound(T_("No dataset %(ref)s.", ref=repr(ref)))
        return ds.id, None, None
    if kind == "publisher":
        pub = session.scalar(select(Publisher).where(Publisher.slug == (ref or "")))
        if pub is None:
            raise NotFound(T_("No publisher %(ref)s.", ref=repr(ref)))
        return str(pub.id), None, None
    if kind == "search":
        q, fq = " ".join((q or "").split()), " ".join((fq or "").split())
        if len(q) + len(fq) > MAX_QUERY_CHARS:
            raise Invalid(T_("The search is too long to follow."), field="q")
        try:
            ckan_query.translate(q or None, fq or None)
        except ckan_query.QueryError as exc:
            raise Invalid(T_("The search cannot be read: %(reason)s", reason=str(exc)), field="fq") from exc
        return f"{q}\n{fq}", q or None, fq or None
    raise Invalid(T_("One follows a dataset, a publisher or a search."), field="kind")


def find(actor: Actor, kind: str, ref: str | None = None, *, q: str | None = None,
         fq: str | None = None) -> Follow | None:
    """The user's follow of that dataset, publisher or search, if any (None when anonymous or unknown)."""
    if actor.user is None:
        return None
    try:
        target, _q, _fq = _target(actor, kind, ref, q, fq)
    except (NotFound, Invalid):
        return None
    return actor.session.scalar(select(Follow).where(Follow.user_id == actor.user.id, Follow.kind == kind,
                                                     Follow.target == target))


@service
def follow(actor: Actor, kind: str, ref: str | None = None, *, q: str | None = None, fq: str | None = None,
           period: str | None = None, default_period: str = "weekly") -> Follow:
    """Follow a dataset (slug), a publisher (slug) or a search (q, fq); following it again changes only the
    period when one is given."""
    _signed_in(actor)
    target, q, fq = _target(actor, kind, ref, q, fq)
    session = actor.session
    row = session.scalar(select(Follow).where(Follow.user_id == actor.user.id, Follow.kind == kind,
                                              Follow.target == target))
    if row is None:
        row = Follow(user_id=actor.user.id, kind=kind, target=target, q=q, fq=fq,
                     period=_period(period, default_period))
        session.add(row)
    elif period:
        row.period = _period(period, default_period)
    session.commit()
    return row


def _own(actor: Actor, follow_id: int | str) -> Follow:
    _signed_in(actor)
    try:
        row = actor.session.get(Follow, int(follow_id))
    except (TypeError, ValueError):
        row = None
    if row is None or row.user_id != actor.user.id:
        raise NotFound(T_("No such follow."))
    return row


@service
def unfollow(actor: Actor, follow_id: int | str) -> None:
    """Stop following (only one's own follows)."""
    actor.session.delete(_own(actor, follow_id))
    actor.session.commit()


@service
def set_period(actor: Actor, follow_id: int | str, period: str) -> Follow:
    """Daily or weekly digests for one follow."""
    row = _own(actor, follow_id)
    row.period = _period(period, row.period)
    actor.session.commit()
    return row


def followers(session, kind: str, target: str) -> int:
    """How many users follow `target` (a dataset's id, a publisher's number): CKAN's *_follower_count, public there."""
    return session.scalar(select(func.count()).select_from(Follow).where(Follow.kind == kind,
                                                                         Follow.target == target)) or 0


def followers_of(session, kind: str, target: str) -> list[User]:
    """The active accounts that follow `target` (a dataset's id, a publisher's number), the earliest follower first:
    CKAN's *_follower_list, which only sysadmins may read (the doors ask `accounts.may_list_accounts`)."""
    return list(session.scalars(select(User).join(Follow, Follow.user_id == User.id)
                                .where(Follow.kind == kind, Follow.target == target, User.active.is_(True))
                                .order_by(Follow.created_at, Follow.id)))


def followed_by(session, viewer: User | None, account: User) -> tuple[list[Dataset], list[Publisher]]:
    """The datasets and publishers `account` follows (its searches aside: CKAN has no such followee), in the order
    followed, as `viewer` may see them: a dataset `lifecycle.visible` would not show `viewer` (withdrawn since, or a
    draft of a publisher they no longer edit) is left out. Who may ask: `accounts.may_see_account`."""
    rows = list(session.scalars(select(Follow).where(Follow.user_id == account.id, Follow.kind.in_(("dataset",
                                                                                                   "publisher")))
                                .order_by(Follow.created_at, Follow.id)))
    found: list[Dataset] = []
    pubs: list[Publisher] = []
    for row in rows:
        if row.kind == "dataset":
            ds = session.get(Dataset, row.target)
            if ds is not None and lifecycle.visible(session, ds, viewer) == lifecycle.FOUND:
                found.append(ds)
        else:
            pub = session.get(Publisher, int(row.target))
            if pub is not None:
                pubs.append(pub)
    return found, pubs


def of_user(actor: Actor) -> list[Follow]:
    """What the user follows, oldest first."""
    if actor.user is None:
        return []
    return list(actor.session.scalars(select(Follow).where(Follow.user_id == actor.user.id)
                                      .order_by(Follow.created_at, Follow.id)))


def dataset_for(session, row: Follow) -> Dataset | None:
    return session.get(Dataset, row.target) if row.kind == "dataset" else None


def publisher_for(session, row: Follow) -> Publisher | None:
    return session.get(Publisher, int(row.target)) if row.kind == "publisher" else None
