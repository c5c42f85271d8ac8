"""plumbing.heap: a worker freezes what it holds after its first unit of work, once (and again after a fork)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, os
from plumbing import heap
assert not heap.settled()
junk = [[i] for i in range(1000)]
assert heap.settle() is True and heap.settled()
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen  # the modules' objects and what the process holds
assert heap.settle() is False and gc.get_freeze_count() == frozen  # once a process
pid = os.fork()
if pid == 0:  # a forked worker is another process: it settles again
    os._exit(0 if not heap.settled() and heap.settle() is True else 1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0
print("ok")
"""


def test_settle_freezes_once_a_process_and_again_in_a_forked_child():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
