"""The file itself leaves only when all of it was checked: an upload served as it was sent, and an archived
version, hold more than the one table the profile and the row store read (a workbook's other sheets, a ZIP's
other members, the notes rows around a table). Personal data there is withheld as it is in the table; files that
hold none are still served. Real uploads through /api/v1 and CKAN, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from catalog_schema.models import Dataset, DistributionVersion
from quality.tabular.whole import scan_file
from tests.support.accounts import make_user, token_headers
from tests.support.personal import CLEAN_CSV, HEADER, IDS, PII_CSV, ROWS, leaked, xlsx_bytes, zip_bytes
from tests.support.published import download_path, published, upload


def _text(data: bytes) -> str:
    """A body as text, a ZIP (an XLSX too) as the text of its members."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(_text(z.read(n)) for n in z.namelist())
    return data.decode("utf-8", "replace")


COUNTIES = [["区县", "人口"], ["临江区", "120000"], ["白沙县", "56000"]]
SECOND_SHEET = xlsx_bytes(("人口", COUNTIES), ("名单", [HEADER, *ROWS]))
SECOND_MEMBER = zip_bytes(("a-population.csv", CLEAN_CSV), ("b-hotline.csv", PII_CSV))
NOTES_ROW = f"来源：热线办 经办人身份证 {IDS[0]}\r\n".encode() + CLEAN_CSV
HIDDEN = {"second-sheet.xlsx": SECOND_SHEET, "second-member.zip": SECOND_MEMBER, "notes-row.csv": NOTES_ROW}
CLEAN = {"clean.xlsx": xlsx_bytes(("人口", COUNTIES), ("说明", [["字段", "含义"], ["人口", "常住人口"]])),
         "clean.zip": zip_bytes(("a.csv", CLEAN_CSV), ("b.csv", CLEAN_CSV), ("readme.txt", "说明".encode())),
         "clean.csv": CLEAN_CSV + "东港区,98000\r\n".encode()}


def _upload_all(app, client, local_server) -> dict:
    """A published dataset of agency A with every file above uploaded to it: {"paths": {file name: download
    path}, "own": its editor's headers, "other": agency B's editor's headers}."""
    own = published(app, client, local_server, "hotline", "Hotline")
    make_user(app, "editor@b.example", editor_of="agency-b")
    paths = {name: download_path(upload(client, own, "hotline", data, name))
             for name, data in {**HIDDEN, **CLEAN}.items()}
    return {"paths": paths, "own": own, "other": token_headers(app, "editor@b.example")}


@pytest.fixture
def uploaded(snapshot, app, client, local_server):
    """`_upload_all`: made once per backend (eight uploads, each assessed as it arrives), a copy for each test."""
    return snapshot.once(lambda: _upload_all(app, client, local_server))


@pytest.fixture
def uploaded_here(app, client, local_server):
    """`_upload_all` made by the test itself: for one that reads what the uploads left in its own app's folders."""
    return _upload_all(app, client, local_server)


@pytest.mark.parametrize("name", list(HIDDEN))
def test_personal_data_outside_the_table_keeps_the_file_itself_back(app, client, uploaded, name):
    path = uploaded["paths"][name]
    for headers in ({}, uploaded["other"]):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold", (name, resp.status_code)
        assert leaked(_text(resp.get_data())) == []
        assert resp.get_json()["error"]["kinds"].get("id_number")
    app.config["OPENDATA"]["PII_POLICY"] = "redact"  # an XLSX or a ZIP cannot be masked as it is; nor notes rows
    resp = client.get(path)
    assert resp.status_code == 451 and leaked(_text(resp.get_data())) == []
    # the publisher's own editor gets the file as it was sent (the search for leaks finds them there)
    assert IDS[0] in _text(client.get(path, headers=uploaded["own"]).get_data())


@pytest.mark.parametrize("name", list(CLEAN))
def test_files_without_personal_data_anywhere_are_still_served(client, uploaded, name):
    resp = client.get(uploaded["paths"][name])
    assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve"
    assert resp.get_data() == CLEAN[name]


def test_the_clean_table_of_a_workbook_is_still_served_converted(app, client, uploaded):
    """What the conversions serve is the first sheet, which holds nothing personal: it stays public."""
    dist_id = uploaded["paths"]["second-sheet.xlsx"].split("/")[2]
    resp = client.get(f"/dataset/hotline/resource/{dist_id}/data.csv")
    assert resp.status_code == 200 and "临江区" in resp.get_data(as_text=True)
    assert leaked(resp.get_data(as_text=True)) == []


