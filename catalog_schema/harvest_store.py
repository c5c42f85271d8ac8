"""Harvest bookkeeping in and out of the database: jobs, per-record rows, withdrawals of records a source
no longer lists. Beside store.py, the only code that writes these rows; harvesters call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from catalog_schema.models import Assessment, Dataset, HarvestJob, HarvestRecord, HarvestSource, utcnow
from catalog_schema.store import (
    add_harvested,
    among,
    bulk_insert,
    harvested_from_source,
    load_datasets,
    save_record,
    set_lifecycle,
)

known_records = harvested_from_source

#: Tables a harvest looks rows up in by (source or job, remote id) while it fills them, and the columns its lookups
#: filter on: what `keep_statistics` has PostgreSQL count. The planner needs the tables' sizes (which any ANALYZE
#: takes) and these columns' statistics; the other fifty of `datasets` (long texts, JSON) it does not need for
#: these lookups, and counting them made an ANALYZE of 20,000 harvested datasets take 1.6-1.9 s instead of
#: 0.13-0.2 s, five times a first harvest (autovacuum counts every column once the harvest is done).
_GROWING = {"datasets": ("source_id", "remote_id", "state"), "harvest_records": ("job_id", "remote_id", "status")}


def keep_statistics(session: Session) -> bool:
    """On PostgreSQL, ANALYZE the tables a harvest fills once they hold more than twice the rows the planner
    last counted (and at least 1,000). Without it, a first big harvest into a new catalog is quadratic: the
    planner, believing a table nearly empty, reads every row of the source to find a batch's 100 (seen:
    22 ms a batch at 20,000 datasets, 2 ms at 2,000). A few ANALYZEs in all (the threshold doubles);
    returns whether it ran one (the caller commits it)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    # pg_stat_get_live_tuples is the n_live_tup of the view pg_stat_user_tables, read without the view (which
    # computes every statistic of every table: some 8 ms, on each batch)
    rows = session.execute(text(
        "SELECT c.relname, c.reltuples, pg_stat_get_live_tuples(c.oid) FROM pg_class c "
        "WHERE c.relname IN ('datasets', 'harvest_records') AND c.relnamespace = to_regnamespace(current_schema()) "
        "AND c.relkind IN ('r', 'p')"))
    stale = [name for name, counted, live in rows if live >= 1000 and live > 2 * max(counted, 0)]
    for name in stale:
        columns = ", ".join(f'"{column}"' for column in _GROWING[name])
        session.execute(text(f'ANALYZE "{name}" ({columns})'))  # names of _GROWING, not input
    return bool(stale)


