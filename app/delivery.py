"""How responses leave the app: static files fingerprinted and precompressed, pages and exports with a
validator and 304s, bodies gzipped (issue 15 item 2; docs/architecture.md "Caching and compression").

`init_delivery(app)` (called in `create_app` before `init_security`, so that its after-request hook runs
after the security headers are set, and as the last word on an answer's caching) wires four things:

- **Static files.** Templates name them with `static_url(filename)`: `/static/<filename>?v=<hash>`, the
  first 12 hex digits of the file's sha256. A request carrying the current hash is answered
  `Cache-Control: public, max-age=31536000, immutable` (a new file has a new URL); any other (no `v`, an
  old one, the fonts and images the CSS names relatively) `public, no-cache` with an ETag and
  Last-Modified, so it is revalidated and answered 304. Text files (CSS, JS, SVG, JSON...) are sent gzipped
  to a client that accepts it, compressed once per process at level 9 and kept in memory
  (`Vary: Accept-Encoding`, ETag `<hash>-gz`).
- **Validators on reads.** A GET (or HEAD) of a `reads` route (app/routing.py) answered 200 with a body in memory and
  no ETag of its own gets a weak ETag, the sha256 of its body (with the page's CSP nonce taken out, which
  changes every response), and a 304 when `If-None-Match` names it. The 304 carries no
  Content-Security-Policy: the copy the client keeps stays with the header that matches its nonce. Pages are
  `Cache-Control: no-cache` (revalidate every time) and `Vary: Accept-Language, Cookie` (the language and
  the signed-in person change them); a signed-in person's pages stay `private, no-store` (app/security.py)
  and get no validator. What is the same for every visitor (`visitor_free`: static files, the catalog's
  dumps and pages, a dataset's documents (at their own address or its page's through Accept), the feeds, the
  badges, robots.txt and the sitemaps, a quality metric)
  never depends on the session, so says no `Vary: Cookie`, and is `public, no-cache` unless its route says
  otherwise (a static file's, a feed's, a badge's or a sitemap's lifetime).
- **Compression.** A body of a compressible type (HTML, JSON, CSV, XML, RDF, Turtle, N-Triples, JS, CSS,
  SVG, plain text) of `COMPRESS_MIN_BYTES` or more is gzipped (level `COMPRESS_LEVEL`) when the client
  accepts gzip; `Vary: Accept-Encoding` is added and a strong ETag becomes weak (the bytes differ, the
  representation does not). A streamed `reads` response (the full dumps, data.json) is compressed as it
  streams, in constant memory. What the serving gate hands out (`serves` routes: a distribution's bytes,
  ranges, previews) and anything already encoded is left alone.
- **Credentials.** An API token comes in a header (`Authorization`, or CKAN's `X-CKAN-API-Key`:
  `CREDENTIAL_HEADERS`, read by app.security.request_token alone), and what is answered to it may be its sender's
  alone (a draft, the real bytes of withheld data). A shared cache may keep an answer to a request with
  `Authorization` that says `public` (RFC 9111 3.5), and takes `X-CKAN-API-Key` for any header. So an answer to a
  request carrying either is `private` (`private_cache_control`: its lifetime, `no-cache` and `no-store` kept, what
  only shared caches read taken out), whatever set its caching, the serving gate included; and an answer that read
  the token (`read_credentials`) says `Vary: Authorization, X-CKAN-API-Key`, the anonymous one too, and so does its
  304, so a cache that kept one hands it only to a request with the same credentials. What never reads the token
  (the catalog's documents, the REST search) is kept once for everyone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.http import parse_list_header

from app import routing

if TYPE_CHECKING:  # Flask loads with the app (app/__init__.py)
    from flask import Flask, Response

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
PAGE_CACHE = "no-cache"
FINGERPRINT_DIGITS = 12
STATIC_GZIP_LEVEL = 9

COMPRESSIBLE = frozenset({
    "text/html", "text/plain", "text/css", "text/csv", "text/javascript", "text/xml", "text/turtle",
    "text/n3", "text/markdown", "application/json", "application/ld+json", "application/geo+json",
    "application/xml", "application/rdf+xml", "application/n-triples", "application/n-quads",
    "application/trig", "application/javascript", "application/x-javascript", "application/schema+json",
    "application/problem+json", "application/csvm+json", "application/manifest+json", "image/svg+xml",
})


def compressible(mimetype: str | None) -> bool:
    mime = (mimetype or "").lower()
    return mime in COMPRESSIBLE or mime.endswith(("+json", "+xml"))


def accepts_gzip(request) -> bool:
    return request.accept_encodings["gzip"] > 0


# --------------------------------------------------------------------------- credentials

#: The request headers an API token comes in (app.security.request_token): an answer that read them varies by them.
CREDENTIAL_HEADERS = ("Authorization", "X-CKAN-API-Key")
#: What a private answer does not say: the directives only shared caches read, and `private` itself (its qualified
#: form, `private="Set-Cookie"`, would let a shared cache keep the rest), said once and unqualified.
_SHARED_ONLY = frozenset({"public", "private", "s-maxage", "proxy-revalidate"})


def carries_credentials(request) -> bool:
    """Whether the request carries a credential header, valid or not (a cache cannot tell; RFC 9111 3.5 asks only
    whether Authorization is there)."""
    return any(name in request.headers for name in CREDENTIAL_HEADERS)


def read_credentials() -> None:
    """Mark this request's answer as one that depends on its credential headers (app.security.request_token calls
    it whenever it reads them, present or not): it will say `Vary: Authorization, X-CKAN-API-Key`."""
    from flask import g

    g.read_credentials = True


def private_cache_control(value: str | None) -> str:
    """`value` (a Cache-Control, or none) as no shared cache keeps it: `private` first, the directives only shared
    caches read (`public`, `s-maxage`, `proxy-revalidate`) taken out, the rest (`max-age`, `no-cache`, `no-store`,
    `must-revalidate`, `immutable`) kept: `public, max-age=60` is `private, max-age=60`, none is `private`."""
    kept = [d.strip() for d in parse_list_header(value or "")
            if d.strip() and d.split("=", 1)[0].strip().lower() not in _SHARED_ONLY]
    return ", ".join(["private", *kept])


def must_revalidate() -> None:
    """Mark this request's answer as one a cache must ask about again before each use (the serving gate calls it when
    the answer shows an admin's override of the personal-data block, which may be revoked at any moment:
    app.services.serving.note_override): a lifetime its route gave it (`public, max-age=60`) becomes `no-cache`
    (`public, no-cache`), its validator kept, so that a revocation is what the next request reads. Outside a request
    (the command line) it does nothing."""
    from flask import g, has_request_context

    if has_request_context():
        g.must_revalidate = True


#: The directives of a lifetime, which an answer that must be revalidated does not keep.
_LIFETIME = frozenset({"max-age", "s-maxage", "immutable", "stale-while-revalidate", "stale-if-error"})


def _revalidated(resp: Response) -> Response:
    """An answer marked by `must_revalidate` with its lifetime made `no-cache` (a `no-store` or `no-cache` stays)."""
    from flask import g

    value = resp.headers.get("Cache-Control")
    if not g.get("must_revalidate") or not value or "no-store" in value or "no-cache" in value:
        return resp
    kept = [d.strip() for d in parse_list_header(value)
            if d.strip() and d.split("=", 1)[0].strip().lower() not in _LIFETIME]
    resp.headers["Cache-Control"] = ", ".join([*kept, "no-cache"])
    return resp


def _keyed_by_credentials(request, resp: Response) -> Response:
    """The last word on every answer (after_request): `Vary` by the credential headers when they were read, and
    `private` when the request carried one."""
    from flask import g

    if g.get("read_credentials"):
        for name in CREDENTIAL_HEADERS:
            resp.vary.add(name)
    if carries_credentials(request):
        resp.headers["Cache-Control"] = private_cache_control(resp.headers.get("Cache-Control"))
    return resp


# --------------------------------------------------------------------------- static files


@dataclass(frozen=True)
class StaticFile:
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size): a changed file is read again
    digest: str
    body: bytes
    gzipped: bytes | None


# Every app of the process that serves the same folder shares what was read and compressed: a process that
# builds many apps (a test run builds one per test) compresses a 527 KB stylesheet once, not once an app.
_KNOWN: dict[tuple[Path, str], StaticFile] = {}


class StaticFiles:
    """The app's static folder, each file's fingerprint and gzipped copy, computed once per change (and per
    process: apps of the same folder share them)."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder).resolve()

    def resolve(self, filename: str) -> Path | None:
        """The file `filename` names inside the folder, or None (missing, a folder, or outside it)."""
        from werkzeug.security import safe_join

        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        path = Path(joined)
        return path if path.is_file() else None

    def get(self, filename: str) -> StaticFile | None:
        path = self.resolve(filename)
        if path is None:
            return None
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        known = _KNOWN.get((self.folder, filename))
        if known is not None and known.stamp == stamp:
            return known
        body = path.read_bytes()
        import mimetypes

        mime = mimetypes.guess_type(path.name)[0]
        gz = gzip.compress(body, STATIC_GZIP_LEVEL, mtime=0) if compressible(mime) and len(body) > 256 else None
        entry = StaticFile(path, stamp, hashlib.sha256(body).hexdigest()[:FINGERPRINT_DIGITS], body,
                           gz if gz is not None and len(gz) < len(body) else None)
        _KNOWN[(self.folder, filename)] = entry
        return entry

    def url(self, filename: str) -> str:
        """`/static/<filename>?v=<fingerprint>` (no `v` for a file that does not exist)."""
        from flask import url_for

        entry = self.get(filename)
        return url_for("static", filename=filename, v=entry.digest) if entry else url_for("static", filename=filename)


