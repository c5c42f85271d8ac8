"""Politeness: the turns of requests to one host, kept in one process or shared by every worker.

A turn keeper hands each request to a host a start time at least `delay` seconds after the previous
one's, and says how long the caller waits for it. `LocalTurns` keeps the turns of one process (its
threads queue per host); `RedisTurns` keeps them in Redis, so that many workers on many machines
together never ask one agency's server faster than the delay allows. Its reservation is one Lua
script on Redis's own clock: atomic, and the same clock for every worker whatever their own say.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Turns(Protocol):
    def reserve(self, host: str, delay: float) -> float:
        """Reserve the next turn of `host`; returns how many seconds to wait for it (0: go now)."""

    def close(self) -> None:
        """Let go of what the keeper holds (a connection)."""


class LocalTurns:
    """The turns of one process, across its threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def reserve(self, host: str, delay: float) -> float:
        with self._lock:
            now = self._clock()
            turn = max(now, self._next.get(host, now))
            self._next[host] = turn + delay
        return turn - now

    def close(self) -> None:
        pass


# KEYS[1]: the host's key; ARGV[1]: the delay in microseconds. Returns the wait in microseconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local turn = math.max(now, nxt)
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', turn + delay), 'PX', math.floor((turn - now + delay) / 1000) + 1000)
return turn - now
"""


class RedisTurns:
    """The turns of every process that uses the same Redis (e.g. the Celery broker's)."""

    def __init__(self, url: str, prefix: str = "opendata:turn:"):
        import redis  # the Celery broker's client; only workers that share turns need it

        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_RESERVE)
        self._prefix = prefix

    def reserve(self, host: str, delay: float) -> float:
        waited = self._script(keys=[self._prefix + host], args=[int(delay * 1_000_000)])
        return int(waited) / 1_000_000

    def close(self) -> None:
        self._client.close()


def shared_turns_url(values: dict) -> str | None:
    """The Redis that keeps the turns every worker shares: OPENDATA_POLITENESS_REDIS_URL, else the broker
    when it is Redis; None when turns stay in the process."""
    url = values.get("POLITENESS_REDIS_URL") or values.get("BROKER_URL") or ""
    return url if str(url).startswith(("redis://", "rediss://", "unix://")) else None
