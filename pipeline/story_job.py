"""The clustering step: tagged articles without a story -> StoryClusterer -> story ids stored.

What ``newsmon process`` (and the daemon's processing job) run after tagging. The clusterer is
rebuilt from the stored signatures of the recent window, then each waiting article is assigned
to a story (its own, when it starts one: the story id is the id of the story's first article).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pipeline.clustering import StoryClusterer, entity_keys, reaction_keys
from pipeline.storage import Storage, StoredArticle
from pipeline.storage.tags import ArticleTags
from pipeline.story_types import ClusteringParams, ClusterInput


@dataclass(frozen=True)
class ClusterReport:
    """What one clustering run did."""

    clustered: int = 0
    new_stories: int = 0
    joined: int = 0


def cluster_pending(
    storage: Storage,
    *,
    clock: Callable[[], datetime],
    clusterer: StoryClusterer | None = None,
    batch_size: int = 200,
) -> ClusterReport:
    """Assign every tagged article that has no story yet; returns the counts."""
    pending = storage.articles.pending_clustering(batch_size)
    if not pending:
        return ClusterReport()
    clusterer = clusterer or restore_clusterer(storage, clock() - ClusteringParams().window)
    new = joined = 0
    while pending:
        for article in pending:
            assignment = clusterer.add(cluster_input(article, storage.tags.of(article.id)))
            story_id = assignment.story_id or article.id
            storage.articles.set_story(article.id, story_id, assignment.signature)
            new, joined = (new + 1, joined) if assignment.story_id is None else (new, joined + 1)
        pending = storage.articles.pending_clustering(batch_size)
    return ClusterReport(new + joined, new, joined)


def restore_clusterer(storage: Storage, since: datetime) -> StoryClusterer:
    """A clusterer that remembers the stories of articles fetched since ``since``."""
    remembered = [
        (cluster_input(article, storage.tags.of(article.id), signature), article.story_id or 0)
        for article, signature in storage.articles.clustered_since(since)
    ]
    return StoryClusterer.restored(remembered)


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
