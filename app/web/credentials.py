"""Accounts that run themselves: invitations, password reset by e-mail, change password.

- `POST /account/invitations`: an admin of a publisher (or a sysadmin) invites an e-mail address to join it
  as admin or editor; the link goes out by e-mail (app.mail) and works once, until INVITATION_EXPIRY_HOURS.
- `/account` lists the invitations still open that the reader may revoke (a sysadmin: all; an admin: those to
  their publishers); `POST /account/invitations/<id>/revoke` voids one (`opendata user invitations` does both).
- `/invitation/<token>`: the invitee sets a password (a new account) or just accepts (an existing one) and is
  signed in with the role.
- `/password/forgot`: asks for a reset link. The answer is the same whether the address has an account or
  not (no account enumeration), and requests are limited per address and per account (RESET_RATE_LIMIT).
- `/password/reset/<token>`: sets a new password with the link (once, until PASSWORD_RESET_EXPIRY_MINUTES).
- `/account/password`: change the password, giving the current one.

Every change is made by app.services.accounts, which also writes the audit rows. E-mails are written in
Chinese and English (the recipient's language is not known), with the link as an absolute URL on SITE_URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app import auth
from app.mail import Mail, MailError, send
from app.request_context import db_session, setting
from app.security import (
    PASSWORD_MARK,
    client_address,
    current_account,
    login_required_page,
    password_mark,
    reset_allowed,
    session_token,
    sign_in_session,
)
from app.services import accounts
from app.settings import site_titles
from app.web import notices
from catalog_schema.models import Publisher

bp = Blueprint("credentials", __name__)


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL of these pages
    return resp


def _page(template: str, status: int = 200, **context) -> Response:
    return _no_store(Response(render_template(template, **context), status))


def _message(exc: accounts.AccountError) -> str:
    return {
        "weak-password": _("Choose a password of at least %(n)d characters (and not your e-mail address).",
                           n=accounts.MIN_PASSWORD_CHARS),
        "same-password": _("The new password must differ from the current one."),
        "wrong-password": _("The current password is wrong."),
        "bad-link": _("This link is not valid: it was used already, it expired, or it is incomplete."),
        "bad-email": _("Enter an e-mail address."),
        "bad-role": _("Choose a role from the list."),
        "forbidden": _("Only an admin of the publisher (or a portal administrator) may invite to it."),
        "no-invitation": _("That invitation is no longer open: it was accepted, revoked or it expired."),
    }.get(exc.code, str(exc))


def _link(endpoint: str, **values) -> str:
    return str(setting("SITE_URL")).rstrip("/") + url_for(endpoint, **values)


def _bilingual(template: str, **context) -> str:
    """The e-mail `template` in Chinese, then in English; `site`, the site's name as a language map
    (settings.site_titles), is said in each part's language (the Chinese part named the site "Open Data")."""
    parts = []
    for locale in ("zh_CN", "en"):
        lang = locale[:2]
        site = context.get("site")
        said = {**context, "site": site.get(lang) or site.get("en")} if isinstance(site, dict) else context
        with force_locale(locale):
            parts.append(render_template(template, **said).strip())
    return "\n\n----------------------------------------\n\n".join(parts) + "\n"


