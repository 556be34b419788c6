"""The tagging step over stored articles: batches, field offsets, failures that don't loop.

The NLP pipeline is replaced here by a small keyword tagger that fails on demand, because a
real pipeline cannot be made to fail on one chosen article; the end-to-end path with the real
spaCy tagger is tested in tests/newsmon.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from pipeline.nlp.types import Direction, EntityMention, EntityType, StockReaction, TagResult
from pipeline.storage import Storage
from pipeline.storage.tags import TaggingInput
from pipeline.tagging import document_text, split_by_field, tag_pending, tagger_version
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class KeywordTagger:
    """Tags every "Nvidia" as a company and "shares rose" as a reaction; raises on "POISON"."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def tag(self, text: str) -> TagResult:
        if "POISON" in text:
            raise ValueError("cannot tag this")
        entities = tuple(
            EntityMention(type=EntityType.COMPANY, text="Nvidia", start=m.start(), end=m.end(),
                          canonical="Nvidia", canonical_id="nvidia", ticker="NVDA")
            for m in re.finditer("Nvidia", text)
        )
        reactions = tuple(
            StockReaction(company="Nvidia", direction=Direction.UP, text=m.group(),
                          start=m.start(), end=m.end(), ticker="NVDA")
            for m in re.finditer("shares rose", text)
        )
        return TagResult(entities, reactions)

    def tag_many(self, texts: Sequence[str]) -> list[TagResult]:
        self.batches.append(len(texts))
        return [self.tag(text) for text in texts]


def add(storage: Storage, index: int, title: str, text: str) -> int:
    body = text + " " + " ".join(f"filler{index}x{n}" for n in range(30))
    outcome = storage.articles.store(
        "wire", ExtractedArticle(url=f"https://n.example/{index}", title=title, text=body),
        origin=ArticleOrigin.PAGE, fetched_at=NOW)
    assert outcome.article_id is not None
    return outcome.article_id


def test_offsets_are_rebased_onto_title_and_text() -> None:
    item = TaggingInput(1, "Nvidia shares rose", "Later Nvidia said so.", "wire", "u")
    text = document_text(item)
    tags = split_by_field(item.title, KeywordTagger().tag(text))
    [title_mention] = tags.title_entities
    [text_mention] = tags.text_entities
    assert item.title[title_mention.start:title_mention.end] == "Nvidia"
    assert item.text[text_mention.start:text_mention.end] == "Nvidia"
    assert item.title[tags.title_reactions[0].start:tags.title_reactions[0].end] == "shares rose"


def test_pending_articles_are_tagged_in_batches(storage: Storage) -> None:
    ids = [add(storage, i, f"Story {i}", f"Nvidia shares rose {i}.") for i in range(5)]
    tagger = KeywordTagger()
    report = tag_pending(storage, tagger, version="v1", clock=lambda: NOW, batch_size=2)
    assert (report.tagged, report.failed, report.entities, report.stock_reactions) == (5, 0, 5, 5)
    assert tagger.batches == [2, 2, 1]
    tags = storage.tags.of(ids[0])
    assert [m.canonical_id for m in tags.text_entities] == ["nvidia"]
    assert tag_pending(storage, tagger, version="v1", clock=lambda: NOW).tagged == 0


def test_an_article_the_tagger_fails_on_is_recorded_and_not_retried(storage: Storage) -> None:
    good = add(storage, 1, "Fine", "Nvidia shares rose.")
    bad = add(storage, 2, "Broken", "POISON Nvidia.")
    report = tag_pending(storage, KeywordTagger(), version="v1", clock=lambda: NOW)
    assert (report.tagged, report.failed) == (1, 1)
    assert storage.tags.of(good).text_entities and storage.tags.of(bad).entities == ()
    assert storage.tags.count_pending() == 0
    [rejection] = storage.sources.rejections("wire")
    assert rejection.stage == "tag" and rejection.url == "https://n.example/2"


def test_limit_and_version() -> None:
    assert tagger_version("catalog-a", "en_core_web_sm") != tagger_version("catalog-b",
                                                                          "en_core_web_sm")
    assert tagger_version("a", "") != tagger_version("a", "en_core_web_sm")
    assert len(tagger_version("a", "")) == 16


@pytest.mark.parametrize("limit", [1, 3])
def test_limit_caps_the_run(storage: Storage, limit: int) -> None:
    for index in range(4):
        add(storage, index, f"S{index}", "Nvidia.")
    report = tag_pending(storage, KeywordTagger(), version="v1", clock=lambda: NOW,
                         batch_size=2, limit=limit)
    assert report.tagged == limit
    assert storage.tags.count_pending() == 4 - limit
