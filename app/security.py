"""Sign-in, sessions, CSRF, rate limits and security headers (issue 7; docs/security.md).

`init_security(app)` (called last in `create_app`, after every blueprint is registered) sets up:

- **Sign-in** with Flask-Login: the session cookie holds the user id; every request reloads the
  `User` from the database, so a deactivated account is signed out at its next request.
- **CSRF**: Flask-WTF's `CSRFProtect` checks every POST/PUT/PATCH/DELETE, except under `/api/`.
  The JSON APIs (`/api/3/action/*`, `/api/action/*`, `/api/v1/*`) authenticate by API token only and
  never look at the session cookie (a request under `/api/` is anonymous to Flask-Login here), so a
  forged cross-site request carries no authority there and needs no CSRF token.
  Forms put `{{ csrf_token() }}` in a hidden field named `csrf_token`.
- **Cookies**: HttpOnly, SameSite=Lax, Secure when SESSION_COOKIE_SECURE is true (`auto`: when
  SITE_URL is https).
- **Rate limits** with Flask-Limiter (`app.extensions["limiter"]`, storage RATELIMIT_STORAGE_URL):
  API_RATE_LIMIT on API reads per client address, WRITE_RATE_LIMIT on API writes per token (per
  address without one), LOGIN_RATE_LIMIT on failed sign-ins per address and per account (the
  11th failure within a minute with the default "10 per minute" answers 429). The API limits
  apply to every blueprint whose name starts with `api_` (so name new API blueprints that way).
- **Headers** on every response: Content-Security-Policy (same origin only; inline `<script>` and
  `<style>` need `nonce="{{ csp_nonce() }}"`), X-Content-Type-Options, X-Frame-Options,
  Referrer-Policy, and Strict-Transport-Security when SITE_URL is https.

Helpers for other modules:

- `current_account() -> User | None`: the signed-in user of this request (bound to `db_session()`).
- `request_token() -> str | None`: the API token this request carries (`Authorization`, else `X-CKAN-API-Key`).
- `@login_required_page`: a view decorator; anonymous visitors are sent to `/login?next=<this page>`.
- `safe_next(url) -> str | None`: `url` when it is a path on this site, else None (open redirects).
- `client_address()`: the address rate limits and the audit log use.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import parse as parse_limit

from app import delivery
from app.request_context import db_session, setting
from catalog_schema.models import User

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_SUFFIXES = ("_create", "_update", "_patch", "_delete", "_purge")  # CKAN write actions


class Account(UserMixin):
    """What Flask-Login keeps for a signed-in user: the `User` row of this request."""

    def __init__(self, user: User):
        self.user = user
        self.id = user.id

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)

    def get_id(self) -> str:
        return str(self.user.id)


PASSWORD_MARK = "_pw"


def password_mark(user: User) -> str:
    """A short digest of the user's password hash, kept in the session at sign-in: a session whose mark no
    longer matches (the password was changed or reset since) is signed out at its next request."""
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()[:16]


SESSION_TOKEN = "_signin"


def sign_in_session(user: User) -> None:
    """Sign `user` in on a fresh session (keeping the chosen language), marked with their password and holding
    the token of its row in `sign_ins` (committed here: the session is signed in while that row exists)."""
    from flask_login import login_user

    from app.services import accounts

    db = db_session()
    token = accounts.start_session(db, user, max_hours=sign_in_hours())
    db.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(Account(user))
    session[PASSWORD_MARK] = password_mark(user)
    session[SESSION_TOKEN] = token


def sign_out_session() -> None:
    """End this browser session: its `sign_ins` row is deleted (a copy of the cookie opens nothing after),
    the cookie keeps only the chosen language."""
    from flask_login import logout_user

    from app.services import accounts

    token = session.get(SESSION_TOKEN)
    if token:
        db = db_session()
        accounts.end_session(db, token)
        db.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def session_token() -> str | None:
    """The token of this browser session's sign-in, None when it is not signed in."""
    token = session.get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


def sign_in_hours() -> float:
    return float(setting("SIGN_IN_MAX_HOURS") or 168)


def current_account() -> User | None:
    """The signed-in user of this request, or None (always None under /api/: tokens only there)."""
    account = current_user
    if account is None or not account.is_authenticated:
        return None
    return account.user


