"""/health: liveness and database reachability, for load balancers and the demo."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from app.request_context import db_session
from catalog_schema.models import Dataset

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    session = db_session()
    try:
        session.execute(text("SELECT 1"))
        count = session.scalar(select(func.count()).select_from(Dataset).where(Dataset.state == "active"))
    except Exception as exc:  # the database is down or not migrated
        return jsonify({"status": "error", "database": str(exc.__class__.__name__)}), 503
    return jsonify({"status": "ok", "datasets": count})
