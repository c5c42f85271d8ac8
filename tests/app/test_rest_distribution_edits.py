"""The REST API changes and removes a dataset's files, as the publish page and CKAN's resource_patch, resource_update
and resource_delete do, through the same services (distributions.replace and remove):

- PATCH /api/v1/datasets/<slug>/distributions/<id> with JSON changes the fields given (a title in `lang`, a format, a
  media type, a new address with the format it names); multipart with a `file` part is a new version of the file,
  checked as an added one;
- DELETE /api/v1/datasets/<slug>/distributions/<id> takes it out.

Before, an agency publishing through its own REST API could add a file but neither fix one nor take one out: a
wrong title or media type stayed until someone used the page or the CKAN door. A refusal changes nothing.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from catalog_schema.models import AuditEvent, Dataset
from catalog_schema.store import to_record
from tests.support.openapi import validate_against
from tests.support.publishing import CLEAN_CSV, PII_CSV, XLSX, build_world
from tests.support.publishing import snapshot as rows_of

EXPORT = "http://127.0.0.1:9/api/export?id=7"


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _files(app, slug: str) -> list[dict]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(s.scalar(select(Dataset).where(Dataset.slug == slug)))["distributions"]


def _link(client, token: dict, slug: str, **link) -> str:
    made = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, json=link)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["distributions"][-1]["id"]


def test_patch_changes_only_the_fields_given(app, client, world, openapi):
    token = {"Authorization": world.tokens["editor_a"]}
    dist = _link(client, token, world.draft_a, url=EXPORT, title="Export", format="CSV")
    url = f"/api/v1/datasets/{world.draft_a}/distributions/{dist}"
    resp = client.patch(url, headers=token, json={"title": "Bus stops", "lang": "en", "media_type": "text/csv",
                                                  "description": {"zh": "公交站点", "en": "Bus stops"}})
    assert resp.status_code == 200, resp.get_json()
    validate_against(openapi, "PublishResult", resp.get_json())
    file, = _files(app, world.draft_a)
    assert file["title"] == {"zh": "Export", "en": "Bus stops"}
    assert file["description"] == {"zh": "公交站点", "en": "Bus stops"}
    assert (file["format"], file["media_type"], file["download_url"]) == ("CSV", "text/csv", EXPORT)
    # a new address is a new link: the format and media type its address names
    moved = client.patch(url, headers=token, json={"url": "http://127.0.0.1:9/stops.json"})
    assert moved.status_code == 200, moved.get_json()
    file, = _files(app, world.draft_a)
    assert (file["download_url"], file["format"], file["media_type"]) == (
        "http://127.0.0.1:9/stops.json", "JSON", "application/json")
    assert file["title"] == {"zh": "Export", "en": "Bus stops"}  # kept
    with app.extensions["opendata"]["sessionmaker"]() as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))[-2:]
    assert actions == ["publish.update_distribution", "publish.replace_distribution"]
    doc = openapi["paths"]["/datasets/{slug}/distributions/{dist_id}"]
    assert set(doc) >= {"patch", "delete"}


@pytest.mark.parametrize(("body", "said"), [({"media_type": "comma separated"}, "is not a media type"),
                                            ({"url": "stops on the portal"}, "http(s) URL"),
                                            ({"url": "ftp://127.0.0.1/stops.csv"}, "http(s) URL"),
                                            ({"colour": "red"}, "colour")])
def test_a_refused_change_changes_nothing(app, client, world, body, said):
    token = {"Authorization": world.tokens["editor_a"]}
    dist = _link(client, token, world.draft_a, url=EXPORT, title="Export")
    before = rows_of(app.extensions["opendata"]["sessionmaker"])
    resp = client.patch(f"/api/v1/datasets/{world.draft_a}/distributions/{dist}", headers=token, json=body)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "invalid", resp.get_json()
    assert said in resp.get_json()["error"]["message"], resp.get_json()
    assert rows_of(app.extensions["opendata"]["sessionmaker"]) == before


def test_a_new_version_of_an_uploaded_file(app, client, world):
    token = {"Authorization": world.tokens["editor_a"]}
    made = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), "population.csv"), "title": "Population"})
    assert made.status_code == 201, made.get_json()
    dist = made.get_json()["distributions"][0]["id"]
    url = f"/api/v1/datasets/{world.draft_a}/distributions/{dist}"
    # its declared media type must be borne out by the new bytes: nothing stored when not
    before = rows_of(app.extensions["opendata"]["sessionmaker"])
    refused = client.patch(url, headers=token, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(XLSX.read_bytes()), "population.xlsx"), "media_type": "text/csv"})
    assert refused.status_code == 422, refused.get_json()
    assert rows_of(app.extensions["opendata"]["sessionmaker"]) == before
    resp = client.patch(url, headers=token, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(XLSX.read_bytes()), "population.xlsx")})
    assert resp.status_code == 200, resp.get_json()
    shown = resp.get_json()["distributions"][0]
    assert (shown["id"], shown["format"], shown["upload"]) == (dist, "XLSX", True)
    assert _files(app, world.draft_a)[0]["title"] == made.get_json()["distributions"][0]["title"]  # kept
    assert shown["size"] == len(XLSX.read_bytes())  # the new bytes are the file's


def test_a_new_version_with_personal_data_on_a_published_dataset_is_withheld(app, client, world):
    """On a published dataset the new version is checked before it is served: personal data in it is withheld
    (451) from the public until an admin of the publisher overrides, as an added file is."""
    token = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/v1/datasets/active-a-1/distributions", headers=token,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), "people.csv")})
    assert made.status_code == 201, made.get_json()
    dist = made.get_json()["distributions"][-1]["id"]
    resp = client.patch(f"/api/v1/datasets/active-a-1/distributions/{dist}", headers=token,
                        content_type="multipart/form-data",
                        data={"file": (io.BytesIO(PII_CSV.read_bytes()), "people.csv")})
    assert resp.status_code == 200, resp.get_json()
    served = client.get(f"/uploads/{dist}/people.csv")
    assert served.status_code == 451, served.status_code


def test_delete_takes_the_file_out(app, client, world, openapi):
    token = {"Authorization": world.tokens["editor_a"]}
    keep = _link(client, token, world.draft_a, url="http://127.0.0.1:9/a.csv", title="A")
    gone = _link(client, token, world.draft_a, url="http://127.0.0.1:9/b.csv", title="B")
    other = {"Authorization": world.tokens["editor_b"]}
    assert client.delete(f"/api/v1/datasets/{world.draft_a}/distributions/{gone}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/datasets/{world.draft_a}/distributions/nope", headers=token).status_code == 404
    resp = client.delete(f"/api/v1/datasets/{world.draft_a}/distributions/{gone}", headers=token)
    assert resp.status_code == 200, resp.get_json()
    validate_against(openapi, "PublishResult", resp.get_json())
    assert [d["catalog_id"] for d in _files(app, world.draft_a)] == [keep]


def test_a_harvested_datasets_files_are_not_changed_here(app, client, world):
    token = {"Authorization": world.tokens["editor_a"]}
    dist = _files(app, world.harvested)[0]["catalog_id"]
    before = rows_of(app.extensions["opendata"]["sessionmaker"])
    url = f"/api/v1/datasets/{world.harvested}/distributions/{dist}"
    assert client.patch(url, headers=token, json={"title": "Mine"}).status_code == 403
    assert client.delete(url, headers=token).status_code == 403
    assert rows_of(app.extensions["opendata"]["sessionmaker"]) == before


def test_an_ftp_link_is_refused_at_every_door(app, client, world):
    """A link is a file the platform fetches, checks and scores, over http(s) only (plumbing.http): an ftp:// link
    was taken at the link doors (and never checked: no stars, its personal-data facts never known), while the
    message asked for an http(s) URL and every other place that takes an address (a landing page, a harvest source,
    a folder's list of files) refused it."""
    token = {"Authorization": world.tokens["editor_a"]}
    before = rows_of(app.extensions["opendata"]["sessionmaker"])
    rest = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token,
                       json={"url": "ftp://127.0.0.1/stops.csv", "title": "Stops"})
    assert rest.status_code == 422 and "http(s) URL" in rest.get_json()["error"]["message"], rest.get_json()
    ckan = client.post("/api/3/action/resource_create", headers=token,
                       json={"package_id": world.draft_a, "url": "ftp://127.0.0.1/stops.csv"})
    assert ckan.status_code == 409 and ckan.get_json()["error"]["__type"] == "Validation Error", ckan.get_json()
    assert rows_of(app.extensions["opendata"]["sessionmaker"]) == before


