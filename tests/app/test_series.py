"""Dataset series through the doors, on SQLite and PostgreSQL: the fragmented-series finding's one click (a POST
with CSRF through app/services/series.py), the dataset page (members latest first, zh and en), the CKAN
`series_navigation` of package_show, DCAT-AP 3 of the pages (pyshacl with the official shapes), data.json
`isPartOf` (the POD schema), and search collapsing a series to one result (/dataset and /api/v1)."""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef

from app.assessment import assess_datasets, run_catalog_checks
from catalog_schema import datajson, series, store
from catalog_schema.models import AuditEvent, Dataset
from catalog_schema.record import new_distribution, new_record
from tests.support.accounts import csrf_from, make_user, sign_in

SHAPES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
MONTHS = (10, 11, 12)
PUB = {"slug": "jh-transport", "name": {"en": "Transport Bureau", "zh": "交通局"}}


def _month(m: int) -> dict:
    return new_record(slug=f"bus-ridership-2024-{m}", title={"en": f"Bus ridership 2024-{m}",
                                                             "zh": f"公交客运量 2024年{m}月"},
                      description={"en": "Boardings per route"}, publisher=PUB, license="CC-BY-4.0",
                      frequency="MONTHLY", keywords=["bus", "ridership"], themes=["TRAN"],
                      contact_point={"name": "Data desk", "email": "data@transport.example.gov"},
                      modified=f"2024-{m}-28", temporal={"start": f"2024-{m}-01", "end": f"2024-{m}-28"},
                      distributions=[new_distribution(download_url=f"http://127.0.0.1:9/bus-{m}.csv",
                                                      format="CSV", media_type="text/csv")])


@pytest.fixture
def parts(app, runtime):
    """Three monthly datasets of one publisher, assessed (links not checked), with the catalog checks run."""
    with runtime.sessionmaker() as session:
        ids = [store.save_record(session, _month(m))[0].id for m in MONTHS]
        other = store.save_record(session, new_record(
            slug="road-works", title={"en": "Road works"}, publisher=PUB, modified="2024-12-01",
            contact_point={"name": "Data desk", "email": "data@transport.example.gov"}))[0]
        ids.append(other.id)
        session.commit()
    assess_datasets(runtime, ids, check_links=False)
    found = run_catalog_checks(runtime)
    assert {f["type"] for f in found[ids[0]]} >= {"fragmented-series"}
    return ids


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(SHAPES_FILE, format="turtle")
    return g


def _make_series(client) -> str:
    page = client.get("/dataset/bus-ridership-2024-11")
    html = page.get_data(as_text=True)
    assert 'id="make-series"' in html
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="make-series"', html)
    resp = client.post(form.group(1), data={"csrf_token": csrf_from(html[html.index('id="make-series"') - 300:])})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return resp.headers["Location"]


