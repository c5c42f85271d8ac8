"""Accounts, memberships and API tokens: created, granted and revoked here (app.auth reads them).

A token is shown once to its owner and only its SHA-256 is stored (app.auth.hash_token).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, contains_eager
from werkzeug.security import generate_password_hash

from app.auth import (
    PREFIX_CHARS,
    TOKEN_PREFIX,
    aware,
    check_password,
    find_user,
    hash_token,
    normalize_email,
    role_on,
)
from app.services.base import service
from app.services.context import Actor
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.texts import T_
from catalog_schema.models import ROLES, AccountToken, ApiToken, Membership, Publisher, SignIn, User, utcnow
from catalog_schema.store import add_audit_event


def create_user(session: Session, email: str, *, sysadmin: bool = False, password: str | None = None,
                name: str | None = None) -> User:
    """A new user (ValueError when the address is taken; AccountError "bad-email" when it is not an address,
    "weak-password" when `password` is not one a new account may have: `opendata user add --password-stdin`
    took "short", or the address itself, where every other door refuses them)."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError("bad-email", f"not an e-mail address: {email!r}")
    if find_user(session, email) is not None:
        raise ValueError(f"a user {email} exists already")
    if password is not None:
        check_new_password(password, email)
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


def change_role(session: Session, user: User, publisher: Publisher, role: str | None, *, actor: User | None = None,
                via: str = "cli", ip: str | None = None) -> str | None:
    """Give `user` `role` on `publisher`, or (None) take every role there away: from then on their sessions and API
    tokens change nothing of its datasets (rights are read on each request). Audited when it changes something
    (`account.role_granted`, `account.role_removed`). Returns the role they had there (None: none)."""
    before = role_on(session, user, publisher)
    if role is None:
        if before is not None:
            session.execute(delete(Membership).where(Membership.user_id == user.id,
                                                     Membership.publisher_id == publisher.id))
    else:
        grant(session, user, publisher, role)
    if before != role:
        add_audit_event(session, user_id=actor.id if actor is not None else None,
                        action="account.role_removed" if role is None else "account.role_granted",
                        object_type="user", object_id=user.email, publisher_id=publisher.id,
                        before={"role": before}, after={"role": role}, detail={"publisher": publisher.slug, "via": via},
                        ip=ip)
    return before


# --------------------------------------------------------------------------- a publisher's members (web, CKAN)
#
# The members page and the CKAN actions organization_member_create/_delete change memberships through these two
# (the CLI's `user grant`/`remove` is the operator's and calls change_role itself). The rules, kept here only:
# an admin of the publisher or a sysadmin acts on anyone's membership; a member may leave by themselves; the last
# active admin is neither removed nor demoted (nobody could then invite, change members or read its audit log but
# a sysadmin). Rights are read on every request, so the change holds from the next one, sessions and API tokens
# alike; the invitations a former admin sent stop working with it (_still_vouched_for).


def members(session: Session, publisher: Publisher) -> list[Membership]:
    """The publisher's members, admins first, then by e-mail address; each with its user (the same statement)."""
    rows = session.scalars(select(Membership).join(Membership.user).options(contains_eager(Membership.user))
                           .where(Membership.publisher_id == publisher.id).order_by(Membership.role, User.email))
    return list(rows)


def manages_members(user: User | None, role: str | None) -> bool:
    """The rule of `may_manage_members`, given `user`'s role on the publisher (None: none): a sysadmin, or an active
    admin of it."""
    return user is not None and bool(user.active) and (bool(user.is_sysadmin) or role == "admin")


def sees_members(user: User | None, role: str | None) -> bool:
    """The rule of `may_see_members`, given `user`'s role on the publisher (None: none): a sysadmin, or an active
    member of it (an admin or an editor). /account, which lists one's memberships with their roles, asks it so."""
    return user is not None and bool(user.active) and (bool(user.is_sysadmin) or role is not None)


