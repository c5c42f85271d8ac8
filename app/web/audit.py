"""The audit log: `/audit` (a filterable table), `/audit.json` (the same page as JSON) and
`/audit/export.csv|json` (every event of the filtered set, streamed).

Filters (query parameters, on all three): `who` (part of the e-mail address), `action` (an action, or a
family such as `account.` or `publish.`), `dataset` (slug or id), `publisher` (slug), `from` and `to` (dates,
YYYY-MM-DD, both days included, UTC), `page`.

Who sees what: a sysadmin every event (sign-ins, tokens and licence mappings too, which belong to no
publisher); a publisher admin the events of the publishers they administer; anyone else gets 403
(anonymous visitors of the HTML page are sent to sign in first). Each event shows who, what, when, from
which address, and the fields that changed between the record before and after the write: nested fields as
dotted paths (`extras.publishing.pii_override.reason`), texts with the changed characters marked.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, or_, select

from app import auth
from app.request_context import db_session
from app.security import current_account
from catalog_schema.models import AuditEvent, Dataset, Publisher, User

bp = Blueprint("audit", __name__)

PER_PAGE = 50
MAX_VALUE_CHARS = 500  # of one field value shown in the diff
MAX_DEPTH = 5  # of nested fields the readable diff walks into
MAX_INLINE_CHARS = 4000  # texts longer than this are shown before/after, without the marked changes
FILTERS = ("who", "action", "dataset", "publisher", "from", "to")
EXPORT_COLUMNS = ("id", "at", "user", "action", "object_type", "object_id", "dataset", "publisher", "ip", "via",
                  "changes", "detail")


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


def readable(before: Any, after: Any, path: str = "", depth: int = 0) -> list[dict[str, Any]]:
    """The leaf fields that differ, by dotted path (`distributions[1].title.zh`): [{"field", "before",
    "after"}]; dicts and lists are walked into (to MAX_DEPTH), a language map's "" key is the path itself."""
    if before == after:
        return []
    if depth < MAX_DEPTH and isinstance(before, dict | None) and isinstance(after, dict | None) \
            and (before is not None or after is not None):
        b, a = before or {}, after or {}
        out = []
        for key in sorted(set(b) | set(a), key=str):
            sub = f"{path}.{key}" if path and key != "" else (path or str(key))
            out.extend(readable(b.get(key), a.get(key), sub, depth + 1))
        return out
    if depth < MAX_DEPTH and isinstance(before, list) and isinstance(after, list) \
            and any(isinstance(v, dict) for v in (*before, *after)):
        out = []
        for i in range(max(len(before), len(after))):
            out.extend(readable(before[i] if i < len(before) else None, after[i] if i < len(after) else None,
                                f"{path}[{i}]", depth + 1))
        return out
    return [{"field": path or "·", "before": before, "after": after}]


def marked(before: Any, after: Any) -> list[tuple[str, str]] | None:
    """Two texts as segments [(kind, text)] with kind "same", "del" or "ins"; None when not two short texts."""
    if not (isinstance(before, str) and isinstance(after, str)) or len(before) + len(after) > MAX_INLINE_CHARS:
        return None
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", before[i1:i2]))
            continue
        if i2 > i1:
            out.append(("del", before[i1:i2]))
        if j2 > j1:
            out.append(("ins", after[j1:j2]))
    return out


def _deny(as_json: bool, status: int, message: str) -> Response:
    if as_json:
        resp = jsonify({"error": {"status": status, "message": message}})
        resp.status_code = status
        return resp
    abort(status)


def _day(name: str) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def _query(me: User) -> tuple[list, dict[str, Any]]:
    """The WHERE clauses of the filtered set this user may see, and the filters as understood."""
    s = db_session()
    allowed = None if me.is_sysadmin else set(auth.admin_publisher_ids(s, me))
    if allowed is not None and not allowed:
        raise _Refused(403, "Only sysadmins and publisher admins may read the audit log.")
    where: list = []
    shown: dict[str, Any] = {k: (request.args.get(k) or "").strip() for k in FILTERS}
    shown["publisher_row"] = shown["dataset_row"] = None
    if shown["publisher"]:
        publisher = s.scalar(select(Publisher).where(Publisher.slug == shown["publisher"]))
        if publisher is None:
            raise _Refused(404, f"No publisher {shown['publisher']!r}.")
        if allowed is not None and publisher.id not in allowed:
            raise _Refused(403, "You are not an admin of this publisher.")
        where.append(AuditEvent.publisher_id == publisher.id)
        shown["publisher_row"] = publisher
    elif allowed is not None:
        where.append(AuditEvent.publisher_id.in_(allowed))
    if shown["who"]:
        pattern = "%" + shown["who"].lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        where.append(or_(AuditEvent.user_id.in_(select(User.id).where(User.email.like(pattern, escape="\\"))),
                         (AuditEvent.object_type == "user") & AuditEvent.object_id.like(pattern, escape="\\")))
    if shown["action"]:
        action = shown["action"]
        where.append(AuditEvent.action.startswith(action, autoescape=True) if action.endswith(".")
                     else AuditEvent.action == action)
    if shown["dataset"]:
        ds = s.scalar(select(Dataset).where(or_(Dataset.slug == shown["dataset"], Dataset.id == shown["dataset"])))
        where.append(AuditEvent.object_type == "dataset")
        where.append(AuditEvent.object_id == (ds.id if ds is not None else shown["dataset"]))
        shown["dataset_row"] = ds
    start, end = _day("from"), _day("to")
    if start:
        where.append(AuditEvent.at >= dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC))
    if end:
        where.append(AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))
    shown["allowed"] = allowed
    return where, shown


