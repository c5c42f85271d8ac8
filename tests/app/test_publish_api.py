"""REST writes with a token: draft, file, check, publish; the check equals the assessment after
publishing; personal data blocked until an admin overrides; detaching a harvested dataset (and the
harvester then leaving it alone); responses match the schemas the OpenAPI document publishes."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from collections import Counter

import pytest
from sqlalchemy import select

from app.jobs import harvest
from app.services import accounts, datasets
from app.services.context import Actor
from app.services.errors import Forbidden
from catalog_schema.models import AuditEvent, Dataset, HarvestRecord, User
from tests.support.openapi import validate_against
from tests.support.publishing import CLEAN_CSV, GBK_CSV, PII_CSV, XLSX, build_world, sign_in


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))



def _kinds(findings) -> Counter:
    return Counter(f["type"] for f in findings)


def test_a_spreadsheet_uploaded_under_a_csv_name_is_read_as_what_it_is_and_served(client, world):
    """An XLSX named .csv was judged as a CSV: its ZIP bytes were "NUL bytes, not structured data", it was never
    read, so its personal-data facts never came and every public door answered 451 not-checked for good."""
    token = {"Authorization": world.tokens["editor_a"]}
    created = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "Taxi fares", "lang": "en", "license": "cc-by"}).get_json()
    slug = created["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(XLSX.read_bytes()), "fares.csv")})
    assert up.status_code == 201, up.get_json()
    body = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
    kinds = _kinds(body["findings"])
    assert kinds["format-mismatch"] == 1 and not kinds["not-parseable"], kinds
    assert body["preview"] and body["preview"][0]["header"], body["preview"]
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200
    dist = client.get(f"/api/v1/datasets/{slug}").get_json()["distributions"][0]
    served = client.get("/" + dist["download_url"].split("//", 1)[1].split("/", 1)[1])
    assert served.status_code == 200 and served.headers["X-Data-Gate"] == "serve", served.get_json()
    assert served.get_data() == XLSX.read_bytes()


def test_a_table_that_cannot_be_read_is_withheld_saying_so_not_checked_within_minutes(client, world):
    """A CSV with NUL bytes is never read, so never scanned: the public got 451 not-checked, "it will be once the
    check has run (normally within minutes)", for good."""
    token = {"Authorization": world.tokens["editor_a"]}
    slug = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "Broken table", "lang": "en", "license": "cc-by"}).get_json()["slug"]
    broken = b"name,phone\n" + b"Li,13812345678\n" * 20 + b"Wang,\x00\x00\n"
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(broken), "broken.csv")})
    assert up.status_code == 201, up.get_json()
    assert "not-parseable" in _kinds(client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()["findings"])
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200
    dist = client.get(f"/api/v1/datasets/{slug}").get_json()["distributions"][0]
    served = client.get("/" + dist["download_url"].split("//", 1)[1].split("/", 1)[1])
    error = served.get_json()["error"]
    assert served.status_code == 451 and error["code"] == "unreadable", error
    assert "could not be read" in error["message"] and "minutes" not in error["message"]
    assert "无法读取（表格无法解析" in error["message_zh"] and b"13812345678" not in served.get_data()


def test_check_equals_the_assessment_after_publishing(client, world, openapi):
    token = {"Authorization": world.tokens["editor_a"]}
    created = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "Provincial GDP", "lang": "en", "license": "cc-by",
        "description": "GDP of each province, 1993-2017, from the statistical yearbook.", "keywords": ["GDP"],
        "frequency": "ANNUAL", "contact_point": {"name": "Stats office", "email": "stats@example.gov"}})
    assert created.status_code == 201, created.get_json()
    validate_against(openapi, "PublishResult", created.get_json())
    slug = created.get_json()["slug"]
    assert created.get_json()["state"] == "draft" and slug == "provincial-gdp"
    for path in (GBK_CSV, CLEAN_CSV):
        up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(path.read_bytes()), path.name)})
        assert up.status_code == 201, up.get_json()
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=token)
    assert check.status_code == 200 and check.headers["Cache-Control"] == "private, no-store"  # the sender's (a token)
    body = check.get_json()
    validate_against(openapi, "PrePublicationCheck", body)
    assert body["can_publish"] and body["stars"] == 3 and body["pii"] == []
    assert body["preview"][0]["header"][0] == "地区" and body["preview"][0]["sample"][0][0] == "北京市"
    assert all(f.get("fix") for f in body["findings"])

    published = client.post(f"/api/v1/datasets/{slug}/publish", headers=token)
    assert published.status_code == 200, published.get_json()
    validate_against(openapi, "PublishResult", published.get_json())
    after = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert (after["stars"], after["score"]) == (body["stars"], body["score"])
    assert _kinds(after["findings"]) == _kinds(body["findings"])
    assert after["metadata"] == body["assessment"]["metadata"]
    assert [d["stars"] for d in after["distributions"]] == [d["stars"] for d in body["assessment"]["distributions"]]
    assert published.get_json()["stars"] == 3 and published.get_json()["state"] == "active"
    found = client.get("/api/v1/datasets?q=GDP").get_json()["items"]
    assert [(d["slug"], d["stars"]) for d in found] == [(slug, 3)]
    again = client.post(f"/api/v1/datasets/{slug}/publish", headers=token)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    withdrawn = client.post(f"/api/v1/datasets/{slug}/withdraw", headers=token).get_json()
    assert withdrawn["state"] == "withdrawn" and client.get("/api/v1/datasets?q=GDP").get_json()["items"] == []
    restored = client.post(f"/api/v1/datasets/{slug}/restore", headers=token).get_json()
    assert restored["state"] == "active"
    closed = client.patch(f"/api/v1/datasets/{slug}", headers=token, json={"license": "other-closed"})
    assert closed.status_code == 200 and closed.get_json()["stars"] == 0  # a published dataset is re-assessed
    assert client.get(f"/api/v1/datasets/{slug}/quality").get_json()["stars"] == 0


