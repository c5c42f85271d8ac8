"""The guarded outbound session, against real HTTP servers on loopback.

Servers: `local_server` (tests/support/httpserver.py) for ordinary answers, and `RawServer`
below for answers no well-behaved server gives (lying Content-Length, endless chunked bodies,
trickling bytes). DNS answers for made-up names come from a fake resolver: real DNS would
leave the machine. The SSRF tests record every socket connect and assert that none happened.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import pickle
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from plumbing.http import (
    AllowList,
    GuardedSession,
    HttpConfig,
    StreamingResponse,
    blocked_reason,
    parse_json,
)
from plumbing.http_errors import HttpError, InvalidJson
from tests.support.httpserver import LocalServer, Request


def config(**overrides) -> HttpConfig:
    values = {"allow_hosts": ["127.0.0.1"], "timeout": 2.0, "retries": 2, "backoff": 0.01}
    values.update(overrides)
    return HttpConfig(**values)


def quick(server: LocalServer) -> LocalServer:
    """Serve with a short shutdown poll: LocalServer's default (0.5 s per stop) would double this file's time."""
    server._thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    return server


@pytest.fixture
def local_server():
    """tests/conftest.py's `local_server` (a real server on 127.0.0.1), stopping in milliseconds."""
    with quick(LocalServer()) as server:
        yield server


@pytest.fixture
def http():
    with GuardedSession(config()) as session:
        yield session


# -- helpers ------------------------------------------------------------------------------------


class ConnectLog:
    """Records every outbound connect; in `forbid` mode any connect fails the test on the spot."""

    def __init__(self, monkeypatch, forbid: bool):
        self.calls: list[object] = []
        self.forbid = forbid
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex
        original_create = socket.create_connection
        log = self

        def connect(sock, address):
            log._seen(address)
            return original_connect(sock, address)

        def connect_ex(sock, address):
            log._seen(address)
            return original_connect_ex(sock, address)

        def create_connection(address, *args, **kwargs):
            log._seen(address)
            return original_create(address, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "create_connection", create_connection)

    def _seen(self, address) -> None:
        self.calls.append(address)
        if self.forbid:
            raise AssertionError(f"a socket connect to {address!r} was attempted")

    def addresses(self) -> set[tuple[str, int]]:
        return {(a[0], a[1]) for a in self.calls if isinstance(a, tuple)}


@pytest.fixture
def no_connect(monkeypatch) -> ConnectLog:
    return ConnectLog(monkeypatch, forbid=True)


@pytest.fixture
def connect_log(monkeypatch) -> ConnectLog:
    return ConnectLog(monkeypatch, forbid=False)


class RawServer:
    """A TCP server on 127.0.0.1 whose handler writes raw bytes: for answers http.server won't give."""

    def __init__(self, handler: Callable[[socket.socket], None]):
        self.handler = handler
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                part = conn.recv(4096)
                if not part:
                    return
                data += part
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.listener.close()


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def start(handler):
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def counting(responses: list[tuple[int, dict[str, str], bytes]]):
    """A route handler answering `responses` in turn (the last one repeats), with the requests it saw."""
    seen: list[Request] = []

    def handler(req: Request):
        seen.append(req)
        return responses[min(len(seen), len(responses)) - 1]

    return handler, seen


class Waits:
    """The session's sense of time, for counting instead of timing: a clock that moves `tick` seconds
    each time it is read (0: it stands still) and a sleep that records how long it was asked to wait."""

    def __init__(self, tick: float = 0.0):
        self.tick = tick
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            self.now += self.tick
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)

    def session(self, cfg: HttpConfig) -> GuardedSession:
        return GuardedSession(cfg, clock=self.clock, sleep=self.sleep)


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- retries and statuses -----------------------------------------------------------------------


def test_500_twice_then_200_succeeds_on_the_third_request(local_server, http):
    handler, seen = counting([(500, {}, b"oops"), (500, {}, b"oops"), (200, {"Content-Type": "text/plain"}, b"ok")])
    local_server.add_route("/flaky", handler)
    result = http.fetch(local_server.url("/flaky"))
    assert result.status == 200 and result.content == b"ok"
    assert len(seen) == 3


def test_500_every_time_gives_up_after_the_retries(local_server):
    handler, seen = counting([(503, {}, b"down for maintenance")])
    local_server.add_route("/down", handler)
    waits = Waits()
    with waits.session(config()) as http, pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/down"))
    assert info.value.kind == "http-status" and info.value.status == 503
    assert len(seen) == 3  # first try + 2 retries
    assert waits.slept == [0.01, 0.02]  # exponential backoff between them


