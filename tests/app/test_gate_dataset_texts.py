"""Personal data in a dataset's title, in a distribution's own title and description, and a resident ID number in a
declared contact's name (tests/app/test_gate_dataset_metadata.py has the description, the extras and the keys a
source sent). Every door that says a dataset's title (its page's h1 and <title>, the lists and the search, the
publisher's page, the feeds, Croissant, the withdrawn dataset's tombstone, besides the documents and the APIs), or a
distribution's title or description (CKAN's resources, /api/v1, DCAT-AP's dct:title and dct:description, data.json,
the dataset's page, the 451 page), says each run of them holding personal data ``[redacted]`` to anyone but the
publisher's editors; a contact's declared mobile number stays public, a resident ID number in it does not
(docs/security.md, "Personal data in a dataset's own metadata")."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import unquote

import pytest

from app import weekly
from app.services import serving
from app.services import weekly as weekly_service
from tests.support.accounts import make_user, sign_in, token_headers
from tests.support.cli import catalog_exports
from tests.support.personal import CLEAN_CSV, IDS, PHONES, PII_CSV, leaked, on_page
from tests.support.published import download_path, upload

SLUG = "subsidy-list"
TITLE = f"Subsidy list 2024 张三 {PHONES[5]}"
SAID_TITLE = "Subsidy list 2024 张三 [redacted]"
CONTACT = "subsidy.office@agency-a.example.cn"
DECLARED_PHONE = "13700001111"  # written in the contact's name: declared, so public (not among tests' secrets)
CONTACT_NAME = f"王五 {DECLARED_PHONE} 身份证 {IDS[6]}"
SAID_CONTACT_NAME = f"王五 {DECLARED_PHONE} 身份证 [redacted]"
FILE_TITLE = f"名单 {PHONES[6]}"
FILE_DESCRIPTION = f"经办人身份证 {IDS[7]}，咨询 {CONTACT}"
DOORS = (
    "/api/3/action/package_show?id={slug}", "/api/3/action/package_search?q=subsidy",
    "/api/3/action/current_package_list_with_resources", "/api/3/action/package_activity_list?id={slug}",
    "/api/3/action/resource_show?id={dist}",
    "/api/v1/datasets/{slug}", "/dataset/{slug}.json", "/dataset/{slug}.ttl", "/dataset/{slug}.rdf",
    "/dataset/{slug}.jsonld", "/dataset/{slug}.nt", "/dataset/{slug}.xml", "/dataset/{slug}.csv",
    "/catalog.json", "/catalog.ttl", "/catalog.jsonld", "/catalog.ttl?page=all", "/catalog.csv", "/catalog.xml",
    "/data.json", "/dataset/{slug}?lang=en", "/dataset/{slug}?lang=zh", "/dataset?q=subsidy", "/",
    "/feeds/dataset.atom", "/feeds/organization/agency-a.atom", "/publisher/agency-a",
    "/dataset/{slug}/croissant.json", "/dashboard", "/dashboard/fix-first.csv", "/dashboard/fix-first.json",
    "/dashboard/publisher/agency-a", "/dashboard/publisher/agency-a.csv", "/dashboard/publisher/agency-a.json",
    "/dataset/{slug}/badge.svg", "/api/3/action/package_autocomplete?q=subsidy",
    "/api/v1/datasets/{slug}/distributions/{dist}/rows/openapi.json",
)


@pytest.fixture
def typed(app, client, local_server) -> dict:
    """A dataset of agency A made by CKAN package_create whose title holds a mobile number, whose file's name and
    description hold a mobile and an ID number, and whose declared contact's name holds a phone and an ID number."""
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    make_user(app, "editor@b.example", editor_of="agency-b")
    own = token_headers(app, "editor@a.example")
    made = client.post("/api/3/action/package_create", headers=own, json={
        "name": SLUG, "title": TITLE, "owner_org": "agency-a", "license_id": "cc-by", "notes": "补贴发放名单。",
        "maintainer": CONTACT_NAME, "maintainer_email": CONTACT,
        "resources": [{"url": local_server.url("/clean.csv"), "format": "CSV", "name": FILE_TITLE,
                       "description": FILE_DESCRIPTION}]})
    assert made.status_code == 200, made.get_json()
    dist = made.get_json()["result"]["resources"][0]["id"]
    return {"own": own, "other": token_headers(app, "editor@b.example"), "dist": dist}


