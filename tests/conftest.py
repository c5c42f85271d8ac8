"""Shared fixtures: the catalog database on SQLite and on PostgreSQL, the app, local servers.

Database tests take the `db_url` fixture and run twice, once per backend. The
PostgreSQL run uses a database of its own per xdist worker (created here, dropped
at the end) on the server named by OPENDATA_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.jobs import Runtime
from app.services.base import guard_writes
from app.settings import load as load_settings
from catalog_schema import db as dbmod
from catalog_schema import search
from catalog_schema.models import Base
from tests.support import astlock, netguard, services
from tests.support.httpserver import LocalServer
from tests.support.snapshots import Snapshot, Snapshots

# A full garbage collection walks every object alive, and the suite's bursts of allocation (RDF graphs, catalogs
# of records, parsed tables) set one off every ten young passes: 41 full passes, 3.6 of 33 s CPU, in four of its
# modules. One full pass per hundred young ones (cyclic garbage still goes in the young passes) took that to 5
# and 1.7 s there; the peak RSS rose to 610 MB from 561.
gc.set_threshold(700, 10, 100)
netguard.install()
astlock.install()  # CPython 3.11: two threads in the AST converter at once raise SystemError
guard_writes(Session)  # during a request, catalog rows change only inside app/services

FIXTURES = Path(__file__).parent / "fixtures"

# A checkout where `make demo` ran holds instance/settings.env (its loopback allowed, its site URL), which
# app.settings.load reads under the environment: the suite does not run with the demo's settings.
if "OPENDATA_INSTANCE_DIR" not in os.environ and (Path.cwd() / "instance" / "settings.env").exists():
    os.environ["OPENDATA_INSTANCE_DIR"] = tempfile.mkdtemp(prefix="opendata-tests-instance-")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_master_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'catalog.db'}"
    dbmod.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_master_url() -> str:
    with services.postgres_database(f"opendata_test_{_worker()}_{os.getpid()}") as url:
        dbmod.upgrade(url)
        yield url


_engines: dict[str, object] = {}


def _truncate(url: str) -> None:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = dbmod.make_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if url.startswith("sqlite"):
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
            conn.execute(text("DELETE FROM search_changes"))
        else:
            # A connection a previous test left "idle in transaction" (an abandoned streamed response, a
            # server thread) would make the deletes wait for ever: end them first, and never wait long.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            # DELETE, not TRUNCATE: a test's few rows go in milliseconds, where TRUNCATE gives each of the
            # ~30 tables and their indexes new files (0.25-0.45 s a test, 500 PostgreSQL tests a run).
            conn.execute(text("; ".join(f'DELETE FROM "{t}"' for t in [*tables, "search_changes"])))
            used = conn.execute(text("SELECT sequencename FROM pg_sequences "
                                     "WHERE schemaname = 'public' AND last_value IS NOT NULL")).scalars().all()
            if used:  # ids start at 1 again, as TRUNCATE ... RESTART IDENTITY did (one round trip for them all)
                conn.execute(text("; ".join(f'ALTER SEQUENCE "{seq}" RESTART' for seq in used)))
    search.forget(url)  # the rows went behind the gate's back: this process's index of them goes too


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """The catalogs this module's tests build once and copy (see tests/support/snapshots.py)."""
    store = Snapshots(tmp_path_factory.mktemp("snapshots"))
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, snapshots, tmp_path_factory) -> str:
    """An empty, migrated catalog database: once on SQLite, once on PostgreSQL.

    A test that takes `snapshot` gets a copy of its module's saved catalog instead, once one is saved."""
    fixture = "sqlite_master_url" if request.param == "sqlite" else "postgres_master_url"
    url = request.getfixturevalue(fixture)
    if "snapshot" in request.fixturenames and snapshots.has(request.param):
        # a folder of its own, not the test's tmp_path: tests check what lands in theirs
        yield snapshots.copy(request.param, url, tmp_path_factory.mktemp("catalog"))
        return
    _truncate(url)
    yield url


@pytest.fixture
def snapshot(snapshots, db_url) -> Snapshot:
    """`snapshot.once(build)`: build the module's catalog in the first test, copy it for the others."""
    return Snapshot(snapshots, db_url)


@pytest.fixture
def engine(db_url):
    eng = dbmod.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    factory = dbmod.make_sessionmaker(engine)
    with factory() as s:
        yield s


@pytest.fixture
def app_config(db_url, tmp_path) -> dict:
    return {
        "DATABASE_URL": db_url,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "ARCHIVE_DIR": str(tmp_path / "archive"),
        "SECRET_KEY": "test-secret",
        "ALLOW_HOSTS": ["127.0.0.1"],
        "HTTP_RETRIES": 0,  # a link check of a dead test address fails at once (retries: tests/plumbing)
        "TESTING": True,
    }