def _static_view(files: StaticFiles):
    def static(filename: str):
        import datetime as dt
        import mimetypes

        from flask import Response, abort, request

        entry = files.get(filename)
        if entry is None:
            abort(404)
        mime = mimetypes.guess_type(entry.path.name)[0] or "application/octet-stream"
        use_gzip = entry.gzipped is not None and accepts_gzip(request)
        resp = Response(entry.gzipped if use_gzip else entry.body, mimetype=mime)
        if use_gzip:
            resp.headers["Content-Encoding"] = "gzip"
        if entry.gzipped is not None:
            resp.vary.add("Accept-Encoding")
        resp.set_etag(entry.digest + ("-gz" if use_gzip else ""))
        resp.last_modified = dt.datetime.fromtimestamp(entry.stamp[0] / 1e9, dt.UTC).replace(microsecond=0)
        resp.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == entry.digest else REVALIDATE
        return resp.make_conditional(request)

    return static


# --------------------------------------------------------------------------- validators and compression


def _reads(request) -> bool:
    """A read: a route that reads, or a CKAN action that does (package_show, package_search ...: the Action API's
    one route is read or written by its action's name)."""
    return routing.request_kind(request.endpoint, request.view_args) == routing.READS


def etag_of(*parts: Any) -> str:
    """A validator made of what a response is made of (its parts as JSON), for answers that know it before their
    body: the REST API's resources (app/api/rest/responses.py), the streamed /data.json and catalog dumps."""
    digest = hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode("utf-8")).hexdigest()
    return digest[:32]


