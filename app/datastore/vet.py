"""Vetting a `datastore_search_sql` query before anything runs: DuckDB's own parser, then an allow-list walk.

The text is parsed by DuckDB itself, never by regular expressions: ``extract_statements`` says how
many statements there are and of which kind (exactly one, a SELECT: no COPY, ATTACH, PRAGMA, SET,
INSTALL/LOAD, CALL, EXPORT, EXPLAIN, PIVOT), and ``json_serialize_sql`` gives the statement's parse tree,
which `vet` walks failing closed: every node kind it meets must be one it knows.

- a table named in FROM must be a common table expression in scope or a bare name (no catalog or schema,
  no time travel): the resource ids the gate is asked about next. Names of the engine's own catalog
  (``information_schema``, ``pg_catalog``, ``duckdb_*``, ``sqlite_*``, ``pragma_*``) are refused outright,
  and so is a common table expression named like one (it could be read out of its scope);
- no table functions (``read_csv``, ``read_parquet``, ``glob``, ``read_text``, ``duckdb_settings()`` ...);
- every function, operator and window function must be in `FUNCTIONS` (aggregates, text, numbers, dates
  and times, conditionals, lists): ``getenv``, ``current_setting``, ``getvariable``, ``nextval``,
  sequences, anything reading files or the engine's state is not there;
- no prepared-statement parameters.

What comes out (`Vetted`) lists the tables and every column name the query writes; `masked_reference`
then tells whether one of them is a column the gate masks (refused: a filter or a join on a masked identity
number would tell whether a number is in the table). The refusals are `Refused` with CKAN's shape: 409
``Validation Error`` keyed ``query`` for what is not a query we run, 403 ``Authorization Error`` with
``permissions`` for what it may not read or call (CKAN's answers to the same).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from app.datastore import engine_errors
from app.texts import T_, Text

MAX_SQL_CHARS = 20_000
MAX_TABLES = 8  # distinct resources one query may read

#: Functions and operators a query may call (lower case, as DuckDB's parse tree names them).
AGGREGATES = frozenset("""
count count_star sum avg mean min max median mode quantile quantile_cont quantile_disc approx_quantile
approx_count_distinct stddev stddev_pop stddev_samp var_pop var_samp variance string_agg group_concat listagg
list array_agg first last any_value arg_min arg_max argmin argmax min_by max_by bool_and bool_or every
corr covar_pop covar_samp regr_slope regr_intercept regr_r2 regr_count regr_avgx regr_avgy entropy kurtosis
skewness product fsum sumkahan kahan_sum favg histogram bit_and bit_or bit_xor
""".split())
WINDOW_FUNCTIONS = frozenset("""
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
""".split())
SCALARS = frozenset("""
lower upper lcase ucase length len char_length character_length strlen octet_length bit_length
substring substr substring_grapheme left right left_grapheme right_grapheme trim ltrim rtrim replace concat
concat_ws contains starts_with ends_with prefix suffix instr position strpos lpad rpad repeat reverse
split_part string_split str_split string_split_regex regexp_matches regexp_full_match regexp_replace
regexp_extract regexp_extract_all regexp_split_to_array like_escape ilike_escape not_like_escape
not_ilike_escape translate format printf unicode ord ascii chr levenshtein editdist3 damerau_levenshtein
hamming jaccard jaro_similarity jaro_winkler_similarity mismatches nfc_normalize strip_accents
array_to_string list_aggr list_aggregate md5 sha256 hash
abs ceil ceiling floor round round_even roundbankers trunc sqrt cbrt pow power exp ln log log10 log2 mod
sign signbit greatest least pi sin cos tan cot asin acos atan atan2 degrees radians isnan isinf isfinite
even gcd lcm greatest_common_divisor least_common_multiple divide fdiv fmod
date_part datepart date_trunc datetrunc date_diff datediff date_sub datesub date_add year month day
dayofweek dayofmonth dayofyear week weekofyear weekday quarter hour minute second millisecond microsecond
epoch epoch_ms era decade century millennium isodow isoyear yearweek julian strftime strptime
try_strptime make_date make_time make_timestamp last_day dayname monthname age to_days to_hours
to_minutes to_seconds to_milliseconds to_microseconds to_weeks to_months to_years to_decades to_centuries
to_millennia to_quarters time_bucket current_date current_time current_timestamp get_current_date
get_current_time get_current_timestamp now today to_timestamp
coalesce ifnull nullif if iff
list_value list_pack struct_pack row list_extract list_element array_extract list_slice array_slice
list_contains list_has array_contains list_position list_sort list_reverse_sort list_distinct list_unique
array_length list_concat list_cat array_concat list_transform list_filter list_reduce array_transform
array_filter flatten unnest struct_extract
""".split())
OPERATORS = frozenset(["+", "-", "*", "/", "//", "%", "**", "^", "||", "~~", "!~~", "~~*", "!~~*", "~~~", "!~~~",
                       "->", "->>", "@>", "<@", "&&", "<<", ">>", "&", "|", "~", "^@"])
FUNCTIONS = AGGREGATES | WINDOW_FUNCTIONS | SCALARS | OPERATORS

#: Expression classes of the parse tree a query may use; any other is refused.
EXPRESSIONS = frozenset({"COLUMN_REF", "CONSTANT", "FUNCTION", "CAST", "COMPARISON", "CONJUNCTION", "OPERATOR",
                         "CASE", "BETWEEN", "STAR", "SUBQUERY", "WINDOW", "LAMBDA", "COLLATE",
                         "POSITIONAL_REFERENCE", "TYPE"})
QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
TABLE_REFS = frozenset({"BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST"})
#: Other typed nodes of a SELECT's tree that hold nothing but expressions.
MODIFIERS = frozenset({"ORDER_MODIFIER", "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER", "DISTINCT_MODIFIER",
                       "ORDER_DEFAULT", "ASCENDING", "DESCENDING"})
SYSTEM_PREFIXES = ("information_schema", "pg_", "duckdb_", "sqlite_", "pragma_", "system", "temp")
PARAMETERS = T_("Parameters ($1, ?) cannot be bound here: write the values in the query.")
_STATEMENT_NAMES = {"COPY": "COPY", "ATTACH": "ATTACH", "DETACH": "DETACH", "PRAGMA": "PRAGMA", "SET": "SET",
                    "VARIABLE_SET": "SET VARIABLE", "LOAD": "INSTALL/LOAD", "CALL": "CALL", "EXPORT": "EXPORT",
                    "EXPLAIN": "EXPLAIN", "MULTI": "PIVOT", "INSERT": "INSERT", "UPDATE": "UPDATE",
                    "DELETE": "DELETE", "CREATE": "CREATE", "DROP": "DROP", "ALTER": "ALTER"}


class Refused(Exception):
    """A query that is not run, and why: `status` (409 or 403), a stable `code`, CKAN's error fields."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    @property
    def error(self) -> dict[str, Any]:
        if self.status == 403:
            return {"__type": "Authorization Error", "message": T_("Access denied: %(why)s", why=self.message),
                    "code": self.code, "permissions": [self.message]}
        return {"__type": "Validation Error", "message": Text("%(field)s: %(why)s", field="query", why=self.message),
                "code": self.code, "query": [self.message]}


