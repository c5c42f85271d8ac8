"""An uploaded file's declared media type and description, said by a client at each door that uploads one, taken by
the one service rule (distributions.add_upload(media_type=, description=), and replace with a new file): REST's
multipart `POST /api/v1/datasets/<slug>/distributions` (`media_type`, `description`), CKAN's `resource_create` and
`resource_update` with an `upload` (`mimetype`, `description`, `description_translated`). Those doors dropped both, as
they did a link's before add_link took them (tests/app/test_media_type_doors.py); REST's link dropped its description.

The format stays the one the file's name and bytes give (what the openness score judges); the declared media type is
kept as the publisher's declaration, and a declaration the bytes refute (text/csv for an XLSX workbook: what the
`format-mismatch` finding calls another format) is refused, with nothing stored, rather than published."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from ckanapi import RemoteCKAN
from ckanapi.errors import ValidationError
from sqlalchemy import select

from app.services.errors import Invalid
from app.services.fields import MAX_TITLE_CHARS
from app.services.uploads import store_upload
from catalog_schema.models import Dataset
from tests.support.openapi import validate_against
from tests.support.publishing import (
    CLEAN_CSV,
    GBK_CSV,
    SAMPLES,
    XLSX,
    build_world,
    distributions_of,
    form_post,
    sign_in,
)

GEOJSON = SAMPLES / "jh-transport" / "bus-stops.geojson"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ONE_COLUMN = b"code\n110000\n120000\n130000\n"  # a one-column table or a text: the bytes leave it open
BAD = "comma separated"
#: (file, its name, the media type declared, the media type stored, the format and the sniffed format stored)
SENT = ((CLEAN_CSV, "population.csv", "text/csv; charset=utf-8", "text/csv; charset=utf-8", "CSV", "CSV"),
        (GEOJSON, "stops.geojson", "application/json", "application/json", "GEOJSON", "GEOJSON"),
        (XLSX, "fares.xlsx", "XLSX", XLSX_TYPE, "XLSX", "XLSX"))


def _zipped(name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(name, body)
    return out.getvalue()


#: (the file's bytes, its name, the media type declared, the format its bytes are sniffed as: None when the declaration
#: is refused). A kind the file is one of, and a sibling `format-mismatch` counts as keeping the promise, pass; another
#: format, or bytes no reader knows said to be a format, are refused; a type no format of the catalog's has passes.
DECLARED = (
    (CLEAN_CSV.read_bytes(), "population.csv", "text/csv; charset=utf-8", "CSV"),
    (CLEAN_CSV.read_bytes(), "population.csv", "text/plain", "CSV"),
    (CLEAN_CSV.read_bytes(), "population.csv", "application/vnd.example.table", "CSV"),
    (GEOJSON.read_bytes(), "stops.geojson", "application/json", "GEOJSON"),
    (_zipped("population.csv", CLEAN_CSV.read_bytes()), "population.zip", "text/csv", "ZIP"),
    (b"a\tb\n1\t2\n3\t4\n", "pairs.tsv", "text/csv", "TSV"),
    (ONE_COLUMN, "district-codes", "text/csv", "CSV"),
    (ONE_COLUMN, "district-codes", None, "TXT"),
    (XLSX.read_bytes(), "fares.xlsx", "text/csv", None),
    (XLSX.read_bytes(), "fares.xlsx", "application/zip", None),
    (CLEAN_CSV.read_bytes(), "population.csv", "application/pdf", None),
    (GEOJSON.read_bytes(), "stops.geojson", "text/csv", None),
    # a charset is held to the bytes too (plumbing.textencoding.decide_encoding's rule): UTF-8 Chinese said to be GBK,
    # GBK said to be UTF-8, and a charset that is none are refused; ASCII is ASCII in any charset that keeps it
    (CLEAN_CSV.read_bytes(), "population.csv", "text/csv; charset=gbk", None),
    (GBK_CSV.read_bytes(), "gdp.csv", "text/csv; charset=utf-8", None),
    (CLEAN_CSV.read_bytes(), "population.csv", "text/csv; charset=klingon", None),
    (GBK_CSV.read_bytes(), "gdp.csv", "text/csv; charset=GB18030", "CSV"),
    (GBK_CSV.read_bytes(), "gdp.csv", 'text/csv; charset="gbk"', "CSV"),
    (b"code,name\n1,a\n2,b\n", "codes.csv", "text/csv; charset=gbk", "CSV"),
)


@pytest.mark.parametrize(("body", "name", "said", "sniffed"), DECLARED, ids=lambda v: v if isinstance(v, str) else None)
def test_store_upload_holds_a_declared_media_type_to_the_bytes(tmp_path, body, name, said, sniffed):
    """The rule itself (uploads.store_upload(media_type=), uploads.refuted_media_type): a refusal is Invalid naming
    `media_type`, raised before the file is kept (the archive stays empty)."""
    archive = tmp_path / "archive"
    if sniffed is None:
        with pytest.raises(Invalid) as refused:
            store_upload(io.BytesIO(body), name, archive, max_bytes=10 * 1024 * 1024, media_type=said)
        assert refused.value.detail["field"] == "media_type" and said in refused.value.message
        assert [p for p in archive.rglob("*") if p.is_file()] == []
        return
    stored = store_upload(io.BytesIO(body), name, archive, max_bytes=10 * 1024 * 1024, media_type=said)
    assert stored.sniffed.format == sniffed


def test_a_documentation_file_no_reader_knows_is_no_format_it_is_said_to_be(tmp_path):
    """Bytes no reader knows, taken as documentation, declared a PDF: refused, saying they are no PDF file."""
    with pytest.raises(Invalid) as refused:
        store_upload(io.BytesIO(bytes(range(256)) * 8), "manual.bin", tmp_path, max_bytes=1 << 20,
                     documentation=True, media_type="application/pdf")
    assert "is no PDF file" in refused.value.message


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))



def _detected(app, slug: str) -> list[str | None]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return [d.detected_format for d in s.scalar(select(Dataset).where(Dataset.slug == slug)).distributions]


def _archived(app) -> set[str]:
    """Every file in the archive (uploads are stored there, content-addressed)."""
    root = Path(app.config["OPENDATA"]["ARCHIVE_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _upload(door: str, client, world, body: bytes, filename: str, *, lang: str = "en", **said):
    """Upload `body` as `filename` to agency-a's draft through `door`, with what the client `said` (media_type,
    description, title: the door's own names for them are used)."""
    token = {"Authorization": world.tokens["editor_a"]}
    if door == "rest":
        form = {"file": (io.BytesIO(body), filename), **{k: v for k, v in said.items() if v is not None}}
        return client.post(f"/api/v1/datasets/{world.draft_a}/distributions?lang={lang}", headers=token,
                           data=form, content_type="multipart/form-data")
    assert door == "ckan"
    names = {"media_type": "mimetype", "title": "name"}
    form = {"package_id": world.draft_a, "upload": (io.BytesIO(body), filename),
            **{names.get(k, k): v for k, v in said.items() if v is not None}}
    return client.post(f"/api/3/action/resource_create?lang={lang}", headers=token, data=form,
                       content_type="multipart/form-data")


