"""A real local SMTP server (aiosmtpd) for tests: ``inbox`` yields it with its port; tests point
``RUNDE_SMTP_URL`` at it and read what arrived."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.config import Settings


@dataclass
class Inbox:
    """What the local aiosmtpd server received."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]  # type: ignore[misc]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def settings_with_smtp(base: Settings, port: int) -> Settings:
    """The test's settings, sending mail to the local server on ``port``."""
    return base.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}", "mail_from": "runde@example.org"})
