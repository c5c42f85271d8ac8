"""Harvest errors in the reader's language (issue 17): a HarvestError keeps its msgid and parameters, the job
and record rows keep them beside the English text (`error_detail`), and the pages and the command line say
them in Chinese under zh, in English as before under en; `str(exc)` and the stored `error` stay English."""

from __future__ import annotations

import ast
import http.server
import json
import os
import pickle
import re
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli_lang import gettext as cli_gettext
from app.cli_lang import has_translation
from app.jobs import harvest
from catalog_schema import harvest_store
from catalog_schema.models import HarvestJob, HarvestRecord, HarvestSource
from harvesters.base import HarvestError
from harvesters.messages import N_, Message, error_detail, render
from harvesters.reading import not_a_catalog, read
from tests.support.cli import opendata

ROOT = Path(__file__).resolve().parents[2]
WEB_PAGE = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Open data</title></head>"
            b"<body><h1>Our open data</h1></body></html>")


def _zh(msgid: str) -> str:
    return cli_gettext(msgid, "zh")


def _msgids(tree: ast.AST) -> list[str]:
    """The texts marked `N_("...")` in a module."""
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def test_every_harvest_error_is_marked_and_translated():
    """No HarvestError is built from an f-string any more, and every msgid of harvesters/ has its Chinese."""
    marked, unmarked = [], []
    for path in sorted((ROOT / "harvesters").glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        marked += _msgids(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "HarvestError" \
                    and node.args and not (isinstance(node.args[0], ast.Call) and node.args[0].func.id == "N_") \
                    and not (isinstance(node.args[0], ast.Name) and node.args[0].id == "msgid"):  # unpickling
                unmarked.append(f"{path.name}:{node.lineno}")
    assert not unmarked
    assert len(set(marked)) >= 40
    assert [m for m in marked if not has_translation(m)] == []


def test_the_english_sentence_is_what_it_was_and_the_detail_keeps_the_msgid(tmp_path):
    with pytest.raises(HarvestError) as caught:
        read(str(tmp_path / "gone"), None)
    exc = caught.value
    assert str(exc) == f"{tmp_path / 'gone'}: no such file" == exc.args[0]
    detail = error_detail(exc)
    assert detail == {"msgid": "%(url)s: no such file", "params": {"url": str(tmp_path / "gone")}}
    assert json.loads(json.dumps(detail)) == detail
    assert render(detail, str(exc), _zh) == f"{tmp_path / 'gone'}：没有这个文件"
    assert render(detail, str(exc), lambda m: m) == str(exc)

    found = not_a_catalog("http://127.0.0.1:9/c.ttl", WEB_PAGE, N_("a DCAT catalog"))
    assert str(found) == "http://127.0.0.1:9/c.ttl: this is a web page (HTML), not a DCAT catalog"
    assert render(error_detail(found), str(found), _zh) == "http://127.0.0.1:9/c.ttl：这是网页（HTML），不是 DCAT 目录"
    said = not_a_catalog("http://127.0.0.1:9/x", b'{"message": "Missing Authentication Token"}', status=403)
    assert str(said) == ("http://127.0.0.1:9/x: the server answered with an error (HTTP 403): Missing Authentication "
                         "Token")
    assert render(error_detail(said), str(said), _zh) == \
        "http://127.0.0.1:9/x：服务器返回了错误（HTTP 403）：Missing Authentication Token"

    again = pickle.loads(pickle.dumps(found))  # a worker's exception keeps its msgid
    assert str(again) == str(found) and error_detail(again) == error_detail(found)
    assert error_detail(ValueError("x")) is None


def test_a_detail_that_cannot_be_read_shows_the_stored_text():
    assert render(None, "old text", _zh) == "old text"
    assert render({"msgid": "%(url)s: no such file", "params": {}}, "kept", _zh) == "kept"  # a missing parameter
    assert render({"params": {}}, "kept", _zh) == "kept"
    assert render({"msgid": "not in the catalog", "params": {}}, "kept", _zh) == "not in the catalog"
    assert Message("%(a)s%%", a=1) == "1%"


def _failed_job(runtime, add_source, tmp_path) -> tuple[int, str]:
    """A folder source whose folder does not exist: the job fails saying so; plus one errored record row
    with a HarvestError's detail and one without (rows from before 0017)."""
    url = str(tmp_path / "no-such-folder")
    add_source("src", "datapackage", url)
    summary = harvest(runtime, "src")
    assert (summary.status, summary.error) == ("failed", f"{url}: no such file")
    assert summary.error_detail == {"msgid": "%(url)s: no such file", "params": {"url": url}}
    with runtime.sessionmaker() as session:
        job = session.get(HarvestJob, summary.job_id)
        assert (job.error, job.error_detail) == (summary.error, summary.error_detail)
        exc = HarvestError(N_("%(url)s: is a folder, not a document"), url="http://127.0.0.1:9/dir")
        harvest_store.record_error(session, job.id, "r1", payload=None, stage="fetch", error=str(exc),
                                   error_detail=error_detail(exc))
        harvest_store.record_error(session, job.id, "r2", payload=None, stage="import", error="ValueError: old row")
        session.commit()
        assert session.scalar(select(HarvestRecord.error_detail).where(HarvestRecord.remote_id == "r2")) is None
    return summary.job_id, url


def test_the_pages_say_a_harvest_error_in_the_readers_language(client, runtime, add_source, tmp_path):
    job_id, url = _failed_job(runtime, add_source, tmp_path)
    for path in (f"/harvest/job/{job_id}", "/harvest/source/src"):
        zh = client.get(f"{path}?lang=zh_CN").get_data(as_text=True)
        assert f"{url}：没有这个文件" in zh and f"{url}: no such file" not in zh, path
        assert "http://127.0.0.1:9/dir：这是文件夹，不是文档" in zh
        assert "ValueError: old row" in zh  # no detail: the text as it was
        en = client.get(f"{path}?lang=en").get_data(as_text=True)
        assert f"{url}: no such file" in en and "没有这个文件" not in en, path
        assert "http://127.0.0.1:9/dir: is a folder, not a document" in en
    zh = client.get("/harvest/source/src?lang=zh_CN").get_data(as_text=True)
    assert "&lt;url&gt;：这是文件夹，不是文档" in zh  # the kind, said in Chinese too
    assert "&lt;url&gt;: is a folder, not a document" in client.get("/harvest/source/src?lang=en").get_data(
        as_text=True)
    report = client.get("/api/v1/harvest/sources/src/report?lang=zh").get_json()  # the API keeps English
    assert report["jobs"][0]["error"] == f"{url}: no such file" and "error_detail" not in report["jobs"][0]


def test_the_command_line_says_a_harvest_error_in_its_language(runtime, add_source, tmp_path, db_url):
    job_id, url = _failed_job(runtime, add_source, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0", "OPENDATA_INSTANCE_DIR": str(tmp_path)})
    zh = opendata("--lang", "zh", "source", "show", "src", env=env)
    assert zh.returncode == 0, zh.stderr
    assert f"{url}：没有这个文件" in zh.stdout and "http://127.0.0.1:9/dir：这是文件夹，不是文档" in zh.stdout
    assert "<url>：这是文件夹，不是文档" in zh.stdout and "ValueError: old row" in zh.stdout
    en = opendata("--lang", "en", "source", "show", "src", env=env)
    assert f"{url}: no such file" in en.stdout and "没有这个文件" not in en.stdout
    shown = json.loads(opendata("--lang", "zh", "source", "show", "src", "--json", env=env).stdout)
    assert shown["jobs"][0]["error"] == f"{url}: no such file" and "error_detail" not in shown["jobs"][0]

    ran = opendata("--lang", "zh", "harvest", "src", env=env)
    assert ran.returncode == 1 and f"{url}：没有这个文件" in ran.stdout, (ran.stdout, ran.stderr)
    ran = opendata("--lang", "en", "harvest", "src", env=env)
    assert ran.returncode == 1 and f"{url}: no such file" in ran.stdout
    as_json = json.loads(opendata("--lang", "zh", "harvest", "src", "--json", env=env).stdout)
    assert as_json["error"] == f"{url}: no such file" and "error_detail" not in as_json


def test_migration_0017_round_trip(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from catalog_schema import db as dbmod

    url = f"sqlite:///{tmp_path / 'm.db'}"
    dbmod.upgrade(url)

    def columns() -> dict[str, set[str]]:
        engine = dbmod.make_engine(url)
        try:
            found = inspect(engine)
            return {t: {c["name"] for c in found.get_columns(t)} for t in ("harvest_jobs", "harvest_records")}
        finally:
            engine.dispose()

    assert all("error_detail" in names for names in columns().values())
    command.downgrade(dbmod.alembic_config(url), "0016")
    assert not any("error_detail" in names for names in columns().values())
    command.upgrade(dbmod.alembic_config(url), "head")
    assert all("error_detail" in names for names in columns().values())
    dbmod.check(url)


def test_a_withdrawal_held_back_is_said_in_chinese_too(runtime, add_source, local_server, fixtures_dir):
    """The needs-confirmation sentence keeps its msgid, in one process and through the distributed gather's
    hold_back (an incremental CKAN run that lists no ids)."""
    from tests.support.ckan_server import FakeCkan, real_packages

    fake = FakeCkan(local_server, real_packages(fixtures_dir, 12))
    add_source("bham", "ckan", fake.url)
    assert harvest(runtime, "bham").added == 12
    del fake.packages[:]
    held = harvest(runtime, "bham")
    assert held.status == "needs-confirmation" and held.error.startswith("bham no longer lists 12 of the 12 datasets")
    assert render(held.error_detail, held.error, lambda m: m) == held.error
    zh = render(held.error_detail, held.error, _zh)
    assert zh.startswith("bham 不再列出本目录从该来源采集的 12 个数据集中的 12 个（占 100%")
    assert "没有撤回任何数据集" in zh
    with runtime.sessionmaker() as session:
        job = session.get(HarvestJob, held.job_id)
        assert (job.error, job.error_detail) == (held.error, held.error_detail)


def test_a_dead_job_is_said_in_the_readers_language(client, runtime, add_source, tmp_path):
    """A job whose process is gone, or whose heartbeat stopped, fails with a sentence kept with its msgid: the
    stored English as it always was, the pages in Chinese under zh."""
    import datetime as dt

    add_source("src", "datapackage", str(tmp_path / "x"))
    with runtime.sessionmaker() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == "src"))
        beat = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
        gone = HarvestJob(source_id=source.id, status="running", worker="this-host:4242", heartbeat_at=beat)
        stale = HarvestJob(source_id=source.id, status="running", heartbeat_at=beat)
        session.add_all([gone, stale])
        session.flush()
        dead = harvest_store.fail_dead_jobs(session, dead_after=dt.timedelta(seconds=30), host="this-host",
                                            alive=lambda pid: False, now=beat + dt.timedelta(minutes=5))
        session.commit()
        assert sorted(dead) == sorted([gone.id, stale.id])
        assert gone.error == "the harvest process this-host:4242 is gone (killed or crashed); run it again"
        assert stale.error == ("its queued batches stopped: no heartbeat since 2026-12-01T08:00:00+00:00; "
                               "run it again")
        ids = gone.id, stale.id
    zh = client.get(f"/harvest/job/{ids[0]}?lang=zh_CN").get_data(as_text=True)
    assert "采集进程 this-host:4242 已不存在（被终止或崩溃）；请重新运行" in zh
    zh = client.get(f"/harvest/job/{ids[1]}?lang=zh_CN").get_data(as_text=True)
    assert "排队中的批次已停止：自 2026-12-01T08:00:00+00:00 起没有心跳；请重新运行" in zh
    en = client.get(f"/harvest/job/{ids[1]}?lang=en").get_data(as_text=True)
    assert "its queued batches stopped: no heartbeat since 2026-12-01T08:00:00+00:00; run it again" in en


def test_a_harvests_withdrawal_reason_is_said_in_the_readers_language(client, runtime):
    """The tombstone of a dataset its source stopped listing says why in Chinese under zh; a reason a person
    typed is shown as typed."""
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record, set_lifecycle
    from harvesters.base import WITHDRAWN_REASON

    with runtime.sessionmaker() as session:
        for slug, reason in (("gone-at-source", str(Message(WITHDRAWN_REASON, source="city-ckan", job=7))),
                             ("typed", "Replaced by the 2025 edition")):
            ds, _ = save_record(session, new_record(slug=slug, title={"en": slug}, license="CC-BY-4.0"))
            set_lifecycle(ds, "withdrawn", reason=reason)
        session.commit()
    assert str(Message(WITHDRAWN_REASON, source="city-ckan", job=7)) == \
        "No longer listed by its source city-ckan (harvest job 7)."  # the stored English, as before
    page = {"Accept": "text/html"}  # a person's browser (machines get the tombstone as JSON)
    zh = client.get("/dataset/gone-at-source?lang=zh_CN", headers=page)
    assert zh.status_code == 410
    zh = zh.get_data(as_text=True)
    assert "其采集源 city-ckan 已不再列出此数据集（采集任务 7）。" in zh
    en = client.get("/dataset/gone-at-source?lang=en", headers=page).get_data(as_text=True)
    assert "No longer listed by its source city-ckan (harvest job 7)." in en
    typed = client.get("/dataset/typed?lang=zh_CN", headers=page).get_data(as_text=True)
    assert "Replaced by the 2025 edition" in typed
    # the headline says who withdrew it: the source for a harvest's withdrawal, the publisher otherwise
    assert "其采集来源不再列出该数据集" in zh and "发布部门已撤回" not in zh
    assert "The source it was harvested from no longer lists it" in en and "Its publisher withdrew it" not in en
    assert "发布部门已撤回该数据集" in typed
    error = client.get("/dataset/gone-at-source", headers={"Accept": "application/json"}).get_json()["error"]
    assert "no longer lists it" in error["message"] and "采集来源不再列出" in error["message_zh"]
    error = client.get("/dataset/typed", headers={"Accept": "application/json"}).get_json()["error"]
    assert "withdrawn by its publisher" in error["message"]


def test_a_metadata_sheets_row_errors_are_said_in_the_readers_language(client, runtime, add_source, tmp_path):
    """A folder's metadata sheet with rows that cannot be used: the stored English is word for word as before,
    the job page says each row's problems in Chinese under zh (what the row held stays as written)."""
    from tests.harvesters.test_files import DEFAULTS, _folder

    add_source("tjj", "datapackage", str(_folder(tmp_path)), publisher="jh-stats", config={"defaults": DEFAULTS})
    summary = harvest(runtime, "tjj").to_dict()
    with runtime.sessionmaker() as session:
        rows = {r.remote_id: r for r in session.scalars(select(HarvestRecord).where(
            HarvestRecord.job_id == summary["job_id"], HarvestRecord.status == "errored"))}
    row4, row5 = rows["metadata.csv#row-4"], rows["metadata.csv#row-5"]
    # each column named as the sheet heads it (许可协议, not the field's English name)
    assert row4.error.startswith("ValueError: metadata.csv row 4: 许可协议 '京海市开放许可': licence not recognised; ")
    assert row5.error_detail["msgid"] == "%(sheet)s row %(row)s: %(problems)s"
    zh = client.get(f"/harvest/job/{summary['job_id']}?lang=zh_CN").get_data(as_text=True)
    assert "metadata.csv 第 4 行：许可协议 &#39;京海市开放许可&#39;：无法识别的许可协议；时间范围 &#39;2023-2020&#39;" \
        in zh
    assert "metadata.csv 第 5 行：此采集源中没有文件 &#39;missing.csv&#39;" in zh
    assert "阶段：收集" in zh and ": gather" not in zh  # the stage too
    en = client.get(f"/harvest/job/{summary['job_id']}?lang=en").get_data(as_text=True)
    assert "no file &#39;missing.csv&#39; in this source" in en and "此采集源" not in en
    # the date range's reason: said once, and in Chinese too (it was "'2023-2020': '2023-2020': the range ...")
    assert "&#39;2023-2020&#39;: the range ends before it starts" in en and "&#39;2023-2020&#39;: &#39;" not in en
    assert "范围的结束早于开始" in zh


def test_an_error_row_keeps_its_message_through_a_task_message():
    """On workers the gather's items travel as JSON: an error row's msgid and parameters go with it."""
    from harvesters.base import RemoteItem
    from harvesters.distributed import decode_item, encode_item

    said = Message(N_("%(sheet)s row %(row)s: %(problems)s"), sheet="s.csv", row=3,
                   problems=Message(N_("no file %(file)s in this source"), file="'x.csv'"))
    back = decode_item(json.loads(json.dumps(encode_item(RemoteItem(remote_id="s.csv#row-3", payload={}, error=said)))))
    assert isinstance(back.error, Message) and back.error == said and back.error.detail() == said.detail()


def test_a_sheet_that_cannot_be_read_is_said_in_the_readers_language(client, runtime, add_source, tmp_path):
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "budget.csv").write_text("year,amount\n2024,1\n", "utf-8")
    (folder / "metadata.csv").write_text("标题,说明\n预算,2024 年\n", "utf-8")  # no column naming the file
    add_source("office", "datapackage", str(folder))
    summary = harvest(runtime, "office").to_dict()
    with runtime.sessionmaker() as session:
        row = session.scalar(select(HarvestRecord).where(HarvestRecord.job_id == summary["job_id"],
                                                         HarvestRecord.remote_id == "metadata.csv"))
    assert row.error.endswith("metadata.csv: no column naming the file (file, 文件); the headers are 标题, 说明")
    zh = client.get(f"/harvest/job/{summary['job_id']}?lang=zh_CN").get_data(as_text=True)
    assert "metadata.csv：没有指明文件的列（file、文件）；表头为 标题, 说明" in zh


def test_a_file_lists_unusable_lines_are_said_in_chinese_and_grouped_as_one_kind(client, runtime, add_source,
                                                                               tmp_path):
    """Three missing files are one kind of error (the line is a placeholder), said in the reader's language."""
    from catalog_schema import harvest_report

    folder = tmp_path / "ll"
    folder.mkdir()
    (folder / "here.csv").write_text("x\n1\n", "utf-8")
    (folder / "files.txt").write_text("here.csv\nmissing.csv\nalso-missing.csv\nthird_gone.xlsx\n../out.csv\n",
                                      "utf-8")
    add_source("ll", "datapackage", str(folder / "files.txt"))
    summary = harvest(runtime, "ll").to_dict()
    assert (summary["added"], summary["errored"]) == (1, 4), summary
    with runtime.sessionmaker() as session:
        kinds = harvest_report.source_report(session, "ll")["latest"]["errors"]["kinds"]
    assert sorted(k["count"] for k in kinds) == [1, 3], kinds
    zh = client.get(f"/harvest/job/{summary['job_id']}?lang=zh_CN").get_data(as_text=True)
    assert "&#39;missing.csv&#39;：清单旁没有这个文件" in zh
    assert "&#39;../out.csv&#39;：列出的路径必须在清单所在的文件夹之内" in zh
    assert "no such file beside the list" not in zh


def test_a_source_that_never_answers_is_said_whole_in_both_languages():
    """plumbing.http's English ('127.0.0.1:5203 did not answer within 5 s for ...') was the whole job error,
    under zh too."""
    from app.cli_lang import gettext, set_lang
    from harvesters.base import error_detail
    from harvesters.reading import status_error
    from plumbing.http_errors import HttpError

    url = "http://127.0.0.1:9/catalog.ttl"
    for kind, english, chinese in (
            ("timeout", "the server did not answer within the time allowed", "服务器未在允许的时间内应答"),
            ("dns", "the host name could not be found", "找不到该主机名")):
        err = status_error(url, HttpError(kind, url, f"plumbing's words for {url}"))
        assert str(err).startswith(f"{url}: {english}"), str(err)
        detail = error_detail(err)
        set_lang("zh")
        try:
            assert chinese in gettext(detail["msgid"]) % detail["params"]
        finally:
            set_lang("en")


class _Odd(http.server.BaseHTTPRequestHandler):
    """A source that answers badly: a redirect to itself, a body over the limit, a body cut short."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"#" * 5000)
        else:  # announces 500 bytes, sends 10 and hangs up
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b"@prefix : ")
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, *args):
        pass


def test_every_failure_without_an_answer_is_said_in_both_languages():
    """A refused connection, a TLS handshake with a plain HTTP server, a connection cut mid-body, a private
    address, a body over the limit, a redirect loop: each read through the real session, each one sentence in
    English and in Chinese (all but the refused one stood in plumbing's English inside the Chinese sentence)."""
    from app.cli_lang import gettext, set_lang
    from harvesters.base import HarvestError, error_detail
    from harvesters.reading import read
    from plumbing.http import GuardedSession, HttpConfig

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Odd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    base = f"127.0.0.1:{server.server_port}"
    session = GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], retries=0, max_bytes=1000, timeout=5,
                                        circuit_threshold=0))
    cases = [(f"http://127.0.0.1:{closed}/catalog.ttl", "the server refused the connection", "服务器拒绝连接"),
             (f"https://{base}/catalog.ttl", "the secure connection failed", "安全连接失败"),
             (f"http://{base}/cut", "the answer ended early: 10 of the 500 bytes it announced arrived", "提前结束"),
             ("http://10.0.0.1/catalog.ttl", "10.0.0.1 is not a public address", "10.0.0.1 不是公网地址"),
             (f"http://{base}/big", "5,000 bytes, more than the download limit of 1,000 bytes", "下载大小上限"),
             (f"http://{base}/loop", "redirects in a loop or too many times", "循环重定向")]
    try:
        for url, english, chinese in cases:
            with pytest.raises(HarvestError) as info:
                read(url, session)
            assert str(info.value).startswith(f"{url}: ") and english in str(info.value), str(info.value)
            detail = error_detail(info.value)
            set_lang("zh")
            try:
                said = gettext(detail["msgid"]) % detail["params"]
            finally:
                set_lang("en")
            assert chinese in said and not re.search(r"[a-z]{4,} [a-z]{4,}", said.replace(url, "")), said
    finally:
        session.close()
        server.shutdown()


