"""Uploads: real messy files are taken and read correctly; hostile ones get a clear error; nothing is
ever written outside the archive, and a refused file leaves nothing behind (not even a temp file)."""

from __future__ import annotations

import csv
import io
from functools import lru_cache

import pytest
from sqlalchemy import select

from app.services import uploads as P
from app.services.errors import UploadRejected
from app.web.datasets import LONG_CELL
from catalog_schema.models import Assessment, Dataset, Distribution
from tests.support.publishing import (
    GBK_CSV,
    XLSX,
    build_world,
    files_outside,
    html_named_csv,
    publish_uploads,
    snapshot,
    xlsx_with_xxe,
    zip_bomb,
)

ROOT_MESSY = GBK_CSV.parents[3] / "tests" / "fixtures" / "real" / "messy"


@lru_cache(maxsize=1)
def _bomb() -> bytes:
    return zip_bomb()


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _upload(client, token, slug, data: bytes, filename: str):
    return client.post(f"/api/v1/datasets/{slug}/distributions", headers={"Authorization": token},
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_safe_filename_keeps_letters_and_drops_folders():
    assert P.safe_filename("../../etc/passwd") == "passwd"
    assert P.safe_filename("..\\..\\windows\\system.ini") == "system.ini"
    assert P.safe_filename("国内生产总值 2024.csv") == "国内生产总值 2024.csv"
    assert P.safe_filename("...") == "upload" and P.safe_filename("") == "upload"
    assert P.safe_filename("a\x00b\n<script>.csv") == "abscript.csv"
    assert len(P.safe_filename("x" * 500 + ".csv")) <= P.MAX_FILENAME_CHARS
    assert P.safe_filename("x" * 500 + ".csv").endswith(".csv")


@pytest.mark.parametrize("path", [GBK_CSV, XLSX, ROOT_MESSY / "messytables_spanish_chars.csv",
                                  ROOT_MESSY / "messytables_simple.ods", ROOT_MESSY / "messytables_simple.xls"],
                         ids=lambda p: p.name)
def test_real_messy_files_are_taken_and_sniffed(tmp_path, path):
    with path.open("rb") as fh:
        stored = P.store_upload(fh, path.name, tmp_path / "archive", max_bytes=10 * 1024 * 1024)
    data = path.read_bytes()
    assert stored.size == len(data) and open(stored.path, "rb").read() == data
    assert stored.path.endswith(f"/{stored.sha256[:2]}/{stored.sha256}")
    expected = {".csv": "CSV", ".xlsx": "XLSX", ".ods": "ODS", ".xls": "XLS"}[path.suffix]
    assert stored.sniffed.format == expected
    if path == GBK_CSV:
        assert stored.sniffed.encoding in ("gbk", "gb18030")
    assert list((tmp_path / "archive" / "tmp").iterdir()) == []


def test_the_cap_holds_while_streaming_whatever_was_declared(tmp_path):
    big = io.BytesIO(b"a,b\n" + b"1,2\n" * 50_000)  # 200 kB, no declared length
    with pytest.raises(UploadRejected) as refused:
        P.store_upload(big, "big.csv", tmp_path / "archive", max_bytes=100_000)
    assert refused.value.code == "too-large" and refused.value.status == 413
    assert big.tell() <= 100_000 + P.CHUNK  # stopped reading soon after the cap
    with pytest.raises(UploadRejected) as declared:
        P.store_upload(io.BytesIO(b"x"), "x.csv", tmp_path / "archive", max_bytes=100_000,
                       declared_length=2 * 1024 ** 3)
    assert declared.value.code == "too-large" and "at least 2,147,483,648" in declared.value.message  # a bound:
    # a CKAN upload's is the request's size less a margin ("The file is 54,934,809 bytes" for one of 55,000,002)
    assert files_outside(tmp_path, []) == []  # no temp file left behind
    with pytest.raises(UploadRejected) as empty:
        P.store_upload(io.BytesIO(b""), "empty.csv", tmp_path / "archive", max_bytes=100)
    assert empty.value.code == "empty"


@pytest.mark.parametrize("kind", ["html", "bomb", "xxe"])
def test_hostile_files_are_refused_with_a_clear_reason(tmp_path, kind):
    data, name, code, words = {
        "html": (html_named_csv(), "report.csv", "html-not-data", "HTML web page"),
        "bomb": (_bomb(), "data.zip", "zip-bomb", "zip bomb"),
        "xxe": (xlsx_with_xxe(), "fares.xlsx", "xml-entities", "XML entities"),
    }[kind]
    with pytest.raises(UploadRejected) as refused:
        P.store_upload(io.BytesIO(data), name, tmp_path / "archive", max_bytes=10 * 1024 * 1024)
    assert refused.value.code == code and words in refused.value.message
    assert files_outside(tmp_path, []) == []


def test_rest_uploads_of_hostile_files_change_nothing(app, client, world, tmp_path):
    factory = app.extensions["opendata"]["sessionmaker"]
    token = world.tokens["editor_a"]
    before = snapshot(factory)
    for data, name, code in ((html_named_csv(), "report.csv", "html-not-data"), (_bomb(), "data.zip", "zip-bomb"),
                             (xlsx_with_xxe(), "fares.xlsx", "xml-entities")):
        resp = _upload(client, token, world.draft_a, data, name)
        assert resp.status_code == 400, resp.get_json()
        assert resp.get_json()["error"]["code"] == code
    # a declared 2 GB is refused before anything is read
    huge = client.post(f"/api/v1/datasets/{world.draft_a}/distributions", headers={"Authorization": token},
                       data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}, content_type="multipart/form-data",
                       environ_overrides={"CONTENT_LENGTH": str(2 * 1024 ** 3)})
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too-large"
    assert snapshot(factory) == before
    archive = tmp_path / "archive"
    assert not archive.exists() or all(p.is_dir() for p in archive.rglob("*"))


