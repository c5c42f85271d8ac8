"""The native REST API under /api/v1: datasets, publishers, quality, harvest sources and jobs.

Every endpoint is declared once with `api.endpoint(...)` (app/api/openapi.py): the
declaration routes it, validates its query parameters and describes it in
/api/v1/openapi.json and on /api/v1/docs. Responses are JSON; errors have one stable
shape (app/api/errors.py). Catalog reads carry a weak ETag and answer 304 to a
matching If-None-Match, so clients that poll (harvesters, dashboards) cost little.
Reads of one dataset count as an API call in its usage counters (app/usage.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app import db_session, setting
from app.api import errors
from app.api.errors import ApiError
from app.api.openapi import Param, Registry, build_document, parse_args
from app.api.rest_schemas import SCHEMAS
from app.assessment import assessment_document, latest_assessment, publisher_table
from app.services import lifecycle
from app.services.errors import ServiceError
from app.services.usage import record_usage, usage_series
from catalog_schema import search as search_mod
from catalog_schema.models import (
    Assessment,
    Dataset,
    Distribution,
    HarvestJob,
    HarvestRecord,
    HarvestSource,
    Publisher,
)
from catalog_schema.store import to_record

log = logging.getLogger(__name__)

bp = Blueprint("api_rest", __name__)
errors.register(bp)

PREFIX = "/api/v1"
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_Q_CHARS = 10_000
EXPORT_FORMATS = ("ttl", "rdf", "jsonld", "nt", "json", "xml", "csv")
CATALOG_CACHE = "public, max-age=60"
LIVE_CACHE = "no-cache"  # harvest jobs move: always revalidate
MAX_JOB_ERRORS = 1000
MAX_PAYLOAD_CHARS = 20_000
_SECRET_KEY = re.compile(r"key|token|secret|password|passwd|auth|credential", re.I)

api = Registry(
    blueprint=bp, prefix=PREFIX, title="Open data platform REST API", version="1",
    description="Datasets, publishers, quality assessments (five-star openness, metadata and data quality) "
                "and harvesting of the catalog. Errors: {\"error\": {\"status\", \"code\", \"message\"}}.",
    schemas=SCHEMAS,
    tags={"datasets": "The catalog's datasets", "publishers": "Agencies and departments",
          "quality": "Quality assessments and the publishers' league table",
          "harvest": "Harvest sources and their jobs",
          "publishing": "Writes with an API token: drafts, files, the pre-publication check, publish, withdraw",
          "meta": "This API's own description"},
)

PAGING = (
    Param("page", "integer", "Page number, from 1", minimum=1, maximum=MAX_PAGE, default=1),
    Param("per_page", "integer", f"Items per page (at most {MAX_PER_PAGE}); default: the PAGE_SIZE setting",
          minimum=1, maximum=MAX_PER_PAGE),
)
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


# ---------------------------------------------------------------------------
# Helpers: parameters, links, conditional responses, usage
# ---------------------------------------------------------------------------


def _args(view_name: str) -> dict[str, Any]:
    return parse_args(api.find(view_name), request.args)


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _site(path: str) -> str:
    """An absolute URL of a page or export on this site (other blueprints may not be registered yet)."""
    return request.url_root.rstrip("/") + path


def _etag(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode("utf-8")).hexdigest()
    return digest[:32]


def _conditional(payload: Any, etag: str | None, cache: str) -> Response:
    """200 with the payload, or 304 when the client already holds this version (weak comparison)."""
    tag = etag or _etag(payload)
    if request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        resp = jsonify(payload)
    resp.set_etag(tag, weak=True)
    resp.headers["Cache-Control"] = cache
    return resp


def _paging(view: str, args: dict[str, Any], total: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Pagination block and links (first/prev/next/last, absolute URLs keeping every other parameter)."""
    per_page = args["per_page"]
    page = args["page"]
    pages = max(1, math.ceil(total / per_page))
    kept = {k: request.args.getlist(k) for k in request.args if k not in ("page", "per_page")}

    def link(n: int) -> str:
        return _url(f".{view}", **kept, page=n, per_page=per_page)

    links = {"self": link(page), "first": link(1), "last": link(pages)}
    if page < pages:
        links["next"] = link(page + 1)
    if page > 1:  # past the end, "prev" leads back to the last page
        links["prev"] = link(min(page - 1, pages))
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}, links


