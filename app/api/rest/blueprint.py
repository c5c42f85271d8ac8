"""The REST API's blueprint, its endpoint registry (the source of /api/v1/openapi.json) and its limits."""

from __future__ import annotations

from flask import Blueprint, Response, g

from app.api import errors
from app.api.openapi import Param, Registry
from app.api.rest_schemas import SCHEMAS
from app.i18n import N_
from app.request_context import db_session
from app.services.errors import ServiceError

bp = Blueprint("api_rest", __name__)
errors.register(bp)

PREFIX = "/api/v1"
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
CATALOG_CACHE = "public, max-age=60"
LIVE_CACHE = "no-cache"  # harvest jobs move: always revalidate

api = Registry(
    blueprint=bp, prefix=PREFIX, title=N_("Open data platform REST API"), version="1",
    description=N_("Datasets, publishers, quality assessments (five-star openness, metadata and data quality) "
                "and harvesting of the catalog. Errors: {\"error\": {\"status\", \"code\", \"message\"}}."),
    schemas=SCHEMAS,
    values={"max_per_page": MAX_PER_PAGE},
    tags={"datasets": N_("The catalog's datasets"), "publishers": N_("Agencies and departments"),
          "quality": N_("Quality assessments and the publishers' league table"),
          "harvest": N_("Harvest sources and their jobs"),
          "publishing": N_("Writes with an API token: drafts, files, the pre-publication check, publish, withdraw"),
          "meta": N_("This API's own description")},
)

PAGING = (
    Param("page", "integer", N_("Page number, from 1"), minimum=1, maximum=MAX_PAGE, default=1),
    Param("per_page", "integer", N_("Items per page (at most %(max_per_page)s); default: the PAGE_SIZE setting"),
          minimum=1, maximum=MAX_PER_PAGE),
)


def _service_error(exc: ServiceError) -> Response:
    db_session().rollback()
    return errors.error_response(exc.status, exc.code, exc.message)


bp.register_error_handler(ServiceError, _service_error)


@bp.after_request
def _unpublished_is_private(resp: Response) -> Response:
    """An answer about a dataset the public cannot see (a draft read by its editor: `datasets.find_dataset`) is for
    that reader alone: never kept by a shared cache, whatever the endpoint's own caching says."""
    if g.get("rest_unpublished"):
        resp.headers["Cache-Control"] = "private, no-store"
    return resp