def _role_for_rules(session: Session, user: User | None, publisher: Publisher) -> str | None:
    """`user`'s role on `publisher`, read only when the rules above need it (not for nobody, an inactive account
    nor a sysadmin)."""
    if user is None or not user.active or user.is_sysadmin:
        return None
    return role_on(session, user, publisher)


def may_manage_members(session: Session, user: User | None, publisher: Publisher) -> bool:
    """May `user` remove the members of `publisher` and change their roles? A sysadmin, or an active admin of it."""
    return manages_members(user, _role_for_rules(session, user, publisher))


def may_see_members(session: Session, user: User | None, publisher: Publisher) -> bool:
    """May `user` see who the members of `publisher` are, and their roles (CKAN's organization_show `users`, the
    members page)? A sysadmin, or an active member of it (an admin or an editor); never the public nor other
    publishers' people."""
    return sees_members(user, _role_for_rules(session, user, publisher))


def may_see_account(viewer: User | None, account: User | None) -> bool:
    """May `viewer` see `account` (its address, its roles: CKAN's user_show)? The account itself and active
    sysadmins; never the public nor other accounts, whether or not `account` exists (None: nobody has it, which
    only a sysadmin is told)."""
    if viewer is None or not viewer.active:
        return False
    return bool(viewer.is_sysadmin) or (account is not None and account.id == viewer.id)


def may_list_accounts(viewer: User | None) -> bool:
    """May `viewer` list the portal's accounts (CKAN's user_list)? Active sysadmins only: the accounts are the
    publishers' staff, named by their e-mail addresses."""
    return viewer is not None and bool(viewer.active) and bool(viewer.is_sysadmin)


def _by_name(role: str, name: str | None, user_id: int) -> tuple:
    """The order of a reader who is shown no address, so that it tells nothing of them: admins first, then by the
    name shown (case aside), then by account number; the members who gave no name (shown by their account number)
    after those who did."""
    return role != "admin", not name, (name or "").casefold(), user_id


def visible_members(session: Session, user: User | None, publisher: Publisher) -> list[Membership]:
    """The publisher's members if `user` may see them (`may_see_members`), else none; by name (`_by_name`): CKAN's
    organization_show gives them with no address, to anyone."""
    if not may_see_members(session, user, publisher):
        return []
    return sorted(members(session, publisher), key=lambda m: _by_name(m.role, m.user.name, m.user_id))


@dataclass(frozen=True)
class SeenMember:
    """One member of a publisher as the members page shows them to its reader."""

    user_id: int
    name: str | None
    role: str  # admin or editor
    active: bool
    email: str | None  # to who may change the members (`manage`) only: they tell accounts apart by it; else None


@dataclass(frozen=True)
class MembersSeen:
    """A publisher's members as one reader may see them (`members_seen`)."""

    manage: bool  # may change their roles and remove them (`may_manage_members`)
    rows: list[SeenMember]


def members_seen(session: Session, user: User | None, publisher: Publisher) -> MembersSeen | None:
    """The members of `publisher` as `user` may see them, admins first, or None when they may not
    (`may_see_members`). Who may change them (`may_manage_members`: its admins, sysadmins) sees their e-mail
    addresses, and the members in their order (`members`); its other members (editors) see names and roles only,
    what CKAN's organization_show gives them: an address is private to the account and to who manages the
    publisher's members. Nor does the order tell it them: they get the members by name (`_by_name`)."""
    role = _role_for_rules(session, user, publisher)
    if not sees_members(user, role):
        return None
    manage = manages_members(user, role)
    rows = [SeenMember(m.user_id, m.user.name, m.role, bool(m.user.active), m.user.email if manage else None)
            for m in members(session, publisher)]
    return MembersSeen(manage, rows if manage else sorted(rows, key=lambda m: _by_name(m.role, m.name, m.user_id)))


