"""Following on the pages, the Activity sections' items, and the digest e-mail's rendering.

- `POST /follow` (kind: dataset, publisher or search; `ref` the slug, or `q` and `fq`; `period`; `next`),
  `POST /follow/<id>/unfollow`, `POST /follow/<id>/period`: forms with a CSRF token, through
  app/services/follows.py, back to `next` (a local path) or the account page;
- `activity_items`: the public changes of app/activity.py as a page lists them (what, which dataset, who, when),
  in the reader's language;
- `mail_renderer`: the digest of app/services/digests.py as a subject, a plain text and an HTML body in the
  user's language, from templates (`mail/digest.txt`, `mail/digest.html`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime, gettext, lazy_gettext
from sqlalchemy import select

from app import activity
from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import client_address, current_account, login_required_page, safe_next
from app.services import follows, serving
from app.services.context import Actor
from app.services.errors import ServiceError
from catalog_schema.models import Dataset, Follow, Publisher

bp = Blueprint("follows", __name__)

KIND_LABELS = {activity.NEW: lazy_gettext("Newly published"), activity.CHANGED: lazy_gettext("Updated"),
               activity.DELETED: lazy_gettext("Withdrawn")}
PERIOD_LABELS = {"daily": lazy_gettext("Daily"), "weekly": lazy_gettext("Weekly")}
#: A change said by what it was rather than by its kind: an admin's decision on the dataset's personal data, which
#: changes what the public gets of its files and not its metadata.
ACTION_LABELS = {"publish.pii_override": lazy_gettext("Files with personal data released by an admin's override"),
                 "publish.pii_override_revoked": lazy_gettext("Personal-data override revoked: its files are "
                                                              "withheld again")}


def _pick(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or next((v for v in value.values() if isinstance(v, str) and v), "") or ""
    return str(value or "")


def activity_items(changes: list[activity.Change], lang: str,
                   publisher: Publisher | None = None) -> list[dict[str, Any]]:
    """What a page's Activity section lists: kind label, dataset link, who (the harvest source, else the
    publisher: its people are not named in public), when."""
    out = []
    for change in changes:
        who = change.source or (_pick(publisher.name, lang) or publisher.slug if publisher is not None else "")
        label = ACTION_LABELS.get(change.action) or KIND_LABELS[change.kind]
        out.append({"kind": change.kind, "label": str(label), "slug": change.slug,
                    # its title as the public reads it (serving.public_title)
                    "title": _pick(serving.public_title(change), lang) or change.slug, "who": who, "at": change.at,
                    "harvest": change.source is not None})
    return out


def followed(session, kind: str, target: str) -> Follow | None:
    """The signed-in reader's follow of `target` (a dataset's id, a publisher's id), if any: one statement,
    none for anonymous readers."""
    user = current_account()
    if user is None:
        return None
    return session.scalar(select(Follow).where(Follow.user_id == user.id, Follow.kind == kind,
                                               Follow.target == target))


def search_fq(args) -> str:
    """The search page's filters as CKAN's fq (what a followed search keeps)."""
    fields = (("publisher", "organization"), ("theme", "groups"), ("format", "res_format"),
              ("licence", "license_id"), ("keyword", "tags"))
    parts = []
    for arg, name in fields:
        for value in args.getlist(arg):
            value = str(value).replace('"', "")
            if value:
                parts.append(f'{name}:"{value}"')
    return " ".join(parts)


def _actor() -> Actor:
    return Actor(db_session(), current_account(), "web", ip=client_address(), lang=current_lang())


def _back(default: str | None = None):
    return redirect(safe_next(request.form.get("next")) or default or url_for("account.index"))


@bp.post("/follow")
@login_required_page
def follow():
    form = request.form
    try:
        follows.follow(_actor(), form.get("kind", ""), form.get("ref"), q=form.get("q"), fq=form.get("fq"),
                       period=form.get("period") or None, default_period=setting("DIGEST_DEFAULT_PERIOD"))
    except ServiceError as exc:
        abort(exc.status)
    return _back()


@bp.post("/follow/<int:follow_id>/unfollow")
@login_required_page
def unfollow(follow_id: int):
    try:
        follows.unfollow(_actor(), follow_id)
    except ServiceError as exc:
        abort(exc.status)
    return _back()


@bp.post("/follow/<int:follow_id>/period")
@login_required_page
def period(follow_id: int):
    try:
        follows.set_period(_actor(), follow_id, request.form.get("period", ""))
    except ServiceError as exc:
        abort(exc.status)
    return _back()


def described(session, rows) -> list[dict[str, Any]]:
    """The account page's list of what the user follows: a name and a link for each follow."""
    lang = current_lang()
    ds_ids = [r.target for r in rows if r.kind == "dataset"]
    pub_ids = [int(r.target) for r in rows if r.kind == "publisher"]
    datasets = {d.id: d for d in session.query(Dataset).filter(Dataset.id.in_(ds_ids))} if ds_ids else {}
    pubs = {p.id: p for p in session.query(Publisher).filter(Publisher.id.in_(pub_ids))} if pub_ids else {}
    out = []
    for row in rows:
        if row.kind == "dataset":
            ds = datasets.get(row.target)
            name = (_pick(serving.public_title(ds), lang) or ds.slug) if ds else row.target
            url = f"/dataset/{ds.slug}" if ds else None
            kind = gettext("Dataset")
        elif row.kind == "publisher":
            pub = pubs.get(int(row.target))
            name = (_pick(pub.name, lang) or pub.slug) if pub else row.target
            url = f"/publisher/{pub.slug}" if pub else None
            kind = gettext("Publisher")
        else:
            name = " ".join(x for x in (row.q, row.fq) if x) or "*"
            url = "/dataset?" + urlencode({k: v for k, v in (("q", row.q), ("fq", row.fq)) if v})
            kind = gettext("Search")
        out.append({"row": row, "kind": kind, "name": name, "url": url})
    return out