def test_a_new_address_forgets_what_described_the_file_before(app, client, world, local_server):
    """An uploaded file moved to a link (a published dataset's: the new file is fetched and checked before the
    answer) kept the upload's byte size and checksum, which every door then published for the linked file: the
    answer, the record, CKAN's `size` and DCAT's byteSize. They describe the file before, and go with it."""
    local_server.add_bytes("/large.csv", b"district,people\n" + b"".join(b"B%d,%d\n" % (n, n) for n in range(40)),
                           "text/csv")
    token = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/v1/datasets/active-a-3/distributions", headers=token, content_type="multipart/form-data",
                       data={"file": (CLEAN_CSV.open("rb"), "population.csv")})
    assert made.status_code == 201, made.get_json()
    dist = made.get_json()["distributions"][-1]
    assert dist["size"] == CLEAN_CSV.stat().st_size
    moved = client.patch(f"/api/v1/datasets/active-a-3/distributions/{dist['id']}", headers=token,
                         json={"url": local_server.url("/large.csv")})
    assert moved.status_code == 200, moved.get_json()
    answered = next(d for d in moved.get_json()["distributions"] if d["id"] == dist["id"])
    assert answered["url"].endswith("/large.csv") and answered["size"] is None and not answered["upload"]
    shown = client.get("/api/v1/datasets/active-a-3").get_json()
    file = next(d for d in shown["distributions"] if d["catalog_id"] == dist["id"])
    assert (file["byte_size"], file["checksum"]) == (None, None)
    resource = client.get("/api/3/action/resource_show", query_string={"id": dist["id"]}).get_json()["result"]
    assert resource.get("size") is None and resource["url"].endswith("/large.csv")
