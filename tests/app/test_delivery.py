"""How responses leave (app/delivery.py): fingerprinted, precompressed static files with long lifetimes;
pages and exports with validators and 304s; bodies gzipped, streams compressed as they stream.

The catalog is small and real (datasets saved through the store, indexed); the requests go through the
Flask test client on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from pathlib import Path

import pytest

from app import delivery
from catalog_schema import search
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from tests.support.accounts import make_user, sign_in

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
PAGES = ["/", "/dataset", "/dataset?q=bus", "/dataset/bus-data-01", "/publisher", "/publisher/dept-0",
         "/theme", "/theme/TRAN", "/dashboard"]


@pytest.fixture
def catalog(snapshot, app):
    """Twelve datasets of two departments: built once per backend, a copy for each test."""
    snapshot.once(lambda: _build(app.extensions["opendata"]["sessionmaker"]))


def _build(factory) -> None:
    with factory() as session:
        for i in range(12):
            rec = new_record(slug=f"bus-data-{i:02d}", title={"en": f"Bus passengers {i}", "zh": f"公交客运量 {i}"},
                             description={"en": "Passengers per year on each bus line. " * 5},
                             license="CC-BY-4.0", keywords=["bus", f"line-{i % 3}"], themes=["TRAN"],
                             publisher={"slug": f"dept-{i % 2}", "name": {"en": f"Department {i % 2}"}},
                             distributions=[new_distribution(title={"en": "Table"}, format="CSV",
                                                             download_url=f"http://127.0.0.1:9/t{i}.csv")])
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
        session.commit()


def _static_links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


# --------------------------------------------------------------------------- static files


def test_pages_name_static_files_by_their_content(client, catalog):
    links = set(_static_links(client.get("/").get_data(as_text=True)))
    links |= set(_static_links(client.get("/dashboard").get_data(as_text=True)))
    names = {link.split("?")[0].removeprefix("/static/"): link for link in links}
    assert {"vendor/uswds/css/uswds.used.min.css", "site.css", "vendor/chartjs/chart.umd.min.js",
            "dashboard.js"} <= set(names)
    for name, link in names.items():
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:delivery.FINGERPRINT_DIGITS]
        assert link.endswith(f"?v={digest}"), (name, link)


def test_no_template_names_a_static_file_without_its_fingerprint():
    """A static URL without `?v=` is revalidated on every page: templates use static_url(), not url_for."""
    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    unversioned = re.compile(r"""url_for\(\s*['"]static['"]|["']/static/""")
    found = [f"{t.relative_to(templates)}:{n}" for t in templates.rglob("*.html")
             for n, line in enumerate(t.read_text(encoding="utf-8").splitlines(), 1) if unversioned.search(line)]
    assert not found, found


@pytest.mark.parametrize("name", ["vendor/uswds/css/uswds.used.min.css", "vendor/chartjs/chart.umd.min.js",
                                  "site.css", "dashboard.js"])
def test_a_fingerprinted_file_is_immutable_and_gzipped_once(client, name):
    raw = (STATIC / name).read_bytes()
    url = f"/static/{name}?v={hashlib.sha256(raw).hexdigest()[:delivery.FINGERPRINT_DIGITS]}"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.status_code == 200
    assert zipped.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.get_data()) == raw
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data()) < len(raw) / 2 or len(raw) < 4096
    plain = client.get(url)
    assert plain.get_data() == raw and "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] != zipped.headers["ETag"]  # two representations, two validators
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(url, headers={"If-Modified-Since": plain.headers["Last-Modified"]}).status_code == 304


