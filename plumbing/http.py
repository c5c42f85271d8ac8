"""The one outbound HTTP session of the platform: the only way out to the web.

Harvesters fetch catalogues through it and the quality engine checks links and downloads
distributions through it (it receives a session as an argument; `app` builds it with
`GuardedSession.from_settings`). Keeping every request on one path means every request gets:

* an SSRF guard. A catalogue is input from outside: any URL in it may point at the cloud
  metadata service (169.254.169.254), the database on 10.x or the admin page on localhost.
  The host is resolved once, *every* address it resolves to must be public (or allowed by
  `allow_hosts`), and the socket is then connected to exactly one of those vetted addresses,
  inside the urllib3 connection itself: no second DNS lookup that a rebinding DNS server could
  answer differently, while the Host header and TLS SNI/certificate checks keep the hostname.
  Redirects are followed by hand so that each hop passes the same guard.
* timeouts on every request, retries with exponential backoff on 5xx/429 and connection errors
  (never on other 4xx, never on a read timeout: a source that hangs would otherwise cost
  `retries + 1` timeouts per URL), `Retry-After` honoured up to a cap;
* a per-host circuit breaker: once a host failed to connect `circuit_threshold` times in a row
  (refused, no DNS, connect timeout), its other URLs fail at once for the rest of the session,
  so a dead host costs a few seconds of a harvest, not retries x timeout per link;
* per-host politeness (a minimum gap between two requests to one host, across threads);
* a size cap on every body, counted on the decoded bytes (a gzip bomb stops at the cap too);
* a clear User-Agent.

Errors are `HttpError` with a `kind` slug (see `KINDS` in plumbing/http_errors.py) and a message an agency can act on.
A session is meant to live for one run (one harvest job, one assessment batch): the circuit
breaker remembers dead hosts for the life of the session.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json as jsonlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util.connection import allowed_gai_family

from plumbing.http_errors import HttpError, InvalidJson
from plumbing.turns import LocalTurns, RedisTurns, Turns, shared_turns_url

DEFAULT_USER_AGENT = "opendata-platform/0.1 (+https://github.com/opendata-platform)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that must not follow a redirect to another origin (credentials of the first one).
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
_CHUNK = 64 * 1024
# How much of an error page is kept on the HttpError (CKAN explains its 4xx in a JSON body).
_ERROR_BODY_BYTES = 64 * 1024


class Hop(NamedTuple):
    """One redirect followed: `url` answered `status` and sent us to `location`."""

    status: int
    url: str
    location: str


@dataclass
class HttpConfig:
    allow_hosts: list[str] = field(default_factory=list)  # hosts or CIDRs exempt from the SSRF guard
    timeout: float = 30.0  # connect timeout and read timeout (between two bytes), seconds
    retries: int = 3
    backoff: float = 0.5  # first retry waits backoff, then 2x, 4x ...
    max_bytes: int = 50 * 1024 * 1024
    host_delay: float = 0.0
    user_agent: str = DEFAULT_USER_AGENT
    max_redirects: int = 10
    circuit_threshold: int = 3  # consecutive connection-level failures on a host; 0 disables
    retry_after_cap: float = 30.0  # longest Retry-After we wait for, seconds
    total_timeout: float | None = None  # wall-clock cap on one fetch (stops a source that trickles)
    json_max_depth: int = 100
    ca_bundle: str | None = None  # CA file for TLS verification (an agency's own CA); None: certifi

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if self.retries < 0 or self.max_redirects < 0 or self.backoff < 0:
            raise ValueError("retries, max_redirects and backoff cannot be negative")
        AllowList.parse(self.allow_hosts)  # fail at start on a malformed entry

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> HttpConfig:
        """From the `app.settings.load()` dict (keys ALLOW_HOSTS, HTTP_TIMEOUT, ...)."""
        default = cls()
        return cls(
            allow_hosts=list(values.get("ALLOW_HOSTS") or []),
            timeout=float(values.get("HTTP_TIMEOUT", default.timeout)),
            retries=int(values.get("HTTP_RETRIES", default.retries)),
            backoff=float(values.get("HTTP_BACKOFF", default.backoff)),
            max_bytes=int(values.get("MAX_DOWNLOAD_BYTES", default.max_bytes)),
            host_delay=float(values.get("HTTP_HOST_DELAY", default.host_delay)),
            user_agent=str(values.get("USER_AGENT") or default.user_agent),
            total_timeout=float(values["HTTP_TOTAL_TIMEOUT"]) if values.get("HTTP_TOTAL_TIMEOUT") else None,
        )


# ---------------------------------------------------------------------------------------------
# The SSRF guard: which addresses may be reached


_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def blocked_reason(ip: IPAddress) -> str | None:
    """Why `ip` must not be reached from the platform, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address a.b.c.d
            return blocked_reason(ip.ipv4_mapped)
        for embedded in (ip.sixtofour, ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None):
            if embedded is not None and (reason := blocked_reason(embedded)):
                return f"{reason}, embedded in {ip}"
    if ip.is_unspecified:
        return "the unspecified address (it reaches this machine)"
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a reserved address"
    if not ip.is_global:
        return "an address that is not publicly routable"
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts (by name) and networks exempt from the guard: `OPENDATA_ALLOW_HOSTS`. An entry is a host name, an
    address or a CIDR, on any port; or one of them with a port (`127.0.0.1:5051`, `[::1]:5051`, `intranet:8080`,
    `10.0.0.0/8:443`), exempt on that port only: a catalog whose departments' servers are on loopback need not
    open every local service (a database's, a cache's) to a link someone registers."""

    names: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    name_ports: frozenset[tuple[str, int]] = frozenset()
    network_ports: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int], ...] = ()

    @classmethod
    def parse(cls, entries: list[str] | tuple[str, ...]) -> AllowList:
        names, networks, name_ports, network_ports = set(), [], set(), []
        for raw in entries:
            entry, port = _entry_and_port(raw)
            if not entry:
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if "/" in entry or ":" in entry:
                    raise ValueError(f"allow_hosts: {raw!r} is neither a host name nor an IP/CIDR") from None
                if port is None:
                    names.add(entry)
                else:
                    name_ports.add((entry, port))
                continue
            if port is None:
                networks.append(network)
            else:
                network_ports.append((network, port))
        return cls(frozenset(names), tuple(networks), frozenset(name_ports), tuple(network_ports))

    def host_allowed(self, host: str, port: int | None = None) -> bool:
        name = _norm_host(host)
        return name in self.names or (name, port) in self.name_ports

    def address_allowed(self, ip: IPAddress, port: int | None = None) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks) or any(
            ip in net and port == pinned for net, pinned in self.network_ports)


def _entry_and_port(raw: str) -> tuple[str, int | None]:
    """(the host, address or CIDR, the port or None) of an ALLOW_HOSTS entry; ValueError of a port that is none."""
    entry = raw.strip().lower()
    port: str | None = None
    if entry.startswith("["):  # [::1] or [::1]:5051
        inside, _, rest = entry[1:].partition("]")
        entry, port = inside, (rest[1:] if rest.startswith(":") else None)
        if rest and port is None:
            raise ValueError(f"allow_hosts: {raw!r} is neither a host name nor an IP/CIDR")
    elif entry.count(":") == 1:  # host:port (an IPv6 address has two colons at least)
        entry, port = entry.split(":")
    entry = entry.rstrip(".")
    if port is None:
        return entry, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"allow_hosts: {raw!r} names no port (1-65535) after its colon")
    return entry, int(port)


def _norm_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


class AddressBlocked(Exception):
    """Raised inside the connection when the guard refuses; deliberately not an OSError, so that
    urllib3 and requests let it through untouched instead of treating it as a network failure."""

    def __init__(self, host: str, address: str, reason: str):
        super().__init__(f"{host} resolves to {address}, {reason}")
        self.host, self.address, self.reason = host, address, reason


def resolve_vetted(host: str, port: int, allow: AllowList) -> list[tuple]:
    """getaddrinfo results for host:port, after checking every one of them (raises AddressBlocked).

    Every address must pass, not only the first: a name with one public and one private
    address would otherwise let the connection fall through to the private one.
    """
    host = _norm_host(host)
    infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    if allow.host_allowed(host, port):
        return infos
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if allow.address_allowed(ip, port):
            continue
        reason = blocked_reason(ip)
        if reason:
            raise AddressBlocked(host, str(ip), reason)
    return infos


class _PinnedConnectionMixin:
    """urllib3 connection whose socket goes to an address vetted in the same step as the lookup."""

    allow: AllowList = AllowList()

    def _new_conn(self) -> socket.socket:
        try:
            infos = resolve_vetted(self.host, self.port, self.allow)
            sock = self._connect_first(infos)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. "
                                            f"(connect timeout={self.timeout})") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def _connect_first(self, infos: list[tuple]) -> socket.socket:
        error: OSError | None = None
        for family, socktype, proto, _canon, sockaddr in infos:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, int | float):
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                if sock is not None:
                    sock.close()
        raise error or OSError(f"{self.host}: the name resolves to no address")


def _pool_classes(allow: AllowList) -> dict[str, type]:
    """Connection pool classes whose connections apply this session's allow list."""
    http_conn = type("GuardedHTTPConnection", (_PinnedConnectionMixin, HTTPConnection), {"allow": allow})
    https_conn = type("GuardedHTTPSConnection", (_PinnedConnectionMixin, HTTPSConnection), {"allow": allow})
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class _GuardedAdapter(HTTPAdapter):
    """requests adapter over pools of pinned connections; no urllib3 retries (we retry ourselves)."""

    def __init__(self, allow: AllowList, pool_size: int = 16):
        self._allow = allow
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._allow)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # A proxy would do the DNS lookup and the connect itself, out of the guard's reach.
        raise requests.exceptions.InvalidURL("proxies are not supported by the guarded session")


