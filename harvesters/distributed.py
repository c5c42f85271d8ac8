"""One harvest job split into tasks that many workers share: gather, import batches, finish.

`harvesters.base.run_job` runs a job in one process. On Celery workers the same job runs
in three stages (app/celery_app.py wires them to tasks):

1. `gather_job` lists the source (one task: the source is read in order, page after page)
   and hands each batch of BATCH records, as JSON, to `send_batch` (a task per batch);
   it returns how many distinct records it listed;
2. `import_items` imports one batch: any worker, any order, and safe to run twice (a record
   this job already holds is skipped; save_record matches by source + remote id and content
   hash, so a re-import writes nothing);
3. `finish_job` waits (returns None: "not yet") until the job holds a row for every listed
   record, then withdraws what a full gather did not list and closes the job. A job whose
   batches stopped arriving (no heartbeat for `dead_after`) fails saying how many records
   are missing, and a re-run of the harvest completes it.

Only the bookkeeping is here; no Celery, so the stages are tested without a broker too.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from catalog_schema import harvest_store
from catalog_schema.models import HarvestJob, HarvestRecord, utcnow
from harvesters.base import (
    BATCH,
    DEAD_AFTER,
    FAILED,
    FINISHED,
    NEEDS_CONFIRMATION,
    Harvester,
    HeldBack,
    JobSummary,
    ListingCheck,
    Pulse,
    RemoteItem,
    WithdrawPolicy,
    close_job,
    conclude_job,
    describe_error,
    error_detail,
    heartbeat,
    import_batch,
    nothing_listed,
    restore_relisted,
    withdraw_gone,
    worker_name,
)
from harvesters.messages import N_, Message, from_detail
from plumbing.interrupts import reraise_interruption

log = logging.getLogger(__name__)

Factory = sessionmaker[Session]


def encode_item(item: RemoteItem) -> dict[str, Any] | None:
    """A RemoteItem as JSON for a task message (payload, context and error: all a batch task's fresh
    harvester needs to map it); None when its payload has no JSON form (an object of a third-party
    harvester, say), and the gather task imports it itself."""
    payload = item.payload
    if isinstance(payload, bytes):
        data = {"id": item.remote_id, "b64": base64.b64encode(payload).decode("ascii"), "error": item.error}
    elif payload is None or isinstance(payload, (str, dict, list)):
        data = {"id": item.remote_id, "payload": payload, "error": item.error}
    else:
        return None
    if item.context is not None:
        data["context"] = item.context
    if item.hold:
        data["hold"] = True
    if isinstance(item.error, Message):
        data["error_detail"] = item.error.detail()  # the error row's msgid and parameters travel with it
    return data


def decode_item(data: dict[str, Any]) -> RemoteItem:
    payload = base64.b64decode(data["b64"]) if "b64" in data else data.get("payload")
    return RemoteItem(remote_id=data["id"], payload=payload, context=data.get("context"),
                      error=from_detail(data.get("error_detail"), data.get("error")), hold=bool(data.get("hold")))


def _harvester(session: Session, job: HarvestJob, harvester_cls: type[Harvester], http: Any):
    source = job.source
    harvester = harvester_cls(source, http, since=job.since)
    default_publisher = source.publisher.slug if source.publisher else None
    return harvester, default_publisher


def gather_job(factory: Factory, job_id: int, harvester_cls: type[Harvester], *, http: Any,
               send_batch: Callable[[list[dict[str, Any]]], None], index=None, batch_size: int = BATCH,
               policy: WithdrawPolicy | None = None, heartbeat_every: float | None = None) -> int | None:
    """Start job `job_id`, list its source and send the records on in batches. Returns the number of
    distinct records listed (what `finish_job` waits for), or None when the gather failed (the job
    is then failed with the source's error, and batches already sent find it closed and import nothing:
    the catalog keeps what earlier batches imported, and a re-run completes it)."""
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise LookupError(f"no harvest job {job_id}")
        source = job.source
        source_id, source_name, source_url = source.id, source.name, source.url
        harvest_store.start_job(job, since=None if job.full or not harvester_cls.supports_incremental
                                else source.last_gathered_at, worker=worker_name())
        session.commit()
        harvester, default_publisher = _harvester(session, job, harvester_cls, http)
        importer = _harvester(session, job, harvester_cls, http)[0]  # maps what this task imports itself
    detached = set(harvester.config.get("detached") or [])
    seen: set[str] = set()
    listing: list[str] = []  # the ids the first batch sent or imported lists (ListingCheck)
    gathered = 0
    batch: list[dict[str, Any]] = []
    local: list[RemoteItem] = []
    pulse = Pulse(factory, job_id, heartbeat_every) if heartbeat_every else Pulse(factory, job_id)
    check = ListingCheck(factory, job_id, source_id, source_name,
                         skip=harvester.incremental or bool(policy and policy.confirmed))
    with pulse:
        try:
            for item in harvester.gather():
                gathered += item.error is None  # error rows (an unreadable entry, a sheet row) list no dataset
                # The first listing of an id wins, as in run_job; detached records are not this source's.
                if item.remote_id in seen or item.remote_id in detached:
                    continue
                seen.add(item.remote_id)
                if item.error is None and not check.done:
                    listing.append(item.remote_id)
                encoded = encode_item(item)
                if encoded is None:
                    local.append(item)
                else:
                    batch.append(encoded)
                if len(batch) >= batch_size:
                    check(listing)
                    send_batch(batch)
                    batch = []
                if len(local) >= batch_size:
                    check(listing)
                    import_batch(factory, job_id, source_id, importer, local, default_publisher, index, None)
                    local = []
            if not gathered and not harvester.incremental and not (policy and policy.confirmed):
                raise nothing_listed(harvester, source_url)
            check(listing)
            if batch:
                send_batch(batch)
            if local:
                import_batch(factory, job_id, source_id, importer, local, default_publisher, index, None)
            listed = harvester.current_ids() if harvester.incremental else None
            relisted = restore_relisted(factory, job_id, source_id, harvester, importer, listed, default_publisher,
                                         index, None, batch_size, read=seen) if listed else 0
        except HeldBack as held:
            close_job(factory, job_id, NEEDS_CONFIRMATION, error=held.message)
            return None
        except Exception as exc:
            reraise_interruption(exc)
            if _database_unavailable(exc):
                raise  # not the source's fault: the task retries
            log.warning("harvest job %s: gather failed: %s", job_id, exc)
            close_job(factory, job_id, FAILED, error=describe_error(exc), detail=error_detail(exc))
            return None
        if listed is not None:  # incremental: what the source deleted goes now (a full gather: at the finish)
            held_back = withdraw_gone(factory, job_id, source_id, source_name, index, listed=listed,
                                      policy=policy or WithdrawPolicy())
            if held_back:
                with factory() as session:
                    harvest_store.hold_back(session, job_id, str(held_back),
                                            held_back.detail() if isinstance(held_back, Message) else None)
                    session.commit()
    with factory() as session:  # the batches are the workers' now: no one process holds the job
        harvest_store.release_job(session, job_id)
        session.commit()
    return len(seen) + relisted


def import_items(factory: Factory, job_id: int, harvester_cls: type[Harvester], items: list[dict[str, Any]], *,
                 http: Any = None, index=None) -> dict[str, Any]:
    """Import one batch of a running job; records the job already holds are skipped (a redelivered task)."""
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None or job.status != "running":
            return {"job_id": job_id, "skipped": len(items), "imported": 0, "worker": worker_name(),
                    "reason": f"job is {job.status if job else 'gone'}"}
        source_id = job.source_id
        harvester, default_publisher = _harvester(session, job, harvester_cls, http)
        ids = [it["id"] for it in items]
        done = set(session.scalars(select(HarvestRecord.remote_id).where(HarvestRecord.job_id == job_id,
                                                                         HarvestRecord.remote_id.in_(ids))))
    todo = [decode_item(it) for it in items if it["id"] not in done]
    if todo:
        import_batch(factory, job_id, source_id, harvester, todo, default_publisher, index, None)
    heartbeat(factory, job_id)
    return {"job_id": job_id, "imported": len(todo), "skipped": len(items) - len(todo), "worker": worker_name()}


def _summary(job: HarvestJob) -> JobSummary:
    return JobSummary.of(job)


def finish_job(factory: Factory, job_id: int, expected: int, harvester_cls: type[Harvester], *, index=None,
               dead_after: dt.timedelta = DEAD_AFTER, now: dt.datetime | None = None,
               policy: WithdrawPolicy | None = None) -> JobSummary | None:
    """Close job `job_id` once it holds all `expected` records; None while batches are still due."""
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise LookupError(f"no harvest job {job_id}")
        if job.status in (FINISHED, FAILED, NEEDS_CONFIRMATION):  # done already (a redelivered finish task)
            return _summary(job)
        have = session.scalar(select(func.count()).select_from(HarvestRecord).where(
            HarvestRecord.job_id == job_id, HarvestRecord.status != "withdrawn"))
        if have < expected:
            beat = job.heartbeat_at or job.started_at or job.created_at
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=dt.UTC)
            if beat >= (now or utcnow()) - dead_after:
                return None
            error = Message(N_("%(missing)s of %(expected)s records were never imported (their tasks were lost, "
                               "nothing arrived for %(seconds)s s); run the harvest again"),
                            missing=expected - have, expected=expected, seconds=int(dead_after.total_seconds()))
            log.warning("harvest job %s: %s", job_id, error)
            return close_job(factory, job_id, FAILED, error=error)
        incremental = harvester_cls.supports_incremental and job.since is not None
        source_id, started, source_name = job.source_id, job.started_at, job.source.name
        # the gather's incremental withdrawal, said again from its msgid and parameters when it has them
        held_back = from_detail(job.error_detail, job.error) if job.status == "running" else None
    if not incremental:
        held_back = withdraw_gone(factory, job_id, source_id, source_name, index, policy=policy or WithdrawPolicy())
    return conclude_job(factory, job_id, source_id, started, held_back)


def _database_unavailable(exc: BaseException) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))
