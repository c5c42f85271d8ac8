"""`/licences`: the sysadmins' licence mappings (raw licence text -> licence id), with the texts still unmapped.

A mapping changes the licence of every dataset and distribution whose raw licence text has its key and
re-assesses those datasets (app.services.licences); the page says how many.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.request_context import db_session
from app.security import client_address, current_account, login_required_page
from app.services import licences
from app.services.context import Actor, Runtime
from app.services.errors import ServiceError
from catalog_schema import vocab

bp = Blueprint("licences", __name__)


def _sysadmin():
    me = current_account()
    if not me.is_sysadmin:
        abort(403)
    return me


@bp.get("/licences")
@login_required_page
def index() -> Response:
    _sysadmin()
    s = db_session()
    resp = Response(render_template("licences/index.html", mappings=licences.mappings(s),
                                    unmapped=licences.unmapped(s), choices=vocab.licences(),
                                    by_id=vocab.licence_by_id, raw=request.args.get("raw", "")))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _change(fn, *args) -> Response:
    me = _sysadmin()
    runtime = Runtime(current_app.extensions["opendata"]["sessionmaker"], current_app.config["OPENDATA"])
    actor = Actor(db_session(), me, "web", runtime=runtime, ip=client_address())
    try:
        done = fn(actor, *args)
    except ServiceError as exc:
        db_session().rollback()
        flash(_("The mapping was not changed: %(why)s", why=exc.message), "error")
        return redirect(url_for("licences.index"), code=303)
    finally:
        runtime.close()
    flash(ngettext("%(raw)s: %(num)d dataset changed and re-assessed.",
                   "%(raw)s: %(num)d datasets changed and re-assessed.", len(done["datasets"]), raw=done["raw"]),
          "success")
    return redirect(url_for("licences.index"), code=303)


@bp.post("/licences")
@login_required_page
def map_licence() -> Response:
    return _change(licences.map_licence, request.form.get("raw", ""), request.form.get("licence_id", ""))


@bp.post("/licences/remove")
@login_required_page
def unmap_licence() -> Response:
    return _change(licences.unmap_licence, request.form.get("raw", ""))