def test_404_is_one_request_and_an_http_status_error(local_server, http):
    handler, seen = counting([(404, {"Content-Type": "application/json"}, b'{"error": "Not found"}')])
    local_server.add_route("/gone", handler)
    with pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/gone"))
    err = info.value
    assert (err.kind, err.status, err.url) == ("http-status", 404, local_server.url("/gone"))
    assert "404" in str(err) and err.body == b'{"error": "Not found"}'
    assert len(seen) == 1


def test_429_honours_retry_after_up_to_the_cap(local_server):
    handler, seen = counting([(429, {"Retry-After": "30"}, b"slow down"), (200, {}, b"ok")])
    local_server.add_route("/limited", handler)
    waits = Waits()
    with waits.session(config(retry_after_cap=0.3, backoff=0.0)) as http:
        assert http.fetch(local_server.url("/limited")).content == b"ok"
    assert len(seen) == 2
    assert waits.slept == [0.3]  # waited for Retry-After (capped at 0.3), not the 0 s backoff


def test_user_agent_is_sent_on_every_request(local_server):
    local_server.add_bytes("/ua", b"ok")
    with GuardedSession(config(user_agent="opendata-test/1.0 (+mailto:ops@example.gov)")) as http:
        http.fetch(local_server.url("/ua"))
        http.head(local_server.url("/ua"))
    agents = [r.headers["User-Agent"] for r in local_server.requests]
    assert agents == ["opendata-test/1.0 (+mailto:ops@example.gov)"] * 2
    assert [r.method for r in local_server.requests] == ["GET", "HEAD"]


def test_params_head_and_result_fields(local_server, http):
    local_server.add_bytes("/api/search", b'{"count": 0}', content_type="application/json; charset=utf-8")
    result = http.get(local_server.url("/api/search"), params={"q": "公交", "rows": 10})
    assert local_server.requests[0].query == "q=%E5%85%AC%E4%BA%A4&rows=10"
    assert result.status_code == 200 and result.ok and result.json() == {"count": 0}
    assert result.text == '{"count": 0}' and result.redirects == [] and result.elapsed > 0
    head = http.head(local_server.url("/api/search"))
    assert head.content == b"" and head.headers["Content-Length"] == "12" and not head.truncated


@pytest.mark.parametrize(("text", "codec"), [("区名,面积\n西城区,50.7\n", "gbk"),
                                             ("구,인구\n종로구,149384\n", "euc_kr")])
def test_text_without_a_charset_is_decoded_as_every_other_door_decodes_it(local_server, http, text, codec):
    """No charset said: the answer's text is decoded in what ``plumbing.textencoding.detect_encoding`` says, not
    in charset-normalizer's own first guess (which read these two as each other's language)."""
    local_server.add_bytes("/t.csv", text.encode(codec), content_type="text/csv")
    assert http.get(local_server.url("/t.csv")).text == text


@pytest.mark.parametrize(("text", "codec", "charset"), [
    ("떡볶이,값\n떡볶이,4000\n", "euc_kr", "EUC-KR"),  # the charset decides what detection alone reads as GBK
    ("区名,面积\n西城区,50.7\n", "gbk", "utf-8"),  # a charset the bytes refute: detection decides
    ("区名,面积\n西城区,50.7\n", "utf-8", "ISO-8859-1"),  # the generic default many servers send declares nothing
    ("名称,人口\n北京,2189\n", "utf-8", "gb18030")])  # valid UTF-8 that GB18030 would garble (鍚嶇О)
def test_an_answers_charset_is_taken_when_the_bytes_bear_it_out(local_server, http, text, codec, charset):
    """The charset is what ``plumbing.textencoding.decide_encoding`` weighs for every door: taken when the bytes decode
    in it and show no other encoding, else the detector's (a GBK body said to be UTF-8 was U+FFFD throughout)."""
    local_server.add_bytes("/t.csv", text.encode(codec), content_type=f"text/csv; charset={charset}")
    assert http.get(local_server.url("/t.csv")).text == text


