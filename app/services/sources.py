"""Harvest sources: registered, changed and given their publisher here (the CLI, the demo and the API
call these; the harvest jobs that read a source run in app.jobs and write through catalog_schema)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.base import service
from app.services.errors import Conflict, Invalid, NotFound
from app.texts import T_
from catalog_schema.models import HarvestJob, HarvestSource, Publisher
from catalog_schema.store import ensure_publisher


def _check_url(url: str) -> None:
    """What a harvest can read (harvesters/reading.py): an http(s) URL with a host, or a local path (or file:
    URL) that exists. Said when the source is added, not at its first harvest."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise Invalid(T_("%(url)s: an http(s) URL needs a host", url=url))
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
               new_publisher: bool = False) -> HarvestSource:
    """A new harvest source; its publisher (by slug or name) is created when unknown, unless it is close to a
    known one and `new_publisher` is not given (`_publisher`). Invalid when its URL is none a harvest can read."""
    _check_name(name)
    if session.scalar(select(HarvestSource).where(HarvestSource.name == name)):
        raise Conflict(T_("a source named %(name)s exists already", name=repr(name)))
    _check_url(url)
    url = _local(url)
    _check_config(config or {})
    pub = _publisher(session, publisher.strip(), new_publisher) if publisher and publisher.strip() else None
    source = HarvestSource(name=name, type=type_, url=url, publisher=pub, schedule=schedule, config=config or {})
    session.add(source)
    session.flush()
    return source


SCHEDULES = ("daily", "weekly", "manual")

#: Config keys the platform keeps for a source (not the publisher's to give): the remote ids publishers detached.
KEPT_CONFIG = ("detached",)


def _local(url: str) -> str:
    """A local path kept absolute: checked from the folder the command ran in, it was read from wherever the
    harvest ran (cron, a worker) and was "no such file" there."""
    if not urlsplit(url).scheme or len(urlsplit(url).scheme) == 1:  # C:\... has a one-letter scheme
        return str(Path(url).absolute())
    return url


@service
def edit_source(session: Session, name: str, *, url: str | None = None, publisher: str | None = None,
                new_publisher: bool = False, schedule: str | None = None, config: dict[str, Any] | None = None,
                enabled: bool | None = None) -> list[str]:
    """Change a source: its URL (checked as `add_source` checks it; the next harvest then reads the source
    whole, as the time of the last gather says nothing of another address), its publisher, schedule, config
    (replaced whole, but for what the platform keeps in it: `KEPT_CONFIG`) or whether the scheduler runs it (a
    source no longer wanted is disabled, its datasets and jobs kept). Returns the names of what changed. Refused
    while a job of the source is queued or running: it read the source as it was."""
    source = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if source is None:
        raise NotFound(T_("no harvest source named %(name)s (see `opendata source list`)", name=repr(name)))
    running = session.scalar(select(HarvestJob).where(HarvestJob.source_id == source.id,
                                                      HarvestJob.status.in_(("queued", "running"))))
    if running is not None:
        raise Conflict(T_("source %(name)s has job %(id)s %(status)s; change it when the job has ended",
                          name=repr(name), id=running.id, status=T_(running.status)))
    changed: list[str] = []
    if url is not None:
        _check_url(url)
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
    return changed


@service
def put_source(session: Session, name: str, type_: str, url: str, *, publisher: str | None = None,
               schedule: str = "manual", config: dict[str, Any] | None = None) -> HarvestSource:
    """Register a source, or point an existing one of that name at `url` (the demo's sources move with its
    port); the publisher must exist."""
    source = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
    if source is None:
        source = HarvestSource(name=name, type=type_, url=url, schedule=schedule, config=config or {})
        session.add(source)
    source.url = url
    if publisher:
        source.publisher = session.scalar(select(Publisher).where(Publisher.slug == publisher))
    session.flush()
    return source