def test_create_with_links_and_bad_input(client, world, local_server, openapi):
    local_server.add_bytes("/population.csv", CLEAN_CSV.read_bytes(), "text/csv")
    token = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "name": "population", "title": {"zh": "各区人口", "en": "Population by district"},
        "license": "CC-BY-4.0", "distributions": [{"url": local_server.url("/population.csv"), "format": "CSV"}],
        "publish": True})
    assert made.status_code == 201, made.get_json()
    doc = made.get_json()
    assert doc["state"] == "active" and doc["check"]["stars"] == 3 and doc["stars"] == 3
    # a linked file's media type is its format's: "declare the media type" could not be followed for a link
    shown = client.get("/api/v1/datasets/population").get_json()
    assert shown["distributions"][0]["media_type"] == "text/csv"
    validate_against(openapi, "PublishResult", doc)
    bad = [({"publisher": "agency-a"}, 422, "invalid"), ({"publisher": "nope", "title": "x"}, 422, "invalid"),
           ({"publisher": "agency-a", "title": "x", "name": "population"}, 409, "conflict"),
           ({"publisher": "agency-a", "title": "x", "themes": ["NOPE"]}, 422, "invalid"),
           ({"publisher": "agency-a", "title": "x", "frequency": "whenever"}, 422, "invalid"),
           ({"publisher": "agency-a", "title": "x", "distributions": [{"url": "file:///etc/passwd"}]}, 422, "invalid"),
           # a file's title is held to a dataset title's 500 characters (3,000 were taken)
           ({"publisher": "agency-a", "title": "x", "distributions": [{"url": local_server.url("/population.csv"),
                                                                       "title": "长" * 600}]}, 422, "invalid")]
    for body, status, code in bad:
        resp = client.post("/api/v1/datasets", headers=token, json=body)
        assert resp.status_code == status and resp.get_json()["error"]["code"] == code, (body, resp.get_json())
        validate_against(openapi, "Error", resp.get_json())
    not_json = client.post("/api/v1/datasets", headers=token, data="title=x")
    assert not_json.status_code == 400
    cookie_only = client.post("/api/v1/datasets", json={"publisher": "agency-a", "title": "x"})
    assert cookie_only.status_code == 401 and cookie_only.get_json()["error"]["code"] == "unauthorized"
    assert cookie_only.headers["WWW-Authenticate"] == 'Bearer realm="opendata"'  # RFC 9110 wants the challenge
    bad_token = client.post("/api/v1/datasets", headers={"Authorization": "Bearer nope"}, json={"title": "x"})
    assert bad_token.status_code == 401 and bad_token.headers["WWW-Authenticate"].startswith("Bearer ")
    paths = openapi["paths"]
    for path, method in (("/datasets", "post"), ("/datasets/{slug}", "patch"), ("/datasets/{slug}/check", "get"),
                         ("/datasets/{slug}/distributions", "post"), ("/datasets/{slug}/publish", "post"),
                         ("/datasets/{slug}/withdraw", "post"), ("/datasets/{slug}/restore", "post"),
                         ("/datasets/{slug}/pii-override", "post"), ("/datasets/{slug}/detach", "post")):
        op = paths[path][method]
        assert op["security"] == [{"token": []}] and "401" in op["responses"] and op["tags"] == ["publishing"]
    assert "multipart/form-data" in paths["/datasets/{slug}/distributions"]["post"]["requestBody"]["content"]


def _upload_hotline(client, editor: dict, slug: str) -> None:
    """The hotline table (phone and ID numbers) uploaded by `editor` to draft `slug`."""
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=editor, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(PII_CSV.read_bytes()), "hotline.csv")})
    assert up.status_code == 201


def test_pii_blocked_until_an_admin_overrides(app, client, world):
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    _upload_hotline(client, editor, slug)
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["blocked_by"] == ["pii"] and {"pii-phone", "pii-id-number"} <= {f["type"] for f in check["pii"]}
    assert "13812345678" not in json.dumps(check, ensure_ascii=False)  # values never shown, previews redacted
    blocked = client.post(f"/api/v1/datasets/{slug}/publish", headers=editor)
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "pii-blocked"
    said = client.post(f"/api/v1/datasets/{slug}/publish?lang=zh", headers=editor).get_json()["error"]["message"]
    assert said.startswith("发现个人信息") and "手机号码" in said  # it was English whatever was asked
    # the kinds in words of the reader's language (it said "（pii-id-number, pii-phone）" in a Chinese sentence)
    assert "pii-" not in said and "居民身份证号码、" in said, said
    said_en = blocked.get_json()["error"]["message"]
    assert "resident identity numbers, " in said_en and "mobile numbers" in said_en and "pii-" not in said_en, said_en
    # no way round the check through the CKAN actions: editing a draft there keeps it a draft
    patched = client.post("/api/3/action/package_patch", headers=editor, json={"id": slug, "notes": "Complaints."})
    assert patched.status_code == 200 and patched.get_json()["result"]["state"] == "draft"  # CKAN has drafts too
    assert client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()["state"] == "draft"
    reason = {"reason": "Office hotline numbers, public by regulation."}
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=editor, json=reason).status_code == 403
    short = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json={"reason": "ok"})
    assert short.status_code == 422
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=reason).status_code == 200
    published = client.post(f"/api/v1/datasets/{slug}/publish", headers=editor)
    assert published.status_code == 200 and published.get_json()["state"] == "active"
    assert client.get(f"/api/v1/datasets/{slug}/quality").get_json()["pii"] is True  # still reported, capped
    # the public documents say the override's reason, never the admin who made it (their e-mail, their user id);
    # the catalog keeps who it was, for the audit
    admin_email = world.emails["admin_a"]
    for url in (f"/api/v1/datasets/{slug}", f"/dataset/{slug}.json", "/catalog.json", f"/dataset/{slug}.xml",
                "/catalog.xml", f"/dataset/{slug}.ttl", "/data.json", f"/api/3/action/package_show?id={slug}"):
        public = client.get(url)
        assert public.status_code == 200 and admin_email not in public.get_data(as_text=True), url
    shown = client.get(f"/api/v1/datasets/{slug}").get_json()["extras"]["publishing"]["pii_override"]
    assert shown["reason"] == reason["reason"] and not {"by", "user_id"} & set(shown)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        events = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ds.id).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["publish.create", "publish.upload", "ckan.package_patch",
                                              "publish.pii_override", "publish.publish"]
        override = events[3]
        admin_id = s.scalar(select(User.id).where(User.email == world.emails["admin_a"]))
        assert override.user_id == admin_id and override.detail["reason"] == reason["reason"]
        assert override.detail["via"] == "rest" and "publishing" not in override.before["extras"]
        assert override.after["extras"]["publishing"]["pii_override"]["reason"] == reason["reason"]
        assert override.after["extras"]["publishing"]["pii_override"]["by"] == admin_email


