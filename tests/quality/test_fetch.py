"""Link checks and the archive, against a real local server."""

from __future__ import annotations

import datetime as dt
import re
import socket

import pytest

from catalog_schema.record import new_distribution, new_record
from plumbing.http import GuardedSession, HttpConfig
from quality.assess import assess as assess_record
from quality.assess import collect_facts
from quality.fetch import Previous, check_many, check_url
from quality.findings import FINDING_TYPES


@pytest.fixture
def http():
    with GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], timeout=2, retries=1, backoff=0.01,
                                   user_agent="test")) as session:
        yield session


def test_download_archived_by_hash_and_conditional_recheck(http, local_server, tmp_path):
    body = "id,name\n1,北京\n".encode()
    local_server.add_bytes("/a.csv", body, "text/csv", headers={"ETag": '"v1"'})
    first = check_url(http, local_server.url("/a.csv"), tmp_path)
    assert first.status == "ok" and first.http_status == 200 and first.size == len(body)
    assert open(first.path, "rb").read() == body and first.path.endswith(first.sha256)
    assert not list((tmp_path / "tmp").iterdir())  # no partial files left

    def conditional(req):
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"'}, body

    local_server.add_route("/a.csv", conditional)
    prev = Previous(etag=first.etag, archive_path=first.path, archive_hash=first.sha256, archive_size=first.size)
    again = check_url(http, local_server.url("/a.csv"), tmp_path, previous=prev)
    assert again.status == "unchanged" and again.path == first.path and again.sha256 == first.sha256
    assert not list((tmp_path / "tmp").iterdir())  # a 304 made no temporary file


def test_broken_links_count_failures(http, local_server, tmp_path):
    first = check_url(http, local_server.url("/missing.csv"), tmp_path)
    assert (first.status, first.http_status, first.failure_count) == ("broken", 404, 1)
    second = check_url(http, local_server.url("/missing.csv"), tmp_path,
                       previous=Previous(first_failure=first.first_failure, failure_count=1))
    assert second.failure_count == 2 and second.first_failure == first.first_failure
    assert check_url(http, "ftp://example.org/x", tmp_path).error_kind == "invalid-url"
    assert check_url(http, None, tmp_path).status == "broken"


def test_capped_copy_is_kept_for_sniffing(local_server, tmp_path):
    local_server.add_bytes("/big.csv", b"a,b\n" + b"1,2\n" * 10000, "text/csv")
    with GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], max_bytes=1000, user_agent="t")) as http:
        result = check_url(http, local_server.url("/big.csv"), tmp_path)
    assert result.status == "ok" and result.truncated and result.size == 1000


def test_archive_not_writable_is_a_clear_error(http, local_server, tmp_path):
    local_server.add_bytes("/a.csv", b"x,y\n", "text/csv")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the archive folder should be")  # even root cannot mkdir under a file
    result = check_url(http, local_server.url("/a.csv"), blocker / "archive")
    assert result.status == "error" and result.error_kind == "archive" and "archive not writable" in result.error
    assert result.failure_count == 1
    # the finding blames the portal, not the publisher's link ("the download failed" / "下载失败" said otherwise)
    evidence = {"url": result.url, "problem": result.error, "http_status": result.http_status}
    assert FINDING_TYPES["link-broken"].message("zh", evidence).endswith("（门户无法保存该文件，属于门户一方的问题）。")
    said = FINDING_TYPES["link-broken"].message("en", evidence)
    assert said.endswith("(the portal could not store the file, a problem on its side).")


def test_dead_host_fails_fast_for_all_its_urls(tmp_path, local_server):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused
    local_server.add_bytes("/ok.csv", b"a\n1\n", "text/csv")
    items = [(f"dead{i}", f"http://127.0.0.1:{port}/f{i}.csv", None) for i in range(200)]
    items.append(("alive", local_server.url("/ok.csv"), None))
    with GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], timeout=1, retries=2, backoff=0.01,
                                   circuit_threshold=3, user_agent="t")) as http:
        results = check_many(http, items, tmp_path)
    assert results["alive"].status == "ok"
    assert all(results[f"dead{i}"].status == "broken" for i in range(200))
    assert sum(1 for r in results.values() if r.error_kind == "circuit-open") >= 190


def test_a_broken_links_finding_and_star_reason_say_the_problem_in_plain_words(tmp_path, local_server):
    """The link checker's own error (host, URL, attempts, in English) was the finding's and the star reason's
    problem in every language: the Chinese dataset page and /api/v1/datasets/<slug>/quality?lang=zh read
    "无法下载文件（127.0.0.1:5001 is skipped for the rest of this run: it failed 3 times in a row (last: could not
    connect to 127.0.0.1:5001 (connection refused) for http://...)）". The evidence keeps it; the words are plain."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused
    urls = {f"d{i}": f"http://127.0.0.1:{port}/f{i}.csv" for i in range(4)}
    urls["gone"] = local_server.url("/gone.csv")
    with GuardedSession(HttpConfig(allow_hosts=["127.0.0.1"], timeout=1, retries=0, backoff=0.01,
                                   circuit_threshold=2, user_agent="t")) as http:
        checks = check_many(http, [(key, url, None) for key, url in urls.items()], tmp_path)
    assert {r.error_kind for r in checks.values()} >= {"connection", "circuit-open", "http-status"}
    record = new_record(slug="links", title={"en": "Links"}, license="CC-BY-4.0", distributions=[
        new_distribution(id=key, download_url=url, format="CSV") for key, url in urls.items()])
    doc = assess_record(record, collect_facts(record, checks), now=dt.datetime.now(dt.UTC), dcat_violations=[])

    broken = [f for f in doc["findings"] if f["type"] == "link-broken"]
    assert len(broken) == 5
    ftype = FINDING_TYPES["link-broken"]
    for f in broken:
        zh, en = ftype.message("zh", f["evidence"]), ftype.message("en", f["evidence"])
        outside_url = zh.replace(f["evidence"]["url"], "")
        assert not re.search(r"[A-Za-z]{3,}", outside_url.replace("HTTP", "")), zh  # no English words around it
        assert "skipped" not in en and "Errno" not in en and f["message"] == en
        status = f["evidence"]["http_status"]
        assert (zh, en) == ((f"无法下载 {f['evidence']['url']} 的文件（服务器返回 HTTP 404）。",
                             f"The file at {f['evidence']['url']} could not be downloaded (the server answered HTTP "
                             "404).") if status == 404 else
                            (f"无法下载 {f['evidence']['url']} 的文件（服务器拒绝连接）。",
                             f"The file at {f['evidence']['url']} could not be downloaded (the server refused the "
                             "connection)."))
        assert "refused" in f["evidence"]["problem"] or status == 404  # the evidence keeps the checker's words
    reasons = {d["id"]: d["reasons"][0] for d in doc["distributions"]}
    assert reasons["gone"] == "The file could not be downloaded (the server answered HTTP 404)."
    assert {reasons[f"d{i}"] for i in range(4)} == {"The file could not be downloaded (the server refused the "
                                                    "connection)."}
