"""The outbox sender: claim due deliveries, send each on its channel, record the outcome.

What ``newsmon alerts send`` and the daemon's delivery job run. A send is recorded after it
happened; a crash in between can at worst repeat one message, which carries the same delivery id
(the idempotency key receivers dedupe on). Transient failures are retried with exponential
backoff and jitter up to ``max_attempts``, then dead-lettered with the last error; permanent
failures are dead-lettered at once; a webhook answering 410 Gone disables its channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.channels.types import Channel, DeliveryResult, DeliveryStatus
from alerts.messages import AlertMessage
from config.settings import DeliverySettings
from pipeline.storage import Storage
from pipeline.storage.alerts import CLAIM_LEASE, DeliveryJob

logger = logging.getLogger(__name__)

MAX_BATCHES_PER_PASS = 100
"""A bound on one pass (100 batches of ``batch_size``), so a pass always ends."""

Composer = Callable[[DeliveryJob], AlertMessage | None]
"""Builds the message of a delivery from storage (``None`` when its alert or article is gone)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped, and a limit of attempts."""

    max_attempts: int = 8
    base_seconds: float = 60.0
    max_seconds: float = 6 * 3600.0

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> RetryPolicy:
        """The policy the ``[delivery]`` settings describe."""
        return cls(settings.max_attempts, settings.backoff_base, settings.backoff_max)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): half to all of
        ``base * 2^(attempt-1)``, capped."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempt - 1, 30))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class OutboxReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    disabled: int = 0

    @property
    def attempted(self) -> int:
        """Deliveries attempted in this pass."""
        return self.sent + self.retrying + self.dead


@dataclass
class Outbox:
    """Sends what is due. Channels, the message composer, the clock and randomness are given."""

    storage: Storage
    channels: Mapping[str, Channel]
    compose: Composer
    clock: Callable[[], datetime]
    policy: RetryPolicy = RetryPolicy()
    concurrency: int = 8
    batch_size: int = 100
    lease: timedelta = CLAIM_LEASE
    """How long claimed deliveries stay hidden from other senders (see ``claim_due``)."""
    rng: random.Random = field(default_factory=random.Random)
    """Jitter only: not used for anything secret."""

    async def send_due(self) -> OutboxReport:
        """Send everything due: claim a batch, send it a few at a time, and claim the next one
        while batches come back full (and sending them gets somewhere), so a burst of alerts
        goes out in one pass rather than one batch per delivery interval."""
        report = OutboxReport()
        for _ in range(MAX_BATCHES_PER_PASS):
            jobs = await asyncio.to_thread(self.storage.alerts.claim_due, self.clock(),
                                           self.batch_size, self.lease)
            batch = await self._send_batch(jobs)
            report = _merge(report, batch)
            if len(jobs) < self.batch_size or batch.retrying == len(jobs):
                break
        return report

    async def _send_batch(self, jobs: list[DeliveryJob]) -> OutboxReport:
        gate = asyncio.Semaphore(self.concurrency)

        async def guarded(job: DeliveryJob) -> str:
            async with gate:
                return await self._deliver(job)

        outcomes = await asyncio.gather(*(guarded(job) for job in jobs))
        return OutboxReport(
            sent=outcomes.count("sent"), retrying=outcomes.count("retrying"),
            dead=outcomes.count("dead") + outcomes.count("disabled"),
            disabled=outcomes.count("disabled"),
        )

    async def _deliver(self, job: DeliveryJob) -> str:
        channel = self.channels.get(job.channel_kind)
        if channel is None:
            result = DeliveryResult(DeliveryStatus.RETRY,
                                    f"the {job.channel_kind} channel is not configured")
        elif job.target_unreadable:
            result = DeliveryResult(DeliveryStatus.RETRY, job.target_unreadable)
        else:
            message = await asyncio.to_thread(self.compose, job)
            if message is None:
                result = DeliveryResult(DeliveryStatus.FAILED, "the alert or its article is gone")
            else:
                result = await self._send(channel, message, job)
        return await asyncio.to_thread(self._record, job, result)

    async def _send(self, channel: Channel, message: AlertMessage, job: DeliveryJob
                    ) -> DeliveryResult:
        try:
            return await channel.send(message, job.target)
        except Exception as error:  # a channel bug must not stop the other deliveries
            logger.exception("channel %s raised on delivery %s", job.channel_kind, job.key)
            return DeliveryResult(DeliveryStatus.RETRY, f"internal error: {type(error).__name__}")

    def _record(self, job: DeliveryJob, result: DeliveryResult) -> str:
        alerts, now, attempt = self.storage.alerts, self.clock(), job.attempts + 1
        if result.status is DeliveryStatus.SENT:
            alerts.mark_sent(job.id, now, result.status_code)
            return "sent"
        if result.status is DeliveryStatus.DISABLED:
            self.storage.subscriptions.disable_channel(job.channel_id, result.detail, now)
            alerts.mark_dead(job.id, f"channel disabled: {result.detail}", result.status_code)
            return "disabled"
        if result.status is DeliveryStatus.FAILED or attempt >= self.policy.max_attempts:
            detail = result.detail if result.status is DeliveryStatus.FAILED else (
                f"gave up after {attempt} attempts: {result.detail}")
            alerts.mark_dead(job.id, detail, result.status_code)
            return "dead"
        wait = max(self.policy.delay(attempt, self.rng), result.retry_after or 0.0)
        alerts.mark_retry(job.id, now + timedelta(seconds=wait), result.detail, result.status_code)
        return "retrying"


def _merge(first: OutboxReport, second: OutboxReport) -> OutboxReport:
    return OutboxReport(first.sent + second.sent, first.retrying + second.retrying,
                        first.dead + second.dead, first.disabled + second.disabled)