def test_detach_lets_editors_edit_and_the_harvester_skip(runtime, add_source, local_server, fixtures_dir):
    document = json.loads((fixtures_dir / "real/datajson/treasury_data.json").read_text("utf-8"))
    document["dataset"] = document["dataset"][:6]  # a few real records are enough
    local_server.add_bytes("/data.json", json.dumps(document).encode(), "application/json")
    add_source("treasury", "datajson", local_server.url("/data.json"), publisher="treasury")
    assert harvest(runtime, "treasury").to_dict()["added"] == len(document["dataset"])
    target = document["dataset"][2]["identifier"]
    with runtime.sessionmaker() as s:
        pub = s.scalar(select(Dataset).where(Dataset.remote_id == target)).publisher
        editor, admin = accounts.create_user(s, "ed@treasury.example"), accounts.create_user(s, "boss@treasury.example")
        accounts.grant(s, editor, pub, "editor")
        accounts.grant(s, admin, pub, "admin")
        s.commit()
        ds = s.scalar(select(Dataset).where(Dataset.remote_id == target))
        slug = ds.slug
        with pytest.raises(Forbidden):
            datasets.update(Actor(s, editor, "test", lang="en"), ds, {"title": "Mine now"})
        with pytest.raises(Forbidden):
            datasets.detach(Actor(s, editor, "test"), ds)
        s.rollback()
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        datasets.detach(Actor(s, s.get(User, admin.id), "test"), ds)
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        datasets.update(Actor(s, s.get(User, editor.id), "test", lang="en"), ds, {"title": "Edited by the agency"})

    changed = copy.deepcopy(document)
    changed["dataset"][2]["title"] = "Changed at the source"
    changed["dataset"].pop(3)  # and another one goes: a full harvest withdraws it, not the detached one
    local_server.add_bytes("/data.json", json.dumps(changed).encode(), "application/json")
    summary = harvest(runtime, "treasury", full=True).to_dict()
    assert summary["withdrawn"] == 1 and summary["added"] == 0 and summary["errored"] == 0
    with runtime.sessionmaker() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        assert ds.title["en"] == "Edited by the agency" and ds.state == "active" and ds.source_id is None
        assert s.scalar(select(HarvestRecord).where(HarvestRecord.remote_id == target,
                                                    HarvestRecord.job_id == summary["job_id"])) is None
        assert len(s.scalars(select(Dataset).where(Dataset.title == {"en": "Changed at the source"})).all()) == 0


def test_ckan_resource_create_takes_uploads_into_own_datasets_only(app, client, world):
    from tests.support.publishing import HTML_CSV, snapshot

    editor = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/resource_create", headers=editor, content_type="multipart/form-data",
                       data={"package_id": world.draft_a, "name": "GDP table",
                             "upload": (io.BytesIO(GBK_CSV.read_bytes()), "gdp.csv")})
    assert made.status_code == 200, made.get_json()
    res = made.get_json()["result"]
    assert res["name"] == "GDP table" and "/uploads/" in res["url"] and res["url"].endswith("/gdp.csv")
    factory = app.extensions["opendata"]["sessionmaker"]
    before = snapshot(factory)
    other = client.post("/api/3/action/resource_create", headers=editor, content_type="multipart/form-data",
                        data={"package_id": world.draft_b, "upload": (io.BytesIO(GBK_CSV.read_bytes()), "x.csv")})
    # another publisher's draft is not found (as package_show answers it), its published dataset refused
    assert other.status_code == 404 and other.get_json()["error"]["__type"] == "Not Found Error"
    published = client.post("/api/3/action/resource_create", headers={"Authorization": world.tokens["editor_b"]},
                            content_type="multipart/form-data",
                            data={"package_id": "active-a-1", "upload": (io.BytesIO(GBK_CSV.read_bytes()), "x.csv")})
    assert published.status_code == 403 and published.get_json()["error"]["__type"] == "Authorization Error"
    html = client.post("/api/3/action/resource_create", headers=editor, content_type="multipart/form-data",
                       data={"package_id": world.draft_a, "upload": (io.BytesIO(HTML_CSV.read_bytes()), "p.csv")})
    assert html.status_code == 409 and "HTML web page" in html.get_json()["error"]["upload"][0]
    assert snapshot(factory) == before
    check = client.get(f"/api/v1/datasets/{world.draft_a}/check", headers=editor).get_json()
    assert check["preview"][0]["header"][0] == "地区"


