"""A process told to stop stops, even when the stop landed inside a database driver.

A Celery pool process turns SIGTERM (a task cancelled when the broker went away, a worker shutting down)
into SystemExit, and Ctrl-C is KeyboardInterrupt. When either arrives while psycopg is inside a COPY, the
driver's own clean-up can fail and raise its OperationalError instead: the stop survives only as that
error's context. Code that takes a database error for a bad batch ("import the records one by one") or
for a database worth retrying would then carry on, with the interrupted connection still open on the
server in the middle of its COPY, holding its locks (a publisher row the fallback then waited on forever,
and every DROP DATABASE on the server with it: PostgreSQL's DROP waits on every backend).

`interruption(exc)` finds such a stop behind an error; `reraise_interruption(exc)` raises it again."""

from __future__ import annotations

_STOPS = (SystemExit, KeyboardInterrupt)


def interruption(exc: BaseException | None) -> BaseException | None:
    """The SystemExit or KeyboardInterrupt `exc` is, or was raised while handling (its cause or context,
    however deep); None when there is none."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, _STOPS):
            return current
        seen.add(id(current))
        stack.extend((current.__context__, current.__cause__))
    return None


def reraise_interruption(exc: BaseException) -> None:
    """Raise the stop behind `exc`, if there is one; else return."""
    stop = interruption(exc)
    if stop is not None and stop is not exc:
        raise stop
