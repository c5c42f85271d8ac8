"""Two server processes on one database: a change made through one is found by the other's search.

Each `opendata serve` process is a machine of its own here (its own instance folder, so its own search index);
they share the catalog database (SQLite file or PostgreSQL). A dataset created, retitled and deleted through
server A's CKAN API is found, found under its new title, and no longer found by server B's CKAN package_search,
/api/v1/datasets and search page. No timing is asserted: B is polled, with a generous timeout.
On PostgreSQL, B is gunicorn with two workers sharing one index folder (one writer at a time).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.services import accounts
from catalog_schema import db as dbmod
from catalog_schema.models import Publisher

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)  # each ask is a local request or three: 0.2 s between them was most of a wait
    raise AssertionError(f"timed out after {TIMEOUT:.0f} s waiting for {what}")


class Server:
    def __init__(self, db_url: str, instance: Path, workers: int = 1):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        instance.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
        env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(instance),
                    "OPENDATA_SECRET_KEY": "two-servers", "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                    "OPENDATA_SEARCH_REFRESH_SECONDS": "0.5", "OPENDATA_API_RATE_LIMIT": "100000 per minute",
                    "OPENDATA_LOG_LEVEL": "WARNING"})
        self.log = open(instance / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port),
                                      "--workers", str(workers), "--threads", "4"], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_up(self) -> Server:
        _wait_for(self._up, f"the server on port {self.port}")
        return self

    def _up(self) -> bool:
        assert self.proc.poll() is None, "the server ended"
        try:
            return requests.get(self.url + "/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its group: gunicorn's workers too
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=20)
        self.log.close()


@pytest.fixture
def servers(db_url, tmp_path):
    started = []

    def start(*specs: tuple[str, int]) -> list[Server]:
        """Servers started together (each starts in about 2 s, mostly importing), then waited for."""
        for name, workers in specs:
            started.append(Server(db_url, tmp_path / name, workers))
        return [server.wait_up() for server in started[-len(specs):]]

    yield start
    for server in started:
        server.stop()


def _token(db_url: str) -> str:
    engine = dbmod.make_engine(db_url)
    try:
        with dbmod.make_sessionmaker(engine)() as s:
            s.add(Publisher(slug="transport", name={"en": "Transport office", "zh": "交通局"}))
            s.flush()
            user = accounts.create_user(s, "ed@transport.example")
            accounts.grant(s, user, s.scalar(select(Publisher).where(Publisher.slug == "transport")), "editor")
            token = accounts.create_token(s, user, "test")
            s.commit()
    finally:
        engine.dispose()
    return token


def _ckan(server: Server, action: str, token: str | None = None, **params):
    if token:
        resp = requests.post(f"{server.url}/api/3/action/{action}", json=params, timeout=30,
                             headers={"Authorization": token})
    else:
        resp = requests.get(f"{server.url}/api/3/action/{action}", params=params, timeout=30)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()["result"]


def _found_everywhere(server: Server, q: str) -> set[str]:
    """The slugs `q` finds through B's three doors, when they agree (else nothing, and the poll goes on)."""
    ckan = {p["name"] for p in _ckan(server, "package_search", q=q, rows=100)["results"]}
    items = requests.get(f"{server.url}/api/v1/datasets", params={"q": q}, timeout=30).json()["items"]
    rest = {d["slug"] for d in items}
    page = requests.get(f"{server.url}/dataset", params={"q": q}, timeout=30).text
    return ckan if ckan == rest and all(f"/dataset/{slug}" in page for slug in ckan) else set()


def test_a_change_through_one_server_is_found_by_the_other(servers, db_url):
    workers_b = 1 if db_url.startswith("sqlite") else 2  # several worker processes are for PostgreSQL
    token = _token(db_url)
    a, b = servers(("machine-a", 1), ("machine-b", workers_b))
    assert _ckan(b, "package_search", q="ferry")["count"] == 0  # B has built its index before the change

    _ckan(a, "package_create", token, name="ferry-timetable", title="Ferry timetable", owner_org="transport",
          notes="Ferries between the islands.", tags=[{"name": "渡轮"}],
          resources=[{"url": "http://127.0.0.1:9/ferry.csv", "format": "CSV"}])
    assert _ckan(a, "package_search", q="ferry")["count"] == 1  # A: its own change, at once
    # B kept its answer to that search (catalog_schema.search keeps results per view of the index): no longer
    # once B's index caught up
    _wait_for(lambda: _ckan(b, "package_search", q="ferry")["count"] == 1, "B to answer its kept search anew")
    _wait_for(lambda: _found_everywhere(b, "ferries") == {"ferry-timetable"}, "B to find the new dataset")
    _wait_for(lambda: _found_everywhere(b, "渡轮") == {"ferry-timetable"}, "B to find it by its Chinese tag")
    if workers_b > 1:  # every worker answers from the caught-up index: ask a few times
        for _ in range(8):
            assert _ckan(b, "package_search", q="ferries")["count"] == 1

    _ckan(a, "package_patch", token, id="ferry-timetable", title="Hovercraft timetable")
    _wait_for(lambda: _found_everywhere(b, "hovercraft") == {"ferry-timetable"}, "B to find the new title")

    _ckan(a, "package_delete", token, id="ferry-timetable")
    _wait_for(lambda: _ckan(b, "package_search", q="hovercraft")["count"] == 0, "B to drop the deleted dataset")
