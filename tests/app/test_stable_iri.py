"""An identifier is forever: a dataset keeps the DCAT IRI it was first published under through renames.

Renaming a published dataset changed `{site}/dataset/{slug}`, so every DCAT harvester of the catalog saw one
dataset deleted and another created, and lost the links to its distributions and quality measurements. The
first rename of a public dataset now pins its IRI (`extras.publishing.iri_slug`); pages keep the current slug,
and the pinned IRI answers 301 to them. On SQLite and PostgreSQL, through the REST API and CKAN actions.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, SH
from sqlalchemy import event

from catalog_schema.models import Dataset
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import rename_dataset, save_record, set_lifecycle
from tests.support.publishing import CLEAN_CSV, build_world

SITE = "http://opendata.test"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
ADMS_STATUS = URIRef("http://www.w3.org/ns/adms#status")
WITHDRAWN = URIRef("http://purl.org/adms/status/Withdrawn")
SINCE = "modified_since=2000-01-01T00:00:00Z"
SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"


@pytest.fixture
def world(snapshot, app):
    app.config["OPENDATA"]["SITE_URL"] = SITE
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle")


def _graph(client, path: str, **kw) -> rdflib.Graph:
    resp = client.get(path, **kw)
    assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])
    fmt = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}[path.split("?")[0].rsplit(".", 1)[1]]
    return rdflib.Graph().parse(data=resp.data, format=fmt)


def _token(world, role: str = "editor_a") -> dict:
    return {"Authorization": world.tokens[role]}


def _publish(client, world, title: str, name: str | None = None, *, rename_draft_to: str | None = None) -> str:
    """A dataset of agency A with an uploaded CSV, published through /api/v1; its slug."""
    body = {"publisher": "agency-a", "title": title, "lang": "en", "license": "cc-by",
            "description": f"{title}, by district."}
    if name:
        body["name"] = name
    created = client.post("/api/v1/datasets", headers=_token(world), json=body)
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=_token(world),
                     content_type="multipart/form-data",
                     data={"file": (io.BytesIO(CLEAN_CSV.read_bytes()), CLEAN_CSV.name)})
    assert up.status_code == 201, up.get_json()
    if rename_draft_to:
        slug = _rename_rest(client, world, slug, rename_draft_to)
    published = client.post(f"/api/v1/datasets/{slug}/publish", headers=_token(world))
    assert published.status_code == 200, published.get_json()
    return slug


def _rename_rest(client, world, slug: str, new: str) -> str:
    resp = client.patch(f"/api/v1/datasets/{slug}", headers=_token(world), json={"name": new})
    assert resp.status_code == 200 and resp.get_json()["slug"] == new, resp.get_json()
    return new


def _rename_ckan(client, world, slug: str, new: str) -> str:
    """A whole package_update, as a CKAN client sends it: the package it read with another name."""
    pkg = client.post("/api/3/action/package_show", json={"id": slug}, headers=_token(world)).get_json()["result"]
    pkg["name"] = new
    resp = client.post("/api/3/action/package_update", json=pkg, headers=_token(world)).get_json()
    assert resp["success"] and resp["result"]["name"] == new, resp
    return new


def _iris(g: rdflib.Graph, ds: URIRef) -> set[URIRef]:
    return set(g.objects(ds, DCAT.distribution))


def _datasets(g: rdflib.Graph) -> set[URIRef]:
    return {s for s in g.subjects(RDF.type, DCAT.Dataset) if isinstance(s, URIRef)}


def test_a_renamed_dataset_keeps_its_iri_and_its_distributions_iris_everywhere(client, world, shapes):
    slug = _publish(client, world, "District population", "district-population")
    before = _graph(client, f"/dataset/{slug}.ttl")
    ds = URIRef(f"{SITE}/dataset/district-population")
    assert _datasets(before) == {ds}
    dists = _iris(before, ds)
    assert len(dists) == 1 and all(str(d).startswith(f"{ds}/resource/") for d in dists)
    measured = set(before.subjects(DQV.hasQualityMeasurement, None))
    assert measured == {ds, *dists}, measured  # DQV: the dataset's and the file's measurements

    slug = _rename_rest(client, world, slug, "population-by-district")
    slug = _rename_ckan(client, world, slug, "district-population-2024")

    for path in (f"/dataset/{slug}.ttl", f"/dataset/{slug}.rdf", f"/dataset/{slug}.jsonld"):
        g = _graph(client, path)
        assert _datasets(g) == {ds}, path
        assert _iris(g, ds) == dists, path
        assert set(g.subjects(DQV.hasQualityMeasurement, None)) == {ds, *dists}, path
        assert {o for _s, o in g.subject_objects(DQV.computedOn)} == {ds, *dists}, path
        assert g.value(ds, DCAT.landingPage) is None or str(g.value(ds, DCAT.landingPage)).endswith(slug)
    # negotiated at the page (current slug), the catalog's pages, its changes feed and its full dumps
    negotiated = rdflib.Graph().parse(data=client.get(f"/dataset/{slug}", headers={"Accept": "text/turtle"}).data,
                                      format="turtle")
    assert _datasets(negotiated) == {ds} and _iris(negotiated, ds) == dists
    for path in ("/catalog.ttl", "/catalog.nt", f"/catalog.ttl?{SINCE}", "/catalog.ttl?page=all",
                 "/catalog/dump.nt"):
        g = _graph(client, path)
        assert ds in _datasets(g) and _iris(g, ds) == dists, path
        stray = [s for s in _datasets(g) if "population" in str(s) and s != ds]
        assert stray == [], (path, stray)
    # pages and data.json keep the current slug and a stable identifier
    data = client.get("/data.json").get_json()
    entry = next(d for d in data["dataset"] if d["title"] == "District population")
    assert entry["landingPage"] == f"{SITE}/dataset/{slug}"
    with client.application.extensions["opendata"]["sessionmaker"]() as s:
        own = s.query(Dataset).filter_by(slug=slug).one()
        assert entry["identifier"] == own.id
        assert own.extras["publishing"]["iri_slug"] == "district-population"
    # the whole catalog still conforms to the DCAT-AP 3 shapes
    g = _graph(client, "/catalog.ttl")
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none", advanced=False)
    violations = [(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                  for r in report.subjects(RDF.type, SH.ValidationResult)]
    assert violations == [] and conforms, violations


def test_the_pinned_iri_and_its_distributions_dereference_to_the_current_page(client, world):
    slug = _publish(client, world, "Street lights", "street-lights")
    dist = next(iter(_iris(_graph(client, f"/dataset/{slug}.ttl"), URIRef(f"{SITE}/dataset/{slug}"))))
    dist_id = str(dist).rsplit("/", 1)[1]
    slug = _rename_rest(client, world, slug, "street-lighting")
    slug = _rename_rest(client, world, slug, "public-lighting")
    for accept in (None, "text/turtle", "application/rdf+xml", "text/html"):
        resp = client.get("/dataset/street-lights", headers={"Accept": accept} if accept else {})
        assert resp.status_code == 301 and resp.headers["Location"].endswith("/dataset/public-lighting"), accept
    for ext in ("ttl", "rdf", "jsonld", "nt"):
        resp = client.get(f"/dataset/street-lights.{ext}")
        assert resp.status_code == 301 and resp.headers["Location"].endswith(f"/dataset/public-lighting.{ext}")
    # the distribution's IRI: 301 to the current path, which sees its description (303) instead of a 404
    moved = client.get(f"/dataset/street-lights/resource/{dist_id}", headers={"Accept": "text/turtle"})
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/dataset/public-lighting/resource/{dist_id}")
    there = client.get(f"/dataset/public-lighting/resource/{dist_id}", headers={"Accept": "text/turtle"})
    assert there.status_code == 303 and there.headers["Location"].endswith("/dataset/public-lighting.ttl")
    # renaming back to the pinned slug is fine: one IRI, one page again
    slug = _rename_rest(client, world, slug, "street-lights")
    assert client.get("/dataset/street-lights").status_code == 200
    g = _graph(client, "/dataset/street-lights.ttl")
    assert _datasets(g) == {URIRef(f"{SITE}/dataset/street-lights")}
    assert _iris(g, URIRef(f"{SITE}/dataset/street-lights")) == {dist}
    slug = _rename_rest(client, world, slug, "street-lights-2")
    assert _datasets(_graph(client, f"/dataset/{slug}.ttl")) == {URIRef(f"{SITE}/dataset/street-lights")}


def test_a_draft_renamed_before_publishing_is_known_by_the_name_it_was_published_under(client, world):
    slug = _publish(client, world, "Bike lanes", "bike-lanes-draft", rename_draft_to="bike-lanes")
    ds = URIRef(f"{SITE}/dataset/bike-lanes")
    assert _datasets(_graph(client, f"/dataset/{slug}.ttl")) == {ds}
    slug = _rename_rest(client, world, slug, "cycle-lanes")
    g = _graph(client, f"/dataset/{slug}.ttl")
    assert _datasets(g) == {ds}
    assert ds in _datasets(_graph(client, "/catalog.ttl"))
    assert URIRef(f"{SITE}/dataset/bike-lanes-draft") not in _datasets(_graph(client, "/catalog.ttl"))


def test_a_withdrawn_record_and_its_successor_keep_their_first_iris(client, world, shapes):
    old = _publish(client, world, "Parking fees 2023", "parking-fees-2023")
    new = _publish(client, world, "Parking fees", "parking-fees")
    old = _rename_rest(client, world, old, "parking-tariffs-2023")
    new = _rename_rest(client, world, new, "parking-tariffs")
    resp = client.post(f"/api/v1/datasets/{old}/withdraw", headers=_token(world),
                       json={"reason": "Replaced by the yearly table.", "successor": new})
    assert resp.status_code == 200, resp.get_json()
    old_iri, new_iri = URIRef(f"{SITE}/dataset/parking-fees-2023"), URIRef(f"{SITE}/dataset/parking-fees")
    for path in (f"/catalog.ttl?{SINCE}", f"/catalog.nt?page=all&{SINCE}", f"/catalog/dump.nt?{SINCE}"):
        g = _graph(client, path)
        assert (old_iri, ADMS_STATUS, WITHDRAWN) in g, path
        assert g.value(old_iri, DCTERMS.isReplacedBy) == new_iri, path
        assert (URIRef(f"{SITE}/dataset/{old}"), None, None) not in g, path
    g = _graph(client, f"/catalog.ttl?{SINCE}")
    conforms, _report, text = pyshacl.validate(g, shacl_graph=shapes, inference="none", advanced=False)
    assert conforms, text
    # a withdrawn dataset renamed later keeps it too (its IRI was out)
    assert client.get(f"/dataset/{old}").status_code == 410
    assert client.get("/dataset/parking-fees-2023").status_code == 301


def test_series_members_and_their_order_are_named_by_their_first_iris(app, client, world, shapes):
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        save_record(s, new_record(id="series-1", slug="bus-ridership", kind="series", title={"en": "Bus ridership"},
                                  description={"en": "Boardings a month"}, publisher={"slug": "agency-a"},
                                  license="CC-BY-4.0"))
        for m in (10, 11, 12):
            save_record(s, new_record(
                slug=f"bus-ridership-2024-{m}", title={"en": f"Bus ridership 2024-{m}"}, in_series=["series-1"],
                description={"en": "Boardings a month"}, publisher={"slug": "agency-a"}, license="CC-BY-4.0",
                temporal={"start": f"2024-{m}-01", "end": f"2024-{m}-28"},
                distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{m}.csv", format="CSV")]))
        s.commit()
    _rename_rest(client, world, "bus-ridership", "bus-boardings")
    _rename_rest(client, world, "bus-ridership-2024-10", "bus-boardings-2024-10")
    _rename_rest(client, world, "bus-ridership-2024-11", "bus-boardings-2024-11")
    _rename_rest(client, world, "bus-ridership-2024-12", "bus-boardings-2024-12")
    iri = {name: URIRef(f"{SITE}/dataset/{name}") for name in
           ("bus-ridership", "bus-ridership-2024-10", "bus-ridership-2024-11", "bus-ridership-2024-12")}
    member = _graph(client, "/dataset/bus-boardings-2024-11.ttl")
    me = iri["bus-ridership-2024-11"]
    assert member.value(me, DCAT.inSeries) == iri["bus-ridership"]
    assert (member.value(me, DCAT.prev), member.value(me, DCAT.next)) == (iri["bus-ridership-2024-10"],
                                                                          iri["bus-ridership-2024-12"])
    series_g = _graph(client, "/dataset/bus-boardings.ttl")
    assert (series_g.value(iri["bus-ridership"], DCAT.first), series_g.value(iri["bus-ridership"], DCAT.last)) \
        == (iri["bus-ridership-2024-10"], iri["bus-ridership-2024-12"])
    catalog = _graph(client, "/catalog.ttl")
    assert {catalog.value(iri[f"bus-ridership-2024-{m}"], DCAT.inSeries) for m in (10, 11, 12)} \
        == {iri["bus-ridership"]}
    assert not [s for s in _datasets(catalog) if "boardings" in str(s)]
    for g in (member, series_g, catalog):
        conforms, _report, text = pyshacl.validate(g, shacl_graph=shapes, inference="none", advanced=False)
        assert conforms, text


@contextlib.contextmanager
def _statements(app):
    """The SQL statements the app's engine sends inside the block."""
    seen: list[str] = []
    engine = app.extensions["opendata"]["engine"]

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def _withdrawn_with_successors(app, start: int, count: int) -> dict[URIRef, URIRef | None]:
    """`count` withdrawn datasets, each naming a successor: most a dataset of the catalog renamed after the
    withdrawal (named by its former slug, known by its pinned IRI), one an address elsewhere, one a dataset
    withdrawn since (no successor then). What each one's dct:isReplacedBy must be."""
    expected: dict[URIRef, URIRef | None] = {}
    with app.extensions["opendata"]["sessionmaker"]() as s:
        for i in range(start, start + count):
            common = dict(description={"en": "Fares by zone"}, publisher={"slug": "agency-a"}, license="CC-BY-4.0")
            old, _ = save_record(s, new_record(slug=f"fares-{i}-old", title={"en": f"Fares {i} (old)"}, **common))
            new, _ = save_record(s, new_record(slug=f"fares-{i}", title={"en": f"Fares {i}"}, **common))
            kind = i % 4
            successor = "https://example.org/fares" if kind == 1 else new.slug
            set_lifecycle(old, "withdrawn", reason="Replaced.", successor=successor)
            rename_dataset(s, new, f"fares-{i}-renamed")
            if kind == 2:
                set_lifecycle(new, "withdrawn", reason="Gone too.")
            expected[URIRef(f"{SITE}/dataset/fares-{i}-old")] = (
                URIRef(successor) if kind == 1 else None if kind == 2 else URIRef(f"{SITE}/dataset/fares-{i}"))
        s.commit()
    return expected


