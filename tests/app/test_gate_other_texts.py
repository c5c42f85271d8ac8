"""Personal data in the free texts beside a dataset's own: the reason it was withdrawn, what its publisher says of
itself (its description, a migrated CKAN organization's extras) and a file's rights statement. Each is free text a
person typed, said with each run of personal data ``[redacted]`` at every door that shows it, as a dataset's
description is (tests/app/test_gate_dataset_texts.py): a mobile number there is a person's; what is declared as whom
to contact (the dataset's contact point, the publisher's e-mail address) stays public; a publisher's name is an
organisation's, said as it is (docs/security.md, "Personal data in a dataset's own metadata")."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.accounts import make_user, token_headers
from tests.support.personal import CLEAN_CSV, IDS, PHONES, leaked, on_page

SLUG = "subsidy-list"
OFFICE = "data.office@agency-a.example.cn"  # the publisher's declared e-mail: public wherever it is written
DECLARED_PHONE = "13700001111"  # the dataset's contact's: public as declared
REASON = f"已由新名单替代。原经办人 {PHONES[2]}，身份证 {IDS[2]}；咨询 {DECLARED_PHONE}"
SAID_REASON = f"已由新名单替代。原经办人 [redacted]，身份证 [redacted]；咨询 {DECLARED_PHONE}"
ABOUT = f"市民政局数据开放。联系人张三 {PHONES[9]}，邮箱 {OFFICE}"
SAID_ABOUT = f"市民政局数据开放。联系人张三 [redacted]，邮箱 {OFFICE}"
RIGHTS = f"转载须经经办人同意（{PHONES[10]}）"


def _build(app, local_server) -> dict:
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    make_user(app, "admin@a.example", admin_of="agency-a")
    own, admin = token_headers(app, "editor@a.example"), token_headers(app, "admin@a.example")
    client = app.test_client()
    made = client.post("/api/v1/datasets", headers=own, json={
        "publisher": "agency-a", "name": SLUG, "title": "Subsidy list 2024", "license": "CC-BY-4.0",
        "rights": RIGHTS, "contact_point": {"name": f"王五 {DECLARED_PHONE}", "email": "wangwu@agency-a.example.cn"},
        "distributions": [{"url": local_server.url("/clean.csv"), "format": "CSV"}], "publish": True})
    assert made.status_code == 201, made.get_json()
    org = client.post("/api/3/action/organization_patch", headers=admin, json={
        "id": "agency-a", "description": ABOUT, "extras": [{"key": "联系人", "value": f"李四 {PHONES[11]}"}]})
    assert org.status_code == 200, org.get_json()
    with app.extensions["opendata"]["sessionmaker"]() as session:
        from catalog_schema.models import Publisher

        session.query(Publisher).filter_by(slug="agency-a").one().email = OFFICE
        session.commit()
    return {"own": own, "admin": admin}


@pytest.fixture
def world(snapshot, app, local_server) -> dict:
    return snapshot.once(lambda: _build(app, local_server))


def test_a_withdrawals_reason_is_said_redacted_on_its_tombstone(client, world):
    done = client.post(f"/api/v1/datasets/{SLUG}/withdraw", headers=world["own"], json={"reason": REASON})
    assert done.status_code == 200, done.get_json()
    page = client.get(f"/dataset/{SLUG}", headers={"Accept": "text/html"})
    assert page.status_code == 410 and on_page(SAID_REASON) in page.get_data(as_text=True)
    doc = client.get(f"/dataset/{SLUG}", headers={"Accept": "application/json"})
    assert doc.status_code == 410 and doc.get_json()["error"]["tombstone"]["reason"] == SAID_REASON
    for url in (f"/api/v1/datasets/{SLUG}", f"/dataset/{SLUG}.json", "/catalog.ttl?modified_since=2000-01-01",
                "/catalog.jsonld?modified_since=2000-01-01"):
        text = client.get(url).get_data(as_text=True)
        assert "已由新名单替代" in text and leaked(text) == [], url


def test_what_a_publisher_says_of_itself_is_said_redacted(client, world):
    doors = {"page": "/publisher/agency-a", "api/v1": "/api/v1/publishers/agency-a",
             "organization_show": "/api/3/action/organization_show?id=agency-a",
             "organization_list": "/api/3/action/organization_list?all_fields=true",
             "package_show": f"/api/3/action/package_show?id={SLUG}",
             "package_search": "/api/3/action/package_search?q=subsidy"}
    for name, url in doors.items():
        text = client.get(url).get_data(as_text=True)
        assert "市民政局数据开放" in text and OFFICE in text, name
        assert leaked(text) == [], name
    org = client.get("/api/3/action/organization_show?id=agency-a").get_json()["result"]
    assert org["description"] == SAID_ABOUT and org["extras"] == [{"key": "联系人", "value": "李四 [redacted]"}]
    assert SAID_ABOUT in client.get("/publisher/agency-a").get_data(as_text=True)
    assert client.get("/api/v1/publishers/agency-a").get_json()["description"] == {"": SAID_ABOUT}
    # nor is it found by the value: organization_list's q matches what everyone reads
    assert client.get(f"/api/3/action/organization_list?q={PHONES[9]}").get_json()["result"] == []
    assert client.get(f"/api/3/action/organization_list?q={quote('民政局')}").get_json()["result"] == ["agency-a"]


def test_its_admins_read_and_write_it_back_as_it_is(client, world):
    """CKAN's read-modify-write: its admin reads what it says as it is, and sending it back changes nothing."""
    mine = client.get("/api/3/action/organization_show?id=agency-a", headers=world["admin"]).get_json()["result"]
    assert mine["description"] == ABOUT and mine["extras"] == [{"key": "联系人", "value": f"李四 {PHONES[11]}"}]
    mine["title"] = "Agency A (renamed)"
    assert client.post("/api/3/action/organization_update", headers=world["admin"], json=mine).status_code == 200
    again = client.get("/api/3/action/organization_show?id=agency-a", headers=world["admin"]).get_json()["result"]
    assert again["description"] == ABOUT and again["title"] == "Agency A (renamed)"
    # the dataset's editor is none of its admins: they read it as everyone does
    theirs = client.get("/api/3/action/organization_show?id=agency-a", headers=world["own"]).get_json()["result"]
    assert theirs["description"] == SAID_ABOUT


def test_a_files_rights_statement_is_said_redacted(client, world):
    for url in (f"/dataset/{SLUG}.ttl", f"/dataset/{SLUG}.jsonld", f"/api/v1/datasets/{SLUG}", f"/dataset/{SLUG}.json",
                "/catalog.ttl", "/data.json", f"/dataset/{SLUG}?lang=zh"):
        text = client.get(url).get_data(as_text=True)
        assert "转载须经经办人同意" in text and leaked(text) == [], url
    doc = client.get(f"/api/v1/datasets/{SLUG}").get_json()
    assert doc["distributions"][0]["rights"] == "转载须经经办人同意（[redacted]）"
    mine = client.get(f"/api/v1/datasets/{SLUG}", headers=world["own"]).get_json()
    assert mine["distributions"][0]["rights"] == RIGHTS
    assert json.dumps(mine, ensure_ascii=False).count(PHONES[10]) == 2  # the dataset's and its file's