def commit_without_waiting_for_the_disk(session: Session) -> None:
    """On PostgreSQL, the session's transaction commits without waiting for its WAL to reach the disk
    (`synchronous_commit` off, for this transaction only). A harvest commits a batch of records at a time: if
    the server (not the harvest) crashed in the next fraction of a second, the last batches are lost whole, as
    if never imported, and the next run imports them again (their payload hashes are not in the catalog); the
    database itself stays consistent. On SQLite nothing (its log is synced at checkpoints only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def create_job(session: Session, source: HarvestSource, *, full: bool = False) -> HarvestJob:
    job = HarvestJob(source=source, status="queued", full=full)
    session.add(job)
    session.flush()
    return job


def start_job(job: HarvestJob, *, since: dt.datetime | None, worker: str) -> dt.datetime:
    job.since = since
    job.status = "running"
    job.started_at = job.heartbeat_at = utcnow()
    job.worker = worker
    return job.started_at


def heartbeat(session: Session, job_id: int) -> None:
    session.execute(update(HarvestJob).where(HarvestJob.id == job_id).values(heartbeat_at=utcnow()))


def mark_gathered(session: Session, source_id: int, at: dt.datetime) -> None:
    session.get(HarvestSource, source_id).last_gathered_at = at


def record_done(session: Session, job_id: int, remote_id: str) -> HarvestRecord | None:
    return session.scalar(select(HarvestRecord).where(HarvestRecord.job_id == job_id,
                                                      HarvestRecord.remote_id == remote_id))


def record_error(session: Session, job_id: int, remote_id: str, *, payload: str | None, stage: str,
                 error: str | None, error_detail: dict[str, Any] | None = None) -> str:
    session.add(HarvestRecord(job_id=job_id, remote_id=remote_id, payload=payload, stage=stage, status="errored",
                              error=error, error_detail=error_detail))
    return "errored"


def import_record(session: Session, job_id: int, source_id: int, remote_id: str, record: dict[str, Any], *,
                  payload_text: str | None, payload: Any, stage: str) -> tuple[Dataset, str]:
    """Upsert the dataset a harvested record describes and keep the per-record row. Returns (dataset,
    outcome: added, updated, unchanged or restored)."""
    dataset, outcome = save_record(session, record, source_id=source_id, remote_id=remote_id, payload=payload)
    # no payload on the row: the dataset holds it (see import_records)
    session.add(HarvestRecord(job_id=job_id, remote_id=remote_id, payload=None, stage=stage,
                              dataset=dataset, content_hash=None if outcome == "unchanged" else dataset.content_hash,
                              status=outcome))
    return dataset, outcome



def import_records(session: Session, job_id: int, source_id: int, entries: list[dict[str, Any]],
                   known: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Import a batch of harvested records of job `job_id` in the session's transaction; returns (outcome,
    dataset id) per entry, in order.

    Each entry: remote_id, stage, payload_text (kept on an error row), and either `error` (an error row),
    `unchanged` (its payload hash is the dataset's: nothing to write but the row), or `record` (mapped and
    validated) with payload and payload_hash. `known`: harvested_from_source for the batch's remote ids.

    Records the catalog does not hold yet are inserted in bulk (store.add_harvested); the others are
    loaded together and updated through save_record; the record rows go in one INSERT."""
    now = utcnow()
    results: list[tuple[str, str | None] | None] = [None] * len(entries)
    fresh, existing = [], []
    for i, entry in enumerate(entries):
        row = known.get(entry["remote_id"])
        if entry.get("unchanged"):
            results[i] = ("unchanged", row.id)
        elif entry.get("record") is None:
            results[i] = ("errored", None)
        elif row is None and not any(d.get("catalog_id") for d in entry["record"].get("distributions") or []):
            fresh.append(i)
        else:
            existing.append(i)
    loaded = load_datasets(session, [known[entries[i]["remote_id"]].id for i in existing
                                     if entries[i]["remote_id"] in known])
    hashes: dict[int, str | None] = {}
    for i in existing:
        entry = entries[i]
        row = known.get(entry["remote_id"])
        dataset, outcome = save_record(session, entry["record"], source_id=source_id, remote_id=entry["remote_id"],
                                       payload=entry.get("payload"), payload_hash=entry.get("payload_hash"),
                                       dataset=loaded.get(row.id) if row is not None else None)
        results[i] = (outcome, dataset.id)
        hashes[i] = dataset.content_hash
    if existing:
        session.flush()  # the datasets' rows are written before record rows point at them
    added = add_harvested(session, source_id, [entries[i] for i in fresh])
    for i, (dataset_id, digest) in zip(fresh, added, strict=True):
        results[i] = ("added", dataset_id)
        hashes[i] = digest
    rows = []
    for i, (entry, (outcome, dataset_id)) in enumerate(zip(entries, results, strict=True)):
        rows.append({"job_id": job_id, "remote_id": entry["remote_id"], "dataset_id": dataset_id,
                     "status": outcome, "stage": entry["stage"],
                     "error": entry.get("error") if outcome == "errored" else None,
                     "error_detail": entry.get("error_detail") if outcome == "errored" else None,
                     # Only an errored row keeps its payload (the job's pages show what failed). Any other row's
                     # payload is its dataset's source payload, stored once there: an unchanged record's is the
                     # same hash, and an imported one's was just written to its dataset. A second copy on the row
                     # was never read, doubled a harvest's bytes, and was rewritten by the prune.
                     "payload": entry.get("payload_text") if outcome == "errored" else None,
                     # An unchanged row points at its dataset, whose content it is (the hash is the dataset's):
                     # 20,000 unchanged rows a daily harvest kept a 64-character copy each (a sixth of the row).
                     "content_hash": None if outcome == "unchanged" else hashes.get(i),
                     "created_at": now})
    bulk_insert(session, HarvestRecord, rows)
    return results  # type: ignore[return-value]

