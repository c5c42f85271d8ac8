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
