"""Scrapy settings derived from newsmon's :class:`config.CrawlerSettings` (declared as data).

Polite and daemon-safe: every request passes the SSRF guard (``crawler.guard``) and only http(s)
download handlers exist, robots.txt obeyed, AutoThrottle, per-domain concurrency, retries of
transient errors (but never of a response that says Retry-After), a total timeout per request,
a body-size cap that Scrapy also applies after decompression, and no cookies, telnet or caches.
"""

from __future__ import annotations

from typing import Any

from config.settings import CrawlerSettings
from crawler.politeness import user_agent

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
TRANSIENT_HTTP_CODES = (500, 502, 503, 504, 522, 524, 408)


def scrapy_settings(settings: CrawlerSettings) -> dict[str, Any]:
    """The Scrapy settings dict for one crawl."""
    return {
        "BOT_NAME": "newsmon",
        "USER_AGENT": user_agent(settings.contact_url),
        "ROBOTSTXT_OBEY": settings.obey_robots_txt,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": settings.download_delay_seconds,
        "AUTOTHROTTLE_MAX_DELAY": settings.autothrottle_max_delay_seconds,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": settings.autothrottle_target_concurrency,
        "CONCURRENT_REQUESTS": settings.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": settings.download_delay_seconds,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "DOWNLOAD_TIMEOUT": settings.request_timeout_seconds,
        "DOWNLOAD_MAXSIZE": settings.max_body_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": settings.max_redirects,
        "RETRY_ENABLED": settings.retry_times > 0,
        "RETRY_TIMES": settings.retry_times,
        "RETRY_HTTP_CODES": list(TRANSIENT_HTTP_CODES),
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.guard.DestinationGuardMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.PoliteRetryMiddleware": 550,
            "crawler.middlewares.RobotsServerErrorMiddleware": 560,
        },
        "DOWNLOAD_HANDLERS": {scheme: None for scheme in ("file", "data", "s3", "ftp")},
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOGSTATS_INTERVAL": 0,
        "TWISTED_REACTOR": ASYNCIO_REACTOR,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DNS_TIMEOUT": min(settings.request_timeout_seconds, 30),
        "MEMUSAGE_ENABLED": False,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
    }
