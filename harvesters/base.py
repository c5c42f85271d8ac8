"""The harvest job lifecycle: gather -> fetch -> import, with its bookkeeping.

A harvester subclass says how to list a source's records (`gather`), how to get
one (`fetch`, identity for most types) and how to map it to a catalog record
(`to_record`). `run_job` does the rest, the same for every type:

- upsert keyed by (source, remote id); an unchanged content hash writes nothing;
- every remote record is a HarvestRecord row (status, stage, error, original payload);
  one bad record is an error row and the job goes on;
- after a *full* gather, datasets of the source that were not seen are withdrawn
  (kept, hidden, restorable); an incremental gather withdraws nothing;
- records listed in the source's `config["detached"]` are skipped: their publisher took them over;
- each record is committed on its own, so a job killed at any point can be run again
  and ends with the catalog an uninterrupted run gives: nothing lost, nothing doubled;
- the job writes a heartbeat; `fail_dead_jobs` marks jobs whose heartbeat stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource, utcnow
from catalog_schema.record import Record, validation_errors
from catalog_schema.store import save_record

log = logging.getLogger(__name__)

BATCH = 100  # records imported per transaction (a page of CKAN results)
DEAD_AFTER = dt.timedelta(minutes=10)


@dataclass
class RemoteItem:
    """One record as the source holds it: its id there and its payload (kept verbatim)."""

    remote_id: str
    payload: Any
    record: Record | None = None  # when gather already mapped it (DCAT pages are parsed whole)
    error: str | None = None  # when gather could list it but not read it


class HarvestError(Exception):
    """The source as a whole could not be harvested (unreachable, not a catalog ...)."""


class Harvester(ABC):
    """Template method: subclasses implement gather and to_record; run_job drives them."""

    type: str = ""
    supports_incremental = False

    def __init__(self, source: HarvestSource, http: Any = None, *, since: dt.datetime | None = None):
        self.source = source
        self.http = http
        self.since = since if self.supports_incremental else None
        self.config: dict[str, Any] = dict(source.config or {})

    @abstractmethod
    def gather(self) -> Iterator[RemoteItem]:
        """Yield what the source holds now (all of it, or what changed since `self.since`)."""

    def fetch(self, item: RemoteItem) -> RemoteItem:
        return item

    @abstractmethod
    def to_record(self, item: RemoteItem) -> Record:
        """Map one remote record to a catalog record (raise ValueError with a clear message)."""

    @property
    def incremental(self) -> bool:
        return self.since is not None


@dataclass
class JobSummary:
    source: str
    job_id: int
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errored: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "job_id": self.job_id, "status": self.status, "added": self.added,
               "updated": self.updated, "unchanged": self.unchanged, "withdrawn": self.withdrawn,
               "errored": self.errored}
        if self.error:
            out["error"] = self.error
        return out


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    if isinstance(payload, bytes):
        return _storable(payload.decode("utf-8", "replace"))
    if isinstance(payload, str):
        return _storable(payload)
    return _storable(json.dumps(payload, ensure_ascii=False, default=str))


def _storable(text: str) -> str:
    """Text every database takes: NUL characters and lone surrogates (JSON's "\\ud800") spelled out."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _bad_text(value: Any) -> str | None:
    """Where a mapped record holds text that is not storable text: a NUL character or a lone surrogate."""
    stack = [("record", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"{where} holds a NUL character (\\u0000), which is not text"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"{where} holds {item[exc.start]!r}, a lone surrogate: not valid Unicode text"
        elif isinstance(item, dict):
            stack.extend((f"{where}.{key}", key) for key in item if isinstance(key, str))
            stack.extend((f"{where}.{key}", v) for key, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(session: Session, source: HarvestSource, *, full: bool = False) -> HarvestJob:
    job = HarvestJob(source=source, status="queued", full=full)
    session.add(job)
    session.flush()
    return job


def run_job(factory: sessionmaker[Session], job_id: int, harvester_cls: type[Harvester], *, http: Any = None,
            on_record: Callable[[str, str], None] | None = None,
            index: Callable[[Session, Dataset], None] | None = None) -> JobSummary:
    """Run one harvest job to its end. `on_record(status, remote_id)` reports progress;
    `index(session, dataset_ids)` keeps the search index in step with what each batch imported."""
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise HarvestError(f"no harvest job {job_id}")
        source = job.source
        source_id, source_name = source.id, source.name
        since = None if job.full else source.last_gathered_at
        job.since = since
        job.status = "running"
        job.started_at = utcnow()
        job.heartbeat_at = job.started_at
        job.worker = worker_name()
        started = job.started_at
        session.commit()
        harvester = harvester_cls(source, http, since=since)
        default_publisher = source.publisher.slug if source.publisher else None
        incremental = harvester.incremental

    seen = 0
    try:
        batch: list[RemoteItem] = []
        for item in harvester.gather():
            batch.append(item)
            if len(batch) >= BATCH:
                seen += _import_batch(factory, job_id, source_id, harvester, batch, default_publisher, index,
                                      on_record)
                batch = []
                _heartbeat(factory, job_id)
        if batch:
            seen += _import_batch(factory, job_id, source_id, harvester, batch, default_publisher, index, on_record)
    except Exception as exc:  # the source as a whole failed: keep what was imported, withdraw nothing
        log.warning("harvest of %s failed: %s", source_name, exc)
        return _finish(factory, job_id, "failed", error=_describe(exc))

    if not incremental:
        _withdraw_unseen(factory, job_id, source_id, index)
    with factory() as session:
        src = session.get(HarvestSource, source_id)
        src.last_gathered_at = started
        session.commit()
    return _finish(factory, job_id, "finished")


def _describe(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if not isinstance(exc, HarvestError) else text


@dataclass
class _Prepared:
    item: RemoteItem
    payload: str | None
    stage: str
    record: Record | None = None
    error: str | None = None


def _prepare(harvester: Harvester, item: RemoteItem, default_publisher: str | None) -> _Prepared:
    """Fetch and map one record, without touching the database (so a failure costs no rollback)."""
    prep = _Prepared(item, _payload_text(item.payload), "gather")
    try:
        if item.error:
            raise ValueError(item.error)
        prep.stage = "fetch"
        item = harvester.fetch(item)
        prep.item, prep.payload = item, _payload_text(item.payload)
        prep.stage = "import"
        record = item.record if item.record is not None else harvester.to_record(item)
        if not record.get("publisher") and default_publisher:
            record["publisher"] = {"slug": default_publisher}
        record.pop("id", None)  # the catalog assigns its own ids; the source's is `identifier`
        problems = validation_errors(record)
        if problems:
            raise ValueError("record does not match the catalog schema: " + "; ".join(problems[:5]))
        bad = _bad_text(record)
        if bad:  # the databases refuse it (PostgreSQL: NUL; both: surrogates), and a batch would fail whole
            raise ValueError(bad)
        prep.record = record
    except Exception as exc:
        prep.error = _describe(exc)
    return prep


def _import_batch(factory, job_id, source_id, harvester: Harvester, items: list[RemoteItem], default_publisher,
                  index, on_record) -> int:
    """Import a batch in one transaction (fast); if the database refuses any of it, redo it one record
    per transaction so that only the bad record becomes an error row."""
    prepared, seen_here = [], set()
    # Records the publisher detached from this source (app.services.datasets.detach) are its own now.
    detached = set(harvester.config.get("detached") or [])
    for item in items:
        if item.remote_id in seen_here:  # a source listing one id twice: count it once
            continue
        if item.remote_id in detached:
            continue
        seen_here.add(item.remote_id)
        prepared.append(_prepare(harvester, item, default_publisher))
    try:
        with factory() as session:
            changed: list[str] = []
            outcomes = [_save(session, job_id, source_id, prep, changed) for prep in prepared]
            session.flush()
            if index is not None and changed:
                index(session, changed)
            session.commit()
    except Exception as exc:
        log.info("batch of %d refused (%s); importing one by one", len(prepared), exc.__class__.__name__)
        outcomes = []
        for prep in prepared:
            with factory() as session:
                changed = []
                try:
                    outcomes.append(_save(session, job_id, source_id, prep, changed, check_done=True))
                    session.flush()
                    if index is not None and changed:
                        index(session, changed)
                    session.commit()
                except Exception as one_exc:
                    session.rollback()
                    if isinstance(one_exc, (OperationalError, InterfaceError)):
                        raise  # the database is down, not this record wrong: fail the batch, keep no error row
                    prep.record, prep.error = None, _describe(one_exc)
                    outcomes.append(_save(session, job_id, source_id, prep, []))
                    session.commit()
    if on_record:
        for prep, outcome in zip(prepared, outcomes, strict=True):
            on_record(outcome, prep.item.remote_id)
    return len(prepared)


def _save(session: Session, job_id: int, source_id: int, prep: _Prepared, changed: list[str],
          check_done: bool = False) -> str:
    if check_done:
        done = session.scalar(select(HarvestRecord).where(HarvestRecord.job_id == job_id,
                                                          HarvestRecord.remote_id == prep.item.remote_id))
        if done is not None:
            return done.status
    row = HarvestRecord(job_id=job_id, remote_id=prep.item.remote_id, payload=prep.payload, stage=prep.stage)
    if prep.record is None:
        row.status, row.error = "errored", prep.error
        session.add(row)
        return "errored"
    dataset, outcome = save_record(session, prep.record, source_id=source_id, remote_id=prep.item.remote_id,
                                   payload=prep.item.payload)
    row.dataset, row.content_hash, row.status = dataset, dataset.content_hash, outcome
    if outcome != "unchanged":
        changed.append(dataset.id)
    session.add(row)
    return outcome


def _withdraw_unseen(factory, job_id: int, source_id: int, index) -> None:
    """Withdraw this source's active datasets that the full gather did not list."""
    with factory() as session:
        seen_ids = select(HarvestRecord.remote_id).where(HarvestRecord.job_id == job_id)
        gone = session.scalars(select(Dataset).where(
            and_(Dataset.source_id == source_id, Dataset.state == "active", Dataset.remote_id.not_in(seen_ids))
        )).all()
        now = utcnow()
        for ds in gone:
            ds.state = "withdrawn"
            ds.withdrawn_at = now
            ds.modified_at = now
            session.add(HarvestRecord(job_id=job_id, remote_id=ds.remote_id, dataset=ds, status="withdrawn",
                                      stage="import"))
        session.flush()
        if index is not None and gone:
            index(session, [ds.id for ds in gone])
        session.commit()


def _heartbeat(factory, job_id: int) -> None:
    with factory() as session:
        session.execute(update(HarvestJob).where(HarvestJob.id == job_id).values(heartbeat_at=utcnow()))
        session.commit()


def job_counts(session: Session, job_id: int) -> dict[str, int]:
    rows = session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                           .group_by(HarvestRecord.status)).all()
    counts = {status: n for status, n in rows}
    counts["updated"] = counts.get("updated", 0) + counts.pop("restored", 0)
    return counts


def _finish(factory, job_id: int, status: str, error: str | None = None) -> JobSummary:
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        counts = job_counts(session, job_id)
        job.added = counts.get("added", 0)
        job.updated = counts.get("updated", 0)
        job.unchanged = counts.get("unchanged", 0)
        job.withdrawn = counts.get("withdrawn", 0)
        job.errored = counts.get("errored", 0)
        job.status = status
        job.error = error
        job.finished_at = utcnow()
        job.heartbeat_at = job.finished_at
        session.commit()
        return JobSummary(source=job.source.name, job_id=job.id, status=status, added=job.added,
                          updated=job.updated, unchanged=job.unchanged, withdrawn=job.withdrawn,
                          errored=job.errored, error=error)


def fail_dead_jobs(session: Session, *, dead_after: dt.timedelta = DEAD_AFTER,
                   now: dt.datetime | None = None) -> list[int]:
    """Mark running jobs whose heartbeat stopped as failed (their process died); returns their ids."""
    now = now or utcnow()
    cutoff = now - dead_after
    jobs = session.scalars(select(HarvestJob).where(HarvestJob.status == "running")).all()
    dead = []
    for job in jobs:
        beat = job.heartbeat_at or job.started_at or job.created_at
        if beat.tzinfo is None:  # SQLite gives naive datetimes back
            beat = beat.replace(tzinfo=dt.UTC)
        if beat < cutoff:
            job.status = "failed"
            job.error = f"the harvest process stopped (no heartbeat since {beat.isoformat()}); run it again"
            job.finished_at = now
            dead.append(job.id)
    session.commit()
    return dead