DOORS = ("rest", "ckan")


@pytest.mark.parametrize("door", DOORS)
def test_an_uploads_media_type_and_description_are_kept_alike_at_every_door(app, client, world, door):
    """The same files, uploaded with a media type and a description, are stored with both whichever door took them
    (both were dropped: the file had the sniffed media type and no description). The declaration does not change
    the format: a GeoJSON file declared application/json is still GeoJSON, which its name and bytes say."""
    for n, (path, name, said, _, _, _) in enumerate(SENT):
        resp = _upload(door, client, world, path.read_bytes(), name, media_type=said,
                       description=f"What file {n} holds")
        assert resp.status_code in (200, 201), resp.get_json()
    files = distributions_of(app, world.draft_a)
    assert [(f["media_type"], f["format"]) for f in files] == [(media, fmt) for *_, media, fmt, _ in SENT]
    assert _detected(app, world.draft_a) == [sniffed for *_, sniffed in SENT]
    assert [list(f["description"].values()) for f in files] == [[f"What file {n} holds"] for n in range(3)]


@pytest.mark.parametrize("door", DOORS)
def test_a_media_type_the_bytes_refute_is_refused_and_nothing_is_stored(app, client, world, door):
    """text/csv declared for an XLSX workbook is refused (REST 422 `invalid`, CKAN's Validation Error on `mimetype`)
    saying what the file is, before the file is kept: the archive holds no byte of it; so is a value that is no
    media type at all. Both were taken: the first stored the workbook declared a CSV."""
    before = _archived(app)
    for said, says in (("text/csv", ("text/csv", "XLSX", XLSX_TYPE)), (BAD, (BAD, "is not a media type"))):
        resp = _upload(door, client, world, XLSX.read_bytes(), "fares.xlsx", media_type=said)
        error = resp.get_json()["error"]
        if door == "rest":
            assert (resp.status_code, error["code"]) == (422, "invalid"), error
            message = error["message"]
        else:
            assert (resp.status_code, error["__type"]) == (409, "Validation Error"), error
            message = error["mimetype"][0]
        assert all(word in message for word in says), message
    assert distributions_of(app, world.draft_a) == [] and _archived(app) == before