def validated(request, resp: Response, tag: str) -> Response:
    """`resp` with the weak ETag `tag`, or 304 with no body when If-None-Match names it: the one rule of the
    validators this module sets (a page's or an export's body hash) and of a streamed document's own, made from
    what its body is made of before it is read (/data.json and the catalog dumps, app/export/routes.py). A stream
    replaced by the 304's empty body has not started: nothing of it was read."""
    resp.set_etag(tag, weak=True)
    if request.if_none_match.contains_weak(tag):
        resp.status_code = 304
        resp.set_data(b"")
        for name in ("Content-Length", "Content-Type", "Content-Security-Policy"):
            resp.headers.pop(name, None)
    return resp


def _add_validator(request, resp: Response, nonce: str | None) -> Response:
    """A weak ETag from the body (without the CSP nonce) on a page or export, and 304 when the client holds it."""
    body = resp.get_data()
    if nonce:
        body = body.replace(nonce.encode("ascii"), b"")
    return validated(request, resp, hashlib.sha256(body).hexdigest()[:32])


def _vary_as_its_200(request, resp: Response) -> Response:
    """A 304 sends the Vary its 200 would (RFC 9110), by which a cache keys the copy it keeps: the 200 of any
    route but the serving gate's and the static files' (which set their own) varies by Accept-Encoding."""
    if routing.kind_of(request.endpoint) != routing.SERVES and request.endpoint != "static":
        resp.vary.add("Accept-Encoding")
    return resp


def _weaken_etag(resp: Response) -> None:
    tag, weak = resp.get_etag()
    if tag and not weak:
        resp.set_etag(tag, weak=True)


