"""A catalog that grew up on the first schema (migration 0001) upgrades to today's with its data, on both
databases: every row stays, what the later migrations derive from the old rows is there, the schema matches
the models exactly, and the app serves the upgraded catalog (pages, CKAN, /api/v1, search after reindex).

The rows are written with the 0001 tables as the database reflects them (not today's models), so the test
keeps meaning what it says as the models move on.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, MetaData, String, Text, func, insert, select, text

from catalog_schema import db as dbmod
from tests.support import services

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def _filler(column):
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | BigInteger):
        return 0
    if isinstance(kind, DateTime):
        return T0
    if isinstance(kind, String | Text):
        return "x"
    return {}  # JSON (JSONB on PostgreSQL)


def _put(conn, table, *rows) -> None:
    for row in rows:  # one statement each: the rows give different columns
        conn.execute(insert(table), row)


def _row(table, **given):
    """A row of this 0001 table: what is given, and a plain value for every other column that must have one."""
    out = dict(given)
    for column in table.columns:
        if column.name in out or column.nullable or column.autoincrement is True:
            continue
        if column.primary_key and isinstance(column.type, Integer):
            continue
        out[column.name] = _filler(column)
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    admin = dbmod.make_engine(services.postgres_url(), isolation_level="AUTOCOMMIT")
    name = f"opendata_upgrade_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield services.postgres_url().rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_catalog_on_the_first_schema_upgrades_with_its_data(empty_url, tmp_path):
    dbmod.upgrade(empty_url, "0001")
    engine = dbmod.make_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    ds_id, gone_id, dist_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as conn:
        _put(conn, t["publishers"], _row(t["publishers"], id=1, slug="jh-transport",
                                                    name={"zh": "京海市交通局", "en": "Transport Bureau"}))
        _put(conn, t["users"], _row(t["users"], id=1, email="admin@jh.example", is_sysadmin=True,
                                               active=True))
        _put(conn, t["memberships"], _row(t["memberships"], user_id=1, publisher_id=1, role="admin"))
        _put(conn, t["harvest_sources"], _row(t["harvest_sources"], id=1, name="jh", type="ckan",
                                                         url="http://127.0.0.1:9/api", publisher_id=1,
                                                         schedule="daily", enabled=True, config={}))
        _put(conn, t["harvest_jobs"], _row(t["harvest_jobs"], id=1, source_id=1, status="finished",
                                                      added=2))
        common = dict(publisher_id=1, keywords=["公交"], themes=["TRAN"], spatial=[], conforms_to=[], language=[],
                      extras={}, flags=[], source_id=1, created_at=T0, updated_at=T0, modified_at=T0)
        _put(conn, t["datasets"],
            _row(t["datasets"], id=ds_id, slug="bus-ridership", title={"zh": "公交客运量", "en": "Bus ridership"},
                 description={"en": "Monthly passengers per line."}, state="active", remote_id="r1",
                 license_id="CC-BY-4.0", stars=3, score=61, **common),
            _row(t["datasets"], id=gone_id, slug="old-timetable", title={"en": "Old timetable"}, state="withdrawn",
                 remote_id="r2", withdrawn_at=T0 + dt.timedelta(days=1), **common))
        _put(conn, t["distributions"], _row(
            t["distributions"], id=dist_id, dataset_id=ds_id, position=0, title={"en": "CSV"}, format="CSV",
            download_url="http://127.0.0.1:9/ridership.csv", checksum={}, language=[], conforms_to=[], extras={},
            check_status="broken", http_status=404, failure_count=2, first_failure=T0, stars=3))
        _put(conn, t["harvest_records"],
            _row(t["harvest_records"], job_id=1, dataset_id=ds_id, remote_id="r1", status="added"),
            _row(t["harvest_records"], job_id=1, dataset_id=gone_id, remote_id="r2", status="added"))
        doc = dict(rule_version="1.0", stars=3, score=61, metadata_points=300, metadata_rating="good",
                   subscores={}, data={}, distributions=[], findings=[])
        _put(conn, t["assessments"],   # twice at one instant (a twin delivery before 0012), and later
            _row(t["assessments"], dataset_id=ds_id, assessed_at=T0, **doc),
            _row(t["assessments"], dataset_id=ds_id, assessed_at=T0, **doc),
            _row(t["assessments"], dataset_id=ds_id, assessed_at=T0 + dt.timedelta(days=7), **{**doc, "score": 64}))
        _put(conn, t["audit_events"], _row(t["audit_events"], at=T0, user_id=1, action="dataset.create",
                                                      object_type="dataset", object_id=ds_id, publisher_id=1))
    engine.dispose()

    dbmod.upgrade(empty_url)  # 0001 -> today's head, with the rows in it
    dbmod.check(empty_url)  # the upgraded schema is exactly the models'
    engine = dbmod.make_engine(empty_url)
    with engine.connect() as conn:
        count = {name: conn.scalar(select(func.count()).select_from(text(name)))
                 for name in ("publishers", "users", "memberships", "harvest_sources", "harvest_jobs", "datasets",
                              "distributions", "harvest_records", "audit_events")}
        assessments = conn.execute(text("SELECT score FROM assessments ORDER BY assessed_at")).scalars().all()
        state = dict(conn.execute(text("SELECT slug, state FROM datasets")).all())
    engine.dispose()
    assert count == {"publishers": 1, "users": 1, "memberships": 1, "harvest_sources": 1, "harvest_jobs": 1,
                     "datasets": 2, "distributions": 1, "harvest_records": 2, "audit_events": 1}
    assert assessments == [61, 64]  # 0012 kept one of the two at the same instant
    assert state == {"bus-ridership": "active", "old-timetable": "withdrawn"}

    from app import create_app
    from tests.support.cli import opendata

    env = {"OPENDATA_DATABASE_URL": empty_url, "OPENDATA_INSTANCE_DIR": str(tmp_path / "instance")}
    import os

    reindexed = opendata("search", "reindex", env={**{k: v for k, v in os.environ.items()
                                                      if not k.startswith("OPENDATA_")}, **env})
    assert reindexed.returncode == 0, reindexed.stderr
    app = create_app({"DATABASE_URL": empty_url, "INSTANCE_DIR": str(tmp_path / "instance"),
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "SECRET_KEY": "upgrade", "TESTING": True})
    try:
        client = app.test_client()
        page = client.get("/dataset/bus-ridership?lang=zh")
        assert page.status_code == 200 and "公交客运量" in page.get_data(as_text=True)
        assert client.get("/dataset/old-timetable").status_code == 410
        shown = client.get("/api/3/action/package_show?id=bus-ridership").get_json()["result"]
        assert shown["organization"]["name"] == "jh-transport" and shown["resources"][0]["archiver"]["is_broken"]
        history = client.get("/api/v1/datasets/bus-ridership/quality/history").get_json()["items"]
        assert [i["score"] for i in history] == [61, 64]
        found = client.get("/api/3/action/package_search?q=公交").get_json()["result"]
        assert [r["name"] for r in found["results"]] == ["bus-ridership"]
    finally:
        app.extensions["opendata"]["engine"].dispose()


SITE = "http://opendata.test"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"


def _publishing(conn) -> dict[str, dict]:
    rows = conn.execute(text("SELECT slug, extras, modified_at FROM datasets")).all()
    return {slug: (extras if isinstance(extras, dict) else json.loads(extras)).get("publishing", {})
            for slug, extras, _ in rows}


def test_datasets_renamed_before_iris_were_pinned_get_their_first_iri_back(empty_url, tmp_path):
    """0022: a dataset renamed while public before `pin_iri` existed is pinned to its oldest former slug, the
    catalog's RDF names it by that IRI again, and nothing else is touched (twice over: the downgrade keeps the
    pins, and upgrading again changes nothing)."""
    dbmod.upgrade(empty_url, "0021")
    engine = dbmod.make_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    ids = {name: str(uuid.uuid4()) for name in ("own", "draft-renamed", "harvested", "pinned", "draft", "clash",
                                                "holder", "gone", "successor")}
    day = dt.timedelta(days=1)

    def dataset(key, slug, state="active", extras=None, **more):
        return _row(t["datasets"], id=ids[key], slug=slug, state=state, title={"en": slug.replace("-", " ")},
                    description={"en": f"About {slug}."}, publisher_id=1, keywords=[], themes=[], spatial=[],
                    conforms_to=[], language=[], extras=extras or {}, flags=[], in_series=[], hvd_category=[],
                    applicable_legislation=[], kind="dataset", license_id="CC-BY-4.0", created_at=T0,
                    updated_at=T0, modified_at=T0, **more)

    def renamed(key, old, new, state, at):
        return _row(t["audit_events"], at=at, action="publish.rename", object_type="dataset", object_id=ids[key],
                    publisher_id=1, before={"slug": old, "state": state}, after={"slug": new, "state": state},
                    detail={"old_slug": old})

    with engine.begin() as conn:
        _put(conn, t["publishers"], _row(t["publishers"], id=1, slug="jh-transport", name={"en": "Transport"}))
        _put(conn, t["harvest_sources"], _row(t["harvest_sources"], id=1, name="jh", type="ckan",
                                              url="http://127.0.0.1:9/api", publisher_id=1, schedule="daily",
                                              enabled=True, config={}))
        _put(conn, t["datasets"],
             # public when renamed twice (audited): its first slug is the older of its two former ones
             dataset("own", "ridership"),
             # renamed as a draft (audited), published afterwards: its IRI was never out under the old name
             dataset("draft-renamed", "cycle-lanes"),
             # renamed at its source by a harvest (not audited): public now, taken to be public then
             dataset("harvested", "gdp-2024", source_id=1, remote_id="gdp"),
             # pinned already by the live code: left as it is
             dataset("pinned", "parks-2024", extras={"publishing": {"iri_slug": "parks", "series": ["s"]}}),
             # a draft now, renamed without an audit entry: never public
             dataset("draft", "budget-draft-2", state="draft"),
             # a former slug another dataset has taken since (a catalog from before the rule): not pinned
             dataset("clash", "street-lighting"), dataset("holder", "street-lights"),
             # withdrawn, renamed while public, naming a successor renamed while public too
             dataset("gone", "parking-tariffs-2023", state="withdrawn", withdrawn_at=T0 + 9 * day,
                     withdrawn_reason="Replaced.", successor="parking-tariffs"),
             dataset("successor", "parking-tariffs"))
        _put(conn, t["dataset_slugs"],
             _row(t["dataset_slugs"], slug="bus-ridership", dataset_id=ids["own"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="bus-boardings", dataset_id=ids["own"], changed_at=T0 + 2 * day),
             _row(t["dataset_slugs"], slug="cycle-lanes-draft", dataset_id=ids["draft-renamed"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="gdp", dataset_id=ids["harvested"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="parks-older", dataset_id=ids["pinned"], changed_at=T0),
             _row(t["dataset_slugs"], slug="budget-draft", dataset_id=ids["draft"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="street-lights", dataset_id=ids["clash"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="parking-fees-2023", dataset_id=ids["gone"], changed_at=T0 + day),
             _row(t["dataset_slugs"], slug="parking-fees", dataset_id=ids["successor"], changed_at=T0 + day))
        _put(conn, t["audit_events"],
             renamed("own", "bus-boardings", "ridership", "active", T0 + 2 * day),
             renamed("own", "bus-ridership", "bus-boardings", "active", T0 + day),
             renamed("draft-renamed", "cycle-lanes-draft", "cycle-lanes", "draft", T0 + day),
             renamed("gone", "parking-fees-2023", "parking-tariffs-2023", "active", T0 + day),
             renamed("successor", "parking-fees", "parking-tariffs", "active", T0 + day))
        before = _publishing(conn)
        untouched_at = dict(conn.execute(text("SELECT slug, modified_at FROM datasets")).all())
    engine.dispose()
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)

    dbmod.upgrade(empty_url)
    engine = dbmod.make_engine(empty_url)
    with engine.connect() as conn:
        after = _publishing(conn)
        modified = dict(conn.execute(text("SELECT slug, modified_at FROM datasets")).all())
        logged = set(conn.scalars(text("SELECT dataset_id FROM search_changes")))
    engine.dispose()
    pins = {slug: p.get("iri_slug") for slug, p in after.items() if p.get("iri_slug")}
    assert pins == {"ridership": "bus-ridership", "gdp-2024": "gdp", "parks-2024": "parks",
                    "parking-tariffs-2023": "parking-fees-2023", "parking-tariffs": "parking-fees"}
    assert after["parks-2024"] == before["parks-2024"]  # the live code's pin and the rest of its extras kept
    changed = {slug for slug in modified if modified[slug] != untouched_at[slug]}
    assert changed == {"ridership", "gdp-2024", "parking-tariffs-2023", "parking-tariffs"}
    assert logged == {ids[k] for k in ("own", "harvested", "gone", "successor")}  # search indexes see them again

    # the downgrade keeps the pins, and upgrading again finds nothing to do
    from alembic import command

    command.downgrade(dbmod.alembic_config(empty_url), "0021")
    dbmod.upgrade(empty_url)
    engine = dbmod.make_engine(empty_url)
    with engine.connect() as conn:
        assert _publishing(conn) == after
        assert dict(conn.execute(text("SELECT slug, modified_at FROM datasets")).all()) == modified
    engine.dispose()

    from app import create_app

    app = create_app({"DATABASE_URL": empty_url, "INSTANCE_DIR": str(tmp_path / "instance"), "SITE_URL": SITE,
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "SECRET_KEY": "upgrade", "TESTING": True})
    try:
        client = app.test_client()
        own = URIRef(f"{SITE}/dataset/bus-ridership")
        g = rdflib.Graph().parse(data=client.get("/dataset/ridership.ttl").data, format="turtle")
        assert set(g.subjects(RDF.type, DCAT.Dataset)) == {own}
        # the changes feed since just before the upgrade: the pinned datasets under their first IRIs, the
        # withdrawn one replaced by its successor's first IRI, and the untouched ones not at all
        since = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        resp = client.get(f"/catalog.ttl?modified_since={since}")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        feed = rdflib.Graph().parse(data=resp.data, format="turtle")
        assert set(feed.subjects(RDF.type, DCAT.Dataset)) == {
            own, URIRef(f"{SITE}/dataset/gdp"), URIRef(f"{SITE}/dataset/parking-fees-2023"),
            URIRef(f"{SITE}/dataset/parking-fees")}
        assert feed.value(URIRef(f"{SITE}/dataset/parking-fees-2023"), DCTERMS.isReplacedBy) \
            == URIRef(f"{SITE}/dataset/parking-fees")
        shapes = rdflib.Graph().parse(SHAPES, format="turtle")
        conforms, _report, report_text = pyshacl.validate(feed, shacl_graph=shapes, inference="none",
                                                          advanced=False)
        assert conforms, report_text
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_what_people_said_of_a_publisher_before_0028_is_kept_from_harvests_after_it(empty_url):
    """0028: the fields a person set through the publishers' service (audited `publisher.created` and
    `publisher.updated` with a user) are the publisher's `edited`, so the first harvest after the upgrade does not put
    a source's title back; a harvest's own entries (no user) and other publishers' fields are not."""
    dbmod.upgrade(empty_url, "0027")
    engine = dbmod.make_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables

    def event(publisher_id, action, after, user_id):
        return _row(t["audit_events"], at=T0, action=action, object_type="publisher", object_id=str(publisher_id),
                    publisher_id=publisher_id, user_id=user_id, before={}, after=after, detail={})

    with engine.begin() as conn:
        _put(conn, t["users"], _row(t["users"], id=1, email="admin@example.gov", is_sysadmin=True, active=True,
                                    created_at=T0))
        for pid, slug in ((1, "jh-transport"), (2, "jh-stats"), (3, "jh-health")):
            _put(conn, t["publishers"], _row(t["publishers"], id=pid, slug=slug, name={"en": slug}))
        _put(conn, t["audit_events"],
             event(1, "publisher.updated", {"title": {"en": "Transport"}, "homepage": "https://t.example/"}, 1),
             event(1, "publisher.updated", {"description": {"en": "Roads"}}, 1),
             event(2, "publisher.created", {"title": {"en": "Stats"}, "image_url": "https://s.example/l.png"}, 1),
             event(3, "publisher.harvested", {"title": {"en": "Health"}}, None))
    engine.dispose()
    dbmod.upgrade(empty_url)
    engine = dbmod.make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT slug, edited, source_id FROM publishers ORDER BY id")).all()
    engine.dispose()
    edited = {slug: (json.loads(e) if isinstance(e, str) else e) for slug, e, _ in rows}
    assert edited == {"jh-transport": ["description", "homepage", "title"], "jh-stats": ["image_url", "title"],
                      "jh-health": None}
    assert {source for *_, source in rows} == {None}
