"""Compiled templates kept for the life of the process, shared by every app it builds.

Jinja turns each template into Python code the first time an environment renders it, and an environment
belongs to one app: a process that builds several apps (the test suite builds one per test, a command may
build one per run beside a server's) compiled every template again each time. A template's code depends
only on its source and on the options that change how it is parsed; Jinja's bytecode cache keeps the code
under the template's name and checks the source's checksum before using it, so an edited template is
compiled again (as with auto-reload in development). The store is memory only: nothing is written to disk.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from jinja2.environment import Environment


class ProcessBytecodeCache(BytecodeCache):
    """Template code in a dict, for the environments of one configuration."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # checks Jinja's version and the source's checksum

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


_caches: dict[tuple, ProcessBytecodeCache] = {}
_caches_lock = threading.Lock()


def _options(env: Environment) -> tuple:
    """What, besides the source, the compiled code of a template depends on."""
    return (env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
            env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
            env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
            repr(env.autoescape), env.optimized, getattr(env.finalize, "__qualname__", None),
            env.undefined.__qualname__, tuple(sorted(env.extensions)),
            tuple(sorted(env.filters)), tuple(sorted(env.tests)))


def share_compiled_templates(env: Environment) -> None:
    """Give `env` the process's cache for environments configured as it is."""
    key = _options(env)
    with _caches_lock:
        env.bytecode_cache = _caches.setdefault(key, ProcessBytecodeCache())


def compile_all(env: Environment) -> int:
    """Compile every template of `env` now (a server calls it as each worker starts), so that the first visitors
    of each page after a start do not pay for it: a page's first render compiled its templates, 10 to 15 ms
    of CPU more than the next. Returns how many were compiled; a template that does not compile is left for its
    first render to report, as it would be without this."""
    done = 0
    for name in env.list_templates(extensions=("html", "txt", "xml", "j2")):
        try:
            env.get_template(name)
        except Exception:  # noqa: BLE001 - the page that renders it says what is wrong, as before
            continue
        done += 1
    return done
