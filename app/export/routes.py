"""Publishing the catalog: DCAT-AP 3 pages and dumps, CSV/XML/JSON, /data.json, per-dataset formats, badges.

- `/catalog.{ttl,rdf,jsonld,nt}`: one Hydra page (`?page=N`, `?per_page=` up to 1000,
  default 100, `?modified_since=ISO`); `?page=all` or `/catalog/dump.{nt,ttl}`: the whole
  catalog streamed in constant memory (`stream_rdf`). With `modified_since`, datasets withdrawn
  since then are listed too, as minimal records with `adms:status` Withdrawn (`withdrawn`).
- `/catalog.{csv,xml,json}` and `/data.json` (Project Open Data v1.1): streamed. The streamed documents carry a
  weak ETag made before their body from the catalog's change marker (`changelog.catalog_state`), answered 304
  through `delivery.validated`.
- `/dataset/<slug>.{ttl,rdf,jsonld,nt,json,xml,csv}`; `/dataset/<slug>` negotiated on
  `Accept` (q-values) before the page's view runs; HTML is the web page's (`datasets.show`,
  app/web/datasets.py).
- `/dataset/<slug>/badge.svg`, `/publisher/<slug>/badge.svg`; `/quality/metric/<name>`.

Every door of one dataset resolves its slug through `app.services.lifecycle`: an old slug (before a
rename) answers 301 to the same path with the current one, a withdrawn dataset 410 with its tombstone,
a deleted one, a draft or an unknown slug 404.

`alternate_links(slug)` and `schema_org_jsonld(record)` are for the dataset page's
`<link rel="alternate">` and embedded schema.org JSON-LD.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import queue
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NoReturn
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotAcceptable

from app import delivery
from app.api.errors import error_response
from app.assessment import assessment_document, latest_assessment
from app.export import badges, dqv, paging, stream_rdf, withdrawn
from app.export import catalog as catalog_export
from app.request_context import db_session, setting
from app.services import lifecycle, serving
from app.texts import T_
from app.web import prose
from catalog_schema import changelog, dates, readers, series, vocab
from catalog_schema import dcat as dcatmap
from catalog_schema import search as search_mod
from catalog_schema.datajson import catalog_to_datajson, to_datajson
from catalog_schema.dcat_triples import dataset_uri, distribution_uris
from catalog_schema.models import Dataset, Publisher
from catalog_schema.record import Record, pick_text, public_record
from catalog_schema.store import to_record

bp = Blueprint("exports", __name__)

RDF_EXTS = ("ttl", "rdf", "jsonld", "nt")
TABLE_EXTS = ("csv", "xml", "json")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000
MEDIA = {**{ext: media for ext, (_, media) in dcatmap.SYNTAXES.items()},
         "csv": "text/csv", "xml": "application/xml", "json": "application/json"}
# Accept media type -> the representation of /dataset/<slug> (HTML first: it wins ties such as */*)
#: What a dataset's address answers, by the media type Accept names. No application/xhtml+xml: the page is sent as
#: text/html, so a client asking for XHTML alone (or `application/*`, which matched it first) was given a type it did
#: not accept; browsers name text/html too.
NEGOTIABLE = {"text/html": "html", "text/turtle": "ttl",
              "application/rdf+xml": "rdf", "application/ld+json": "jsonld", "application/n-triples": "nt",
              "application/json": "json", "application/xml": "xml", "text/xml": "xml", "text/csv": "csv"}
PAGE_ENDPOINTS = ("datasets.show",)  # app/web/datasets.py
BADGE_MAX_AGE = 3600


def _site() -> str:
    return setting("SITE_URL").rstrip("/")


def catalog_info() -> dict[str, Any]:
    """The dcat:Catalog's own description, as `opendata export catalog` writes it (one function: the HTTP catalog
    and the command's said different descriptions, publishers and homepages)."""
    return catalog_export.catalog_info(current_app.config["OPENDATA"])