def test_one_click_makes_a_series_shown_latest_first_in_both_languages(app, client, parts, runtime, shapes):
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    # someone who may not edit the publisher sees no button, and a POST without a token is refused
    anon = client.get("/dataset/bus-ridership-2024-11").get_data(as_text=True)
    assert 'id="make-series"' not in anon and "fragmented" not in anon
    sign_in(client, "editor@transport.example.gov")
    assert client.post("/publish/bus-ridership-2024-11/series").status_code == 400  # no CSRF token
    location = _make_series(client)
    assert location.endswith("/dataset/bus-ridership#series")
    with runtime.sessionmaker() as session:
        ser = session.query(Dataset).filter_by(slug="bus-ridership").one()
        assert ser.kind == "series" and ser.state == "active" and ser.title["zh"] == "公交客运量"
        assert ser.frequency == "MONTHLY" and ser.license_id == "CC-BY-4.0" and ser.keywords == ["bus", "ridership"]
        assert [m.slug for m in series.members(session, ser.id)] == [f"bus-ridership-2024-{m}" for m in MONTHS]
        actions = sorted(a.action for a in session.query(AuditEvent).filter(AuditEvent.action.like("series.%")))
        assert actions == ["series.create"] + ["series.join"] * 3
        road = session.query(Dataset).filter_by(slug="road-works").one()
        assert road.in_series in ([], None)
    # the series page: members latest first (en, then zh)
    en = client.get("/dataset/bus-ridership?lang=en").get_data(as_text=True)
    section = en[en.index('id="series"'):]
    order = [section.index(f"Bus ridership 2024-{m}") for m in (12, 11, 10)]
    assert order == sorted(order) and "This series has 3 datasets, the latest first" in section
    zh = client.get("/dataset/bus-ridership?lang=zh").get_data(as_text=True)
    section = zh[zh.index('id="series"'):]
    assert "数据集系列" in section and "最新" in section
    order = [section.index(f"公交客运量 2024年{m}月") for m in (12, 11, 10)]
    assert order == sorted(order)
    # a member's page: its place, previous and next; the finding and its button are gone
    member = client.get("/dataset/bus-ridership-2024-11?lang=en").get_data(as_text=True)
    assert "Dataset 2 of 3." in member and 'rel="prev" href="/dataset/bus-ridership-2024-10"' in member
    assert 'rel="next" href="/dataset/bus-ridership-2024-12"' in member and 'id="make-series"' not in member
    # twice is refused, nothing changes
    resp = client.post("/publish/bus-ridership-2024-10/series",
                       data={"csrf_token": csrf_from(client.get("/publish").get_data(as_text=True))})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dataset/bus-ridership-2024-10#findings")
    # a catalog check run again does not find the parts fragmented
    assert not any(f["type"] == "fragmented-series" for fs in run_catalog_checks(runtime).values() for f in fs)

    # DCAT-AP 3 of the pages, with the order, conform to the shapes
    for slug in ("bus-ridership", "bus-ridership-2024-11"):
        graph = rdflib.Graph().parse(data=client.get(f"/dataset/{slug}.ttl").get_data(as_text=True), format="turtle")
        conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
        assert conforms, text
    graph = rdflib.Graph().parse(data=client.get("/dataset/bus-ridership-2024-11.ttl").get_data(as_text=True),
                                 format="turtle")
    site = next(str(o) for o in graph.objects(None, DCAT.inSeries)).rsplit("/dataset/", 1)[0] + "/dataset/"
    assert graph.value(URIRef(site + "bus-ridership-2024-11"), DCAT.prev) == URIRef(site + "bus-ridership-2024-10")
    assert graph.value(URIRef(site + "bus-ridership-2024-11"), DCAT.next) == URIRef(site + "bus-ridership-2024-12")
    graph = rdflib.Graph().parse(data=client.get("/dataset/bus-ridership.ttl").get_data(as_text=True),
                                 format="turtle")
    assert graph.value(URIRef(site + "bus-ridership"), DCAT.last) == URIRef(site + "bus-ridership-2024-12")
    catalog = client.get("/catalog.ttl").get_data(as_text=True)
    graph = rdflib.Graph().parse(data=catalog, format="turtle")
    assert len(set(graph.subjects(DCAT.inSeries, URIRef(site + "bus-ridership")))) == 3
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    assert conforms, text

    # data.json: isPartOf names the series' identifier there, and the document is valid POD
    doc = client.get("/data.json").get_json()
    assert datajson.validation_errors(doc) == []
    by_title = {d["title"]: d for d in doc["dataset"]}
    series_id = by_title["Bus ridership"]["identifier"]
    assert {by_title[f"Bus ridership 2024-{m}"]["isPartOf"] for m in MONTHS} == {series_id}


