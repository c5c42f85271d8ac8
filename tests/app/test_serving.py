"""The serving gate: no resident ID number leaves through any way out, on SQLite and PostgreSQL.

A catalog of agency A holds a published dataset whose uploaded CSV and XLSX list checksum-valid resident
identity numbers, mobile numbers and an e-mail address, next to a clean dataset (a CSV and a PDF), a
draft, a withdrawn and a deleted one. The archive holds the real bytes; the assessment pipeline profiles
them and records what it found (`Distribution.pii`). Then every way out (`/uploads/...`, `data.csv`,
`data.json`, `data.xml`, `data.ttl`, `data.csv-metadata.json`, the dataset page's preview) is read as an
anonymous visitor, as another publisher's editor and as the publisher's own editor, under both policies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from sqlalchemy import select

from app import auth
from app.assessment import assess_datasets
from app.export import convert
from app.services import accounts
from catalog_schema.models import Dataset, Distribution, UsageCounter
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import ensure_publisher, save_record
from quality import pii
from quality.tabular import REDACTED
from tests.support.accounts import make_user, sign_in
from tests.support.pdfs import NOTICE, pdf_bytes
from tests.support.personal import FLAGGED, HEADER, IDS, ROWS, SECRETS

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SITE = "http://127.0.0.1:5000"
def _csv(header, rows) -> bytes:
    return ("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode("utf-8")


def _xlsx(header, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for r in [header, *rows]:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: a real PDF (a notice in Chinese): the whole-file scan reads a PDF's text, and one no reader can parse is withheld
#: as a part the scan could not read (docs/quality.md)
PDF = pdf_bytes(NOTICE)
CLEAN = _csv(["区县", "人口"], [["临江区", "120000"], ["白沙县", "56000"], ["东港区", "98000"]])


def _archive(root: Path, data: bytes) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    path = root / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path), sha


def _dataset(session, root: Path, slug: str, files: dict[str, bytes], *, state: str = "active") -> Dataset:
    """A dataset of agency A whose distributions are uploads archived under `root` (no network needed)."""
    rec = new_record(slug=slug, title={"en": f"Dataset {slug}", "zh": f"数据集 {slug}"},
                     publisher={"slug": "agency-a", "name": {"en": "Agency A", "zh": "甲局"}}, license="CC-BY-4.0",
                     state=state, contact_point={"name": "Open data office", "email": "opendata@agency-a.example"},
                     distributions=[new_distribution(download_url=f"{SITE}/uploads/pending/{name}",
                                                     format=name.rsplit(".", 1)[1].upper(), title={"en": name})
                                    for name in files])
    ds, _ = save_record(session, rec)
    session.flush()
    for row, (name, data) in zip(ds.distributions, files.items(), strict=True):
        path, sha = _archive(root, data)
        url = f"{SITE}/uploads/{row.id}/{name}"
        row.download_url = row.access_url = url
        row.extras = {"upload": {"filename": name, "sha256": sha, "size": len(data)}}
        row.archive_path, row.archive_hash, row.archive_size = path, sha, len(data)
        row.check_status, row.http_status, row.last_checked = "ok", 200, NOW
    return ds


@pytest.fixture
def world(snapshot, app, runtime, tmp_path):
    """{"ids": {slug: dataset id}, "dists": {(slug, file name): distribution id}, "tokens": {role: token}}:
    built once per backend, a copy of it for each test (the archived files stay where the build put them)."""
    return snapshot.once(lambda: _build_world(app, runtime, tmp_path))


def _build_world(app, runtime, tmp_path) -> dict:
    sm = app.extensions["opendata"]["sessionmaker"]
    root = tmp_path / "archive-files"
    out = {"ids": {}, "dists": {}, "tokens": {}}
    with sm() as s:
        pub = ensure_publisher(s, {"slug": "agency-a", "name": {"en": "Agency A", "zh": "甲局"}})
        pub.email, pub.homepage = "office@agency-a.example", "https://agency-a.example/"
        plan = {"complaints": ({"complaints.csv": _csv(HEADER, ROWS), "complaints.xlsx": _xlsx(HEADER, ROWS)},
                               "active"),
                "population": ({"population.csv": CLEAN, "report.pdf": PDF}, "active"),
                "odd-data": ({"blob.bin": bytes(range(256)) * 4}, "active"),  # no known format: not checkable
                "draft-data": ({"draft.csv": CLEAN + b"\xe5\x8d\x97\xe5\xb2\xb8,1\r\n"}, "draft"),
                "old-data": ({"old.csv": CLEAN + b"x,2\r\n"}, "withdrawn"),
                "gone-data": ({"gone.csv": CLEAN + b"y,3\r\n"}, "deleted")}
        for slug, (files, state) in plan.items():
            ds = _dataset(s, root, slug, files, state=state)
            out["ids"][slug] = ds.id
            for row, name in zip(ds.distributions, files, strict=True):
                out["dists"][(slug, name)] = row.id
        s.commit()
    make_user(app, "editor.a@example.gov", editor_of="agency-a")
    make_user(app, "editor.b@example.gov", editor_of="agency-b")
    with sm() as s:
        for role in ("editor.a", "editor.b"):
            user = auth.find_user(s, f"{role}@example.gov")
            out["tokens"][role] = accounts.create_token(s, user, name="tests")
        s.commit()
    assess_datasets(runtime, list(out["ids"].values()), now=NOW, check_links=False)
    return out


def _urls(world, slug: str, name: str) -> list[str]:
    dist_id = world["dists"][(slug, name)]
    base = f"/dataset/{slug}/resource/{dist_id}"
    return [f"/uploads/{dist_id}/{name}"] + [f"{base}/data.{ext}" for ext in ("csv", "json", "xml", "ttl")] + [
        f"{base}/data.csv-metadata.json"]


def _text(resp) -> str:
    return resp.get_data().decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    """Secrets found in a body, also when a format spaced or quoted them differently."""
    squeezed = re.sub(r"[\s\"'<>]", "", text)
    return [s for s in SECRETS if s in text or s in squeezed]


def _downloads(app, slug_id: str) -> int:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return sum(r.downloads for r in s.scalars(select(UsageCounter).where(UsageCounter.dataset_id == slug_id)))


# --------------------------------------------------------------------------- facts


def test_the_assessment_records_the_facts_of_each_archived_copy(app, world):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        rows = {name: s.get(Distribution, dist_id) for (_slug, name), dist_id in world["dists"].items()}
        for name in ("complaints.csv", "complaints.xlsx"):
            assert rows[name].pii["columns"] == FLAGGED, name
            assert rows[name].pii["sha256"] == rows[name].archive_hash
            assert dt.datetime.fromisoformat(rows[name].pii["checked_at"]) == NOW
        assert rows["population.csv"].pii["columns"] == {}
        assert rows["report.pdf"].pii["columns"] == {}  # not a table: scanned, nothing tabular
        # of no known format: never scannable, recorded so (the gate fails closed, saying why)
        assert rows["blob.bin"].pii == {"sha256": rows["blob.bin"].archive_hash, "checked_at": NOW.isoformat(),
                                        "unreadable": True}
        text = json.dumps([r.pii for r in rows.values()], ensure_ascii=False)
        assert _leaks(text) == []  # counts, never values


# --------------------------------------------------------------------------- withhold (the default)


@pytest.mark.parametrize("who", ["anonymous", "editor.b"])
def test_withheld_from_everyone_but_the_publisher_in_every_way_out(client, world, who):
    headers = {"Authorization": world["tokens"][who]} if who != "anonymous" else {}
    for name in ("complaints.csv", "complaints.xlsx"):
        for url in _urls(world, "complaints", name):
            resp = client.get(url, headers=headers)
            assert resp.status_code == 451, (url, resp.status_code)
            assert resp.headers["X-Data-Gate"] == "withhold"
            assert resp.headers["Link"] == f'<{SITE}/>; rel="blocked-by"'
            error = resp.get_json()["error"]
            assert error["status"] == 451 and error["code"] == "personal-data"
            assert error["kinds"] == {"id_number": 12, "phone": 12, "email": 1}
            assert error["columns"] == FLAGGED
            assert error["contact"]["email"] == "opendata@agency-a.example"
            assert error["contact"]["publisher"]["page"] == f"{SITE}/publisher/agency-a"
            assert "resident identity numbers in 身份证号 (12)" in error["message"]
            assert "居民身份证号码：身份证号（12 个）" in error["message_zh"]
            assert _leaks(_text(resp)) == [], url
    assert _downloads(client.application, world["ids"]["complaints"]) == 0  # withheld answers are not counted


def test_the_withheld_page_says_why_and_whom_to_ask_in_both_languages(client, world):
    url = _urls(world, "complaints", "complaints.csv")[1]
    for lang, says in (("zh_CN", ["此文件暂不提供", "居民身份证号码", "个人信息"]),
                       ("en", ["This file is not available", "resident identity numbers", "Personal data"])):
        resp = client.get(f"{url}?lang={lang}", headers={"Accept": "text/html,application/xhtml+xml"})
        assert resp.status_code == 451 and resp.mimetype == "text/html"
        html = _text(resp)
        assert all(s in html for s in says), lang
        assert "opendata@agency-a.example" in html and "/publisher/agency-a" in html
        assert 'id="withheld-columns"' in html and "身份证号" in html
        assert _leaks(html) == []


def test_the_publishers_editor_gets_the_real_bytes_privately(client, world):
    token = {"Authorization": world["tokens"]["editor.a"]}
    upload, data_csv = _urls(world, "complaints", "complaints.csv")[:2]
    resp = client.get(upload, headers=token)
    assert resp.status_code == 200 and resp.get_data() == _csv(HEADER, ROWS)
    assert resp.headers["X-Data-Gate"] == "serve" and resp.headers["Cache-Control"] == "private, no-store"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in resp.headers["Content-Security-Policy"]
    resp = client.get(data_csv, headers=token)
    assert resp.status_code == 200 and all(s in _text(resp) for s in IDS)
    assert resp.headers["Cache-Control"] == "private, no-store"
    # signed in with a session cookie as well (the dataset page shows them the real rows and the public notice)
    sign_in(client, "editor.a@example.gov")
    page = _text(client.get("/dataset/complaints?lang=en"))
    assert IDS[0] in page and "Others do not get this file as it is" in page
    assert client.get(upload).status_code == 200


def test_an_admins_override_lets_that_copy_out(app, client, world):
    sm = app.extensions["opendata"]["sessionmaker"]
    with sm() as s:
        ds = s.get(Dataset, world["ids"]["complaints"])
        csv_row = s.get(Distribution, world["dists"][("complaints", "complaints.csv")])
        ds.extras = {**(ds.extras or {}), "publishing": {"pii_override": {
            "by": "admin.a@example.gov", "reason": "Published by law: the complainants agreed.",
            "files": [csv_row.archive_hash]}}}
        s.commit()
    upload, data_csv = _urls(world, "complaints", "complaints.csv")[:2]
    resp = client.get(upload)
    assert resp.status_code == 200 and resp.get_data() == _csv(HEADER, ROWS)
    assert resp.headers["X-Data-Gate"] == "serve" and resp.headers["Cache-Control"].startswith("public")
    assert all(s in _text(client.get(data_csv)) for s in IDS)
    # the override names the CSV's copy only: the XLSX stays withheld
    assert client.get(_urls(world, "complaints", "complaints.xlsx")[0]).status_code == 451


def test_a_copy_not_scanned_is_withheld(app, client, world):
    sm = app.extensions["opendata"]["sessionmaker"]
    with sm() as s:
        row = s.get(Distribution, world["dists"][("population", "population.csv")])
        row.pii = {**row.pii, "sha256": "0" * 64}  # facts about another copy
        pdf = s.get(Distribution, world["dists"][("population", "report.pdf")])
        pdf.pii = None  # never scanned
        s.commit()
    for url in _urls(world, "population", "population.csv") + [_urls(world, "population", "report.pdf")[0]]:
        resp = client.get(url)
        assert resp.status_code == 451 and resp.get_json()["error"]["code"] == "not-checked", url
        assert resp.headers["X-Data-Gate"] == "withhold"
    assert client.get(_urls(world, "population", "population.csv")[0],
                      headers={"Authorization": world["tokens"]["editor.a"]}).status_code == 200
    # a file of no format anything here reads will never be scanned: said so, not "within minutes of publication"
    blob = client.get(_urls(world, "odd-data", "blob.bin")[0])
    error = blob.get_json()["error"]
    assert blob.status_code == 451 and error["code"] == "unreadable"
    assert "could not be read" in error["message"] and "无法读取" in error["message_zh"], error
    assert "within minutes" not in error["message"]


def test_clean_files_are_served_and_the_pdf_too(client, world):
    upload, data_csv = _urls(world, "population", "population.csv")[:2]
    resp = client.get(upload)
    assert resp.status_code == 200 and resp.get_data() == CLEAN and resp.headers["X-Data-Gate"] == "serve"
    assert resp.headers["Cache-Control"] == "public, max-age=300" and resp.headers["ETag"]
    assert "临江区" in _text(client.get(data_csv))
    pdf = client.get(_urls(world, "population", "report.pdf")[0])
    assert pdf.status_code == 200 and pdf.get_data() == PDF and pdf.headers["X-Data-Gate"] == "serve"


def test_what_the_gate_serves_is_never_recompressed(client, world):
    """The app gzips pages and exports (app/delivery.py), never a distribution's bytes: they keep their
    length, their ETag and their ranges, and a download stays a stream."""
    for url in _urls(world, "population", "population.csv"):
        plain = client.get(url)
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == zipped.status_code == 200, url
        assert "Content-Encoding" not in zipped.headers, url
        assert zipped.get_data() == plain.get_data() and zipped.headers["ETag"] == plain.headers["ETag"], url


def test_drafts_withdrawn_deleted_and_unknown(client, world):
    draft = _urls(world, "draft-data", "draft.csv")
    for url in draft:
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"Authorization": world["tokens"]["editor.b"]}).status_code == 404
    assert client.get(draft[0], headers={"Authorization": world["tokens"]["editor.a"]}).status_code == 200
    for url in _urls(world, "old-data", "old.csv"):
        resp = client.get(url)
        assert resp.status_code == 410 and resp.headers["X-Data-Gate"] == "withhold", url
        assert resp.get_json()["error"]["tombstone"]["dataset"] == "old-data"
    html = client.get(_urls(world, "old-data", "old.csv")[1], headers={"Accept": "text/html"})
    assert html.status_code == 410 and html.mimetype == "text/html"
    for url in _urls(world, "gone-data", "gone.csv"):
        assert client.get(url, headers={"Authorization": world["tokens"]["editor.a"]}).status_code == 404, url
    for url in ("/uploads/no-such-id/x.csv", "/dataset/population/resource/no-such-id/data.csv",
                "/uploads/" + "9" * 80 + "/x.csv"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.headers["X-Data-Gate"] == "withhold", url
    # a real distribution under another dataset's slug
    other = world["dists"][("population", "population.csv")]
    assert client.get(f"/dataset/complaints/resource/{other}/data.csv").status_code == 404



def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def test_a_download_with_a_token_is_private_and_every_answer_varies_by_it(client, world):
    """The gate decides by the token (app.services.serving.viewer): the publisher's editor gets the real bytes of
    withheld data, everyone else the 451. A shared cache keeps what says `public` (RFC 9111 3.5: even for a request
    with Authorization; `X-CKAN-API-Key` is no credential to it at all) and hands it to whoever asks the same URL:
    every answer the gate decided by the token says `Vary: Authorization, X-CKAN-API-Key`, its 304 too, and an
    answer to a request carrying a token is `private` (its lifetime kept)."""
    credentials = {"authorization", "x-ckan-api-key"}
    clean = _urls(world, "population", "population.csv")[:2]
    withheld = _urls(world, "complaints", "complaints.csv")[:2]
    other = {"X-CKAN-API-Key": world["tokens"]["editor.b"]}  # no right on agency A: the public's answer, privately
    own = {"Authorization": world["tokens"]["editor.a"]}
    for url in clean:
        public = client.get(url)
        assert public.status_code == 200 and public.headers["Cache-Control"] == "public, max-age=300", url
        assert credentials <= _vary(public), (url, public.headers.get("Vary"))
        mine = client.get(url, headers=other)
        assert mine.status_code == 200 and mine.get_data() == public.get_data(), url
        assert mine.headers["Cache-Control"] == "private, max-age=300" and _vary(mine) == _vary(public), url
        again = client.get(url, headers={**other, "If-None-Match": mine.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Cache-Control"] == "private, max-age=300", url
        assert _vary(again) == _vary(mine), url
    for url in withheld:
        refused = client.get(url)
        assert refused.status_code == 451 and credentials <= _vary(refused), (url, refused.headers.get("Vary"))
        real = client.get(url, headers=own)
        assert real.status_code == 200 and real.headers["Cache-Control"] == "private, no-store", url
        assert credentials <= _vary(real), url

# --------------------------------------------------------------------------- downloads and cache validators


def test_a_download_is_counted_once_and_only_for_people(client, world):
    app = client.application
    ds_id = world["ids"]["population"]
    upload, data_csv = _urls(world, "population", "population.csv")[:2]
    first = client.get(data_csv)
    assert first.status_code == 200 and _downloads(app, ds_id) == 1
    assert client.head(data_csv).status_code == 200 and _downloads(app, ds_id) == 1
    again = client.get(data_csv, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["X-Data-Gate"] == "serve" and _downloads(app, ds_id) == 1
    for agent in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "Mozilla/5.0 (compatible; bingbot/2.0)",
                  "Baiduspider+(+http://www.baidu.com/search/spider.htm)", "Yahoo! Slurp", "some-crawler/1.0"):
        assert client.get(data_csv, headers={"User-Agent": agent}).status_code == 200
    assert _downloads(app, ds_id) == 1
    assert client.get(upload).status_code == 200 and _downloads(app, ds_id) == 2
    assert client.get(_urls(world, "population", "population.csv")[5]).status_code == 200  # CSVW: not data
    assert _downloads(app, ds_id) == 2
    assert client.get(_urls(world, "complaints", "complaints.csv")[1]).status_code == 451  # withheld
    assert _downloads(app, world["ids"]["complaints"]) == 0
    # the ETag names the copy and what was served: another format, another tag
    assert client.get(upload).headers["ETag"] != first.headers["ETag"] and _downloads(app, ds_id) == 3

    dash = client.get("/dashboard/downloads.json").get_json()["rows"]
    assert [(r["slug"], r["downloads"], r["downloads_30_days"]) for r in dash] == [("population", 3, 3)]
    html = _text(client.get("/dashboard?lang=en"))
    assert 'id="downloads-table"' in html and 'data-slug="population"' in html
    fix = client.get("/dashboard/fix-first.json").get_json()["rows"]
    assert fix[0]["slug"] == "complaints" and fix[0]["personal_data"] == "email id_number phone"
    assert next(r for r in fix if r["slug"] == "population")["downloads"] == 3


# --------------------------------------------------------------------------- pages


def test_the_dataset_page_says_why_at_the_top_and_shows_no_personal_data(client, world):
    for lang, notice in (("en", "Personal data: not all data is served as published"),
                         ("zh_CN", "个人信息：部分数据未按发布原样提供")):
        html = _text(client.get(f"/dataset/complaints?lang={lang}"))
        assert _leaks(html) == [], lang
        assert notice in html
        assert html.index('id="personal-data-notice"') < html.index('id="meta-h"')  # at the top
        assert "/data.csv" not in html  # no download buttons for withheld files
    clean = _text(client.get("/dataset/population?lang=en"))
    assert 'id="personal-data-notice"' not in clean and "临江区" in clean  # a clean table is previewed


def test_the_home_page_does_not_promote_it(app, client, world):
    sm = app.extensions["opendata"]["sessionmaker"]
    from app.services.usage import record_usage

    with sm() as s:
        record_usage(s, world["ids"]["complaints"], "download", n=50)
        record_usage(s, world["ids"]["population"], "download", n=1)
        s.commit()
    html = _text(client.get("/?lang=en"))
    assert "/dataset/population" in html
    assert "/dataset/complaints" not in html


# --------------------------------------------------------------------------- redact


@pytest.fixture
def redact_client(app):
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    return app.test_client()


def _cells(resp, ext: str) -> list[dict]:
    text = _text(resp)
    if ext == "csv":
        lines = [line.split(",") for line in text.strip().split("\r\n")]
        return [dict(zip(lines[0], r, strict=True)) for r in lines[1:]]
    return resp.get_json()["records"]


@pytest.mark.parametrize("who", ["anonymous", "editor.b"])
def test_redact_masks_every_flagged_cell_in_every_format(redact_client, world, who):
    client = redact_client
    headers = {"Authorization": world["tokens"][who]} if who != "anonymous" else {}
    urls = _urls(world, "complaints", "complaints.csv")
    for url in urls:
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, url
        assert resp.headers["X-Data-Gate"] == "redact"
        assert _leaks(_text(resp)) == [], url
    for url, ext in ((urls[0], "csv"), (urls[1], "csv"), (urls[2] + "?limit=all", "json")):
        rows = _cells(client.get(url, headers=headers), ext)
        assert len(rows) == 12
        for row in rows:
            assert row["身份证号"] == row["联系电话"] == row["备注"] == REDACTED
            assert row["工单编号"].startswith("GD") and row["姓名"].startswith("居民")
    meta = client.get(urls[5], headers=headers).get_json()
    assert {c["titles"]: c["datatype"] for c in meta["tableSchema"]["columns"]}["联系电话"] == "string"
    # the Table Schema data.json points at says the same of the masked columns (it said integer), through the gate
    schema = client.get(urls[5].replace("data.csv-metadata.json", "schema.json"), headers=headers)
    assert schema.status_code == 200 and schema.headers["X-Data-Gate"] == "redact"
    types = {f["name"]: f["type"] for f in schema.get_json()["fields"]}
    assert types["联系电话"] == types["身份证号"] == types["备注"] == "string"
    # the XLSX cannot be masked as it is: withheld, pointing at its masked conversions
    xlsx = _urls(world, "complaints", "complaints.xlsx")
    resp = client.get(xlsx[0], headers=headers)
    assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold"
    error = resp.get_json()["error"]
    assert error["code"] == "not-maskable" and error["masked"]["csv"].endswith(xlsx[1])
    masked = client.get(xlsx[1], headers=headers)
    assert masked.status_code == 200 and _leaks(_text(masked)) == []
    # the page: masked rows, the reason at the top
    page = _text(client.get("/dataset/complaints?lang=en", headers=headers))
    assert _leaks(page) == [] and REDACTED in page and 'id="personal-data-notice"' in page
    # the publisher's editor still gets the real file
    real = client.get(urls[0], headers={"Authorization": world["tokens"]["editor.a"]})
    assert real.get_data() == _csv(HEADER, ROWS) and real.headers["X-Data-Gate"] == "serve"
    own = client.get(urls[5].replace("data.csv-metadata.json", "schema.json"),
                     headers={"Authorization": world["tokens"]["editor.a"]}).get_json()
    assert {f["name"]: f["type"] for f in own["fields"]}["联系电话"] != "string"  # the file as it is


def test_the_previews_kept_rows_never_cross_from_one_decision_to_another(redact_client, world):
    """A page's preview rows are kept per process by copy and by what the gate decided: the editor's real rows,
    read first, are not what an anonymous visitor then gets, and the masked rows are not what the editor gets."""
    client = redact_client
    sign_in(client, "editor.a@example.gov")
    for _ in range(2):
        assert IDS[0] in _text(client.get("/dataset/complaints?lang=en"))
        anonymous = _text(client.application.test_client().get("/dataset/complaints?lang=en"))
        assert _leaks(anonymous) == [] and REDACTED in anonymous and "居民" in anonymous  # names shown
    # a copy whose facts change (another column flagged) is read again under its new decision
    sm = client.application.extensions["opendata"]["sessionmaker"]
    with sm() as s:
        for name in ("complaints.csv", "complaints.xlsx"):
            row = s.get(Distribution, world["dists"][("complaints", name)])
            row.pii = {**row.pii, "columns": {**row.pii["columns"], "姓名": row.pii["columns"]["联系电话"]}}
        s.commit()
    again = _text(client.application.test_client().get("/dataset/complaints?lang=en"))
    assert _leaks(again) == [] and "居民" not in again


def test_masking_also_hides_cells_outside_the_flagged_columns():
    batches = [pa.RecordBatch.from_pydict(
        {"a": ["x", IDS[0], None, ""], "b": ["13812345678", "y", "call 13912345678", "z"], "c": ["1", "2", "3", "4"]})]
    table = convert.Table(convert.table_columns(batches[0]), iter(batches))
    out = convert.masked(table, ["a"])
    assert [c.type for c in out.columns][0] == "string"
    got = next(out.batches()).to_pydict()
    assert got["a"] == [REDACTED, REDACTED, None, ""]  # every filled cell of the flagged column
    assert got["b"] == [REDACTED, "y", REDACTED, "z"]  # personal data elsewhere, cell by cell
    assert got["c"] == ["1", "2", "3", "4"]
    assert pii.mask_array(batches[0].column("b")).tolist() == [True, False, True, False]
    with pytest.raises(ValueError):
        convert.masked(convert.Table(convert.table_columns(batches[0]), iter(batches)), ["no such column"])


def test_the_gates_answers_in_zh_and_en(client, world):
    """404, 410 and 451 in the reader's language: JSON by ?lang or Accept-Language (English when nothing is
    asked, "message_zh" always), a page by the page's language; statuses, codes and the gate's header kept."""
    def han(text: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    odd = _urls(world, "odd-data", "blob.bin")[1]
    cases = [("/uploads/no-such-id/x.csv", 404, "not-found"),
             ("/dataset/population/resource/no-such-id/data.csv", 404, "not-found"),
             (_urls(world, "draft-data", "draft.csv")[1], 404, "not-found"),
             (odd, 404, "not-tabular"),
             (_urls(world, "old-data", "old.csv")[1], 410, "withdrawn"),
             (_urls(world, "complaints", "complaints.csv")[1], 451, "personal-data"),
             (_urls(world, "complaints", "complaints.csv")[0], 451, "personal-data")]
    for url, status, code in cases:
        en = client.get(url)
        assert en.status_code == status and en.headers["X-Data-Gate"] == "withhold", url
        english = en.get_json()["error"]
        assert english["code"] == code, url
        assert not han(english["message"]) or code == "personal-data", english  # (its columns' names are Chinese)
        for query, headers in (("?lang=zh", {}), ("", {"Accept-Language": "zh-CN,zh;q=0.9"})):
            zh = client.get(url + query, headers=headers)
            assert zh.status_code == status and zh.headers["X-Data-Gate"] == "withhold", url
            assert "Accept-Language" in zh.headers["Vary"], url
            chinese = zh.get_json()["error"]
            assert chinese["code"] == code and chinese["status"] == status
            assert han(chinese["message"]) and chinese["message"] != english["message"], (url, chinese)
            if "message_zh" in english:
                assert english["message_zh"] == chinese["message_zh"] == chinese["message"]
        assert client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.3"}).get_json() == en.get_json()
        for lang in ("zh_CN", "en"):
            page = client.get(f"{url}?lang={lang}", headers={"Accept": "text/html,application/xhtml+xml"})
            assert page.status_code == status and page.mimetype == "text/html", (url, lang)
            assert lang == "en" or han(_text(page).split('<main', 1)[-1]), url
    # the door's own reason, on its page, in the page's language
    zh_page = _text(client.get(f"{odd}?lang=zh_CN", headers={"Accept": "text/html"}))
    en_page = _text(client.get(f"{odd}?lang=en", headers={"Accept": "text/html"}))
    assert "该资源格式无法识别，不是表格" in zh_page and "此文件暂不提供" in zh_page
    assert "The resource is of an unrecognised format, not a table" in en_page and "该资源" not in en_page
    unknown = _text(client.get("/uploads/no-such-id/x.csv?lang=zh_CN", headers={"Accept": "text/html"}))
    assert "本目录中没有该资源。" in unknown


def test_a_range_past_the_end_of_a_download_is_the_apis_json_error(client, world):
    """A byte range past the end of an upload answered werkzeug's English HTML page (416), where every other refusal
    of a download door is the API's JSON error for a client that is no browser: now that shape too, in the reader's
    language, with the status and `Content-Range: bytes */<size>` kept. A browser got werkzeug's English page: it is
    the site's error page in its language (zh or en), with the same status and Content-Range, varying by Accept."""
    upload = _urls(world, "population", "population.csv")[0]
    en = client.get(upload, headers={"Range": "bytes=9999-"})
    zh = client.get(upload, headers={"Range": "bytes=9999-", "Accept-Language": "zh-CN,zh;q=0.9"})
    for resp in (en, zh):
        assert resp.status_code == 416 and resp.mimetype == "application/json"
        assert resp.headers["Content-Range"] == f"bytes */{len(CLEAN)}"
        assert resp.get_json()["error"]["status"] == 416
        assert resp.get_json()["error"]["code"] == "range-not-satisfiable"
    assert en.get_json()["error"]["message"] == "The server cannot provide the requested range."
    assert zh.get_json()["error"]["message"] == "请求的字节范围不在文件之内。"
    for lang, h1, why in (("en", "Range not available", "The requested range is not within the file."),
                          ("zh-CN,zh;q=0.9", "请求的范围不可用", "请求的字节范围不在文件之内。")):
        browser = client.get(upload, headers={"Range": "bytes=9999-", "Accept": "text/html,*/*;q=0.8",
                                              "Accept-Language": lang})
        assert browser.status_code == 416 and browser.headers["Content-Range"] == f"bytes */{len(CLEAN)}"
        page = browser.get_data(as_text=True)
        assert browser.mimetype == "text/html" and '<main id="main"' in page, page[:300]
        assert f"<h1>{h1}</h1>" in page and why in page, page[:300]
        assert {"accept", "accept-language"} <= {v.strip().lower() for v in browser.headers["Vary"].split(",")}
    assert "accept" in {v.strip().lower() for v in en.headers["Vary"].split(",")}
    part = client.get(upload, headers={"Range": "bytes=0-2"})  # a range inside the file is still served
    assert part.status_code == 206 and part.get_data() == CLEAN[:3]
