"""Personal data outside the checked table is a finding, as it is in a column: one gate decides.

A workbook whose first sheet is a clean table and whose second sheet lists residents with their (checksum-valid)
identity numbers: the whole-file scan withholds the file itself (451), and the same scan now gives the assessment
its personal-data findings, naming the sheet (counts, never values). So publishing is blocked, the score is capped
and the dashboards count it, and an admin's override with a reason releases both the block and the file. Real
uploads through /api/v1 into a real catalog, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from catalog_schema.models import Dataset
from tests.support.personal import HEADER, ROWS, leaked, xlsx_bytes
from tests.support.publishing import build_world

COUNTIES = [["区县", "人口"], ["临江区", "120000"], ["白沙县", "56000"]]
#: the second sheet holds the twelve identity numbers only (no phones, no e-mail): what must be found is plain
NAMES = [[HEADER[1], HEADER[2]], *[[row[1], row[2]] for row in ROWS]]


SECOND_SHEET = xlsx_bytes(("人口", COUNTIES), ("名单", NAMES))
CLEAN = xlsx_bytes(("人口", COUNTIES), ("说明", [["字段", "含义"], ["人口", "常住人口"]]))
REASON = {"reason": "Register published by regulation 12 of the civil affairs office."}


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _upload(client, headers: dict, slug: str, data: bytes, name: str) -> str:
    """Upload `data` as `name` to dataset `slug`; the file's download path."""
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(data), name)})
    assert up.status_code == 201, up.get_json()
    dist = next(d for d in up.get_json()["distributions"] if d["upload"] and d["url"].endswith("/" + name))
    return dist["url"][dist["url"].index("/uploads/"):]


def _sheet_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["type"].startswith("pii-") and (f.get("evidence") or {}).get("part") == "名单"]


def _league_pii(client, publisher: str) -> int:
    rows = client.get("/dashboard/league.json?lang=en").get_json()["rows"]
    return next(r["pii"] for r in rows if r["publisher"] == publisher)


def test_a_second_sheet_of_id_numbers_blocks_publishing_until_an_admin_overrides(client, world):
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    path = _upload(client, editor, slug, SECOND_SHEET, "population.xlsx")
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["blocked_by"] == ["pii"] and check["can_publish"] is False
    found = _sheet_findings(check["pii"])
    assert [(f["type"], f["severity"], f["evidence"]["count"], f["evidence"]["within"]) for f in found] == [
        ("pii-id-number", "error", 12, "sheet")]
    assert found[0]["message"] == "Sheet 名单 holds 12 valid resident identity numbers outside the table."
    assert "sheet 名单" in found[0]["fix"] and "delete that sheet" in found[0]["fix"]
    assert check["score"] <= 40  # capped as personal data in a column caps it
    assert leaked(json.dumps(check, ensure_ascii=False)) == []  # counts, never values
    zh = client.get(f"/api/v1/datasets/{slug}/check?lang=zh", headers=editor).get_json()
    said = _sheet_findings(zh["pii"])[0]
    assert said["message"] == "工作表“名单”含有 12 个有效的居民身份证号码（在所检查的表格之外）。"
    assert "工作表“名单”" in said["fix"] and "删除该工作表" in said["fix"]
    blocked = client.post(f"/api/v1/datasets/{slug}/publish", headers=editor)
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "pii-blocked"
    assert "resident identity numbers" in blocked.get_json()["error"]["message"]
    # the admin's documented override is the way out, as for personal data in a column
    done = client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=REASON)
    assert done.status_code == 200, done.get_json()
    published = client.post(f"/api/v1/datasets/{slug}/publish", headers=editor)
    assert published.status_code == 200 and published.get_json()["state"] == "active"
    quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert quality["pii"] is True and quality["score"] <= 40 and _sheet_findings(quality["findings"])
    # released by the override: the file itself is served to the public, as the finding no longer blocks
    resp = client.get(path)
    assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve" and resp.get_data() == SECOND_SHEET
    assert _league_pii(client, "agency-a") == 0  # released, as every page says: the findings still list it


