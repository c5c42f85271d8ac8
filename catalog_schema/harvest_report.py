"""A harvest source's report: its last jobs with their counts, what the latest job added, updated and
withdrawn, or would withdraw once a person confirms (titles, capped), and the latest job's errors grouped by kind
with a count and one example each.

One read for the three doors that show it: the page `/harvest/source/<name>`, the REST resource
`/api/v1/harvest/sources/<name>/report` and `opendata source show NAME [--json]`. It needs no bookkeeping
of its own: harvest_store.py keeps a row per remote record per job (added, updated, restored, unchanged,
withdrawn or errored, with the stage and the error), and the report reads those rows. Nothing here writes.

An error's kind is its stage and its message with what varies from record to record taken out (URLs,
quoted values, numbers, ids, field paths): "import / ValueError: record does not match the catalog
schema: license_raw: <n> is not of type '…', '…'" holds every record whose licence is a number.

Errors are English text (`error`: the JSON of the REST resource and of `source show --json` keeps it as it
was). Asked with `details=True` (the page and the command's text), a job and an example also carry
`error_detail`, the error's msgid and parameters (harvesters/messages.py), so that they are said in the
reader's language; None for plain text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource

JOBS = 5  # jobs listed by default
TITLES = 20  # titles listed per change by default
KINDS = 50  # error kinds listed at most
EXAMPLE_CHARS = 1000  # of an example's message
KIND_CHARS = 200  # of a kind's text

# The lists of the latest job, and the record statuses each holds (a restored dataset was updated; held back: what
# a job that needs confirmation would withdraw once a person confirms, harvest_store.hold_back_datasets).
CHANGES = {"added": ("added",), "updated": ("updated", "restored"), "withdrawn": ("withdrawn",),
           "held_back": ("held-back",)}
COUNTS = ("added", "updated", "unchanged", "withdrawn", "errored")

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
_QUOTED = re.compile(r"""(?<!\w)(?:'[^'\n]{0,300}'|"[^"\n]{0,300}")(?!\w)""")
_RECORD_PATH = re.compile(r"\brecord(?:\.[\w-]*|\[[^\]\s]*\])+")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_SPACE = re.compile(r"\s+")


def error_kind(message: str | None) -> str:
    """The class of an error message: its first line with URLs, quoted values, ids, numbers and record
    field paths replaced by placeholders, and only its first problem when it lists several ("a; b")."""
    text = (message or "").strip().split("\n", 1)[0]
    # what follows a URL is kept: punctuation, and the quote that closes it ('http://x/a.csv' -> '<url>')
    text = _URL.sub(lambda m: "<url>" + m.group(0)[len(m.group(0).rstrip(":,;.)'\"")):], text)
    text = _QUOTED.sub("'…'", text)
    text = _RECORD_PATH.sub("record.…", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    text = text.split("; ", 1)[0]
    text = _SPACE.sub(" ", text).strip()
    return text[:KIND_CHARS] if text else "(no message)"


#: harvesters.files joins a sheet row's problems with this msgid.
JOINED = "%(first)s; %(rest)s"


def kind_detail(detail: Any) -> dict[str, Any] | None:
    """The kind of an error kept with its msgid and parameters (harvesters/messages.py), the same way: each
    parameter taken through `error_kind` (a URL is "<url>", a number "<n>" ...), so that the kind is said in
    the reader's language too. None when `detail` is none."""
    if not isinstance(detail, dict):
        return None
    if detail.get("msgid") == JOINED and isinstance((detail.get("params") or {}).get("first"), dict):
        # a list of problems ("a; b"): its first only, as error_kind keeps of the English (in zh the kind was
        # the first example's whole list, and named problems the other rows of the kind did not have)
        return kind_detail(detail["params"]["first"])
    params = detail.get("params")
    if not isinstance(params, dict):
        return detail
    return {**detail, "params": {k: kind_detail(v) if isinstance(v, dict) else error_kind(v) if isinstance(v, str)
                                 else "<n>" if isinstance(v, (int, float)) else v for k, v in params.items()}}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Stored times are UTC; SQLite hands them back without their zone."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _live_counts(session: Session, job_id: int) -> dict[str, int]:
    """A job's counts from its record rows (a running job's own columns are filled when it ends)."""
    rows = session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                           .group_by(HarvestRecord.status)).all()
    by_status = {status: int(n) for status, n in rows}
    return {key: sum(by_status.get(s, 0) for s in CHANGES.get(key, (key,))) for key in (*COUNTS, *CHANGES)}


def _job(session: Session, job: HarvestJob, details: bool = False) -> dict[str, Any]:
    closed = job.status in ("finished", "failed")
    live = None if closed else _live_counts(session, job.id)
    counts = {key: int(getattr(job, key) or 0) if live is None else live[key] for key in COUNTS}
    out = {"id": job.id, "status": job.status, "full": bool(job.full), "since": _aware(job.since),
           "created_at": _aware(job.created_at),
           "started_at": _aware(job.started_at), "finished_at": _aware(job.finished_at), **counts,
           "error": job.error}
    if details:
        out["error_detail"] = job.error_detail
    return out


