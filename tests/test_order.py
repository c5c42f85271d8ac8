"""The suite's file order (tests/support/order.py): longest files first, a file's tests together and in order."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tests.support import order


def _items(*nodeids: str) -> list:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_recorded_files_go_longest_first_and_keep_their_tests_in_order():
    items = _items("a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1", "c.py::t2")
    got = [i.nodeid for i in order.ordered(items, {"a.py": 1.0, "b.py": 9.0, "c.py": 4.0})]
    assert got == ["b.py::t1", "c.py::t1", "c.py::t2", "a.py::t1", "a.py::t2"]


def test_a_file_the_record_does_not_know_is_weighed_by_its_number_of_tests():
    items = _items("new.py::t1", "new.py::t2", "new.py::t3", "old.py::t1", "tiny.py::t1")
    got = [i.nodeid for i in order.ordered(items, {"old.py": 0.5, "tiny.py": 0.1})]
    assert got == ["new.py::t1", "new.py::t2", "new.py::t3", "old.py::t1", "tiny.py::t1"]
    # without any record: the order of the files with as many tests each is the order they came in
    assert [i.nodeid for i in order.ordered(_items("x.py::a", "y.py::a"), {})] == ["x.py::a", "y.py::a"]


def test_the_recorder_sums_each_file_and_a_bad_record_orders_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    rec = order.Recorder(tmp_path / "durations.json")
    for nodeid, seconds in [("a.py::t1", 0.25), ("a.py::t1", 1.0), ("b.py::t[x]", 2.0)]:
        rec.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))
    rec.pytest_sessionfinish(None)
    assert json.loads((tmp_path / "durations.json").read_text()) == {"a.py": 1.2, "b.py": 2.0}
    monkeypatch.setattr(order, "RECORD", tmp_path / "missing.json")
    assert order.load() == {}
    (tmp_path / "bad.json").write_text("[1, 2")
    monkeypatch.setattr(order, "RECORD", tmp_path / "bad.json")
    assert order.load() == {}
