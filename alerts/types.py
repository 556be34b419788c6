"""Typed values of the alerts stage: what matching sees of an article, and what it answers.

Matching never sees ORM rows or spaCy objects: the shell builds an :class:`ArticleView` from a
stored, tagged article; queries are evaluated against it; a match explains itself with
:class:`MatchReason` values so messages can show and highlight why they were sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class EntityRef:
    """One tagged entity of an article, as matching needs it."""

    type: str
    """``MODEL``, ``COMPANY`` or ``ORG``."""
    canonical: str
    canonical_id: str | None
    field: str
    """``title`` or ``text``: which field the offsets index."""
    start: int
    end: int
    developer_id: str | None = None
    ticker: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True)
class ReactionRef:
    """One stock reaction of an article."""

    company: str
    company_id: str | None
    ticker: str | None
    direction: str
    """``up``, ``down`` or ``flat``."""
    magnitude_pct: float | None
    field: str
    start: int
    end: int
    event: str | None = None
    """What the move followed (``the announcement``), when the article says."""


@dataclass(frozen=True)
class ArticleView:
    """A stored, tagged article as the query language and the matcher see it."""

    article_id: int
    title: str
    text: str
    source: str
    """The source's name (``techcrunch-ai``)."""
    site: str
    """The host of the article's canonical URL, without ``www.`` (``techcrunch.com``)."""
    url: str
    language: str | None = None
    published: datetime | None = None
    fetched_at: datetime | None = None
    entities: tuple[EntityRef, ...] = ()
    reactions: tuple[ReactionRef, ...] = ()
    story_id: int | None = None


@dataclass(frozen=True)
class MatchReason:
    """Why a query matched: a term, a phrase, an entity or a stock reaction, and where."""

    kind: str
    """``term``, ``phrase``, ``near``, ``entity``, ``stock``, ``field``."""
    label: str
    """What matched, for people: ``"muse spark"``, ``company:Meta``, ``META up 3%``."""
    spans: tuple[tuple[str, int, int], ...] = field(default=())
    """(field, start, end) spans in the article to highlight."""
