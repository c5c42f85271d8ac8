"""`opendata user add|grant` and `opendata token create`, and the token rules of app.auth."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import select

from app import auth
from app.services import accounts
from catalog_schema.models import ApiToken, Dataset, Membership, Publisher, User, utcnow
from catalog_schema.store import ensure_publisher
from tests.support.cli import Ran, opendata

ROOT = Path(__file__).resolve().parents[2]


def _opendata(db_url: str, *args: str, stdin: str | None = None) -> Ran:
    return opendata(*args, env={**os.environ, "OPENDATA_DATABASE_URL": db_url}, input=stdin)


def _publishers(session, *slugs: str) -> None:
    for slug in slugs:
        ensure_publisher(session, {"slug": slug, "name": {"en": slug.title()}})
    session.commit()


def test_user_and_token_commands(db_url, session, app):
    _publishers(session, "jh-transport", "jh-stats")
    out = _opendata(db_url, "user", "add", "Root@Example.org", "--role", "sysadmin")
    assert out.returncode == 0, out.stderr
    out = _opendata(db_url, "user", "add", "ed@transport.example", "--password-stdin", stdin="s3cret passphrase\n")
    assert out.returncode == 0, out.stderr
    again = _opendata(db_url, "user", "add", "ed@transport.example")
    assert again.returncode != 0 and "exists already" in again.stderr and "opendata user grant" in again.stderr
    out = _opendata(db_url, "user", "grant", "ed@transport.example", "jh-transport", "editor")
    assert out.returncode == 0 and "editor of jh-transport" in out.stdout
    missing = _opendata(db_url, "user", "grant", "ed@transport.example", "no-such-publisher", "admin")
    assert missing.returncode != 0 and "no publisher" in missing.stderr

    out = _opendata(db_url, "token", "create", "ed@transport.example", "--name", "laptop")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith(auth.TOKEN_PREFIX) and " " not in token and len(token) > 40
    assert _opendata(db_url, "token", "create", "nobody@example.org").returncode != 0

    session.expire_all()
    root = session.scalar(select(User).where(User.email == "root@example.org"))
    ed = session.scalar(select(User).where(User.email == "ed@transport.example"))
    assert root.is_sysadmin and not ed.is_sysadmin
    assert auth.check_password(ed, "s3cret passphrase") and not auth.check_password(ed, "wrong")
    assert "s3cret" not in ed.password_hash
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == ed.id))
    assert row.name == "laptop" and row.token_hash == auth.hash_token(token) and token.startswith(row.prefix)
    assert token not in {row.token_hash, row.prefix}
    assert session.scalar(select(Membership.role).where(Membership.user_id == ed.id)) == "editor"

    # the printed token is what a CKAN client sends
    client = app.test_client()
    pkg = {"name": "cli-made", "title": "Made with a CLI token", "owner_org": "jh-transport",
           "resources": [{"url": "https://jtw.jinghai.example/a.csv", "format": "CSV"}]}
    ok = client.post("/api/3/action/package_create", json=pkg, headers={"Authorization": token})
    assert ok.status_code == 200 and ok.json["result"]["organization"]["name"] == "jh-transport"
    refused = client.post("/api/action/package_create", json={**pkg, "name": "elsewhere", "owner_org": "jh-stats"},
                          headers={"X-CKAN-API-Key": token})
    assert refused.status_code == 403 and refused.json["error"]["__type"] == "Authorization Error"
    session.expire_all()
    assert [d.slug for d in session.scalars(select(Dataset))] == ["cli-made"]
    assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == ed.id)) is not None

    # deactivated (there was no supported way: SQL): signed out everywhere, its token refused; back when activated
    from tests.support.accounts import sign_in

    browser = app.test_client()
    assert sign_in(browser, "ed@transport.example", "s3cret passphrase").status_code == 302
    off = _opendata(db_url, "--lang", "zh", "user", "deactivate", "ed@transport.example")
    assert off.returncode == 0 and "已停用" in off.stdout, off.stderr
    assert browser.get("/account").status_code == 302
    assert client.post("/api/3/action/package_patch", json={"id": "cli-made", "notes": "x"},
                       headers={"Authorization": token}).status_code == 403
    assert sign_in(app.test_client(), "ed@transport.example", "s3cret passphrase").status_code == 401
    assert "already" in _opendata(db_url, "user", "deactivate", "ed@transport.example").stdout
    assert _opendata(db_url, "user", "activate", "ed@transport.example").returncode == 0
    assert client.post("/api/3/action/package_patch", json={"id": "cli-made", "notes": "x"},
                       headers={"Authorization": token}).status_code == 200
    assert _opendata(db_url, "user", "deactivate", "nobody@example.org").returncode != 0
    session.expire_all()
    from catalog_schema.models import AuditEvent

    assert {"account.deactivated", "account.activated"} <= set(session.scalars(select(AuditEvent.action)))


def test_token_rules(session):
    _publishers(session, "a-pub", "b-pub")
    a, b = (session.scalar(select(Publisher).where(Publisher.slug == s)) for s in ("a-pub", "b-pub"))
    editor = accounts.create_user(session, "e@example.org")
    admin = accounts.create_user(session, "adm@example.org")
    sysadmin = accounts.create_user(session, "sys@example.org", sysadmin=True)
    outsider = accounts.create_user(session, "out@example.org")
    accounts.grant(session, editor, a, "editor")
    accounts.grant(session, admin, a, "admin")
    assert [auth.can_edit(session, u, a) for u in (editor, admin, sysadmin, outsider, None)] == \
        [True, True, True, False, False]
    assert [auth.can_edit(session, u, b) for u in (editor, admin, sysadmin, outsider)] == [False, False, True, False]

    live = accounts.create_token(session, editor, "live")
    expired = accounts.create_token(session, editor, "old", expires_at=utcnow() - dt.timedelta(minutes=1))
    revoked = accounts.create_token(session, editor, "revoked")
    session.commit()
    revoked_row = session.scalar(select(ApiToken).where(ApiToken.name == "revoked"))
    accounts.revoke_token(session, revoked_row.id)
    assert auth.user_for_token(session, live) is editor
    assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "live")) is not None
    assert auth.user_for_token(session, expired) is None
    assert auth.user_for_token(session, revoked) is None
    assert auth.user_for_token(session, live + "x") is None and auth.user_for_token(session, "") is None
    editor.active = False
    assert auth.user_for_token(session, live) is None


def test_user_add_refuses_a_password_no_other_door_accepts(db_url, session):
    """`user add --password-stdin` took "short" (and the address itself) where the invitation, the reset and the
    change of password all refuse it; and said why in English under --lang zh."""
    for weak in ("short", "ed@transport.example", "   spaced   out   "):
        out = _opendata(db_url, "user", "add", "ed@transport.example", "--password-stdin", stdin=weak + "\n")
        assert out.returncode == 1 and "the password is refused" in out.stderr, out.stderr
    zh = _opendata(db_url, "--lang", "zh", "user", "add", "ed@transport.example", "--password-stdin", stdin="short\n")
    assert zh.returncode == 1 and "密码不被接受" in zh.stderr, zh.stderr
    bad = _opendata(db_url, "--lang", "zh", "user", "add", "not-an-address")
    assert bad.returncode == 1 and "不是电子邮件地址" in bad.stderr, bad.stderr
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "ed@transport.example")) is None
    ok = _opendata(db_url, "user", "add", "ed@transport.example", "--password-stdin", stdin="ten chars!!\n")
    assert ok.returncode == 0, ok.stderr


def test_token_create_refuses_a_deactivated_account(db_url, session):
    """It printed a token for a deactivated account, and every request with it was refused ("access denied")."""
    assert _opendata(db_url, "user", "add", "gone@example.org").returncode == 0
    assert _opendata(db_url, "user", "deactivate", "gone@example.org").returncode == 0
    out = _opendata(db_url, "--lang", "zh", "token", "create", "gone@example.org")
    assert out.returncode == 1 and "已停用" in out.stderr and "opendata user activate gone@example.org" in out.stderr
    assert auth.TOKEN_PREFIX not in out.stdout
    session.expire_all()
    assert session.scalars(select(ApiToken)).all() == []
    assert _opendata(db_url, "user", "activate", "gone@example.org").returncode == 0
    assert _opendata(db_url, "token", "create", "gone@example.org").returncode == 0


def test_user_list_shows_every_account_its_state_and_roles(db_url, session):
    """There was no `opendata user list`: which accounts exist, which `user deactivate` stopped and who is admin
    where could only be read with SQL."""
    _publishers(session, "jh-transport", "jh-stats")
    for args in (("user", "add", "root@example.org", "--role", "sysadmin"), ("user", "add", "ed@example.org"),
                 ("user", "grant", "ed@example.org", "jh-transport", "editor"),
                 ("user", "grant", "ed@example.org", "jh-stats", "admin"), ("user", "add", "gone@example.org"),
                 ("user", "deactivate", "gone@example.org")):
        assert _opendata(db_url, *args).returncode == 0, args
    out = _opendata(db_url, "user", "list")
    assert out.returncode == 0 and out.stdout.splitlines() == [
        "3 accounts", "  ed@example.org  jh-stats admin, jh-transport editor", "  gone@example.org  deactivated",
        "  root@example.org  sysadmin"], out.stdout
    zh = _opendata(db_url, "--lang", "zh", "user", "list").stdout
    assert "3 个账户" in zh and "gone@example.org  已停用" in zh and "root@example.org  系统管理员" in zh
    import json

    rows = json.loads(_opendata(db_url, "user", "list", "--json").stdout)
    assert [(r["email"], r["active"], r["sysadmin"], r["roles"]) for r in rows] == [
        ("ed@example.org", True, False, {"jh-stats": "admin", "jh-transport": "editor"}),
        ("gone@example.org", False, False, {}), ("root@example.org", True, True, {})]


def test_user_add_without_a_password_says_how_the_user_gets_one(db_url, session):
    """`opendata user add EMAIL` (as the README writes it) said only "user created": the account had no password
    and could not sign in, and nothing said how it would get one."""
    made = _opendata(db_url, "user", "add", "ed@transport.example")
    assert made.returncode == 0 and made.stdout.strip() == "user ed@transport.example created"
    assert "has no password yet" in made.stderr and "/password/forgot" in made.stderr
    assert "--password-stdin" in made.stderr
    zh = _opendata(db_url, "--lang", "zh", "user", "add", "li@transport.example")
    assert zh.returncode == 0 and "还没有密码" in zh.stderr and "/password/forgot" in zh.stderr, zh.stderr
    given = _opendata(db_url, "user", "add", "wu@transport.example", "--password-stdin", stdin="ten chars!!\n")
    assert given.returncode == 0 and given.stderr == ""


def test_user_remove_takes_a_role_on_a_publisher_away_at_every_door(db_url, app):
    """There was `user grant` and no way back: an editor who left a publisher kept editing its datasets with their
    tokens and signed-in sessions, unless their whole account was deactivated (and with it their roles elsewhere).
    `opendata user remove EMAIL PUBLISHER` takes the role away: the next request through the page, /api/v1 or CKAN
    is refused as for anyone outside the publisher (403; its drafts 404), their other publisher's datasets stay
    theirs to edit; grant and remove are audited."""
    from catalog_schema.models import AuditEvent
    from tests.support.publishing import build_world, csrf_from, sign_in

    factory = app.extensions["opendata"]["sessionmaker"]
    world = build_world(factory)
    email, token = world.emails["editor_a"], world.tokens["editor_a"]
    headers = {"Authorization": token}
    assert _opendata(db_url, "user", "grant", email, "agency-b", "editor").returncode == 0
    browser = app.test_client()
    sign_in(browser, email)
    client = app.test_client()

    def writes(label: str) -> dict[str, int]:
        page = browser.get("/publish").get_data(as_text=True)
        return {
            "web": browser.post("/publish/active-a-1", data={"title": f"Web {label}",
                                                             "csrf_token": csrf_from(page)}).status_code,
            "rest": client.patch("/api/v1/datasets/active-a-2", headers=headers,
                                 json={"title": f"REST {label}", "lang": "en"}).status_code,
            "ckan": client.post("/api/3/action/package_patch", headers=headers,
                                json={"id": "active-a-3", "notes": f"CKAN {label}"}).status_code,
            "ckan-draft": client.post("/api/3/action/package_patch", headers=headers,
                                      json={"id": world.draft_a, "notes": label}).status_code,
            "other": client.post("/api/3/action/package_patch", headers=headers,
                                 json={"id": world.draft_b, "notes": f"CKAN {label}"}).status_code}

    assert writes("before") == {"web": 303, "rest": 200, "ckan": 200, "ckan-draft": 200, "other": 200}
    out = _opendata(db_url, "user", "remove", email, "agency-a")
    assert out.returncode == 0 and "no longer" in out.stdout, (out.stdout, out.stderr)
    assert writes("after") == {"web": 403, "rest": 403, "ckan": 403, "ckan-draft": 404, "other": 200}
    again = _opendata(db_url, "--lang", "zh", "user", "remove", email, "agency-a")
    assert again.returncode == 0 and "没有角色" in again.stdout, again.stdout
    assert _opendata(db_url, "user", "remove", email, "no-such-publisher").returncode != 0
    with factory() as s:
        events = [(e.action, e.before, e.after) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("account.role_%")).order_by(AuditEvent.id))]
        roles = dict(s.execute(select(Publisher.slug, Membership.role).join(Membership.publisher)
                               .join(Membership.user).where(User.email == email)).all())
    assert events == [("account.role_granted", {"role": None}, {"role": "editor"}),
                      ("account.role_removed", {"role": "editor"}, {"role": None})]
    assert roles == {"agency-b": "editor"}