def gone_from_source(session: Session, job_id: int, source_id: int,
                     listed: set[str] | None = None) -> list[Dataset]:
    """This source's active datasets that are gone from it: those job `job_id` did not list (a full gather),
    or, given `listed` (the ids the source holds now, read beside an incremental gather), those not in it."""
    where = [Dataset.source_id == source_id, Dataset.state == "active"]
    if listed is None and session.get_bind().dialect.name == "postgresql":
        # The job's record rows as they are now, counted: statistics taken while the job had written few of
        # them sometimes had the anti-join below look up every dataset in all of the job's rows (seen: 20 s
        # instead of 0.05 s for an unchanged harvest of 20,000). One sampled ANALYZE a job.
        session.execute(text("ANALYZE harvest_records"))
    if listed is None:
        # NOT EXISTS, an anti-join: `remote_id NOT IN (subquery)` cannot be hashed once the job's ids outgrow
        # work_mem, and PostgreSQL then scanned the job's records once for every dataset (at 391,139
        # datasets it was still running after five minutes)
        listed_by_job = select(HarvestRecord.id).where(HarvestRecord.job_id == job_id,
                                                       HarvestRecord.remote_id == Dataset.remote_id)
        where += [Dataset.remote_id.is_not(None), ~exists(listed_by_job)]
        return list(session.scalars(select(Dataset).where(and_(*where))).all())
    return [ds for ds in session.scalars(select(Dataset).where(and_(*where))) if ds.remote_id not in listed]


def withdrawn_by_harvest(session: Session, source_id: int, job_id: int, listed: set[str],
                         harvests: Callable[[str | None], Any]) -> set[str]:
    """The remote ids, among `listed`, of this source's datasets a harvest withdrew (`harvests(reason)` says the
    reason is a harvest's: not a person's withdrawal, which a harvest never undoes) and job `job_id` has no row of."""
    found: set[str] = set()
    rows = session.execute(select(Dataset.remote_id, Dataset.withdrawn_reason).where(
        Dataset.source_id == source_id, Dataset.state == "withdrawn", Dataset.remote_id.is_not(None)))
    candidates = [remote for remote, reason in rows if remote in listed and harvests(reason)]
    for start in range(0, len(candidates), 500):
        chunk = candidates[start:start + 500]
        done = set(session.scalars(select(HarvestRecord.remote_id).where(
            HarvestRecord.job_id == job_id, among(session, HarvestRecord.remote_id, chunk))))
        found.update(remote for remote in chunk if remote not in done)
    return found


def active_from_source(session: Session, source_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Dataset).where(
        Dataset.source_id == source_id, Dataset.state == "active")) or 0


def active_datasets_from_source(session: Session, source_id: int) -> list[Any]:
    """(id, remote_id) of this source's active datasets (what hold_back_datasets reads of them)."""
    return list(session.execute(select(Dataset.id, Dataset.remote_id).where(Dataset.source_id == source_id,
                                                                            Dataset.state == "active")))


def withdraw(session: Session, job_id: int, datasets: list[Dataset], *, reason: str) -> list[Dataset]:
    """Withdraw `datasets` (kept, hidden, restorable) as job `job_id`'s doing; returns them."""
    for ds in datasets:
        set_lifecycle(ds, "withdrawn", reason=reason)
        session.add(HarvestRecord(job_id=job_id, remote_id=ds.remote_id, dataset=ds, status="withdrawn",
                                  stage="import"))
    session.flush()
    return list(datasets)


