"""A publisher's members managed where its admins work: remove a member, change a member's role (editor <-> admin).

One service (app.services.accounts.remove_member, set_member_role) keeps the rules for every door (the members
page, the CKAN actions organization_member_create/_delete): only an admin of the publisher or a sysadmin acts on
others; a member may leave by themselves; the last active admin is neither removed nor demoted; a change is
audited (account.role_removed / account.role_granted) and takes the rights away at the next request, and the
invitations a former admin sent stop working."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.services import accounts
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from catalog_schema.models import AuditEvent, Membership, Publisher, User
from tests.support.accounts import acting_as, make_user, page_token, sign_in
from tests.support.publishing import PASSWORD as WORLD_PASSWORD
from tests.support.publishing import build_world, csrf_from
from tests.support.typography import paragraph_gaps


def _db(app):
    return app.extensions["opendata"]["sessionmaker"]()


def _roles(app, slug: str) -> dict[str, str]:
    with _db(app) as s:
        return dict(s.execute(select(User.email, Membership.role).join(Membership.user).join(Membership.publisher)
                              .where(Publisher.slug == slug)).all())


def _events(app, action_prefix: str = "account.role_") -> list[tuple]:
    with _db(app) as s:
        return [(e.action, e.object_id, e.before, e.after, e.detail.get("via"), e.user_id) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.like(f"{action_prefix}%")).order_by(AuditEvent.id))]


def _ids(app) -> dict[str, int]:
    with _db(app) as s:
        return dict(s.execute(select(User.email, User.id)).all())


@pytest.fixture
def roads(app):
    """roads: boss (admin), clerk (editor); water: its own admin; a sysadmin."""
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "boss@example.gov", admin_of="roads")
    make_user(app, "clerk@example.gov", editor_of="roads")
    make_user(app, "water@example.gov", admin_of="water")
    return _ids(app)


def _pub(s, slug: str) -> Publisher:
    return s.scalar(select(Publisher).where(Publisher.slug == slug))


def _user(s, email: str) -> User:
    return s.scalar(select(User).where(User.email == email))


# --------------------------------------------------------------------------- the service's rules


def test_only_an_admin_of_the_publisher_or_a_sysadmin_changes_others(app, roads):
    for who in ("clerk@example.gov", "water@example.gov"):
        with acting_as(app, who) as (actor, s):
            with pytest.raises(Forbidden):
                accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "boss@example.gov"), "editor")
            with pytest.raises(Forbidden):
                accounts.remove_member(actor, _pub(s, "roads"), _user(s, "boss@example.gov"))
    assert _roles(app, "roads") == {"boss@example.gov": "admin", "clerk@example.gov": "editor"}
    assert _events(app) == []
    with acting_as(app, "boss@example.gov") as (actor, s):
        before = accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "admin")
    assert before == "editor"
    with acting_as(app, "root@example.gov") as (actor, s):
        assert accounts.remove_member(actor, _pub(s, "roads"), _user(s, "boss@example.gov")) == "admin"
    assert _roles(app, "roads") == {"clerk@example.gov": "admin"}
    assert _events(app) == [
        ("account.role_granted", "clerk@example.gov", {"role": "editor"}, {"role": "admin"}, "test",
         roads["boss@example.gov"]),
        ("account.role_removed", "boss@example.gov", {"role": "admin"}, {"role": None}, "test",
         roads["root@example.gov"])]


def test_the_last_admin_is_neither_removed_nor_demoted(app, roads):
    for who in ("boss@example.gov", "root@example.gov"):
        with acting_as(app, who) as (actor, s):
            with pytest.raises(Conflict) as removed:
                accounts.remove_member(actor, _pub(s, "roads"), _user(s, "boss@example.gov"))
            with pytest.raises(Conflict) as demoted:
                accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "boss@example.gov"), "editor")
        for refused in (removed.value, demoted.value):
            assert refused.code == "last-admin" and "is the last administrator of roads" in refused.message
    # an admin who cannot sign in does not keep the publisher administered
    make_user(app, "away@example.gov", admin_of="roads", active=False)
    with acting_as(app, "boss@example.gov") as (actor, s):
        with pytest.raises(Conflict):
            accounts.remove_member(actor, _pub(s, "roads"), _user(s, "boss@example.gov"))
        # the deactivated one may go: an active admin stays
        accounts.remove_member(actor, _pub(s, "roads"), _user(s, "away@example.gov"))
    assert _roles(app, "roads") == {"boss@example.gov": "admin", "clerk@example.gov": "editor"}
    with acting_as(app, "boss@example.gov") as (actor, s):
        accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "admin")
        accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "boss@example.gov"), "editor")  # one is left
    assert _roles(app, "roads") == {"boss@example.gov": "editor", "clerk@example.gov": "admin"}


def test_a_member_may_leave_but_not_promote_themselves(app, roads):
    with acting_as(app, "clerk@example.gov") as (actor, s):
        with pytest.raises(Forbidden):
            accounts.set_member_role(actor, _pub(s, "roads"), actor.user, "admin")
        assert accounts.remove_member(actor, _pub(s, "roads"), actor.user) == "editor"
    assert _roles(app, "roads") == {"boss@example.gov": "admin"}
    assert _events(app)[-1][:2] == ("account.role_removed", "clerk@example.gov")
    with acting_as(app, "clerk@example.gov") as (actor, s):  # no longer a member: nothing to leave
        with pytest.raises(NotFound):
            accounts.remove_member(actor, _pub(s, "roads"), actor.user)


def test_unknown_members_and_roles_are_refused(app, roads):
    with acting_as(app, "boss@example.gov") as (actor, s):
        with pytest.raises(NotFound) as missing:
            accounts.remove_member(actor, _pub(s, "roads"), _user(s, "water@example.gov"))
        assert missing.value.code == "not-a-member"
        with pytest.raises(NotFound):  # the members page changes the roles of members; invitations add people
            accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "water@example.gov"), "editor")
        with pytest.raises(Invalid) as bad:
            accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "member")
        assert bad.value.code == "bad-role"
        added = accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "water@example.gov"), "editor", add=True)
        assert added is None
    assert _roles(app, "roads")["water@example.gov"] == "editor"


def test_a_removed_or_demoted_admin_s_invitations_stop_working(app, roads):
    with acting_as(app, "boss@example.gov") as (actor, s):
        accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "admin")
    with _db(app) as s:
        _row, by_clerk = accounts.invite(s, _user(s, "clerk@example.gov"), "new1@example.gov", _pub(s, "roads"),
                                         "editor", hours=24)
        _row, by_boss = accounts.invite(s, _user(s, "boss@example.gov"), "new2@example.gov", _pub(s, "roads"),
                                        "editor", hours=24)
        s.commit()
    with acting_as(app, "boss@example.gov") as (actor, s):
        accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "editor")
    with acting_as(app, "clerk@example.gov") as (actor, s):
        assert accounts.find_link(s, "invite", by_clerk) is None  # an editor sends no invitation
    with acting_as(app, "root@example.gov") as (actor, s):
        accounts.set_member_role(actor, _pub(s, "roads"), _user(s, "clerk@example.gov"), "admin")
        accounts.remove_member(actor, _pub(s, "roads"), _user(s, "boss@example.gov"))
        assert accounts.find_link(s, "invite", by_boss) is None
        # the clerk is an admin again: what they sent holds again, as with `opendata user grant` (docs/accounts.md)
        assert [r.email for r in accounts.pending_invitations(s, actor.user)] == ["new1@example.gov"]


# --------------------------------------------------------------------------- the members page


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _signed_in(app, email: str):
    c = app.test_client()
    assert sign_in(c, email, WORLD_PASSWORD).status_code in (302, 303)
    return c


def test_the_members_page_is_for_the_publisher_s_admins_and_sysadmins(app, world):
    ids = _ids(app)
    admin = _signed_in(app, world.emails["admin_a"])
    page = admin.get("/publisher/agency-a/members?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    editor_id = ids[world.emails["editor_a"]]
    assert world.emails["editor_a"] in html and world.emails["admin_a"] in html
    assert world.emails["editor_b"] not in html  # another publisher's
    assert f'action="/publisher/agency-a/members/{editor_id}/role"' in html
    assert f'href="/publisher/agency-a/members/{editor_id}/remove"' in html
    assert 'name="csrf_token"' in html
    zh = admin.get("/publisher/agency-a/members?lang=zh").get_data(as_text=True)
    assert "成员" in zh and "移除成员" in zh and "更改角色" in zh and "（您）" in zh and paragraph_gaps(zh) == []
    root = _signed_in(app, world.emails["sysadmin"])
    assert root.get("/publisher/agency-a/members").status_code == 200
    assert 'href="/publisher/agency-a/members"' in root.get("/publisher/agency-a").get_data(as_text=True)
    # another publisher's editor (its own editors see the page read-only: the test below)
    assert _signed_in(app, world.emails["editor_b"]).get("/publisher/agency-a/members").status_code == 403
    anonymous = app.test_client().get("/publisher/agency-a/members")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert admin.get("/publisher/no-such/members").status_code == 404
    account = admin.get("/account?lang=en").get_data(as_text=True)
    assert 'href="/publisher/agency-a/members"' in account


def _row(html: str, user_id: int) -> str:
    found = re.search(rf'<tr id="member-{user_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row of member {user_id}"
    return found.group(1)


def test_a_publisher_s_editor_sees_its_members_read_only(app, roads):
    """CKAN's organization_show gives an editor the names and roles of their publisher's members
    (accounts.may_see_members); the page refused them (403). It shows them the same now, read-only: names and roles,
    no other member's e-mail address (the service leaves it out), no role form, no removal, no invitation; the
    admin's page is as it was, and whoever is no member sees neither the page nor a link to it."""
    clerk = app.test_client()
    assert sign_in(clerk, "clerk@example.gov").status_code in (302, 303)
    page = clerk.get("/publisher/roads/members?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    boss, mine = _row(html, roads["boss@example.gov"]), _row(html, roads["clerk@example.gov"])
    assert "boss" in boss and "administrator" in boss
    assert "clerk" in mine and "(you)" in mine and ">editor<" in mine
    assert "boss@example.gov" not in html and "water" not in html and "root" not in html
    assert "@example.gov" not in html.split('id="members"')[1]  # not even their own: the page lists names
    for changes in ('name="role"', "/role", "/remove", 'method="post" action="/publisher', "#invite-h", "/audit"):
        assert changes not in html.split("</header>", 1)[1], changes
    assert 'class="usa-table usa-table--compact usa-table--stacked" id="members"' in html  # stacks on a phone
    assert 'data-label="Name"' in mine and 'data-label="Role"' in mine
    zh = clerk.get("/publisher/roads/members?lang=zh").get_data(as_text=True)
    assert "管理员" in zh and "（您）" in zh and paragraph_gaps(zh) == []
    link = 'href="/publisher/roads/members"'
    assert link in clerk.get("/account?lang=en").get_data(as_text=True)
    assert link in clerk.get("/publisher/roads").get_data(as_text=True)
    with acting_as(app, "clerk@example.gov") as (actor, s):
        assert [(m.name, m.role, m.email) for m in accounts.members_seen(s, actor.user, _pub(s, "roads")).rows] == [
            ("boss", "admin", None), ("clerk", "editor", None)]

    # the admin's page: addresses, role forms, removal, the invitation and the audit log, as before
    admin = app.test_client()
    assert sign_in(admin, "boss@example.gov").status_code in (302, 303)
    html = admin.get("/publisher/roads/members?lang=en").get_data(as_text=True)
    row = _row(html, roads["clerk@example.gov"])
    assert "clerk@example.gov" in row and 'name="role"' in row and "Remove member" in row
    assert 'href="/account#invite-h"' in html and "/audit?publisher=roads" in html

    # someone else's editor or admin: no page, no link; nobody signed in: the sign-in page
    water = app.test_client()
    assert sign_in(water, "water@example.gov").status_code in (302, 303)
    assert water.get("/publisher/roads/members").status_code == 403
    assert link not in water.get("/publisher/roads").get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/publisher/roads/members").headers["Location"].startswith("/login")
    assert link not in anonymous.get("/publisher/roads").get_data(as_text=True)


def test_a_reader_without_addresses_gets_no_order_by_address_and_an_account_number_for_no_name(app, roads):
    """The read-only page listed each role's members by e-mail address (accounts.members orders by it), so an editor,
    who is shown no address, could tell something of the addresses from the order; and a member who gave no name
    was a bare "—". Readers without addresses get the members by the name shown (then the account number, the
    nameless after the named), admins first, and a nameless member as CKAN's organization_show gives them: by
    account number. Who sees the addresses keeps the order by address. CKAN's organization_show, which gives no
    address to anyone, had the same order: its `users` come by name too."""
    names = {"a-first@example.gov": "Zhang Wei", "y-admin@example.gov": "Bea", "z-last@example.gov": "anna",
             "m-nameless@example.gov": None}
    for email in names:
        make_user(app, email, **{"admin_of" if email.startswith("y-") else "editor_of": "roads"})
    with _db(app) as s:
        for email, name in names.items():
            _user(s, email).name = name
        s.commit()
    ids = _ids(app)
    nameless = ids["m-nameless@example.gov"]
    with acting_as(app, "clerk@example.gov") as (actor, s):
        assert [(m.user_id, m.name) for m in accounts.members_seen(s, actor.user, _pub(s, "roads")).rows] == [
            (ids["y-admin@example.gov"], "Bea"), (ids["boss@example.gov"], "boss"),
            (ids["z-last@example.gov"], "anna"), (ids["clerk@example.gov"], "clerk"),
            (ids["a-first@example.gov"], "Zhang Wei"), (nameless, None)]
        # CKAN's organization_show gives no address to anyone: its `users` come in the same order
        assert [m.user_id for m in accounts.visible_members(s, actor.user, _pub(s, "roads"))] == [
            ids[e] for e in ("y-admin@example.gov", "boss@example.gov", "z-last@example.gov", "clerk@example.gov",
                             "a-first@example.gov", "m-nameless@example.gov")]
    with acting_as(app, "boss@example.gov") as (actor, s):
        assert [m.email for m in accounts.members_seen(s, actor.user, _pub(s, "roads")).rows] == [
            "boss@example.gov", "y-admin@example.gov",
            "a-first@example.gov", "clerk@example.gov", "m-nameless@example.gov", "z-last@example.gov"]
    clerk, boss = app.test_client(), app.test_client()
    for client, email in ((clerk, "clerk@example.gov"), (boss, "boss@example.gov")):
        assert sign_in(client, email).status_code in (302, 303)
    html = clerk.get("/publisher/roads/members?lang=en").get_data(as_text=True)
    assert re.findall(r'<tr id="member-(\d+)">', html) == [str(i) for i in (
        ids["y-admin@example.gov"], ids["boss@example.gov"], ids["z-last@example.gov"], ids["clerk@example.gov"],
        ids["a-first@example.gov"], nameless)]
    assert f">account {nameless}<" in _row(html, nameless) and "—" not in html.split('id="members"')[1]
    zh = clerk.get("/publisher/roads/members?lang=zh").get_data(as_text=True)
    assert f">账户 {nameless}<" in _row(zh, nameless)
    # the admin tells the nameless member by their address: the name column says they gave none, as before
    row = _row(boss.get("/publisher/roads/members?lang=en").get_data(as_text=True), nameless)
    assert "m-nameless@example.gov" in row and "—" in row and "account" not in row


def test_changing_a_role_on_the_page(app, world):
    ids = _ids(app)
    editor = world.emails["editor_a"]
    admin = _signed_in(app, world.emails["admin_a"])
    url = f"/publisher/agency-a/members/{ids[editor]}/role"
    assert admin.post(url, data={"role": "admin"}).status_code == 400  # no CSRF token
    assert _roles(app, "agency-a")[editor] == "editor"
    done = admin.post(url, data={"role": "admin", "csrf_token": page_token(admin, "/publisher/agency-a/members")})
    assert done.status_code == 303 and done.headers["Location"] == "/publisher/agency-a/members"
    assert _roles(app, "agency-a")[editor] == "admin"
    shown = admin.get(done.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert f"{editor} is now an administrator of" in shown
    assert _events(app)[-1][:5] == ("account.role_granted", editor, {"role": "editor"}, {"role": "admin"}, "web")
    refused = admin.post(url, data={"role": "member", "csrf_token": page_token(admin, "/publisher/agency-a/members")})
    assert refused.status_code == 422 and _roles(app, "agency-a")[editor] == "admin"
    # an editor of another publisher gets no further than the permission check
    other = _signed_in(app, world.emails["editor_b"])
    token = page_token(other, "/account")
    assert other.post(url, data={"role": "editor", "csrf_token": token}).status_code == 403
    assert _roles(app, "agency-a")[editor] == "admin"


def test_removing_asks_first_and_takes_the_rights_away_at_once(app, world):
    ids = _ids(app)
    editor = world.emails["editor_a"]
    admin = _signed_in(app, world.emails["admin_a"])
    url = f"/publisher/agency-a/members/{ids[editor]}/remove"
    confirm = admin.get(url + "?lang=en")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert f"Remove {editor} from Agency A?" in html and f'action="{url}"' in html and 'method="post"' in html
    assert 'href="/publisher/agency-a/members">Cancel</a>' in html  # back to the page its link is on
    assert _roles(app, "agency-a")[editor] == "editor"  # the confirmation page changes nothing
    zh = admin.get(url + "?lang=zh").get_data(as_text=True)
    assert "移出" in zh and "移除成员" in zh and "取消" in zh and paragraph_gaps(zh) == []

    # what the editor could do before: edit through the web and the CKAN API
    browser = _signed_in(app, editor)
    api = app.test_client()
    headers = {"Authorization": world.tokens["editor_a"]}

    def writes(label: str) -> dict[str, int]:
        page = browser.get("/publish").get_data(as_text=True)
        return {"web": browser.post("/publish/active-a-1", data={"title": f"Web {label}",
                                                                  "csrf_token": csrf_from(page)}).status_code,
                "ckan": api.post("/api/3/action/package_patch", headers=headers,
                                 json={"id": "active-a-2", "notes": label}).status_code}

    assert writes("before") == {"web": 303, "ckan": 200}
    assert admin.post(url, data={}).status_code == 400  # no CSRF token
    done = admin.post(url, data={"csrf_token": csrf_from(html)})
    assert done.status_code == 303
    assert editor not in _roles(app, "agency-a")
    assert writes("after") == {"web": 403, "ckan": 403}
    with _db(app) as s:  # the token is still theirs
        assert s.scalar(select(User).where(User.email == editor)).active
    listed = admin.get(done.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert f"{editor} is no longer a member of" in listed
    assert _events(app)[-1][:5] == ("account.role_removed", editor, {"role": "editor"}, {"role": None}, "web")
    again = admin.post(url, data={"csrf_token": csrf_from(html)})
    assert again.status_code == 404


def test_the_last_admin_is_told_why_and_an_editor_may_leave(app, world):
    ids = _ids(app)
    admin_email = world.emails["admin_a"]
    admin = _signed_in(app, admin_email)
    url = f"/publisher/agency-a/members/{ids[admin_email]}/remove"
    token = page_token(admin, "/publisher/agency-a/members")
    # told before confirming: the account page offers no "Leave" and says why; the confirm page has no button
    account = admin.get("/account?lang=en").get_data(as_text=True)
    assert 'id="last-admin-agency-a"' in account and f"/members/{ids[admin_email]}/remove" not in account
    confirm = admin.get(url + "?lang=zh_CN").get_data(as_text=True)
    assert 'id="last-admin"' in confirm and "最后一位管理员" in confirm and 'id="remove-button"' not in confirm
    refused = admin.post(url + "?lang=en", data={"csrf_token": token})  # the service's rule, sent all the same
    assert refused.status_code == 409
    assert "is the last administrator of Agency A" in refused.get_data(as_text=True)
    demoted = admin.post(f"/publisher/agency-a/members/{ids[admin_email]}/role?lang=zh",
                         data={"role": "editor", "csrf_token": token})
    assert demoted.status_code == 409 and "最后一位管理员" in demoted.get_data(as_text=True)
    assert _roles(app, "agency-a")[admin_email] == "admin"

    editor = _signed_in(app, world.emails["editor_a"])
    leave = f"/publisher/agency-a/members/{ids[world.emails['editor_a']]}/remove"
    account = editor.get("/account?lang=en").get_data(as_text=True)
    assert f'href="{leave}"' in account
    page = editor.get(leave + "?lang=en")
    assert page.status_code == 200 and "Leave Agency A?" in page.get_data(as_text=True)
    # an editor's "Leave the publisher" is on /account only (their members page is read-only): Cancel goes back there
    assert 'href="/account">Cancel</a>' in page.get_data(as_text=True)
    left = editor.post(leave, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert left.status_code == 303 and left.headers["Location"] == "/account"
    assert world.emails["editor_a"] not in _roles(app, "agency-a")
    assert "You are no longer a member of Agency A." in editor.get(left.headers["Location"] + "?lang=en").get_data(
        as_text=True)
    # another member's removal page is not theirs to see
    assert editor.get(url).status_code == 403


def test_a_link_cannot_put_its_own_words_on_the_members_or_the_account_page(app, world):
    """The members page said "<member> is no longer a member of <publisher>" with the `member` of the query string
    (320 characters of anything), and /account "The invitation of <revoked> was revoked" likewise: anyone could send
    an admin a link to our pages saying what they liked. What a change did is kept in the session now (Flask's
    flash), under a fixed key each page words in its reader's language; the query string shows nothing."""
    admin = _signed_in(app, world.emails["admin_a"])
    spoof = quote("Your account is suspended: call +1 555 0100")
    for done in ("removed", "admin", "editor", "notice"):
        html = admin.get(f"/publisher/agency-a/members?lang=en&member={spoof}&done={done}&notice={spoof}")
        assert html.status_code == 200
        assert "call +1 555" not in html.get_data(as_text=True)
        assert 'id="member-changed"' not in html.get_data(as_text=True)
    account = admin.get(f"/account?lang=en&revoked={spoof}&left=agency-a&editor_of=agency-a&welcome=agency-a"
                        "&changed=1").get_data(as_text=True)
    assert "call +1 555" not in account
    for alert in ("invitation-revoked", "left-publisher", "now-editor", "welcome", "password-changed"):
        assert f'id="{alert}"' not in account, alert


# --------------------------------------------------------------------------- the CKAN actions


def _ckan(app, action: str, token: str | None, body: dict, **kw):
    headers = {"Authorization": token} if token else {}
    return app.test_client().post(f"/api/3/action/{action}", headers=headers, json=body, **kw)


def test_organization_member_create_and_delete(app, world):
    admin_token = world.tokens["admin_a"]
    newcomer = world.emails["editor_b"]
    made = _ckan(app, "organization_member_create", admin_token,
                 {"id": "agency-a", "username": newcomer, "role": "editor"})
    assert made.status_code == 200, made.get_json()
    result = made.get_json()["result"]
    assert result["capacity"] == "editor" and result["table_name"] == "user" and result["group_id"] == "agency-a"
    assert _roles(app, "agency-a")[newcomer] == "editor"
    promoted = _ckan(app, "organization_member_create", admin_token,
                     {"id": "agency-a", "username": newcomer, "role": "admin"})
    assert promoted.status_code == 200 and _roles(app, "agency-a")[newcomer] == "admin"
    assert _events(app)[-1][4] == "ckan_action"
    bad = _ckan(app, "organization_member_create", admin_token,
                {"id": "agency-a", "username": newcomer, "role": "member"})
    assert bad.status_code == 409 and bad.get_json()["error"]["__type"] == "Validation Error"
    assert "role" in bad.get_json()["error"]
    unknown = _ckan(app, "organization_member_create", admin_token,
                    {"id": "agency-a", "username": "nobody@example.gov", "role": "editor"})
    assert unknown.status_code == 404
    no_org = _ckan(app, "organization_member_create", admin_token,
                   {"id": "no-such-org", "username": newcomer, "role": "editor"})
    assert no_org.status_code == 404
    missing = _ckan(app, "organization_member_create", admin_token, {"id": "agency-a", "role": "editor"})
    assert missing.status_code == 409 and "username" in missing.get_json()["error"]

    by_editor = _ckan(app, "organization_member_delete", world.tokens["editor_a"],
                      {"id": "agency-a", "username": newcomer})
    assert by_editor.status_code == 403 and by_editor.get_json()["error"]["__type"] == "Authorization Error"
    assert _ckan(app, "organization_member_delete", None, {"id": "agency-a", "username": newcomer}).status_code == 403
    gone = _ckan(app, "organization_member_delete", admin_token, {"id": "agency-a", "username": newcomer})
    assert gone.status_code == 200 and gone.get_json()["result"] is None
    assert newcomer not in _roles(app, "agency-a")
    again = _ckan(app, "organization_member_delete", admin_token, {"id": "agency-a", "username": newcomer})
    assert again.status_code == 404
    last = _ckan(app, "organization_member_delete", admin_token,
                 {"id": "agency-a", "username": world.emails["admin_a"]})
    assert last.status_code == 409 and "last administrator" in last.get_json()["error"]["message"]
    assert "last administrator" in last.get_json()["error"]["username"][0]  # CKAN's shape: the field it is about
    assert "__junk" not in last.get_json()["error"]
    zh = _ckan(app, "organization_member_delete", admin_token,
               {"id": "agency-a", "username": world.emails["admin_a"]}, query_string={"lang": "zh"})
    assert "最后一位管理员" in zh.get_json()["error"]["message"]
    assert _roles(app, "agency-a")[world.emails["admin_a"]] == "admin"
    as_get = app.test_client().get("/api/3/action/organization_member_delete?id=agency-a",
                                   headers={"Authorization": admin_token})
    assert as_get.status_code == 400