def test_ckan_series_navigation_and_collapsed_search(app, client, parts, runtime):
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    client.get("/logout")
    anon = app.test_client()
    show = anon.get("/api/3/action/package_show?id=bus-ridership").get_json()["result"]
    assert show["type"] == "dataset_series" and show["series_order_field"] == "temporal_start"
    assert {k: v["name"] for k, v in show["series_navigation"].items()} == {
        "first": "bus-ridership-2024-10", "last": "bus-ridership-2024-12"}
    assert show["series_navigation"]["first"]["title"] == "Bus ridership 2024-10"
    for slug, prev, nxt in (("bus-ridership-2024-10", None, "bus-ridership-2024-11"),
                            ("bus-ridership-2024-11", "bus-ridership-2024-10", "bus-ridership-2024-12"),
                            ("bus-ridership-2024-12", "bus-ridership-2024-11", None)):
        pkg = anon.get(f"/api/3/action/package_show?id={slug}").get_json()["result"]
        assert pkg["in_series"] == [show["id"]] and pkg["type"] == "dataset"
        (nav,) = pkg["series_navigation"]
        assert (nav["id"], nav["name"], nav["title"]) == (show["id"], "bus-ridership", "Bus ridership")
        assert (nav["previous"] or {}).get("name") == prev and (nav["next"] or {}).get("name") == nxt
        assert set(nav["previous"] or {"id", "name", "title"}) == {"id", "name", "title"}
    # search: all four by default; collapsed, the series stands for its three parts
    plain = anon.get("/api/v1/datasets?q=bus").get_json()
    collapsed = anon.get("/api/v1/datasets?q=bus&collapse=series").get_json()
    assert {i["slug"] for i in plain["items"]} == {"bus-ridership"} | {f"bus-ridership-2024-{m}" for m in MONTHS}
    assert [i["slug"] for i in collapsed["items"]] == ["bus-ridership"] and collapsed["pagination"]["total"] == 1
    assert anon.get("/api/v1/datasets?collapse=everything").status_code == 400
    # a query only the parts match finds their series in their stead
    assert {i["slug"] for i in anon.get("/api/v1/datasets?q=2024").get_json()["items"]} == {
        f"bus-ridership-2024-{m}" for m in MONTHS}
    assert [i["slug"] for i in anon.get("/api/v1/datasets?q=2024&collapse=series").get_json()["items"]] == [
        "bus-ridership"]
    assert anon.get("/api/v1/datasets?q=road&collapse=series").get_json()["items"][0]["slug"] == "road-works"
    page = anon.get("/dataset?q=bus&collapse=series&lang=en").get_data(as_text=True)
    assert "1 dataset found" in page and 'href="/dataset/bus-ridership"' in page
    assert 'name="collapse" value="series" checked' in page


def test_a_harvest_keeps_the_series_its_publisher_made(app, client, parts, runtime):
    """The membership is the publisher's decision: saving the part's record again (as a re-harvest does, with
    no in_series of its own) keeps it in the series."""
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    with runtime.sessionmaker() as session:
        ds = session.query(Dataset).filter_by(slug="bus-ridership-2024-10").one()
        store.save_record(session, {**_month(10), "description": {"en": "Changed at the source"}}, dataset=ds)
        session.commit()
        ser = session.query(Dataset).filter_by(slug="bus-ridership").one()
        assert [m.slug for m in series.members(session, ser.id)][0] == "bus-ridership-2024-10"