def last_admins(session, user: User) -> set[int]:
    """The publishers (ids) of which `user` is the last active administrator: the one rule `_member_change` keeps (a
    publisher keeps at least one), read before they are offered to leave, so that it is not refused only once
    they confirmed it."""
    mine = [m.publisher_id for m in user.memberships if m.role == "admin"]
    if not mine:
        return set()
    others = set(session.scalars(select(Membership.publisher_id).join(Membership.user).where(
        Membership.publisher_id.in_(mine), Membership.role == "admin", Membership.user_id != user.id,
        User.active.is_(True))))
    return {pid for pid in mine if pid not in others}


def _member_change(actor: Actor, publisher: Publisher, member: User, role: str | None, *, add: bool) -> str | None:
    """The role `member` has on `publisher` now, once the change to `role` (None: removed) is found allowed."""
    session = actor.session
    # the publisher's memberships, locked (PostgreSQL) so that two admins removing each other cannot both pass the
    # last-admin check: the second reads the first's change once it is committed
    rows = session.execute(select(Membership.user_id, Membership.role, User.active).join(Membership.user)
                           .where(Membership.publisher_id == publisher.id)
                           .with_for_update(of=Membership)).all()
    roles = {r.user_id: r.role for r in rows}
    me = actor.user
    manager = me is not None and me.active and (me.is_sysadmin or roles.get(me.id) == "admin")
    leaving = role is None and me is not None and me.id == member.id
    if not manager and not leaving:
        raise Forbidden(T_("Only an admin of %(publisher)s (or a portal administrator) may change its members.",
                           publisher=publisher.slug))
    if role is not None and role not in ROLES:
        raise Invalid(T_("A member's role is admin or editor, not %(role)s.", role=repr(role)), code="bad-role",
                      field="role")
    before = roles.get(member.id)
    if before is None and not (add and role is not None):
        raise NotFound(T_("%(email)s is not a member of %(publisher)s.", email=member.email,
                          publisher=publisher.slug), code="not-a-member")
    other_admins = [r for r in rows if r.role == "admin" and r.active and r.user_id != member.id]
    if before == "admin" and role != "admin" and not other_admins:
        raise Conflict(T_("%(email)s is the last administrator of %(publisher)s: a publisher keeps at least one. Make "
                          "another member an administrator first.", email=member.email, publisher=publisher.slug),
                       code="last-admin", field="username")  # the member named (CKAN's organization_member_*)
    return before


@service
def set_member_role(actor: Actor, publisher: Publisher, member: User, role: str, *, add: bool = False) -> str | None:
    """Make `member` an `role` (admin or editor) of `publisher`; `add`: also when they are not a member yet (CKAN's
    organization_member_create; the pages add people by invitation). Audited as `account.role_granted` when it
    changes something; committed. Returns the role they had (None: none). Refused (ServiceError): not an admin of
    it nor a sysadmin (403), not a member (404, `not-a-member`), a role that is not one (422, `bad-role`), the last
    active admin demoted (409, `last-admin`)."""
    before = _member_change(actor, publisher, member, role, add=add)
    change_role(actor.session, member, publisher, role, actor=actor.user, via=actor.via, ip=actor.ip)
    actor.session.commit()
    return before


@service
def remove_member(actor: Actor, publisher: Publisher, member: User) -> str:
    """Take `member` out of `publisher` (their account, tokens and roles elsewhere stay), audited as
    `account.role_removed`; committed. Returns the role they had. Anyone may leave; refused as set_member_role
    refuses, the last active admin included (409, `last-admin`)."""
    before = _member_change(actor, publisher, member, None, add=False)
    change_role(actor.session, member, publisher, None, actor=actor.user, via=actor.via, ip=actor.ip)
    actor.session.commit()
    return before


def create_token(session: Session, user: User, name: str | None = None,
                 expires_at: dt.datetime | None = None) -> str:
    """A new API token for `user`; returns the plain token (the only time it exists in clear). AccountError
    "inactive" for a deactivated account: its tokens are refused, and one made for it was printed as if it
    worked."""
    if not user.active:
        raise AccountError("inactive", f"{user.email} is deactivated: its API tokens are refused")
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


