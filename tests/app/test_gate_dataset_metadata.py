"""Personal data typed or harvested into a dataset's own metadata: a resident ID number in its description, a CKAN
package's extras holding an ID number or a mobile number (as a value, or as a key), a key of its own the package
kept (catalog_schema.fieldrules.stored_keys). Every door that describes the dataset (CKAN's package dicts,
/api/v1, the dataset's documents in every format, the catalog's pages and dumps, data.json, the dataset's page, the
lists of datasets, the feeds, the command line's export) says each such run of text ``[redacted]`` to anyone but the
publisher's editors, the rest of the text kept; what the dataset declares as its contact (its contact point's e-mail,
CKAN's maintainer_email) stays public wherever it appears, and its landing page stays whole (docs/security.md,
"Personal data in a dataset's own metadata")."""

from __future__ import annotations

import json

import pytest
from ckanapi import RemoteCKAN

from tests.support.accounts import make_user, sign_in, token_headers
from tests.support.cli import catalog_exports
from tests.support.personal import CLEAN_CSV, IDS, PHONES, leaked

SLUG = "hotline-owners"
CONTACT = "hotline.office@agency-a.example.cn"  # the dataset's declared contact: public by design
PAGE = "https://hotline.agency-a.example.cn/dataset/13912345678"  # a source's number shaped as a mobile: no person's
DOORS = (
    "/api/3/action/package_show?id={slug}", "/api/3/action/package_search?q=hotline",
    "/api/3/action/current_package_list_with_resources", "/api/3/action/package_activity_list?id={slug}",
    "/api/v1/datasets/{slug}", "/dataset/{slug}.json", "/dataset/{slug}.ttl", "/dataset/{slug}.rdf",
    "/dataset/{slug}.jsonld", "/dataset/{slug}.nt", "/dataset/{slug}.xml", "/dataset/{slug}.csv",
    "/catalog.json", "/catalog.ttl", "/catalog.jsonld", "/catalog.ttl?page=all", "/catalog.csv", "/catalog.xml",
    "/data.json", "/dataset/{slug}?lang=en", "/dataset/{slug}?lang=zh", "/dataset?q=hotline",
    "/feeds/dataset.atom", "/publisher/agency-a", "/dataset/{slug}/croissant.json",
)


@pytest.fixture
def typed(app, client, local_server) -> dict:
    """A dataset of agency A made by CKAN package_create whose description, extras and own keys hold personal data,
    and whose description repeats its declared contact e-mail."""
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    make_user(app, "editor@b.example", editor_of="agency-b")
    own = token_headers(app, "editor@a.example")
    made = client.post("/api/3/action/package_create", headers=own, json={
        "name": SLUG, "title": "Hotline owners", "owner_org": "agency-a", "license_id": "cc-by",
        "notes": f"热线台账，负责人身份证 {IDS[1]}，咨询邮箱 {CONTACT}。",
        "maintainer": "热线办公室", "maintainer_email": CONTACT, "hotline_owner_mobile": PHONES[4], "url": PAGE,
        "extras": [{"key": "负责人身份证", "value": IDS[0]}, {"key": "联系电话", "value": f"王先生 {PHONES[0]}"},
                   {"key": IDS[3], "value": "owner"}],
        "resources": [{"url": local_server.url("/clean.csv"), "format": "CSV", "name": "counties"}]})
    assert made.status_code == 200, made.get_json()
    return {"own": own, "other": token_headers(app, "editor@b.example")}


def _leaks(client, headers: dict) -> dict[str, list[str]]:
    out = {}
    for door in DOORS:
        url = door.format(slug=SLUG)
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, (url, resp.status_code)
        found = leaked(resp.get_data(as_text=True))
        if found:
            out[url] = found
    return out


