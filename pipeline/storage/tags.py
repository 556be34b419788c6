"""The tag store: each article's entity mentions and stock reactions, and its tagging state.

Tags are written per article in one transaction that replaces whatever was there before, so
re-tagging (after a catalog change) is idempotent. Offsets are stored relative to the field
(``title`` or ``text``) they index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Row, Table, delete, func, insert, or_, select, update

from pipeline.nlp.types import (
    DecidedBy,
    Direction,
    EntityMention,
    EntityType,
    StockReaction,
)
from pipeline.storage.chunks import chunked
from pipeline.storage.models import ArticleRow, MentionRow, StockReactionRow

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource

TITLE, TEXT = "title", "text"
IN_CHUNK = 500
_MENTIONS = cast(Table, MentionRow.__table__)
_REACTIONS = cast(Table, StockReactionRow.__table__)
"""The tables themselves: tags are written and read as plain rows, without ORM objects."""


@dataclass(frozen=True)
class ArticleTags:
    """The tags of one article, by field."""

    title_entities: tuple[EntityMention, ...] = ()
    text_entities: tuple[EntityMention, ...] = ()
    title_reactions: tuple[StockReaction, ...] = ()
    text_reactions: tuple[StockReaction, ...] = ()

    @property
    def entities(self) -> tuple[EntityMention, ...]:
        """Every mention, title first."""
        return self.title_entities + self.text_entities

    @property
    def stock_reactions(self) -> tuple[StockReaction, ...]:
        """Every stock reaction, title first."""
        return self.title_reactions + self.text_reactions


@dataclass(frozen=True)
class TaggingInput:
    """What the tagger needs of one article."""

    article_id: int
    title: str
    text: str
    source_name: str
    url: str


class TagStore:
    """Mentions and stock reactions per article; which articles wait to be tagged."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def pending(self, limit: int, *, version: str | None = None) -> list[TaggingInput]:
        """Articles never tagged (or, with ``version``, tagged by another version), oldest first."""
        query = select(
            ArticleRow.id, ArticleRow.title, ArticleRow.text, ArticleRow.source_name,
            ArticleRow.canonical_url,
        ).order_by(ArticleRow.id)
        waiting: ColumnElement[bool] = ArticleRow.tagged_at.is_(None)
        if version is not None:
            waiting = or_(waiting, ArticleRow.tagger_version != version)
        with self._sessions.read() as session:
            rows = session.execute(query.where(waiting).limit(limit))
            return [
                TaggingInput(row.id, row.title or "", row.text, row.source_name,
                             row.canonical_url)
                for row in rows
            ]

    def count_pending(self) -> int:
        """How many articles wait to be tagged."""
        query = select(func.count()).select_from(ArticleRow).where(ArticleRow.tagged_at.is_(None))
        with self._sessions.read() as session:
            return int(session.scalar(query) or 0)

    def save(self, article_id: int, tags: ArticleTags, *, at: datetime, version: str) -> None:
        """Replace the article's tags with ``tags`` and mark it tagged, in one transaction.

        Rows go in as one multi-row insert per table (no ORM objects: an article has dozens of
        mentions, and building an object for each cost more than the insert)."""
        mentions = [_mention_values(article_id, field, m) for field, found in (
            (TITLE, tags.title_entities), (TEXT, tags.text_entities)) for m in found]
        reactions = [_reaction_values(article_id, field, r) for field, found in (
            (TITLE, tags.title_reactions), (TEXT, tags.text_reactions)) for r in found]
        with self._sessions.write() as session:
            session.execute(delete(MentionRow).where(MentionRow.article_id == article_id))
            session.execute(
                delete(StockReactionRow).where(StockReactionRow.article_id == article_id)
            )
            if mentions:
                session.execute(insert(_MENTIONS), mentions)
            if reactions:
                session.execute(insert(_REACTIONS), reactions)
            session.execute(
                update(ArticleRow).where(ArticleRow.id == article_id)
                .values(tagged_at=at, tagger_version=version)
            )

    def mark_for_retagging(self, since: datetime | None = None) -> int:
        """Forget when articles (fetched since ``since``) were tagged; they will be tagged again."""
        statement = update(ArticleRow).values(tagged_at=None)
        if since is not None:
            statement = statement.where(ArticleRow.fetched_at >= since)
        with self._sessions.write() as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def of_many(self, article_ids: Sequence[int]) -> dict[int, ArticleTags]:
        """The stored tags of many articles, two queries per 500 ids."""
        mentions: dict[int, list[Row[Any]]] = defaultdict(list)
        reactions: dict[int, list[Row[Any]]] = defaultdict(list)
        ids = list(article_ids)
        with self._sessions.read() as session:
            for chunk in chunked(ids, IN_CHUNK):
                for mention in session.execute(select(_MENTIONS).where(
                        MentionRow.article_id.in_(chunk)).order_by(MentionRow.id)):
                    mentions[mention.article_id].append(mention)
                for move in session.execute(select(_REACTIONS).where(
                        StockReactionRow.article_id.in_(chunk)).order_by(StockReactionRow.id)):
                    reactions[move.article_id].append(move)
        return {article_id: _tags(mentions[article_id], reactions[article_id])
                for article_id in ids}

    def of(self, article_id: int) -> ArticleTags:
        """The stored tags of one article."""
        return self.of_many([article_id])[article_id]