def _leaks(client, headers: dict, dist: str) -> dict[str, list[str]]:
    out = {}
    for door in DOORS:
        url = door.format(slug=SLUG, dist=dist)
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, (url, resp.status_code)
        text = resp.get_data(as_text=True)
        assert url in ("/api/3/action/resource_show?id=" + dist,) or "Subsidy list 2024" in text, url
        found = leaked(text)
        if found:
            out[url] = found
    return out


def test_titles_files_and_contact_names_are_redacted_at_every_door(app, client, typed):
    for headers in ({}, typed["other"]):
        assert _leaks(client, headers, typed["dist"]) == {}
    doc = client.get(f"/api/v1/datasets/{SLUG}").get_json()
    assert doc["title"][""] == SAID_TITLE
    assert doc["contact_point"]["name"] == SAID_CONTACT_NAME and doc["contact_point"]["email"] == CONTACT
    file = doc["distributions"][0]
    assert file["title"][""] == "名单 [redacted]"
    assert file["description"][""] == f"经办人身份证 [redacted]，咨询 {CONTACT}"  # the declared e-mail stays
    pkg = client.get(f"/api/3/action/package_show?id={SLUG}").get_json()["result"]
    assert pkg["title"] == SAID_TITLE and pkg["maintainer"] == SAID_CONTACT_NAME
    assert (pkg["resources"][0]["name"], pkg["resources"][0]["description"]) == (
        "名单 [redacted]", f"经办人身份证 [redacted]，咨询 {CONTACT}")
    ttl = client.get(f"/dataset/{SLUG}.ttl").get_data(as_text=True)
    assert "名单 [redacted]" in ttl and "经办人身份证 [redacted]" in ttl
    assert "名单 [redacted]" in client.get("/data.json").get_data(as_text=True)
    page = client.get(f"/dataset/{SLUG}?lang=zh").get_data(as_text=True)
    assert f"<h1>{on_page(SAID_TITLE)}</h1>" in page and f"<title>{on_page(SAID_TITLE)} · " in page
    assert on_page("名单 [redacted]") in page and on_page(SAID_CONTACT_NAME) in page
    for url in ("/dataset?q=subsidy", "/publisher/agency-a"):  # pages: in the reader's language (Chinese here)
        assert on_page(SAID_TITLE) in client.get(url).get_data(as_text=True), url
    assert SAID_TITLE in client.get("/feeds/dataset.atom").get_data(as_text=True)  # a feed is data: the marker
    # the file's conversions name it by its titles: the CSVW document, the download's file name
    csvw = client.get(f"/dataset/{SLUG}/resource/{typed['dist']}/data.csv-metadata.json")
    assert csvw.status_code == 200 and "Subsidy list 2024" in csvw.get_data(as_text=True)
    assert leaked(csvw.get_data(as_text=True)) == []
    download = client.get(f"/dataset/{SLUG}/resource/{typed['dist']}/data.csv?download=1")
    assert download.status_code == 200 and "名单" in unquote(download.headers["Content-Disposition"])
    assert leaked(unquote(download.headers["Content-Disposition"])) == []


