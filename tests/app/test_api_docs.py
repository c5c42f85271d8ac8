"""The API documentation page (/api/v1/docs) in zh and en, and its examples, which must all answer.

The catalog is the demo government's samples harvested and assessed for real (as in test_pages.py), on
SQLite and PostgreSQL. Every copyable command of the page is taken out of the rendered HTML and requested
(through the test client, with the Accept header it names); the ckanapi snippet is run for real against
the app served on a loopback socket, from the page that server rendered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.api.rest import api
from app.assessment import assess_datasets
from catalog_schema.models import Dataset
from tests.support.samples import harvested_samples
from tests.support.wsgiserver import ServedApp

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CODE = re.compile(r'<pre class="example"[^>]*><code>(.*?)</code></pre>', re.S)
CURL = re.compile(r"^curl (?:-H 'Accept: (?P<accept>[^']+)' )?'(?P<url>[^']+)'$")


@pytest.fixture
def catalog(snapshot, runtime, app):
    return snapshot.once(lambda: _build(runtime))


def _build(runtime) -> list[str]:
    with harvested_samples(runtime) as (_files, summaries):
        assert all(s["status"] == "finished" and s["errored"] == 0 for s in summaries.values()), summaries
        with runtime.sessionmaker() as session:
            ids = list(session.scalars(select(Dataset.id)))
        assess_datasets(runtime, ids, now=NOW)
    return ids


def _page(client, lang: str) -> str:
    resp = client.get(f"/api/v1/docs?lang={lang}")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def _commands(html: str) -> list[dict]:
    """Every curl command of the page: {"url", "accept"}."""
    out = []
    for block in CODE.findall(html):
        for line in unescape(block).splitlines():
            m = CURL.match(line)
            if m:
                out.append(m.groupdict())
            else:
                assert not line.startswith("curl"), line
    return out


def test_every_example_answers(client, catalog):
    html = _page(client, "en")
    commands = _commands(html)
    urls = [c["url"] for c in commands]
    assert len(commands) >= 20, urls
    site = client.application.config["OPENDATA"]["SITE_URL"].rstrip("/")
    assert all(u.startswith(site + "/") for u in urls), urls  # this portal's public address, not the Host header
    for needle in ("/api/3/action/package_search?q=", "fq=res_format", "/api/3/action/package_show?id=",
                   "/api/3/action/datastore_search?resource_id=", "filters=", "/api/v1/datasets?q=",
                   "/rows?page_size=10", "__exact=", "__sort=desc", "__groupby=", "__sum=", "/catalog.ttl",
                   "/catalog.rdf", "/catalog.jsonld", "/data.json", "/data.csv?bom=1", "/datastore/dump/"):
        assert any(needle in u for u in urls), needle
    assert {c["accept"] for c in commands} >= {"text/turtle", "application/ld+json"}
    for c in commands:
        parts = urlsplit(c["url"])
        headers = {"Accept": c["accept"]} if c["accept"] else {}
        resp = client.get(parts.path + ("?" + parts.query if parts.query else ""), headers=headers)
        assert resp.status_code == 200, (c, resp.status_code, resp.get_data(as_text=True)[:300])
        if c["accept"]:
            assert resp.mimetype == c["accept"], c
        if "datastore_search" in c["url"] and "filters=" in c["url"]:
            body = resp.get_json()
            assert body["success"] and body["result"]["records"], c  # the example's value is a real one
            (column, value), = json.loads(parse_qs(parts.query)["filters"][0]).items()
            assert all(str(r[column]) == value for r in body["result"]["records"])
        if "__exact=" in c["url"]:
            (column, value), = ((k.removesuffix("__exact"), v[0]) for k, v in parse_qs(parts.query).items()
                                if k.endswith("__exact"))
            rows = resp.get_json()["data"]
            assert rows and all(str(r[column]) == value for r in rows), c
        if "bom=1" in c["url"]:
            assert resp.data.startswith(b"\xef\xbb\xbf"), c


def test_the_ckanapi_snippet_runs_against_the_served_portal(app, catalog):
    served = ServedApp(app)
    app.config["OPENDATA"]["SITE_URL"] = served.url  # the portal's public address: the examples' (not the Host's)
    try:
        import requests

        html = requests.get(served.url + "/api/v1/docs?lang=en", timeout=30).text
        snippet = next(unescape(b) for b in CODE.findall(html) if "RemoteCKAN" in b)
        assert f"RemoteCKAN('{served.url}')" in snippet
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(snippet, "<docs snippet>", "exec"), {})  # noqa: S102 (the page's own example, run)
        printed = out.getvalue().splitlines()
        assert len(printed) == 2 and int(printed[0].split()[0]) > 0, printed
        assert "'records'" not in printed[1] and printed[1].startswith("[{"), printed
    finally:
        served.close()


def test_the_page_is_in_chinese_and_english(client, catalog):
    zh, en = _page(client, "zh"), _page(client, "en")
    for text in ("Getting started", "Parameter", "Description", "Machine-readable description:",
                 "Search and list datasets", "Publishers (agencies and departments) with their dataset counts",
                 "Full-text query (all words must match; Chinese is matched by bigrams)",
                 "The catalog in Turtle", "Items per page (at most 100); default: the PAGE_SIZE setting"):
        assert text in unescape(en), text
        assert text not in unescape(zh), text
    for text in ("入门", "参数", "描述", "机器可读的描述：", "搜索和列出数据集", "发布部门（机关和单位）及其数据集数",
                 "全文检索（所有词都须匹配；中文按二元组匹配）", "Turtle 格式的目录",
                 "每页条数（最多 100 条）；默认：PAGE_SIZE 设置"):
        assert text in unescape(zh), text
    assert "%(" not in zh and "%(" not in en
    # a header parameter is listed as the others are (If-Match was only in the OpenAPI document)
    assert "<code>If-Match</code>" in en and "every publish result gives it" in unescape(en)
    assert "<code>If-Match</code>" in zh and "每个发布结果中都会给出" in unescape(zh) and "请求头" in zh
    assert "<column>" not in zh and "&lt;column&gt;__exact" in en  # texts are escaped, never markup


def test_the_openapi_document_stays_english(client):
    doc = client.get("/api/v1/openapi.json", headers={"Accept-Language": "zh-CN"}).get_json()
    # the texts of the endpoints (the schemas quote Chinese words the catalog accepts, such as 每月)
    text = json.dumps([doc["info"], doc["tags"], doc["paths"]], ensure_ascii=False)
    assert not re.search(r"[\u4e00-\u9fff]", text) and "%(" not in text
    assert doc["paths"]["/datasets"]["get"]["summary"] == "Search and list datasets"
    per_page = next(p for p in doc["paths"]["/datasets"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["description"] == "Items per page (at most 100); default: the PAGE_SIZE setting"
    job = doc["paths"]["/harvest/jobs/{job_id}"]["get"]["description"]
    assert "cut at 20000 characters" in job and "at most 1000 are listed" in job
    assert doc["info"]["title"] == api.title == "Open data platform REST API"
