"""/metrics in Prometheus' format, parsed with prometheus-client's own parser; under gunicorn with two workers
the request counts add up whichever worker answers, and failed sign-ins counted in Redis are refused by both."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.services import datasets, distributions
from app.services.context import Actor, Runtime
from catalog_schema import db as dbmod
from catalog_schema.models import HarvestJob, HarvestSource, User
from tests.support import services
from tests.support.accounts import make_user
from tests.support.personal import csv_bytes

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = "redis://127.0.0.1:6379/9"  # this module's own: the shared rate-limit counters


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_by_kind_and_read_the_catalog(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    table = csv_bytes(["站点", "人数"], [["人民广场", "12"]])
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@a.example").one()
            actor = Actor(s, user, "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, "agency-a", {"title": "Stops", "license": "CC-BY-4.0"}, slug="stops")
            distributions.add_upload(actor, ds, io.BytesIO(table), "stops.csv")
            datasets.publish(actor, ds)
            source = HarvestSource(name="city", type="ckan", url="http://127.0.0.1:1/")
            s.add(source)
            s.flush()
            now = dt_now()
            s.add(HarvestJob(source_id=source.id, status="finished", added=90, updated=10, started_at=now,
                             finished_at=now + __import__("datetime").timedelta(seconds=4)))
            s.commit()
    finally:
        runtime.close()
    before = _samples(client.get("/metrics").get_data(as_text=True))
    for _ in range(3):
        assert client.get("/dataset?lang=en").status_code == 200
    assert client.get("/dataset/no-such").status_code == 404
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain" and resp.headers["Cache-Control"] == "no-store"
    # the header as prometheus-client gives it, each parameter once (Prometheus 3 refuses one named twice)
    params = [p.split("=")[0].strip() for p in resp.headers["Content-Type"].split(";")[1:]]
    assert sorted(params) == ["charset", "version"], resp.headers["Content-Type"]
    got = _samples(resp.get_data(as_text=True))
    assert _value(got, "opendata_database_up") == 1
    key = {"kind": "reads", "endpoint": "datasets.index", "status": "200"}
    assert _value(got, "opendata_http_requests_total", **key) - _value(before, "opendata_http_requests_total",
                                                                       **key) == 3
    assert _value(got, "opendata_http_requests_total", kind="reads", endpoint="datasets.show", status="404") >= 1
    # the CKAN Action API's one route: each request the kind of its action (every read was counted a write); the
    # counters are the process's, other tests' requests in them too: compared before and after
    ckan = {"endpoint": "api_ckan_action.action"}
    before = _samples(client.get("/metrics").get_data(as_text=True))
    assert client.get("/api/3/action/package_search?rows=1").status_code == 200
    refused = client.post("/api/3/action/package_create", json={"name": "x"}).status_code  # no key: refused
    got = _samples(client.get("/metrics").get_data(as_text=True))

    def grew(kind: str, status) -> float:
        return (_value(got, "opendata_http_requests_total", kind=kind, status=str(status), **ckan)
                - _value(before, "opendata_http_requests_total", kind=kind, status=str(status), **ckan))

    assert (grew("reads", 200), grew("writes", 200), grew("writes", refused)) == (1, 0, 1)
    assert _value(got, "opendata_http_request_duration_seconds_count", kind="reads") >= 4
    assert _value(got, "opendata_datasets", state="active") == 1
    assert _value(got, "opendata_harvest_jobs", status="finished") == 1
    assert _value(got, "opendata_harvest_records_per_second", source="city") == pytest.approx(25.0)
    assert _value(got, "opendata_archive_bytes") == len(table)
    assert _value(got, "opendata_search_index_lag") == 0
    assert _value(got, "opendata_search_index_documents") == 1


def test_metrics_without_a_database_still_answer_with_the_request_counters(tmp_path):
    from app import create_app

    # a PostgreSQL address where nothing listens: connecting is refused at once
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody:x@127.0.0.1:9/none",
                      "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test-secret", "TESTING": True})
    try:
        client = app.test_client()
        assert client.get("/health/live").status_code == 200
        resp = client.get("/metrics")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        got = _samples(resp.get_data(as_text=True))  # the whole answer parses
        assert _value(got, "opendata_database_up") == 0
        assert _value(got, "opendata_http_requests_total", kind="reads", endpoint="health.live", status="200") >= 1
        assert not any(name == "opendata_datasets" for name, _labels in got)
    finally:
        app.extensions["opendata"]["engine"].dispose()


def dt_now():
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def test_metrics_can_want_a_token_or_be_off(app, client):
    app.config["OPENDATA"]["METRICS_TOKEN"] = "s3cret"
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "Authorization" in refused.headers["Vary"]  # the figures, with the token
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    figures = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert figures.status_code == 200 and "Authorization" in figures.headers["Vary"]
    assert figures.headers["Cache-Control"] == "private, no-store"
    app.config["OPENDATA"]["METRICS_ENABLED"] = False
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 404


def test_two_gunicorn_workers_add_up_their_metrics_and_share_the_sign_in_limit(postgres_master_url, tmp_path):
    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    redis.Redis.from_url(REDIS_DB).flushdb()
    engine = dbmod.make_engine(postgres_master_url)
    with dbmod.make_sessionmaker(engine)() as s:  # an account whose password nobody will guess
        from app.services import accounts

        accounts.create_user(s, f"{uuid.uuid4().hex[:8]}@metrics.example", password="not-this-one")
        s.commit()
    engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENDATA_", "PROMETHEUS_"))}
    env.update(OPENDATA_DATABASE_URL=postgres_master_url, OPENDATA_INSTANCE_DIR=str(tmp_path / "instance"),
               OPENDATA_SECRET_KEY="metrics", OPENDATA_RATELIMIT_STORAGE_URL=REDIS_DB,
               OPENDATA_LOGIN_RATE_LIMIT="10 per minute", OPENDATA_LOG_LEVEL="WARNING",
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"))
    (tmp_path / "prometheus").mkdir()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2",
                             "--threads", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _up(url, proc))
        def live_count() -> float:
            text = requests.get(f"{url}/metrics", timeout=10, headers={"Connection": "close"}).text
            return _value(_samples(text), "opendata_http_requests_total", kind="reads", endpoint="health.live",
                          status="200")

        before = live_count()  # 0: nothing asked /health/live yet
        for _ in range(20):
            assert requests.get(f"{url}/health/live", timeout=10, headers={"Connection": "close"}).ok
        # an idle worker may take every request: replace the workers (gunicorn starts new ones), so the
        # counts live in files of several processes, old and new, and the scrape must add them up
        old = _children(proc.pid)
        for pid in old:
            os.kill(pid, signal.SIGTERM)
        _wait(lambda: len(_children(proc.pid) - old) == 2 and _up(url, proc))
        for _ in range(20):
            assert requests.get(f"{url}/health/live", timeout=10, headers={"Connection": "close"}).ok
        counts = {live_count() - before for _ in range(6)}  # every scrape sees the sum, whichever worker answers
        assert counts == {40.0}
        writers = {p.name.rsplit("_", 1)[1] for p in (tmp_path / "prometheus").glob("counter_*.db")}
        assert len(writers) >= 2, writers  # requests counted by several processes, added up by every scrape
        # ten failed sign-ins, on new connections, then the eleventh is refused whichever worker takes it
        statuses = []
        for i in range(12):
            with requests.Session() as one:
                page = one.get(f"{url}/login", timeout=10)
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                statuses.append(one.post(f"{url}/login", data={"email": "nobody@metrics.example",
                                                                "password": f"guess-{i}", "csrf_token": token},
                                         timeout=10).status_code)
        assert statuses[:10] == [401] * 10, statuses
        assert statuses[10:] == [429, 429], statuses
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        log.close()


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's workers under its master)."""
    out = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            out.add(int(status.parent.name))
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _up(url: str, proc) -> bool:
    assert proc.poll() is None, "the server ended"
    try:
        return requests.get(url + "/health/ready", timeout=5).status_code == 200  # not the counted probe
    except requests.RequestException:
        return False


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
