"""Typed values of story clustering: what the clusterer is given, what it answers, its knobs.

Where it sits in the flow: ``Article + Mentions + StockReactions --cluster--> Article(story_id)``.
The caller (the processing step in the shell) builds one :class:`ClusterInput` per stored,
tagged article and gets a :class:`StoryAssignment` back; nothing else crosses the boundary.

Story ids need no allocator: a story's id is the article id of its first article. An assignment
with ``story_id=None`` means "a new story", whose id is therefore the article's own id
(:attr:`StoryAssignment.resolved_story_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ClusterInput:
    """One article as story clustering sees it. Datetimes are UTC-aware.

    ``entities`` holds one key per entity mention in the title or text (repeats count: an
    entity named ten times is central, one named once is not); ``title_entities`` the keys of
    the mentions in the title; ``stock_reactions`` the keys of companies whose stock move the
    article states. Keys are catalog ids (``meta/muse-spark``, ``nvidia``) or, for entities the
    catalog does not know, ``name:<canonical name case-folded>`` (:func:`entity_key`).

    ``signature`` is what :func:`pipeline.clustering.signature_bytes` returned for this article
    earlier; with it, ``text`` may be empty (a restart rebuilds the index without re-reading
    bodies). A stale or foreign signature is ignored and recomputed from ``title`` and ``text``.
    """

    article_id: int
    canonical_url: str
    title: str
    text: str
    fetched_at: datetime
    published_at: datetime | None = None
    entities: tuple[str, ...] = ()
    title_entities: tuple[str, ...] = ()
    stock_reactions: tuple[str, ...] = ()
    signature: bytes | None = None

    @property
    def seen_at(self) -> datetime:
        """When the article appeared: its publication time, but never later than its fetch."""
        if self.published_at is None or self.published_at > self.fetched_at:
            return self.fetched_at
        return self.published_at


@dataclass(frozen=True)
class StoryAssignment:
    """Which story an article belongs to, and why.

    ``story_id`` is ``None`` for a new story (its id is the article's id, see
    :attr:`resolved_story_id`); otherwise it is the id of an earlier article's story, and
    ``matched_article_id`` is the article that decided it. ``score`` is in [0, 1]; ``reasons``
    are short readable sentences for logs and ``newsmon articles show``. ``signature`` is the
    article's signature, to be stored so a restart need not recompute it.
    """

    article_id: int
    story_id: int | None
    matched_article_id: int | None
    score: float
    reasons: tuple[str, ...]
    signature: bytes

    @property
    def is_new_story(self) -> bool:
        """True when the article starts a story of its own."""
        return self.story_id is None

    @property
    def resolved_story_id(self) -> int:
        """The story id to store: the matched story's, or the article's own for a new story."""
        return self.article_id if self.story_id is None else self.story_id


@dataclass(frozen=True)
class ClusteringParams:
    """The knobs of story clustering; the defaults are the documented choice (docs/clustering.md).

    Changing ``shingle_size`` or ``num_perm`` makes stored signatures stale: they are then
    ignored and recomputed from the text.
    """

    window: timedelta = timedelta(days=7)
    """How long an article stays in memory to be matched (by URL and near-duplicate text)."""
    max_gap: timedelta = timedelta(hours=72)
    """Different wordings of a story are matched only this close in time."""
    full_weight_gap: timedelta = timedelta(hours=24)
    """Up to this gap time costs nothing; beyond it the score fades to ``gap_floor`` at
    ``max_gap``."""
    gap_floor: float = 0.8
    num_perm: int = 64
    shingle_size: int = 3
    min_shingles: int = 20
    """Texts with fewer shingles (a headline, a teaser) are not compared as near-duplicates."""
    near_duplicate_jaccard: float = 0.5
    max_terms: int = 400
    """The most frequent content terms an article's signature keeps (bounds its size)."""
    entity_weight: float = 0.2
    title_weight: float = 0.4
    text_weight: float = 0.4
    entity_prior_mass: float = 10.0
    """Added to the union of two entity vectors (about two rare entities' worth), so sharing a
    single entity is weak evidence."""
    join_score: float = 0.23
    """A new article joins the best-matching recent story when the combined score reaches this."""
    min_text_similarity: float = 0.15
    """... and the texts share at least this much rarity-weighted vocabulary (entities and a few
    title words alone never make two articles one story)."""
    max_candidates: int = 100
    """At most this many recent articles (those sharing the most rare keys) are scored per add."""
