"""The row API's and the DataStore's refusals in the reader's language (issue 17, "Everywhere"): every error a
client of ``datastore_search``, ``datastore_info``, ``datastore_search_sql``, ``/datastore/dump/<id>`` and
``/api/v1/.../rows`` can get (a bad filter, an unknown field, a bad sort, a limit too large, SQL refused, a
timeout, not a table, unknown, withheld ...) is said in Chinese under ``?lang=zh`` or ``Accept-Language: zh``
and in English otherwise, in CKAN's error shape or the REST one, statuses, codes, ``__type``s and keys unchanged.

The table's columns and the dataset's names are ASCII, so a Chinese character in an answer can only come from
the catalog: a message left in English fails here (its zh text equals its en text and holds no CJK).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app.services import datasets, distributions
from app.services.context import Actor, Runtime
from catalog_schema.models import User
from tests.support.accounts import make_user

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
MISSING = "0" * 8 + "-0000-0000-0000-" + "0" * 12
TABLE = b"district,amount,day\r\neast,1,2024-01-05\r\nwest,2,2024-02-29\r\nsouth,3,2024-03-01\r\n"
PHONES = "name,phone\r\n" + "".join(f"n{i},1381234567{i}\r\n" for i in range(6))
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def ids(snapshot, app) -> dict[str, str]:
    """{"table", "pdf", "phones"}: resource ids in one published dataset (the phones added after publishing,
    so withheld), built once per backend, a copy for each test; datastore_search_sql turned on."""
    out = snapshot.once(lambda: _build(app))
    app.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = True
    app.config["OPENDATA"]["DATASTORE_SQL_TIMEOUT_MS"] = 300
    return out


def _build(app) -> dict[str, str]:
    make_user(app, "editor@lang.example", editor_of="agency-lang")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    out = {}
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@lang.example").one()
            actor = Actor(s, user, "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, "agency-lang", {"title": "Rows", "license": "CC-BY-4.0"}, slug="rows")
            out["table"] = distributions.add_upload(actor, ds, io.BytesIO(TABLE), "table.csv").id
            out["pdf"] = distributions.add_upload(actor, ds, io.BytesIO(PDF), "notes.pdf").id
            datasets.publish(actor, ds)
            out["phones"] = distributions.add_upload(actor, ds, io.BytesIO(PHONES.encode()), "phones.csv").id
    finally:
        runtime.close()
    return out


def _texts(error: dict[str, Any]) -> list[str]:
    """The message, and each field error of a CKAN Validation Error (or the permissions of an Authorization one)."""
    out = [error["message"]]
    for key, value in error.items():
        if key not in ("message", "__type", "code", "status", "message_zh", "contact", "columns", "kinds",
                       "datastore_error", "tombstone") and isinstance(value, list):
            out += [v for v in value if isinstance(v, str)]
    return out


def _both(client, method: str, url: str, *, query: dict | None = None, body: dict | None = None,
          how: str = "lang") -> tuple[Any, Any]:
    """The same request in English (asking nothing) and in Chinese (`how`: ?lang=zh or Accept-Language)."""
    def ask(zh: bool):
        q = dict(query or {})
        headers = {}
        if zh and how == "lang":
            q["lang"] = "zh"
        elif zh:
            headers = ZH
        if method == "post":
            return client.post(url, query_string=q, json=body, headers=headers)
        return client.get(url, query_string=q, headers=headers)
    return ask(False), ask(True)


def _said_in_both(en, zh, status: int, case: str) -> dict[str, Any]:
    assert en.status_code == zh.status_code == status, (case, en.status_code, en.get_data(as_text=True)[:300])
    assert "Accept-Language" in zh.headers.get("Vary", ""), case  # a shared cache keeps one copy per language
    en_error, zh_error = en.get_json()["error"], zh.get_json()["error"]
    assert set(en_error) == set(zh_error), case
    for key in ("__type", "code", "status"):
        assert en_error.get(key) == zh_error.get(key), (case, key)
    en_texts, zh_texts = _texts(en_error), _texts(zh_error)
    assert len(en_texts) == len(zh_texts), case
    for en_text, zh_text in zip(en_texts, zh_texts, strict=True):
        assert not _cjk(en_text), (case, en_text)
        assert zh_text != en_text and _cjk(zh_text), f"{case}: untranslated {zh_text!r}"
    return zh_error


SEARCH = "/api/3/action/datastore_search"
SEARCH_CASES = [
    ("no resource id", {}, 409),
    ("records format", {"records_format": "xml"}, 409),
    ("filters not an object", {"filters": "[1]"}, 409),
    ("filters not JSON", {"filters": "{nope"}, 409),
    ("filter on an unknown field", {"filters": json.dumps({"nope": 1})}, 409),
    ("filter value of the wrong type", {"filters": json.dumps({"amount": "many"})}, 409),
    ("filter with a list in a list", {"filters": json.dumps({"amount": [[1]]})}, 409),
    ("q of the wrong kind", {"q": "[1]"}, 409),
    ("q on an unknown field", {"q": json.dumps({"nope": "x"})}, 409),
    ("q not a string", {"q": json.dumps({"district": 1})}, 409),
    ("sort unreadable", {"sort": 'district up down'}, 409),
    ("sort on an unknown field", {"sort": "nope desc"}, 409),
    ("fields unknown", {"fields": "nope"}, 409),
    ("fields named twice", {"fields": "district,district"}, 409),
    ("distinct sorted by another field", {"fields": "district", "distinct": "true", "sort": "amount"}, 409),
    ("limit too large", {"limit": "100000000"}, 409),
    ("limit not a number", {"limit": "x"}, 409),
    ("offset negative", {"offset": "-1"}, 409),
    ("distinct not a boolean", {"distinct": "maybe"}, 409),
]


@pytest.mark.parametrize("how", ["lang", "accept"])
def test_datastore_search_refusals_in_chinese(client, ids, how):
    for case, query, status in SEARCH_CASES:
        if query or case != "no resource id":
            query = {"resource_id": ids["table"], **query}
        en, zh = _both(client, "get", SEARCH, query=query, how=how)
        error = _said_in_both(en, zh, status, case)
        assert error["__type"] == "Validation Error", case
    # POSTed as ckanapi does, the language in the address
    en, zh = _both(client, "post", SEARCH, body={"resource_id": ids["table"], "filters": {"nope": 1}})
    _said_in_both(en, zh, 409, "posted")


@pytest.mark.parametrize("action", ["datastore_search", "datastore_info"])
def test_unknown_not_a_table_and_withheld_in_chinese(client, ids, action):
    url = f"/api/3/action/{action}"
    for case, rid, status, code in (("unknown", MISSING, 404, "not-found"), ("a PDF", ids["pdf"], 404,
                                                                           "not-in-datastore"),
                                    ("personal data", ids["phones"], 451, "personal-data")):
        en, zh = _both(client, "get", url, query={"resource_id": rid})
        error = _said_in_both(en, zh, status, f"{action}: {case}")
        assert error["code"] == code and zh.get_json()["success"] is False


SQL = "/api/3/action/datastore_search_sql"


def test_datastore_search_sql_refusals_in_chinese(client, ids):
    t = ids["table"]
    cases = [
        ("empty", "", 409),
        ("two statements", f'SELECT 1 FROM "{t}"; SELECT 2 FROM "{t}"', 409),
        ("not a select", f'DELETE FROM "{t}"', 409),
        ("a describe", f'DESCRIBE "{t}"', 409),
        ("syntax", "SELEC district FROM", 409),
        ("parameters", f'SELECT * FROM "{t}" WHERE amount = $1', 409),
        ("no table", "SELECT 1", 409),
        ("a table function", "SELECT * FROM read_csv('/etc/passwd')", 403),
        ("a function not allowed", f'SELECT getenv(\'HOME\') FROM "{t}"', 403),
        ("a system table", "SELECT * FROM information_schema.tables", 403),
        ("a schema", f'SELECT * FROM main."{t}"', 403),
        ("a system name for a CTE", f'WITH duckdb_x AS (SELECT 1) SELECT * FROM "{t}"', 403),
        ("an engine error", f'SELECT nope FROM "{t}"', 409),
        ("a timeout", f'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT count(*) '
                      f'FROM r, "{t}"', 409),
        ("unknown table", f'SELECT * FROM "{MISSING}"', 404),
        ("withheld table", f'SELECT name FROM "{ids["phones"]}"', 451),
        ("too long", "SELECT " + "1 + " * 6000 + f'1 FROM "{t}"', 409),
    ]
    for case, sql, status in cases:
        en, zh = _both(client, "post", SQL, body={"sql": sql})
        _said_in_both(en, zh, status, case)
    # turned off: CKAN's unknown action, said in Chinese too
    client.application.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = False
    en, zh = _both(client, "post", SQL, body={"sql": "SELECT 1"})
    _said_in_both(en, zh, 400, "off")


def test_the_dump_and_the_rest_rows_refusals_in_chinese(client, ids):
    dump = f"/datastore/dump/{ids['table']}"
    for case, query, status in (("format", {"format": "pdf"}, 400),
                                ("filter", {"filters": json.dumps({"nope": 1})}, 400),
                                ("sort", {"sort": "nope"}, 400),
                                ("limit", {"limit": "x"}, 400)):
        en, zh = _both(client, "get", dump, query=query)
        _said_in_both(en, zh, status, f"dump {case}")
    for case, url, status in (("unknown", f"/datastore/dump/{MISSING}", 404),
                              ("a PDF", f"/datastore/dump/{ids['pdf']}", 404),
                              ("withheld", f"/datastore/dump/{ids['phones']}", 451)):
        for how in ("lang", "accept"):
            en, zh = _both(client, "get", url, how=how)
            _said_in_both(en, zh, status, f"dump {case}")

    rows = f"/api/v1/datasets/rows/distributions/{ids['table']}/rows"
    for case, query, status in (("page not a number", {"page": "x"}, 400),
                                ("page size too large", {"page_size": "100000000"}, 400),
                                ("page zero", {"page": "0"}, 400),
                                ("past the last page", {"page": "9"}, 400),
                                ("sort word", {"amount__sort": "up"}, 400),
                                ("unknown operator", {"amount__nope": "1"}, 400),
                                ("unknown column", {"nope__exact": "1"}, 400),
                                ("unknown column asked", {"columns": "nope"}, 400),
                                ("value of the wrong type", {"amount__exact": "many"}, 400),
                                ("date of the wrong type", {"day__less": "soon"}, 400),
                                ("sum of text", {"district__sum": ""}, 400),
                                ("sort by what is not grouped", {"district__groupby": "", "amount__sort": "asc"},
                                 400),
                                ("another API's page size", {"limit": "5"}, 400),
                                ("another API's sort", {"sort": "amount desc"}, 400),
                                ("another API's columns", {"fields": "amount"}, 400),
                                ("another API's filter", {"q": "east"}, 400)):
        for how in ("lang", "accept"):
            en, zh = _both(client, "get", rows, query=query, how=how)
            _said_in_both(en, zh, status, f"rows {case}")
    for case, url, status in (("unknown", f"/api/v1/datasets/rows/distributions/{MISSING}/rows", 404),
                              ("another slug", f"/api/v1/datasets/other/distributions/{ids['table']}/rows", 404),
                              ("a PDF", f"/api/v1/datasets/rows/distributions/{ids['pdf']}/rows", 404),
                              ("withheld", f"/api/v1/datasets/rows/distributions/{ids['phones']}/rows", 451)):
        en, zh = _both(client, "get", url)
        _said_in_both(en, zh, status, f"rows {case}")


def test_duckdbs_errors_are_sentences_of_ours_in_chinese(client, ids):
    """The engine's error of a known kind is ours in both languages: the column, the token and the place kept,
    none of DuckDB's English words left in the Chinese (app/datastore/engine_errors.py)."""
    t = ids["table"]
    for sql, code, en_says, zh_says in (
        (f'SELECT nope FROM "{t}"', "sql-error", 'No column "nope" in the tables the query reads (line 1, column 8)',
         '查询读取的表中没有列 "nope"（第 1 行第 8 列）'),
        ("SELEC district FROM", "sql-syntax", 'Syntax error at or near "SELEC" (line 1, column 1).',
         '"SELEC" 处或附近有语法错误（第 1 行第 1 列）。'),
        (f'SELECT amount FROM "{t}" WHERE district = 5', "sql-error", "Value 'east' of column \"district\"",
         "列 \"district\" 的值 'east' 无法转换为"),
    ):
        en, zh = _both(client, "post", SQL, body={"sql": sql})
        error = _said_in_both(en, zh, 409, sql)
        assert error["code"] == code
        assert en_says in en.get_json()["error"]["message"] and zh_says in error["message"], error["message"]
        assert not any(w in error["message"] for w in ("Error", "syntax error", "Referenced", "Could not convert"))


def test_json_that_does_not_parse_is_said_by_where_not_in_jsons_english(client, ids):
    """filters='{nope' said "无法解析 JSON：Expecting property name enclosed in double quotes: line 1 column 2
    (char 1)" to a Chinese reader: Python's json module's English inside the Chinese sentence."""
    for url, query in ((SEARCH, {"resource_id": ids["table"], "filters": "{nope"}),
                       (f"/datastore/dump/{ids['table']}", {"sort": '["amount"'})):
        en, zh = _both(client, "get", url, query=query)
        said = _texts(zh.get_json()["error"])
        assert all("Expecting" not in text and "char" not in text for text in said), said
        assert any("第 1 行第 2 列" in text or "第 1 行第 10 列" in text for text in said), said
        assert any("line 1, column" in text for text in _texts(en.get_json()["error"]))
