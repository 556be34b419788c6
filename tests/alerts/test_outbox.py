"""The outbox against real receivers: a local webhook receiver and a real aiosmtpd server.

Deliveries are retried with backoff on a controlled clock, delivered exactly once, dead-lettered
when permanent, replayable with the same delivery id, and a 410 disables the channel.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from aiosmtpd.controller import Controller

from alerts.channels import ChannelDeps, build_channels
from alerts.channels.webhook import verify_signature
from alerts.compose import compose_message
from alerts.netguard import AllowList, guarded_client
from alerts.outbox import Outbox, OutboxReport, RetryPolicy
from config.settings import EmailSettings
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.alerts.delivery_support import Receiver, Reply, free_port
from tests.support.clock import START, ManualClock

KEY = "k" * 40


Clock = ManualClock


class Recorder:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def alert_for(storage: Storage, channels: tuple[tuple[str, str], ...]) -> None:
    """One stored article, one subscription with ``channels``, one alert with its deliveries."""
    text = "Meta unveiled Muse Spark on Tuesday. " + " ".join(f"w{n}" for n in range(40))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url="https://news.example/muse", title="Meta unveils Muse Spark", text=text),
        origin=ArticleOrigin.PAGE, fetched_at=START)
    assert outcome.article_id is not None
    subscription = storage.subscriptions.add(
        NewSubscription(name="meta", query="company:Meta", channels=channels), START)
    assert subscription is not None
    match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta", "spans": []},),
                              tuple(c.id for c in subscription.channels))
    storage.alerts.record_matches(outcome.article_id, outcome.article_id, [match], START)


def outbox(storage: Storage, clock: Clock, smtp_port: int | None = None,
           max_attempts: int = 5) -> Outbox:
    allow = AllowList.parse(["127.0.0.1"])
    email = EmailSettings(host="127.0.0.1", port=smtp_port, security="none",
                          from_address="alerts@newsmon.example.org",
                          connect_timeout_seconds=2, command_timeout_seconds=2) \
        if smtp_port else None
    deps = ChannelDeps(http_client=guarded_client(allow, timeout=3.0), allow=allow, email=email,
                       env={"NEWSMON_WEBHOOK_SIGNING_KEY": KEY}, http_deadline_seconds=3.0)
    channels, _missing = build_channels(deps)
    return Outbox(storage, channels, lambda job: compose_message(storage, "https://n.example", job),
                  clock, RetryPolicy(max_attempts, 60, 3600), rng=random.Random(7))


def run(box: Outbox) -> OutboxReport:
    return asyncio.run(box.send_due())


def test_webhook_500_500_then_200_is_delivered_once_after_backoff(
    storage: Storage, receiver: Receiver
) -> None:
    clock = Clock()
    alert_for(storage, (("webhook", receiver.url("/hook")),))
    box = outbox(storage, clock)
    receiver.reply("/hook", Reply(500))
    assert run(box).retrying == 1
    assert run(box).attempted == 0  # backing off: nothing is due yet
    clock.advance(seconds=61)
    assert run(box).retrying == 1
    receiver.reply("/hook", Reply(200))
    clock.advance(seconds=121)
    assert run(box).sent == 1
    clock.advance(days=1)
    assert run(box).attempted == 0
    attempts = receiver.requests("/hook")
    assert len(attempts) == 3
    assert len({r.headers["newsmon-delivery"] for r in attempts}) == 1  # the same delivery id
    for request in attempts:
        problem = verify_signature(KEY.encode(), request.body,
                                   request.headers["newsmon-timestamp"],
                                   request.headers["newsmon-signature"],
                                   now=float(request.headers["newsmon-timestamp"]))
        assert problem is None
    assert storage.alerts.outbox_counts() == {"sent": 1}


def test_410_disables_the_endpoint(storage: Storage, receiver: Receiver) -> None:
    alert_for(storage, (("webhook", receiver.url("/gone")),))
    receiver.reply("/gone", Reply(410))
    report = run(outbox(storage, Clock()))
    assert (report.disabled, report.dead) == (1, 1)
    subscription = storage.subscriptions.get("meta")
    assert subscription is not None and subscription.channels[0].disabled_at is not None
    [dead] = storage.alerts.deliveries(status="dead")
    assert "disabled" in (dead.last_error or "")


def test_transient_failures_end_in_the_dead_letters_and_replay_resends(
    storage: Storage, receiver: Receiver
) -> None:
    clock = Clock()
    alert_for(storage, (("webhook", receiver.url("/down")),))
    receiver.reply("/down", Reply(503))
    box = outbox(storage, clock, max_attempts=3)
    for _ in range(3):
        run(box)
        clock.advance(hours=2)
    [dead] = storage.alerts.deliveries(status="dead")
    assert dead.attempts == 3 and "gave up after 3 attempts" in (dead.last_error or "")
    receiver.reply("/down", Reply(204))
    assert storage.alerts.replay(dead.id, clock())
    assert run(box).sent == 1
    ids = {r.headers["newsmon-delivery"] for r in receiver.requests("/down")}
    assert ids == {dead.key}


def test_smtp_down_then_up_delivers_each_alert_once(storage: Storage) -> None:
    clock = Clock()
    port = free_port()
    alert_for(storage, (("email", "reader@example.org"),))
    box = outbox(storage, clock, smtp_port=port)
    assert run(box).retrying == 1  # nobody listens on the port yet
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(hours=1)
        assert run(box).sent == 1
        clock.advance(days=1)
        assert run(box).attempted == 0
    finally:
        controller.stop()
    [message] = recorder.messages
    assert b"Muse Spark" in message and b"List-Unsubscribe" in message


def test_a_channel_that_is_not_configured_keeps_its_deliveries(storage: Storage) -> None:
    alert_for(storage, (("email", "reader@example.org"),))
    report = run(outbox(storage, Clock(), smtp_port=None))
    assert report.retrying == 1
    [waiting] = storage.alerts.deliveries()
    assert waiting.status == "retrying" and "not configured" in (waiting.last_error or "")


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=60, max_seconds=600)
    rng = random.Random(1)
    delays = [policy.delay(attempt, rng) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(600, 60 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 600


def test_one_pass_sends_every_due_delivery_batch_after_batch(
    storage: Storage, receiver: Receiver
) -> None:
    clock = Clock()
    alert_for(storage, tuple(("webhook", receiver.url(f"/hook/{n}")) for n in range(7)))
    box = outbox(storage, clock)
    box.batch_size = 3
    report = run(box)
    assert (report.sent, report.retrying, report.dead) == (7, 0, 0)
    assert sorted(r.path for r in receiver.requests()) == [f"/hook/{n}" for n in range(7)]
    assert run(box).attempted == 0


def test_a_pass_stops_when_a_full_batch_only_gets_retried(
    storage: Storage, receiver: Receiver
) -> None:
    clock = Clock()
    alert_for(storage, tuple(("webhook", receiver.url(f"/down/{n}")) for n in range(4)))
    for n in range(4):
        receiver.reply(f"/down/{n}", Reply(503))
    box = outbox(storage, clock)
    box.batch_size = 2
    box.policy = RetryPolicy(5, 0, 0)  # retries due at once: only the stop rule ends the pass
    report = run(box)
    assert (report.sent, report.retrying) == (0, 2)
