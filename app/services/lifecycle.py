"""A withdrawn dataset's answer: HTTP 410 with its tombstone.

Placeholder of the serving branch: only `gone_response`, the one function the serving gate
(app.services.serving) calls for a withdrawn dataset. The lifecycle branch replaces this module with the
full one (withdraw, restore, rename with 301s, the tombstone page); keep that one at merge.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Response, request
from markupsafe import escape

from catalog_schema.models import Dataset
from catalog_schema.record import pick_text


def _wants_json() -> bool:
    return not any(mime == "text/html" for mime, _q in request.accept_mimetypes)


def gone_response(ds: Dataset, *, as_json: bool | None = None) -> Response:
    """410 Gone with the tombstone of `ds` (title, publisher, when, why, successor): JSON for machine
    clients (or when `as_json`), a short bilingual HTML page for browsers."""
    at = ds.withdrawn_at
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    pub = ds.publisher
    tomb = {"status": 410, "code": "withdrawn", "dataset": ds.slug, "title": dict(ds.title or {}),
            "publisher": {"slug": pub.slug, "name": dict(pub.name or {})} if pub else None,
            "withdrawn_at": at.isoformat() if at else None, "reason": ds.withdrawn_reason,
            "successor": ds.successor,
            "message": "This dataset has been withdrawn by its publisher.", "message_zh": "该数据集已被发布机构撤回。"}
    if as_json if as_json is not None else _wants_json():
        return Response(json.dumps({"error": tomb}, ensure_ascii=False), status=410, mimetype="application/json")
    title = escape(pick_text(ds.title) or ds.slug)
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>",
             f"<h1>{title}</h1><p>该数据集已被发布机构撤回。 This dataset has been withdrawn by its publisher.</p>"]
    if pub is not None:
        parts.append(f"<p>{escape(pick_text(pub.name) or pub.slug)}</p>")
    if at is not None:
        parts.append(f"<p><time datetime=\"{at.isoformat()}\">{at:%Y-%m-%d}</time></p>")
    if ds.withdrawn_reason:
        parts.append(f"<p>{escape(ds.withdrawn_reason)}</p>")
    if ds.successor:
        parts.append(f"<p>→ {escape(ds.successor)}</p>")
    parts.append("</body></html>")
    return Response("".join(parts), status=410, mimetype="text/html")
