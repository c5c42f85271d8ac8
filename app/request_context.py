"""What a request reads from the app that serves it: its database session and the settings.

Views, services and templates helpers import `db_session` and `setting` from here, never from `app`
(the package that builds the app imports them all, and they would import it back).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
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


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
