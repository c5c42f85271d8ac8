"""The copyable examples of the API documentation page, built on this catalog's own data.

Why from the catalog rather than written out: an example a reader pastes must answer. The page names one
published dataset whose table the row store serves to anyone (scanned, no personal data withheld), with a
text column and a number column of that table, and a real value of the text column for the filters. On a
catalog with no such table the row examples are left out; the catalog-wide ones remain.
tests/app/test_api_docs.py requests every URL of the rendered page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.datastore import load
from app.datastore import query as rowq
from app.datastore.gate import root as datastore_root
from app.i18n import N_
from app.services import serving
from catalog_schema.models import Dataset, Distribution

CANDIDATES = 20  # distributions looked at, at most, for one the examples can use
NUMERIC = ("int", "numeric")


@dataclass(frozen=True)
class Table:
    """One published table the examples query."""

    slug: str
    dataset_id: str
    dist_id: str
    text_column: str | None  # a text column, with `text_value` a value it holds
    text_value: str | None
    number_column: str | None


def example_table(session: Session) -> Table | None:
    """The first published dataset (by slug) with a table the public is served whole, or None."""
    rows = session.scalars(
        select(Distribution).join(Dataset, Distribution.dataset_id == Dataset.id)
        .where(Dataset.state == "active", Distribution.archive_hash.is_not(None))
        .options(selectinload(Distribution.dataset))
        .order_by(Dataset.slug, Distribution.position).limit(CANDIDATES)).all()
    for dist in rows:
        if not load.loadable(dist) or serving.personal_columns(dist) != {}:
            continue
        loaded = load.ensure(datastore_root(), dist)
        if not isinstance(loaded, load.Loaded) or not loaded.rows or loaded.pii:
            continue
        if serving.decide(session, dist.dataset, dist, None, found=loaded.pii).action != "serve":
            continue
        text = next((f.id for f in loaded.fields if f.type == "text"), None)
        number = next((f.id for f in loaded.fields if f.type in NUMERIC), None)
        value = None
        if text is not None:
            first = rowq.run(loaded, rowq.Query(fields=[text], limit=1,
                                               conditions=[rowq.Condition(text, "isnotnull", (), text)]),
                             total=False)
            value = str(first.rows[0][0]) if first.rows else None
            text = text if value is not None else None
        return Table(dist.dataset.slug, dist.dataset.id, dist.id, text, value, number)
    return None


@dataclass(frozen=True)
class Example:
    """One copyable command: `label` (a message id) says what it does, `code` is shown; `url` (and `accept`)
    is what it requests."""

    label: str
    code: str
    url: str | None = None
    accept: str | None = None


def _curl(label: str, url: str, args: dict | None = None, accept: str | None = None) -> Example:
    url = url + ("?" + urlencode(args) if args else "")
    head = f"-H 'Accept: {accept}' " if accept else ""
    return Example(label, f"curl {head}'{url}'", url, accept)


def ckan(base: str, table: Table | None) -> list[Example]:
    search = base + "/api/3/action/package_search"
    out = [_curl(N_("Search datasets (q: words, rows: how many)"), search, {"q": "transport", "rows": 5}),
           _curl(N_("Filter with fq (Solr syntax: field:value), page with rows and start"), search,
                 {"fq": "res_format:CSV", "rows": 10, "start": 0})]
    if table is None:
        return out
    rows = base + "/api/3/action/datastore_search"
    out.append(_curl(N_("One dataset with its resources"), base + "/api/3/action/package_show", {"id": table.slug}))
    out.append(_curl(N_("The rows of a resource (datastore_search)"), rows, {"resource_id": table.dist_id, "limit": 5}))
    if table.text_column:
        filters = json.dumps({table.text_column: table.text_value}, ensure_ascii=False)
        out.append(_curl(N_("Rows where a column has a value (filters, a JSON object)"), rows,
                         {"resource_id": table.dist_id, "filters": filters, "limit": 5}))
    return out


def ckanapi_snippet(base: str, table: Table | None) -> str:
    lines = ["# pip install ckanapi", "from ckanapi import RemoteCKAN", "",
             f"portal = RemoteCKAN('{base}')",
             "found = portal.action.package_search(q='transport', rows=5)",
             "print(found['count'], [p['name'] for p in found['results']])"]
    if table is not None:
        lines += [f"dataset = portal.action.package_show(id='{table.slug}')",
                  f"rows = portal.action.datastore_search(resource_id='{table.dist_id}', limit=5)",
                  "print(rows['fields'], rows['records'])"]
    return "\n".join(lines)


def rest(base: str, table: Table | None) -> list[Example]:
    api = base + "/api/v1"
    out = [_curl(N_("Search: words, a format filter, 5 per page"), api + "/datasets",
                 {"q": "transport", "format": "CSV", "per_page": 5}),
           _curl(N_("Every dataset, most recently modified first"), api + "/datasets",
                 {"sort": "-modified", "page": 1})]
    if table is None:
        return out
    out.append(_curl(N_("One dataset: its record, stars, score and links"), f"{api}/datasets/{quote(table.slug)}"))
    rows = f"{api}/datasets/{quote(table.slug)}/distributions/{table.dist_id}/rows"
    out.append(_curl(N_("A table's rows, 10 per page"), rows, {"page_size": 10}))
    if table.text_column:
        args = {f"{table.text_column}__exact": table.text_value, "page_size": 10}
        if table.number_column:
            args[f"{table.number_column}__sort"] = "desc"
        out.append(_curl(N_("Rows where a column equals a value, sorted by another column"), rows, args))
    if table.text_column and table.number_column:
        out.append(_curl(N_("Grouped: a sum and a count per value of a column"), rows,
                         {f"{table.text_column}__groupby": "", f"{table.number_column}__sum": "", "__count": ""}))
    out.append(_curl(N_("The table's own OpenAPI document: its columns and their types"), rows + "/openapi.json"))
    return out


def dcat(base: str, table: Table | None) -> list[Example]:
    out = [_curl(N_("The catalog in Turtle"), base + "/catalog.ttl"),
           _curl(N_("The catalog in RDF/XML"), base + "/catalog.rdf"),
           _curl(N_("The catalog in JSON-LD"), base + "/catalog.jsonld"),
           _curl(N_("One page of the catalog (Hydra paging: page, per_page up to 1000)"), base + "/catalog.ttl",
                 {"page": 1, "per_page": 100})]
    if table is not None:
        page = f"{base}/dataset/{quote(table.slug)}"
        out += [_curl(N_("One dataset in Turtle"), page + ".ttl"),
                _curl(N_("One dataset in JSON-LD"), page + ".jsonld"),
                _curl(N_("The dataset's page address, Turtle asked for with Accept"), page, accept="text/turtle"),
                _curl(N_("The same address, JSON-LD asked for with Accept"), page, accept="application/ld+json")]
    return out


def downloads(base: str, table: Table | None) -> list[Example]:
    out = [_curl(N_("The catalog as data.json (Project Open Data v1.1)"), base + "/data.json"),
           _curl(N_("The catalog as CSV"), base + "/catalog.csv")]
    if table is not None:
        out += [_curl(N_("A table as CSV with a byte-order mark (bom=1), so that Excel reads Chinese right"),
                      f"{base}/dataset/{quote(table.slug)}/resource/{table.dist_id}/data.csv", {"bom": 1}),
                _curl(N_("The whole table as CKAN's datastore dump, with a byte-order mark"),
                      f"{base}/datastore/dump/{table.dist_id}", {"bom": 1})]
    return out
