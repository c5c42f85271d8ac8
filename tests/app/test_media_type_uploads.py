"""An uploaded file's declared media type, held to its bytes by the one service rule (uploads.store_upload(media_type=),
uploads.refuted_media_type, through distributions.add_upload and replace): the format stays the one the file's name
and bytes give (what the openness score judges); the declared media type is kept as the publisher's declaration, and
a declaration the bytes refute (text/csv for an XLSX workbook: what the `format-mismatch` finding calls another
format) is refused, with nothing stored, rather than published. An uploaded file's box on the publish page, the one
door that declared an upload's media type before, took any."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from app.services.errors import Invalid
from app.services.uploads import store_upload
from catalog_schema.models import Dataset
from catalog_schema.store import to_record
from tests.support.publishing import CLEAN_CSV, SAMPLES, XLSX, build_world, form_post, sign_in

GEOJSON = SAMPLES / "jh-transport" / "bus-stops.geojson"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ONE_COLUMN = b"code\n110000\n120000\n130000\n"  # a one-column table or a text: the bytes leave it open


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


def _files(app, slug: str) -> list[dict]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        return to_record(ds)["distributions"]


def _upload(client, world, body: bytes, name: str):
    """Upload `body` as `name` to agency-a's draft through the REST API."""
    return client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers={
        "Authorization": world.tokens["editor_a"]}, data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data")


def test_the_publish_pages_media_type_box_refuses_what_an_uploaded_file_is_not(app, client, world):
    """The box under an uploaded file takes its media type through the same rule: one its bytes refute is refused
    beside the box (422, what was typed kept), nothing saved (it was saved, and made the workbook a CSV); the
    workbook's own, by its format's name, is saved."""
    _upload(client, world, XLSX.read_bytes(), "fares.xlsx")
    file, = _files(app, world.draft_a)
    sign_in(client, world.emails["editor_a"])
    page, action = f"/publish/{world.draft_a}", f"/publish/{world.draft_a}/distributions/{file['catalog_id']}"
    refused = form_post(client, page, f"{action}/media-type", {"media_type": "text/csv"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "XLSX" in html and 'value="text/csv"' in html
    assert _files(app, world.draft_a)[0]["media_type"] == XLSX_TYPE
    assert form_post(client, page, f"{action}/media-type", {"media_type": "XLSX"}).status_code == 303
    assert [(f["media_type"], f["format"]) for f in _files(app, world.draft_a)] == [(XLSX_TYPE, "XLSX")]
