"""`set_evidence`: a value the loaded row holds already is not set again (the flush and the change log then
look only at what changed); a new row takes every value given, and the stored row is the same either way."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from catalog_schema.db import upgrade
from catalog_schema.models import Distribution
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record, set_evidence


def test_only_changed_evidence_is_set_on_a_loaded_row(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    engine = create_engine(url)
    at = dt.datetime(2026, 12, 3, 12, 0)
    with Session(engine) as session:
        ds, _ = save_record(session, new_record(slug="d", title={"en": "D"}, distributions=[
            new_distribution(format="CSV", download_url="http://example.org/d.csv")]))
        row = ds.distributions[0]
        set_evidence(row, check_status="ok", http_status=200, failure_count=0, last_checked=at)
        session.commit()
        dist_id = row.id
    with Session(engine) as session:
        row = session.get(Distribution, dist_id)
        set_evidence(row, check_status="ok", http_status=200, failure_count=0, last_checked=at)
        assert not inspect(row).committed_state and not session.dirty  # nothing changed: nothing set
        set_evidence(row, check_status="unchanged", http_status=304, failure_count=0)
        assert set(inspect(row).committed_state) == {"check_status", "http_status"}
        set_evidence(row, http_status=304.0)  # the same number of another type is set again
        assert "http_status" in inspect(row).committed_state
        session.commit()
    with Session(engine) as session:
        row = session.get(Distribution, dist_id)
        assert (row.check_status, row.http_status, row.failure_count, row.last_checked) == ("unchanged", 304, 0, at)
    fresh = Distribution(id="new")
    set_evidence(fresh, check_status=None, failure_count=0)  # not loaded: every value is set, None too
    assert {"check_status", "failure_count"} <= set(fresh.__dict__)
