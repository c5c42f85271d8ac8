"""Read a source while the records already read are imported: a gather on a thread of its own, a bounded queue.

A harvest alternates two kinds of work: waiting for the source (a CKAN page, a DCAT page, a file over HTTP) and
mapping and writing what it sent. Done one after the other, a remote portal's wait (a few hundred milliseconds a
page) and the import add up; with the gather one step ahead on a thread, the next page is on its way while the
last is written (the wait gives Python's lock up, as SQLite and PostgreSQL do while they write).

`read_ahead(items)` iterates `items` on a thread and yields what it produced, in order, holding at most `size` of
them: a fast source waits for the import, never the other way round without bound. What the source raises is
raised where the consumer reads, as iterating the gather itself would raise it; a consumer that stops early (its
import failed) stops the thread at its next item and closes the gather.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
JOIN_TIMEOUT = 30.0  # seconds a consumer that stopped waits for the thread to notice (at its next item)


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def read_ahead(items: Iterable[T], *, size: int = 1000, name: str = "harvest-gather") -> Iterator[T]:
    """`items`, produced on a thread at most `size` ahead of the caller (see the module's docstring)."""
    ready: queue.Queue = queue.Queue(maxsize=max(1, size))
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there as the gather's own
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, _Failed):
                raise value.exc
            yield value
    finally:
        stop.set()
        thread.join(timeout=JOIN_TIMEOUT)  # a page still on its way when the import failed: not waited for long
