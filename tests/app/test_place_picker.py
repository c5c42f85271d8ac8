"""The publish form's place picker reaches counties: /publish/places suggests every level of the gazetteer as
one types (the page lists provinces and prefectures), and a county chosen there is saved as its place URI."""

from __future__ import annotations

from catalog_schema import gazetteer
from catalog_schema.models import Dataset
from tests.support.publishing import build_world


def test_suggestions_reach_counties(client, db_url):
    found = client.get("/publish/places?q=西湖")
    assert found.status_code == 200 and found.mimetype == "application/json"
    assert found.get_json()[0] == {"label": "浙江省杭州市西湖区 (330106)", "uri": gazetteer.URI_PREFIX + "330106",
                                   "level": 3}
    assert client.get("/publish/places").get_json() == []
    assert len(client.get("/publish/places?q=" + "区" * 100).get_json()) <= 20


def test_a_county_from_the_picker_is_saved(app, client):
    world = build_world(app.extensions["opendata"]["sessionmaker"])
    token = {"Authorization": world.tokens["editor_a"]}
    label = client.get("/publish/places?q=西湖").get_json()[0]["label"]
    done = client.patch(f"/api/v1/datasets/{world.draft_a}", headers=token, json={"spatial": [label]})
    assert done.status_code == 200, done.get_json()
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.query(Dataset).filter_by(slug=world.draft_a).one()
        assert gazetteer.URI_PREFIX + "330106" in str(ds.spatial)