def test_the_withdrawn_feed_looks_successors_up_in_one_query_for_the_page(app, client, world, shapes):
    """The changes feed's withdrawn records name their successors by IRI: one query for a page (or a batch of
    the streamed dump), not one or more a withdrawn dataset (the page sent 12 more statements for 4 more)."""
    feeds = (f"/catalog.ttl?{SINCE}", f"/catalog.rdf?{SINCE}", f"/catalog.nt?page=all&{SINCE}",
             f"/catalog/dump.ttl?{SINCE}")
    expected = _withdrawn_with_successors(app, 0, 1)
    counts = {}
    for path in feeds:
        with _statements(app) as seen:
            _graph(client, path)
        counts[path] = len(seen)
    expected |= _withdrawn_with_successors(app, 1, 7)
    for path in feeds:
        with _statements(app) as seen:
            g = _graph(client, path)
        assert len(seen) == counts[path], (path, counts[path], seen)
        assert {node: g.value(node, DCTERMS.isReplacedBy) for node in expected} == expected, path
        assert all((node, ADMS_STATUS, WITHDRAWN) in g for node in expected), path
    g = _graph(client, f"/catalog.ttl?{SINCE}")
    conforms, _report, text = pyshacl.validate(g, shacl_graph=shapes, inference="none", advanced=False)
    assert conforms, text
