"""The tag store's contract, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command

from pipeline.nlp.types import DecidedBy, Direction, EntityMention, EntityType, StockReaction
from pipeline.storage import Storage
from pipeline.storage.storage import alembic_config
from pipeline.storage.tags import ArticleTags
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXT = " ".join(f"Meta's Muse Spark sentence {i} rivals OpenAI." for i in range(10))


def store_article(storage: Storage, index: int, fetched_at: datetime = NOW) -> int:
    article = ExtractedArticle(url=f"https://n.example/{index}", title=f"Muse Spark {index}",
                               text=TEXT + f" tail {index}")
    outcome = storage.articles.store("wire", article, origin=ArticleOrigin.PAGE,
                                     fetched_at=fetched_at)
    assert outcome.article_id is not None
    return outcome.article_id


MUSE = EntityMention(
    type=EntityType.MODEL, text="Muse Spark", start=6, end=16, canonical="Muse Spark",
    canonical_id="meta/muse-spark", developer="Meta", developer_id="meta",
    sentence="Meta's Muse Spark sentence 0 rivals OpenAI.", decided_by=DecidedBy.CATALOG,
    confidence=0.97,
)
META = EntityMention(type=EntityType.COMPANY, text="Meta", start=0, end=4, canonical="Meta",
                     canonical_id="meta", ticker="META")
REACTION = StockReaction(company="Meta", direction=Direction.UP, text="Meta's stock rising",
                         start=0, end=19, company_id="meta", ticker="META", magnitude_pct=3.5,
                         event="the announcement", sentence="Meta's stock rising.")


def test_tags_round_trip_and_are_replaced_on_retagging(storage: Storage) -> None:
    article_id = store_article(storage, 1)
    tags = ArticleTags(title_entities=(MUSE,), text_entities=(META, MUSE),
                       text_reactions=(REACTION,))
    storage.tags.save(article_id, tags, at=NOW, version="v1")
    loaded = storage.tags.of(article_id)
    assert loaded.title_entities[0].canonical_id == "meta/muse-spark"
    assert loaded.title_entities[0].developer_id == "meta"
    assert [m.type for m in loaded.text_entities] == [EntityType.COMPANY, EntityType.MODEL]
    assert loaded.text_reactions == (REACTION,)
    assert loaded.text_entities[1].confidence == 0.97
    storage.tags.save(article_id, ArticleTags(text_entities=(META,)), at=NOW, version="v2")
    again = storage.tags.of(article_id)
    assert again.entities == (
        EntityMention(type=EntityType.COMPANY, text="Meta", start=0, end=4, canonical="Meta",
                      canonical_id="meta", ticker="META"),
    )
    assert again.stock_reactions == ()


def test_pending_articles_and_retagging(storage: Storage) -> None:
    first, second = store_article(storage, 1), store_article(storage, 2, NOW - timedelta(days=3))
    assert [item.article_id for item in storage.tags.pending(10)] == [first, second]
    assert storage.tags.pending(10)[0].title == "Muse Spark 1"
    storage.tags.save(first, ArticleTags(), at=NOW, version="v1")
    storage.tags.save(second, ArticleTags(), at=NOW, version="v1")
    assert storage.tags.pending(10) == [] and storage.tags.count_pending() == 0
    assert [i.article_id for i in storage.tags.pending(10, version="v2")] == [first, second]
    assert storage.tags.mark_for_retagging(since=NOW - timedelta(days=1)) == 1
    assert [item.article_id for item in storage.tags.pending(10)] == [first]


def test_tags_go_with_their_article(storage: Storage) -> None:
    article_id = store_article(storage, 1)
    storage.tags.save(article_id, ArticleTags(text_entities=(META,), text_reactions=(REACTION,)),
                      at=NOW, version="v1")
    with storage.engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM articles WHERE id = {article_id}")
    assert storage.tags.of(article_id) == ArticleTags()


def test_migrations_downgrade_and_upgrade_again(storage: Storage) -> None:
    store_article(storage, 1)
    with storage.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert storage.current_revision() == "0001"
    storage.upgrade()
    assert storage.current_revision() == "0007"
    assert storage.articles.count() == 1
    assert storage.tags.count_pending() == 1
