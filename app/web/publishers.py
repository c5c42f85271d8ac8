"""Publisher pages: `/publisher` (every department) and `/publisher/<slug>` (its datasets, a page at a time, and
stars)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import activity
from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import current_account
from app.web import follows as follows_web
from catalog_schema.models import Dataset, Publisher

bp = Blueprint("publishers", __name__)


@bp.get("/publisher")
def index():
    session = db_session()
    rows = session.execute(
        select(Publisher, func.count(Dataset.id), func.avg(Dataset.stars))
        .outerjoin(Dataset, (Dataset.publisher_id == Publisher.id) & (Dataset.state == "active"))
        .group_by(Publisher.id).order_by(Publisher.slug)).all()
    return render_template("publishers/index.html", rows=rows)


@bp.get("/publisher/<slug>")
def show(slug: str):
    """Six statements whatever the publisher holds: the publisher, its count and average stars in one
    aggregate, one page of its datasets (PAGE_SIZE) and their distributions, and its latest activity (one
    statement each from the audit log and the harvest records; app/activity.py). A signed-in reader: one
    more, whether they follow it."""
    session = db_session()
    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        abort(404)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    size = int(setting("PAGE_SIZE"))
    mine = (Dataset.publisher_id == pub.id) & (Dataset.state == "active")
    count, average = session.execute(select(func.count(Dataset.id), func.avg(Dataset.stars)).where(mine)).one()
    # Each dataset's publisher is `pub`, already in the session: no statement loads it again.
    datasets = session.scalars(select(Dataset).where(mine).options(selectinload(Dataset.distributions))
                               .order_by(Dataset.stars.desc(), Dataset.slug)
                               .limit(size).offset((page - 1) * size)).all()
    changes = activity.page(session, publisher_id=pub.id, limit=int(setting("ACTIVITY_ITEMS")))
    return render_template("publishers/show.html", pub=pub, datasets=datasets, count=count,
                           activity=follows_web.activity_items(changes, current_lang(), pub),
                           following=follows_web.followed(session, "publisher", str(pub.id)),
                           signed_in=current_account() is not None,
                           average=round(float(average), 2) if average is not None else None,
                           page=page, pages=max(1, -(-count // size)))
