"""The Flask application factory. Nothing reads configuration at import time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app import settings as settings_mod

if TYPE_CHECKING:  # Flask and SQLAlchemy load with the app, not with every command that imports a module here
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (keys as in app.settings, without prefix)."""
    from flask import Flask, g

    from catalog_schema.db import make_engine, make_sessionmaker

    values = settings_mod.load()
    if config:
        values.update(config)
        if "DATABASE_URL" not in config and "INSTANCE_DIR" in config:
            values["DATABASE_URL"] = f"sqlite:///{config['INSTANCE_DIR']}/catalog.db"
    app = Flask(__name__, instance_path=values["INSTANCE_DIR"])
    app.config["OPENDATA"] = values
    app.config["SECRET_KEY"] = values["SECRET_KEY"] or _ephemeral_secret(app)
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False
    logging.basicConfig(level=values["LOG_LEVEL"])

    engine = make_engine(values["DATABASE_URL"])
    app.extensions["opendata"] = {"engine": engine, "sessionmaker": make_sessionmaker(engine)}

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @app.before_request
    def _no_nul_in_path():
        # No slug, name or id holds a NUL, and PostgreSQL refuses one in a query (a 500): such a path is not found.
        from flask import abort, request

        if "\x00" in request.path:
            if request.path.startswith("/api/v1/"):
                from app.api.errors import error_response

                return error_response(404, "not-found", "Not found: no name or id holds a NUL character")
            abort(404)

    from app.api import register as register_api
    from app.export import register as register_exports
    from app.i18n import init_app as init_i18n
    from app.web import register as register_web

    init_i18n(app)
    register_web(app)
    register_api(app)
    register_exports(app)

    from app.security import init_security

    init_security(app)  # last: it rate-limits the API blueprints registered above
    return app


def _ephemeral_secret(app: Flask) -> str:
    import secrets

    app.logger.warning("OPENDATA_SECRET_KEY is not set: using a random key (sessions end on restart)")
    return secrets.token_hex(32)


def db_session():
    """The request's database session (closed at the end of the request)."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["opendata"]["sessionmaker"]()
    return g.db_session


def setting(name: str) -> Any:
    from flask import current_app

    return current_app.config["OPENDATA"][name]
