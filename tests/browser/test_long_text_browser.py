"""What a page quotes from a source fits the screen: a harvest job's long error line (a metadata sheet row with
several problems), a finding that quotes a percent-encoded file address, and a title or keyword with no place to
break wrap instead of widening the page, on a phone and on a desktop (seen on the job, source, search and dataset
pages of a folder of Chinese file names)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.jobs import assess, harvest
from catalog_schema.models import Dataset, HarvestJob
from tests.browser.conftest import SIZES
from tests.support.wsgiserver import ServedApp

LONG = "Trade_" + "statistics_by_HS_code_" * 15  # a title with no place to break
SHEET = ("文件,标题,许可协议,时间范围,关键词\n"
         "分区常住人口统计表（按街道和社区划分）.csv,分区常住人口,京海市开放许可协议第二版,2023-2020,人口\n"
         f"trade.csv,{LONG},CC-BY-4.0,,{LONG.lower()}\n")


@pytest.fixture
def folder_portal(runtime, add_source, tmp_path):
    folder = tmp_path / "tjj"
    folder.mkdir()
    (folder / "分区常住人口统计表（按街道和社区划分）.csv").write_text("区,人口\n东城区,410000\n", "utf-8")
    (folder / "trade.csv").write_text("year,value\n2023,1\n", "utf-8")
    (folder / "metadata.csv").write_text(SHEET + "不存在的文件（二〇二三年度统计公报附表）.csv,不存在,,\n", "utf-8")
    add_source("tjj", "datapackage", str(folder))  # no base_url: the files' addresses are file:// URLs
    summary = harvest(runtime, "tjj")
    assert summary.errored == 2 and summary.added == 2
    with runtime.sessionmaker() as session:
        ids = list(session.scalars(select(Dataset.id)))
        job = session.scalar(select(HarvestJob.id))
        slugs = list(session.scalars(select(Dataset.slug).order_by(Dataset.slug)))
    assess(runtime, ids)
    from app import create_app

    app = create_app({**runtime.settings, "SECRET_KEY": "browser-tests"})
    served = ServedApp(app, threads=2, ident="opendata-test")
    yield served.url, [f"/harvest/job/{job}", "/harvest/source/tjj", "/dataset?q=Trade",
                       *(f"/dataset/{slug}" for slug in slugs)]
    served.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_long_quoted_text_wraps_on_a_phone(browser, folder_portal, size):
    base, paths = folder_portal
    for lang in ("zh-CN", "en"):
        context = browser.new_context(base_url=base, viewport=SIZES[size], locale=lang)
        page = context.new_page()
        for path in paths:
            page.goto(path)
            over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            culprits = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 50))""")
            assert over <= 0, (size, lang, path, over, culprits)
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_dashboard_tables_fit_a_desktop_and_stay_readable_on_a_phone(browser, folder_portal, size):
    """The broken-links list was a 2,549 px table on a 1366 px screen (its failure history off screen) and 2,003 px
    on a phone: every cell kept on one line. Text cells wrap now."""
    base, _paths = folder_portal
    for lang in ("zh-CN", "en"):
        context = browser.new_context(base_url=base, viewport=SIZES[size], locale=lang)
        page = context.new_page()
        for path in ("/dashboard", "/dashboard/finding/link-broken"):
            page.goto(path)
            widths = page.evaluate("""() => [...document.querySelectorAll('.usa-table-container--scrollable')]
                .map(e => [e.querySelector('table') && e.querySelector('table').id, e.scrollWidth, e.clientWidth])""")
            assert widths, path
            for table, scroll, client in widths:
                limit = client + 1 if size == "desktop" else 1200
                cells = page.evaluate("""t => [...document.querySelectorAll(`#${t} tbody tr:first-child > *`)]
                    .map(e => [Math.round(e.getBoundingClientRect().width), e.textContent.trim().slice(0, 30)])""",
                                      table)  # (what the first row's cells take, when it does not fit)
                assert scroll <= limit, f"{size} {lang} {path} {table} {scroll} {client} {cells}"
        context.close()
