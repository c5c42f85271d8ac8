"""The portal's outgoing e-mail: one function that sends a message, or keeps it in the outbox.

Invitations, password resets and the weekly evaluation all go through `send`. With SMTP_HOST set the
message goes to that server (STARTTLS or SMTPS and a sign-in as the settings say); without it the message
is written as an `.eml` file to `outbox/` in the instance folder, so a demo or a test machine with no mail
server still shows what would have been sent. A failure is a `MailError` with one sentence saying what went
wrong; callers decide whether it stops what they were doing (a password reset says so; a weekly report is
kept and the send retried next time).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.texts import T_


class MailError(Exception):
    """A message that could not be sent (or written), said in one sentence."""


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    #: extra headers (e.g. List-Unsubscribe); names and values are checked like the others
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    via: str  # "smtp" or "outbox"
    message_id: str
    path: str | None = None  # the .eml file, for the outbox


def sender(settings: Mapping[str, Any]) -> str:
    """MAIL_FROM, or noreply@ the host of SITE_URL."""
    if settings.get("MAIL_FROM"):
        return settings["MAIL_FROM"]
    host = urlsplit(settings.get("SITE_URL") or "").hostname or "localhost"
    return f"noreply@{host}"


def build(settings: Mapping[str, Any], mail: Mail, *, now: dt.datetime | None = None) -> EmailMessage:
    """The message as it will be sent: MIME text (and HTML) parts in UTF-8, Date and Message-ID set.

    A header that would carry a line break (header injection) or an address that does not parse is a
    MailError before anything is sent."""
    if not mail.to:
        raise MailError("the message has no recipient")
    msg = EmailMessage()
    try:
        msg["From"] = sender(settings)
        msg["To"] = ", ".join(_address(a) for a in mail.to)
        msg["Subject"] = mail.subject
        if mail.reply_to:
            msg["Reply-To"] = _address(mail.reply_to)
        for name, value in mail.headers.items():
            msg[name] = value
    except (ValueError, TypeError) as exc:
        raise MailError(f"the message cannot be sent as it is: {exc}") from exc
    domain = sender(settings).rpartition("@")[2] or "localhost"
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    msg.set_content(mail.text, charset="utf-8")
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    return msg


def _address(text: str) -> str:
    text = text.strip()
    if "\n" in text or "\r" in text:
        raise ValueError(f"an address with a line break: {text!r}")
    addr = Address(addr_spec=text)  # ValueError/HeaderParseError on what is not an address
    if not addr.domain or not addr.username:
        raise ValueError(f"not an e-mail address: {text!r}")
    return str(addr)


def send(settings: Mapping[str, Any], mail: Mail) -> Sent:
    """Send `mail` through SMTP_HOST, or write it to the outbox when no server is configured."""
    msg = build(settings, mail)
    if not settings.get("SMTP_HOST"):
        return _to_outbox(settings, msg)
    return _to_smtp(settings, msg)


def _to_outbox(settings: Mapping[str, Any], msg: EmailMessage) -> Sent:
    outbox = outbox_dir(settings)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(msg.as_bytes())
        tmp.replace(path)
    except OSError as exc:
        raise MailError(T_("could not write the message to the outbox %(outbox)s: %(reason)s", outbox=str(outbox),
                           reason=exc.strerror or str(exc))) from exc
    return Sent("outbox", msg["Message-ID"], str(path))


def outbox_dir(settings: Mapping[str, Any]) -> Path:
    """Where messages go when no mail server is configured."""
    return Path(settings.get("INSTANCE_DIR") or "instance") / "outbox"


def _to_smtp(settings: Mapping[str, Any], msg: EmailMessage) -> Sent:
    host, port = settings["SMTP_HOST"], int(settings.get("SMTP_PORT") or 25)
    timeout = float(settings.get("SMTP_TIMEOUT") or 10)
    where = f"{host}:{port}"
    try:
        if settings.get("SMTP_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.get("SMTP_STARTTLS") and not settings.get("SMTP_SSL"):
                client.starttls(context=ssl.create_default_context())
            if settings.get("SMTP_USER"):
                client.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD") or "")
            refused = client.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(T_("the mail server %(where)s refused every recipient: %(recipients)s", where=where,
                           recipients=", ".join(sorted(exc.recipients)))) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(T_("the mail server %(where)s did not accept SMTP_USER's sign-in", where=where)) from exc
    except smtplib.SMTPException as exc:
        raise MailError(T_("the mail server %(where)s did not take the message: %(reason)s", where=where,
                           reason=str(exc))) from exc
    except OSError as exc:  # TimeoutError included
        raise MailError(T_("could not reach the mail server %(where)s: %(reason)s", where=where,
                           reason=getattr(exc, "strerror", None) or str(exc))) from exc
    if refused:
        raise MailError(T_("the mail server %(where)s refused some recipients: %(recipients)s", where=where,
                           recipients=", ".join(sorted(refused))))
    return Sent("smtp", msg["Message-ID"])
