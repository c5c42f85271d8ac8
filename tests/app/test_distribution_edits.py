"""A file changed in place through every door that changes one (the publish page, REST `/api/v1`, CKAN's actions), by
the one service (app/services/distributions.py `replace`, `add_upload`):

- a new version of an uploaded file (the page's "replace", CKAN `resource_update` / `resource_patch` with an
  `upload`) keeps what says what the file is for (the documentation mark, its HVD categories and legislation, its
  title and description unless given, a landing page) and replaces only what describes the bytes: the new version's
  extras were made anew, so a file taken as documentation lost the mark, and an image taken as documentation could
  not be replaced at all (refused as no data);
- an uploaded file's media type cleared (the page's box, CKAN's `mimetype`) is the one sniffed from its bytes, as a
  file uploaded with none has: it was left with none; a link's cleared is none declared;
- a new `url` (CKAN `resource_update`, `resource_patch`) is the file's download address, and a landing page the
  distribution had (an access URL of its own) is kept, as `package_update` keeps it, unless `access_url` is sent:
  both were set to the new address;
- the REST upload takes `hvd_category` and `applicable_legislation` as the REST link does: they were dropped.

SQLite and PostgreSQL, through the Flask test client."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog_schema import vocab
from catalog_schema.models import Dataset
from catalog_schema.store import save_record, to_record
from tests.support.openapi import validate_against
from tests.support.publishing import CLEAN_CSV, build_world, distributions_of, form_post, sign_in

MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
INSPIRE = "http://data.europa.eu/eli/dir/2007/2/oj"
HVD = vocab.HVD_LEGISLATION
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40  # an image: no data, taken as documentation only
PNG_V2 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 40
CSV_V2 = b"district,population\r\neast,120\r\nwest,80\r\n"
FILE = "http://127.0.0.1:9/stops.csv"
LANDING = "http://127.0.0.1:9/stops"  # the page the file is reached from: an access URL of its own
NEW = "http://127.0.0.1:9/stops-2025.csv"
OTHER_LANDING = "http://127.0.0.1:9/bus/stops"


def _build(app):
    """The publish world, with agency-a's draft a high-value dataset (mobility), so its files may take the category."""
    factory = app.extensions["opendata"]["sessionmaker"]
    world = build_world(factory)
    with factory() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
        rec = to_record(ds)
        rec["hvd_category"], rec["applicable_legislation"] = [MOBILITY], [HVD]
        save_record(s, rec, dataset=ds)
        s.commit()
    return world


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: _build(app))


def _token(world) -> dict[str, str]:
    return {"Authorization": world.tokens["editor_a"]}


def _rest_upload(client, world, body: bytes, filename: str, **parts):
    """`body` uploaded as `filename` to agency-a's draft through REST's multipart door, with these parts."""
    form = {"file": (io.BytesIO(body), filename), "lang": "en", **parts}
    return client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=_token(world), data=form,
                       content_type="multipart/form-data")


def _action(client, world, action: str, **data):
    """A CKAN action as agency-a's editor: JSON, or multipart when a part is a file."""
    if any(isinstance(v, tuple) for v in data.values()):
        return client.post(f"/api/3/action/{action}", headers=_token(world), data=data,
                           content_type="multipart/form-data")
    return client.post(f"/api/3/action/{action}", headers=_token(world), json=data)


def _shown(client, world, dist_id: str) -> dict:
    return _action(client, world, "resource_show", id=dist_id).get_json()["result"]


