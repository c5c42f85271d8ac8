"""CKAN's DataStore API over the row store: `datastore_search`, `datastore_info`, `/datastore/dump/<id>`, and
`datastore_search_sql` when DATASTORE_SQL_ENABLED turns it on (app.datastore.vet and .sandbox; docs/api.md).

Shaped as CKAN 2.10 answers them, so ckanapi, frictionless' CKAN adapter and scripts written for CKAN
portals work unchanged: the Action API envelope (``help``, ``success``, ``result``), ``fields`` with ``id``
and ``type`` (``_id`` first), ``records`` as objects, lists, CSV or TSV, ``_links`` (``start``, ``next``),
``total`` and ``total_was_estimated``; a bad parameter is a ``Validation Error`` (HTTP 409) keyed by the
parameter. Every answer, errors included, goes through the serving gate (`app.datastore.gate`): personal
data is withheld (HTTP 451, CKAN ``Authorization Error``) or masked as in the other downloads.

Differences, documented in docs/api.md: ``q`` matches text anywhere in a cell, case-insensitively (no
word stemming, which does not fit Chinese); ``total`` is always exact (counting is cheap here), so
``total_was_estimated`` is false; a ``limit`` above the cap is a Validation Error rather than silently cut
(an ``offset`` past the last row answers no records, as CKAN's does).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from app.api import datastore_fields
from app.api.ckan_core import ActionError, action_params, envelope, int_param, invalid
from app.api.errors import error_response
from app.datastore import load, sandbox, vet
from app.datastore import query as rowq
from app.datastore.gate import Admitted, max_rows, serve_table, serve_tables
from app.export.convert import xml_attr, xml_text
from app.request_context import setting
from app.services import serving
from app.texts import T_, Text
from catalog_schema.models import Dataset, Distribution

bp = Blueprint("api_datastore", __name__)

RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
DUMP_FORMATS = {"csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
                "json": "application/json", "xml": "text/xml; charset=utf-8"}
_SORT = re.compile(r'^\s*(?:"((?:[^"]|"")+)"|([^\s"]+))(?:\s+(asc|desc))?\s*$', re.IGNORECASE)
_STATUS_TYPES = {404: "Not Found Error", 410: "Not Found Error", 451: "Authorization Error"}
#: What an action's answer varies by (app.api.ckan_core.envelope), which the gate's 304 of it names too.
ENVELOPE_VARY = ("Accept-Language",)


# --------------------------------------------------------------------------- parameters


def _bool(params: dict, key: str, default: bool) -> bool:
    value = params.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on", "false", "0", "no", "off", ""):
        return value.strip().lower() in ("true", "1", "yes", "on") if value.strip() else default
    raise invalid({key: [T_("Not a boolean: use true or false")]})


def _json_param(params: dict, key: str) -> Any:
    """A dict or list parameter, given as such in a JSON body or as JSON text in a query string."""
    value = params.get(key)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:  # where, not json's English words (said in a Chinese message too)
            raise invalid({key: [T_("Cannot parse JSON: an error at line %(line)s, column %(column)s",
                                    line=exc.lineno, column=exc.colno)]}) from exc
        except ValueError as exc:
            raise invalid({key: [T_("Cannot parse JSON: %(exc)s", exc=exc)]}) from exc
    return value


def _names(value: Any, key: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip().strip('"') for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise invalid({key: [T_("Give a list of field names or a comma-separated string")]})


def _sort(value: Any) -> list[tuple[str, bool]]:
    items = _names(value, "sort") if not isinstance(value, str) else _split_sort(value)
    out = []
    for item in items:
        m = _SORT.match(item)
        if not m:
            raise invalid({"sort": [T_("Cannot read %(item)s: use 'field', 'field desc' or '\"field\" asc'",
                                       item=repr(item[:100]))]})
        name = (m.group(1) or "").replace('""', '"') or m.group(2)
        out.append((name, (m.group(3) or "asc").lower() == "desc"))
    return out


def _split_sort(text: str) -> list[str]:
    """Split "a desc, \"b, c\" asc" on the commas outside double quotes."""
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in parts if p.strip()]


def _resource_id(params: dict) -> str:
    for key in ("resource_id", "id"):
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise invalid({"resource_id": [T_("Missing value")]})


def search_query(params: dict, loaded: load.Loaded, hidden: frozenset[str], *, cap: int) -> rowq.Query:
    """A `rowq.Query` from datastore_search's parameters (ActionError 409 naming the parameter at fault)."""
    filters = _json_param(params, "filters")
    if filters is not None and not isinstance(filters, dict):
        raise invalid({"filters": [T_("Not a JSON object")]})
    conditions = []
    for column, value in (filters or {}).items():
        values = tuple(value) if isinstance(value, list) else (value,)
        conditions.append(rowq.Condition(column, "in" if isinstance(value, list) else "exact", values, "filters"))
    q = _json_param(params, "q")
    if q is not None and not isinstance(q, (str, dict)):
        raise invalid({"q": [T_("Give a string, or an object of field names and strings")]})
    limit = int_param(params, "limit", 100)
    if limit > cap:
        raise invalid({"limit": [T_("Must be at most %(cap)s", cap=cap)]})
    return rowq.Query(fields=_names(_json_param(params, "fields"), "fields") or None, conditions=conditions,
                      q=q or None, distinct=_bool(params, "distinct", False),
                      sort=_sort(_json_param(params, "sort")), limit=limit, offset=int_param(params, "offset", 0),
                      hidden=hidden)


