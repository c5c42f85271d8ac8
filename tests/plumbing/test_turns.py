"""Politeness turns shared by workers through the real Redis on 127.0.0.1:6379: two sessions (two workers'
worth of turn keepers) asking one host queue behind each other, as one session's threads do."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from plumbing.http import GuardedSession, HttpConfig
from plumbing.turns import LocalTurns, RedisTurns, shared_turns_url
from tests.support import services

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/11"
DELAY = 100.0  # seconds: large enough that the real time between two calls cannot blur the order


@pytest.fixture
def redis_url():
    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    return REDIS


@pytest.fixture
def prefix(redis_url):
    import redis

    name = f"test-turns:{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(name + "*"):
        client.delete(key)
    client.close()


class Slept:
    """A sleep that records what it was asked to wait, and waits for nothing."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_two_workers_queue_for_one_host(local_server, redis_url, prefix):
    local_server.add_bytes("/p", b"ok")
    cfg = HttpConfig(allow_hosts=["127.0.0.1"], host_delay=DELAY, retries=0)
    slept_a, slept_b = Slept(), Slept()
    a = GuardedSession(cfg, sleep=slept_a, turns=RedisTurns(redis_url, prefix=prefix))
    b = GuardedSession(cfg, sleep=slept_b, turns=RedisTurns(redis_url, prefix=prefix))
    with a, b:
        for session in (a, b, a, b):
            assert session.fetch(local_server.url("/p")).status == 200
    assert len(local_server.requests) == 4
    # a goes at once; then each request waits for the turns reserved before it, whichever worker asked
    assert slept_a.waits[0] > DELAY * 2 - 10 and len(slept_a.waits) == 1
    assert [round(w / DELAY) for w in slept_b.waits] == [1, 3]
    assert all(w <= k * DELAY for w, k in zip(slept_b.waits, (1, 3), strict=True))


def test_turns_are_shared_across_processes(redis_url, prefix):
    """Another process reserves two turns of the host: this one's next turn comes after them."""
    code = (f"from plumbing.turns import RedisTurns; t = RedisTurns({redis_url!r}, prefix={prefix!r}); "
            f"print(t.reserve('agency.example.gov', {DELAY}), t.reserve('agency.example.gov', {DELAY}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=60)
    first, second = (float(x) for x in out.stdout.split())
    assert first == 0 and DELAY - 10 < second <= DELAY
    mine = RedisTurns(redis_url, prefix=prefix)
    try:
        assert 2 * DELAY - 10 < mine.reserve("agency.example.gov", DELAY) <= 2 * DELAY
        assert mine.reserve("another.example.gov", DELAY) == 0  # each host has its own turns
    finally:
        mine.close()


def test_settings_choose_who_keeps_the_turns(redis_url):
    base = {"ALLOW_HOSTS": ["127.0.0.1"], "HTTP_HOST_DELAY": 0.5}
    assert shared_turns_url({**base, "BROKER_URL": "redis://127.0.0.1:6379/0"}) == "redis://127.0.0.1:6379/0"
    assert shared_turns_url({**base, "BROKER_URL": "amqp://guest@127.0.0.1//"}) is None
    assert shared_turns_url({**base, "BROKER_URL": "amqp://x", "POLITENESS_REDIS_URL": REDIS}) == REDIS
    with GuardedSession.from_settings({**base, "POLITENESS_REDIS_URL": REDIS}) as http:
        assert isinstance(http.turns, RedisTurns)
    with GuardedSession.from_settings({**base, "BROKER_URL": REDIS, "HTTP_HOST_DELAY": 0}) as http:
        assert isinstance(http.turns, LocalTurns)  # no delay: nothing to share
    with GuardedSession.from_settings(base) as http:
        assert isinstance(http.turns, LocalTurns)
