"""A real catalog to move, and two catalogs compared table by table, row by row and by what they serve
(backups, restores, copies between databases).

`rows(url)` reads every catalog table through the models' column types (JSON decoded, timestamps as
datetimes), in primary-key order, as comparable values: a timestamp SQLite hands back without its zone is
taken as the UTC it was stored as, so a SQLite catalog and its PostgreSQL copy compare equal.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import Table, column, select, table, text
from sqlalchemy.engine import make_url

from app.assessment import assess_datasets
from app.jobs import Runtime
from app.services import datasets, distributions
from catalog_schema import db as dbmod
from catalog_schema.models import Base, Dataset, Distribution
from tests.support import services
from tests.support.accounts import acting_as, make_user
from tests.support.personal import csv_bytes
from tests.support.samples import harvested_samples

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SEARCH_CHANGES = table("search_changes", column("dataset_id"), column("seq"))


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def rows(url: str, paths: tuple[str, str] | None = None) -> dict[str, list[tuple]]:
    """Every row of every catalog table; `paths=(old, new)` reads archive paths under `old` as under `new`."""
    out: dict[str, list[tuple]] = {}
    engine = dbmod.make_engine(url)
    try:
        with engine.connect() as conn:
            for t in Base.metadata.sorted_tables:
                out[t.name] = [tuple(_path(_value(v), paths) for v in r) for r in conn.execute(_ordered(t))]
            out["search_changes"] = [tuple(r) for r in conn.execute(
                select(SEARCH_CHANGES).order_by(text("dataset_id")))]
    finally:
        engine.dispose()
    return out


def _ordered(t: Table):
    keys = list(t.primary_key.columns) or list(t.columns)
    return select(t).order_by(*keys)


def _path(value: Any, paths: tuple[str, str] | None) -> Any:
    if paths and isinstance(value, str) and value.startswith(paths[0].rstrip("/") + "/"):
        return paths[1].rstrip("/") + value[len(paths[0].rstrip("/")):]
    return value


def assert_same(left: dict[str, list[tuple]], right: dict[str, list[tuple]]) -> None:
    assert sorted(left) == sorted(right)
    for name in left:
        assert len(left[name]) == len(right[name]), f"{name}: {len(left[name])} rows, then {len(right[name])}"
        for a, b in zip(left[name], right[name], strict=True):
            assert a == b, f"{name}: {a!r} != {b!r}"


def build_catalog(app) -> None:
    """The demo government harvested, its files downloaded and assessed, an account that uploaded and published
    a dataset of its own (audit events, an uploaded file in the archive)."""
    values = dict(app.config["OPENDATA"])
    values.update({"HTTP_TIMEOUT": 5.0, "HTTP_RETRIES": 2, "HTTP_BACKOFF": 0.01})  # retries at once (conftest)
    rt = Runtime(values)
    try:
        with harvested_samples(rt) as (_files, summaries):
            assert all(s["status"] == "finished" for s in summaries.values()), summaries
            with rt.sessionmaker() as session:
                ids = list(session.scalars(select(Dataset.id)))
            assess_datasets(rt, ids, now=NOW)
    finally:
        rt.close()
    make_user(app, "editor@a.example", editor_of="agency-a")
    with acting_as(app, "editor@a.example") as (actor, _s):
        ds = datasets.create(actor, "agency-a", {"title": "Stops", "license": "CC-BY-4.0"}, slug="stops")
        distributions.add_upload(actor, ds, io.BytesIO(csv_bytes(["站点", "人数"], [["人民广场", "12"]])),
                                 "stops.csv")
        datasets.publish(actor, ds)


def new_database(db_url: str, tmp_path, name: str) -> str:
    """An empty database of the same kind as `db_url` (nothing created in it)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (name + '.db')}"
    database = f"{make_url(db_url).database}_{name}"
    admin = dbmod.make_engine(services.postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
        services.fast_commits(conn, database)
    admin.dispose()
    return db_url.rsplit("/", 1)[0] + "/" + database


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    admin = dbmod.make_engine(services.postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def served_answers(app) -> dict[str, tuple[int, bytes]]:
    """What the app answers to the API and data URLs of its catalog (pages: the status, their body carries a
    nonce of each response)."""
    client = app.test_client()
    with app.extensions["opendata"]["sessionmaker"]() as s:
        slugs = sorted(s.scalars(select(Dataset.slug).where(Dataset.state == "active")))
        dists = sorted((d.dataset.slug, d.id) for d in s.scalars(select(Distribution))
                       if d.archive_hash and d.dataset.state == "active")
    out = {}
    urls = ["/api/v1/datasets?per_page=100&sort=name", "/api/3/action/package_search?rows=1000&sort=name asc",
            "/api/3/action/organization_list?all_fields=true", "/data.json"]
    urls += [f"/api/v1/datasets/{slug}" for slug in slugs] + [f"/api/3/action/package_show?id={slug}" for slug in slugs]
    urls += [f"/dataset/{slug}/resource/{dist}/data.csv" for slug, dist in dists]
    for url in urls:
        resp = client.get(url)
        out[url] = (resp.status_code, resp.get_data())
    for url in ["/", "/dataset", *[f"/dataset/{slug}" for slug in slugs]]:
        out[url] = (client.get(url).status_code, b"")
    return out


def assert_same_answer(url: str, a: tuple[int, bytes], b: tuple[int, bytes]) -> None:
    """The same status and body; a JSON body compared as JSON. PostgreSQL's JSONB keeps an object's keys in an
    order of its own, so a SQLite catalog and its PostgreSQL copy may spell the same object in another order,
    and CKAN's `extras` list (made from a JSON object) may come in another order: compared as sets of keys."""
    assert a[0] == b[0], (url, a[0], b[0])
    if a[1] != b[1] and a[1][:1] in (b"{", b"["):
        assert _canonical(json.loads(a[1])) == _canonical(json.loads(b[1])), url
    else:
        assert a[1] == b[1], url


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if items and all(isinstance(v, dict) and set(v) == {"key", "value"} for v in items):
            return sorted(items, key=lambda v: v["key"])
        return items
    return value


def planner_rows(url: str, table: str) -> float:
    """PostgreSQL's estimate of `table`'s rows (pg_class.reltuples): -1 until the table is first analyzed."""
    engine = dbmod.make_engine(url)
    try:
        with engine.connect() as conn:
            return float(conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}))
    finally:
        engine.dispose()