# ---------------------------------------------------------------------------------------------
# Results


def _decode_text(content: bytes, content_type: str | None) -> str:
    """The answer's text: in its charset when the bytes bear it out (not the generic ISO-8859-1 many servers send),
    else in the encoding detected, as every door decides (a GBK body said to be UTF-8 was U+FFFD throughout)."""
    from plumbing.textencoding import decide_encoding, declarations  # the one decision every door shares

    decision = decide_encoding(content, declarations(content_type=content_type))
    return content.decode(decision.encoding or "utf-8", "replace")


@dataclass
class FetchResult:
    """A complete answer: `content` holds the body (empty for HEAD and `stream_to`).

    It also answers the common `requests.Response` questions (status_code, text, json(), ok),
    so that code written against requests can take it.
    """

    url: str
    final_url: str
    status: int
    headers: CaseInsensitiveDict
    content: bytes
    truncated: bool
    elapsed: float
    redirects: list[Hop]
    size: int = 0  # bytes of body seen (== len(content) unless streamed to a file)

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def text(self) -> str:
        return _decode_text(self.content, self.headers.get("Content-Type"))

    def json(self, max_depth: int = 100) -> Any:
        return parse_json(self.content, self.final_url, max_depth=max_depth,
                          content_type=self.headers.get("Content-Type"))

    def raise_for_status(self) -> None:
        """Nothing to do: error statuses were raised as HttpError already."""