def test_on_a_published_dataset_the_finding_the_door_and_the_dashboards_agree(client, world):
    """A workbook added to a published dataset: the file is withheld, the assessment has the finding, the league
    table and the findings table count it; the override releases the file and keeps the finding reported."""
    editor = {"Authorization": world.tokens["editor_a"]}
    admin = {"Authorization": world.tokens["admin_a"]}
    slug = world.draft_a
    _upload(client, editor, slug, CLEAN, "clean.xlsx")
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=editor).status_code == 200
    assert not client.get(f"/api/v1/datasets/{slug}/quality").get_json()["pii"]
    assert _league_pii(client, "agency-a") == 0
    path = _upload(client, editor, slug, SECOND_SHEET, "register.xlsx")
    resp = client.get(path)
    assert resp.status_code == 451 and resp.get_json()["error"]["columns"] == {"名单": {"id_number": 12}}
    quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert quality["pii"] is True and quality["score"] <= 40
    assert [(f["type"], f["evidence"]["count"]) for f in _sheet_findings(quality["findings"])] == [
        ("pii-id-number", 12)]
    assert _league_pii(client, "agency-a") == 1
    findings = client.get("/dashboard/findings.json?lang=en").get_json()["rows"]
    assert next(r for r in findings if r["type"] == "pii-id-number")["datasets"] == 1
    listed = client.get("/dashboard/finding/pii-id-number.json?lang=en").get_json()["rows"]
    assert [r["slug"] for r in listed] == [slug] and leaked(json.dumps(listed, ensure_ascii=False)) == []
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["blocked_by"] == ["pii"]
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers=admin, json=REASON).status_code == 200
    check = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert check["blocked_by"] == [] and _sheet_findings(check["pii"])  # still reported, no longer blocking
    resp = client.get(path)
    assert resp.status_code == 200 and resp.get_data() == SECOND_SHEET


def test_a_clean_workbook_has_no_personal_data_finding_and_its_score_is_not_capped(client, world):
    editor = {"Authorization": world.tokens["editor_a"]}
    _upload(client, editor, world.draft_a, CLEAN, "clean.xlsx")
    check = client.get(f"/api/v1/datasets/{world.draft_a}/check", headers=editor).get_json()
    assert check["pii"] == [] and check["blocked_by"] == [] and check["score"] > 40


def _fix_first(client) -> list[dict]:
    return client.get("/dashboard/fix-first.json?lang=en").get_json()["rows"]


def _home(client) -> str:
    return client.get("/?lang=en").get_data(as_text=True)


def _published_busy_and_clean(app, client, world) -> tuple[str, str]:
    """A's dataset and B's, each published with a clean workbook; B's far more downloaded than A's (500 to 5)."""
    from app.services.usage import record_usage

    slug, busy = world.draft_a, world.draft_b
    for who, which in (("editor_a", slug), ("editor_b", busy)):
        token = {"Authorization": world.tokens[who]}
        _upload(client, token, which, CLEAN, "clean.xlsx")
        assert client.post(f"/api/v1/datasets/{which}/publish", headers=token).status_code == 200
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ids = dict(s.execute(select(Dataset.slug, Dataset.id).where(Dataset.slug.in_((slug, busy)))).all())
        record_usage(s, ids[busy], "download", n=500)
        record_usage(s, ids[slug], "download", n=5)
        s.commit()
    return slug, busy


