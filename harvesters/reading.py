"""Read a source document from a URL (through the guarded session) or a local path, and say what an
answer is when it is not a catalog at all.

`not_a_catalog` is the one place every harvester asks "what did the source actually send?": a web page
(HTML), a login page, or a JSON error body; each becomes one sentence naming what was found, instead
of a parser's complaint about the wrong format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from harvesters.base import HarvestError
from harvesters.messages import N_, as_message
from plumbing.http_errors import HttpError


@dataclass
class Document:
    url: str
    content: bytes
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


#: A failure with no answer, by (kind, reason) of plumbing.http's HttpError, or (kind, None) for any reason of
#: that kind: one sentence each in the reader's language (plumbing's English, which names hosts and
#: exceptions, stood inside the Chinese sentence before).
_NO_ANSWER = {
    ("timeout", None): N_("%(url)s: the server did not answer within the time allowed (OPENDATA_HTTP_TIMEOUT)"),
    ("timeout", "deadline"): N_("%(url)s: the download took longer than %(seconds)s s in all "
                                "(OPENDATA_HTTP_TOTAL_TIMEOUT)"),
    ("dns", None): N_("%(url)s: the host name could not be found (DNS lookup failed)"),
    ("connection", "refused"): N_("%(url)s: the server refused the connection (nothing answers at that "
                                  "address and port)"),
    ("connection", "tls"): N_("%(url)s: the secure connection failed (the server's TLS certificate or "
                              "protocol was not accepted)"),
    ("connection", "broken"): N_("%(url)s: the connection broke before the whole answer arrived"),
    ("connection", "early"): N_("%(url)s: the answer ended early: %(size)s of the %(expected)s bytes it "
                                "announced arrived"),
    ("too-large", None): N_("%(url)s: the answer is larger than the download limit of %(limit)s bytes "
                            "(OPENDATA_MAX_DOWNLOAD_BYTES)"),
    ("too-large", "announced"): N_("%(url)s: the answer is %(size)s bytes, more than the download limit of "
                                   "%(limit)s bytes (OPENDATA_MAX_DOWNLOAD_BYTES)"),
    ("redirect-loop", None): N_("%(url)s: the address redirects in a loop or too many times"),
    ("circuit-open", None): N_("%(url)s: skipped for the rest of this run: the server failed several times "
                               "in a row"),
    ("invalid-url", None): N_("%(url)s: not a usable http(s) address"),
}


def _no_answer_key(exc: HttpError) -> tuple[str, str | None]:
    """Which sentence of `_NO_ANSWER` says `exc`: by its kind and reason, and the numbers it carries (a size
    announced, the bytes that arrived of it)."""
    facts = getattr(exc, "facts", None) or {}
    if exc.kind == "too-large":
        return exc.kind, "announced" if facts.get("size") is not None else None
    if exc.kind == "connection" and facts.get("expected") is not None:
        return exc.kind, "early"
    reason = getattr(exc, "reason", None)
    if reason == "deadline" and "seconds" not in facts:
        return exc.kind, None
    return exc.kind, reason


def _numbers(exc: HttpError) -> dict[str, str]:
    """The facts of `exc` as the sentence shows them: byte counts with thousands separators."""
    return {k: (f"{v:,}" if isinstance(v, int) else str(v)) for k, v in (getattr(exc, "facts", None) or {}).items()}


def same_address(a: str, b: str) -> bool:
    """Whether two URLs name the same address as the session sends it: `…/清单.txt` and `…/%E6%B8%85%E5%8D%95.txt`
    are one (the error of a missing Chinese-named file named it twice, as if a redirect had led elsewhere)."""
    def norm(u: str) -> tuple:
        parts = urlsplit(unquote(u))
        return parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query

    return norm(a) == norm(b)


def status_error(url: str, exc: HttpError) -> HarvestError:
    """The HarvestError of an error that is no catalog's answer, said once: an error status as "URL: the server
    answered HTTP 502 Bad Gateway" (its message named the URL a second time, and stayed English under zh); the
    URL a redirect led to when it is another; any other failure (refused, timed out) as it says."""
    if exc.status is None:  # no answer at all: said whole in the reader's language (it was plumbing's English)
        if exc.kind == "ssrf-blocked":  # the guard's refusal stood in English inside the zh sentence
            return HarvestError(N_("%(url)s: not fetched: %(host)s is not a public address (this machine, a private "
                                   "network or a reserved range); only public addresses are fetched unless the host "
                                   "is listed in OPENDATA_ALLOW_HOSTS"), url=url,
                                host=urlsplit(exc.url).hostname or exc.url)
        key = _no_answer_key(exc)
        msgid = _NO_ANSWER.get(key) or _NO_ANSWER.get((exc.kind, None))
        if msgid is not None:
            return HarvestError(msgid, url=url, **_numbers(exc))
        return HarvestError(N_("%(url)s: %(error)s"), url=url, error=exc)
    try:
        reason = HTTPStatus(exc.status).phrase
    except ValueError:
        reason = ""
    if exc.url and not same_address(exc.url, url):
        return HarvestError(N_("%(url)s: %(final)s answered HTTP %(status)s %(reason)s"), url=url, final=exc.url,
                            status=exc.status, reason=reason)
    return HarvestError(N_("%(url)s: the server answered HTTP %(status)s %(reason)s"), url=url, status=exc.status,
                        reason=reason)


def read(url: str, http, expected: str = N_("a catalog")) -> Document:
    """The bytes at `url`: http(s) through `http` (the guarded session), else a local file.

    An answer that is a web page, a login page or a JSON error body raises a HarvestError saying so
    (`expected` names what should have come: "a DCAT catalog", "a data.json catalog" ..., marked with `N_`:
    it is translated with the sentence)."""
    if is_remote(url):
        if http is None:
            raise HarvestError(N_("%(url)s: no HTTP session to fetch it with"), url=url)
        try:
            result = http.fetch(url, headers={"Accept": "application/json, application/rdf+xml, text/turtle, "
                                                        "application/ld+json, application/n-triples;q=0.9, */*;q=0.5"})
        except HttpError as exc:  # an error status: the body may say what the server means (a login, an error)
            found = not_a_catalog(url, exc.body or b"", expected, final_url=exc.url, status=exc.status,
                                  pages=False)
            raise (found or status_error(url, exc)) from exc
        except Exception as exc:  # HttpError carries a readable message
            raise HarvestError(N_("%(url)s: %(error)s"), url=url, error=exc) from exc
        headers = {k.lower(): v for k, v in (result.headers or {}).items()}
        doc = Document(url=result.final_url or url, content=result.content,
                       content_type=headers.get("content-type"), headers=headers)
    else:
        doc = _read_local(url)
    found = not_a_catalog(url, doc.content, expected, final_url=doc.url)
    if found is not None:
        raise found
    return doc


def _read_local(url: str) -> Document:
    scheme = urlsplit(url).scheme
    if scheme == "file":
        url = urlsplit(url).path
    elif scheme:
        raise HarvestError(N_("%(url)s: only http(s) URLs and local paths can be harvested"), url=url)
    path = Path(url)
    if not path.exists():
        raise HarvestError(N_("%(url)s: no such file"), url=url)
    if path.is_dir():
        raise HarvestError(N_("%(url)s: is a folder, not a document"), url=url)
    return Document(url=str(path.resolve()), content=path.read_bytes())


# --------------------------------------------------------------------------- what an answer is

_HEAD_BYTES = 64 * 1024
_PROLOG = re.compile(rb"^(\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_HTML_START = re.compile(rb"<(!doctype\s+html|html|head|body|title|meta|script|div|p|h1|table)[\s>/]", re.I)
_PASSWORD = re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
_LOGIN_WORDS = re.compile(r"(?i)\b(log\s*-?in|sign\s*-?in|signon|sso|anmeld\w*|connexion|iniciar sesi[oó]n)\b"
                          r"|登录|登入")
_LOGIN_PATH = re.compile(r"(?i)/(login|log-in|signin|sign-in|sso|cas|auth|oauth2?|saml2?|adfs|account/login)(/|\.|$)")
# The keys an API error object is made of (no catalog is made of only these)
_ERROR_KEYS = {"error", "errors", "message", "msg", "detail", "details", "status", "statuscode", "code", "title",
               "type", "timestamp", "path", "requestid", "request_id", "success", "help", "documentation_url",
               "fault", "reason", "error_description", "trace", "traceid", "instance"}


def is_html(content: bytes) -> bool:
    """The answer is a web page: it begins (after a BOM, an XML prolog and comments) with an HTML tag."""
    head = content[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf")
    head = head[_PROLOG.match(head).end():]
    return bool(_HTML_START.match(head))


def is_login_page(content: bytes, final_url: str = "") -> bool:
    """A web page that asks for a password, or whose title or address says it is a sign-in page."""
    if not is_html(content):
        return False
    head = content[:_HEAD_BYTES]
    if _PASSWORD.search(head):
        return True
    title = _TITLE.search(head)
    if title and _LOGIN_WORDS.search(title.group(1).decode("utf-8", "replace")):
        return True
    return bool(_LOGIN_PATH.search(urlsplit(final_url).path))


def json_error(content: bytes) -> str | None:
    """The message of a JSON error body ({"error": ...}, {"success": false, ...}, {"message": ..., "status": 403},
    {"errors": [...]}), or None when the answer is not one."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{") or len(content) > _HEAD_BYTES:
        return None
    try:
        body = json.loads(content.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or not body:
        return None
    keys = {str(k).lower() for k in body}
    if body.get("success") is False or keys <= _ERROR_KEYS and keys & {"error", "errors", "fault", "message",
                                                                        "detail", "error_description"}:
        return _error_message(body) or "(no message)"
    return None


#: The root elements of an XML error document (an API gateway's <error>, a SOAP <Fault>, OGC's <ExceptionReport>),
#: lower case and without their namespace.
_XML_ERRORS = frozenset({"error", "errors", "fault", "exception", "exceptionreport", "serviceexceptionreport"})


def xml_error(content: bytes) -> str | None:
    """The message of an XML error document (`<error><code>503</code><message>Service unavailable</message></error>`,
    a SOAP Fault, an OGC ExceptionReport): its elements' texts, "503: Service unavailable"; None when the answer is no
    such document (an RDF/XML catalog, any other XML). Such an answer was read as RDF holding nothing: "the catalog
    lists no datasets", where the server said it was down."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or len(content) > _HEAD_BYTES:
        return None
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    if root.tag.rsplit("}", 1)[-1].lower() not in _XML_ERRORS:
        return None
    texts: list[str] = []
    for element in root.iter():
        text = " ".join((element.text or "").split())
        if text and text not in texts:
            texts.append(text)
    return ": ".join(texts)[:300] or "(no message)"


def _error_message(body: dict) -> str:
    """What went wrong ("error", "errors", "fault"), then the explanation ("message", "detail" ...) when there
    is one: {"error": "Not Found", "message": "No catalog here"} says "Not Found: No catalog here"."""
    parts: list[str] = []
    for keys in (("error", "errors", "fault"), ("message", "msg", "detail", "error_description", "title")):
        text = next((t for t in (_text_of(body.get(k)) for k in keys) if t), "")
        if text and text not in parts:
            parts.append(text)
    return ": ".join(parts)


def _text_of(value) -> str:
    if isinstance(value, str):
        return _one_line(value)
    if isinstance(value, list) and value:
        return "; ".join(t for t in (_text_of(v) for v in value[:3]) if t)
    if isinstance(value, dict):
        kind = value.get("__type") or value.get("type") or value.get("code") or value.get("status")
        message = _text_of(value.get("message") or value.get("msg") or value.get("detail")
                           or value.get("description") or value.get("title") or "")
        if not message:  # CKAN's validation errors: {"__type": "Validation Error", "field": ["what"]}
            rest = {k: v for k, v in value.items() if k not in ("__type", "type", "code", "status")}
            message = _one_line(json.dumps(rest, ensure_ascii=False)) if rest else ""
        return ": ".join(str(p) for p in (kind, message) if p)
    if value is not None and not isinstance(value, bool):
        return str(value)
    return ""


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def not_a_catalog(url: str, content: bytes, expected: str = N_("a catalog"), *, final_url: str = "",
                  status: int | None = None, pages: bool = True, who: str = N_("the server")) -> HarvestError | None:
    """The HarvestError naming what `content` is when it is no catalog (a login page, a web page, a JSON
    error body), else None. `pages=False`: an HTML answer is only named when it is a login page (an HTTP
    error status says more than "a web page"). `who`: who answered an error ("the CKAN API"). `expected` and
    `who` are msgids (`N_`), said in the reader's language with the sentence."""
    expected, who = as_message(expected), as_message(who)
    if is_login_page(content, final_url or url):
        if status:
            return HarvestError(N_("%(url)s: the server answered with a login page (HTTP %(status)s), not "
                                   "%(expected)s"), url=url, status=status, expected=expected)
        return HarvestError(N_("%(url)s: the server answered with a login page, not %(expected)s"), url=url,
                            expected=expected)
    if pages and is_html(content):
        return HarvestError(N_("%(url)s: this is a web page (HTML), not %(expected)s"), url=url, expected=expected)
    said = json_error(content)
    if said is None:
        said = xml_error(content)
    if said is not None:
        if status:
            return HarvestError(N_("%(url)s: %(who)s answered with an error (HTTP %(status)s): %(message)s"),
                                url=url, who=who, status=status, message=said)
        return HarvestError(N_("%(url)s: %(who)s answered with an error: %(message)s"), url=url, who=who,
                            message=said)
    return None


#: What each kind of catalog is called, by the source type that reads it (said as "this is ...").
KIND_NAMES = {"datajson": N_("a data.json catalog"), "datapackage": N_("a datapackage.json"),
              "dcat": N_("an RDF document (a DCAT catalog)"), "ckan": N_("a CKAN API answer")}


def catalog_kind(content: bytes) -> str | None:
    """The source type whose harvester reads `content` (datajson, datapackage, dcat, ckan), when it plainly is one:
    asked only on a harvester's failure path, to say "this is a data.json catalog, add it with --type datajson"
    instead of a parser's complaint."""
    head = content[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and b"22-rdf-syntax-ns#" in head:
        return "dcat"
    if re.match(rb"(@prefix|@base|PREFIX|BASE)\s", head, re.IGNORECASE):
        return "dcat"
    try:
        value = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    context = str(value.get("@context") or "")
    if isinstance(value.get("dataset"), list) and (not context or "project-open-data" in context):
        return "datajson"
    if "@context" in value or "@graph" in value:
        return "dcat"
    if isinstance(value.get("resources"), list):
        return "datapackage"
    if "help" in value and "success" in value and "result" in value:
        return "ckan"
    return None


def wrong_type(url: str, content: bytes, own: str) -> HarvestError | None:
    """The HarvestError of a source added with the wrong --type: its document plainly is another kind."""
    kind = catalog_kind(content)
    if kind is None or kind == own:
        return None
    return HarvestError(N_("%(url)s: this is %(found)s, not %(expected)s (add the source with --type %(type)s)"),
                        url=url, found=as_message(KIND_NAMES[kind]), expected=as_message(KIND_NAMES[own]),
                        type=kind)
