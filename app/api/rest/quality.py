"""Quality: a dataset's latest assessment and its history, a publisher's quality, the league table."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.api.errors import ApiError
from app.api.lang import api_lang
from app.api.openapi import OPTIONAL, Param
from app.api.rest.blueprint import CATALOG_CACHE, api
from app.api.rest.datasets import count_call, find_dataset
from app.api.rest.publishers import find_publisher
from app.api.rest.responses import api_url, conditional, etag_of, iso
from app.assessment import assessment_document, latest_assessment, publisher_table
from app.datastore.gate import root as datastore_root
from app.i18n import N_
from app.request_context import db_session
from app.texts import T_
from app.web.quality_view import assessment_in
from catalog_schema import series
from catalog_schema.models import Assessment

#: The language of the texts for people (app/api/lang.py): declared so the document says how to ask for Chinese.
LANG = Param("lang", description=N_("Language of the findings' explanations and fixes, the star reasons and the "
                                    "error messages: zh (or zh-CN) or en. Without it, the Accept-Language header "
                                    "decides (English when it asks for neither, and for any other value). Slugs, "
                                    "severities, evidence and numbers are the same in every language."))


@api.endpoint("/datasets/<slug>/quality", summary=N_("The dataset's latest quality assessment"), response="Assessment",
              tag="quality", errors=(404, 410), cache=CATALOG_CACHE, params=(LANG,), auth=OPTIONAL,
              description=N_("Stars, score, metadata points, per-distribution results, data profile and findings. "
                          "404 with code 'not-assessed' when the dataset was never assessed."))
def dataset_quality(slug: str):
    ds = find_dataset(slug)
    a = latest_assessment(db_session(), ds.id)
    count_call(ds.id)
    if a is None and ds.kind == series.SERIES:
        raise ApiError(404, "not-assessed", T_("Dataset %(slug)s is a series: its parts are assessed, each on its "
                                               "own.", slug=repr(ds.slug)))
    if a is None:
        raise ApiError(404, "not-assessed", T_("Dataset %(slug)s has not been assessed yet.", slug=repr(ds.slug)))
    lang = api_lang()  # the findings' texts in the language asked for, as the API's error messages are
    resp = conditional(assessment_in(assessment_document(ds, a), lang), etag_of("quality", ds.slug, a.id, lang),
                       CATALOG_CACHE)
    resp.vary.add("Accept-Language")  # one copy per language in a shared cache
    return resp


@api.endpoint("/datasets/<slug>/quality/history", summary=N_("Every assessment of the dataset, oldest first"),
              response="AssessmentHistory", tag="quality", errors=(404, 410), cache=CATALOG_CACHE, auth=OPTIONAL)
def dataset_quality_history(slug: str):
    ds = find_dataset(slug)
    rows = db_session().scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                                .order_by(Assessment.assessed_at, Assessment.id)).all()
    count_call(ds.id)
    items = [{"at": iso(a.assessed_at), "stars": a.stars, "score": a.score,
              "metadata_points": a.metadata_points, "metadata_rating": a.metadata_rating,
              "rule_version": a.rule_version} for a in rows]
    return conditional({"dataset": ds.slug, "items": items}, None, CATALOG_CACHE)


def _league() -> list[dict[str, Any]]:
    """publisher_table wants a Runtime; the app's sessionmaker is all it reads (and the row store's folder, where
    the whole-file scans are kept, as the dashboard's league reads it)."""
    shim = SimpleNamespace(sessionmaker=current_app.extensions["opendata"]["sessionmaker"])
    rows = publisher_table(shim, store_root=datastore_root())
    for row in rows:
        row["links"] = {"publisher": api_url(".publisher", slug=row["publisher"]),
                        "self": api_url(".publisher_quality", slug=row["publisher"])}
    return rows


@api.endpoint("/publishers/<slug>/quality", summary=N_("The publisher's quality aggregates and rank"),
              response="PublisherQuality", tag="quality", errors=(404,), cache=CATALOG_CACHE,
              description=N_("The publisher's row of the league table. 404 with code 'not-assessed' when none of "
                          "its datasets has been assessed."))
def publisher_quality(slug: str):
    pub = find_publisher(slug)
    row = next((r for r in _league() if r["publisher"] == pub.slug), None)
    if row is None:
        raise ApiError(404, "not-assessed", T_("No dataset of publisher %(slug)s has been assessed yet.",
                                               slug=repr(pub.slug)))
    return conditional(row, None, CATALOG_CACHE)


@api.endpoint("/quality/publishers", summary=N_("The league table of publishers, best first"), response="LeagueTable",
              tag="quality", cache=CATALOG_CACHE,
              description=N_("Per publisher: datasets, star distribution, average stars, share at 3+ stars, average "
                          "score and metadata points, broken links, stale datasets, PII findings, trend, rank."))
def quality_publishers():
    return conditional({"items": _league()}, None, CATALOG_CACHE)
