"""The two-person rule in a real browser (issue 17 item 2): with OPENDATA_PII_OVERRIDE_SECOND_ADMIN on, the admin
who uploaded a file with personal data asks for an override and cannot confirm it alone; a second admin of the
publisher confirms it, and only then the dataset is published. In en at 1366x900 and zh at 390x844."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS
from tests.support.portals import signed_in_page
from tests.support.publishing import PASSWORD
from tests.support.wsgiserver import ServedApp

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


@pytest.fixture
def rule_portal(tmp_path):
    from app import create_app
    from catalog_schema.db import upgrade
    from catalog_schema.models import Publisher
    from tests.support.publishing import build_world

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "browser-rule",
                              "ALLOW_HOSTS": ["127.0.0.1"], "ARCHIVE_DIR": str(tmp_path / "archive"),
                              "PII_OVERRIDE_SECOND_ADMIN": True})
    factory = application.extensions["opendata"]["sessionmaker"]
    world = build_world(factory)
    from tests.support.accounts import make_user

    make_user(application, "second.admin@example.gov", password=PASSWORD)
    with factory() as s:
        from app import auth
        from app.services import accounts

        accounts.grant(s, auth.find_user(s, "second.admin@example.gov"),
                       s.scalar(select(Publisher).where(Publisher.slug == "agency-a")), "admin")
        s.commit()
    served = ServedApp(application, threads=2, ident="opendata-test")
    yield served.url, world, factory
    served.close()
    application.extensions["opendata"]["engine"].dispose()


# The journey test (test_agency_journey.py) walks zh on a phone and en on a laptop; this walks the other two.
@pytest.mark.parametrize(("lang", "size"), [("en", "phone"), ("zh", "laptop")])
def test_an_override_needs_a_second_admin(browser, rule_portal, lang, size):
    from catalog_schema.models import Dataset
    from tests.support.publishing import PII_CSV

    base, world, factory = rule_portal
    query = "?lang=en" if lang == "en" else "?lang=zh_CN"
    first = browser.new_context(base_url=base, viewport=SIZES[size])
    second = browser.new_context(base_url=base, viewport=SIZES[size])
    try:
        page = signed_in_page(first, world.emails["admin_a"], PASSWORD, query)
        edit = f"/publish/{world.draft_a}"
        page.goto(edit)
        page.set_input_files("#upload-file", str(PII_CSV))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#override-form")
        page.fill("#override-reason", "The numbers are the public hotline lines of the offices.")
        page.click("#override-form button[type=submit]")
        page.wait_for_selector("#pii-override-pending")
        assert page.locator("#override-form").count() == 0  # not offered to confirm their own request
        page.screenshot(path=str(SCREENSHOTS / f"two-person-pending-{lang}-{size}.png"), full_page=True)
        assert page.locator("#publish-button").is_disabled()  # still blocked: the button says so (the
        assert page.locator("#check-needs").count() == 1      # server refuses too: tests/app)
        with factory() as s:
            assert s.scalar(select(Dataset.state).where(Dataset.slug == world.draft_a)) == "draft"

        other = signed_in_page(second, "second.admin@example.gov", PASSWORD, query)
        other.goto(edit)
        assert "hotline lines" in other.locator("#pii-override-pending").inner_text()
        other.fill("#override-reason", "Checked with the data protection officer.")
        other.click("#override-form button[type=submit]")
        other.wait_for_selector("#pii-override")
        other.click("#publish-button")
        other.wait_for_load_state()
        with factory() as s:
            ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
            assert ds.state == "active"
            assert ds.extras["publishing"]["pii_override"]["confirmed_by"] == "second.admin@example.gov"
        other.goto(f"/audit?dataset={world.draft_a}&action=publish.")
        text = other.locator("#audit-events").inner_text()
        assert "publish.pii_override_requested" in text and "second.admin@example.gov" in text
        width = other.evaluate("() => document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"]
        other.screenshot(path=str(SCREENSHOTS / f"two-person-audit-{lang}-{size}.png"), full_page=True)
    finally:
        first.close()
        second.close()
