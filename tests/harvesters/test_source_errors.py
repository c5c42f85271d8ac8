"""A source that answers something other than its catalog fails the job with one sentence naming what it
answered, and withdraws nothing: each case harvests a good source first, then makes it answer the bad
thing, runs a full harvest (in one process, and as the gather task of a job on workers) and finds every
dataset still active."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from sqlalchemy import select

from app.jobs import harvest, queue_harvest
from catalog_schema.models import Dataset, HarvestJob, HarvestSource
from harvesters import registry
from harvesters.distributed import gather_job
from harvesters.reading import not_a_catalog
from tests.support.httpserver import LocalServer, Request
from tests.support.sources import add_paging, serve_source

WEB_PAGE = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Open data | City of Example"
            b"</title></head><body><h1>Our open data</h1><p>Browse the datasets below.</p></body></html>")
LOGIN_PAGE = (b"<!doctype html><html><head><title>Sign in</title></head><body><form method=\"post\" "
              b"action=\"/login\"><input name=\"user\"><input type=\"password\" name=\"pw\"><button>Sign in</button>"
              b"</form></body></html>")
EMPTY_DCAT = (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
              b"<http://example.org/catalog> a dcat:Catalog ; dct:title \"Empty\"@en .\n")


def _json(body: dict, status: int = 200):
    return lambda _req: (status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def _page(body: bytes, content_type: str, status: int = 200):
    return lambda _req: (status, {"Content-Type": content_type}, body)


def _to_login(server: LocalServer):
    server.add_bytes("/account/login", LOGIN_PAGE, "text/html")
    return lambda _req: (302, {"Location": server.url("/account/login?next=/catalog")}, b"")


@dataclass
class Case:
    id: str
    kind: str  # a kind of tests/support/sources.py: the good source
    answer: object  # (server, url) -> {path: handler} of the bad answer, or a callable changing a folder
    error: str  # the job's error, "{url}" the source's URL


def _last_page_back_to_2(server: LocalServer):
    """The last Hydra page of the DCAT source, now naming page 2 as its next."""
    page = rdflib.Graph()
    page.parse(data=server.routes.handlers["/catalog-3.ttl"](None)[2], format="turtle")
    add_paging(page, server.url("/catalog-3.ttl"), server.url("/catalog-2.ttl"))
    return _page(page.serialize(format="turtle", encoding="utf-8"), "text/turtle")


def _ckan_ignoring_start(server: LocalServer):
    search = server.routes.handlers["/api/action/package_search"]
    return lambda req: search(Request(req.method, req.path, "&".join(
        part for part in req.query.split("&") if not part.startswith("start=")), req.headers, req.body))


CASES = [
    Case("dcat-web-page", "dcat-turtle", lambda s: {"/catalog-1.ttl": _page(WEB_PAGE, "text/html")},
         "{url}: this is a web page (HTML), not a DCAT catalog"),
    Case("dcat-web-page-labelled-rdfxml", "dcat-turtle",
         lambda s: {"/catalog-1.ttl": _page(WEB_PAGE, "application/rdf+xml")},
         "{url}: this is a web page (HTML), not a DCAT catalog"),
    Case("dcat-login-page", "dcat-turtle", lambda s: {"/catalog-1.ttl": _to_login(s)},
         "{url}: the server answered with a login page, not a DCAT catalog"),
    Case("dcat-json-error", "dcat-turtle",
         lambda s: {"/catalog-1.ttl": _json({"error": {"code": 503, "message": "Catalogue disabled for upkeep"}})},
         "{url}: the server answered with an error: 503: Catalogue disabled for upkeep"),
    Case("dcat-xml-error-document", "dcat-turtle", lambda s: {"/catalog-1.ttl": _page(
        b'<?xml version="1.0"?><error><code>503</code><message>Service temporarily unavailable</message></error>',
        "application/xml")},
         "{url}: the server answered with an error: 503: Service temporarily unavailable"),
    Case("dcat-plain-text", "dcat-turtle",
         lambda s: {"/catalog-1.ttl": _page(b"Service temporarily unavailable.\nTry again later.\n", "text/plain")},
         "{url}: the answer is no RDF (read as turtle); it begins \u201cService temporarily unavailable. Try again "
         "later.\u201d"),
    Case("dcat-empty-catalog", "dcat-turtle", lambda s: {"/catalog-1.ttl": _page(EMPTY_DCAT, "text/turtle")},
         "{url}: the catalog lists no datasets"),
    Case("dcat-given-a-data-json", "dcat-turtle", lambda s: {"/catalog-1.ttl": _page(
        (Path(__file__).parents[1] / "fixtures/real/datajson/cftc_dcatus.json").read_bytes(), "application/json")},
         '{url}: JSON without a JSON-LD @context, holding a "dataset" list: a data.json catalog, not RDF (add the '
         "source with --type datajson)"),
    Case("dcat-given-plain-json", "dcat-turtle",
         lambda s: {"/catalog-1.ttl": _json({"items": [{"name": "bus stops"}], "total": 1})},
         "{url}: JSON without a JSON-LD @context, not an RDF catalog"),
    Case("dcat-page-2-bad-gateway", "dcat-turtle",
         lambda s: {"/catalog-2.ttl": _page(b"upstream down", "text/plain", 502)},
         "{server}/catalog-2.ttl: the server answered HTTP 502 Bad Gateway"),
    Case("dcat-hydra-loop", "dcat-turtle", lambda s: {"/catalog-3.ttl": _last_page_back_to_2(s)},
         "{url}: Hydra paging loops back to page 2 (page 3 names {server}/catalog-2.ttl as its next page)"),
    Case("datajson-web-page", "datajson", lambda s: {"/data.json": _page(WEB_PAGE, "text/html")},
         "{url}: this is a web page (HTML), not a data.json catalog"),
    Case("datajson-login-page-401", "datajson", lambda s: {"/data.json": _page(LOGIN_PAGE, "text/html", 401)},
         "{url}: the server answered with a login page (HTTP 401), not a data.json catalog"),
    Case("datajson-json-error-403", "datajson",
         lambda s: {"/data.json": _json({"message": "Missing Authentication Token"}, 403)},
         "{url}: the server answered with an error (HTTP 403): Missing Authentication Token"),
    Case("datajson-empty-catalog", "datajson",
         lambda s: {"/data.json": _json({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
                                          "dataset": []})},
         "{url}: the catalog lists no datasets"),
    Case("ckan-web-page", "ckan", lambda s: {"/api/action/package_search": _page(WEB_PAGE, "text/html")},
         "{url}: this is a web page (HTML), not a CKAN API answer"),
    Case("ckan-login-page", "ckan", lambda s: {"/api/action/package_search": _to_login(s)},
         "{url}: the server answered with a login page, not a CKAN API answer"),
    Case("ckan-json-error", "ckan",
         lambda s: {"/api/action/package_search": _json({"help": "", "success": False, "error": {
             "__type": "Authorization Error", "message": "Access denied"}}, 403)},
         "{url}: the CKAN API answered with an error (HTTP 403): Authorization Error: Access denied"),
    Case("ckan-empty-catalog", "ckan",
         lambda s: {"/api/action/package_search": _json({"help": "", "success": True,
                                                         "result": {"count": 0, "results": []}})},
         "{url}: the catalog lists no datasets"),
    Case("ckan-no-action-api", "ckan",
         lambda s: {"/api/action/package_search": _page(b"not found", "text/plain", 404)},
         "{url}: no CKAN Action API there (package_search answered HTTP 404)"),
    Case("ckan-result-a-list", "ckan",
         lambda s: {"/api/action/package_search": _json({"help": "", "success": True, "result": []})},
         "{url}: package_search answered a list, not a search result"),
    Case("ckan-results-a-string", "ckan",
         lambda s: {"/api/action/package_search": _json({"help": "", "success": True,
                                                         "result": {"count": 1, "results": "none"}})},
         "{url}: package_search results are a string, not a list"),
    # an answer ckanapi cannot read as CKAN's: its status and the start of the body, not ckanapi's Python list of
    # the query's address, the status and the body (['http://.../package_search', 200, 'Service ...'])
    Case("ckan-server-error", "ckan",
         lambda s: {"/api/action/package_search": _page(b"Internal Server Error", "text/plain", 500)},
         "{url}: package_search answered HTTP 500 Internal Server Error"),
    Case("ckan-plain-text-answer", "ckan",
         lambda s: {"/api/action/package_search": _page(b"Service temporarily unavailable\n", "text/plain")},
         "{url}: package_search failed: HTTP 200: \u201cService temporarily unavailable\u201d"),
    Case("ckan-ignores-paging", "ckan", lambda s: {"/api/action/package_search": _ckan_ignoring_start(s)},
         "{url}: the CKAN server ignores paging (page 2 repeats page 1)"),
    Case("datapackage-no-resources", "datapackage",
         lambda s: {"/pkg/datapackage.json": _json({"name": "pkg", "title": "x", "resources": []})},
         "{url}: the datapackage.json lists no resources (a Data Package describes at least one file); the dataset is "
         "left as it was"),
    Case("datapackage-empty-object", "datapackage", lambda s: {"/pkg/datapackage.json": _json({})},
         '{url}: a datapackage.json needs a "resources" list (the files it describes)'),
    Case("datapackage-web-page", "datapackage", lambda s: {"/pkg/datapackage.json": _page(WEB_PAGE, "text/html")},
         "{url}: this is a web page (HTML), not a datapackage.json"),
    # a source added with the wrong --type: what the document is, and the type that reads it
    Case("datapackage-given-a-data-json", "datapackage", lambda s: {"/pkg/datapackage.json": _page(
        (Path(__file__).parents[1] / "fixtures/real/datajson/cftc_dcatus.json").read_bytes(), "application/json")},
         "{url}: this is a data.json catalog, not a datapackage.json (add the source with --type datajson)"),
    Case("datajson-given-rdf", "datajson", lambda s: {"/data.json": _page(EMPTY_DCAT, "text/turtle")},
         "{url}: this is an RDF document (a DCAT catalog), not a data.json catalog (add the source with --type "
         "dcat)"),
    Case("datajson-given-a-data-package", "datajson", lambda s: {"/data.json": _json(
        {"name": "pkg", "resources": [{"path": "a.csv"}]})},
         "{url}: this is a datapackage.json, not a data.json catalog (add the source with --type datapackage)"),
    Case("folder-emptied", "folder", "empty the folder", "{url}: the folder holds no files"),
    Case("file-list-web-page", "file-list", lambda s: {"/files/list.txt": _page(WEB_PAGE, "text/html")},
         "{url}: this is a web page (HTML), not a file list"),
    Case("file-list-empty", "file-list", lambda s: {"/files/list.txt": _page(b"# nothing published yet\n",
                                                                           "text/plain")},
         "{url}: the file list names no files"),
]


def _datasets(rt, source: str) -> list[tuple[str, str]]:
    with rt.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == source))
        return sorted(session.execute(select(Dataset.remote_id, Dataset.state).where(Dataset.source_id == sid)).all())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_answer_fails_the_job_in_one_sentence_and_withdraws_nothing(case, runtime, add_source, fixtures_dir,
                                                                          tmp_path):
    with LocalServer() as server:
        type_, url = serve_source(case.kind, server, fixtures_dir, tmp_path)
        add_source("src", type_, url, publisher="city")
        good = harvest(runtime, "src")
        assert good.status == "finished" and good.added > 0 and good.errored == 0, good
        before = _datasets(runtime, "src")
        assert len(before) == good.added and all(state == "active" for _id, state in before)

        if callable(case.answer):
            for path, handler in case.answer(server).items():
                server.add_route(path, handler)
        else:
            shutil.rmtree(url)
            Path(url).mkdir()
        expected = case.error.format(url=url, server=server.url("").rstrip("/"))

        summary = harvest(runtime, "src", full=True)
        assert (summary.status, summary.error, summary.withdrawn) == ("failed", expected, 0)
        assert _datasets(runtime, "src") == before  # nothing withdrawn, nothing changed

        # The same answer to the gather task of a job on workers: the same sentence (batches it sent before
        # find the job failed and import nothing).
        job_id = queue_harvest(runtime, "src", full=True)
        sent: list = []
        cls = registry.get(type_, runtime.settings["HARVESTERS"])
        assert gather_job(runtime.sessionmaker, job_id, cls, http=runtime.http(), send_batch=sent.append) is None
        with runtime.sessionmaker() as session:
            job = session.get(HarvestJob, job_id)
            assert (job.status, job.error) == ("failed", expected)
        assert _datasets(runtime, "src") == before


def test_real_catalogs_are_not_mistaken_for_pages_or_errors(fixtures_dir):
    """The detection names only what is no catalog: every real recorded catalog and API answer passes."""
    files = [p for p in sorted((fixtures_dir / "real").rglob("*")) if p.suffix in (".rdf", ".ttl", ".json")]
    assert len(files) >= 15
    for path in files:
        assert not_a_catalog(str(path), path.read_bytes()) is None, path


@pytest.mark.parametrize(("body", "found"), [
    (b"\xef\xbb\xbf  <!-- served by nginx -->\n<HTML><BODY>maintenance</BODY></HTML>", "web page"),
    (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html/>', "web page"),
    (b"<html><head><title>Anmelden</title></head><body>...</body></html>", "login page"),
    (b'{"errors": [{"status": "401", "title": "Unauthorized"}]}', "error: 401: Unauthorized"),
    (b'{"detail": "Authentication credentials were not provided."}', "error: Authentication credentials"),
    (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', None),
    (b'{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "@graph": [], "message": "x"}', None),
    (b'{"dataset": [], "error": null}', None),
    (b"<http://example.org/a> <http://example.org/title> \"<html> in a literal\" .", None),
])
def test_what_an_answer_is(body, found):
    error = not_a_catalog("http://127.0.0.1:9/x", body, "a catalog")
    if found is None:
        assert error is None
    else:
        assert error is not None and found in str(error), str(error)


def test_an_empty_catalog_is_withdrawn_only_when_a_person_confirms(runtime, add_source, fixtures_dir, tmp_path):
    """A source that really removed everything: `--confirm-withdrawals` (confirm=True) lets the empty list through."""
    with LocalServer() as server:
        _type, url = serve_source("datajson", server, fixtures_dir, tmp_path)
        add_source("src", "datajson", url)
        added = harvest(runtime, "src").added
        server.add_route("/data.json", _json({"dataset": []}))
        assert harvest(runtime, "src").error == f"{url}: the catalog lists no datasets"
        confirmed = harvest(runtime, "src", confirm=True)
    assert (confirmed.status, confirmed.withdrawn) == ("finished", added)
    assert {state for _id, state in _datasets(runtime, "src")} == {"withdrawn"}
