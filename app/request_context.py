"""What a request reads from the app that serves it: its database session and the settings.

Views, services and templates helpers import `db_session` and `setting` from here, never from `app`
(the package that builds the app imports them all, and they would import it back).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session


def init_app(app: Flask) -> None:
    """Close the request's session when the request ends (rolled back first when it failed)."""
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The request's database session, opened on first use and closed at the end of the request."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["opendata"]["sessionmaker"]()
    return g.db_session


def setting(name: str) -> Any:
    """The value of setting `name` (keys as in app/settings.py, without the OPENDATA_ prefix)."""
    return current_app.config["OPENDATA"][name]


def public_base() -> str:
    """This portal's public address (SITE_URL, no trailing slash), what every absolute link an answer carries starts
    with: never the request's Host header, which anyone may send (`Host: evil.example` made the API's paging links,
    a feed's self link and the OpenAPI document's server point there, in answers a shared cache keeps)."""
    return str(setting("SITE_URL") or request.url_root).rstrip("/")


def public_request_url() -> str:
    """The request's address (path and query) on this portal's public address (`public_base`)."""
    path = request.full_path if request.query_string else request.path
    return public_base() + path


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