#: The status of a record row naming a dataset a job would have withdrawn, had a person confirmed it
#: (`hold_back_datasets`): the report lists them, so that whoever confirms knows what goes.
HELD_BACK = "held-back"


def hold_back_datasets(session: Session, job_id: int, datasets: list[Dataset]) -> None:
    """Note on job `job_id` each of `datasets` it did not withdraw because more were gone than a job may withdraw
    unasked: a row each, status HELD_BACK (the datasets stay as they are)."""
    ids = [ds.remote_id for ds in datasets if ds.remote_id is not None]
    # one the job read and then no longer found listed (changed, then deleted mid-run) has its row already
    seen: set[str] = set()
    for start in range(0, len(ids), 500):
        seen.update(session.scalars(select(HarvestRecord.remote_id).where(
            HarvestRecord.job_id == job_id, among(session, HarvestRecord.remote_id, ids[start:start + 500]))))
    now = utcnow()
    bulk_insert(session, HarvestRecord, [
        {"job_id": job_id, "remote_id": ds.remote_id, "dataset_id": ds.id, "status": HELD_BACK, "stage": "import",
         "created_at": now} for ds in datasets if ds.remote_id is not None and ds.remote_id not in seen])


def reviewed_withdrawals(session: Session, source_id: int, job_id: int) -> set[str] | None:
    """The remote ids a person was shown as "to be withdrawn once confirmed": the HELD_BACK rows of this source's last
    ended job before `job_id`, when that job ended needing confirmation; None when it did not (no list was shown)."""
    last = session.execute(select(HarvestJob.id, HarvestJob.status).where(
        HarvestJob.source_id == source_id, HarvestJob.id < job_id,
        HarvestJob.status.in_(("finished", "failed", "needs-confirmation"))).order_by(HarvestJob.id.desc()).limit(1)
    ).first()
    if last is None or last.status != "needs-confirmation":
        return None
    return set(session.scalars(select(HarvestRecord.remote_id).where(HarvestRecord.job_id == last.id,
                                                                     HarvestRecord.status == HELD_BACK)))


def job_counts(session: Session, job_id: int) -> dict[str, int]:
    rows = session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                           .group_by(HarvestRecord.status)).all()
    counts = {status: n for status, n in rows}
    counts["updated"] = counts.get("updated", 0) + counts.pop("restored", 0)
    return counts


def finish_job(session: Session, job_id: int, status: str, error: str | None = None, *,
               detail: dict[str, Any] | None = None) -> HarvestJob:
    """Close a job with its counters taken from its record rows; `detail`: the error's msgid and parameters
    (harvesters.messages), None when it is plain text."""
    job = session.get(HarvestJob, job_id)
    counts = job_counts(session, job_id)
    job.added = counts.get("added", 0)
    job.updated = counts.get("updated", 0)
    job.unchanged = counts.get("unchanged", 0)
    job.withdrawn = counts.get("withdrawn", 0)
    job.errored = counts.get("errored", 0)
    job.status = status
    job.error = error
    job.error_detail = detail
    job.finished_at = job.heartbeat_at = utcnow()
    return job


