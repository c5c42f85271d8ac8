"""Sign-in, sign-out and the account page with its API tokens (issue 7 part A), in both languages.

Test clients keep cookies like a browser; one test signs in over a real socket with `requests`.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import func, select

from app import auth
from app.security import current_account, login_required_page
from catalog_schema.models import ApiToken, AuditEvent, SignIn, User, utcnow
from tests.support.accounts import PASSWORD, csrf_from, make_user, page_token, sign_in
from tests.support.wsgiserver import ServedApp


def _db(app):
    return app.extensions["opendata"]["sessionmaker"]()


def _new_token(client, **form) -> tuple[int, str, str]:
    resp = client.post("/account/tokens", data={"csrf_token": page_token(client), "expires_days": "90", **form})
    html = resp.get_data(as_text=True)
    token = html.split('id="new-token-value">')[1].split("<")[0] if 'id="new-token-value"' in html else ""
    return resp.status_code, token, html


def test_sign_in_page_in_both_languages_and_header_links(app, client):
    zh = client.get("/login?lang=zh_CN").get_data(as_text=True)
    assert "<h1>登录</h1>" in zh and 'name="csrf_token"' in zh and 'autocomplete="current-password"' in zh
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert "<h1>Sign in</h1>" in en and 'id="login-link"' in en and 'id="account-link"' not in en
    make_user(app, "ada@example.gov")
    assert sign_in(client, "ADA@example.gov ").status_code == 302  # addresses are case- and space-insensitive
    home = client.get("/").get_data(as_text=True)
    assert 'id="account-link">ada</a>' in home and 'id="login-link"' not in home
    assert 'action="/logout"' in home and "Sign out" in home
    assert client.get("/").headers["Cache-Control"] == "private, no-store"


def test_wrong_password_unknown_user_and_inactive_user_are_refused_alike(app, client):
    make_user(app, "ada@example.gov")
    make_user(app, "gone@example.gov", active=False)
    answers = [sign_in(client, "ada@example.gov", "nope"), sign_in(client, "nobody@example.gov"),
               sign_in(client, "gone@example.gov")]
    for resp in answers:
        html = resp.get_data(as_text=True)
        assert resp.status_code == 401 and 'id="login-error"' in html and "邮箱或密码错误" in html
    assert 'value="nobody@example.gov"' in answers[1].get_data(as_text=True)  # the address is kept, not the password
    assert PASSWORD not in answers[0].get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_account_needs_sign_in_and_comes_back_after(app, client):
    make_user(app, "ada@example.gov", admin_of="roads", editor_of="parks")
    first = client.get("/account?tab=tokens")
    assert first.status_code == 302 and first.headers["Location"] == "/login?next=/account?tab%3Dtokens"
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/account?tab=tokens"' in page
    back = client.post("/login", data={"email": "ada@example.gov", "password": PASSWORD,
                                       "csrf_token": csrf_from(page), "next": "/account?tab=tokens"})
    assert back.headers["Location"] == "/account?tab=tokens"
    html = client.get("/account?lang=en").get_data(as_text=True)
    assert 'id="account-email">ada@example.gov<' in html
    memberships = html.split('id="memberships"')[1].split("</ul>")[0]
    assert "Parks" in memberships and "editor" in memberships and "administrator" in memberships
    assert "/audit?publisher=roads" in memberships and "/audit?publisher=parks" not in memberships
    assert "You have no API tokens." in html
    # a signed-in user asking for /login goes to their account (or `next`)
    assert client.get("/login").headers["Location"] == "/account"


def test_sign_out_ends_the_session_and_keeps_the_language(app, client):
    make_user(app, "ada@example.gov")
    client.get("/?lang=en")
    sign_in(client, "ada@example.gov")
    token = page_token(client)
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405  # GET never signs out (no CSRF on links)


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client):
    make_user(app, "ada@example.gov")
    sign_in(client, "ada@example.gov")
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    copied = client.get_cookie(name).value
    thief = app.test_client()
    thief.set_cookie(name, copied)
    assert thief.get("/account").status_code == 200  # the copy works while the session is signed in
    assert client.post("/logout", data={"csrf_token": page_token(client)}).status_code == 302
    assert thief.get("/account").status_code == 302  # signed out on the server: the copy is worth nothing
    assert thief.get("/publish").status_code == 302


def test_a_sign_in_lasts_sign_in_max_hours_and_one_without_its_row_is_signed_out(app, client):
    uid = make_user(app, "ada@example.gov")
    sign_in(client, "ada@example.gov")
    assert client.get("/account").status_code == 200
    with _db(app) as s:
        row = s.scalars(select(SignIn).where(SignIn.user_id == uid)).one()
        row.created_at = utcnow() - dt.timedelta(hours=float(app.config["OPENDATA"]["SIGN_IN_MAX_HOURS"]) + 1)
        s.commit()
    assert client.get("/account").status_code == 302  # too old: signed out
    sign_in(client, "ada@example.gov")
    with _db(app) as s:
        assert s.scalar(select(func.count()).select_from(SignIn).where(SignIn.user_id == uid)) == 1  # old one gone
    with client.session_transaction() as sess:
        del sess["_signin"]  # a session signed in before sign-ins were kept on the server
    assert client.get("/account").status_code == 302


def test_a_deactivated_account_is_signed_out_at_its_next_request(app, client):
    uid = make_user(app, "ada@example.gov")
    sign_in(client, "ada@example.gov")
    assert client.get("/account").status_code == 200
    with _db(app) as s:
        s.get(User, uid).active = False
        s.commit()
    assert client.get("/account").status_code == 302


def test_token_shown_once_stored_hashed_works_on_the_api_and_expires(app, client):
    uid = make_user(app, "ada@example.gov")
    sign_in(client, "ada@example.gov")
    status, token, html = _new_token(client, name="nightly upload", expires_days="30")
    assert status == 201 and token.startswith("odp_") and len(token) > 40
    assert "只显示这一次" in html
    listed = client.get("/account").get_data(as_text=True)
    assert token not in listed and token[:12] in listed and "nightly upload" in listed
    with _db(app) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.user_id == uid))
        assert row.token_hash == auth.hash_token(token) and token not in (row.prefix + row.token_hash)
        expires = auth.aware(row.expires_at) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(days=29, hours=23) < expires <= dt.timedelta(days=30)
        assert auth.user_for_token(s, token).id == uid
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.commit()
    api = app.test_client()
    assert api.post("/api/3/action/package_create", json={"name": "x"}, headers={"Authorization": token}
                    ).status_code == 403
    assert ">已过期<" in client.get("/account").get_data(as_text=True)
    assert _new_token(client, expires_days="7")[0] == 400  # only the offered expiries
    never = _new_token(client, expires_days="0")[1]
    with _db(app) as s:
        assert s.scalar(select(ApiToken.expires_at).where(ApiToken.token_hash == auth.hash_token(never))) is None


def test_owner_revokes_others_cannot_sysadmin_can(app, client):
    make_user(app, "ada@example.gov")
    make_user(app, "eve@example.gov")
    make_user(app, "root@example.gov", sysadmin=True)
    sign_in(client, "ada@example.gov")
    _, first, _ = _new_token(client, name="first")
    _, second, _ = _new_token(client, name="second")
    with _db(app) as s:
        ids = {t.name: t.id for t in s.scalars(select(ApiToken))}

    eve = app.test_client()
    sign_in(eve, "eve@example.gov")
    # another's token answers as a number nobody has (it answered 403: which numbers were someone's tokens)
    assert eve.post(f"/account/tokens/{ids['first']}/revoke", data={"csrf_token": page_token(eve)}).status_code == 404
    assert eve.post("/account/tokens/99999/revoke", data={"csrf_token": page_token(eve)}).status_code == 404
    assert _new_token(eve, email="ada@example.gov")[0] == 403  # only sysadmins make tokens for others
    assert "id=\"all-tokens\"" not in eve.get("/account").get_data(as_text=True)

    resp = client.post(f"/account/tokens/{ids['first']}/revoke", data={"csrf_token": page_token(client)})
    assert resp.status_code == 302
    root = app.test_client()
    sign_in(root, "root@example.gov")
    everyone = root.get("/account").get_data(as_text=True).split('id="all-tokens"')[1]
    assert second[:12] in everyone and first[:12] not in everyone and "ada@example.gov" in everyone
    assert root.post(f"/account/tokens/{ids['second']}/revoke", data={"csrf_token": page_token(root)}
                     ).status_code == 302
    with _db(app) as s:
        assert auth.user_for_token(s, first) is None and auth.user_for_token(s, second) is None
        events = s.execute(select(AuditEvent.action, User.email).join(User, User.id == AuditEvent.user_id)
                           .where(AuditEvent.object_type == "api_token").order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("token.create", "ada@example.gov"), ("token.create", "ada@example.gov"),
                                          ("token.revoke", "ada@example.gov"), ("token.revoke", "root@example.gov")]
    # revoked tokens are gone from the owner's list, as from CKAN's api_token_list (they were listed, "已吊销",
    # for ever); the audit log above keeps their revocation
    mine = client.get("/account").get_data(as_text=True)
    assert first[:12] not in mine and second[:12] not in mine and 'id="tokens"' not in mine
    assert ">已吊销<" not in mine and "您还没有 API 令牌" in mine


def test_sysadmin_makes_a_token_for_another_user(app, client):
    ada = make_user(app, "ada@example.gov", editor_of="roads")
    make_user(app, "root@example.gov", sysadmin=True)
    sign_in(client, "root@example.gov")
    status, token, html = _new_token(client, email="ada@example.gov", name="for ada")
    assert status == 201 and "(ada@example.gov)" in html
    with _db(app) as s:
        assert auth.user_for_token(s, token).id == ada
    assert _new_token(client, email="nobody@example.gov")[0] == 400


def test_no_token_is_made_for_a_deactivated_account(app, client):
    """A sysadmin's token for a deactivated account was shown as made, and every request with it was refused."""
    make_user(app, "gone@example.gov", editor_of="roads", active=False)
    make_user(app, "root@example.gov", sysadmin=True)
    sign_in(client, "root@example.gov")
    status, token, html = _new_token(client, email="gone@example.gov", name="for gone")
    assert status == 400 and not token and "gone@example.gov 已停用" in html
    with _db(app) as s:
        assert s.scalar(select(ApiToken).where(ApiToken.name == "for gone")) is None