def _archived(app) -> set[str]:
    root = Path(app.config["OPENDATA"]["ARCHIVE_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _page_replace(client, world, dist_id: str, body: bytes, filename: str):
    sign_in(client, world.emails["editor_a"])
    page = f"/publish/{world.draft_a}"
    resp = form_post(client, page, f"{page}/distributions/{dist_id}/replace",
                     {"file": (io.BytesIO(body), filename)}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.status_code
    return resp


def _new_version(door: str, client, world, dist_id: str, body: bytes, filename: str) -> None:
    """A new version of file `dist_id` uploaded through `door`; what the client sends beside it is what that door's
    client would: the page the file alone, resource_patch the file alone, resource_update the resource as
    resource_show gave it (its texts as ckanext-fluent's JSON, as a multipart form sends a map) with the file."""
    if door == "page":
        _page_replace(client, world, dist_id, body, filename)
        return
    if door == "ckan-resource_patch":
        resp = _action(client, world, "resource_patch", id=dist_id, upload=(io.BytesIO(body), filename))
    else:
        shown = _shown(client, world, dist_id)
        resp = _action(client, world, "resource_update", id=dist_id, upload=(io.BytesIO(body), filename),
                       name_translated=json.dumps(shown["name_translated"]),
                       description_translated=json.dumps(shown["description_translated"]),
                       hvd_category=json.dumps(shown["hvd_category"]),
                       applicable_legislation=json.dumps(shown["applicable_legislation"]))
    assert resp.status_code == 200, resp.get_json()


REPLACING = ("page", "ckan-resource_patch", "ckan-resource_update")


@pytest.mark.parametrize("door", REPLACING)
@pytest.mark.parametrize(("first", "second", "name"), [(PNG, PNG_V2, "diagram.png"),
                                                       (CLEAN_CSV.read_bytes(), CSV_V2, "population.csv")],
                         ids=["image", "table"])
def test_a_new_version_keeps_what_the_file_is_for(app, client, world, door, first, second, name):
    """A file taken as documentation, with a title, a description and its own HVD fields, replaced by a new version:
    the new bytes (checksum, size, upload) and everything else kept. The mark was lost (the extras were made anew
    from the new file's), and the image's new version was refused as no data."""
    made = _rest_upload(client, world, first, name, title="Network diagram", description="How the lines connect",
                        documentation="1")
    assert made.status_code == 201, made.get_json()
    dist_id = made.get_json()["distributions"][0]["id"]
    hvd = client.patch(f"/api/v1/datasets/{world.draft_a}/distributions/{dist_id}/hvd", headers=_token(world),
                       json={"hvd_category": ["MOB"], "applicable_legislation": [INSPIRE]})
    assert hvd.status_code == 200, hvd.get_json()
    before, = distributions_of(app, world.draft_a)
    _new_version(door, client, world, dist_id, second, name.replace(".", "-v2."))
    after, = distributions_of(app, world.draft_a)
    assert after["checksum"]["value"] != before["checksum"]["value"] and after["byte_size"] == len(second)
    assert after["extras"]["upload"]["filename"] == name.replace(".", "-v2.")
    assert after["extras"].get("documentation") is True, after["extras"]
    for key in ("title", "description", "hvd_category", "applicable_legislation", "rights"):
        assert after[key] == before[key], key
    assert (after["hvd_category"], after["applicable_legislation"]) == ([MOBILITY], [INSPIRE, HVD])


def test_a_new_version_given_a_title_takes_it_and_keeps_the_rest(app, client, world):
    """A title sent with the new version (resource_patch's `name`) is the file's; the documentation mark stays."""
    made = _rest_upload(client, world, PNG, "diagram.png", title="Network diagram", documentation="1")
    dist_id = made.get_json()["distributions"][0]["id"]
    resp = _action(client, world, "resource_patch", id=dist_id, name="Network diagram 2025",
                   upload=(io.BytesIO(PNG_V2), "diagram-2025.png"))
    assert resp.status_code == 200, resp.get_json()
    file, = distributions_of(app, world.draft_a)
    assert (list(file["title"].values()), file["extras"].get("documentation")) == (["Network diagram 2025"], True)


# --------------------------------------------------------------------------- a media type cleared


def _clear_media_type(door: str, client, world, dist_id: str) -> None:
    if door == "page":
        sign_in(client, world.emails["editor_a"])
        page = f"/publish/{world.draft_a}"
        resp = form_post(client, page, f"{page}/distributions/{dist_id}/media-type", {"media_type": ""})
        assert resp.status_code == 303, resp.status_code
        return
    if door == "ckan-resource_patch":
        resp = _action(client, world, "resource_patch", id=dist_id, mimetype="")
    else:  # ckanapi's read-modify-write: resource_show's dict with the mimetype emptied
        resp = _action(client, world, "resource_update", **{**_shown(client, world, dist_id), "mimetype": ""})
    assert resp.status_code == 200, resp.get_json()


CLEARING = ("page", "ckan-resource_patch", "ckan-resource_update")


@pytest.mark.parametrize("door", CLEARING)
def test_an_uploaded_files_media_type_cleared_is_the_one_its_bytes_give(app, client, world, door):
    """A CSV uploaded declared `text/csv; charset=utf-8`, its media type cleared: the one sniffed from its bytes, as a
    file uploaded with none has (it had none at all, and lost the metadata points of a declared media type)."""
    made = _rest_upload(client, world, CLEAN_CSV.read_bytes(), "population.csv", media_type="text/csv; charset=utf-8")
    dist_id = made.get_json()["distributions"][0]["id"]
    as_added = _rest_upload(client, world, CSV_V2, "districts.csv").get_json()["distributions"][1]["media_type"]
    assert as_added == "text/csv"
    _clear_media_type(door, client, world, dist_id)
    file = distributions_of(app, world.draft_a)[0]
    assert (file["media_type"], file["format"]) == ("text/csv", "CSV")
    assert _shown(client, world, dist_id)["mimetype"] == "text/csv"


@pytest.mark.parametrize("door", CLEARING)
def test_a_links_media_type_cleared_is_none(app, client, world, door):
    """A link declares what it is: cleared, it declares nothing, whatever its server sent it as."""
    made = _action(client, world, "resource_create", package_id=world.draft_a, url="http://127.0.0.1:9/export?id=1",
                   name="Export", mimetype="application/json")
    _clear_media_type(door, client, world, made.get_json()["result"]["id"])
    file, = distributions_of(app, world.draft_a)
    assert file["media_type"] is None


# --------------------------------------------------------------------------- a new address


def _with_landing_page(client, world) -> str:
    """A file of agency-a's draft whose access URL is a landing page of its own (package_create's resource says
    both); its id."""
    resp = _action(client, world, "package_create", name="stops", title="Stops", owner_org="agency-a", state="draft",
                   resources=[{"url": FILE, "access_url": LANDING, "name": "Stops", "format": "CSV"}])
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["result"]["resources"][0]["id"]


def _new_url(door: str, client, world, dist_id: str, **sent) -> object:
    """The file `dist_id` of `stops` given the address NEW through `door` (with `sent` beside it)."""
    if door.startswith("package_update"):  # ckanapi's read-modify-write of the package
        pkg = _action(client, world, "package_show", id="stops").get_json()["result"]
        if door == "package_update":
            pkg["resources"][0].update({"url": NEW, **sent})
        else:  # the resource sent as the client means it, not as package_show gave it
            pkg["resources"] = [{"id": dist_id, "name": "Stops", "format": "CSV", "url": NEW, **sent}]
        return _action(client, world, "package_update", **pkg)
    if door == "resource_update":  # of the resource
        return _action(client, world, "resource_update", **{**_shown(client, world, dist_id), "url": NEW, **sent})
    if door == "resource_update-bare":  # a client that sends the resource it means, not resource_show's
        return _action(client, world, "resource_update", id=dist_id, name="Stops", format="CSV", url=NEW, **sent)
    assert door == "resource_patch"
    return _action(client, world, "resource_patch", id=dist_id, url=NEW, **sent)


NEW_URL_DOORS = ("package_update", "package_update-bare", "resource_update", "resource_update-bare", "resource_patch")


@pytest.mark.parametrize("door", NEW_URL_DOORS)
def test_a_new_url_is_the_files_address_and_the_landing_page_stays(app, client, world, door):
    """Every CKAN door that changes a resource's `url`: the new address is the file's (its download URL), the landing
    page it had stays its access URL, as package_update kept it when the resource was sent back as package_show gave
    it (resource_update and resource_patch made the new address both; package_update sent the url alone made it the
    download URL and left the file no access URL)."""
    dist_id = _with_landing_page(client, world)
    resp = _new_url(door, client, world, dist_id)
    assert resp.status_code == 200, resp.get_json()
    file, = distributions_of(app, "stops")
    assert (file["download_url"], file["access_url"]) == (NEW, LANDING)
    shown = _shown(client, world, dist_id)
    assert (shown["url"], shown["download_url"], shown["access_url"]) == (NEW, NEW, LANDING)


@pytest.mark.parametrize("door", NEW_URL_DOORS)
def test_an_access_url_sent_is_the_landing_page(app, client, world, door):
    """`access_url` sent (CKAN's own field, as resource_show gives it) is the landing page at every door, with a new
    url or without one; sent empty, the file has no landing page of its own: its access URL is its address. It was
    not taken by resource_update and resource_patch."""
    dist_id = _with_landing_page(client, world)
    assert _new_url(door, client, world, dist_id, access_url=OTHER_LANDING).status_code == 200
    file, = distributions_of(app, "stops")
    assert (file["download_url"], file["access_url"]) == (NEW, OTHER_LANDING)
    if door.startswith("resource"):
        moved = _action(client, world, door.removesuffix("-bare"), id=dist_id, name="Stops", url=NEW,
                        access_url=LANDING)
        assert moved.status_code == 200, moved.get_json()
        assert distributions_of(app, "stops")[0]["access_url"] == LANDING
        emptied = _action(client, world, "resource_patch", id=dist_id, access_url="")
        assert emptied.status_code == 200, emptied.get_json()
        file, = distributions_of(app, "stops")
        assert (file["download_url"], file["access_url"]) == (NEW, NEW)


@pytest.mark.parametrize(("action", "lang", "said"), [("resource_patch", "en", "landing page"),
                                                      ("resource_update", "zh", "着陆页")])
def test_an_access_url_that_is_no_address_is_refused(app, client, world, action, lang, said):
    """A Validation Error naming `access_url`, in the request's language, nothing changed, as a `url` that is none
    is."""
    dist_id = _with_landing_page(client, world)
    before = distributions_of(app, "stops")
    resp = client.post(f"/api/3/action/{action}?lang={lang}", headers=_token(world),
                       json={"id": dist_id, "name": "Stops", "url": NEW, "access_url": "the stops page"})
    assert resp.status_code == 409, resp.get_json()
    error = resp.get_json()["error"]
    assert error["__type"] == "Validation Error" and said in error["access_url"][0], error
    assert distributions_of(app, "stops") == before


def test_a_new_version_of_an_upload_keeps_its_landing_page(app, client, world):
    """An uploaded file given a landing page (package_update's `access_url`): its new version, uploaded on the page, has
    the new file's address and still the landing page (the new version's address was made both)."""
    made = _rest_upload(client, world, CLEAN_CSV.read_bytes(), "population.csv")
    dist_id = made.get_json()["distributions"][0]["id"]
    pkg = _action(client, world, "package_show", id=world.draft_a).get_json()["result"]
    pkg["resources"][0]["access_url"] = LANDING
    assert _action(client, world, "package_update", **pkg).status_code == 200
    assert distributions_of(app, world.draft_a)[0]["access_url"] == LANDING
    _page_replace(client, world, dist_id, CSV_V2, "population-2025.csv")
    file, = distributions_of(app, world.draft_a)
    assert file["download_url"].endswith(f"/{dist_id}/population-2025.csv") and file["access_url"] == LANDING


# --------------------------------------------------------------------------- the REST upload's HVD fields


def test_the_rest_upload_takes_its_hvd_fields(app, client, world, openapi):
    """`hvd_category` and `applicable_legislation` parts, each a part a value or one text of them separated by commas,
    as the REST link takes them (`add_upload(hvd=)`, set_distribution_hvd): the file's own, the HVD regulation beside
    the category. They were dropped."""
    one = _rest_upload(client, world, CLEAN_CSV.read_bytes(), "population.csv", hvd_category="MOB",
                       applicable_legislation=f"{INSPIRE}, {HVD}")
    assert one.status_code == 201, one.get_json()
    validate_against(openapi, "PublishResult", one.get_json())
    form = {"file": (io.BytesIO(CSV_V2), "districts.csv"), "hvd_category": ["MOB", "Mobility"],
            "applicable_legislation": [INSPIRE]}
    repeated = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=_token(world), data=form,
                           content_type="multipart/form-data")
    assert repeated.status_code == 201, repeated.get_json()
    assert [(f["hvd_category"], f["applicable_legislation"]) for f in distributions_of(app, world.draft_a)] == [
        ([MOBILITY], [INSPIRE, HVD]), ([MOBILITY], [INSPIRE, HVD])]


def test_the_rest_upload_refuses_an_hvd_field_before_the_file_is_kept(app, client, world, openapi):
    """A category the dataset does not have, or legislation that is no http(s) URI: 422 `invalid` naming the field,
    as the link's, and no byte of the file kept."""
    before = _archived(app)
    for part, said in ((("hvd_category", "GEO"), "Geospatial is not"),
                       (("applicable_legislation", "eli:reg/2023/138"), "'eli:reg/2023/138' is not an http(s) URI")):
        resp = _rest_upload(client, world, CLEAN_CSV.read_bytes(), "population.csv", **dict([part]))
        assert resp.status_code == 422, resp.get_json()
        validate_against(openapi, "Error", resp.get_json())
        error = resp.get_json()["error"]
        assert error["code"] == "invalid" and said in error["message"], error
    assert distributions_of(app, world.draft_a) == [] and _archived(app) == before


def test_the_openapi_document_says_an_uploads_hvd_fields(client, openapi):
    """DistributionUpload has both, as DistributionLink has: lists of strings (a multipart part a value); the
    endpoint's description names them, and the documentation page says it in Chinese too."""
    post = openapi["paths"]["/datasets/{slug}/distributions"]["post"]["description"]
    assert "`hvd_category` and `applicable_legislation` parts" in post
    zh = client.get("/api/v1/docs?lang=zh").get_data(as_text=True)
    assert "`hvd_category` 和" in zh or "<code>hvd_category</code> 和" in zh
    assert "每个值一个部分，或一段以逗号分隔的文本" in zh
    upload = openapi["components"]["schemas"]["DistributionUpload"]["properties"]
    link = openapi["components"]["schemas"]["DistributionLink"]["properties"]
    for key in ("hvd_category", "applicable_legislation"):
        assert upload[key]["type"] == "array" and upload[key]["items"] == link[key]["items"], key
        assert "description" in upload[key]
    validate_against(openapi, "DistributionUpload", {"file": "x", "hvd_category": ["MOB"],
                                                     "applicable_legislation": [INSPIRE]})
