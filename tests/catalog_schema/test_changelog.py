"""The change log (catalog_schema/changelog.py): which writes give a dataset a new change number.

A search index catches up from it, so a write that changes what an index reads must be logged, and a write that
changes nothing an index reads need not be: a weekly re-check of an unchanged catalog rewrites every
distribution's link-check columns, and logging those sent the whole catalog to be indexed again every week.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, Text, select, text

from catalog_schema import search as S
from catalog_schema.changelog import INDEXED_DISTRIBUTION_FIELDS
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import new_record
from catalog_schema.store import save_record


def _seq(session, ds_id: str) -> int | None:
    return session.scalar(text("SELECT seq FROM search_changes WHERE dataset_id = :i"), {"i": ds_id})


def _other_value(column, now):
    """A value of the column's type unlike any the dataset below was saved with."""
    kind = type(column.type)
    if issubclass(kind, JSON):
        return {"changed": [1, "二"]}
    if issubclass(kind, DateTime):
        return dt.datetime(2031, 2, 3, 4, 5, 6)
    if issubclass(kind, (Integer, BigInteger)):
        return 987654
    if issubclass(kind, (String, Text)):
        return "changed-" + now[:max(0, (column.type.length or 40) - 8)][:20]
    if issubclass(kind, Boolean):
        return True
    raise AssertionError(f"no value for {column.name} of type {column.type}")


def test_a_distribution_column_no_index_reads_is_not_logged_and_changes_no_document(session):
    ds, _ = save_record(session, new_record(slug="logged", title={"en": "Bus stops"}, distributions=[
        {"download_url": "http://127.0.0.1/stops.csv", "format": "CSV"}]))
    session.commit()
    ds_id, row_id = ds.id, ds.distributions[0].id

    def document():
        return S._rows(session, session.execute(S._row_query().where(Dataset.id == ds_id)).all())

    before, seq = document(), _seq(session, ds_id)
    assert seq is not None
    others = [c for c in Distribution.__table__.columns
              if not c.primary_key and c.name not in INDEXED_DISTRIBUTION_FIELDS]
    assert {"check_status", "last_checked", "pii", "archive_hash", "etag"} <= {c.name for c in others}
    for column in others:
        row = session.get(Distribution, row_id)
        setattr(row, column.key, _other_value(column, "value"))
        session.commit()
        assert _seq(session, ds_id) == seq, f"a change of {column.name} was logged"
        assert document() == before, f"the index reads {column.name}: add it to INDEXED_DISTRIBUTION_FIELDS"

    row = session.get(Distribution, row_id)
    row.format = "JSON"  # what the index reads: logged, and the document changes
    session.commit()
    assert _seq(session, ds_id) > seq and document() != before
    assert document()[0].formats == ["JSON"]


def test_a_new_or_deleted_distribution_is_logged(session):
    ds, _ = save_record(session, new_record(slug="grows", title={"en": "Parks"}, distributions=[]))
    session.commit()
    seq = _seq(session, ds.id)
    ds.distributions.append(Distribution(position=0, title={}, description={}, language=[], conforms_to=[],
                                         extras={}, download_url="http://127.0.0.1/parks.csv"))
    session.commit()
    added = _seq(session, ds.id)
    assert added > seq
    session.delete(session.scalars(select(Distribution).where(Distribution.dataset_id == ds.id)).one())
    session.commit()
    assert _seq(session, ds.id) > added
