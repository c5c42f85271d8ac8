"""The demo's example agency account: created once, admin of one sample publisher, a fresh password per run."""

from __future__ import annotations

from sqlalchemy import select

from app import auth
from app.demo import DEMO_AGENCY_EMAIL, DEMO_AGENCY_PUBLISHER, ensure_agency_account, register_samples
from catalog_schema.models import Membership, Publisher, User


def test_agency_account_is_idempotent(runtime):
    register_samples(runtime)
    first = ensure_agency_account(runtime)
    second = ensure_agency_account(runtime)
    assert first != second and len(second) >= 12
    with runtime.sessionmaker() as s:
        users = s.scalars(select(User).where(User.email == DEMO_AGENCY_EMAIL)).all()
        assert len(users) == 1 and not users[0].is_sysadmin
        assert auth.check_password(users[0], second) and not auth.check_password(users[0], first)
        roles = s.execute(select(Publisher.slug, Membership.role).join(Membership.publisher)
                          .where(Membership.user_id == users[0].id)).all()
        assert roles == [(DEMO_AGENCY_PUBLISHER, "admin")]
        pub = s.scalar(select(Publisher).where(Publisher.slug == DEMO_AGENCY_PUBLISHER))
        other = s.scalar(select(Publisher).where(Publisher.slug == "jh-transport"))
        assert auth.can_edit(s, users[0], pub) and not auth.can_edit(s, users[0], other)


def test_a_sample_source_someone_deleted_stays_deleted_when_the_demo_runs_again(runtime):
    """`opendata source delete` on a demo source, then `make demo` again: the demo pointed the deleted source at its
    port once more and stopped with a traceback when it harvested it (a deleted source keeps its name for its
    history, and cannot be harvested). It is left out now, as it was left."""
    from app.services.context import Actor
    from app.services.sources import delete_source
    from catalog_schema.models import HarvestSource

    first = register_samples(runtime)
    assert first and all(first.values())
    gone = "jh-stats-yearbook"
    with runtime.sessionmaker() as s:
        admin = s.scalar(select(User).where(User.is_sysadmin)) or User(email="root@example.gov", is_sysadmin=True)
        s.add(admin)
        s.flush()
        delete_source(Actor(s, admin, "test", runtime=runtime, lang="en"), gone)
        url = s.scalar(select(HarvestSource.url).where(HarvestSource.name == gone))
    again = register_samples(runtime, port=5999)  # the demo again, on another port
    assert again == {**first, gone: False}
    with runtime.sessionmaker() as s:
        kept = s.scalar(select(HarvestSource).where(HarvestSource.name == gone))
        assert kept.deleted_at is not None and kept.url == url and not kept.enabled
        live = s.scalars(select(HarvestSource.name).where(HarvestSource.deleted_at.is_(None))).all()
        assert sorted(live) == sorted(name for name in first if name != gone)
