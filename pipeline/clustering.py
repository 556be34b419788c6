"""Story clustering: the same event reaches many outlets; each article is assigned to a story.

Where it sits in the flow::

    Article --tag--> Article + Mentions + StockReactions --cluster--> Article(story_id)
        --match--> Alert, one per (subscription, story)

Clustering runs after tagging, because rarity-weighted entity overlap is one of its signals.
:class:`StoryClusterer` is pure and in memory: the caller (the processing step) gives it one
:class:`~pipeline.story_types.ClusterInput` per article, in arrival order, and stores the
:class:`~pipeline.story_types.StoryAssignment` it answers (the story id and the signature).
A restart rebuilds it from stored signatures and story ids (:meth:`StoryClusterer.restored`).

For each new article, top to bottom (the first step that decides wins):

1. the same canonical URL as a remembered article -> that article's story;
2. a near-duplicate text (MinHash LSH over word shingles, verified Jaccard >= threshold)
   -> the most similar remembered article's story (syndicated copies, light rewrites);
3. the best combined score (rarity-weighted entity, title and text similarity, faded by the
   time between them; :mod:`pipeline.story_scoring`) over candidates that share an entity or
   a rare word, if it reaches ``join_score`` -> that article's story;
4. otherwise a new story, whose id is the article's own id (no separate allocator).

Articles older than the window (seven days by default) are forgotten, so memory stays bounded.
Design notes and measured figures: ``docs/clustering.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pipeline.minhash import MinHasher
from pipeline.nlp.types import EntityMention, StockReaction
from pipeline.story_features import ArticleFeatures, build_features, encode_signature
from pipeline.story_scoring import PairScore, QueryVectors
from pipeline.story_types import ClusteringParams, ClusterInput, StoryAssignment
from pipeline.story_window import ArticleWindow, WindowEntry, WindowStats
from pipeline.urls import InvalidUrlError, canonicalize_url

__all__ = [
    "ClusterInput",
    "ClusteringParams",
    "StoryAssignment",
    "StoryClusterer",
    "WindowStats",
    "entity_key",
    "entity_keys",
    "reaction_keys",
    "signature_bytes",
]


@dataclass(frozen=True)
class _Match:
    article_id: int
    score: float
    reasons: tuple[str, ...]


class StoryClusterer:
    """Assigns articles to stories, remembering recent articles over a sliding window."""

    def __init__(self, params: ClusteringParams | None = None) -> None:
        self.params = params or ClusteringParams()
        self._hasher = _hasher(self.params.num_perm)
        self._window = ArticleWindow(self.params)
        self._newest: datetime | None = None

    @classmethod
    def restored(
        cls, remembered: Iterable[tuple[ClusterInput, int]], params: ClusteringParams | None = None
    ) -> StoryClusterer:
        """A clusterer that remembers stored articles: ``(article, story_id)`` pairs, usually
        the last ``window`` of articles with their stored signatures (``text`` may be empty)."""
        clusterer = cls(params)
        for article, story_id in remembered:
            clusterer.remember(article, story_id)
        return clusterer

    def __len__(self) -> int:
        """How many articles the window holds."""
        return len(self._window)

    def stats(self) -> WindowStats:
        """How much the clusterer remembers (articles, stories, index sizes)."""
        return self._window.stats()

    def add(self, article: ClusterInput) -> StoryAssignment:
        """Assign ``article`` to a remembered story or to a new one, and remember it.

        Adding an article that is already remembered answers its story again (idempotent).
        """
        known = self._window.get(article.article_id)
        if known is not None:
            return self._repeat(article, known)
        features = self._features(article)
        self._advance(features.seen_at)
        match = self._same_url(features) or self._near_duplicate(features)
        match = match or self._best_scored(features)
        story_id = None if match is None else self._story_of(match.article_id)
        self._insert(features, features.article_id if story_id is None else story_id)
        return StoryAssignment(
            article_id=article.article_id,
            story_id=story_id,
            matched_article_id=None if match is None else match.article_id,
            score=0.0 if match is None else match.score,
            reasons=("no recent story matched",) if match is None else match.reasons,
            signature=encode_signature(features.profile, self.params),
        )

    def remember(self, article: ClusterInput, story_id: int) -> None:
        """Remember an already clustered article as part of ``story_id`` (rebuild at start)."""
        features = self._features(article)
        self._advance(features.seen_at)
        self._insert(features, story_id)

    def evict(self, before: datetime) -> int:
        """Forget articles seen before ``before`` (the daemon's clock); how many were dropped."""
        return len(self._window.evict_before(before))

    def story_of(self, article_id: int) -> int | None:
        """The story of a remembered article (``None`` when it is not in the window)."""
        entry = self._window.get(article_id)
        return None if entry is None else entry.story_id

    def explain(self, article: ClusterInput, other_id: int) -> PairScore | None:
        """How ``article`` scores against the remembered article ``other_id`` (diagnostics:
        ``None`` when the other is not remembered or too far away in time)."""
        entry = self._window.get(other_id)
        if entry is None:
            return None
        query = QueryVectors(self._features(article), self._window.entities, self._window.terms)
        return query.compare(entry.features, self.params)

    def signature(self, article: ClusterInput) -> bytes:
        """The signature of ``article`` under this clusterer's parameters."""
        return encode_signature(self._features(article).profile, self.params)

    def _features(self, article: ClusterInput) -> ArticleFeatures:
        features = build_features(article, self.params, self._hasher)
        url = _canonical(article.canonical_url)
        if url == features.canonical_url:
            return features
        return ArticleFeatures(
            features.article_id, url, features.seen_at, features.title_terms,
            features.entity_weights, features.profile,
        )

    def _advance(self, seen_at: datetime) -> None:
        if self._newest is None or seen_at > self._newest:
            self._newest = seen_at
            self._window.evict_before(seen_at - self.params.window)

    def _insert(self, features: ArticleFeatures, story_id: int) -> None:
        if self._newest is not None and features.seen_at < self._newest - self.params.window:
            return
        self._window.insert(features, story_id)

    def _story_of(self, article_id: int) -> int:
        entry = self._window.get(article_id)
        if entry is None:  # pragma: no cover - matches come from the window
            raise LookupError(f"article {article_id} is not in the window")
        return entry.story_id

    def _repeat(self, article: ClusterInput, known: WindowEntry) -> StoryAssignment:
        own = known.story_id == article.article_id
        return StoryAssignment(
            article_id=article.article_id,
            story_id=None if own else known.story_id,
            matched_article_id=None,
            score=1.0,
            reasons=("already clustered",),
            signature=encode_signature(known.features.profile, self.params),
        )

    def _same_url(self, features: ArticleFeatures) -> _Match | None:
        found = self._window.article_at_url(features.canonical_url)
        if found is None:
            return None
        return _Match(found, 1.0, (f"same canonical URL as article {found}",))

    def _near_duplicate(self, features: ArticleFeatures) -> _Match | None:
        sketch = features.profile.sketch
        if sketch is None:
            return None
        best: tuple[float, int] | None = None
        for article_id in self._window.near_duplicates(sketch):
            entry = self._window.get(article_id)
            other = None if entry is None else entry.features.profile.sketch
            if other is None:
                continue
            similarity = sketch.similarity(other)
            if similarity >= self.params.near_duplicate_jaccard and (
                best is None or (similarity, -article_id) > (best[0], -best[1])
            ):
                best = (similarity, article_id)
        if best is None:
            return None
        similarity, article_id = best
        reason = f"near-duplicate text of article {article_id} (Jaccard ~{similarity:.2f})"
        return _Match(article_id, similarity, (reason,))

    def _best_scored(self, features: ArticleFeatures) -> _Match | None:
        query = QueryVectors(features, self._window.entities, self._window.terms)
        best: PairScore | None = None
        candidates = self._window.candidates(
            features, self.params.max_candidates, self.params.max_gap
        )
        for article_id in candidates:
            entry = self._window.get(article_id)
            scored = None if entry is None else query.compare(entry.features, self.params)
            if scored is None or not self._joins(scored):
                continue
            if best is None or (scored.score, -article_id) > (best.score, -best.article_id):
                best = scored
        if best is None:
            return None
        return _Match(best.article_id, best.score, best.reasons())

    def _joins(self, scored: PairScore) -> bool:
        params = self.params
        return scored.score >= params.join_score and scored.text >= params.min_text_similarity


def signature_bytes(article: ClusterInput, params: ClusteringParams | None = None) -> bytes:
    """The signature storage keeps for ``article`` (MinHash sketch and content-term counts)."""
    chosen = params or ClusteringParams()
    features = build_features(article, chosen, _hasher(chosen.num_perm))
    return encode_signature(features.profile, chosen)


def entity_key(mention: EntityMention) -> str:
    """The clustering key of a mention: its catalog id, else ``name:`` + its case-folded name."""
    if mention.canonical_id:
        return mention.canonical_id
    return "name:" + " ".join(mention.canonical.casefold().split())


def entity_keys(mentions: Iterable[EntityMention]) -> tuple[str, ...]:
    """One key per mention, in order (repeats kept: they measure how central an entity is)."""
    return tuple(entity_key(mention) for mention in mentions)


def reaction_keys(reactions: Iterable[StockReaction]) -> tuple[str, ...]:
    """The company key of each stated stock move (its catalog id, else its case-folded name)."""
    return tuple(
        reaction.company_id or "name:" + " ".join(reaction.company.casefold().split())
        for reaction in reactions
    )


@lru_cache(maxsize=4)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def _canonical(url: str) -> str:
    try:
        return canonicalize_url(url)
    except InvalidUrlError:
        return url.strip()
