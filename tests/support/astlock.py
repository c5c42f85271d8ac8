"""CPython 3.11's AST converter is not re-entrant: keep garbage collection and other threads out of it.

The C code that turns source into `ast` objects (and `ast` objects into code) keeps its recursion counter
in interpreter-wide state, set at the start of each conversion and checked at its end. When a second
conversion starts before the first ends, the first fails with "SystemError: AST constructor recursion depth
mismatch" (CPython gh-106905; pytest #10763). The suite hit it in CI: while werkzeug parsed a rule builder
(`ast.parse`, building an app), a garbage collection ran the finalizer of a pooled PostgreSQL connection that
a test's dropped database had cut, SQLAlchemy logged that with a traceback, and 3.11's traceback module
parses the failing line to draw its ^^^ marks: a second `ast.parse`, nested in the first. Another thread
drawing a traceback at the same moment would do the same.

`install()` routes every AST conversion through `compile` with the garbage collector paused and one lock
held, so no finalizer and no other thread can start a second one meanwhile. A served app builds its routes
once, before its threads start; only the suite builds apps while finalizers and threads run. The wrapper
lives in a module without `__future__` imports, so the code it compiles inherits none.
"""

import ast
import builtins
import gc
import sys
import threading

_LOCK = threading.RLock()
_REAL_COMPILE = builtins.compile


def _compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):
    if isinstance(source, ast.AST) or flags & ast.PyCF_ONLY_AST:
        with _LOCK:
            collecting = gc.isenabled()
            gc.disable()
            try:
                return _REAL_COMPILE(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
            finally:
                if collecting:
                    gc.enable()
    return _REAL_COMPILE(source, filename, mode, flags, dont_inherit, optimize, **kwargs)


def install() -> None:
    if sys.implementation.name == "cpython" and builtins.compile is _REAL_COMPILE:
        builtins.compile = _compile
