"""Delivery channels: a Protocol and a registry by short name (``email``, ``webhook``, ``slack``,
``discord``).

Flow: the shell builds the channels once (:func:`build_channels`, from settings, the environment's
secrets and one SSRF-guarded HTTP client) and hands them to the outbox sender, which calls
``channel.send(message, target)`` and records the :class:`DeliveryResult`. Subscriptions validate
their targets at save time with ``channel.check_target(target)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import httpx

from alerts.channels.chat import DiscordChannel, SlackChannel
from alerts.channels.email import EmailChannel, EmailSettingsLike, SmtpConfig
from alerts.channels.types import (
    Channel,
    ChannelError,
    ChannelNotConfiguredError,
    DeliveryResult,
    DeliveryStatus,
    UnknownChannelError,
)
from alerts.channels.webhook import WebhookChannel
from alerts.netguard import AllowList

__all__ = [
    "CHANNEL_FACTORIES",
    "Channel",
    "ChannelDeps",
    "ChannelError",
    "ChannelNotConfiguredError",
    "DeliveryResult",
    "DeliveryStatus",
    "UnknownChannelError",
    "build_channel",
    "build_channels",
]


@dataclass(frozen=True)
class ChannelDeps:
    """What channels are built from; the shell owns (and closes) ``http_client``."""

    http_client: httpx.AsyncClient | None = None
    """From :func:`alerts.netguard.guarded_client`; needed by webhook, Slack and Discord."""
    allow: AllowList = field(default_factory=AllowList)
    email: EmailSettingsLike | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    """Where secrets come from: ``NEWSMON_SMTP_PASSWORD``, ``NEWSMON_WEBHOOK_SIGNING_KEY``."""
    http_deadline_seconds: float = 10.0
    """Overall limit on one HTTP delivery attempt, connect to last byte."""
    clock: Callable[[], float] = time.time


ChannelFactory = Callable[[ChannelDeps], Channel]


def _http_client(deps: ChannelDeps) -> httpx.AsyncClient:
    if deps.http_client is None:
        raise ChannelNotConfiguredError("no HTTP client given (alerts.netguard.guarded_client)")
    return deps.http_client


def _build_email(deps: ChannelDeps) -> Channel:
    if deps.email is None:
        raise ChannelNotConfiguredError("no [email] settings")
    return EmailChannel(SmtpConfig.from_settings(deps.email, deps.env))


def _build_webhook(deps: ChannelDeps) -> Channel:
    return WebhookChannel.from_env(
        _http_client(deps), deps.env, allow=deps.allow,
        deadline=deps.http_deadline_seconds, clock=deps.clock,
    )


def _build_slack(deps: ChannelDeps) -> Channel:
    return SlackChannel(_http_client(deps), allow=deps.allow,
                        deadline=deps.http_deadline_seconds, clock=deps.clock)


def _build_discord(deps: ChannelDeps) -> Channel:
    return DiscordChannel(_http_client(deps), allow=deps.allow,
                          deadline=deps.http_deadline_seconds, clock=deps.clock)


CHANNEL_FACTORIES: Mapping[str, ChannelFactory] = MappingProxyType({
    "email": _build_email,
    "webhook": _build_webhook,
    "slack": _build_slack,
    "discord": _build_discord,
})
"""The registry: short name -> factory. Adding a channel means adding a module and a line here."""


def build_channel(name: str, deps: ChannelDeps) -> Channel:
    """The channel called ``name``; raises :class:`UnknownChannelError` or
    :class:`ChannelNotConfiguredError`."""
    factory = CHANNEL_FACTORIES.get(name)
    if factory is None:
        known = ", ".join(CHANNEL_FACTORIES)
        raise UnknownChannelError(f"no channel called {name!r} (known: {known})")
    return factory(deps)


def build_channels(
    deps: ChannelDeps, names: Iterable[str] | None = None
) -> tuple[dict[str, Channel], dict[str, str]]:
    """Every channel that can be built, and why each of the others is left out."""
    built: dict[str, Channel] = {}
    missing: dict[str, str] = {}
    for name in names if names is not None else CHANNEL_FACTORIES:
        try:
            built[name] = build_channel(name, deps)
        except ChannelNotConfiguredError as error:
            missing[name] = str(error)
    return built, missing
