"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """`with SmtpServer() as smtp:` then point SMTP_HOST/SMTP_PORT at `smtp.host`/`smtp.port`."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def settings(self) -> dict[str, object]:
        return {"SMTP_HOST": self.host, "SMTP_PORT": self.port}

    def __enter__(self) -> SmtpServer:
        # aiosmtpd cannot listen on port 0 (it connects to its own port to see it started): take a free port,
        # and another if a parallel test took it in between.
        for _ in range(5):
            self.host, self.port = "127.0.0.1", _free_port()
            self._controller = Controller(self.handler, hostname=self.host, port=self.port)
            try:
                self._controller.start()
                return self
            except (OSError, RuntimeError):
                continue
        raise RuntimeError("no free port for the test SMTP server")

    def __exit__(self, *exc) -> None:
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
