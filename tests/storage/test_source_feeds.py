"""One feed, one source: the source store refuses a second name for a URL it already polls
(compared after canonicalisation), on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime

from config import SourceSpec
from pipeline.storage import Storage

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def feed(name: str, url: str) -> SourceSpec:
    return SourceSpec(name=name, url=url)


def page(name: str, url: str, selector: str) -> SourceSpec:
    return SourceSpec(name=name, kind="page", url=url, link_selector=selector)


def test_a_second_name_for_a_stored_feed_is_refused_by_add_and_apply(storage: Storage) -> None:
    assert storage.sources.add(feed("a", "https://example.com/feed"), NOW) is not None
    same = feed("b", "https://Example.com:443/feed?utm_source=news#latest")
    found = storage.sources.same_feed_as(same)
    assert found is not None and found.name == "a"
    assert storage.sources.add(same, NOW) is None
    assert storage.sources.apply(same, NOW) == "duplicate"
    assert storage.sources.add(feed("c", "https://example.com/feed?page=2"), NOW) is not None
    assert storage.sources.apply(feed("c", "https://example.com/feed"), NOW) == "duplicate"
    assert storage.sources.apply(feed("a", "https://example.com/feed?x=1"), NOW) == "updated"
    assert storage.sources.same_feed_as(feed("a", "https://example.com/feed?x=1")) is None
    assert [(s.name, s.url) for s in storage.sources.all()] == [
        ("a", "https://example.com/feed?x=1"), ("c", "https://example.com/feed?page=2")]


def test_a_page_may_be_read_twice_only_with_different_selectors(storage: Storage) -> None:
    url = "https://lab.example/news"
    assert storage.sources.add(page("posts", url, "a.post"), NOW) is not None
    assert storage.sources.add(page("papers", url, "a.paper"), NOW) is not None
    assert storage.sources.add(page("again", url, " a.post "), NOW) is None
    assert storage.sources.add(feed("as-feed", url), NOW) is None


def test_seeding_keeps_the_first_name_of_a_feed_listed_twice(storage: Storage) -> None:
    specs = [feed("first", "https://a.example/feed"), feed("second", "https://A.example/feed"),
             feed("other", "https://b.example/feed")]
    assert storage.sources.seed_defaults(specs, NOW) == 2
    assert [s.name for s in storage.sources.all()] == ["first", "other"]
