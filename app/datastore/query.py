"""Searching one table of the row store with DuckDB, never with SQL made of what a client sent.

A `Query` names columns, which are checked against the table's own fields (`QueryError` naming the
parameter otherwise) and written as quoted identifiers; every value (filters, the search text, limit,
offset, the Parquet file's path) is a bound parameter, converted first to the column's stored type (a
value that does not convert is a `QueryError` too). The SQL text is therefore made only of this module's
words and the table's own column names.

Columns the serving gate masks (``hidden``) cannot be filtered, searched, sorted, grouped or aggregated:
otherwise a filter on a masked identity number would tell whether a number is in the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from app.datastore.load import ID, TABLE, Field, Loaded, quote, unique_names
from app.export.convert import MAX_SAFE_INTEGER
from app.texts import T_, Text
from quality import pii
from quality.tabular import REDACTED

MASK = REDACTED  # what a masked cell reads, as in the other conversions and the page's preview
#: Condition operators: ``less``/``greater`` include the bound, the ``strictly_`` ones do not (data.gouv.fr's
#: tabular API spells them so).
OPS = ("exact", "differs", "in", "less", "greater", "strictly_less", "strictly_greater", "contains", "isnull",
       "isnotnull")
AGGREGATES = ("count", "avg", "min", "max", "sum")
_NUMERIC = ("int", "numeric")
#: How a masked column would have been used, for the refusal (said in the reader's language).
USES = {"filtered": T_("filtered"), "searched": T_("searched"), "sorted": T_("sorted"), "grouped": T_("grouped"),
        "aggregated": T_("aggregated")}


class QueryError(ValueError):
    """A parameter a query cannot take: `param` names it (CKAN answers a Validation Error keyed by it, the REST
    API a 400 naming it)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param, self.message = param, message

    @property
    def said(self) -> Text:
        """"param: message", translatable (the message is a `Text`)."""
        return Text("%(param)s: %(why)s", param=self.param, why=self.message)


@dataclass(frozen=True)
class Condition:
    column: str
    op: str  # one of OPS
    values: tuple[Any, ...] = ()  # raw values, converted against the column's type when the SQL is made
    param: str = "filters"  # the request parameter it came from, for errors


@dataclass
class Query:
    fields: list[str] | None = None  # None: every column (with _id)
    conditions: list[Condition] = field(default_factory=list)
    q: str | dict[str, str] | None = None  # text searched in every column (or per column)
    distinct: bool = False
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    limit: int | None = 100  # None: every row (a dump)
    offset: int = 0
    group_by: list[str] = field(default_factory=list)
    aggregates: list[tuple[str, str]] = field(default_factory=list)  # (function, column or "*" for count)
    hidden: frozenset[str] = frozenset()  # columns masked by the gate
    #: the request parameter that asked to sort by a column, for errors (REST: ``<column>__sort``), else "sort"
    sort_params: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    names: list[str]
    types: list[str]  # CKAN types of the answered columns (aggregates included)
    rows: list[tuple]
    total: int | None


def _column(loaded: Loaded, name: Any, param: str, hidden: frozenset[str] = frozenset(), *,
            use: str = "") -> Field:
    if not isinstance(name, str):
        raise QueryError(param, T_("a column name must be text, not %(kind)s", kind=type(name).__name__))
    f = _id_field() if name == ID else loaded.field(name)
    if f is None:
        raise QueryError(param, T_("field \"%(name)s\" not in the table", name=name[:100]))
    if use and name in hidden:
        raise QueryError(param, T_("field \"%(name)s\" is masked (personal data) and cannot be %(use)s",
                                    name=name[:100], use=USES.get(use, use)))
    return f


def _id_field() -> Field:
    return Field(id=ID, type="int", schema_type="integer", title=ID)


