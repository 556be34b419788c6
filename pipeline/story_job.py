"""The clustering step: tagged articles without a story -> StoryClusterer -> story ids stored.

What ``newsmon process`` (and the daemon's processing job) run after tagging. A
:class:`StoryIndex` keeps one clusterer between runs (the daemon holds it for its life): the
first run rebuilds it from the stored signatures of the recent window, later runs only catch up
with articles another process clustered meanwhile. Each waiting article is then assigned to a
story (its own when it starts one: the story id is the id of the story's first article).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pipeline.clustering import StoryClusterer, entity_keys, reaction_keys
from pipeline.storage import Storage, StoredArticle
from pipeline.storage.tags import ArticleTags
from pipeline.story_types import ClusteringParams, ClusterInput
from pipeline.types import StopCheck, never


@dataclass(frozen=True)
class ClusterReport:
    """What one clustering run did."""

    clustered: int = 0
    new_stories: int = 0
    joined: int = 0


class StoryIndex:
    """A story clusterer kept up to date with what storage holds."""

    def __init__(self, params: ClusteringParams | None = None) -> None:
        self._params = params or ClusteringParams()
        self._clusterer = StoryClusterer(self._params)
        self._known_upto = 0

    def cluster_pending(
        self, storage: Storage, *, clock: Callable[[], datetime], batch_size: int = 200,
        should_stop: StopCheck = never,
    ) -> ClusterReport:
        """Assign every tagged article that has no story yet, a batch at a time (none more
        once ``should_stop`` says so); returns the counts."""
        pending = storage.articles.pending_clustering(batch_size)
        if not pending or should_stop():
            return ClusterReport()
        self._catch_up(storage, clock())
        new = joined = 0
        while pending and not should_stop():
            tags = storage.tags.of_many([article.id for article in pending])
            for article in pending:
                assignment = self._clusterer.add(cluster_input(article, tags[article.id]))
                storage.articles.set_story(article.id, assignment.story_id or article.id,
                                           assignment.signature)
                self._known_upto = max(self._known_upto, article.id)
                new, joined = (new + 1, joined) if assignment.story_id is None else (
                    new, joined + 1)
            pending = storage.articles.pending_clustering(batch_size)
        return ClusterReport(new + joined, new, joined)

    def _catch_up(self, storage: Storage, now: datetime) -> None:
        """Remember stored stories this index has not seen (all of them, the first time)."""
        self._clusterer.evict(now - self._params.window)
        rows = storage.articles.clustered_since(now - self._params.window,
                                                after_id=self._known_upto)
        tags = storage.tags.of_many([article.id for article, _ in rows])
        for article, signature in rows:
            if self._clusterer.story_of(article.id) is None:
                self._clusterer.remember(
                    cluster_input(article, tags[article.id], signature), article.story_id or 0)
            self._known_upto = max(self._known_upto, article.id)


def cluster_pending(
    storage: Storage,
    *,
    clock: Callable[[], datetime],
    index: StoryIndex | None = None,
    batch_size: int = 200,
    should_stop: StopCheck = never,
) -> ClusterReport:
    """Assign every tagged article without a story (with a fresh index unless one is given)."""
    return (index or StoryIndex()).cluster_pending(storage, clock=clock, batch_size=batch_size,
                                                   should_stop=should_stop)


def cluster_input(
    article: StoredArticle, tags: ArticleTags, signature: bytes | None = None
) -> ClusterInput:
    """What clustering needs of a stored article and its tags."""
    return ClusterInput(
        article_id=article.id,
        canonical_url=article.canonical_url,
        title=article.title or "",
        text=article.text,
        fetched_at=article.fetched_at,
        published_at=article.published_at,
        entities=entity_keys(tags.entities),
        title_entities=entity_keys(tags.title_entities),
        stock_reactions=reaction_keys(tags.stock_reactions),
        signature=signature,
    )