def may_manage_tokens(viewer: User | None, owner: User | None) -> bool:
    """May `viewer` list, make or revoke `owner`'s API tokens (CKAN's api_token_* actions, the account page)? The
    account itself and active sysadmins, as CKAN's auth functions say (its sysadmins pass every check)."""
    return may_see_account(viewer, owner)


def _token_owner(actor: Actor, owner: User | None) -> User:
    """`owner` when the actor may manage its tokens; Forbidden otherwise, whether or not the account exists (None:
    nobody has it, which only a sysadmin is told, NotFound), as the accounts themselves are private."""
    if not may_manage_tokens(actor.user, owner):
        raise Forbidden(T_("Only the account itself and the portal's administrators manage its API tokens."))
    if owner is None:
        raise NotFound(T_("User not found"))
    return owner


@service
def issue_token(actor: Actor, owner: User | None, *, name: str | None = None,
                expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token for `owner`, made by the account itself or a sysadmin, audited (`token.create`) and committed:
    the row and the plain token (shown once, only its SHA-256 kept). A deactivated account gets none (409
    `conflict`: its tokens would be refused), nor does an expiry already past (422 on `expires_in`)."""
    owner = _token_owner(actor, owner)
    if expires_at is not None and aware(expires_at) <= utcnow():
        raise Invalid(T_("The token would have expired already."), field="expires_in")
    try:
        plain = create_token(actor.session, owner, name=name, expires_at=expires_at)
    except AccountError as exc:
        raise Conflict(T_("%(email)s is deactivated: its API tokens are refused, so none was made.",
                          email=owner.email)) from exc
    row = actor.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    audit_token(actor.session, "token.create", row, actor.user, via=actor.via, ip=actor.ip)
    actor.session.commit()
    return row, plain


def tokens_of(actor: Actor, owner: User | None) -> list[ApiToken]:
    """`owner`'s API tokens still in force or expired (revoked ones are gone for good, as CKAN deletes them), oldest
    first, to the account itself and sysadmins (Forbidden, else NotFound for an account nobody has)."""
    owner = _token_owner(actor, owner)
    return list(actor.session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id,
                                                             ApiToken.revoked_at.is_(None))
                                      .order_by(ApiToken.created_at, ApiToken.id)))


def find_token(session: Session, *, plain: str | None = None, token_id: str | int | None = None) -> ApiToken | None:
    """The token row a plain token or a token's number names, revoked or not (None when none)."""
    if plain is not None:
        if not isinstance(plain, str) or len(plain) > 500:
            return None
        return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain.strip())))
    try:
        number = int(str(token_id).strip())
    except (TypeError, ValueError):
        return None
    return session.get(ApiToken, number) if 0 < number < 2**63 else None


@service
def revoke_api_token(actor: Actor, token: ApiToken | None) -> bool:
    """Revoke a token (its owner's or a sysadmin's act), audited (`token.revoke`) and committed: it opens nothing
    from the next request on (app.auth.user_for_token reads the row each time). Another's token is Forbidden, as
    CKAN's auth says, and so is one nobody has to anyone but a sysadmin, for whom it is nothing to do (False), as is
    a token revoked already."""
    if token is None:
        if actor.user is not None and actor.user.active and actor.user.is_sysadmin:
            return False
        raise Forbidden(T_("Only the account itself and the portal's administrators manage its API tokens."))
    _token_owner(actor, token.user)
    if token.revoked_at is not None:
        return False
    revoke_token(actor.session, token.id)
    audit_token(actor.session, "token.revoke", token, actor.user, via=actor.via, ip=actor.ip)
    actor.session.commit()
    return True


# --------------------------------------------------------------------------- e-mailed links: invitations, resets
#
# Why tokens are kept as hashes: a copy of the database must not let anyone accept an invitation or reset a
# password. A link's token is 256 random bits, so a plain SHA-256 (app.auth.hash_token) is enough. Each link
# is used once (`used_at`), expires (INVITATION_EXPIRY_HOURS, PASSWORD_RESET_EXPIRY_MINUTES), and a password
# change voids the reset links still open.

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 500


