"""What makes imports fast keeps the catalog the same: an unchanged payload (same hash) is neither mapped
nor written, the payload hash follows what the mapping depends on, migration 0007 adds it on both backends,
and two workers creating the same new publisher at once end with one (docs/harvesting.md)."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import event, inspect, select, text

from catalog_schema import db as dbmod
from catalog_schema import store
from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource, Publisher
from harvesters.base import create_job, run_job
from harvesters.datajson import DataJsonHarvester
from tests.support import services

FIXTURE = "real/datajson/treasury_data.json"
CATALOG_TABLES = ("datasets", "distributions", "publishers", "search_changes", "dataset_slugs")


class CountingDataJson(DataJsonHarvester):
    """The data.json harvester, counting the records it maps (one class for every run of a test: the
    class is part of the payload hash)."""

    mapped: list[str] = []

    def to_record(self, item):
        CountingDataJson.mapped.append(item.remote_id)
        return super().to_record(item)


def _serve(local_server, document: dict) -> str:
    local_server.add_bytes("/data.json", json.dumps(document).encode(), "application/json")
    return local_server.url("/data.json")


def _run(runtime, name: str):
    """One full harvest of source `name` with CountingDataJson; returns (summary, mapped remote ids)."""
    CountingDataJson.mapped = []
    with runtime.sessionmaker() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
        job = create_job(session, source, full=True)
        session.commit()
        job_id = job.id
    summary = run_job(runtime.sessionmaker, job_id, CountingDataJson, http=runtime.http())
    return summary, list(CountingDataJson.mapped)


def _catalog_writes(engine, statements: list[str]):
    def listen(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().split("(")[0].upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and any(t in head.lower() for t in CATALOG_TABLES):
            statements.append(statement.split("\n")[0][:80])

    event.listen(engine, "before_cursor_execute", listen)
    return lambda: event.remove(engine, "before_cursor_execute", listen)


def _rows(runtime) -> dict[str, tuple]:
    with runtime.sessionmaker() as session:
        return {ds.remote_id: (ds.id, ds.updated_at, ds.modified_at, ds.content_hash, ds.payload_hash)
                for ds in session.scalars(select(Dataset))}


def test_an_unchanged_payload_is_neither_mapped_nor_written(runtime, add_source, local_server, fixtures_dir):
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    total = len(document["dataset"])
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")

    first, mapped = _run(runtime, "treasury")
    assert (first.status, first.added, first.errored) == ("finished", total, 0)
    assert len(mapped) == total
    before = _rows(runtime)
    assert all(row[4] for row in before.values()), "every harvested dataset keeps its payload hash"

    statements: list[str] = []
    stop = _catalog_writes(runtime.engine, statements)
    try:
        again, mapped = _run(runtime, "treasury")
    finally:
        stop()
    assert (again.status, again.unchanged, again.added, again.updated) == ("finished", total, 0, 0)
    assert mapped == [], "an unchanged payload is not mapped (nor validated)"
    assert statements == [], "an unchanged payload writes nothing to the catalog, nor to the search change log"
    assert _rows(runtime) == before, "not a timestamp moved"
    with runtime.sessionmaker() as session:
        rows = session.scalars(select(HarvestRecord).where(HarvestRecord.job_id == again.job_id)).all()
        assert len(rows) == total and {r.status for r in rows} == {"unchanged"}
        assert all(r.dataset_id == before[r.remote_id][0] and r.content_hash is None and r.payload is None
                   for r in rows), "each record row points at its dataset, which holds its content and payload"

    changed = json.loads(json.dumps(document))
    changed["dataset"][3]["title"] = "A new title"
    _serve(local_server, changed)
    third, mapped = _run(runtime, "treasury")
    assert (third.updated, third.unchanged) == (1, total - 1)
    assert mapped == [changed["dataset"][3]["identifier"]], "only the changed payload is mapped"
    after = _rows(runtime)
    key = changed["dataset"][3]["identifier"]
    assert after[key][4] != before[key][4] and after[key][2] > before[key][2]


def test_a_payload_is_stored_once_on_its_dataset_and_on_an_error_row_only(runtime, add_source, local_server,
                                                                           fixtures_dir):
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    document["dataset"][0].pop("title")  # no title and no identifier: a record the mapping refuses
    document["dataset"][0].pop("identifier")
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    first, _ = _run(runtime, "treasury")
    assert first.errored == 1 and first.added == len(document["dataset"]) - 1
    changed = json.loads(json.dumps(document))
    changed["dataset"][3]["title"] = "A new title"
    _serve(local_server, changed)
    second, _ = _run(runtime, "treasury")
    assert (second.updated, second.errored) == (1, 1)
    with runtime.sessionmaker() as session:
        rows = session.scalars(select(HarvestRecord).order_by(HarvestRecord.id)).all()
        errored = [r for r in rows if r.status == "errored"]
        assert len(errored) == 2 and all(json.loads(r.payload) == document["dataset"][0] for r in errored)
        assert {r.status for r in rows if r.payload is not None} == {"errored"}, \
            "an added, updated or unchanged row keeps no copy of the payload its dataset holds"
        updated = next(r for r in rows if r.status == "updated")
        assert json.loads(session.get(Dataset, updated.dataset_id).source_payload) == changed["dataset"][3]


def test_what_the_mapping_depends_on_is_in_the_hash(runtime, add_source, local_server, fixtures_dir):
    """A source's settings change what its records map to: every record is mapped again (unchanged content
    is still counted unchanged), and the run after that skips them again."""
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    total = len(document["dataset"])
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    _run(runtime, "treasury")
    before = _rows(runtime)

    with runtime.sessionmaker() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == "treasury"))
        source.config = {"note": "a setting the mapping may read"}
        session.commit()
    summary, mapped = _run(runtime, "treasury")
    assert len(mapped) == total and summary.unchanged == total
    after = _rows(runtime)
    same = {k: (row[0], row[2], row[3]) for k, row in before.items()}
    assert {k: (row[0], row[2], row[3]) for k, row in after.items()} == same, "the content is as it was"
    assert all(after[k][4] != before[k][4] for k in before), "the payload hashes moved (its row's updated_at too)"
    summary, mapped = _run(runtime, "treasury")
    assert mapped == [] and summary.unchanged == total


def test_a_change_by_the_catalog_makes_the_next_harvest_map_the_record(runtime, add_source, local_server,
                                                                        fixtures_dir):
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    _run(runtime, "treasury")
    key = document["dataset"][0]["identifier"]
    with runtime.sessionmaker() as session:
        ds = session.scalar(select(Dataset).where(Dataset.remote_id == key))
        store.set_extras(ds, "publishing", {"note": "changed here"})
        session.commit()
        assert ds.payload_hash is None
    summary, mapped = _run(runtime, "treasury")
    # mapped again, the same content found: a publishing decision is not a change of what the source says
    assert mapped == [key] and (summary.updated, summary.unchanged) == (0, len(document["dataset"]))
    with runtime.sessionmaker() as session:
        ds = session.scalar(select(Dataset).where(Dataset.remote_id == key))
        assert ds.payload_hash is not None and ds.extras["publishing"] == {"note": "changed here"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    name = f"opendata_test_migrate_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = dbmod.make_engine(services.postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield services.postgres_url().rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_0007_adds_the_payload_hash_to_a_catalog_with_datasets(empty_url):
    dbmod.upgrade(empty_url, "0006")
    engine = dbmod.make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO datasets (id, slug, title, description, keywords, themes, spatial, "
                              "conforms_to, language, state, extras, flags, content_hash, created_at, updated_at, "
                              "modified_at) VALUES ('d1', 'kept', '{}', '{}', '[]', '[]', '[]', '[]', '[]', "
                              "'active', '{}', '[]', 'abc', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                              "CURRENT_TIMESTAMP)"))
        assert "payload_hash" not in {c["name"] for c in inspect(engine).get_columns("datasets")}
        dbmod.upgrade(empty_url)
        engine.dispose()
        assert "payload_hash" in {c["name"] for c in inspect(engine).get_columns("datasets")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT slug, content_hash, payload_hash FROM datasets")).one() == \
                ("kept", "abc", None), "a dataset already there keeps its row; its payload hash is not known"
        dbmod.check(empty_url)
        dbmod.upgrade(empty_url, "head")
        from alembic import command

        command.downgrade(dbmod.alembic_config(empty_url), "0006")
        engine.dispose()
        assert "payload_hash" not in {c["name"] for c in inspect(engine).get_columns("datasets")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT slug FROM datasets")).scalar() == "kept"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_workers_creating_one_new_publisher_end_with_one(postgres_master_url):
    """Worker B looked for publisher dept-x and did not find it; worker A created it and committed before B
    inserted its own: B's insert is refused by the unique slug, in a savepoint, so B's batch goes on with
    A's publisher (before, the whole batch failed and was redone record by record). PostgreSQL only: SQLite
    runs one writer at a time, the second waiting for the first to commit."""
    engine = dbmod.make_engine(postgres_master_url)
    factory = dbmod.make_sessionmaker(engine)
    tag = f"race-{os.getpid()}"
    try:
        with factory() as b:
            earlier = store.ensure_publisher(b, {"slug": f"{tag}-earlier", "name": {"": "Earlier in B's batch"}})
            b.flush()
            with factory() as a:
                store.ensure_publisher(a, {"slug": f"{tag}-dept-x", "name": {"en": "Department X"}})
                a.commit()
            mine = Publisher(slug=f"{tag}-dept-x", name={"en": "Department X (B)"})
            got = store._insert_publisher(b, mine)
            assert got is not mine and got.slug == f"{tag}-dept-x" and got.name == {"en": "Department X"}
            b.commit()
            assert earlier.id is not None
        with factory() as check:
            slugs = sorted(check.scalars(select(Publisher.slug).where(Publisher.slug.startswith(tag))))
            assert slugs == [f"{tag}-dept-x", f"{tag}-earlier"], "B's other work survived the refused insert"
            check.execute(text("DELETE FROM publishers WHERE slug LIKE :tag"), {"tag": f"{tag}-%"})
            check.commit()
    finally:
        engine.dispose()


def test_a_batch_meeting_many_new_publishers_imports_every_record(runtime, add_source, local_server, fixtures_dir):
    """Publishers are looked up once per batch; each one new in the batch is created once."""
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    for i, entry in enumerate(document["dataset"]):
        entry["publisher"] = {"@type": "org:Organization", "name": f"Office {i % 7}"}
    add_source("treasury", "datajson", _serve(local_server, document))
    summary, _ = _run(runtime, "treasury")
    assert summary.added == len(document["dataset"]) and summary.errored == 0
    with runtime.sessionmaker() as session:
        names = sorted(n["en"] if "en" in n else next(iter(n.values()))
                       for n in session.scalars(select(Publisher.name)))
        assert names == sorted({f"Office {i}" for i in range(min(7, len(document["dataset"])))})
        assert session.scalar(select(HarvestJob.status)) == "finished"


def _bulk_dataset(tag: str, now) -> dict:
    """A datasets row as a harvest's bulk insert gives it: JSON of every kind, None in a JSON column, text."""
    return {"id": f"ds-{tag}", "slug": f"ds-{tag}", "remote_id": f"remote-{tag}", "title": {"en": "Ça, 数据"},
            "description": {}, "keywords": ["a", "b"], "themes": [], "spatial": [], "conforms_to": [],
            "language": [], "state": "active", "extras": {"ckan": {"nested": [1, 2.5, None, True]}},
            "flags": [], "creator": None, "temporal": None, "bbox_west": -1.5, "bbox_east": 2.25,
            "source_payload": '{"x": "\\u00e9"}', "created_at": now, "updated_at": now, "modified_at": now}