def _gzip_stream(chunks: Iterable[Any], level: int) -> Iterator[bytes]:
    """Compress as it streams: what zlib has ready leaves at once, nothing is held but its window."""
    z = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    try:
        for chunk in chunks:
            out = z.compress(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            if out:
                yield out
        yield z.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


#: What is the same for every visitor beside the static files: the catalog in every format (the streamed dumps,
#: /data.json and the paged documents: the published records in every language, whoever asks), one dataset's
#: documents (the same for an editor: they pass no user to the lifecycle, so a draft is 404 for everyone), the
#: feeds (their language from `?lang` and Accept-Language, never the session: app/i18n.py), the badges (their
#: language from `?lang` alone), what search engines read (robots.txt and the sitemaps: the site's address and the
#: active datasets) and a quality metric's DQV description (RDF, no page). A response that differs by who is signed
#: in (a page, the CKAN API's package_show for an editor) must not be named here.
_VISITOR_FREE_ENDPOINTS = frozenset({
    "exports.catalog", "exports.catalog_dump", "exports.data_json", "exports.dataset_format",
    "exports.dataset_badge", "exports.publisher_badge", "exports.quality_metric",
    "feeds.site_feed", "feeds.publisher_feed", "feeds.theme_feed", "feeds.search_feed",
    "sitemap.robots", "sitemap.index", "sitemap.part",
})


def visitor_free(request) -> bool:
    """Whether this request's answer is the same bytes for every visitor, signed in or not, whatever language
    their session chose: a static file, the catalog's documents of `_VISITOR_FREE_ENDPOINTS`, and a dataset's
    document asked for at its page's address through Accept (`Accept: text/turtle` on /dataset/<slug>: the bytes of
    /dataset/<slug>.ttl; the page there is the visitor's own). Such an answer never depends on the session: nothing
    reads it for them (app/security.py, app/i18n.py), so no `Vary: Cookie` makes shared caches keep one copy per
    visitor."""
    if request.endpoint == "static" or request.endpoint in _VISITOR_FREE_ENDPOINTS:
        return True
    from app.export.routes import asks_for_a_document  # imported here: the exports use this module

    return asks_for_a_document(request)


def visitor_free_answer(request, resp: Response) -> bool:
    """A visitor-free request answered as itself (200, 304). An error page there may be the site's HTML (a
    browser's 404 at /dataset/<slug>.ttl), with the signed-in person's navigation: it stays theirs."""
    return visitor_free(request) and resp.status_code in (200, 304)


def after_request(resp: Response) -> Response:
    from flask import request

    return _keyed_by_credentials(request, _revalidated(_delivered(request, resp)))


def _delivered(request, resp: Response) -> Response:
    from flask import current_app, g, session

    settings = current_app.config["OPENDATA"]
    if visitor_free_answer(request, resp):
        # The same bytes for everyone: a shared cache may keep one copy, revalidated every time unless the route
        # says otherwise. A validator made without reading the catalog (the dumps') makes the 304 cheap, and it
        # moves when a dataset is withdrawn: no lifetime in which a kept copy still hands the dataset out.
        resp.headers.setdefault("Cache-Control", REVALIDATE)
        if not session.modified:
            # The same whatever the cookie says; Flask-Login's hook glanced at the session (for its remember
            # cookie), and Flask would answer `Vary: Cookie`, which makes shared caches keep one copy per visitor.
            # An error (a 400 naming another format) keeps what it read.
            session.accessed = False
    if request.method not in ("GET", "HEAD") or resp.status_code < 200 or resp.status_code in (204, 206):
        return resp  # HEAD: the headers a GET would get (RFC 9110), its validator too; its body is never sent
    if resp.status_code == 304:  # a view's own validator (the REST API, badges)
        return _vary_as_its_200(request, resp)
    reads = _reads(request)
    html = resp.mimetype == "text/html"
    if reads and html:
        resp.vary.add("Accept-Language")
        resp.vary.add("Cookie")
        resp.headers.setdefault("Cache-Control", PAGE_CACHE)
    cache = resp.headers.get("Cache-Control", "")
    if (reads and resp.status_code == 200 and not resp.is_streamed and not resp.direct_passthrough
            and resp.get_etag()[0] is None and "no-store" not in cache and request.endpoint != "static"):
        resp = _add_validator(request, resp, g.get("csp_nonce"))
        if resp.status_code == 304:
            return _vary_as_its_200(request, resp)
    if "Content-Encoding" in resp.headers or not compressible(resp.mimetype) or "Content-Range" in resp.headers:
        return resp
    if routing.kind_of(request.endpoint) == routing.SERVES or request.endpoint == "static":
        return resp  # the serving gate's bytes and ranges stay as they are; static files come gzipped already
    resp.vary.add("Accept-Encoding")
    if not accepts_gzip(request) or request.method == "HEAD":  # HEAD: no body to compress (nor a stream to close)
        return resp
    level = int(settings["COMPRESS_LEVEL"])
    if level <= 0:
        return resp
    if resp.is_streamed or resp.direct_passthrough:
        if resp.direct_passthrough:  # a file handed to the server: leave it to the server
            return resp
        resp.response = _gzip_stream(resp.response, level)
        resp.headers.pop("Content-Length", None)
    else:
        body = resp.get_data()
        if len(body) < int(settings["COMPRESS_MIN_BYTES"]):
            return resp
        resp.set_data(gzip.compress(body, level, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    _weaken_etag(resp)
    return resp


def init_delivery(app: Flask) -> None:
    files = StaticFiles(app.static_folder or "static")
    app.extensions["static_files"] = files
    app.view_functions["static"] = _static_view(files)
    app.jinja_env.globals["static_url"] = files.url
    app.after_request(after_request)
