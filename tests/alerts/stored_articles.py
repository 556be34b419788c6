"""Articles as matching sees them after the real pipeline: tagged by the rules-only tagger,
stored in SQLite, read back with :func:`alerts.views.article_view`."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.matching import MatchIndex, per_subscription
from alerts.query import Query, Reasons
from alerts.types import ArticleView
from alerts.views import article_view
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from pipeline.storage.tags import TaggingInput
from pipeline.tagging import document_text, split_by_field
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def store_tagged(storage: Storage, tagger: Tagger, title: str, text: str,
                 url: str = "https://news.example.com/story") -> ArticleView:
    """Store an article, tag it as the processing step does (title and text as one document,
    offsets split by field), and read it back as matching sees it."""
    outcome = storage.articles.store("wire", ExtractedArticle(url=url, title=title, text=text),
                                     origin=ArticleOrigin.PAGE, fetched_at=NOW)
    assert outcome.article_id is not None
    item = TaggingInput(outcome.article_id, title, text, "wire", url)
    tags = split_by_field(title, tagger.tag(document_text(item)))
    storage.tags.save(outcome.article_id, tags, at=NOW, version="test")
    view = article_view(storage, outcome.article_id)
    assert view is not None
    return view


def index_and_naive(queries: list[Query], view: ArticleView) -> tuple[
        list[tuple[int, Reasons]], list[tuple[int, Reasons]]]:
    """What the index and the naive loop answer for ``view``, by subscription number."""
    subscriptions = list(enumerate(queries))
    index = MatchIndex.build(subscriptions)
    by_index = sorted(per_subscription(index.match(view, NOW)), key=lambda pair: pair[0])
    naive = [(number, reasons) for number, query in subscriptions
             if (reasons := query.matches(view, NOW)) is not None]
    return by_index, naive
