"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mail it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from generated import free_port


@dataclass
class Inbox:
    """The messages the server accepted, in order; aiosmtpd calls handle_DATA for each."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    @property
    def url(self) -> str:
        """The EMAIL_URL that sends mail here."""
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address: str, count: int, timeout: float = 10) -> EmailMessage:
        """The `count`-th message to `address`, once it has arrived."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no mail #{count} to {address}: {self.messages}"
            time.sleep(0.05)
        return self.to(address)[count - 1]


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a mail."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content()


@contextlib.contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
