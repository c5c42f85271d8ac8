"""Tests send packets to loopback only, even when the code under test is broken.

`install()` wraps socket.connect so that any address outside 127.0.0.0/8 and ::1
raises instead of leaving the machine. Tests of the SSRF guard rely on this as a
second fence: if the guard lets a private address through, the test fails here.
"""

from __future__ import annotations

import ipaddress
import socket


class LeakedConnection(AssertionError):
    """A test tried to reach a non-loopback address."""


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _check(address) -> None:
    if not isinstance(address, tuple):  # unix sockets
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        raise LeakedConnection(f"connect to unresolved host {host!r} blocked in tests") from None
    if not ip.is_loopback:
        raise LeakedConnection(f"connection to non-loopback address {host} blocked in tests")


def _connect(self, address):
    _check(address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    _check(address)
    return _original_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