# --------------------------------------------------------------------------- answers


def _ckan_error(name: str, status: int, code: str, message: str, extra: dict[str, Any]) -> Response:
    error = {"__type": _STATUS_TYPES.get(status, "Not Found Error"), "message": message, "code": code, **extra}
    return envelope(name, {"success": False, "error": error}, status)


def _as_ckan(name: str, resp: Response) -> Response:
    """The gate's own refusals (404, 410, 451 as REST JSON) as CKAN action errors, status and headers kept."""
    if resp.status_code < 400 or not (resp.mimetype or "").endswith("json"):
        return resp
    try:
        body = json.loads(resp.get_data(as_text=True))
    except ValueError:
        return resp
    if "success" in body or not isinstance(body.get("error"), dict):
        return resp
    error = dict(body["error"])
    out = _ckan_error(name, resp.status_code, str(error.pop("code", "")), str(error.pop("message", "")), error)
    for key, value in resp.headers.items():
        if key.lower() not in ("content-type", "content-length"):
            out.headers[key] = value
    return out


def _fields(result: rowq.Result) -> list[dict[str, str]]:
    return [{"id": n, "type": t} for n, t in zip(result.names, result.types, strict=True)]


def _delimited(rows: list[tuple], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([rowq.text(v) for v in row] for row in rows)
    return out.getvalue()


def _link(params: dict, offset: int | None) -> str:
    kept = {k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in params.items() if k != "offset" and v is not None}
    if offset:
        kept["offset"] = str(offset)
    return "/api/3/action/datastore_search?" + urlencode(sorted(kept.items()))


def _variant(params: dict) -> str:
    return json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)


def _action(name: str, run) -> Response:
    try:
        params = action_params()
        return _as_ckan(name, run(params))
    except ActionError as exc:
        error = {"__type": exc.type, "message": exc.message, **exc.fields}
        resp = envelope(name, {"success": False, "error": error}, exc.status)
        resp.headers[serving.GATE_HEADER] = "withhold"
        return resp