def _rows(where: list):
    return (select(AuditEvent, User.email, Publisher.slug)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .outerjoin(Publisher, Publisher.id == AuditEvent.publisher_id)
            .where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def _event(ev: AuditEvent, email: str | None, pub_slug: str | None) -> dict[str, Any]:
    detail = ev.detail or {}
    return {"id": ev.id, "at": auth.aware(ev.at).isoformat(), "user": email, "action": ev.action,
            "object_type": ev.object_type, "object_id": ev.object_id, "publisher": pub_slug, "ip": ev.ip,
            "dataset": detail.get("name") if ev.object_type == "dataset" else None,
            "detail": detail, "changes": diff(ev.before, ev.after)}


def _filters(shown: dict[str, Any]) -> dict[str, str]:
    """The filters as query parameters (for links to other pages and the exports)."""
    return {k: shown[k] for k in FILTERS if shown.get(k)}


def _events(as_json: bool) -> Response:
    me = current_account()
    if me is None:
        if as_json:
            return _deny(True, 403, "Sign in as a sysadmin or a publisher admin.")
        return redirect(url_for("account.login", next=request.full_path if request.query_string else request.path))
    try:
        where, shown = _query(me)
    except _Refused as exc:
        return _deny(as_json, exc.status, exc.message)
    s = db_session()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = s.scalar(select(func.count(AuditEvent.id)).where(*where)) or 0
    rows = s.execute(_rows(where).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    events = [_event(ev, email, pub_slug) for ev, email, pub_slug in rows]
    pages = max(1, -(-total // PER_PAGE))
    publisher = shown["publisher_row"]
    if as_json:
        resp = jsonify({"total": total, "page": page, "pages": pages, "per_page": PER_PAGE,
                        "publisher": publisher.slug if publisher else None, "filters": _filters(shown),
                        "events": events})
    else:
        for (ev, _email, _slug), item in zip(rows, events, strict=True):
            item["readable"] = [{**c, "marked": marked(c["before"], c["after"])}
                                for c in readable(ev.before, ev.after)]
        allowed = shown["allowed"]
        publishers = list(s.scalars(select(Publisher).where(
            *(() if allowed is None else (Publisher.id.in_(allowed),))).order_by(Publisher.slug)))
        actions = list(s.scalars(select(AuditEvent.action).where(
            *(() if allowed is None else (AuditEvent.publisher_id.in_(allowed),))).distinct()
            .order_by(AuditEvent.action)))
        resp = Response(render_template("audit/index.html", events=events, total=total, page=page, pages=pages,
                                        publisher=publisher, publishers=publishers, actions=actions,
                                        shown=shown, filters=_filters(shown), short=_short))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/audit")
def index() -> Response:
    return _events(as_json=False)


@bp.get("/audit.json")
def index_json() -> Response:
    return _events(as_json=True)


def _export_row(item: dict[str, Any]) -> list[str]:
    changes = "; ".join(f"{c['field']}: {_short(c['before']) if c['before'] is not None else '—'} → "
                        f"{_short(c['after']) if c['after'] is not None else '—'}" for c in item["changes"])
    return [str(item["id"]), item["at"], item["user"] or "", item["action"], item["object_type"],
            item["object_id"] or "", item["dataset"] or "", item["publisher"] or "", item["ip"] or "",
            str(item["detail"].get("via") or ""), changes,
            json.dumps(item["detail"], ensure_ascii=False, sort_keys=True, default=str)]


def _stream(where: list, fmt: str) -> Iterator[str]:
    rows = db_session().execute(_rows(where).execution_options(yield_per=500))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(EXPORT_COLUMNS)
        yield "\ufeff" + buf.getvalue()  # a BOM: spreadsheet programs then read the UTF-8 (Chinese) right
        for ev, email, pub_slug in rows:
            buf.seek(0)
            buf.truncate()
            writer.writerow(_export_row(_event(ev, email, pub_slug)))
            yield buf.getvalue()
        return
    yield '{"events": ['
    first = True
    for ev, email, pub_slug in rows:
        item = _event(ev, email, pub_slug)
        item["before"], item["after"] = ev.before, ev.after
        yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False, default=str)
        first = False
    yield "]}\n"


@bp.get("/audit/export.<any(csv, json):fmt>")
def export(fmt: str) -> Response:
    """Every event of the filtered set (no pages), streamed as CSV or JSON."""
    me = current_account()
    if me is None:
        return _deny(True, 403, "Sign in as a sysadmin or a publisher admin.")
    try:
        where, _shown = _query(me)
    except _Refused as exc:
        return _deny(True, exc.status, exc.message)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    resp = Response(stream_with_context(_stream(where, fmt)), mimetype=mimetype)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
