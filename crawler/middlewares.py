"""Scrapy downloader middlewares newsmon adds to Scrapy's own.

:class:`PoliteRetryMiddleware` retries transient failures like Scrapy's RetryMiddleware, except a
response that carries ``Retry-After``: the server has said when to come back, so the response is
passed on and the source's next poll is postponed instead of retried at once.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware


class PoliteRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that honours Retry-After by not retrying within the crawl."""

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if response.headers.get(b"Retry-After"):
            return response
        return super().process_response(request, response)