def test_a_harvest_of_parts_the_publisher_made_a_series_of_finds_them_unchanged(app, client, parts, runtime):
    """Putting harvested parts in a series is a publishing decision, not a change of what their source says: the
    same record saved again from the source (as the next harvest saves it) is unchanged, written nowhere, and the
    part stays in the series; a record the source did change is written and keeps the series too. A dataset of
    the portal's own takes the hash of its record as it now stands: that record saved again is unchanged."""
    from catalog_schema.models import HarvestSource

    with runtime.sessionmaker() as session:  # the parts came from a source (the demo's come from its CKAN)
        src = HarvestSource(name="transport-ckan", type="ckan", url="http://127.0.0.1:9/api")
        session.add(src)
        session.flush()
        for m in (10, 11):
            ds = session.query(Dataset).filter_by(slug=f"bus-ridership-2024-{m}").one()
            ds.source_id, ds.remote_id = src.id, f"month-{m}"
        session.commit()
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    with runtime.sessionmaker() as session:
        ds = session.query(Dataset).filter_by(slug="bus-ridership-2024-10").one()
        joined = (ds.extras, ds.in_series, ds.modified_at, ds.updated_at)
        assert ds.payload_hash is None and ds.in_series  # the next harvest maps the record again
        _, outcome = store.save_record(session, _month(10), source_id=ds.source_id, remote_id=ds.remote_id)
        session.commit()
        assert outcome == "unchanged"
        assert (ds.extras, ds.in_series, ds.modified_at, ds.updated_at) == joined
        changed, outcome = store.save_record(session, {**_month(10), "description": {"en": "Changed"}},
                                             source_id=ds.source_id, remote_id=ds.remote_id)
        session.commit()
        assert (changed.id, outcome) == (ds.id, "updated") and changed.in_series == joined[1]
        ser = session.query(Dataset).filter_by(slug="bus-ridership").one()
        assert "bus-ridership-2024-10" in [m.slug for m in series.members(session, ser.id)]
        own = session.query(Dataset).filter_by(slug="bus-ridership-2024-12").one()  # the portal's own
        assert own.source_id is None and own.in_series
        assert store.save_record(session, store.to_record(own), dataset=own)[1] == "unchanged"


def test_a_dcat_ap_3_source_brings_its_series_over_http(runtime, add_source, local_server):
    """Harvested from DCAT-AP 3 over HTTP, the members on the first page, their series on the second (Hydra
    paging): the members wait for it and are linked once it comes; a second harvest changes nothing."""
    from app.jobs import harvest

    head = ("@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
            "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n")
    src = "http://transport.example.org/"
    members = "\n".join(
        f'<{src}ds/bus-{m}> a dcat:Dataset ; dct:title "Bus ridership 2024-{m}"@en ; dct:description "d"@en ; '
        f'dcat:inSeries <{src}series/bus> ; dct:temporal [ a dct:PeriodOfTime ; '
        f'dcat:startDate "2024-{m}-01"^^<http://www.w3.org/2001/XMLSchema#date> ] .' for m in (12, 10, 11))
    page1 = f"{head}<{local_server.url('/p1.ttl')}> a hydra:PagedCollection ; " \
            f"hydra:next <{local_server.url('/p2.ttl')}> .\n{members}"
    page2 = (f"{head}<{local_server.url('/p2.ttl')}> a hydra:PagedCollection .\n"
             f'<{src}series/bus> a dcat:DatasetSeries ; dct:title "Bus ridership by month"@en ; '
             f'dct:description "Monthly"@en .')
    local_server.add_bytes("/p1.ttl", page1.encode(), "text/turtle")
    local_server.add_bytes("/p2.ttl", page2.encode(), "text/turtle")
    add_source("transport-dcat", "dcat", local_server.url("/p1.ttl"))
    assert harvest(runtime, "transport-dcat").to_dict()["added"] == 4
    with runtime.sessionmaker() as session:
        ser = session.query(Dataset).filter_by(kind="series").one()
        assert ser.uri == src + "series/bus" and ser.title == {"en": "Bus ridership by month"}
        assert [m.uri for m in series.members(session, ser.id)] == [f"{src}ds/bus-{m}" for m in MONTHS]
    second = harvest(runtime, "transport-dcat").to_dict()
    assert second["added"] == 0 and second["unchanged"] == 4
    with runtime.sessionmaker() as session:
        ser = session.query(Dataset).filter_by(kind="series").one()
        assert len(series.members(session, ser.id)) == 3