def _changes(session: Session, job_id: int, statuses: tuple[str, ...], total: int, limit: int) -> dict[str, Any]:
    rows = session.execute(
        select(HarvestRecord.remote_id, HarvestRecord.status, Dataset.slug, Dataset.title, Dataset.state)
        .outerjoin(Dataset, Dataset.id == HarvestRecord.dataset_id)
        .where(HarvestRecord.job_id == job_id, HarvestRecord.status.in_(statuses))
        .order_by(HarvestRecord.id).limit(limit)).all()
    items = [{"remote_id": remote_id, "status": status, "dataset": slug, "title": title or {}, "state": state}
             for remote_id, status, slug, title, state in rows]
    return {"total": total, "items": items, "more": max(0, total - len(items))}


def _errors(session: Session, job_id: int, limit: int, details: bool = False) -> dict[str, Any]:
    rows = session.execute(select(HarvestRecord.id, HarvestRecord.remote_id, HarvestRecord.stage,
                                  HarvestRecord.error)
                           .where(HarvestRecord.job_id == job_id, HarvestRecord.status == "errored")
                           .order_by(HarvestRecord.id).execution_options(yield_per=1000))
    kinds: dict[tuple[str, str], dict[str, Any]] = {}
    examples: dict[int, dict[str, Any]] = {}  # record row id -> its example (for its detail)
    total = 0
    for row_id, remote_id, stage, error in rows:
        total += 1
        key = (stage or "", error_kind(error))
        found = kinds.get(key)
        if found is None:
            kinds[key] = {"stage": stage, "kind": key[1], "count": 1,
                          "example": {"remote_id": remote_id, "error": (error or "")[:EXAMPLE_CHARS]}}
            examples[row_id] = kinds[key]["example"]
        else:
            found["count"] += 1
    ranked = sorted(kinds.values(), key=lambda k: -k["count"])  # stable: ties keep their first appearance
    if details:  # only the examples' details are read (one query), not every errored row's
        for example in examples.values():
            example["error_detail"] = None
        listed = {id(k["example"]) for k in ranked[:limit]}
        shown = [row_id for row_id, example in examples.items() if id(example) in listed]
        for start in range(0, len(shown), 500):
            for row_id, detail in session.execute(select(HarvestRecord.id, HarvestRecord.error_detail)
                                                  .where(HarvestRecord.id.in_(shown[start:start + 500]))):
                examples[row_id]["error_detail"] = detail
        for kind in ranked[:limit]:
            kind["kind_detail"] = kind_detail(kind["example"]["error_detail"])
    return {"total": total, "kinds": ranked[:limit], "more_kinds": max(0, len(ranked) - limit)}


def job_report(session: Session, job: HarvestJob, *, titles: int = TITLES, kinds: int = KINDS,
               details: bool = False) -> dict[str, Any]:
    """One job: its summary, the datasets it added, updated (or restored) and withdrawn (the first `titles`
    of each, in the order it met them, with how many more), and its errors grouped by kind. `details`: the
    job and each example carry their `error_detail` too."""
    live = _live_counts(session, job.id)
    report = {"job": _job(session, job, details)}
    for key, statuses in CHANGES.items():
        report[key] = _changes(session, job.id, statuses, live[key], titles)
    report["errors"] = _errors(session, job.id, kinds, details)
    return report


def source_report(session: Session, name: str, *, jobs: int = JOBS, titles: int = TITLES,
                  kinds: int = KINDS, details: bool = False) -> dict[str, Any] | None:
    """The report of the source named `name` (None when there is none): the source, its last `jobs` jobs
    newest first, how many it ran in all, and the newest job's `job_report` (None before the first job).
    `details`: errors carry their `error_detail` (msgid and parameters) beside their English text."""
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if src is None:
        return None
    recent = session.scalars(select(HarvestJob).where(HarvestJob.source_id == src.id)
                             .order_by(HarvestJob.id.desc()).limit(max(1, jobs))).all()
    total = session.scalar(select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == src.id))
    return {
        "source": {"name": src.name, "type": src.type, "url": src.url,
                   "publisher": src.publisher.slug if src.publisher else None, "schedule": src.schedule,
                   "enabled": bool(src.enabled), "last_gathered_at": _aware(src.last_gathered_at),
                   "deleted_at": _aware(src.deleted_at)},
        "jobs_total": int(total or 0),
        "jobs": [_job(session, j, details) for j in recent[:jobs]],
        "latest": job_report(session, recent[0], titles=titles, kinds=kinds, details=details) if recent else None,
    }


def to_json(value: Any) -> Any:
    """The report with its times as RFC 3339 text, for JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value
