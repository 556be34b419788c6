"""The signed webhook channel against a real local receiver; the channel registry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from alerts.channels import (
    ChannelDeps,
    ChannelNotConfiguredError,
    DeliveryResult,
    DeliveryStatus,
    UnknownChannelError,
    build_channel,
    build_channels,
)
from alerts.channels.posting import parse_retry_after
from alerts.channels.webhook import SCHEMA, WebhookChannel, alert_payload, verify_signature
from alerts.netguard import AllowList, guarded_client
from tests.alerts.delivery_support import Receiver, Reply, free_port, sample_message

KEY = b"0123456789abcdef0123456789abcdef-test-key"
LOCAL = AllowList.parse(["127.0.0.1"])


class StepClock:
    """A clock that moves on by ``step`` seconds each time it is read."""

    def __init__(self, start: float = 1_800_000_000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value




def deliver(url: str, *, clock: StepClock | None = None, deadline: float = 5.0,
            attempts: int = 1, delivery_id: str = "dlv-0001") -> list[DeliveryResult]:
    async def run() -> list[DeliveryResult]:
        async with guarded_client(LOCAL, timeout=5.0) as client:
            channel = WebhookChannel(client, KEY, allow=LOCAL, deadline=deadline,
                                     clock=clock or StepClock())
            message = sample_message(delivery_id=delivery_id)
            return [await channel.send(message, url) for _ in range(attempts)]

    return asyncio.run(run())


def test_signature_verifies_with_the_documented_procedure(receiver: Receiver) -> None:
    clock = StepClock(start=1_800_000_000.0)
    [result] = deliver(receiver.url("/hook"), clock=clock)
    assert result.status is DeliveryStatus.SENT and result.status_code == 200
    [seen] = receiver.requests("/hook")
    timestamp = seen.headers["newsmon-timestamp"]
    assert timestamp == "1800000000"
    # docs/webhooks.md: HMAC-SHA256(key, timestamp + "." + raw body), hex, prefixed "sha256=".
    expected = hmac.new(KEY, timestamp.encode() + b"." + seen.body, hashlib.sha256).hexdigest()
    assert seen.headers["newsmon-signature"] == f"sha256={expected}"
    assert seen.headers["newsmon-delivery"] == "dlv-0001"
    assert seen.headers["content-type"] == "application/json"
    assert verify_signature(KEY, seen.body, timestamp, seen.headers["newsmon-signature"],
                            now=1_800_000_010.0) is None


def test_receivers_reject_tampering_replays_and_wrong_keys(receiver: Receiver) -> None:
    deliver(receiver.url("/hook"), clock=StepClock(start=1_800_000_000.0))
    [seen] = receiver.requests("/hook")
    stamp, signature = seen.headers["newsmon-timestamp"], seen.headers["newsmon-signature"]
    now = 1_800_000_000.0
    assert "does not match" in (verify_signature(KEY, seen.body + b" ", stamp, signature,
                                                 now=now) or "")
    assert "does not match" in (verify_signature(b"another-key" * 4, seen.body, stamp, signature,
                                                 now=now) or "")
    assert "does not match" in (verify_signature(KEY, seen.body, "1800000001", signature,
                                                 now=now) or "")
    assert "tolerance" in (verify_signature(KEY, seen.body, stamp, signature,
                                            now=now + 301) or "")
    rotated = f"sha256={'0' * 64}, {signature}"
    assert verify_signature(KEY, seen.body, stamp, rotated, now=now) is None


def test_body_is_the_versioned_schema_and_identical_on_every_attempt(receiver: Receiver) -> None:
    results = deliver(receiver.url("/hook"), clock=StepClock(step=7.0), attempts=2)
    assert [r.status for r in results] == [DeliveryStatus.SENT] * 2
    first, second = receiver.requests("/hook")
    assert first.body == second.body
    assert first.headers["newsmon-timestamp"] != second.headers["newsmon-timestamp"]
    document = json.loads(first.body)
    assert document["schema"] == SCHEMA == "newsmon.alert/1"
    assert document["delivery_id"] == "dlv-0001"
    assert document["created"] == "2026-11-20T12:00:00Z"
    assert document["subscription"] == {"name": "meta-models",
                                        "query": 'company:Meta AND "muse spark"'}
    assert document["article"]["url"] == "https://news.example.com/meta-muse-spark"
    assert document["article"]["published"] == "2026-11-20T09:30:00Z"
    assert document["other_outlets"] == 4
    assert {"kind": "company", "name": "Meta", "ticker": "META"} in document["tags"]
    assert document["stock_reactions"] == [
        {"company": "Meta", "ticker": "META", "direction": "up", "magnitude_pct": 3.2}]
    title_highlight = document["highlights"][0]
    assert title_highlight["field"] == "title"
    assert {"text": "Muse Spark", "marked": True} in title_highlight["segments"]
    assert document == alert_payload(sample_message())


def test_server_error_is_retried(receiver: Receiver) -> None:
    receiver.reply("/hook", Reply(500, b"database on fire"))
    [result] = deliver(receiver.url("/hook"))
    assert result == DeliveryResult.retry("HTTP 500: database on fire", 500, None)


def test_rate_limit_is_retried_after_the_time_the_receiver_asks(receiver: Receiver) -> None:
    receiver.reply("/hook", Reply(429, headers={"Retry-After": "120"}))
    [result] = deliver(receiver.url("/hook"))
    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 120.0 and result.status_code == 429


def test_gone_disables_the_endpoint(receiver: Receiver) -> None:
    receiver.reply("/hook", Reply(410))
    [result] = deliver(receiver.url("/hook"))
    assert result.status is DeliveryStatus.DISABLED and result.status_code == 410


@pytest.mark.parametrize(("status", "expected"), [(404, DeliveryStatus.FAILED),
                                                  (400, DeliveryStatus.FAILED),
                                                  (408, DeliveryStatus.RETRY),
                                                  (503, DeliveryStatus.RETRY),
                                                  (204, DeliveryStatus.SENT)])
def test_status_mapping(receiver: Receiver, status: int, expected: DeliveryStatus) -> None:
    receiver.reply("/hook", Reply(status))
    [result] = deliver(receiver.url("/hook"))
    assert (result.status, result.status_code) == (expected, status)


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.reply("/hook", Reply(301, headers={"Location": receiver.url("/new-home")}))
    [result] = deliver(receiver.url("/hook"))
    assert result.status is DeliveryStatus.FAILED and result.status_code == 301
    assert "redirect not followed" in result.detail
    assert [r.path for r in receiver.requests()] == ["/hook"]


def test_slow_receiver_past_the_deadline_is_retried(receiver: Receiver) -> None:
    receiver.reply("/hook", Reply(hang=True))
    started = time.monotonic()
    [result] = deliver(receiver.url("/hook"), deadline=0.3)
    assert result.status is DeliveryStatus.RETRY
    assert "within 0.3s" in result.detail
    assert time.monotonic() - started < 2.0


def test_receiver_down_is_retried() -> None:
    [result] = deliver(f"http://127.0.0.1:{free_port()}/hook")
    assert result.status is DeliveryStatus.RETRY
    assert result.detail.startswith("network error")


def test_refused_target_fails_without_a_request(receiver: Receiver) -> None:
    [result] = deliver("http://10.0.0.1/hook")
    assert result.status is DeliveryStatus.FAILED
    assert result.detail == ("refused: 10.0.0.1 is a private address (private network); to allow "
                             "it on purpose, add 10.0.0.1 to network.allow_hosts in the config "
                             "or to NEWSMON_ALLOW_HOSTS")
    assert receiver.requests() == []


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 11, 20, 12, 2, tzinfo=UTC), usegmt=True)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(later, now) == 120.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("99999999", now) == 86400.0


def test_signing_key_comes_from_the_environment_only() -> None:
    async def run() -> None:
        async with guarded_client(LOCAL) as client:
            with pytest.raises(ChannelNotConfiguredError, match="NEWSMON_WEBHOOK_SIGNING_KEY"):
                WebhookChannel.from_env(client, {}, allow=LOCAL)
            with pytest.raises(ChannelNotConfiguredError):
                WebhookChannel.from_env(client, {"NEWSMON_WEBHOOK_SIGNING_KEY": "short"},
                                        allow=LOCAL)
            channel = WebhookChannel.from_env(
                client, {"NEWSMON_WEBHOOK_SIGNING_KEY": KEY.decode()}, allow=LOCAL)
            assert channel.name == "webhook"
            assert channel.check_target("http://127.0.0.1:1/x") is None
            assert channel.check_target("http://192.168.0.1/x") is not None

    asyncio.run(run())


def test_registry_builds_channels_by_short_name() -> None:
    async def run() -> None:
        async with guarded_client(LOCAL) as client:
            deps = ChannelDeps(http_client=client, allow=LOCAL,
                               env={"NEWSMON_WEBHOOK_SIGNING_KEY": KEY.decode()})
            built, missing = build_channels(deps)
            assert sorted(built) == ["discord", "slack", "webhook"]
            assert set(missing) == {"email"}
            assert {name: channel.name for name, channel in built.items()} == {
                "discord": "discord", "slack": "slack", "webhook": "webhook"}
            with pytest.raises(UnknownChannelError, match="known: email, webhook"):
                build_channel("pigeon", deps)
            without_key = ChannelDeps(http_client=client, allow=LOCAL)
            assert "webhook" in build_channels(without_key)[1]

    asyncio.run(run())
