"""The probes: /health/live reads nothing; /health/ready asks the database, the broker when one is configured
(a real Redis; a closed port for the failure) and the search index's change log, and names what failed in a
503; /health still counts the active datasets; with the database gone, live stays 200 and the others say 503."""

from __future__ import annotations

import socket

import pytest
import redis
import tantivy
from sqlalchemy import event, text

from app import create_app, readiness
from catalog_schema import search
from tests.support import services

REDIS = "redis://127.0.0.1:6379/14"  # this module's own database number (nothing is written to it)


def _statements(app, client, url):
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["opendata"]["engine"]
    event.listen(engine, "before_cursor_execute", listener)
    try:
        resp = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return resp, seen


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _app(app_config, **settings):
    app = create_app({**app_config, **settings})
    app.config["TESTING"] = True
    return app


def _wait_for_build(app) -> None:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        thread = readiness._builds.get(search.index_for(s).url)
    if thread is not None:
        thread.join()


def test_live_reads_nothing_and_ready_reads_no_catalog_row(app, client):
    resp, seen = _statements(app, client, "/health/live")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    assert seen == []
    assert resp.headers["Cache-Control"] == "no-store"
    assert client.get("/dataset").status_code == 200  # a search: the index is built
    resp, seen = _statements(app, client, "/health/ready")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    assert seen[0] == "SELECT 1"
    assert all(s in ("SELECT 1", "SELECT version_num FROM alembic_version") or "FROM search_changes" in s
               for s in seen), seen
    resp, seen = _statements(app, client, "/health")
    assert resp.get_json() == {"status": "ok", "datasets": 0}
    assert len(seen) == 2


def test_a_database_never_migrated_or_behind_is_said_so(tmp_path):
    """A URL with a typo (a new, empty SQLite file) answered SELECT 1, every page failed, and the probe said
    "the search index is being built" for ever."""
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test-secret",
                      "TESTING": True})
    try:
        resp = app.test_client().get("/health/ready")
        assert resp.status_code == 503 and list(resp.get_json()["failed"]) == ["database"]
        assert "never migrated" in resp.get_json()["failed"]["database"]
        assert "opendata db upgrade" in resp.get_json()["failed"]["database"]
    finally:
        app.extensions["opendata"]["engine"].dispose()
    from catalog_schema import db as dbmod

    dbmod.upgrade(url, "0011")
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test-secret",
                      "TESTING": True})
    try:
        resp = app.test_client().get("/health/ready")
        assert resp.status_code == 503
        assert f"at migration 0011, this code needs {dbmod.head_revision()}" in resp.get_json()["failed"]["database"]
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_without_a_database_live_answers_and_ready_does_not(tmp_path):
    # A PostgreSQL address where nothing listens: connecting is refused at once.
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody:x@127.0.0.1:9/none",
                      "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test-secret", "TESTING": True})
    client = app.test_client()
    assert client.get("/health/live").status_code == 200
    resp = client.get("/health/ready")
    assert resp.status_code == 503 and resp.get_json()["status"] == "error"
    assert list(resp.get_json()["failed"]) == ["database"]
    assert "did not answer" in resp.get_json()["failed"]["database"]
    assert client.get("/health").status_code == 503
    app.extensions["opendata"]["engine"].dispose()


