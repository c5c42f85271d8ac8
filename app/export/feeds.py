"""Atom 1.0 feeds of new, changed and withdrawn datasets, at the paths CKAN gives them.

- `/feeds/dataset.atom`: the whole catalog;
- `/feeds/organization/<publisher slug>.atom`: one publisher;
- `/feeds/group/<theme code>.atom`: one theme;
- `/feeds/custom.atom?q=&fq=`: any CKAN search (`q` and `fq` as `package_search` takes them).

Each holds the `FEED_SIZE` most recently changed datasets, newest first, read from the search index (sorted on
the catalog's modification time, withdrawn datasets included: a withdrawal is news to a subscriber), so a
feed costs an index query and one load of fifty rows whatever the catalog's size. A withdrawn dataset's entry
says so in its title and links to the page that tells why. Titles and summaries are in the language asked
(`?lang=`, else Accept-Language), the feed's own language declared with `xml:lang`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import ckan_query
from app.api.errors import error_response
from app.i18n import current_lang, site_title
from app.request_context import db_session, public_request_url, setting
from app.services import serving
from app.texts import T_
from catalog_schema import search, vocab
from catalog_schema.models import Dataset, Publisher
from catalog_schema.record import pick_text
from plumbing.xmlchars import XML_ILLEGAL

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
SUMMARY_CHARS = 500
_CACHE = "public, max-age=300"
ET.register_namespace("", ATOM)


def _site() -> str:
    return str(setting("SITE_URL")).rstrip("/")


def _stamp(value: dt.datetime | None) -> str:
    value = value or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or pick_text(value) or ""
    return str(value or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # ElementTree writes the characters XML 1.0 cannot carry as they are: one control character in a title
    # would make the whole feed not well-formed, so they are dropped (as in /catalog.xml and .rdf)
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: XML_ILLEGAL.sub("", v) for k, v in attrs.items()})
    if text is not None:
        el.text = XML_ILLEGAL.sub("", text)
    return el


def _entry_id(dataset_id: str, site: str) -> str:
    """An entry's atom:id, the same for the dataset's whole life (RFC 4287 4.2.6: it MUST NOT change): its id as a
    `urn:uuid:` URN. It was the page's URL with the id as fragment, which a rename changed, and feed readers then
    showed the renamed dataset as a new entry beside the old one."""
    try:
        return uuid.UUID(dataset_id).urn
    except (ValueError, TypeError, AttributeError):
        return f"{site}/feeds/dataset/{quote(str(dataset_id), safe='')}"


def render(feed_id: str, title: str, self_url: str, alternate: str, datasets: list[Dataset], lang: str,
           pages: dict[str, str] | None = None) -> bytes:
    """The Atom document of `datasets` (newest first); `pages`: the addresses of its first, previous, next and last
    pages (RFC 5005 paged feeds) by relation."""
    site = _site()
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN" if lang == "zh"
                                          else "en"})
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=alternate)
    for rel, href in (pages or {}).items():
        _sub(feed, "link", rel=rel, type="application/atom+xml", href=href)
    _sub(feed, "updated", _stamp(max((d.modified_at for d in datasets), default=None)))
    author = _sub(feed, "author")
    _sub(author, "name", site_title())
    _sub(author, "uri", site + "/")
    _sub(feed, "generator", "opendata-platform")
    for ds in datasets:
        entry = _sub(feed, "entry")
        url = f"{site}/dataset/{ds.slug}"
        said = serving.public_texts(ds)  # its personal data redacted
        name = _text(said["title"], lang) or ds.slug
        withdrawn = ds.state != "active"
        _sub(entry, "id", _entry_id(ds.id, site))
        _sub(entry, "title", _("Withdrawn: %(title)s", title=name) if withdrawn else name)
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        _sub(entry, "updated", _stamp(ds.modified_at))
        _sub(entry, "published", _stamp(ds.created_at))
        if ds.publisher is not None:
            who = _sub(entry, "author")
            _sub(who, "name", _text(ds.publisher.name, lang) or ds.publisher.slug)
            _sub(who, "uri", f"{site}/publisher/{ds.publisher.slug}")
        summary = _text(said["description"], lang)
        if withdrawn:
            summary = _("This dataset was withdrawn; its page says why.") + (" " + summary if summary else "")
        if summary:
            cut = summary if len(summary) <= SUMMARY_CHARS else summary[:SUMMARY_CHARS - 1] + "…"
            _sub(entry, "summary", cut, type="text")
        for code in ds.themes or []:
            theme = vocab.THEMES.get(code)
            _sub(entry, "category", term=str(code), label=theme.labels.get(lang, str(code)) if theme else str(code))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _page() -> int | None:
    """The feed page asked for (`?page=`, from 1), or None when it is no such number."""
    raw = request.args.get("page", "1").strip()
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) >= 1 else None


def _pages(page: int, total: int) -> dict[str, str]:
    """The first, previous, next and last pages' addresses of a feed of `total` entries (RFC 5005 paged feed)."""
    last = max(1, -(-total // FEED_SIZE))

    def at(n: int) -> str:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        args += [("page", str(n))] if n > 1 else []
        return public_request_url().split("?", 1)[0] + ("?" + urlencode(args) if args else "")

    out = {"first": at(1)}
    if page > 1:
        out["previous"] = at(min(page - 1, last))
    if page < last:
        out["next"] = at(page + 1)
    out["last"] = at(last)
    return out


def _answer(feed_id: str, title: str, alternate: str, query: search.SearchQuery) -> Response:
    session = db_session()
    page = _page()
    if page is None:
        return error_response(400, "bad-request", T_("page: a whole number from 1 (the feed's %(size)s newest entries "
                                                     "a page)", size=FEED_SIZE))
    query.sort, query.limit, query.include_withdrawn = "-modified", FEED_SIZE, True
    query.offset = (page - 1) * FEED_SIZE
    found = search.search(session, query)
    if page > 1 and not found.ids:
        return error_response(404, "not-found", T_("Page %(page)s is past the feed's last page.", page=page))
    rows = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(found.ids))
                                             .options(selectinload(Dataset.publisher)))}
    datasets = [rows[i] for i in found.ids if i in rows and rows[i].state in ("active", "withdrawn")]
    lang = current_lang()
    body = render(feed_id, title, public_request_url(), alternate, datasets, lang, _pages(page, found.total))
    resp = Response(body, mimetype="application/atom+xml")
    resp.headers["Cache-Control"] = _CACHE
    # the language follows Accept-Language when ?lang does not say: a shared cache keeping the feed must keep
    # one a language, or it hands the Chinese feed to English readers (and back) for the cache's lifetime
    resp.vary.add("Accept-Language")
    return resp


