"""The Flask application factory. Nothing reads configuration at import time.

A request's database session and the settings it reads are in app/request_context.py.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from app import settings as settings_mod

if TYPE_CHECKING:  # Flask and SQLAlchemy load with the app, not with every command that imports a module here
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (keys as in app.settings, without prefix)."""
    # Everything the app needs loads here, not when a command imports `app` (keeps `opendata --help` fast).
    from flask import abort, request

    from app import request_context
    from app.api import register as register_api
    from app.api.errors import error_response
    from app.delivery import init_delivery
    from app.export import register as register_exports
    from app.i18n import init_app as init_i18n
    from app.logs import configure as configure_logging
    from app.metrics import init_metrics
    from app.security import init_security
    from app.services import searchable
    from app.templating import share_compiled_templates
    from app.url_rules import LazyRoutesFlask
    from app.web import register as register_web
    from catalog_schema import search
    from catalog_schema.db import make_engine, make_sessionmaker

    values = settings_mod.load()
    if config:
        values.update(config)
        if "DATABASE_URL" not in config and "INSTANCE_DIR" in config:
            values["DATABASE_URL"] = f"sqlite:///{config['INSTANCE_DIR']}/catalog.db"
    app = LazyRoutesFlask(__name__, instance_path=values["INSTANCE_DIR"])  # URL builders made on first use
    app.config["OPENDATA"] = values
    app.config["SECRET_KEY"] = values["SECRET_KEY"] or _ephemeral_secret(app)
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False
    configure_logging(values["LOG_LEVEL"], values.get("LOG_FORMAT", "text"))

    engine = make_engine(values["DATABASE_URL"])
    app.extensions["opendata"] = {"engine": engine, "sessionmaker": make_sessionmaker(engine)}
    search.configure(values["DATABASE_URL"], settings_mod.search_index_dir(values),
                     refresh=values.get("SEARCH_REFRESH_SECONDS", 1.0))
    searchable.register()  # the index holds the texts as the public reads them

    request_context.init_app(app)

    @app.before_request
    def _no_nul_in_path():
        # No slug, name or id holds a NUL, and PostgreSQL refuses one in a query (a 500): such a path is not found.
        if "\x00" in request.path:
            if request.path.startswith("/api/v1/"):
                return error_response(404, "not-found", "Not found: no name or id holds a NUL character")
            abort(404)

    init_i18n(app)
    register_web(app)
    register_api(app)
    register_exports(app)
    init_metrics(app)

    init_delivery(app)  # before security: its after-request hook then runs after the security headers
    init_security(app)  # last: it rate-limits the API blueprints registered above
    share_compiled_templates(app.jinja_env)  # after every filter is registered: they are part of the key
    return app


def _ephemeral_secret(app: Flask) -> str:
    app.logger.warning("OPENDATA_SECRET_KEY is not set: using a random key (sessions end on restart)")
    return secrets.token_hex(32)

