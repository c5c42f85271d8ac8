"""Accounts that run themselves (issue 17 item 4): invitations and password resets by e-mail through a real
SMTP server on loopback (the test reads the message and follows its link), change password, sign-ins in the
audit log. The two-person rule for personal-data overrides on the publish page (item 2) is at the end."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app import auth
from catalog_schema.models import AccountToken, AuditEvent, Dataset, Membership, utcnow
from tests.support import publishing
from tests.support.accounts import PASSWORD, csrf_from, make_user, page_token, sign_in
from tests.support.publishing import PII_CSV, build_world, form_post
from tests.support.smtp import SmtpServer

NEW_PASSWORD = "a much better passphrase"
LINK = re.compile(r"https?://\S+/(?:invitation|password/reset)/[A-Za-z0-9_-]+")


@pytest.fixture
def smtp(app):
    with SmtpServer() as server:
        app.config["OPENDATA"].update(server.settings(), SITE_URL="http://portal.example.gov")
        yield server


def _db(app):
    return app.extensions["opendata"]["sessionmaker"]()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _link_path(message) -> str:
    """The path of the one link in the e-mail (the test client plays the browser on this host)."""
    links = set(LINK.findall(_text(message)))
    assert len(links) == 1, _text(message)
    link = links.pop()
    assert link.startswith("http://portal.example.gov/")  # absolute, on SITE_URL
    return urlsplit(link).path


def _actions(app, **where) -> list[str]:
    with _db(app) as s:
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(query))


def _invite(client, email: str, publisher: str = "roads", role: str = "editor"):
    return client.post("/account/invitations", data={"csrf_token": page_token(client), "email": email,
                                                      "publisher": publisher, "role": role})


# --------------------------------------------------------------------------- invitations


def test_invitation_by_email_to_a_member_with_the_role(app, client, smtp):
    make_user(app, "boss@roads.example", admin_of="roads")
    sign_in(client, "boss@roads.example")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert 'id="invite-form"' in page and '<option value="roads">' in page
    sent = _invite(client, "New.Person@Roads.example ")
    assert sent.status_code == 201 and 'id="invite-sent"' in sent.get_data(as_text=True)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "new.person@roads.example" and "Invitation to publish data" in mail["Subject"]
    text = _text(mail)
    assert "邀请您" in text and "invites you" in text and "editor" in text  # both languages: the invitee's is unknown
    zh, en = text.split("----------------------------------------")
    assert "在开放数据上" in zh and "Open Data" not in zh  # the site named in each part's language
    assert "on Open Data" in en.replace("\n", " ")
    path = _link_path(mail)
    with _db(app) as s:  # only the hash of the token is kept
        row = s.scalar(select(AccountToken).where(AccountToken.purpose == "invite"))
        assert row.token_hash == auth.hash_token(path.rsplit("/", 1)[1]) and path.rsplit("/", 1)[1] not in str(
            (row.token_hash, row.email))
        assert row.role == "editor" and row.used_at is None

    newcomer = app.test_client()
    form = newcomer.get(path + "?lang=en")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "new.person@roads.example" in html and 'id="new-password"' in html
    assert form.headers["Referrer-Policy"] == "no-referrer" and "no-store" in form.headers["Cache-Control"]
    token = csrf_from(html)
    differ = newcomer.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "password2": "other one!!"})
    assert differ.status_code == 400 and "differ" in differ.get_data(as_text=True)
    weak = newcomer.post(path, data={"csrf_token": token, "password": "short", "password2": "short"})
    assert weak.status_code == 400 and 'id="form-error"' in weak.get_data(as_text=True)
    done = newcomer.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                     "name": "New Person"})
    assert done.status_code == 302 and done.headers["Location"] == "/account"  # the welcome rides in the session
    account = newcomer.get("/account?lang=en").get_data(as_text=True)
    assert 'id="account-email">new.person@roads.example<' in account and 'id="welcome"' in account
    assert 'id="welcome"' not in newcomer.get("/account?lang=en").get_data(as_text=True)  # said once
    assert "Roads" in account.split('id="memberships"')[1].split("</ul>")[0]
    with _db(app) as s:
        user = auth.find_user(s, "new.person@roads.example")
        assert user.name == "New Person" and auth.check_password(user, NEW_PASSWORD)
        assert s.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "editor"
    # used once
    again = app.test_client().get(path)
    assert again.status_code == 410 and 'id="link-invalid"' in again.get_data(as_text=True)
    assert sign_in(app.test_client(), "new.person@roads.example", NEW_PASSWORD).status_code == 302
    assert {"account.invite", "account.invite_accepted"} <= set(_actions(app, object_type="user"))
    with _db(app) as s:
        accepted = s.scalar(select(AuditEvent).where(AuditEvent.action == "account.invite_accepted"))
        assert accepted.after == {"role": "editor"} and accepted.detail["new_account"] is True
        assert accepted.publisher_id is not None  # the publisher's admins see it in their audit log


def test_an_existing_account_is_invited_to_another_publisher_and_keeps_its_password(app, client, smtp):
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "ada@example.gov", editor_of="parks")
    sign_in(client, "root@example.gov")
    assert _invite(client, "ada@example.gov", "parks", "admin").status_code == 201
    path = _link_path(smtp.messages[0])
    ada = app.test_client()
    sign_in(ada, "ada@example.gov")
    page = ada.get(path + "?lang=en").get_data(as_text=True)
    assert 'id="new-password"' not in page and "You have an account already" in page
    assert ada.post(path, data={"csrf_token": csrf_from(page), "password": "ignored-ignored"}).status_code == 302
    with _db(app) as s:
        user = auth.find_user(s, "ada@example.gov")
        assert [m.role for m in user.memberships] == ["admin"]  # editor of parks became its admin
        assert auth.check_password(user, PASSWORD)


@pytest.mark.parametrize(("lang", "said"), [("en", "Choose a password of at least 10 characters"),
                                             ("zh", "请设置至少 10 个字符的密码")])
def test_a_refused_password_on_an_invitation_keeps_the_name_and_says_so_beside_the_password(app, client, smtp,
                                                                                         lang, said):
    """A password too short, or two that differ, gave the form back with the name typed gone and the message in a
    banner above the form rather than beside the password."""
    make_user(app, "boss@roads.example", admin_of="roads")
    sign_in(client, "boss@roads.example")
    assert _invite(client, "li@roads.example").status_code == 201
    path = _link_path(smtp.messages[0])
    newcomer = app.test_client()
    token = csrf_from(newcomer.get(f"{path}?lang={lang}").get_data(as_text=True))
    weak = newcomer.post(f"{path}?lang={lang}", data={"csrf_token": token, "name": "李新人", "password": "short",
                                                      "password2": "short"})
    page = weak.get_data(as_text=True)
    assert weak.status_code == 400
    assert re.search(r'<input class="usa-input" id="invite-name"[^>]* value="李新人"', page)
    beside = page.split('for="new-password"')[1].split('id="new-password"')[0]
    assert f'id="form-error" role="alert">{said}' in beside
    assert re.search(r'id="new-password"[^>]*aria-describedby="form-error"', page)


def test_only_admins_of_the_publisher_invite_and_bad_input_sends_nothing(app, client, smtp):
    make_user(app, "ed@roads.example", editor_of="roads")
    make_user(app, "boss@parks.example", admin_of="parks")
    make_user(app, "x@roads.example", admin_of="roads")
    sign_in(client, "ed@roads.example")
    assert 'id="invite-form"' not in client.get("/account").get_data(as_text=True)
    assert _invite(client, "a@b.example").status_code == 400  # an editor may not invite
    boss = app.test_client()
    sign_in(boss, "boss@parks.example")
    refused = _invite(boss, "a@b.example", "roads")
    assert refused.status_code == 400 and 'id="invite-error"' in refused.get_data(as_text=True)
    assert _invite(boss, "not an address", "parks").status_code == 400
    assert _invite(boss, "a@b.example", "parks", "owner").status_code == 400
    assert _invite(boss, "a@b.example", "nowhere").status_code == 400
    assert smtp.messages == [] and "account.invite" not in _actions(app)
    anonymous = app.test_client()
    resp = anonymous.post("/account/invitations", data={"csrf_token": page_token(anonymous, "/login"),
                                                        "email": "a@b.example", "publisher": "parks"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_an_invitation_that_cannot_be_mailed_is_not_made(app, client):
    make_user(app, "boss@roads.example", admin_of="roads")
    app.config["OPENDATA"].update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT=2)  # nothing listens there
    sign_in(client, "boss@roads.example")
    resp = _invite(client, "new@roads.example")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="invite-error"' in html and "邀请邮件未能发出" in html
    with _db(app) as s:
        assert s.scalar(select(AccountToken)) is None


def test_an_expired_invitation_is_refused(app, client, smtp):
    make_user(app, "boss@roads.example", admin_of="roads")
    sign_in(client, "boss@roads.example")
    _invite(client, "late@roads.example")
    path = _link_path(smtp.messages[0])
    with _db(app) as s:
        s.scalar(select(AccountToken)).expires_at = utcnow() - dt.timedelta(seconds=1)
        s.commit()
    assert app.test_client().get(path).status_code == 410
    with _db(app) as s:
        assert auth.find_user(s, "late@roads.example") is None


# --------------------------------------------------------------------------- password reset


def _forgot(client, email: str):
    return client.post("/password/forgot", data={"csrf_token": page_token(client, "/password/forgot"),
                                                 "email": email})


def _body(resp) -> str:
    """The page without what differs per request (CSRF token, CSP nonce)."""
    html = resp.get_data(as_text=True)
    return re.sub(r'(value|nonce)="[^"]*"', "", html.split("<main", 1)[1])


def test_password_reset_by_email_once_and_the_old_password_refused(app, client, smtp):
    make_user(app, "ada@example.gov")
    assert 'id="forgot-link"' in client.get("/login").get_data(as_text=True)
    known = _forgot(client, "ada@example.gov")
    unknown = _forgot(app.test_client(), "nobody@example.gov")
    assert known.status_code == unknown.status_code == 200
    # the same answer whether the address has an account or not (no account enumeration)
    assert _body(known).replace("ada@example.gov", "X") == _body(unknown).replace("nobody@example.gov", "X")
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "ada@example.gov"
    path = _link_path(smtp.messages[0])
    visitor = app.test_client()
    form = visitor.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_from(form.get_data(as_text=True))
    assert visitor.post(path, data={"csrf_token": token, "password": "short", "password2": "short"}).status_code == 400
    done = visitor.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    assert 'id="password-changed"' in visitor.get("/account").get_data(as_text=True)
    assert app.test_client().get(path).status_code == 410  # used once
    replay = visitor.post(path, data={"csrf_token": page_token(visitor), "password": "another password 2", "password2":
                                      "another password 2"})
    assert replay.status_code == 410
    assert sign_in(app.test_client(), "ada@example.gov", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "ada@example.gov", NEW_PASSWORD).status_code == 302
    actions = _actions(app, object_type="user")
    assert "account.reset_requested" in actions and "account.password_reset" in actions
    with _db(app) as s:
        assert s.scalar(select(AccountToken.token_hash)) == auth.hash_token(path.rsplit("/", 1)[1])


def test_expired_reset_link_refused_and_a_password_change_voids_open_links(app, client, smtp):
    make_user(app, "ada@example.gov")
    _forgot(client, "ada@example.gov")
    _forgot(client, "ada@example.gov")
    first, second = (_link_path(m) for m in smtp.messages)
    with _db(app) as s:
        row = s.scalar(select(AccountToken).where(AccountToken.token_hash == auth.hash_token(first.rsplit("/")[-1])))
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        s.commit()
    expired = app.test_client().get(first)
    assert expired.status_code == 410 and 'href="/password/forgot"' in expired.get_data(as_text=True)
    assert app.test_client().get(second).status_code == 200
    sign_in(client, "ada@example.gov")
    changed = client.post("/account/password", data={"csrf_token": page_token(client, "/account/password"),
                                                     "current": PASSWORD, "password": NEW_PASSWORD,
                                                     "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert app.test_client().get(second).status_code == 410  # the change voided it


def test_reset_requests_are_rate_limited_per_account(app, client, smtp):
    app.config["OPENDATA"]["RESET_RATE_LIMIT"] = "2 per minute"
    make_user(app, "ada@example.gov")
    assert [_forgot(client, "ada@example.gov").status_code for _ in range(3)] == [200, 200, 429]
    assert len(smtp.messages) == 2
    other = app.test_client()
    assert _forgot(other, "nobody@example.gov").status_code == 429  # the same address asked 3 times already


def test_reset_mail_failure_gives_the_same_answer(app, client):
    make_user(app, "ada@example.gov")
    app.config["OPENDATA"].update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT=2)
    resp = _forgot(client, "ada@example.gov")
    assert resp.status_code == 200 and 'id="reset-sent"' in resp.get_data(as_text=True)
    with _db(app) as s:
        assert s.scalar(select(AccountToken)) is None  # no link that was never sent


def test_without_a_mail_server_the_reset_mail_is_in_the_outbox(app, client):
    make_user(app, "ada@example.gov")
    app.config["OPENDATA"]["SMTP_HOST"] = ""
    _forgot(client, "ada@example.gov")
    from app.mail import outbox_dir
    files = list(outbox_dir(app.config["OPENDATA"]).glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "ada@example.gov" and "/password/reset/" in _text(message)


# --------------------------------------------------------------------------- change password


def test_change_password_needs_the_current_one(app, client):
    make_user(app, "ada@example.gov")
    assert client.get("/account/password").status_code == 302  # sign in first
    sign_in(client, "ada@example.gov")
    assert 'href="/account/password"' in client.get("/account").get_data(as_text=True)

    def change(current, new, again=None):
        return client.post("/account/password", data={"csrf_token": page_token(client, "/account/password"),
                                                      "current": current, "password": new,
                                                      "password2": new if again is None else again})

    wrong = change("not my password", NEW_PASSWORD)
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    assert change(PASSWORD, NEW_PASSWORD, "something else").status_code == 400
    assert change(PASSWORD, "ada@example.gov").status_code == 400  # the address is no password
    same = change(PASSWORD, PASSWORD)  # said as what it is (it was "choose at least 10 characters")
    assert same.status_code == 400 and "新密码不能与当前密码相同" in same.get_data(as_text=True)
    spaces = change(PASSWORD, " " * 12)  # twelve spaces were a password
    assert spaces.status_code == 400 and "至少" in spaces.get_data(as_text=True)
    assert change(PASSWORD, NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "ada@example.gov", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "ada@example.gov", NEW_PASSWORD).status_code == 302
    assert "account.password_changed" in _actions(app)


# --------------------------------------------------------------------------- sign-ins in the audit log


def test_sign_ins_and_failed_sign_ins_are_audited_and_filterable(app, client):
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "ada@example.gov")
    make_user(app, "gone@example.gov", active=False)
    assert sign_in(app.test_client(), "ada@example.gov", "wrong").status_code == 401
    assert sign_in(app.test_client(), "ghost@example.gov").status_code == 401
    assert sign_in(app.test_client(), "gone@example.gov").status_code == 401
    assert sign_in(app.test_client(), "ada@example.gov").status_code == 302
    with _db(app) as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id, AuditEvent.detail,
                                AuditEvent.ip).order_by(AuditEvent.id)).all()
        ada = auth.find_user(s, "ada@example.gov").id
    assert [(r.action, r.object_id) for r in rows] == [
        ("account.sign_in_failed", "ada@example.gov"), ("account.sign_in_failed", "ghost@example.gov"),
        ("account.sign_in_failed", "gone@example.gov"), ("account.sign_in", "ada@example.gov")]
    assert rows[0].user_id == ada and rows[1].user_id is None and rows[2].detail == {"reason": "inactive"}
    assert {r.ip for r in rows} == {"127.0.0.1"}
    sign_in(client, "root@example.gov")
    failed = client.get("/audit.json?action=account.sign_in_failed").json
    assert failed["total"] == 3
    assert client.get("/audit.json?action=account.&who=ghost").json["total"] == 1  # unknown addresses too
    html = client.get("/audit?lang=en&who=ada@").get_data(as_text=True)
    assert "2 events" in html and "account.sign_in_failed" in html  # her failure, her sign-in; root's is not hers


# --------------------------------------------------------------------------- two-person rule on the page


def test_two_person_rule_on_the_publish_page(app, client):
    app.config["OPENDATA"]["PII_OVERRIDE_SECOND_ADMIN"] = True
    world = build_world(app.extensions["opendata"]["sessionmaker"])
    make_user(app, "second.admin@example.gov", password=publishing.PASSWORD)
    with _db(app) as s:
        from app.services import accounts
        from catalog_schema.models import Publisher
        accounts.grant(s, auth.find_user(s, "second.admin@example.gov"),
                       s.scalar(select(Publisher).where(Publisher.slug == "agency-a")), "admin")
        s.commit()
    edit_url = f"/publish/{world.draft_a}"
    first = app.test_client()
    publishing.sign_in(first, world.emails["admin_a"])
    form_post(first, edit_url, f"{edit_url}/distributions", {"file": (io.BytesIO(PII_CSV.read_bytes()),
                                                                      "hotline.csv")},
              content_type="multipart/form-data")
    reason = "The numbers are the public hotline lines of the offices, published by law."
    assert form_post(first, edit_url, f"{edit_url}/override", {"reason": reason}).status_code == 303
    page = first.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="flash-success"' in page and 'id="pii-override-pending"' in page
    assert "Another admin of the publisher must confirm it" in page and 'id="override-form"' not in page
    # the same admin again, by a hand-made POST: refused, nothing published
    alone = form_post(first, edit_url, f"{edit_url}/override", {"reason": "Really, it is fine, trust me."})
    assert alone.status_code == 303
    refused = first.get(edit_url).get_data(as_text=True)  # the language chosen before sticks
    assert 'id="flash-error"' in refused and "A second admin of the publisher must confirm this override" in refused
    assert form_post(first, edit_url, f"{edit_url}/publish", {}).status_code == 303
    with _db(app) as s:
        assert s.scalar(select(Dataset.state).where(Dataset.slug == world.draft_a)) == "draft"
    second = app.test_client()
    publishing.sign_in(second, "second.admin@example.gov")
    page = second.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="override-form"' in page and "Confirm the override" in page and reason in page
    assert form_post(second, edit_url, f"{edit_url}/override",
                     {"reason": "Checked with the data protection officer."}).status_code == 303
    assert form_post(second, edit_url, f"{edit_url}/publish", {}).status_code == 303
    with _db(app) as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
        assert ds.state == "active"
        done = ds.extras["publishing"]["pii_override"]
        assert done["by"] == world.emails["admin_a"] and done["confirmed_by"] == "second.admin@example.gov"
    # the audit log of the dataset, filtered, says who asked and who confirmed
    log = second.get(f"/audit.json?dataset={world.draft_a}&action=publish.").json
    assert [e["action"] for e in log["events"]][:3] == ["publish.publish", "publish.pii_override",
                                                        "publish.pii_override_requested"]
    assert log["events"][1]["detail"]["confirmed_by"] == "second.admin@example.gov"


def test_a_password_change_signs_out_the_other_sessions(app, client, smtp):
    make_user(app, "ada@example.gov")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "ada@example.gov")
    sign_in(phone, "ada@example.gov")
    changed = laptop.post("/account/password", data={"csrf_token": page_token(laptop, "/account/password"),
                                                     "current": PASSWORD, "password": NEW_PASSWORD,
                                                     "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert laptop.get("/account").status_code == 200  # the session that changed it stays
    assert phone.get("/account").status_code == 302  # the other one is signed out
    # a reset by e-mail does the same to every session signed in with the old password
    sign_in(phone, "ada@example.gov", NEW_PASSWORD)
    _forgot(app.test_client(), "ada@example.gov")
    visitor = app.test_client()
    path = _link_path(smtp.messages[-1])
    token = csrf_from(visitor.get(path).get_data(as_text=True))
    assert visitor.post(path, data={"csrf_token": token, "password": "third password here",
                                    "password2": "third password here"}).status_code == 302
    assert visitor.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302 and phone.get("/account").status_code == 302