def test_errors_pickle_whole_and_read_as_data(local_server, http):
    local_server.add_bytes("/missing", b"nope", status=410)
    with pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/missing"))
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is HttpError and copy.as_dict() == info.value.as_dict()
    assert copy.as_dict() == {"kind": "http-status", "url": local_server.url("/missing"), "status": 410,
                              "message": f"{local_server.url('/missing')} answered HTTP 410 Gone"}
    bad = pickle.loads(pickle.dumps(InvalidJson("http://example.gov/x.json", "not JSON")))
    assert isinstance(bad, ValueError) and (bad.kind, str(bad)) == ("invalid-json", "not JSON")


# -- timeouts -----------------------------------------------------------------------------------


def test_a_server_that_hangs_times_out_quickly_without_retrying(local_server):
    release = threading.Event()
    handler, seen = counting([(200, {}, b"late")])

    def hang(req):
        release.wait(5)
        return handler(req)

    local_server.add_route("/hang", hang)
    # Once released, the handler answers a client that has given up: a broken pipe, expected here.
    local_server.httpd.handle_error = lambda *_args: None
    waits = Waits()
    try:
        with waits.session(config(timeout=0.5, retries=2)) as http, pytest.raises(HttpError) as info:
            http.fetch(local_server.url("/hang"))
    finally:
        release.set()
    assert info.value.kind == "timeout" and "did not answer within 0.5 s" in str(info.value)
    assert len(local_server.requests) == 1 and waits.slept == []  # no retry, no backoff


