"""The portal served for real to Debian's chromium: the demo catalog, waitress, Playwright.

Why built once and copied: harvesting and assessing the samples takes seconds, and pytest-xdist may
run browser tests in several workers. The first worker builds the SQLite catalog and its archive under
a lock in the run's shared temporary directory; every worker copies the database file (pages count
views, and two servers writing one SQLite file would wait on each other) and serves its copy with
waitress on a free 127.0.0.1 port. Chromium is Debian's (`make browser`), never a Playwright download.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.support import services
from tests.support.wsgiserver import ServedApp

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ASSESSED_AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build(dest: Path) -> None:
    """Harvest the samples from a local files server, assess them twice a week apart (trends), catalog checks."""
    from sqlalchemy import select

    from app import settings as settings_mod
    from app.assessment import assess_datasets, run_catalog_checks
    from app.demo import SAMPLES, load_samples, make_demo_series, serve_files
    from app.jobs import Runtime
    from app.services.usage import record_usage
    from catalog_schema.db import upgrade
    from catalog_schema.models import Dataset

    url = f"sqlite:///{dest / 'catalog.db'}"
    upgrade(url)
    values = settings_mod.load()
    values.update({"DATABASE_URL": url, "ALLOW_HOSTS": ["127.0.0.1"], "ASSESS_AFTER_HARVEST": False,
                   "HTTP_TIMEOUT": 5.0, "HTTP_RETRIES": 1,
                   "INSTANCE_DIR": str(dest / "instance"), "ARCHIVE_DIR": str(dest / "archive")})
    port = _free_port()
    files = serve_files(SAMPLES / "files", port)
    rt = Runtime(values)
    try:
        summaries = load_samples(rt, port=port)
        assert all(s["status"] == "finished" for s in summaries.values()), summaries
        with rt.sessionmaker() as session:
            ids = list(session.scalars(select(Dataset.id)))
        assess_datasets(rt, ids, now=ASSESSED_AT - dt.timedelta(days=7))
        assess_datasets(rt, ids, now=ASSESSED_AT)
        run_catalog_checks(rt)
        assert make_demo_series(rt)  # bus ridership by month as a series, as `opendata demo` makes it
        with rt.sessionmaker() as session:
            bus = session.scalar(select(Dataset.id).where(Dataset.slug == "bus-stops"))
            record_usage(session, bus, "download", n=12)
            session.commit()
    finally:
        rt.close()
        files.shutdown()
    (dest / "ready").write_text("ok")


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory) -> Path:
    """The directory holding the built catalog.db and archive/, built by one worker for all."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent / f"browser-catalog-{run}" if run else base / "browser-catalog"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "ready").exists():
                _build(shared)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return shared


@pytest.fixture(scope="session")
def portal(demo_catalog, tmp_path_factory) -> str:
    """Base URL of the app, served by waitress on this worker's copy of the demo catalog."""
    from app import create_app

    mine = tmp_path_factory.mktemp("portal")
    shutil.copy(demo_catalog / "catalog.db", mine / "catalog.db")
    application = create_app({"DATABASE_URL": f"sqlite:///{mine / 'catalog.db'}", "INSTANCE_DIR": str(mine),
                              "ARCHIVE_DIR": str(demo_catalog / "archive"), "SECRET_KEY": "browser-tests",
                              "ALLOW_HOSTS": ["127.0.0.1"]})
    served = ServedApp(application, threads=4, ident="opendata-test")
    yield served.url
    served.close()
    application.extensions["opendata"]["engine"].dispose()


@pytest.fixture(scope="session")
def browser():
    # One chromium per xdist worker for the whole run: launching and closing it costs about 0.8 s of CPU, and
    # 15 modules use it. While playwright's sync API runs, this thread has a running asyncio loop: code that
    # later calls asyncio.run() on it must run its loop in a thread of its own (bench.load.drive does).
    if not CHROMIUM.exists() or not os.access(CHROMIUM, os.X_OK):
        services.missing("chromium (/usr/bin/chromium; `make browser` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, portal):
    context = browser.new_context(base_url=portal, viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                  locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


#: The two widths every page must work at: a phone's and a laptop's.
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=[(size, lang) for size in SIZES for lang in ("zh-CN", "en")], ids=lambda p: f"{p[0]}-{p[1]}")
def sized_page(request, browser, portal):
    """(size, locale, page) for each of the two widths in Chinese and in English, on the demo portal."""
    size, lang = request.param
    context = browser.new_context(base_url=portal, viewport=SIZES[size], locale=lang)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield size, lang, pg
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