class AccountError(ValueError):
    """A request about an account that cannot be done; `code` says which (the doors word it)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def check_new_password(password: str, email: str | None = None) -> None:
    """AccountError("weak-password") unless `password` is an acceptable new password."""
    if not isinstance(password, str) or len("".join(password.split())) < MIN_PASSWORD_CHARS:  # ten spaces were taken
        raise AccountError("weak-password", f"A password needs at least {MIN_PASSWORD_CHARS} characters "
                                            "(spaces not counted).")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError("weak-password", f"A password has at most {MAX_PASSWORD_CHARS} characters.")
    if email and password.strip().lower() == normalize_email(email):
        raise AccountError("weak-password", "The password may not be the e-mail address.")


def _new_link(session: Session, purpose: str, email: str, expires_at: dt.datetime, **fields) -> str:
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(purpose=purpose, token_hash=hash_token(token), email=normalize_email(email),
                             expires_at=expires_at, **fields))
    session.flush()
    return token


def find_link(session: Session, purpose: str, token: str | None) -> AccountToken | None:
    """The unused, unexpired link of `purpose` this token belongs to, else None."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(token.strip()),
                                                    AccountToken.purpose == purpose))
    if row is None or row.used_at is not None or aware(row.expires_at) <= utcnow():
        return None
    if purpose == "invite" and not _still_vouched_for(session, row):
        return None
    return row


def _still_vouched_for(session: Session, row: AccountToken) -> bool:
    """An invitation holds while whoever sent it may still invite to its publisher (a sysadmin, or an active admin
    of it): an admin removed from the publisher, or deactivated, could otherwise have invited another address of
    their own beforehand and come back through it. One the operator made on the command line (no sender) holds."""
    if row.created_by is None:
        return True
    sender = session.get(User, row.created_by)
    if sender is None or not sender.active:
        return False
    return sender.is_sysadmin or (row.publisher is not None and role_on(session, sender, row.publisher) == "admin")


def invite(session: Session, actor: User, email: str, publisher: Publisher, role: str, *,
           hours: float, ip: str | None = None) -> tuple[AccountToken, str]:
    """An invitation for `email` to join `publisher` as `role`; returns the row and the plain token (for the
    e-mail). Only a sysadmin or an admin of the publisher may invite."""
    if role not in ROLES:
        raise AccountError("bad-role", f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not actor.is_sysadmin and role_on(session, actor, publisher) != "admin":
        raise AccountError("forbidden", "Only an admin of the publisher (or a sysadmin) may invite to it.")
    email = normalize_email(email)
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise AccountError("bad-email", f"not an e-mail address: {email!r}")
    existing = find_user(session, email)
    token = _new_link(session, "invite", email, utcnow() + dt.timedelta(hours=hours),
                      user_id=existing.id if existing else None, publisher_id=publisher.id, role=role,
                      created_by=actor.id)
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(token)))
    add_audit_event(session, user_id=actor.id, action="account.invite", object_type="user", object_id=email,
                    publisher_id=publisher.id, before=None, after={"email": email, "publisher": publisher.slug,
                                                                    "role": role},
                    detail={"expires_at": aware(row.expires_at).isoformat(), "existing_account": bool(existing)},
                    ip=ip)
    return row, token


def pending_invitations(session: Session, actor: User | None) -> list[AccountToken]:
    """The invitations still open (not used, revoked or expired), newest first, that `actor` may see and revoke:
    every one for a sysadmin and for None (the portal's operator, on the command line), those to the publishers
    they are an admin of for anyone else."""
    now = utcnow()
    rows = session.scalars(select(AccountToken).where(AccountToken.purpose == "invite",
                                                      AccountToken.used_at.is_(None))
                           .order_by(AccountToken.created_at.desc(), AccountToken.id.desc()))
    open_rows = [r for r in rows if aware(r.expires_at) > now and _still_vouched_for(session, r)]
    if actor is None or actor.is_sysadmin:
        return open_rows
    return [r for r in open_rows if r.publisher is not None and role_on(session, actor, r.publisher) == "admin"]


