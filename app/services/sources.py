"""Harvest sources: registered, changed and given their publisher here (the CLI, the demo and the API
call these; the harvest jobs that read a source run in app.jobs and write through catalog_schema)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.services.base import service
from app.services.context import Actor
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.texts import T_
from catalog_schema.models import Dataset, HarvestJob, HarvestRecord, HarvestSource, Publisher, User, utcnow
from catalog_schema.store import add_audit_event, ensure_publisher


def _check_url(url: str, type_: str | None = None) -> None:
    """What a harvest can read (harvesters/reading.py): an http(s) URL with a host, or a local path (or file:
    URL) that exists; a CKAN portal's address with no query (its Action API's paths are added to it). Said when the
    source is added, not at its first harvest."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise Invalid(T_("%(url)s: an http(s) URL needs a host", url=url))
        if type_ == "ckan" and (parts.query or parts.fragment):
            # /ckan?api_key=K became /ckan?api_key=K/api/action/package_search: every request went to the portal's
            # root with the key in it
            raise Invalid(T_("%(url)s: a CKAN source is the portal's address (such as https://data.example.gov), "
                             "without a query or a fragment: the harvester adds the Action API's paths to it",
                             url=url))
        return
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme and len(parts.scheme) > 1:
        raise Invalid(T_("%(url)s: only http(s) URLs and local paths can be harvested", url=url))
    else:
        path = Path(url)
    if not path.exists():
        raise Invalid(T_("%(url)s: no such file or folder", url=url))


#: The config keys whose value is an object of its own (a harvest reads them as one, and every file failed or
#: no default applied when it was a string).
OBJECT_KEYS = ("defaults",)


def _check_config(config: dict[str, Any]) -> None:
    for key in OBJECT_KEYS:
        if key in config and not isinstance(config[key], dict):
            raise Invalid(T_("config.%(key)s must be a JSON object of field: value (such as {\"licence\": "
                             "\"CC-BY-4.0\"}), not %(value)s", key=key, value=repr(config[key])))


#: A publisher's slug as CKAN names organizations (lower-case letters, digits, - and _): it is in every URL and API.
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{1,99}")


def _publisher(session: Session, given: str, create: bool) -> Publisher:
    """The publisher `given` names: by its slug, else by its name in any language; a new one otherwise, with
    `given` as its slug when it is one, else as its name (京海市统计局, "Bad Slug!": stored as a slug, it was an
    organization name no CKAN client accepts and a publisher URL with spaces in it). An unknown name that is
    close to a publisher's slug or name is refused with the ones it may have meant, unless `create` says it is a
    new one: "jh-stat" for "jh-stats" made a second publisher that every dataset of the source then went to."""
    found = session.scalar(select(Publisher).where(Publisher.slug == given))
    if found is not None:
        return found
    known: dict[str, str] = {}  # what a publisher can be called (its slug, each of its names) -> its slug
    for pub in session.scalars(select(Publisher)):
        known.setdefault(pub.slug, pub.slug)
        for name in (pub.name or {}).values() if isinstance(pub.name, dict) else ():
            if isinstance(name, str) and name.strip():
                known.setdefault(name.strip(), pub.slug)
    if given in known:
        return session.scalar(select(Publisher).where(Publisher.slug == known[given]))
    if not create:
        near = difflib.get_close_matches(given.casefold(), {k.casefold(): None for k in known}, n=3, cutoff=0.75)
        if near:
            slugs = list(dict.fromkeys(slug for k, slug in known.items() if k.casefold() in near))
            raise Invalid(T_("no publisher is called %(given)s; did you mean %(near)s? (to create a new publisher "
                             "called %(given)s, say it is new: --new-publisher)", given=repr(given),
                             near=", ".join(slugs)))
    if _SLUG.fullmatch(given):
        return ensure_publisher(session, {"slug": given, "name": {"": given}})
    return ensure_publisher(session, {"name": {"": given}})


#: Longest source name (the column's width).
NAME_MAX = 200


def _check_name(name: str) -> None:
    """A name the pages, the API and the command line can all address: `source add ""` and `source add a/b` were
    taken, and neither source's page (/harvest/source/NAME) nor API could be reached; "s1 " beside "s1" was a
    second source no one could tell apart."""
    if not name or not name.strip():
        raise Invalid(T_("a source needs a name (such as jh-transport-ckan)"))
    if name != name.strip() or "/" in name or any(ch < " " or ch == "\x7f" for ch in name):
        raise Invalid(T_("%(name)s cannot be a source's name: no slash, control character or space at either end "
                         "(such as jh-transport-ckan)", name=repr(name)))
    if len(name) > NAME_MAX:
        raise Invalid(T_("a source's name has at most %(max)s characters", max=NAME_MAX))


