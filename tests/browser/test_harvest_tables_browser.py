"""The harvest status and source pages show a job's counts (added ... errors) on screen at 1366 px: the sources
table kept a publisher's long English name and a job's status on one line each, and the source's job table kept an
earlier job's error sentence on one line (1,779 px wide), so the counts sat off to the right of a desktop screen."""

from __future__ import annotations

import shutil

import pytest

from app.jobs import harvest
from catalog_schema.models import HarvestSource
from catalog_schema.store import ensure_publisher
from tests.browser.conftest import SIZES
from tests.support.wsgiserver import ServedApp

LONG_NAME = "Jinghai Municipal People's Government General Office of Statistical Information"


@pytest.fixture
def harvest_portal(runtime, tmp_path):
    folder = tmp_path / "tjj"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv", "d.csv", "e.csv"):
        (folder / name).write_text("year,value\n2023,1\n", "utf-8")
    with runtime.sessionmaker() as session:
        pub = ensure_publisher(session, {"slug": "jh-stats-info",
                                         "name": {"en": LONG_NAME, "zh": "京海市统计信息中心"}})
        session.add(HarvestSource(name="tjj-statistics-yearbook-tables", type="datapackage", url=str(folder),
                                  publisher=pub, config={}))
        session.commit()
    assert harvest(runtime, "tjj-statistics-yearbook-tables").status == "finished"
    shutil.rmtree(folder)  # the share is not mounted: the job fails with a sentence
    assert harvest(runtime, "tjj-statistics-yearbook-tables").status == "failed"
    folder.mkdir()
    (folder / "a.csv").write_text("year,value\n2023,1\n", "utf-8")  # four of five gone: held back
    assert harvest(runtime, "tjj-statistics-yearbook-tables").status == "needs-confirmation"
    from app import create_app

    app = create_app({**runtime.settings, "SECRET_KEY": "browser-tests"})
    served = ServedApp(app, threads=2, ident="opendata-test")
    yield served.url
    served.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_harvest_tables_show_their_counts_on_a_desktop(browser, harvest_portal, size):
    for lang in ("zh-CN", "en"):
        context = browser.new_context(base_url=harvest_portal, viewport=SIZES[size], locale=lang)
        page = context.new_page()
        for path, table in (("/harvest", "sources-table"), ("/harvest/source/tjj-statistics-yearbook-tables",
                                                              "jobs-table")):
            page.goto(path)
            scroll, client = page.evaluate("""t => { const box = document.getElementById(t).parentElement;
                return [box.scrollWidth, box.clientWidth]; }""", table)
            limit = client + 1 if size == "desktop" else 1000
            cells = page.evaluate("""t => [...document.querySelectorAll(`#${t} thead th`)]
                .map(e => [Math.round(e.getBoundingClientRect().width), e.textContent.trim().slice(0, 30)])""", table)
            assert scroll <= limit, f"{size} {lang} {path} {table}: {scroll} px in a box of {client}: {cells}"
        context.close()
