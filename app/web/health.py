"""Health probes, for load balancers, orchestrators and the demo.

- `/health/live`: the process answers. It reads nothing (no database, no session): the trivial request
  bench/load.py measures every other kind against.
- `/health/ready`: the process can serve: the database answers, the broker answers when one is configured,
  the search index is caught up within SEARCH_READY_MAX_LAG (app/readiness.py). 503 with a JSON body naming
  each check that failed. It reads no catalog row, so it stays cheap at any catalog size.
- `/health`: the database answers and how many datasets are active (a count over the catalog: not for a
  probe that runs every few seconds on a large catalog).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from app import readiness
from app.request_context import db_session
from catalog_schema.models import Dataset

bp = Blueprint("health", __name__)

NO_STORE = {"Cache-Control": "no-store"}  # a probe's answer is about now


@bp.get("/health")
def health():
    session = db_session()
    try:
        session.execute(text("SELECT 1"))
        count = session.scalar(select(func.count()).select_from(Dataset).where(Dataset.state == "active"))
    except Exception as exc:  # the database is down or not migrated
        return jsonify({"status": "error", "database": str(exc.__class__.__name__)}), 503
    return jsonify({"status": "ok", "datasets": count})


@bp.get("/health/live")
def live():
    return jsonify({"status": "ok"}), 200, NO_STORE


@bp.get("/health/ready")
def ready():
    failed = readiness.failures(db_session(), current_app.extensions["opendata"]["sessionmaker"],
                                current_app.config["OPENDATA"])
    if failed:
        return jsonify({"status": "error", "failed": failed}), 503, NO_STORE
    return jsonify({"status": "ok"}), 200, NO_STORE
