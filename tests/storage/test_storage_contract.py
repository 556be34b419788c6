"""The storage contract: every test here runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from config import SourceSpec
from pipeline.storage import Storage
from pipeline.storage.models import Base
from pipeline.storage.records import PollRecord
from pipeline.types import ArticleOrigin, ExtractedArticle, IngestStatus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BODY = " ".join(f"Sentence number {i} about Nvidia and OpenAI chips." for i in range(20))


def make_article(url: str, text: str = BODY, **extra: object) -> ExtractedArticle:
    fields: dict[str, object] = {"title": "Nvidia ships new chips", **extra}
    return ExtractedArticle(url=url, text=text, **fields)  # type: ignore[arg-type]


def spec(name: str = "wire", url: str = "https://example.com/feed.xml") -> SourceSpec:
    return SourceSpec(name=name, kind="feed", url=url, interval="15m", weight=1.5)  # type: ignore[arg-type]


def test_migrations_reach_head_and_match_the_models(storage: Storage) -> None:
    storage.upgrade()  # a second upgrade is a no-op
    assert storage.current_revision() == storage.head_revision() == "0007"
    with storage.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_default_sources_are_seeded_once_and_removals_stick(storage: Storage) -> None:
    specs = [spec("a", "https://a.example/feed"), spec("b", "https://b.example/feed")]
    assert storage.sources.seed_defaults(specs, NOW) == 2
    assert storage.sources.remove("a") is True
    assert storage.sources.seed_defaults(specs, NOW) == 0
    assert [s.name for s in storage.sources.all()] == ["b"]


def test_adding_a_source_twice_is_refused_as_a_value(storage: Storage) -> None:
    first = storage.sources.add(spec(), NOW)
    assert first is not None and first.interval_seconds == 900 and first.weight == 1.5
    assert storage.sources.add(spec(), NOW) is None
    assert len(storage.sources.all()) == 1


def test_tracking_parameters_and_same_text_collapse_to_one_article(storage: Storage) -> None:
    storage.sources.add(spec(), NOW)
    store = storage.articles.store
    first = store("wire", make_article("https://news.example/a"), origin=ArticleOrigin.PAGE,
                  fetched_at=NOW)
    tracked = store("wire", make_article("https://NEWS.example/a?utm_source=x&utm_medium=rss#top"),
                    origin=ArticleOrigin.PAGE, fetched_at=NOW)
    copied = store("wire", make_article("https://mirror.example/copy"), origin=ArticleOrigin.FEED,
                   fetched_at=NOW)
    assert first.status is IngestStatus.NEW
    assert tracked.status is IngestStatus.DUPLICATE_URL and tracked.article_id == first.article_id
    assert copied.status is IngestStatus.DUPLICATE_CONTENT
    assert storage.articles.count() == 1


def test_hostile_text_is_stored_cleanly_with_utc_datetimes(storage: Storage) -> None:
    published = datetime(2026, 11, 19, 8, 30, tzinfo=UTC)
    article = make_article(
        "https://news.example/nul",
        text=BODY + " NUL\x00byte, lone \udc80 surrogate, \ufffe and \x1b escape.",
        title="Title\x00 with NUL",
        published=published,
        authors=("Ada\x00 Lovelace",),
    )
    outcome = storage.articles.store("wire", article, origin=ArticleOrigin.PAGE, fetched_at=NOW)
    stored = storage.articles.get(outcome.article_id or -1)
    assert stored is not None
    assert "\x00" not in stored.text and "\x00" not in (stored.title or "")
    assert "\udc80" not in stored.text and "\x1b" not in stored.text
    assert stored.title == "Title with NUL"
    assert stored.authors == ("Ada Lovelace",)
    assert stored.published_at == published and stored.published_at.tzinfo is not None
    assert stored.fetched_at == NOW
    assert stored.source_name == "wire"


def test_known_urls_match_canonical_and_original_links(storage: Storage) -> None:
    storage.articles.store(
        "wire", make_article("https://news.example/final"), origin=ArticleOrigin.PAGE,
        fetched_at=NOW, link_url="https://feeds.example/redirect?id=7",
    )
    asked = ["https://news.example/final?utm_campaign=z", "https://feeds.example/redirect?id=7",
             "https://news.example/other", "not a url"]
    assert storage.articles.known_urls(asked) == {asked[0], asked[1]}


def test_concurrent_writers_store_an_article_exactly_once(storage: Storage) -> None:
    storage.sources.add(spec(), NOW)

    def store(index: int) -> IngestStatus:
        url = f"https://news.example/race?utm_source={index}"
        return storage.articles.store(
            "wire", make_article(url), origin=ArticleOrigin.PAGE, fetched_at=NOW
        ).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(store, range(16)))
    assert statuses.count(IngestStatus.NEW) == 1
    assert storage.articles.count() == 1


def test_poll_records_keep_validators_and_count_failures(storage: Storage) -> None:
    storage.sources.add(spec(), NOW)
    storage.sources.record_poll("wire", PollRecord(at=NOW, succeeded=True, status_code=200,
                                                   etag='"v1"', last_modified="Thu, 19 Nov 2026"))
    later = NOW + timedelta(minutes=5)
    for attempt in range(3):
        storage.sources.record_poll("wire", PollRecord(
            at=later, succeeded=False, status_code=500, error=f"HTTP 500 #{attempt}",
            next_poll_at=later + timedelta(minutes=10), next_poll_reason="backing off"))
    state = storage.sources.fetch_state("wire")
    assert state.etag == '"v1"' and state.last_modified == "Thu, 19 Nov 2026"
    assert state.consecutive_failures == 3
    assert state.next_poll_at == later + timedelta(minutes=10)
    storage.sources.record_poll("wire", PollRecord(at=later, succeeded=True, status_code=304))
    health = storage.sources.health(later)[0]
    assert health.state.consecutive_failures == 0
    assert health.last_error == "HTTP 500 #2" and health.last_status_code == 304
    assert health.last_success_at == later


def test_health_counts_articles_per_source(storage: Storage) -> None:
    storage.sources.add(spec(), NOW)
    for index in range(3):
        text = BODY + f" Unique tail {index}."
        when = NOW - timedelta(days=index * 3)
        storage.articles.store("wire", make_article(f"https://news.example/{index}", text=text),
                               origin=ArticleOrigin.PAGE, fetched_at=when)
    health = storage.sources.health(NOW)[0]
    assert health.articles_total == 3
    assert health.articles_last_24h == 1
    assert health.articles_per_day == round(3 / 7, 2)


def test_rejections_are_recorded_with_readable_reasons(storage: Storage) -> None:
    storage.sources.record_rejection("wire", "parse", "the document is an HTML page\x00", None, NOW)
    storage.sources.record_rejection("other", "fetch", "HTTP 404", "https://x.example/a", NOW)
    wire = storage.sources.rejections("wire")
    assert [(r.stage, r.reason) for r in wire] == [("parse", "the document is an HTML page")]
    assert len(storage.sources.rejections()) == 2


def test_listing_filters_by_source_and_time(storage: Storage) -> None:
    for index, source in enumerate(["wire", "ledger", "wire"]):
        storage.articles.store(
            source, make_article(f"https://n.example/{index}", text=BODY + str(index) * 3),
            origin=ArticleOrigin.PAGE, fetched_at=NOW - timedelta(hours=index * 30),
        )
    assert {a.source_name for a in storage.articles.latest(source="wire")} == {"wire"}
    recent = storage.articles.latest(since=NOW - timedelta(hours=1))
    assert [a.url for a in recent] == ["https://n.example/0"]
