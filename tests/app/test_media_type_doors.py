"""A linked file's media type, said by a client at each door that adds one, taken by the one service rule
(distributions.add_link(media_type=), fields.media_type): the publish page's link form, REST `POST
/api/v1/datasets/<slug>/distributions` and the links of `POST /api/v1/datasets`, CKAN `resource_create` and the
resources of `package_create`. The REST doors and resource_create dropped it (and resource_create the resource's
description), so a link to an API's export (an address that ends in no format's extension) lost its format and media
type, with their metadata points, at those doors only. A value that is no media type is refused in each door's own
shape, and nothing is added."""

from __future__ import annotations

import pytest
from ckanapi import RemoteCKAN
from ckanapi.errors import ValidationError

from tests.support.openapi import validate_against
from tests.support.publishing import build_world, distributions_of, form_post, sign_in

EXPORT = "http://127.0.0.1:9/api/export?id="  # an API's export: its address names no format
#: what a client declares -> the media type and the format stored (a format's name is that format's media type; a
#: type no format of the catalog's has is kept, and gives no format)
SAID = (("application/json", "application/json", "JSON"), ("CSV", "text/csv", "CSV"),
        ("application/vnd.example.table", "application/vnd.example.table", None))
BAD = "comma separated"


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))



def _add(door: str, client, world, links: list[dict]):
    """Add `links` ({url, title, media_type}) to a draft of agency-a through `door`; the slug of the draft."""
    token = {"Authorization": world.tokens["editor_a"]}
    if door == "page":
        sign_in(client, world.emails["editor_a"])
        edit = f"/publish/{world.draft_a}"
        for link in links:
            assert form_post(client, edit, f"{edit}/distributions", link).status_code == 303
        return world.draft_a
    if door == "rest":
        for link in links:
            resp = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token, json=link)
            assert resp.status_code == 201, resp.get_json()
        return world.draft_a
    if door == "rest-create":
        resp = client.post("/api/v1/datasets", headers=token, json={
            "publisher": "agency-a", "name": "exports", "title": "Exports", "distributions": links})
        assert resp.status_code == 201, resp.get_json()
        return "exports"
    resources = [{"url": link["url"], "name": link["title"], "mimetype": link["media_type"],
                  "description": f"What {link['title']} holds"} for link in links]
    if door == "ckan-resource_create":
        for resource in resources:
            resp = client.post("/api/3/action/resource_create", headers=token,
                               json={"package_id": world.draft_a, **resource})
            assert resp.status_code == 200, resp.get_json()
        return world.draft_a
    assert door == "ckan-package_create"
    resp = client.post("/api/3/action/package_create", headers=token, json={
        "name": "exports", "title": "Exports", "owner_org": "agency-a", "state": "draft", "resources": resources})
    assert resp.status_code == 200, resp.get_json()
    return "exports"


DOORS = ("page", "rest", "rest-create", "ckan-resource_create", "ckan-package_create")


@pytest.mark.parametrize("door", DOORS)
def test_a_links_media_type_is_taken_alike_at_every_door(app, client, world, door):
    """The same links, given a media type, are stored with the same media type and format whichever door added them
    (REST and resource_create stored none, and no format, for an address that names none)."""
    links = [{"url": f"{EXPORT}{n}", "title": f"Export {n}", "media_type": said} for n, (said, _, _) in enumerate(SAID)]
    slug = _add(door, client, world, links)
    files = distributions_of(app, slug)
    # the address given is the file's: its download URL and its access URL at every door (package_create kept an
    # address that looks like no file as the access URL only, as a harvest reads another portal's resource)
    assert [(f["access_url"], f["download_url"], f["media_type"], f["format"]) for f in files] == [
        (link["url"], link["url"], media, fmt) for link, (_, media, fmt) in zip(links, SAID, strict=True)]
    if door.startswith("ckan"):  # resource_create dropped a resource's description
        assert [list(f["description"].values()) for f in files] == [[f"What Export {n} holds"] for n in range(3)]