@service
def add_source(session: Session, name: str, type_: str, url: str, *, publisher: str | None = None,
               schedule: str = "manual", config: dict[str, Any] | None = None,
               new_publisher: bool = False, user: User | None = None, via: str = "cli") -> HarvestSource:
    """A new harvest source; its publisher (by slug or name) is created when unknown, unless it is close to a
    known one and `new_publisher` is not given (`_publisher`). Invalid when its URL is none a harvest can read.
    Audited (`harvest.source_add`, naming `user` and the door `via`), as its deletion is."""
    _check_name(name)
    same = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if same is not None and same.deleted_at is not None:
        raise Conflict(T_("a deleted source was named %(name)s: its jobs and audit entries keep that name, so give "
                          "the new source another", name=repr(name)))
    if same is not None:
        raise Conflict(T_("a source named %(name)s exists already", name=repr(name)))
    _check_url(url, type_)
    url = _local(url)
    _check_config(config or {})
    pub = _publisher(session, publisher.strip(), new_publisher) if publisher and publisher.strip() else None
    source = HarvestSource(name=name, type=type_, url=url, publisher=pub, schedule=schedule, config=config or {})
    session.add(source)
    session.flush()
    _audit(session, user, via, "harvest.source_add", source, None, _state(source))
    return source


def _state(source: HarvestSource) -> dict[str, Any]:
    """What the audit log keeps of a source: what `add_source` and `edit_source` set."""
    return {"name": source.name, "type": source.type, "url": source.url, "schedule": source.schedule,
            "enabled": bool(source.enabled) if source.enabled is not None else True, "config": source.config or {},
            "publisher": source.publisher.slug if source.publisher is not None else None}


def _audit(session: Session, user: User | None, via: str, action: str, source: HarvestSource,
           before: dict[str, Any] | None, after: dict[str, Any] | None, **detail: Any) -> None:
    add_audit_event(session, user_id=user.id if user is not None else None, action=action,
                    object_type="harvest_source", object_id=source.name, publisher_id=source.publisher_id,
                    before=before, after=after, detail={"via": via, **detail})


SCHEDULES = ("daily", "weekly", "manual")

#: Config keys the platform keeps for a source (not the publisher's to give): the remote ids publishers detached.
KEPT_CONFIG = ("detached",)


def _local(url: str) -> str:
    """A local path kept absolute: checked from the folder the command ran in, it was read from wherever the
    harvest ran (cron, a worker) and was "no such file" there."""
    if not urlsplit(url).scheme or len(urlsplit(url).scheme) == 1:  # C:\... has a one-letter scheme
        return str(Path(url).absolute())
    return url


def _source(session: Session, name: str) -> HarvestSource:
    """The source named `name` that is not deleted (a deleted one is kept for its history, not changed)."""
    source = session.scalar(select(HarvestSource).where(HarvestSource.name == name, HarvestSource.deleted_at.is_(None)))
    if source is None:
        raise NotFound(T_("no harvest source named %(name)s (see `opendata source list`)", name=repr(name)))
    return source


def _running_job(session: Session, source: HarvestSource) -> HarvestJob | None:
    """A job of `source` queued or running: it reads the source as it is, and writes its datasets."""
    return session.scalar(select(HarvestJob).where(HarvestJob.source_id == source.id,
                                                   HarvestJob.status.in_(("queued", "running"))))


