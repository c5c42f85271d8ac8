"""The API's own description: the OpenAPI document, the documentation page, a 404 for anything else."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.api import examples
from app.api.errors import ApiError
from app.api.openapi import build_document
from app.api.rest.blueprint import CATALOG_CACHE, PREFIX, api, bp
from app.api.rest.responses import api_url, conditional
from app.i18n import N_
from app.request_context import db_session, public_base
from app.texts import T_


@api.endpoint("/openapi.json", summary=N_("This API described in OpenAPI 3.1"), response="OpenAPI", tag="meta",
              cache=CATALOG_CACHE)
def openapi_document():
    return conditional(build_document(api, public_base() + PREFIX), None, CATALOG_CACHE)


@api.endpoint("/docs", summary=N_("The API documentation page"), response="DocsPage", tag="meta",
              media_type="text/html")
def docs():
    endpoints = sorted(api.documented(), key=lambda e: (list(api.tags).index(e.tag) if e.tag in api.tags else 99,
                                                        e.path))
    base = public_base()
    table = examples.example_table(db_session())
    return render_template("api/docs.html", api=api, tr=translated, endpoints=endpoints,
                           openapi_url=api_url(".openapi_document"),
                           base=base, table=table, ckan=examples.ckan(base, table),
                           ckanapi=examples.ckanapi_snippet(base, table), rest=examples.rest(base, table),
                           dcat=examples.dcat(base, table), downloads=examples.downloads(base, table))


def translated(text: str) -> str:
    """A declared summary or description (an N_ message id) in the page's language, its values filled in."""
    return gettext(text, **api.values) if text else text


@api.endpoint("/<path:unknown>", summary=N_("Anything else under /api/v1"), response="Error", hidden=True)
def not_found(unknown: str):
    """404, or 405 with Allow when the address is an endpoint's for other methods (a GET of
    /datasets/<slug>/distributions, which only takes POST, was "No such endpoint": this catch-all matched first)."""
    allowed = _methods_at(request.path)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise ApiError(404, "not-found", T_("No such endpoint; see /api/v1/openapi.json for the ones that exist."))


@bp.before_request
def _options() -> Response | None:
    """OPTIONS names the methods the address takes (Flask's own answer added the catch-all's GET to every
    address, a POST-only one too); an address no endpoint has is a 404 in the API's shape."""
    if request.method != "OPTIONS":
        return None
    allowed = _methods_at(request.path)
    if not allowed:
        raise ApiError(404, "not-found", T_("No such endpoint; see /api/v1/openapi.json for the ones that exist."))
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    resp = Response(status=204)
    resp.headers["Allow"] = ", ".join([*allowed, "OPTIONS"])
    return resp


def _methods_at(path: str) -> list[str]:
    """The methods an endpoint at `path` takes, the catch-all left out."""
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _args = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != not_found_endpoint():
            allowed.append(method)
    return allowed


def not_found_endpoint() -> str:
    return f"{bp.name}.{not_found.__name__}"