# --------------------------------------------------------------------------- the digest e-mail


def _when(value: str, lang: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(value), "medium")


def present_digest(body: dict[str, Any], lang: str, site: str) -> list[dict[str, Any]]:
    sections = []
    for section in body["sections"]:
        f = section["follow"]
        if f["kind"] == "search":
            heading = gettext("Search: %(query)s", query=" ".join(x for x in (f["q"], f["fq"]) if x) or "*")
            link = f"{site}/dataset?" + urlencode({k: f[k] for k in ("q", "fq") if f[k]})
        elif f["kind"] == "publisher":
            heading = gettext("Publisher: %(name)s", name=_pick(f["title"], lang) or f["slug"] or "")
            link = f"{site}/publisher/{f['slug']}"
        else:
            heading = gettext("Dataset: %(name)s", name=_pick(f["title"], lang) or f["slug"] or "")
            link = f"{site}/dataset/{f['slug']}"
        items = []
        for item in section["items"]:
            who = item["source"] or (_pick(item["publisher"]["name"], lang) or item["publisher"]["slug"]
                                     if item["publisher"] else "")
            items.append({"label": str(KIND_LABELS[item["kind"]]), "title": _pick(item["title"], lang) or item["slug"],
                          "url": f"{site}/dataset/{item['slug']}", "who": who, "when": _when(item["at"], lang)})
        sections.append({"heading": heading, "link": link, "entries": items, "more": section["more"]})
    return sections


def mail_renderer(app: Flask):
    """(digest body, "zh" or "en") -> (subject, text, HTML), rendered in that language."""
    site = str(app.config["OPENDATA"]["SITE_URL"]).rstrip("/")

    def render(body: dict[str, Any], lang: str) -> tuple[str, str, str]:
        with app.test_request_context("/", base_url=site), force_locale("zh_CN" if lang == "zh" else "en"):
            ctx = {"sections": present_digest(body, lang, site), "count": body["count"], "site": site,
                   "account": f"{site}/account"}
            subject = gettext("Your digest: %(count)s changes in what you follow", count=body["count"])
            return (subject, render_template("mail/digest.txt", **ctx), render_template("mail/digest.html", **ctx))

    return render
