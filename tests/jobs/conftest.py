"""A real SMTP server in the test process (aiosmtpd) that can also refuse or hang, and an app that mails to it."""

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from marketplace import create_app
from marketplace.jobs import huey


class Inbox:
    """What the server accepted; `mode` is "accept", "refuse" (554 on DATA) or "hang" (no answer for a while)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.mode = "accept"
        self.hang_seconds = 3.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "refuse":
            return "554 5.7.1 Refused for the test"
        if self.mode == "hang":
            await asyncio.sleep(self.hang_seconds)
            return "451 4.3.0 Too late"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture
def app(app_config: dict[str, Any], smtp: tuple[Inbox, int]) -> Iterator[Any]:
    """The app mailing to the in-process server; Huey in immediate mode with an empty schedule."""
    config = {
        **app_config,
        "MAIL_URL": f"smtp://127.0.0.1:{smtp[1]}",
        "MAIL_FROM": "SRX <noreply@srx.example.nl>",
        "MAIL_TIMEOUT": 1.0,
        "BASE_URL": "https://srx.example.nl",
    }
    app = create_app(config)
    huey.immediate = True
    huey.flush()
    yield app
    huey.flush()
    app.extensions["srx.engine"].dispose()
