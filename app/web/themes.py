"""Browsing by EU data theme (`/theme`, `/theme/<code>`): data found by subject, not by department."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from sqlalchemy import select

from app.i18n import current_lang
from app.request_context import db_session, setting
from app.web.datasets import by_ids
from catalog_schema import search as search_mod
from catalog_schema import vocab
from catalog_schema.models import Publisher

bp = Blueprint("themes", __name__)


@bp.get("/theme")
def index():
    result = search_mod.search(db_session(), search_mod.SearchQuery(limit=0, facets=["theme"], facet_limit=1000))
    counts = {str(code): n for code, n in result.facets.get("theme", [])}
    lang = current_lang()  # by label as the reader reads it, not by code ("Provisional data" sat among the Rs)
    themes = sorted(vocab.THEMES.values(), key=lambda t: (t.labels.get(lang) or t.code).casefold())
    return render_template("themes/index.html", themes=themes, counts=counts)


@bp.get("/theme/<code>")
def show(code: str):
    theme = vocab.THEMES.get(code.upper())
    if theme is None:
        abort(404)
    if code != theme.code:
        return redirect(f"/theme/{theme.code}", 301)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1

    session = db_session()
    size = int(setting("PAGE_SIZE"))
    result = search_mod.search(session, search_mod.SearchQuery(theme=[theme.code], sort="title", page=page,
                                                               limit=size, facets=["publisher"]))
    pubs = {p.slug: p for p in session.scalars(select(Publisher).where(
        Publisher.slug.in_([str(v) for v, _ in result.facets.get("publisher", [])])))}
    return render_template("themes/show.html", theme=theme, result=result, datasets=by_ids(session, result.ids),
                           publishers=[(pubs.get(str(v)), str(v), n) for v, n in result.facets.get("publisher", [])],
                           page=page, pages=max(1, -(-result.total // size)))
