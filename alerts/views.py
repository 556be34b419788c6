"""Building what matching and messages see of a stored article: an :class:`ArticleView`.

The one place where the alerts stage reads an article and its tags from storage and turns them
into the typed view the query language, the matcher and the message builder work on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef
from pipeline.storage import Storage, StoredArticle
from pipeline.storage.tags import ArticleTags


def article_view(storage: Storage, article_id: int) -> ArticleView | None:
    """The stored article ``article_id`` with its tags, or ``None`` if it is gone."""
    article = storage.articles.get(article_id)
    if article is None:
        return None
    return view_of(article, storage.tags.of(article_id))


def view_of(article: StoredArticle, tags: ArticleTags) -> ArticleView:
    """Combine a stored article and its stored tags."""
    entities = [
        EntityRef(m.type.value, m.canonical, m.canonical_id, field, m.start, m.end,
                  m.developer_id, m.ticker, m.parent_id)
        for field, mentions in (("title", tags.title_entities), ("text", tags.text_entities))
        for m in mentions
    ]
    reactions = [
        ReactionRef(r.company, r.company_id, r.ticker, r.direction.value, r.magnitude_pct,
                    field, r.start, r.end, r.event)
        for field, moves in (("title", tags.title_reactions), ("text", tags.text_reactions))
        for r in moves
    ]
    return ArticleView(
        article_id=article.id, title=article.title or "", text=article.text,
        source=article.source_name, site=site_of(article.canonical_url),
        url=article.canonical_url, language=article.language, published=article.published_at,
        fetched_at=article.fetched_at, entities=tuple(entities), reactions=tuple(reactions),
        story_id=article.story_id,
    )


def site_of(url: str) -> str:
    """``https://www.example.com/a`` -> ``example.com``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def reason_to_json(reason: MatchReason) -> dict[str, Any]:
    """A match reason as stored with its alert."""
    return {"kind": reason.kind, "label": reason.label,
            "spans": [list(span) for span in reason.spans]}


def reason_from_json(data: dict[str, Any]) -> MatchReason:
    """A stored match reason back as a value (tolerating missing keys)."""
    spans = tuple((str(f), int(s), int(e)) for f, s, e in data.get("spans", []))
    return MatchReason(str(data.get("kind", "")), str(data.get("label", "")), spans)
