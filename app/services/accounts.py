"""Accounts, memberships and API tokens: created, granted and revoked here (app.auth reads them).

A token is shown once to its owner and only its SHA-256 is stored (app.auth.hash_token).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.auth import PREFIX_CHARS, TOKEN_PREFIX, find_user, hash_token, normalize_email
from catalog_schema.models import ROLES, ApiToken, Membership, Publisher, User, utcnow
from catalog_schema.store import add_audit_event


def create_user(session: Session, email: str, *, sysadmin: bool = False, password: str | None = None,
                name: str | None = None) -> User:
    """A new user (ValueError when the address is taken or not an address)."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise ValueError(f"not an e-mail address: {email!r}")
    if find_user(session, email) is not None:
        raise ValueError(f"a user {email} exists already")
    user = User(email=email, name=name, is_sysadmin=sysadmin, active=True,
                password_hash=generate_password_hash(password) if password else None)
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, publisher: Publisher, role: str) -> Membership:
    """Give `user` `role` on `publisher` (replacing the role they had there)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    member = session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                     Membership.publisher_id == publisher.id))
    if member is None:
        member = Membership(user=user, publisher=publisher, role=role)
        session.add(member)
    member.role = role
    session.flush()
    return member


def create_token(session: Session, user: User, name: str | None = None,
                 expires_at: dt.datetime | None = None) -> str:
    """A new API token for `user`; returns the plain token (the only time it exists in clear)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=hash_token(token), prefix=token[:PREFIX_CHARS],
                         expires_at=expires_at))
    session.flush()
    return token


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def audit_token(session: Session, action: str, token: ApiToken, actor: User, *, via: str,
                ip: str | None = None) -> None:
    """The audit entry of a token created or revoked (sysadmins see these)."""
    add_audit_event(session, user_id=actor.id, action=action, object_type="api_token", object_id=str(token.id),
                    before=None, after=None, ip=ip,
                    detail={"via": via, "owner": token.user.email, "prefix": token.prefix, "name": token.name})
