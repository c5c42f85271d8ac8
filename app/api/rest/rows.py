"""A distribution's rows: ``/api/v1/datasets/<slug>/distributions/<id>/rows``, filtered, sorted, paged, grouped.

The query string, in the manner of data.gouv.fr's tabular API: ``<column>__<operator>=<value>`` with the
operators ``exact``, ``differs``, ``in`` (comma-separated values), ``less`` and ``greater`` (bounds included),
``strictly_less``, ``strictly_greater``, ``contains``, ``isnull``, ``isnotnull``; ``<column>__sort=asc|desc``;
``columns=a,b``; ``page`` and ``page_size``; aggregates ``<column>__groupby`` and
``<column>__count|avg|min|max|sum`` (``__count`` alone counts rows). A parameter that names no column of the
table, a value of the wrong type for its column, or a page past the last answers 400 naming the parameter.
The rows come from the row store (`app.datastore`) through the serving gate: withheld (451) or masked as the
distribution's other downloads are.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from app.api.errors import error_response
from app.api.openapi import Param
from app.api.rest.blueprint import api
from app.api.rest.responses import site_url
from app.datastore import load
from app.datastore import query as rowq
from app.datastore.gate import max_rows, serve_table
from app.i18n import N_
from app.services import serving
from app.texts import T_, Text
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import pick_text

DEFAULT_PAGE_SIZE = 100
RESERVED = ("columns", "page", "page_size")
ROWS_CACHE = f"public, max-age={serving.PUBLIC_MAX_AGE}"


#: Names other row APIs page, sort, filter and pick columns with (CKAN's datastore_search, Socrata, PostgREST,
#: Elasticsearch). A parameter with no ``__`` is otherwise passed over (a cache buster, an API key), so these
#: would be too, and the answer would look like what was asked while it is not: 100 rows for ``limit=5``, file
#: order for ``sort=year``. Each is refused, naming what this API takes instead.
_PAGE, _SORT, _COLUMNS, _FILTER = (
    N_("this API pages with page_size (rows per page) and page"),
    N_("sort with <column>__sort=asc or <column>__sort=desc"),
    N_("choose columns with columns=<a>,<b>"),
    N_("filter with <column>__<operator>=<value>, for example <column>__contains=<text>"))
FOREIGN = {"limit": _PAGE, "offset": _PAGE, "rows": _PAGE, "start": _PAGE, "per_page": _PAGE, "size": _PAGE,
           "from": _PAGE, "sort": _SORT, "order": _SORT, "order_by": _SORT, "fields": _COLUMNS, "select": _COLUMNS,
           "q": _FILTER, "filters": _FILTER, "where": _FILTER}


class BadParam(ValueError):
    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param, self.message = param, message


def _whole(name: str, raw: str | None, default: int, low: int, high: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        n = int(raw)
    except ValueError as exc:
        raise BadParam(name, T_("'%(value)s' is not a whole number", value=raw[:40])) from exc
    if n < low or (high is not None and n > high):
        raise BadParam(name, T_("must be between %(low)s and %(high)s", low=low, high=high) if high is not None
                       else T_("must be at least %(low)s", low=low))
    return n


def rows_query(args, loaded: load.Loaded, hidden: frozenset[str]) -> tuple[rowq.Query, int, int]:
    """The query, page and page size a request's arguments ask for (BadParam naming the parameter)."""
    cap = max_rows()
    page = _whole("page", args.get("page"), 1, 1)
    size = _whole("page_size", args.get("page_size"), DEFAULT_PAGE_SIZE, 1, cap)
    columns = [c.strip() for c in (args.get("columns") or "").split(",") if c.strip()]
    query = rowq.Query(fields=columns or None, limit=size, offset=(page - 1) * size, hidden=hidden)
    for key in args:
        if key in RESERVED:
            continue
        if key.lower() in FOREIGN:
            raise BadParam(key, T_(FOREIGN[key.lower()]))
        column, sep, op = key.rpartition("__")
        if not sep:
            if key in loaded.names or key == load.ID:  # ?地区=北京市 would have answered every row, as if filtered
                raise BadParam(key, T_("a column is filtered with an operator: %(name)s__exact=<value> (or "
                                       "__contains, __in, __less, __greater ...)", name=key[:100]))
            continue  # not a row parameter (a cache buster, an API key)
        values = args.getlist(key)
        value = values[-1] if values else ""
        if op == "sort":
            if value.lower() not in ("asc", "desc"):
                raise BadParam(key, T_("sort asc or desc"))
            query.sort.append((column, value.lower() == "desc"))
            query.sort_params[column] = key
        elif op == "groupby":
            query.group_by.append(column)
        elif op in rowq.AGGREGATES:
            query.aggregates.append((op, column))
        elif op in ("isnull", "isnotnull"):
            if value.strip().lower() not in ("", "true", "1"):  # __isnull=false answered the empty cells
                raise BadParam(key, T_("takes no value: %(name)s__isnull for the empty cells, %(name)s__isnotnull "
                                       "for the others", name=column[:100]))
            query.conditions.append(rowq.Condition(column, op, (), key))
        elif op == "in":
            query.conditions.append(rowq.Condition(column, "in", tuple(v for v in value.split(",")), key))
        elif op in rowq.OPS:
            query.conditions.append(rowq.Condition(column, op, (value,), key))
        else:
            raise BadParam(key, T_("unknown operator '%(op)s': use one of %(known)s", op=op[:40],
                                   known=", ".join(rowq.OPS + ("sort", "groupby") + rowq.AGGREGATES)))
        if column not in loaded.names and column != load.ID and not (op == "count" and column in ("", "*")):
            raise BadParam(key, T_("the table has no column '%(name)s'", name=column[:100]))
    for i, (fn, column) in enumerate(query.aggregates):
        if fn == "count" and column in ("", "*"):
            query.aggregates[i] = ("count", "*")
    for name in columns:
        if name not in loaded.names and name != load.ID:
            raise BadParam("columns", T_("the table has no column '%(name)s'", name=name[:100]))
    return query, page, size


