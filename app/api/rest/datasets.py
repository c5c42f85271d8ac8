"""Datasets: search and list, one dataset's record, its usage."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, g, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app import auth, link_history
from app.api.errors import ApiError
from app.api.openapi import OPTIONAL, Param
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
from app.ckan_query import unsearchable
from app.export.data import served_urls
from app.i18n import N_
from app.request_context import db_session, public_base
from app.services import lifecycle, serving
from app.services.serving import viewer
from app.services.usage import record_usage, usage_series
from app.texts import T_
from catalog_schema import dictionary, places, vocab
from catalog_schema import search as search_mod
from catalog_schema.models import Dataset, DistributionVersion, Publisher
from catalog_schema.record import public_record
from catalog_schema.store import distribution_of, to_record

log = logging.getLogger(__name__)

MAX_Q_CHARS = 10_000
EXPORT_FORMATS = ("ttl", "rdf", "jsonld", "nt", "json", "xml", "csv")

SEARCH_PARAMS = (
    Param("q", description=N_("Full-text query (all words must match; Chinese is matched by bigrams)"),
          max_length=MAX_Q_CHARS),
    Param("publisher", description=N_("Publisher slug (repeat for OR)"), array=True),
    Param("format", description=N_("Distribution format, e.g. CSV (repeat for OR)"), array=True),
    Param("licence", description=N_("Licence id, e.g. CC-BY-4.0 (repeat for OR)"), array=True),
    Param("theme", description=N_("Theme code, e.g. TRAN (repeat for OR)"), array=True),
    Param("keyword", description=N_("Keyword (repeat for OR)"), array=True),
    Param("hvd_category", description=N_("High-value dataset category: its IRI, code (c_b79e35eb) or key (MOB) "
                                         "(repeat for OR)"), array=True),
    Param("stars_min", "integer", N_("Only datasets with at least this many stars"), minimum=0, maximum=5),
    Param("bbox", description=N_("Bounding box W,S,E,N in degrees (WGS 84), e.g. 118,27,123,31: datasets whose "
                                 "extent intersects it (as CKAN's ext_bbox); datasets without an extent are left "
                                 "out"), max_length=200, pattern=f"^$|{places.BBOX_PATTERN}"),  # empty: no box
    Param("sort", description=N_("Order: relevance (default with q), else -modified; '-' means descending"),
          enum=search_mod.SORTS),
    Param("collapse", description=N_("series: a dataset series stands for its members, which are left out"),
          enum=("series",)),
    *PAGING,
)


def count_call(dataset_id: str) -> None:
    """Count an API call on a dataset. Counting must never cost the client its answer; a dataset the public cannot
    see (a draft its editor reads with a token) was not used by the public, so is not counted."""
    if g.get("rest_unpublished"):
        return
    session = db_session()
    try:
        record_usage(session, dataset_id, "api")
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("could not record usage of dataset %s", dataset_id)


def find_dataset(slug: str) -> Dataset:
    """The dataset `slug` names, as the reader may see it (`lifecycle.resolve` with the user of the request's API
    token, the decision every read door takes): an active dataset to anyone; a draft (and a withdrawn or deleted
    one) with its state to who may edit its publisher, answered `Cache-Control: private, no-store`. To anyone else
    an old slug (before a rename) answers 301 to the same path with the current one, a withdrawn dataset 410 with
    its tombstone, and an unknown or deleted dataset or a draft 404 (never 403: a draft is not said to exist)."""
    slug = clean_key(slug, "dataset")
    session = db_session()
    resolution = lifecycle.resolve(session, slug, viewer(session))
    if resolution.outcome == lifecycle.MISSING:
        raise ApiError(404, "not-found", T_("No dataset with slug %(slug)s.", slug=repr(slug[:80])))
    resp = lifecycle.answer(resolution, as_json=True)
    if resp is not None:
        abort(resp)
    if resolution.dataset.state != "active":  # seen only by its publisher's people: no shared cache keeps it
        g.rest_unpublished = True
    return resolution.dataset


def _publisher_ref(pub: Publisher | None) -> dict[str, Any] | None:
    if pub is None:
        return None
    return {"slug": pub.slug, "name": dict(pub.name or {}), "links": {"self": api_url(".publisher", slug=pub.slug)}}


def _summary(ds: Dataset) -> dict[str, Any]:
    return {
        "id": ds.id, "slug": ds.slug, "title": dict(serving.public_title(ds) or {}),  # its personal data redacted
        "publisher": _publisher_ref(ds.publisher),
        "stars": ds.stars, "score": ds.score, "modified": ds.modified, "metadata_modified": iso(ds.modified_at),
        "links": {"self": api_url(".dataset", slug=ds.slug), "html": site_url(f"/dataset/{ds.slug}"),
                  "quality": api_url(".dataset_quality", slug=ds.slug)},
    }


def _codes(values: list[str] | None, spellings) -> list[str] | None:
    """Filter values with the catalog's spellings of each added (csv, odc-odbl, tran: what the CKAN API and the
    datasets themselves say found nothing here); the values of one filter are ORed."""
    if not values:
        return values
    out: list[str] = []
    for value in values:
        for spelled in (value, *spellings(value)):
            if spelled and spelled not in out:
                out.append(spelled)
    return out


def _format_spellings(value: str) -> tuple[str, ...]:
    found = vocab.format_by_code(value) or vocab.file_format(value)
    return (found.code, found.label) if found else (value.upper(),)


def _licence_spellings(value: str) -> tuple[str, ...]:
    found = vocab.licence(value)
    return (found.id,) if found else ()


def _theme_spellings(value: str) -> tuple[str, ...]:
    return (value.upper(),)


@api.endpoint("/datasets", summary=N_("Search and list datasets"), response="DatasetList", tag="datasets",
              params=SEARCH_PARAMS, cache=CATALOG_CACHE,
              description=N_("Full-text search with filters and facets (publisher, format, licence, theme, keyword, "
                          "stars, hvd_category) and a bounding box (bbox). Paging links are in the body and in the "
                          "Link header."))
def datasets():
    args = with_per_page(query_args("datasets"))
    bbox = places.parse_bbox(args["bbox"]) if args.get("bbox") else None
    if args.get("bbox") and bbox is None:
        raise ApiError(400, "bad-request", T_("bbox must be W,S,E,N in degrees (west <= east, south <= north), "
                                              "e.g. 118,27,123,31."))
    for token in (args["q"] or "").split():  # answered otherwise before: q=-bus found the bus datasets
        refused = unsearchable(token)
        if refused is not None:
            raise ApiError(400, "bad-request", refused)
    query = search_mod.SearchQuery(
        bbox=bbox,
        q=args["q"] or "", publisher=args["publisher"], format=_codes(args["format"], _format_spellings),
        licence=_codes(args["licence"], _licence_spellings), theme=_codes(args["theme"], _theme_spellings),
        keyword=args["keyword"],
        hvd_category=[vocab.hvd_category(v) or v for v in args["hvd_category"] or []],
        stars_min=args["stars_min"], sort=args["sort"],
        page=args["page"], limit=args["per_page"], facets=list(search_mod.FACETS),
        collapse_series=args.get("collapse") == "series",
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


@api.endpoint("/datasets/<slug>", summary=N_("One dataset: its catalog record, stars, score and links"),
              response="Dataset", tag="datasets", errors=(404, 410), cache=CATALOG_CACHE, auth=OPTIONAL,
              description=N_("The catalog record (catalog_schema/record.schema.json) with the latest stars and score, "
                          "and links to its quality, usage and every export format. A draft answers 404 (as an "
                          "unknown dataset) to anyone but its publisher's editors and admins and sysadmins, who "
                          "read it with its state by sending their API token (Authorization), answered "
                          "Cache-Control: private, no-store; so do this dataset's other endpoints."))
def dataset(slug: str):
    ds = find_dataset(slug)
    session = db_session()
    a = latest_assessment(session, ds.id)
    pub = ds.publisher  # the record embeds the publisher, whose renames do not touch the dataset row
    # its publisher's editors read its personal data as it is (a PATCH of what they read keeps it), the rest redacted
    editor = auth.can_edit(session, viewer(session), pub)
    etag = etag_of(ds.id, ds.content_hash, iso(ds.modified_at), iso(ds.updated_at), ds.state, ds.stars, ds.score,
                 a.id if a else None, pub and (pub.slug, pub.name, iso(pub.updated_at)), public_base(), editor)
    count_call(ds.id)
    serving.note_override(ds)  # a document saying an override is revalidated, its 304 too
    if request.if_none_match.contains_weak(etag):
        return conditional(None, etag, CATALOG_CACHE)
    # the platform's people and undecided overrides are not public, nor personal data in its metadata
    doc = serving.public_metadata(public_record(to_record(ds)), editor)
    doc["stars"], doc["score"] = ds.stars, ds.score
    doc["assessed_at"] = iso(a.assessed_at) if a else None
    doc["metadata_modified"] = iso(ds.modified_at)
    doc["created"] = iso(ds.created_at)
    # each file's link-check history: status, first failure, failures in a row, last success (app/link_history)
    doc["link_checks"] = {row.id: found for row in ds.distributions if (found := link_history.of(row))}
    links = {"self": api_url(".dataset", slug=ds.slug), "html": site_url(f"/dataset/{ds.slug}"),
             "quality": api_url(".dataset_quality", slug=ds.slug),
             "quality_history": api_url(".dataset_quality_history", slug=ds.slug),
             "usage": api_url(".dataset_usage", slug=ds.slug), "badge": site_url(f"/dataset/{ds.slug}/badge.svg"),
             "exports": {ext: site_url(f"/dataset/{ds.slug}.{ext}") for ext in EXPORT_FORMATS}}
    if ds.publisher is not None:
        links["publisher"] = api_url(".publisher", slug=ds.publisher.slug)
    links["distributions"] = {row.id: _data_links(ds, row) for row in ds.distributions}
    doc["links"] = links
    return conditional(doc, etag, CATALOG_CACHE)


def _data_links(ds: Dataset, row) -> dict[str, Any]:
    """Where a developer gets a file's data (keyed by its `catalog_id` in `links.distributions`): the file as
    published, and for a table this site holds its conversions (data.csv, .json, .xml, .ttl and the CSVW
    metadata) and its rows (`/rows`, filtered, sorted and paged); a file with a data dictionary, the dictionary. The
    gate decides at each of
    them whether the bytes go out (a table holding personal data answers 451 there)."""
    out: dict[str, Any] = {"file": row.download_url or row.access_url,
                           "versions": api_url(".distribution_versions", slug=ds.slug, dist_id=row.id)}
    urls = served_urls(row, site=site_url("/").rstrip("/"))  # the URLs alone: the stars of each are not asked
    if urls:
        out["data"] = urls
        out["rows"] = api_url(".rows", slug=ds.slug, dist_id=row.id)
    if dictionary.effective(row.dictionary, row.table_schema) is not None:  # a GeoJSON's properties have none
        out["dictionary"] = api_url(".distribution_dictionary", slug=ds.slug, dist_id=row.id)
    return out


@api.endpoint("/datasets/<slug>/usage", summary=N_("Views, downloads and API calls of the dataset per day"),
              response="Usage", tag="datasets", errors=(404, 410), cache=LIVE_CACHE, auth=OPTIONAL)
def dataset_usage(slug: str):
    ds = find_dataset(slug)
    count_call(ds.id)
    days = usage_series(db_session(), ds.id)
    totals = {k: sum(d[k] for d in days) for k in ("views", "downloads", "api_calls")}
    return conditional({"dataset": ds.slug, "days": days, "totals": totals}, None, LIVE_CACHE)


@api.endpoint("/datasets/<slug>/distributions/<dist_id>/dictionary", summary=N_("A table's data dictionary"),
              response="DataDictionary", tag="datasets", errors=(404, 410), cache=CATALOG_CACHE, auth=OPTIONAL,
              description=N_("Each column's name, type, title, unit and description (inferred from the archived file, "
                          "then what the source declared, then the agency's edits) and the notes rows the file "
                          "had above and below the table (units, sources, footnotes). Of a file the personal-data "
                          "gate withholds from the public, the public is not given its notes rows; of one it "
                          "withholds or serves masked, no column name that is personal data itself (it reads "
                          "[redacted]), and `withheld` says what was left out and why (`message` in the reader's "
                          "language, `message_zh`). The publisher's editors get it whole (Cache-Control: private, "
                          "no-store)."))
def distribution_dictionary(slug: str, dist_id: str):
    ds = find_dataset(slug)
    row = distribution_of(ds, dist_id)
    session = db_session()
    described = serving.dictionary(session, ds, row, viewer(session)) if row is not None else None
    if described is None:
        raise ApiError(404, "not-found", T_("No such distribution, or it has no data dictionary (made when the file "
                                         "is checked and read as a table)."))
    doc = dictionary_doc(ds, row.id, described["dictionary"])  # named by the catalog's id
    if described["withheld"] is not None:
        doc["withheld"] = described["withheld"]
    resp = conditional(doc, None, CATALOG_CACHE)
    resp.vary.add("Accept-Language")  # the message of `withheld`
    if described["decision"].privileged:  # the whole dictionary, for who may edit the file: no shared cache
        resp.headers["Cache-Control"] = "private, no-store"
    return resp


def dictionary_doc(ds: Dataset, dist_id: str, dic: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": ds.slug, "distribution": dist_id, "fields": dic["fields"], "notes": dic["notes"],
            "edited_at": dic.get("edited_at"),
            "links": {"self": api_url(".distribution_dictionary", slug=ds.slug, dist_id=dist_id),
                      "table_schema": site_url(f"/dataset/{ds.slug}/resource/{dist_id}/schema.json"),
                      "html": site_url(f"/dataset/{ds.slug}#dictionary-{dist_id}")}}



@api.endpoint("/datasets/<slug>/distributions/<dist_id>/versions", summary=N_("Every archived copy of a file"),
              response="DistributionVersions", tag="datasets", errors=(404, 410), cache=CATALOG_CACHE, auth=OPTIONAL,
              description=N_("Each copy a check found, newest first: when it was archived, its size, sha256, format "
                          "and stars then, how its rows changed from the copy before (rows added, removed, changed; "
                          "columns added, removed), and where to download it (through the personal-data gate: a "
                          "copy that held personal data is not served to the public)."))
def distribution_versions(slug: str, dist_id: str):
    ds = find_dataset(slug)
    row = distribution_of(ds, dist_id)
    if row is None:
        raise ApiError(404, "not-found", T_("No such distribution in this dataset."))
    session = db_session()
    versions = session.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == row.id)
                               .order_by(DistributionVersion.archived_at.desc(), DistributionVersion.id.desc()))
    # a column added or removed whose name is personal data is [redacted] but to the publisher's editors
    privileged = auth.can_edit(session, viewer(session), ds.publisher)
    items = [{"sha256": v.sha256, "archived_at": iso(v.archived_at), "size": v.size, "format": v.format,
              "stars": v.stars, "current": v.sha256 == row.archive_hash, "personal_data": v.pii != {},
              "change": serving.public_change(v.change, privileged),
              "links": {"download": site_url(f"/dataset/{ds.slug}/resource/{row.id}/version/{v.sha256}")}}
             for v in versions]
    resp = conditional({"dataset": ds.slug, "distribution": row.id, "versions": items}, None, CATALOG_CACHE)
    if privileged:  # the names as they are, for who may edit the file: no shared cache
        resp.headers["Cache-Control"] = "private, no-store"
    return resp
