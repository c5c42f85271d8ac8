"""Publishers: the list with dataset counts, one publisher with its counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.api.errors import ApiError
from app.api.rest.blueprint import CATALOG_CACHE, PAGING, api
from app.api.rest.responses import (
    api_url,
    clean_key,
    conditional,
    link_header,
    paging,
    query_args,
    site_url,
    with_per_page,
)
from app.i18n import N_
from app.request_context import db_session
from app.services import serving
from app.texts import T_
from catalog_schema.models import Assessment, Dataset, Distribution, Publisher
from catalog_schema.series import SERIES

#: What the counts count as a dataset: a series groups datasets and has no files of its own, so it is counted apart
#: (`series`), as the publisher's page, the dashboard's league and the weekly report count it.
NOT_SERIES = Dataset.kind != SERIES


def find_publisher(slug: str) -> Publisher:
    slug = clean_key(slug, "publisher")
    pub = db_session().scalar(select(Publisher).where(Publisher.slug == slug).options(selectinload(Publisher.parent)))
    if pub is None:
        raise ApiError(404, "not-found", T_("No publisher with slug %(slug)s.", slug=repr(slug[:80])))
    return pub


@api.endpoint("/publishers", summary=N_("Publishers (agencies and departments) with their dataset counts"),
              response="PublisherList", tag="publishers", params=PAGING, cache=CATALOG_CACHE)
def publishers():
    args = with_per_page(query_args("publishers"))
    session = db_session()
    total = session.scalar(select(func.count()).select_from(Publisher)) or 0
    counts = (select(Dataset.publisher_id, func.count().filter(NOT_SERIES).label("n"),
                     func.count().filter(~NOT_SERIES).label("series")).where(Dataset.state == "active")
              .group_by(Dataset.publisher_id).subquery())
    rows = session.execute(
        select(Publisher, func.coalesce(counts.c.n, 0), func.coalesce(counts.c.series, 0))
        .outerjoin(counts, counts.c.publisher_id == Publisher.id)
        .options(selectinload(Publisher.parent)).order_by(Publisher.slug)
        .offset((args["page"] - 1) * args["per_page"]).limit(args["per_page"])
    ).all()
    items = [{"slug": p.slug, "name": dict(p.name or {}), "parent": p.parent.slug if p.parent else None,
              "homepage": p.homepage, "datasets": int(n), "series": int(series),
              "links": {"self": api_url(".publisher", slug=p.slug), "html": site_url(f"/publisher/{p.slug}"),
                        "quality": api_url(".publisher_quality", slug=p.slug)}} for p, n, series in rows]
    pagination, links = paging("publishers", args, total)
    resp = conditional({"items": items, "pagination": pagination, "links": links}, None, CATALOG_CACHE)
    resp.headers["Link"] = link_header(links)
    return resp


@api.endpoint("/publishers/<slug>", summary=N_("One publisher with counts of its datasets"),
              response="Publisher", tag="publishers", errors=(404,), cache=CATALOG_CACHE,
              description=N_("Counts: active and withdrawn datasets, distributions, assessed datasets, datasets per "
                          "star (0..5), per format and per licence."))
def publisher(slug: str):
    pub = find_publisher(slug)
    session = db_session()
    state_counts = dict(session.execute(select(Dataset.state, func.count()).where(
        Dataset.publisher_id == pub.id, NOT_SERIES).group_by(Dataset.state)).all())
    series = session.scalar(select(func.count()).select_from(Dataset).where(
        Dataset.publisher_id == pub.id, Dataset.state == "active", ~NOT_SERIES)) or 0
    active = (Dataset.publisher_id == pub.id) & (Dataset.state == "active") & NOT_SERIES
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
    links = {"self": api_url(".publisher", slug=pub.slug), "html": site_url(f"/publisher/{pub.slug}"),
             "quality": api_url(".publisher_quality", slug=pub.slug),
             "datasets": api_url(".datasets", publisher=pub.slug)}
    if pub.parent is not None:
        links["parent"] = api_url(".publisher", slug=pub.parent.slug)
    doc = {"slug": pub.slug, "name": dict(pub.name or {}), "description": serving.public_publisher(pub)["description"],
           "uri": pub.uri, "homepage": pub.homepage, "email": pub.email,
           "parent": pub.parent.slug if pub.parent else None, "children": children,
           "counts": {"datasets": int(state_counts.get("active", 0)),
                      "series": int(series), "withdrawn": int(state_counts.get("withdrawn", 0)),
                      "distributions": int(distributions),
                      "assessed": int(assessed), "stars": stars, "formats": {k: int(v) for k, v in formats.items()},
                      "licences": {k: int(v) for k, v in licences.items()}},
           "links": links}
    return conditional(doc, None, CATALOG_CACHE)