@pytest.mark.parametrize("door", DOORS)
def test_what_an_upload_is_sent_with_is_refused_before_the_file_is_kept(app, client, world, door):
    """A title or description the catalog cannot take is refused before a byte of the file is kept: a title over
    the limit was refused after the workbook was in the archive, where nothing then used it."""
    before = _archived(app)
    for said in ({"title": "T" * (MAX_TITLE_CHARS + 1)}, {"description": "a\x00b"}):
        resp = _upload(door, client, world, XLSX.read_bytes(), "fares.xlsx", **said)
        assert resp.status_code in (409, 422), resp.get_json()
    assert distributions_of(app, world.draft_a) == [] and _archived(app) == before


def test_the_refusal_is_said_in_the_readers_language(client, world, openapi):
    """The REST refusal in Chinese under ?lang=zh, as every refused field of the API."""
    resp = _upload("rest", client, world, XLSX.read_bytes(), "fares.xlsx", lang="zh", media_type="text/csv")
    assert resp.status_code == 422
    validate_against(openapi, "Error", resp.get_json())
    message = resp.get_json()["error"]["message"]
    assert "媒体类型 text/csv" in message and "XLSX" in message, message


def test_a_declaration_settles_what_the_bytes_leave_open(app, client, world):
    """A one-column table under a name with no extension is a CSV or a text: the declared text/csv settles it (as a
    server's Content-Type does for a link), so it is neither refused nor read as a text."""
    resp = _upload("rest", client, world, ONE_COLUMN, "district-codes", media_type="text/csv")
    assert resp.status_code == 201, resp.get_json()
    file, = distributions_of(app, world.draft_a)
    assert (file["media_type"], file["format"], _detected(app, world.draft_a)) == ("text/csv", "CSV", ["CSV"])