def _link_header(links: dict[str, str]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if rel != "self")


def _per_page(args: dict[str, Any]) -> dict[str, Any]:
    if args.get("per_page") is None:
        args["per_page"] = max(1, min(MAX_PER_PAGE, int(setting("PAGE_SIZE") or 20)))
    return args


def _clean_key(value: str, what: str) -> str:
    """A slug or name from the path; one no column could hold is simply not found."""
    if "\x00" in value or len(value) > 500:
        raise ApiError(404, "not-found", f"No {what} with that name.")
    return value


def _count_call(dataset_id: str) -> None:
    """Count an API call on a dataset. Counting must never cost the client its answer."""
    session = db_session()
    try:
        record_usage(session, dataset_id, "api")
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("could not record usage of dataset %s", dataset_id)


def _iso(value) -> str | None:
    """RFC 3339, as the schema's date-time promises: SQLite hands stored UTC times back without their zone."""
    if value is None:
        return None
    if getattr(value, "tzinfo", False) is None and hasattr(value, "replace"):
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------


def _dataset(slug: str) -> Dataset:
    """The active dataset `slug` names. An old slug (before a rename) answers 301 to the same path with
    the current one, a withdrawn dataset 410 with its tombstone; unknown, deleted or draft: 404."""
    slug = _clean_key(slug, "dataset")
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
    return {"slug": pub.slug, "name": dict(pub.name or {}), "links": {"self": _url(".publisher", slug=pub.slug)}}


def _summary(ds: Dataset) -> dict[str, Any]:
    return {
        "id": ds.id, "slug": ds.slug, "title": dict(ds.title or {}), "publisher": _publisher_ref(ds.publisher),
        "stars": ds.stars, "score": ds.score, "modified": ds.modified, "metadata_modified": _iso(ds.modified_at),
        "links": {"self": _url(".dataset", slug=ds.slug), "html": _site(f"/dataset/{ds.slug}"),
                  "quality": _url(".dataset_quality", slug=ds.slug)},
    }


@api.endpoint("/datasets", summary="Search and list datasets", response="DatasetList", tag="datasets",
              params=SEARCH_PARAMS, cache=CATALOG_CACHE,
              description="Full-text search with filters and facets (publisher, format, licence, theme, keyword, "
                          "stars). Paging links are in the body and in the Link header.")
def datasets():
    args = _per_page(_args("datasets"))
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
    pagination, links = _paging("datasets", args, result.total)
    facets = {name: [{"value": v, "count": n} for v, n in values] for name, values in result.facets.items()}
    payload = {"items": items, "pagination": pagination, "facets": facets, "links": links}
    resp = _conditional(payload, None, CATALOG_CACHE)
    resp.headers["Link"] = _link_header(links)
    return resp


@api.endpoint("/datasets/<slug>", summary="One dataset: its catalog record, stars, score and links",
              response="Dataset", tag="datasets", errors=(404, 410), cache=CATALOG_CACHE,
              description="The catalog record (catalog_schema/record.schema.json) with the latest stars and score, "
                          "and links to its quality, usage and every export format.")
def dataset(slug: str):
    ds = _dataset(slug)
    a = latest_assessment(db_session(), ds.id)
    pub = ds.publisher  # the record embeds the publisher, whose renames do not touch the dataset row
    etag = _etag(ds.id, ds.content_hash, _iso(ds.modified_at), _iso(ds.updated_at), ds.state, ds.stars, ds.score,
                 a.id if a else None, pub and (pub.slug, pub.name, _iso(pub.updated_at)), request.url_root)
    _count_call(ds.id)
    if request.if_none_match.contains_weak(etag):
        return _conditional(None, etag, CATALOG_CACHE)
    doc = to_record(ds)
    doc["stars"], doc["score"] = ds.stars, ds.score
    doc["assessed_at"] = _iso(a.assessed_at) if a else None
    doc["metadata_modified"] = _iso(ds.modified_at)
    doc["created"] = _iso(ds.created_at)
    links = {"self": _url(".dataset", slug=ds.slug), "html": _site(f"/dataset/{ds.slug}"),
             "quality": _url(".dataset_quality", slug=ds.slug),
             "quality_history": _url(".dataset_quality_history", slug=ds.slug),
             "usage": _url(".dataset_usage", slug=ds.slug), "badge": _site(f"/dataset/{ds.slug}/badge.svg"),
             "exports": {ext: _site(f"/dataset/{ds.slug}.{ext}") for ext in EXPORT_FORMATS}}
    if ds.publisher is not None:
        links["publisher"] = _url(".publisher", slug=ds.publisher.slug)
    doc["links"] = links
    return _conditional(doc, etag, CATALOG_CACHE)