def test_a_page_says_the_marker_in_its_readers_language_and_its_data_keep_it(client, typed):
    """The marker of a redacted run is said in the page's language (as a preview's masked cell is), in its text and
    its attributes; the JSON-LD the page carries is data, and keeps the one marker the downloads and APIs give."""
    zh = client.get(f"/dataset/{SLUG}?lang=zh_CN").get_data(as_text=True)
    en = client.get(f"/dataset/{SLUG}?lang=en").get_data(as_text=True)
    assert f"<h1>{on_page(SAID_TITLE, 'zh')}</h1>" in zh and f"<title>{on_page(SAID_TITLE, 'zh')} · " in zh
    assert f'<h1 lang="zh">{SAID_TITLE}</h1>' in en and f"<title>{SAID_TITLE} · " in en  # a Chinese title
    script = zh.index('<script type="application/ld+json">')
    jsonld = json.loads(zh[script:].split(">", 1)[1].split("</script>", 1)[0])
    assert jsonld["name"] == SAID_TITLE  # the data, as every download gives it
    outside = zh[:script] + zh[zh.index("</script>", script):]
    assert "[redacted]" not in outside and leaked(zh) == [] and leaked(en) == []


def test_editors_read_them_as_they_are_and_keep_them(app, client, typed):
    own = typed["own"]
    mine = client.get(f"/api/3/action/package_show?id={SLUG}", headers=own).get_json()["result"]
    assert mine["title"] == TITLE and mine["maintainer"] == CONTACT_NAME
    assert (mine["resources"][0]["name"], mine["resources"][0]["description"]) == (FILE_TITLE, FILE_DESCRIPTION)
    mine["notes"] = "补贴发放名单（已核对）。"  # CKAN's read-modify-write keeps what it read
    assert client.post("/api/3/action/package_update", headers=own, json=mine).status_code == 200
    rest = client.get(f"/api/v1/datasets/{SLUG}", headers=own).get_json()
    assert rest["title"][""] == TITLE and rest["contact_point"]["name"] == CONTACT_NAME
    assert (rest["distributions"][0]["title"][""], rest["distributions"][0]["description"][""]) == (
        FILE_TITLE, FILE_DESCRIPTION)
    signed_in = app.test_client()
    sign_in(signed_in, "editor@a.example")
    page = signed_in.get(f"/dataset/{SLUG}?lang=zh").get_data(as_text=True)
    assert f"<h1>{TITLE}</h1>" in page and FILE_TITLE in page and CONTACT_NAME in page
    assert _leaks(client, {}, typed["dist"]) == {}


def test_a_withdrawn_datasets_tombstone_says_its_title_redacted(app, client, typed):
    done = client.post(f"/api/v1/datasets/{SLUG}/withdraw", headers=typed["own"], json={"reason": "superseded"})
    assert done.status_code == 200, done.get_json()
    for accept in ("text/html", "application/json"):
        gone = client.get(f"/dataset/{SLUG}", headers={"Accept": accept})
        assert gone.status_code == 410
        text = gone.get_data(as_text=True)
        assert leaked(text) == [] and "Subsidy list 2024" in text, accept
    # its badge, and its minimal record in the catalog's changes (DCAT-AP)
    for url in (f"/dataset/{SLUG}/badge.svg", "/catalog.ttl?modified_since=2000-01-01",
                "/catalog.jsonld?modified_since=2000-01-01"):
        text = client.get(url).get_data(as_text=True)
        assert leaked(text) == [] and "Subsidy list 2024" in text, url


def test_a_withheld_files_451_page_says_its_title_redacted(app, client, typed):
    """A file withheld for the personal data in it (451): its page names the file by its title as the public reads it,
    a mobile number in the title ``[redacted]`` as on the dataset's page; its JSON names it by its id only."""
    phones = upload(client, typed["own"], SLUG, PII_CSV, "phones.csv")
    renamed = client.post("/api/3/action/resource_patch", headers=typed["own"],
                          json={"id": phones["id"], "name": f"热线回访 {PHONES[7]}"})
    assert renamed.status_code == 200, renamed.get_json()
    for url in (download_path(phones), f"/dataset/{SLUG}/resource/{phones['id']}/data.csv"):
        page = client.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 451 and page.mimetype == "text/html", url
        text = page.get_data(as_text=True)
        assert on_page("热线回访 [redacted]") in text and "Subsidy list 2024" in text, url
        assert leaked(text) == [], url
    signed_in = app.test_client()  # its editors get the file itself
    sign_in(signed_in, "editor@a.example")
    assert signed_in.get(download_path(phones)).status_code == 200


