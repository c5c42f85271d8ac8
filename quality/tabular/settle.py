"""Letting pyarrow's CSV readers finish before Python does.

pyarrow's streaming CSV reader runs its reads on arrow's I/O threads, and a callback on one of those threads can
hold the reader's last reference for a moment after the batches are out. The reader holds Python objects (our
invalid-row handler, the transcoder of a GBK or Latin-1 file), and letting go of one takes the GIL. If that
moment falls after the interpreter has begun to shut down, the thread is stopped while it waits for the GIL, and
the C++ runtime aborts the process: "terminate called without an active exception", exit status 134, after all
the work was done (apache/arrow#34314). It happened about once in 160 short runs on a loaded machine: a
command-line run that printed its result and still failed, a gunicorn or Celery worker that died as it exited.

Each reader hands its invalid-row handler here once its batches are read and it is closed. The handler lives as
long as the reader does, so when every handed-back handler is gone, every reader is. At exit, before the
interpreter begins to shut down (`atexit` runs first), we wait for them: usually none is left, and the wait is a
few milliseconds at worst.
"""

from __future__ import annotations

import atexit
import gc
import time
import weakref
from collections.abc import Callable

_closing: weakref.WeakSet = weakref.WeakSet()

WAIT_SECONDS = 5.0


def hand_back(handler: Callable) -> None:
    """Note a closed reader by the handler it was given (a function only that reader holds)."""
    _closing.add(handler)


def readers_left() -> int:
    """How many closed readers an I/O thread still holds."""
    return len(_closing)


def wait_for_readers(timeout: float = WAIT_SECONDS) -> bool:
    """Wait until arrow's I/O threads have let go of every closed reader; False if some still hold one."""
    if not _closing:
        return True
    gc.collect()  # a reader kept alive by a reference cycle goes now, on this thread, with the GIL
    deadline = time.monotonic() + timeout
    while _closing and time.monotonic() < deadline:
        time.sleep(0.002)  # sleeping releases the GIL the I/O thread needs
    return not _closing


atexit.register(wait_for_readers)
