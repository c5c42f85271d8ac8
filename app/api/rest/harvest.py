"""Harvest sources and their jobs (secret-looking settings of a source masked)."""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import auth
from app.api.errors import ApiError
from app.api.openapi import Param
from app.api.rest.blueprint import LIVE_CACHE, api
from app.api.rest.responses import api_url, clean_key, conditional, iso, query_args, site_url
from app.i18n import N_
from app.request_context import db_session
from app.services import serving
from app.texts import T_
from catalog_schema import harvest_report
from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource
from plumbing.credentials import hidden

MAX_JOB_ERRORS = 1000
MAX_PAYLOAD_CHARS = 20_000
api.values.update(max_payload_chars=MAX_PAYLOAD_CHARS, max_job_errors=MAX_JOB_ERRORS)
_SECRET_KEY = re.compile(r"key|token|secret|password|passwd|auth|credential", re.I)


def _mask(config: Any) -> Any:
    """Source settings with the values of secret-looking keys hidden (API keys, tokens, passwords)."""
    if isinstance(config, dict):
        return {k: ("***" if _SECRET_KEY.search(str(k)) and v else _mask(v)) for k, v in config.items()}
    if isinstance(config, list):
        return [_mask(v) for v in config]
    return config


def _errors_hidden(value: Any) -> Any:
    """A report with the credentials of every error's text hidden (an error repeats the address it failed on)."""
    if isinstance(value, dict):
        return {k: hidden(v) if k in ("error", "kind") and isinstance(v, str) else _errors_hidden(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_errors_hidden(v) for v in value]
    return value


def _job_summary(job: HarvestJob, source_name: str) -> dict[str, Any]:
    return {"id": job.id, "source": source_name, "status": job.status, "full": bool(job.full),
            "created_at": iso(job.created_at), "started_at": iso(job.started_at),
            "finished_at": iso(job.finished_at), "added": job.added, "updated": job.updated,
            "unchanged": job.unchanged, "withdrawn": job.withdrawn, "errored": job.errored,
            "error": hidden(job.error) if job.error is not None else None,
            "links": {"self": api_url(".harvest_job", job_id=job.id)}}


def public_address(url: str | None) -> str:
    """A source's address as the API says it to anyone: a web address with its credentials hidden (a password, an
    api_key in its query: plumbing.credentials); a path on the portal's server by its last part only
    (local:package_search.json), not the server's folders, unless a sysadmin asks."""
    text = str(url or "")
    if text.lower().startswith(("http://", "https://")):
        return hidden(text)
    from app.services.serving import viewer

    user = viewer(db_session())
    if user is not None and user.is_sysadmin:
        return text
    return "local:" + (text.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1] or "-")


def _source_doc(src: HarvestSource, last_job: HarvestJob | None, datasets: int) -> dict[str, Any]:
    return {"name": src.name, "type": src.type, "url": public_address(src.url),
            "publisher": src.publisher.slug if src.publisher else None, "schedule": src.schedule,
            "enabled": bool(src.enabled), "config": _mask(src.config or {}),
            "last_gathered_at": iso(src.last_gathered_at), "datasets": datasets,
            "last_job": _job_summary(last_job, src.name) if last_job else None,
            "links": {"self": api_url(".harvest_source", name=src.name),
                      "report": api_url(".harvest_source_report", name=src.name)}}


def _last_jobs(session, source_ids: list[int]) -> dict[int, HarvestJob]:
    if not source_ids:
        return {}
    latest = (select(HarvestJob.source_id, func.max(HarvestJob.id).label("id"))
              .where(HarvestJob.source_id.in_(source_ids)).group_by(HarvestJob.source_id).subquery())
    jobs = session.scalars(select(HarvestJob).join(latest, latest.c.id == HarvestJob.id))
    return {j.source_id: j for j in jobs}


def _dataset_counts(session, source_ids: list[int]) -> dict[int, int]:
    if not source_ids:
        return {}
    return dict(session.execute(select(Dataset.source_id, func.count()).where(
        Dataset.source_id.in_(source_ids), Dataset.state == "active").group_by(Dataset.source_id)).all())


@api.endpoint("/harvest/sources", summary=N_("Harvest sources with their last job"), response="HarvestSourceList",
              tag="harvest", cache=LIVE_CACHE)
def harvest_sources():
    session = db_session()
    sources = session.scalars(select(HarvestSource).where(HarvestSource.deleted_at.is_(None))
                              .options(selectinload(HarvestSource.publisher))
                              .order_by(HarvestSource.name)).all()
    ids = [s.id for s in sources]
    last, counts = _last_jobs(session, ids), _dataset_counts(session, ids)
    items = [_source_doc(s, last.get(s.id), int(counts.get(s.id, 0))) for s in sources]
    return conditional({"items": items}, None, LIVE_CACHE)


@api.endpoint("/harvest/sources/<name>", summary=N_("One harvest source with its recent jobs"),
              response="HarvestSource", tag="harvest", errors=(404,), cache=LIVE_CACHE,
              params=(Param("jobs", "integer", N_("How many recent jobs to list"), minimum=0, maximum=100,
                            default=20),))