def test_the_rest_answer_and_the_openapi_document_say_a_links_media_type(client, world, openapi):
    """The request's `media_type` is in the document (DistributionLink, for both REST doors that add links), and the
    answer says the media type the file was given."""
    link = openapi["components"]["schemas"]["DistributionLink"]["properties"]
    assert link["media_type"]["type"] == "string" and "text/csv" in link["media_type"]["description"]
    body = openapi["paths"]["/datasets/{slug}/distributions"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["$ref"] == "#/components/schemas/DistributionLink"
    resp = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers={
        "Authorization": world.tokens["editor_a"]}, json={"url": f"{EXPORT}1", "media_type": "CSV"})
    assert resp.status_code == 201
    validate_against(openapi, "PublishResult", resp.get_json())
    assert [(d["media_type"], d["format"]) for d in resp.get_json()["distributions"]] == [("text/csv", "CSV")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rest_refuses_a_media_type_in_its_error_shape_and_adds_nothing(app, client, world, openapi, lang):
    """422 `invalid`, in the request's language, as every refused field of the REST API: the link is not added, the
    dataset with it not created (both were taken, without their media type)."""
    token = {"Authorization": world.tokens["editor_a"]}
    said = "is not a media type" if lang == "en" else "不是媒体类型"
    added = client.post(f"/api/v1/datasets/{world.draft_a}/distributions?lang={lang}", headers=token,
                        json={"url": f"{EXPORT}1", "media_type": BAD})
    created = client.post(f"/api/v1/datasets?lang={lang}", headers=token, json={
        "publisher": "agency-a", "name": "exports", "title": "Exports",
        "distributions": [{"url": f"{EXPORT}1", "media_type": "text/csv"}, {"url": f"{EXPORT}2", "media_type": BAD}]})
    for resp in (added, created):
        assert resp.status_code == 422, resp.get_json()
        error = resp.get_json()["error"]
        assert (error["status"], error["code"]) == (422, "invalid") and BAD in error["message"] and said in \
            error["message"], error
        validate_against(openapi, "Error", resp.get_json())
    assert distributions_of(app, world.draft_a) == [] and distributions_of(app, "exports") is None


def test_resource_create_refuses_a_mimetype_as_ckan_names_the_field_and_adds_nothing(app, client, world):
    """CKAN's Validation Error naming `mimetype`, as resource_update's is (409), and nothing added."""
    resp = client.post("/api/3/action/resource_create", headers={"Authorization": world.tokens["editor_a"]},
                       json={"package_id": world.draft_a, "url": f"{EXPORT}1", "mimetype": BAD})
    assert resp.status_code == 409, resp.get_json()
    error = resp.get_json()["error"]
    assert error["__type"] == "Validation Error" and BAD in error["mimetype"][0], error
    assert distributions_of(app, world.draft_a) == []


def test_ckanapi_resource_create_with_a_mimetype_and_a_description(app, world, served):
    """ckanapi's resource_create over a real socket: the mimetype and the description it sends are the resource's,
    as resource_show then gives them; one that is no media type is ckanapi's ValidationError on `mimetype`."""
    ck = RemoteCKAN(served.url, apikey=world.tokens["editor_a"])
    made = ck.action.resource_create(package_id=world.draft_a, url=f"{EXPORT}1", name="Export",
                                     description="Every stop, as JSON", mimetype="application/json")
    assert (made["mimetype"], made["format"], made["description"]) == ("application/json", "JSON",
                                                                       "Every stop, as JSON")
    shown = ck.action.resource_show(id=made["id"])
    assert (shown["mimetype"], shown["format"], shown["description"]) == ("application/json", "JSON",
                                                                          "Every stop, as JSON")
    translated = ck.action.resource_create(package_id=world.draft_a, url=f"{EXPORT}2",
                                           name_translated={"en": "Stops", "zh": "站点"},
                                           description_translated={"zh": "所有站点"})
    assert (translated["name_translated"], translated["description_translated"]) == (
        {"en": "Stops", "zh": "站点"}, {"zh": "所有站点"})
    with pytest.raises(ValidationError) as refused:
        ck.action.resource_create(package_id=world.draft_a, url=f"{EXPORT}3", mimetype=BAD)
    assert BAD in refused.value.error_dict["mimetype"][0]
    assert [f["download_url"] for f in distributions_of(app, world.draft_a)] == [f"{EXPORT}1", f"{EXPORT}2"]


def test_resource_update_with_a_new_url_keeps_the_mimetype_sent_with_it(app, client, world):
    """resource_update replaces the resource with the dict it is sent: a new address of an export sent with the
    mimetype it had was stored with none and no format (the mimetype, unchanged, was left out of the change, and the
    new address names no format), as if the client had cleared it."""
    token = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/resource_create", headers=token, json={
        "package_id": world.draft_a, "url": f"{EXPORT}1", "name": "Export", "mimetype": "application/json"})
    resource = {"id": made.get_json()["result"]["id"], "name": "Export"}
    for n, mimetype, fmt in ((2, "application/json", "JSON"), (3, "text/csv", "CSV")):
        updated = client.post("/api/3/action/resource_update", headers=token,
                              json={**resource, "url": f"{EXPORT}{n}", "mimetype": mimetype})
        assert updated.status_code == 200, updated.get_json()
        file, = distributions_of(app, world.draft_a)
        assert (file["download_url"], file["media_type"], file["format"]) == (f"{EXPORT}{n}", mimetype, fmt)
        result = updated.get_json()["result"]
        assert (result["mimetype"], result["format"]) == (mimetype, fmt)
