"""quality.tabular.settle: pyarrow's CSV readers are let go of before the interpreter shuts down.

A reader whose last reference an arrow I/O thread dropped after shutdown had begun aborted the process
("terminate called without an active exception", exit 134): CI saw it once, in a subprocess that had read a
table and printed its result."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from quality.tabular import settle
from quality.tabular.batches import Shape
from quality.tabular.csvfile import arrow_csv_batches, arrow_csv_rows, csv_layout
from quality.tabular.layout import header_labels


@pytest.fixture()
def table(tmp_path):
    path = tmp_path / "t.csv"
    # GBK, so the reader also holds pyarrow's Python transcoder; many rows and a small block, so it reads ahead
    rows = "".join(f"{i},城市{i},{i * 1.5}\n" for i in range(5000))
    path.write_bytes(("编号,名称,金额\n" + rows).encode("gbk"))
    layout = csv_layout(str(path), None, "csv")
    return str(path), layout, header_labels(layout.header)[3]


@pytest.fixture()
def handed_back(monkeypatch):
    """The handlers the readers hand back (still handed to `settle` as well)."""
    seen = []

    def spy(handler):
        seen.append(weakref.ref(handler))
        real(handler)

    real = settle.hand_back
    monkeypatch.setattr(settle, "hand_back", spy)
    return seen


def _settled(handed_back) -> bool:
    gc.collect()
    return (settle.wait_for_readers(timeout=10) and settle.readers_left() == 0
            and all(ref() is None for ref in handed_back))


def test_readers_hand_back_their_handler_when_read_to_the_end(table, handed_back):
    path, layout, names = table
    assert layout.encoding.lower() in ("gbk", "gb18030")
    assert sum(b.num_rows for b in arrow_csv_rows(path, layout, names, True, block_size=4096)) == 5000
    assert sum(b.num_rows for b in arrow_csv_batches(path, layout, names, Shape(), block_size=4096)) == 5000
    assert len(handed_back) == 2
    assert _settled(handed_back)


def test_a_reader_given_up_half_way_is_handed_back_too(table, handed_back):
    path, layout, names = table
    for reader in (arrow_csv_rows(path, layout, names, True, block_size=4096),
                   arrow_csv_batches(path, layout, names, Shape(), block_size=4096)):
        next(reader)
        count = len(handed_back)
        reader.close()  # the generator's `finally` hands the handler back
        assert len(handed_back) == count + 1
    del reader
    assert _settled(handed_back)


def test_the_wait_gives_the_gil_to_the_thread_that_still_holds_a_reader():
    """What an arrow I/O thread does, done by a Python thread: it holds a handed-back handler and needs the
    GIL to let go of it. The wait returns as soon as it has; and with a bound, gives up on one held longer."""
    def handler(row):
        return "skip"

    settle.hand_back(handler)
    held = [handler]
    del handler
    assert not settle.wait_for_readers(timeout=0.05)  # still held: the bound is kept

    def let_go():
        held.clear()

    timer = threading.Timer(0.1, let_go)
    timer.start()
    try:
        assert settle.wait_for_readers(timeout=10)
        assert settle.readers_left() == 0
    finally:
        timer.join()
