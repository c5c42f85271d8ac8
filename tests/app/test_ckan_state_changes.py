"""CKAN's `state` in package_update and package_patch goes through the lifecycle services (one gate, docs/api.md).

CKAN clients publish a draft by sending it back with `"state": "active"` (the second step of CKAN's own form),
undelete a dataset the same way and delete one with `"state": "deleted"`. The door listed `state` among the keys it
computes and ignored it: `success: true`, the dataset left as it was (a draft stayed a draft, a withdrawn dataset
withdrawn), and the client believed it done. Now each goes through the service the publish pages and the REST API
use (publish, restore: the pre-publication check and the personal-data gate; package_delete's rule for deleted), a
refusal is a Validation Error that changes nothing, and a state sent beside other changes is refused whole: a
service commits on its own, so the two could not be one change.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog_schema.models import AuditEvent, Dataset
from tests.support.publishing import CLEAN_CSV, PII_CSV, build_world


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _action(client, world, action: str, body: dict, status: int = 200, who: str = "editor_a") -> dict:
    resp = client.post(f"/api/3/action/{action}", headers={"Authorization": world.tokens[who]}, json=body)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def _upload(client, world, slug: str, path) -> None:
    with path.open("rb") as fh:
        resp = client.post(f"/api/v1/datasets/{slug}/distributions",
                           headers={"Authorization": f"Bearer {world.tokens['editor_a']}"},
                           data={"file": (fh, path.name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()


def _state(app, slug: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.scalar(select(Dataset.state).where(Dataset.slug == slug))


def _actions(app, slug: str) -> list[str]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds_id = s.scalar(select(Dataset.id).where(Dataset.slug == slug))
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ds_id).order_by(AuditEvent.id)))


def _ready_draft(client, world, path=CLEAN_CSV) -> None:
    """A's draft with what publishing asks for: a description, a licence and a file."""
    _action(client, world, "package_patch", {"id": world.draft_a, "notes": "Population by district, 2024.",
                                             "license_id": "CC-BY-4.0"})
    _upload(client, world, world.draft_a, path)


@pytest.mark.parametrize("action", ["package_patch", "package_update"])
def test_a_draft_sent_back_active_is_published_through_the_gate(app, client, world, action):
    _ready_draft(client, world)
    shown = _action(client, world, "package_show", {"id": world.draft_a})["result"]
    assert shown["state"] == "draft"
    body = {"id": world.draft_a, "state": "active"} if action == "package_patch" else {**shown, "state": "active"}
    got = _action(client, world, action, body)["result"]
    assert got["state"] == "active" and _state(app, world.draft_a) == "active"
    assert _actions(app, world.draft_a)[-1] == "publish.publish"
    assert client.get(f"/dataset/{world.draft_a}").status_code == 200  # public now


def test_a_draft_with_personal_data_is_not_published_by_its_state(app, client, world):
    _ready_draft(client, world, PII_CSV)
    before = _actions(app, world.draft_a)
    refused = _action(client, world, "package_patch", {"id": world.draft_a, "state": "active"}, status=409)
    assert refused["success"] is False and refused["error"]["__type"] == "Validation Error"
    assert "resources" in refused["error"]  # the gate's refusal, as package_create says it
    assert _state(app, world.draft_a) == "draft" and _actions(app, world.draft_a) == before


def test_a_withdrawn_dataset_sent_back_active_is_restored_unless_it_holds_personal_data(app, client, world):
    _action(client, world, "package_delete", {"id": "active-a-1"})  # a publisher's editor withdraws it
    assert _state(app, "active-a-1") == "withdrawn"
    shown = _action(client, world, "package_show", {"id": "active-a-1"})["result"]
    assert shown["state"] == "deleted"
    assert _action(client, world, "package_patch", {"id": "active-a-1", "state": "active"})["result"]["state"] == \
        "active"
    assert _state(app, "active-a-1") == "active"
    # withdrawn again, then a file with personal data added: it stays withdrawn until that is dealt with
    _action(client, world, "package_patch", {"id": "active-a-1", "state": "deleted"})
    assert _state(app, "active-a-1") == "withdrawn"
    _upload(client, world, "active-a-1", PII_CSV)
    refused = _action(client, world, "package_patch", {"id": "active-a-1", "state": "active"}, status=409)
    assert refused["error"]["__type"] == "Validation Error" and _state(app, "active-a-1") == "withdrawn"