def test_a_dotdot_filename_lands_in_the_archive_only(app, client, world, tmp_path):
    resp = _upload(client, world.tokens["editor_a"], world.draft_a, GBK_CSV.read_bytes(), "../../../../gdp.csv")
    assert resp.status_code == 201, resp.get_json()
    dist = resp.get_json()["distributions"][0]
    assert dist["upload"] and dist["url"].endswith("/gdp.csv") and dist["detected_format"] == "CSV"
    archive = tmp_path / "archive"
    assert files_outside(tmp_path, [archive, tmp_path / "instance"]) == []
    assert not (tmp_path.parent / "gdp.csv").exists()
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.scalar(select(Distribution).join(Dataset).where(Dataset.slug == world.draft_a))
        assert row.archive_path.startswith(str(archive)) and row.extras["upload"]["filename"] == "gdp.csv"
    # the original is served with its own charset (werkzeug said utf-8 of the GBK bytes)
    original = client.get("/" + dist["url"].split("//", 1)[1].split("/", 1)[1],
                          headers={"Authorization": world.tokens["editor_a"]})
    assert original.status_code == 200, original.get_data()[:300]
    assert original.headers["Content-Type"] == "text/csv; charset=GBK" and original.get_data() == GBK_CSV.read_bytes()


def _late_chinese(codec: str) -> bytes:
    """A table of codes and figures whose Chinese cells come after its first 4 MB (what the upload and the
    assessment sniff)."""
    lines = ["code,name,value"] + [f"A{i:06d},item{i},{i}" for i in range(230_000)] + ["Z000001,北京市,1",
                                                                                        "Z000002,吉林省,2"]
    data = "\r\n".join(lines).encode(codec) + b"\r\n"
    assert data[:P.SNIFF_BYTES].isascii() and len(data) > P.SNIFF_BYTES
    return data


