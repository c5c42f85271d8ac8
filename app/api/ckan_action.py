"""CKAN-compatible Action API at /api/3/action/<name> (and /api/action/<name>, ckanapi's path).

Why: ckanapi, CKAN harvesters (ckanext-harvest, our own harvesters.ckan) and the many
scripts written against CKAN portals must work against this catalog unchanged
(README.md, "Command line"; docs/api.md). So the envelope, the error `__type`s and status codes, the
parameter spellings and the package dicts are CKAN 2.10's:

    {"help": "<site>/api/3/action/help_show?name=<action>", "success": true, "result": ...}
    {"help": ..., "success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}

A CKAN organization is a publisher: its `name` (and its `id` here) is the publisher's slug.

Writes take `Authorization: <token>` (or `X-CKAN-API-Key`); the token's user must be a
sysadmin or an admin/editor of the dataset's publisher (app.auth.can_edit). A refused
write changes nothing; an accepted one adds an AuditEvent with the record before and after.

This module is the door and the registry: the actions live in app/api/ckan_core.py (the core ones and every
helper) and in the sub-modules beside it, which import from ckan_core and never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from app import auth
from app.api import ckan_activity, ckan_dcat, ckan_follows, ckan_orgs, ckan_reads, ckan_revise, ckan_tokens
from app.api.ckan_core import (
    ActionError,
    _writer,
    action_params,
    current_package_list_with_resources,
    datastore_create,
    envelope,
    group_list,
    group_show,
    license_list,
    not_found,
    organization_list,
    organization_list_for_user,
    organization_member_create,
    organization_member_delete,
    organization_show,
    package_create,
    package_delete,
    package_list,
    package_owner_org_update,
    package_patch,
    package_search,
    package_show,
    package_update,
    resource_create,
    resource_delete,
    resource_patch,
    resource_show,
    resource_update,
    site_read,
    status_show,
    tag_list,
)
from app.api.rest.blueprint import CATALOG_CACHE
from app.delivery import carries_credentials
from app.request_context import db_session
from app.security import request_token
from app.texts import T_
from catalog_schema.models import User

bp = Blueprint("api_ckan_action", __name__)


def help_show(session: Session, params: dict, user: User | None) -> str:
    """The documentation of an action (`name`): its docstring, as CKAN gives it."""
    name = params.get("name")
    fn = (ACTIONS.get(name) or WRITES.get(name)) if isinstance(name, str) else None
    if fn is None:
        raise not_found(T_("Action function not found"))
    return (fn.__doc__ or "").strip()


ACTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (package_search, package_show, package_list, current_package_list_with_resources,
                            organization_list, organization_list_for_user, organization_show,
                            group_list, group_show, tag_list, license_list, resource_show, status_show, site_read,
                            help_show)
}
WRITES: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (package_create, package_update, package_patch, package_delete, package_owner_org_update,
                            resource_create, resource_update, resource_patch, resource_delete, datastore_create,
                            organization_member_create, organization_member_delete)
}
for _module in (ckan_activity, ckan_reads, ckan_orgs, ckan_revise, ckan_dcat, ckan_follows, ckan_tokens):
    ACTIONS.update(getattr(_module, "ACTIONS", {}))
    WRITES.update(getattr(_module, "WRITES", {}))


# --------------------------------------------------------------------------- the endpoint


@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
@bp.route("/api/action/<name>", methods=["GET", "POST"])
def action(name: str) -> Response:
    session = db_session()
    try:
        if name not in ACTIONS and name not in WRITES:
            raise ActionError(400, "Bad Request", T_("Bad request - Action name not known: %(name)s", name=name))
        params = action_params(read=name not in WRITES)
        if name in WRITES:
            if request.method != "POST":
                raise ActionError(400, "Bad Request", T_("Bad request - %(name)s must be called with POST",
                                                         name=name))
            user = _writer(session)
            result = WRITES[name](session, params, user)
        else:
            token = request_token()
            user = auth.user_for_token(session, token) if token else None
            result = ACTIONS[name](session, params, user)
            if user is not None:
                session.commit()
    except ActionError as exc:
        session.rollback()
        error = {"__type": exc.type, "message": exc.message, **exc.fields}
        return _cached(envelope(name, {"success": False, "error": error}, exc.status))
    return _cached(envelope(name, {"success": True, "result": result}, 200))


def _cached(resp: Response) -> Response:
    """How long an answer may be kept. A read asked anonymously by GET (or HEAD) is the public's answer: kept as the
    REST API's public answers are (`CATALOG_CACHE`), with `Vary: Authorization, X-CKAN-API-Key` (app/delivery.py)
    so that no token's request is handed it. An answer to a token stays `private` (app/delivery.py makes it so); a
    POST (ckanapi's every call, a write) and an error are never kept."""
    if resp.status_code != 200 or request.method not in ("GET", "HEAD"):
        resp.headers["Cache-Control"] = "no-store"
    elif not carries_credentials(request):
        resp.headers["Cache-Control"] = CATALOG_CACHE
    return resp
