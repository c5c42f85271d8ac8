"""The whole journey of issue 17 in one browser walk: an agency admin invites a clerk by e-mail; the clerk
follows the e-mail's link, chooses a password, publishes a dataset scoring 405 of 405 metadata points; a file
with personal data is published only after one admin asks for an override and a second admin confirms it (the
two-person rule); the week's evaluation is made and an official reads it and follows a finding to its datasets.
In Chinese on a phone (390x844) and in English on a laptop (1366x900); no page of the walk scrolls sideways.
The pieces are walked in all four combinations by test_accounts_browser, test_publish_form_browser,
test_two_person_browser and test_weekly_browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.walks import fill_every_scored_field
from tests.support.portals import new_dataset, signed_in_page, upload
from tests.support.publishing import CLEAN_CSV, PII_CSV
from tests.support.smtp import SmtpServer
from tests.support.wsgiserver import ServedApp

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
LINK = re.compile(r"http://127\.0\.0\.1:\d+/invitation/[A-Za-z0-9_-]+")
CLERK_PASSWORD = "population tables every january"


@pytest.fixture
def journey_portal(tmp_path):
    from app import create_app
    from catalog_schema.db import upgrade
    from tests.support.accounts import make_user

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    with SmtpServer() as smtp:
        application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "journey",
                                  "ARCHIVE_DIR": str(tmp_path / "archive"), "ALLOW_HOSTS": ["127.0.0.1"],
                                  "PII_OVERRIDE_SECOND_ADMIN": True, **smtp.settings()})
        make_user(application, "director@stats.example.gov", admin_of="jh-stats")
        make_user(application, "deputy@stats.example.gov", admin_of="jh-stats")
        served = ServedApp(application, threads=2, ident="opendata-test")
        base = served.url
        application.config["OPENDATA"]["SITE_URL"] = base
        yield base, smtp, application
        served.close()
        application.extensions["opendata"]["engine"].dispose()


def _flat(page, where: str) -> None:
    over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert over <= 0, f"{where} scrolls sideways by {over} px"


@pytest.mark.parametrize(("lang", "size"), [("zh_CN", "phone"), ("en", "laptop")])
def test_from_invitation_to_405_points_an_override_and_the_weekly_report(browser, journey_portal, lang, size):
    from tests.support.accounts import PASSWORD

    base, smtp, application = journey_portal
    zh = lang == "zh_CN"
    contexts = [browser.new_context(base_url=base, viewport=SIZES[size], locale="zh-CN" if zh else "en-GB")
                for _ in range(3)]
    director_ctx, clerk_ctx, deputy_ctx = contexts
    try:
        # 1. the director invites the clerk; the clerk follows the e-mail's link and chooses a password
        director = signed_in_page(director_ctx, "director@stats.example.gov", PASSWORD, f"?lang={lang}")
        director.fill("#invite-email", "clerk@stats.example.gov")
        director.select_option("#invite-role", "editor")
        director.click("#invite-form button[type=submit]")
        director.wait_for_selector("#invite-sent")  # the answer page may still be loading when click returns
        assert director.locator("#invite-sent").count() == 1
        _flat(director, "the account page")
        [mail] = [m for m in smtp.messages if m["To"] == "clerk@stats.example.gov"]
        link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
        clerk = clerk_ctx.new_page()
        clerk.set_default_timeout(20000)
        clerk.goto(f"{link}?lang={lang}")
        clerk.fill("#invite-name", "小李" if zh else "Li")
        clerk.fill("#new-password", CLERK_PASSWORD)
        clerk.fill("#new-password2", CLERK_PASSWORD)
        clerk.click("#accept-button")
        clerk.wait_for_url("**/account")  # the welcome rides in the session, not the address
        _flat(clerk, "the welcome page")

        # 2. the clerk publishes a dataset scoring 405 of 405
        clerk.goto(f"/publish?lang={lang}")
        new_dataset(clerk, "人口统计 2024" if zh else "Population by district 2024", "population-2024")
        upload(clerk, CLEAN_CSV, "各区人口" if zh else "Population per district")
        fill_every_scored_field(clerk, contact_name="统计局数据科", contact_email="data@stats.jinhua.gov.cn")
        clerk.click("#save-metadata")
        clerk.wait_for_selector("#flash-success")
        assert clerk.locator("#metadata-points").inner_text() == "405"
        clerk.click("#publish-button")
        clerk.wait_for_selector("#flash-success")
        _flat(clerk, "the publish page")
        clerk.screenshot(path=str(SCREENSHOTS / f"journey-405-{lang}-{size}.png"), full_page=False)

        # 3. a file with personal data: the director asks for an override, the deputy confirms and publishes
        clerk.goto(f"/publish?lang={lang}")
        new_dataset(clerk, "热线受理记录" if zh else "Hotline calls", "hotline-calls")
        upload(clerk, PII_CSV)
        assert clerk.locator("#publish-button").is_disabled()  # blocked, and the button says so
        director.goto(f"/publish/hotline-calls?lang={lang}")
        director.fill("#override-reason", "The numbers are the offices' public hotline lines.")
        director.click("#override-form button[type=submit]")
        director.wait_for_selector("#pii-override-pending")
        assert director.locator("#override-form").count() == 0  # no confirming one's own request
        assert director.locator("#publish-button").is_disabled()
        deputy = signed_in_page(deputy_ctx, "deputy@stats.example.gov", PASSWORD, f"?lang={lang}")
        deputy.goto(f"/publish/hotline-calls?lang={lang}")
        deputy.fill("#override-reason", "Checked with the data protection officer.")
        deputy.click("#override-form button[type=submit]")
        deputy.wait_for_selector("#pii-override")
        deputy.click("#publish-button")
        deputy.wait_for_selector("#flash-success")
        _flat(deputy, "the publish page after the override")

        # 4. the week's evaluation, read by an official who follows a finding to its datasets
        from app.services.weekly import evaluate_week
        from app.weekly import week_of

        week = week_of(dt.datetime.now(dt.UTC).date())
        with application.extensions["opendata"]["sessionmaker"]() as session:
            evaluate_week(session, week)
            session.commit()
        director.goto(f"/dashboard/weekly?lang={lang}")
        _flat(director, "the weekly evaluation")
        director.locator('#weekly-table tr[data-publisher="jh-stats"] th a').click()
        director.wait_for_url(f"**/dashboard/weekly/{week}/jh-stats")
        _flat(director, "the publisher's weekly report")
        director.screenshot(path=str(SCREENSHOTS / f"journey-weekly-{lang}-{size}.png"), full_page=False)
        first = director.locator("#fix-first-list li").first
        finding = first.get_attribute("data-type")
        first.locator(f'a[href^="/dashboard/finding/{finding}"]').click()
        director.wait_for_url(f"**/dashboard/finding/{finding}?publisher=jh-stats")
        slugs = director.locator("#finding-datasets-table tbody tr[data-slug]").evaluate_all(
            "rows => rows.map(r => r.dataset.slug)")
        assert slugs and set(slugs) <= {"population-2024", "hotline-calls"}
        _flat(director, "the finding's datasets")
    finally:
        for context in contexts:
            context.close()