def test_fix_first_ranks_a_file_withheld_for_its_second_sheet_first_until_released(app, client, world):
    """A published dataset whose new workbook holds ID numbers on its second sheet only: its table's columns are
    clean, but the doors withhold the file and the assessment has the finding. The dashboard's "fix first" list
    puts it first with the kind found, before a clean dataset used a hundred times more; once an admin releases
    it with a reason, it is no longer listed as exposed and ranks by use again."""
    slug, busy = _published_busy_and_clean(app, client, world)
    assert [(r["slug"], r["personal_data"]) for r in _fix_first(client)][:2] == [(busy, ""), (slug, "")]
    path = _upload(client, {"Authorization": world.tokens["editor_a"]}, slug, SECOND_SHEET, "register.xlsx")
    assert client.get(path).status_code == 451  # the door withholds the file: the table's own columns are clean
    rows = _fix_first(client)
    assert [(r["slug"], r["personal_data"]) for r in rows][:2] == [(slug, "id_number"), (busy, "")]
    assert leaked(json.dumps(rows, ensure_ascii=False)) == []
    # released: the same override that lets the file out takes it off the list of exposed data
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers={"Authorization": world.tokens["admin_a"]},
                       json=REASON).status_code == 200
    assert client.get(path).status_code == 200
    assert [(r["slug"], r["personal_data"]) for r in _fix_first(client)][:2] == [(busy, ""), (slug, "")]


def test_the_home_page_does_not_promote_a_file_withheld_for_its_second_sheet_until_released(app, client, world):
    """The same dataset on the home page: promoted as new and as downloaded while its workbook is clean, kept off
    both lists while the doors withhold its new workbook for the ID numbers on the second sheet, and promoted
    again once an admin releases it with a reason."""
    slug, _busy = _published_busy_and_clean(app, client, world)
    link = f'href="/dataset/{slug}"'
    assert _home(client).count(link) == 2  # newest and most downloaded
    path = _upload(client, {"Authorization": world.tokens["editor_a"]}, slug, SECOND_SHEET, "register.xlsx")
    assert client.get(path).status_code == 451
    assert link not in _home(client)
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers={"Authorization": world.tokens["admin_a"]},
                       json=REASON).status_code == 200
    assert client.get(path).status_code == 200
    assert _home(client).count(link) == 2


def test_a_drafts_check_kept_under_the_rules_before_this_finding_is_made_again_when_next_viewed(
        app, app_config, client, world, monkeypatch):
    """A draft's check kept before personal data outside the table was a finding (rule set 1.0, no pii-file
    findings) said the workbook could be published. The rule set's version is part of the kept check's fingerprint,
    so the check is not shown stale: nothing rewrites it at start-up, the drafts list stops showing its numbers, and
    the next view of the check computes it again under the current rules, which block publishing."""
    from app.services import check as check_mod
    from quality import assess
    from quality.rules import pii_file

    editor = {"Authorization": world.tokens["editor_a"]}
    slug = world.draft_a
    current = assess.RULESET_VERSION
    with monkeypatch.context() as before:  # the rules as they were: no finding beyond the table
        before.setattr(assess, "RULESET_VERSION", "1.0")
        before.setattr(pii_file, "check", lambda *args, **kwargs: [])
        _upload(client, editor, slug, SECOND_SHEET, "population.xlsx")
        old = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
        assert old["can_publish"] is True and old["pii"] == [] and old["score"] > 40
        kept_again = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
        assert kept_again["checked_at"] == old["checked_at"]  # kept: the draft and its file did not change
    sessionmaker = app.extensions["opendata"]["sessionmaker"]

    def kept() -> tuple[dict, dict]:
        with sessionmaker() as s:
            ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
            return dict(ds.prepublication_check), check_mod.last_results(s, [ds.id])

    from app import create_app

    create_app(app_config).extensions["opendata"]["engine"].dispose()  # a process starting: it recomputes nothing
    stale, listed = kept()
    assert stale["result"]["can_publish"] is True and stale["result"]["assessment"]["rule_version"] == "1.0"
    assert listed == {}  # the drafts list shows no stars or score from rules since replaced
    again = client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()
    assert again["checked_at"] != old["checked_at"] and again["blocked_by"] == ["pii"] and again["can_publish"] is False
    assert [f["evidence"]["part"] for f in again["pii"]] == ["名单"] and again["score"] <= 40
    fresh, listed = kept()
    assert fresh["result"]["assessment"]["rule_version"] == current and list(listed.values()) == [
        {"stars": again["stars"], "score": again["score"]}]
    assert client.get(f"/api/v1/datasets/{slug}/check", headers=editor).get_json()["checked_at"] == again["checked_at"]


