"""Personal data in a PDF: a notice listing subsidy recipients with their resident ID numbers and mobile numbers, in
Chinese text of a CID font, was published and served whole, because no scan read a PDF. The whole-file scan now
reads a PDF's text page by page: such a file is withheld (451) at the file doors and blocks publishing, its findings
naming the pages, never a value; a clean notice is served; a scan (pages of images, no text) is served with a
finding saying it could not be checked; a PDF that cannot be opened (a password) or read within the scan's bounds (a
page tree, a FlateDecode stream or a nesting bomb) is withheld, as any part the scan could not read; a PDF inside a
ZIP is read as a member. Real PDFs made byte by byte, real uploads through /api/v1, a real catalog."""

from __future__ import annotations

import json
import time

import pytest

from quality.tabular import whole
from quality.tabular.whole import scan_whole
from tests.support.pdfs import NOTICE, RECIPIENTS, encrypted, flate_bomb, nested_bomb, page_bomb, pdf_bytes
from tests.support.personal import CLEAN_CSV, IDS, leaked, zip_bytes
from tests.support.published import download_path, published, upload
from tests.support.publishing import build_world

LIST = pdf_bytes(NOTICE, RECIPIENTS)  # the ID and mobile numbers are on page 2
CLEAN = pdf_bytes(NOTICE)
SCANNED = pdf_bytes(None, None)  # two scanned pages: images, no text
HIDDEN = {"list.pdf": LIST, "owner-only.pdf": encrypted(LIST, ""), "owner-only-aes.pdf": encrypted(LIST, "", "AES-256"),
          "notices.zip": zip_bytes(("readme.txt", "说明".encode()), ("附件/名单.pdf", LIST))}
UNREAD = {"password.pdf": encrypted(CLEAN, "secret"), "flate-bomb.pdf": flate_bomb()}
SERVED = {"notice.pdf": CLEAN, "scanned.pdf": SCANNED, "restricted.pdf": encrypted(CLEAN, "", "AES-128"),
          "clean.zip": zip_bytes(("公告.pdf", CLEAN),)}


def _scan(tmp_path, name: str, data: bytes, fmt: str = "PDF") -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    return scan_whole(path, fmt)


def test_the_text_of_a_chinese_pdf_is_scanned_page_by_page(tmp_path):
    got = _scan(tmp_path, "list.pdf", LIST)
    assert got["parts"] == {"*": {"id_number": 12, "phone": 12}}
    assert got["pdf"]["*"]["found"] == {"id_number": [[2, 2]], "phone": [[2, 2]]}
    assert got["table"] is None  # no table is read from a PDF: all of it is beyond one
    assert leaked(json.dumps(got, ensure_ascii=False)) == []  # counts and pages, never a value
    assert _scan(tmp_path, "plain.pdf", pdf_bytes(RECIPIENTS, flate=False))["parts"] == {
        "*": {"id_number": 12, "phone": 12}}
    assert _scan(tmp_path, "clean.pdf", CLEAN)["parts"] == {}
    mixed = _scan(tmp_path, "mixed.pdf", pdf_bytes(NOTICE, None, RECIPIENTS, None))
    assert mixed["parts"] == {"*": {"id_number": 12, "phone": 12}}
    assert mixed["pdf"]["*"]["found"]["id_number"] == [[3, 3]] and mixed["pdf"]["*"]["textless"] == [[2, 2], [4, 4]]
    # an image-only PDF is no reason to withhold it: its pages are noted, nothing is said found in it
    scanned = _scan(tmp_path, "scanned.pdf", SCANNED)
    assert scanned["parts"] == {} and scanned["pdf"]["*"] == {"pages": 2, "found": {}, "textless": [[1, 2]]}
    # inside a ZIP a PDF is a member, whatever its name
    zipped = _scan(tmp_path, "a.zip", zip_bytes(("a.csv", CLEAN_CSV), ("附件/名单.pdf", LIST), ("b.bin", LIST)), "ZIP")
    assert zipped["parts"] == {"附件/名单.pdf": {"id_number": 12, "phone": 12}, "b.bin": {"id_number": 12, "phone": 12}}
    assert zipped["pdf"]["附件/名单.pdf"]["found"]["id_number"] == [[2, 2]]


