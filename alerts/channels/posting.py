"""POSTing JSON to a user-supplied URL and turning the answer into a :class:`DeliveryResult`.

Shared by the webhook, Slack and Discord channels. The client comes from
:func:`alerts.netguard.guarded_client` (connect-time SSRF checks, no redirects); every attempt
runs under an overall deadline besides httpx's per-step timeouts, so a receiver that trickles
bytes cannot hold a delivery forever. Only a short excerpt of the answer is read.

Status mapping: 2xx sent; 410 disabled; 408, 429 and 5xx retry (honouring ``Retry-After``);
3xx failed (redirects are not followed); other 4xx failed; network trouble and timeouts retry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from alerts.channels.types import DeliveryResult
from alerts.netguard import DestinationRefusedError
from alerts.summary import one_line, shorten

MAX_EXCERPT_BYTES = 2048
MAX_RETRY_AFTER_SECONDS = 86400.0
GoneRule = Callable[[int, str], bool]
"""``(status, body excerpt) -> True`` when the endpoint is permanently gone (disable it)."""


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    deadline: float,
    clock: Callable[[], float] = time.time,
    gone: GoneRule | None = None,
) -> DeliveryResult:
    """POST ``body`` to ``url``; never raises for network or server trouble."""
    try:
        async with asyncio.timeout(deadline):
            status, answer_headers, excerpt = await _post(client, url, body, headers)
    except DestinationRefusedError as error:
        return DeliveryResult.failed(str(error))
    except TimeoutError:
        return DeliveryResult.retry(f"no complete answer within {deadline:g}s")
    except httpx.UnsupportedProtocol as error:
        return DeliveryResult.failed(f"unsupported URL: {_describe(error, url)}")
    except httpx.TimeoutException as error:
        return DeliveryResult.retry(f"timed out: {_describe(error, url)}")
    except httpx.TransportError as error:
        return DeliveryResult.retry(f"network error: {_describe(error, url)}")
    except httpx.InvalidURL as error:
        return DeliveryResult.failed(f"invalid URL: {_describe(error, url)}")
    if gone is not None and gone(status, excerpt):
        detail = f"HTTP {status}: the webhook was removed ({excerpt})"
        return DeliveryResult.disabled(detail, status)
    return result_from_status(status, answer_headers, excerpt, clock())


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, httpx.Headers, str]:
    sent_headers = {"Accept-Encoding": "identity", **headers}
    async with client.stream("POST", url, content=body, headers=sent_headers) as response:
        received = b""
        async for chunk in response.aiter_raw():
            received += chunk
            if len(received) >= MAX_EXCERPT_BYTES:
                break
    excerpt = received[:MAX_EXCERPT_BYTES].decode("utf-8", "replace")
    return response.status_code, response.headers, shorten(one_line(excerpt), 200)


def result_from_status(
    status: int, headers: Mapping[str, str], excerpt: str, now: float
) -> DeliveryResult:
    """Map an HTTP answer to a result (see the module docstring)."""
    said = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
    if 200 <= status < 300:
        return DeliveryResult.sent(f"HTTP {status}", status)
    if status == 410:
        return DeliveryResult.disabled(f"{said} (the endpoint is gone; disable it)", status)
    if status in (408, 429) or status >= 500:
        wait = parse_retry_after(headers.get("retry-after"), now)
        return DeliveryResult.retry(said, status, wait)
    if 300 <= status < 400:
        return DeliveryResult.failed(
            f"HTTP {status}: redirect not followed; set the URL it redirects to", status
        )
    return DeliveryResult.failed(said, status)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, moment.timestamp() - now), MAX_RETRY_AFTER_SECONDS)


def _describe(error: Exception, url: str) -> str:
    """The error as one line, without the URL (chat webhook URLs carry their secret token)."""
    text = one_line(str(error)) or type(error).__name__
    try:
        path = httpx.URL(url).path
    except (httpx.InvalidURL, ValueError):
        path = ""
    for secret in {url, path} - {"", "/"}:
        text = text.replace(secret, "<url>")
    return shorten(text, 300)