def test_a_missing_chinese_named_file_is_said_once_not_as_a_redirect():
    """A file list 清单.txt that is gone said "…/清单.txt: …/%E6%B8%85%E5%8D%95.txt answered HTTP 404": the same
    address twice, percent-encoded the second time, as if a redirect had led somewhere else."""
    from harvesters.reading import read
    from plumbing.http import GuardedSession, HttpConfig
    from tests.support.httpserver import LocalServer

    session = GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], retries=0, timeout=5, circuit_threshold=0))
    try:
        with LocalServer() as srv:
            url = srv.url("/统计局/清单.txt")
            with pytest.raises(HarvestError) as info:
                read(url, session)
        assert str(info.value) == f"{url}: the server answered HTTP 404 Not Found", str(info.value)
    finally:
        session.close()


def test_a_json_values_kind_is_said_in_jsons_words_in_both_languages():
    """A CKAN search result item that is not an object was "package is a str, not an object" (Python's name for
    it), and in Chinese "软件包是 str，不是对象"."""
    from harvesters.ckan import CkanHarvester
    from harvesters.messages import json_kind

    assert [str(json_kind(v)) for v in ("x", 1, 2.5, True, None, [], {})] == [
        "a string", "a number", "a number", "true or false", "null", "a list", "an object"]
    with pytest.raises(ValueError, match="^package is a string, not an object$"):
        CkanHarvester.to_record(object.__new__(CkanHarvester), type("Item", (), {"payload": "oops"})())
    message = Message("package is %(kind)s, not an object", kind=json_kind(["a"]))
    assert str(message) == "package is a list, not an object"
    assert render(message.detail(), str(message), _zh) == "软件包是列表，不是对象"