def _league_everywhere(app, client, publisher: str) -> set[int]:
    """The league table's personal-data count of `publisher` as each door says it: the dashboard, the REST API and
    `opendata quality publishers` (one answer when they agree)."""
    from click.testing import CliRunner

    from app.cli import main

    api = client.get("/api/v1/quality/publishers").get_json()["items"]
    settings = app.config["OPENDATA"]
    said = CliRunner().invoke(main, ["quality", "publishers", "--json"], env={
        f"OPENDATA_{key}": settings[key] for key in ("DATABASE_URL", "INSTANCE_DIR", "ARCHIVE_DIR")})
    assert said.exit_code == 0, said.output
    return {_league_pii(client, publisher), next(r["pii"] for r in api if r["publisher"] == publisher),
            next(r["pii"] for r in json.loads(said.output) if r["publisher"] == publisher)}


def _weekly_personal_data(app, client, publisher: str, weeks_on: int = 0) -> dict[str, list[str]]:
    """The weekly evaluation of the week `weeks_on` after this one, made as cron makes it (`run_weekly`), as its
    stored report says it at /dashboard/weekly/<week>/<publisher>.json: pii-* finding type -> the datasets named,
    once the report's page agrees. (A report is made once per week: a later one is made for what changed since.)"""
    import datetime as dt

    from app.commands.evaluate import run_weekly
    from app.weekly import week_of

    week = week_of(dt.datetime.now(dt.UTC).date() + dt.timedelta(weeks=weeks_on))
    run_weekly(app.config["OPENDATA"], week, False, running=True)
    body = client.get(f"/dashboard/weekly/{week}/{publisher}.json").get_json()
    found = {f["type"]: [e["slug"] for e in f["examples"]] for f in body["fix_first"] if f["type"].startswith("pii-")}
    page = client.get(f"/dashboard/weekly/{week}/{publisher}?lang=en").get_data(as_text=True)
    assert ("Resident identity numbers published" in page) == ("pii-id-number" in found)
    return found


def test_the_league_counts_personal_data_as_fix_first_and_the_home_page_do(app, client, world):
    """An official comparing departments sees what every page says: a dataset whose workbook the doors withhold
    for its second sheet of ID numbers is one with personal data in the league table, ranked first to fix and kept
    off the home page; once an admin overrides with a reason, the file is served and no page counts it, the league
    included (it counted the overridden finding, while fix-first and the home page did not)."""
    slug, _busy = _published_busy_and_clean(app, client, world)
    link = f'href="/dataset/{slug}"'
    assert _league_everywhere(app, client, "agency-a") == {0}
    path = _upload(client, {"Authorization": world.tokens["editor_a"]}, slug, SECOND_SHEET, "register.xlsx")
    assert client.get(path).status_code == 451
    assert _league_everywhere(app, client, "agency-a") == {1}
    assert (_fix_first(client)[0]["slug"], _fix_first(client)[0]["personal_data"]) == (slug, "id_number")
    assert link not in _home(client)
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers={"Authorization": world.tokens["admin_a"]},
                       json=REASON).status_code == 200
    assert client.get(path).status_code == 200
    assert next(r for r in _fix_first(client) if r["slug"] == slug)["personal_data"] == ""
    assert _home(client).count(link) == 2
    assert _league_everywhere(app, client, "agency-a") == {0}


