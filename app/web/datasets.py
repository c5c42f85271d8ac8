"""The developers' pages: home (`/`), search (`/dataset`) and the dataset page (`/dataset/<slug>`).

The dataset page's URL also serves the dataset's other representations: the export blueprint
(app/export/routes.py) negotiates them on Accept before this module's view runs, and lends the page
its alternate links and schema.org JSON-LD.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException, default_exceptions

from app import activity, auth, link_history
from app.accept import is_browser
from app.assessment import assessment_document, latest_findings
from app.datastore import load as datastore
from app.datastore.gate import root as datastore_root
from app.export.data import served_stars
from app.export.routes import alternate_links, jsonld_script, schema_org_jsonld
from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import current_account
from app.services import gate, lifecycle, serving
from app.services.lifecycle import SOURCE_DELETED_REASON, source_deletion
from app.services.usage import record_usage
from app.texts import T_, Text, say
from app.web import follows as follows_web
from app.web import maps, prose, quality_view
from catalog_schema import gazetteer, places, rowviews, series, vocab
from catalog_schema import search as search_mod
from catalog_schema.models import Assessment, Dataset, Distribution, DistributionVersion, Publisher, UsageCounter
from catalog_schema.record import pick_text, text_language
from catalog_schema.store import to_record
from harvesters.base import WITHDRAWN_REASON, harvest_withdrawal
from quality.findings import column_words
from quality.tabular import REDACTED

bp = Blueprint("datasets", __name__)

#: Table Schema types as the dictionary on the dataset page names them.
COLUMN_TYPES = {"string": _l("text"), "integer": _l("whole number"), "number": _l("number"), "boolean": _l("yes/no"),
                "date": _l("date"), "datetime": _l("date and time"), "time": _l("time"), "year": _l("year"),
                "any": _l("mixed")}

FACETS = ("publisher", "theme", "hvd_category", "format", "licence", "keyword", "stars")
FACET_LABELS = {"publisher": _l("Publisher"), "theme": _l("Theme"), "hvd_category": _l("High-value dataset category"),
                "format": _l("Format"), "licence": _l("Licence"), "keyword": _l("Keyword"), "stars": _l("Stars")}
SORTS = {"": _l("Best match / newest"), "title": _l("Title A-Z"), "-modified": _l("Recently updated"),
         "-stars": _l("Most stars"), "-score": _l("Best quality score")}
PREVIEW_ROWS = 10
FACET_SHOWN = 12
DOWNLOADS = ("csv", "json", "xml", "ttl")
RELATED = 5


@bp.app_template_filter("text")
def text_filter(langmap: Any, lang: str | None = None) -> str:
    """A language map's text in the page's language (English, untagged, then any as fallbacks)."""
    return pick_text(langmap, lang or current_lang())


@bp.app_template_filter("public_texts")
def public_texts(ds: Any) -> dict[str, Any]:
    """A dataset's title, description and keywords as the public is shown them in a list of datasets
    (serving.public_texts)."""
    return serving.public_texts(ds)


@bp.app_template_filter("public_title")
def public_title(ds: Any) -> Any:
    """A dataset's title as the public is shown it in a list of datasets (serving.public_title)."""
    return serving.public_title(ds)


@bp.app_template_filter("lang_attr")
def lang_attr(langmap: Any, lang: str | None = None) -> Markup:
    """` lang="zh"` for an element showing `langmap|text` when that text is in another language than the page
    (a Chinese-only title on the English page: read by a screen reader's Chinese voice, WCAG 3.1.2); nothing
    when it is the page's language or not known."""
    page = lang or current_lang()
    found = text_language(langmap, page)
    if not re.fullmatch(r"[a-z]{2,3}", found) or found == page:  # a harvested key is no trusted tag
        return Markup("")
    return Markup(' lang="{}"').format(found)


@bp.app_template_filter("description_html")
def description_html(text: str | None) -> Markup:
    """A description rendered (app/web/prose.py: Markdown, and the HTML a source wrote, made safe)."""
    return prose.render(text)


@bp.app_template_filter("summary")
def summary_filter(text: str | None) -> str:
    """A description as plain text for a list of datasets (app/web/prose.py)."""
    return prose.summary(text)