@bp.get("/feeds/dataset.atom")
def site_feed() -> Response:
    site = _site()
    return _answer(f"{site}/feeds/dataset.atom", _("%(site)s: new and changed datasets", site=site_title()),
                   f"{site}/dataset", search.SearchQuery())


@bp.get("/feeds/organization/<slug>.atom")
def publisher_feed(slug: str) -> Response:
    publisher = db_session().scalar(select(Publisher).where(Publisher.slug == slug))
    if publisher is None:
        abort(404)
    site, name = _site(), _text(publisher.name, current_lang()) or slug
    return _answer(f"{site}/feeds/organization/{slug}.atom", _("%(publisher)s: new and changed datasets",
                                                                 publisher=name),
                   f"{site}/publisher/{slug}", search.SearchQuery(publisher=[slug]))


@bp.get("/feeds/group/<code>.atom")
def theme_feed(code: str) -> Response:
    theme = vocab.THEMES.get(code.upper())  # tran, as CKAN's group_list names the group, or TRAN
    if theme is None:
        abort(404)
    code = code.upper()
    site = _site()
    label = theme.labels.get(current_lang(), code)
    return _answer(f"{site}/feeds/group/{code}.atom", _("%(theme)s: new and changed datasets", theme=label),
                   f"{site}/theme/{code}", search.SearchQuery(theme=[code]))


@bp.get("/feeds/custom.atom")
def search_feed() -> Response:
    try:
        text, filters = ckan_query.translate(request.args.get("q"), request.args.get("fq"))
    except ckan_query.QueryError as exc:  # the API's error shape, said in the reader's language (English text before)
        return error_response(400, "bad-request", T_("q or fq cannot be read: %(why)s", why=exc.args[0]))
    site = _site()
    query = search.SearchQuery(q=text, publisher=filters.publisher, format=filters.format, licence=filters.licence,
                               theme=filters.theme, keyword=filters.keyword, modified_since=filters.modified_since,
                               modified_until=filters.modified_until)
    if filters.nothing:
        query.publisher = ["\x00"]  # a filter that matches nothing: an empty, valid feed
    words = " ".join(x for x in (request.args.get("q"), request.args.get("fq")) if x)
    return _answer(public_request_url(),
                   _("%(site)s: datasets matching %(query)s", site=site_title(), query=words or "*"),
                   f"{site}/dataset", query)