def test_the_weekly_report_says_its_title_redacted(app, client, typed):
    """A publisher's weekly evaluation names its datasets: its page, its CSV and JSON, and the mail say the title as
    the public reads it (the report is kept, so it is kept so)."""
    now = dt.datetime.now(dt.UTC)
    week = weekly.week_of(now.date())
    with app.extensions["opendata"]["sessionmaker"]() as session:
        bodies = [r.body for r in weekly_service.evaluate_week(session, week, now=now)]
        session.commit()
    assert any(SLUG in json.dumps(b, ensure_ascii=False) for b in bodies)
    assert leaked(json.dumps(bodies, ensure_ascii=False)) == []
    for ext in ("", ".csv", ".json"):
        text = client.get(f"/dashboard/weekly/{week}/agency-a{ext}").get_data(as_text=True)
        assert "Subsidy list 2024" in text and leaked(text) == [], ext
    # a report stored before titles were stored redacted holds the raw title: every door of it still says it redacted
    from catalog_schema.models import WeeklyReport

    with app.extensions["opendata"]["sessionmaker"]() as session:
        for report in session.query(WeeklyReport).filter(WeeklyReport.week == week):
            report.body = json.loads(json.dumps(report.body, ensure_ascii=False).replace(SAID_TITLE, TITLE))
        session.commit()
    for ext in ("", ".csv", ".json"):
        text = client.get(f"/dashboard/weekly/{week}/agency-a{ext}").get_data(as_text=True)
        assert "Subsidy list 2024" in text and leaked(text) == [], ext


def test_the_command_lines_exports_say_them_redacted(app_config, typed):
    for fmt, done in catalog_exports(app_config).items():
        assert done.returncode == 0, done.stderr
        assert SLUG in done.stdout and "[redacted]" in done.stdout, fmt
        assert leaked(done.stdout) == [], fmt


def _card(body: str) -> str:
    """A bank card number with its Luhn check digit (computed here, not by quality.pii)."""
    digits = [int(c) for c in reversed(body)]
    total = sum(sum(divmod(d * 2, 10)) if i % 2 == 0 else d for i, d in enumerate(digits))
    return body + str(-total % 10)


def test_a_contact_declares_its_phones_and_e_mails_never_an_id_or_a_card_number():
    """The rule itself (serving.public_metadata), as every door applies it: in a declared contact a mobile number and
    an e-mail address are public as declared, here and wherever else the record repeats them; a resident ID number or
    a bank card number in it is redacted there and is no declared value anywhere else."""
    card = _card("622202123456789")
    record = {"title": {"": f"联系 {DECLARED_PHONE}，身份证 {IDS[6]}，卡号 {card}"},
              "contact_point": {"name": f"王五 {DECLARED_PHONE} {IDS[6]} {card}", "email": CONTACT}, "extras": {},
              "distributions": [{"title": {"": f"名单 {PHONES[6]}"}, "description": {"": f"咨询 {CONTACT}"}}]}
    said = serving.public_metadata(record)
    assert said["contact_point"] == {"name": f"王五 {DECLARED_PHONE} [redacted] [redacted]", "email": CONTACT}
    assert said["title"] == {"": f"联系 {DECLARED_PHONE}，身份证 [redacted]，卡号 [redacted]"}
    assert said["distributions"] == [{"title": {"": "名单 [redacted]"}, "description": {"": f"咨询 {CONTACT}"}}]
    assert serving.public_metadata(record, privileged=True) is record  # the publisher's editors read it as it is
    clean = {"title": {"": "公交线路"}, "contact_point": {"name": f"王五 {DECLARED_PHONE}", "email": CONTACT},
             "distributions": [{"title": {"": "线路表"}}]}
    assert serving.public_metadata(clean) is clean