def _bulk_distribution(tag: str) -> dict:
    """A distributions row leaving out failure_count, extras and more: their defaults go in."""
    return {"id": f"dist-{tag}", "dataset_id": f"ds-{tag}", "position": 0, "title": {"": "file"},
            "checksum": None, "byte_size": 12345678901}


@pytest.mark.postgres
def test_copy_writes_what_an_insert_writes(postgres_master_url, monkeypatch):
    """On PostgreSQL a harvest's new rows go in by COPY (store.bulk_insert): the same row an INSERT through
    SQLAlchemy writes, JSON (None in a JSON column: JSON null, not SQL NULL), text and numbers as they are,
    and the Python defaults of the columns a row leaves out."""
    from sqlalchemy.orm import Session

    from catalog_schema.models import Distribution, utcnow

    now = utcnow()
    dataset, distribution = (lambda tag: _bulk_dataset(tag, now)), _bulk_distribution

    engine = dbmod.make_engine(postgres_master_url)
    try:
        with Session(engine) as session:
            store.bulk_insert(session, Dataset, [dataset("copy")])
            store.bulk_insert(session, Distribution, [distribution("copy")])
            monkeypatch.setattr(store, "_copy_rows", lambda *args: False)
            store.bulk_insert(session, Dataset, [dataset("insert")])
            store.bulk_insert(session, Distribution, [distribution("insert")])
            rows = session.execute(text(
                "SELECT d.remote_id, to_jsonb(d) - 'id' - 'slug' - 'remote_id', to_jsonb(x) - 'id' - 'dataset_id', "
                "jsonb_typeof(d.creator) FROM datasets d JOIN distributions x ON x.dataset_id = d.id "
                "WHERE d.id IN ('ds-copy', 'ds-insert') ORDER BY d.remote_id")).all()
            session.rollback()
    finally:
        engine.dispose()
    assert [row[0] for row in rows] == ["remote-copy", "remote-insert"]
    (_, copied, copied_dist, copied_null), (_, inserted, inserted_dist, inserted_null) = rows
    assert copied == inserted and copied_dist == inserted_dist
    assert copied_null == inserted_null == "null"
    assert copied_dist["failure_count"] == 0 and copied["extras"] == {"ckan": {"nested": [1, 2.5, None, True]}}


