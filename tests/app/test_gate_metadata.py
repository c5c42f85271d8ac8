"""A file's own values kept in its metadata: a Data Package resource's inline `data` (its rows, in the descriptor),
a CKAN resource's keys of its own (a client's `sample` rows), a declared Table Schema's `example`. None of them is
archived, profiled or scanned as the file is, so every door that describes a dataset (CKAN package_show and
resource_show, /api/v1, the dataset's and the catalog's JSON) gives them to the public with each value that is
personal data as ``[redacted]``; the publisher's editors read them as they are (CKAN's read-modify-write keeps
them). Real writes through CKAN and a real Data Package harvest, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import select

from app.jobs import assess, harvest
from app.services import accounts
from catalog_schema.models import Dataset, User
from tests.support.accounts import make_user
from tests.support.cli import opendata
from tests.support.personal import CLEAN_CSV, HEADER, IDS, PHONES, ROWS, leaked, on_page

DOORS = ("/api/3/action/package_show?id={slug}", "/api/3/action/resource_show?id={dist}", "/dataset/{slug}.json",
         "/api/v1/datasets/{slug}", "/catalog.json", "/api/3/action/package_search?q=hotline",
         "/api/3/action/current_package_list_with_resources", "/api/3/action/package_activity_list?id={slug}")


def _token(app, email: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        token = accounts.create_token(s, s.scalar(select(User).where(User.email == email)), name="meta")
        s.commit()
    return token


def _leaks(client, slug: str, dist: str, headers: dict) -> dict[str, list[str]]:
    out = {}
    for door in DOORS:
        url = door.format(slug=slug, dist=dist)
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, (url, resp.status_code)
        found = leaked(resp.get_data(as_text=True))
        if found:
            out[url] = found[:2]
    return out


@pytest.fixture
def ckan_sample(app, client, local_server):
    """A published dataset made by CKAN package_create whose resource (a clean CSV) carries rows of the hotline table
    in a key of its own and a Table Schema whose example is an ID number."""
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    make_user(app, "editor@b.example", editor_of="agency-b")
    own = {"Authorization": _token(app, "editor@a.example")}
    made = client.post("/api/3/action/package_create", headers=own, json={
        "name": "hotline-sample", "title": "Hotline", "owner_org": "agency-a", "license_id": "cc-by",
        "resources": [{"url": local_server.url("/clean.csv"), "format": "CSV", "name": "counties",
                       "sample": [HEADER, *ROWS[:3]], "contact_mobile": int(PHONES[5]),
                       "schema": {"fields": [{"name": "区县", "type": "string", "example": IDS[4]}]}}]})
    assert made.status_code == 200, made.get_json()
    dist = made.get_json()["result"]["resources"][0]["id"]
    return {"slug": "hotline-sample", "dist": dist, "own": own,
            "other": {"Authorization": _token(app, "editor@b.example")}}


def test_values_kept_in_a_resources_metadata_are_not_given_to_the_public(app, client, ckan_sample):
    slug, dist = ckan_sample["slug"], ckan_sample["dist"]
    for headers in ({}, ckan_sample["other"]):
        assert _leaks(client, slug, dist, headers) == {}
    shown = client.get(f"/api/3/action/resource_show?id={dist}").get_json()["result"]
    assert shown["sample"][1][2] == "[redacted]" and shown["sample"][1][0] == "GD0000"  # the rest as it was
    assert shown["contact_mobile"] == "[redacted]"
    # the publisher's editor reads them as they are, and a read-modify-write keeps them
    own = ckan_sample["own"]
    pkg = client.get(f"/api/3/action/package_show?id={slug}", headers=own).get_json()["result"]
    assert pkg["resources"][0]["sample"][1][2] == IDS[0]
    pkg["title"] = "Hotline (edited)"
    assert client.post("/api/3/action/package_update", headers=own, json=pkg).status_code == 200
    again = client.get(f"/api/3/action/package_show?id={slug}", headers=own).get_json()["result"]
    assert again["resources"][0]["sample"][1][2] == IDS[0] and again["title"] == "Hotline (edited)"
    assert _leaks(client, slug, dist, {}) == {}


def test_the_catalog_export_says_them_redacted(app, app_config, client, ckan_sample):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app_config["DATABASE_URL"],
                "OPENDATA_INSTANCE_DIR": app_config["INSTANCE_DIR"], "OPENDATA_ARCHIVE_DIR": app_config["ARCHIVE_DIR"]})
    done = opendata("export", "catalog", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    assert "hotline-sample" in done.stdout and "[redacted]" in done.stdout
    assert leaked(done.stdout) == []


def test_a_data_packages_inline_rows_are_not_given_to_the_public(app, client, local_server, runtime, add_source):
    local_server.add_bytes("/dp/clean.csv", CLEAN_CSV, "text/csv")
    descriptor = {"name": "hotline-dp", "title": "Hotline", "licenses": [{"name": "CC-BY-4.0"}], "resources": [
        {"name": "inline", "title": "inline rows", "format": "csv", "data": [HEADER, *ROWS]},
        {"name": "counties", "path": "clean.csv", "format": "csv",
         "data": [dict(zip(HEADER, row, strict=True)) for row in ROWS]}]}
    local_server.add_bytes("/dp/datapackage.json", json.dumps(descriptor, ensure_ascii=False).encode(),
                           "application/json")
    add_source("dp", "datapackage", local_server.url("/dp/datapackage.json"), publisher="agency-h")
    assert harvest(runtime, "dp", full=True).to_dict()["added"] == 1
    with runtime.sessionmaker() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == "hotline-dp"))
        ids, dist = [ds.id], ds.distributions[0].id
    assess(runtime, ids)
    assert _leaks(client, "hotline-dp", dist, {}) == {}
    kept = client.get("/dataset/hotline-dp.json").get_json()["distributions"][0]["extras"]["datapackage"]["data"]
    assert kept[1] == ["GD0000", "居民0", "[redacted]", "[redacted]", "已办结"]


def test_a_failed_records_payload_is_shown_without_its_personal_data(app, client, local_server, runtime, add_source):
    """A harvest job's pages show each errored record's original payload (docs/harvesting.md): a Data Package whose
    second resource is no object fails whole, and its first resource's inline rows were shown as they came."""
    descriptor = {"name": "hotline-dp", "title": "Hotline", "licenses": [{"name": "CC-BY-4.0"}],
                  "resources": [{"name": "inline", "format": "csv", "data": [HEADER, *ROWS]}, "not a resource"]}
    local_server.add_bytes("/dp/datapackage.json", json.dumps(descriptor, ensure_ascii=False).encode(),
                           "application/json")
    add_source("dp", "datapackage", local_server.url("/dp/datapackage.json"), publisher="agency-h")
    summary = harvest(runtime, "dp", full=True).to_dict()
    assert summary["errored"] == 1, summary
    job = summary["job_id"]
    page = client.get(f"/harvest/job/{job}").get_data(as_text=True)
    assert "GD0000" in page and on_page("[redacted]") in page and leaked(page) == []
    doc = client.get(f"/api/v1/harvest/jobs/{job}").get_json()
    assert leaked(json.dumps(doc, ensure_ascii=False)) == []
    shown = json.loads(doc["errors"][0]["payload"])["descriptor"]
    assert shown["resources"][0]["data"][1] == ["GD0000", "居民0", "[redacted]", "[redacted]", "已办结"]
    # a sysadmin reads it as it came
    make_user(app, "admin@example.org", sysadmin=True)
    raw = client.get(f"/api/v1/harvest/jobs/{job}", headers={"Authorization": _token(app, "admin@example.org")})
    assert IDS[0] in raw.get_json()["errors"][0]["payload"]


