"""The weekly evaluation (issue 17 item 3) on the demo catalog, harvested and assessed for real in two weeks.

The samples are assessed in week 2026-W47 and again in 2026-W48 (tests/app/test_dashboard.py's catalog). The
W47 reports are made; then, in W48, one dataset is withdrawn, one is published, one improves and one
declines; the W48 reports must say exactly that. Reports are kept (a second run changes nothing), shown as
pages in zh and en, downloaded as CSV and JSON, and e-mailed through a real SMTP server on loopback to each
publisher's admins, a failed send recorded and retried.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import weekly
from app.commands.evaluate import run_weekly
from app.services import weekly as service
from catalog_schema import search
from catalog_schema.models import Assessment, Dataset, Publisher, WeeklyReport
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import ensure_publisher, save_record
from tests.app.test_dashboard import NOW, Tables, _csv, _html, _json
from tests.app.test_dashboard import catalog as catalog  # noqa: F401 - the fixture, shared
from tests.support.accounts import make_user
from tests.support.smtp import SmtpServer

W47, W48 = "2026-W47", "2026-W48"
LATER = NOW + dt.timedelta(hours=3)


def test_weeks_are_iso_weeks():
    assert weekly.week_of(dt.date(2026, 11, 23)) == W48 and weekly.week_of(dt.date(2026, 11, 22)) == W47
    assert weekly.week_start(W48) == dt.date(2026, 11, 23)
    assert weekly.week_end(W48) == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert weekly.previous_week("2027-W01") == "2026-W53"
    assert weekly.last_complete_week(dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)) == W48
    for bad in ("2026-48", "2026-W54", "", "2026-W4"):
        with pytest.raises(ValueError, match="not an ISO week"):
            weekly.parse_week(bad)


def _evaluate(app, week: str) -> list[dict]:
    with app.extensions["opendata"]["sessionmaker"]() as session:
        reports = service.evaluate_week(session, week, now=weekly.week_end(week))
        session.commit()
        return [r.body for r in reports]


def _week_two(app, slugs: dict[str, str]) -> None:
    """What happens in W48 after the W47 reports: a withdrawal, a new dataset, a rise and a fall."""
    with app.extensions["opendata"]["sessionmaker"]() as session:
        session.get(Dataset, slugs["parking-lots"]).state = "withdrawn"
        rec = new_record(slug="metro-stations", title={"zh": "地铁站点", "en": "Metro stations"}, license="CC-BY-4.0",
                         publisher={"slug": "jh-transport"},
                         distributions=[new_distribution(format="CSV", download_url="http://127.0.0.1:9/m.csv")])
        ds, _ = save_record(session, rec)
        search.index_dataset(session, ds)
        session.flush()
        for slug, stars, score in (("bus-stops", 5, 99), ("taxi-fares", 0, 5), ("metro-stations", 3, 70)):
            ds_id = ds.id if slug == "metro-stations" else slugs[slug]
            session.add(Assessment(dataset_id=ds_id, assessed_at=LATER, rule_version="test", stars=stars,
                                   score=score, metadata_points=100, metadata_rating="sufficient",
                                   findings=[{"type": "keyword-missing", "severity": "warning"}]))
        session.commit()


def _by_slug(bodies: list[dict]) -> dict[str, dict]:
    return {b["publisher"]["slug"]: b for b in bodies}


def test_two_weeks_of_reports_say_what_changed(app, catalog, client):  # noqa: F811
    with app.extensions["opendata"]["sessionmaker"]() as session:
        ensure_publisher(session, {"slug": "jh-archives", "name": {"zh": "京海市档案局", "en": "Jinghai Archives"}})
        session.commit()
        publishers = set(session.scalars(select(Publisher.slug)))
    first = _by_slug(_evaluate(app, W47))
    assert set(first) == publishers  # every publisher has a report, the one with nothing published too
    transport = first["jh-transport"]
    assert transport["change"]["previous_week"] is None  # the first report: nothing to compare with
    with app.extensions["opendata"]["sessionmaker"]() as session:
        w47 = {ds.slug: a for ds, a in session.execute(
            select(Dataset, Assessment).join(Assessment, Assessment.dataset_id == Dataset.id)
            .where(Assessment.assessed_at < weekly.week_end(W47))).all()}
        own = {ds.slug for ds in session.scalars(select(Dataset).join(Publisher)
                                                 .where(Publisher.slug == "jh-transport"))}
    assert {d["slug"] for d in transport["items"]} == own and transport["datasets"] == len(own)
    assert transport["average_score"] == round(sum(w47[s].score for s in own) / len(own), 1)
    assert transport["average_stars"] == round(sum(w47[s].stars for s in own) / len(own), 2)
    assert first["jh-archives"]["datasets"] == 0 and first["jh-archives"]["average_score"] is None

    _week_two(app, catalog)
    assert _by_slug(_evaluate(app, W47)) == first  # kept as it was, though the catalog changed since
    second = _by_slug(_evaluate(app, W48))
    change = second["jh-transport"]["change"]
    assert change["previous_week"] == W47
    assert [d["slug"] for d in change["added"]] == ["metro-stations"]
    assert [d["slug"] for d in change["withdrawn"]] == ["parking-lots"]
    assert [d["slug"] for d in change["improved"]] == ["bus-stops"]
    assert change["improved"][0]["score"] == 99 and change["improved"][0]["score_before"] == w47["bus-stops"].score
    assert "taxi-fares" in [d["slug"] for d in change["declined"]]
    assert change["score_delta"] == round(second["jh-transport"]["average_score"] - transport["average_score"], 1)
    assert change["stars_delta"] == round(second["jh-transport"]["average_stars"] - transport["average_stars"], 2)
    # a publisher where nothing moved: no dataset added, withdrawn, risen or fallen
    stats = second["jh-stats"]["change"]
    assert stats["added"] == stats["withdrawn"] == [] and stats["previous_week"] == W47
    # fix first: most severe first, then by datasets hit; each dataset once per finding
    for body in second.values():
        keys = [(weekly.SEVERITY_ORDER[f["severity"]], -f["datasets"]) for f in body["fix_first"]]
        assert keys == sorted(keys)
        for f in body["fix_first"]:
            assert len({e["slug"] for e in f["examples"]}) == len(f["examples"]) == min(f["datasets"], 10)
    gov = second["jh-gov-office"]["fix_first"]
    errors = [f["type"] for f in gov if f["severity"] == "error"]
    assert gov[0]["severity"] == "error" and {"pii-id-number", "pii-bank-card"} <= set(errors)
    assert [f["type"] for f in gov[:len(errors)]] == errors

    # history: both weeks kept, one row per publisher per week, and a second run adds nothing
    run_weekly(app.config["OPENDATA"], W48, False)
    with app.extensions["opendata"]["sessionmaker"]() as session:
        rows = session.execute(select(WeeklyReport.week, WeeklyReport.publisher_id)).all()
    assert len(rows) == len(set(rows)) == 2 * len(publishers)
    _pages_and_files(client, second)


def _pages_and_files(client, second: dict[str, dict]) -> None:
    for lang, name, heading in (("zh_CN", "京海市交通委员会", "每周评估："),
                                ("en", "Jinghai Municipal Transport Commission", "Weekly evaluation: ")):
        html = _html(client, f"/dashboard/weekly?lang={lang}")
        assert f"<h1>{heading}{W48}</h1>" in html and f'href="/dashboard/weekly/{W47}"' in html
        table = Tables(html).tables["weekly-table"]
        assert {a["data-publisher"] for a, _c in table} == set(second)
        row = next(cells for a, cells in table if a["data-publisher"] == "jh-transport")
        assert row[0][1] == name  # names, not slugs
        html = _html(client, f"/dashboard/weekly/{W48}/jh-transport?lang={lang}")
        assert name in html and "jh-transport</" not in html
        assert 'id="change-added"' in html and 'href="/dataset/metro-stations"' in html
        assert 'id="change-withdrawn"' in html and 'href="/dataset/parking-lots"' in html
        first_fix = second["jh-transport"]["fix_first"][0]["type"]
        assert f'href="/dashboard/finding/{first_fix}?publisher=jh-transport"' in html
        # each finding's datasets after the language's colon: "文本未使用 UTF-8 编码: 2 个数据集" was a misprint
        fixes = html[html.index('id="fix-first-list"'):html.index("</ol>", html.index('id="fix-first-list"'))]
        assert ("</a>：" in fixes and "</a>:" not in fixes) if lang == "zh_CN" else "</a>: " in fixes
        gov = _html(client, f"/dashboard/weekly/{W48}/jh-gov-office?lang={lang}")
        for f in second["jh-gov-office"]["fix_first"]:  # every error-level finding is listed, however many
            if f["severity"] == "error":
                assert f'href="/dashboard/finding/{f["type"]}?publisher=jh-gov-office"' in gov, f["type"]
        old = _html(client, f"/dashboard/weekly/{W47}/jh-transport?lang={lang}")
        assert ("这是该部门的第一份报告" if lang == "zh_CN" else "This is the first report") in old
        history = Tables(_html(client, f"/dashboard/publisher/jh-transport/weekly?lang={lang}")).tables
        assert [a["data-week"] for a, _c in history["weekly-history-table"]] == [W48, W47]
    rows = _csv(client, f"/dashboard/weekly/{W48}.csv?lang=zh_CN")
    assert {r["publisher"] for r in rows} == set(second)
    transport = next(r for r in rows if r["publisher"] == "jh-transport")
    assert transport["name"] == "京海市交通委员会" and transport["datasets_added"] == "1"
    assert transport["datasets_withdrawn"] == "1"
    assert float(transport["average_score"]) == second["jh-transport"]["average_score"]
    doc = _json(client, f"/dashboard/weekly/{W48}.json")
    assert {r["publisher"]["slug"] for r in doc["reports"]} == set(second)
    assert _json(client, f"/dashboard/weekly/{W48}/jh-transport.json")["change"] == second["jh-transport"]["change"]
    per = {r["slug"]: r for r in _csv(client, f"/dashboard/weekly/{W48}/jh-transport.csv?lang=en")}
    assert per["metro-stations"]["change"] == "added" and per["parking-lots"]["change"] == "withdrawn"
    assert per["bus-stops"]["change"] == "improved" and per["bus-stops"]["score"] == "99"
    for url in ("/dashboard/weekly/2026-W99", "/dashboard/weekly/2020-W01", "/dashboard/weekly/nonsense",
                f"/dashboard/weekly/{W48}/no-such-dept", "/dashboard/weekly/2020-W01.csv",
                "/dashboard/publisher/no-such-dept/weekly"):
        assert client.get(url).status_code == 404, url


def test_a_dataset_series_is_not_counted_as_a_dataset_of_the_report(app, catalog):  # noqa: F811
    """The demo's transport bureau: "11 datasets (10 assessed)" on its weekly report, 10 on the league table, its
    page and the API; the eleventh was its bus-ridership series, which has no files and is never assessed."""
    from app import dashboard_data

    with app.extensions["opendata"]["sessionmaker"]() as session:
        rec = new_record(slug="bus-ridership-series", kind="series", license="CC-BY-4.0",
                         title={"zh": "公交线路客运量", "en": "Bus ridership by line"},
                         publisher={"slug": "jh-transport"})
        ds, _ = save_record(session, rec)
        ds.created_at = NOW - dt.timedelta(days=30)
        search.index_dataset(session, ds)
        session.commit()
    transport = _by_slug(_evaluate(app, W48))["jh-transport"]
    league = {r["publisher"]: r for r in dashboard_data.league(app.extensions["opendata"]["sessionmaker"])}
    assert "bus-ridership-series" not in {d["slug"] for d in transport["items"]}
    assert transport["datasets"] == transport["assessed"] == league["jh-transport"]["datasets"]


def test_the_mail_says_when_it_names_only_some_of_a_findings_datasets(app, catalog):  # noqa: F811
    """The demo's statistics bureau got "缺少访问权限声明: 4 个数据集 (A, B, C)": three names for four datasets and
    nothing saying the list goes on (the report's page ends such a list with "…")."""
    from app.web.weekly import mail_renderer

    bodies = _by_slug(_evaluate(app, W47))
    body = next(b for b in bodies.values() if any(f["datasets"] > 3 for f in b["fix_first"][:weekly.FIX_FIRST_TYPES]))
    render = mail_renderer(app)
    for lang in ("en", "zh"):
        _subject, text, _html = render(body, lang)
        numbered = [line for line in text.splitlines() if line.split(". ", 1)[0].isdigit()]
        assert len(numbered) >= weekly.FIX_FIRST_TYPES
        for f, line in zip(body["fix_first"], numbered, strict=False):
            # the language's list separator and brackets: "(A, B, C, …)", "（甲、乙、丙、…）"
            assert line.endswith(", …)" if lang == "en" else "、…）") == (f["datasets"] > 3), (lang, line)
            assert ("（" in line and ", " not in line) if lang == "zh" else " (" in line, (lang, line)


def test_reports_reach_the_admins_by_email_and_a_failure_is_retried(app, catalog):  # noqa: F811
    make_user(app, "wang@transport.example", admin_of="jh-transport")
    make_user(app, "ed@transport.example", editor_of="jh-transport")  # editors do not get it
    en_admin = make_user(app, "li@transport.example", admin_of="jh-transport")
    with app.extensions["opendata"]["sessionmaker"]() as session:
        from catalog_schema.models import User
        session.get(User, en_admin).locale = "en"
        session.commit()
    settings = dict(app.config["OPENDATA"], SITE_URL="https://data.example.gov.cn")
    with SmtpServer() as smtp:
        smtp.handler.refuse.add("li@transport.example")
        summary = run_weekly({**settings, **smtp.settings()}, W48, True)
        assert summary["created"] and "jh-transport" in summary["created"]
        zh = [m for m in smtp.messages if "wang@transport.example" in m["To"]]
        assert len(zh) == 1 and len(smtp.messages) == 1  # the refused one was not delivered
        msg = zh[0]
        assert msg["Subject"] == f"每周评估 {W48}：京海市交通委员会"
        text = msg.get_body(("plain",)).get_content()
        with app.extensions["opendata"]["sessionmaker"]() as session:
            report = session.scalar(select(WeeklyReport).join(Publisher).where(WeeklyReport.week == W48,
                                                                               Publisher.slug == "jh-transport"))
            body = report.body
            assert report.sent_at is None and "li@transport.example" in report.send_error
            assert report.recipients == ["wang@transport.example"] and report.send_attempts == 1
        assert f"平均得分：{body['average_score']}" in text.replace(": ", "：")
        if body["average_stars"] is not None:  # two decimals, as the page says them (3.0 beside 2.83 in the text)
            assert f"平均星级：{body['average_stars']:.2f}" in text.replace(": ", "："), text
        assert f"https://data.example.gov.cn/dashboard/weekly/{W48}/jh-transport" in text
        top = body["fix_first"][0]["type"]
        assert f"https://data.example.gov.cn/dashboard/finding/{top}?publisher=jh-transport" in text
        assert "需要先修复" in text or "先修复" in text
        html = msg.get_body(("html",)).get_content()
        assert f'href="https://data.example.gov.cn/dashboard/weekly/{W48}/jh-transport"' in html
        for part in (text, re.sub(r"<[^>]+>", "", html)):  # Chinese punctuation, as the pages have it
            assert not re.findall(r".{0,8}(?:[\u4e00-\u9fff）][:;,]\s|[：。，][ \t]).{0,8}", part)

        # next run: the refused admin can receive now; only they get it, and the report is marked sent
        smtp.handler.refuse.clear()
        run_weekly({**settings, **smtp.settings()}, W48, True)
        assert len(smtp.messages) == 2
        en = smtp.messages[1]
        assert en["To"] == "li@transport.example"
        assert en["Subject"] == f"Weekly evaluation {W48}: Jinghai Municipal Transport Commission"
        assert "What to fix first" in en.get_body(("plain",)).get_content()
        with app.extensions["opendata"]["sessionmaker"]() as session:
            report = session.get(WeeklyReport, report.id)
            assert report.sent_at is not None and report.send_error is None and report.send_attempts == 2
            assert report.recipients == ["li@transport.example", "wang@transport.example"]
            assert report.body == body  # sending never changes the report
        run_weekly({**settings, **smtp.settings()}, W48, True)
        assert len(smtp.messages) == 2  # sent once


def test_a_mail_server_that_is_down_loses_no_report(app, catalog, client):  # noqa: F811
    import socket

    make_user(app, "wang@transport.example", admin_of="jh-transport")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = dict(app.config["OPENDATA"], SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2.0)
    summary = run_weekly(settings, W48, True)
    failed = [s for s in summary["sent"] if s["publisher"] == "jh-transport"]
    assert failed and "could not reach the mail server" in failed[0]["error"]
    nobody = [s for s in summary["sent"] if s["publisher"] == "jh-stats"]
    assert nobody[0]["error"] == "the publisher has no admin to send the report to"
    html = _html(client, f"/dashboard/weekly/{W48}/jh-transport?lang=en")
    assert "Not e-mailed yet: the last attempt failed" in html  # the report is there all the same
    assert "127.0.0.1" not in html.split("<footer")[0]  # the mail server's words are not published
    with SmtpServer() as smtp:
        run_weekly({**settings, **smtp.settings()}, None, True, now=weekly.week_end(W48) + dt.timedelta(days=1))
        assert [m["To"] for m in smtp.messages] == ["wang@transport.example"]  # retried on the next week's run
    assert "E-mailed to the publisher’s admins on" in _html(client, f"/dashboard/weekly/{W48}/jh-transport?lang=en")


def _opendata(db_url: str, instance, *args: str):
    import os

    from tests.support.cli import opendata

    env = {**os.environ, "OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(instance),
           "OPENDATA_RECHECK_PERIOD_DAYS": "0"}  # the schedule's re-checks are tests/app/test_recheck.py's
    return opendata(*args, env=env, cwd=instance)


def test_the_cli_and_the_scheduler_make_the_weekly_evaluation(db_url, app, tmp_path):
    with app.extensions["opendata"]["sessionmaker"]() as session:
        ensure_publisher(session, {"slug": "jh-archives", "name": {"zh": "京海市档案局"}})
        session.commit()
    out = _opendata(db_url, tmp_path, "evaluate", "weekly", "--week", W48, "--json")
    assert out.returncode == 0, out.stderr
    assert '"created": ["jh-archives"]' in out.stdout
    again = _opendata(db_url, tmp_path, "evaluate", "weekly", "--week", W48)
    assert again.returncode == 0 and "1 publisher reports, 0 new" in again.stdout
    bad = _opendata(db_url, tmp_path, "evaluate", "weekly", "--week", "48")
    assert bad.returncode != 0 and "not an ISO week" in bad.stderr
    zh = _opendata(db_url, tmp_path, "--lang", "zh", "evaluate", "weekly", "--week", "2026-W60")
    assert zh.returncode != 0 and "不是 ISO 周" in zh.stderr and "not an" not in zh.stderr
    # a week that has not ended is refused: its report would keep its partial figures for good
    running = weekly.week_of(dt.datetime.now(dt.UTC).date())
    for week in (running, weekly.week_of(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14))):
        early = _opendata(db_url, tmp_path, "evaluate", "weekly", "--week", week)
        assert early.returncode != 0 and "has not ended" in early.stderr, early.stdout
    # `opendata schedule` (cron) makes the last week that has ended, once, and sends what is due
    sched = _opendata(db_url, tmp_path, "schedule")
    assert sched.returncode == 0, sched.stderr
    expected = weekly.last_complete_week(dt.datetime.now(dt.UTC))
    assert f'"week": "{expected}"' in sched.stdout
    with app.extensions["opendata"]["sessionmaker"]() as session:
        assert set(session.scalars(select(WeeklyReport.week))) == {W48, expected}
        assert {r.send_error for r in session.scalars(select(WeeklyReport))} == {
            "the publisher has no admin to send the report to"}
    off = _opendata(db_url, tmp_path, "schedule")
    assert off.returncode == 0 and '"created": []' in off.stdout
    assert "no admin" not in off.stdout  # said once (an hourly cron printed it for every publisher, every run)