def test_an_unversioned_or_stale_static_url_is_revalidated(client):
    for url in ["/static/site.css", "/static/site.css?v=000000000000",
                "/static/vendor/uswds/img/usa-icons-bg/search--white.svg"]:
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "public, no-cache", url
        assert client.get(url, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304, url
    font = next((STATIC / "vendor/uswds/fonts").rglob("*.woff2"))
    resp = client.get("/static/" + font.relative_to(STATIC).as_posix(), headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and "Content-Encoding" not in resp.headers  # compressed already
    assert resp.get_data() == font.read_bytes()


@pytest.mark.parametrize("url", ["/static/../settings.py", "/static/%2e%2e/settings.py", "/static/vendor",
                                 "/static/nothing.css"])
def test_nothing_outside_the_static_folder(client, url):
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- validators


def test_every_page_answers_304_to_the_version_the_client_holds(client, catalog):
    for url in PAGES:
        first = client.get(url)
        assert first.status_code == 200, url
        tag = first.headers["ETag"]
        assert tag.startswith('W/"'), (url, tag)
        assert first.headers["Cache-Control"] == "no-cache", url
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}, url
        again = client.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.get_data() == b"", url
        assert again.headers["ETag"] == tag, url
        # The copy the browser keeps holds the nonce of its own Content-Security-Policy: a 304 sends none.
        assert "Content-Security-Policy" not in again.headers, url
        assert client.get(url, headers={"If-None-Match": 'W/"something-else"'}).status_code == 200, url


def test_the_validator_follows_the_catalog_and_the_language(app, client, catalog):
    en = client.get("/dataset/bus-data-01", headers={"Accept-Language": "en"})
    zh = client.get("/dataset/bus-data-01", headers={"Accept-Language": "zh-CN"})
    assert en.headers["ETag"] != zh.headers["ETag"]
    search_page = client.get("/dataset", headers={"Accept-Language": "en"})
    with app.extensions["opendata"]["sessionmaker"]() as session:
        ds, _ = save_record(session, new_record(slug="new-one", title={"en": "A new one"}, themes=["TRAN"],
                                                publisher={"slug": "dept-0", "name": {"en": "Department 0"}}))
        search.index_dataset(session, ds)
        session.commit()
    changed = client.get("/dataset", headers={"Accept-Language": "en", "If-None-Match": search_page.headers["ETag"]})
    assert changed.status_code == 200 and "A new one" in changed.get_data(as_text=True)


def test_a_signed_in_persons_pages_are_neither_stored_nor_validated(app, client, catalog):
    make_user(app, "someone@example.gov")
    assert sign_in(client, "someone@example.gov").status_code in (302, 303)
    for url in ["/", "/dataset/bus-data-01"]:
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "private, no-store", url
        assert "ETag" not in resp.headers, url


DUMPS = ["/catalog.csv", "/catalog.xml", "/catalog.json", "/catalog.nt?page=all", "/catalog.ttl?page=all",
         "/catalog/dump.nt", "/data.json"]


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def test_the_catalog_dumps_are_the_same_for_every_visitor_and_do_not_vary_by_cookie(app, client, catalog):
    """The streamed dumps are the published records in every language, whoever asks: they said `Vary: Cookie`
    (Flask-Login's hook and the signed-in check read the session), so a shared cache kept a copy per visitor.
    A signed-in person, one whose session chose a language, and nobody get the same bytes and headers."""
    anonymous = {url: client.get(url) for url in DUMPS}
    client.get("/?lang=en")  # the session now holds a language
    chosen = {url: client.get(url) for url in DUMPS}
    make_user(app, "reader@example.gov")
    assert sign_in(client, "reader@example.gov").status_code in (302, 303)
    assert client.get_cookie("session") is not None
    signed_in = {url: client.get(url, headers={"Accept-Language": "zh-CN"}) for url in DUMPS}
    for url in DUMPS:
        first = anonymous[url]
        assert first.status_code == 200 and first.headers["ETag"], url
        for resp in (first, chosen[url], signed_in[url]):
            case = (url, resp.status_code, resp.headers.get("Vary"), resp.headers.get("Cache-Control"))
            assert resp.status_code == 200 and resp.get_data() == first.get_data(), case
            assert "cookie" not in _vary(resp) and "Set-Cookie" not in resp.headers, case
            assert resp.headers.get("Cache-Control") == first.headers.get("Cache-Control"), case  # not private
            assert resp.headers["ETag"] == first.headers["ETag"], case
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})  # revalidated, signed in
        assert again.status_code == 304 and "cookie" not in _vary(again), url
    # ?lang on a dump changes nothing of it, and is not remembered in the visitor's cookie
    lang = client.get("/data.json?lang=zh")
    assert "Set-Cookie" not in lang.headers and "cookie" not in _vary(lang)
    # a page still varies by the cookie (the signed-in person's, their language)
    assert "cookie" in _vary(client.get("/dataset"))


