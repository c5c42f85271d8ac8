"""Open invitations listed and revoked (issue 17, item 4's remainder): a sysadmin sees every one, an admin those to
their publishers, on /account and with `opendata user invitations`; a revoked link stops working, audited."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from sqlalchemy import select

from app.services import accounts
from catalog_schema.models import AccountToken, AuditEvent, Publisher, User, utcnow
from tests.support.accounts import make_user, page_token, sign_in
from tests.support.cli import Ran, opendata


def _db(app):
    return app.extensions["opendata"]["sessionmaker"]()


def _user(s, email: str) -> User:
    return s.scalar(select(User).where(User.email == email))


def _pub(s, slug: str) -> Publisher:
    return s.scalar(select(Publisher).where(Publisher.slug == slug))


@pytest.fixture
def people(app):
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "roads-admin@example.gov", admin_of="roads")
    make_user(app, "water-admin@example.gov", admin_of="water")
    make_user(app, "roads-editor@example.gov", editor_of="roads")
    with _db(app) as s:
        links = {}
        for inviter, email, pub in (("roads-admin@example.gov", "new1@example.gov", "roads"),
                                    ("water-admin@example.gov", "new2@example.gov", "water"),
                                    ("root@example.gov", "new3@example.gov", "roads")):
            row, token = accounts.invite(s, _user(s, inviter), email, _pub(s, pub), "editor", hours=24)
            links[email] = (row.id, token)
        old, _ = accounts.invite(s, _user(s, "root@example.gov"), "late@example.gov", _pub(s, "water"), "admin",
                                 hours=24)
        old.expires_at = utcnow() - dt.timedelta(minutes=1)
        s.commit()
    return links


def test_who_sees_and_revokes_which_invitation(app, people):
    with _db(app) as s:
        seen = {who: [r.email for r in accounts.pending_invitations(s, _user(s, who))]
                for who in ("root@example.gov", "roads-admin@example.gov", "water-admin@example.gov",
                            "roads-editor@example.gov")}
        assert seen == {"root@example.gov": ["new3@example.gov", "new2@example.gov", "new1@example.gov"],
                        "roads-admin@example.gov": ["new3@example.gov", "new1@example.gov"],
                        "water-admin@example.gov": ["new2@example.gov"], "roads-editor@example.gov": []}
        assert [r.email for r in accounts.pending_invitations(s, None)] == seen["root@example.gov"]
        first_id, first_token = people["new1@example.gov"]
        with pytest.raises(accounts.AccountError) as refused:
            accounts.revoke_invitation(s, _user(s, "water-admin@example.gov"), first_id, via="test")
        assert refused.value.code == "forbidden"
        accounts.revoke_invitation(s, _user(s, "roads-admin@example.gov"), first_id, via="test")
        s.commit()
        assert accounts.find_link(s, "invite", first_token) is None
        with pytest.raises(accounts.AccountError) as again:
            accounts.revoke_invitation(s, _user(s, "root@example.gov"), first_id, via="test")
        assert again.value.code == "no-invitation"
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "account.invite_revoked"))
        assert event.object_id == "new1@example.gov" and event.before["publisher"] == "roads"
        assert event.detail == {"invitation": first_id, "via": "test"}


def test_the_account_page_lists_and_revokes(app, client, people):
    assert sign_in(client, "roads-admin@example.gov").status_code in (302, 303)
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Open invitations" in page and "new1@example.gov" in page and "new3@example.gov" in page
    assert "new2@example.gov" not in page  # another publisher's
    inv_id, token = people["new1@example.gov"]
    other_id, _ = people["new2@example.gov"]
    refused = client.post(f"/account/invitations/{other_id}/revoke", data={"csrf_token": page_token(client)})
    assert refused.status_code == 403
    done = client.post(f"/account/invitations/{inv_id}/revoke", data={"csrf_token": page_token(client)})
    assert done.status_code == 303
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "new1@example.gov was revoked" in after and f'id="invitation-{inv_id}"' not in after
    assert client.get(f"/invitation/{token}").status_code == 410
    gone = client.post(f"/account/invitations/{inv_id}/revoke", data={"csrf_token": page_token(client)})
    assert gone.status_code == 404
    zh = client.get("/account?lang=zh").get_data(as_text=True)
    assert "未完成的邀请" in zh and "吊销" in zh


def _opendata(app, *args: str, **env: str) -> Ran:
    base = {k: v for k, v in os.environ.items() if k not in ("OPENDATA_LANG", "LANG", "LC_ALL", "LC_MESSAGES")}
    url = app.config["OPENDATA"]["DATABASE_URL"]
    return opendata(*args, env={**base, "OPENDATA_DATABASE_URL": url, **env})


def test_opendata_user_invitations(app, people):
    listed = _opendata(app, "user", "invitations")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0] == "3 open invitations" and "new3@example.gov" in lines[1] and "editor of roads" in lines[1]
    as_json = _opendata(app, "user", "invitations", "--json")
    rows = json.loads(as_json.stdout)
    assert [r["email"] for r in rows] == ["new3@example.gov", "new2@example.gov", "new1@example.gov"]
    inv_id, token = people["new2@example.gov"]
    revoked = _opendata(app, "--lang", "zh", "user", "invitations", "--revoke", str(inv_id))
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"已撤销对 new2@example.gov 的邀请 {inv_id}"
    again = _opendata(app, "user", "invitations", "--revoke", str(inv_id))
    assert again.returncode == 1 and f"no open invitation {inv_id}" in again.stderr
    assert _opendata(app, "--lang", "zh", "user", "invitations").stdout.startswith("2 个未完成的邀请")
    with _db(app) as s:
        assert accounts.find_link(s, "invite", token) is None
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "account.invite_revoked"))
        assert event.user_id == _user(s, "root@example.gov").id and event.detail["via"] == "cli"
        assert s.scalar(select(AccountToken).where(AccountToken.id == inv_id)).used_at is not None


def test_an_invitation_holds_only_while_its_sender_may_still_invite(app, client, people):
    """An admin taken off a publisher (or deactivated) kept every invitation they had sent: one to another address
    of their own brought them back as its editor after the removal. An invitation now holds while its sender is a
    sysadmin or an active admin of the publisher: the link answers as an expired one (410) and is not listed as
    open; the others' stay good."""
    _, token = people["new1@example.gov"]  # sent by roads' admin
    _, root_token = people["new3@example.gov"]  # sent by the sysadmin, to roads too
    assert client.get(f"/invitation/{token}").status_code == 200
    with _db(app) as s:
        accounts.change_role(s, _user(s, "roads-admin@example.gov"), _pub(s, "roads"), None)
        s.commit()
    assert client.get(f"/invitation/{token}").status_code == 410
    with _db(app) as s:
        assert _user(s, "new1@example.gov") is None
        assert [r.email for r in accounts.pending_invitations(s, None)] == ["new3@example.gov", "new2@example.gov"]
        with pytest.raises(accounts.AccountError):
            accounts.accept_invitation(s, token, password="a long pass 123")
        # given the role back, what they sent holds again; the sysadmin's holds throughout
        accounts.grant(s, _user(s, "roads-admin@example.gov"), _pub(s, "roads"), "admin")
        s.commit()
        assert accounts.find_link(s, "invite", token) is not None
        _user(s, "roads-admin@example.gov").active = False  # deactivated: void again
        s.commit()
        assert accounts.find_link(s, "invite", token) is None
        assert accounts.find_link(s, "invite", root_token) is not None