def test_resource_update_with_a_new_file_checks_the_mimetype_sent_with_it(app, client, world):
    """A mimetype sent with a new file is that file's (as one sent with a new url is the new address's), so the
    bytes are checked against it: a CSV's mimetype sent back with a workbook was dropped and the workbook taken
    with its own; it is refused now, the resource left as it was. Sent with none, the workbook has its own, as an
    added file has (it had none at all), and its description. A later resource_patch of the mimetype is checked
    against the file's bytes too, and does not make the workbook a CSV."""
    token = {"Authorization": world.tokens["editor_a"]}
    made = _upload("ckan", client, world, CLEAN_CSV.read_bytes(), "population.csv",
                   media_type="text/csv; charset=utf-8")
    resource = made.get_json()["result"]
    sent_back = {"id": resource["id"], "name": resource["name"], "mimetype": resource["mimetype"]}
    refused = client.post("/api/3/action/resource_update", headers=token, content_type="multipart/form-data",
                          data={**sent_back, "upload": (io.BytesIO(XLSX.read_bytes()), "fares.xlsx")})
    assert refused.status_code == 409, refused.get_json()
    assert "XLSX" in refused.get_json()["error"]["mimetype"][0]
    file, = distributions_of(app, world.draft_a)
    assert (file["download_url"].rsplit("/", 1)[1], file["media_type"]) == ("population.csv",
                                                                            "text/csv; charset=utf-8")
    taken = client.post("/api/3/action/resource_update", headers=token, content_type="multipart/form-data",
                        data={**sent_back, "mimetype": "", "description": "Fares by distance",
                              "upload": (io.BytesIO(XLSX.read_bytes()), "fares.xlsx")})
    assert taken.status_code == 200, taken.get_json()
    result = taken.get_json()["result"]
    assert (result["mimetype"], result["description"]) == (XLSX_TYPE, "Fares by distance")
    assert [(f["media_type"], f["format"]) for f in distributions_of(app, world.draft_a)] == [(XLSX_TYPE, "XLSX")]
    patched = client.post("/api/3/action/resource_patch", headers=token,
                          json={"id": resource["id"], "mimetype": "text/csv"})
    assert patched.status_code == 409 and "XLSX" in patched.get_json()["error"]["mimetype"][0], patched.get_json()
    file, = distributions_of(app, world.draft_a)
    assert (file["media_type"], file["format"]) == (XLSX_TYPE, "XLSX")


def test_the_publish_pages_media_type_box_refuses_what_an_uploaded_file_is_not(app, client, world):
    """The box under an uploaded file takes its media type through the same rule: one its bytes refute is refused
    beside the box (422, what was typed kept), nothing saved (it was saved, and made the workbook a CSV); the
    workbook's own, by its format's name, is saved."""
    _upload("rest", client, world, XLSX.read_bytes(), "fares.xlsx")
    file, = distributions_of(app, world.draft_a)
    sign_in(client, world.emails["editor_a"])
    page, action = f"/publish/{world.draft_a}", f"/publish/{world.draft_a}/distributions/{file['catalog_id']}"
    refused = form_post(client, page, f"{action}/media-type", {"media_type": "text/csv"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "XLSX" in html and 'value="text/csv"' in html
    assert distributions_of(app, world.draft_a)[0]["media_type"] == XLSX_TYPE
    assert form_post(client, page, f"{action}/media-type", {"media_type": "XLSX"}).status_code == 303
    assert [(f["media_type"], f["format"]) for f in distributions_of(app, world.draft_a)] == [(XLSX_TYPE, "XLSX")]


def test_rest_links_take_a_description(app, client, world, openapi):
    """A link's description (a text in `lang`, or a language map), at both REST doors that add links: dropped."""
    token = {"Authorization": world.tokens["editor_a"]}
    added = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token, json={
        "url": "http://127.0.0.1:9/stops.csv", "description": "Every stop", "lang": "en"})
    assert added.status_code == 201, added.get_json()
    validate_against(openapi, "DistributionLink", {"url": "http://127.0.0.1:9/x.csv", "description": {"zh": "站点"}})
    created = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "name": "stops", "title": "Stops", "distributions": [
            {"url": "http://127.0.0.1:9/stops.csv", "description": {"en": "Every stop", "zh": "所有站点"}}]})
    assert created.status_code == 201, created.get_json()
    assert [f["description"] for f in distributions_of(app, world.draft_a)] == [{"en": "Every stop"}]
    assert [f["description"] for f in distributions_of(app, "stops")] == [{"en": "Every stop", "zh": "所有站点"}]


def test_the_openapi_document_says_an_uploads_media_type_and_description(client, world, openapi):
    """DistributionUpload has both, DistributionLink a description; an upload's answer is a PublishResult with the
    media type declared."""
    upload = openapi["components"]["schemas"]["DistributionUpload"]["properties"]
    assert upload["media_type"]["type"] == "string" and "XLSX" in upload["media_type"]["description"]
    assert upload["description"]["type"] == "string"
    link = openapi["components"]["schemas"]["DistributionLink"]["properties"]
    assert "description" in link
    resp = _upload("rest", client, world, CLEAN_CSV.read_bytes(), "population.csv", media_type="CSV")
    validate_against(openapi, "PublishResult", resp.get_json())
    assert [(d["media_type"], d["format"]) for d in resp.get_json()["distributions"]] == [("text/csv", "CSV")]