def test_a_gbk_table_whose_chinese_is_past_the_sniffed_head_is_gbk_at_every_door(app, client, world, tmp_path):
    """It was 'ascii': its original went out as charset=utf-8 (a browser or client showed the GBK bytes garbled),
    no finding said it was not UTF-8, and the readers were told ASCII."""
    data = _late_chinese("gbk")
    stored = P.store_upload(io.BytesIO(data), "late.csv", tmp_path / "up", max_bytes=16 * 1024 * 1024)
    assert stored.sniffed.encoding == "gbk"

    dist_id = publish_uploads(app, "editor.late@example.gov", "agency-a", "late-gbk", "Late GBK",
                              {"late.csv": data})["late.csv"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.get(Distribution, dist_id)
        assert row.detected_encoding == "gbk"
        latest = s.scalars(select(Assessment).where(Assessment.dataset_id == row.dataset_id)
                           .order_by(Assessment.assessed_at.desc())).first()
        findings = [f["type"] for f in latest.findings if f.get("distribution") == dist_id]
    assert "encoding-not-utf8" in findings
    original = client.get(f"/uploads/{dist_id}/late.csv")
    assert original.headers["Content-Type"] == "text/csv; charset=GBK" and original.get_data() == data
    converted = client.get(f"/dataset/late-gbk/resource/{dist_id}/data.csv").get_data().decode("utf-8")
    assert converted.endswith("Z000001,北京市,1\r\nZ000002,吉林省,2\r\n")
    # a UTF-8 one stays UTF-8
    assert P.store_upload(io.BytesIO(_late_chinese("utf-8")), "late.csv", tmp_path / "up",
                          max_bytes=16 * 1024 * 1024).sniffed.encoding == "utf-8"


@pytest.mark.parametrize(("text", "codec", "label", "charset"), [
    ("区名,面积\n西城区,50.7\n", "gbk", "gbk", "GBK"),
    ("街道,面积\n朝阳门,2.3\n", "gb18030", "gbk", "GBK"),
    ("구,인구\n종로구,149384\n", "euc_kr", "cp949", "EUC-KR"),
    ("이름,나이\n김철수,30\n", "cp949", "cp949", "EUC-KR"),
])
def test_a_short_chinese_or_korean_table_is_read_in_its_own_encoding_at_every_door(app, client, world, text, codec,
                                                                                    label, charset):
    """A two-line GBK table was called Korean (区名,面积 -> 정츰,충생) and a two-line EUC-KR one Chinese
    (구,인구 -> 掘,牢掘): the upload's sniffed encoding, the original's charset, the preview, the row store and
    data.csv all carried the garbage."""
    data = text.encode(codec)
    header, row = (line.split(",") for line in text.splitlines())
    slug = f"short-{codec.replace('_', '')}-{len(text)}"
    dist_id = publish_uploads(app, f"editor.{slug}@example.gov", "agency-a", slug, "Short", {"t.csv": data})["t.csv"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.get(Distribution, dist_id).detected_encoding == label
    assert client.get(f"/uploads/{dist_id}/t.csv").headers["Content-Type"] == f"text/csv; charset={charset}"
    result = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist_id}).get_json()["result"]
    assert [f["id"] for f in result["fields"]][1:] == header and result["records"][0][header[0]] == row[0]
    converted = client.get(f"/dataset/{slug}/resource/{dist_id}/data.csv").get_data().decode("utf-8-sig")
    assert converted.splitlines() == text.splitlines()
    page = client.get(f"/dataset/{slug}").get_data(as_text=True)
    assert "".join(f'<th scope="col">{h}</th>' for h in header) in page  # the preview
    assert "".join(f"<td>{cell}</td>" for cell in row) in page