@service
def edit_source(session: Session, name: str, *, url: str | None = None, publisher: str | None = None,
                new_publisher: bool = False, schedule: str | None = None, config: dict[str, Any] | None = None,
                enabled: bool | None = None, user: User | None = None, via: str = "cli") -> list[str]:
    """Change a source: its URL (checked as `add_source` checks it; the next harvest then reads the source
    whole, as the time of the last gather says nothing of another address), its publisher, schedule, config
    (replaced whole, but for what the platform keeps in it: `KEPT_CONFIG`) or whether the scheduler runs it (a
    source no longer wanted is disabled, its datasets and jobs kept). Returns the names of what changed. Refused
    while a job of the source is queued or running: it read the source as it was. A change is audited
    (`harvest.source_edit`: before and after, what changed), as the source's addition and deletion are."""
    source = _source(session, name)
    running = _running_job(session, source)
    if running is not None:
        raise Conflict(T_("source %(name)s has job %(id)s %(status)s; change it when the job has ended",
                          name=repr(name), id=running.id, status=T_(running.status)))
    before = _state(source)
    changed: list[str] = []
    if url is not None:
        _check_url(url, source.type)
        url = _local(url)
        if url != source.url:
            source.url, source.last_gathered_at = url, None
            changed.append("url")
    if config is not None:
        _check_config(config)
        kept = {k: v for k, v in (source.config or {}).items() if k in KEPT_CONFIG}
        new = {**{k: v for k, v in config.items() if k not in KEPT_CONFIG}, **kept}
        if new != (source.config or {}):
            source.config = new
            changed.append("config")
    if publisher is not None and publisher.strip():
        pub = _publisher(session, publisher.strip(), new_publisher)
        if pub is not source.publisher:
            source.publisher = pub
            changed.append("publisher")
    if schedule is not None and schedule not in SCHEDULES:
        raise Invalid(T_("a schedule is one of %(schedules)s", schedules=", ".join(SCHEDULES)))
    if schedule is not None and schedule != source.schedule:
        source.schedule = schedule
        changed.append("schedule")
    if enabled is not None and bool(enabled) != bool(source.enabled):
        source.enabled = bool(enabled)
        changed.append("enabled")
    session.flush()
    if changed:
        _audit(session, user, via, "harvest.source_edit", source, before, _state(source), changed=changed)
    return changed


@service
def put_source(session: Session, name: str, type_: str, url: str, *, publisher: str | None = None,
               schedule: str = "manual", config: dict[str, Any] | None = None) -> HarvestSource | None:
    """Register a source, or point an existing one of that name at `url` (the demo's sources move with its
    port); the publisher must exist. None, changing nothing, when a source of that name was deleted: it stays
    deleted (its history is kept under that name, `delete_source`)."""
    source = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if source is not None and source.deleted_at is not None:
        return None
    if source is None:
        source = HarvestSource(name=name, type=type_, url=url, schedule=schedule, config=config or {})
        session.add(source)
    source.url = url
    if publisher:
        source.publisher = session.scalar(select(Publisher).where(Publisher.slug == publisher))
    session.flush()
    return source


#: What `delete_source` may do with a source's datasets.
DATASET_CHOICES = ("withdraw", "keep")
#: How many of a deleted source's last jobs its audit entry summarises (the jobs themselves are kept).
AUDITED_JOBS = 100