def harvest_source(name: str):
    args = query_args("harvest_source")
    name = clean_key(name, "harvest source")
    session = db_session()
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name, HarvestSource.deleted_at.is_(None))
                         .options(selectinload(HarvestSource.publisher)))
    if src is None:
        raise ApiError(404, "not-found", T_("No harvest source named %(name)s.", name=repr(name[:80])))
    jobs = session.scalars(select(HarvestJob).where(HarvestJob.source_id == src.id)
                           .order_by(HarvestJob.id.desc()).limit(args["jobs"])).all()
    last = _last_jobs(session, [src.id]).get(src.id)
    doc = _source_doc(src, last, int(_dataset_counts(session, [src.id]).get(src.id, 0)))
    doc["jobs"] = [_job_summary(j, src.name) for j in jobs]
    return conditional(doc, None, LIVE_CACHE)


@api.endpoint("/harvest/sources/<name>/report", summary=N_("A harvest source's report: its last jobs, what the "
              "latest job added, updated and withdrawn, its errors by kind"), response="HarvestReport", tag="harvest",
              errors=(404,), cache=LIVE_CACHE,
              description=N_("The last jobs newest first with their counts; for the newest job the datasets it added, "
                          "updated (or restored) and withdrawn, the first `titles` of each with how many more, and "
                          "its errored records grouped by kind (the stage and the error message with what varies "
                          "from record to record taken out: URLs, quoted values, numbers, ids), each with a count "
                          "and one example. The page /harvest/source/{name} and `opendata source show NAME --json` "
                          "give the same report."),
              params=(Param("jobs", "integer", N_("How many recent jobs to list"), minimum=1, maximum=100,
                            default=harvest_report.JOBS),
                      Param("titles", "integer", N_("How many datasets to list per change"), minimum=0, maximum=500,
                            default=harvest_report.TITLES)))
def harvest_source_report(name: str):
    args = query_args("harvest_source_report")
    name = clean_key(name, "harvest source")
    report = harvest_report.source_report(db_session(), name, jobs=args["jobs"], titles=args["titles"])
    if report is None:
        raise ApiError(404, "not-found", T_("No harvest source named %(name)s.", name=repr(name[:80])))
    session = db_session()
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    # the errors' personal data (a value quoted) is said [redacted] but to the source's publisher's editors
    privileged = functools.cache(lambda: auth.can_edit(session, serving.viewer(session),
                                                       src.publisher if src else None))
    doc = serving.public_errors(_errors_hidden(harvest_report.to_json(report)), privileged)
    doc["source"]["url"] = public_address(doc["source"].get("url"))
    for job in doc["jobs"]:
        job["links"] = {"self": api_url(".harvest_job", job_id=job["id"])}
    latest = doc["latest"]
    if latest is not None:
        latest["job"]["links"] = {"self": api_url(".harvest_job", job_id=latest["job"]["id"])}
        for key in harvest_report.CHANGES:
            for item in latest[key]["items"]:
                item["links"] = {"html": site_url(f"/dataset/{item['dataset']}")} if item["dataset"] else {}
    doc["links"] = {"self": api_url(".harvest_source_report", name=name),
                    "source": api_url(".harvest_source", name=name), "html": site_url(f"/harvest/source/{name}")}
    return conditional(doc, None, LIVE_CACHE)


def _edits_source(session, job: HarvestJob) -> bool:
    """Whether the request's user may edit the datasets of the job's source's publisher (a sysadmin, when it has
    none): who reads its records' payloads as they came."""
    return auth.can_edit(session, serving.viewer(session), job.source.publisher if job.source else None)


@api.endpoint("/harvest/jobs/<int:job_id>", summary=N_("One harvest job: status, counts and its errored records"),
              response="HarvestJob", tag="harvest", errors=(404,), cache=LIVE_CACHE,
              description=N_("Errored records give the remote id, the stage that failed (gather, fetch or import), "
                             "the error and the original payload (cut at %(max_payload_chars)s characters); at "
                             "most %(max_job_errors)s are listed, errors_total counts them all."))
def harvest_job(job_id: int):
    session = db_session()
    # ids are 64-bit: a larger number is no job (SQLite's driver would raise OverflowError, a 500)
    job = session.scalar(select(HarvestJob).where(HarvestJob.id == job_id)
                         .options(selectinload(HarvestJob.source))) if job_id < 2**63 else None
    if job is None:
        raise ApiError(404, "not-found", T_("No harvest job %(job_id)s.", job_id=job_id))
    errored = (HarvestRecord.job_id == job.id) & (HarvestRecord.status == "errored")
    total = session.scalar(select(func.count()).select_from(HarvestRecord).where(errored)) or 0
    records = session.scalars(select(HarvestRecord).where(errored).order_by(HarvestRecord.id)
                              .limit(MAX_JOB_ERRORS)).all()
    doc = _job_summary(job, job.source.name)
    doc["errors_total"] = int(total)
    doc["errors"] = []
    # what the records held is said without its personal data but to the source's publisher's editors (the gate)
    privileged = functools.partial(_edits_source, session, job)
    for r in records:
        payload = serving.public_payload(r.payload, privileged)
        cut = payload is not None and len(payload) > MAX_PAYLOAD_CHARS
        doc["errors"].append({"remote_id": r.remote_id, "stage": r.stage,
                              "error": serving.public_payload(hidden(r.error), privileged),
                              "payload": payload[:MAX_PAYLOAD_CHARS] if cut else payload,
                              "payload_truncated": cut, "created_at": iso(r.created_at)})
    return conditional(doc, None, LIVE_CACHE)