@api.endpoint("/datasets/<slug>/quality", summary="The dataset's latest quality assessment", response="Assessment",
              tag="quality", errors=(404, 410), cache=CATALOG_CACHE,
              description="Stars, score, metadata points, per-distribution results, data profile and findings. "
                          "404 with code 'not-assessed' when the dataset was never assessed.")
def dataset_quality(slug: str):
    ds = _dataset(slug)
    a = latest_assessment(db_session(), ds.id)
    _count_call(ds.id)
    if a is None:
        raise ApiError(404, "not-assessed", f"Dataset {ds.slug!r} has not been assessed yet.")
    return _conditional(assessment_document(ds, a), _etag("quality", ds.slug, a.id), CATALOG_CACHE)


@api.endpoint("/datasets/<slug>/quality/history", summary="Every assessment of the dataset, oldest first",
              response="AssessmentHistory", tag="quality", errors=(404, 410), cache=CATALOG_CACHE)
def dataset_quality_history(slug: str):
    ds = _dataset(slug)
    rows = db_session().scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                                .order_by(Assessment.assessed_at, Assessment.id)).all()
    _count_call(ds.id)
    items = [{"at": _iso(a.assessed_at), "stars": a.stars, "score": a.score,
              "metadata_points": a.metadata_points, "metadata_rating": a.metadata_rating,
              "rule_version": a.rule_version} for a in rows]
    return _conditional({"dataset": ds.slug, "items": items}, None, CATALOG_CACHE)


@api.endpoint("/datasets/<slug>/usage", summary="Views, downloads and API calls of the dataset per day",
              response="Usage", tag="datasets", errors=(404, 410), cache=LIVE_CACHE)
def dataset_usage(slug: str):
    ds = _dataset(slug)
    _count_call(ds.id)
    days = usage_series(db_session(), ds.id)
    totals = {k: sum(d[k] for d in days) for k in ("views", "downloads", "api_calls")}
    return _conditional({"dataset": ds.slug, "days": days, "totals": totals}, None, LIVE_CACHE)


# ---------------------------------------------------------------------------
# Publishers
# ---------------------------------------------------------------------------


def _publisher(slug: str) -> Publisher:
    slug = _clean_key(slug, "publisher")
    pub = db_session().scalar(select(Publisher).where(Publisher.slug == slug).options(selectinload(Publisher.parent)))
    if pub is None:
        raise ApiError(404, "not-found", f"No publisher with slug {slug[:80]!r}.")
    return pub


@api.endpoint("/publishers", summary="Publishers (agencies and departments) with their dataset counts",
              response="PublisherList", tag="publishers", params=PAGING, cache=CATALOG_CACHE)
def publishers():
    args = _per_page(_args("publishers"))
    session = db_session()
    total = session.scalar(select(func.count()).select_from(Publisher)) or 0
    counts = (select(Dataset.publisher_id, func.count().label("n")).where(Dataset.state == "active")
              .group_by(Dataset.publisher_id).subquery())
    rows = session.execute(
        select(Publisher, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.publisher_id == Publisher.id)
        .options(selectinload(Publisher.parent)).order_by(Publisher.slug)
        .offset((args["page"] - 1) * args["per_page"]).limit(args["per_page"])
    ).all()
    items = [{"slug": p.slug, "name": dict(p.name or {}), "parent": p.parent.slug if p.parent else None,
              "homepage": p.homepage, "datasets": int(n),
              "links": {"self": _url(".publisher", slug=p.slug), "html": _site(f"/publisher/{p.slug}"),
                        "quality": _url(".publisher_quality", slug=p.slug)}} for p, n in rows]
    pagination, links = _paging("publishers", args, total)
    resp = _conditional({"items": items, "pagination": pagination, "links": links}, None, CATALOG_CACHE)
    resp.headers["Link"] = _link_header(links)
    return resp