def test_a_body_that_trickles_is_stopped_by_the_total_timeout(raw_server):
    def trickle(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(40):
            conn.sendall(b"x")
            time.sleep(0.05)

    server = raw_server(trickle)
    waits = Waits(tick=0.1)  # every look at the clock is a tenth of a second later
    with waits.session(config(timeout=0.5, total_timeout=0.4)) as http, pytest.raises(HttpError) as info:
        http.fetch(server.url("/slow"))
    assert info.value.kind == "timeout" and "0.4 s in all" in str(info.value)
    assert waits.now <= 1.0  # stopped by the deadline on the session's clock, a few chunks in


# -- size caps ----------------------------------------------------------------------------------


def test_content_length_over_the_cap_fails_before_reading(raw_server):
    def huge(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 5000000000\r\n\r\na,b\r\n")
        time.sleep(3)  # never sends the rest: reading would wait for the timeout

    server = raw_server(huge)
    with GuardedSession(config(timeout=2.0, max_bytes=1000)) as http, pytest.raises(HttpError) as info:
        http.fetch(server.url("/big.csv"))
    # reading the body would have ended in a read timeout; this error is the declared size's
    assert info.value.kind == "too-large" and "5000000000 bytes (Content-Length)" in str(info.value)


def test_content_length_over_the_cap_with_truncation_allowed_gives_the_start(local_server, http):
    local_server.add_bytes("/big", bytes(range(256)) * 40)
    result = http.fetch(local_server.url("/big"), max_bytes=1000, allow_truncated=True)
    assert result.truncated and result.content == (bytes(range(256)) * 40)[:1000]


def _chunked(conn, chunks: int, size: int = 1024) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(chunks):
        conn.sendall(f"{size:x}\r\n".encode() + b"z" * size + b"\r\n")
    conn.sendall(b"0\r\n\r\n")


def test_chunked_body_over_the_cap_is_stopped_at_the_cap(raw_server):
    server = raw_server(lambda conn: _chunked(conn, 200))
    with GuardedSession(config(max_bytes=10_000)) as http:
        with pytest.raises(HttpError) as info:
            http.fetch(server.url("/stream"))
        assert info.value.kind == "too-large"
        result = http.fetch(server.url("/stream"), allow_truncated=True)
    assert result.truncated and result.content == b"z" * 10_000


def test_a_body_exactly_at_the_cap_is_whole(raw_server):
    server = raw_server(lambda conn: _chunked(conn, 10, 1000))
    with GuardedSession(config(max_bytes=10_000)) as http:
        result = http.fetch(server.url("/exact"))
    assert not result.truncated and len(result.content) == 10_000


def test_the_cap_counts_decompressed_bytes(local_server):
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    local_server.add_bytes("/bomb.csv", bomb, content_type="text/csv", headers={"Content-Encoding": "gzip"})
    with GuardedSession(config(max_bytes=100_000)) as http:
        with pytest.raises(HttpError) as info:
            http.fetch(local_server.url("/bomb.csv"))
    assert info.value.kind == "too-large"


def test_a_body_shorter_than_its_content_length_is_reported(raw_server):
    def liar(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789")

    server = raw_server(liar)
    with GuardedSession(config()) as http, pytest.raises(HttpError) as info:
        http.fetch(server.url("/short"))
    assert info.value.kind == "connection"
    assert "after 10 bytes" in str(info.value) and "Content-Length announced 100" in str(info.value)


def test_stream_to_writes_the_body_to_a_file(local_server, http, tmp_path):
    payload = b"id,name\n" + b"".join(f"{i},row {i}\n".encode() for i in range(20_000))
    local_server.add_bytes("/data.csv", payload, content_type="text/csv")
    target = tmp_path / "data.csv"
    with target.open("wb") as out:
        result = http.stream_to(local_server.url("/data.csv"), out)
    assert target.read_bytes() == payload
    assert result.content == b"" and result.size == len(payload) and result.status == 200
    with io.BytesIO() as out, pytest.raises(HttpError) as info:
        http.stream_to(local_server.url("/data.csv"), out, max_bytes=1000)
    assert info.value.kind == "too-large"


def test_get_streaming_reads_like_a_file_and_keeps_the_cap(raw_server):
    server = raw_server(lambda conn: _chunked(conn, 30, 1000))
    with GuardedSession(config(max_bytes=25_000)) as http:
        with http.get(server.url("/s"), stream=True, allow_truncated=True) as resp:
            assert isinstance(resp, StreamingResponse) and resp.status_code == 200
            head = resp.read(10)
            rest = b"".join(resp.iter_content(4096))
        assert head == b"z" * 10 and len(head + rest) == 25_000 and resp.truncated
        with http.get(server.url("/s"), stream=True) as resp, pytest.raises(HttpError) as info:
            resp.read()
    assert info.value.kind == "too-large"


# -- redirects ----------------------------------------------------------------------------------


def _redirect(location: str, status: int = 302):
    return lambda _req: (status, {"Location": location}, b"")


def test_redirects_are_followed_and_recorded(local_server, http):
    local_server.add_route("/old", _redirect("/new", 301))
    local_server.add_bytes("/new", b"moved here")
    result = http.fetch(local_server.url("/old"))
    assert result.content == b"moved here" and result.final_url == local_server.url("/new")
    assert [(h.status, h.url, h.location) for h in result.redirects] == [
        (301, local_server.url("/old"), local_server.url("/new"))]


def test_redirect_to_the_metadata_service_is_refused(local_server, http, connect_log):
    local_server.add_route("/go", _redirect("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/go"))
    assert info.value.kind == "ssrf-blocked" and info.value.url == "http://169.254.169.254/latest/meta-data/"
    assert "link-local" in str(info.value) and local_server.url("/go") in str(info.value)
    assert connect_log.addresses() == {("127.0.0.1", local_server.port)}  # the first hop only


def test_redirect_to_a_blocked_address_of_the_same_machine_is_refused(local_server):
    with quick(LocalServer(host="127.0.0.2")) as other:
        other.add_bytes("/secret", b"internal")
        local_server.add_route("/go", _redirect(other.url("/secret")))
        with GuardedSession(config()) as http, pytest.raises(HttpError) as info:
            http.fetch(local_server.url("/go"))
        assert info.value.kind == "ssrf-blocked"
        assert other.requests == []


def test_redirect_loop(local_server, http):
    local_server.add_route("/a", _redirect("/b"))
    local_server.add_route("/b", _redirect("/a"))
    with pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/a"))
    assert info.value.kind == "redirect-loop" and "loop" in str(info.value)
    assert len(local_server.requests) == 2


def test_too_many_redirects(local_server):
    def chain(req: Request):
        n = int(req.query.split("=")[1])
        return 302, {"Location": f"/chain?n={n + 1}"}, b""

    local_server.add_route("/chain", chain)
    with GuardedSession(config(max_redirects=3)) as http, pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/chain?n=0"))
    assert info.value.kind == "redirect-loop" and "more than 3" in str(info.value)
    assert len(local_server.requests) == 4


def test_credentials_do_not_follow_a_redirect_to_another_origin(local_server, http):
    with quick(LocalServer()) as other:
        other.add_bytes("/landing", b"ok")
        local_server.add_route("/out", _redirect(other.url("/landing")))
        http.fetch(local_server.url("/out"), headers={"Authorization": "Bearer agency-token", "X-Keep": "1"})
        assert local_server.requests[0].headers["Authorization"] == "Bearer agency-token"
        assert "Authorization" not in other.requests[0].headers
        assert other.requests[0].headers["X-Keep"] == "1"


def test_a_redirect_to_another_scheme_is_refused(local_server, http, connect_log):
    local_server.add_route("/file", _redirect("file:///etc/passwd"))
    with pytest.raises(HttpError) as info:
        http.fetch(local_server.url("/file"))
    assert info.value.kind == "invalid-url"
    assert connect_log.addresses() == {("127.0.0.1", local_server.port)}


# -- circuit breaker and politeness -------------------------------------------------------------


def test_circuit_opens_after_consecutive_connection_failures(connect_log):
    port = closed_port()
    url = f"http://127.0.0.1:{port}/dataset.csv"
    with GuardedSession(config(retries=0, circuit_threshold=3)) as http:
        for _ in range(3):
            with pytest.raises(HttpError) as info:
                http.fetch(url)
            assert info.value.kind == "connection" and "connection refused" in str(info.value)
        assert len(connect_log.calls) == 3
        for n in range(5):
            with pytest.raises(HttpError) as info:
                http.fetch(f"{url}?n={n}")
            assert info.value.kind == "circuit-open"
        assert len(connect_log.calls) == 3  # no connect attempted once the circuit is open
        assert f"127.0.0.1:{port}" in http.dead_hosts()  # the dead server, not every port of the machine


def test_retries_stop_when_the_circuit_opens(connect_log):
    url = f"http://127.0.0.1:{closed_port()}/"
    with GuardedSession(config(retries=5, circuit_threshold=2)) as http:
        with pytest.raises(HttpError) as info:
            http.fetch(url)
        assert info.value.kind == "connection" and "skipped for the rest of this run" in str(info.value)
        assert len(connect_log.calls) == 2
        with pytest.raises(HttpError) as info:
            http.fetch(url)
        assert info.value.kind == "circuit-open"


def test_an_answer_resets_the_failure_count(connect_log):
    port = closed_port()
    url = f"http://127.0.0.1:{port}/alive"
    with GuardedSession(config(retries=0, circuit_threshold=2)) as http:
        for _ in range(3):
            with pytest.raises(HttpError):
                http.fetch(url)  # one failure ...
            with LocalServer(port=port) as srv:  # ... then an answer from the same server
                srv.add_bytes("/alive", b"ok", headers={"Connection": "close"})  # no pooled connection left
                http.fetch(url)
        assert http.dead_hosts() == {}


def test_a_dead_port_does_not_condemn_the_other_ports_of_its_machine(local_server, connect_log):
    local_server.add_bytes("/alive", b"ok")
    with GuardedSession(config(retries=0, circuit_threshold=2)) as http:
        dead = f"http://127.0.0.1:{closed_port()}/"
        for _ in range(3):
            with pytest.raises(HttpError):
                http.fetch(dead)
        assert http.fetch(local_server.url("/alive")).status == 200


def test_politeness_delay_between_requests_to_one_host(local_server):
    handler, seen = counting([(200, {}, b"ok")])
    local_server.add_route("/p", handler)
    waits = Waits()  # the clock stands still: each request must wait for the slots reserved before it
    with waits.session(config(host_delay=0.25)) as http:
        http.fetch(local_server.url("/p"))
        http.fetch(local_server.url("/p"))
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda n: http.fetch(local_server.url(f"/p?n={n}")), range(3)))
    assert len(seen) == 5 and sorted(waits.slept) == [0.25, 0.5, 0.75, 1.0], waits.slept


# -- the SSRF guard -----------------------------------------------------------------------------

BLOCKED_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1/admin",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://2130706433/",  # 127.0.0.1 written as one decimal number
    "http://127.0.0.1:9/",
    "http://[::ffff:10.0.0.1]/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "https://172.16.0.1/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_private_and_special_addresses_are_refused_without_connecting(url, no_connect):
    with GuardedSession(config(allow_hosts=[])) as http:
        with pytest.raises(HttpError) as info:
            http.fetch(url)
        assert info.value.kind == "ssrf-blocked", info.value
        assert "OPENDATA_ALLOW_HOSTS" in str(info.value)
        with pytest.raises(HttpError):
            http.head(url)
    assert no_connect.calls == []


@pytest.mark.parametrize("url", [u for u in BLOCKED_URLS if "2130706433" not in u and "127.0.0.1" not in u])
def test_allowing_127_0_0_1_allows_nothing_else(url, no_connect):
    with GuardedSession(config(allow_hosts=["127.0.0.1"])) as http, pytest.raises(HttpError) as info:
        http.fetch(url)
    assert info.value.kind == "ssrf-blocked"
    assert no_connect.calls == []


def test_a_live_server_on_a_loopback_address_not_allowed_gets_nothing():
    with quick(LocalServer(host="127.0.0.2")) as server:
        server.add_bytes("/data.json", b"{}", content_type="application/json")
        with GuardedSession(config(allow_hosts=["127.0.0.1"])) as http, pytest.raises(HttpError) as info:
            http.fetch(server.url("/data.json"))
        assert info.value.kind == "ssrf-blocked" and "127.0.0.2" in str(info.value)
        assert server.requests == []
        with GuardedSession(config(allow_hosts=["127.0.0.2"])) as http:
            assert http.json(server.url("/data.json")) == {}
        assert len(server.requests) == 1


def test_allow_hosts_takes_cidrs():
    with quick(LocalServer(host="127.0.0.2")) as server:
        server.add_bytes("/x", b"ok")
        with GuardedSession(config(allow_hosts=["127.0.0.0/8"])) as http:
            assert http.fetch(server.url("/x")).content == b"ok"


def test_an_allowed_host_with_a_port_is_allowed_on_that_port_only():
    """`127.0.0.1:PORT` opens one local service, not every one (the demo's catalog allowed all of loopback: a link to
    a database's or a cache's port was fetched); CIDRs, IPv6 and names take a port too."""
    with quick(LocalServer()) as server, quick(LocalServer()) as other:
        server.add_bytes("/x", b"ok")
        other.add_bytes("/x", b"other")
        with GuardedSession(config(allow_hosts=[f"127.0.0.1:{server.port}"])) as http:
            assert http.fetch(server.url("/x")).content == b"ok"
            with pytest.raises(HttpError) as info:
                http.fetch(other.url("/x"))
            assert info.value.kind == "ssrf-blocked"
        assert other.requests == []
        with GuardedSession(config(allow_hosts=[f"127.0.0.0/8:{other.port}", f"localhost:{server.port}"])) as http:
            assert http.fetch(other.url("/x")).content == b"other"
            assert http.fetch(f"http://localhost:{server.port}/x").content == b"ok"
            with pytest.raises(HttpError) as info:  # the name is allowed on its port, not its address on another
                http.fetch(f"http://127.0.0.1:{server.port}/x")
            assert info.value.kind == "ssrf-blocked"
    parsed = AllowList.parse(["[::1]:8080", "::1", "10.0.0.0/8:443", "intranet:80", "example.org"])
    assert parsed.address_allowed(ipaddress.ip_address("::1"), 22)
    assert parsed.address_allowed(ipaddress.ip_address("10.1.2.3"), 443)
    assert not parsed.address_allowed(ipaddress.ip_address("10.1.2.3"), 80)
    assert parsed.host_allowed("INTRANET", 80) and not parsed.host_allowed("intranet", 81)
    assert parsed.host_allowed("example.org", 8443)
    for bad in ("127.0.0.1:http", "127.0.0.1:0", "127.0.0.1:70000", "[::1]x", "a/b:80"):
        with pytest.raises(ValueError):
            AllowList.parse([bad])


def test_localhost_is_refused_unless_allowed(local_server, no_connect):
    local_server.add_bytes("/x", b"ok")
    url = f"http://localhost:{local_server.port}/x"
    with GuardedSession(config(allow_hosts=["127.0.0.2"])) as http, pytest.raises(HttpError) as info:
        http.fetch(url)
    assert info.value.kind == "ssrf-blocked" and "loopback" in str(info.value)
    assert no_connect.calls == []
    no_connect.forbid = False
    with GuardedSession(config(allow_hosts=["localhost"])) as http:
        assert http.fetch(url).content == b"ok"
    assert local_server.requests[0].headers["Host"] == f"localhost:{local_server.port}"


@pytest.fixture
def fake_dns(monkeypatch):
    """A resolver for made-up names (real DNS would leave the machine); numeric hosts pass through."""
    real = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return real(host, port, family, type, proto, flags)
        lookups.append(host)
        rounds = answers[host]
        ips = rounds[min(len(lookups), len(rounds)) - 1]
        if not ips:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port) if ":" not in ip else (ip, port, 0, 0)) for ip in ips]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_every_resolved_address_must_pass(fake_dns, no_connect):
    answers, _ = fake_dns
    answers["data.example.test"] = [["127.0.0.1", "10.0.0.1"]]
    with GuardedSession(config(allow_hosts=["127.0.0.1"])) as http, pytest.raises(HttpError) as info:
        http.fetch("http://data.example.test/")
    assert info.value.kind == "ssrf-blocked" and "10.0.0.1" in str(info.value)
    assert no_connect.calls == []


