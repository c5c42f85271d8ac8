"""Sign-in and the account page: `/login`, `/logout`, `/account`, API token create and revoke.

Why a new token is rendered in the POST's answer (not redirected to and not flashed): the plain
token exists only in that one response. A flash message would put it in the session cookie, which
is signed but not encrypted. The answer is `Cache-Control: no-store`.

Who may revoke a token: its owner or a sysadmin. Sysadmins may also create a token for another
user (by e-mail), as `opendata token create EMAIL` does. Creating and revoking tokens is audited.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import auth
from app.request_context import db_session
from app.security import (
    client_address,
    count_failed_login,
    current_account,
    login_limited,
    login_required_page,
    safe_next,
    sign_in_session,
    sign_out_session,
)
from app.services import accounts, follows
from app.services.context import Actor
from app.services.errors import Conflict
from app.web import notices
from app.web.follows import PERIOD_LABELS, described
from catalog_schema.models import ROLES, ApiToken, Publisher, User, utcnow

bp = Blueprint("account", __name__)

EXPIRY_CHOICES = (0, 30, 90, 365)  # days; 0 = never expires
MAX_NAME = 200


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if current_account() is not None and request.method == "GET":
        return redirect(next_url or url_for("account.index"))
    error = None
    email = ""
    status = 200
    if request.method == "POST":
        email = auth.normalize_email(request.form.get("email", ""))[:320]
        password = request.form.get("password", "")
        limiter = current_app.extensions["limiter"]
        if login_limited(limiter, email):
            error = _("Too many failed sign-ins. Wait a minute and try again.")
            status = 429
        else:
            s = db_session()
            user = auth.authenticate(s, email, password)
            if user is not None:
                accounts.audit_sign_in(s, email, user, ok=True, ip=client_address())
                s.commit()
                sign_in_session(user)  # a fresh session for the signed-in user
                return redirect(next_url or url_for("account.index"))
            count_failed_login(limiter, email)
            known = auth.find_user(s, email) if email else None
            accounts.audit_sign_in(s, email, known, ok=False, ip=client_address(),
                                   reason="inactive" if known is not None and not known.active else None)
            s.commit()
            error = _("Wrong e-mail address or password.")
            status = 401
    resp = Response(render_template("account/login.html", error=error, email=email, next_url=next_url), status)
    if status == 429:
        resp.headers["Retry-After"] = "60"
    return _no_store(resp)


@bp.post("/logout")
def logout():
    sign_out_session()
    return redirect(url_for("account.login"))


def _tokens(user: User) -> list[ApiToken]:
    """The account's tokens in force or expired, newest first: CKAN's api_token_list's (one service,
    accounts.tokens_of). A revoked token is gone from the page as from CKAN (it was listed, marked revoked, for
    ever); its revocation stays in the audit log (`token.revoke`)."""
    return list(reversed(accounts.tokens_of(Actor(db_session(), user, "web"), user)))


def _all_active_tokens() -> list[ApiToken]:
    now = utcnow()
    rows = db_session().scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [t for t in rows if t.expires_at is None or auth.aware(t.expires_at) > now]


def _emails(user_ids: set) -> dict[int, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return dict(db_session().execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _publisher_named(slug: str | None) -> Publisher | None:
    """The publisher a notice names by slug (after leaving one, or becoming its editor)."""
    return db_session().scalar(select(Publisher).where(Publisher.slug == slug)) if slug else None


def _page(user: User, *, new_token: str | None = None, new_token_row: ApiToken | None = None,
          error: str | None = None, status: int = 200) -> Response:
    from app.web.credentials import admin_publishers

    memberships = sorted(user.memberships, key=lambda m: m.publisher.slug)
    # the members page of each, when the one rule lets them see it (accounts.may_see_members, by the role read here)
    sees_members = {m.publisher_id for m in memberships if accounts.sees_members(user, m.role)}
    mine = described(db_session(), follows.of_user(Actor(db_session(), user, "web")))
    invitations = accounts.pending_invitations(db_session(), user)
    said = notices.told("account")  # what the change before said, kept in the session (never the query string's)
    html = render_template("account/index.html", user=user, memberships=memberships, sees_members=sees_members,
                           last_admin_of=accounts.last_admins(db_session(), user),
                           tokens=_tokens(user),
                           invite_publishers=admin_publishers(user), roles=ROLES,
                           welcome="welcome" in said, changed="changed" in said,
                           invitations=invitations, inviters=_emails({i.created_by for i in invitations}),
                           revoked=said.get("revoked"), left=_publisher_named(said.get("left")),
                           editor_of=_publisher_named(said.get("editor_of")),
                           all_tokens=_all_active_tokens() if user.is_sysadmin else [],
                           new_token=new_token, new_token_row=new_token_row, error=error,
                           expiry_choices=EXPIRY_CHOICES, now=utcnow(), aware=auth.aware, follows=mine,
                           periods=[(k, str(v)) for k, v in PERIOD_LABELS.items()])
    return _no_store(Response(html, status))


@bp.get("/account")
@login_required_page
def index():
    return _page(current_account())


@bp.post("/account/tokens")
@login_required_page
def token_create():
    me = current_account()
    s = db_session()
    owner = me
    target = auth.normalize_email(request.form.get("email", ""))
    if target and target != me.email:
        if not me.is_sysadmin:
            abort(403)
        owner = auth.find_user(s, target)
        if owner is None:
            return _page(me, error=_("No user has the e-mail address %(email)s.", email=target), status=400)
    name = (request.form.get("name") or "").strip()[:MAX_NAME] or None
    try:
        days = int(request.form.get("expires_days") or 0)
    except ValueError:
        days = -1
    if days not in EXPIRY_CHOICES:
        return _page(me, error=_("Choose an expiry from the list."), status=400)
    expires = utcnow() + dt.timedelta(days=days) if days else None
    try:  # the service CKAN's api_token_create calls too: who may, the audit entry
        row, plain = accounts.issue_token(Actor(s, me, "web", ip=client_address()), owner, name=name,
                                          expires_at=expires)
    except Conflict:  # a deactivated account: a token it could not use
        return _page(me, error=_("%(email)s is deactivated: its API tokens are refused, so none was made.",
                                 email=owner.email), status=400)
    return _page(me, new_token=plain, new_token_row=row, status=201)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required_page
def token_revoke(token_id: int):
    me = current_account()
    s = db_session()
    row = s.get(ApiToken, token_id)
    if row is None or row.user_id != me.id and not me.is_sysadmin:
        abort(404)  # another's token answers as one that does not exist: its number says nothing
    accounts.revoke_api_token(Actor(s, me, "web", ip=client_address()), row)
    return redirect(url_for("account.index"))
