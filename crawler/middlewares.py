"""Scrapy downloader middlewares newsmon adds to Scrapy's own.

:class:`PoliteRetryMiddleware` retries transient failures like Scrapy's RetryMiddleware, except a
response that carries ``Retry-After``: the server has said when to come back, so the response is
passed on and the source's next poll is postponed instead of retried at once.
:class:`RobotsServerErrorMiddleware` reads a robots.txt that fails with 5xx as "disallow all".
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


DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RobotsServerErrorMiddleware:
    """A robots.txt that answers with a server error is read as "disallow everything" for this
    crawl, instead of Scrapy's "allow everything": the site is asked again on the next poll."""

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if not request.meta.get("dont_obey_robotstxt") or not request.url.endswith("/robots.txt"):
            return response
        if response.status < 500:
            return response
        return response.replace(status=200, body=DISALLOW_ALL)