def test_the_same_file_twice_in_one_dataset_is_refused_naming_the_first(app, client, world):
    factory = app.extensions["opendata"]["sessionmaker"]
    token = world.tokens["editor_a"]
    first = _upload(client, token, world.draft_a, GBK_CSV.read_bytes(), "gdp.csv")
    assert first.status_code == 201, first.get_json()
    before = snapshot(factory)
    again = _upload(client, token, world.draft_a, GBK_CSV.read_bytes(), "gdp-again.csv")
    assert again.status_code == 409, again.get_json()
    error = again.get_json()["error"]
    assert error["code"] == "duplicate-file" and "gdp.csv" in error["message"]
    zh = client.post(f"/api/v1/datasets/{world.draft_a}/distributions?lang=zh", headers={"Authorization": token},
                     data={"file": (io.BytesIO(GBK_CSV.read_bytes()), "x.csv")}, content_type="multipart/form-data")
    assert zh.status_code == 409 and "已在" in zh.get_json()["error"]["message"]
    assert snapshot(factory) == before  # nothing added, nothing changed
    # another dataset may have the same file
    other = _upload(client, world.tokens["editor_b"], world.draft_b, GBK_CSV.read_bytes(), "gdp.csv")
    assert other.status_code == 201, other.get_json()


def test_upload_cap_from_settings(app, client, world):
    app.config["OPENDATA"]["MAX_UPLOAD_BYTES"] = 1000
    resp = _upload(client, world.tokens["editor_a"], world.draft_a, b"a,b\n" + b"1,2\n" * 2000, "big.csv")
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too-large"



def test_a_bomb_whose_directory_is_past_the_sniffed_head_is_refused(tmp_path):
    """5 MB of incompressible padding first, then the bomb: the sniffer's 4 MB head misses the directory."""
    data = zip_bomb(padding=5 * 1024 * 1024)
    assert len(data) > P.SNIFF_BYTES
    with pytest.raises(UploadRejected) as refused:
        P.store_upload(io.BytesIO(data), "big.zip", tmp_path / "archive", max_bytes=20 * 1024 * 1024)
    assert refused.value.code == "zip-bomb"
    assert files_outside(tmp_path, []) == []


@pytest.mark.parametrize(("name", "codec", "charset"), [("cp1252_western_towns.csv", "cp1252", "windows-1252"),
                                                        ("cp1250_central_towns.csv", "cp1250", "windows-1250")])
def test_a_western_or_central_european_table_keeps_its_letters_at_every_door(app, client, world, name, codec, charset):
    """A French, Spanish and German table in cp1252 was read as cp1250: the original went out as charset=windows-1250,
    and the preview, the row store, data.csv, data.json and data.xml said "Genčve", "trčs élevé ŕ côté", "mańana"."""
    data = (ROOT_MESSY.parent.parent / "written" / name).read_bytes()
    text = data.decode(codec)
    header, *rows = (line.split(";") for line in text.splitlines())
    slug = f"towns-{codec}"
    dist_id = publish_uploads(app, f"editor.{slug}@example.gov", "agency-a", slug, "Towns", {name: data})[name]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.get(Distribution, dist_id).detected_encoding == codec
    original = client.get(f"/uploads/{dist_id}/{name}")
    assert original.headers["Content-Type"] == f"text/csv; charset={charset}" and original.get_data() == data
    result = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist_id}).get_json()["result"]
    assert [[str(r[h]) for h in header] for r in result["records"]] == rows
    base = f"/dataset/{slug}/resource/{dist_id}"
    converted = client.get(f"{base}/data.csv").get_data().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(converted))) == [header, *rows]
    records = client.get(f"{base}/data.json").get_json()["records"]
    assert [[str(r[h]) for h in header] for r in records] == rows
    xml = client.get(f"{base}/data.xml").get_data(as_text=True)
    assert all(f">{cell}<" in xml for row in rows for cell in row)
    page = client.get(f"/dataset/{slug}").get_data(as_text=True)
    assert "".join(f'<th scope="col">{h}</th>' for h in header) in page  # the preview
    # a sentence wraps in a column of its own width (class "long"), a name keeps to one line
    assert "".join(f'<td class="long">{cell}</td>' if len(cell) > LONG_CELL else f"<td>{cell}</td>"
                   for cell in rows[0]) in page
