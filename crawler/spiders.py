"""The Scrapy spider that polls sources and follows their entries to article pages.

One :class:`SourceSpider` crawl polls every planned source once: it sends the stored validators
(conditional GET), parses the feed, sitemap or section page with the pure parsers, skips entries
already stored, fetches the rest and hands each page (or, when the page fails, the entry) to the
page sink. Scrapy objects stay inside this module; the sink and storage see typed values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import scrapy
from scrapy import signals
from scrapy.http import Response

from config.settings import CrawlerSettings
from crawler.failures import FailureReport, describe_failure
from crawler.guard import DestinationGuard
from crawler.politeness import after_failure, after_success
from crawler.sources import SourceDocument, read_source_document
from crawler.tally import CrawlTally
from crawler.types import PollOutcome
from pipeline.storage import FetchState, SourceRecord, Storage
from pipeline.storage.records import PollRecord
from pipeline.types import EntryHints, FetchedPage, IngestOutcome, IngestStatus

MAX_CHILD_SITEMAPS = 10
RECEIVED = "newsmon_bytes_received"
logger = logging.getLogger(__name__)


class PageSink(Protocol):
    """Where fetched pages go (``pipeline.ingest.ArticleIngestor`` is the real one)."""

    def ingest_page(self, page: FetchedPage) -> IngestOutcome: ...

    def ingest_unfetched(
        self, source: str, hints: EntryHints, reason: str | None = None
    ) -> IngestOutcome: ...


@dataclass(frozen=True)
class PollPlan:
    """A source to poll in this crawl, with the fetch state it starts from."""

    source: SourceRecord
    state: FetchState


class SourceSpider(scrapy.Spider):
    """Polls each planned source and follows new entries to their pages."""

    name = "newsmon"

    def __init__(
        self,
        plans: list[PollPlan],
        sink: PageSink,
        storage: Storage,
        settings: CrawlerSettings,
        clock: Callable[[], datetime],
        tally: CrawlTally,
        guard: DestinationGuard,
        validators_due: dict[str, PollRecord] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plans = {plan.source.name: plan for plan in plans}
        self.validators_due = validators_due if validators_due is not None else {}
        """Polls whose new ETag / Last-Modified are stored only once the crawl has finished
        (see :meth:`_record_poll_success`)."""
        self.sink = sink
        self.storage = storage
        self.crawler_settings = settings
        self.clock = clock
        self.tally = tally
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider: SourceSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.count_received, signal=signals.bytes_received)
        crawler.signals.connect(spider.on_callback_error, signal=signals.spider_error)
        return spider

    def on_callback_error(self, failure: Any, response: Response, **_: Any) -> None:
        """Handling a response raised (the database refused a write, a bug): the source's
        result names the error, rather than only that its poll did not complete. Scrapy logs
        the traceback."""
        source = response.meta.get("source")
        if source in self.plans:
            lines = str(failure.value).strip().splitlines()
            reason = lines[0] if lines else type(failure.value).__name__
            self.tally.callback_failed(source, f"cannot handle {response.url}: {reason}")

    def count_received(self, data: bytes, request: scrapy.Request, **_: Any) -> None:
        """Count body bytes per request, so a download cut at the size limit can say so."""
        request.meta[RECEIVED] = request.meta.get(RECEIVED, 0) + len(data)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for plan in self.plans.values():
            yield self._poll_request(plan)

    def _poll_request(self, plan: PollPlan) -> scrapy.Request:
        headers = {}
        if plan.state.etag:
            headers["If-None-Match"] = plan.state.etag
        if plan.state.last_modified:
            headers["If-Modified-Since"] = plan.state.last_modified
        return scrapy.Request(
            plan.source.url,
            callback=self.on_poll_response,
            errback=self.on_poll_error,
            headers=headers,
            dont_filter=True,
            priority=10,
            meta={"source": plan.source.name, "handle_httpstatus_list": [304]},
        )

    async def on_poll_response(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """A source (or a child sitemap) answered: record the poll and follow new entries.

        Parsing and database work run in worker threads so the event loop keeps crawling.
        """
        plan = self.plans[response.meta["source"]]
        child = bool(response.meta.get("child"))
        if response.status == 304:
            if not child:
                await asyncio.to_thread(self._record_poll_success, plan, response)
                self.tally.polled(plan.source.name, PollOutcome.UNCHANGED, response.status)
            return
        document = await asyncio.to_thread(
            read_source_document, plan.source, _body(response), response.url,
            now=self.clock(), content_type=_header(response, "Content-Type"),
            settings=self.crawler_settings,
        )
        if isinstance(document, str):
            await self._poll_failed(plan, document, response.status, None, child=child)
            return
        if not child:
            await asyncio.to_thread(self._record_poll_success, plan, response)
            self.tally.polled(plan.source.name, PollOutcome.FETCHED, response.status)
        async for request in self._follow(plan, document):
            yield request

    async def on_poll_error(self, failure: Any) -> None:
        """A source could not be polled: record why and postpone its next poll."""
        meta = failure.request.meta
        report = self._describe(failure)
        await self._poll_failed(self.plans[meta["source"]], report.reason, report.status_code,
                                report.retry_after, child=bool(meta.get("child")))

    async def _follow(
        self, plan: PollPlan, document: SourceDocument
    ) -> AsyncIterator[scrapy.Request]:
        name = plan.source.name
        for url in document.child_sitemaps[:MAX_CHILD_SITEMAPS]:
            yield scrapy.Request(url, callback=self.on_poll_response, errback=self.on_poll_error,
                                 meta={"source": name, "child": True}, priority=5)
        entries = document.entries[: self.crawler_settings.max_entries_per_poll]
        known = await asyncio.to_thread(
            self.storage.articles.known_urls, [entry.url for entry in entries]
        )
        fresh = [entry for entry in entries if entry.url not in known]
        self.tally.saw_entries(name, len(entries), len(entries) - len(fresh))
        for entry in fresh:
            if self.crawler_settings.follow_entries and document.follow_links:
                yield self._article_request(name, entry)
            else:
                await self._store_entry(name, entry, None)

    def _article_request(self, source: str, entry: EntryHints) -> scrapy.Request:
        return scrapy.Request(
            entry.url,
            callback=self.on_article_response,
            errback=self.on_article_error,
            meta={"source": source, "hints": entry},
        )

    async def on_article_response(self, response: Response) -> None:
        """An article page arrived: hand it to the sink off the event loop."""
        source = response.meta["source"]
        page = FetchedPage(
            source=source,
            url=response.request.url if response.request else response.url,
            final_url=response.url,
            status=response.status,
            body=_body(response),
            fetched_at=self.clock(),
            content_type=_header(response, "Content-Type"),
            encoding=getattr(response, "encoding", None),
            hints=response.meta.get("hints"),
        )
        outcome = await asyncio.to_thread(self._guarded, self.sink.ingest_page, page,
                                          source=source, url=page.final_url)
        self.tally.article(source, outcome)

    async def on_article_error(self, failure: Any) -> None:
        """An article page failed: keep what the feed said about it, and why the page failed."""
        meta = failure.request.meta
        await self._store_entry(meta["source"], meta["hints"], self._describe(failure).reason)

    def _describe(self, failure: Any) -> FailureReport:
        """Why a request failed; a connect-time SSRF refusal is named as such."""
        report = describe_failure(failure)
        limit = self.crawler_settings.max_body_bytes
        if failure.request.meta.get(RECEIVED, 0) > limit:
            return FailureReport(f"the response is larger than the size limit ({limit} bytes)")
        refusal = self.guard.refusal_for(failure.request.url)
        if refusal and report.reason.startswith("the host name could not be resolved"):
            return FailureReport(refusal)
        return report

    async def _store_entry(self, source: str, entry: EntryHints, reason: str | None) -> None:
        outcome = await asyncio.to_thread(
            self._guarded, self.sink.ingest_unfetched, source, entry, reason,
            source=source, url=entry.url,
        )
        self.tally.article(source, outcome)

    def _guarded(
        self, ingest: Callable[..., IngestOutcome], *args: Any, source: str, url: str
    ) -> IngestOutcome:
        """Run one ingest call; a bug in a later stage is logged and recorded, never raised."""
        try:
            return ingest(*args)
        except Exception as error:
            logger.exception("storing %s from %s failed", url, source)
            reason = f"internal error while storing: {type(error).__name__}: {error}"
            try:
                self.storage.sources.record_rejection(source, "store", reason, url, self.clock())
            except Exception:
                logger.exception("recording the rejection of %s failed too", url)
            return IngestOutcome(IngestStatus.REJECTED, url, reason=reason)

    async def _poll_failed(
        self, plan: PollPlan, reason: str, status: int | None, retry_after: str | None,
        *, child: bool,
    ) -> None:
        name = plan.source.name
        if child:
            await asyncio.to_thread(self.storage.sources.record_rejection, name, "poll",
                                    f"child sitemap failed: {reason}", None, self.clock())
            return
        await asyncio.to_thread(self._record_poll_failure, plan, reason, status, retry_after)
        self.tally.polled(name, PollOutcome.FAILED, status, reason)

    def _record_poll_success(self, plan: PollPlan, response: Response) -> None:
        """Record the poll now, but its new validators only after the crawl (the runner does):
        a process killed while the entries are still being fetched must not leave validators
        behind that make the next poll a 304 and lose those entries."""
        now = self.clock()
        next_poll = after_success(
            now, plan.source.interval_seconds, _header(response, "Cache-Control"),
            self.crawler_settings,
        )
        poll = PollRecord(
            at=now, succeeded=True, status_code=response.status,
            etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"),
            next_poll_at=next_poll.at, next_poll_reason=next_poll.reason,
        )
        self.storage.sources.record_poll(
            plan.source.name, replace(poll, etag=None, last_modified=None))
        if poll.etag or poll.last_modified:
            self.validators_due[plan.source.name] = poll

    def _record_poll_failure(
        self, plan: PollPlan, reason: str, status: int | None, retry_after: str | None
    ) -> None:
        now = self.clock()
        failures = plan.state.consecutive_failures + 1
        next_poll = after_failure(now, failures, retry_after, self.crawler_settings)
        self.storage.sources.record_poll(
            plan.source.name,
            PollRecord(at=now, succeeded=False, status_code=status, error=reason,
                       next_poll_at=next_poll.at, next_poll_reason=next_poll.reason),
        )
        stage = "poll" if status is None or status >= 300 else "parse"
        self.storage.sources.record_rejection(plan.source.name, stage, reason, plan.source.url, now)


def _body(response: Response) -> bytes:
    return bytes(response.body)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