@api.endpoint("/publishers/<slug>", summary="One publisher with counts of its datasets",
              response="Publisher", tag="publishers", errors=(404,), cache=CATALOG_CACHE,
              description="Counts: active and withdrawn datasets, distributions, assessed datasets, datasets per "
                          "star (0..5), per format and per licence.")
def publisher(slug: str):
    pub = _publisher(slug)
    session = db_session()
    state_counts = dict(session.execute(select(Dataset.state, func.count()).where(Dataset.publisher_id == pub.id)
                                        .group_by(Dataset.state)).all())
    active = (Dataset.publisher_id == pub.id) & (Dataset.state == "active")
    stars = [0] * 6
    for value, n in session.execute(select(Dataset.stars, func.count()).where(active, Dataset.stars.is_not(None))
                                    .group_by(Dataset.stars)).all():
        stars[max(0, min(5, value))] += n
    formats = dict(session.execute(
        select(Distribution.format, func.count(func.distinct(Distribution.dataset_id))).join(Dataset)
        .where(active, Distribution.format.is_not(None)).group_by(Distribution.format)
        .order_by(Distribution.format)).all())
    licences = dict(session.execute(select(Dataset.license_id, func.count()).where(active, Dataset.license_id
                                    .is_not(None)).group_by(Dataset.license_id).order_by(Dataset.license_id)).all())
    distributions = session.scalar(select(func.count()).select_from(Distribution).join(Dataset).where(active)) or 0
    assessed = session.scalar(select(func.count(func.distinct(Assessment.dataset_id))).join(Dataset)
                              .where(active)) or 0
    children = list(session.scalars(select(Publisher.slug).where(Publisher.parent_id == pub.id)
                                    .order_by(Publisher.slug)))
    links = {"self": _url(".publisher", slug=pub.slug), "html": _site(f"/publisher/{pub.slug}"),
             "quality": _url(".publisher_quality", slug=pub.slug), "datasets": _url(".datasets", publisher=pub.slug)}
    if pub.parent is not None:
        links["parent"] = _url(".publisher", slug=pub.parent.slug)
    doc = {"slug": pub.slug, "name": dict(pub.name or {}), "description": dict(pub.description or {}),
           "uri": pub.uri, "homepage": pub.homepage, "email": pub.email,
           "parent": pub.parent.slug if pub.parent else None, "children": children,
           "counts": {"datasets": int(state_counts.get("active", 0)),
                      "withdrawn": int(state_counts.get("withdrawn", 0)), "distributions": int(distributions),
                      "assessed": int(assessed), "stars": stars, "formats": {k: int(v) for k, v in formats.items()},
                      "licences": {k: int(v) for k, v in licences.items()}},
           "links": links}
    return _conditional(doc, None, CATALOG_CACHE)


def _league() -> list[dict[str, Any]]:
    """publisher_table wants a Runtime; the app's sessionmaker is all it reads."""
    shim = SimpleNamespace(sessionmaker=current_app.extensions["opendata"]["sessionmaker"])
    rows = publisher_table(shim)
    for row in rows:
        row["links"] = {"publisher": _url(".publisher", slug=row["publisher"]),
                        "self": _url(".publisher_quality", slug=row["publisher"])}
    return rows


@api.endpoint("/publishers/<slug>/quality", summary="The publisher's quality aggregates and rank",
              response="PublisherQuality", tag="quality", errors=(404,), cache=CATALOG_CACHE,
              description="The publisher's row of the league table. 404 with code 'not-assessed' when none of "
                          "its datasets has been assessed.")
def publisher_quality(slug: str):
    pub = _publisher(slug)
    row = next((r for r in _league() if r["publisher"] == pub.slug), None)
    if row is None:
        raise ApiError(404, "not-assessed", f"No dataset of publisher {pub.slug!r} has been assessed yet.")
    return _conditional(row, None, CATALOG_CACHE)


@api.endpoint("/quality/publishers", summary="The league table of publishers, best first", response="LeagueTable",
              tag="quality", cache=CATALOG_CACHE,
              description="Per publisher: datasets, star distribution, average stars, share at 3+ stars, average "
                          "score and metadata points, broken links, stale datasets, PII findings, trend, rank.")
def quality_publishers():
    return _conditional({"items": _league()}, None, CATALOG_CACHE)


# ---------------------------------------------------------------------------
# Harvest sources and jobs
# ---------------------------------------------------------------------------