def test_a_data_json_source_brings_its_series_and_members(runtime, add_source, local_server):
    """data.json (ours included) says a series only by its members' `isPartOf`: the dataset they name is
    harvested as a series, so the members resolve to it (navigation, collapsed search, isPartOf published
    again), instead of a plain dataset whose members name nothing."""
    import json

    from app.jobs import harvest

    pub = {"@type": "org:Organization", "name": "Transport Bureau"}
    common = {"keyword": ["bus"], "publisher": pub, "accessLevel": "public", "modified": "2024-12-28",
              "contactPoint": {"fn": "Data desk", "hasEmail": "mailto:data@transport.example.gov"}}
    doc = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
        {**common, "identifier": f"BUS-2024-{m}", "title": f"Bus ridership 2024-{m}", "description": "d",
         "isPartOf": "BUS-SERIES", "temporal": f"2024-{m}-01/2024-{m}-28"} for m in (12, 10, 11)]
        + [{**common, "identifier": "BUS-SERIES", "title": "Bus ridership by month", "description": "Monthly"},
           {**common, "identifier": "ROAD", "title": "Road works", "description": "Works"}]}
    assert datajson.validation_errors(doc) == []
    local_server.add_bytes("/data.json", json.dumps(doc).encode(), "application/json")
    add_source("transport-dj", "datajson", local_server.url("/data.json"))
    assert harvest(runtime, "transport-dj").to_dict()["added"] == 5
    with runtime.sessionmaker() as session:
        ser = session.query(Dataset).filter_by(kind="series").one()
        assert ser.identifier == "BUS-SERIES"
        assert [m.identifier for m in series.members(session, ser.id)] == [f"BUS-2024-{m}" for m in MONTHS]
        assert session.query(Dataset).filter_by(identifier="ROAD").one().kind == "dataset"
    assert harvest(runtime, "transport-dj").to_dict()["unchanged"] == 5


def test_ckan_clients_make_a_series_and_its_members(app, client):
    """package_create with ckanext-dataset-series' fields: a `dataset_series` package, members naming it in
    `in_series` (by name); package_show answers with the navigation, and sending a package back as it was
    shown (series_navigation included) changes nothing."""
    from app.services import accounts
    from catalog_schema.models import Publisher

    with app.extensions["opendata"]["sessionmaker"]() as s:
        s.add(Publisher(slug="jh-transport", name={"en": "Transport"}))
        s.flush()
        user = accounts.create_user(s, "api@transport.example.gov")
        accounts.grant(s, user, s.query(Publisher).filter_by(slug="jh-transport").one(), "editor")
        token = accounts.create_token(s, user, "test")
        s.commit()
    head = {"Authorization": token}

    def call(action: str, **body):
        resp = client.post(f"/api/3/action/{action}", json=body, headers=head)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        return resp.get_json()["result"]

    made = call("package_create", name="budget", title="Budget", type="dataset_series", owner_org="jh-transport")
    assert made["type"] == "dataset_series"
    for year in (2025, 2024):
        call("package_create", name=f"budget-{year}", title=f"Budget {year}", owner_org="jh-transport",
             in_series=["budget"], extras=[{"key": "temporal_start", "value": f"{year}-01-01"}])
    shown = call("package_show", id="budget-2025")
    assert shown["in_series"] == [made["id"]]
    assert shown["series_navigation"][0]["previous"]["name"] == "budget-2024"
    assert shown["series_navigation"][0]["next"] is None
    again = call("package_update", **shown)
    assert again["series_navigation"] == shown["series_navigation"] and "series_navigation" not in str(
        again.get("extras"))
    assert call("package_show", id="budget")["series_navigation"]["last"]["name"] == "budget-2025"


