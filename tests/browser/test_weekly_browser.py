"""An official reads the weekly evaluation in a real browser and follows a finding to its datasets.

On a copy of the browser tests' demo catalog (assessed in weeks 2026-W47 and 2026-W48) with both weeks'
reports made by the service, served by waitress: the official opens the weekly evaluation, opens one
publisher's report, follows the first thing to fix to the datasets it concerns, and opens one of them; on a
phone (390x844) and a laptop (1366x900), in Chinese and English, and no page of the walk scrolls sideways.
"""

from __future__ import annotations

import shutil

import pytest

from tests.support.wsgiserver import ServedApp

pytestmark = pytest.mark.browser

SIZES = ((390, 844), (1366, 900))
LANGS = (("zh_CN", "zh-CN", "每周评估：", "京海市人民政府办公厅"),
         ("en", "en", "Weekly evaluation: ", "General Office of Jinghai Municipal People's Government"))
_SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def weekly_portal(demo_catalog, tmp_path_factory):
    from app import create_app
    from app.services.weekly import evaluate_week
    from app.weekly import week_end

    mine = tmp_path_factory.mktemp("weekly-portal")
    shutil.copy(demo_catalog / "catalog.db", mine / "catalog.db")
    application = create_app({"DATABASE_URL": f"sqlite:///{mine / 'catalog.db'}", "INSTANCE_DIR": str(mine),
                              "ARCHIVE_DIR": str(demo_catalog / "archive"), "SECRET_KEY": "browser-tests",
                              "ALLOW_HOSTS": ["127.0.0.1"]})
    with application.extensions["opendata"]["sessionmaker"]() as session:
        for week in ("2026-W47", "2026-W48"):
            evaluate_week(session, week, now=week_end(week))
        session.commit()
    served = ServedApp(application, threads=4, ident="opendata-test")
    yield served.url
    served.close()
    application.extensions["opendata"]["engine"].dispose()


def _no_sideways_scroll(page, where: str) -> None:
    assert page.evaluate(_SIDEWAYS) <= 0, f"{where} scrolls sideways by {page.evaluate(_SIDEWAYS)} px"


# The journey test (test_agency_journey.py) walks zh on a phone and en on a laptop; this walks the other two.
@pytest.mark.parametrize(("width", "height", "lang", "html_lang", "heading", "publisher"),
                         [(1366, 900, *LANGS[0]), (390, 844, *LANGS[1])])
def test_an_official_reads_the_weekly_report_and_follows_a_finding(browser, weekly_portal, screenshots, width,
                                                                   height, lang, html_lang, heading, publisher):
    context = browser.new_context(base_url=weekly_portal, viewport={"width": width, "height": height},
                                  locale=html_lang)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"/dashboard?lang={lang}")
        page.locator('a[href="/dashboard/weekly"]').first.click()
        page.wait_for_url("**/dashboard/weekly")
        assert page.locator("html").get_attribute("lang") == html_lang
        assert page.locator("h1").inner_text().strip() == f"{heading}2026-W48"  # the language's colon
        _no_sideways_scroll(page, "the weekly evaluation")
        row = page.locator('#weekly-table tr[data-publisher="jh-gov-office"] th a')
        assert row.inner_text().strip() == publisher  # a name, not a slug
        row.click()
        page.wait_for_url("**/dashboard/weekly/2026-W48/jh-gov-office")
        assert publisher in page.locator("h1").inner_text()
        _no_sideways_scroll(page, "the publisher's report")
        assert page.locator("#change h2").is_visible()
        page.screenshot(path=str(screenshots / f"weekly-report-{lang}-{width}.png"), full_page=True)

        first = page.locator("#fix-first-list li").first
        assert first.get_attribute("data-severity") == "error"  # the most severe first
        finding_type = first.get_attribute("data-type")
        first.locator(f'a[href^="/dashboard/finding/{finding_type}"]').click()
        page.wait_for_url(f"**/dashboard/finding/{finding_type}?publisher=jh-gov-office")
        _no_sideways_scroll(page, "the finding's datasets")
        rows = page.locator("#finding-datasets-table tbody tr[data-slug]")
        assert rows.count() >= 1
        slugs = rows.evaluate_all("rows => rows.map(r => r.dataset.slug)")
        assert len(slugs) == len(set(slugs))  # each dataset once
        assert all(cell.strip() == publisher for cell in page.locator(
            "#finding-datasets-table tbody tr td:nth-of-type(1)").all_inner_texts())
        page.screenshot(path=str(screenshots / f"weekly-finding-{lang}-{width}.png"), full_page=True)
        rows.first.locator("th a").click()
        page.wait_for_url(f"**/dataset/{slugs[0]}")
        assert page.locator("h1").count() == 1
    finally:
        context.close()