#: Documents other than the dumps that are the same for every visitor: the catalog's pages, one dataset's documents,
#: the feeds (their language from `?lang` and Accept-Language, never the session) and the badges (from `?lang`).
VISITOR_FREE = ["/catalog.ttl?page=1", "/catalog.jsonld?page=2&per_page=5", "/catalog.rdf",
                "/catalog.nt?modified_since=2000-01-01", "/dataset/bus-data-01.ttl", "/dataset/bus-data-01.rdf",
                "/dataset/bus-data-01.jsonld", "/dataset/bus-data-01.nt", "/dataset/bus-data-01.json",
                "/dataset/bus-data-01.xml", "/dataset/bus-data-01.csv", "/feeds/dataset.atom",
                "/feeds/organization/dept-0.atom", "/feeds/group/TRAN.atom", "/feeds/custom.atom?q=bus",
                "/dataset/bus-data-01/badge.svg", "/dataset/bus-data-01/badge.svg?lang=zh",
                "/publisher/dept-0/badge.svg"]


def test_the_catalog_pages_feeds_badges_and_a_datasets_documents_do_not_vary_by_cookie(app, client, catalog):
    """These said `Vary: Cookie` though their bytes are the same for every visitor, so a shared cache kept one copy
    per visitor (and a signed-in person's catalog pages were `private, no-store`, without a validator). A feed
    took its language from the session's remembered choice before Accept-Language: the cookie did change it; now
    only `?lang` and Accept-Language do (its `Vary: Accept-Language`). Nobody, a session that chose Chinese and a
    signed-in person asking in English get the same bytes, tag and Cache-Control, and none of them `Vary: Cookie`."""
    en = {"Accept-Language": "en"}
    anonymous = {url: client.get(url, headers=en) for url in VISITOR_FREE}
    client.get("/?lang=zh")  # the session now remembers Chinese
    chosen = {url: client.get(url, headers=en) for url in VISITOR_FREE}
    make_user(app, "visitor@example.gov")
    assert sign_in(client, "visitor@example.gov").status_code in (302, 303)
    signed_in = {url: client.get(url, headers=en) for url in VISITOR_FREE}
    for url in VISITOR_FREE:
        first = anonymous[url]
        assert first.status_code == 200 and first.headers.get("ETag"), (url, first.status_code)
        assert "public" in first.headers.get("Cache-Control", ""), (url, first.headers.get("Cache-Control"))
        for resp in (first, chosen[url], signed_in[url]):
            case = (url, resp.status_code, resp.headers.get("Vary"), resp.headers.get("Cache-Control"))
            assert resp.status_code == 200 and resp.get_data() == first.get_data(), case
            assert "cookie" not in _vary(resp) and "Set-Cookie" not in resp.headers, case
            assert resp.headers.get("Cache-Control") == first.headers.get("Cache-Control"), case
            assert resp.headers["ETag"] == first.headers["ETag"], case
        again = client.get(url, headers={**en, "If-None-Match": first.headers["ETag"]})  # signed in
        assert again.status_code == 304 and "cookie" not in _vary(again), url
    # the feed still follows the reader's language: ?lang, then Accept-Language
    zh = client.get("/feeds/dataset.atom", headers={"Accept-Language": "zh-CN"})
    assert "公交客运量" in zh.get_data(as_text=True) and "accept-language" in _vary(zh)
    assert "公交客运量" not in anonymous["/feeds/dataset.atom"].get_data(as_text=True)
    assert "公交客运量" in client.get("/feeds/dataset.atom?lang=zh", headers=en).get_data(as_text=True)
    # what depends on the visitor still says so: a page, and a browser's error page at one of these doors
    assert "cookie" in _vary(client.get("/dataset"))
    missing = client.get("/dataset/no-such.ttl", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "cookie" in _vary(missing) and missing.headers["Cache-Control"] == "private, no-store"


#: What search engines read (robots.txt, the sitemap index and its parts: the site's address and the active datasets)
#: and a quality metric's DQV description (RDF of the site's address and the metric's name, no page): the same bytes
#: for every visitor, which said `Vary: Cookie`. The sitemaps stream, with a tag made from the catalog's change marker.
READ_BY_MACHINES = [("/robots.txt", {}), ("/sitemap.xml", {}), ("/sitemap-pages.xml", {}),
                    ("/sitemap-datasets-1.xml", {}), ("/quality/metric/stars", {}),
                    ("/quality/metric/score", {"Accept": "application/rdf+xml"})]


def _the_same_for_every_visitor(app, client, requests, email: str) -> dict:
    """Each (url, headers) asked by nobody, by a session that chose Chinese and by a signed-in person asking in
    English: the same bytes, ETag and Cache-Control (public), none `Vary: Cookie` nor Set-Cookie. The first answers."""
    en = {"Accept-Language": "en"}
    anonymous = [client.get(url, headers={**en, **headers}) for url, headers in requests]
    client.get("/?lang=zh")  # the session now remembers Chinese
    chosen = [client.get(url, headers={**en, **headers}) for url, headers in requests]
    make_user(app, email)
    assert sign_in(client, email).status_code in (302, 303)
    signed_in = [client.get(url, headers={**en, **headers}) for url, headers in requests]
    for (url, headers), first, *others in zip(requests, anonymous, chosen, signed_in, strict=True):
        assert first.status_code == 200, (url, first.status_code)
        assert "public" in first.headers.get("Cache-Control", ""), (url, first.headers.get("Cache-Control"))
        for resp in (first, *others):
            case = (url, headers, resp.status_code, resp.headers.get("Vary"), resp.headers.get("Cache-Control"))
            assert resp.status_code == 200 and resp.get_data() == first.get_data(), case
            assert "cookie" not in _vary(resp) and "Set-Cookie" not in resp.headers, case
            assert resp.headers.get("Cache-Control") == first.headers.get("Cache-Control"), case
            assert resp.headers.get("ETag") == first.headers.get("ETag"), case
        if first.headers.get("ETag"):
            again = client.get(url, headers={**en, **headers, "If-None-Match": first.headers["ETag"]})  # signed in
            assert again.status_code == 304 and "cookie" not in _vary(again), url
    return dict(zip(((url, tuple(headers.items())) for url, headers in requests), anonymous, strict=True))


def test_robots_the_sitemaps_and_a_metric_do_not_vary_by_cookie(app, client, catalog):
    first = _the_same_for_every_visitor(app, client, READ_BY_MACHINES, "robot@example.gov")
    assert "Sitemap: " in first[("/robots.txt", ())].get_data(as_text=True)
    assert "/dataset/bus-data-01</loc>" in first[("/sitemap-datasets-1.xml", ())].get_data(as_text=True)
    # the metric's answer follows Accept (Turtle unless an RDF type is asked): a shared cache must know it
    turtle, rdfxml = first[("/quality/metric/stars", ())], first[("/quality/metric/score",
                                                                  (("Accept", "application/rdf+xml"),))]
    assert turtle.mimetype == "text/turtle" and rdfxml.mimetype == "application/rdf+xml"
    assert "accept" in _vary(turtle) and "accept" in _vary(rdfxml)
    # ?lang there changes nothing, and is not remembered in the visitor's cookie
    lang = client.get("/sitemap.xml?lang=en")
    assert "Set-Cookie" not in lang.headers and "cookie" not in _vary(lang)


#: A dataset's address asked for a document through Accept: the document its `.ttl` (`.jsonld`, `.csv` ...) address
#: answers, resolved without a user as there.
NEGOTIATED = [("/dataset/bus-data-01", {"Accept": "text/turtle"}), ("/dataset/bus-data-01", {"Accept": "text/csv"}),
              ("/dataset/bus-data-01", {"Accept": "application/ld+json, text/html;q=0.5"})]


def test_a_datasets_document_asked_through_accept_is_the_same_for_every_visitor(app, client, catalog):
    """`/dataset/<slug>` with `Accept: text/turtle` said `Vary: Cookie`, and `private, no-store` to a signed-in
    person, where `/dataset/<slug>.ttl`, the same bytes, did not: it is visitor-free too, with `Vary: Accept` (the
    page at the same address is for browsers). The page itself still depends on the visitor and says so."""
    first = _the_same_for_every_visitor(app, client, NEGOTIATED, "negotiator@example.gov")
    turtle = first[("/dataset/bus-data-01", (("Accept", "text/turtle"),))]
    assert turtle.mimetype == "text/turtle" and "accept" in _vary(turtle)
    document = client.get("/dataset/bus-data-01.ttl")  # signed in now
    assert turtle.get_data() == document.get_data() and turtle.headers["ETag"] == document.headers["ETag"]
    assert turtle.headers["Cache-Control"] == document.headers["Cache-Control"] == delivery.REVALIDATE
    for resp in first.values():
        assert "accept" in _vary(resp), resp.headers.get("Vary")
    # the page at the same address is the signed-in person's own: it varies by the cookie, is not stored, and says
    # that its shape follows Accept
    page = client.get("/dataset/bus-data-01", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert {"accept", "cookie", "accept-language"} <= _vary(page)
    assert page.headers["Cache-Control"] == "private, no-store"
    # ?lang on the document is not remembered (the page's is)
    lang = client.get("/dataset/bus-data-01?lang=en", headers={"Accept": "text/turtle"})
    assert lang.status_code == 200 and "Set-Cookie" not in lang.headers and "cookie" not in _vary(lang)


def test_the_catalog_dumps_may_be_kept_by_shared_caches_and_are_revalidated(app, client, catalog):
    """The dumps sent a weak ETag and no Cache-Control: a shared cache had to guess (or not keep them), and a
    browser might reuse one without asking. They are public (the same bytes for every visitor) and revalidated
    each time (`no-cache`): their tag is made without reading the catalog and moves as soon as a dataset is
    withdrawn, so a 304 is cheap and nobody is handed a withdrawn dataset from a kept copy. A signed-in person
    gets the same, and so does the 304 (RFC 9110 15.4.5: the Cache-Control its 200 would send)."""
    make_user(app, "keeper@example.gov")
    for signed_in in (False, True):
        if signed_in:
            assert sign_in(client, "keeper@example.gov").status_code in (302, 303)
        for url in DUMPS:
            first = client.get(url)
            assert first.status_code == 200 and first.headers.get("Cache-Control") == delivery.REVALIDATE, \
                (url, signed_in, first.headers.get("Cache-Control"))
            again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304 and again.headers.get("Cache-Control") == delivery.REVALIDATE, url
            head = client.head(url)
            assert head.headers.get("Cache-Control") == delivery.REVALIDATE, url
    # an error there is no dump: it keeps its own (the API's error shape, no-store)
    assert client.get("/catalog.rdf?page=all").headers["Cache-Control"] == "no-store"


def test_exports_and_the_api_answer_304(client, catalog):
    for url in ["/dataset/bus-data-01.ttl", "/dataset/bus-data-01.jsonld", "/catalog.ttl?page=1",
                "/api/v1/datasets", "/api/v1/datasets/bus-data-01", "/dataset/bus-data-01",
                "/api/3/action/package_show?id=bus-data-01"]:
        first = client.get(url)
        assert first.status_code == 200 and first.headers.get("ETag"), url
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        # the Vary its 200 sends (RFC 9110): a cache keys the kept copy by it (Accept-Encoding was missing)
        assert set(again.headers.get_all("Vary")[0].split(", ")) == set(first.headers["Vary"].split(", ")), url


def test_a_head_carries_the_validator_its_get_carries(client, catalog):
    """RFC 9110: HEAD answers the headers GET would. A HEAD of a dataset's Turtle, the catalog or package_show
    had no ETag (the hook looked at GET only), so a client checking whether its copy is current could not."""
    for url in ["/dataset/bus-data-01.ttl", "/catalog.ttl?page=1", "/dataset/bus-data-01",
                "/api/3/action/package_show?id=bus-data-01", "/catalog.jsonld?page=1"]:
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == 200 and head.data == b"", url
        assert head.headers.get("ETag") == got.headers["ETag"], url
        assert client.head(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304, url
        gz = client.head(url, headers={"Accept-Encoding": "gzip"})
        assert gz.headers.get("ETag") == got.headers["ETag"] and "Content-Encoding" not in gz.headers, url


def test_rdf_with_blank_nodes_is_the_same_document_each_time_so_its_etag_holds(app, client, catalog):
    """A period, a contact point and a place are blank nodes. rdflib named each with a random id at every request,
    so a dataset's RDF/XML, JSON-LD and N-Triples (and the catalog's pages in them) were new bytes each time: their
    ETag never matched and a harvester's diff saw every blank node change."""
    with app.extensions["opendata"]["sessionmaker"]() as session:
        rec = new_record(slug="bus-periods", title={"en": "Bus periods"}, license="CC-BY-4.0",
                         temporal={"start": "2020-01-01", "end": "2020-12-31"},
                         contact_point={"name": "Desk", "email": "desk@example.gov"},
                         extent={"bbox": [119.0, 34.0, 120.0, 35.0], "geometry": None},
                         publisher={"slug": "dept-0", "name": {"en": "Department 0"}},
                         distributions=[new_distribution(title={"en": "Table"}, format="CSV",
                                                         download_url="http://127.0.0.1:9/p.csv")])
        ds, _ = save_record(session, rec)
        search.index_dataset(session, ds)
        session.commit()
    for url in ["/dataset/bus-periods.jsonld", "/dataset/bus-periods.rdf", "/dataset/bus-periods.nt",
                "/catalog.jsonld?page=1", "/catalog.rdf?page=1"]:
        first, again = client.get(url), client.get(url)
        assert first.status_code == 200 and first.data == again.data, url
        assert b"_:b" in first.data or b'nodeID="b' in first.data, url  # it has blank nodes, named by label
        assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304, url


# --------------------------------------------------------------------------- compression


@pytest.mark.parametrize("url", ["/", "/dataset", "/dataset/bus-data-01", "/dataset/bus-data-01.ttl",
                                 "/dataset/bus-data-01.rdf", "/catalog.ttl?page=1", "/api/v1/datasets",
                                 "/api/3/action/package_search?rows=5", "/catalog.csv"])
def test_bodies_are_gzipped_for_clients_that_accept_it(client, catalog, url):
    plain = client.get(url, headers={"Accept-Language": "en"})
    zipped = client.get(url, headers={"Accept-Language": "en", "Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200, url
    assert len(plain.get_data()) >= 1024, url
    assert zipped.headers["Content-Encoding"] == "gzip", url
    assert "Accept-Encoding" in zipped.headers["Vary"], url
    body = gzip.decompress(zipped.get_data())
    nonce = re.compile(rb'nonce="[^"]+"|nonce-[A-Za-z0-9_-]+')
    assert nonce.sub(b"", body) == nonce.sub(b"", plain.get_data()), url
    assert len(zipped.get_data()) < len(body)
    assert "Content-Encoding" not in plain.headers, url
    assert plain.headers.get("ETag", "").removeprefix("W/") == zipped.headers.get("ETag", "").removeprefix("W/")


def test_a_small_body_is_sent_as_it_is(client):
    resp = client.get("/health/live", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in resp.headers and resp.get_json() == {"status": "ok"}


def test_streamed_exports_are_compressed_as_they_stream(client, catalog):
    for url in ["/data.json", "/catalog/dump.nt"]:
        plain = client.get(url)
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip", url
        assert "Content-Length" not in zipped.headers, url  # still a stream
        assert gzip.decompress(zipped.get_data()) == plain.get_data(), url
    assert len(json.loads(gzip.decompress(client.get("/data.json", headers={"Accept-Encoding": "gzip"})
                                         .get_data()))["dataset"]) == 12


def test_the_stream_compressor_holds_no_more_than_its_window():
    """A stream of 64 MB, compressed: output leaves long before the input ends, and closing the compressed
    stream closes the one under it (a dump's database cursor is let go)."""
    consumed = []
    closed = []

    class Source:
        def __iter__(self):
            for i in range(4096):
                consumed.append(i)
                yield random.Random(i).randbytes(16384)  # 16 KB gzip cannot shrink

        def close(self):
            closed.append(True)

    stream = delivery._gzip_stream(Source(), 6)
    first = next(stream)
    assert first and len(consumed) < 16
    stream.close()
    assert closed == [True]