def test_an_encrypted_pdf_is_read_when_it_opens_without_a_password_and_withheld_when_not(tmp_path):
    """A PDF whose owner only restricted printing or copying opens without a password in any reader: it is read, with
    RC4 or AES (what Acrobat and office suites write); one that needs a password, or that pypdf cannot parse, is not
    read and is said `unscanned`."""
    for algorithm in ("RC4-128", "AES-128", "AES-256"):
        got = _scan(tmp_path, "owner.pdf", encrypted(LIST, "", algorithm))
        assert got["parts"] == {"*": {"id_number": 12, "phone": 12}}, algorithm
    got = _scan(tmp_path, "user.pdf", encrypted(CLEAN, "secret"))
    assert got["parts"] == {"*": {"unscanned": 1}} and got["pdf"]["*"]["unread"] == "encrypted"
    damaged = _scan(tmp_path, "damaged.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100)
    assert damaged["parts"] == {"*": {"unscanned": 1}} and damaged["pdf"]["*"]["unread"] == "damaged"


@pytest.mark.parametrize("bomb", [page_bomb, flate_bomb, nested_bomb])
def test_a_pdf_bomb_is_bounded_and_not_said_clean(tmp_path, bomb):
    """A million pages in 13 KB, a content stream that unpacks to 256 MiB, arrays nested 200,000 deep: each is
    read to a bound, in well under a second, and said `unscanned` (withheld), never clean."""
    data = bomb()
    started = time.monotonic()
    got = _scan(tmp_path, "bomb.pdf", data)
    assert time.monotonic() - started < 20
    assert got["parts"] == {"*": {"unscanned": 1}} and got["pdf"]["*"]["unread"] == "bound"


def test_a_pdf_read_past_its_time_is_not_said_clean(tmp_path, monkeypatch):
    monkeypatch.setattr(whole, "_PDF_SECONDS", -1.0)
    assert _scan(tmp_path, "list.pdf", CLEAN)["parts"] == {"*": {"unscanned": 1}}
    monkeypatch.setattr(whole, "_PDF_SECONDS", 120.0)
    monkeypatch.setattr(whole, "_PDF_PAGES", 1)
    assert _scan(tmp_path, "two.pdf", SCANNED)["pdf"]["*"]["unread"] == "bound"


@pytest.fixture
def uploaded(snapshot, app, client, local_server):
    """A published dataset of agency A with every PDF above uploaded to it: {file name: download path}. Made once
    per backend (each upload assessed as it arrives), a copy for each test."""
    return snapshot.once(lambda: _upload_all(app, client, local_server))


def _upload_all(app, client, local_server) -> dict:
    own = published(app, client, local_server, "subsidies", "Subsidies")
    files = {**HIDDEN, **UNREAD, **SERVED}
    paths = {name: download_path(upload(client, own, "subsidies", data, name)) for name, data in files.items()}
    return {"paths": paths, "own": own}


def test_a_published_pdf_of_id_numbers_is_withheld_under_both_policies(app, client, uploaded):
    for policy in ("withhold", "redact"):  # a PDF cannot be masked as it is
        app.config["OPENDATA"]["PII_POLICY"] = policy
        for name in HIDDEN:
            resp = client.get(uploaded["paths"][name])
            assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold", (policy, name)
            assert resp.get_json()["error"]["kinds"].get("id_number") == 12, name
            assert b"%PDF" not in resp.get_data() and leaked(resp.get_data(as_text=True)) == []
        for name in UNREAD:
            resp = client.get(uploaded["paths"][name])
            assert resp.status_code == 451 and resp.get_json()["error"]["kinds"] == {"unscanned": 1}, (policy, name)
    # the publisher's own editor gets the file as it was sent
    assert client.get(uploaded["paths"]["list.pdf"], headers=uploaded["own"]).get_data() == LIST


def test_a_pdf_without_personal_data_is_served_and_a_scan_too_said_unchecked(client, uploaded):
    """A clean notice is read and served; a scan (no text) is served too, not withheld as unreadable: most are
    harmless, and the finding says honestly that it could not be checked."""
    for name, data in SERVED.items():
        resp = client.get(uploaded["paths"][name])
        assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve", (name, resp.status_code)
        assert resp.get_data() == data
    scanned = uploaded["paths"]["scanned.pdf"].split("/")[2]
    findings = client.get("/api/v1/datasets/subsidies/quality?lang=en").get_json()["findings"]
    said = [(f["type"], f["severity"]) for f in findings if f.get("distribution") == scanned]
    assert ("pdf-no-text", "info") in said and not any(t.startswith("pii-") for t, _ in said)


def test_the_findings_name_the_pages_and_what_could_not_be_checked(client, uploaded):
    for lang in ("en", "zh"):
        findings = client.get(f"/api/v1/datasets/subsidies/quality?lang={lang}").get_json()["findings"]
        assert leaked(json.dumps(findings, ensure_ascii=False)) == []
        said = {(f["type"], f["evidence"].get("part")): f for f in findings
                if f["type"].startswith(("pii-", "pdf-")) and f["type"] != "pii-phone"}
        if lang == "en":
            assert said[("pii-id-number", "*")]["message"] == (
                "The file (page 2) holds 12 valid resident identity numbers.")
            assert said[("pii-id-number", "附件/名单.pdf")]["message"] == (
                "ZIP member 附件/名单.pdf (page 2) holds 12 valid resident identity numbers.")
            assert said[("pdf-no-text", "*")]["severity"] == "info"
            assert said[("pdf-no-text", "*")]["message"] == (
                "The file has no text the check can read (scanned pages or images), so it was not checked for "
                "personal data.")
            unread = [f for f in findings if f["type"] == "pdf-not-read"]
            assert sorted(f["evidence"]["unread"] for f in unread) == ["bound", "encrypted"]
            assert all(f["severity"] == "warning" for f in unread)
            assert "not served to the public" in unread[0]["message"]
        else:
            assert said[("pii-id-number", "*")]["message"] == "该文件（第 2 页）含有 12 个有效的居民身份证号码。"
            assert said[("pdf-no-text", "*")]["message"].startswith("该文件没有可读取的文字（扫描页或图片）")
            assert any("文件已加密" in f["message"] for f in findings if f["type"] == "pdf-not-read")


@pytest.fixture
def world(app):
    """Built by the one test that takes it (the module's saved catalog is `uploaded`'s)."""
    return build_world(app.extensions["opendata"]["sessionmaker"])


def test_a_pdf_of_id_numbers_blocks_publishing_and_a_scan_does_not(client, world):
    editor = {"Authorization": world.tokens["editor_a"]}
    slug = world.draft_a
    path = download_path(upload(client, editor, slug, SCANNED, "scanned.pdf"))
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["can_publish"] is True and "pii" not in check["blocked_by"]
    upload(client, editor, slug, LIST, "list.pdf")
    check = client.get(f"/api/v1/datasets/{slug}/check?lang=zh", headers=editor).get_json()
    assert check["blocked_by"] == ["pii"] and check["can_publish"] is False
    assert "该文件（第 2 页）含有 12 个有效的居民身份证号码。" in [f["message"] for f in check["pii"]]
    assert leaked(json.dumps(check, ensure_ascii=False)) == []
    blocked = client.post(f"/api/v1/datasets/{slug}/publish", headers=editor)
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "pii-blocked"
    assert client.get(path).status_code != 200  # a draft's files are not public at all
    assert IDS[0] not in blocked.get_data(as_text=True)