def invalid(code: str, message: str) -> Refused:
    return Refused(409, code, message)


def forbidden(code: str, message: str) -> Refused:
    return Refused(403, code, message)


@dataclass
class Vetted:
    sql: str
    tables: list[str] = field(default_factory=list)  # resource ids named, in order of first appearance
    columns: list[tuple[str, ...]] = field(default_factory=list)  # every column reference, as written

    def masked_reference(self, hidden: set[str]) -> str | None:
        """The first masked column (of `hidden`) the query names anywhere, in any part of a dotted name and in
        any case (DuckDB binds names case-insensitively), or None."""
        folded = {h.casefold(): h for h in hidden}
        for parts in self.columns:
            for part in parts:
                if part.casefold() in folded:
                    return folded[part.casefold()]
        return None


_LOCAL = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's parsing connection: empty, closed to files, its configuration locked. It only ever
    serializes a client's text given as a bound value (``json_serialize_sql(?)`` parses, it runs nothing);
    kept because opening a DuckDB costs about 100 ms here."""
    con = getattr(_LOCAL, "parser", None)
    if con is None:
        con = duckdb.connect(":memory:", config={"enable_external_access": False, "threads": 1,
                                                 "autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": False})
        con.execute("SET lock_configuration = true")
        _LOCAL.parser = con
    return con


def _system(name: str) -> bool:
    return name.casefold().startswith(SYSTEM_PREFIXES)


def parse(sql: str) -> dict[str, Any]:
    """The one SELECT statement in `sql` as DuckDB's parse tree (Refused otherwise)."""
    if not sql.strip():
        raise invalid("sql-empty", T_("Missing value"))
    if len(sql) > MAX_SQL_CHARS:
        raise invalid("sql-too-long", T_("The query is longer than %(n)s characters.", n=MAX_SQL_CHARS))
    if "\x00" in sql:
        raise invalid("sql-syntax", T_("The query holds a NUL character."))
    parser = _parser()
    try:
        statements = parser.extract_statements(sql)
    except duckdb.Error as exc:
        raise invalid("sql-syntax", _first_line(str(exc))) from exc
    if len(statements) != 1:
        raise invalid("sql-statements", T_("Query is not a single statement.") if statements else T_("Missing value"))
    kind = statements[0].type.name
    if kind != "SELECT":
        raise invalid("sql-not-select", T_("Only a SELECT query is run here, not %(kind)s.",
                                             kind=_STATEMENT_NAMES.get(kind, kind)))
    try:
        tree = json.loads(parser.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    except duckdb.Error as exc:
        raise invalid("sql-syntax", _first_line(str(exc))) from exc
    except (ValueError, RecursionError) as exc:
        raise invalid("sql-too-deep", T_("The query is nested too deeply.")) from exc
    if tree.get("error"):
        message = str(tree.get("error_message") or "cannot be read")
        if "Only SELECT" in message:  # DESCRIBE/SUMMARIZE/PIVOT forms parse as SELECT but are not one
            raise invalid("sql-not-select", T_("Only a plain SELECT query is run here."))
        raise invalid("sql-syntax", _first_line(message))
    if len(tree.get("statements") or []) != 1:
        raise invalid("sql-statements", T_("Query is not a single statement."))
    return tree["statements"][0]


def _first_line(message: str) -> str:
    """Our sentence for the parser's error (app/datastore/engine_errors.py: the token and its place kept), else
    the engine's own words (English, as DuckDB says them) in a sentence of ours."""
    explained = engine_errors.explain(message)
    if explained is not None:
        return explained
    line = engine_errors.detail(message)
    return T_("The query cannot be read: %(error)s", error=line) if line else T_("The query cannot be read.")


def vet(sql: str) -> Vetted:
    """Parse and check `sql` (see the module's doc); Refused at the first thing not allowed."""
    statement = parse(sql)
    out = Vetted(sql=sql)
    if statement.get("named_param_map"):
        raise invalid("sql-parameters", PARAMETERS)
    try:
        _walk(statement.get("node"), frozenset(), out)
    except RecursionError as exc:
        raise invalid("sql-too-deep", T_("The query is nested too deeply.")) from exc
    if not out.tables:
        raise invalid("sql-no-table", T_("The query reads no resource: name one as a table, "
                                         'SELECT ... FROM "<resource id>".'))
    if len(out.tables) > MAX_TABLES:
        raise invalid("sql-too-many-tables", T_("A query reads at most %(n)s resources.", n=MAX_TABLES))
    return out


def _walk(node: Any, scope: frozenset[str], out: Vetted) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, scope, out)
        return
    if not isinstance(node, dict):
        return
    if "class" in node:
        _expression(node, scope, out)
        return
    kind = node.get("type")
    if not isinstance(kind, str):
        for value in node.values():
            _walk(value, scope, out)
        return
    if kind in QUERY_NODES:
        _query_node(node, scope, out)
    elif kind in TABLE_REFS or kind == "TABLE_FUNCTION" or kind.endswith("_REF") or "table_name" in node:
        _table_ref(node, scope, out)
    elif kind in MODIFIERS:
        for value in node.values():
            _walk(value, scope, out)
    else:
        raise invalid("sql-unsupported", T_("This part of a query is not supported here (%(kind)s).", kind=kind))