def test_celery_beat_runs_the_weekly_evaluation(app, tmp_path):
    """The beat schedule names the task, and the task (run here in-process, as a worker would) makes the last
    week's reports once."""
    from app.celery_app import make_celery

    celery = make_celery({**app.config["OPENDATA"], "BROKER_URL": "memory://"})
    assert celery.conf.beat_schedule["weekly-evaluation"]["task"] == "opendata.weekly_evaluation"
    with app.extensions["opendata"]["sessionmaker"]() as session:
        ensure_publisher(session, {"slug": "jh-archives", "name": {"zh": "京海市档案局"}})
        session.commit()
    task = celery.tasks["opendata.weekly_evaluation"]
    try:
        first = task.apply().get()
        assert first["week"] == weekly.last_complete_week(dt.datetime.now(dt.UTC))
        assert first["created"] == ["jh-archives"]
        assert task.apply().get()["created"] == []
    finally:
        from app import celery_app

        if celery_app._runtime is not None:  # the worker's runtime, on this test's database: not for the next
            celery_app._runtime.close()
            celery_app._runtime = None



def test_a_report_the_mail_server_did_not_take_fails_the_command(db_url, app, tmp_path):
    """`evaluate weekly --send` exited 0 when the mail server could not be reached, so a cron job never told
    anyone; a publisher with no admin is not a failure, and the command says how to give it one."""
    import os
    import socket

    from tests.support.cli import opendata

    with app.extensions["opendata"]["sessionmaker"]() as session:
        for slug in ("jh-archives", "jh-water"):
            ensure_publisher(session, {"slug": slug, "name": {"zh": slug}})
        session.commit()
    make_user(app, "wang@archives.example", admin_of="jh-archives")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    def run(port: int, *args: str):
        env = {**os.environ, "OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path),
               "OPENDATA_SMTP_HOST": "127.0.0.1", "OPENDATA_SMTP_PORT": str(port), "OPENDATA_SMTP_TIMEOUT": "2"}
        return opendata(*args, env=env, cwd=tmp_path)

    out = run(closed, "--lang", "zh", "evaluate", "weekly", "--week", W48, "--send")
    assert out.returncode == 1, out.stdout
    assert "jh-archives：未发送（无法连接邮件服务器 127.0.0.1" in out.stdout  # the mail error in zh too
    assert "opendata user grant EMAIL jh-water admin" in out.stdout and "部分报告未发送" in out.stderr
    as_json = run(closed, "evaluate", "weekly", "--week", W48, "--send", "--json")
    assert as_json.returncode == 1 and "could not reach the mail server" in as_json.stdout
    with SmtpServer() as smtp:
        sent = run(smtp.port, "evaluate", "weekly", "--week", W48, "--send")
        assert sent.returncode == 0 and "jh-archives: sent to wang@archives.example" in sent.stdout, sent.stdout
        assert [m["To"] for m in smtp.messages] == ["wang@archives.example"]
