"""The harvest commands as a user types them: source add, list, show, harvest --json."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from sqlalchemy import func, select

from catalog_schema.models import Dataset, HarvestJob, HarvestRecord
from tests.support.cli import Ran, opendata
from tests.support.two_harvests import JOB2, JOB2_KINDS, SOURCE, two_harvests

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "tests/fixtures/real/datajson/treasury_data.json"


def _run(env, *args) -> Ran:
    return opendata(*args, env=env)


def _env(db_url, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0", "OPENDATA_INSTANCE_DIR": str(tmp_path)})
    return env


def test_source_commands_and_harvest_json(db_url, tmp_path, local_server):
    env = _env(db_url, tmp_path)
    local_server.add_file("/data.json", TREASURY, "application/json")
    added = _run(env, "source", "add", "treasury", "--type", "datajson", "--url", local_server.url("/data.json"),
                 "--publisher", "us-treasury", "--schedule", "weekly")
    assert added.returncode == 0, added.stderr
    assert _run(env, "source", "add", "treasury", "--type", "datajson", "--url", "x").returncode != 0  # unique
    bad = _run(env, "source", "add", "odd", "--type", "ckan", "--url", "http://127.0.0.1/", "--config", "[1]")
    assert bad.returncode != 0 and "JSON object" in bad.stderr
    # a URL no harvest can read is refused when the source is added, not at its first harvest
    for url, said in (("ftp://x/y", "only http(s) URLs and local paths"), (str(tmp_path / "nowhere"),
                                                                         "no such file or folder"),
                      ("http:///data.json", "needs a host")):
        refused = _run(env, "source", "add", "odd", "--type", "dcat", "--url", url)
        assert refused.returncode == 1 and said in refused.stderr, (url, refused.stderr)
    # a CKAN portal's address with a query: the harvester's paths went after it (/ckan?api_key=K/api/action/...)
    for url in ("http://127.0.0.1/ckan?api_key=K", "http://127.0.0.1/ckan#top"):
        refused = _run(env, "source", "add", "odd", "--type", "ckan", "--url", url)
        assert refused.returncode == 1 and "without a query or a fragment" in refused.stderr, refused.stderr
        assert "api_key=K" not in _run(env, "source", "list").stdout
    moved = _run(env, "source", "edit", "treasury", "--url", local_server.url("/data.json") + "?v=2")
    assert moved.returncode == 0, moved.stderr  # another type's address may have a query
    assert _run(env, "source", "edit", "treasury", "--url", local_server.url("/data.json")).returncode == 0
    zh = _run(env, "--lang", "zh", "source", "add", "odd", "--type", "dcat", "--url", "ftp://x/y")
    assert zh.returncode == 1 and "只能采集 http(s) 网址和本地路径" in zh.stderr
    here = _run(env, "source", "add", "here", "--type", "datapackage", "--url", str(tmp_path))
    assert here.returncode == 0 and "set config.base_url" in here.stderr  # its files would be file:// addresses
    published = _run(env, "--lang", "zh", "source", "add", "published", "--type", "datapackage", "--url",
                     str(tmp_path), "--config", '{"base_url": "https://tjj.example.gov.cn/files/"}')
    assert published.returncode == 0 and "base_url" not in published.stderr, published.stderr
    # defaults that are not an object: every file failed at the harvest (in English), and the job "finished"
    flat = _run(env, "--lang", "zh", "source", "add", "flat", "--type", "datapackage", "--url", str(tmp_path),
                "--config", '{"defaults": "CC-BY-4.0"}')
    assert flat.returncode == 1 and "config.defaults 必须是" in flat.stderr, flat.stderr
    # defaults a harvest would only flag on every file are said when the source is added
    odd = json.dumps({"defaults": {"licence": "whatever licence", "frequency": "sometimes", "title": "T",
                                   "colour": "red", "language": "zh"}})
    warned = _run(env, "source", "add", "odd-defaults", "--type", "datapackage", "--url", str(tmp_path),
                  "--config", odd)
    assert warned.returncode == 0, warned.stderr
    for said in ("licence 'whatever licence': licence not recognised", "frequency 'sometimes'",
                 "title 'T': not a field a default can be given for", "colour 'red'"):
        assert said in warned.stderr, (said, warned.stderr)
    assert "language" not in warned.stderr
    zh = _run(env, "--lang", "zh", "source", "add", "odd-zh", "--type", "datapackage", "--url", str(tmp_path),
              "--config", odd)
    assert "这个字段不能设默认值" in zh.stderr and "警告" in zh.stderr, zh.stderr

    result = _run(env, "harvest", "treasury", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"source", "job_id", "status", "added", "updated", "unchanged", "withdrawn", "errored",
                            "since"}
    assert summary["since"] is None  # a data.json source is read whole each time: no incremental start
    assert (summary["source"], summary["status"], summary["added"]) == ("treasury", "finished", 233)
    again = json.loads(_run(env, "harvest", "treasury", "--json").stdout)
    # read whole again: its summary said "since" the last gather and "incremental: only what the source changed"
    assert again["unchanged"] == 233 and again["since"] is None, again
    for lang in ("en", "zh"):
        text = _run(env, "--lang", lang, "harvest", "treasury").stdout
        assert "233" in text and "incremental" not in text and "增量" not in text, text

    listed = json.loads(_run(env, "source", "list", "--json").stdout)
    assert [(s["name"], s["type"], s["schedule"], s["publisher"]) for s in listed] == [
        ("here", "datapackage", "manual", None), ("odd-defaults", "datapackage", "manual", None),
        ("odd-zh", "datapackage", "manual", None), ("published", "datapackage", "manual", None),
        ("treasury", "datajson", "weekly", "us-treasury")]
    assert listed[4]["last_job"]["unchanged"] == 233
    # the same instant written the same way on every database (SQLite's read "…T20:11:13.619372", no offset)
    finished = dt.datetime.fromisoformat(listed[4]["last_job"]["finished_at"])
    assert finished.utcoffset() == dt.timedelta(0) and abs(dt.datetime.now(dt.UTC) - finished).total_seconds() < 600
    # the text says it to the minute, as `source show` does (the JSON keeps the instant whole)
    assert f"finished {finished.strftime('%Y-%m-%d %H:%M')}  " in _run(env, "source", "list").stdout
    shown = _run(env, "source", "show", "treasury")
    assert "job 4 finished" in shown.stdout and "job 2 finished" in shown.stdout and "job 1 finished" in shown.stdout

    missing = _run(env, "harvest", "nope")
    assert missing.returncode != 0 and "no harvest source named 'nope'" in missing.stderr


def test_a_source_name_no_page_or_api_can_address_is_refused(db_url, tmp_path, session):
    """`source add ""` and `source add a/b` were taken: /harvest/source/NAME and /api/v1/harvest/sources/NAME
    could not reach them; "feed " beside "feed" was a second source no one could tell apart."""
    from catalog_schema.models import HarvestSource

    env = _env(db_url, tmp_path)
    for name in ("", "  ", "a/b", "feed ", "tab\there"):
        out = _run(env, "source", "add", name, "--type", "ckan", "--url", "http://127.0.0.1/")
        assert out.returncode == 1 and "name" in out.stderr and "Traceback" not in out.stderr, (name, out.stderr)
    zh = _run(env, "--lang", "zh", "source", "add", "a/b", "--type", "ckan", "--url", "http://127.0.0.1/")
    assert zh.returncode == 1 and "不能用作采集源名称" in zh.stderr, zh.stderr
    assert session.scalars(select(HarvestSource.name)).all() == []
    ok = _run(env, "source", "add", "京海交通 ckan", "--type", "ckan", "--url", "http://127.0.0.1/")
    assert ok.returncode == 0, ok.stderr


def test_a_source_publisher_given_by_its_name_gets_a_slug_ckan_accepts(db_url, tmp_path, local_server):
    """`source add --publisher 京海市统计局` stored "京海市统计局" as the publisher's slug, and "Bad Slug!" became
    /publisher/Bad%20Slug!: an organization name no CKAN client accepts. A slug is a slug; anything else is the
    publisher's name (an existing publisher of that name, or a new one with a slug made for it)."""
    env = _env(db_url, tmp_path)
    local_server.add_file("/data.json", TREASURY, "application/json")
    for name, publisher in (("by-name", "京海市统计局"), ("by-words", "Bad Slug!"), ("by-slug", "us-treasury"),
                            ("again", "us-treasury"), ("same-name", "京海市统计局")):
        added = _run(env, "source", "add", name, "--type", "datajson", "--url", local_server.url("/data.json"),
                     "--publisher", publisher)
        assert added.returncode == 0, added.stderr
    listed = {s["name"]: s["publisher"] for s in json.loads(_run(env, "source", "list", "--json").stdout)}
    assert listed["by-slug"] == listed["again"] == "us-treasury" and listed["by-name"] == listed["same-name"]
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]+", slug) for slug in listed.values()), listed


