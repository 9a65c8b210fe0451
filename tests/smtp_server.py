"""A real SMTP server (aiosmtpd) on loopback for mail tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sink:
    """Collects what the server accepted; refuses recipients listed in `reject` for good and
    those in `greylist` for now (450, as greylisting servers do)."""

    reject: set[str] = field(default_factory=set)
    greylist: set[str] = field(default_factory=set)
    received: list[Message] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:  # noqa: N802
        if address in self.reject:
            return "550 5.1.1 no such mailbox here"
        if address in self.greylist:
            return "450 4.2.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"


@contextmanager
def smtp_server(port: int | None = None, sink: Sink | None = None) -> Iterator[tuple[int, Sink]]:
    sink = sink or Sink()
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()
