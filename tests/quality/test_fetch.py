"""Link checks and the archive, against a real local server."""

from __future__ import annotations

import pytest

from plumbing.http import GuardedSession, HttpConfig
from quality.fetch import Previous, check_many, check_url


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


def test_dead_host_fails_fast_for_all_its_urls(tmp_path, local_server):
    import socket

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