def test_two_person_rule_for_overrides(app, client, world):
    """With PII_OVERRIDE_SECOND_ADMIN on, one admin's override waits for a second admin; the same admin
    cannot confirm it alone, and nothing is published before the second one does."""
    app.config["OPENDATA"]["PII_OVERRIDE_SECOND_ADMIN"] = True
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    sysadmin = {"Authorization": world.tokens["sysadmin"]}
    slug = world.draft_a
    _upload_hotline(client, editor, slug)
    reason = {"reason": "Office hotline numbers, public by regulation."}
    first = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=reason)
    assert first.status_code == 200
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=editor).get_json()["error"]["code"] == "pii-blocked"
    alone = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=reason)
    assert alone.status_code == 409 and alone.get_json()["error"]["code"] == "second-admin-required"
    second = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=sysadmin,
                         json={"reason": "Checked with the data protection officer."})
    assert second.status_code == 200
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=editor).status_code == 200
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        done = ds.extras["publishing"]["pii_override"]
        assert done["by"] == world.emails["admin_a"] and done["confirmed_by"] == world.emails["sysadmin"]
        assert "pii_override_pending" not in ds.extras["publishing"]
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == ds.id)
                                               .order_by(AuditEvent.id))]
        assert actions[-3:] == ["publish.pii_override_requested", "publish.pii_override", "publish.publish"]


