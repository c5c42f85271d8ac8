"""The schema on both backends: migrations give what the models declare, and records round-trip."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest
from sqlalchemy import func, inspect, select, text, update

from catalog_schema import db as dbmod
from catalog_schema.models import Base, Dataset, Publisher
from catalog_schema.record import new_record
from catalog_schema.store import save_record, to_record


def test_migrations_match_models(db_url):
    # alembic check raises when autogenerate would produce operations.
    dbmod.check(db_url)
    engine = dbmod.make_engine(db_url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= names


def test_sqlite_pragmas(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = dbmod.make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def _write_megabytes(engine, megabytes: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
    for _ in range(megabytes):
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 1000)


def _wait_for_turns(checkpoints: dbmod.BackgroundCheckpoints, turns: int) -> None:
    start, deadline = checkpoints.runs, time.monotonic() + 20
    while checkpoints.runs < start + turns and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpoints.runs >= start + turns, "the checkpoint thread made no turn"


@pytest.mark.parametrize("background", [False, True])
def test_background_checkpoints_copy_the_log_into_the_database_while_the_writer_goes_on(tmp_path, background):
    # 4 MB written stay in the write-ahead log (the writer's own checkpoint waits for 40 MB): the database file
    # holds them only once the thread copied them
    path = tmp_path / "c.db"
    engine = dbmod.make_engine(f"sqlite:///{path}")
    checkpoints = dbmod.BackgroundCheckpoints(engine if background else None, interval=0.01)
    with checkpoints:
        _write_megabytes(engine, 4)
        if background:
            _wait_for_turns(checkpoints, 2)
    assert checkpoints.enabled is background
    size = path.stat().st_size
    assert (size > 4_000_000) is background, size
    with engine.connect() as conn:  # nothing lost either way
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 4000
    engine.dispose()


def test_background_checkpoints_leave_other_databases_alone(tmp_path):
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@127.0.0.1:1/x"):
        engine = dbmod.make_engine(url)
        with dbmod.BackgroundCheckpoints(engine, interval=0.01) as checkpoints:
            pass
        assert not checkpoints.enabled and checkpoints.runs == 0, url
        engine.dispose()


def _sample() -> dict:
    return new_record(
        title={"zh": "北京市公共交通客运量", "en": "Beijing public transport ridership"},
        description={"zh": "按月统计的公交和地铁客运量。", "en": "Monthly bus and metro ridership."},
        publisher={"slug": "bjtrans", "name": {"zh": "北京市交通委员会", "en": "Beijing Transport Commission"}},
        keywords=["公交", "transport"],
        themes=["TRAN"],
        license="CC-BY-4.0",
        license_raw="cc-by",
        frequency="MONTHLY",
        issued="2020-01-01",
        modified="2026-10-01",
        temporal={"start": "2015-01-01", "end": "2026-09-30"},
        spatial=["http://sws.geonames.org/1816670/"],
        extras={"source_system": "OA"},
        distributions=[{"title": {"zh": "客运量 CSV"}, "download_url": "http://127.0.0.1/x.csv", "format": "CSV",
                        "format_raw": "csv", "media_type": "text/csv", "byte_size": 1234}],
    )


def test_record_round_trip_through_database(session):
    ds, outcome = save_record(session, _sample())
    session.commit()
    assert outcome == "added"
    back = to_record(session.get(Dataset, ds.id))
    original = _sample()
    for key in original:
        if key in ("id", "slug", "publisher", "distributions"):
            continue
        assert back[key] == original[key], key
    assert back["publisher"]["name"] == original["publisher"]["name"]
    assert back["distributions"][0]["download_url"] == "http://127.0.0.1/x.csv"
    assert back["distributions"][0]["byte_size"] == 1234


def test_save_twice_is_unchanged_and_update_detected(session):
    ds, _ = save_record(session, _sample(), source_id=None)
    session.commit()
    again, outcome = save_record(session, {**_sample(), "id": ds.id})
    assert outcome == "unchanged"
    changed = {**_sample(), "id": ds.id, "keywords": ["公交", "transport", "metro"]}
    _, outcome = save_record(session, changed)
    session.commit()
    assert outcome == "updated"
    assert session.scalar(select(Dataset).where(Dataset.id == ds.id)).keywords[-1] == "metro"
    assert session.scalar(select(Publisher).where(Publisher.slug == "bjtrans")) is not None


def test_json_columns_keep_every_value_exactly(session):
    """The JSON columns are written and read by orjson, and by json where orjson would write or read otherwise:
    an integer past 64 bits (orjson refuses to write it, and reads it as a float), keys that are not text
    (json.dumps spells them as text), Chinese text, nesting, nulls."""
    ds, _ = save_record(session, _sample())
    session.commit()
    extras = {"big": 2**70, "negative": -(2**63) - 1, "u64": 2**64 - 1, "text": "交通 \u2028 \"quoted\"",
              "nested": {"a": [1, 2.5, None, True, False, 1e-05, 1e16]}, 7: "seven"}
    session.execute(update(Dataset).where(Dataset.id == ds.id).values(extras=extras))
    session.commit()
    session.expunge_all()
    back = session.get(Dataset, ds.id).extras
    assert back == json.loads(json.dumps(extras))  # "7" a text key, as before
    assert type(back["big"]) is int and back["big"] == 2**70
    assert type(back["negative"]) is int and back["negative"] == -(2**63) - 1
    assert back["nested"]["a"][5] == 1e-05


def test_a_value_json_refuses_is_refused_still(session):
    ds, _ = save_record(session, _sample())
    session.commit()
    with pytest.raises(Exception, match="not JSON serializable"):
        session.execute(update(Dataset).where(Dataset.id == ds.id).values(extras={"when": dt.date(2026, 1, 1)}))
    session.rollback()


def test_json_written_by_json_dumps_is_read_as_before(tmp_path):
    """A catalog written before orjson: SQLite kept json.dumps's text (\\u escapes, NaN) as it was written."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    dbmod.upgrade(url)
    engine = dbmod.make_engine(url)
    factory = dbmod.make_sessionmaker(engine)
    with factory() as s:
        ds, _ = save_record(s, _sample())
        s.commit()
        old = json.dumps({"zh": "北京", "ratio": float("nan"), "big": 12345678901234567890123})
        s.execute(text("UPDATE datasets SET extras = :v WHERE id = :id"), {"v": old, "id": ds.id})
        s.commit()
        s.expunge_all()
        back = s.get(Dataset, ds.id).extras
    engine.dispose()
    assert back["zh"] == "北京" and back["big"] == 12345678901234567890123
    assert back["ratio"] != back["ratio"]  # NaN


