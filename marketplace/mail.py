"""Outgoing mail: one message type and pluggable backends (console, SMTP, memory for tests).

    from marketplace import mail
    mail.send(mail.Message(to="a@example.nl", subject="...", text="...", html=None))

`MAIL_URL` picks the backend: `console://` (the default: prints the message to stderr, for development),
`smtp://user:password@host:port` (`smtps://` for implicit TLS, `?starttls=1` for STARTTLS), or `memory://`
(tests read `mail.outbox`). Sending here is synchronous; the job queue (notifications) calls it from a worker,
never inside a request, so a slow mail server does not hold up a page.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Backend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


DEFAULT_SENDER = "SRX <noreply@srx.invalid>"
outbox: list[EmailMessage] = []  # the memory backend's messages (tests)


class MemoryBackend:
    def send(self, message: EmailMessage) -> None:
        outbox.append(message)


class ConsoleBackend:
    def send(self, message: EmailMessage) -> None:
        print(message.as_string(), file=sys.stderr, flush=True)


class SMTPBackend:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in {"1", "true", "yes"}
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        smtp_class = smtplib.SMTP_SSL if self.implicit_tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def backend_for(url: str | None, timeout: float = 10.0) -> Backend:
    scheme = urlsplit(url or "console://").scheme
    if scheme == "memory":
        return MemoryBackend()
    if scheme in {"smtp", "smtps"}:
        return SMTPBackend(url or "", timeout=timeout)
    if scheme == "console":
        return ConsoleBackend()
    raise ValueError(f"MAIL_URL: unknown scheme {scheme!r} (console, smtp, smtps or memory)")


def build(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    # After the content: set_content drops Content-* headers (Content-Language) set before it.
    for name, value in message.headers.items():
        email[name] = value
    return email


def send(
    message: Message, *, url: str | None = None, sender: str | None = None, timeout: float = 10.0
) -> None:
    """Send one message now, with the app's settings unless given. Raises on a refusing or hung server
    (after `timeout` seconds without an answer)."""
    if url is None or sender is None:
        from flask import current_app

        url = url if url is not None else current_app.config.get("MAIL_URL")
        sender = sender or current_app.config.get("MAIL_FROM")
    backend_for(url, timeout).send(build(message, sender or DEFAULT_SENDER))