@bp.app_template_filter("utc_iso")
def utc_iso(value: dt.datetime) -> str:
    """A stored time as ISO 8601 with its zone (a `<time datetime>`): SQLite hands stored UTC times back without
    it, and a time with no zone is read as the reader's local time."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


@bp.app_template_filter("safe_href")
def safe_href(url: Any) -> str:
    """A harvested URL fit for an href: http(s), ftp or mailto only, else "" (javascript:, data: ... are
    shown as text, never as a link: a source's landing page must not run script on our pages)."""
    text = str(url or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https", "ftp", "mailto") else ""


#: A preview cell or column name longer than this many characters is a text to wrap (`long_cell`); a shorter one, a
#: value read across its row (a place, a code, a figure), keeps to one line, as in a spreadsheet (app/static/site.css).
LONG_CELL = 24


@bp.app_template_test("long_cell")
def long_cell(value: Any) -> bool:
    """Whether a preview's cell (or column name) is a text that wraps in a column of its own width, not a value kept
    on one line: a browser laid a table wider than its box out at its columns' narrowest, and broke Chinese between
    any two characters, so a column of region names beside twenty of figures was one character wide (北/京/市)."""
    return isinstance(value, str) and len(value) > LONG_CELL


@bp.app_template_filter("cell")
def cell_filter(value: Any) -> Any:
    """A preview cell as the page shows it: nothing for a null, the mask of personal data in the reader's
    language (the downloads keep the one marker `[redacted]`, whatever the language)."""
    if value is None:
        return ""
    if value == REDACTED:
        return Markup('<span class="redacted">{}</span>').format(_l("[redacted]"))
    return value


def said_marks(value: Any) -> Any:
    """What a page's ``{{ ... }}`` prints (the templates' `finalize`, set by `_say_marks`): a text of the catalog with
    the personal-data marker in it ("补贴名单 联系 [redacted]": a title `serving.public_texts` redacted) said in the
    reader's language ("补贴名单 联系 [已遮盖]"), as `cell_filter` says a masked cell. Markup passes as it is: what the
    templates and their translations write, and JSON put in a page (`|tojson`, `|safe`), keep the marker the data and
    the downloads carry, whatever the language."""
    if type(value) is str and REDACTED in value:
        return value.replace(REDACTED, _("[redacted]"))
    return value


@bp.record_once
def _say_marks(state) -> None:
    state.app.jinja_env.finalize = said_marks


@bp.app_template_global("withdrawal_reason")
def withdrawal_reason(reason: str | None) -> str | None:
    """Why a dataset was withdrawn, in the page's language when the platform wrote it (a harvest's sentence,
    stored as English text on the dataset); what a person typed is shown as typed."""
    found = harvest_withdrawal(reason)
    if found is not None:
        return _(WITHDRAWN_REASON, source=found["source"], job=found["job"])
    deleted = source_deletion(reason)
    if deleted is not None:
        return _(SOURCE_DELETED_REASON, source=deleted["source"])
    return reason


@bp.app_template_global("withdrawn_by_harvest")
def withdrawn_by_harvest(reason: str | None) -> bool:
    """A harvest withdrew it (its source no longer lists it), not its publisher."""
    return harvest_withdrawal(reason) is not None


@bp.app_template_global("withdrawn_with_source")
def withdrawn_with_source(reason: str | None) -> bool:
    """It was withdrawn because its harvest source was deleted (`opendata source delete --datasets withdraw`)."""
    return source_deletion(reason) is not None


@bp.app_template_global("licence_label")
def licence_label(licence_id: str | None, raw: str | None = None) -> str:
    """A licence as a reader of this page names it: its title in the page's language, else the text given."""
    return vocab.licence_title(licence_id, current_lang()) or licence_id or raw or ""


@bp.app_template_global("theme_label")
def theme_label(code: str) -> str:
    theme = vocab.THEMES.get(code)
    return pick_text(theme.labels, current_lang(), code) if theme is not None else code


@bp.app_template_global("hvd_label")
def hvd_label(uri: str | None) -> str:
    """A high-value dataset category by its label in the page's language (zh or en)."""
    return vocab.hvd_label(uri, current_lang())


@bp.app_template_global("frequency_label")
def frequency_label(code: str | None) -> str:
    freq = vocab.FREQUENCIES.get((code or "").upper())
    if freq is None:
        return code or ""
    return freq.label_zh if current_lang() == "zh" else freq.label_en


@bp.app_template_global("place_label")
def place_label(value: str | None) -> str:
    """A place of the spatial coverage by its name (the gazetteer's full name for a urn:gb2260 URI)."""
    return gazetteer.label(value)


@bp.app_template_global("access_right_label")
def access_right_label(code: str | None) -> str:
    found = vocab.ACCESS_RIGHTS.get(vocab.access_right(code) or "")
    if found is None:
        return code or ""
    return found.label_zh if current_lang() == "zh" else found.label_en


@bp.app_template_global("language_label")
def language_label(code: str | None) -> str:
    return vocab.language_label(code, "zh" if current_lang() == "zh" else "en")


@bp.app_errorhandler(404)
def not_found(error):
    """A page that still has the site's navigation and language switch, for people; APIs and machine
    clients (anything under /api, or not naming text/html in Accept) keep the plain 404. Outside /api/ the answer
    follows Accept, and says so (`Vary: Accept`): a 404 may be kept by a shared cache."""
    from app.api.errors import error_response

    if request.path.startswith("/api/"):  # an address no route reads (a newline in it): the API's error shape
        return error_response(404, "not-found", T_("No such endpoint; see /api/v1/openapi.json for the ones "
                                                   "that exist."))
    if (_machine_door() or _asks_for_data()) and not is_browser():  # a feed, a catalog page past the last, a
        # download, a dataset's address asked for JSON or RDF: the API's shape, not werkzeug's page
        resp = error_response(404, "not-found", error.description or "Not Found")
    elif not is_browser():
        resp = error.get_response()
    else:
        resp = make_response(render_template("datasets/not_found.html"), 404)
    resp.vary.add("Accept")
    return resp


#: The heading of the site's error page for a status (the sentence under it says why: `_error_words`).
ERROR_TITLES = {
    400: T_("Request not understood"),
    405: T_("Method not allowed"),
    406: T_("Not available in the format asked for"),
    413: T_("Request too large"),
    416: T_("Range not available"),
}
#: A status with no heading of its own.
ERROR_TITLE = T_("Request not answered")


def _error_words(error: HTTPException):
    """Why, for people: the sentence the error was raised with (a `Text`, said in the reader's language), ours for
    werkzeug's own English one (app/api/errors.py own_words), and for a status we have no sentence for, the one of
    a request that is not valid rather than werkzeug's English."""
    from app.api.errors import GENERIC, own_words

    status = error.code or 400
    words = own_words(status, error.description or "")
    default = default_exceptions.get(status)
    if not isinstance(words, Text) and (not words or (default is not None and words == default.description)):
        words = GENERIC[400]
    return words


def error_page(error: HTTPException, why=None):
    """The site's error page for `error` (status kept, and the headers it carries: 405 `Allow`, 416 `Content-Range`,
    401 `WWW-Authenticate`, ...), in the reader's language as every page is: what a browser gets outside /api/ for
    any client error that has no page of its own (404 `not_found.html`, 403 and 429 app/security.py, 410 and 451
    the serving gate's), where werkzeug's page was English. It is the browser's shape of an answer that is another
    for other clients: `Vary: Accept`."""
    status = error.code or 400
    resp = make_response(render_template("datasets/error.html", title=say(ERROR_TITLES.get(status, ERROR_TITLE), _),
                                         why=say(why if why is not None else _error_words(error), _)), status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    resp.vary.add("Accept")
    resp.vary.add("Accept-Language")  # the page in the reader's language, as every page (app/delivery.py)
    return resp


def _outside_the_apis() -> bool:
    return not request.path.startswith("/api/")


@bp.app_errorhandler(HTTPException)
def client_error(error: HTTPException):
    """Any other client error (400, 401, 409, 413, 415 ...) outside /api/: the site's page for a browser, werkzeug's
    answer (as before) for any other client, either varying by Accept. Under /api/ each API keeps its own shape (the
    REST blueprint's handler comes first; the CKAN API's as werkzeug gives it). A server error is left as it is: the
    page needs the database and templates that may be what failed (a database that is down has its own page,
    app/web/unavailable.py). An error raised with its own answer (`abort(response)`) is answered so."""
    if error.code is None or not 400 <= error.code < 500 or error.response is not None or not _outside_the_apis():
        return error
    if is_browser():
        return error_page(error)
    resp = error.get_response()
    resp.vary.add("Accept")
    return resp


@bp.app_errorhandler(405)
def method_not_allowed(error):
    """A method an address does not take (DELETE /data.json, PUT on an API, POST to a page): 405 with Allow, in the
    CKAN envelope under /api/3/, the API's error shape elsewhere under /api/ and at a machine door for a client that
    is no browser (werkzeug's page was English HTML); a browser outside /api/ gets the site's error page, any other
    client at a page's address werkzeug's. Outside /api/ the answer varies by Accept."""
    from app.api.errors import error_response

    allowed = list(getattr(error, "valid_methods", None) or [])
    why = T_("Method %(method)s is not allowed here; use %(allowed)s.", method=request.method,
             allowed=", ".join(allowed))
    if request.path.startswith(("/api/3/", "/api/action/")):
        from app.api.ckan_core import envelope

        resp = envelope(request.path.rstrip("/").rsplit("/", 1)[-1][:100], {"success": False, "error": {
            "__type": "Bad Request", "message": why}}, 405)
    elif not _outside_the_apis() or (_machine_door() and not is_browser()):
        resp = error_response(405, "method-not-allowed", why)
    elif is_browser():
        resp = error_page(error, why)
    else:
        resp = error.get_response()
    if _outside_the_apis():
        resp.vary.add("Accept")  # JSON or a page, by Accept
    if allowed:
        resp.headers["Allow"] = ", ".join(allowed)
    return resp


@bp.app_errorhandler(406)
@bp.app_errorhandler(416)
def not_acceptable_or_out_of_range(error):
    """406 (no acceptable representation) and 416 (a byte range past the end of a file) under /api/, and at the
    doors machines read for a client that is no browser, in the API's JSON error shape in the reader's language,
    status and headers kept (416's `Content-Range: bytes */<size>`); werkzeug's English HTML page was left there
    (a REST route's own are the blueprint's, app/api/errors.py, which says them the same way). A 406 is an answer
    to content negotiation, so it is that JSON anywhere for a client naming no HTML (a dataset's page and the
    catalog's IRI negotiate too, app/export/routes.py: their 406 was English plain text). A browser outside /api/
    gets the site's error page in its language (werkzeug's was English), saying why as the JSON does (the door's
    own sentence, or ours for werkzeug's); either varies by Accept."""
    from app.api.errors import http_error_response

    negotiated = error.code == 406
    if not _outside_the_apis() or ((_machine_door() or negotiated) and not is_browser()):
        resp = http_error_response(error)
    elif is_browser():
        resp = error_page(error)
    else:
        resp = error.get_response()  # a 416 at a page's address for a client that is no browser (none today)
    if negotiated or _outside_the_apis():
        resp.vary.add("Accept")  # JSON or a page, by Accept
    return resp


#: The doors machines read (feeds, catalog documents, downloads, the DataStore dump): their errors are JSON in the
#: API's shape for a client that is no browser; a page's stay werkzeug's for it. A browser gets the site's page.
_MACHINE_PREFIXES = ("/feeds/", "/datastore/", "/catalog.", "/data.json", "/uploads/")
_MACHINE_SUFFIXES = (".ttl", ".rdf", ".jsonld", ".nt", ".json", ".atom", ".rss", ".xml", ".csv", ".parquet", ".svg")


#: A distribution's downloads (data.<ext>, version/<sha256>, schema.json): a format no route serves (data.xlsx,
#: data.parquet) answered curl werkzeug's English page.
_DOWNLOADS = re.compile(r"^/dataset/[^/]+/resource/[^/]+/.")


def _asks_for_data() -> bool:
    """Whether the request's Accept prefers a document a dataset's address answers that is not its page (JSON, Turtle,
    JSON-LD ...: app.export.routes.negotiate)."""
    from app.export.routes import negotiate

    return bool(request.headers.get("Accept")) and negotiate(request.accept_mimetypes) not in (None, "html")


def _machine_door() -> bool:
    return (request.path.startswith(_MACHINE_PREFIXES) or request.path.endswith(_MACHINE_SUFFIXES)
            or _DOWNLOADS.match(request.path) is not None)


def _active(stmt):
    return stmt.where(Dataset.state == "active")


#: What a list of datasets shows (datasets/_macros.html dataset_item) and what the serving gate asks before a
#: dataset is promoted (serving.exposed_personal_data): the columns by_ids loads. The others (a dozen JSON
#: values a dataset, more a distribution) were most of a listing's CPU, decoded and never read.
LISTED_COLUMNS = (Dataset.id, Dataset.slug, Dataset.title, Dataset.description, Dataset.kind, Dataset.stars,
                  Dataset.state, Dataset.publisher_id, Dataset.extras)
LISTED_DIST_COLUMNS = (Distribution.id, Distribution.dataset_id, Distribution.position, Distribution.format,
                       Distribution.pii, Distribution.archive_hash, Distribution.detected_format)
LISTED_PUBLISHER_COLUMNS = (Publisher.slug, Publisher.name)


def by_ids(session, ids: list[str]) -> list[rowviews.RowView]:
    """Datasets by id, in the order of `ids`, with publisher and distributions: views of their rows
    (catalog_schema.rowviews, no ORM objects), two statements for any number of datasets
    (tests/app/test_page_queries.py counts them). Only LISTED_COLUMNS, LISTED_DIST_COLUMNS and
    LISTED_PUBLISHER_COLUMNS are read; reading another is an error that says so, in a template too. (As ORM
    objects they cost 3-4 ms of CPU for 20 datasets, about a quarter of a search page.)"""
    return rowviews.datasets_by_ids(session, ids, LISTED_COLUMNS, LISTED_DIST_COLUMNS, LISTED_PUBLISHER_COLUMNS)


def star_distribution(session) -> list[tuple[int | None, int]]:
    """(stars, datasets) for 0..5 and the not yet assessed (None), over active datasets: the stars facet of the
    search index (counting the catalog's rows per stars took 100 ms and more at 400,000 datasets)."""
    result = search_mod.search(session, search_mod.SearchQuery(limit=0, facets=["stars"]))
    counts = search_mod.star_counts(result)
    return [(n, counts.get(n, 0)) for n in range(6)] + [(None, counts.get(None, 0))]


def promotable(session, stmt, limit: int, *, batch: int = 20, pages: int = 10,
               first: list[Dataset] | None = None, hidden: set[str] | None = None) -> list[Dataset]:
    """The first `limit` datasets of `stmt` (a select of Dataset.id, ordered) whose data the public may have as
    it is: a dataset with personal data no override covers is not promoted (`exposed`). Reads `batch` ids at a
    time, at most `pages` times; `first`, when given, is the first batch already loaded, and `hidden` the ids
    among them already found exposed."""
    kept: list[Dataset] = []
    for page in range(pages):
        if page == 0 and first is not None:
            loaded = first
            out = hidden if hidden is not None else exposed(session, loaded)
        else:
            loaded = by_ids(session, list(session.scalars(stmt.limit(batch).offset(page * batch))))
            out = exposed(session, loaded)
        kept += [d for d in loaded if d.id not in out]
        if len(kept) >= limit or len(loaded) < batch:
            break
    return kept[:limit]


def exposed(session, datasets) -> set[str]:
    """The ids of `datasets` (as `by_ids` reads them) whose files hold personal data no override covers, in a
    column or beyond the table (another sheet, a ZIP member, notes rows): the serving gate's reading
    (serving.exposed_personal_data) of their files' facts and of their latest assessments' findings, read in
    one statement (no file is read, but the kept whole-file scans of a dataset last assessed under an earlier rule
    set)."""
    datasets = list(datasets)
    latest = latest_findings(session, [d.id for d in datasets]) if datasets else {}
    store = datastore_root()
    out = set()
    for d in datasets:
        findings, rule_version = latest.get(d.id, (None, None))
        if serving.exposed_personal_data(d, findings, rule_version=rule_version, store=store):
            out.add(d.id)
    return out


HOME_ITEMS = 5  # newest and most downloaded datasets on the home page


@bp.get("/")
def home():
    """Six statements whatever the catalog holds: the publishers counted, the five newest datasets' ids (an
    index of migration 0018 walks them in order), the most downloaded ones, the five of each shown loaded
    together (one by_ids: two statements) and their latest assessments' findings (personal data outside a
    table is known from those: `exposed`). The dataset count is the sum of the star distribution, which the
    search index counts. (More when personal data keeps some of them off the page.)"""
    session = db_session()
    # and, in the same statement, the published series: a series groups datasets and is never assessed (its parts
    # are), so it is neither a dataset in the count nor one "not assessed yet" (the home page said 26 datasets, 1
    # waiting for its score, where the dashboard said 25 assessed and the series was the one)
    n_publishers, n_series = session.execute(select(
        select(func.count()).select_from(Publisher).scalar_subquery(),
        select(func.count()).select_from(Dataset).where(Dataset.kind == series.SERIES, Dataset.state == "active")
        .scalar_subquery())).one()
    # ties (a harvest batch's datasets) by name backwards: the index ix_datasets_created_at_slug read backwards
    newest_stmt = _active(select(Dataset.id)).order_by(Dataset.created_at.desc(), Dataset.slug.desc())
    newest_ids = list(session.scalars(newest_stmt.limit(HOME_ITEMS)))
    downloads = func.sum(UsageCounter.downloads)
    # only the days something was downloaded: most usage rows are views alone (every dataset page seen that day),
    # and joining and adding those up took 44 ms a request with 20,000 datasets viewed in a day
    popular = session.execute(_active(select(Dataset.id, downloads.label("n"))
                                      .join(UsageCounter, UsageCounter.dataset_id == Dataset.id))
                              .where(UsageCounter.downloads > 0)
                              .group_by(Dataset.id).having(downloads > 0).order_by(downloads.desc(), Dataset.id)
                              .limit(50)).all()
    counts = {i: n for i, n in popular}
    # Only what is shown is loaded (20 newest datasets with their distributions were 1,100 JSON values decoded
    # a request); more when personal data keeps some of them off the page.
    loaded = {d.id: d for d in by_ids(session, list(dict.fromkeys([*newest_ids,
                                                                   *(i for i, _ in popular[:HOME_ITEMS])])))}
    hidden = exposed(session, loaded.values())
    newest = promotable(session, newest_stmt, HOME_ITEMS, batch=HOME_ITEMS, pages=40,
                        first=[loaded[i] for i in newest_ids if i in loaded], hidden=hidden)
    popular_shown = [d for d in (loaded.get(i) for i, _ in popular[:HOME_ITEMS])
                     if d is not None and d.id not in hidden]
    if len(popular_shown) < HOME_ITEMS < len(popular):
        more = by_ids(session, [i for i, _ in popular[HOME_ITEMS:]])
        more_hidden = exposed(session, more)
        popular_shown += [d for d in more if d.id not in more_hidden]
    popular_shown = popular_shown[:HOME_ITEMS]
    star_counts = [(n, max(0, count - (n_series or 0)) if n is None else count)
                   for n, count in star_distribution(session)]
    return render_template("home.html", n_datasets=sum(n for _stars, n in star_counts), n_publishers=n_publishers or 0,
                           newest=newest, popular=[(d, counts[d.id]) for d in popular_shown],
                           star_counts=star_counts)


# --------------------------------------------------------------------------- search


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and int(v) <= 5]


def _ignored(args) -> list[str]:
    """The filters of a search that cannot be applied (stars=9, stars_min=abc, sort=nope): said on the page,
    where they were dropped without a word and the whole catalog shown as found."""
    out = [f"stars={v}" for v in args.getlist("stars") if not (v.isdigit() and int(v) <= 5)]
    if args.get("stars_min") and not (args["stars_min"].isdigit() and int(args["stars_min"]) <= 5):
        out.append(f"stars_min={args['stars_min']}")
    if args.get("sort") and args["sort"] not in search_mod.SORTS:
        out.append(f"sort={args['sort']}")
    return [text[:60] for text in out[:5]]


def _query_from_args(args, page_size: int) -> search_mod.SearchQuery:
    page = args.get("page", "1")
    return search_mod.SearchQuery(
        q=args.get("q", "")[:500], publisher=args.getlist("publisher"), format=args.getlist("format"),
        licence=args.getlist("licence"), theme=args.getlist("theme"), keyword=args.getlist("keyword"),
        hvd_category=[vocab.hvd_category(v) or v for v in args.getlist("hvd_category")],
        stars=_ints(args.getlist("stars")),
        stars_min=(int(args["stars_min"]) if args.get("stars_min", "").isdigit() and int(args["stars_min"]) <= 5
                   else None),  # not applied, as _ignored says (stars_min=9 was said so and found nothing)
        sort=args.get("sort") if args.get("sort") in search_mod.SORTS else None,
        page=int(page) if page.isdigit() and int(page) > 0 else 1, limit=page_size, facets=list(FACETS),
        collapse_series=args.get("collapse") == "series")


def _url(args: dict[str, list[str]]) -> str:
    return "/dataset" + ("?" + urlencode(args, doseq=True) if args else "")


def facet_links(name: str, values: list[tuple[Any, int]]) -> list[dict[str, Any]]:
    """Each facet value with its count and the link that adds it to, or removes it from, the filters."""
    base = request.args.to_dict(flat=False)
    base.pop("page", None)
    base.pop("lang", None)
    chosen = base.get(name, [])
    out = []
    for value, count in values:
        key = str(value)
        args = {k: list(v) for k, v in base.items()}
        selected = key in chosen
        args[name] = [v for v in chosen if v != key] if selected else [*chosen, key]
        if not args[name]:
            args.pop(name)
        out.append({"value": key, "count": count, "selected": selected, "url": _url(args)})
    return out


def _shortened(links: list[dict[str, Any]], keep: int = FACET_SHOWN) -> list[dict[str, Any]]:
    """The most frequent values and every selected one: a long keyword list buries the results on a phone."""
    return [v for i, v in enumerate(links) if i < keep or v["selected"]]


def at_least_links(star_counts: list[tuple[Any, int]]) -> list[dict[str, Any]]:
    """"n stars or more" (the stars_min filter) for n = 5..1, with counts, toggling like a facet value."""
    base = request.args.to_dict(flat=False)
    for key in ("page", "lang", "stars_min"):
        base.pop(key, None)
    chosen = request.args.get("stars_min", "")
    out = []
    for n in range(5, 0, -1):
        count = sum(c for v, c in star_counts if int(v) >= n)
        if not count:
            continue
        selected = chosen == str(n)
        args = dict(base) if selected else {**base, "stars_min": [str(n)]}
        out.append({"value": n, "count": count, "selected": selected, "url": _url(args)})
    return out


def active_filters() -> tuple[list[dict[str, Any]], str | None]:
    """The filters this search applies, each with the link that removes it, and the link that removes them all (the
    words searched for, the order and the series choice kept); ([], None) when none applies. Shown above the results:
    on a phone the facets come after them, and a search reached by a link (a theme's, a publisher's, `?stars=3`)
    said nothing of the filters that narrowed it. Read from the request, not the facet counts, so a filter that
    leaves nothing found can still be taken off."""
    base = request.args.to_dict(flat=False)
    for key in ("page", "lang"):
        base.pop(key, None)
    ignored = set(_ignored(request.args))
    out = []
    for name in (*FACETS, "stars_min"):
        for value in base.get(name, []):
            if f"{name}={value}"[:60] in ignored or not value.strip():
                continue
            args = {k: list(v) for k, v in base.items()}
            args[name] = [v for v in args[name] if v != value]
            if not args[name]:
                args.pop(name)
            out.append({"name": name, "value": value, "url": _url(args)})
    if not out:
        return [], None
    return out, _url({k: v for k, v in base.items() if k in ("q", "sort", "collapse")})


def page_url(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args.pop("lang", None)
    args["page"] = [str(page)]
    return _url(args)


@bp.get("/dataset")
def index():
    session = db_session()
    size = int(setting("PAGE_SIZE"))
    query = _query_from_args(request.args, size)
    result = search_mod.search(session, query)
    publishers = {p.slug: p for p in session.scalars(select(Publisher).where(
        Publisher.slug.in_([str(v) for v, _ in result.facets.get("publisher", [])])))}
    if "stars" in result.facets:  # most stars first, not most datasets first
        result.facets["stars"] = sorted(result.facets["stars"], key=lambda pair: -int(pair[0]))
    facets = [(name, str(FACET_LABELS[name]), _shortened(facet_links(name, result.facets.get(name, []))))
              for name in FACETS]
    pages = max(1, -(-result.total // size))
    applied, clear_url = active_filters()
    if applied:  # the names of publishers a filter names but no result has (a filter that leaves nothing found)
        wanted = {f["value"] for f in applied if f["name"] == "publisher" and "\x00" not in f["value"]  # no column
                  and len(f["value"]) <= 200} - set(publishers)  # holds it (PostgreSQL refuses a NUL): no publisher
        if wanted:
            publishers.update({p.slug: p for p in session.scalars(select(Publisher).where(Publisher.slug.in_(
                sorted(wanted)[:20])))})
    return render_template("datasets/search.html", query=query, result=result, datasets=by_ids(session, result.ids),
                           applied=applied, clear_url=clear_url,
                           facet_labels={k: str(v) for k, v in FACET_LABELS.items()},
                           signed_in=current_account() is not None, follow_fq=follows_web.search_fq(request.args),
                           facets=facets, publishers=publishers,
                           at_least=at_least_links(result.facets.get("stars", [])), pages=pages, page_url=page_url,
                           sorts=[(k, str(v)) for k, v in SORTS.items()], ignored=_ignored(request.args))


# --------------------------------------------------------------------------- dataset page


@dataclass(frozen=True)
class Related:
    """What the page shows of a related dataset: its link, title and publisher."""

    slug: str
    title: Any
    publisher_name: Any


def related_datasets(session, ds: Dataset, limit: int = RELATED) -> list[tuple[Related, int]]:
    """Datasets of other publishers sharing keywords, themes or places, most shared first: one government, not
    its org chart. The search index scores every match (a shared keyword weighs 2, more specific than a theme
    or place, 1) and gives the best `limit`; one statement reads what the page shows of them. (Scoring the 400
    most recent candidates here, from their rows, was half of the dataset page's CPU at 100,000 datasets.)"""
    found = search_mod.related(session, ds.id, ds.publisher.slug if ds.publisher else None,
                               {"keyword": ds.keywords, "theme": ds.themes, "place": ds.spatial}, limit)
    if not found:
        return []
    rows = {row.id: Related(row.slug, row.title, row.name) for row in session.execute(
        select(Dataset.id, Dataset.slug, Dataset.title, Publisher.name)
        .outerjoin(Publisher, Publisher.id == Dataset.publisher_id)
        .where(Dataset.id.in_([other_id for other_id, _n in found])))}
    shown = [(rows[other_id], shared) for other_id, shared in found if other_id in rows]
    shown.sort(key=lambda pair: (-pair[1], pair[0].slug))
    return shown


#: The data dictionary's rows on a dataset page (the Table Schema lists every column): a table four million columns
#: wide made a page of four million rows.
DICTIONARY_ROWS = 200


def _preview(session, ds: Dataset, dist, user) -> dict[str, Any]:
    """The first rows of an archived table as the serving gate lets this viewer see them (withheld: no rows
    and the reason; redact: masked), with the gate's decision and its explanation in the page's language."""
    out = serving.preview(session, ds, dist, user, rows=PREVIEW_ROWS)
    decision = out["decision"]
    public = serving.decide(session, ds, dist, None) if decision.privileged else decision  # what others get
    # Only a copy this site holds is served or withheld: a link never downloaded has nothing to explain.
    said = bool(public.reason and dist.archive_hash)
    out["public"] = public
    out["withheld"] = decision.action == "withhold" and bool(dist.archive_hash)
    out["notice"] = serving.explain(public, current_lang()) if said else None
    out["contact"] = serving.contact(ds) if said else None
    return out


def _dictionary(session, ds: Dataset, dist, user, lang: str) -> dict[str, Any]:
    """The file's data dictionary as the serving gate lets this viewer see it (`serving.dictionary`: of a withheld
    file the public is not shown its notes rows, nor column names that are personal data), and what was left out
    and why in the page's language."""
    described = serving.dictionary(session, ds, dist, user)
    if described is None:
        return {"dictionary": None, "dictionary_notice": None}
    notice = serving.dictionary_notice(described["decision"], described["left_out"], lang) \
        if described["left_out"] else None
    return {"dictionary": described["dictionary"], "dictionary_notice": notice}


def _extent_map(ds: Dataset) -> dict[str, Any] | None:
    """The dataset's box (its extent, else its places', else its GeoJSON files') on a small map."""
    box = maps.dataset_box(ds)
    if box is None:
        return None
    text = places.bbox_text([round(v, 3) for v in box])
    # a box only the files give is not the metadata's: the page says so, beside a finding that the metadata names
    # no place (it read as if the page contradicted itself)
    said = places.effective_bbox(ds.extent if isinstance(ds.extent, dict) else None, ds.spatial or [])
    svg = maps.svg(box, title=str(_l("Map of the spatial coverage")), css_id="extent-map",
                   description=str(_l("The box %(bbox)s (west, south, east, north, in degrees) drawn on country "
                                      "outlines (Natural Earth).", bbox=text)))
    return {"bbox": text, "from_files": said is None, "svg": svg}


def _file_map(dist, decision) -> Any:
    """A GeoJSON file's shapes on a small map, when the serving gate lets this viewer have the file as it is
    (the shapes are the file's data: a withheld or masked file draws none)."""
    extent = dist.extent if isinstance(dist.extent, dict) else None
    if not extent or extent.get("sha256") != dist.archive_hash or decision.action != "serve":
        return None
    box = places.valid_bbox(extent.get("bbox"))
    if box is None:
        return None
    n = int(extent.get("features") or 0)
    return maps.svg(box, shapes=extent.get("shapes") or [], css_id=f"map-{dist.id}",
                    title=str(_l("Map preview of the file")),
                    description=str(_l("%(num)s features of the file, simplified, within %(bbox)s (west, south, "
                                       "east, north).", num=n, bbox=places.bbox_text([round(v, 3) for v in box]))))


def _served(dist) -> dict[str, Any] | None:
    try:
        return served_stars(dist)
    except Exception:  # a distribution the converter cannot rate: show the published stars only
        return None


def _datastore(dist) -> dict[str, Any] | None:
    """What the row store holds for the distribution's current copy (looked up, never loaded here): the
    table's row count, or why it could not be loaded; None for a copy that is not a table."""
    if not datastore.loadable(dist):
        return None
    got = datastore.lookup(datastore_root(), datastore.key_of(dist))
    if isinstance(got, datastore.Loaded):
        return {"loaded": True, "rows": got.rows}
    if isinstance(got, datastore.Failed):
        return {"loaded": False, "reason": got.reason, "message": got.message}
    return None


def _change_words(change: dict | None, lang: str) -> dict | None:
    """A version's change (serving.public_change) with each column kept by its position (its name is personal data:
    quality.tabular.compare) said in words, "column 3", 第 3 列, as the findings say such a column."""
    if not isinstance(change, dict):
        return change
    return {**change, **{key: [column_words(c, lang) if isinstance(c, int) and not isinstance(c, bool) else c
                               for c in change[key]]
                         for key in ("columns_added", "columns_removed") if isinstance(change.get(key), list)}}


def _export_extras(ds: Dataset) -> tuple[str, list[tuple[str, str]]]:
    return jsonld_script(schema_org_jsonld(serving.public_metadata(to_record(ds)))), alternate_links(ds.slug)


@bp.get("/dataset/<slug>")
def show(slug: str):
    """The HTML dataset page. An old slug answers 301, a withdrawn dataset 410 (app/services/lifecycle.py)."""
    ds = lifecycle.require(db_session(), slug)  # found by its current slug, and active (a public door)
    return _render_page(ds)


def _render_page(ds: Dataset):
    """The HTML page of the active dataset `ds` (its publisher and files are loaded as the page reads them: one
    statement each, where loading the dataset again with them took two and built its row twice)."""
    session = db_session()
    lang = current_lang()
    newest_first = (Assessment.assessed_at.desc(), Assessment.id.desc())
    # the table of past scores reads five columns of each row, not its findings and per-file documents (a
    # catalog re-checked weekly for a year keeps dozens of assessments a dataset: docs/operations.md)
    history = session.execute(select(Assessment.assessed_at, Assessment.stars, Assessment.score,
                                     Assessment.metadata_points, Assessment.metadata_rating)
                              .where(Assessment.dataset_id == ds.id).order_by(*newest_first).limit(50)).all()
    latest = session.scalar(select(Assessment).where(Assessment.dataset_id == ds.id).order_by(*newest_first)
                            .limit(1)) if history else None
    quality = None
    if latest is not None:
        doc = assessment_document(ds, latest)
        findings = list(doc.get("findings") or [])
        by_id = {d.get("id"): d for d in doc.get("distributions") or []}
        quality = {
            "doc": doc,
            "ladders": {dist_id: quality_view.star_ladder(d, findings, lang) for dist_id, d in by_id.items()},
            "dimensions": quality_view.dimensions(doc.get("metadata") or {}),
            "parts": quality_view.score_parts(doc),
            "rating": quality_view.rating_label((doc.get("metadata") or {}).get("rating")),
            "findings": [quality_view.localise_finding(f, lang) for f in quality_view.most_severe_first(findings)],
            "timeliness": doc.get("timeliness"),
            # which file a finding is of, when there are several (the same "encoded as gbk" three times, unnamed)
            "files": {d.id: pick_text(d.title, lang) or quality_view.file_label(d.download_url or d.access_url)
                      for d in ds.distributions} if len(ds.distributions) > 1 else {},
        }
    user = current_account()  # pages know signed-in people only (their pages are private, no-store)
    versions: dict[str, list[DistributionVersion]] = {}
    for v in session.scalars(select(DistributionVersion)
                             .where(DistributionVersion.distribution_id.in_([d.id for d in ds.distributions]))
                             .order_by(DistributionVersion.archived_at.desc(), DistributionVersion.id.desc())):
        versions.setdefault(v.distribution_id, []).append(v)
    distributions = [{"dist": d, "served": _served(d), "preview": _preview(session, ds, d, user),
                      "versions": versions.get(d.id, []),
                      **_dictionary(session, ds, d, user, lang),
                      "datastore": _datastore(d), "link": link_history.of(d),
                      "ladder": (quality or {}).get("ladders", {}).get(d.id)} for d in ds.distributions]
    for item in distributions:
        item["map"] = _file_map(item["dist"], item["preview"]["decision"])
        # how each version changed, as the /api/v1 versions say it: a column named by personal data by its position
        item["changes"] = [_change_words(serving.public_change(v.change, item["preview"]["decision"].privileged),
                                         lang) for v in item["versions"]]
    # What the public is refused or gets masked, said at the top of the page (not only beside the file).
    notices = [item for item in distributions if item["preview"]["notice"]]
    jsonld, alternates = _export_extras(ds)
    changes = activity.page(session, dataset_ids=[ds.id], limit=int(setting("ACTIVITY_ITEMS")))
    # The series it is or is in (no query for a dataset in none), and the one click a fragmented one offers.
    series_nav = series.navigation(session, ds, lang) if ds.kind == series.SERIES or ds.in_series else None
    if series_nav is not None and "members" not in series_nav and not series_nav["series"]:
        series_nav = None  # it names a series the catalog does not have (yet)
    can_make_series = (user is not None and quality is not None and not (series_nav or {}).get("series")
                       and ds.kind != series.SERIES
                       and any(f.get("type") == "fragmented-series" for f in quality["findings"])
                       and auth.can_edit(session, user, ds.publisher))
    # its personal data redacted but to its publisher's editors, as every door that describes it says it
    said = serving.public_texts(ds, lambda: auth.can_edit(session, user, ds.publisher), files=True)
    for item, texts in zip(distributions, said["distributions"], strict=True):
        item.update(texts)  # its title and description
    if quality is not None and quality["files"]:
        quality["files"] = {d.id: pick_text(texts["title"], lang) or quality_view.file_label(
            d.download_url or d.access_url) for d, texts in zip(ds.distributions, said["distributions"], strict=True)}
    html = render_template("datasets/show.html", ds=ds, said=said, description=said["description"], quality=quality,
                           tags=serving.public_tags(ds),
                           history=history,
                           activity=follows_web.activity_items(changes, lang, ds.publisher),
                           following=follows_web.followed(session, "dataset", ds.id), signed_in=user is not None,
                           series_nav=series_nav, can_make_series=can_make_series,
                           distributions=distributions, notices=notices, extent_map=_extent_map(ds),
                           revoked=gate.revocation(ds),
                           related=related_datasets(session, ds),
                           jsonld=jsonld, alternates=alternates, downloads=DOWNLOADS,
                           site_url=str(setting("SITE_URL")).rstrip("/"), column_types=COLUMN_TYPES,
                           dictionary_rows=DICTIONARY_ROWS,
                           ratings={k: str(v) for k, v in quality_view.RATINGS.items()})
    record_usage(session, ds.id, "view")  # after rendering: the commit expires the loaded objects
    session.commit()
    return html
