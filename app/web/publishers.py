"""Publisher pages: `/publisher` (every department) and `/publisher/<slug>` (its datasets, a page at a time, and
stars)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from app import activity
from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import current_account
from app.services import accounts, serving
from app.web import follows as follows_web
from app.web.datasets import by_ids
from catalog_schema import search as search_mod
from catalog_schema.models import Dataset, Publisher
from catalog_schema.record import pick_text
from catalog_schema.series import SERIES

bp = Blueprint("publishers", __name__)


def _series_count():
    """A publisher's published series, as a column of the statement that reads the publisher (series are few; no
    statement of its own). A series groups datasets and has no files of its own: it is counted apart from the
    datasets, as the dashboard's league counts the datasets it assesses (the series' parts), so the pages give
    a department the same number."""
    return (select(func.count()).where(Dataset.publisher_id == Publisher.id, Dataset.kind == SERIES,
                                       Dataset.state == "active").correlate(Publisher).scalar_subquery())


@bp.get("/publisher")
def index():
    """One statement (the publishers) and one aggregation of the search index: each publisher's active datasets
    and their average stars (counted in the database, that took 200 ms at 400,000 datasets)."""
    session = db_session()
    stats = search_mod.publisher_stats(session)
    none = search_mod.PublisherStats(0, 0, 0)
    rows = [(pub, s.datasets - series, s.average, series)
            for pub, series in session.execute(select(Publisher, _series_count()).order_by(Publisher.slug))
            for s in (stats.get(pub.slug, none),)]
    lang = current_lang()  # by name as the reader reads it (the slugs' order put Ecology before General Office ...)
    rows.sort(key=lambda row: ((pick_text(row[0].name, lang) or row[0].slug).casefold(), row[0].slug))
    return render_template("publishers/index.html", rows=rows, any_series=any(row[3] for row in rows))


@bp.get("/publisher/<slug>")
def show(slug: str):
    """Five statements whatever the publisher holds: the publisher, one page of its datasets (PAGE_SIZE; by_ids:
    the datasets and their distributions), and its latest activity (one statement each from the audit log and
    the harvest records; app/activity.py). A signed-in reader: one more, whether they follow it, and one more,
    their role there (whether they may see its members), unless a sysadmin. The page's
    datasets (most stars first, then by name; not yet assessed ones last), their count and their stars come
    from one search of the index: counted in the database, they took 165 ms at 400,000 datasets."""
    session = db_session()
    found = session.execute(select(Publisher, _series_count()).where(Publisher.slug == slug)).first()
    if found is None:
        abort(404)
    pub, series = found
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    size = int(setting("PAGE_SIZE"))
    result = search_mod.search(session, search_mod.SearchQuery(publisher=[pub.slug], sort="-stars", page=page,
                                                               limit=size, facets=["stars"]))
    count = result.total  # the datasets and the series listed (the pages)
    stars = {k: n for k, n in search_mod.star_counts(result).items() if k is not None}
    assessed = sum(stars.values())
    average = sum(k * n for k, n in stars.items()) / assessed if assessed else None
    datasets = by_ids(session, result.ids)
    changes = activity.page(session, publisher_id=pub.id, limit=int(setting("ACTIVITY_ITEMS")))
    return render_template("publishers/show.html", pub=pub, datasets=datasets, count=count - series, series=series,
                           # what it says of itself, its personal data redacted (its admins edit it as it is)
                           description=serving.public_publisher(pub)["description"],
                           activity=follows_web.activity_items(changes, current_lang(), pub),
                           following=follows_web.followed(session, "publisher", str(pub.id)),
                           signed_in=current_account() is not None,
                           # the way to its members page for who may see it (its members, sysadmins; /account
                           # has it too): a statement more for a signed-in reader who is no sysadmin
                           see_members=accounts.may_see_members(session, current_account(), pub),
                           average=round(float(average), 2) if average is not None else None,
                           page=page, pages=max(1, -(-count // size)))