@pytest.mark.postgres
def test_postgresql_counts_for_the_planner_the_columns_a_harvest_looks_rows_up_by():
    """Once `datasets` holds over 1,000 rows and more than twice what the planner last counted, a harvest has
    PostgreSQL count it (harvest_store.keep_statistics): the table's size and the columns its lookups filter on
    (source, remote id, state), not the fifty others, long texts and JSON, whose counting made each ANALYZE of a
    harvested catalog ten times as long. Counted once, not again until the table doubles."""
    from sqlalchemy.orm import Session

    from catalog_schema.harvest_store import keep_statistics
    from catalog_schema.models import utcnow

    sent: list[str] = []
    with services.postgres_database(f"opendata_test_stats_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_"
                                    f"{os.getpid()}") as url:
        dbmod.upgrade(url)
        engine = dbmod.make_engine(url)
        event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: sent.append(statement))
        try:
            now = utcnow()
            with Session(engine) as session:
                store.bulk_insert(session, Dataset, [_bulk_dataset(f"stat-{i}", now) for i in range(1200)])
                session.commit()
                session.execute(text("SELECT pg_stat_force_next_flush()"))  # the live rows counted at the commit
                session.commit()
            with Session(engine) as session:
                assert keep_statistics(session) is True
                session.commit()
                assert keep_statistics(session) is False  # counted: not again until the table doubles
                session.commit()
                reltuples = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'datasets'"))
                counted = set(session.scalars(text("SELECT attname FROM pg_stats WHERE tablename = 'datasets'")))
        finally:
            engine.dispose()
    assert [s for s in sent if s.startswith("ANALYZE")] == ['ANALYZE "datasets" ("source_id", "remote_id", "state")']
    assert reltuples == 1200
    assert counted == {"source_id", "remote_id", "state"}


