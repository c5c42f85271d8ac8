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
