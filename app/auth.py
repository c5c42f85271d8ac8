"""Accounts, roles and API tokens.

Why tokens look the way they do: a token is shown once to its owner and only its
SHA-256 is stored (`ApiToken.token_hash`), so a copy of the database does not hand
out write access. A short prefix is kept in clear so an owner can tell their tokens
apart in a list. Tokens are random (256 bits), so a plain hash is enough: there is
nothing to brute-force the way there is with a password.

Who may do what is read here; accounts, memberships and tokens are created and revoked by
app.services.accounts.

Roles: a sysadmin may do anything; otherwise a user acts on a publisher through a
Membership with role `admin` (manages members and sources) or `editor` (edits its
datasets). Both may edit datasets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from catalog_schema.models import ApiToken, Membership, Publisher, User, utcnow

TOKEN_PREFIX = "odp_"
PREFIX_CHARS = 12  # of the plain token kept in clear (ApiToken.prefix is String(12))
EDIT_ROLES = ("admin", "editor")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


_DUMMY_HASH: list[str] = []


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this address and password, else None.

    An unknown address costs a password check too, so the answer's timing does not tell which
    addresses have accounts.
    """
    user = find_user(session, email) if email else None
    if user is None or not user.password_hash:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16)))
        check_password_hash(_DUMMY_HASH[0], password)
        return None
    if not check_password(user, password) or not user.active:
        return None
    return user




def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


aware = _aware  # public: SQLite hands back naive UTC datetimes


def admin_publisher_ids(session: Session, user: User | None) -> list[int]:
    """Ids of the publishers `user` is an admin of (not sysadmin rights: check `is_sysadmin` yourself)."""
    if user is None or not user.active:
        return []
    return list(session.scalars(select(Membership.publisher_id).where(Membership.user_id == user.id,
                                                                      Membership.role == "admin")))


def user_for_token(session: Session, token: str | None) -> User | None:
    """The active user a token belongs to; None for an unknown, revoked or expired token.

    Marks the token used (`last_used_at`); the caller's commit keeps that.
    """
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        return None
    if not row.user.active:
        return None
    row.last_used_at = now
    return row.user


def role_on(session: Session, user: User, publisher: Publisher) -> str | None:
    """The user's role on a publisher (admin, editor) or None."""
    return session.scalar(select(Membership.role).where(Membership.user_id == user.id,
                                                        Membership.publisher_id == publisher.id))


def can_edit(session: Session, user: User | None, publisher: Publisher | None) -> bool:
    """May `user` create or change datasets of `publisher`? Sysadmins always; others as its admin or editor."""
    if user is None or not user.active:
        return False
    if user.is_sysadmin:
        return True
    if publisher is None:
        return False
    return role_on(session, user, publisher) in EDIT_ROLES