def test_migration_0018_round_trip(tmp_path):
    """0018's page indexes: (created_at, slug) and (state, slug) in place of (state); down and up again."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    dbmod.upgrade(url)

    def indexes() -> set[str]:
        engine = dbmod.make_engine(url)
        try:
            return {ix["name"] for ix in inspect(engine).get_indexes("datasets")}
        finally:
            engine.dispose()

    assert {"ix_datasets_created_at_slug", "ix_datasets_state_slug"} <= indexes()
    assert "ix_datasets_state" not in indexes()
    command.downgrade(dbmod.alembic_config(url), "0017")
    new = {"ix_datasets_created_at_slug", "ix_datasets_state_slug"}
    assert "ix_datasets_state" in indexes() and not new & indexes()
    command.upgrade(dbmod.alembic_config(url), "head")
    assert new <= indexes()
    dbmod.check(url)


def test_postgresql_reads_json_through_jsontext_without_psycopg_s_wrapper(session):
    """On PostgreSQL, json and jsonb values go to plumbing.jsontext.loads straight from psycopg (its own loader
    copied each value and called the deserializer SQLAlchemy gave it: a call more per value)."""
    from plumbing import jsontext

    assert session.bind.dialect._json_deserializer is jsontext.loads  # SQLite's JSON: SQLAlchemy calls it
    if session.bind.dialect.name == "postgresql":
        raw = session.connection().connection.dbapi_connection
        for name in ("json", "jsonb"):
            assert raw.adapters.get_loader(raw.adapters.types[name].oid, 0) is dbmod._json_loader()
        row = session.execute(text("SELECT '[12345678901234567890123, \"交\"]'::jsonb, '{}'::json")).one()
        assert row[0] == [12345678901234567890123, "交"] and type(row[0][0]) is int and row[1] == {}


def test_a_publisher_named_only_by_its_name_is_found_again_by_it_in_any_script(session):
    """Harvests that name a publisher only by its name (a folder's default, a sheet's 发布机构, a DCAT foaf:name
    with no URI) find the one publisher of that name. A Chinese name slugifies to the fallback `publisher`, and
    each later harvest made another `交通局` (publisher-3, publisher-4 ...)."""
    from catalog_schema.store import ensure_publisher

    made = {}
    for name in ({"zh": "交通局"}, {"zh": "水务局"}, {"en": "Transport Bureau"}, {"": "交通局"}):
        made[json.dumps(name, ensure_ascii=False)] = ensure_publisher(session, {"name": name}).slug
        session.commit()
    session.info.clear()  # as a later harvest: nothing remembered in the session
    for name in ({"zh": "交通局"}, {"zh": "水务局"}, {"en": "Transport Bureau"}, {"": "交通局"}):
        assert ensure_publisher(session, {"name": name}).slug == made[json.dumps(name, ensure_ascii=False)], name
        session.commit()
        session.info.clear()
    # a name in no language is the publisher named so in one (a sheet's untagged 交通局 made a second 交通局)
    assert made['{"": "交通局"}'] == made['{"zh": "交通局"}']
    assert session.scalar(select(func.count()).select_from(Publisher)) == 3
    # a publisher named in more languages since is still the one the name alone says
    bureau = session.scalar(select(Publisher).where(Publisher.slug == made['{"zh": "交通局"}']))
    bureau.name = {"zh": "交通局", "en": "Transport Office"}
    session.commit()
    assert ensure_publisher(session, {"name": {"zh": "交通局"}}) is bureau
    # another name is another publisher, whatever its slug would be
    assert ensure_publisher(session, {"name": {"zh": "财政局"}}).slug not in made.values()
    # a Chinese name's slug is its own and the same in every catalog: not publisher, publisher-2 ... by arrival
    import hashlib

    assert made['{"zh": "水务局"}'] == "publisher-" + hashlib.sha1("水务局".encode()).hexdigest()[:8]
    assert made['{"en": "Transport Bureau"}'] == "transport-bureau"


def test_a_title_with_markup_gives_a_slug_of_its_words_not_its_tags():
    """区人口<b>统计</b> was named b-b: the letters of its tags."""
    from catalog_schema.store import name_slug

    assert name_slug("区人口<b>统计</b>") is None  # no Latin word: the caller names it dataset-<id>
    assert name_slug("Potholes <b>2026</b>") == "potholes-2026"
    assert name_slug("<script>x</script>Roads") == "x-roads"
    assert name_slug("a < b and c > d") == "a-b-and-c-d"  # comparisons are no tags


@pytest.mark.postgres
def test_migration_0021_stores_payloads_with_lz4_on_postgresql():
    """0021: on PostgreSQL a harvested payload is compressed by lz4 (half pglz's server time, the same size); a
    payload stored before is still read; down and up again."""
    from alembic import command

    from tests.support import services

    payload = json.dumps({"notes": "公共交通 " * 2000, "n": list(range(500))}, ensure_ascii=False)

    def methods(engine) -> dict[str, str]:
        with engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT attrelid::regclass::text || '.' || attname, attcompression FROM pg_attribute "
                "WHERE (attrelid, attname) IN (('datasets'::regclass, 'source_payload'), "
                "('harvest_records'::regclass, 'payload'))")).all())

    def stored(engine, slug: str) -> tuple[str, str | None]:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO datasets (id, slug, title, description, keywords, themes, spatial, "
                              "conforms_to, language, state, extras, flags, created_at, updated_at, modified_at, "
                              "source_payload) VALUES (:id, :slug, '{}', '{}', '[]', '[]', '[]', '[]', '[]', "
                              "'active', '{}', '[]', now(), now(), now(), :p)"),
                         {"id": slug, "slug": slug, "p": payload})
            return conn.execute(text("SELECT source_payload, pg_column_compression(source_payload) FROM datasets "
                                     "WHERE slug = :slug"), {"slug": slug}).one()

    with services.postgres_database(f"opendata_lz4_{os.getpid()}") as url:
        command.upgrade(dbmod.alembic_config(url), "0020")
        engine = dbmod.make_engine(url)
        assert set(methods(engine).values()) == {""}  # the server's default (pglz)
        assert stored(engine, "before") == (payload, "pglz")
        command.upgrade(dbmod.alembic_config(url), "head")
        assert set(methods(engine).values()) == {"l"}
        assert stored(engine, "after") == (payload, "lz4")
        with engine.connect() as conn:  # the payload stored before the change reads back as it was
            assert conn.execute(text("SELECT source_payload FROM datasets WHERE slug = 'before'")).scalar() == payload
        command.downgrade(dbmod.alembic_config(url), "0020")
        assert set(methods(engine).values()) == {""}
        command.upgrade(dbmod.alembic_config(url), "head")
        dbmod.check(url)
        engine.dispose()


def test_a_file_is_found_by_its_source_id_through_an_index(engine):
    """CKAN's resource_show and the DataStore doors look a file up by the id it had at its source (the `id`
    /api/v1 shows first): an index lookup, not a read of every distribution of the catalog (migration 0023)."""
    from sqlalchemy.orm import Session

    from catalog_schema import store
    from catalog_schema.models import Distribution, utcnow
    from tests.harvesters.test_import_speed import _bulk_dataset, _bulk_distribution

    # Files enough for the planner to weigh, and their statistics read: with the table empty, or with whatever
    # counts the tests before left, PostgreSQL was as happy to read every file of a dataset by its dataset_id
    # index and filter them (a CI run took that plan).
    with Session(engine) as session:
        store.bulk_insert(session, Dataset, [_bulk_dataset(f"idx-{d}", utcnow()) for d in range(20)])
        store.bulk_insert(session, Distribution, [
            {**_bulk_distribution(f"idx-{d}"), "id": f"dist-idx-{d}-{i}", "position": i, "remote_id": f"r-{d}-{i}"}
            for d in range(20) for i in range(100)])
        session.commit()
    query = select(Distribution.id).join(Dataset, Dataset.id == Distribution.dataset_id).where(
        Distribution.remote_id == "r-1-1", Dataset.state != "deleted")
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        plan = _plan(conn, query)
    assert "ix_distributions_remote_id" in plan, plan


def _plan(conn, query) -> str:
    from sqlalchemy.dialects import postgresql, sqlite

    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: the planner would scan it anyway
        sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


def test_a_job_s_record_rows_are_found_by_the_one_unique_index(engine):
    """A harvest writes a record row per record it lists; the rows carry one index led by job_id, the unique
    (job_id, remote_id), which a job's counts and its record lookups read (migration 0024 dropped a second one on
    job_id alone, an insert more for every row)."""
    from catalog_schema.models import HarvestRecord

    names = {ix["name"] for ix in inspect(engine).get_indexes("harvest_records")}
    assert "ix_harvest_records_job_id" not in names and "ix_harvest_records_dataset_id" in names, names
    counts = select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == 7).group_by(HarvestRecord.status)
    done = select(HarvestRecord.id).where(HarvestRecord.job_id == 7, HarvestRecord.remote_id == "r-1")
    with engine.connect() as conn:
        for query in (counts, done):
            plan = _plan(conn, query)
            assert "uq_harvest_records_job_remote" in plan or "sqlite_autoindex_harvest_records_1" in plan, plan


def test_among_finds_what_in_finds_with_one_parameter_on_postgresql(session):
    """store.among: `IN (...)` on SQLite, `= ANY(array)` on PostgreSQL, the same rows either way, whatever the
    values hold (a comma, a quote, braces, Chinese) and for an empty list."""
    from catalog_schema.store import among

    for slug in ("a,b", 'say-"hi"', "{x}", "人口-2024", "plain"):
        save_record(session, new_record(title={"en": slug}, slug=slug))
    session.flush()
    for wanted in (["a,b", 'say-"hi"', "{x}", "人口-2024", "missing"], [], ["plain"]):
        got = set(session.scalars(select(Dataset.slug).where(among(session, Dataset.slug, wanted))))
        assert got == set(session.scalars(select(Dataset.slug).where(Dataset.slug.in_(wanted)))) \
            == set(wanted) - {"missing"}
    query = select(Dataset.slug).where(among(session, Dataset.slug, ["x", "y", "z"]))
    sql = str(query.compile(session.get_bind()))
    assert ("= ANY (" in sql) is (session.get_bind().dialect.name == "postgresql"), sql
