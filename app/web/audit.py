"""The audit log: `/audit` (HTML) and `/audit.json`, optionally `?publisher=<slug>` and `?page=<n>`.

Who sees what: a sysadmin every event (token events too, which belong to no publisher); a
publisher admin the events of the publishers they administer; anyone else gets 403 (anonymous
visitors of the HTML page are sent to sign in first). Each event shows who, what, when, from
which address, and the fields that changed between the record before and after the write.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select

from app import auth
from app.request_context import db_session
from app.security import current_account
from catalog_schema.models import AuditEvent, Publisher, User

bp = Blueprint("audit", __name__)

PER_PAGE = 50
MAX_VALUE_CHARS = 500  # of one field value shown in the diff


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def diff(before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    """The top-level fields that differ: [{"field", "before", "after"}] (None where a side lacks it)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes.append({"field": key, "before": old, "after": new})
    return changes


def _deny(as_json: bool, status: int, message: str) -> Response:
    if as_json:
        resp = jsonify({"error": {"status": status, "message": message}})
        resp.status_code = status
        return resp
    abort(status)


def _events(as_json: bool) -> Response:
    me = current_account()
    if me is None:
        if as_json:
            return _deny(True, 403, "Sign in as a sysadmin or a publisher admin.")
        return redirect(url_for("account.login", next=request.full_path if request.query_string else request.path))
    s = db_session()
    allowed = None if me.is_sysadmin else set(auth.admin_publisher_ids(s, me))
    if allowed is not None and not allowed:
        return _deny(as_json, 403, "Only sysadmins and publisher admins may read the audit log.")
    slug = request.args.get("publisher")
    publisher = None
    if slug:
        publisher = s.scalar(select(Publisher).where(Publisher.slug == slug))
        if publisher is None:
            return _deny(as_json, 404, f"No publisher {slug!r}.")
        if allowed is not None and publisher.id not in allowed:
            return _deny(as_json, 403, "You are not an admin of this publisher.")
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1

    where = []
    if publisher is not None:
        where.append(AuditEvent.publisher_id == publisher.id)
    elif allowed is not None:
        where.append(AuditEvent.publisher_id.in_(allowed))
    total = s.scalar(select(func.count(AuditEvent.id)).where(*where)) or 0
    rows = s.execute(select(AuditEvent, User.email, Publisher.slug)
                     .outerjoin(User, User.id == AuditEvent.user_id)
                     .outerjoin(Publisher, Publisher.id == AuditEvent.publisher_id)
                     .where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                     .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    events = [{
        "id": ev.id, "at": auth.aware(ev.at).isoformat(), "user": email, "action": ev.action,
        "object_type": ev.object_type, "object_id": ev.object_id, "publisher": pub_slug, "ip": ev.ip,
        "detail": ev.detail or {}, "changes": diff(ev.before, ev.after),
    } for ev, email, pub_slug in rows]
    pages = max(1, -(-total // PER_PAGE))
    if as_json:
        resp = jsonify({"total": total, "page": page, "pages": pages, "per_page": PER_PAGE,
                        "publisher": publisher.slug if publisher else None, "events": events})
    else:
        publishers = list(s.scalars(select(Publisher).where(
            *(() if allowed is None else (Publisher.id.in_(allowed),))).order_by(Publisher.slug)))
        resp = Response(render_template("audit/index.html", events=events, total=total, page=page, pages=pages,
                                        publisher=publisher, publishers=publishers, short=_short))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/audit")
def index() -> Response:
    return _events(as_json=False)


@bp.get("/audit.json")
def index_json() -> Response:
    return _events(as_json=True)