def _media(ext: str) -> str:
    media = MEDIA[ext]
    return media + "; charset=utf-8" if media.startswith("text/") or ext in ("json", "xml", "jsonld") else media


# --------------------------------------------------------------------------- catalog pages and dumps


def _modified_since() -> dt.datetime | None:
    raw = request.args.get("modified_since")
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        abort(error_response(400, "bad-request", T_("modified_since is not an ISO 8601 date/time: %(raw)s",
                                                    raw=repr(raw))))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(error_response(400, "bad-request", T_("%(name)s must be a whole number, not %(raw)s", name=name,
                                                    raw=repr(raw))))
    if value < low:
        abort(error_response(400, "bad-request", T_("%(name)s must be at least %(low)s", name=name, low=low)))
    return min(value, high) if high is not None else value


def _catalog_answers() -> None:
    """Ask the database once before a streamed body starts: a catalog that cannot be used (down, never migrated)
    then answers 503 like every other door (app/web/unavailable.py). Inside the stream, the 200 and its headers
    were sent already and the body broke off (a data.json of `{"dataset": [`, a CSV of its header)."""
    db_session().execute(select(Dataset.id).limit(1)).first()


def _records_stream(**kw: Any) -> Iterator[Record]:
    """Records for a streamed body, as the public is given them (`serving.public_records`): the generator outlives
    the request, so it keeps its own session."""
    _catalog_answers()
    factory = current_app.extensions["opendata"]["sessionmaker"]

    def gen() -> Iterator[Record]:
        with factory() as session:
            yield from serving.public_records(readers.iter_records(session, **kw))

    return gen()


def _page_url(ext: str, page: int, per_page: int, since: str | None) -> str:
    params = {"page": page, "per_page": per_page}
    if since:
        params["modified_since"] = since
    return f"{_site()}/catalog.{ext}?{urlencode(params)}"


