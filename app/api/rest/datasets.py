"""Datasets: search and list, one dataset's record, its usage."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.api.errors import ApiError
from app.api.openapi import Param
from app.api.rest.blueprint import CATALOG_CACHE, LIVE_CACHE, PAGING, api
from app.api.rest.responses import (
    api_url,
    clean_key,
    conditional,
    etag_of,
    iso,
    link_header,
    paging,
    query_args,
    site_url,
    with_per_page,
)
from app.assessment import latest_assessment
from app.request_context import db_session
from app.services import lifecycle
from app.services.usage import record_usage, usage_series
from catalog_schema import search as search_mod
from catalog_schema.models import Dataset, Publisher
from catalog_schema.store import to_record

log = logging.getLogger(__name__)

MAX_Q_CHARS = 10_000
EXPORT_FORMATS = ("ttl", "rdf", "jsonld", "nt", "json", "xml", "csv")

SEARCH_PARAMS = (
    Param("q", description="Full-text query (all words must match; Chinese is matched by bigrams)",
          max_length=MAX_Q_CHARS),
    Param("publisher", description="Publisher slug (repeat for OR)", array=True),
    Param("format", description="Distribution format, e.g. CSV (repeat for OR)", array=True),
    Param("licence", description="Licence id, e.g. CC-BY-4.0 (repeat for OR)", array=True),
    Param("theme", description="Theme code, e.g. TRAN (repeat for OR)", array=True),
    Param("keyword", description="Keyword (repeat for OR)", array=True),
    Param("stars_min", "integer", "Only datasets with at least this many stars", minimum=0, maximum=5),
    Param("sort", description="Order: relevance (default with q), else -modified; '-' means descending",
          enum=search_mod.SORTS),
    *PAGING,
)


def count_call(dataset_id: str) -> None:
    """Count an API call on a dataset. Counting must never cost the client its answer."""
    session = db_session()
    try:
        record_usage(session, dataset_id, "api")
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("could not record usage of dataset %s", dataset_id)


def find_dataset(slug: str) -> Dataset:
    """The active dataset `slug` names. An old slug (before a rename) answers 301 to the same path with
    the current one, a withdrawn dataset 410 with its tombstone; unknown, deleted or draft: 404."""
    slug = clean_key(slug, "dataset")
    resolution = lifecycle.resolve(db_session(), slug)
    if resolution.outcome == lifecycle.MISSING:
        raise ApiError(404, "not-found", f"No dataset with slug {slug[:80]!r}.")
    resp = lifecycle.answer(resolution, as_json=True)
    if resp is not None:
        abort(resp)
    return resolution.dataset


def _publisher_ref(pub: Publisher | None) -> dict[str, Any] | None:
    if pub is None:
        return None
    return {"slug": pub.slug, "name": dict(pub.name or {}), "links": {"self": api_url(".publisher", slug=pub.slug)}}


def _summary(ds: Dataset) -> dict[str, Any]:
    return {
        "id": ds.id, "slug": ds.slug, "title": dict(ds.title or {}), "publisher": _publisher_ref(ds.publisher),
        "stars": ds.stars, "score": ds.score, "modified": ds.modified, "metadata_modified": iso(ds.modified_at),
        "links": {"self": api_url(".dataset", slug=ds.slug), "html": site_url(f"/dataset/{ds.slug}"),
                  "quality": api_url(".dataset_quality", slug=ds.slug)},
    }


@api.endpoint("/datasets", summary="Search and list datasets", response="DatasetList", tag="datasets",
              params=SEARCH_PARAMS, cache=CATALOG_CACHE,
              description="Full-text search with filters and facets (publisher, format, licence, theme, keyword, "
                          "stars). Paging links are in the body and in the Link header.")
def datasets():
    args = with_per_page(query_args("datasets"))
    query = search_mod.SearchQuery(
        q=args["q"] or "", publisher=args["publisher"], format=args["format"], licence=args["licence"],
        theme=args["theme"], keyword=args["keyword"], stars_min=args["stars_min"], sort=args["sort"],
        page=args["page"], limit=args["per_page"], facets=list(search_mod.FACETS),
    )
    session = db_session()
    result = search_mod.search(session, query)
    rows = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(result.ids))
                                             .options(selectinload(Dataset.publisher)))} if result.ids else {}
    items = [_summary(rows[i]) for i in result.ids if i in rows]
    pagination, links = paging("datasets", args, result.total)
    facets = {name: [{"value": v, "count": n} for v, n in values] for name, values in result.facets.items()}
    payload = {"items": items, "pagination": pagination, "facets": facets, "links": links}
    resp = conditional(payload, None, CATALOG_CACHE)
    resp.headers["Link"] = link_header(links)
    return resp


@api.endpoint("/datasets/<slug>", summary="One dataset: its catalog record, stars, score and links",
              response="Dataset", tag="datasets", errors=(404, 410), cache=CATALOG_CACHE,
              description="The catalog record (catalog_schema/record.schema.json) with the latest stars and score, "
                          "and links to its quality, usage and every export format.")
def dataset(slug: str):
    ds = find_dataset(slug)
    a = latest_assessment(db_session(), ds.id)
    pub = ds.publisher  # the record embeds the publisher, whose renames do not touch the dataset row
    etag = etag_of(ds.id, ds.content_hash, iso(ds.modified_at), iso(ds.updated_at), ds.state, ds.stars, ds.score,
                 a.id if a else None, pub and (pub.slug, pub.name, iso(pub.updated_at)), request.url_root)
    count_call(ds.id)
    if request.if_none_match.contains_weak(etag):
        return conditional(None, etag, CATALOG_CACHE)
    doc = to_record(ds)
    doc["stars"], doc["score"] = ds.stars, ds.score
    doc["assessed_at"] = iso(a.assessed_at) if a else None
    doc["metadata_modified"] = iso(ds.modified_at)
    doc["created"] = iso(ds.created_at)
    links = {"self": api_url(".dataset", slug=ds.slug), "html": site_url(f"/dataset/{ds.slug}"),
             "quality": api_url(".dataset_quality", slug=ds.slug),
             "quality_history": api_url(".dataset_quality_history", slug=ds.slug),
             "usage": api_url(".dataset_usage", slug=ds.slug), "badge": site_url(f"/dataset/{ds.slug}/badge.svg"),
             "exports": {ext: site_url(f"/dataset/{ds.slug}.{ext}") for ext in EXPORT_FORMATS}}
    if ds.publisher is not None:
        links["publisher"] = api_url(".publisher", slug=ds.publisher.slug)
    doc["links"] = links
    return conditional(doc, etag, CATALOG_CACHE)


@api.endpoint("/datasets/<slug>/usage", summary="Views, downloads and API calls of the dataset per day",
              response="Usage", tag="datasets", errors=(404, 410), cache=LIVE_CACHE)
def dataset_usage(slug: str):
    ds = find_dataset(slug)
    count_call(ds.id)
    days = usage_series(db_session(), ds.id)
    totals = {k: sum(d[k] for d in days) for k in ("views", "downloads", "api_calls")}
    return conditional({"dataset": ds.slug, "days": days, "totals": totals}, None, LIVE_CACHE)
