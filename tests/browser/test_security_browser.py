"""The Content-Security-Policy in a real browser: no page breaks under it, and it does block injected script.

Violations are collected by a listener Playwright installs before any page script runs (through the
DevTools protocol, which CSP does not govern), plus chromium's console messages. The sign-in, token and
sign-out flow runs against an app of its own (an empty catalog with one user) so it can sign in.
"""

from __future__ import annotations

import pytest

from tests.support.wsgiserver import ServedApp

pytestmark = pytest.mark.browser

WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""

PAGES = ["/", "/dataset?q=%E5%85%AC%E4%BA%A4", "/dataset/taxi-fares", "/publisher/jh-transport", "/dashboard",
         "/dashboard/publisher/jh-transport", "/harvest", "/harvest/source/jh-transport-ckan", "/api/v1/docs", "/login"]


def _watch(page) -> list[str]:
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(WATCH)
    return console


def test_pages_run_under_the_csp_without_violations(page):
    console = _watch(page)
    problems = []
    for url in PAGES:
        resp = page.goto(url)
        assert resp.status == 200 and "default-src 'self'" in resp.headers["content-security-policy"], url
        page.wait_for_load_state("load")
        if url.startswith("/dashboard"):  # Chart.js (a static file) drew its charts
            page.locator("canvas").first.wait_for(state="visible")
        problems += [f"{url}: {v}" for v in page.evaluate("() => window.__csp")]
    assert not problems and not console, problems + console
    # the API documentation's inline styles apply (they carry the nonce)
    page.goto("/api/v1/docs")
    assert page.locator(".method").first.evaluate("(el) => getComputedStyle(el).fontWeight") in ("700", "bold")


def test_injected_inline_script_is_blocked(page):
    console = _watch(page)
    page.goto("/dataset/taxi-fares")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__pwned = true'; document.head.appendChild(s); }""")
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__pwned") is None
    assert any(v.startswith("script-src") for v in page.evaluate("() => window.__csp"))
    assert console  # chromium reports it too


@pytest.fixture
def signin_portal(tmp_path):
    from app import create_app
    from catalog_schema.db import upgrade
    from tests.support.accounts import make_user

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "browser-signin",
                              "ALLOW_HOSTS": ["127.0.0.1"]})
    make_user(application, "ada@example.gov", editor_of="roads")
    served = ServedApp(application, threads=2, ident="opendata-test")
    yield served.url
    served.close()
    application.extensions["opendata"]["engine"].dispose()


def test_sign_in_make_a_token_and_sign_out_in_the_browser(browser, signin_portal):
    from tests.support.accounts import PASSWORD

    context = browser.new_context(base_url=signin_portal, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    console = _watch(page)
    try:
        page.goto("/account")
        assert "/login?next=/account" in page.url
        page.fill("#login-email", "ada@example.gov")
        page.fill("#login-password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/account")
        assert page.locator("#account-email").inner_text() == "ada@example.gov"
        page.fill("#token-name", "from the browser")
        page.click("#token-form button[type=submit]")
        token = page.locator("#new-token-value").inner_text()
        assert token.startswith("odp_")
        page.goto("/account")
        assert token not in page.content() and token[:12] in page.content()
        page.locator(".site-logout button").click()
        page.wait_for_url("**/login")
        assert page.locator("#login-link").count() == 1
        assert page.evaluate("() => window.__csp") == [] and not console
    finally:
        context.close()