def test_the_catalog_checks_write_their_findings_on_the_latest_assessments_and_take_them_back(runtime, parts):
    """The checks read only the latest assessments' findings and update the rows whose catalog findings changed:
    the other findings stay, an older assessment is not touched, and a part renamed out of the series loses the
    finding at its next assessment (the checks visit the datasets they find something about)."""
    from sqlalchemy import select

    from app.assessment import latest_assessments
    from catalog_schema.models import Assessment

    def stored() -> dict[str, list[str]]:
        with runtime.sessionmaker() as session:
            return {a.dataset_id: [f["type"] for f in a.findings] for a in latest_assessments(session, parts)}

    first = stored()
    assert "fragmented-series" in first[parts[0]] and "fragmented-series" not in first[parts[3]]
    assert len(first[parts[0]]) > 1  # the dataset's own findings are kept beside it
    assess_datasets(runtime, parts, check_links=False)  # a newer assessment of each: the checks move to it
    run_catalog_checks(runtime)
    with runtime.sessionmaker() as session:
        old = session.scalars(select(Assessment).where(Assessment.dataset_id == parts[0])
                              .order_by(Assessment.id)).first()
        assert [f["type"] for f in old.findings] == first[parts[0]]
        for ds_id, title in zip(parts[:3], ("Parks", "Libraries", "Bridges"), strict=True):
            session.get(Dataset, ds_id).title = {"en": title}
        session.commit()
    assert stored()[parts[0]].count("fragmented-series") == 1
    assess_datasets(runtime, parts, check_links=False)
    run_catalog_checks(runtime)
    after = stored()
    assert "fragmented-series" not in after[parts[0]]
    assert after[parts[0]] == [t for t in first[parts[0]] if t != "fragmented-series"]


def test_a_series_is_not_scored_as_a_dataset_by_any_assessment(app, client, parts, runtime):
    """A series has no files of its own: `assess --all`, `--changed` and the weekly re-check leave it out (it was
    scored 0 stars and pulled its publisher's league down), and `assess --dataset` says why."""
    import datetime as dt

    from click.testing import CliRunner
    from sqlalchemy import func, select

    from app import recheck
    from app.assessment import changed_dataset_ids
    from app.cli import main
    from catalog_schema.models import Assessment

    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    location = _make_series(client)
    slug = location.rsplit("/", 1)[-1].split("#")[0]
    with runtime.sessionmaker() as session:
        series_id = session.scalar(select(Dataset.id).where(Dataset.slug == slug))
        everything = list(session.scalars(select(Dataset.id)))
        assert series_id in everything
        assert series_id not in changed_dataset_ids(runtime)
        assert series_id not in recheck.due(session, dt.timedelta(days=7),
                                            now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    docs = assess_datasets(runtime, everything, check_links=False)
    assert len(docs) == len(everything) - 1
    with runtime.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)
                              .where(Assessment.dataset_id == series_id)) == 0
        assert session.get(Dataset, series_id).stars is None
    env = {f"OPENDATA_{k}": str(v) for k, v in (("DATABASE_URL", runtime.settings["DATABASE_URL"]),
                                                ("INSTANCE_DIR", runtime.settings["INSTANCE_DIR"]),
                                                ("ARCHIVE_DIR", runtime.settings["ARCHIVE_DIR"]))}
    said = CliRunner().invoke(main, ["--lang", "zh", "assess", "--dataset", slug], env=env)
    assert said.exit_code == 1 and "是数据集系列" in said.output, said.output
    # and where its score would be shown, it says so, instead of "not assessed yet: run assess --dataset" (which
    # answers the above)
    shown = CliRunner().invoke(main, ["--lang", "zh", "quality", "show", slug], env=env)
    assert shown.exit_code == 1 and "是数据集系列" in shown.output and "assess --dataset" not in shown.output
    page = client.get(f"/dataset/{slug}?lang=en").get_data(as_text=True)
    assert 'id="series-not-scored"' in page and "has not been assessed yet" not in page
    api = client.get(f"/api/v1/datasets/{slug}/quality").get_json()
    assert "is a series" in api["error"]["message"]