def test_sqlite_executemany_writes_what_an_insert_writes(tmp_path, monkeypatch):
    """On SQLite a harvest's new rows go in as one executemany of value tuples (store.bulk_insert): the same
    stored values an INSERT through SQLAlchemy writes (JSON text, None in a JSON column as JSON null, datetimes
    as SQLAlchemy spells them, the Python defaults of the columns a row leaves out), and a refused row raises
    SQLAlchemy's IntegrityError, as an INSERT does."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from catalog_schema.models import Distribution, utcnow

    url = f"sqlite:///{tmp_path / 'rows.db'}"
    dbmod.upgrade(url)
    now = utcnow()
    dataset, distribution = (lambda tag: _bulk_dataset(tag, now)), _bulk_distribution

    engine = dbmod.make_engine(url)
    wrote = []
    real = store._executemany_rows
    monkeypatch.setattr(store, "_executemany_rows", lambda *args: wrote.append(1) or real(*args))
    try:
        with Session(engine) as session:
            store.bulk_insert(session, Dataset, [dataset("many")])
            store.bulk_insert(session, Distribution, [distribution("many")])
            session.commit()
            assert len(wrote) == 2
            with pytest.raises(IntegrityError):  # the same id again
                store.bulk_insert(session, Dataset, [dataset("many")])
            session.rollback()
            assert len(wrote) == 3
            monkeypatch.setattr(store, "_executemany_rows", lambda *args: False)  # through SQLAlchemy
            store.bulk_insert(session, Dataset, [dataset("insert")])
            store.bulk_insert(session, Distribution, [distribution("insert")])
            session.commit()
            with pytest.raises(IntegrityError):
                store.bulk_insert(session, Dataset, [dataset("insert")])
            session.rollback()
            datasets = {row.remote_id: {k: v for k, v in row._mapping.items() if k not in ("id", "slug", "remote_id")}
                        for row in session.execute(text("SELECT * FROM datasets"))}
            dists = {row.id: {k: v for k, v in row._mapping.items() if k not in ("id", "dataset_id")}
                     for row in session.execute(text("SELECT * FROM distributions"))}
    finally:
        engine.dispose()
    assert datasets["remote-many"] == datasets["remote-insert"]
    assert datasets["remote-many"]["creator"] == "null" and datasets["remote-many"]["title"] == '{"en":"Ça, 数据"}'
    assert dists["dist-many"] == dists["dist-insert"] and dists["dist-many"]["failure_count"] == 0


def test_one_process_imports_a_transaction_per_batch_of_the_setting(runtime, add_source, local_server, fixtures_dir,
                                                                     monkeypatch):
    """A harvest in one process imports HARVEST_IMPORT_BATCH records per transaction (500 by default: each
    transaction has costs of its own), the last batch what is left; the catalog is the same whatever the size."""
    from app import jobs
    from harvesters import base

    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    total = len(document["dataset"])
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    sizes: list[int] = []
    real = base.import_batch

    def counted(factory, job_id, source_id, harvester, items, *rest):
        sizes.append(len(items))
        return real(factory, job_id, source_id, harvester, items, *rest)

    monkeypatch.setattr(base, "import_batch", counted)
    assert runtime.settings["HARVEST_IMPORT_BATCH"] == base.IMPORT_BATCH == 500
    first = jobs.harvest(runtime, "treasury", full=True)
    assert sizes == [total] and first.added == total  # 233 records: one transaction
    before = _rows(runtime)
    sizes.clear()
    monkeypatch.setitem(runtime.settings, "HARVEST_IMPORT_BATCH", 50)
    again = jobs.harvest(runtime, "treasury", full=True)
    assert sizes == [50] * (total // 50) + [total % 50]
    assert (again.added, again.unchanged) == (0, total) and _rows(runtime) == before


def test_a_new_dataset_a_licence_mapping_changed_keeps_the_hash_of_what_it_holds(session):
    """A harvest hands the store each record's content text, made before the sysadmins' licence mappings are
    applied: when a mapping changes the record, its hash is made again from what the dataset holds, so a later
    harvest of the same content finds it unchanged instead of writing it again."""
    from catalog_schema.models import LicenceMapping
    from catalog_schema.record import content_hash, content_text, filled, new_distribution, new_record
    from catalog_schema.vocab import licence_key

    raw = "本市公共数据开放协议（第一版）"
    session.add(LicenceMapping(raw_key=licence_key(raw), raw=raw, licence_id="ODC-BY-1.0"))
    src = HarvestSource(name="mapped", type="datajson", url="http://127.0.0.1/data.json")
    session.add(src)
    session.flush()
    record = filled(new_record(slug="bus-stops", title={"zh": "公交站点"}, license_raw=raw, publisher={"slug": "roads"},
                               distributions=[new_distribution(download_url="http://127.0.0.1/a.csv",
                                                               license_raw=raw)]))
    text = content_text(record)
    [(ds_id, digest)] = store.add_harvested(session, src.id, [{"record": record, "remote_id": "r1", "payload": {},
                                                               "content_text": text}])
    session.commit()
    ds = session.get(Dataset, ds_id)
    assert ds.license_id == "ODC-BY-1.0" and record["license"] == "ODC-BY-1.0"  # mapped in place
    assert digest == ds.content_hash == content_hash(record) != content_hash(record, text)
    again = filled(new_record(slug="bus-stops", title={"zh": "公交站点"}, license_raw=raw,
                              publisher={"slug": "roads"},
                              distributions=[new_distribution(download_url="http://127.0.0.1/a.csv",
                                                              license_raw=raw)]))
    assert store.save_record(session, again, source_id=src.id, remote_id="r1")[1] == "unchanged"


def test_a_harvest_checkpoints_sqlite_s_log_on_a_thread_of_its_own(runtime, add_source, local_server, fixtures_dir,
                                                                   monkeypatch):
    """On SQLite a harvest copies the write-ahead log back from a thread (catalog_schema.db.BackgroundCheckpoints)
    for as long as it runs: its commits do not stop for the disk. On PostgreSQL there is nothing to do."""
    from app import jobs
    from harvesters import base

    made: list[dbmod.BackgroundCheckpoints] = []

    class Quick(dbmod.BackgroundCheckpoints):
        def __init__(self, engine):
            super().__init__(engine, interval=0.001)
            made.append(self)

    monkeypatch.setattr(base, "BackgroundCheckpoints", Quick)
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    summary = jobs.harvest(runtime, "treasury", full=True)
    assert summary.added == len(document["dataset"])
    [checkpoints] = made
    assert checkpoints.engine is runtime.engine
    is_sqlite = runtime.engine.dialect.name == "sqlite"
    assert checkpoints.enabled is is_sqlite and (checkpoints.runs > 0) is is_sqlite


def test_a_batch_commits_without_waiting_for_postgresql_s_disk(runtime, add_source, local_server, fixtures_dir,
                                                              monkeypatch):
    """Each batch's transaction on PostgreSQL commits without waiting for its WAL to reach the disk (for that
    transaction only: the next one is as the database says); SQLite is left as it is."""
    from app import jobs
    from catalog_schema import harvest_store

    is_postgres = runtime.engine.dialect.name == "postgresql"
    if is_postgres:
        with runtime.sessionmaker() as session:
            session.execute(text("SET synchronous_commit TO on"))
            harvest_store.commit_without_waiting_for_the_disk(session)
            assert session.execute(text("SHOW synchronous_commit")).scalar() == "off"
            session.commit()
            assert session.execute(text("SHOW synchronous_commit")).scalar() == "on"
    said: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if "synchronous_commit" in statement:
            said.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", listen)
    monkeypatch.setitem(runtime.settings, "HARVEST_IMPORT_BATCH", 100)
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    add_source("treasury", "datajson", _serve(local_server, document), publisher="treasury")
    summary = jobs.harvest(runtime, "treasury", full=True)
    event.remove(runtime.engine, "before_cursor_execute", listen)
    assert summary.added == len(document["dataset"]) == 233
    assert said == (["SET LOCAL synchronous_commit TO OFF"] * 3 if is_postgres else [])