def request_token() -> str | None:
    """The API token this request carries, as every door that takes one reads it (the REST reads and writes, the CKAN
    actions, the write rate limit): `Authorization: <token>` or `Authorization: Bearer <token>`, else CKAN's
    `X-CKAN-API-Key: <token>` (what CKAN clients may send); None without one. Whether it is valid is
    app.auth.user_for_token's to say. The answer then depends on those headers, sent or not: it says so
    (`Vary`, app.delivery.read_credentials), so a shared cache keeps one copy per token, not one for all."""
    delivery.read_credentials()
    value = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key")
    if value and value.lower().startswith("bearer "):
        value = value[7:]
    return value.strip() if value and value.strip() else None


def safe_next(url: str | None) -> str | None:
    """`url` if it is a local path ("/dataset?q=x"), else None: sign-in never redirects off-site."""
    if not url or not isinstance(url, str) or len(url) > 2000:
        return None
    if not url.startswith("/") or url.startswith("//") or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url


def _comes_back_to() -> str:
    """The page a sign-in brings this request back to: the page itself; for a form sent to an address that
    answers no GET (`/publish/<slug>/distributions`), the page of this site the form was on (its Referer), so a
    sign-in after the session ended lands on the form again, not on 405."""
    here = request.full_path if request.query_string else request.path
    if request.method not in UNSAFE_METHODS:
        return here
    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
        return here
    except Exception:  # noqa: BLE001 - no GET page at this address (405, a redirect, ...)
        pass
    referer = urlsplit(request.referrer or "")
    if referer.netloc == request.host and referer.scheme in ("http", "https"):
        page = safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
        if page:
            return page
    return here


def login_required_page(view: F) -> F:
    """Decorator for pages: anonymous visitors are redirected to /login?next=<this page> (for a form sent after
    the session ended, the page of the form: the browser restores what was typed there, site.js)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(url_for("account.login", next=_comes_back_to()))
        return view(*args, **kwargs)

    wrapper.signed_in_page = True  # type: ignore[attr-defined]  # the CSRF refusal below reads it
    return wrapper  # type: ignore[return-value]


def client_address() -> str:
    return request.remote_addr or "unknown"


def csp_nonce() -> str:
    """This response's CSP nonce, for `<script nonce=...>` / `<style nonce=...>` in templates."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _config(name: str) -> Any:
    return current_app.config["OPENDATA"][name]


def secure_cookies(values: dict[str, Any]) -> bool:
    """SESSION_COOKIE_SECURE: true/false, or auto (= SITE_URL is https)."""
    raw = str(values.get("SESSION_COOKIE_SECURE", "auto")).strip().lower()
    if raw in ("auto", ""):
        return str(values.get("SITE_URL") or "").lower().startswith("https://")
    return raw in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- rate limits


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def is_api_write(method: str | None = None) -> bool:
    """Does this API request change something? (CKAN clients POST reads too: decide by action name.) `method`: as
    if it were sent with that method (a CORS preflight asks for the POST to come)."""
    if (method or request.method) not in UNSAFE_METHODS:
        return False
    if request.blueprint == "api_datastore":  # datastore_search and datastore_info: reads, POSTed by ckanapi
        return False
    action = (request.view_args or {}).get("name") if request.blueprint == "api_ckan_action" else None
    if action is not None:
        return str(action).endswith(WRITE_SUFFIXES)
    return True


def _token_or_address() -> str:
    value = request_token()
    if value:
        return "token:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return "addr:" + client_address()


def _counting(limiter: Limiter, call: str, item, *keys: str) -> bool:
    """`limiter.limiter.<call>(item, *keys)` on the shared storage, else (it does not answer) on this process's
    own memory: a sign-in must not answer 500 because Redis is away (the counts are per process meanwhile)."""
    try:
        return getattr(limiter.limiter, call)(item, *keys)
    except Exception:  # noqa: BLE001 - redis's and the storages' errors share no base class
        log.warning("rate-limit storage did not answer: counting sign-ins in this process's memory")
        return getattr(_memory_limiter(), call)(item, *keys)


@functools.cache
def _memory_limiter():
    from limits.storage import MemoryStorage
    from limits.strategies import FixedWindowRateLimiter

    return FixedWindowRateLimiter(MemoryStorage())


def login_limited(limiter: Limiter, email: str) -> bool:
    """Is a sign-in from this address, or for this account, over LOGIN_RATE_LIMIT failures?"""
    if not limiter.enabled:
        return False
    item = parse_limit(_config("LOGIN_RATE_LIMIT"))
    return not (_counting(limiter, "test", item, "login-addr", client_address())
                and _counting(limiter, "test", item, "login-account", email))


def count_failed_login(limiter: Limiter, email: str) -> None:
    if not limiter.enabled:
        return
    item = parse_limit(_config("LOGIN_RATE_LIMIT"))
    _counting(limiter, "hit", item, "login-addr", client_address())
    _counting(limiter, "hit", item, "login-account", email)