def test_the_publisher_pages_and_the_league_count_the_same_datasets(app, client, parts, runtime):
    """The series made of three months was counted as a fourth dataset on /publisher and the publisher's page
    (5 there, 4 in the dashboard's league, which assesses the parts): it is counted apart, as a series."""
    from app import dashboard_data

    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    league = {r["publisher"]: r for r in dashboard_data.league(app.extensions["opendata"]["sessionmaker"])}
    assert league["jh-transport"]["datasets"] == 4
    page = client.get("/publisher/jh-transport?lang=en").get_data(as_text=True)
    assert 'id="publisher-count">4<' in page and 'id="publisher-series">1<' in page
    listing = client.get("/publisher?lang=en").get_data(as_text=True)
    row = re.search(r'href="/publisher/jh-transport"[^>]*>[^<]*</a></th><td>(\d+)</td><td>(\d+)</td>', listing)
    assert row and row.groups() == ("4", "1"), listing[listing.find("jh-transport"):][:300]
    zh = client.get("/publisher/jh-transport?lang=zh").get_data(as_text=True)
    assert "系列（其数据集的分组）" in zh


def test_the_rest_api_counts_a_series_apart_from_the_datasets_too(app, client, parts, runtime):
    """`/api/v1/publishers` and `/api/v1/publishers/<slug>` counted the series made of three months as a fourth
    dataset (and its licence a fourth CC-BY-4.0) where the publisher's page, the dashboard's league and
    `opendata quality publishers` said 4: the API counts the series apart, as `series`."""
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    one = client.get("/api/v1/publishers/jh-transport").get_json()["counts"]
    assert one["datasets"] == 4 and one["series"] == 1, one
    assert one["licences"] == {"CC-BY-4.0": 3}, one  # the three months; road works has none
    assert one["assessed"] == 4 and sum(one["stars"]) == 4, one
    listed = {p["slug"]: p for p in client.get("/api/v1/publishers").get_json()["items"]}
    assert (listed["jh-transport"]["datasets"], listed["jh-transport"]["series"]) == (4, 1)


def test_the_home_page_counts_a_series_neither_as_a_dataset_nor_as_waiting_for_its_assessment(app, client, parts):
    """The home page said 5 datasets, 1 of them "not assessed yet", where the dashboard's star distribution and
    league said 4: the series made of the three months, which is never assessed (its parts are), was counted as a
    dataset waiting for its score."""
    from app import dashboard_data

    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    _make_series(client)
    with app.extensions["opendata"]["sessionmaker"]() as session:
        assessed = sum(r["datasets"] for r in dashboard_data.star_distribution(session))
    assert assessed == 4
    html = client.get("/?lang=en").get_data(as_text=True)
    assert re.search(r'id="count-datasets">4<', html), re.search(r'id="count-datasets">\d+<', html)
    waiting = re.search(r"not assessed yet</th><td>(\d+)</td>", html)
    assert waiting and waiting.group(1) == "0", waiting


def test_a_series_listed_is_not_said_to_wait_for_its_assessment(app, client, parts):
    """Listed on the publisher's page, the home page and the search results, the series read "not assessed yet",
    as a dataset whose score is coming does: it never is (its parts are, each on its own page)."""
    make_user(app, "editor@transport.example.gov", editor_of="jh-transport")
    sign_in(client, "editor@transport.example.gov")
    slug = _make_series(client).rsplit("/", 1)[-1].split("#")[0]
    for path in ("/publisher/jh-transport?lang=en", "/?lang=en", "/dataset?lang=en"):
        html = client.get(path).get_data(as_text=True)
        item = re.search(rf'<li>\s*<h3[^>]*><a class="usa-link" href="/dataset/{slug}".*?</li>', html, re.S)
        assert item, path
        assert "not assessed yet" not in item.group(0) and "Series" in item.group(0), (path, item.group(0))
        assert not re.search(r"</a> · \s*</p>", item.group(0)), item.group(0)  # nothing dangling after the name
    zh = client.get("/publisher/jh-transport?lang=zh_CN").get_data(as_text=True)
    item = re.search(rf'<li>\s*<h3[^>]*><a class="usa-link" href="/dataset/{slug}".*?</li>', zh, re.S).group(0)
    assert "尚未评估" not in item and "系列" in item
