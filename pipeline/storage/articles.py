"""The article store: insert once (unique canonical URL and content fingerprint), list, show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from pipeline.storage.models import ArticleRow, SourceRow
from pipeline.storage.records import StoredArticle
from pipeline.storage.upsert import insert_ignoring_conflicts
from pipeline.text import clean_line, clean_text, content_fingerprint
from pipeline.types import ArticleOrigin, ExtractedArticle, IngestOutcome, IngestStatus
from pipeline.urls import InvalidUrlError, canonicalize_url

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource

MAX_URL_CHARS = 2048


class ArticleStore:
    """Stored articles. Storing is idempotent: duplicates are reported, never stored twice."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def store(
        self,
        source_name: str,
        article: ExtractedArticle,
        *,
        origin: ArticleOrigin,
        fetched_at: datetime,
        guid: str | None = None,
        link_url: str | None = None,
    ) -> IngestOutcome:
        """Insert ``article``; a duplicate by canonical URL or by content is a value, not an error.

        ``link_url`` is the link the source gave when it differs from the page's final URL (a
        redirect); it is remembered so the next poll knows the entry without fetching it.
        """
        try:
            canonical = article_canonical_url(article)
            link = _storable_link(link_url, canonical)
        except InvalidUrlError as error:
            return IngestOutcome(IngestStatus.REJECTED, article.url, reason=str(error))
        values = _article_values(source_name, article, canonical, origin, fetched_at, guid)
        values["link_url"] = link
        with self._sessions.write() as session:
            source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source_name))
            article_id = insert_ignoring_conflicts(
                session, ArticleRow, {**values, "source_id": source_id}
            )
            if article_id is not None:
                return IngestOutcome(IngestStatus.NEW, article.url, article_id=article_id)
            existing = session.scalar(
                select(ArticleRow.id).where(ArticleRow.canonical_url == canonical)
            )
        if existing is not None:
            return IngestOutcome(IngestStatus.DUPLICATE_URL, article.url, article_id=existing)
        return IngestOutcome(
            IngestStatus.DUPLICATE_CONTENT,
            article.url,
            reason="the same text is already stored under another URL",
        )

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` (as given) whose canonical form is already stored."""
        by_canonical: dict[str, list[str]] = {}
        for url in urls:
            try:
                by_canonical.setdefault(canonicalize_url(url), []).append(url)
            except InvalidUrlError:
                continue
        if not by_canonical:
            return set()
        keys = list(by_canonical)
        with self._sessions.read() as session:
            found = set(
                session.scalars(
                    select(ArticleRow.canonical_url).where(ArticleRow.canonical_url.in_(keys))
                )
            )
            found.update(
                session.scalars(select(ArticleRow.link_url).where(ArticleRow.link_url.in_(keys)))
            )
        return {url for canonical in found for url in by_canonical.get(canonical, [])}

    def get(self, article_id: int) -> StoredArticle | None:
        """One article by id."""
        with self._sessions.read() as session:
            row = session.get(ArticleRow, article_id)
            return _record(row) if row else None

    def latest(
        self, *, since: datetime | None = None, source: str | None = None, limit: int = 50
    ) -> list[StoredArticle]:
        """Articles newest first (by publication, else fetch time), optionally filtered."""
        newest = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
        query = select(ArticleRow).order_by(newest.desc(), ArticleRow.id.desc()).limit(limit)
        if since is not None:
            query = query.where(ArticleRow.fetched_at >= since)
        if source is not None:
            query = query.where(ArticleRow.source_name == source)
        with self._sessions.read() as session:
            return [_record(row) for row in session.scalars(query)]

    def pending_clustering(self, limit: int) -> list[StoredArticle]:
        """Tagged articles not yet assigned to a story, oldest first."""
        query = (select(ArticleRow).where(ArticleRow.tagged_at.is_not(None),
                                          ArticleRow.story_id.is_(None))
                 .order_by(ArticleRow.id).limit(limit))
        with self._sessions.read() as session:
            return [_record(row) for row in session.scalars(query)]

    def clustered_since(
        self, since: datetime, *, after_id: int = 0
    ) -> list[tuple[StoredArticle, bytes | None]]:
        """Articles fetched since ``since`` (with ids above ``after_id``) that have a story,
        with their stored signatures."""
        query = (select(ArticleRow).where(ArticleRow.story_id.is_not(None),
                                          ArticleRow.fetched_at >= since,
                                          ArticleRow.id > after_id)
                 .order_by(ArticleRow.id))
        with self._sessions.read() as session:
            return [(_record(row), row.signature) for row in session.scalars(query)]

    def set_story(self, article_id: int, story_id: int, signature: bytes) -> None:
        """Record the story an article belongs to, and its signature."""
        with self._sessions.write() as session:
            session.execute(update(ArticleRow).where(ArticleRow.id == article_id)
                            .values(story_id=story_id, signature=signature))

    def pending_matching(self, limit: int) -> list[int]:
        """Ids of tagged, clustered articles not yet matched against subscriptions, oldest first."""
        query = (select(ArticleRow.id).where(ArticleRow.story_id.is_not(None),
                                             ArticleRow.matched_at.is_(None))
                 .order_by(ArticleRow.id).limit(limit))
        with self._sessions.read() as session:
            return list(session.scalars(query))

    def story(self, story_id: int) -> list[StoredArticle]:
        """The articles of one story, first one first."""
        query = select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(ArticleRow.id)
        with self._sessions.read() as session:
            return [_record(row) for row in session.scalars(query)]

    def count(self, *, since: datetime | None = None) -> int:
        """How many articles are stored (fetched since ``since``, if given)."""
        query = select(func.count()).select_from(ArticleRow)
        if since is not None:
            query = query.where(ArticleRow.fetched_at >= since)
        with self._sessions.read() as session:
            return int(session.scalar(query) or 0)


def article_canonical_url(article: ExtractedArticle) -> str:
    """The canonical URL to store: the page's declared canonical if valid, else its own URL."""
    for candidate in (article.canonical_url, article.url):
        if not candidate:
            continue
        try:
            canonical = canonicalize_url(candidate)
        except InvalidUrlError:
            continue
        if len(canonical) <= MAX_URL_CHARS:
            return canonical
    raise InvalidUrlError(f"no storable URL for article at {article.url!r}")


def _storable_link(link_url: str | None, canonical: str) -> str:
    if not link_url:
        return canonical
    link = canonicalize_url(link_url)
    return link if len(link) <= MAX_URL_CHARS else canonical


def _article_values(
    source_name: str,
    article: ExtractedArticle,
    canonical: str,
    origin: ArticleOrigin,
    fetched_at: datetime,
    guid: str | None,
) -> dict[str, object]:
    text = clean_text(article.text)
    title = clean_line(article.title)
    return {
        "source_name": source_name,
        "url": clean_text(article.url),
        "canonical_url": canonical,
        "content_hash": content_fingerprint(title, text),
        "guid": clean_line(guid),
        "origin": origin.value,
        "title": title,
        "text": text,
        "description": clean_text(article.description) or None,
        "authors": [a for a in (clean_line(x) for x in article.authors) if a],
        "tags": [t for t in (clean_line(x) for x in article.tags) if t],
        "notes": [clean_text(note) for note in article.notes],
        "language": clean_line(article.language),
        "image_url": clean_line(article.image),
        "site_name": clean_line(article.site_name),
        "word_count": len(text.split()),
        "published_at": article.published,
        "fetched_at": fetched_at,
    }


def _record(row: ArticleRow) -> StoredArticle:
    return StoredArticle(
        id=row.id,
        source_name=row.source_name,
        url=row.url,
        canonical_url=row.canonical_url,
        origin=row.origin,
        title=row.title,
        text=row.text,
        description=row.description,
        authors=tuple(row.authors),
        tags=tuple(row.tags),
        notes=tuple(row.notes),
        language=row.language,
        image_url=row.image_url,
        site_name=row.site_name,
        word_count=row.word_count,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        story_id=row.story_id,
        tagged_at=row.tagged_at,
    )
