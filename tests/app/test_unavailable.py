"""A catalog database that cannot be used: every door answers 503 in its own shape and language, not a bare
English 500 (and the CKAN API answers JSON, not an HTML error page)."""

from __future__ import annotations

import pytest

from app import create_app


@pytest.fixture
def client(tmp_path):
    # a database file that was never migrated: no catalog tables (as a PostgreSQL database just created)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "INSTANCE_DIR": str(tmp_path),
                      "SECRET_KEY": "test"})
    with app.test_client() as c:
        yield c
    app.extensions["opendata"]["engine"].dispose()


def test_pages_say_the_catalog_is_unavailable_in_the_readers_language(client, caplog):
    for path in ("/", "/dataset", "/dashboard"):
        en = client.get(f"{path}?lang=en", headers={"Accept": "text/html"})
        assert en.status_code == 503 and en.headers["Retry-After"] == "60", path
        assert "Temporarily unavailable" in en.get_data(as_text=True) and "<nav" in en.get_data(as_text=True)
        zh = client.get(f"{path}?lang=zh_CN", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "暂时无法访问" in zh and "opendata db upgrade" in zh
    assert "no such table" in caplog.text  # the reason is the operator's, in the log


def test_apis_answer_503_in_their_own_shape(client):
    ckan = client.get("/api/3/action/package_list")
    assert ckan.status_code == 503 and ckan.is_json
    body = ckan.get_json()
    assert body["success"] is False and body["error"]["__type"] == "Internal Server Error"
    assert "opendata db upgrade" in body["error"]["message"]
    rest = client.get("/api/v1/datasets", headers={"Accept-Language": "zh"})
    assert rest.status_code == 503 and rest.get_json()["error"]["code"] == "database-unavailable"
    assert "目录数据库暂时无法使用" in rest.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/data.json", "/catalog.csv", "/catalog.xml", "/catalog.json",
                                  "/catalog.ttl?page=all", "/catalog/dump.nt",
                                  "/catalog/dump.ttl?modified_since=2026-01-01"])
def test_streamed_exports_answer_503_before_they_start(client, path):
    """The streamed exports sent 200 and their first bytes, then broke off when the stream first read the
    database: a harvester read `{"@type": "dcat:Catalog", ..., "dataset": [` (or a CSV header) and no error."""
    resp = client.get(path)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "60", (path, resp.status_code, body[:200])
    assert "opendata db upgrade" in body