def test_ckanapi_uploads_a_file_with_its_mimetype_and_description(app, world, served):
    """ckanapi's resource_create with `upload=` over a real socket (multipart, every value a string: a language map
    goes as its JSON text, as ckanext-fluent takes it): the mimetype and description sent are the resource's, as
    resource_show gives them; a mimetype the file is not is ckanapi's ValidationError on `mimetype`."""
    ck = RemoteCKAN(served.url, apikey=world.tokens["editor_a"])
    with CLEAN_CSV.open("rb") as fh:
        made = ck.action.resource_create(package_id=world.draft_a, upload=fh, name="Population",
                                         description="Residents by district", mimetype="text/csv; charset=utf-8")
    assert (made["mimetype"], made["format"], made["description"]) == ("text/csv; charset=utf-8", "CSV",
                                                                       "Residents by district")
    shown = ck.action.resource_show(id=made["id"])
    assert (shown["mimetype"], shown["description"]) == ("text/csv; charset=utf-8", "Residents by district")
    with GEOJSON.open("rb") as fh:
        translated = ck.action.resource_create(package_id=world.draft_a, upload=fh,
                                               name_translated=json.dumps({"en": "Stops", "zh": "站点"}),
                                               description_translated=json.dumps({"zh": "所有站点"}))
    assert (translated["name_translated"], translated["description_translated"]) == (
        {"en": "Stops", "zh": "站点"}, {"zh": "所有站点"})
    with XLSX.open("rb") as fh, pytest.raises(ValidationError) as refused:
        ck.action.resource_create(package_id=world.draft_a, upload=fh, mimetype="text/csv")
    assert "XLSX" in refused.value.error_dict["mimetype"][0]
    assert [f["download_url"].rsplit("/", 1)[1] for f in distributions_of(app, world.draft_a)] == [CLEAN_CSV.name,
                                                                                         GEOJSON.name]


def test_a_charset_the_bytes_refute_is_refused_at_upload_and_afterwards(app, client, world, openapi):
    """`text/csv; charset=gbk` declared for a UTF-8 file was kept as written, and CKAN's mimetype said so to every
    client, which read its Chinese as 鍚嶇О. The charset is held to the bytes as the format is: at the upload (nothing
    stored) and when declared afterwards for the file kept (nothing changed); GBK declared for GBK bytes is kept."""
    token = {"Authorization": world.tokens["editor_a"]}
    before = _archived(app)
    refused = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token,
                          content_type="multipart/form-data",
                          data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), "population.csv"),
                                "media_type": "text/csv; charset=gbk"})
    assert refused.status_code == 422, refused.get_json()
    assert "gbk" in refused.get_json()["error"]["message"] and "utf-8" in refused.get_json()["error"]["message"]
    assert distributions_of(app, world.draft_a) == [] and _archived(app) == before
    made = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers=token,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(GBK_CSV.read_bytes()), "gdp.csv"),
                             "media_type": "text/csv; charset=gbk"})
    assert made.status_code == 201, made.get_json()
    file, = distributions_of(app, world.draft_a)
    assert file["media_type"] == "text/csv; charset=gbk"
    url = f"/api/v1/datasets/{world.draft_a}/distributions/{file['catalog_id']}"
    later = client.patch(url, headers=token, json={"media_type": "text/csv; charset=utf-8"})
    assert later.status_code == 422 and "utf-8" in later.get_json()["error"]["message"], later.get_json()
    assert distributions_of(app, world.draft_a)[0]["media_type"] == "text/csv; charset=gbk"
    zh = client.patch(url + "?lang=zh", headers=token, json={"media_type": "text/csv; charset=klingon"})
    assert zh.status_code == 422 and "字符集 klingon 不是字符编码" in zh.get_json()["error"]["message"], zh.get_json()