def test_source_show_reports_the_last_jobs_changes_and_errors(db_url, tmp_path, runtime, add_source, local_server,
                                                               fixtures_dir):
    """Two real harvests of a CKAN source; `source show --json` is the report, its figures the database's, and
    the text form lists the same, with the source's text made harmless for a terminal."""
    first, second = two_harvests(runtime, add_source, local_server, fixtures_dir)
    env = _env(db_url, tmp_path)
    shown = _run(env, "source", "show", SOURCE, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    with runtime.sessionmaker() as session:
        jobs = session.scalars(select(HarvestJob).order_by(HarvestJob.id.desc())).all()
        assert [(j["id"], j["status"], j["added"], j["updated"], j["unchanged"], j["withdrawn"], j["errored"])
                for j in report["jobs"]] == [(j.id, j.status, j.added, j.updated, j.unchanged, j.withdrawn,
                                              j.errored) for j in jobs]
        rows = session.execute(select(HarvestRecord.remote_id, HarvestRecord.status, HarvestRecord.error,
                                      Dataset.slug)
                               .outerjoin(Dataset, Dataset.id == HarvestRecord.dataset_id)
                               .where(HarvestRecord.job_id == jobs[0].id).order_by(HarvestRecord.id)).all()
    assert [j["id"] for j in report["jobs"]] == [second["job_id"], first["job_id"]]
    latest = report["latest"]
    for key in ("added", "updated", "withdrawn"):
        expected = [(r.remote_id, r.slug) for r in rows if r.status in (
            ("updated", "restored") if key == "updated" else (key,))]
        assert [(i["remote_id"], i["dataset"]) for i in latest[key]["items"]] == expected
        assert [remote_id for remote_id, _slug in expected] == JOB2[key]
    errors = {r.remote_id: r.error for r in rows if r.status == "errored"}
    assert [(k["stage"], k["kind"], k["count"], k["example"]["remote_id"]) for k in latest["errors"]["kinds"]] \
        == JOB2_KINDS
    assert [k["example"]["error"] for k in latest["errors"]["kinds"]] == [errors[k[3]] for k in JOB2_KINDS]

    text = _run(env, "source", "show", SOURCE, "--jobs", "1", "--titles", "1")
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert f"job {second['job_id']} finished" in out and f"job {first['job_id']} " not in out
    assert "added=2 updated=1 unchanged=2 withdrawn=1 errored=4" in out
    assert "  added (2):\n    New <script>alert(1)</script> [" in out and out.count("and 1 more") == 1
    # said from the msgid in English too: no "ValueError: " (Python's word), the message's own text whole
    kind = JOB2_KINDS[0][1].removeprefix("ValueError: ")
    assert f"    2 x [import] {kind}" in out and "e.g. p4: record does not match the catalog schema" in out
    assert "ValueError" not in out
    full = _run(env, "source", "show", SOURCE).stdout
    assert "\x1b" not in full and "New \\x1b[2J" in full  # the escape sequence spelled out, not sent
    assert "and 1 more" not in full
    missing = _run(env, "source", "show", "nope")
    assert missing.returncode != 0 and "no source named 'nope'" in missing.stderr


def test_the_progress_line_is_in_the_commands_language(capsys):
    from app.cli_lang import set_lang
    from app.commands.harvest import _Progress

    set_lang("zh")
    try:
        progress = _Progress()
        for status in ("unchanged", "errored", "unchanged", "added"):
            progress(status, "r")
    finally:
        set_lang("en")
    line = capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert line == "4 条记录  新增 1 出错 1 未变化 2", line  # it read "4 条记录  added=1 errored=1 unchanged=2"


def test_schedule_exits_1_when_a_due_harvest_failed(db_url, tmp_path, local_server, session):
    """`opendata schedule` (an hourly cron) exited 0 when a due source's harvest failed: the failure was only in
    its JSON lines. The other sources still run; the exit status and a last line say what failed."""
    env = {**_env(db_url, tmp_path), "OPENDATA_RECHECK_PERIOD_DAYS": "0", "OPENDATA_WEEKLY_EVALUATION": "0",
           "OPENDATA_DIGESTS": "0", "OPENDATA_HTTP_RETRIES": "0"}
    local_server.add_file("/data.json", TREASURY, "application/json")
    assert _run(env, "source", "add", "good", "--type", "datajson", "--url", local_server.url("/data.json"),
                "--schedule", "daily").returncode == 0
    assert _run(env, "source", "add", "gone", "--type", "datajson", "--url", local_server.url("/missing.json"),
                "--schedule", "daily").returncode == 0
    ran = _run(env, "--lang", "zh", "schedule")
    assert ran.returncode == 1, ran.stdout
    assert "失败或等待您处理：gone" in ran.stderr and "good" not in ran.stderr.split("失败")[1], ran.stderr
    statuses = {json.loads(line)["source"]: json.loads(line)["status"] for line in ran.stdout.splitlines()
                if line.startswith('{"source"')}
    assert statuses == {"good": "finished", "gone": "failed"}
    again = _run(env, "schedule")  # nothing due: nothing failed
    assert again.returncode == 0 and again.stderr == "", again.stderr


def test_a_relative_local_path_is_kept_absolute(db_url, tmp_path):
    """`source add --url tables` (a folder beside the operator) was stored as "tables": checked from the folder the
    command ran in, it was harvested from wherever cron or a worker ran, and failed "no such file" there."""
    env = _env(db_url, tmp_path)
    (tmp_path / "office" / "tables").mkdir(parents=True)
    (tmp_path / "office" / "tables" / "roads.csv").write_text("road,km\nA1,12\n", "utf-8")
    added = opendata("source", "add", "tables", "--type", "datapackage", "--url", "tables", env=env,
                     cwd=tmp_path / "office")
    assert added.returncode == 0 and str(tmp_path / "office" / "tables") in added.stdout, added.stderr
    listed = json.loads(_run(env, "source", "list", "--json").stdout)
    assert [s["url"] for s in listed] == [str(tmp_path / "office" / "tables")]
    elsewhere = tmp_path / "cron"
    elsewhere.mkdir()
    ran = opendata("harvest", "tables", "--json", env=env, cwd=elsewhere)
    assert ran.returncode == 0 and json.loads(ran.stdout)["added"] == 1, ran.stdout + ran.stderr


def test_a_source_the_guard_refuses_is_said_in_the_commands_language(db_url, tmp_path):
    """A source on a loopback or private address (OPENDATA_ALLOW_HOSTS not naming it) failed with the guard's
    English ("refused to fetch ...: 127.0.0.1 is a loopback address ...") inside the Chinese sentence."""
    env = {**_env(db_url, tmp_path), "OPENDATA_ALLOW_HOSTS": ""}
    assert _run(env, "source", "add", "inside", "--type", "ckan", "--url", "http://127.0.0.1:9/").returncode == 0
    zh = _run(env, "--lang", "zh", "harvest", "inside")
    assert zh.returncode == 1 and "127.0.0.1 不是公网地址" in zh.stdout, zh.stdout
    assert "OPENDATA_ALLOW_HOSTS" in zh.stdout
    assert "refused to fetch" not in zh.stdout
    shown = _run(env, "--lang", "zh", "source", "show", "inside").stdout
    assert "127.0.0.1 不是公网地址" in shown, shown
    en = _run(env, "harvest", "inside")
    assert en.returncode == 1 and "127.0.0.1 is not a public address" in en.stdout, en.stdout


def test_a_publisher_slug_typed_wrong_is_refused_with_the_ones_meant(db_url, tmp_path, local_server):
    """`source add --publisher us-treasur` (one letter short) made a second publisher, "us-treasur", and every
    dataset of the source went to it without a word. A name close to a known publisher's is refused, naming it;
    --new-publisher says it is a new one; a new publisher is said when it is created."""
    env = _env(db_url, tmp_path)
    local_server.add_file("/data.json", TREASURY, "application/json")
    url = local_server.url("/data.json")
    first = _run(env, "source", "add", "treasury", "--type", "datajson", "--url", url, "--publisher", "us-treasury")
    assert first.returncode == 0 and "created publisher us-treasury" in first.stdout, first.stdout
    again = _run(env, "source", "add", "treasury-2", "--type", "datajson", "--url", url, "--publisher", "us-treasury")
    assert again.returncode == 0 and "created publisher" not in again.stdout, again.stdout
    for typo in ("us-treasur", "US-Treasury", "us-tresury"):
        refused = _run(env, "source", "add", f"t-{typo}", "--type", "datajson", "--url", url, "--publisher", typo)
        assert refused.returncode == 1, (typo, refused.stdout)
        assert "did you mean us-treasury?" in refused.stderr and "--new-publisher" in refused.stderr, refused.stderr
    zh = _run(env, "--lang", "zh", "source", "add", "t-zh", "--type", "datajson", "--url", url,
              "--publisher", "us-treasur")
    assert zh.returncode == 1 and "us-treasury" in zh.stderr and "did you mean" not in zh.stderr, zh.stderr
    assert "--new-publisher" in zh.stderr
    meant = _run(env, "source", "add", "treasury-3", "--type", "datajson", "--url", url, "--publisher", "us-treasur",
                 "--new-publisher")
    assert meant.returncode == 0 and "created publisher us-treasur" in meant.stdout, meant.stderr
    other = _run(env, "source", "add", "stats", "--type", "datajson", "--url", url, "--publisher", "jh-stats")
    assert other.returncode == 0 and "created publisher jh-stats" in other.stdout, other.stderr
    listed = {s["name"]: s["publisher"] for s in json.loads(_run(env, "source", "list", "--json").stdout)}
    assert listed == {"treasury": "us-treasury", "treasury-2": "us-treasury", "treasury-3": "us-treasur",
                      "stats": "jh-stats"}, listed


def test_source_edit_fixes_a_source_and_disable_stops_its_schedule(db_url, tmp_path, local_server, session):
    """A source registered with a wrong address, a mistyped publisher or a schedule no longer wanted could not be
    changed but in the database. `source edit` changes it, checking what `source add` checks; the platform's own
    config (the detached records) survives a new --config; --disable stops the scheduler, keeping everything."""
    from catalog_schema.models import HarvestJob as Job
    from catalog_schema.models import HarvestSource

    env = {**_env(db_url, tmp_path), "OPENDATA_RECHECK_PERIOD_DAYS": "0", "OPENDATA_WEEKLY_EVALUATION": "0",
           "OPENDATA_DIGESTS": "0", "OPENDATA_HTTP_RETRIES": "0"}
    local_server.add_file("/data.json", TREASURY, "application/json")
    wrong = local_server.url("/data.jsn")
    assert _run(env, "source", "add", "treasury", "--type", "datajson", "--url", wrong, "--publisher", "us-treasury",
                "--schedule", "daily").returncode == 0
    assert _run(env, "harvest", "treasury").returncode == 1  # the wrong address: the job failed
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == "treasury"))
    src.config, src.last_gathered_at = {"detached": ["abc"]}, dt.datetime(2026, 1, 1)
    session.commit()

    nothing = _run(env, "source", "edit", "treasury")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    for args, said in ((["--url", "ftp://127.0.0.1/x"], "only http(s) URLs"),
                       (["--publisher", "us-treasur"], "did you mean us-treasury?"),
                       (["--config", "[1]"], "JSON object"),
                       (["--config", '{"defaults": "CC-BY-4.0"}'], "config.defaults must be a JSON object")):
        refused = _run(env, "source", "edit", "treasury", *args)
        assert refused.returncode == 1 and said in refused.stderr, (args, refused.stderr)
    missing = _run(env, "--lang", "zh", "source", "edit", "nope", "--schedule", "weekly")
    assert missing.returncode == 1 and "nope" in missing.stderr and "no harvest source" not in missing.stderr

    fixed = _run(env, "source", "edit", "treasury", "--url", local_server.url("/data.json"), "--schedule", "weekly",
                 "--config", '{"defaults": {"licence": "CC-BY-4.0"}}')
    assert fixed.returncode == 0 and "changed source treasury: URL, config, schedule" in fixed.stdout, fixed.stderr
    session.expire_all()
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == "treasury"))
    assert src.url == local_server.url("/data.json") and src.schedule == "weekly" and src.last_gathered_at is None
    assert src.config == {"defaults": {"licence": "CC-BY-4.0"}, "detached": ["abc"]}
    same = _run(env, "--lang", "zh", "source", "edit", "treasury", "--schedule", "weekly")
    assert same.returncode == 0 and "没有改变" in same.stdout, same.stdout

    assert _run(env, "source", "edit", "treasury", "--schedule", "daily", "--disable").returncode == 0
    listed = _run(env, "source", "list")
    assert re.search(r"^treasury\s+datajson\s+disabled", listed.stdout, re.M), listed.stdout
    assert json.loads(_run(env, "source", "list", "--json").stdout)[0]["enabled"] is False
    jobs = session.scalar(select(func.count()).select_from(Job))
    assert _run(env, "schedule").returncode == 0  # due daily, but disabled: not harvested
    assert session.scalar(select(func.count()).select_from(Job)) == jobs
    assert _run(env, "harvest", "treasury").returncode == 0  # a manual harvest still can
    assert _run(env, "source", "edit", "treasury", "--enable").returncode == 0

    session.add(Job(source_id=src.id, status="running", worker=f"{os.uname().nodename}:{os.getpid()}",
                    started_at=dt.datetime.now(dt.UTC), heartbeat_at=dt.datetime.now(dt.UTC)))
    session.commit()
    busy = _run(env, "source", "edit", "treasury", "--schedule", "manual")
    assert busy.returncode == 1 and "running; change it when the job has ended" in busy.stderr, busy.stderr


def test_a_sheets_error_is_said_once_in_the_source_report(db_url, tmp_path):
    """`source show` said a sheet's error as "e.g. 元数据.xlsx: 元数据.xlsx: not an XLSX file ...": the record's id
    and the message that names the sheet itself. Now the sheet is named once; a record's id is still said before a
    message that does not name it."""
    env = _env(db_url, tmp_path)
    folder = tmp_path / "bureau"
    folder.mkdir()
    (folder / "人口.csv").write_text("区县,人口\n婺城区,100\n", "utf-8")
    (folder / "元数据.xlsx").write_bytes(b"this is no workbook")
    assert _run(env, "source", "add", "bureau", "--type", "datapackage", "--url", str(folder)).returncode == 0
    assert _run(env, "harvest", "bureau").returncode in (0, 1, 2)
    out = _run(env, "source", "show", "bureau").stdout
    said = [line.strip() for line in out.splitlines() if line.strip().startswith("e.g.")]
    assert said and said[0].startswith("e.g. 元数据.xlsx: not an XLSX file"), said
    assert "元数据.xlsx: 元数据.xlsx" not in out