def test_personal_data_in_a_datasets_own_metadata_is_redacted_at_every_door(app, client, typed):
    for headers in ({}, typed["other"]):
        assert _leaks(client, headers) == {}
    doc = client.get(f"/api/v1/datasets/{SLUG}").get_json()
    # a run of the text is redacted, the rest of it kept, the declared contact e-mail too
    assert doc["description"][""] == f"热线台账，负责人身份证 [redacted]，咨询邮箱 {CONTACT}。"
    assert doc["contact_point"]["email"] == CONTACT
    assert doc["landing_page"] == PAGE and PAGE in client.get(f"/dataset/{SLUG}.ttl").get_data(as_text=True)
    assert doc["extras"]["ckan_extras"] == {"负责人身份证": "[redacted]", "联系电话": "王先生 [redacted]",
                                            "[redacted]": "owner"}
    assert doc["extras"]["ckan"]["hotline_owner_mobile"] == "[redacted]"
    pkg = client.get(f"/api/3/action/package_show?id={SLUG}").get_json()["result"]
    assert {e["key"]: e["value"] for e in pkg["extras"]}["负责人身份证"] == "[redacted]"
    assert pkg["maintainer_email"] == CONTACT and CONTACT in pkg["notes"]
    page = client.get(f"/dataset/{SLUG}?lang=zh").get_data(as_text=True)
    assert "负责人身份证 [redacted]" in page and CONTACT in page
    # its publisher's editors read it as it is, and CKAN's read-modify-write keeps it
    own = typed["own"]
    mine = client.get(f"/api/3/action/package_show?id={SLUG}", headers=own).get_json()["result"]
    assert IDS[1] in mine["notes"] and {e["key"]: e["value"] for e in mine["extras"]}["负责人身份证"] == IDS[0]
    mine["title"] = "Hotline owners (edited)"
    assert client.post("/api/3/action/package_update", headers=own, json=mine).status_code == 200
    again = client.get(f"/api/3/action/package_show?id={SLUG}", headers=own).get_json()["result"]
    assert IDS[1] in again["notes"] and again["hotline_owner_mobile"] == PHONES[4]
    # and so does /api/v1 to them: a PATCH of the description they read keeps what the public reads redacted
    rest = client.get(f"/api/v1/datasets/{SLUG}", headers=own)
    assert IDS[1] in rest.get_json()["description"][""] and rest.headers["Cache-Control"].startswith("private")
    assert rest.headers["ETag"] != client.get(f"/api/v1/datasets/{SLUG}").headers["ETag"]
    patched = client.patch(f"/api/v1/datasets/{SLUG}", headers=own,
                           json={"description": {"": rest.get_json()["description"][""] + "（已核对）"}})
    assert patched.status_code == 200, patched.get_json()
    assert IDS[1] in client.get(f"/api/v1/datasets/{SLUG}", headers=own).get_json()["description"][""]
    signed_in = app.test_client()  # pages know signed-in people (their pages are private, no-store)
    sign_in(signed_in, "editor@a.example")
    assert IDS[1] in signed_in.get(f"/dataset/{SLUG}?lang=zh").get_data(as_text=True)
    assert _leaks(client, {}) == {}


def test_ckanapi_reads_them_redacted_over_a_socket(app, typed, served):
    """A real CKAN client against the portal served on 127.0.0.1: the public's package dict, its editor's."""
    public = RemoteCKAN(served.url).action.package_show(id=SLUG)
    assert leaked(json.dumps(public, ensure_ascii=False)) == []
    assert public["hotline_owner_mobile"] == "[redacted]" and public["maintainer_email"] == CONTACT
    found = RemoteCKAN(served.url).action.package_search(q="hotline")["results"]
    assert [p["name"] for p in found] == [SLUG] and leaked(json.dumps(found, ensure_ascii=False)) == []
    mine = RemoteCKAN(served.url, apikey=typed["own"]["Authorization"]).action.package_show(id=SLUG)
    assert mine["hotline_owner_mobile"] == PHONES[4] and IDS[1] in mine["notes"]


def test_the_command_lines_exports_say_them_redacted(app_config, typed):
    for fmt, done in catalog_exports(app_config).items():
        assert done.returncode == 0, done.stderr
        assert SLUG in done.stdout and "[redacted]" in done.stdout, fmt
        assert leaked(done.stdout) == [], fmt
