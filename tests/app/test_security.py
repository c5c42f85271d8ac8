"""Security of the web app (issue 7 part A): CSRF, cookies, rate limits, headers, token-only APIs.

Real Flask test clients with cookies on SQLite and PostgreSQL; the rate limits run with Flask-Limiter's
real in-memory storage, made small through the settings where a test needs to reach them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.security import safe_next
from catalog_schema.models import Dataset
from tests.support.accounts import csrf_from, make_user, page_token, sign_in

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


@pytest.fixture
def make_app(app_config):
    """create_app with extra settings; engines disposed at the end."""
    made = []

    def _make(**extra):
        application = create_app({**app_config, **extra})
        application.config["TESTING"] = True
        made.append(application)
        return application

    yield _make
    for application in made:
        application.extensions["opendata"]["engine"].dispose()


def _dataset_count(app) -> int:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.scalar(select(func.count(Dataset.id)))


# --------------------------------------------------------------------------- headers


HEADER_URLS = ["/", "/dataset", "/login", "/api/3/action/status_show", "/api/v1/datasets", "/api/v1/docs",
               "/catalog.jsonld", "/no-such-page", "/static/site.css"]


def test_security_headers_on_pages_api_errors_and_static(client):
    for url in HEADER_URLS:
        resp = client.get(url)
        for name in SECURITY_HEADERS:
            assert resp.headers.get(name), (url, name)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "*" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in resp.headers  # SITE_URL is http here


def test_inline_blocks_carry_this_responses_nonce(client):
    first, second = client.get("/api/v1/docs"), client.get("/api/v1/docs")
    nonces = []
    for resp in (first, second):
        nonce = resp.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'<style nonce="{nonce}">' in resp.get_data(as_text=True)
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16


def test_https_site_gets_hsts_and_secure_cookies(make_app, db_url):
    app = make_app(SITE_URL="https://data.example.gov")
    make_user(app, "a@example.gov")
    client = app.test_client()
    resp = sign_in(client, "a@example.gov")
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    # an explicit setting wins over the guess from SITE_URL
    forced_off = make_app(SITE_URL="https://x.example", SESSION_COOKIE_SECURE="false")
    assert forced_off.config["SESSION_COOKIE_SECURE"] is False
    assert make_app(SESSION_COOKIE_SECURE="true").config["SESSION_COOKIE_SECURE"] is True


def test_session_cookie_is_httponly_lax_and_not_secure_on_http(app, client):
    make_user(app, "a@example.gov")
    cookie = sign_in(client, "a@example.gov").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


# --------------------------------------------------------------------------- CSRF


def test_forms_without_or_with_a_foreign_csrf_token_are_refused(app, client):
    make_user(app, "a@example.gov")
    bare = client.post("/login", data={"email": "a@example.gov", "password": "correct horse battery staple"})
    assert bare.status_code == 400 and "安全令牌" in bare.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not signed in

    other = app.test_client()
    foreign = page_token(other, "/login")  # a token of another session
    resp = client.post("/login", data={"email": "a@example.gov", "password": "correct horse battery staple",
                                       "csrf_token": foreign})
    assert resp.status_code == 400

    assert sign_in(client, "a@example.gov").status_code == 302
    assert client.post("/logout").status_code == 400  # a cross-site page cannot sign you out either
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    assert client.get("/account").status_code == 200  # still signed in, no token made
    assert "odp_" not in client.get("/account").get_data(as_text=True)


def test_apis_take_tokens_without_csrf_and_ignore_the_session_cookie(app, client):
    make_user(app, "root@example.gov", sysadmin=True, admin_of="roads")
    assert sign_in(client, "root@example.gov").status_code == 302
    new = {"name": "potholes", "title": "Potholes", "owner_org": "roads", "license_id": "cc-by"}
    # signed in as a sysadmin, but the API does not take the cookie as a credential
    ckan = client.post("/api/3/action/package_create", json=new)
    assert ckan.status_code == 403 and ckan.json["error"]["__type"] == "Authorization Error"
    rest = client.post("/api/v1/datasets", json={"slug": "potholes", "title": {"en": "Potholes"},
                                                 "publisher": "roads"})
    assert rest.status_code == 401
    assert _dataset_count(app) == 0
    # a token works, with no CSRF token and no cookie
    html = client.post("/account/tokens", data={"name": "ci", "expires_days": "0",
                                                "csrf_token": page_token(client)}).get_data(as_text=True)
    token = html.split('id="new-token-value">')[1].split("<")[0]
    fresh = app.test_client()
    ok = fresh.post("/api/3/action/package_create", json=new, headers={"Authorization": token})
    assert ok.status_code == 200 and ok.json["success"] is True, ok.json
    assert _dataset_count(app) == 1


@pytest.mark.parametrize(("url", "expected"), [
    ("/dataset?q=bus", "/dataset?q=bus"), ("/account", "/account"), ("//evil.example/x", None),
    ("https://evil.example/", None), ("http:/evil.example", None), ("/\\evil.example", None),
    ("javascript:alert(1)", None), ("evil.example", None), ("", None), (None, None), ("/a\nb", None),
])
def test_next_only_to_local_paths(url, expected):
    assert safe_next(url) == expected


def test_sign_in_never_redirects_off_site(app, client):
    make_user(app, "a@example.gov")
    assert sign_in(client, "a@example.gov", next="https://evil.example/").headers["Location"] == "/account"
    client = app.test_client()
    assert sign_in(client, "a@example.gov", next="//evil.example").headers["Location"] == "/account"
    client = app.test_client()
    assert sign_in(client, "a@example.gov", next="/dataset?q=x").headers["Location"] == "/dataset?q=x"


# --------------------------------------------------------------------------- rate limits


def _fail(client, email: str, token: str, addr: str = "127.0.0.1"):
    return client.post("/login", data={"email": email, "password": "wrong", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr})


def test_eleventh_failed_sign_in_from_one_address_is_429(app, client):
    for email in ("a@example.gov", "x@example.gov", "y@example.gov"):
        make_user(app, email)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for i in range(10):  # five guesses at each of two accounts: under the per-account limit
        assert _fail(client, ("x@example.gov", "y@example.gov")[i % 2], token).status_code == 401
    eleventh = client.post("/login", data={"email": "a@example.gov", "password": "correct horse battery staple",
                                           "csrf_token": token})
    assert eleventh.status_code == 429 and eleventh.headers["Retry-After"]
    assert client.get("/account").status_code == 302  # even the right password is not tried
    # another address is not held up by this one
    other = app.test_client()
    resp = other.post("/login", data={"email": "a@example.gov", "password": "correct horse battery staple",
                                      "csrf_token": page_token(other, "/login")},
                      environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert resp.status_code == 302


def test_eleventh_failed_sign_in_for_one_account_is_429_from_any_address(app, client):
    make_user(app, "a@example.gov")
    make_user(app, "b@example.gov")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for i in range(10):
        assert _fail(client, "a@example.gov", token, addr=f"127.0.1.{i + 1}").status_code == 401
    assert _fail(client, "a@example.gov", token, addr="127.0.2.1").status_code == 429
    ok = client.post("/login", data={"email": "B@example.gov", "password": "correct horse battery staple",
                                     "csrf_token": token}, environ_base={"REMOTE_ADDR": "127.0.2.2"})
    assert ok.status_code == 302  # another account from a fresh address signs in


def test_successful_sign_ins_do_not_count(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    make_user(app, "a@example.gov")
    for _ in range(5):
        client = app.test_client()
        assert sign_in(client, "a@example.gov").status_code == 302


def test_read_api_limit_per_address_pages_unlimited(make_app):
    app = make_app(API_RATE_LIMIT="5 per minute")
    client = app.test_client()
    answered = [client.get("/api/3/action/status_show") for _ in range(3)]
    answered += [client.get("/api/v1/datasets") for _ in range(2)]
    assert [resp.status_code for resp in answered] == [200] * 5
    # what is left is said on each answer; Retry-After only when refused (HTTP gives it no meaning on a 200)
    assert [resp.headers.get("X-RateLimit-Remaining") for resp in answered] == ["4", "3", "2", "1", "0"]
    assert not any("Retry-After" in resp.headers for resp in answered)
    ckan = client.post("/api/3/action/package_search", json={})  # a read, though POSTed (ckanapi does)
    assert ckan.status_code == 429 and ckan.json["success"] is False and ckan.headers["Retry-After"]
    assert ckan.json["error"]["__type"] == "Rate Limit Error"
    rest = client.get("/api/v1/datasets")
    assert rest.status_code == 429 and rest.json["error"]["code"] == "rate-limited"
    assert client.get("/api/v1/datasets", environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code == 200
    assert all(client.get("/dataset").status_code == 200 for _ in range(3))


def test_write_api_limit_per_token(make_app):
    app = make_app(WRITE_RATE_LIMIT="2 per minute")
    make_user(app, "ed@example.gov", editor_of="roads")
    client = app.test_client()
    sign_in(client, "ed@example.gov")
    tokens = []
    for _ in range(2):
        html = client.post("/account/tokens", data={"expires_days": "30", "csrf_token": page_token(client)})
        tokens.append(html.get_data(as_text=True).split('id="new-token-value">')[1].split("<")[0])
    api = app.test_client()

    def create(n: int, token: str):
        return api.post("/api/3/action/package_create", headers={"Authorization": token},
                        json={"name": f"d{n}", "title": f"D{n}", "owner_org": "roads", "license_id": "cc-by"})

    assert [create(n, tokens[0]).status_code for n in range(3)] == [200, 200, 429]
    assert create(3, tokens[1]).status_code == 200  # the limit is per token
    listed = api.post("/api/3/action/package_list", json={}, headers={"Authorization": tokens[0]})
    assert sorted(listed.json["result"]) == ["d0", "d1", "d3"]  # reads are not writes
    assert _dataset_count(app) == 3



def test_an_answer_a_shared_cache_keeps_never_carries_the_session_cookie(app, client):
    """`?lang=zh` on a feed (public, cached 5 minutes) set the session cookie, a signed-in visitor's sign-in
    with it, beside `Cache-Control: public`: a proxy could give it to the next reader."""
    make_user(app, "reader@example.gov")
    sign_in(client, "reader@example.gov")
    for path in ("/feeds/dataset.atom?lang=zh", "/feeds/dataset.atom?lang=en", "/sitemap.xml?lang=zh"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.cache_control.public, path
        assert "Set-Cookie" not in resp.headers, path
        # a feed and the sitemap read none of the session: the same for every visitor (app/delivery.py
        # visitor_free), a shared cache keeps one copy
        assert "Cookie" not in resp.headers.get("Vary", ""), path
    page = client.get("/dataset?lang=zh")  # a page remembers the language asked, as before
    assert "Set-Cookie" in page.headers and "数据集" in page.get_data(as_text=True)
    assert client.get("/account").status_code == 200  # still signed in


def test_a_form_sent_after_the_session_ended_leads_to_sign_in_and_back_to_its_page(app, client):
    """Signed out in another tab (the session and its token gone) or its sign-in too old: the publish form's Save
    changes nothing and sends the author to sign in, then back to the form's page (site.js restores the form
    there), never to an address that answers no GET."""
    make_user(app, "a@example.gov", editor_of="roads")
    assert sign_in(client, "a@example.gov").status_code == 302
    token = page_token(client, "/publish")
    other_tab = app.test_client()
    other_tab.set_cookie("session", client.get_cookie("session").value)
    assert other_tab.post("/logout", data={"csrf_token": token}).status_code == 302
    client.delete_cookie("session")  # what the other tab's sign-out left in the shared cookie jar: no session

    sent = client.post("/publish", data={"csrf_token": token, "title": "Potholes"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/login?next=/publish"
    assert _dataset_count(app) == 0
    to_a_file = client.post("/publish/potholes/distributions", data={"csrf_token": token},
                            headers={"Referer": "http://localhost/publish/potholes?lang=en"})
    assert to_a_file.headers["Location"] == "/login?next=/publish/potholes?lang%3Den"
    foreign = client.post("/publish/potholes/distributions", headers={"Referer": "http://evil.example/publish/x"})
    assert foreign.headers["Location"] == "/login?next=/publish/potholes/distributions"
    # a stale token on a page everyone may use is still refused as before
    assert client.post("/login", data={"email": "a@example.gov"}).status_code == 400