def convert_value(f: Field, value: Any, param: str) -> Any:
    """A client's value as the column's stored type; QueryError when it is not one."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise QueryError(param, T_("a value for \"%(name)s\" must be a single value, not %(kind)s", name=f.id,
                                    kind=type(value).__name__))
    text = value if isinstance(value, str) else None
    try:
        if f.type == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(text.strip()) if text is not None else int(value)
            if not -2 ** 63 <= number < 2 ** 63:  # BIGINT
                raise ValueError
            return number
        if f.type == "numeric":
            if isinstance(value, bool):
                raise ValueError
            number = float(text.strip()) if text is not None else float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        if f.type == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError
        if f.type == "date":
            return dt.date.fromisoformat(str(value).strip())
        if f.type == "timestamp":
            return dt.datetime.fromisoformat(str(value).strip())
    except (ValueError, TypeError, OverflowError) as exc:
        raise QueryError(param, T_("\"%(value)s\" is not a valid %(type)s for field \"%(name)s\"",
                                    value=str(value)[:100], type=f.type, name=f.id)) from exc
    return str(value)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text(column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)"


class _Sql:
    def __init__(self) -> None:
        self.params: list[Any] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"


def _where(loaded: Loaded, query: Query, sql: _Sql) -> str:
    parts: list[str] = []
    for cond in query.conditions:
        f = _column(loaded, cond.column, cond.param, query.hidden, use="filtered")
        col = quote(f.id)
        if cond.op in ("isnull", "isnotnull"):
            parts.append(f"{col} IS {'NOT ' if cond.op == 'isnotnull' else ''}NULL")
            continue
        if not cond.values:
            raise QueryError(cond.param, T_("give a value for field \"%(name)s\"", name=f.id))
        if cond.op == "contains":
            parts.append(f"{_text(f.id)} ILIKE {sql.bind(_like(str(cond.values[0])))} ESCAPE '\\'")
            continue
        values = [convert_value(f, v, cond.param) for v in cond.values]
        if cond.op == "in" or len(values) > 1:
            if cond.op not in ("in", "exact"):
                raise QueryError(cond.param, T_("give one value for field \"%(name)s\"", name=f.id))
            nulls = any(v is None for v in values)
            listed = [v for v in values if v is not None]
            terms = [f"{col} IN ({', '.join(sql.bind(v) for v in listed)})"] if listed else []
            if nulls:
                terms.append(f"{col} IS NULL")
            parts.append("(" + " OR ".join(terms) + ")")
            continue
        value = values[0]
        if value is None:
            parts.append(f"{col} IS NULL")
            continue
        operator = {"exact": "=", "differs": "IS DISTINCT FROM", "less": "<=", "greater": ">=",
                    "strictly_less": "<", "strictly_greater": ">"}[cond.op]
        parts.append(f"{col} {operator} {sql.bind(value)}")
    if isinstance(query.q, str) and query.q.strip():
        searched = [f.id for f in loaded.fields if f.id not in query.hidden]
        if searched:
            text = "concat_ws(chr(31), " + ", ".join(_text(c) for c in searched) + ")"
            parts.append(f"{text} ILIKE {sql.bind(_like(query.q.strip()))} ESCAPE '\\'")
    elif isinstance(query.q, dict):
        for name, term in query.q.items():
            f = _column(loaded, name, "q", query.hidden, use="searched")
            if not isinstance(term, str):
                raise QueryError("q", T_("the text searched in field \"%(name)s\" must be a string", name=f.id))
            parts.append(f"{_text(f.id)} ILIKE {sql.bind(_like(term.strip()))} ESCAPE '\\'")
    elif query.q is not None and not isinstance(query.q, str):
        raise QueryError("q", T_("give a string, or an object of field names and strings"))
    return (" WHERE " + " AND ".join(parts)) if parts else ""


_LOCAL = threading.local()
MAX_ATTACHED = 64  # table files a thread's connection keeps attached


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's DuckDB connection (in memory; it only reads the store's files)."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        # one small instance a thread (waitress and gunicorn threads live long): a bounded buffer each, so a
        # large DISTINCT cannot take the machine's memory (DuckDB's default is 80% of it)
        con = duckdb.connect(":memory:", config={"memory_limit": "512MB"})
        _LOCAL.con = con
        _LOCAL.attached = {}
    return con


def _attached(db: Path) -> str:
    """The alias under which this thread's connection has the table file `db` attached, read-only (attached on
    first use; a file replaced since, by a rebuild, is attached anew; the least recently used go past
    MAX_ATTACHED). The alias and the path are ours, never a client's text."""
    con = connection()
    attached: dict[tuple[str, int], str] = _LOCAL.attached
    key = (str(db), db.stat().st_mtime_ns)
    alias = attached.pop(key, None)
    if alias is None:
        alias = "t_" + hashlib.sha256(f"{key[0]}\0{key[1]}".encode()).hexdigest()[:24]
        con.execute(f"ATTACH '{key[0].replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
        while len(attached) >= MAX_ATTACHED:
            oldest = next(iter(attached))
            con.execute(f"DETACH {attached.pop(oldest)}")
    attached[key] = alias  # most recently used last
    return alias


def _source(loaded: Loaded, sql: _Sql) -> str:
    """What a query reads: the table's DuckDB file when the store has it, else its Parquet file."""
    if loaded.db is not None:
        try:
            return f"{_attached(loaded.db)}.main.{TABLE}"
        except (OSError, duckdb.Error):  # gone or unreadable since the lookup: the Parquet file holds the same
            pass
    return f"read_parquet({sql.bind(str(loaded.path))})"


@dataclass
class Plan:
    names: list[str]
    types: list[str]
    text: str  # the page's SQL (LIMIT/OFFSET bound last when a limit is set)
    params: list[Any]
    count_text: str | None  # None: the count is the table's row count
    count_params: list[Any]
    # the page with the count in one pass (the matching rows gathered once, then counted and sorted): about
    # a third faster than two scans; its last column is the count (no rows: ask count_text)
    combined_text: str | None = None
    combined_params: list[Any] = field(default_factory=list)


def _sort_param(query: Query, name: Any) -> str:
    return query.sort_params.get(name, "sort") if isinstance(name, str) else "sort"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _offset(loaded: Loaded, query: Query) -> int:
    """The offset to bind: past the table's last row every offset skips everything, and DuckDB refuses one
    beyond a 64-bit integer (``offset=99999999999999999999`` was a 500, a dump cut off mid-stream)."""
    return min(query.offset, loaded.rows)


def plan(loaded: Loaded, query: Query, *, paged: bool = True) -> Plan:
    """The SQL of `query` over `loaded`, its parameters, and the SQL counting every matching row."""
    if query.group_by or query.aggregates:
        return _aggregate(loaded, query, paged=paged)
    chosen = query.fields if query.fields else [ID, *loaded.names]
    if query.distinct and not query.fields:
        chosen = list(loaded.names)
    fields = [_column(loaded, n, "fields") for n in chosen]
    if len({f.id for f in fields}) != len(fields):
        raise QueryError("fields", T_("a field is named twice"))
    sql = _Sql()
    source = _source(loaded, sql)
    where = _where(loaded, query, sql)
    where_params = list(sql.params)
    if query.distinct:
        # distinct rows of the answer as it is served: a masked column reads the mask (a missing cell stays
        # missing), so its hidden values neither split the rows nor order them (distinct over the real ones
        # told how many numbers there are, and whether one name goes with two identity numbers)
        select = "SELECT DISTINCT " + ", ".join(
            f"CASE WHEN {quote(f.id)} IS NULL THEN NULL ELSE {_literal(MASK)} END AS {quote(f.id)}"
            if f.id in query.hidden else quote(f.id) for f in fields)
    else:
        select = "SELECT " + ", ".join(quote(f.id) for f in fields)
    order = []
    for name, desc in query.sort:
        f = _column(loaded, name, _sort_param(query, name), query.hidden, use="sorted")
        if query.distinct and f.id not in {x.id for x in fields}:
            raise QueryError("sort", T_("with distinct, sort only by the fields answered (\"%(name)s\" is not one)",
                                          name=f.id))
        order.append(f"{quote(f.id)} {'DESC' if desc else 'ASC'} NULLS LAST")
    if not query.distinct and ID not in {name for name, _ in query.sort}:
        order.append(f"{quote(ID)} ASC")
    elif query.distinct and not order:
        order = [f"{quote(f.id)} ASC NULLS LAST" for f in fields]
    ordered = " ORDER BY " + ", ".join(order) if order else ""
    text = f"{select} FROM {source}{where}{ordered}"
    offset = _offset(loaded, query)
    if paged:
        text += f" LIMIT {sql.bind(query.limit)} OFFSET {sql.bind(offset)}"
    elif offset:  # every row from the offset on (a dump with an offset and no limit answered them all)
        text += f" OFFSET {sql.bind(offset)}"
    counted = None if not where and not query.distinct else f"SELECT count(*) FROM ({select} FROM {source}{where})"
    combined = None
    if where and not query.distinct and paged:
        combined = (f"WITH m AS MATERIALIZED (SELECT * FROM {source}{where}) "
                    f"{select}, (SELECT count(*) FROM m) FROM m{ordered} LIMIT ? OFFSET ?")
    return Plan(names=[f.id for f in fields], types=[f.type for f in fields], text=text, params=sql.params,
                count_text=counted, count_params=where_params, combined_text=combined,
                combined_params=[*where_params, query.limit, offset])


def run(loaded: Loaded, query: Query, *, total: bool = True) -> Result:
    """The page `query` asks for, and (with `total`) how many rows match in all."""
    p = plan(loaded, query)
    con = connection()
    count = None
    if total and p.combined_text is not None:
        rows = con.execute(p.combined_text, p.combined_params).fetchall()
        if rows:
            count = int(rows[0][-1])
            rows = [row[:-1] for row in rows]
    else:
        rows = con.execute(p.text, p.params).fetchall()
    if total and count is None:
        count = loaded.rows if p.count_text is None else int(con.execute(p.count_text, p.count_params).fetchone()[0])
    return Result(names=p.names, types=p.types, rows=rows, total=count)


def stream(loaded: Loaded, query: Query, *, chunk: int = 5000) -> tuple[Plan, Iterator[list[tuple]]]:
    """Every row `query` matches (its limit and offset applied only when set), in chunks, on a cursor of its
    own (the body of a download is read after the request's other queries)."""
    paged = query.limit is not None
    if not paged:
        query = replace(query, limit=0)
    p = plan(loaded, query, paged=paged)

    def chunks() -> Iterator[list[tuple]]:
        cur = connection().cursor()
        try:
            cur.execute(p.text, p.params)
            while True:
                rows = cur.fetchmany(chunk)
                if not rows:
                    return
                yield rows
        finally:
            cur.close()
    return p, chunks()


def _aggregate(loaded: Loaded, query: Query, *, paged: bool) -> Plan:
    groups = [_column(loaded, n, f"{n}__groupby", query.hidden, use="grouped") for n in query.group_by]
    names, types, exprs = [g.id for g in groups], [g.type for g in groups], [quote(g.id) for g in groups]
    for fn, column in query.aggregates:
        if fn not in AGGREGATES:
            raise QueryError(f"{column}__{fn}", T_("unknown aggregate %(fn)s: use one of %(known)s", fn=repr(fn),
                                                    known=", ".join(AGGREGATES)))
        if fn == "count" and column == "*":
            exprs.append("count(*)")
            names.append("count")
            types.append("int")
            continue
        f = _column(loaded, column, f"{column}__{fn}", query.hidden, use="aggregated")
        if fn in ("avg", "sum") and f.type not in _NUMERIC:
            raise QueryError(f"{column}__{fn}", T_("field \"%(name)s\" is %(type)s, not a number", name=f.id,
                                                    type=f.type))
        exprs.append(f"{fn}({quote(f.id)})")
        names.append(f"{f.id}__{fn}")
        types.append("int" if fn == "count" else ("numeric" if fn in ("avg", "sum") and f.type == "numeric"
                                                    or fn == "avg" else f.type))
    names = unique_names(names)  # a group named "count" and the count: two keys of one name, one value lost
    sql = _Sql()
    source = _source(loaded, sql)
    where = _where(loaded, query, sql)
    where_params = list(sql.params)
    group = (" GROUP BY " + ", ".join(quote(g.id) for g in groups)) if groups else ""
    aliases = [quote(f"a{i}") for i in range(len(exprs))]
    select = "SELECT " + ", ".join(f"{e} AS {a}" for e, a in zip(exprs, aliases, strict=True))
    order = []
    for name, desc in query.sort:
        if name not in names:
            raise QueryError(_sort_param(query, name), T_("sort only by a group or an aggregate (\"%(name)s\" is "
                                                          "neither)", name=str(name)[:100]))
        order.append(f"{aliases[names.index(name)]} {'DESC' if desc else 'ASC'} NULLS LAST")
    order += [f"{a} ASC NULLS LAST" for a in aliases[:len(groups)]]
    text = f"{select} FROM {source}{where}{group}" + (" ORDER BY " + ", ".join(order) if order else "")
    offset = _offset(loaded, query)
    if paged:
        text += f" LIMIT {sql.bind(query.limit)} OFFSET {sql.bind(offset)}"
    elif offset:  # every row from the offset on (a dump with an offset and no limit answered them all)
        text += f" OFFSET {sql.bind(offset)}"
    return Plan(names=names, types=types, text=text, params=sql.params,
                count_text=f"SELECT count(*) FROM ({select} FROM {source}{where}{group})", count_params=where_params)


# --------------------------------------------------------------------------- masking and values


def masked(result: Result, flagged: Iterable[str] | None) -> Result:
    """`result` with personal data masked, as the gate's redact asks: every filled cell of the `flagged`
    columns (answered as text from then on), and any other text cell where ``quality.pii`` finds personal
    data. None: as it is."""
    if flagged is None:
        return result
    flagged = set(flagged)
    columns = [list(col) for col in zip(*result.rows, strict=True)] if result.rows else [[] for _ in result.names]
    types = list(result.types)
    for i, name in enumerate(result.names):
        values = columns[i]
        if name in flagged:
            columns[i] = [None if v is None else MASK for v in values]
            types[i] = "text"
        elif values and all(v is None or isinstance(v, str) for v in values):
            hide = pii.mask_array(pa.array(values, pa.string()))
            if hide.any():
                columns[i] = [MASK if h and v is not None else v for v, h in zip(values, hide.tolist(), strict=True)]
    rows = list(zip(*columns, strict=True)) if result.rows else []
    return Result(names=result.names, types=types, rows=rows, total=result.total)


def plain(value: Any) -> Any:
    """A stored value as JSON carries it: dates and times in ISO 8601; an integer beyond MAX_SAFE_INTEGER as its
    digits in a string (a reader that takes JSON numbers as doubles would change it)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    return value


def text(value: Any) -> str:
    """A value as CSV and XML carry it: empty for a missing one, true/false, ISO dates, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(plain(value))
