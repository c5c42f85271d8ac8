"""What an official reads of a department whose datasets are not all published and assessed: a dataset harvested
but not assessed yet, a withdrawn one, a draft and a department with nothing, on a real SQLite catalog assessed for
real (links not checked). The dashboard's drilldown, its downloads, the publisher's page, the REST API and the
command line must give the same figures, and say what they leave out."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from app.assessment import assess_datasets
from catalog_schema import search
from catalog_schema.models import Dataset
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import ensure_publisher, save_record

PUB = {"slug": "jh-water", "name": {"en": "Water Bureau", "zh": "水务局"}}


def _record(slug: str, title: str, **extra) -> dict:
    return new_record(slug=slug, title={"en": title, "zh": title}, publisher=PUB, license="CC-BY-4.0",
                      description={"en": "Readings of the water bureau's stations, one row a station and day."},
                      keywords=["water"], themes=["ENVI"], frequency="IRREG", modified="2026-11-01",
                      contact_point={"name": "Data desk", "email": "data@water.example.gov"},
                      distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{slug}.csv", format="CSV",
                                                      media_type="text/csv")], **extra)


@pytest.fixture
def water(app, runtime):
    """Two assessed datasets, one withdrawn after its assessment, one draft, one harvested and not assessed yet;
    and a department with nothing at all."""
    with runtime.sessionmaker() as session:
        ids = {slug: save_record(session, _record(slug, title))[0].id
               for slug, title in (("rainfall", "Rainfall"), ("reservoirs", "Reservoir levels"),
                                   ("old-wells", "Old wells"))}
        ensure_publisher(session, {"slug": "jh-empty", "name": {"en": "Empty Office", "zh": "空办公室"}})
        session.commit()
    assess_datasets(runtime, list(ids.values()), check_links=False)
    with runtime.sessionmaker() as session:
        save_record(session, _record("old-wells", "Old wells", state="withdrawn"),
                    dataset=session.get(Dataset, ids["old-wells"]))
        save_record(session, _record("floods-draft", "Floods (draft)", state="draft"))
        save_record(session, _record("groundwater", "Groundwater"))  # harvested: assessed after the job
        session.commit()
        for ds in session.scalars(select(Dataset)):
            search.index_dataset(session, ds)
        session.commit()
    return ids


def _row(html: str, slug: str) -> str:
    found = re.search(rf'<tr data-slug="{slug}">.*?</tr>', html, re.S)
    return found.group(0) if found else ""


def test_the_drilldown_lists_the_datasets_not_assessed_yet(client, water):
    """The publisher's page said 3 datasets, its dashboard 2, with no word of the third: an agency reading what to
    fix never learnt that one of its datasets had no score yet. The drilldown counts the datasets published as the
    publisher's page does, says how many are assessed (as the weekly report does), and lists the one not assessed
    yet last, with no stars or score (not 0 stars, and not in the averages); the withdrawn one and the draft are
    not listed. Its CSV and JSON list the same rows."""
    page = client.get("/publisher/jh-water?lang=en").get_data(as_text=True)
    assert 'id="publisher-count">3<' in page
    html = client.get("/dashboard/publisher/jh-water?lang=en").get_data(as_text=True)
    summary = re.search(r'<ul class="usa-list" id="publisher-summary">.*?</ul>', html, re.S).group(0)
    assert re.search(r'data-figure="datasets">3</strong> \(2 assessed\)', summary), summary
    slugs = re.findall(r'<tr data-slug="([^"]+)"', html[html.index('id="publisher-datasets-table"'):])
    assert slugs[-1] == "groundwater" and sorted(slugs) == ["groundwater", "rainfall", "reservoirs"], slugs
    row = _row(html, "groundwater")
    assert "not assessed yet" in row and "<td>0</td>" not in row, row
    zh = client.get("/dashboard/publisher/jh-water?lang=zh_CN").get_data(as_text=True)
    assert "尚未评估" in _row(zh, "groundwater") and "其中 2 个已评估" in zh
    body = client.get("/dashboard/publisher/jh-water.csv?lang=en").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["slug"] for r in rows] == slugs
    assert (rows[-1]["stars"], rows[-1]["score"], rows[-1]["assessed_at"]) == ("", "", "")
    doc = client.get("/dashboard/publisher/jh-water.json").get_json()
    assert [r["slug"] for r in doc["rows"]] == slugs and doc["rows"][-1]["score"] is None
    # the averages are the two assessed datasets', as the league, the API and the CLI have them
    league = doc["league"]
    api = client.get("/api/v1/publishers/jh-water/quality").get_json()
    assert league["datasets"] == api["datasets"] == 2 and league["average_score"] == api["average_score"]
    counts = client.get("/api/v1/publishers/jh-water").get_json()["counts"]
    assert (counts["datasets"], counts["assessed"], counts["withdrawn"]) == (3, 2, 1)


def test_a_department_whose_datasets_are_none_assessed_yet_is_told_which(client, water, runtime):
    """With nothing assessed the drilldown said "nothing published, or not assessed" and listed nothing."""
    with runtime.sessionmaker() as session:
        for slug in ("rainfall", "reservoirs"):
            ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
            ds.publisher_id = ensure_publisher(session, {"slug": "jh-other", "name": {"en": "Other"}}).id
        session.commit()
    html = client.get("/dashboard/publisher/jh-water?lang=en").get_data(as_text=True)
    slugs = re.findall(r'<tr data-slug="([^"]+)"', html[html.index('id="publisher-datasets-table"'):])
    assert slugs == ["groundwater"]
    assert re.search(r'data-figure="datasets">1</strong> \(0 assessed\)', html)  # as its page counts it
    empty = client.get("/dashboard/publisher/jh-empty?lang=en").get_data(as_text=True)
    assert 'data-figure="datasets"' not in empty
    assert not re.findall(r'<tr data-slug=', empty)


def test_the_league_says_how_many_of_a_departments_datasets_it_counts(client, water):
    """The league's "Datasets" said 2 for the department whose page, drilldown and REST counts say 3: it counts the
    assessed ones, which its averages are of, and did not say so. It says "3 (2 assessed)" now, and its downloads
    carry both (`published`, and `datasets` the assessed ones, as the API's league and the CLI count them)."""
    html = client.get("/dashboard?lang=en").get_data(as_text=True)
    row = re.search(r'<tr data-publisher="jh-water">.*?</tr>', html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert re.sub(r"<[^>]+>", "", cells[1]).strip() == "3 (2 assessed)", cells[1]
    empty = re.search(r'<tr data-publisher="jh-empty">.*?</tr>', html, re.S).group(0)
    assert re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", empty, re.S)[1]).strip() == "0"
    zh = client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    assert "3（其中 2 个已评估）" in re.sub(r"<[^>]+>", "", re.search(
        r'<tr data-publisher="jh-water">.*?</tr>', zh, re.S).group(0))
    body = client.get("/dashboard/league.csv?lang=en").get_data().decode("utf-8-sig")
    rows = {r["publisher"]: r for r in csv.DictReader(io.StringIO(body))}
    assert (rows["jh-water"]["published"], rows["jh-water"]["datasets"]) == ("3", "2")
    assert (rows["jh-empty"]["published"], rows["jh-empty"]["datasets"]) == ("0", "0")
    doc = {r["publisher"]: r for r in client.get("/dashboard/league.json").get_json()["rows"]}
    assert (doc["jh-water"]["published"], doc["jh-water"]["datasets"]) == (3, 2)


def test_a_publishers_page_past_its_last_says_so(client, water):
    """/publisher/<slug>?page=99 said "Datasets: 3" above "No datasets yet.": a page past the last says it is one,
    and leads to the last page, as the search's does."""
    html = client.get("/publisher/jh-water?page=99&lang=en").get_data(as_text=True)
    assert "No datasets yet." not in html
    assert "Page 99 is past the last page of results (1)." in html and 'href="?page=1"' in html
    zh = client.get("/publisher/jh-water?page=99&lang=zh_CN").get_data(as_text=True)
    assert "暂无数据集" not in zh and "?page=1" in zh
    assert "No datasets yet." in client.get("/publisher/jh-empty?lang=en").get_data(as_text=True)


def test_the_api_and_the_command_line_say_the_datasets_published_too(client, water, runtime):
    """The league's row in `/api/v1/quality/publishers`, `/api/v1/publishers/<slug>/quality` and
    `opendata quality publishers --json` said `datasets: 2` (the assessed) with nothing for the third the
    dashboard and the publisher's page count: each row carries `published` too."""
    import json

    from click.testing import CliRunner

    from app.cli import main

    api = client.get("/api/v1/publishers/jh-water/quality").get_json()
    assert (api["published"], api["datasets"]) == (3, 2)
    listed = {r["publisher"]: r for r in client.get("/api/v1/quality/publishers").get_json()["items"]}
    assert (listed["jh-water"]["published"], listed["jh-water"]["datasets"]) == (3, 2)
    env = {f"OPENDATA_{k}": str(runtime.settings[k]) for k in ("DATABASE_URL", "INSTANCE_DIR", "ARCHIVE_DIR")}
    said = CliRunner().invoke(main, ["quality", "publishers", "--json"], env=env)
    rows = {r["publisher"]: r for r in json.loads(said.output)}
    assert (rows["jh-water"]["published"], rows["jh-water"]["datasets"]) == (3, 2)
    assert (rows["jh-empty"]["published"], rows["jh-empty"]["datasets"]) == (0, 0)


def test_a_withdrawn_dataset_leaves_the_trends_as_it_leaves_the_league(client, water):
    """Withdrawn after its assessment, a dataset still weighed in this week's trend: the drilldown said "Average
    score" of the two published datasets above a trend whose point for the same week averaged three, and the API's
    and the whole catalog's trends did the same. The trends are of the datasets published now, as the league, its
    change since last week and the weekly report are."""
    doc = client.get("/dashboard/publisher/jh-water.json").get_json()
    league = doc["league"]
    (week,) = doc["trends"]
    assert (week["datasets"], week["average_score"], week["average_stars"]) == (
        league["datasets"], league["average_score"], league["average_stars"]), (week, league)
    api = client.get("/api/v1/publishers/jh-water/quality").get_json()
    assert api["trend"][-1]["average_score"] == api["average_score"] and api["trend"][-1]["assessments"] == 2
    overall = [r for r in client.get("/dashboard/trends.json").get_json()["rows"] if r["publisher"] == "jh-water"]
    assert overall[-1]["datasets"] == 2 and overall[-1]["average_score"] == league["average_score"]
