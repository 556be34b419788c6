"""HTTP semantics of the sample news site: validators, conditional GET and gzip.

Part of the offline demo of the application shell (``newsmon/demo``). The router turns a path into
a :class:`Document`; :func:`build_response` turns that into the bytes on the wire the way a
well-behaved news server does: a strong ``ETag`` derived from the body and a ``Last-Modified``
from the content's dates, ``304 Not Modified`` when the client's validators still match
(RFC 9110 section 13), and a gzip-encoded body when the client accepts it. Pure functions, no I/O.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Document:
    """What the site answers for a path, before content negotiation."""

    status: int
    content_type: str
    body: bytes
    last_modified: datetime | None = None
    location: str | None = None
    """The target of a redirect."""


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers and body, ready to be written to the socket."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of a header (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def build_response(
    document: Document, request_headers: Mapping[str, str], *, head: bool = False
) -> HttpResponse:
    """Answer a GET (or HEAD) for ``document`` given the request headers (lower-case names)."""
    use_gzip = accepts_gzip(request_headers.get("accept-encoding"))
    headers = [("Content-Type", document.content_type), ("Vary", "Accept-Encoding")]
    if document.location is not None:
        headers.append(("Location", document.location))
    if document.status == HTTPStatus.OK:
        validators = _validators(document, use_gzip)
        if is_not_modified(request_headers, validators[0][1], document.last_modified):
            return HttpResponse(
                HTTPStatus.NOT_MODIFIED, (("Vary", "Accept-Encoding"), *validators), b""
            )
        headers += validators
    body = document.body
    if use_gzip and body:
        body = gzip.compress(body, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return HttpResponse(document.status, tuple(headers), b"" if head else body)


def entity_tag(body: bytes, *, gzipped: bool = False) -> str:
    """A strong ETag for a representation: a digest of the body, marked for the gzip coding."""
    digest = hashlib.sha256(body).hexdigest()[:32]
    return f'"{digest}-gzip"' if gzipped else f'"{digest}"'


def is_not_modified(
    request_headers: Mapping[str, str], etag: str, last_modified: datetime | None
) -> bool:
    """True when the client's validators match: If-None-Match first, else If-Modified-Since."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    since = parse_http_date(request_headers.get("if-modified-since"))
    if since is None or last_modified is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison of an If-None-Match list (or ``*``) with the current ETag."""
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(_opaque(tag) == _opaque(etag) for tag in candidates)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when Accept-Encoding lists gzip (or x-gzip) with a non-zero quality."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in {"gzip", "x-gzip"}:
            return _quality(params) > 0
    return False


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (``Fri, 20 Nov 2026 12:00:00 GMT``) for a header."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date; ``None`` when absent or unreadable (the header is then ignored)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _validators(document: Document, use_gzip: bool) -> list[tuple[str, str]]:
    validators = [("ETag", entity_tag(document.body, gzipped=use_gzip))]
    if document.last_modified is not None:
        validators.append(("Last-Modified", http_date(document.last_modified)))
    validators.append(("Cache-Control", "no-cache"))
    return validators


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