def _mask(config: Any) -> Any:
    """Source settings with the values of secret-looking keys hidden (API keys, tokens, passwords)."""
    if isinstance(config, dict):
        return {k: ("***" if _SECRET_KEY.search(str(k)) and v else _mask(v)) for k, v in config.items()}
    if isinstance(config, list):
        return [_mask(v) for v in config]
    return config


def _job_summary(job: HarvestJob, source_name: str) -> dict[str, Any]:
    return {"id": job.id, "source": source_name, "status": job.status, "full": bool(job.full),
            "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at), "added": job.added, "updated": job.updated,
            "unchanged": job.unchanged, "withdrawn": job.withdrawn, "errored": job.errored, "error": job.error,
            "links": {"self": _url(".harvest_job", job_id=job.id)}}


def _source_doc(src: HarvestSource, last_job: HarvestJob | None, datasets: int) -> dict[str, Any]:
    return {"name": src.name, "type": src.type, "url": src.url,
            "publisher": src.publisher.slug if src.publisher else None, "schedule": src.schedule,
            "enabled": bool(src.enabled), "config": _mask(src.config or {}),
            "last_gathered_at": _iso(src.last_gathered_at), "datasets": datasets,
            "last_job": _job_summary(last_job, src.name) if last_job else None,
            "links": {"self": _url(".harvest_source", name=src.name)}}


def _last_jobs(session, source_ids: list[int]) -> dict[int, HarvestJob]:
    if not source_ids:
        return {}
    latest = (select(HarvestJob.source_id, func.max(HarvestJob.id).label("id"))
              .where(HarvestJob.source_id.in_(source_ids)).group_by(HarvestJob.source_id).subquery())
    jobs = session.scalars(select(HarvestJob).join(latest, latest.c.id == HarvestJob.id))
    return {j.source_id: j for j in jobs}


def _dataset_counts(session, source_ids: list[int]) -> dict[int, int]:
    if not source_ids:
        return {}
    return dict(session.execute(select(Dataset.source_id, func.count()).where(
        Dataset.source_id.in_(source_ids), Dataset.state == "active").group_by(Dataset.source_id)).all())


@api.endpoint("/harvest/sources", summary="Harvest sources with their last job", response="HarvestSourceList",
              tag="harvest", cache=LIVE_CACHE)
def harvest_sources():
    session = db_session()
    sources = session.scalars(select(HarvestSource).options(selectinload(HarvestSource.publisher))
                              .order_by(HarvestSource.name)).all()
    ids = [s.id for s in sources]
    last, counts = _last_jobs(session, ids), _dataset_counts(session, ids)
    items = [_source_doc(s, last.get(s.id), int(counts.get(s.id, 0))) for s in sources]
    return _conditional({"items": items}, None, LIVE_CACHE)


@api.endpoint("/harvest/sources/<name>", summary="One harvest source with its recent jobs",
              response="HarvestSource", tag="harvest", errors=(404,), cache=LIVE_CACHE,
              params=(Param("jobs", "integer", "How many recent jobs to list", minimum=0, maximum=100, default=20),))
def harvest_source(name: str):
    args = _args("harvest_source")
    name = _clean_key(name, "harvest source")
    session = db_session()
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name)
                         .options(selectinload(HarvestSource.publisher)))
    if src is None:
        raise ApiError(404, "not-found", f"No harvest source named {name[:80]!r}.")
    jobs = session.scalars(select(HarvestJob).where(HarvestJob.source_id == src.id)
                           .order_by(HarvestJob.id.desc()).limit(args["jobs"])).all()
    last = _last_jobs(session, [src.id]).get(src.id)
    doc = _source_doc(src, last, int(_dataset_counts(session, [src.id]).get(src.id, 0)))
    doc["jobs"] = [_job_summary(j, src.name) for j in jobs]
    return _conditional(doc, None, LIVE_CACHE)


@api.endpoint("/harvest/jobs/<int:job_id>", summary="One harvest job: status, counts and its errored records",
              response="HarvestJob", tag="harvest", errors=(404,), cache=LIVE_CACHE,
              description=f"Errored records give the remote id, the stage that failed (gather, fetch or import), "
                          f"the error and the original payload (cut at {MAX_PAYLOAD_CHARS} characters); at most "
                          f"{MAX_JOB_ERRORS} are listed, errors_total counts them all.")