def _tags(mentions: Sequence[Row[Any]], reactions: Sequence[Row[Any]]) -> ArticleTags:
    return ArticleTags(
        title_entities=_mentions(mentions, TITLE), text_entities=_mentions(mentions, TEXT),
        title_reactions=_reactions(reactions, TITLE), text_reactions=_reactions(reactions, TEXT),
    )


def _mention_values(article_id: int, field: str, mention: EntityMention) -> dict[str, Any]:
    return {
        "article_id": article_id, "field": field, "type": mention.type.value,
        "text": mention.text, "start_offset": mention.start, "end_offset": mention.end,
        "canonical": mention.canonical, "canonical_id": mention.canonical_id,
        "developer_id": mention.developer_id, "ticker": mention.ticker,
        "parent_id": mention.parent_id, "sentence": mention.sentence,
        "decided_by": mention.decided_by.value, "confidence": mention.confidence,
    }


def _reaction_values(article_id: int, field: str, reaction: StockReaction) -> dict[str, Any]:
    return {
        "article_id": article_id, "field": field, "company": reaction.company,
        "company_id": reaction.company_id, "ticker": reaction.ticker,
        "direction": reaction.direction.value, "magnitude_pct": reaction.magnitude_pct,
        "text": reaction.text, "start_offset": reaction.start, "end_offset": reaction.end,
        "event": reaction.event, "sentence": reaction.sentence,
    }


def _mentions(rows: Sequence[Row[Any]], field: str) -> tuple[EntityMention, ...]:
    return tuple(
        EntityMention(
            type=EntityType(row.type), text=row.text, start=row.start_offset,
            end=row.end_offset, canonical=row.canonical, canonical_id=row.canonical_id,
            developer_id=row.developer_id, ticker=row.ticker, parent_id=row.parent_id,
            sentence=row.sentence, decided_by=DecidedBy(row.decided_by),
            confidence=row.confidence,
        )
        for row in rows if row.field == field
    )


def _reactions(rows: Sequence[Row[Any]], field: str) -> tuple[StockReaction, ...]:
    return tuple(
        StockReaction(
            company=row.company, direction=Direction(row.direction), text=row.text,
            start=row.start_offset, end=row.end_offset, company_id=row.company_id,
            ticker=row.ticker, magnitude_pct=row.magnitude_pct, event=row.event,
            sentence=row.sentence,
        )
        for row in rows if row.field == field
    )
