"""Fetching a single URL for ``newsmon extract`` (outside a crawl): httpx with newsmon's limits,
inside the SSRF guard.

Where it sits: the shell, beside ``cli_extract``. Every request, each redirect hop included, goes
through :class:`alerts.netguard.GuardedTransport`: a URL naming or resolving to a loopback,
private, link-local or metadata address is refused unless ``network.allow_hosts`` (or
``NEWSMON_ALLOW_HOSTS``) lists it, exactly as for crawls and webhooks. The body is counted after
decompression and cut off at ``max_body_bytes``; redirects are followed up to ``max_redirects``;
only http(s) URLs are fetched. Failures are values (a reason string).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from alerts.netguard import AllowList, DestinationRefusedError, GuardedTransport
from config.settings import CrawlerSettings
from crawler.politeness import user_agent
from pipeline.urls import InvalidUrlError, check_http_url


@dataclass(frozen=True)
class FetchedDocument:
    """A fetched body with the facts extraction needs."""

    url: str
    final_url: str
    status: int
    body: bytes
    encoding: str | None


def fetch_document(
    url: str, settings: CrawlerSettings, allow: AllowList
) -> FetchedDocument | str:
    """GET ``url`` within newsmon's limits and the SSRF guard; the document or a readable
    reason."""
    try:
        check_http_url(url)
    except InvalidUrlError as error:
        return str(error)
    return asyncio.run(_fetch(url, settings, allow))


async def _fetch(url: str, settings: CrawlerSettings, allow: AllowList) -> FetchedDocument | str:
    timeout = httpx.Timeout(settings.request_timeout_seconds)
    transport = GuardedTransport(allow, resolve_timeout=min(settings.request_timeout_seconds, 10))
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=True, trust_env=False,
            max_redirects=settings.max_redirects,
            headers={"User-Agent": user_agent(settings.contact_url)},
        ) as client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                return f"HTTP {response.status_code} from {response.url}"
            body = await _read_limited(response, settings.max_body_bytes)
            if body is None:
                limit = settings.max_body_bytes
                return f"the response is larger than the size limit ({limit} bytes)"
            return FetchedDocument(url, str(response.url), response.status_code, body,
                                   response.charset_encoding)
    except DestinationRefusedError as error:
        return str(error)
    except httpx.TooManyRedirects:
        return f"too many redirects (more than {settings.max_redirects})"
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"


async def _read_limited(response: httpx.Response, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
