"""What the REST API's resource modules share: query parameters, links, paging and conditional responses."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask import Response, jsonify, request, url_for

from app.api.errors import ApiError
from app.api.openapi import parse_args
from app.api.rest.blueprint import MAX_PER_PAGE, api
from app.delivery import etag_of
from app.request_context import public_base, setting
from app.texts import T_


def query_args(view_name: str) -> dict[str, Any]:
    return parse_args(api.find(view_name), request.args)


def api_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of an API resource, on the portal's public address (never the request's Host header)."""
    return public_base() + url_for(endpoint, **values).removeprefix(request.script_root)


def site_url(path: str) -> str:
    """An absolute URL of a page or export on this site (other blueprints may not be registered yet)."""
    return public_base() + path


def conditional(payload: Any, etag: str | None, cache: str) -> Response:
    """200 with the payload, or 304 when the client already holds this version (weak comparison)."""
    tag = etag or etag_of(payload)
    if request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        resp = jsonify(payload)
    resp.set_etag(tag, weak=True)
    resp.headers["Cache-Control"] = cache
    return resp


def paging(view: str, args: dict[str, Any], total: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Pagination block and links (first/prev/next/last, absolute URLs keeping every other parameter)."""
    per_page = args["per_page"]
    page = args["page"]
    pages = max(1, math.ceil(total / per_page))
    kept = {k: request.args.getlist(k) for k in request.args if k not in ("page", "per_page")}

    def link(n: int) -> str:
        return api_url(f".{view}", **kept, page=n, per_page=per_page)

    links = {"self": link(page), "first": link(1), "last": link(pages)}
    if page < pages:
        links["next"] = link(page + 1)
    if page > 1:  # past the end, "prev" leads back to the last page
        links["prev"] = link(min(page - 1, pages))
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}, links


def link_header(links: dict[str, str]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if rel != "self")


def with_per_page(args: dict[str, Any]) -> dict[str, Any]:
    if args.get("per_page") is None:
        args["per_page"] = max(1, min(MAX_PER_PAGE, int(setting("PAGE_SIZE") or 20)))
    return args


def clean_key(value: str, what: str) -> str:
    """A slug or name from the path; one no column could hold is simply not found."""
    if "\x00" in value or len(value) > 500:
        raise ApiError(404, "not-found", T_("No %(what)s with that name.", what=what))
    return value



def iso(value) -> str | None:
    """RFC 3339, as the schema's date-time promises: SQLite hands stored UTC times back without their zone."""
    if value is None:
        return None
    if getattr(value, "tzinfo", False) is None and hasattr(value, "replace"):
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()