def test_one_lookup_and_the_vetted_address_is_the_one_connected(local_server, fake_dns, connect_log):
    answers, lookups = fake_dns
    # A rebinding resolver: a harmless answer for the check, a private one for any later lookup.
    answers["data.example.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    local_server.add_bytes("/catalog.json", b"[1, 2]")
    with GuardedSession(config(allow_hosts=["127.0.0.1"])) as http:
        assert http.json(f"http://data.example.test:{local_server.port}/catalog.json") == [1, 2]
    assert lookups == ["data.example.test"]
    assert connect_log.addresses() == {("127.0.0.1", local_server.port)}
    assert local_server.requests[0].headers["Host"] == f"data.example.test:{local_server.port}"


def test_dns_failure_counts_for_the_circuit(fake_dns, no_connect):
    answers, lookups = fake_dns
    answers["gone.example.test"] = [[]]
    with GuardedSession(config(retries=0, circuit_threshold=2)) as http:
        kinds = []
        for n in range(4):
            with pytest.raises(HttpError) as info:
                http.fetch(f"http://gone.example.test/{n}")
            kinds.append(info.value.kind)
    assert kinds == ["dns", "dns", "circuit-open", "circuit-open"]
    assert len(lookups) == 2 and no_connect.calls == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.gov/data.csv", "gopher://127.0.0.1:70/",
                                 "data.example.gov/data.csv", "http://", "http://exa mple.gov/", "", "http://x:99999/"])
