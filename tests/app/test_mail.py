"""Outgoing e-mail: through a real SMTP server on loopback, or into the outbox when none is configured."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest

from app.mail import Mail, MailError, build, send, sender
from tests.support.smtp import SmtpServer

BASE = {"SITE_URL": "https://data.example.gov.cn", "MAIL_FROM": "", "SMTP_HOST": "", "SMTP_PORT": 25,
        "SMTP_TIMEOUT": 5.0}


def test_a_chinese_message_reaches_the_smtp_server_whole():
    mail = Mail(("wang@example.gov.cn", "li@example.gov.cn"), "每周评估：交通运输局",
                "本周星级：3.2 ★\n需要先修复：许可协议缺失", html="<p>本周星级：<b>3.2</b></p>")
    with SmtpServer() as smtp:
        sent = send({**BASE, **smtp.settings()}, mail)
        assert sent.via == "smtp" and sent.path is None
        [got] = smtp.messages
    assert got["Subject"] == "每周评估：交通运输局"
    assert got["From"] == "noreply@data.example.gov.cn"
    assert got["Message-ID"].strip() == sent.message_id
    assert sorted(smtp.handler.envelopes[0].rcpt_tos) == ["li@example.gov.cn", "wang@example.gov.cn"]
    assert got.get_body(("plain",)).get_content().startswith("本周星级：3.2 ★")
    assert "<b>3.2</b>" in got.get_body(("html",)).get_content()


def test_without_a_mail_server_the_message_is_kept_in_the_outbox(tmp_path):
    sent = send({**BASE, "INSTANCE_DIR": str(tmp_path), "MAIL_FROM": "portal@example.org"},
                Mail(("a@example.org",), "Reset your password", "https://x/reset/abc"))
    assert sent.via == "outbox"
    [path] = (tmp_path / "outbox").glob("*.eml")
    assert str(path) == sent.path
    got = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (got["From"], got["To"], got.get_content().strip()) == ("portal@example.org", "a@example.org",
                                                                     "https://x/reset/abc")


def test_a_refused_recipient_is_a_clear_error():
    with SmtpServer() as smtp:
        smtp.handler.refuse.add("gone@example.org")
        with pytest.raises(MailError, match="refused every recipient: gone@example.org"):
            send({**BASE, **smtp.settings()}, Mail(("gone@example.org",), "s", "t"))
        with pytest.raises(MailError, match="refused some recipients: gone@example.org"):
            send({**BASE, **smtp.settings()}, Mail(("gone@example.org", "ok@example.org"), "s", "t"))
        assert len(smtp.messages) == 1  # the second went to the one accepted recipient


def test_a_server_that_is_not_there_is_a_clear_error():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MailError, match=f"could not reach the mail server 127.0.0.1:{port}"):
        send({**BASE, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}, Mail(("a@example.org",), "s", "t"))


@pytest.mark.parametrize("to, subject", [
    ("a@example.org\nBcc: everyone@example.org", "s"),
    ("not-an-email", "s"),
    ("a@example.org", "hello\r\nBcc: everyone@example.org"),
])
def test_header_injection_and_bad_addresses_are_refused_before_sending(to, subject):
    with pytest.raises(MailError):
        build(BASE, Mail((to,), subject, "t"))


def test_no_recipient_is_refused():
    with pytest.raises(MailError, match="no recipient"):
        build(BASE, Mail((), "s", "t"))


def test_the_sender_defaults_to_noreply_at_the_site_host():
    assert sender({"SITE_URL": "http://127.0.0.1:5000"}) == "noreply@127.0.0.1"
    assert sender({"SITE_URL": "http://x", "MAIL_FROM": "data@x.gov"}) == "data@x.gov"