def fail_dead_jobs(session: Session, *, dead_after: dt.timedelta, stall_after: dt.timedelta | None = None,
                   now: dt.datetime | None = None, host: str | None = None,
                   alive: Callable[[int], bool] | None = None) -> list[int]:
    """Fail running jobs whose process is gone; returns their ids. A job held by a process (`worker` is
    "host:pid") is dead at once when the process is on `host` and `alive(pid)` says it is gone, else when its
    heartbeat is older than `dead_after`. A job no process holds (its batches wait in a queue for workers)
    is dead when nothing happened for `stall_after`. The dead job keeps its true counters."""
    now = now or utcnow()
    dead = []
    for job in session.scalars(select(HarvestJob).where(HarvestJob.status == "running")).all():
        beat = job.heartbeat_at or job.started_at or job.created_at
        if beat.tzinfo is None:  # SQLite gives naive datetimes back
            beat = beat.replace(tzinfo=dt.UTC)
        held_by = holder(job)
        holder_host, _, pid = (held_by or "").rpartition(":")
        detail = None
        if held_by and holder_host == host and pid.isdigit() and alive is not None and not alive(int(pid)):
            detail = _said(N_("the harvest process %(holder)s is gone (killed or crashed); run it again"),
                           holder=held_by)
        elif beat < now - (dead_after if held_by else (stall_after or dead_after)):
            since = beat.isoformat(timespec="seconds")
            detail = (_said(N_("its process %(holder)s stopped: no heartbeat since %(since)s; run it again"),
                            holder=held_by, since=since) if held_by else
                      _said(N_("its queued batches stopped: no heartbeat since %(since)s; run it again"), since=since))
        if detail:
            finish_job(session, job.id, "failed", detail["msgid"] % detail["params"], detail=detail)
            job.finished_at = now
            dead.append(job.id)
    return dead


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name: the interface's catalog extracts these msgids)
    return msgid


def _said(msgid: str, **params: str) -> dict[str, Any]:
    """A job's error as `error_detail` keeps it ({"msgid", "params"}, as harvesters.messages writes them): the
    pages and the command line say it in the reader's language, `error` keeps the English."""
    return {"msgid": msgid, "params": params}


def hold_back(session: Session, job_id: int, sentence: str, detail: dict[str, Any] | None = None) -> None:
    """Keep, on a running job, why it withdrew nothing (it ends "needs-confirmation" saying so), with the
    sentence's msgid and parameters (`detail`)."""
    session.execute(update(HarvestJob).where(HarvestJob.id == job_id).values(error=sentence, error_detail=detail))


RELEASED = " (gathered)"  # after a worker name: its gather is over, the job's batches wait for any worker


def release_job(session: Session, job_id: int) -> None:
    """The job's gather is over and its batches wait for any worker: no one process holds it any more (the
    worker that gathered stays named, marked as done with it)."""
    job = session.get(HarvestJob, job_id)
    if job.worker and not job.worker.endswith(RELEASED):
        job.worker += RELEASED
    job.heartbeat_at = utcnow()


def holder(job: HarvestJob) -> str | None:
    """The "host:pid" of the process that holds a running job, or None when none does."""
    if not job.worker or job.worker.endswith(RELEASED):
        return None
    return job.worker


def awaiting_assessment(session: Session, source_id: int, before_job: int | None = None) -> list[str]:
    """Active datasets that failed jobs of this source added or changed and no assessment has looked at since
    (a harvest killed before its assessment ran), and those of its last finished job before `before_job` (one
    killed during its assessment: the job had finished, 341 of its 402 datasets were never assessed, and the
    re-run found them unchanged): the next finished job assesses them too."""
    since_import = select(Assessment.id).where(Assessment.dataset_id == HarvestRecord.dataset_id,
                                               Assessment.assessed_at >= HarvestRecord.created_at)
    which = HarvestJob.status == "failed"
    if before_job is not None:
        last = session.scalar(select(func.max(HarvestJob.id)).where(
            HarvestJob.source_id == source_id, HarvestJob.status == "finished", HarvestJob.id < before_job))
        if last is not None:
            which = or_(which, HarvestJob.id == last)
    rows = session.scalars(
        select(HarvestRecord.dataset_id).join(HarvestJob, HarvestRecord.job_id == HarvestJob.id)
        .join(Dataset, Dataset.id == HarvestRecord.dataset_id)
        .where(HarvestJob.source_id == source_id, which,
               HarvestRecord.status.in_(("added", "updated", "restored")), Dataset.state == "active",
               ~since_import.exists()))
    return sorted(set(rows))
