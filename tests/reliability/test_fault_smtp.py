"""Fault: SMTP servers that are down, silent, refuse for now, refuse for good, or break TLS,
against the real outbox with the default retry policy on an accelerated clock.

An hour-long outage goes through every transient failure (nobody listening, a server that never
greets, 421 at connect, 451 at MAIL FROM); the alerts wait with backoff and then each goes out
exactly once to a real aiosmtpd server. A 550 is dead-lettered on the first attempt and never
tried again; a TLS failure is retried, and nothing is sent in clear. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from config.settings import EmailSettings
from pipeline.storage import Storage
from tests.alerts.delivery_support import free_port
from tests.reliability.fault_support import Clock, FaultySmtpServer, build_outbox, store_alert

READERS = ("ana@example.org", "ben@example.org", "cho@example.org")
OUTAGE = (("down", 15), ("silent", 15), ("greet-421", 15), ("mail-451", 15))
"""(server state, simulated minutes) in turn: an hour in all."""


class Mailbox:
    """aiosmtpd handler: keeps accepted messages, refuses ``refused`` with 550, counts RCPTs."""

    def __init__(self, refused: str = "nobody@example.org") -> None:
        self.messages: list[bytes] = []
        self.recipients: Counter[str] = Counter()
        self.refused = refused

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        self.recipients[address] += 1
        if address == self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"

    def delivery_ids(self) -> list[str]:
        return [str(message_from_bytes(m)["X-Newsmon-Delivery"]) for m in self.messages]


def email_settings(port: int, security: str = "none") -> EmailSettings:
    return EmailSettings(host="127.0.0.1", port=port, security=security,  # type: ignore[arg-type]
                         from_address="alerts@newsmon.example", connect_timeout_seconds=0.5,
                         command_timeout_seconds=0.5)


def test_an_hour_long_outage_then_every_alert_goes_out_once(storage: Storage) -> None:
    port = free_port()
    for reader in READERS:
        store_alert(storage, reader.split("@")[0], [("email", reader)])
    clock = Clock()
    box = build_outbox(storage, clock, email=email_settings(port))
    mailbox = Mailbox()
    faulty_connections: dict[str, int] = {}

    async def scenario() -> None:
        for state, minutes in OUTAGE:
            server = None if state == "down" else FaultySmtpServer(state, port).start()
            for _ in range(minutes):
                await box.send_due()
                clock.advance(minutes=1)
            if server is not None:
                server.stop()
                faulty_connections[state] = server.connections
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            for _ in range(24 * 12):  # a day, every five minutes
                await box.send_due()
                clock.advance(minutes=5)
        finally:
            controller.stop()

    asyncio.run(scenario())

    deliveries = storage.alerts.deliveries()
    assert sorted(mailbox.delivery_ids()) == sorted(job.key for job in deliveries)  # once each
    assert {job.status for job in deliveries} == {"sent"}
    for job in deliveries:
        # backoff, not a storm: a try a minute would be 60; the default policy makes 6 to 8
        assert 6 <= job.attempts <= 8, job
    assert set(faulty_connections) == {"silent", "greet-421", "mail-451"}
    assert all(0 < count <= 3 * 3 for count in faulty_connections.values()), faulty_connections


def test_a_permanent_refusal_is_dead_lettered_at_once_and_never_retried(
    storage: Storage,
) -> None:
    port = free_port()
    mailbox = Mailbox(refused="nobody@example.org")
    store_alert(storage, "nobody", [("email", "nobody@example.org")])
    store_alert(storage, "ana", [("email", "ana@example.org")])
    clock = Clock()
    box = build_outbox(storage, clock, email=email_settings(port))
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()

    async def a_day() -> None:
        for _ in range(24 * 12):
            await box.send_due()
            clock.advance(minutes=5)

    try:
        asyncio.run(a_day())
    finally:
        controller.stop()

    by_target = {job.target: job for job in storage.alerts.deliveries()}
    dead = by_target["nobody@example.org"]
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "550" in (dead.last_error or "")
    assert mailbox.recipients["nobody@example.org"] == 1  # one try, then never again
    assert by_target["ana@example.org"].status == "sent"
    assert mailbox.delivery_ids() == [by_target["ana@example.org"].key]


def test_tls_failures_are_retried_and_nothing_goes_out_in_clear(storage: Storage) -> None:
    plain_port = free_port()
    mailbox = Mailbox()
    store_alert(storage, "ana", [("email", "ana@example.org")])
    clock = Clock()
    controller = Controller(mailbox, hostname="127.0.0.1", port=plain_port)
    controller.start()
    broken = FaultySmtpServer("starttls-broken").start()
    try:
        # implicit TLS spoken to a plain server, then STARTTLS with a broken handshake
        implicit = asyncio.run(build_outbox(storage, clock, email=email_settings(
            plain_port, "tls")).send_due())
        clock.advance(hours=1)
        starttls = asyncio.run(build_outbox(storage, clock, email=email_settings(
            broken.port, "starttls")).send_due())
    finally:
        broken.stop()
        controller.stop()
    assert (implicit.retrying, starttls.retrying) == (1, 1)
    [job] = storage.alerts.deliveries()
    assert (job.status, job.attempts) == ("retrying", 2)
    assert "TLS" in (job.last_error or "")
    assert mailbox.messages == [] and broken.connections == 1
