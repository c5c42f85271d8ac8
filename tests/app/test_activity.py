"""The public activity of datasets (issue 18 item 1): CKAN's activity actions through ckanapi's RemoteCKAN
against the app served over real HTTP, and the Activity sections of the dataset and publisher pages, read
from the audit log and the harvest records the gate writes; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from ckanapi import RemoteCKAN
from ckanapi.errors import NotFound

from app import activity
from catalog_schema.models import User
from tests.support import activity as catalog_history


@pytest.fixture
def world(snapshot, app):
    """The catalog with a history: built once per backend, a copy for each test."""
    return snapshot.once(lambda: catalog_history.build(app))


def test_kind_of_a_change_is_what_the_public_saw():
    draft, active, withdrawn = {"state": "draft"}, {"state": "active"}, {"state": "withdrawn"}
    assert activity.kind_of(None, draft) is None and activity.kind_of(draft, draft) is None
    assert activity.kind_of(None, active) == activity.NEW and activity.kind_of(draft, active) == activity.NEW
    assert activity.kind_of(active, active) == activity.CHANGED
    assert activity.kind_of(withdrawn, active) == activity.CHANGED  # restored
    assert activity.kind_of(active, withdrawn) == activity.DELETED
    assert activity.kind_of(active, {"state": "deleted"}) == activity.DELETED
    assert activity.kind_of(withdrawn, withdrawn) is None


def test_ckan_activity_actions_through_ckanapi(app, world, served):
    ck = RemoteCKAN(served.url)
    bus = ck.action.package_activity_list(id="bus-stops")
    assert [a["activity_type"] for a in bus] == ["changed package", "new package"]
    assert {a["object_id"] for a in bus} == {world["bus-stops"]}
    assert bus[0]["timestamp"] >= bus[1]["timestamp"]
    assert bus[0]["data"]["package"]["name"] == "bus-stops"
    assert bus[0]["data"]["package"]["notes"] == "Every stop of every line"  # the record after that change
    assert bus[1]["data"]["package"]["notes"] == "About Bus stops"
    assert bus[0]["data"]["package"]["organization"]["name"] == "agency-a"
    assert bus[0]["data"]["package"]["resources"][0]["package_id"] == world["bus-stops"]
    assert bus[0]["user_id"] is not None and bus[0]["data"]["actor"] == "Agency-A"
    assert "editor@a.example" not in str(bus)  # the people of a publisher are not named in public
    assert len({a["id"] for a in bus}) == 2
    assert ck.action.package_activity_list(id=world["bus-stops"]) == bus  # by id too, the same ids each time
    assert [a["activity_type"] for a in ck.action.package_activity_list(id="bus-stops", offset=1, limit=1)] == \
        ["new package"]

    # a draft has no public activity, and is not found, as package_show answers
    with pytest.raises(NotFound):
        ck.action.package_activity_list(id="secret-draft")
    # a withdrawn dataset: not found to the public (its tombstone comes with the error)
    with pytest.raises(NotFound):
        ck.action.package_activity_list(id="air")

    recent = ck.action.recently_changed_packages_activity_list()
    assert [(a["data"]["package"]["name"], a["activity_type"]) for a in recent] == [
        ("harvested", "new package"), ("air", "deleted package"), ("air", "new package"),
        ("bus-stops", "changed package"), ("bus-stops", "new package")]
    assert world["secret-draft"] not in {a["object_id"] for a in recent}
    air = [a for a in recent if a["object_id"] == world["air"]]
    # what was withdrawn is not served again through its history: name, title and publisher only
    assert all(a["data"]["package"]["state"] == "deleted" and "resources" not in a["data"]["package"] for a in air)
    harvested = recent[0]
    assert harvested["user_id"] is None and harvested["data"]["actor"] == "city-ckan"
    assert ck.action.recently_changed_packages_activity_list(limit=2, offset=3) == recent[3:5]

    org = ck.action.organization_activity_list(id="agency-a")
    assert [a["id"] for a in org] == [a["id"] for a in recent]
    with pytest.raises(NotFound):
        ck.action.organization_activity_list(id="no-such-org")


def test_an_editor_sees_the_activity_of_a_withdrawn_dataset(app, world, served):
    from app.services import accounts

    with app.extensions["opendata"]["sessionmaker"]() as s:
        user = s.query(User).filter_by(email="editor@a.example").one()
        token = accounts.create_token(s, user, name="tests")
        s.commit()
    air = RemoteCKAN(served.url, apikey=token).action.package_activity_list(id="air")
    assert [a["activity_type"] for a in air] == ["deleted package", "new package"]


def test_dataset_and_publisher_pages_show_their_activity_in_both_languages(app, client, world):
    page = client.get("/dataset/bus-stops?lang=en").get_data(as_text=True)
    section = page.split('id="activity-h"')[1].split("</section>")[0]
    assert section.count("<li") == 2 and "Updated" in section and "Newly published" in section
    assert "by Agency-A" in section
    zh = client.get("/dataset/bus-stops?lang=zh_CN").get_data(as_text=True)
    section = zh.split('id="activity-h"')[1].split("</section>")[0]
    assert "动态" in zh.split('id="activity-h"')[1][:20] and "新发布" in section and "更新" in section

    pub = client.get("/publisher/agency-a?lang=en").get_data(as_text=True)
    section = pub.split('id="activity-h"')[1].split("</section>")[0]
    assert "harvested from city-ckan" in section and "Withdrawn" in section
    assert "/dataset/bus-stops" in section and "secret-draft" not in section and "Secret draft" not in section
    assert 'id="follow-button"' not in pub  # following is for signed-in readers
    # every time on the pages says its zone, on SQLite too (which hands stored UTC times back without it)
    times = re.findall(r'<time datetime="([^"]+)"', page + zh + pub)
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", t) for t in times), times


def test_pages_of_activity_are_the_same_whatever_the_batch(app, world):
    """Read in keyset batches of two rows a table, the merged history is the one read in one batch, and any
    page of it is the same slice."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        whole = list(activity.changes(s))
        assert len(whole) == 5 and [c.at for c in whole] == sorted((c.at for c in whole), reverse=True)
        assert list(activity.changes(s, batch=2)) == whole
        assert activity.page(s, offset=1, limit=3) == whole[1:4]
        assert [c.kind for c in activity.page(s, dataset_ids=[world["air"]])] == [activity.DELETED, activity.NEW]
        assert list(activity.changes(s, since=whole[2].at)) == whole[:2]
        assert list(activity.changes(s, until=whole[2].at)) == whole[2:]
        assert list(activity.changes(s, dataset_ids=[])) == []
