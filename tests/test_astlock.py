"""tests/support/astlock.py: a finalizer that draws a traceback during an AST conversion no longer breaks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NESTED = """
import ast, gc, sys
class LogsATraceback:  # like a pooled connection whose finalizer logs an error with its traceback
    def __init__(self):
        self.me = self
    def __del__(self):
        ast.parse("x = 1")
if sys.argv[1] == "installed":
    from tests.support import astlock
    astlock.install()
gc.set_threshold(1)
errors = 0
for _ in range(200):
    for _ in range(5):
        LogsATraceback()
    try:
        ast.parse("def f(a):\\n    return [x for x in a if x]\\n" * 50)
    except SystemError:
        errors += 1
print(errors)
"""


def _errors(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", NESTED, mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    return int(done.stdout.strip())


def test_a_conversion_nested_by_a_finalizer_fails_without_and_passes_with_the_lock():
    if sys.version_info[:2] == (3, 11):
        assert _errors("bare") > 0  # the hazard is real on this interpreter
    assert _errors("installed") == 0