def _bad(param: str, message: str) -> Response:
    return error_response(400, "bad-request", Text("%(param)s: %(why)s", param=param, why=message))


def _refuse(status: int, code: str, message: str, extra: dict[str, Any]) -> Response:
    return error_response(status, code, message)


def _page_url(slug: str, dist_id: str, page: int) -> str:
    args = [(k, v) for k in request.args for v in request.args.getlist(k) if k != "page"]
    return site_url(f"/api/v1/datasets/{slug}/distributions/{dist_id}/rows?") + urlencode(args + [("page", page)])


@api.endpoint("/datasets/<slug>/distributions/<dist_id>/rows", tag="datasets", response="Rows",
              summary=N_("A distribution's table as rows: filter, sort, choose columns, page, group and aggregate"),
              errors=(404, 410, 451), cache=ROWS_CACHE,
              description=N_("Query parameters beyond those listed: `<column>__exact`, `__differs`, `__in` (comma-"
                          "separated), `__less` and `__greater` (bounds included), `__strictly_less`, "
                          "`__strictly_greater`, `__contains`, `__isnull`, `__isnotnull`, `__sort=asc|desc`, "
                          "`__groupby`, `__count`, `__avg`, `__min`, `__max`, `__sum`. A parameter naming no "
                          "column, a value of the wrong type or a page past the last is a 400 naming the "
                          "parameter. Personal data is withheld (451) or masked as in the other downloads."),
              params=(Param("columns", "string", N_("Columns to answer, comma-separated (default: all, with _id)")),
                      Param("page", "integer", N_("Page number, from 1"), minimum=1, default=1),
                      Param("page_size", "integer", N_("Rows per page"), minimum=1, maximum=32000,
                            default=DEFAULT_PAGE_SIZE)))