def test_a_failed_records_error_text_quotes_no_personal_data(app, app_config, client, local_server, runtime,
                                                            add_source):
    """An errored record's message may quote the value it failed on ("a dataset entry must be a JSON object, not
    ..."): every door that says it (the job's page, the source's page and report, `opendata source show`) says its
    personal data ``[redacted]``, as the record's payload is, but to the source's publisher's editors."""
    from tests.support.accounts import sign_in

    bad = f"张三 {IDS[0]} {PHONES[0]}"
    catalog = {"dataset": [{"identifier": "ok-1", "title": "Clean", "description": "Clean.",
                            "distribution": []}, bad]}
    local_server.add_bytes("/dj/data.json", json.dumps(catalog, ensure_ascii=False).encode(), "application/json")
    add_source("dj", "datajson", local_server.url("/dj/data.json"), publisher="agency-h")
    summary = harvest(runtime, "dj", full=True).to_dict()
    assert summary["errored"] == 1, summary
    job = summary["job_id"]
    page = client.get(f"/harvest/job/{job}?lang=en").get_data(as_text=True)
    assert "must be a JSON object" in page and leaked(page) == []
    assert "[redacted]" in page
    assert leaked(client.get(f"/harvest/job/{job}?lang=zh").get_data(as_text=True)) == []
    source = client.get("/harvest/source/dj?lang=en").get_data(as_text=True)
    assert "must be a JSON object" in source and leaked(source) == []
    report = client.get("/api/v1/harvest/sources/dj/report").get_data(as_text=True)
    assert "must be a JSON object" in report and leaked(report) == []
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app_config["DATABASE_URL"],
                "OPENDATA_INSTANCE_DIR": app_config["INSTANCE_DIR"], "OPENDATA_ARCHIVE_DIR": app_config["ARCHIVE_DIR"]})
    for args in (("source", "show", "dj"), ("source", "show", "dj", "--json")):
        done = opendata(*args, env=env)  # a log keeps what the command prints: no reader of it is an editor
        assert done.returncode == 0, done.stderr
        assert "must be a JSON object" in done.stdout and leaked(done.stdout) == [], args
    # the source's publisher's editors read it as it came
    make_user(app, "editor@h.example", editor_of="agency-h")
    sign_in(client, "editor@h.example")
    assert IDS[0] in client.get(f"/harvest/job/{job}?lang=en").get_data(as_text=True)
    assert IDS[0] in client.get("/harvest/source/dj?lang=en").get_data(as_text=True)
    raw = client.get("/api/v1/harvest/sources/dj/report", headers={"Authorization": _token(app, "editor@h.example")})
    assert IDS[0] in raw.get_data(as_text=True) and raw.headers["Cache-Control"].startswith("private")
