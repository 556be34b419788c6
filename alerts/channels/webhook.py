"""The signed webhook channel: an alert as versioned JSON, POSTed with an HMAC-SHA256 signature.

Flow: outbox -> ``WebhookChannel.send(message, url)`` -> :func:`alert_payload` (schema
``newsmon.alert/1``) -> exact body bytes -> ``Newsmon-Signature: sha256=HMAC(key, timestamp + "." +
body)`` -> :func:`alerts.channels.posting.post_json` through the SSRF-guarded client. The body is
the same bytes on every attempt of a delivery; the timestamp is the attempt's. ``docs/webhooks.md``
documents the schema and how receivers verify (:func:`verify_signature` is the reference).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from alerts.channels.posting import post_json
from alerts.channels.types import ChannelNotConfiguredError, DeliveryResult
from alerts.messages import AlertMessage, Snippet, header_token
from alerts.netguard import AllowList, check_url

SCHEMA = "newsmon.alert/1"
SIGNING_KEY_ENV = "NEWSMON_WEBHOOK_SIGNING_KEY"
MIN_KEY_CHARS = 32
DEFAULT_TOLERANCE_SECONDS = 300
DELIVERY_HEADER = "Newsmon-Delivery"
TIMESTAMP_HEADER = "Newsmon-Timestamp"
SIGNATURE_HEADER = "Newsmon-Signature"


class WebhookChannel:
    """Delivers alerts as signed JSON to subscriber-supplied URLs."""

    name = "webhook"

    def __init__(
        self,
        client: httpx.AsyncClient,
        signing_key: bytes,
        *,
        allow: AllowList,
        deadline: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(signing_key) < MIN_KEY_CHARS:
            raise ChannelNotConfiguredError(f"the webhook signing key needs {MIN_KEY_CHARS}+ bytes")
        self._client = client
        self._key = signing_key
        self._allow = allow
        self._deadline = deadline
        self._clock = clock

    @classmethod
    def from_env(
        cls,
        client: httpx.AsyncClient,
        env: Mapping[str, str],
        *,
        allow: AllowList,
        deadline: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> WebhookChannel:
        """Built with the key in ``$NEWSMON_WEBHOOK_SIGNING_KEY`` (never from a file)."""
        key = env.get(SIGNING_KEY_ENV, "")
        if len(key) < MIN_KEY_CHARS:
            raise ChannelNotConfiguredError(
                f"set {SIGNING_KEY_ENV} to a random secret of {MIN_KEY_CHARS}+ characters, "
                'e.g. python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return cls(client, key.encode("utf-8"), allow=allow, deadline=deadline, clock=clock)

    def check_target(self, target: str) -> str | None:
        """Why the URL is refused (scheme, user info, private address), or ``None``."""
        return check_url(target, self._allow)

    async def send(self, message: AlertMessage, target: str) -> DeliveryResult:
        """POST the signed alert; the status mapping is :mod:`alerts.channels.posting`'s."""
        refused = self.check_target(target)
        if refused:
            return DeliveryResult.failed(refused)
        body = encode_payload(alert_payload(message))
        headers = signed_headers(self._key, message.delivery_id, body, int(self._clock()))
        return await post_json(
            self._client, target, body, headers, deadline=self._deadline, clock=self._clock
        )


def signed_headers(key: bytes, delivery_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The delivery id, timestamp and signature headers for one attempt."""
    return {
        "Content-Type": "application/json",
        DELIVERY_HEADER: header_token(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(key, str(timestamp), body),
    }


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of timestamp + "." + body>``."""
    digest = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    key: bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> str | None:
    """Why a received webhook must be rejected, or ``None`` if it is authentic and fresh.

    ``signature`` may list several ``sha256=...`` values separated by commas (key rotation);
    one match suffices. Receivers should also drop a ``Newsmon-Delivery`` id seen before.
    """
    if not timestamp.isdigit():
        return "the timestamp is not a whole number of seconds"
    if abs(now - int(timestamp)) > tolerance:
        return "the timestamp is outside the tolerance (a replay or a skewed clock)"
    expected = sign(key, timestamp, body)
    offered = [part.strip() for part in signature.split(",")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        return "the signature does not match the body"
    return None


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted, ASCII JSON: the exact bytes that are signed and sent."""
    return json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()


def alert_payload(message: AlertMessage) -> dict[str, Any]:
    """The ``newsmon.alert/1`` document for one delivery (see ``docs/webhooks.md``)."""
    return {
        "schema": SCHEMA,
        "delivery_id": message.delivery_id,
        "created": iso_time(message.created),
        "subscription": {"name": message.subscription, "query": message.query},
        "article": {
            "title": message.title,
            "url": message.url,
            "source": message.source,
            "published": iso_time(message.published) if message.published else None,
            "summary": message.summary,
        },
        "other_outlets": message.other_outlets,
        "matched": [{"kind": reason.kind, "label": reason.label} for reason in message.reasons],
        "highlights": [
            snippet_json(snippet)
            for snippet in ((message.title_snippet,) if message.title_snippet else ())
            + message.highlights
        ],
        "tags": [{"kind": tag.kind, "name": tag.name, "ticker": tag.ticker}
                 for tag in message.tags],
        "stock_reactions": [
            {"company": move.company, "ticker": move.ticker, "direction": move.direction,
             "magnitude_pct": move.magnitude_pct}
            for move in message.stock_reactions
        ],
        "unsubscribe_url": message.unsubscribe_url,
    }


def snippet_json(snippet: Snippet) -> dict[str, Any]:
    """A highlight as segments (no character offsets: they differ between languages)."""
    return {
        "field": snippet.field,
        "segments": [{"text": part.text, "marked": part.marked} for part in snippet.segments],
        "cut_before": snippet.cut_before,
        "cut_after": snippet.cut_after,
    }


def iso_time(moment: datetime) -> str:
    """RFC 3339 in UTC to the second: ``2026-11-20T12:00:00Z`` (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