@service
def delete_source(actor: Actor, name: str, *, datasets: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Delete a harvest source. Refused while a job of it is queued or running.

    The source is marked deleted (`deleted_at`), disabled and left out of every list, run and edit, but its row,
    its jobs and their record rows stay: they are the audit trail of what it harvested and when, and the public
    activity of the datasets it imported (app/activity.py reads them); the history retention (app/services/history.py)
    prunes them as it prunes any source's. Its name is not given to another source.

    Its datasets (all but those a sysadmin deleted) are never lost silently: while it has any, `datasets` must
    say what becomes of them, else Conflict saying how many and the two choices. "withdraw": the published ones
    are withdrawn (kept, hidden, restorable) through the withdraw service, with a reason naming the deleted source
    (`lifecycle.SOURCE_DELETED_REASON`, said in the reader's language on the tombstone); "keep": they stay as they
    are. Either way each is then detached (`datasets.detach`): it becomes its publisher's own, editable, and no
    harvest touches it again. Both write each dataset's audit entry; the source's own entry (action
    harvest.source_delete, object type harvest_source: who, when) keeps its settings (its URL among them), how many
    datasets it held and what became of them, and its last jobs' counters. Handling datasets needs a sysadmin (the
    audit names who did it).

    Returns what was done, or with `dry_run` what would be, changing nothing: the source, its publisher, its
    datasets by state, the choice, how many were withdrawn and kept, the jobs and record rows it keeps. Commits (the
    dataset services commit one dataset at a time: a run stopped half-way is finished by running it again)."""
    session = actor.session
    source = _source(session, name)
    running = _running_job(session, source)
    if running is not None:
        raise Conflict(T_("source %(name)s has job %(id)s %(status)s; delete it when the job has ended",
                          name=repr(name), id=running.id, status=T_(running.status)))
    if datasets is not None and datasets not in DATASET_CHOICES:
        raise Invalid(T_("what becomes of a deleted source's datasets is one of %(choices)s",
                         choices=", ".join(DATASET_CHOICES)))
    states = dict(session.execute(select(Dataset.state, func.count()).where(Dataset.source_id == source.id)
                                  .group_by(Dataset.state)).all())
    held = sum(n for state, n in states.items() if state != "deleted")
    published = states.get("active", 0)
    job_ids = select(HarvestJob.id).where(HarvestJob.source_id == source.id)
    report: dict[str, Any] = {
        "source": source.name, "publisher": source.publisher.slug if source.publisher else None,
        "datasets": held, "states": {k: v for k, v in sorted(states.items()) if k != "deleted"},
        "choice": datasets if held else None,
        "withdrawn": published if held and datasets == "withdraw" else 0,
        "kept": held - published if datasets == "withdraw" else held if datasets == "keep" else 0,
        "jobs": session.scalar(select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == source.id)),
        "records": session.scalar(select(func.count()).select_from(HarvestRecord)
                                  .where(HarvestRecord.job_id.in_(job_ids))),
        "dry_run": dry_run,
    }
    if held and datasets is None:
        raise Conflict(T_("source %(name)s still has datasets (%(count)s, %(published)s of them published): nothing "
                          "was deleted. Say what becomes of them: --datasets withdraw withdraws them (hidden, kept, "
                          "restorable), --datasets keep keeps them as their publisher's own (published, editable, no "
                          "longer harvested)", name=repr(name), count=held, published=published),
                       code="source-has-datasets")
    if held and (actor.user is None or not actor.user.is_sysadmin):
        raise Forbidden(T_("only a sysadmin may delete a source that has datasets: each dataset's history names who "
                           "withdrew or kept it"))
    if dry_run:
        return report
    # Imported here: app.services.datasets loads Flask (through app.services.lifecycle), which `source add` and
    # `source edit` do not need.
    from app.services import datasets as dataset_services
    from app.services.lifecycle import SOURCE_DELETED_REASON

    source_id, publisher_id = source.id, source.publisher_id
    before = {"name": source.name, "type": source.type, "url": source.url, "schedule": source.schedule,
              "enabled": bool(source.enabled), "config": source.config or {}, "publisher": report["publisher"],
              "created_at": source.created_at.isoformat() if source.created_at else None}
    source.enabled = False  # the scheduler leaves it alone while its datasets are handled (committed with the first)
    reason = str(T_(SOURCE_DELETED_REASON, source=source.name))
    ids = list(session.scalars(select(Dataset.id).where(Dataset.source_id == source_id, Dataset.state != "deleted")
                               .order_by(Dataset.slug)))
    for ds_id in ids:
        ds = session.get(Dataset, ds_id)
        if datasets == "withdraw" and ds.state == "active":
            dataset_services.withdraw(actor, ds, reason=reason, action="harvest.source_deleted")
        dataset_services.detach(actor, ds, source_deleted=True)
    # what a sysadmin deleted keeps its rows for the audit, no longer tied to a source that is gone
    session.execute(update(Dataset).where(Dataset.source_id == source_id).values(source_id=None)
                    .execution_options(synchronize_session=False))
    jobs = [{"id": job.id, "status": job.status, "full": bool(job.full),
             "started_at": job.started_at.isoformat() if job.started_at else None,
             "finished_at": job.finished_at.isoformat() if job.finished_at else None,
             "added": job.added, "updated": job.updated, "unchanged": job.unchanged, "withdrawn": job.withdrawn,
             "errored": job.errored, "error": job.error}
            for job in session.scalars(select(HarvestJob).where(HarvestJob.source_id == source_id)
                                       .order_by(HarvestJob.id.desc()).limit(AUDITED_JOBS))]
    # the source, its jobs and their record rows stay (the history); it is only marked deleted
    session.execute(update(HarvestSource).where(HarvestSource.id == source_id)
                    .values(deleted_at=utcnow(), enabled=False).execution_options(synchronize_session=False))
    user = actor.user
    add_audit_event(session, user_id=user.id if user is not None else None, action="harvest.source_delete",
                    object_type="harvest_source", object_id=name, publisher_id=publisher_id, before=before,
                    after=None, detail={"via": actor.via, **{k: report[k] for k in ("datasets", "states", "choice",
                                                                                     "withdrawn", "kept", "jobs",
                                                                                     "records")},
                                        "last_jobs": jobs}, ip=actor.ip)
    session.commit()
    session.expire_all()
    return report