@bp.get("/catalog.<any(ttl,rdf,jsonld,nt,csv,xml,json):ext>")
def catalog(ext: str):
    since = _modified_since()
    if ext in TABLE_EXTS:
        return _table_dump(ext, since)
    if request.args.get("page") == "all":
        return _rdf_dump(ext, since)
    page = _int_arg("page", 1, 1)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    session = db_session()
    if since is None:
        # the active datasets: counted by the search index, a page read from its anchor (app/export/paging.py)
        total = search_mod.search(session, search_mod.SearchQuery(limit=0)).total
    else:  # the changes feed: withdrawn datasets too, as minimal records (app/export/withdrawn.py)
        where = [Dataset.state.in_(("active", "withdrawn")), Dataset.modified_at >= since]
        total = session.scalar(select(func.count()).select_from(Dataset).where(*where))
    last = max(1, -(-total // per_page))
    if page > last:
        abort(404)
    if since is None:  # records built from one JSON value a dataset, without ORM objects (readers.py)
        first, skip = paging.start(session, (page - 1) * per_page)
        records = [] if first is None else list(itertools.islice(
            readers.iter_records(session, batch=skip + per_page, start=first), skip, skip + per_page))
        gone: list[Dataset] = []
    else:
        rows = session.scalars(select(Dataset).where(*where).order_by(Dataset.slug).offset((page - 1) * per_page)
                              .limit(per_page).options(selectinload(Dataset.publisher),
                                                       selectinload(Dataset.distributions))).all()
        records = series.annotate(session, [to_record(ds) for ds in rows if ds.state == "active"])
        gone = [ds for ds in rows if ds.state == "withdrawn"]
    records = list(serving.public_records(records))
    raw_since = request.args.get("modified_since")
    info = {"uri": _page_url(ext, page, per_page, raw_since), "first": _page_url(ext, 1, per_page, raw_since),
            "last": _page_url(ext, last, per_page, raw_since), "total_items": total, "per_page": per_page,
            "next": _page_url(ext, page + 1, per_page, raw_since) if page < last else None,
            "previous": _page_url(ext, page - 1, per_page, raw_since) if page > 1 else None}
    cat_uri = catalog_info()["uri"]
    if ext in ("nt", "ttl"):
        # The streaming writer makes the same graph as rdflib does below, at a small part of the cost
        # (a Turtle page of 100 datasets took rdflib about 0.7 s of CPU: the slowest request of the portal).
        body = "".join(stream_rdf.stream_catalog(records, ext, site_url=_site(), catalog_info=catalog_info(),
                                                 page=info))
        body += withdrawn.text(gone, ext, site_url=_site(), catalog_uri=cat_uri)
        return Response(body, content_type=_media(ext))
    graph = dcatmap.catalog_to_rdf(records, site_url=_site(), catalog_info=catalog_info(), page=info)
    successors = withdrawn.successor_iris(session, gone, _site())
    for ds in gone:
        withdrawn.add_withdrawn(graph, ds, site_url=_site(), catalog_uri=cat_uri, successors=successors)
    return Response(_serialize(graph, ext), content_type=_media(ext))


def _serialize(graph, ext: str) -> bytes:
    with warnings.catch_warnings():  # rdflib's JSON-LD writer uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        return dcatmap.serialize(graph, ext)[0]


@bp.get("/catalog/dump.<any(nt,ttl):ext>")
def catalog_dump(ext: str):
    return _rdf_dump(ext, _modified_since())


#: Moves the ETags of the streamed dumps when what writes them changes (app/export/catalog.py's writers,
#: stream_rdf, withdrawn).
CATALOG_DUMP_MAPPING = "1"


def _dump_tag(ext: str) -> str:
    """The weak ETag of a streamed dump, made as /data.json's is before its body from what the body is made of:
    the catalog's change marker (read before the stream's own session reads the records, so the body is never
    older than its tag), the catalog's title and address the RDF writes, the writers' version, the format, the
    path and the query (a page=all or modified_since variant). Not per language: the bodies are the records' own
    texts in every language, whatever the reader's."""
    return delivery.etag_of("catalog-dump", CATALOG_DUMP_MAPPING, ext, changelog.catalog_state(db_session()),
                            catalog_info(), request.path, request.query_string.decode("latin-1"))


def _rdf_dump(ext: str, since: dt.datetime | None) -> Response:
    if ext not in ("nt", "ttl"):
        abort(error_response(400, "bad-request", T_("the full dump is streamed as N-Triples or Turtle: use "
                                                    "/catalog.nt?page=all or /catalog.ttl?page=all")))
    tag = _dump_tag(ext)
    body = stream_rdf.stream_catalog(_records_stream(modified_since=since), ext, site_url=_site(),
                                     catalog_info=catalog_info())
    if since is not None:  # the changes feed: withdrawn datasets after the others, as minimal records
        body = itertools.chain(body, withdrawn.stream(current_app.extensions["opendata"]["sessionmaker"], since, ext,
                                                      site_url=_site(), catalog_uri=catalog_info()["uri"]))
    return delivery.validated(request, Response(body, content_type=_media(ext)), tag)


def _table_dump(ext: str, since: dt.datetime | None) -> Response:
    writer = {"csv": catalog_export.write_csv, "xml": catalog_export.write_xml, "json": catalog_export.write_json}[ext]
    tag = _dump_tag(ext)
    _catalog_answers()
    factory = current_app.extensions["opendata"]["sessionmaker"]

    def write(out) -> None:
        with factory() as session:
            writer(serving.public_records(readers.iter_records(session, modified_since=since)), out)

    return delivery.validated(request, Response(_pushed(write), content_type=_media(ext)), tag)


class _Stopped(Exception):
    """The client went away: the writer thread stops at its next write."""


class _QueueWriter(io.TextIOBase):
    def __init__(self, q: queue.Queue, stop: threading.Event, chunk: int = 64 * 1024):
        self.q, self.stop, self.chunk = q, stop, chunk
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.stop.is_set():
            raise _Stopped()
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.chunk:
            self.flush_parts()
        return len(text)

    def flush_parts(self) -> None:
        if self.parts:
            item = "".join(self.parts)
            self.parts, self.size = [], 0
            # Never block for ever: a response nobody reads any more (its generator closed or collected)
            # sets `stop`, and the writer must then end and give its database session back.
            while True:
                if self.stop.is_set():
                    raise _Stopped()
                try:
                    self.q.put(item, timeout=0.5)
                    return
                except queue.Full:
                    continue


_END = object()


def _pushed(write: Callable[[io.TextIOBase], None]) -> Iterator[str]:
    """Turn a writer that pushes text into a file into chunks a streamed response pulls (bounded queue)."""
    q: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()
    out = _QueueWriter(q, stop)

    def run() -> None:
        try:
            write(out)
            out.flush_parts()
            q.put(_END)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the response generator, which re-raises it
            q.put(exc)

    def chunks() -> Iterator[str]:
        threading.Thread(target=run, daemon=True, name="export-writer").start()
        try:
            while True:
                item = q.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while True:  # unblock a writer waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    break

    return chunks()


#: Moves the ETag of /data.json when what writes it changes (catalog_schema/datajson.py's mapping).
DATA_JSON_MAPPING = "1"


@bp.get("/data.json")
def data_json():
    """Project Open Data v1.1, streamed; its weak ETag is made before the body from what the body is made of (the
    catalog's change marker, the settings it writes, the mapping's version, the query), so a client revalidates
    (304) without the catalog being read, and the tag moves when a dataset is added, edited or withdrawn. Not
    per language: its texts are the records' own, whatever the reader's."""
    site = _site()
    contact = setting("CONTACT_EMAIL") or None
    portal = setting("SITE_PUBLISHER") or None
    tag = delivery.etag_of("data.json", DATA_JSON_MAPPING, changelog.catalog_state(db_session()), site, contact, portal,
                  request.query_string.decode("latin-1"))
    head = json.dumps(catalog_to_datajson([], site_url=site), ensure_ascii=False)
    assert head.endswith('"dataset": []}')
    records = _records_stream(catalog_dates=True)

    def body() -> Iterator[str]:
        yield head[: -len("[]}")] + "["
        for i, rec in enumerate(records):
            yield ("," if i else "") + "\n" + json.dumps(
                to_datajson(rec, site_url=site, contact_email=contact, site_publisher=portal), ensure_ascii=False)
        yield "\n]}\n"

    return delivery.validated(request, Response(body(), mimetype="application/json"), tag)


# --------------------------------------------------------------------------- one dataset


def _dataset_or_404(slug: str) -> Dataset:
    """The active dataset `slug` names; an old slug answers 301, a withdrawn dataset 410 (a page or
    JSON, by Accept), anything else 404 (app/services/lifecycle.py)."""
    return lifecycle.require(db_session(), slug)


def dataset_graph(ds: Dataset, record: Record | None = None):
    """The dataset's DCAT-AP 3 graph with its latest assessment as DQV measurements."""
    record = record or serving.public_metadata(series.annotate(db_session(), [to_record(ds)], order=True)[0])
    graph = dcatmap.dataset_to_rdf(record, site_url=_site())
    latest = latest_assessment(db_session(), ds.id)
    if latest is not None:
        graph.bind("dqv", dqv.DQV)
        dqv.assessment_to_rdf(assessment_document(ds, latest), record, site_url=_site(), graph=graph)
    return graph


def dataset_representation(slug: str, ext: str) -> Response:
    ds = _dataset_or_404(slug)
    # its series, its neighbours; its personal data redacted in every format, as the catalog's are
    record = serving.public_metadata(series.annotate(db_session(), [to_record(ds)], order=True)[0])
    if ext in RDF_EXTS:
        body: str | bytes = _serialize(dataset_graph(ds, record), ext)
    elif ext == "json":
        body = json.dumps(public_record(record), ensure_ascii=False, default=str)
    else:
        buf = io.StringIO()
        (catalog_export.write_csv if ext == "csv" else catalog_export.write_xml)([record], buf)
        body = buf.getvalue()
    resp = Response(body, content_type=_media(ext))
    resp.headers["Link"] = f'<{_site()}/dataset/{slug}>; rel="canonical"'
    return resp


@bp.get("/dataset/<slug>.<any(ttl,rdf,jsonld,nt,json,xml,csv):ext>")
def dataset_format(slug: str, ext: str):
    return dataset_representation(slug, ext)


def _see_other(html: str, by_ext: Callable[[str], str]) -> Response:
    """303 See Other to the document describing a thing we name by an IRI (linked data's rule for things that
    are not documents): `html` for a browser, else the representation Accept asks for (406 when none)."""
    choice = negotiate(request.accept_mimetypes) if request.headers.get("Accept") else "html"
    if choice is None:
        _not_acceptable()
    resp = Response(status=303, headers={"Location": html if choice == "html" else by_ext(choice)})
    resp.vary.add("Accept")
    return resp


@bp.get("/catalog")
def catalog_resource():
    """`<site>/catalog`, the dcat:Catalog every page, dump and changes feed names (it answered 404, so a
    linked-data client following it found nothing): the catalog's first page in the format asked, the home
    page for a browser."""
    return _see_other(url_for("datasets.home"), lambda ext: url_for(".catalog", ext=ext))


@bp.get("/dataset/<slug>/resource/<dist_id>")
def distribution_resource(slug: str, dist_id: str):
    """A distribution's IRI (`dcat:distribution`, and what DQV measurements are computed on): the dataset that
    describes it, in the format asked, or its page at the file. The file's id in this catalog names it too: every
    address below this one (data.csv, schema.json, version/...) is made of that id, and a harvested file's IRI is
    made of its source's id (the CKAN resource's), so the address with the catalog's id answered 404. A renamed,
    withdrawn or unknown dataset answers as every door does; a distribution the dataset does not have, 404."""
    ds = _dataset_or_404(slug)
    record = to_record(ds)
    mine = f"{dataset_uri(record, _site())}/resource/{dist_id}"  # under the IRI the dataset was first published as
    found = [d for d, uri in zip(record["distributions"], distribution_uris(record, _site()), strict=True)
             if uri == mine] or [d for d in record["distributions"] if d.get("catalog_id") == dist_id]
    if not found:
        abort(404)
    return _see_other(url_for("datasets.show", slug=ds.slug) + f"#dist-{found[0].get('catalog_id') or ''}",
                      lambda ext: url_for(".dataset_format", slug=ds.slug, ext=ext))


def _not_acceptable() -> NoReturn:
    """406 naming the media types this address answers in, raised for the app's one 406 rule (app/web/datasets.py):
    the API's JSON error in the reader's language for a client that names no HTML, the error page for a browser."""
    raise NotAcceptable(description=T_("This address cannot answer in any type the request's Accept header names; "
                                       "it answers in %(types)s.", types=", ".join(sorted(set(NEGOTIABLE)))))


def negotiate(accept) -> str | None:
    """The representation `Accept` prefers (q-values honoured; HTML wins ties), or None if none is acceptable."""
    best = accept.best_match(list(NEGOTIABLE), default=None) if accept else "text/html"
    return NEGOTIABLE.get(best) if best else None


def _asked(req) -> tuple[str, str | None] | None:
    """(slug, the representation Accept prefers: None when none is acceptable) for a GET or HEAD of a dataset's
    address (its page's endpoint); None for any other request."""
    if req.endpoint not in PAGE_ENDPOINTS or req.method not in ("GET", "HEAD"):
        return None
    slug = (req.view_args or {}).get("slug")
    if not slug:
        return None
    return slug, (negotiate(req.accept_mimetypes) if req.headers.get("Accept") else "html")


def asks_for_a_document(req) -> bool:
    """Whether `req` asks a dataset's address for one of its documents through Accept (Turtle, JSON-LD, CSV ...):
    answered as its `/dataset/<slug>.<ext>` address answers, resolved without a user, so the same for every visitor
    (app/delivery.py visitor_free). Its page, and the 406 of a type no door gives, are not."""
    asked = _asked(req)
    return asked is not None and asked[1] not in (None, "html")


@bp.before_app_request
def _negotiate_dataset():
    """RDF, JSON, XML or CSV for /dataset/<slug> when Accept asks for them; HTML falls through to the page."""
    asked = _asked(request)
    if asked is None:
        return None
    slug, choice = asked
    if choice is None:
        # what the address is first (an old slug 301, withdrawn 410, no such dataset 404), in what form second:
        # a client that asked in a type no door gives was told 406 for a dataset withdrawn or renamed long ago
        _dataset_or_404(slug)
        _not_acceptable()
    if choice == "html":
        return None
    resp = dataset_representation(slug, choice)
    resp.vary.add("Accept")
    return resp


@bp.after_app_request
def _vary_accept(resp: Response) -> Response:
    if request.endpoint in PAGE_ENDPOINTS:
        resp.vary.add("Accept")
    return resp


def jsonld_script(data: dict[str, Any]) -> str:
    """JSON for a <script> element: '<', '>' and '&' as \\u escapes, so no text can close the element."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def alternate_links(slug: str) -> list[tuple[str, str]]:
    """(media type, URL) of every machine-readable form of a dataset, for <link rel="alternate">."""
    out = []
    for ext in (*RDF_EXTS, "json", "xml", "csv"):
        try:
            url = url_for("exports.dataset_format", slug=slug, ext=ext)
        except RuntimeError:  # outside a request: plain paths
            url = f"/dataset/{slug}.{ext}"
        out.append((MEDIA[ext], url))
    return out


def schema_org_jsonld(record: Record, site_url: str | None = None) -> dict[str, Any]:
    """A schema.org Dataset for the page's <script type="application/ld+json"> (what search engines index)."""
    site = (site_url or _site()).rstrip("/")
    url = f"{site}/dataset/{record['slug']}"
    out: dict[str, Any] = {"@context": "https://schema.org", "@type": "Dataset", "@id": url, "url": url,
                           "name": pick_text(record.get("title")),
                           "description": prose.plain(pick_text(record.get("description")))}
    if record.get("identifier"):
        out["identifier"] = record["identifier"]
    if record.get("keywords"):
        out["keywords"] = list(record["keywords"])
    lic = record.get("license_raw") or record.get("license")
    raw = record.get("license_raw") if isinstance(record.get("license_raw"), str) else ""
    if record.get("license") and not raw.startswith(("https://", "http://")):  # a source's URL is the precise one
        found = vocab.licence_by_id(record["license"])
        lic = found.url if found is not None and found.url else lic
    if lic:
        out["license"] = lic
    for key, prop in (("publisher", "publisher"), ("creator", "creator")):
        agent = record.get(key)
        if agent:
            org = {"@type": "Organization", "name": pick_text(agent.get("name"))}
            if agent.get("slug"):
                org["url"] = f"{site}/publisher/{agent['slug']}"
            out[prop] = org
    if "creator" not in out and "publisher" in out:
        out["creator"] = out["publisher"]
    for key, prop in (("issued", "datePublished"), ("modified", "dateModified")):
        when = dates.published_text(record.get(key))  # what is no date is not published (DCAT alike)
        if when:
            out[prop] = when
    temporal = record.get("temporal") or {}
    start, end = dates.published_text(temporal.get("start")), dates.published_text(temporal.get("end"))
    if start or end:
        out["temporalCoverage"] = f"{start or '..'}/{end or '..'}"
    if record.get("spatial"):
        out["spatialCoverage"] = [{"@type": "Place", "name": place} for place in record["spatial"]]
    box = (record.get("extent") or {}).get("bbox")
    if box:  # schema.org's GeoShape box: "south west north east"
        shape = {"@type": "GeoShape", "box": " ".join(format(v, "g") for v in (box[1], box[0], box[3], box[2]))}
        out.setdefault("spatialCoverage", []).append({"@type": "Place", "geo": shape})
    dists = []
    for dist in record.get("distributions") or []:
        url_ = dist.get("download_url") or dist.get("access_url")
        if not url_:
            continue
        item = {"@type": "DataDownload", "contentUrl": url_}
        if pick_text(dist.get("title")):
            item["name"] = pick_text(dist.get("title"))
        # the media type the declared one means (as DCAT and data.json say it), else the format's name
        fmt = vocab.plain_media_type(dist.get("media_type")) or dist.get("format") or dist.get("format_raw")
        if fmt:
            item["encodingFormat"] = fmt
        dists.append(item)
    if dists:
        out["distribution"] = dists
    return out


# --------------------------------------------------------------------------- badges and metrics


def _svg(body: str, status: int = 200) -> Response:
    resp = Response(body, status=status, mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = f"public, max-age={BADGE_MAX_AGE if status == 200 else lifecycle.GONE_MAX_AGE}"
    resp.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return resp.make_conditional(request) if status == 200 else resp


def _badge_lang() -> str:
    """A badge's language: Chinese for `?lang=zh` (zh_CN, zh-TW ...), else English. Only the URL says it (not
    Accept-Language nor the session), so one URL is one image for every cache and every site embedding it."""
    return "zh" if (request.args.get("lang") or "").lower().startswith("zh") else "en"


def _badge_texts(lang: str) -> dict[str, str]:
    with force_locale("zh_CN" if lang == "zh" else "en"):
        return {"label": _("open data"), "unassessed": _("not assessed"), "withdrawn": _("withdrawn")}


@bp.get("/dataset/<slug>/badge.svg")
def dataset_badge(slug: str):
    resolution = lifecycle.resolve(db_session(), slug)
    if resolution.outcome == lifecycle.MOVED:
        return lifecycle.moved_response(resolution.dataset)
    if resolution.outcome == lifecycle.MISSING:
        abort(404)
    ds = resolution.dataset
    lang = _badge_lang()
    texts = _badge_texts(lang)
    title = pick_text(serving.public_title(ds), lang)  # its personal data redacted
    if resolution.outcome == lifecycle.GONE:
        return _svg(badges.withdrawn_badge(texts["label"], title, texts["withdrawn"]), status=410)
    return _svg(badges.badge(texts["label"], ds.stars, title, unassessed=texts["unassessed"]))


@bp.get("/publisher/<slug>/badge.svg")
def publisher_badge(slug: str):
    session = db_session()
    pub = session.scalar(select(Publisher).where(Publisher.slug == slug))
    if pub is None:
        abort(404)
    avg, rated = session.execute(select(func.avg(Dataset.stars), func.count(Dataset.stars))
                                 .where(Dataset.publisher_id == pub.id, Dataset.state == "active")).one()
    stars = float(avg) if rated else None
    detail = f"{stars:.1f} ({rated})" if rated else None
    lang = _badge_lang()
    texts = _badge_texts(lang)
    return _svg(badges.badge(texts["label"], stars, pick_text(pub.name, lang), detail=detail,
                             unassessed=texts["unassessed"]))


@bp.get("/quality/metric/<name>")
def quality_metric(name: str):
    if name not in dqv.METRICS:
        abort(404)
    """The metric's DQV description in the RDF syntax Accept asks for, else Turtle: the same for every visitor
    (app/delivery.py), which a shared cache may keep, so it says that the syntax follows Accept."""
    choice = negotiate(request.accept_mimetypes) if request.headers.get("Accept") else "ttl"
    ext = choice if choice in RDF_EXTS else "ttl"
    resp = Response(_serialize(dqv.metric_graph(_site(), name), ext), content_type=_media(ext))
    resp.vary.add("Accept")
    return resp