def harvest_job(job_id: int):
    session = db_session()
    # ids are 64-bit: a larger number is no job (SQLite's driver would raise OverflowError, a 500)
    job = session.scalar(select(HarvestJob).where(HarvestJob.id == job_id)
                         .options(selectinload(HarvestJob.source))) if job_id < 2**63 else None
    if job is None:
        raise ApiError(404, "not-found", f"No harvest job {job_id}.")
    errored = (HarvestRecord.job_id == job.id) & (HarvestRecord.status == "errored")
    total = session.scalar(select(func.count()).select_from(HarvestRecord).where(errored)) or 0
    records = session.scalars(select(HarvestRecord).where(errored).order_by(HarvestRecord.id)
                              .limit(MAX_JOB_ERRORS)).all()
    doc = _job_summary(job, job.source.name)
    doc["errors_total"] = int(total)
    doc["errors"] = []
    for r in records:
        payload = r.payload
        cut = payload is not None and len(payload) > MAX_PAYLOAD_CHARS
        doc["errors"].append({"remote_id": r.remote_id, "stage": r.stage, "error": r.error,
                              "payload": payload[:MAX_PAYLOAD_CHARS] if cut else payload,
                              "payload_truncated": cut, "created_at": _iso(r.created_at)})
    return _conditional(doc, None, LIVE_CACHE)


# ---------------------------------------------------------------------------
# Publishing: drafts, files, the pre-publication check, publish/withdraw/restore (token only)
# ---------------------------------------------------------------------------

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)
UPLOAD_SLACK = 64 * 1024  # multipart framing and form fields beside the file


def _service_error(exc: ServiceError) -> Response:
    db_session().rollback()
    return errors.error_response(exc.status, exc.code, exc.message)


bp.register_error_handler(ServiceError, _service_error)


def _token_user():
    """The user of the request's API token. Writes take the token only, never a session cookie."""
    from app import auth

    value = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key")
    if value and value.lower().startswith("bearer "):
        value = value[7:]
    if not value or not value.strip():
        raise ApiError(401, "unauthorized", "An API token is required: send it as 'Authorization: <token>'.")
    session = db_session()
    user = auth.user_for_token(session, value.strip())
    if user is None:
        raise ApiError(401, "unauthorized", "The API token is not valid (unknown, revoked or expired).")
    session.commit()  # keep last_used_at whatever happens to the write
    return user


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(400, "bad-request", "Send a JSON object (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad-request", "The request body must be a JSON object.")
    return data


def _actor(user, lang: str = "zh") -> Any:
    from app.services.context import Actor, Runtime

    runtime = Runtime(current_app.extensions["opendata"]["sessionmaker"], current_app.config["OPENDATA"])
    return Actor(db_session(), user, "rest", runtime=runtime, ip=request.remote_addr, lang=lang)


@contextmanager
def _acting(user, lang: str = "zh") -> Iterator[Any]:
    actor = _actor(user, lang)
    try:
        yield actor
    finally:
        actor.runtime.close()


def _lang(data: dict[str, Any]) -> str:
    return "en" if str(data.get("lang") or "zh").lower().startswith("en") else "zh"


def _publish_doc(ds: Dataset, check: dict[str, Any] | None = None) -> dict[str, Any]:
    from app.services.uploads import is_upload

    doc = {"id": ds.id, "slug": ds.slug, "state": ds.state, "title": dict(ds.title or {}),
           "publisher": ds.publisher.slug if ds.publisher else None, "licence": ds.license_id,
           "harvested": ds.source_id is not None, "stars": ds.stars, "score": ds.score,
           "distributions": [{"id": d.id, "url": d.download_url or d.access_url, "title": dict(d.title or {}),
                              "format": d.format, "detected_format": d.detected_format,
                              "upload": bool(is_upload(d)), "size": d.byte_size} for d in ds.distributions],
           "links": {"self": _url(".dataset", slug=ds.slug), "check": _url(".dataset_check", slug=ds.slug),
                     "html": _site(f"/dataset/{ds.slug}"), "edit": _site(f"/publish/{ds.slug}")}}
    if check is not None:
        doc["check"] = _check_doc(check)
    return doc


def _check_doc(check: dict[str, Any]) -> dict[str, Any]:
    return {k: check[k] for k in ("dataset", "state", "stars", "score", "findings", "preview", "pii", "pii_override",
                                  "blocked_by", "can_publish")} | {"assessment": check["assessment"]}


