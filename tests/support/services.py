"""Reach the services of the machine; skip when one is missing, fail under OPENDATA_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import socket

import pytest


def require_services() -> bool:
    return os.environ.get("OPENDATA_REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes", "on")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing(what: str) -> None:
    """A service the test needs is not there: fail in CI, skip elsewhere."""
    message = f"{what} is not available"
    if require_services():
        pytest.fail(message + " (OPENDATA_REQUIRE_SERVICES=1: a missing service is a failure)")
    pytest.skip(message)


def postgres_url() -> str:
    return os.environ.get("OPENDATA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