def rows(slug: str, dist_id: str):
    def produce(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
        try:
            query, page, size = rows_query(request.args, loaded, plan.mask or frozenset())
            result = rowq.masked(rowq.run(loaded, query, total=True), plan.mask)
        except BadParam as exc:
            return _bad(exc.param, exc.message)
        except rowq.QueryError as exc:
            return _bad(exc.param, exc.message)
        if page > 1 and not result.rows:
            return _bad("page", T_("past the last page (%(total)s rows match, %(size)s a page)",
                                   total=result.total, size=size))
        data = [{n: rowq.plain(v) for n, v in zip(result.names, row, strict=True)} for row in result.rows]
        total = result.total or 0
        links = {"self": _page_url(ds.slug, dist.id, page),
                 "next": _page_url(ds.slug, dist.id, page + 1) if page * size < total else None,
                 "prev": _page_url(ds.slug, dist.id, page - 1) if page > 1 else None,
                 "datastore_search": site_url(f"/api/3/action/datastore_search?resource_id={dist.id}")}
        doc = {"data": data, "fields": [{"id": n, "type": t} for n, t in zip(result.names, result.types, strict=True)],
               "links": links, "meta": {"page": page, "page_size": size, "total": total}}
        # not jsonify: it sorts keys, and a row's keys are in the table's column order
        resp = Response(json.dumps(doc, ensure_ascii=False), content_type="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    variant = urlencode(sorted((k, v) for k in request.args for v in request.args.getlist(k)))
    return serve_table(dist_id=dist_id, slug=slug, variant="rest:" + variant, produce=produce, refuse=_refuse,
                       count=serving.first_part(request.args.get("page"), first=1))


_JSON_TYPES = {"int": {"type": "integer"}, "numeric": {"type": "number"}, "bool": {"type": "boolean"},
               "date": {"type": "string", "format": "date"}, "timestamp": {"type": "string", "format": "date-time"},
               "text": {"type": "string"}}


def table_openapi(ds: Dataset, dist: Distribution, loaded: load.Loaded, mask: frozenset[str]) -> dict[str, Any]:
    """An OpenAPI 3.1 document of one table's rows endpoint: its columns, their types, and each column's
    filter, sort and aggregate parameters (masked columns: answered, never filtered)."""
    fields = [(load.ID, "int", load.ID)] + [(f.id, "text" if f.id in mask else f.type, f.title) for f in loaded.fields]
    params: list[dict[str, Any]] = [
        {"name": "columns", "in": "query", "schema": {"type": "string"}, "description": "Columns, comma-separated"},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "page_size", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": max_rows(), "default": DEFAULT_PAGE_SIZE}}]
    for name, ftype, _title in fields:
        if name in mask:
            continue
        value = _JSON_TYPES[ftype]
        for op in ("exact", "differs", "less", "greater", "strictly_less", "strictly_greater"):
            params.append({"name": f"{name}__{op}", "in": "query", "schema": value})
        params += [{"name": f"{name}__in", "in": "query", "schema": {"type": "string"},
                    "description": "Values, comma-separated"},
                   {"name": f"{name}__contains", "in": "query", "schema": {"type": "string"}},
                   {"name": f"{name}__isnull", "in": "query", "allowEmptyValue": True, "schema": {"type": "string"}},
                   {"name": f"{name}__isnotnull", "in": "query", "allowEmptyValue": True,
                    "schema": {"type": "string"}},
                   {"name": f"{name}__sort", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                   {"name": f"{name}__groupby", "in": "query", "allowEmptyValue": True, "schema": {"type": "string"}}]
        for fn in ("count", "min", "max") + (("avg", "sum") if ftype in ("int", "numeric") else ()):
            params.append({"name": f"{name}__{fn}", "in": "query", "allowEmptyValue": True,
                           "schema": {"type": "string"}})
    row = {"type": "object", "properties": {
        name: {**_JSON_TYPES[ftype], "type": [_JSON_TYPES[ftype]["type"], "null"], "title": title}
        for name, ftype, title in fields}}
    said = serving.public_title(ds) or {}  # its personal data redacted, to everyone: one document for a decision
    title = pick_text(said, "zh") or ds.slug
    path = f"/datasets/{ds.slug}/distributions/{dist.id}/rows"
    return {"openapi": "3.1.0",
            "info": {"title": f"{title}: rows", "version": loaded.sha256[:12],
                     "description": f"{loaded.rows} rows from the archived copy {loaded.sha256} "
                                    f"({loaded.source_format}), loaded {loaded.loaded_at}."},
            "servers": [{"url": site_url("/api/v1")}],
            "paths": {path: {"get": {
                "operationId": "rows", "summary": "The table's rows", "parameters": params,
                "responses": {
                    "200": {"description": "A page of rows", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["data", "fields", "links", "meta"],
                        "properties": {"data": {"type": "array", "items": row}, "fields": {"type": "array"},
                                       "links": {"type": "object"}, "meta": {"type": "object"}}}}}},
                    "400": {"description": "A parameter the table cannot take (the message names it)"},
                    "451": {"description": "Withheld: personal data"}}}}}}


@api.endpoint("/datasets/<slug>/distributions/<dist_id>/rows/openapi.json", tag="datasets", response="OpenAPI",
              summary=N_("The OpenAPI document of one table's rows: its columns, their types and parameters"),
              errors=(404, 410, 451), cache=ROWS_CACHE)
def rows_openapi(slug: str, dist_id: str):
    def produce(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
        doc = table_openapi(ds, dist, loaded, plan.mask or frozenset())
        resp = Response(json.dumps(doc, ensure_ascii=False), content_type="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return serve_table(dist_id=dist_id, slug=slug, variant="openapi", produce=produce, refuse=_refuse, count=False)