def _subject(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _sign_in(user) -> None:
    sign_in_session(user)


def admin_publishers(user) -> list[Publisher]:
    """The publishers `user` may invite to: all for a sysadmin, else those they are an admin of."""
    s = db_session()
    query = select(Publisher).order_by(Publisher.slug)
    if not user.is_sysadmin:
        query = query.where(Publisher.id.in_(auth.admin_publisher_ids(s, user)))
    return list(s.scalars(query))


# --------------------------------------------------------------------------- invitations


@bp.post("/account/invitations")
@login_required_page
def invite():
    me = current_account()
    s = db_session()
    email = auth.normalize_email(request.form.get("email", ""))[:320]
    role = request.form.get("role", "")
    publisher = s.scalar(select(Publisher).where(Publisher.slug == request.form.get("publisher", "")))
    error = None
    if publisher is None:
        error = _("Choose a publisher from the list.")
    else:
        try:
            row, token = accounts.invite(s, me, email, publisher, role, hours=setting("INVITATION_EXPIRY_HOURS"),
                                         ip=client_address())
            link = _link("credentials.accept", token=token)
            with force_locale("zh_CN"):
                zh_subject = _("Invitation to publish data for %(publisher)s", publisher=publisher.name.get("zh")
                               or publisher.slug)
            with force_locale("en"):
                en_subject = _("Invitation to publish data for %(publisher)s", publisher=publisher.name.get("en")
                               or publisher.slug)
            text = _bilingual("mail/invitation.txt", link=link, inviter=me, publisher=publisher, role=role,
                              hours=setting("INVITATION_EXPIRY_HOURS"),
                              site=site_titles(current_app.config["OPENDATA"]))
            send(current_app.config["OPENDATA"], Mail(to=(row.email,), subject=_subject(zh_subject, en_subject),
                                                      text=text))
        except accounts.AccountError as exc:
            s.rollback()
            error = _message(exc)
        except MailError as exc:
            s.rollback()
            current_app.logger.error("invitation to %s not sent: %s", email, exc)
            error = _("The invitation e-mail could not be sent, so no invitation was made. Try again later or ask "
                      "the portal administrator to check the mail settings.")
        else:
            s.commit()
    if error:
        return _page("account/invite_result.html", 400, error=error)
    return _page("account/invite_result.html", 201, email=email, publisher=publisher, role=role)


@bp.post("/account/invitations/<int:invitation_id>/revoke")
@login_required_page
def revoke_invitation(invitation_id: int):
    from app.web.account import _page as account_page

    me = current_account()
    s = db_session()
    try:
        row = accounts.revoke_invitation(s, me, invitation_id, via="web", ip=client_address())
    except accounts.AccountError as exc:
        s.rollback()
        return account_page(me, error=_message(exc), status=404 if exc.code == "no-invitation" else 403)
    s.commit()
    notices.tell("account", "revoked", row.email)
    return redirect(url_for("account.index"), code=303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept(token: str):
    s = db_session()
    row = accounts.find_link(s, "invite", token)
    if row is None:
        return _page("account/invitation.html", 410, invalid=True)
    existing = auth.find_user(s, row.email)
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if existing is None and password != request.form.get("password2", ""):
            error = _("The two passwords differ.")
        else:
            try:
                user = accounts.accept_invitation(s, token, password=password, name=request.form.get("name"),
                                                  ip=client_address())
            except accounts.AccountError as exc:
                s.rollback()
                error = _message(exc)
            else:
                s.commit()
                me = current_account()
                if existing is None or (me is not None and me.id == user.id):
                    _sign_in(user)  # a fresh session: the notice after it
                    notices.tell("account", "welcome", row.publisher.slug)
                    return redirect(url_for("account.index"))
                return redirect(url_for("account.login", next=url_for("account.index")))
    return _page("account/invitation.html", 400 if error else 200, invitation=row, existing=existing,
                 error=error, name=(request.form.get("name") or "")[:200] if request.method == "POST" else "")


# --------------------------------------------------------------------------- password reset


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    if request.method == "GET":
        return _page("account/forgot.html")
    email = auth.normalize_email(request.form.get("email", ""))[:320]
    if not email or "@" not in email:
        return _page("account/forgot.html", 400, error=_("Enter an e-mail address."), email=email)
    if not reset_allowed(current_app.extensions["limiter"], email):
        resp = _page("account/forgot.html", 429, email=email,
                     error=_("Too many reset requests. Wait a while and try again."))
        resp.headers["Retry-After"] = "60"
        return resp
    s = db_session()
    found = accounts.request_reset(s, email, minutes=setting("PASSWORD_RESET_EXPIRY_MINUTES"), ip=client_address())
    if found is not None:
        user, token = found
        text = _bilingual("mail/reset.txt", link=_link("credentials.reset", token=token), user=user,
                          minutes=setting("PASSWORD_RESET_EXPIRY_MINUTES"),
                          site=site_titles(current_app.config["OPENDATA"]),
                          forgot=_link("credentials.forgot"))
        with force_locale("zh_CN"):
            zh = _("Reset your password")
        with force_locale("en"):
            en = _("Reset your password")
        try:
            send(current_app.config["OPENDATA"], Mail(to=(user.email,), subject=_subject(zh, en), text=text))
        except MailError as exc:  # said in the log, not to the visitor: the answer must not tell who has an account
            s.rollback()
            current_app.logger.error("password reset for %s not sent: %s", user.email, exc)
        else:
            s.commit()
    return _page("account/forgot.html", sent=True, email=email)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    s = db_session()
    if accounts.find_link(s, "reset", token) is None:
        return _page("account/reset.html", 410, invalid=True)
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = _("The two passwords differ.")
        else:
            try:
                user = accounts.reset_password(s, token, password, ip=client_address())
            except accounts.AccountError as exc:
                s.rollback()
                error = _message(exc)
            else:
                s.commit()
                _sign_in(user)  # a fresh session: the notice after it
                notices.tell("account", "changed")
                return redirect(url_for("account.index"))
    return _page("account/reset.html", 400 if error else 200, error=error)


# --------------------------------------------------------------------------- change password


@bp.route("/account/password", methods=["GET", "POST"])
@login_required_page
def change():
    me = current_account()
    error = None
    if request.method == "POST":
        new = request.form.get("password", "")
        if new != request.form.get("password2", ""):
            error = _("The two passwords differ.")
        else:
            s = db_session()
            try:
                accounts.change_password(s, me, request.form.get("current", ""), new, ip=client_address(),
                                         keep_session=session_token())
                session[PASSWORD_MARK] = password_mark(me)  # this session stays signed in, the others end
            except accounts.AccountError as exc:
                s.rollback()
                error = _message(exc)
            else:
                s.commit()
                notices.tell("account", "changed")
                return redirect(url_for("account.index"))
    return _page("account/password.html", 400 if error else 200, error=error)
