"""One lifecycle, answered the same at every door that reads a dataset.

A slug in a request is resolved once, here, and every read door (the dataset page and its formats,
the badge, /api/v1, the CKAN read actions, the data downloads) answers what `resolve` says:

- an active dataset: the dataset;
- a slug the dataset had before a rename (`dataset_slugs`): a 301 to the same path with the current
  slug (`moved_response`); CKAN clients, which POST and cannot follow a redirect, get the dataset;
- a withdrawn dataset: 410 Gone with its tombstone (`gone_response`: title, publisher, when, why, the
  successor), as an HTML page in zh or en or as JSON;
- anything else (unknown, deleted by a sysadmin, a draft): 404.

Who may edit the dataset's publisher (app.auth.can_edit) sees drafts, withdrawn and deleted datasets
where a door lets editors see them (the CKAN `package_show`, as CKAN does; `/api/v1/datasets/<slug>` and its
sub-resources with the reader's API token): that door passes the user.

`rename` is the service that changes a slug: the old one is kept in `dataset_slugs`, so links to it
keep working (docs/api.md, "Lifecycle").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app import auth
from app.accept import is_browser, names
from app.api.lang import api_lang
from catalog_schema.models import Dataset, DatasetSlug, User
from catalog_schema.record import pick_text
from harvesters.base import harvest_withdrawal
from harvesters.messages import N_

MAX_SLUG_CHARS = 200  # the column; a longer key in a URL is simply not found
ADMS_WITHDRAWN = "http://purl.org/adms/status/Withdrawn"
# Moved and gone answers may change (a rename back, a restore): caches keep them an hour at most.
MOVED_MAX_AGE = 3600
GONE_MAX_AGE = 300

FOUND, MOVED, GONE, MISSING = "found", "moved", "gone", "missing"

#: Why a dataset of a deleted harvest source was withdrawn (`opendata source delete NAME --datasets withdraw`):
#: kept as English text on the dataset, as a harvest keeps its own (harvesters.base.WITHDRAWN_REASON), and said in
#: the reader's language on its tombstone (app/web/datasets.py withdrawal_reason, `gone_messages`).
SOURCE_DELETED_REASON = N_("Its harvest source %(source)s was deleted.")
_SOURCE_DELETED = re.compile(re.escape(SOURCE_DELETED_REASON).replace(re.escape("%(source)s"), r"(?P<source>.+)"))


def source_deletion(reason: str | None) -> re.Match | None:
    """The source named by a withdrawal its source's deletion made (SOURCE_DELETED_REASON in English), or None."""
    return _SOURCE_DELETED.fullmatch(reason or "")


@dataclass(frozen=True)
class Resolution:
    """What a request for a slug gets: `outcome` is one of found, moved, gone, missing."""

    outcome: str
    dataset: Dataset | None = None

    @property
    def status(self) -> int:
        return {FOUND: 200, MOVED: 301, GONE: 410, MISSING: 404}[self.outcome]


def find(session: Session, slug: str) -> tuple[Dataset | None, bool]:
    """The dataset whose slug is (or was, before a rename) `slug`, and whether `slug` is an old one.

    A current slug wins over an old slug of another dataset (no dataset takes another's old name today:
    check_slug and the harvest's unique_slug refuse them; a catalog from before that rule may hold one)."""
    if not isinstance(slug, str) or not slug or "\x00" in slug or len(slug) > MAX_SLUG_CHARS:
        return None, False
    ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if ds is not None:
        return ds, False
    ds_id = session.scalar(select(DatasetSlug.dataset_id).where(DatasetSlug.slug == slug))
    if ds_id is None:
        return None, False
    return session.get(Dataset, ds_id), True


def visible(session: Session, ds: Dataset, user: User | None = None) -> str:
    """FOUND, GONE or MISSING for `ds` as `user` (None: anyone) may see it."""
    if ds.state == "active":
        return FOUND
    if user is not None and auth.can_edit(session, user, ds.publisher):
        return FOUND
    return GONE if ds.state == "withdrawn" else MISSING


def reads_drafts_of(session: Session, publisher, user: User | None) -> bool:
    """Whether `user` sees the drafts of `publisher` (`visible`'s rule for each of them): its editors, sysadmins;
    `publisher` None: every publisher's (sysadmins only)."""
    return user is not None and auth.can_edit(session, user, publisher)


def resolve(session: Session, slug: str, user: User | None = None) -> Resolution:
    """What a request for `slug` gets (see the module's docstring).

    An old slug answers MOVED whenever the dataset itself would be found or gone (the new address
    then says which); an old slug of a deleted dataset or of a draft is MISSING, like the dataset."""
    ds, old = find(session, slug)
    if ds is None:
        return Resolution(MISSING)
    outcome = visible(session, ds, user)
    if outcome == MISSING:
        return Resolution(MISSING)
    return Resolution(MOVED if old else outcome, ds)


# --------------------------------------------------------------------------- answers


def _site() -> str:
    return str(current_app.config["OPENDATA"]["SITE_URL"]).rstrip("/")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands stored UTC times back without their zone
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def successor(ds: Dataset, site_url: str | None = None) -> dict[str, Any] | None:
    """The dataset or page that replaces `ds`: {"slug", "url", "title"} for a dataset of this catalog
    (found under its current slug, even if it was renamed since), {"url"} for an address elsewhere.
    `site_url`: the site's base URL (default: the SITE_URL setting of the current app)."""
    named = (ds.successor or "").strip()
    if not named:
        return None
    if re.match(r"^https?://", named, re.IGNORECASE):
        return {"slug": None, "url": named, "title": None}
    session = object_session(ds)
    target = find(session, named)[0] if session is not None else None
    if target is None or target.state != "active":
        return {"slug": named, "url": None, "title": None}
    site = (site_url or _site()).rstrip("/")
    return {"slug": target.slug, "url": f"{site}/dataset/{target.slug}", "title": _public_title(target)}


