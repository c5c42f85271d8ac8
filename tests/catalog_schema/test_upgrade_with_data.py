"""A catalog that grew up on the first schema (migration 0001) upgrades to today's with its data, on both
databases: every row stays, what the later migrations derive from the old rows is there, the schema matches
the models exactly, and the app serves the upgraded catalog (pages, CKAN, /api/v1, search after reindex).

The rows are written with the 0001 tables as the database reflects them (not today's models), so the test
keeps meaning what it says as the models move on.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
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