def test_a_state_sent_with_other_changes_is_refused_with_nothing_changed(app, client, world):
    _ready_draft(client, world)
    before = _actions(app, world.draft_a)
    refused = _action(client, world, "package_patch", {"id": world.draft_a, "state": "active", "title": "New title"},
                      status=409)
    assert "state" in refused["error"] and "title" in refused["error"]["state"][0]
    assert _state(app, world.draft_a) == "draft" and _actions(app, world.draft_a) == before
    shown = _action(client, world, "package_show", {"id": world.draft_a})["result"]
    assert shown["title"] != "New title"


@pytest.mark.parametrize(("slug", "state", "said"), [("active-a-2", "draft", "does not go back to a draft"),
                                                     ("active-a-2", "published", "is not a state"),
                                                     ("active-a-2", ["active"], "is not a state")])
def test_a_state_with_no_way_there_is_refused(app, client, world, slug, state, said):
    refused = _action(client, world, "package_patch", {"id": slug, "state": state}, status=409)
    assert said in refused["error"]["state"][0] and _state(app, slug) == "active"


def test_a_state_sent_back_as_it_is_changes_nothing_of_it(app, client, world):
    shown = _action(client, world, "package_show", {"id": "active-a-3"})["result"]
    _action(client, world, "package_update", {**shown, "state": "active", "title": "Renamed"})
    assert _state(app, "active-a-3") == "active"
    assert _action(client, world, "package_show", {"id": "active-a-3"})["result"]["title"] == "Renamed"


def test_a_harvested_dataset_is_not_moved_by_its_state(app, client, world):
    refused = _action(client, world, "package_patch", {"id": world.harvested, "state": "deleted"}, status=403)
    assert refused["success"] is False and _state(app, world.harvested) == "active"


@pytest.mark.parametrize("how", ["package_patch", "rest"])
def test_a_dataset_published_with_no_files_is_restored_as_it_was_public(app, client, world, how):
    """package_create publishes a package with no resources (clients add them after); withdrawn, it could not come
    back: its restore was refused with 409 no-distributions, "Add at least one file or link before publishing"."""
    made = _action(client, world, "package_create", {"name": "no-files-yet", "owner_org": "agency-a",
                                                     "title": "No files yet"})["result"]
    assert made["state"] == "active" and made["resources"] == []
    _action(client, world, "package_delete", {"id": "no-files-yet"})
    assert _state(app, "no-files-yet") == "withdrawn"
    if how == "package_patch":
        got = _action(client, world, "package_patch", {"id": "no-files-yet", "state": "active"})["result"]
        assert got["state"] == "active"
    else:
        resp = client.post("/api/v1/datasets/no-files-yet/restore",
                           headers={"Authorization": f"Bearer {world.tokens['editor_a']}"})
        assert resp.status_code == 200, resp.get_json()
    assert _state(app, "no-files-yet") == "active"
    assert client.get("/dataset/no-files-yet").status_code == 200


def test_a_draft_reads_private_and_a_published_dataset_not(app, client, world):
    """package_create with `private: true` made a draft (hidden) but answered `"private": false`: a client reading
    `private` believed the dataset public. A draft reads private to who may see it; published, it does not. Sent
    back as package_show gave it, the draft stays a draft and changes nothing; sent back `active`, it is published
    through its check as before."""
    made = _action(client, world, "package_create", {"name": "kept-private", "owner_org": "agency-a",
                                                     "title": "Kept private", "private": True,
                                                     "notes": "Not ready.", "license_id": "cc-by"})["result"]
    assert made["state"] == "draft" and made["private"] is True
    shown = _action(client, world, "package_show", {"id": "kept-private"})["result"]
    assert shown["private"] is True
    before = _actions(app, "kept-private")
    again = _action(client, world, "package_update", shown)["result"]
    assert again == shown and _actions(app, "kept-private") == before and _state(app, "kept-private") == "draft"
    _upload(client, world, "kept-private", CLEAN_CSV)
    shown = _action(client, world, "package_show", {"id": "kept-private"})["result"]
    published = _action(client, world, "package_update", {**shown, "state": "active"})["result"]
    assert published["state"] == "active" and published["private"] is False
    assert client.get("/api/3/action/package_show?id=kept-private").get_json()["result"]["private"] is False
