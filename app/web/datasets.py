"""Dataset pages (a minimal list for now; search pages come with the web issue)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import db_session
from catalog_schema.models import Dataset
from catalog_schema.record import pick_text

bp = Blueprint("datasets", __name__)


@bp.app_template_filter("text")
def text_filter(langmap, lang=None):
    return pick_text(langmap, lang or request.accept_languages.best_match(["zh", "en"]))


@bp.get("/")
@bp.get("/dataset")
def index():
    session = db_session()
    datasets = session.scalars(
        select(Dataset)
        .where(Dataset.state == "active")
        .options(selectinload(Dataset.publisher), selectinload(Dataset.distributions))
        .order_by(Dataset.slug)
    ).all()
    return render_template("datasets/list.html", datasets=datasets)
