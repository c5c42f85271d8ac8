"""Read a source while the records already read are imported: a gather on a thread of its own, a bounded queue.

A harvest alternates two kinds of work: waiting for the source (a CKAN page, a DCAT page, a file over HTTP) and
mapping and writing what it sent. Done one after the other, a remote portal's wait (a few hundred milliseconds a
page) and the import add up; with the gather one step ahead on a thread, the next page is on its way while the
last is written (the wait gives Python's lock up, as SQLite and PostgreSQL do while they write).

`read_ahead(items, chunk=n)` iterates `items` on a thread and yields what it produced, in order. The thread hands
the items over `chunk` at a time (a harvest's transaction: the import waits for that many anyway), and holds at
most `chunks` of them ready: a fast source waits for the import, never the other way round without bound; one
hand-over a chunk, not a lock's round trip an item. What the source raises is raised where the consumer reads,
after the items read before it, as iterating the gather itself would raise it; a consumer that stops early (its
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


def read_ahead(items: Iterable[T], *, chunk: int = 100, chunks: int = 2,
               name: str = "harvest-gather") -> Iterator[T]:
    """`items`, produced on a thread at most `chunks` chunks of `chunk` ahead of the caller (see the module)."""
    ready: queue.Queue = queue.Queue(maxsize=max(1, chunks))
    stop = threading.Event()
    chunk = max(1, chunk)

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
        buffer: list = []
        try:
            for item in source:
                if stop.is_set():
                    return
                buffer.append(item)
                if len(buffer) >= chunk:
                    if not put(buffer):
                        return
                    buffer = []
            if (not buffer or put(buffer)) and not stop.is_set():
                put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there as the gather's own
            if not buffer or put(buffer):
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
            yield from value
    finally:
        stop.set()
        thread.join(timeout=JOIN_TIMEOUT)  # a page still on its way when the import failed: not waited for long