def test_a_tables_dictionary_is_inferred_shown_edited_and_kept(client, world, openapi):
    """The GBK statistics table: its unit (亿元, from the note 指标：地区生产总值(亿元)) and its notes rows
    (数据来源：国家统计局) reach the dictionary, the page, the Table Schema and the CSVW metadata; the agency's
    edits are checked, kept with the distribution, and outlive a fresh check of the file."""
    token = {"Authorization": world.tokens["editor_a"]}
    slug = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "GDP by province", "lang": "en", "license": "cc-by",
        "description": "GDP of each province.", "keywords": ["GDP"], "publish": False}).get_json()["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(GBK_CSV.read_bytes()), GBK_CSV.name)}).get_json()
    dist_id = up["distributions"][0]["id"]
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200

    url = f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary"
    doc = client.get(url).get_json()
    validate_against(openapi, "DataDictionary", doc)
    fields = {f["name"]: f for f in doc["fields"]}
    assert fields["地区"]["type"] == "string" and fields["地区"]["unit"] is None
    assert fields["2017年"]["type"] == "number" and fields["2017年"]["unit"] == "亿元"
    assert fields["2017年"]["description"] == "地区生产总值"
    assert "指标：地区生产总值(亿元)" in doc["notes"]["above"] and "数据来源：国家统计局" in doc["notes"]["below"]

    page = client.get(f"/dataset/{slug}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "数据字典：26 列" in page and "亿元" in page and "数据来源：国家统计局" in page
    schema = client.get(f"/dataset/{slug}/resource/{dist_id}/schema.json").get_json()
    assert schema["fields"][1] == {"name": "2017年", "type": "number", "description": "地区生产总值", "unit": "亿元"}
    csvw = json.loads(client.get(f"/dataset/{slug}/resource/{dist_id}/data.csv-metadata.json").data)
    assert csvw["tableSchema"]["columns"][1]["schema:unitText"] == "亿元"
    assert "数据来源：国家统计局" in csvw["rdfs:comment"]

    edits = {"fields": {"地区": {"title": "Province", "description": "Province, region or municipality"},
                        "2017年": {"unit": "100 million yuan"}}}
    assert client.patch(url, headers={"Authorization": world.tokens["editor_b"]}, json=edits).status_code == 403
    assert client.patch(url, json=edits).status_code == 401
    for bad, where in (({"fields": {"省份": {"title": "x"}}}, "fields.省份"),
                       ({"fields": {"地区": {"colour": "red"}}}, "fields.地区.colour"),
                       ({"fields": {"地区": {"type": "geopoint"}}}, "fields.地区.type"),
                       ({"fields": ["地区"]}, "fields")):
        resp = client.patch(url, headers=token, json=bad)
        assert resp.status_code == 422 and where in resp.get_json()["error"]["message"], (bad, resp.get_json())
    edited = client.patch(url, headers=token, json=edits)
    assert edited.status_code == 200, edited.get_json()
    validate_against(openapi, "DataDictionary", edited.get_json())
    fields = {f["name"]: f for f in edited.get_json()["fields"]}
    assert fields["地区"]["title"] == "Province" and fields["2017年"]["unit"] == "100 million yuan"
    assert fields["2016年"]["unit"] == "亿元"  # the other columns as inferred

    # a fresh check of the file (it profiles the table again) keeps the agency's words
    assert client.get(f"/api/v1/datasets/{slug}/check", headers=token).status_code == 200
    fields = {f["name"]: f for f in client.get(url).get_json()["fields"]}
    assert fields["地区"]["title"] == "Province" and fields["2017年"]["unit"] == "100 million yuan"
    restored = client.patch(url, headers=token, json={"fields": {"2017年": {"unit": None}}}).get_json()
    assert {f["name"]: f for f in restored["fields"]}["2017年"]["unit"] == "亿元"
    assert client.get(f"/api/v1/datasets/{slug}/distributions/nope/dictionary").status_code == 404


def test_ckan_package_create_without_a_title_takes_the_name_as_ckan_does(client, world):
    """package_create with a name and no title published a dataset with no title at all: its page headed by the
    slug, package_show's title "", and its DCAT-AP record without the mandatory dct:title. CKAN's package schema
    fills an empty title with the name (if_empty_same_as("name")); so does this door."""
    editor = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/package_create", headers=editor,
                       json={"name": "untitled-by-ckan", "owner_org": "agency-a"})
    assert made.status_code == 200, made.get_json()
    assert made.get_json()["result"]["title"] == "untitled-by-ckan"
    ttl = client.get("/dataset/untitled-by-ckan.ttl").get_data(as_text=True)
    assert "dct:title" in ttl and "untitled-by-ckan" in ttl
    titled = client.post("/api/3/action/package_create", headers=editor,
                         json={"name": "titled-by-ckan", "owner_org": "agency-a",
                               "title_translated": {"zh": "有标题", "en": ""}})
    assert titled.get_json()["result"]["title_translated"]["zh"] == "有标题"
    updated = client.post("/api/3/action/package_update", headers=editor,
                          json={"id": "untitled-by-ckan", "owner_org": "agency-a", "title": "  "})
    assert updated.status_code == 200 and updated.get_json()["result"]["title"] == "untitled-by-ckan"


def test_ckan_tag_string_and_tags_as_json_text_are_the_keywords(client, world):
    """CKAN's `tag_string` ("人口,统计", as CKAN's own forms and many clients send tags) was ignored, the keywords
    typed lost; `tags` given as the list's JSON text (ckanapi's `tags=[...]` on the command line) became one keyword
    `[{"name":"经济"}]` shown on the dataset page. Both are read as CKAN's package schema reads them."""
    editor = {"Authorization": world.tokens["editor_a"]}

    def keywords(slug):
        return [t["name"] for t in client.get(f"/api/3/action/package_show?id={slug}").get_json()["result"]["tags"]]

    made = client.post("/api/3/action/package_create", headers=editor,
                       json={"name": "tags-by-ckan", "owner_org": "agency-a", "title": "人口",
                             "tag_string": "人口,统计"})
    assert made.status_code == 200, made.get_json()
    assert keywords("tags-by-ckan") == ["人口", "统计"]
    patched = client.post("/api/3/action/package_patch", headers=editor,
                          json={"id": "tags-by-ckan", "tags": '[{"name": "经济"}, {"name": "地区生产总值"}]'})
    assert patched.status_code == 200, patched.get_json()
    assert keywords("tags-by-ckan") == ["经济", "地区生产总值"]
    client.post("/api/3/action/package_patch", headers=editor, json={"id": "tags-by-ckan", "tags": [{"name": "工业"}]})
    assert keywords("tags-by-ckan") == ["工业"]  # an earlier tag_string is not kept to override later tags
    client.post("/api/3/action/package_patch", headers=editor,
                json={"id": "tags-by-ckan", "tag_string": "工业，城镇化"})
    assert keywords("tags-by-ckan") == ["工业", "城镇化"]


def test_a_published_dataset_without_files_is_scored_with_its_no_distribution_finding(client, world):
    """docs/api.md: a package CKAN's package_create publishes with no resources "is scored with one no-distribution
    finding until it has one". It was never assessed (its quality 404 "not assessed", its list row "not assessed
    yet"); and one whose last file resource_delete removed kept the stars and score of the file it no longer had."""
    editor = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/package_create", headers=editor,
                       json={"name": "files-later", "title": "Files later", "owner_org": "agency-a",
                             "license_id": "cc-by"})
    assert made.status_code == 200, made.get_json()
    quality = client.get("/api/v1/datasets/files-later/quality")
    assert quality.status_code == 200, quality.get_json()
    assert "no-distribution" in {f["type"] for f in quality.get_json()["findings"]}
    assert client.get("/api/v1/datasets/files-later").get_json()["stars"] == 0
    added = client.post("/api/3/action/resource_create", headers=editor, content_type="multipart/form-data",
                        data={"package_id": "files-later", "upload": (io.BytesIO(CLEAN_CSV.read_bytes()), "p.csv")})
    assert added.status_code == 200, added.get_json()
    assert client.get("/api/v1/datasets/files-later").get_json()["stars"] == 3
    gone = client.post("/api/3/action/resource_delete", headers=editor, json={"id": added.get_json()["result"]["id"]})
    assert gone.status_code == 200, gone.get_json()
    shown = client.get("/api/v1/datasets/files-later").get_json()
    assert shown["distributions"] == [] and shown["stars"] == 0
    qa = client.get("/api/3/action/package_show?id=files-later").get_json()["result"]["qa"]
    assert qa["openness_score"] == 0