@pytest.mark.parametrize("name", ["metadata.xlsx", "元数据.csv"])
def test_a_metadata_sheet_that_is_a_web_page_is_said_as_one(client, runtime, add_source, tmp_path, name):
    """A web page saved as metadata.xlsx was "metadata.xlsx：不是 XLSX 文件（File is not a zip file）", the library's
    English inside the Chinese sentence (and a page saved as a CSV sheet read as rows of markup). The job goes on."""
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "budget.csv").write_text("year,amount\n2024,1\n", "utf-8")
    (folder / name).write_bytes(b"<!DOCTYPE html>\n<html><head><title>Download</title></head><body>Sign in to "
                                b"download this file.</body></html>")
    add_source("office", "datapackage", str(folder))
    summary = harvest(runtime, "office").to_dict()
    assert summary["status"] == "finished" and summary["added"] == 1
    with runtime.sessionmaker() as session:
        row = session.scalar(select(HarvestRecord).where(HarvestRecord.job_id == summary["job_id"],
                                                         HarvestRecord.remote_id == name))
    assert row.error.endswith(f"{name}: this is a web page (HTML), not a metadata sheet"), row.error
    zh = client.get(f"/harvest/job/{summary['job_id']}?lang=zh_CN").get_data(as_text=True)
    assert f"{name}：这是网页（HTML），不是元数据表" in zh
