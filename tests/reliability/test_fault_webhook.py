"""Fault: webhook receivers that fail, stall, vanish or redirect, against the real outbox.

Four subscriptions, each with a webhook on a real local receiver that checks the signature of
every request: one answers 500 twice then 204, one answers 200 only after the delivery deadline
once, one answers 410 Gone, one answers 301. The outbox runs pass after pass on an accelerated
clock (a simulated day); afterwards each delivery is sent once or dead-lettered once, with the
attempts the receiver saw matching the record, the same delivery id on every attempt, and a
valid signature on every request. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from pipeline.storage import Storage
from tests.reliability.fault_support import (
    Answer,
    Clock,
    SignedReceiver,
    build_outbox,
    store_alert,
)

DEADLINE = 1.0


@pytest.fixture
def receiver() -> Iterator[SignedReceiver]:
    server = SignedReceiver().start()
    yield server
    server.stop()


async def run_for_a_day(storage: Storage, clock: Clock) -> int:
    """Outbox passes every five simulated minutes for a day; returns the attempts made."""
    box = build_outbox(storage, clock, deadline=DEADLINE)
    attempts = 0
    for _ in range(24 * 12):
        attempts += (await box.send_due()).attempted
        clock.advance(minutes=5)
    return attempts


def test_failing_stalling_gone_and_moved_receivers(storage: Storage,
                                                   receiver: SignedReceiver) -> None:
    flaky = receiver.script("/flaky", Answer(500), Answer(503), Answer(204))
    slow = receiver.script("/slow", Answer(200, delay=DEADLINE + 1.0), Answer(200))
    gone = receiver.script("/gone", Answer(410))
    moved = receiver.script("/moved", Answer(301, headers={"Location": receiver.url("/new")}))
    for name, url in (("flaky", flaky), ("slow", slow), ("gone", gone), ("moved", moved)):
        store_alert(storage, name, [("webhook", url)])
    clock = Clock()

    assert asyncio.run(run_for_a_day(storage, clock)) == 3 + 2 + 1 + 1  # no retry storm

    deliveries = {job.target.rsplit("/", 1)[1]: job for job in storage.alerts.deliveries()}
    assert {name: (job.status, job.attempts) for name, job in deliveries.items()} == {
        "flaky": ("sent", 3), "slow": ("sent", 2), "gone": ("dead", 1), "moved": ("dead", 1)}
    assert [h.path for h in receiver.hits_of()].count("/new") == 0  # the redirect not followed
    assert "redirect not followed" in (deliveries["moved"].last_error or "")
    assert "disabled" in (deliveries["gone"].last_error or "")
    gone_subscription = storage.subscriptions.get("gone")
    assert gone_subscription is not None
    assert gone_subscription.channels[0].disabled_at is not None
    for name, job in deliveries.items():
        hits = receiver.hits_of(f"/{name}")
        assert len(hits) == job.attempts, name  # every attempt recorded, none unrecorded
        assert {hit.delivery_id for hit in hits} == {job.key}  # the same delivery id throughout
        assert [hit.signature_problem for hit in hits] == [None] * len(hits)

