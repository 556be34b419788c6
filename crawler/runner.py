"""The crawler's orchestrator: plan which sources are due, crawl them once, report.

``CrawlRunner.crawl`` is a coroutine on the reactor's event loop. It can be called again and
again in one process (the daemon does), because each call starts a new Scrapy crawl with
``AsyncCrawlerRunner`` in the already running asyncio reactor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner

from config.settings import CrawlerSettings
from crawler.guard import DestinationPolicy, guarded_resolver
from crawler.politeness import skip_reason
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders import PageSink, PollPlan, SourceSpider
from crawler.tally import CrawlListener, CrawlTally
from crawler.types import PollOutcome, SourceCrawlResult
from pipeline.dates import utc_now
from pipeline.storage import SourceRecord, Storage
from pipeline.storage.records import PollRecord


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl did, per source, with totals for a summary line."""

    results: tuple[SourceCrawlResult, ...]
    started_at: datetime
    finished_at: datetime

    def count(self, outcome: PollOutcome) -> int:
        """How many sources ended with ``outcome``."""
        return sum(1 for result in self.results if result.outcome is outcome)

    @property
    def new_articles(self) -> int:
        """Articles stored for the first time by this crawl."""
        return sum(result.new_articles for result in self.results)


class CrawlRunner:
    """Crawls sources with Scrapy, storing what it finds through the page sink.

    ``policy`` decides which destinations may be fetched (``alerts.netguard.NetworkPolicy``
    with the operator's allow-list); every request and every resolved address is checked.
    """

    def __init__(
        self,
        settings: CrawlerSettings,
        storage: Storage,
        sink: PageSink,
        *,
        policy: DestinationPolicy,
        clock: Callable[[], datetime] = utc_now,
        scrapy_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings = settings
        self._storage = storage
        self._sink = sink
        self._policy = policy
        self._clock = clock
        self._scrapy_settings = {**scrapy_settings(settings), **(scrapy_overrides or {})}

    async def crawl(
        self,
        sources: Sequence[SourceRecord],
        *,
        force: bool = False,
        listener: CrawlListener | None = None,
    ) -> CrawlReport:
        """Poll each source that is due (all of them with ``force``) once."""
        started = self._clock()
        plans, skipped = self.plan(sources, force=force)
        tally = CrawlTally(listener)
        if plans:
            from twisted.internet import reactor

            runner = AsyncCrawlerRunner(self._scrapy_settings)
            validators_due: dict[str, PollRecord] = {}
            with guarded_resolver(reactor).enforcing(self._policy) as guard:
                await runner.crawl(
                    SourceSpider, plans=plans, sink=self._sink, storage=self._storage,
                    settings=self._settings, clock=self._clock, tally=tally, guard=guard,
                    validators_due=validators_due,
                )
            await asyncio.to_thread(self._record_validators, validators_due)
        results = [tally.result(plan.source.name) for plan in plans] + skipped
        results.sort(key=lambda result: result.source)
        return CrawlReport(tuple(results), started, self._clock())

    def _record_validators(self, polls: Mapping[str, PollRecord]) -> None:
        """Every entry of these polls has been handled: their ETag / Last-Modified may now make
        the next poll conditional (the same poll, recorded again with its validators)."""
        for name, poll in polls.items():
            self._storage.sources.record_poll(name, poll)

    def plan(
        self, sources: Sequence[SourceRecord], *, force: bool
    ) -> tuple[list[PollPlan], list[SourceCrawlResult]]:
        """Split sources into those to poll now and those paused (backoff, Retry-After)."""
        now = self._clock()
        plans: list[PollPlan] = []
        skipped: list[SourceCrawlResult] = []
        for source in sources:
            state = self._storage.sources.fetch_state(source.name)
            reason = None if force else skip_reason(state.next_poll_at, state.next_poll_reason, now)
            if reason is None:
                plans.append(PollPlan(source, state))
            else:
                result = SourceCrawlResult(source.name, PollOutcome.SKIPPED, errors=(reason,))
                skipped.append(result)
        return plans, skipped