def _editable(slug: str, *, write: bool = True):
    from app.services import access

    user = _token_user()
    return user, access.dataset_for_edit(db_session(), user, _clean_key(slug, "dataset"), write=write)


@api.endpoint("/datasets", summary="Create a dataset (a draft, or published at once)", response="PublishResult",
              tag="publishing", methods=("POST",), body={"application/json": "DatasetWrite"}, status=201,
              errors=WRITE_ERRORS, auth=True,
              description="Needs an API token of an admin or editor of the publisher (or a sysadmin). Linked "
                          "distributions may be given as `distributions: [{url, title, format}]`; files are "
                          "uploaded afterwards to .../distributions. With `publish: true` the dataset is "
                          "published at once (refused, and nothing created, when the check blocks it).")
def dataset_create():
    from app.services import datasets
    from app.services.fields import EDITABLE

    user = _token_user()
    data = _body()
    fields = {k: v for k, v in data.items() if k in EDITABLE}
    links = data.get("distributions") or []
    if not isinstance(links, list):
        raise ApiError(400, "bad-request", "distributions must be a list of objects {url, title, format}.")
    with _acting(user, _lang(data)) as actor:
        ds = datasets.create(actor, data.get("publisher"), fields, slug=data.get("name"), links=links,
                             publish_now=bool(data.get("publish")))
    resp = jsonify(_publish_doc(ds, actor.check))
    resp.status_code = 201
    resp.headers["Location"] = _url(".dataset_check", slug=ds.slug)
    return resp


@api.endpoint("/datasets/<slug>", summary="Change a dataset's metadata", response="PublishResult",
              tag="publishing", methods=("PATCH",), body={"application/json": "DatasetWrite"},
              errors=WRITE_ERRORS, auth=True,
              description="Only the fields given change; `name` renames the dataset (its old URL answers 301 "
                          "from then on). Harvested datasets are read-only (403 'harvested') until an admin of "
                          "the publisher detaches them.")
def dataset_patch(slug: str):
    from app.services import datasets

    user, ds = _editable(slug)
    data = _body()
    fields = {k: v for k, v in data.items() if k not in ("lang", "name")}
    with _acting(user, _lang(data)) as actor:
        if data.get("name") and data["name"] != ds.slug:
            datasets.rename(actor, ds, data["name"])
        datasets.update(actor, ds, fields)
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/distributions", summary="Add a distribution: a link, or an uploaded file",
              response="PublishResult", tag="publishing", methods=("POST",), status=201,
              body={"application/json": "DistributionLink", "multipart/form-data": "DistributionUpload"},
              errors=(*WRITE_ERRORS, 413), auth=True,
              description="JSON {url, title, format} links a file on the web; multipart/form-data with a "
                          "`file` part uploads one (capped at OPENDATA_MAX_UPLOAD_BYTES while it streams, its "
                          "format sniffed from the bytes). HTML pages, zip bombs and office files declaring XML "
                          "entities are refused (400 with code html-not-data, zip-bomb or xml-entities). On a "
                          "published dataset the new file is checked at once: personal data in it is withheld "
                          "from the public (HTTP 451) until an admin of the publisher overrides.")
def dataset_distributions(slug: str):
    from app.services import distributions

    user, ds = _editable(slug)
    if request.mimetype == "multipart/form-data":
        cap = int(setting("MAX_UPLOAD_BYTES"))
        if request.content_length is not None and request.content_length > cap + UPLOAD_SLACK:
            raise ApiError(413, "too-large", f"The upload is {request.content_length:,} bytes; the limit is "
                                             f"{cap:,} bytes.")
        request.max_content_length = cap + UPLOAD_SLACK
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError(400, "bad-request", "Send the file as the multipart part named 'file'.")
        with _acting(user, _lang(request.form)) as actor:
            distributions.add_upload(actor, ds, upload.stream, upload.filename,
                                     title=request.form.get("title") or None)
    else:
        data = _body()
        with _acting(user, _lang(data)) as actor:
            distributions.add_link(actor, ds, data.get("url"), title=data.get("title"), format=data.get("format"))
    resp = jsonify(_publish_doc(ds))
    resp.status_code = 201
    return resp