@pytest.fixture
def app(app_config):
    from app import create_app

    application = create_app(app_config)
    application.config["TESTING"] = True
    yield application
    application.extensions["opendata"]["engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def openapi(client):
    """The REST API's OpenAPI document as the app serves it (tests/support/openapi.validate_against reads it)."""
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


@pytest.fixture
def served(app):
    """The app served for real by waitress on a port of 127.0.0.1 (two threads), its SITE_URL that address: for a
    real client (ckanapi's RemoteCKAN) over a socket."""
    from tests.support.wsgiserver import ServedApp

    server = ServedApp(app, threads=2)
    app.config["OPENDATA"]["SITE_URL"] = server.url
    yield server
    server.close()


@pytest.fixture
def local_server():
    """A real HTTP server on 127.0.0.1 (random port) with programmable routes."""
    with LocalServer() as srv:
        yield srv


# --- harvest and assessment runtime on the test database ---------------------------


@pytest.fixture
def runtime(db_url, tmp_path):
    values = load_settings({})
    # No assessment after harvests unless a test asks: fixture records name real remote URLs.
    # Retries on, as in production, but 10 ms before the first (not 0.5 s): a local server's 5xx or closed port is
    # retried at once (the pace of the backoff is tests/plumbing/test_http.py's to check).
    values.update({"DATABASE_URL": db_url, "ALLOW_HOSTS": ["127.0.0.1"], "HTTP_TIMEOUT": 5.0, "HTTP_RETRIES": 2,
                   "HTTP_BACKOFF": 0.01, "ASSESS_AFTER_HARVEST": False,
                   "INSTANCE_DIR": str(tmp_path), "ARCHIVE_DIR": str(tmp_path / "archive")})
    rt = Runtime(values)
    yield rt
    rt.close()


@pytest.fixture
def add_source(runtime):
    from catalog_schema.models import HarvestSource
    from catalog_schema.store import ensure_publisher

    def add(name: str, type_: str, url: str, publisher: str | None = None, config: dict | None = None):
        with runtime.sessionmaker() as session:
            pub = ensure_publisher(session, {"slug": publisher, "name": {"": publisher}}) if publisher else None
            session.add(HarvestSource(name=name, type=type_, url=url, publisher=pub, config=config or {}))
            session.commit()
        return name

    return add


# --- the order in which xdist hands out the files ------------------------------------------------------

# Files whose tests run for many seconds each (Celery workers, browsers, gunicorn, restarted servers). xdist's
# own order puts files with many tests first, so these few-test files came last and a run ended with one worker
# still busy for most of a minute while the others had nothing left. Longest first (from a `--durations=0` run),
# and the ones that mostly wait (on a Celery worker, a restarted Redis or PostgreSQL, a killed process) between
# ones that keep a core busy: xdist hands the files out in this order as workers run low, and with the three
# waiting files first all three workers waited at once while the cores sat idle. A file missing from this list
# only makes the tail longer, never a test wrong.
LONG_FILES_FIRST = (
    # measured 2026-12-07 14:25-14:50 (seconds of setup + call + teardown under a load of 5 to 14: about 2.4
    # times a quiet machine's): ckan_action 205, exports 158, distributed 157, gate_matrix 108, layout 106,
    # faults 93, accessibility 88 and accessibility_phone 85 (test_browser.py's two widths, 215 s as one file)
    "tests/app/test_ckan_action.py",
    "tests/distributed/test_distributed.py",  # waits
    "tests/app/test_exports.py",
    "tests/distributed/test_faults.py",  # waits
    "tests/app/test_gate_matrix.py",
    "tests/browser/test_layout.py",
    "tests/harvesters/test_processes.py",  # waits
    "tests/browser/test_accessibility.py",
    "tests/browser/test_accessibility_phone.py",
    "tests/browser/test_revoke_browser.py",
    "tests/app/test_datastore.py",
    "tests/bench/test_load.py",
    "tests/browser/test_form_draft_browser.py",
    "tests/harvesters/test_source_errors.py",
    "tests/app/test_dashboard.py",
    "tests/app/test_publish_form.py",
    "tests/app/test_gate_descriptions.py",
    "tests/corpus/test_corpus.py",
    "tests/browser/test_agency_journey.py",
    "tests/app/test_search_servers.py",  # waits
    "tests/browser/test_two_person_browser.py",
    "tests/app/test_pages.py",
    "tests/app/test_personal_names_at_rest.py",
    "tests/browser/test_publish_form_browser.py",
    "tests/browser/test_browser.py",
    "tests/app/test_recheck.py",  # waits
    "tests/app/test_backup.py",
    "tests/app/test_metrics.py",
    "tests/app/test_dbcopy.py",
    "tests/browser/test_accounts_browser.py",
)


def pytest_collection_modifyitems(config, items):
    """Files in LONG_FILES_FIRST first, in its order; then the others, most tests first (what xdist does
    unless told `--no-loadscope-reorder`, which `make test` tells it so that this order stands). Tests keep
    their order within a file."""
    by_file: dict[str, list] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rank = {name: i for i, name in enumerate(LONG_FILES_FIRST)}
    order = sorted(by_file, key=lambda name: (rank.get(name, len(rank)), -len(by_file[name])))
    items[:] = [item for name in order for item in by_file[name]]