def test_only_http_and_https_urls(url, no_connect):
    with GuardedSession(config()) as http, pytest.raises(HttpError) as info:
        http.fetch(url)
    assert info.value.kind == "invalid-url"
    assert no_connect.calls == []


@pytest.mark.parametrize(("address", "blocked"), [
    ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("::ffff:8.8.8.8", False),
    ("169.254.169.254", True), ("fe80::1", True), ("10.1.2.3", True), ("172.31.255.255", True),
    ("172.32.0.1", False), ("192.168.0.1", True), ("fc00::1", True), ("100.64.0.1", True),
    ("100.128.0.1", False), ("224.0.0.1", True), ("0.0.0.0", True), ("::", True), ("::1", True),
    ("::ffff:169.254.169.254", True), ("2002:a9fe:a9fe::1", True), ("64:ff9b::a9fe:a9fe", True),
    ("240.0.0.1", True), ("255.255.255.255", True),
])
def test_blocked_reason(address, blocked):
    import ipaddress

    assert (blocked_reason(ipaddress.ip_address(address)) is not None) is blocked


def test_allow_list_parsing():
    allow = AllowList.parse(["127.0.0.1", " LocalHost. ", "10.0.0.0/8", "[::1]", ""])
    assert allow.names == {"localhost"}
    assert [str(n) for n in allow.networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError, match="neither"):
        AllowList.parse(["10.0.0.0/33"])


