"""ckanext-dcat's Action API: `dcat_dataset_show` and `dcat_catalog_show` (`dcat_catalog_search`, its other name),
which scripts written for a CKAN with ckanext-dcat call for a dataset's or a catalog page's DCAT serialization as the
action's result (a text). The graphs are the ones `/dataset/<name>.<ext>` and `/catalog.<ext>` give (DCAT-AP 3,
catalog_schema/dcat.py); who may read what is package_show's and package_search's.

`format`: `xml` (RDF/XML, ckanext-dcat's default) or `rdf`, `ttl` (`turtle`, `n3`), `nt` (`ntriples`), `jsonld`
(`json-ld`). The catalog: `q`, `fq`, `modified_since` (ISO 8601) and `page` (of 100, the most recently changed
first, as ckanext-dcat's), with hydra paging naming this action's pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.api.ckan_core import (
    ActionError,
    _find_dataset,
    _id_param,
    _readable,
    _site,
    invalid,
    package_search,
)
from app.export.routes import _serialize, catalog_info, dataset_graph
from app.services import lifecycle
from app.texts import T_
from catalog_schema import dcat as dcatmap
from catalog_schema import series
from catalog_schema.models import Dataset, User
from catalog_schema.store import to_record

#: ckanext-dcat's `format` names and the serialization each is here.
FORMATS = {"xml": "rdf", "rdf": "rdf", "rdf+xml": "rdf", "ttl": "ttl", "turtle": "ttl", "n3": "ttl", "nt": "nt",
           "ntriples": "nt", "jsonld": "jsonld", "json-ld": "jsonld"}
#: ckanext-dcat's datasets a catalog page (ckanext.dcat.datasets_per_page)
PER_PAGE = 100


def _format(params: dict) -> str:
    asked = str(params.get("format") or "xml").strip().lower()
    ext = FORMATS.get(asked)
    if ext is None:
        raise invalid({"format": [T_("Give one of %(formats)s", formats=", ".join(FORMATS))]})
    return ext


def _text(graph: Any, ext: str) -> str:
    body = _serialize(graph, ext)
    return body.decode("utf-8") if isinstance(body, bytes) else body


def dcat_dataset_show(session: Session, params: dict, user: User | None) -> str:
    """A dataset (`id`: its id or name) as DCAT (`format`, RDF/XML by default): the text of `/dataset/<name>.<ext>`,
    to whom package_show shows the dataset."""
    ref = _id_param(params, "id", "name_or_id")
    ext = _format(params)
    ds = _readable(session, _find_dataset(session, ref) or lifecycle.find(session, ref)[0], user)
    return _text(dataset_graph(ds), ext)


def dcat_catalog_show(session: Session, params: dict, user: User | None) -> str:
    """A page of the catalog as DCAT (`format`, RDF/XML by default): the published datasets that `q` and `fq` find
    (package_search's), changed since `modified_since` if given, 100 a `page`, the most recently changed first,
    with the hydra:PagedCollection of ckanext-dcat naming this action's first, last, previous and next pages."""
    ext = _format(params)
    page = params.get("page", 1) or 1
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise ActionError(409, "Validation Error", T_("Page param must be a positive integer starting in 1"))
    fq = str(params.get("fq") or "")
    since = params.get("modified_since")
    if since:
        try:
            parsed = dt.datetime.fromisoformat(str(since).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ActionError(409, "Validation Error", T_("Wrong modified date format. Use ISO-8601 format")) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC)
        fq = f"{fq} metadata_modified:[{parsed.strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]".strip()
    found = package_search(session, {"q": params.get("q") or "", "fq": fq, "rows": PER_PAGE,
                                     "start": (page - 1) * PER_PAGE, "sort": "metadata_modified desc",
                                     "fl": "id", "facet": "false"}, None)
    ids = [p["id"] for p in found["results"]]
    rows = {ds.id: ds for ds in session.scalars(select(Dataset).where(Dataset.id.in_(ids)).options(
        selectinload(Dataset.publisher), selectinload(Dataset.distributions)))}
    records = series.annotate(session, [to_record(rows[i]) for i in ids if i in rows])
    total = found["count"]
    last = max(1, -(-total // PER_PAGE))

    def page_url(n: int) -> str:
        kept = {k: v for k, v in params.items() if k != "page" and isinstance(v, str)}
        return f"{_site()}{request.path}?{urlencode({**kept, 'page': n})}"

    info = {"uri": page_url(page), "first": page_url(1), "last": page_url(last), "total_items": total,
            "per_page": PER_PAGE, "next": page_url(page + 1) if page < last else None,
            "previous": page_url(page - 1) if page > 1 else None}
    return _text(dcatmap.catalog_to_rdf(records, site_url=_site(), catalog_info=catalog_info(), page=info), ext)


def dcat_catalog_search(session: Session, params: dict, user: User | None) -> str:
    """ckanext-dcat's other name of dcat_catalog_show: the same page, the same parameters."""
    return dcat_catalog_show(session, params, user)


ACTIONS = {f.__name__: f for f in (dcat_dataset_show, dcat_catalog_show, dcat_catalog_search)}
