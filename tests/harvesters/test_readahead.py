"""harvesters/readahead.py: the source read on a thread while the records already read are imported.

Real threads, no timing: a read ahead is shown by the producer reaching an item before the consumer asks for it
(an Event it sets, waited for with a generous timeout), never by a duration.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from app.jobs import harvest
from catalog_schema.models import Dataset, HarvestSource
from harvesters import base
from harvesters.readahead import read_ahead
from tests.support.httpserver import LocalServer

WAIT = 20.0  # seconds a step that happens at once is given: only a broken read ahead reaches it


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def test_every_item_comes_in_order_and_the_source_is_read_ahead_of_the_consumer():
    reached = {n: threading.Event() for n in range(10)}
    produced: list[int] = []

    def source():
        for n in range(10):
            produced.append(n)
            reached[n].set()
            yield n

    read = read_ahead(source(), chunk=1, chunks=3, name="ahead-test")
    assert next(read) == 0
    # while the consumer holds item 0, the thread goes on reading: items 1-3 fill the queue (3 chunks of 1), and
    # it waits
    assert reached[3].wait(WAIT), produced
    assert not reached[5].wait(0.2), produced  # bounded: at most `chunks` ahead (and the one it waits to hand over)
    assert list(read) == list(range(1, 10))
    # in chunks: what a partial last chunk holds comes too, in order
    assert list(read_ahead(iter(range(25)), chunk=10, name="ahead-test")) == list(range(25))
    assert _threads("ahead-test") == []


def test_what_the_source_raises_is_raised_where_the_consumer_reads_after_what_came_before():
    class SourceDown(Exception):
        pass

    def source():
        yield 1
        yield 2
        raise SourceDown("page 3 answered 503")

    got = []
    with pytest.raises(SourceDown, match="page 3 answered 503"):
        for item in read_ahead(source(), chunk=10, name="raise-test"):
            got.append(item)
    assert got == [1, 2] and _threads("raise-test") == []


def test_a_consumer_that_stops_stops_the_thread_and_closes_the_source():
    closed = threading.Event()
    handed: list[int] = []

    def endless():
        try:
            n = 0
            while True:
                handed.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    read = read_ahead(endless(), chunk=1, chunks=2, name="stop-test")
    assert [next(read), next(read)] == [0, 1]
    read.close()  # the import failed: the harvest stops reading
    assert closed.wait(WAIT) and _threads("stop-test") == []
    assert len(handed) <= 6  # it stopped within a few items of the consumer, not at the end of the source


def test_a_harvest_whose_import_fails_leaves_no_reading_thread_behind(runtime, add_source, monkeypatch):
    """The database refuses a batch (down): the job fails as before, and the thread reading the source is stopped
    with it (a job that failed kept no thread reading a portal's pages)."""
    packages = [{"id": f"p-{n}", "name": f"p-{n}", "title": f"P {n}", "resources": []} for n in range(30)]

    def search(request):
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        body = {"help": "", "success": True,
                "result": {"count": len(packages), "results": packages[start:start + rows]}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise base.OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(base, "import_batch", refuse)
    monkeypatch.setitem(runtime.settings, "HARVEST_IMPORT_BATCH", 10)  # three batches of the thirty
    with LocalServer() as server:
        server.add_route("/api/action/package_search", search)
        add_source("ckan-src", "ckan", server.url("").rstrip("/"), publisher="city")
        summary = harvest(runtime, "ckan-src")
    assert summary.status == "failed" and calls == [1], summary
    assert not [t for t in threading.enumerate() if t.name.startswith("harvest-gather-") and t.is_alive()]
    with runtime.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == "ckan-src"))
        assert session.scalars(select(Dataset).where(Dataset.source_id == sid)).all() == []