def revoke_invitation(session: Session, actor: User, invitation_id: int, *, via: str,
                      ip: str | None = None) -> AccountToken:
    """Void an open invitation (its link stops working at once), audited. Who may see it may revoke it."""
    row = session.get(AccountToken, invitation_id) if isinstance(invitation_id, int) else None
    if row is None or row.purpose != "invite" or row.used_at is not None or aware(row.expires_at) <= utcnow():
        raise AccountError("no-invitation", f"No open invitation {invitation_id}.")
    if not actor.is_sysadmin and (row.publisher is None or role_on(session, actor, row.publisher) != "admin"):
        raise AccountError("forbidden", "Only an admin of the publisher (or a sysadmin) may revoke its invitations.")
    row.used_at = utcnow()
    add_audit_event(session, user_id=actor.id, action="account.invite_revoked", object_type="user",
                    object_id=row.email, publisher_id=row.publisher_id,
                    before={"email": row.email, "publisher": row.publisher.slug if row.publisher else None,
                            "role": row.role},
                    after=None, detail={"invitation": row.id, "via": via}, ip=ip)
    return row


def accept_invitation(session: Session, token: str, *, password: str | None, name: str | None = None,
                      ip: str | None = None) -> User:
    """Use an invitation: the account is created (with `password`) when it does not exist, and given the role.

    An existing account keeps its password (`password` is ignored: the invitee signs in as usual)."""
    row = find_link(session, "invite", token)
    if row is None:
        raise AccountError("bad-link", "This invitation link is not valid: it was used, it expired or it is wrong.")
    user = find_user(session, row.email)
    created = user is None
    if created:
        check_new_password(password or "", row.email)
        user = create_user(session, row.email, password=password, name=(name or "").strip()[:200] or None)
    before = {"role": role_on(session, user, row.publisher)}
    grant(session, user, row.publisher, row.role)
    row.used_at = utcnow()
    row.user_id = user.id
    add_audit_event(session, user_id=user.id, action="account.invite_accepted", object_type="user",
                    object_id=user.email, publisher_id=row.publisher_id, before=before,
                    after={"role": row.role}, detail={"publisher": row.publisher.slug, "new_account": created},
                    ip=ip)
    return user


def request_reset(session: Session, email: str, *, minutes: float, ip: str | None = None) -> tuple[User, str] | None:
    """A password-reset link for the active account with this address: (user, plain token), or None when there
    is no such account (the door answers the same either way: no account enumeration)."""
    user = find_user(session, email)
    if user is None or not user.active:
        return None
    token = _new_link(session, "reset", user.email, utcnow() + dt.timedelta(minutes=minutes), user_id=user.id)
    add_audit_event(session, user_id=user.id, action="account.reset_requested", object_type="user",
                    object_id=user.email, before=None, after=None, detail={}, ip=ip)
    return user, token


def _set_password(session: Session, user: User, password: str, *, keep_session: str | None = None) -> None:
    """The new password; every signed-in session of the user ends but the one holding `keep_session`, and the
    reset links still open are voided."""
    check_new_password(password, user.email)
    user.password_hash = generate_password_hash(password)
    end_other_sessions(session, user, keep_session)
    now = utcnow()
    for row in session.scalars(select(AccountToken).where(AccountToken.user_id == user.id,
                                                         AccountToken.purpose == "reset",
                                                         AccountToken.used_at.is_(None))):
        row.used_at = now  # a password change voids the reset links still open


