"""The API's own description: the OpenAPI document, the documentation page, a 404 for anything else."""

from __future__ import annotations

from flask import render_template, request

from app.api.errors import ApiError
from app.api.openapi import build_document
from app.api.rest.blueprint import CATALOG_CACHE, PREFIX, api
from app.api.rest.responses import api_url, conditional


@api.endpoint("/openapi.json", summary="This API described in OpenAPI 3.1", response="OpenAPI", tag="meta",
              cache=CATALOG_CACHE)
def openapi_document():
    return conditional(build_document(api, request.url_root.rstrip("/") + PREFIX), None, CATALOG_CACHE)


@api.endpoint("/docs", summary="The API documentation page", response="DocsPage", tag="meta",
              media_type="text/html")
def docs():
    endpoints = sorted(api.documented(), key=lambda e: (list(api.tags).index(e.tag) if e.tag in api.tags else 99,
                                                        e.path))
    return render_template("api/docs.html", api=api, endpoints=endpoints,
                           openapi_url=api_url(".openapi_document"), base=request.url_root.rstrip("/"))


@api.endpoint("/<path:unknown>", summary="Anything else under /api/v1", response="Error", hidden=True)
def not_found(unknown: str):
    raise ApiError(404, "not-found", "No such endpoint; see /api/v1/openapi.json for the ones that exist.")