def test_the_csvw_metadata_carries_the_title_the_agency_gave_a_column(client, world):
    """The data dictionary's edited column title reached schema.json and datastore_info's label, but data.csv's
    CSVW metadata kept only the header's label in `titles` (while it took the edited description and unit)."""
    token = {"Authorization": world.tokens["editor_a"]}
    slug = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "GDP by province", "lang": "en", "license": "cc-by",
        "description": "GDP of each province.", "publish": False}).get_json()["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(GBK_CSV.read_bytes()), GBK_CSV.name)}).get_json()
    dist_id = up["distributions"][0]["id"]
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200
    edits = {"fields": {"地区": {"title": "省份", "description": "省级行政区"}}}
    assert client.patch(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary", headers=token,
                        json=edits).status_code == 200
    csvw = json.loads(client.get(f"/dataset/{slug}/resource/{dist_id}/data.csv-metadata.json").data)
    first, second = csvw["tableSchema"]["columns"][:2]
    assert first["titles"] == ["省份", "地区"] and first["dc:description"] == "省级行政区"  # the header still matches
    assert second["titles"] == "2017年"


def test_the_check_says_its_findings_in_the_language_asked_for(client, world, openapi):
    """The pre-publication check's explanations and fixes were English under ?lang=zh (the quality endpoint and
    the pages said them in Chinese from the same registry); its codes, severities and numbers are the same in
    both languages."""
    from app.web.quality_view import finding_text

    token = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/{world.draft_a}/check"
    en = client.get(url, headers=token).get_json()
    zh = client.get(url + "?lang=zh", headers=token).get_json()
    by_header = client.get(url, headers={**token, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert by_header.get_json() == zh and "Accept-Language" in by_header.headers.get("Vary", "")
    assert en["findings"] and len(en["findings"]) == len(zh["findings"])
    for mine, theirs in zip(en["findings"], zh["findings"], strict=True):
        assert {k: v for k, v in mine.items() if k not in ("message", "fix")} == \
            {k: v for k, v in theirs.items() if k not in ("message", "fix")}
        assert (theirs["message"], theirs["fix"]) == finding_text(mine, "zh")[:2]
        assert (mine["message"], mine["fix"]) == finding_text(mine, "en")[:2]
    assert any(re.search(r"[\u4e00-\u9fff]", f["message"]) for f in zh["findings"])
    assert (en["stars"], en["score"], en["blocked_by"]) == (zh["stars"], zh["score"], zh["blocked_by"])
    validate_against(openapi, "PrePublicationCheck", zh)
    params = openapi["paths"]["/datasets/{slug}/check"]["get"]["parameters"]
    assert any(p["name"] == "lang" for p in params)


def test_a_patch_sent_with_if_match_changes_nothing_when_the_dataset_changed_since(client, world, openapi):
    """Two clients on one dataset: the second PATCH put its fields over whatever the first had just changed. A
    PATCH may now say which version it starts from (If-Match, the `version` a publish result gives): when the
    dataset changed since, nothing is changed (412); a check run in between is no change."""
    token = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/{world.draft_a}"
    first = client.patch(url, headers=token, json={"description": "One."}).get_json()
    validate_against(openapi, "PublishResult", first)
    version = first["version"]
    assert client.get(f"{url}/check", headers=token).status_code == 200  # a check is no change
    mine = client.patch(url, headers={**token, "If-Match": f'"{version}"'}, json={"description": "Two."})
    assert mine.status_code == 200 and mine.get_json()["version"] != version
    stale = client.patch(url, headers={**token, "If-Match": f'W/"{version}"'}, json={"license": "CC0-1.0"})
    assert stale.status_code == 412 and stale.get_json()["error"]["code"] == "precondition-failed"
    assert mine.get_json()["version"] in stale.get_json()["error"]["message"]
    zh = client.patch(url + "?lang=zh", headers={**token, "If-Match": version}, json={"license": "CC0-1.0"})
    assert zh.status_code == 412 and "未做任何修改" in zh.get_json()["error"]["message"]
    shown = client.get(f"/api/3/action/package_show?id={world.draft_a}", headers=token).get_json()["result"]
    assert shown["notes"] == "Two." and shown.get("license_id") != "CC0-1.0"  # the stale change was not made
    now = mine.get_json()["version"]
    for n, header in enumerate(({"If-Match": f'"{version}", "{now}"'}, {"If-Match": "*"}, {})):  # any named
        answer = client.patch(url, headers={**token, **header}, json={"keywords": [f"k{n}"]})
        assert answer.status_code == 200, header
    params = openapi["paths"]["/datasets/{slug}"]["patch"]["parameters"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in params)


@pytest.mark.parametrize(("lang", "said"), [("zh", "（{slug} 的状态为草稿）"), ("en", "({slug} is a draft)")])
def test_withdrawing_or_restoring_a_draft_says_its_state_in_words(client, world, lang, said):
    """Withdrawing a draft was refused with "只有已发布的数据集才能撤回（x 的状态为 draft）": the stored word in a
    Chinese sentence. The state is said in the reader's language."""
    editor = {"Authorization": world.tokens["editor_a"]}
    for action in ("withdraw", "restore"):
        refused = client.post(f"/api/v1/datasets/{world.draft_a}/{action}?lang={lang}", headers=editor)
        assert refused.status_code == 409, refused.get_json()
        message = refused.get_json()["error"]["message"]
        assert said.format(slug=world.draft_a) in message, message


def test_a_chinese_reason_of_a_few_characters_is_a_reason(app, client, world):
    """The override's ten-character minimum refused 号码依法公开 (six characters, a whole reason in Chinese): a
    Chinese character counts as two letters, and the refusal says both."""
    from app.services.gate import reason_width

    assert reason_width("号码依法公开") == 12 and reason_width("ok, public") == 10 and reason_width("ＡＢ") == 4
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    _upload_hotline(client, editor, slug)
    short = client.post(f"/api/v1/datasets/{slug}/pii-override?lang=zh", headers=admin, json={"reason": "依法公开"})
    assert short.status_code == 422
    assert "至少 5 个汉字或 10 个字母" in short.get_json()["error"]["message"], short.get_json()
    said_en = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json={"reason": "public"})
    assert "at least 10 letters, or 5 Chinese characters" in said_en.get_json()["error"]["message"]
    done = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json={"reason": "号码依法公开"})
    assert done.status_code == 200, done.get_json()


def test_a_draft_published_without_a_date_is_issued_on_the_day_it_is_published(app, client, world):
    """The portal publishes the dataset, so it knows the publication date: a draft without one takes the day it is
    published (dct:issued), and its check, "the assessment the dataset gets once published", no longer tells the
    agency "No publication date". A date the agency gave stays; restoring a withdrawn dataset keeps the first."""
    from catalog_schema.models import utcnow

    token = {"Authorization": world.tokens["editor_a"]}
    today = utcnow().date().isoformat()
    slugs = {}
    for title, issued in (("Dated by the portal", None), ("Dated by the agency", "2019-03")):
        body = {"publisher": "agency-a", "title": title, "lang": "en", "license": "cc-by"}
        created = client.post("/api/v1/datasets", headers=token, json={**body, **({"issued": issued} if issued
                                                                                  else {})})
        assert created.status_code == 201, created.get_json()
        slug = slugs[title] = created.get_json()["slug"]
        up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), CLEAN_CSV.name)})
        assert up.status_code == 201, up.get_json()
        check = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
        assert "missing-issued" not in _kinds(check["findings"]), check["findings"]
        assert client.get(f"/api/v1/datasets/{slug}", headers=token).get_json()["issued"] == issued  # a draft: none
        assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200
        doc = client.get(f"/api/v1/datasets/{slug}").get_json()
        assert doc["issued"] == (issued or today), (title, doc["issued"])
        quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
        assert "missing-issued" not in _kinds(quality["findings"])
    slug = slugs["Dated by the portal"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds_id = s.scalar(select(Dataset.id).where(Dataset.slug == slug))
        event = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ds_id,
                                                   AuditEvent.action == "publish.publish")).one()
        assert (event.before or {}).get("issued") is None and event.after["issued"] == today  # the audit says so
        s.execute(Dataset.__table__.update().where(Dataset.id == ds_id).values(issued="2020-01-02"))
        s.commit()
    assert client.post(f"/api/v1/datasets/{slug}/withdraw", headers=token).status_code == 200
    assert client.post(f"/api/v1/datasets/{slug}/restore", headers=token).status_code == 200
    assert client.get(f"/api/v1/datasets/{slug}").get_json()["issued"] == "2020-01-02"