def reset_password(session: Session, token: str, password: str, *, ip: str | None = None) -> User:
    """Set a new password with a reset link (used once); AccountError("bad-link"/"weak-password")."""
    row = find_link(session, "reset", token)
    user = session.get(User, row.user_id) if row is not None and row.user_id else None
    if user is None or not user.active:
        raise AccountError("bad-link", "This password-reset link is not valid: it was used, it expired or it is "
                                       "wrong. Ask for a new one.")
    _set_password(session, user, password)
    row.used_at = utcnow()
    add_audit_event(session, user_id=user.id, action="account.password_reset", object_type="user",
                    object_id=user.email, before=None, after=None, detail={}, ip=ip)
    return user


def change_password(session: Session, user: User, current: str, new: str, *, ip: str | None = None,
                    keep_session: str | None = None) -> None:
    """Change `user`'s password; the current one is needed (AccountError("wrong-password")). The user's other
    signed-in sessions end (`keep_session`: the token of the one that asked, which stays signed in)."""
    if not check_password(user, current or ""):
        raise AccountError("wrong-password", "The current password is wrong.")
    if new == current:
        raise AccountError("same-password", "The new password is the same as the current one.")
    _set_password(session, user, new, keep_session=keep_session)
    add_audit_event(session, user_id=user.id, action="account.password_changed", object_type="user",
                    object_id=user.email, before=None, after=None, detail={}, ip=ip)


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None, via: str = "cli") -> bool:
    """Deactivate (or reactivate) an account; whether it changed. A deactivated account cannot sign in, its
    signed-in sessions end (their rows go), and its API tokens answer "access denied" (they are kept, and work
    again once it is reactivated). Audited."""
    if bool(user.active) == active:
        return False
    user.active = active
    if not active:
        end_other_sessions(session, user)
    add_audit_event(session, user_id=actor.id if actor is not None else None,
                    action="account.activated" if active else "account.deactivated", object_type="user",
                    object_id=user.email, before={"active": not active}, after={"active": active},
                    detail={"via": via}, ip=None)
    return True


# --------------------------------------------------------------------------- browser sessions


def start_session(session: Session, user: User, *, max_hours: float) -> str:
    """A new signed-in session for `user`: the plain token its cookie carries (only its SHA-256 is kept). The
    user's sessions older than `max_hours` are removed on the way, so the table holds live ones only."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(SignIn).where(SignIn.user_id == user.id,
                                         SignIn.created_at < utcnow() - dt.timedelta(hours=max_hours)))
    session.add(SignIn(token_hash=hash_token(token), user_id=user.id, created_at=utcnow()))
    return token


def session_open(session: Session, user_id: int, token: str | None, *, max_hours: float) -> bool:
    """Whether the session holding `token` is still signed in as `user_id`: not signed out, not ended by a
    password change or reset, not older than `max_hours`."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return False
    row = session.get(SignIn, hash_token(token))
    if row is None or row.user_id != user_id:
        return False
    return utcnow() - aware(row.created_at) < dt.timedelta(hours=max_hours)


def end_session(session: Session, token: str | None) -> None:
    """Sign out the session holding `token` (nothing when it has none)."""
    if token and isinstance(token, str):
        session.execute(delete(SignIn).where(SignIn.token_hash == hash_token(token)))


def end_other_sessions(session: Session, user: User, keep: str | None = None) -> None:
    """Sign out every session of `user` but the one holding `keep` (all of them without it)."""
    stmt = delete(SignIn).where(SignIn.user_id == user.id)
    if keep:
        stmt = stmt.where(SignIn.token_hash != hash_token(keep))
    session.execute(stmt)


def audit_sign_in(session: Session, email: str, user: User | None, *, ok: bool, ip: str | None = None,
                  reason: str | None = None) -> None:
    """A sign-in or a failed one in the audit log (a failure names the address tried, known or not)."""
    add_audit_event(session, user_id=user.id if user is not None else None,
                    action="account.sign_in" if ok else "account.sign_in_failed", object_type="user",
                    object_id=(email or "")[:200], before=None, after=None,
                    detail={"reason": reason} if reason else {}, ip=ip)
