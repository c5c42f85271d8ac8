"""Site-wide files that browsers ask for by a fixed name: /favicon.ico."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect

bp = Blueprint("site", __name__)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask /favicon.ico for pages that name no icon (a JSON or CSV opened in a tab): send them to the
    fingerprinted SVG icon the pages name."""
    return redirect(current_app.extensions["static_files"].url("favicon.svg"), code=301)
