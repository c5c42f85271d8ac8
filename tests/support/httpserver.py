"""A real HTTP server on 127.0.0.1 for tests: static files and programmable routes.

    with LocalServer() as srv:
        srv.add_file("/catalog.rdf", path, content_type="application/rdf+xml")
        srv.add_route("/flaky", handler)   # handler(request) -> (status, headers, body)
        url = srv.url("/catalog.rdf")

Misbehaving servers (the hostile input corpus) write the raw answer themselves:

        srv.add_drip("/slow", b"...", delay=0.2)          # one byte every 0.2 s
        srv.add_wrong_length("/short", b"...", claimed=10_000)   # Content-Length lies, then hang up
        srv.add_redirect_loop("/a", "/b")                  # /a -> /b -> /a ...
        srv.add_raw("/x", writer)                          # writer(handler): anything on handler.wfile
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""


Response = tuple[int, dict[str, str], bytes]


@dataclass
class _Routes:
    handlers: dict[str, Callable[[Request], Response]] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    raw: dict[str, Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up (timeouts in the tests do) is normal, not a traceback in the test output."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class LocalServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.routes = _Routes()
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes: with Nagle's algorithm the body waits for the
            # client's delayed ACK of the headers, 40 ms a response on Linux.
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, parts.query, dict(self.headers.items()), body)
                routes.log.append(req)
                raw = routes.raw.get(parts.path)
                if raw is not None:  # the route writes status line, headers and body itself
                    self.close_connection = True
                    raw(self)
                    return
                handler = routes.handlers.get(parts.path)
                if handler is None:
                    status, headers, payload = 404, {"Content-Type": "text/plain"}, b"not found"
                else:
                    status, headers, payload = handler(req)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _serve

        self.httpd = _Server((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def requests(self) -> list[Request]:
        return self.routes.log

    def add_route(self, path: str, handler: Callable[[Request], Response]) -> None:
        self.routes.handlers[path] = handler

    def add_bytes(self, path: str, body: bytes, content_type: str = "application/octet-stream",
                  status: int = 200, headers: dict[str, str] | None = None) -> None:
        hdrs = {"Content-Type": content_type, **(headers or {})}
        self.add_route(path, lambda _req: (status, hdrs, body))

    def add_file(self, path: str, file: str | Path, content_type: str = "application/octet-stream") -> None:
        self.add_bytes(path, Path(file).read_bytes(), content_type)

    def add_raw(self, path: str, writer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        """`writer(handler)` answers on `handler.wfile` byte by byte as it likes; the connection closes after
        (send "Connection: close" so that clients do not reuse it)."""
        self.routes.raw[path] = writer

    def add_drip(self, path: str, body: bytes, *, delay: float, chunk: int = 1,
                 content_type: str = "application/octet-stream", declare_length: bool = True) -> None:
        """A slow server: headers at once, then `chunk` bytes every `delay` seconds (never a read timeout)."""

        def write(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            if declare_length:
                handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            for start in range(0, len(body), chunk):
                handler.wfile.write(body[start:start + chunk])
                handler.wfile.flush()
                time.sleep(delay)

        self.add_raw(path, write)

    def add_wrong_length(self, path: str, body: bytes, *, claimed: int,
                         content_type: str = "application/octet-stream") -> None:
        """Content-Length says `claimed` bytes; `body` is sent and the connection closed."""

        def write(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(claimed))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()

        self.add_raw(path, write)

    def add_redirect_loop(self, *paths: str, status: int = 302) -> None:
        """Each path redirects to the next, the last back to the first."""
        for here, there in zip(paths, [*paths[1:], paths[0]], strict=True):
            self.add_bytes(here, b"", "text/plain", status=status, headers={"Location": self.url(there)})

    def add_hang(self, path: str, seconds: float) -> None:
        """Accept the request and say nothing for `seconds` (a server that hangs)."""
        self.add_raw(path, lambda _handler: time.sleep(seconds))

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