def test_the_weekly_report_lists_personal_data_to_fix_first_as_the_dashboard_does(app, client, world):
    """The weekly report's "what to fix first" (its page, JSON and e-mail) listed the overridden workbook under
    "Resident identity numbers published" week after week, read from its latest assessment's findings, while the
    dashboard, the league table and every file door had released it: its personal-data types now say what the
    dashboard says (app.assessment.personal_data), and its other finding types are read as before."""
    slug, _busy = _published_busy_and_clean(app, client, world)
    path = _upload(client, {"Authorization": world.tokens["editor_a"]}, slug, SECOND_SHEET, "register.xlsx")
    assert client.get(path).status_code == 451
    assert _weekly_personal_data(app, client, "agency-a") == {"pii-id-number": [slug]}
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers={"Authorization": world.tokens["admin_a"]},
                       json=REASON).status_code == 200
    assert client.get(path).status_code == 200
    assert next(r for r in _fix_first(client) if r["slug"] == slug)["personal_data"] == ""
    assert _weekly_personal_data(app, client, "agency-a", weeks_on=1) == {}
    quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert _sheet_findings(quality["findings"])  # the finding itself stays on the assessment: only the count changed


def test_a_dataset_assessed_before_the_finding_counts_where_its_kept_scan_shows_personal_data(
        app, app_config, client, world, monkeypatch):
    """A workbook published under rule set 1.0, before personal data outside the table was a finding: its latest
    assessment has no pii-* finding, but the whole-file scan kept in the row store shows the ID numbers on its second
    sheet, and the doors withhold the file for them. Nothing is assessed again at start-up, and until its next
    assessment the pages read the same kept scan through the same rule: fix-first ranks it first, the league counts
    it and the home page does not promote it; an admin's override releases it everywhere at once."""
    from app import create_app
    from app.services.usage import record_usage
    from quality import assess
    from quality.rules import pii_file

    slug, busy = world.draft_a, world.draft_b
    editor = {"Authorization": world.tokens["editor_a"]}
    with monkeypatch.context() as before:  # the rules as they were: no finding beyond the table
        before.setattr(assess, "RULESET_VERSION", "1.0")
        before.setattr(pii_file, "check", lambda *args, **kwargs: [])
        path = _upload(client, editor, slug, SECOND_SHEET, "population.xlsx")
        assert client.post(f"/api/v1/datasets/{slug}/publish", headers=editor).status_code == 200
    _upload(client, {"Authorization": world.tokens["editor_b"]}, busy, CLEAN, "clean.xlsx")
    assert client.post(f"/api/v1/datasets/{busy}/publish",
                       headers={"Authorization": world.tokens["editor_b"]}).status_code == 200
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ids = dict(s.execute(select(Dataset.slug, Dataset.id).where(Dataset.slug.in_((slug, busy)))).all())
        record_usage(s, ids[busy], "download", n=500)
        record_usage(s, ids[slug], "download", n=5)
        s.commit()
    create_app(app_config).extensions["opendata"]["engine"].dispose()  # a process starting: it recomputes nothing
    quality = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert quality["rule_version"] == "1.0" and quality["pii"] is False and not _sheet_findings(quality["findings"])
    assert client.get(path).status_code == 451  # the door reads the kept scan
    link = f'href="/dataset/{slug}"'
    assert [(r["slug"], r["personal_data"]) for r in _fix_first(client)][:2] == [(slug, "id_number"), (busy, "")]
    assert _league_everywhere(app, client, "agency-a") == {1}
    assert link not in _home(client)
    assert _weekly_personal_data(app, client, "agency-a") == {"pii-id-number": [slug]}  # the weekly reads it too
    assert client.post(f"/api/v1/datasets/{slug}/pii-override", headers={"Authorization": world.tokens["admin_a"]},
                       json=REASON).status_code == 200
    assert client.get(path).status_code == 200
    assert [(r["slug"], r["personal_data"]) for r in _fix_first(client)][:2] == [(busy, ""), (slug, "")]
    assert _league_everywhere(app, client, "agency-a") == {0}
    assert _weekly_personal_data(app, client, "agency-a", weeks_on=1) == {}
    assert _home(client).count(link) == 2
