"""A publisher's members, for its admins (and sysadmins): `/publisher/<slug>/members`.

- `GET /publisher/<slug>/members`: who is a member, with what role. To the publisher's admins and sysadmins each row
  shows the member's e-mail address, changes the role (editor <-> admin) and links to removing the member; to its
  other members (editors) it is read-only: names and roles, as CKAN's organization_show gives them. Others 403
  (accounts.members_seen decides both: who sees, and what).
- `POST /publisher/<slug>/members/<user_id>/role`: the new role (`role`: admin or editor).
- `GET /publisher/<slug>/members/<user_id>/remove`: the confirmation page (what removing does); the member themselves
  reaches it too, to leave the publisher (linked from /account).
- `POST` the same address: removes.

Every change is made by app.services.accounts (set_member_role, remove_member), which keeps the rules (who may,
the last admin stays) and writes the audit rows; the CKAN actions organization_member_create/_delete call the same.
People join by invitation (/account).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import auth
from app.i18n import current_lang
from app.request_context import db_session
from app.security import client_address, current_account, login_required_page
from app.services import accounts
from app.services.context import Actor
from app.services.errors import ServiceError
from app.texts import Text, say
from app.web import notices
from catalog_schema.models import ROLES, Publisher, User
from catalog_schema.record import pick_text

bp = Blueprint("members", __name__)


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _publisher(slug: str) -> Publisher:
    pub = db_session().scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        abort(404)
    return pub


def _member(pub: Publisher, user_id: int) -> tuple[User, str]:
    """The user and their role on `pub`; 404 when they are none of its members."""
    user = db_session().get(User, user_id)
    role = auth.role_on(db_session(), user, pub) if user is not None else None
    if role is None:
        abort(404)
    return user, role


def _name(pub: Publisher) -> str:
    return pick_text(pub.name, current_lang()) or pub.slug


def _said(exc: ServiceError, pub: Publisher) -> str:
    """The refusal in the reader's language, naming the publisher as the page does (the service names its slug)."""
    if exc.code == "bad-role":
        return _("Choose a role from the list.")
    message = exc.message
    if isinstance(message, Text) and "publisher" in message.params:
        message = Text(message.msgid, **{**message.params, "publisher": _name(pub)})
    return say(message, _)


def _actor() -> Actor:
    return Actor(db_session(), current_account(), "web", ip=client_address(), lang=current_lang())


def _page(pub: Publisher, *, error: str | None = None, status: int = 200) -> Response:
    me = current_account()
    seen = accounts.members_seen(db_session(), me, pub)
    if seen is None:
        abort(403)
    notice = None
    for done, email in notices.told("members").items():  # kept by the change (never the query string's words)
        if done == "removed":
            notice = _("%(email)s is no longer a member of %(publisher)s", email=email, publisher=_name(pub))
        elif done == "admin":
            notice = _("%(email)s is now an administrator of %(publisher)s", email=email, publisher=_name(pub))
        elif done == "editor":
            notice = _("%(email)s is now an editor of %(publisher)s", email=email, publisher=_name(pub))
    html = render_template("publishers/members.html", pub=pub, rows=seen.rows, manage=seen.manage, roles=ROLES, me=me,
                           error=error, notice=notice)
    return _no_store(Response(html, status))


@bp.get("/publisher/<slug>/members")
@login_required_page
def index(slug: str):
    return _page(_publisher(slug))


def _after(pub: Publisher, member: User, done: str):
    """Back to the members page, which says what was done; to /account when the reader may no longer see that page
    (they left, or made themselves an editor). What was done rides in the session (app/web/notices.py)."""
    if accounts.may_manage_members(db_session(), current_account(), pub):
        notices.tell("members", done, member.email)
        return redirect(url_for("members.index", slug=pub.slug), code=303)
    notices.tell("account", "left" if done == "removed" else "editor_of", pub.slug)
    return redirect(url_for("account.index"), code=303)


def _refused(pub: Publisher, exc: ServiceError) -> Response:
    db_session().rollback()
    if accounts.may_manage_members(db_session(), current_account(), pub):
        return _page(pub, error=_said(exc, pub), status=exc.status)
    abort(exc.status)


@bp.post("/publisher/<slug>/members/<int:user_id>/role")
@login_required_page
def change_role(slug: str, user_id: int):
    pub = _publisher(slug)
    if not accounts.may_manage_members(db_session(), current_account(), pub):
        abort(403)  # before saying whether that user is a member
    member, _role = _member(pub, user_id)
    role = request.form.get("role", "")
    try:
        accounts.set_member_role(_actor(), pub, member, role)
    except ServiceError as exc:
        return _refused(pub, exc)
    return _after(pub, member, role)


def _may_see_removal(pub: Publisher, user_id: int) -> None:
    me = current_account()
    if me.id != user_id and not accounts.may_manage_members(db_session(), me, pub):
        abort(403)


@bp.get("/publisher/<slug>/members/<int:user_id>/remove")
@login_required_page
def confirm_remove(slug: str, user_id: int):
    pub = _publisher(slug)
    _may_see_removal(pub, user_id)
    member, role = _member(pub, user_id)
    html = render_template("publishers/member_remove.html", pub=pub, member=member, role=role,
                           leaving=member.id == current_account().id,
                           last_admin=role == "admin" and pub.id in accounts.last_admins(db_session(), member),
                           manager=accounts.may_manage_members(db_session(), current_account(), pub))
    return _no_store(Response(html))


@bp.post("/publisher/<slug>/members/<int:user_id>/remove")
@login_required_page
def remove(slug: str, user_id: int):
    pub = _publisher(slug)
    _may_see_removal(pub, user_id)
    member, _role = _member(pub, user_id)
    try:
        accounts.remove_member(_actor(), pub, member)
    except ServiceError as exc:
        return _refused(pub, exc)
    return _after(pub, member, "removed")
