"""Typed values of delivery: what a channel answers, and the Protocol every channel implements.

Flow: outbox row -> :class:`~alerts.messages.AlertMessage` -> ``Channel.send(message, target)``
-> :class:`DeliveryResult`, which the outbox records (sent, retried with backoff, failed, or the
target disabled). A channel never raises for network or server trouble: those are results.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from alerts.messages import AlertMessage
from config.errors import NewsmonError


class DeliveryStatus(enum.StrEnum):
    """What became of one delivery attempt."""

    SENT = "sent"
    RETRY = "retry"
    """Transient: try again later (after ``retry_after`` seconds if given)."""
    FAILED = "failed"
    """Permanent for this message: retrying the same request cannot succeed."""
    DISABLED = "disabled"
    """The endpoint is gone (HTTP 410, a revoked chat webhook): disable the target."""


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one attempt, with a readable detail that never contains secrets."""

    status: DeliveryStatus
    detail: str = ""
    status_code: int | None = None
    """The HTTP status or SMTP reply code, when the server answered."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (``Retry-After``), for ``retry`` only."""

    @classmethod
    def sent(cls, detail: str = "", status_code: int | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.SENT, detail, status_code)

    @classmethod
    def retry(
        cls, detail: str, status_code: int | None = None, retry_after: float | None = None
    ) -> DeliveryResult:
        return cls(DeliveryStatus.RETRY, detail, status_code, retry_after)

    @classmethod
    def failed(cls, detail: str, status_code: int | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.FAILED, detail, status_code)

    @classmethod
    def disabled(cls, detail: str, status_code: int | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.DISABLED, detail, status_code)


class Channel(Protocol):
    """A way to deliver alerts: email, signed webhook, Slack, Discord."""

    @property
    def name(self) -> str:
        """The short name the registry knows it by (``email``, ``webhook``...)."""
        ...

    def check_target(self, target: str) -> str | None:
        """Why ``target`` (an address or URL) cannot be used, or ``None``: for save time."""
        ...

    async def send(self, message: AlertMessage, target: str) -> DeliveryResult:
        """Deliver ``message`` to ``target``; every network step is bounded by a timeout."""
        ...


class ChannelError(NewsmonError):
    """A channel cannot be built or named (configuration, not delivery, trouble)."""


class ChannelNotConfiguredError(ChannelError):
    """The channel needs settings or a secret that are missing (it is left out)."""


class UnknownChannelError(ChannelError):
    """No channel has that short name."""
