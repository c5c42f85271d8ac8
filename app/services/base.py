"""What every service shares: the marker that a change is going through the gate.

`service` wraps each public service function. While one runs, `in_service()` is true; the route guard
(tests/app/test_route_guard.py) flushes every write route through a session listener that fails when a
catalog row (dataset, distribution, publisher, harvest source, slug) changes outside a service.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import event

from catalog_schema.models import Dataset, DatasetSlug, Distribution, HarvestSource, Publisher

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("opendata_service_depth", default=0)


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark `fn` as a service: the catalog may change while it runs."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            return fn(*args, **kwargs)
        finally:
            _DEPTH.reset(token)

    wrapper.__opendata_service__ = True  # type: ignore[attr-defined]
    return wrapper


def in_service() -> bool:
    """True while a service function runs (in this thread or task)."""
    return _DEPTH.get() > 0


#: The tables of the catalog itself: only services change them while a request is answered.
def _catalog_types() -> tuple[type, ...]:
    return (Dataset, Distribution, DatasetSlug, Publisher, HarvestSource)


def outside_service_changes(session) -> list[str]:
    """The catalog rows a flush of `session` would change although no service is running (empty when none
    or when a service runs): what the write guard refuses during a request."""
    if in_service():
        return []
    kinds = _catalog_types()
    changed = [*session.new, *(o for o in session.dirty if session.is_modified(o)), *session.deleted]
    return [f"{type(o).__name__} {getattr(o, 'slug', None) or getattr(o, 'id', '?')}"
            for o in changed if isinstance(o, kinds)]


def guard_writes(session_class) -> None:
    """Refuse (AssertionError) any flush during a web request that changes catalog rows outside a service.
    The test suite installs it on every session, so each route a test exercises proves it writes only
    through the services (docs/architecture.md, "One gate")."""
    from flask import has_request_context, request  # the CLI runs services without Flask

    @event.listens_for(session_class, "before_flush")
    def _only_services_write(session, flush_context, instances) -> None:
        if not has_request_context():
            return
        changed = outside_service_changes(session)
        if changed:
            raise AssertionError(f"{request.method} {request.path} ({request.endpoint}) changed "
                                 f"{', '.join(changed[:5])} outside app/services")
