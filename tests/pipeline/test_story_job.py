"""The clustering step over storage: one index kept between runs catches up with other runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.nlp.types import EntityMention, EntityType
from pipeline.storage import Storage
from pipeline.storage.tags import ArticleTags
from pipeline.story_job import StoryIndex, cluster_pending
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STORY = ("Meta unveiled Muse Spark on Tuesday, a large language model from Meta Superintelligence "
         "Labs that the company says rivals systems from OpenAI, Google and Anthropic. ") * 3
OTHER = ("Nvidia agreed to supply Anthropic with a gigawatt of Rubin systems in a multiyear deal "
         "worth tens of billions of dollars, the companies said on Monday. ") * 3
META = EntityMention(type=EntityType.COMPANY, text="Meta", start=0, end=4, canonical="Meta",
                     canonical_id="meta")


def add(storage: Storage, index: int, text: str, minutes: int) -> int:
    title = "Meta unveils Muse Spark" if text == STORY else "Nvidia to supply Anthropic"
    article = ExtractedArticle(url=f"https://o{index}.example/a", title=title,
                               text=text + str(index))
    outcome = storage.articles.store(f"outlet-{index}", article, origin=ArticleOrigin.PAGE,
                                     fetched_at=NOW + timedelta(minutes=minutes))
    assert outcome.article_id is not None
    storage.tags.save(outcome.article_id, ArticleTags(text_entities=(META,)), at=NOW, version="v")
    return outcome.article_id


def story_of(storage: Storage, article_id: int) -> int | None:
    found = storage.articles.get(article_id)
    return found.story_id if found else None


def test_an_index_kept_between_runs_catches_up_with_another_process(storage: Storage) -> None:
    daemon = StoryIndex()
    clock = lambda: NOW + timedelta(hours=1)  # noqa: E731
    first = add(storage, 1, STORY, 0)
    assert daemon.cluster_pending(storage, clock=clock).new_stories == 1
    second = add(storage, 2, STORY, 5)
    assert cluster_pending(storage, clock=clock).joined == 1  # another process, a fresh index
    third = add(storage, 3, STORY, 10)
    unrelated = add(storage, 4, OTHER, 12)
    report = daemon.cluster_pending(storage, clock=clock)
    assert (report.joined, report.new_stories) == (1, 1)
    assert story_of(storage, second) == story_of(storage, third) == first
    assert story_of(storage, unrelated) == unrelated


def test_tags_of_many_equal_tags_of_one(storage: Storage) -> None:
    ids = [add(storage, index, STORY, index) for index in range(3)]
    many = storage.tags.of_many([*ids, 999])
    assert all(many[article_id] == storage.tags.of(article_id) for article_id in ids)
    assert many[999] == ArticleTags()