class StreamingResponse:
    """An answer whose body has not been read yet (`get(..., stream=True)`).

    Iterate it with `iter_content()` or read it like a file (`read(n)`, so XML and JSON
    streaming parsers can take it). The size cap applies as it is read. Close it, or use it
    as a context manager.
    """

    def __init__(self, url: str, final_url: str, status: int, headers: CaseInsensitiveDict,
                 redirects: list[Hop], chunks: Generator[bytes, None, None], state: _ReadState,
                 raw: requests.Response):
        self.url, self.final_url, self.status, self.headers = url, final_url, status, headers
        self.redirects = redirects
        self._chunks = chunks
        self._raw = raw
        self._state = state
        self._buffer = b""

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def truncated(self) -> bool:
        return self._state.truncated

    def iter_content(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        for chunk in self._chunks:
            for start in range(0, len(chunk), chunk_size):
                yield chunk[start:start + chunk_size]

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data, self._buffer = self._buffer + b"".join(self._chunks), b""
            return data
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    @property
    def content(self) -> bytes:
        return self.read()

    def close(self) -> None:
        self._chunks.close()
        self._raw.close()  # also when the body was never started

    def __enter__(self) -> StreamingResponse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# JSON with limits


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value (scalars 0, [] 1), counting stops past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(data: bytes, url: str = "", *, max_depth: int = 100, content_type: str | None = None) -> Any:
    """Parse a JSON body; anything wrong is an InvalidJson whose message says what and where."""
    where = f"{url} " if url else ""
    served = f" (served as {content_type})" if content_type else ""
    try:
        value = jsonlib.loads(data)
    except RecursionError:
        raise InvalidJson(url, f"{where}is JSON nested too deeply to read (more than {max_depth} levels "
                               "are refused)") from None
    except jsonlib.JSONDecodeError as exc:
        raise InvalidJson(url, f"{where}is not valid JSON{served}: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise InvalidJson(url, f"{where}is not JSON text in UTF-8/16/32{served}: byte {exc.start} "
                               "cannot be decoded") from None
    if json_depth(value, max_depth) > max_depth:
        raise InvalidJson(url, f"{where}is JSON nested deeper than {max_depth} levels; refused")
    return value


# ---------------------------------------------------------------------------------------------
# The session


@dataclass
class _ReadState:
    size: int = 0
    truncated: bool = False


def _host_of(url: str) -> str:
    """The server a URL names: host, and port when not the scheme's default (the circuit breaker's key:
    a refused connection says a port is dead, not every service on that machine)."""
    parts = urlsplit(url)
    host = _norm_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if port and port != default else host


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, _norm_host(parts.hostname or ""), parts.port


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _unwrap(exc: BaseException) -> BaseException:
    """The urllib3 reason inside a requests exception."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        return inner.reason
    return inner if isinstance(inner, BaseException) else exc


def _classify(exc: requests.RequestException, url: str, timeout: float) -> tuple[HttpError, bool]:
    """A requests exception as an HttpError, and whether it is a connection-level failure."""
    host = _host_of(url)
    reason = _unwrap(exc)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return HttpError("invalid-url", url, f"{url} is not a usable http(s) URL: {exc}"), False
    if isinstance(reason, NameResolutionError):
        return HttpError("dns", url, f"{host} could not be found (DNS lookup failed) for {url}",
                         retryable=True), True
    if isinstance(reason, NewConnectionError):
        cause = reason.__cause__
        refused = isinstance(cause, ConnectionRefusedError)
        detail = "connection refused" if refused else str(cause or reason)
        return HttpError("connection", url, f"could not connect to {host} ({detail}) for {url}",
                         retryable=True, reason="refused" if refused else "broken"), True
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, ConnectTimeoutError):
        return HttpError("timeout", url, f"{host} did not accept a connection within {timeout:g} s for {url}",
                         retryable=True), True
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return HttpError("timeout", url, f"{host} did not answer within {timeout:g} s for {url}"), False
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpError("connection", url, f"secure connection to {host} failed (TLS certificate or "
                                            f"protocol problem) for {url}: {reason}", reason="tls"), False
    return HttpError("connection", url, f"the connection to {host} broke before an answer for {url}: {reason}",
                     retryable=True, reason="broken"), False


class GuardedSession:
    """The guarded outbound session. Thread-safe: one instance may serve a thread pool."""

    def __init__(self, config: HttpConfig, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, turns: Turns | None = None):
        """`clock` and `sleep` are the session's only sense of time (waits for retries, Retry-After and
        politeness; deadlines and `elapsed`): tests hand in their own to count the waits. `turns` keeps the
        politeness turns per host (default: this process's; `RedisTurns`: every worker's)."""
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._turns = turns or LocalTurns(clock)
        self._allow = AllowList.parse(config.allow_hosts)
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc from the environment
        self._session.headers["User-Agent"] = config.user_agent
        if config.ca_bundle:
            self._session.verify = config.ca_bundle
        adapter = _GuardedAdapter(self._allow)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._dead: dict[str, str] = {}  # host -> the failure that opened its circuit

    @property
    def turns(self) -> Turns:
        """Who keeps this session's politeness turns (this process, or every worker through Redis)."""
        return self._turns

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> GuardedSession:
        """From the settings dict; with a per-host delay and a Redis to share (the broker's, or
        POLITENESS_REDIS_URL), the turns are every worker's, not only this process's."""
        config = HttpConfig.from_settings(values)
        shared = shared_turns_url(values) if config.host_delay > 0 else None
        return cls(config, turns=RedisTurns(shared) if shared else None)

    # -- public calls ---------------------------------------------------------------------

    def fetch(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
              params: dict | None = None, max_bytes: int | None = None, allow_truncated: bool = False) -> FetchResult:
        """The whole answer in memory (capped). Raises HttpError for anything but a usable answer."""
        parts: list[bytes] = []
        return self._complete(url, method, headers, params, max_bytes, allow_truncated, parts.append, parts)

    def get(self, url: str, *, headers: dict[str, str] | None = None, params: dict | None = None,
            stream: bool = False, max_bytes: int | None = None,
            allow_truncated: bool = False) -> FetchResult | StreamingResponse:
        if not stream:
            return self.fetch(url, headers=headers, params=params, max_bytes=max_bytes,
                              allow_truncated=allow_truncated)
        start = self._clock()
        url = _prepare_url(url, params)
        resp, final_url, hops = self._open("GET", url, headers, start)
        state = _ReadState()
        cap = max_bytes or self.config.max_bytes
        chunks = self._body(resp, final_url, "GET", cap, allow_truncated, state, start)
        return StreamingResponse(url, final_url, resp.status_code, resp.headers, hops, chunks, state, resp)

    def head(self, url: str, *, headers: dict[str, str] | None = None, params: dict | None = None) -> FetchResult:
        return self.fetch(url, method="HEAD", headers=headers, params=params)

    def stream_to(self, url: str, fileobj: IO[bytes], *, max_bytes: int | None = None,
                  headers: dict[str, str] | None = None, allow_truncated: bool = False) -> FetchResult:
        """Write the body to `fileobj` chunk by chunk; the result's `content` is b"", `size` the bytes written.

        On too-large (without allow_truncated) the file holds a partial body: the caller discards it.
        """
        return self._complete(url, "GET", headers, None, max_bytes, allow_truncated, fileobj.write, None)

    def json(self, url: str, *, headers: dict[str, str] | None = None, params: dict | None = None,
             max_bytes: int | None = None, max_depth: int | None = None) -> Any:
        """GET and parse JSON; InvalidJson (an HttpError and a ValueError) when it is not acceptable JSON."""
        result = self.fetch(url, headers={"Accept": "application/json", **(headers or {})}, params=params,
                            max_bytes=max_bytes)
        return parse_json(result.content, result.final_url, max_depth=max_depth or self.config.json_max_depth,
                          content_type=result.headers.get("Content-Type"))

    def close(self) -> None:
        self._session.close()
        self._turns.close()

    def __enter__(self) -> GuardedSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def dead_hosts(self) -> dict[str, str]:
        """Hosts whose circuit is open, with the failure that opened it (for job reports)."""
        with self._lock:
            return dict(self._dead)

    # -- the request path -----------------------------------------------------------------

    def _complete(self, url, method, headers, params, max_bytes, allow_truncated,
                  sink: Callable[[bytes], Any], parts: list[bytes] | None) -> FetchResult:
        method = method.upper()
        if method not in ("GET", "HEAD"):
            raise ValueError(f"method {method} is not supported: the platform only reads (GET, HEAD)")
        start = self._clock()
        url = _prepare_url(url, params)
        resp, final_url, hops = self._open(method, url, headers, start)
        state = _ReadState()
        chunks = self._body(resp, final_url, method, max_bytes or self.config.max_bytes, allow_truncated, state, start)
        with closing(chunks):
            for chunk in chunks:
                sink(chunk)
        return FetchResult(url=url, final_url=final_url, status=resp.status_code, headers=resp.headers,
                           content=b"".join(parts) if parts is not None else b"", truncated=state.truncated,
                           elapsed=self._clock() - start, redirects=hops, size=state.size)

    def _open(self, method: str, url: str, headers: dict[str, str] | None,
              start: float) -> tuple[requests.Response, str, list[Hop]]:
        """Send, following redirects by hand; returns the final (non-redirect, < 400) response, unread."""
        hops: list[Hop] = []
        seen = {url}
        current = url
        headers = dict(headers or {})
        while True:
            try:
                resp = self._send(method, current, headers, start)
            except HttpError as err:
                if hops:
                    err.message += f" (reached by a redirect from {url})"
                    err.args = (err.message,)
                raise
            location = resp.headers.get("Location")
            if resp.status_code in REDIRECT_STATUSES and location:
                resp.close()
                target = self._redirect_target(current, location, url)
                hops.append(Hop(resp.status_code, current, target))
                if target in seen:
                    raise HttpError("redirect-loop", url, f"{url} redirects in a loop (back to {target} after "
                                                          f"{len(hops)} redirect(s))")
                if len(hops) > self.config.max_redirects:
                    raise HttpError("redirect-loop", url, f"{url} redirects more than {self.config.max_redirects} "
                                                          "times; gave up")
                if _origin(target) != _origin(current):
                    for name in _CREDENTIAL_HEADERS:
                        for key in [k for k in headers if k.lower() == name.lower()]:
                            del headers[key]
                seen.add(target)
                current = target
                continue
            if resp.status_code >= 400:
                body = self._error_body(resp, method)
                raise HttpError("http-status", current, f"{current} answered HTTP {resp.status_code} "
                                                        f"{resp.reason or ''}".rstrip(),
                                status=resp.status_code, body=body, retryable=resp.status_code in RETRY_STATUSES)
            return resp, current, hops

    @staticmethod
    def _redirect_target(current: str, location: str, original: str) -> str:
        try:  # servers send raw UTF-8 in Location; http.client hands it over as latin-1
            location = location.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        target = urljoin(current, location.strip()).split("#", 1)[0]
        try:
            return _prepare_url(target, None)
        except HttpError as err:
            raise HttpError("invalid-url", target, f"{original} redirects to {target}, which cannot be followed: "
                                                   f"{err.message}") from None

    @staticmethod
    def _error_body(resp: requests.Response, method: str) -> bytes | None:
        if method == "HEAD":
            resp.close()
            return None
        try:
            data = resp.raw.read(_ERROR_BODY_BYTES, decode_content=True)
        except Exception:  # noqa: BLE001 - the status is the error; a broken error page adds nothing
            data = None
        resp.close()
        return data

    def _send(self, method: str, url: str, headers: dict[str, str], start: float) -> requests.Response:
        """One URL, with retries on 5xx/429 and connection errors."""
        host = _host_of(url)
        cfg = self.config
        for attempt in range(cfg.retries + 1):
            last = attempt == cfg.retries
            try:
                resp = self._attempt(method, url, headers, host, start)
            except HttpError as err:
                if err.kind != "circuit-open" and self._is_dead(host):
                    err.message += f"; {host} is now skipped for the rest of this run"
                    err.args = (err.message,)
                    raise
                if not err.retryable or last:
                    raise
                self._pause(cfg.backoff * 2 ** attempt, start)
                continue
            if resp.status_code in RETRY_STATUSES and not last:
                asked = _retry_after(resp.headers.get("Retry-After"))
                wait = min(asked, cfg.retry_after_cap) if asked is not None else cfg.backoff * 2 ** attempt
                resp.close()
                self._pause(wait, start)
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, headers: dict[str, str], host: str, start: float) -> requests.Response:
        with self._lock:
            dead = self._dead.get(host)
        if dead is not None:
            raise HttpError("circuit-open", url, f"{host} is skipped for the rest of this run: it failed "
                                                 f"{self.config.circuit_threshold} times in a row (last: {dead})")
        self._check_deadline(url, start)
        self._wait_turn(host)
        timeout = self.config.timeout
        session = self._session
        try:
            resp = session.send(self._prepared(method, url, headers), stream=True, allow_redirects=False,
                                timeout=(timeout, timeout), verify=session.verify, cert=session.cert,
                                proxies=dict(session.proxies))
        except AddressBlocked as blocked:
            raise HttpError("ssrf-blocked", url, f"refused to fetch {url}: {blocked.host} is {blocked.reason} "
                                                 f"({blocked.address}); only public addresses may be fetched "
                                                 "unless listed in OPENDATA_ALLOW_HOSTS") from None
        except requests.RequestException as exc:
            err, connect_failure = _classify(exc, url, timeout)
            self._record(host, connect_failure, err.message)
            raise err from None
        self._record(host, False, None)
        return resp

    def _prepared(self, method: str, url: str, headers: dict[str, str]) -> requests.PreparedRequest:
        """The request `requests.Session.request` would send (the session's headers and cookies, credentials
        written in the URL, no body), from a URL that `_prepare_url` prepared already (or a redirect's
        target, prepared the same way): requests' own path would prepare it a second time (the same URL
        again) and merge parameters, files and the environment's settings this session never has. That
        general path was about a quarter of a conditional GET's CPU (a 304 on a kept-alive connection)."""
        session = self._session
        merged = CaseInsensitiveDict(session.headers)
        merged.update(headers)
        for key in [k for k, v in merged.items() if v is None]:
            del merged[key]
        prep = requests.PreparedRequest()
        prep.prepare_method(method)
        prep.url = url
        prep.prepare_headers(merged)
        prep.prepare_cookies(session.cookies)
        prep.prepare_body(None, None)
        prep.prepare_auth(session.auth, url)
        prep.prepare_hooks(session.hooks)
        return prep

    def _body(self, resp: requests.Response, url: str, method: str, cap: int, allow_truncated: bool,
              state: _ReadState, start: float) -> Generator[bytes, None, None]:
        """Check the declared size now, then return the body as capped chunks (read lazily)."""
        declared = _content_length(resp)
        if method != "HEAD" and declared is not None and declared > cap and not allow_truncated:
            resp.close()
            raise HttpError("too-large", url, f"{url} is {declared} bytes (Content-Length), more than the "
                                              f"{cap}-byte limit; not downloaded",
                            facts={"size": declared, "limit": cap})
        return self._chunks(resp, url, method, cap, allow_truncated, state, start, declared)

    def _chunks(self, resp, url, method, cap, allow_truncated, state: _ReadState, start: float,
                declared: int | None) -> Generator[bytes, None, None]:
        try:
            if method == "HEAD":
                return
            # read1: whatever has arrived (up to a chunk), so the deadline is checked while a
            # slow body trickles in; read()/stream() would block until a whole chunk is there.
            while chunk := resp.raw.read1(_CHUNK, decode_content=True):
                if state.size + len(chunk) > cap:
                    keep = cap - state.size
                    state.truncated = True
                    if not allow_truncated:
                        raise HttpError("too-large", url, f"{url} is larger than the {cap}-byte limit; "
                                                          "the download was stopped at the limit", facts={"limit": cap})
                    if keep:
                        state.size += keep
                        yield chunk[:keep]
                    return
                state.size += len(chunk)
                yield chunk
                self._check_deadline(url, start)
        except ReadTimeoutError:
            raise HttpError("timeout", url, f"{url} stopped sending data for {self.config.timeout:g} s "
                                            f"after {state.size} bytes") from None
        except ProtocolError as exc:
            if declared is not None and "IncompleteRead" in repr(exc):
                message = (f"{url} ended early: the server closed the connection after {state.size} bytes "
                           f"but its Content-Length announced {declared}")
            else:
                message = f"the connection broke while reading {url} after {state.size} bytes: {exc}"
            facts = {"size": state.size, "expected": declared} if declared is not None else {}
            raise HttpError("connection", url, message, retryable=True, reason="broken", facts=facts) from None
        except DecodeError as exc:
            raise HttpError("connection", url, f"{url} announced {resp.headers.get('Content-Encoding')} "
                                               f"compression but the body cannot be decompressed: {exc}",
                            reason="broken") from None
        except Urllib3SSLError as exc:
            raise HttpError("connection", url, f"the secure connection broke while reading {url}: {exc}",
                            reason="tls") from None
        finally:
            resp.close()

    # -- bookkeeping ----------------------------------------------------------------------

    def _record(self, host: str, connect_failure: bool, message: str | None) -> None:
        """Count consecutive connection-level failures per host; any answer resets the count."""
        with self._lock:
            if not connect_failure:
                self._failures[host] = 0
                return
            count = self._failures[host] = self._failures.get(host, 0) + 1
            if 0 < self.config.circuit_threshold <= count:
                self._dead.setdefault(host, message or "connection failure")

    def _is_dead(self, host: str) -> bool:
        with self._lock:
            return host in self._dead

    def _wait_turn(self, host: str) -> None:
        """Politeness: requests to one host start at least host_delay apart, across threads (and across
        workers with shared turns). Each caller reserves its turn, then sleeps outside any lock, so
        callers queue for a host without blocking requests to other hosts."""
        delay = self.config.host_delay
        if delay <= 0:
            return
        wait = self._turns.reserve(host, delay)
        if wait > 0:
            self._sleep(wait)

    def _pause(self, seconds: float, start: float) -> None:
        total = self.config.total_timeout
        if total is not None:
            seconds = min(seconds, max(0.0, start + total - self._clock()))
        if seconds > 0:
            self._sleep(seconds)

    def _check_deadline(self, url: str, start: float) -> None:
        total = self.config.total_timeout
        if total is not None and self._clock() - start > total:
            # it answered, too slowly in all (not "did not answer")
            raise HttpError("timeout", url, f"{url} took longer than {total:g} s in all; gave up", reason="deadline",
                            facts={"seconds": f"{total:g}"})


def _content_length(resp: requests.Response) -> int | None:
    value = resp.headers.get("Content-Length")
    if value is None:
        return None
    try:
        length = int(value.split(",")[0].strip())
    except ValueError:
        return None
    return length if length >= 0 else None


def _prepare_url(url: str, params: dict | None) -> str:
    """Normalise (IDNA host, quoting, params) and check the URL; only http(s) with a host passes."""
    if not isinstance(url, str) or not url.strip():
        raise HttpError("invalid-url", str(url), f"{url!r} is not a URL")
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"the {scheme}: scheme" if scheme else "no scheme"
        raise HttpError("invalid-url", url, f"{url} has {shown}; only http and https URLs are fetched")
    try:
        prep = requests.PreparedRequest()
        prep.prepare_url(url, params)  # the URL only: what `Request(...).prepare().url` gives, without the rest
        prepared = prep.url
        parts = urlsplit(prepared)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise HttpError("invalid-url", url, f"{url} is not a usable URL: {exc}") from None
    if not parts.hostname:
        raise HttpError("invalid-url", url, f"{url} names no host")
    return prepared
