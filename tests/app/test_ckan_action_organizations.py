"""CKAN's organization_show gives the organization's members (`users`, each with its `capacity`) when `include_users`
is true, its default: to whoever may see the publisher's members (its members and sysadmins,
app.services.accounts.may_see_members), and `[]` to the public and to other publishers' people. Accounts' e-mail
addresses are private here: a member is given as CKAN's public user dict gives a user, never with an address or a
token. It answered `users: []` to everyone.

Through the Flask test client to a real catalog (tests/support/publishing.build_world) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog_schema.models import User
from tests.support.publishing import build_world


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _show(client, world, who: str | None, **params) -> dict:
    headers = {"Authorization": world.tokens[who]} if who else {}
    resp = client.get("/api/3/action/organization_show", query_string={"id": "agency-a", **params}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    text = resp.get_data(as_text=True)
    assert "@" not in text and "odp_" not in text  # no address, no token, whoever asks
    return resp.get_json()["result"]


def test_organization_show_gives_its_members_to_who_may_see_them(client, app, world):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ids = {role: s.scalar(select(User.id).where(User.email == world.emails[role]))
               for role in ("editor_a", "admin_a")}
        s.get(User, ids["admin_a"]).name = "Ada Admin"
        s.commit()
    expected = [
        {"id": str(ids["admin_a"]), "name": str(ids["admin_a"]), "fullname": "Ada Admin", "display_name": "Ada Admin",
         "capacity": "admin", "state": "active"},
        {"id": str(ids["editor_a"]), "name": str(ids["editor_a"]), "fullname": None,
         "display_name": str(ids["editor_a"]), "capacity": "editor", "state": "active"},
    ]
    for who in ("admin_a", "editor_a", "sysadmin"):
        shown = _show(client, world, who)
        assert sorted(shown["users"], key=lambda u: u["capacity"]) == expected, who
        assert _show(client, world, who, include_users="false")["users"] == []
    for who in (None, "editor_b"):  # the public, another publisher's editor
        assert _show(client, world, who)["users"] == [], who
    # the name a member is given is one organization_member_delete takes (`username`), as in CKAN
    member = client.post("/api/3/action/organization_member_create", headers={"Authorization": world.tokens["admin_a"]},
                         json={"id": "agency-a", "username": expected[1]["name"], "role": "admin"})
    assert member.status_code == 200 and member.get_json()["result"]["capacity"] == "admin"


def _for_user(client, world, who: str | None, status: int = 200, **params):
    headers = {"Authorization": world.tokens[who]} if who else {}
    resp = client.get("/api/3/action/organization_list_for_user", query_string=params, headers=headers)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert "@" not in resp.get_data(as_text=True)
    return resp


def test_organization_list_for_user_says_where_the_token_may_publish(client, app, world):
    """What a publishing script asks before package_create ("which organizations may I publish to?"): it answered
    "Action name not known". Each organization the token's user has the permission on (CKAN's default manage_group:
    an admin's), with the user's capacity; a sysadmin every one; nobody, or another user's id, none."""
    def names(who, **params):
        return [(o["name"], o["capacity"]) for o in _for_user(client, world, who, **params).get_json()["result"]]

    assert names("editor_a", permission="create_dataset") == [("agency-a", "editor")]
    assert names("editor_a") == []  # manage_group: an admin's
    assert names("admin_a") == [("agency-a", "admin")]
    assert names("editor_b", permission="update_dataset") == [("agency-b", "editor")]
    assert names("sysadmin") == [("agency-a", "admin"), ("agency-b", "admin")]
    assert names(None, permission="read") == []
    with app.extensions["opendata"]["sessionmaker"]() as s:
        other = s.scalar(select(User.id).where(User.email == world.emails["admin_a"]))
    assert names("editor_b", id=str(other), permission="read") == []  # another user's: not listed to others
    first = _for_user(client, world, "admin_a").get_json()["result"][0]
    assert first["package_count"] >= 1 and first["title"]
    assert _for_user(client, world, "admin_a").headers["Cache-Control"].startswith("private")
    refused = _for_user(client, world, "admin_a", status=409, permission="fly").get_json()
    assert refused["error"]["__type"] == "Validation Error" and "permission" in refused["error"]
