"""`/robots.txt` and the sitemaps search engines read (sitemaps.org 0.9).

`/sitemap.xml` is a sitemap index: one sitemap of the portal's own pages (home, the search, publishers and
themes) and one per 50,000 active datasets (the protocol's cap per file), so catalog.data.gov's size is
eight small files. Each dataset's `lastmod` is when the catalog's copy last changed. Drafts and withdrawn
datasets are left out: they are not public pages. A part's first slug is found on the slug index, the part
then read as a range of it.

The sitemaps stream, so the body hash the pages get is never made: like /data.json they carry a weak ETag made
first from the catalog's change marker (`changelog.catalog_state`: it moves when a dataset is added, edited or
withdrawn, or a publisher changes), the site's address and the path (each part its own), and answer
If-None-Match with 304 through `delivery.validated` before anything of the catalog is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, request
from sqlalchemy import func, select

from app import delivery
from app.request_context import db_session, setting
from catalog_schema import changelog, vocab
from catalog_schema.models import Dataset, Publisher

bp = Blueprint("sitemap", __name__)

PER_FILE = 50_000  # URLs per sitemap file (sitemaps.org)
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_CACHE = "public, max-age=3600"


def _site() -> str:
    return str(setting("SITE_URL")).rstrip("/")


def _xml(chunks: Iterator[str], tag: str) -> Response:
    resp = Response(chunks, mimetype="application/xml")
    resp.headers["Cache-Control"] = _CACHE
    return delivery.validated(request, resp, tag)


def _tag() -> str:
    """The sitemap's validator, made before its body from what the body is made of (the active datasets and the
    publishers, through the catalog's change marker), the site's address and the path."""
    return delivery.etag_of("sitemap", changelog.catalog_state(db_session()), _site(), request.path)


def _held(tag: str) -> Response | None:
    """The 304 for a client holding `tag`, before the catalog is read."""
    return _xml(iter(()), tag) if request.if_none_match.contains_weak(tag) else None


def _date(value: dt.datetime | None) -> str:
    return (value or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d")


def _active():
    return select(Dataset).where(Dataset.state == "active")


@bp.get("/robots.txt")
def robots() -> Response:
    body = ("User-agent: *\nDisallow: /account\nDisallow: /publish\nDisallow: /audit\n\n"
            f"Sitemap: {_site()}/sitemap.xml\n")
    resp = Response(body, mimetype="text/plain")
    resp.headers["Cache-Control"] = _CACHE
    return resp


@bp.get("/sitemap.xml")
def index() -> Response:
    tag = _tag()
    if (held := _held(tag)) is not None:
        return held
    session = db_session()
    count, newest = session.execute(select(func.count(), func.max(Dataset.modified_at))
                                    .where(Dataset.state == "active")).one()
    parts = max(1, -(-count // PER_FILE))
    site = _site()

    def chunks() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_NS}">\n'
        yield f"<sitemap><loc>{escape(site)}/sitemap-pages.xml</loc></sitemap>\n"
        for n in range(1, parts + 1):
            yield (f"<sitemap><loc>{escape(site)}/sitemap-datasets-{n}.xml</loc>"
                   f"<lastmod>{_date(newest)}</lastmod></sitemap>\n")
        yield "</sitemapindex>\n"
    return _xml(chunks(), tag)


def _url(loc: str, lastmod: str | None = None) -> str:
    mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{mod}</url>\n"


@bp.get("/sitemap-<any(pages):kind>.xml")
@bp.get("/sitemap-datasets-<int:n>.xml", defaults={"kind": "datasets"})
def part(kind: str, n: int = 0) -> Response:
    tag = _tag()
    if (held := _held(tag)) is not None:
        return held
    session, site = db_session(), _site()
    if kind == "pages":
        publishers = list(session.scalars(select(Publisher.slug).order_by(Publisher.slug)))
        urls = [f"{site}/", f"{site}/dataset", f"{site}/publisher", f"{site}/theme", f"{site}/dashboard"]
        urls += [f"{site}/publisher/{slug}" for slug in publishers]
        urls += [f"{site}/theme/{code}" for code in sorted(vocab.THEMES)]
        body = "".join(_url(u) for u in urls)
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">\n'
        return _xml(iter((head, body, "</urlset>\n")), tag)
    if n < 1:
        abort(404)
    # the first slug of part n: keyset pagination (the slug column is unique and indexed)
    start = session.scalar(select(Dataset.slug).where(Dataset.state == "active").order_by(Dataset.slug)
                           .offset((n - 1) * PER_FILE).limit(1)) if n > 1 else ""
    if start is None:
        abort(404)
    rows = session.execute(select(Dataset.slug, Dataset.modified_at).where(Dataset.state == "active",
                                                                          Dataset.slug >= start)
                           .order_by(Dataset.slug).limit(PER_FILE)).all()

    def chunks() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">\n'
        for slug, modified in rows:
            yield _url(f"{site}/dataset/{slug}", _date(modified))
        yield "</urlset>\n"
    return _xml(chunks(), tag)
