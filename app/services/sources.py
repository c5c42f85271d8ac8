"""Harvest sources: registered, changed and given their publisher here (the CLI, the demo and the API
call these; the harvest jobs that read a source run in app.jobs and write through catalog_schema)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.base import service
from app.services.errors import Conflict
from app.texts import T_
from catalog_schema.models import HarvestSource, Publisher
from catalog_schema.store import ensure_publisher


@service
def add_source(session: Session, name: str, type_: str, url: str, *, publisher: str | None = None,
               schedule: str = "manual", config: dict[str, Any] | None = None) -> HarvestSource:
    """A new harvest source; its publisher (by slug) is created when unknown."""
    if session.scalar(select(HarvestSource).where(HarvestSource.name == name)):
        raise Conflict(T_("a source named %(name)s exists already", name=repr(name)))
    pub = ensure_publisher(session, {"slug": publisher, "name": {"": publisher}}) if publisher else None
    source = HarvestSource(name=name, type=type_, url=url, publisher=pub, schedule=schedule, config=config or {})
    session.add(source)
    session.flush()
    return source


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
