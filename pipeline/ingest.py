"""The pipeline's entry point for the crawler: FetchedPage -> extract -> store, one outcome each.

:class:`ArticleIngestor` is the page sink the crawler is given. It never raises for bad input:
a page that is not an article falls back to what its feed said (when the feed said enough), and
every refusal is recorded against its source with a readable reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pipeline.dates import utc_now
from pipeline.extraction import article_from_hints, extract_article
from pipeline.storage import Storage
from pipeline.types import (
    ArticleOrigin,
    EntryHints,
    ExtractedArticle,
    FetchedPage,
    IngestOutcome,
    IngestStatus,
    NotAnArticle,
)


class ArticleIngestor:
    """Turns fetched pages (or feed entries whose page failed) into stored articles."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime] = utc_now) -> None:
        self._storage = storage
        self._clock = clock

    def ingest_page(self, page: FetchedPage) -> IngestOutcome:
        """Extract the article from a fetched page and store it (or its feed entry's content)."""
        result = extract_article(
            page.body,
            page.final_url,
            now=self._clock(),
            hints=page.hints,
            declared_encoding=page.encoding,
        )
        if isinstance(result, ExtractedArticle):
            guid = page.hints.guid if page.hints else None
            return self._store(page.source, result, ArticleOrigin.PAGE, page.url, guid=guid)
        self._reject(page.source, "extract", result.reason, page.final_url)
        if page.hints is None:
            return IngestOutcome(IngestStatus.REJECTED, page.url, reason=result.reason)
        return self._store_hints(page.source, page.hints, result.reason)

    def ingest_unfetched(
        self, source: str, hints: EntryHints, reason: str | None = None
    ) -> IngestOutcome:
        """Store a feed entry's own content: its page could not be had (``reason`` says why, and
        is recorded) or was not to be fetched (``reason`` is ``None``)."""
        if reason is not None:
            self._reject(source, "fetch", reason, hints.url)
        return self._store_hints(source, hints, reason or "entry stored without its page")

    def _store_hints(self, source: str, hints: EntryHints, why_no_page: str) -> IngestOutcome:
        fallback = article_from_hints(hints, now=self._clock())
        if isinstance(fallback, NotAnArticle):
            reason = f"{why_no_page}; the entry itself has no usable content ({fallback.reason})"
            return IngestOutcome(IngestStatus.REJECTED, hints.url, reason=reason)
        return self._store(source, fallback, ArticleOrigin.FEED, hints.url, guid=hints.guid)

    def _store(
        self,
        source: str,
        article: ExtractedArticle,
        origin: ArticleOrigin,
        link_url: str,
        guid: str | None = None,
    ) -> IngestOutcome:
        outcome = self._storage.articles.store(
            source, article, origin=origin, fetched_at=self._clock(), guid=guid, link_url=link_url
        )
        if outcome.status is IngestStatus.REJECTED:
            self._reject(source, "store", outcome.reason or "refused by storage", article.url)
        return outcome

    def _reject(self, source: str, stage: str, reason: str, url: str | None) -> None:
        self._storage.sources.record_rejection(source, stage, reason, url, self._clock())
