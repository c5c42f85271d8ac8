"""A catalog database that cannot be used (down, never created, never migrated): every door says so in its own
shape, with 503, instead of a bare English "500 Internal Server Error" page (or an HTML page from the CKAN API).

The reason goes to the log, not to the reader: the driver's text names hosts and tables.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from app.texts import T_

log = logging.getLogger(__name__)
bp = Blueprint("unavailable", __name__)

MESSAGE = T_("The catalog's database cannot be used right now (the operator's log says why; a new catalog "
             "needs `opendata db upgrade`). Please try again later.")
RETRY_AFTER = "60"


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(ProgrammingError)
@bp.app_errorhandler(InterfaceError)
def database_unavailable(exc: Exception) -> Response:
    log.error("the database could not answer %s %s: %s", request.method, request.path,
              str(getattr(exc, "orig", None) or exc).splitlines()[0][:300])
    if request.path.startswith("/api/3/"):
        from app.api.ckan_core import envelope

        name = request.path.rstrip("/").rsplit("/", 1)[-1]
        resp = envelope(name, {"success": False, "error": {"__type": "Internal Server Error",
                                                           "message": MESSAGE}}, 503)
    elif request.path.startswith("/api/"):
        from app.api.errors import error_response

        resp = error_response(503, "database-unavailable", MESSAGE)
    else:
        resp = Response(render_template("unavailable.html", message=MESSAGE), status=503, mimetype="text/html")
    resp.headers["Retry-After"] = RETRY_AFTER
    resp.headers["Cache-Control"] = "no-store"
    return resp
