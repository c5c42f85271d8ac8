"""One thread at a time in CPython's AST conversion (seen as in CPython issues gh-106905 and pytest #10763).

In CPython 3.11 (this machine runs 3.11.7), the C code that turns source into `ast` objects and `ast`
objects into code keeps its recursion counter in interpreter-wide state. Two threads converting at once can corrupt it:
the later one fails with "SystemError: AST constructor recursion depth mismatch". The test suite does
that: a server thread formatting a traceback (3.11's traceback module parses the failing line to draw
its ^^^ marks) while the main thread builds an app (werkzeug compiles each URL rule's builder from an
AST). A served app builds its routes once, before its threads start, so only the suite needs this.

`install()` routes every AST conversion through `compile` under one lock. The wrapper lives in a module
without `__future__` imports, so the code it compiles inherits none.
"""

import ast
import builtins
import sys
import threading

_LOCK = threading.RLock()
_REAL_COMPILE = builtins.compile


def _compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):
    if isinstance(source, ast.AST) or flags & ast.PyCF_ONLY_AST:
        with _LOCK:
            return _REAL_COMPILE(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
    return _REAL_COMPILE(source, filename, mode, flags, dont_inherit, optimize, **kwargs)


def install() -> None:
    if sys.implementation.name == "cpython" and builtins.compile is _REAL_COMPILE:
        builtins.compile = _compile
