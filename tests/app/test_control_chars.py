"""Text with a NUL or another control character, through every door that takes a dataset's metadata: on PostgreSQL
a NUL failed the request with a 500 (its JSON values cannot hold one), and SQLite kept what no XML export can
hold. Each door now refuses it naming the field, changes nothing, and still takes text that the dataset held
already (a harvested description with a form feed, posted back unchanged beside a new title)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from catalog_schema.models import Dataset
from tests.app.test_publish_api import world  # noqa: F401 - the fixture, built once per backend


def _count(app) -> int:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(Dataset))


def test_every_door_refuses_a_control_character_naming_the_field(app, client, world):  # noqa: F811
    token = {"Authorization": world.tokens["editor_a"]}
    before = _count(app)
    for field, value in (("title", "Taxi\x00 fares"), ("description", "fares\x0b"), ("keywords", ["taxi\x1b"]),
                         ("contact_point", {"name": "Zhang\x00", "email": "z@agency-a.example"}),
                         ("version", "1.0\ud800")):
        body = {"publisher": "agency-a", "title": "Taxi fares", "lang": "en", "license": "cc-by", field: value}
        # as JSON escapes (\\u0000, \\ud800): what a client sends, and the only way to send a lone surrogate
        refused = client.post("/api/v1/datasets", headers=token, data=json.dumps(body), content_type="application/json")
        assert refused.status_code == 422, (field, refused.get_json())
        assert refused.get_json()["error"]["message"].startswith(f"{field}: holds a control character"), field
    zh = client.post("/api/v1/datasets?lang=zh", headers=token, json={"publisher": "agency-a", "title": "出租车\x00"})
    assert zh.status_code == 422 and "控制字符" in zh.get_json()["error"]["message"], zh.get_json()
    ckan = client.post("/api/3/action/package_create", headers=token,
                       json={"name": "nul-title", "title": "a\x00b", "owner_org": "agency-a"})
    assert ckan.status_code == 409 and "title" in ckan.get_json()["error"], ckan.get_json()
    ckan = client.post("/api/3/action/package_create", headers=token,
                       json={"name": "nul-resource", "title": "Fine", "owner_org": "agency-a",
                             "resources": [{"url": "http://127.0.0.1:9/a.csv", "name": "a\x00"}]})
    assert ckan.status_code == 409, ckan.get_json()
    assert _count(app) == before  # nothing created by any of them

    slug = world.draft_a
    edit = client.patch(f"/api/v1/datasets/{slug}", headers=token, json={"description": "new\x00"})
    assert edit.status_code == 422 and edit.get_json()["error"]["message"].startswith("description:")
    for bad in ({"title": "Bus\x00"}, {"format": "CSV\x00"}):
        refused = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token,
                              json={"url": "http://127.0.0.1:9/bus.csv", "title": "Bus", **bad})
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["error"]["message"].startswith(f"{next(iter(bad))}:")
    linked = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token,
                         json={"url": "http://127.0.0.1:9/bus.csv", "title": "Bus"})
    assert linked.status_code == 201, linked.get_json()
    dist_id = linked.get_json()["distributions"][-1]["id"]
    renamed = client.post("/api/3/action/resource_patch", headers=token, json={"id": dist_id, "name": "Bus\x00"})
    assert renamed.status_code == 409 and "title" in renamed.get_json()["error"], renamed.get_json()
    shown = client.get(f"/api/3/action/package_show?id={slug}", headers=token).get_json()["result"]
    assert [r["name"] for r in shown["resources"]] == ["Bus"] and "\x00" not in json.dumps(shown)


def test_text_the_dataset_holds_already_does_not_stop_a_change(app, client, world):  # noqa: F811
    token = {"Authorization": world.tokens["editor_a"]}
    slug = world.draft_a
    with app.extensions["opendata"]["sessionmaker"]() as s:  # as a harvest may have kept it (a source said it)
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        ds.description = {"en": "Page one\x0cPage two"}
        s.commit()
    kept = client.patch(f"/api/v1/datasets/{slug}", headers=token,
                        json={"title": "Draft of A, renamed", "description": "Page one\x0cPage two"})
    assert kept.status_code == 200, kept.get_json()
    pkg = client.get(f"/api/3/action/package_show?id={slug}", headers=token).get_json()["result"]
    pkg["title"] = "Draft of A, once more"
    saved = client.post("/api/3/action/package_update", headers=token, json=pkg)
    assert saved.status_code == 200, saved.get_json()
    added = client.patch(f"/api/v1/datasets/{slug}", headers=token, json={"description": "Page one\x0cPage two\x07"})
    assert added.status_code == 422  # a new one is refused
