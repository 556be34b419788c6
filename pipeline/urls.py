"""URL canonicalisation: one spelling per article, so the same story stored twice is caught.

courlan removes tracking parameters (utm_*, fbclid, gclid, ...), sorts the query, lowercases the
scheme and host and drops default ports; we also drop the fragment. The result is what the
``articles.canonical_url`` unique constraint compares.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import courlan

from config.errors import NewsmonError

ALLOWED_SCHEMES = frozenset({"http", "https"})


class InvalidUrlError(NewsmonError, ValueError):
    """A URL that newsmon cannot fetch or store (not http(s), no host, unparsable)."""


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL; raise :class:`InvalidUrlError` otherwise."""
    check_http_url(url)
    try:
        normalized = courlan.normalize_url(url.strip(), strict=False)
    except (ValueError, AttributeError) as error:
        raise InvalidUrlError(f"cannot normalise URL {url!r}: {error}") from error
    parts = urlsplit(normalized)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def check_http_url(url: str) -> str:
    """Return ``url`` stripped when it is an absolute http(s) URL with a host; raise otherwise."""
    candidate = (url or "").strip()
    try:
        parts = urlsplit(candidate)
    except ValueError as error:
        raise InvalidUrlError(f"unparsable URL {url!r}: {error}") from error
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise InvalidUrlError(f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise InvalidUrlError(f"URL has no host: {url!r}")
    return candidate


def is_http_url(url: str | None) -> bool:
    """True when ``url`` is an absolute http(s) URL with a host."""
    try:
        check_http_url(url or "")
    except InvalidUrlError:
        return False
    return True