def test_current_account_and_login_required_page_helpers(app, client):
    seen = []

    @app.get("/_probe")
    @login_required_page
    def probe():
        seen.append(current_account().email)
        return "ok"

    assert client.get("/_probe?x=1").headers["Location"] == "/login?next=/_probe?x%3D1"
    make_user(app, "ada@example.gov")
    sign_in(client, "ada@example.gov")
    assert client.get("/_probe").get_data(as_text=True) == "ok" and seen == ["ada@example.gov"]


@pytest.mark.slow
def test_sign_in_over_a_real_socket_with_requests(app):
    make_user(app, "ada@example.gov")
    served = ServedApp(app)
    base = served.url
    try:
        with requests.Session() as browser:
            form = browser.get(f"{base}/login", timeout=10)
            assert form.status_code == 200 and form.headers["X-Frame-Options"] == "DENY"
            done = browser.post(f"{base}/login", timeout=10, allow_redirects=False,
                                data={"email": "ada@example.gov", "password": PASSWORD,
                                      "csrf_token": csrf_from(form.text)})
            assert done.status_code == 302
            cookie = next(c for c in browser.cookies if c.name == "session")
            assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure
            account = browser.get(f"{base}/account", timeout=10)
            assert account.status_code == 200 and "ada@example.gov" in account.text
            out = browser.post(f"{base}/logout", data={"csrf_token": csrf_from(account.text)}, timeout=10)
            assert out.status_code == 200 and out.url.endswith("/login")
            assert browser.get(f"{base}/account", timeout=10, allow_redirects=False).status_code == 302
    finally:
        served.close()
