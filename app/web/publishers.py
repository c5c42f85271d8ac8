"""Publisher pages: `/publisher` (every department) and `/publisher/<slug>` (its datasets and stars)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.request_context import db_session
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
    session = db_session()
    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        abort(404)
    datasets = session.scalars(select(Dataset).where(Dataset.publisher_id == pub.id, Dataset.state == "active")
                               .options(selectinload(Dataset.distributions), selectinload(Dataset.publisher))
                               .order_by(Dataset.stars.desc(), Dataset.slug)).all()
    rated = [d.stars for d in datasets if d.stars is not None]
    average = round(sum(rated) / len(rated), 2) if rated else None
    return render_template("publishers/show.html", pub=pub, datasets=datasets, average=average)
