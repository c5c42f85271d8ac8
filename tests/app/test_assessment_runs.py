"""An assessment run delivered twice counts once: one assessment per dataset and instant.

A run shared by workers stamps each chunk with the run's instant. The broker may deliver a chunk twice (its
visibility timeout passes while a busy worker still holds it); the two deliveries may then run at once.
Here two threads stand in for the two workers and meet inside the link checks, so both looked for earlier
work before either committed: the unique index refuses the second commit and that delivery looks again."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.assessment import assess_datasets
from app.jobs import assess_chunk
from catalog_schema import db as dbmod
from catalog_schema import search
from catalog_schema.models import Assessment
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from plumbing import heap
from tests.support.httpserver import LocalServer

RUN_AT = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
CSV = "id,name\n" + "".join(f"{i},row {i}\n" for i in range(20))


def _datasets(runtime, base: str, n: int) -> list[str]:
    ids = []
    with runtime.sessionmaker() as session:
        for k in range(n):
            rec = new_record(slug=f"twin-{k}", title={"en": f"Twin {k}"}, license="CC-BY-4.0",
                             publisher={"slug": "dept", "name": {"en": "Department"}},
                             distributions=[new_distribution(format="CSV", download_url=f"{base}/f{k}.csv")])
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
            ids.append(ds.id)
        session.commit()
    return ids


def _count(runtime, ids=None) -> int:
    with runtime.sessionmaker() as session:
        q = select(func.count()).select_from(Assessment)
        return session.scalar(q if ids is None else q.where(Assessment.dataset_id.in_(ids)))


def test_a_chunk_delivered_again_after_it_finished_is_skipped(runtime):
    with LocalServer() as srv:
        for k in range(3):
            srv.add_bytes(f"/f{k}.csv", CSV.encode(), "text/csv")
        ids = _datasets(runtime, srv.url("").rstrip("/"), 3)
        first = assess_chunk(runtime, ids, RUN_AT.isoformat())
        again = assess_chunk(runtime, ids, RUN_AT.isoformat())
    assert (first["assessed"], first["skipped"]) == (3, 0)
    assert (again["assessed"], again["skipped"]) == (0, 3)
    assert _count(runtime) == 3


def test_a_second_assessment_as_of_the_same_instant_is_refused_and_the_first_kept(runtime):
    with LocalServer() as srv:
        srv.add_bytes("/f0.csv", CSV.encode(), "text/csv")
        ids = _datasets(runtime, srv.url("").rstrip("/"), 1)
        assess_datasets(runtime, ids, now=RUN_AT)
        with pytest.raises(IntegrityError):
            assess_datasets(runtime, ids, now=RUN_AT)
        assess_datasets(runtime, ids, now=RUN_AT + dt.timedelta(days=7))
    with runtime.sessionmaker() as session:
        times = session.scalars(select(Assessment.assessed_at).order_by(Assessment.assessed_at)).all()
    assert [t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in times] == [RUN_AT, RUN_AT + dt.timedelta(days=7)]
    assert heap.settled()  # a process that assessed a batch keeps the collector off its modules from then on


def test_two_deliveries_of_one_chunk_running_at_once_assess_it_once(runtime):
    n = 4
    arrived = threading.Barrier(2, timeout=30)  # both deliveries are inside the link checks before either commits

    def slow_file(_req):
        try:
            arrived.wait()
        except threading.BrokenBarrierError:
            pass
        return 200, {"Content-Type": "text/csv"}, CSV.encode()

    results, errors = [], []

    def deliver():
        try:
            results.append(assess_chunk(runtime, ids, RUN_AT.isoformat()))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    with LocalServer() as srv:
        srv.add_route("/f0.csv", slow_file)
        for k in range(1, n):
            srv.add_bytes(f"/f{k}.csv", CSV.encode(), "text/csv")
        ids = _datasets(runtime, srv.url("").rstrip("/"), n)
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors, errors
    assert not arrived.broken, "both deliveries must have been checking links at the same time"
    assert _count(runtime, ids) == n
    assert sorted(r["assessed"] for r in results) == [0, n]  # the loser looked again and skipped all
    assert sum(r["skipped"] for r in results) == n


def test_migration_0012_keeps_one_of_each_doubled_assessment(tmp_path):
    url = f"sqlite:///{tmp_path / 'doubled.db'}"
    dbmod.upgrade(url, "0011")
    engine = dbmod.make_engine(url)
    row = ("'d1', '2026-11-30 08:00:00.000000', '1', 3, 70, 10, 'ok', '{}', '{}', '[]', '[]'")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO datasets (id, slug, title, description, keywords, themes, spatial, "
                              "conforms_to, language, state, extras, flags, content_hash, created_at, updated_at, "
                              "modified_at) VALUES ('d1', 'kept', '{}', '{}', '[]', '[]', '[]', '[]', '[]', "
                              "'active', '{}', '[]', 'abc', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                              "CURRENT_TIMESTAMP)"))
            for _ in range(2):
                conn.execute(text("INSERT INTO assessments (dataset_id, assessed_at, rule_version, stars, score, "
                                  "metadata_points, metadata_rating, subscores, data, distributions, findings) "
                                  f"VALUES ({row})"))
        dbmod.upgrade(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM assessments")).scalars().all() == [1]
        dbmod.check(url)
    finally:
        engine.dispose()


def test_assess_changed_takes_what_changed_since_its_last_assessment_not_every_harvested_dataset(runtime):
    """`opendata assess --changed` re-assessed every dataset any harvest had ever added, on every run (935 of 935,
    49 s, twice in a row)."""
    from app.assessment import changed_dataset_ids
    from catalog_schema.models import Dataset

    with LocalServer() as srv:
        for k in range(3):
            srv.add_bytes(f"/f{k}.csv", CSV.encode(), "text/csv")
        ids = _datasets(runtime, srv.url("").rstrip("/"), 3)
        assert changed_dataset_ids(runtime) == sorted(ids)  # never assessed
        assess_datasets(runtime, ids)
        assert changed_dataset_ids(runtime) == []  # nothing changed since
        with runtime.sessionmaker() as session:
            ds = session.get(Dataset, ids[1])
            ds.title = {"en": "Twin one, renamed"}
            ds.modified_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
            session.commit()
        assert changed_dataset_ids(runtime) == [ids[1]]
