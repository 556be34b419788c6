"""The clusterer's memory: recent articles, their stories, and the indexes that find them.

Where it sits in the flow: :class:`~pipeline.clustering.StoryClusterer` keeps one
:class:`ArticleWindow`. It holds the :class:`~pipeline.story_features.ArticleFeatures` of every
article seen within the window (e.g. seven days) and which story each belongs to, plus:

- the canonical-URL index (the same article under a tracking-parameter twin of its URL);
- the MinHash LSH index of near-duplicate texts (:class:`~pipeline.minhash.NearDuplicateIndex`);
- inverted indexes from *keys* (entity keys; title terms and an article's most frequent body
  terms) to articles, which propose the candidates for the finer comparison, ranked by the
  summed rarity of the keys they share;
- document frequencies of entities and terms over the window (:class:`Rarity`), so that sharing
  a rare entity or word counts for more than sharing a common one.

Memory is bounded by the window: :meth:`ArticleWindow.evict_before` forgets old articles from
every index and from the frequency tables.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from pipeline.minhash import NearDuplicateIndex, TextSketch
from pipeline.story_features import ArticleFeatures
from pipeline.story_types import ClusteringParams

K = TypeVar("K", bound=Hashable)
KeyT = TypeVar("KeyT", str, int)
INDEXED_BODY_TERMS = 8
"""How many of an article's most frequent body terms are candidate keys (besides entities and
title terms), so articles without catalog entities can still find each other."""
MAX_POSTING = 2000
"""Keys held by more articles than this are not used to find candidates."""


class Rarity(Generic[K]):
    """Document frequencies over the window and the smoothed IDF they give."""

    def __init__(self) -> None:
        self._frequency: Counter[K] = Counter()
        self.documents = 0

    def add(self, keys: Iterable[K]) -> None:
        """Count one more document holding ``keys`` (each key once)."""
        self.documents += 1
        self._frequency.update(set(keys))

    def remove(self, keys: Iterable[K]) -> None:
        """Forget one document holding ``keys``."""
        self.documents -= 1
        for key in set(keys):
            left = self._frequency[key] - 1
            if left > 0:
                self._frequency[key] = left
            else:
                del self._frequency[key]

    def idf(self, key: K, *, in_query: bool) -> float:
        """``ln((N + 1) / (df + 1)) + 1`` over the window plus the query document.

        ``in_query`` says whether the document being compared (not yet in the window) holds
        ``key``; counting it keeps the weights the same whichever of two articles came first.
        """
        documents = self.documents + 1
        frequency = self._frequency.get(key, 0) + (1 if in_query else 0)
        return math.log((documents + 1) / (frequency + 1)) + 1.0

    def __len__(self) -> int:
        return len(self._frequency)


@dataclass(frozen=True)
class WindowStats:
    """What the window holds: every count falls back to zero once all articles are evicted."""

    articles: int
    stories: int
    urls: int
    near_duplicate_texts: int
    entity_keys: int
    word_keys: int
    distinct_entities: int
    distinct_terms: int


@dataclass(frozen=True)
class WindowEntry:
    """One remembered article and the story it belongs to."""

    features: ArticleFeatures
    story_id: int


class ArticleWindow:
    """Recent articles with their stories, indexed by URL, near-duplicate text and keys."""

    def __init__(self, params: ClusteringParams) -> None:
        self._entries: dict[int, WindowEntry] = {}
        self._by_url: dict[str, int] = {}
        self._entity_postings: dict[str, set[int]] = {}
        self._word_postings: dict[int, set[int]] = {}
        self._expiry: list[tuple[datetime, int]] = []
        self._near = NearDuplicateIndex(params.near_duplicate_jaccard, params.num_perm)
        self.entities: Rarity[str] = Rarity()
        self.terms: Rarity[int] = Rarity()

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> WindowStats:
        """Sizes of the window and its indexes (to check that memory stays bounded)."""
        return WindowStats(
            articles=len(self._entries),
            stories=len({entry.story_id for entry in self._entries.values()}),
            urls=len(self._by_url),
            near_duplicate_texts=len(self._near),
            entity_keys=len(self._entity_postings),
            word_keys=len(self._word_postings),
            distinct_entities=len(self.entities),
            distinct_terms=len(self.terms),
        )

    def get(self, article_id: int) -> WindowEntry | None:
        """The entry of ``article_id``, if it is in the window."""
        return self._entries.get(article_id)

    def insert(self, features: ArticleFeatures, story_id: int) -> None:
        """Remember an article as part of ``story_id`` (a no-op if it is already remembered)."""
        article_id = features.article_id
        if article_id in self._entries:
            return
        self._entries[article_id] = WindowEntry(features, story_id)
        self._by_url.setdefault(features.canonical_url, article_id)
        heapq.heappush(self._expiry, (features.seen_at, article_id))
        if features.profile.sketch is not None:
            self._near.insert(article_id, features.profile.sketch)
        for key in features.entity_weights:
            self._entity_postings.setdefault(key, set()).add(article_id)
        for word in indexed_words(features):
            self._word_postings.setdefault(word, set()).add(article_id)
        self.entities.add(features.entity_weights)
        self.terms.add(features.profile.terms)

    def evict_before(self, cutoff: datetime) -> list[int]:
        """Forget every article seen before ``cutoff``; return their ids, oldest first."""
        evicted: list[int] = []
        while self._expiry and self._expiry[0][0] < cutoff:
            _, article_id = heapq.heappop(self._expiry)
            self._forget(article_id)
            evicted.append(article_id)
        return evicted

    def article_at_url(self, canonical_url: str) -> int | None:
        """The remembered article stored under this canonical URL, if any."""
        return self._by_url.get(canonical_url)

    def near_duplicates(self, sketch: TextSketch) -> list[int]:
        """Remembered articles whose sketches collide with ``sketch`` (to be verified)."""
        return self._near.candidates(sketch)

    def candidates(self, features: ArticleFeatures, limit: int, max_gap: timedelta) -> list[int]:
        """The ``limit`` remembered articles within ``max_gap`` of ``features`` that share the
        most key weight with it, sorted by id.

        A candidate's weight is the summed IDF of the keys (entities, indexed words) it shares;
        ties go to the newest (highest id). Keys held by more than ``MAX_POSTING`` articles are
        skipped: they cost much and tell little.
        """
        weights: dict[int, float] = {}
        for key in features.entity_weights:
            idf = self.entities.idf(key, in_query=True)
            _accumulate(weights, self._entity_postings.get(key), idf)
        for word in indexed_words(features):
            idf = self.terms.idf(word, in_query=True)
            _accumulate(weights, self._word_postings.get(word), idf)
        earliest, latest = features.seen_at - max_gap, features.seen_at + max_gap
        entries = self._entries
        near = (
            item for item in weights.items()
            if earliest <= entries[item[0]].features.seen_at <= latest
        )
        best = heapq.nlargest(limit, near, key=lambda item: (item[1], item[0]))
        return sorted(article_id for article_id, _ in best)

    def _forget(self, article_id: int) -> None:
        entry = self._entries.pop(article_id, None)
        if entry is None:
            return
        features = entry.features
        if self._by_url.get(features.canonical_url) == article_id:
            del self._by_url[features.canonical_url]
        self._near.remove(article_id)
        for key in features.entity_weights:
            _discard(self._entity_postings, key, article_id)
        for word in indexed_words(features):
            _discard(self._word_postings, word, article_id)
        self.entities.remove(features.entity_weights)
        self.terms.remove(features.profile.terms)


def indexed_words(features: ArticleFeatures) -> list[int]:
    """The words under which an article is found: its title terms and its most frequent body
    terms (hashed), without repeats."""
    profile = features.profile
    ranked = sorted(zip(profile.counts, profile.terms, strict=True), key=lambda pair: -pair[0])
    words = sorted(features.title_terms) + [term for _, term in ranked[:INDEXED_BODY_TERMS]]
    return list(dict.fromkeys(words))


def _accumulate(weights: dict[int, float], posting: set[int] | None, weight: float) -> None:
    if posting is None or len(posting) > MAX_POSTING:
        return
    for article_id in posting:
        weights[article_id] = weights.get(article_id, 0.0) + weight


def _discard(postings: dict[KeyT, set[int]], key: KeyT, article_id: int) -> None:
    posting = postings.get(key)
    if posting is not None:
        posting.discard(article_id)
        if not posting:
            del postings[key]