def _public_title(ds: Dataset) -> dict:
    """The title of `ds` as the public reads it, its personal data ``[redacted]`` (app.services.serving.public_title;
    imported here because serving imports this module)."""
    from app.services import serving

    return dict(serving.public_title(ds) or {})


def _public_reason(ds: Dataset) -> str | None:
    """Why `ds` was withdrawn as the public reads it, its personal data ``[redacted]`` (app.services.serving.
    public_reason; imported here because serving imports this module)."""
    from app.services import serving

    return serving.public_reason(ds)


def tombstone(ds: Dataset) -> dict[str, Any]:
    """What stays public of a withdrawn dataset: its name, title, publisher, when, why, and its successor."""
    pub = ds.publisher
    return {
        "dataset": ds.slug,
        "state": ds.state,
        "title": _public_title(ds),
        "publisher": ({"slug": pub.slug, "name": dict(pub.name or {}), "url": f"{_site()}/publisher/{pub.slug}"}
                      if pub is not None else None),
        "withdrawn_at": _iso(ds.withdrawn_at),
        "reason": _public_reason(ds) or None,
        "successor": successor(ds),
        "url": f"{_site()}/dataset/{ds.slug}",
    }


def gone_messages(ds: Dataset) -> tuple[str, str]:
    """The 410 message in English and in Chinese (both go into every JSON answer)."""
    title = _public_title(ds)
    title_en = pick_text(title, "en") or ds.slug
    title_zh = pick_text(title, "zh") or ds.slug
    if harvest_withdrawal(ds.withdrawn_reason):
        return (f"The dataset {title_en!r} ({ds.slug}) was withdrawn: the source it was harvested from no longer "
                "lists it.", f"数据集“{title_zh}”（{ds.slug}）已撤回：其采集来源不再列出该数据集。")
    if source_deletion(ds.withdrawn_reason):
        return (f"The dataset {title_en!r} ({ds.slug}) was withdrawn: the source it was harvested from was deleted.",
                f"数据集“{title_zh}”（{ds.slug}）已撤回：其采集源已被删除。")
    return (f"The dataset {title_en!r} ({ds.slug}) was withdrawn by its publisher.",
            f"数据集“{title_zh}”（{ds.slug}）已被发布部门撤回。")


def wants_json() -> bool:
    """JSON unless the request names an HTML type in Accept (with q > 0, app/accept.py) and prefers it to JSON
    (browsers do): a script, curl (*/*), an RDF client or one refusing HTML (q=0) gets JSON, a person the page."""
    accept = request.accept_mimetypes
    if not (is_browser() or names("application/xhtml+xml")):
        return True
    return accept.quality("application/json") > max(accept.quality("text/html"),
                                                    accept.quality("application/xhtml+xml"))


def gone_response(ds: Dataset, *, as_json: bool | None = None) -> Response:
    """410 Gone with the tombstone of `ds`: JSON (`{"error": {"status": 410, "code": "withdrawn",
    "message", "message_zh", "tombstone"}}`) or an HTML page in the request's language; by Accept when
    `as_json` is None."""
    stone = tombstone(ds)
    negotiated = as_json is None
    if negotiated:
        as_json = wants_json()
    if as_json:
        message, message_zh = gone_messages(ds)
        if api_lang() == "zh":  # the message in the API's language (?lang, Accept-Language); message_zh always
            message = message_zh
        resp = jsonify({"error": {"status": 410, "code": "withdrawn", "message": message, "message_zh": message_zh,
                                  "tombstone": stone}})
    else:
        resp = Response(render_template("datasets/gone.html", stone=stone), mimetype="text/html")
    resp.status_code = 410
    resp.headers["Cache-Control"] = f"public, max-age={GONE_MAX_AGE}"
    if stone["successor"] and stone["successor"]["url"]:
        resp.headers["Link"] = f'<{stone["successor"]["url"]}>; rel="successor-version"'
    if negotiated:
        resp.vary.add("Accept")
    if as_json:
        resp.vary.add("Accept-Language")  # "message" follows it (shared caches keep one copy per language)
    return resp


def moved_url(ds: Dataset) -> str:
    """This request's address with the dataset's current slug in place of the old one, query kept."""
    values = dict(request.view_args or {})
    values["slug"] = ds.slug
    url = url_for(request.endpoint, **values)
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def moved_response(ds: Dataset) -> Response:
    """301 from an old slug to the same path with the current one (the query string kept)."""
    resp = redirect(moved_url(ds), 301)
    resp.headers["Cache-Control"] = f"public, max-age={MOVED_MAX_AGE}"
    return resp


def answer(resolution: Resolution, *, as_json: bool | None = None) -> Response | None:
    """The response a read door gives when the dataset is not simply found: 301, 410, or a bare 404
    (the door's own 404 handler renders it); None when it is found."""
    if resolution.outcome == FOUND:
        return None
    if resolution.outcome == MOVED:
        return moved_response(resolution.dataset)
    if resolution.outcome == GONE:
        return gone_response(resolution.dataset, as_json=as_json)
    return None


def require(session: Session, slug: str, user: User | None = None, *, as_json: bool | None = None) -> Dataset:
    """The dataset `slug` names, for a read door; anything else ends the request (301, 410 or 404)."""
    resolution = resolve(session, slug, user)
    if resolution.outcome == MISSING:
        abort(404)
    resp = answer(resolution, as_json=as_json)
    if resp is not None:
        abort(resp)
    return resolution.dataset
