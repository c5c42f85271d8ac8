"""An agency joins in a real browser (issue 17 item 4): its admin invites a colleague on the account page, the
e-mail arrives at a real SMTP server on loopback, the colleague opens the link in the e-mail, chooses a
password and is signed in as an editor of the publisher. Then the admin reads the audit log's table. In zh and
en, on a phone (390x844) and a laptop (1366x900); no page scrolls sideways. Screenshots in
test-output/screenshots/accounts-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.support.smtp import SmtpServer
from tests.support.wsgiserver import ServedApp

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
LINK = re.compile(r"http://127\.0\.0\.1:\d+/invitation/[A-Za-z0-9_-]+")
NEW_PASSWORD = "bus stops every morning"


@pytest.fixture(scope="module")
def mail_portal(tmp_path_factory):
    """A portal on an empty catalog with one publisher and its admin, sending mail to a local SMTP server."""
    from app import create_app
    from catalog_schema.db import upgrade
    from tests.support.accounts import make_user

    tmp = tmp_path_factory.mktemp("accounts-portal")
    url = f"sqlite:///{tmp / 'catalog.db'}"
    upgrade(url)
    with SmtpServer() as smtp:
        application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp), "SECRET_KEY": "browser-accounts",
                                  "ALLOW_HOSTS": ["127.0.0.1"], **smtp.settings()})
        make_user(application, "boss@transport.example", admin_of="jh-transport")
        served = ServedApp(application, threads=2, ident="opendata-test")
        base = served.url
        application.config["OPENDATA"]["SITE_URL"] = base  # the links in the e-mails lead here
        yield base, smtp
        served.close()
        application.extensions["opendata"]["engine"].dispose()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


# The journey test (test_agency_journey.py) walks zh on a phone and en on a laptop; this walks the other two.
@pytest.mark.parametrize(("lang", "size"), [("zh", "laptop"), ("en", "phone")])
def test_from_invitation_email_to_a_signed_in_editor(browser, mail_portal, lang, size):
    from tests.support.accounts import PASSWORD

    base, smtp = mail_portal
    invitee = f"new.{lang}.{size}@transport.example"
    locale = "zh-CN" if lang == "zh" else "en-GB"
    query = "?lang=zh_CN" if lang == "zh" else "?lang=en"
    admin = browser.new_context(base_url=base, viewport=SIZES[size], locale=locale)
    newcomer = browser.new_context(base_url=base, viewport=SIZES[size], locale=locale)
    try:
        page = admin.new_page()
        page.set_default_timeout(15000)
        page.goto("/login" + query)
        page.fill("#login-email", "boss@transport.example")
        page.fill("#login-password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/account")
        before = len(smtp.messages)
        page.fill("#invite-email", invitee)
        page.select_option("#invite-role", "editor")
        page.click("#invite-form button[type=submit]")
        page.wait_for_selector("#invite-sent")  # the answer page may still be loading when click returns
        assert page.locator("#invite-sent").count() == 1
        assert invitee in page.locator("#invite-sent").inner_text()
        _no_sideways_scroll(page)

        assert len(smtp.messages) == before + 1
        mail = smtp.messages[-1]
        assert mail["To"] == invitee
        link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)

        joiner = newcomer.new_page()
        joiner.set_default_timeout(15000)
        joiner.goto(link + query)
        assert invitee in joiner.locator("#invitation-what").inner_text()
        _no_sideways_scroll(joiner)
        joiner.fill("#invite-name", "Xiao Li")
        joiner.fill("#new-password", NEW_PASSWORD)
        joiner.fill("#new-password2", NEW_PASSWORD)
        joiner.screenshot(path=str(SCREENSHOTS / f"accounts-invitation-{lang}-{size}.png"), full_page=True)
        joiner.click("#accept-button")
        joiner.wait_for_url("**/account")  # the welcome rides in the session, not the address
        assert joiner.locator("#account-email").inner_text() == invitee
        assert joiner.locator("#welcome").count() == 1
        membership = joiner.locator("#memberships").inner_text()
        assert "jh-transport" in membership.lower() and ("编辑" if lang == "zh" else "editor") in membership
        _no_sideways_scroll(joiner)
        joiner.screenshot(path=str(SCREENSHOTS / f"accounts-welcome-{lang}-{size}.png"), full_page=True)
        # the link worked once
        again = joiner.goto(link)
        assert again.status == 410

        page.goto("/audit?action=account.")
        rows = page.locator("#audit-events tbody tr")
        assert rows.count() >= 2
        text = page.locator("#audit-events").inner_text()
        assert "account.invite_accepted" in text and invitee in text
        _no_sideways_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / f"accounts-audit-{lang}-{size}.png"), full_page=True)
    finally:
        admin.close()
        newcomer.close()