@pytest.mark.parametrize("asked", [{"state": "draft"}, {"private": True}, {"private": "True"}])
def test_ckan_package_create_asked_for_a_draft_or_a_private_package_makes_a_draft(client, world, asked):
    """package_create published every package at once, whatever it asked: one sent with CKAN's `state: "draft"`, or
    `private: true` (how a CKAN client keeps a package from the public until it is ready), was public the moment it
    was made (package_show answered anyone 200, search found it). Such a package is now made a draft, shown to its
    publisher's people only; it is published through the check as any draft is."""
    editor = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/package_create", headers=editor,
                       json={"name": "staged-by-ckan", "title": "Staged by CKAN", "owner_org": "agency-a",
                             "notes": "Not ready yet.", **asked})
    assert made.status_code == 200, made.get_json()
    assert made.get_json()["result"]["state"] == "draft"
    assert client.get("/api/3/action/package_show?id=staged-by-ckan").status_code == 404
    assert client.get("/api/3/action/package_search?q=Staged").get_json()["result"]["count"] == 0
    assert client.get("/dataset/staged-by-ckan", headers={"Accept": "text/html"}).status_code == 404
    shown = client.get("/api/3/action/package_show?id=staged-by-ckan", headers=editor)
    assert shown.status_code == 200 and shown.get_json()["result"]["state"] == "draft"
    # published through its check, as a draft made anywhere else
    link = client.post("/api/v1/datasets/staged-by-ckan/distributions", headers=editor,
                       json={"url": "http://127.0.0.1:9/staged.csv", "format": "CSV"})
    assert link.status_code == 201
    published = client.post("/api/v1/datasets/staged-by-ckan/publish", headers=editor)
    assert published.status_code == 200 and published.get_json()["state"] == "active"
    assert client.get("/api/3/action/package_show?id=staged-by-ckan").status_code == 200
    # a package that asks for nothing of the kind (or says private: false) is published at once, as before
    public = client.post("/api/3/action/package_create", headers=editor,
                         json={"name": "public-by-ckan", "title": "Public", "owner_org": "agency-a", "private": False})
    assert public.status_code == 200 and public.get_json()["result"]["state"] == "active"


def test_ckan_update_or_patch_asking_a_published_dataset_to_be_private_is_refused_saying_how(client, world):
    """package_update and package_patch with `private: true` on a published dataset answered 200 and left it public:
    the client believed it hidden. It is refused now (Validation Error on `private`, nothing changed), saying that a
    withdrawal hides it; `private: false` (what package_show gives, sent back by ckanapi's round trips) still
    updates, and a draft may say private."""
    editor = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/package_create", headers=editor,
                       json={"name": "made-public", "title": "Public", "owner_org": "agency-a"})
    assert made.status_code == 200 and made.get_json()["result"]["state"] == "active"
    for action, body in (("package_patch", {"id": "made-public", "private": True, "title": "Hidden?"}),
                         ("package_update", {**made.get_json()["result"], "private": "true", "title": "Hidden?"})):
        resp = client.post(f"/api/3/action/{action}", headers=editor, json=body)
        assert resp.status_code == 409, (action, resp.get_json())
        error = resp.get_json()["error"]
        assert error["__type"] == "Validation Error" and "withdraw" in error["private"][0], error
        shown = client.get("/api/3/action/package_show?id=made-public").get_json()["result"]
        assert shown["title"] == "Public" and shown["state"] == "active"
    zh = client.post("/api/3/action/package_patch?lang=zh", headers=editor, json={"id": "made-public", "private": 1})
    assert zh.status_code == 409 and "撤回" in zh.get_json()["error"]["private"][0]
    shown = client.get("/api/3/action/package_show?id=made-public").get_json()["result"]
    assert shown["private"] is False
    back = client.post("/api/3/action/package_update", headers=editor, json={**shown, "title": "Public still"})
    assert back.status_code == 200 and back.get_json()["result"]["title"] == "Public still"
    draft = client.post("/api/3/action/package_create", headers=editor,
                        json={"name": "still-draft", "title": "Draft", "owner_org": "agency-a", "private": True})
    again = client.post("/api/3/action/package_patch", headers=editor,
                        json={"id": "still-draft", "private": True, "notes": "More."})
    assert draft.status_code == 200 and again.status_code == 200 and again.get_json()["result"]["state"] == "draft"