def _query_node(node: dict, scope: frozenset[str], out: Vetted) -> None:
    ctes = (node.get("cte_map") or {}).get("map") or []
    inner = scope
    for entry in ctes:
        name = str(entry.get("key") or "")
        if _system(name):
            raise forbidden("sql-table", T_("Not authorized to name a table expression %(name)s: "
                                            "the name is the engine's own.", name=repr(name)))
        definition = (entry.get("value") or {}).get("query_node")
        recursive = isinstance(definition, dict) and definition.get("type") == "RECURSIVE_CTE_NODE"
        _walk(entry.get("value"), inner | {name.casefold()} if recursive else inner, out)
        inner = inner | {name.casefold()}
    for key, value in node.items():
        if key != "cte_map":
            _walk(value, inner, out)


def _table_ref(node: dict, scope: frozenset[str], out: Vetted) -> None:
    kind = node["type"]
    if kind == "TABLE_FUNCTION":
        fn = (node.get("function") or {}).get("function_name") or "?"
        raise forbidden("sql-table-function", T_("Not authorized to call table function %(fn)s: a query reads "
                                                 "only resources, named as tables.", fn=fn))
    if kind not in TABLE_REFS:
        raise invalid("sql-unsupported", T_("This kind of FROM item is not supported here (%(kind)s).", kind=kind))
    if kind == "BASE_TABLE":
        name = str(node.get("table_name") or "")
        qualified = [p for p in ((node.get("qualified_name") or {}).get("path") or [])]
        if node.get("catalog_name") or node.get("schema_name") or len(qualified) > 1:
            whole = ".".join(str(p) for p in [node.get("catalog_name"), node.get("schema_name"), name] if p)
            raise forbidden("sql-table", T_("Not authorized to access table %(name)s: name a resource by its id alone.",
                                            name=whole))
        if node.get("at_clause"):
            raise invalid("sql-unsupported", T_("AT (time travel) is not supported here."))
        if name.casefold() not in scope:
            if _system(name):
                raise forbidden("sql-table", T_("Not authorized to access system table %(name)s.", name=name))
            if name.casefold() not in {t.casefold() for t in out.tables}:  # DuckDB binds names in any case
                out.tables.append(name)
    if kind == "JOIN" and node.get("using_columns"):
        out.columns.append(tuple(str(c) for c in node["using_columns"]))
    for key, value in node.items():
        if key not in ("type", "table_name"):
            _walk(value, scope, out)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in _strings(item)] if isinstance(value, list) else []


