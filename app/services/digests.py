"""The e-mail digest of what a user follows: one message per user listing the public changes (app/activity.py)
of the datasets, publishers and searches they follow since their last digest, in their language, through
app/mail.py.

A follow is due when its period (a day, a week) has passed since its last digest (or since it was made). A
user's due follows go into one message; after the message is accepted, each of them starts again from the
moment the digest was made. A failed send moves nothing: the next run sends the same changes (and those
since). A user with nothing new gets no message, and the follows move on.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import activity, ckan_query
from app.i18n import normalise
from app.mail import Mail, MailError, send
from app.services import serving
from app.services.base import service
from catalog_schema import search
from catalog_schema.models import Dataset, Follow, Publisher, User, utcnow

PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
#: At most this many changes of one follow in one digest (the rest are counted).
MAX_ITEMS = 50
#: Changes counted past MAX_ITEMS stop at this many ("and 950 more").
MAX_COUNTED = 1000
#: A followed search looks at this many of its most recently changed datasets.
MAX_SEARCH_DATASETS = 1000

#: (digest body, "zh" or "en") -> (subject, plain text, HTML).
Renderer = Callable[[dict[str, Any], str], tuple[str, str, str]]


@dataclass
class SendResult:
    email: str
    changes: int
    sent: bool
    error: str | None = None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _start(row: Follow) -> dt.datetime:
    return _aware(row.last_sent_at or row.created_at)


def _search_ids(session: Session, row: Follow, since: dt.datetime) -> list[str]:
    try:
        text, filters = ckan_query.translate(row.q, row.fq)
    except ckan_query.QueryError:
        return []
    if filters.nothing:
        return []
    query = search.SearchQuery(q=text, publisher=filters.publisher, format=filters.format, licence=filters.licence,
                               theme=filters.theme, keyword=filters.keyword, modified_since=since,
                               modified_until=filters.modified_until, sort="-modified", offset=0,
                               limit=MAX_SEARCH_DATASETS, include_withdrawn=True, count=False)
    return search.search(session, query).ids


def _changes(session: Session, row: Follow, until: dt.datetime) -> list[activity.Change]:
    since = _start(row)
    if row.kind == "dataset":
        scope: dict[str, Any] = {"dataset_ids": [row.target]}
    elif row.kind == "publisher":
        scope = {"publisher_id": int(row.target)}
    else:
        scope = {"dataset_ids": _search_ids(session, row, since)}
    return list(itertools.islice(activity.changes(session, since=since, until=until, batch=MAX_ITEMS + 1, **scope),
                                 MAX_COUNTED))


def _label(session: Session, row: Follow) -> dict[str, Any]:
    if row.kind == "dataset":
        ds = session.get(Dataset, row.target)
        return {"kind": "dataset", "slug": ds.slug if ds else None,
                "title": (serving.public_title(ds) if ds else None) or {}}
    if row.kind == "publisher":
        pub = session.get(Publisher, int(row.target))
        return {"kind": "publisher", "slug": pub.slug if pub else None, "title": (pub.name if pub else None) or {}}
    return {"kind": "search", "q": row.q or "", "fq": row.fq or ""}


def digest(session: Session, follows: list[Follow], until: dt.datetime) -> dict[str, Any]:
    """The body of one user's digest: per follow, its changes (newest first, at most MAX_ITEMS, the rest
    counted), with the datasets' names and titles as the public sees them now."""
    sections = []
    for row in follows:
        found = _changes(session, row, until)
        if found:
            sections.append((row, found))
    ids = sorted({c.dataset_id for _row, found in sections for c in found})
    datasets = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(ids)))} if ids else {}
    pubs = {p.id: p for p in session.scalars(select(Publisher).where(
        Publisher.id.in_({d.publisher_id for d in datasets.values() if d.publisher_id})))} if datasets else {}
    out = []
    for row, found in sections:
        items = []
        for change in found[:MAX_ITEMS]:
            ds = datasets.get(change.dataset_id)
            if ds is None:
                continue
            pub = pubs.get(ds.publisher_id)
            items.append({"kind": change.kind, "at": change.at.isoformat(), "slug": ds.slug,
                          "title": serving.public_title(ds) or {},
                          "state": ds.state, "source": change.source,
                          "publisher": {"slug": pub.slug, "name": pub.name or {}} if pub else None})
        out.append({"follow": _label(session, row), "items": items, "more": max(0, len(found) - MAX_ITEMS)})
    return {"until": until.isoformat(), "sections": out, "count": sum(len(s["items"]) + s["more"] for s in out)}


def due(session: Session, period: str, now: dt.datetime) -> dict[int, list[Follow]]:
    """The follows of `period` due at `now`, by user (active users only)."""
    span = PERIODS[period]
    rows = session.scalars(select(Follow).join(User, User.id == Follow.user_id)
                           .where(Follow.period == period, User.active.is_(True))
                           .order_by(Follow.user_id, Follow.id)).all()
    out: dict[int, list[Follow]] = {}
    for row in rows:
        if now - _start(row) >= span:
            out.setdefault(row.user_id, []).append(row)
    return out


def language(user: User, default_lang: str | None) -> str:
    chosen = normalise(user.locale) or normalise(default_lang) or "zh_CN"
    return "zh" if chosen.startswith("zh") else "en"


@service
def send_digests(session: Session, settings: Mapping[str, Any], render: Renderer, period: str,
                 *, now: dt.datetime | None = None) -> list[SendResult]:
    """E-mail each user whose `period` follows are due one digest; commits after each user, so a crash halfway
    sends nobody the same changes twice."""
    if period not in PERIODS:
        raise ValueError(f"period must be daily or weekly, not {period!r}")
    now = now or utcnow()
    results = []
    for user_id, follows in due(session, period, now).items():
        user = session.get(User, user_id)
        body = digest(session, follows, now)
        error = None
        if body["count"]:
            lang = language(user, settings.get("DEFAULT_LOCALE"))
            subject, text, html = render(body, lang)
            try:
                send(settings, Mail((user.email,), subject, text, html=html))
            except MailError as exc:
                error = exc.args[0] if exc.args else str(exc)  # a Text: the command line says it in zh
        if error is None:
            for row in follows:
                row.last_sent_at = now
        results.append(SendResult(user.email, body["count"], bool(body["count"]) and error is None, error))
        session.commit()
    return results
