"""How alike two articles are as coverage of one event: entities, title, text and time.

Where it sits in the flow: :class:`~pipeline.clustering.StoryClusterer` scores a new article
against each candidate from its :class:`~pipeline.story_window.ArticleWindow` here, when neither
the URL nor near-duplicate text has already decided. Three cosine similarities, each weighted by
rarity over the window (smoothed IDF, :class:`~pipeline.story_window.Rarity`):

- **entities**: a weighted Jaccard of salience (``1 + ln`` of weighted mentions) x IDF, with a
  prior mass added to the union. Sharing Muse Spark and Meta, each named throughout, outweighs
  sharing OpenAI named in passing, and one shared entity between two articles that name little
  else counts for little;
- **title**: the content terms of the titles, each weighted by IDF;
- **text**: ``1 + ln(tf)`` x IDF over the content terms of title and body (the classic TF-IDF
  cosine), which picks up the figures, names and rare words that coverage of one event shares.

The combined score is their weighted mean (an article without entities simply has no entity
evidence), faded by the time between the two (:func:`time_factor`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.story_features import ArticleFeatures, log_tf
from pipeline.story_types import ClusteringParams
from pipeline.story_window import Rarity

SHOWN_TERMS = 4
"""How many shared entities / title words a reason names."""


@dataclass(frozen=True)
class PairScore:
    """The evidence that a new article and a remembered one cover the same event."""

    article_id: int
    score: float
    entities: float
    title: float
    text: float
    time_factor: float
    hours_apart: float
    shared_entities: tuple[str, ...]
    shared_title: tuple[str, ...]

    def reasons(self) -> tuple[str, ...]:
        """Readable sentences, strongest evidence first."""
        reasons = [f"combined score {self.score:.2f}"]
        if self.shared_entities:
            reasons.append(f"entities {self.entities:.2f}: {', '.join(self.shared_entities)}")
        if self.shared_title:
            reasons.append(f"title {self.title:.2f}: {', '.join(self.shared_title)}")
        reasons.append(f"text {self.text:.2f}")
        reasons.append(f"{self.hours_apart:.1f} h apart (time factor {self.time_factor:.2f})")
        return tuple(reasons)


class QueryVectors:
    """The new article's rarity-weighted vectors, computed once and compared with many."""

    def __init__(
        self, features: ArticleFeatures, entities: Rarity[str], terms: Rarity[int]
    ) -> None:
        self.features = features
        self._entity_rarity = entities
        self._term_rarity = terms
        self.entities = {
            key: weight * entities.idf(key, in_query=True)
            for key, weight in features.entity_weights.items()
        }
        profile = features.profile
        own_terms = set(profile.terms) | features.title_terms.keys()
        self._idf = {term: terms.idf(term, in_query=True) for term in own_terms}
        """Term IDF, memoised for this query: the window does not change while it is compared."""
        self.text = {
            term: log_tf(count) * self._idf[term]
            for term, count in zip(profile.terms, profile.counts, strict=True)
        }
        self.title = {term: self._idf[term] for term in features.title_terms}
        self.text_norm = _norm(self.text.values())
        self.title_norm = _norm(self.title.values())

    def compare(self, other: ArticleFeatures, params: ClusteringParams) -> PairScore | None:
        """The score against a remembered article; ``None`` when they are too far apart."""
        hours = abs((self.features.seen_at - other.seen_at).total_seconds()) / 3600
        factor = time_factor(hours, params)
        if factor <= 0:
            return None
        entities, shared_entities = self._entity_similarity(other, params.entity_prior_mass)
        title, shared_title = self._title_similarity(other)
        text = self._text_similarity(other)
        weights = (params.entity_weight, params.title_weight, params.text_weight)
        combined = sum(w * value for w, value in zip(weights, (entities, title, text), strict=True))
        score = factor * combined / sum(weights)
        return PairScore(
            other.article_id, score, entities, title, text, factor, hours,
            shared_entities, shared_title,
        )

    def _entity_similarity(
        self, other: ArticleFeatures, prior_mass: float
    ) -> tuple[float, tuple[str, ...]]:
        """Weighted Jaccard of the entity vectors with ``prior_mass`` added to the union, so
        that one shared entity between two articles that name little else is weak evidence."""
        mine = self.entities
        theirs = {
            key: weight * self._entity_rarity.idf(key, in_query=key in mine)
            for key, weight in other.entity_weights.items()
        }
        shared = {key: min(mine[key], value) for key, value in theirs.items() if key in mine}
        union = sum(max(mine.get(key, 0.0), theirs.get(key, 0.0)) for key in mine.keys() | theirs)
        value = sum(shared.values()) / (union + prior_mass) if shared else 0.0
        return value, _strongest(shared)

    def _title_similarity(self, other: ArticleFeatures) -> tuple[float, tuple[str, ...]]:
        theirs = {term: self._term_idf(term) for term in other.title_terms}
        shared = {term: self.title[term] * theirs[term] for term in theirs if term in self.title}
        value = _cosine(sum(shared.values()), self.title_norm, _norm(theirs.values()))
        named = {other.title_terms[term]: weight for term, weight in shared.items()}
        return value, _strongest(named)

    def _text_similarity(self, other: ArticleFeatures) -> float:
        """TF-IDF cosine of the two texts (the hot loop of clustering: one pass over the other
        article's terms, with this query's memoised IDF)."""
        dot = 0.0
        squares = 0.0
        mine = self.text.get
        known_idf = self._idf.get
        for term, tf in zip(other.profile.terms, other.profile.log_counts, strict=True):
            idf = known_idf(term)
            if idf is None:
                idf = self._idf[term] = self._term_rarity.idf(term, in_query=False)
            weight = tf * idf
            squares += weight * weight
            shared = mine(term)
            if shared is not None:
                dot += shared * weight
        return _cosine(dot, self.text_norm, math.sqrt(squares))

    def _term_idf(self, term: int) -> float:
        idf = self._idf.get(term)
        if idf is None:
            idf = self._idf[term] = self._term_rarity.idf(term, in_query=False)
        return idf


def time_factor(hours_apart: float, params: ClusteringParams) -> float:
    """1 up to ``full_weight_gap``, fading linearly to ``gap_floor`` at ``max_gap``, then 0."""
    full = params.full_weight_gap.total_seconds() / 3600
    limit = params.max_gap.total_seconds() / 3600
    if hours_apart <= full:
        return 1.0
    if hours_apart > limit:
        return 0.0
    return 1.0 - (1.0 - params.gap_floor) * (hours_apart - full) / (limit - full)


def _norm(values: Iterable[float]) -> float:
    return math.sqrt(sum(value * value for value in values))


def _cosine(dot: float, left: float, right: float) -> float:
    if left <= 0 or right <= 0:
        return 0.0
    return min(1.0, dot / (left * right))


def _strongest(weights: Mapping[str, float]) -> tuple[str, ...]:
    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return tuple(key for key, _ in ranked[:SHOWN_TERMS])