def test_a_drafts_kept_check_follows_an_edit_of_what_its_timeliness_is_judged_by(app, client, world):
    """A draft keeps its check (the drafts list shows its stars and score; the publish page and GET .../check show it
    while the draft is unchanged). An edit of its update frequency or period left the kept check as it was, so the
    drafts list went on showing the old score and its timeliness until someone opened the check. Such an edit now
    computes the kept check again, in the edit itself, and the next view finds it current."""
    from app.services import check as check_mod

    token = {"Authorization": world.tokens["editor_a"]}
    created = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "District population", "lang": "en", "license": "cc-by",
        "frequency": "DAILY", "modified": "2020-01-01"})
    slug = created.get_json()["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), CLEAN_CSV.name)})
    assert up.status_code == 201, up.get_json()
    first = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
    assert "stale" in _kinds(first["findings"]) and "missing-temporal" in _kinds(first["findings"])

    def kept():
        with app.extensions["opendata"]["sessionmaker"]() as s:
            ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
            return check_mod.stored(ds), check_mod.last_results(s, [ds.id])[ds.id]

    for change, gone in (({"frequency": "IRREGULAR"}, "stale"),
                         ({"temporal": {"start": "2019-01-01", "end": "2019-12-31"}}, "missing-temporal")):
        assert client.patch(f"/api/v1/datasets/{slug}", headers=token, json=change).status_code == 200
        now, listed = kept()
        assert now is not None, change  # the kept check is that of the draft as edited
        assert gone not in _kinds(now["findings"]) and listed == {"stars": now["stars"], "score": now["score"]}
        viewed = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
        assert viewed["checked_at"] == now["checked_at"] and viewed["score"] == now["score"]  # not computed again
    assert now["score"] > first["score"]


def test_a_drafts_kept_check_made_on_an_earlier_day_is_judged_again_for_today(app, client, world, local_server,
                                                                               monkeypatch):
    """A draft's kept check is current while the draft and its files are unchanged, but its timeliness finding also
    depends on the day: a monthly draft checked when fresh and left alone went on showing "on schedule" on the
    publish page, GET .../check and the drafts list months later. A check kept from an earlier day is now computed
    again when shown, from the evidence kept on the files (nothing fetched), so it says how late the draft is today;
    the drafts list shows one it cannot compute so (the draft changed since: a link would be fetched) with its day."""
    from app.services import check as check_mod
    from catalog_schema.models import utcnow

    local_server.add_bytes("/population.csv", CLEAN_CSV.read_bytes(), "text/csv")
    token = {"Authorization": world.tokens["editor_a"]}
    now = utcnow()
    created = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "District population", "lang": "en", "license": "cc-by",
        "frequency": "MONTHLY", "modified": (now - dt.timedelta(days=10)).date().isoformat(),
        "distributions": [{"url": local_server.url("/population.csv"), "format": "CSV"}]})
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]
    first = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
    assert "stale" not in _kinds(first["findings"]), first["findings"]
    fetched = len(local_server.requests)
    assert fetched >= 1
    other = f"/api/v1/datasets/{world.draft_a}"  # checked, then changed: its kept check no longer matches it
    assert client.get(f"{other}/check", headers=token).status_code == 200
    assert client.patch(other, headers=token, json={"description": "Edited."}).status_code == 200

    later = now + dt.timedelta(days=60)  # past the monthly due date and its half-period of grace
    monkeypatch.setattr(check_mod, "utcnow", lambda: later)
    sign_in(client, world.emails["editor_a"])
    page = client.get(f"/publish/{slug}?lang=en").get_data(as_text=True)
    assert "Not updated on schedule" in page
    viewed = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
    assert "stale" in _kinds(viewed["findings"]) and viewed["score"] < first["score"]
    assert viewed["checked_at"].startswith(later.date().isoformat())  # the page's, kept for the rest of the day

    def row(html: str, draft: str) -> str:
        return next(r for r in html.split("<tr")[1:] if f'href="/publish/{draft}"' in r)

    latest = now + dt.timedelta(days=120)  # two months later still: more periods late
    monkeypatch.setattr(check_mod, "utcnow", lambda: latest)
    listed = client.get("/publish?lang=en").get_data(as_text=True)
    assert "checked on" not in row(listed, slug)  # computed again for today
    assert f"checked on {now.date().isoformat()}" in row(listed, world.draft_a)  # changed since: shown with its day
    in_zh = client.get("/publish?lang=zh").get_data(as_text=True)
    assert f"检查于 {now.date().isoformat()}" in row(in_zh, world.draft_a)
    kept = client.get(f"/api/v1/datasets/{slug}/check", headers=token).get_json()
    assert kept["checked_at"].startswith(latest.date().isoformat()) and kept["score"] < viewed["score"]
    assert f">{kept['score']}<" in row(listed, slug)  # the list showed today's score
    assert len(local_server.requests) == fetched  # the files did not change: nothing fetched