# -- TLS ----------------------------------------------------------------------------------------


def test_https_keeps_the_host_name_for_sni_and_certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = quick(LocalServer())
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    with server:
        server.add_bytes("/secure.json", b'{"ok": true}', content_type="application/json")
        url = f"https://localhost:{server.port}/secure.json"
        with GuardedSession(config(allow_hosts=["localhost"], ca_bundle=str(cert))) as http:
            assert http.json(url) == {"ok": True}
        assert names == ["localhost"]
        with GuardedSession(config(allow_hosts=["127.0.0.1"], ca_bundle=str(cert), retries=0)) as http:
            with pytest.raises(HttpError) as info:  # the certificate names localhost, not 127.0.0.1
                http.fetch(f"https://127.0.0.1:{server.port}/secure.json")
        assert info.value.kind == "connection" and "certificate" in str(info.value)


# -- JSON ---------------------------------------------------------------------------------------


def test_json_parses_and_explains_what_is_wrong(local_server, http):
    local_server.add_bytes("/ok.json", '{"title": "公交线路"}'.encode(), content_type="application/json")
    local_server.add_bytes("/page.json", b"<html><body>Error</body></html>", content_type="text/html")
    local_server.add_bytes("/deep.json", b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    local_server.add_bytes("/latin1.json", '{"a": "é"}'.encode("latin-1"), content_type="application/json")
    assert http.json(local_server.url("/ok.json")) == {"title": "公交线路"}
    with pytest.raises(InvalidJson) as info:
        http.json(local_server.url("/page.json"))
    assert isinstance(info.value, ValueError) and isinstance(info.value, HttpError)
    assert "not valid JSON (served as text/html)" in str(info.value) and "line 1 column 1" in str(info.value)
    with pytest.raises(InvalidJson, match="nested too deeply"):
        http.json(local_server.url("/deep.json"))
    with pytest.raises(InvalidJson, match="UTF-8"):
        http.json(local_server.url("/latin1.json"))


def test_json_depth_limit():
    assert parse_json(b"[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(InvalidJson, match="deeper than 3"):
        parse_json(b'[[{"a": [1]}]]', max_depth=3)


# -- settings and layering ----------------------------------------------------------------------


def test_from_settings_reads_the_settings_registry():
    from app import settings

    values = settings.load({"OPENDATA_ALLOW_HOSTS": "127.0.0.1, 10.0.0.0/8", "OPENDATA_HTTP_TIMEOUT": "2.5",
                            "OPENDATA_HTTP_RETRIES": "1", "OPENDATA_MAX_DOWNLOAD_BYTES": "1234",
                            "OPENDATA_HTTP_HOST_DELAY": "0.2", "OPENDATA_USER_AGENT": "agency-bot/2",
                            "OPENDATA_HTTP_BACKOFF": "0.05"})
    with GuardedSession.from_settings(values) as http:
        cfg = http.config
    assert (cfg.allow_hosts, cfg.timeout, cfg.retries, cfg.max_bytes, cfg.host_delay, cfg.user_agent,
            cfg.backoff) == (["127.0.0.1", "10.0.0.0/8"], 2.5, 1, 1234, 0.2, "agency-bot/2", 0.05)
    defaults = HttpConfig.from_settings(settings.load({}))
    assert defaults.allow_hosts == [] and defaults.max_bytes == 50 * 1024 * 1024 and defaults.timeout == 30.0
    assert defaults.backoff == 0.5
    with pytest.raises(ValueError, match="backoff cannot be negative"):
        HttpConfig(backoff=-1)


def test_the_request_sent_is_the_one_requests_would_prepare(local_server, http):
    """`_prepared` skips requests' general path (the URL prepared a second time, settings merged): the request
    it makes must be the one `Session.request` would have sent, session headers, cookies and URL credentials
    included."""
    import requests

    local_server.add_route("/login", lambda req: (200, {"Set-Cookie": "sid=abc; Path=/"}, b"in"))
    http.fetch(local_server.url("/login"))  # the session keeps the cookie, as requests does
    plain = local_server.url("/data.csv?a=1&b=%E5%85%AC")
    with_credentials = plain.replace("http://", "http://user:pa%20ss@")
    headers = {"If-None-Match": '"v1"', "Accept-Encoding": None}
    for url in (plain, with_credentials):
        mine = http._prepared("GET", url, headers)
        theirs = http._session.prepare_request(requests.Request("GET", url, headers=headers))
        assert (mine.method, mine.url, mine.body) == (theirs.method, theirs.url, theirs.body)
        assert dict(mine.headers) == dict(theirs.headers)
    assert http._prepared("GET", plain, headers).headers["Cookie"] == "sid=abc"
    assert mine.headers["Authorization"].startswith("Basic ")
    assert "Accept-Encoding" not in mine.headers


def test_conditional_gets_to_one_server_keep_their_connection(local_server, connect_log, tmp_path):
    """The test server speaks HTTP/1.1: the link checks of one host reuse one (vetted) connection."""
    local_server.add_route("/a.csv", lambda req: (304, {"ETag": '"v1"'}, b""))
    local_server.add_bytes("/b.csv", b"x,y\n1,2\n", "text/csv")
    with GuardedSession(config()) as http:
        for _ in range(3):
            assert http.fetch(local_server.url("/a.csv"), headers={"If-None-Match": '"v1"'}).status == 304
            assert http.fetch(local_server.url("/b.csv")).content == b"x,y\n1,2\n"
    assert len(connect_log.calls) == 1