def test_ready_asks_the_broker_when_one_is_configured(app_config):
    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    up = _app(app_config, BROKER_URL=REDIS)
    try:
        client = up.test_client()
        client.get("/dataset")
        resp = client.get("/health/ready")
        assert resp.status_code == 200, resp.get_json()
        assert redis.Redis.from_url(REDIS).dbsize() == 0  # a PING writes nothing
    finally:
        up.extensions["opendata"]["engine"].dispose()
    down = _app(app_config, BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/14")
    try:
        client = down.test_client()
        client.get("/dataset")
        assert client.get("/health/live").status_code == 200
        resp = client.get("/health/ready")
        assert resp.status_code == 503 and resp.headers["Cache-Control"] == "no-store"
        body = resp.get_json()
        assert body["status"] == "error" and list(body["failed"]) == ["broker"]
        assert body["failed"]["broker"].startswith("the broker did not answer (")
    finally:
        down.extensions["opendata"]["engine"].dispose()


def test_an_amqp_broker_that_does_not_answer_is_named():
    problem = readiness.check_broker(f"amqp://guest:guest@127.0.0.1:{_closed_port()}//", 1.0)
    assert problem is not None and problem.startswith("the broker did not answer (")
    assert readiness.check_broker(None, 1.0) is None


def test_ready_waits_for_the_index_to_catch_up_within_the_bound(app_config, db_url):
    app = _app(app_config, SEARCH_READY_MAX_LAG=2, SEARCH_REFRESH_SECONDS=0.0)  # every probe looks
    try:
        client = app.test_client()
        client.get("/dataset")
        assert client.get("/health/ready").status_code == 200
        folder = search.index_for(app.extensions["opendata"]["sessionmaker"]()).directory
        generation = (folder / "CURRENT").read_text().strip()
        # Another process of the machine holds the index's writer: this one cannot catch up meanwhile.
        writer = tantivy.Index(search._schema(), str(folder / generation), reuse=True).writer(
            heap_size=15_000_000, num_threads=1)
        engine = app.extensions["opendata"]["engine"]
        with engine.begin() as conn:
            top = conn.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes"))
            for n in range(1, 4):  # three changes of datasets this index has not applied
                conn.execute(text("INSERT INTO search_changes (dataset_id, seq) VALUES (:id, :seq)"),
                             {"id": f"gone-{n}", "seq": top + n})
        resp = client.get("/health/ready")
        assert resp.status_code == 503
        assert resp.get_json()["failed"] == {"search": "the search index is 3 changes behind the database (at most 2)"}
        writer.rollback()
        del writer
        assert client.get("/health/ready").status_code == 200  # caught up by the probe itself
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_ready_builds_a_missing_index_without_waiting_for_it(app_config, tmp_path):
    app = _app(app_config, SEARCH_INDEX_DIR=str(tmp_path / "fresh-index"))
    try:
        client = app.test_client()
        resp = client.get("/health/ready")
        assert resp.status_code == 503
        assert resp.get_json()["failed"] == {"search": "the search index is being built"}
        _wait_for_build(app)
        assert (tmp_path / "fresh-index" / "CURRENT").exists()
        assert client.get("/health/ready").status_code == 200
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_a_rate_limit_storage_away_is_not_an_outage_and_ready_says_so(app_config):
    """RATELIMIT_STORAGE_URL at a Redis that does not answer: every API request and every sign-in answered 500
    while /health/ready said ok. Now each process counts in its own memory, and ready names the storage."""
    from tests.support.accounts import make_user, sign_in

    down = _app(app_config, RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{_closed_port()}/6", LOGIN_RATE_LIMIT="3/minute")
    try:
        client = down.test_client()
        assert client.get("/api/v1/datasets").status_code == 200
        assert client.get("/api/3/action/package_search").status_code == 200
        make_user(down, "ada@example.gov")
        assert sign_in(client, "ada@example.gov").status_code == 302
        refused = [sign_in(down.test_client(), "ada@example.gov", "wrong password!").status_code for _ in range(4)]
        assert refused == [401, 401, 401, 429]  # still limited, in this process's memory
        body = client.get("/health/ready").get_json()
        assert body["status"] == "error" and body["failed"]["rate_limits"].startswith("the rate-limit storage")
    finally:
        down.extensions["opendata"]["engine"].dispose()


def test_a_rate_limit_that_cannot_be_read_is_refused_at_start():
    from app import settings

    for name in ("API_RATE_LIMIT", "LOGIN_RATE_LIMIT"):
        with pytest.raises(ValueError, match="not a rate limit"):
            settings.load({f"OPENDATA_{name}": "ten per minute"})
    assert settings.load({"OPENDATA_API_RATE_LIMIT": "10/minute;100/hour"})["API_RATE_LIMIT"] == "10/minute;100/hour"
