"""Readable reasons for failed requests: Twisted/Scrapy failures become one sentence.

Operators read these in ``newsmon sources list`` and the rejections log, so each names what
happened in plain words (a timeout, a status code, robots.txt, the size limit) rather than a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_errors
from twisted.web._newclient import ResponseNeverReceived

_NETWORK_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (scrapy_errors.DownloadTimeoutError, "the request timed out"),
    (scrapy_errors.CannotResolveHostError, "the host name could not be resolved"),
    (scrapy_errors.DownloadConnectionRefusedError, "the connection was refused"),
    (scrapy_errors.UnsupportedURLSchemeError, "unsupported URL scheme"),
    (scrapy_errors.ResponseDataLossError, "the response was cut short"),
    (net_errors.DNSLookupError, "the host name could not be resolved"),
    (net_errors.ConnectionRefusedError, "the connection was refused"),
    (net_errors.TCPTimedOutError, "the connection timed out"),
    (net_errors.TimeoutError, "the request timed out"),
    (net_errors.ConnectionLost, "the connection was lost mid-response"),
    (net_errors.ConnectionDone, "the server closed the connection"),
    (net_errors.ConnectError, "the connection failed"),
)


@dataclass(frozen=True)
class FailureReport:
    """What went wrong with one request."""

    reason: str
    status_code: int | None = None
    retry_after: str | None = None


def describe_failure(failure: Any) -> FailureReport:
    """Turn a Twisted ``Failure`` from a Scrapy errback into a :class:`FailureReport`."""
    value = failure.value
    if isinstance(value, HttpError):
        response = value.response
        retry_after = response.headers.get(b"Retry-After")
        text = retry_after.decode("latin-1") if retry_after else None
        reason = f"HTTP {response.status} from {response.url}"
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            target = location.decode("latin-1")[:200]
            reason += f": redirect to {target!r} not followed (only http and https are)"
        if text:
            reason += f" (Retry-After: {text})"
        return FailureReport(reason, response.status, text)
    if isinstance(value, IgnoreRequest | scrapy_errors.DownloadCancelledError):
        return FailureReport(_ignored_reason(str(value)))
    if isinstance(value, ResponseNeverReceived):
        return FailureReport(f"no response received ({_first_reason(value)})")
    for kind, reason in _NETWORK_REASONS:
        if isinstance(value, kind):
            return FailureReport(f"{reason}: {value}".rstrip(": "))
    return FailureReport(f"{type(value).__name__}: {value}")


def _ignored_reason(message: str) -> str:
    lowered = message.lower()
    if "robots.txt" in lowered:
        return "disallowed by robots.txt"
    if "maxsize" in lowered or "max size" in lowered:
        return f"the response is larger than the size limit ({message})"
    if "redirect" in lowered:
        return f"too many redirects ({message})"
    return message or "the request was dropped"


def _first_reason(value: ResponseNeverReceived) -> str:
    reasons = getattr(value, "reasons", None) or []
    return str(reasons[0].value) if reasons else "connection closed"
