"""CKAN's organization writes (organization_create, _update, _patch; _delete refused) through app.services.publishers,
and the group writes refused, the groups being the EU data themes. They answered "Action name not known", so
`ckanapi load organizations` failed on every line and no script could set a publisher's description, logo or homepage.

Through the Flask test client to a real catalog (tests/support/publishing.build_world) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog_schema import search
from catalog_schema.models import AuditEvent, Publisher
from tests.support.publishing import build_world


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _post(client, world, who: str | None, action: str, status: int = 200, lang: str | None = None, **data):
    headers = {"Authorization": world.tokens[who]} if who else {}
    query = {"lang": lang} if lang else {}
    resp = client.post(f"/api/3/action/{action}", json=data, headers=headers, query_string=query)
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    return body["result"] if status == 200 else body["error"]


def _show(client, world, who: str = "sysadmin", slug: str = "agency-a") -> dict:
    return client.get("/api/3/action/organization_show", query_string={"id": slug},
                      headers={"Authorization": world.tokens[who]}).get_json()["result"]


def _state(app, slug: str = "agency-a"):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        pub = s.scalar(select(Publisher).where(Publisher.slug == slug))
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "publisher"))
        return (pub.name, pub.description, pub.homepage, pub.extras, pub.updated_at), events


def test_an_admin_updates_their_publisher_and_an_unchanged_dict_writes_nothing(client, app, world):
    before, events = _state(app)
    shown = _show(client, world, "admin_a")
    # organization_show's dict sent back (ckanapi load of a dump): nothing written, nothing audited
    assert _post(client, world, "admin_a", "organization_update", **{**shown, "users": []}) == shown
    assert _post(client, world, "sysadmin", "organization_update", **shown) == _show(client, world, "sysadmin")
    assert _state(app) == (before, events)
    # a script sets the description, logo and homepage
    out = _post(client, world, "admin_a", "organization_patch", id="agency-a", description="Roads and buses",
                image_url="https://agency-a.example.gov/logo.png", url="https://agency-a.example.gov/")
    assert out["description"] == "Roads and buses" and out["image_display_url"].endswith("/logo.png")
    assert out["url"] == "https://agency-a.example.gov/" and out["title_translated"] == {"en": "Agency A", "zh": "甲局"}
    (name, description, homepage, _extras, updated), events_after = _state(app)
    assert description == {"": "Roads and buses"} and homepage == "https://agency-a.example.gov/"
    assert events_after == events + 1 and updated != before[4]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "publisher.updated")).one()
        assert ev.object_id == "agency-a" and ev.before == {"description": {}, "homepage": None, "image_url": None}
        assert ev.after["homepage"] == "https://agency-a.example.gov/" and ev.detail["via"] == "ckan_action"
    # a title alone is the text in the language shown (English); title_translated sets each language
    out = _post(client, world, "admin_a", "organization_patch", id="agency-a", title="Agency A of Jinghai")
    assert out["title_translated"] == {"en": "Agency A of Jinghai", "zh": "甲局"}
    out = _post(client, world, "sysadmin", "organization_patch", id="agency-a",
                title_translated={"en": "Transport Agency", "zh": "交通局"})
    assert out["title"] == "Transport Agency" and out["display_name"] == "Transport Agency"
    with app.extensions["opendata"]["sessionmaker"]() as s:  # the datasets' documents say the new name
        found = search.search(s, search.SearchQuery(q="交通局", limit=100))
        assert found.total >= 1
    # organization_show's dict with its title edited (title_translated sent back as it was): the title is edited
    out = _post(client, world, "admin_a", "organization_update", **{**_show(client, world), "title": "Transport"})
    assert out["title_translated"] == {"en": "Transport", "zh": "交通局"}
    err = _post(client, world, "admin_a", "organization_patch", 409, id="agency-a", title="Roads",
                title_translated={"en": "Buses"})
    assert err["__type"] == "Validation Error" and "title" in err
    # organization_update says every field: the extras kept and shown, the logo left out emptied
    full = {**_show(client, world), "extras": [{"key": "code", "value": "JH-01"}]}
    full.pop("image_url")
    out = _post(client, world, "admin_a", "organization_update", **full)
    assert out["extras"] == [{"key": "code", "value": "JH-01"}] and out["image_url"] == ""
    assert out["description"] == "Roads and buses" and out["url"] == "https://agency-a.example.gov/"


def test_who_may_write_an_organization(client, app, world):
    before = _state(app)
    for who in ("editor_a", "editor_b"):  # an editor, another publisher's people
        err = _post(client, world, who, "organization_patch", 403, id="agency-a", description="mine")
        assert err["__type"] == "Authorization Error"
    assert _post(client, world, None, "organization_patch", 403, id="agency-a", description="x")["__type"] \
        == "Authorization Error"
    err = _post(client, world, "admin_a", "organization_create", 403, name="agency-c", title="C")
    assert err["__type"] == "Authorization Error"
    # who may not is told so before anything they sent is read (as CKAN checks rights first)
    for action, data in [("organization_update", {"id": "agency-a", "name": "other", "users": [{"name": "1"}]}),
                         ("organization_create", {"name": "Bad Name!", "image_url": "logo.png"})]:
        assert _post(client, world, "editor_a", action, 403, **data)["__type"] == "Authorization Error"
    assert _state(app) == before


def test_a_sysadmin_creates_an_organization_from_a_ckan_dump(client, app, world):
    ckan_org = {"id": "4eda0082-f593-489e-b66a-8fe8274cfc94", "name": "birmingham-city-council",
                "title": "Birmingham City Council", "description": "The council", "is_organization": True,
                "image_url": "20141105-110458.130088bcc-logo.jpg", "state": "active", "type": "organization",
                "image_display_url": "https://data.birmingham.gov.uk/uploads/group/20141105-110458.130088bcc-logo.jpg",
                "created": "2014-09-12T07:44:42.969562", "approval_status": "approved", "package_count": 38,
                "users": [], "extras": [], "num_followers": 0}
    out = _post(client, world, "sysadmin", "organization_create", **ckan_org)
    assert out["name"] == out["id"] == "birmingham-city-council" and out["title"] == "Birmingham City Council"
    assert out["description"] == "The council" and out["image_url"] == ckan_org["image_display_url"]
    assert out["package_count"] == 0 and out["users"] == [] and out["is_organization"] is True
    with app.extensions["opendata"]["sessionmaker"]() as s:
        pub = s.scalar(select(Publisher).where(Publisher.slug == "birmingham-city-council"))
        assert pub.extras["ckan"]["id"] == ckan_org["id"]  # the other portal's id, kept
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "publisher.created")) == 1
    # loaded again (ckanapi load finds it by name and updates it): nothing changes
    _before = _state(app, "birmingham-city-council")
    assert _post(client, world, "sysadmin", "organization_update", **{**ckan_org, "id": "birmingham-city-council"})
    assert _state(app, "birmingham-city-council") == _before
    err = _post(client, world, "sysadmin", "organization_create", 409, **ckan_org)
    assert err["__type"] == "Validation Error" and "name" in err


def test_bad_input_is_a_validation_error_naming_the_field_in_english_and_chinese(client, app, world):
    before = _state(app)
    # (the last: whether its message is in the Chinese catalog yet; the new ones are in NEW_MSGIDS.json until merged)
    cases = [("organization_patch", {"id": "agency-a", "url": "ftp://x"}, "url", True),
             ("organization_patch", {"id": "agency-a", "image_url": "logo.png"}, "image_url", False),
             ("organization_patch", {"id": "agency-a", "title_translated": {"en": 3}}, "title", False),
             ("organization_patch", {"id": "agency-a", "extras": [{"value": "no key"}]}, "extras", False),
             ("organization_patch", {"id": "agency-a", "name": "agency-z"}, "name", False),
             ("organization_update", {"id": "agency-a", "title": "A", "users": [{"name": "1", "capacity": "admin"}]},
              "users", False),
             ("organization_create", {"name": "Bad Name!", "title": "x"}, "name", True)]
    for action, data, field, in_catalog in cases:
        err = _post(client, world, "sysadmin", action, 409, **data)
        assert err["__type"] == "Validation Error" and field in err, (action, data, err)
        zh = _post(client, world, "sysadmin", action, 409, lang="zh", **data)
        assert field in zh
        if in_catalog:
            assert zh[field] != err[field] and any("\u4e00" <= ch <= "\u9fff" for ch in str(zh[field])), zh
    err = _post(client, world, "sysadmin", "organization_delete", 409, id="agency-a")
    assert err["__type"] == "Validation Error" and "still has datasets" in err["message"]
    assert _post(client, world, "sysadmin", "organization_patch", 404, id="nope", title="x")["__type"] \
        == "Not Found Error"
    assert _state(app) == before


def test_the_groups_are_the_fixed_eu_themes(client, app, world):
    shown = client.get("/api/3/action/group_show", query_string={"id": "tran"}).get_json()["result"]
    # a theme sent back as group_show gives it (ckanapi load groups of a dump): accepted, nothing to change
    assert _post(client, world, "sysadmin", "group_update", **{**shown, "package_count": 99})["name"] == "tran"
    for action, data, field in [("group_update", {**shown, "title": "Roads"}, "title"),
                                ("group_patch", {"id": "tran", "description": "mine"}, "description"),
                                ("group_create", {"name": "roads", "title": "Roads"}, "name"),
                                ("group_delete", {"id": "tran"}, "id")]:
        err = _post(client, world, "sysadmin", action, 409, **data)
        assert err["__type"] == "Validation Error" and "EU data themes" in err[field][0], (action, err)
    assert _post(client, world, "sysadmin", "group_update", 404, lang="zh", id="roads", title="Roads") \
        == {"__type": "Not Found Error", "message": "未找到分组"}


def test_help_show_gives_the_writes_texts(client):
    for name in ("organization_update", "organization_create", "group_update", "package_create"):
        text = client.get("/api/3/action/help_show", query_string={"name": name}).get_json()["result"]
        assert text and text[0].isupper(), name