def reset_allowed(limiter: Limiter, email: str) -> bool:
    """Count a password-reset request from this address for this account; False once over RESET_RATE_LIMIT."""
    if not limiter.enabled:
        return True
    item = parse_limit(_config("RESET_RATE_LIMIT"))
    by_addr = _counting(limiter, "hit", item, "reset-addr", client_address())
    by_account = _counting(limiter, "hit", item, "reset-account", email)
    return by_addr and by_account


def _retry_after_when_refused(resp: Response) -> Response:
    """Retry-After only on an answer that asks to come back later (429, 503, a redirect), not on every rate-limited
    answer: flask-limiter's headers put it on each 200, where HTTP gives it no meaning and a client honouring it
    would wait for nothing. The X-RateLimit-* headers still say how much is left."""
    if resp.status_code not in (429, 503) and not 300 <= resp.status_code < 400:
        resp.headers.pop("Retry-After", None)
    return resp


def _make_limiter(app: Flask, values: dict[str, Any]) -> Limiter:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.after_request(_retry_after_when_refused)  # registered first: Flask runs it after the limiter's headers
    # A shared storage (Redis) that does not answer: each process counts in its own memory meanwhile (every API
    # request and every sign-in answered 500), and /health/ready says the storage is down
    limiter = Limiter(key_func=client_address, app=app, storage_uri=values["RATELIMIT_STORAGE_URL"],
                      default_limits=[], strategy="fixed-window", swallow_errors=True,
                      in_memory_fallback_enabled=True)
    read = limiter.shared_limit(values["API_RATE_LIMIT"], scope="api-read", exempt_when=is_api_write)
    write = limiter.shared_limit(values["WRITE_RATE_LIMIT"], scope="api-write", key_func=_token_or_address,
                                 exempt_when=lambda: not is_api_write())
    for name, blueprint in app.blueprints.items():
        if name.startswith("api_"):
            read(blueprint)
            write(blueprint)
    app.extensions["limiter"] = limiter
    return limiter


def _too_many(exc: RateLimitExceeded) -> Any:
    if _is_api():
        resp = current_app.json.response({"error": {"status": 429, "code": "rate-limited",
                                                    "message": f"Too many requests: {exc.description}"}})
        if request.path.startswith(("/api/3/", "/api/action/")):
            resp = current_app.json.response({"help": request.url, "success": False, "error": {
                "__type": "Rate Limit Error", "message": f"Too many requests: {exc.description}"}})
        resp.status_code = 429
    else:
        resp = Response(render_template("account/error.html", status=429, title=_("Too many requests"),
                                        message=_("Too many requests. Wait a minute and try again.")), 429)
    retry = getattr(exc, "retry_after", None)
    if retry:
        resp.headers["Retry-After"] = str(retry)
    return resp


# --------------------------------------------------------------------------- headers


