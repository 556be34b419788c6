"""Counting what one crawl did, per source, while it runs (state private to one crawl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from crawler.types import PollOutcome, SourceCrawlResult
from pipeline.types import IngestOutcome, IngestStatus


@dataclass
class _SourceCounts:
    outcome: PollOutcome = PollOutcome.FAILED
    status_code: int | None = None
    entries_seen: int = 0
    known: int = 0
    new_articles: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    polled: bool = False


class CrawlListener(Protocol):
    """Progress callbacks (the CLI's progress display), called on the crawl's event loop."""

    def poll_done(self, source: str, outcome: PollOutcome) -> None: ...

    def articles_queued(self, source: str, count: int) -> None: ...

    def article_done(self, source: str, outcome: IngestOutcome) -> None: ...


class CrawlTally:
    """Per-source counters of one crawl; :meth:`result` freezes them."""

    def __init__(self, listener: CrawlListener | None = None) -> None:
        self._counts: dict[str, _SourceCounts] = {}
        self._listener = listener

    def _of(self, source: str) -> _SourceCounts:
        return self._counts.setdefault(source, _SourceCounts())

    def polled(
        self, source: str, outcome: PollOutcome, status: int | None, error: str | None = None
    ) -> None:
        """Record the outcome of polling the source's own URL."""
        counts = self._of(source)
        counts.outcome, counts.status_code, counts.polled = outcome, status, True
        if error:
            counts.errors.append(error)
        if self._listener is not None:
            self._listener.poll_done(source, outcome)

    def saw_entries(self, source: str, seen: int, known: int) -> None:
        """Record how many entries the source listed and how many were already stored."""
        counts = self._of(source)
        counts.entries_seen += seen
        counts.known += known
        if self._listener is not None and seen > known:
            self._listener.articles_queued(source, seen - known)

    def article(self, source: str, outcome: IngestOutcome) -> None:
        """Record what storing one entry's article did."""
        counts = self._of(source)
        if outcome.status is IngestStatus.NEW:
            counts.new_articles += 1
        elif outcome.status is IngestStatus.REJECTED:
            counts.rejected += 1
            if outcome.reason:
                counts.errors.append(f"{outcome.url}: {outcome.reason}")
        else:
            counts.duplicates += 1
        if self._listener is not None:
            self._listener.article_done(source, outcome)

    def callback_failed(self, source: str, reason: str) -> None:
        """Record that handling one of the source's responses raised (its poll, if that was
        the one, stays failed)."""
        self._of(source).errors.append(reason)

    def result(self, source: str) -> SourceCrawlResult:
        """The frozen result for one source."""
        counts = self._of(source)
        outcome = counts.outcome if counts.polled else PollOutcome.FAILED
        errors = tuple(counts.errors) or (() if counts.polled else ("the poll did not complete",))
        return SourceCrawlResult(
            source=source,
            outcome=outcome,
            status_code=counts.status_code,
            entries_seen=counts.entries_seen,
            new_articles=counts.new_articles,
            duplicates=counts.duplicates + counts.known,
            rejected=counts.rejected,
            errors=errors,
        )