def _expression(node: dict, scope: frozenset[str], out: Vetted) -> None:
    cls = node.get("class")
    if cls not in EXPRESSIONS:
        if cls == "PARAMETER":
            raise invalid("sql-parameters", PARAMETERS)
        raise invalid("sql-unsupported", T_("This kind of expression is not supported here (%(kind)s).", kind=cls))
    if cls in ("FUNCTION", "WINDOW"):
        name = str(node.get("function_name") or "").lower()
        if node.get("schema") or node.get("catalog"):
            whole = ".".join(str(p) for p in (node.get("catalog"), node.get("schema"), name) if p)
            raise forbidden("sql-function", T_("Not authorized to call function %(name)s: name functions alone.",
                                               name=whole))
        if name not in FUNCTIONS:
            raise forbidden("sql-function", T_("Not authorized to call function %(name)s (not in the allowed list: "
                                               "aggregates, text, number, date and list functions).", name=name))
    elif cls == "COLUMN_REF":
        out.columns.append(tuple(str(p) for p in node.get("column_names") or []))
    elif cls == "STAR":  # * RENAME (a AS b) names a column; * EXCLUDE (a) leaves it out, which reads nothing
        for item in node.get("rename_list") or []:
            out.columns.append(tuple(_strings(item)))
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk(value, scope, out)