def test_an_earlier_version_with_a_second_sheet_of_names_is_withheld(app, client, uploaded):
    """The workbook is replaced by a clean one (CKAN resource_update with an upload); its earlier copy, whose
    second sheet lists ID numbers, stays reachable by its version URL: not for the public."""
    dist_id = uploaded["paths"]["second-sheet.xlsx"].split("/")[2]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        before = s.scalar(select(Dataset).where(Dataset.slug == "hotline"))
        old = next(d.archive_hash for d in before.distributions if d.id == dist_id)
    replaced = client.post("/api/3/action/resource_update", headers=uploaded["own"],
                           content_type="multipart/form-data",
                           data={"id": dist_id, "upload": (io.BytesIO(CLEAN["clean.xlsx"]), "population.xlsx")})
    assert replaced.status_code == 200, replaced.get_json()
    with app.extensions["opendata"]["sessionmaker"]() as s:
        kept = s.scalars(select(DistributionVersion.sha256).where(DistributionVersion.distribution_id == dist_id))
        assert old in set(kept)
    url = f"/dataset/hotline/resource/{dist_id}/version/{old}"
    for headers in ({}, uploaded["other"]):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 451 and leaked(_text(resp.get_data())) == [], resp.status_code
    assert IDS[0] in _text(client.get(url, headers=uploaded["own"]).get_data())


def test_the_whole_file_scan_names_the_part_and_never_a_value(tmp_path):
    def scan(name: str, data: bytes, fmt: str):
        path = tmp_path / name
        path.write_bytes(data)
        return scan_file(path, fmt)

    assert scan("a.xlsx", SECOND_SHEET, "XLSX") == {"名单": {"id_number": 12, "phone": 12, "email": 1}}
    assert scan("b.zip", SECOND_MEMBER, "ZIP") == {"b-hotline.csv": {"id_number": 12, "phone": 12, "email": 1}}
    assert scan("c.zip", zip_bytes(("in.zip", zip_bytes(("book.xlsx", SECOND_SHEET),))), "ZIP") == {
        "in.zip!book.xlsx!名单": {"id_number": 12, "phone": 12, "email": 1}}
    assert scan("d.csv", NOTES_ROW, "CSV") == {"*": {"id_number": 1}}
    assert scan("e.csv", PII_CSV.decode().encode("gbk"), "CSV") == {"*": {"id_number": 12, "phone": 12, "email": 1}}
    for name, data in CLEAN.items():
        assert scan(name, data, name.rsplit(".", 1)[1].upper()) == {}


def test_decimal_numbers_are_not_read_as_phone_or_id_numbers(tmp_path):
    """A table of measurements: fractions whose digits after the point read as a mobile number (512.13456789012) or
    an ID number. The profile reads such a column as numbers and never scans it; the whole-file scan blanks decimal
    numbers, so a clean file of them is not withheld as holding personal data. A mobile number or an ID number
    beside them is still found, as are e-mail addresses with digits and dots."""
    rows = [["站点", "读数", "指数"], ["临江", "512.13456789012", "0.110105199003071234"],
            ["白沙", "13.81234567890", "1.5e-3"]]
    csv_text = "\r\n".join(",".join(r) for r in rows) + "\r\n"

    def scan(name: str, data: bytes, fmt: str):
        path = tmp_path / name
        path.write_bytes(data)
        return scan_file(path, fmt)

    assert scan("m.csv", csv_text.encode(), "CSV") == {}
    assert scan("m.xlsx", xlsx_bytes(("读数", [rows[0], *[[r[0], float(r[1]), r[2]] for r in rows[1:]]])), "XLSX") == {}
    noted = csv_text + "联系人电话 13812345678，邮箱 li.2@jinghai.example，读数 512.13456789012\r\n"
    assert scan("n.csv", noted.encode(), "CSV") == {"*": {"phone": 1, "email": 1}}
    assert scan("o.csv", (csv_text + f"经办人 {IDS[0]}\r\n").encode("gbk"), "CSV") == {"*": {"id_number": 1}}


def test_the_whole_file_scan_is_made_when_the_copy_is_assessed_not_on_its_first_download(app, uploaded_here):
    """An upload is assessed as it arrives: the scan of every sheet, member and line is kept then (it takes about a
    profile's time again), so the first download of a big file does not wait on it, or time out and make it again."""
    from app.datastore import load, whole

    root = load.root_of(app.config["OPENDATA"])
    with app.extensions["opendata"]["sessionmaker"]() as s:
        hashes = {d.archive_path.rsplit("/", 1)[-1]: d.archive_hash for d in
                  s.scalar(select(Dataset).where(Dataset.slug == "hotline")).distributions if d.archive_hash}
    kept = {h: whole.path_of(root, h) for h in hashes.values()}
    assert kept and all(path.is_file() for path in kept.values()), kept
    second = next(h for h in hashes.values() if whole.scan(root, h, "/nowhere", None).get("名单"))
    assert whole.scan(root, second, "/nowhere", None)["名单"]["id_number"] == 12  # read back, not scanned again