def _csp() -> str:
    nonce = csp_nonce()
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", _csp())
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if str(_config("SITE_URL")).lower().startswith("https://"):
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    if (not delivery.visitor_free_answer(request, response) and "_user_id" in session and "Cache-Control" not in h
            and not _is_api()):
        h["Cache-Control"] = "private, no-store"  # pages for a signed-in user are theirs alone (not a dump)
    if request.method in ("GET", "HEAD") and _open_read():
        # a web app on another site may read the catalog as it reads the rows: the search, the package and the
        # catalog documents had no CORS header while data.csv and /rows did. Reads only; no cookie is a
        # credential there, and a token must be sent on purpose (Authorization)
        h.setdefault("Access-Control-Allow-Origin", "*")
    elif _is_api() and request.method == "POST" and not is_api_write():
        h.setdefault("Access-Control-Allow-Origin", "*")  # a read POSTed (package_search, datastore_search)
    elif request.method == "OPTIONS" and (_is_api() or _open_read()) and _preflight_for_read():
        # a browser asks before it POSTs JSON (CKAN's own data explorers POST datastore_search), or before a read
        # with a header of its own (If-None-Match, to revalidate the catalog, a feed, data.csv): the read answered
        # its question, so a web app on another site could send it. Writes are not offered (as above).
        h["Access-Control-Allow-Origin"] = "*"
        posted = request.headers.get("Access-Control-Request-Method", "").upper() == "POST"
        h["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS" if posted else "GET, HEAD, OPTIONS"
        asked = [x.strip() for x in request.headers.get("Access-Control-Request-Headers", "").split(",")]
        allowed = [x for x in asked if x.lower() in _CORS_REQUEST_HEADERS]
        if allowed:
            h["Access-Control-Allow-Headers"] = ", ".join(allowed)
        h["Access-Control-Max-Age"] = "86400"
    return response


#: Request headers a cross-site read may carry: its body's type, a token (to read one's own drafts), the language
#: of the answer, a validator.
_CORS_REQUEST_HEADERS = {"content-type", "authorization", "x-ckan-api-key", "accept-language", "if-none-match"}


def _preflight_for_read() -> bool:
    """Whether a CORS preflight asks for a read: GET or HEAD, or a POST the API reads with (is_api_write)."""
    method = request.headers.get("Access-Control-Request-Method", "").upper()
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and _is_api() and not is_api_write("POST")


_OPEN_READS = ("/api/", "/catalog.", "/data.json", "/feeds/", "/datastore/dump/")
#: One dataset's documents (/dataset/<slug>.ttl, .rdf, .jsonld, .nt, .json, .xml, .csv): the catalog's pages in
#: small, so read as openly (not the dataset's page, whose address they share the start of). And a table's
#: conversions (data.*, its CSVW and Table Schema), which set the header on the rows they serve: their refusals
#: (451 personal data, with whom to contact; 400 a bad limit; 404) too, or a web app saw only a CORS failure.
_OPEN_READ_ENDPOINTS = ("exports.dataset_format", "data.data", "data.geojson", "data.csv_metadata",
                        "data.table_schema")


def _open_read() -> bool:
    return request.path.startswith(_OPEN_READS) or request.endpoint in _OPEN_READ_ENDPOINTS


# --------------------------------------------------------------------------- wiring


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie, never written into an answer a shared cache may keep (`Cache-Control: public`: a
    feed, the catalog, a badge, a published file): `?lang=zh` on one of those set the session cookie beside
    `public, max-age=300`, so a proxy could hand a signed-in visitor's cookie (their sign-in) to the next reader.
    Such an answer still says it varies with the cookie when it read the session."""

    def save_session(self, app: Flask, session, response) -> None:
        if response.cache_control.public:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_security(app: Flask) -> None:
    """Sign-in, CSRF, cookies, rate limits and headers for `app` (after its blueprints are registered)."""
    values = app.config["OPENDATA"]
    app.session_interface = _SessionCookies()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(values),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure_cookies(values),
    )
    # A form's token lasts as long as the session: a long publish form must not expire under its author.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # We call protect() ourselves: everything but /api/ (token-only, see the module docstring).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)
    app.extensions["csrf_protect"] = csrf

    login = LoginManager(app)
    login.login_view = "account.login"
    login.session_protection = "basic"

    @login.user_loader
    def _load(user_id: str) -> Account | None:
        try:
            user = db_session().get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not user.active:
            return None
        signed = session.get(PASSWORD_MARK)
        if signed is not None and signed != password_mark(user):
            return None  # the password changed since this session signed in: signed out
        from app.services import accounts

        if not accounts.session_open(db_session(), user.id, session.get(SESSION_TOKEN), max_hours=sign_in_hours()):
            return None  # signed out, ended by a password change, too old, or signed in before sign-ins were kept
        return Account(user)

    @app.before_request
    def _guard() -> None:
        if _is_api():
            g._login_user = AnonymousUserMixin()  # the session cookie is no credential for the APIs
            return
        if request.method in UNSAFE_METHODS and request.routing_exception is None \
                and app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # an address that takes no POST answers 405 (404), not "the form has expired"

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "signed_in_page", False) and current_account() is None:
            # a form of a signed-in page sent after its session ended (signed out in another tab: the session,
            # and its token, are gone): nothing is done, as for a stale token, but the way on is to sign in
            # again, and back to the form (where the browser keeps what was typed), not "reload the page".
            return redirect(url_for("account.login", next=_comes_back_to()))
        return render_template("account/error.html", status=400, title=_("The form has expired"),
                               message=_("This form was not accepted (missing or stale security token). "
                                         "Go back, reload the page and send it again.")), 400

    @app.errorhandler(403)
    def _forbidden(exc: Any) -> Any:
        if _is_api():
            return exc  # the APIs answer in their own format
        return render_template("account/error.html", status=403, title=_("Not allowed"),
                               message=_("Your account may not open this page. Sign in with another account "
                                         "or ask a portal administrator.")), 403

    _make_limiter(app, values)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.after_request(_headers)
    app.jinja_env.globals.update(csp_nonce=csp_nonce, current_account=current_account)