@api.endpoint("/datasets/<slug>/check", summary="The pre-publication check of a dataset (drafts included)",
              response="PrePublicationCheck", tag="publishing", errors=(401, 403, 404), auth=True,
              description="The stars, score and every finding with its fix that the dataset will get once "
                          "published (the same assessment the catalog then stores), a preview of the first "
                          "rows of each table, and what blocks publishing (personal data not overridden).")
def dataset_check(slug: str):
    from app.services import check

    user, ds = _editable(slug, write=False)
    with _acting(user) as actor:
        result = check.run(actor, ds)
    resp = jsonify(_check_doc(result))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _state_change(slug: str, action: str):
    from app.services import datasets

    user, ds = _editable(slug)
    data = request.get_json(silent=True) if request.is_json else None
    data = data if isinstance(data, dict) else {}
    with _acting(user) as actor:
        if action == "withdraw":
            datasets.withdraw(actor, ds, reason=data.get("reason"), successor=data.get("successor"))
            return jsonify(_publish_doc(ds))
        change = datasets.publish if action == "publish" else datasets.restore
        result = change(actor, ds)
    return jsonify(_publish_doc(ds, result))


@api.endpoint("/datasets/<slug>/publish", summary="Publish a draft: it becomes active, searchable and assessed",
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description="409 'pii-blocked' while personal data found in a file has not been "
                                     "overridden by an admin of the publisher.")
def dataset_publish(slug: str):
    return _state_change(slug, "publish")


@api.endpoint("/datasets/<slug>/withdraw", summary="Withdraw a published dataset (kept, hidden, restorable)",
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description="An optional JSON body {reason, successor} fills the tombstone the "
                                     "dataset answers with from then on (HTTP 410).")
def dataset_withdraw(slug: str):
    return _state_change(slug, "withdraw")


@api.endpoint("/datasets/<slug>/restore", summary="Restore a withdrawn dataset", response="PublishResult",
              tag="publishing", methods=("POST",), errors=(401, 403, 404, 409), auth=True)
def dataset_restore(slug: str):
    return _state_change(slug, "restore")


@api.endpoint("/datasets/<slug>/pii-override", summary="Allow publishing files with personal data, saying why",
              response="PublishResult", tag="publishing", methods=("POST",), body={"application/json": "Reason"},
              errors=WRITE_ERRORS, auth=True,
              description="Admins of the publisher and sysadmins only (editors get 403). The reason is kept on "
                          "the dataset and in the audit log. With OPENDATA_PII_OVERRIDE_SECOND_ADMIN on, the first "
                          "admin's call records a pending override and a second, different admin's call confirms "
                          "it (the same admin again: 409 'second-admin-required').")
def dataset_pii_override(slug: str):
    from app.services import gate

    user, ds = _editable(slug)
    data = _body()
    with _acting(user) as actor:
        gate.override_pii(actor, ds, str(data.get("reason") or ""))
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/detach", summary="Detach a harvested dataset from its source",
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description="Admins of the publisher and sysadmins only. The source stops updating "
                                     "the dataset; its publisher's editors may then edit it.")
def dataset_detach(slug: str):
    from app.services import datasets

    user, ds = _editable(slug, write=False)
    with _acting(user) as actor:
        datasets.detach(actor, ds)
    return jsonify(_publish_doc(ds))


# ---------------------------------------------------------------------------
# The API's own description
# ---------------------------------------------------------------------------


@api.endpoint("/openapi.json", summary="This API described in OpenAPI 3.1", response="OpenAPI", tag="meta",
              cache=CATALOG_CACHE)
def openapi_document():
    return _conditional(build_document(api, request.url_root.rstrip("/") + PREFIX), None, CATALOG_CACHE)


@api.endpoint("/docs", summary="The API documentation page", response="DocsPage", tag="meta",
              media_type="text/html")
def docs():
    endpoints = sorted(api.documented(), key=lambda e: (list(api.tags).index(e.tag) if e.tag in api.tags else 99,
                                                        e.path))
    return render_template("api/docs.html", api=api, endpoints=endpoints,
                           openapi_url=_url(".openapi_document"), base=request.url_root.rstrip("/"))


@api.endpoint("/<path:unknown>", summary="Anything else under /api/v1", response="Error", hidden=True)
def not_found(unknown: str):
    raise ApiError(404, "not-found", "No such endpoint; see /api/v1/openapi.json for the ones that exist.")
