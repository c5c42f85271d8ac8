"""Keeping Python's cycle collector off what lives as long as the process.

A worker that harvests or assesses holds about 175,000 objects the collector tracks before it does any work:
the functions, classes and dicts of Flask, SQLAlchemy, pyarrow, rdflib and our own modules. Each full
(generation 2) collection walks all of them: about 85 ms on this machine, and in a weekly re-check of
unchanged datasets (about 2 ms of CPU each) one came every few hundred datasets, a quarter of the CPU of the
runs it fell in. After a process's first unit of work (its imports done, its caches warm), `settle` collects
once and freezes what is left (`gc.freeze`, as the Python documentation suggests for long-lived processes):
later collections walk only what was made since. Frozen objects are still freed when nothing refers to them;
only a reference cycle among them would stay, and what is alive after a first batch is module state.
"""

from __future__ import annotations

import gc
import os

_settled_pid: int | None = None


def settle() -> bool:
    """Freeze the objects alive now, once per process (a forked child settles again); True when it did."""
    global _settled_pid
    if _settled_pid == os.getpid():
        return False
    gc.collect()
    gc.freeze()
    _settled_pid = os.getpid()
    return True


def settled() -> bool:
    """Whether this process has frozen its long-lived objects."""
    return _settled_pid == os.getpid()