def datastore_search(params: dict) -> Response:
    resource_id = _resource_id(params)
    records_format = params.get("records_format", "objects")
    if records_format not in RECORDS_FORMATS:
        raise invalid({"records_format": [T_("Must be one of %(join)s", join=', '.join(RECORDS_FORMATS))]})
    include_total = _bool(params, "include_total", True)
    threshold = int_param(params, "total_estimation_threshold", None, low=-1)
    _bool(params, "plain", True)

    def produce(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
        try:
            query = search_query(params, loaded, plan.mask or frozenset(), cap=max_rows())
            result = rowq.masked(rowq.run(loaded, query, total=True), plan.mask)
        except rowq.QueryError as exc:
            return _ckan_error("datastore_search", 409, "validation", exc.said,
                               {"__type": "Validation Error", exc.param: [exc.message]})
        except ActionError as exc:
            return envelope("datastore_search", {"success": False, "error": {
                "__type": exc.type, "message": exc.message, **exc.fields}}, exc.status)
        # an offset past the last row answers no records and the total, as CKAN's (PostgreSQL's OFFSET) does
        out: dict[str, Any] = {"include_total": include_total, "limit": query.limit,
                               "records_format": records_format, "resource_id": dist.id,
                               "total_estimation_threshold": threshold}
        for key in ("filters", "q", "distinct", "fields", "sort", "offset", "plain"):
            if key in params:
                out[key] = params[key]
        if "offset" in params:
            out["offset"] = query.offset  # a number, as the limit is (a GET's query string gave the text "7")
        out["fields"] = _fields(result)
        if records_format == "objects":
            out["records"] = [{n: rowq.plain(v) for n, v in zip(result.names, row, strict=True)}
                              for row in result.rows]
        elif records_format == "lists":
            out["records"] = [[rowq.plain(v) for v in row] for row in result.rows]
        else:
            out["records"] = _delimited(result.rows, "," if records_format == "csv" else "\t")
        # the next page: past the last one, the offset of the end (an empty page, as CKAN answers), never an offset
        # this action refuses (a client following `next` to the empty page failed with 409)
        following = query.offset + query.limit
        if result.total is not None:
            following = min(following, max(result.total, query.offset))
        out["_links"] = {"start": _link(params, None), "next": _link(params, following)}
        if include_total:
            out["total"] = result.total
            out["total_was_estimated"] = False
        resp = envelope("datastore_search", {"success": True, "result": out}, 200)
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return serve_table(dist_id=resource_id, slug=None, variant="search:" + _variant(params), produce=produce,
                       refuse=lambda status, code, message, extra: _ckan_error("datastore_search", status, code,
                                                                               message, extra), vary=ENVELOPE_VARY,
                       count=serving.first_part(params.get("offset"), limit=params.get("limit")))


def datastore_info(params: dict) -> Response:
    resource_id = _resource_id(params)

    def produce(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
        masked = plan.mask or frozenset()
        described = datastore_fields.described(dist)  # the data dictionary, as CKAN's Data Dictionary info
        fields = []
        for f in loaded.fields:
            ftype = "text" if f.id in masked else f.type
            info = described.get(f.id) or datastore_fields.info(None)
            fields.append({"id": f.id, "type": ftype,
                           "schema": {"native_type": _NATIVE.get(ftype, "text"), "notnull": False,
                                      "index_name": None, "is_index": False, "uniquekey": False},
                           "info": {**info, "label": info["label"] or f.title},
                           "schema_type": "string" if f.id in masked else f.schema_type})
        meta = {"id": dist.id, "count": loaded.rows, "table_type": "BASE TABLE", "size": loaded.size,
                "db_size": loaded.size, "idx_size": 0, "aliases": [], "sha256": loaded.sha256,
                "loaded_at": loaded.loaded_at, "source_format": loaded.source_format}
        return envelope("datastore_info", {"success": True, "result": {"meta": meta, "fields": fields}}, 200)

    return serve_table(dist_id=resource_id, slug=None, variant="info", produce=produce, count=False,
                       refuse=lambda status, code, message, extra: _ckan_error("datastore_info", status, code,
                                                                               message, extra), vary=ENVELOPE_VARY)


def datastore_search_sql(params: dict) -> Response:
    """CKAN datastore_search_sql, when DATASTORE_SQL_ENABLED: one SELECT over resources named as tables,
    vetted (app.datastore.vet), each table through the gate, run in a sandbox (app.datastore.sandbox)."""
    sql = params.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise invalid({"sql": [T_("Missing value")]})
    try:
        vetted = vet.vet(sql)
    except vet.Refused as exc:
        return _refused("datastore_search_sql", exc)
    cap = max_rows()
    timeout_ms = int(setting("DATASTORE_SQL_TIMEOUT_MS") or 5000)

    def produce(admitted: dict[str, Admitted]) -> Response:
        tables = []
        for rid, got in admitted.items():
            hidden = got.plan.mask or frozenset()
            masked = vetted.masked_reference(set(hidden))
            if masked is not None:
                return _refused("datastore_search_sql", vet.forbidden(
                    "sql-column-masked", T_("Not authorized to read column \"%(column)s\" of resource %(id)s: it "
                                            "holds personal data and is masked (SELECT * answers it masked).",
                                            column=masked, id=rid)))
            tables.append(sandbox.Table(name=rid, loaded=got.loaded, hidden=frozenset(hidden)))
        try:
            answer = sandbox.run(sql, tables, cap=cap, timeout_ms=timeout_ms)
        except vet.Refused as exc:
            return _refused("datastore_search_sql", exc)
        redact = any(got.plan.mask is not None for got in admitted.values())
        types, records = sandbox.records(answer, redact=redact)
        out = {"sql": sql, "records": records,
               "fields": [{"id": n, "type": t} for n, t in zip(answer.names, types, strict=True)],
               "records_truncated": answer.truncated}
        resp = envelope("datastore_search_sql", {"success": True, "result": out}, 200)
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return serve_tables(dist_ids=vetted.tables, variant="sql:" + sql, produce=produce,
                        refuse=lambda status, code, message, extra: _ckan_error("datastore_search_sql", status, code,
                                                                                message, extra), vary=ENVELOPE_VARY)


def _refused(name: str, exc: vet.Refused) -> Response:
    resp = envelope(name, {"success": False, "error": exc.error}, exc.status)
    resp.headers[serving.GATE_HEADER] = "withhold"
    return resp


def _sql_disabled() -> Response:
    """What CKAN answers when datastore_search_sql is off (the action is not registered at all)."""
    name = "datastore_search_sql"
    resp = envelope(name, {"success": False, "error": {
        "__type": "Bad Request", "message": T_("Bad request - Action name not known: %(name)s", name=name),
        "code": "sql-disabled"}}, 400)
    resp.headers[serving.GATE_HEADER] = "withhold"
    return resp


_NATIVE = {"int": "bigint", "numeric": "double precision", "bool": "boolean", "date": "date",
           "timestamp": "timestamp without time zone", "text": "text"}


@bp.route("/api/3/action/datastore_search", methods=["GET", "POST"])
@bp.route("/api/action/datastore_search", methods=["GET", "POST"])
def search() -> Response:
    """CKAN datastore_search: rows of one table, filtered, searched, sorted and paged."""
    return _action("datastore_search", datastore_search)


@bp.route("/api/3/action/datastore_info", methods=["GET", "POST"])
@bp.route("/api/action/datastore_info", methods=["GET", "POST"])
def info() -> Response:
    """CKAN datastore_info: the table's fields and row count."""
    return _action("datastore_info", datastore_info)


@bp.route("/api/3/action/datastore_search_sql", methods=["GET", "POST"])
@bp.route("/api/action/datastore_search_sql", methods=["GET", "POST"])
def search_sql() -> Response:
    """CKAN datastore_search_sql: off unless DATASTORE_SQL_ENABLED; then one vetted, read-only SELECT."""
    if not setting("DATASTORE_SQL_ENABLED"):
        return _sql_disabled()
    return _action("datastore_search_sql", datastore_search_sql)


# --------------------------------------------------------------------------- the dump


def _xml_name(name: str) -> bool:
    """Whether a column's name is an XML element name as it is: a letter (any script: 地区 is one) or _, then
    letters, digits, . or -; never starting with "xml"."""
    return bool(re.match(r"^[^\W\d][\w.-]*$", name)) and not name.lower().startswith("xml")


def _dump_chunks(fmt: str, bom: bool, names: list[str], types: list[str], chunks: Iterator[list[tuple]],
                 mask: frozenset[str] | None) -> Iterator[bytes]:
    if bom and fmt in ("csv", "tsv"):
        yield b"\xef\xbb\xbf"
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\r\n")
        writer.writerow(names)
        yield out.getvalue().encode("utf-8")
        for rows in chunks:
            rows = rowq.masked(rowq.Result(names, types, rows, None), mask).rows
            yield _delimited(rows, "," if fmt == "csv" else "\t").encode("utf-8")
    elif fmt == "json":
        shown = types if mask is None else ["text" if n in mask else t for n, t in zip(names, types, strict=True)]
        fields = json.dumps([{"id": n, "type": t} for n, t in zip(names, shown, strict=True)], ensure_ascii=False)
        yield ('{\n  "fields": ' + fields + ',\n  "records": [').encode("utf-8")
        first = True
        for rows in chunks:
            rows = rowq.masked(rowq.Result(names, types, rows, None), mask).rows
            text = ",".join("\n    " + json.dumps([rowq.plain(v) for v in row], ensure_ascii=False) for row in rows)
            yield (("" if first else ",") + text).encode("utf-8")
            first = False
        yield b"\n]}\n"
    else:
        yield b'<data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        for rows in chunks:
            rows = rowq.masked(rowq.Result(names, types, rows, None), mask).rows
            parts = []
            for row in rows:
                cells = []
                row_id = ""
                for name, value in zip(names, row, strict=True):
                    if name == load.ID:
                        row_id = f" _id={xml_attr(str(value))}"
                        continue
                    tag, attr = (name, "") if _xml_name(name) else ("value", f" key={xml_attr(name)}")
                    if value is None:
                        cells.append(f'<{tag}{attr} xsi:nil="true"/>')
                    else:
                        cells.append(f"<{tag}{attr}>{xml_text(rowq.text(value))}</{tag}>")
                parts.append(f"<row{row_id}>" + "".join(cells) + "</row>\n")
            yield "".join(parts).encode("utf-8")
        yield b"</data>\n"


@bp.get("/datastore/dump/<dist_id>")
def dump(dist_id: str) -> Response:
    """CKAN's dump: every row (or those matching q, filters; limit, offset) as CSV, TSV, JSON or XML."""
    args = request.args
    fmt = args.get("format", "csv").lower()
    bom = args.get("bom", "").lower() in ("true", "1", "yes")

    def refuse(status: int, code: str, message: str, extra: dict[str, Any]) -> Response:
        return error_response(status, code, message)

    if fmt not in DUMP_FORMATS:
        resp = refuse(400, "bad-request", Text("%(field)s: %(why)s", field="format", why=T_(
            "must be one of %(join)s", join=", ".join(DUMP_FORMATS))), {})
        resp.headers[serving.GATE_HEADER] = "withhold"
        return resp
    params = {k: args.get(k) for k in ("q", "filters", "fields", "sort", "limit", "offset", "distinct")
              if args.get(k) is not None}

    def produce(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
        try:
            query = search_query({**params, "limit": params.get("limit") or 0}, loaded, plan.mask or frozenset(),
                                 cap=2 ** 62)
            if not params.get("limit"):
                query.limit = None
            sql_plan, chunks = rowq.stream(loaded, query)
        except (rowq.QueryError, ActionError) as exc:
            message = exc.said if isinstance(exc, rowq.QueryError) else exc.message
            return refuse(400, "bad-request", message, {})
        name = f"{dist.id}.{fmt}"
        body = _dump_chunks(fmt, bom, sql_plan.names, sql_plan.types, chunks, plan.mask)
        return Response(body, content_type=DUMP_FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Access-Control-Allow-Origin": "*"})

    return serve_table(dist_id=dist_id, slug=None, variant=f"dump:{fmt}:{bom}:" + _variant(params), produce=produce,
                       refuse=refuse, count=serving.first_part(params.get("offset")))

