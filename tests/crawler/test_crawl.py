"""End-to-end crawls with real Scrapy against a real local HTTP server and real databases."""

from __future__ import annotations

import gzip
import time
from datetime import timedelta

from crawler.types import PollOutcome
from pipeline.dates import utc_now
from pipeline.storage import Storage
from tests.crawler.conftest import Crawl
from tests.crawler.pages import article_html, news_sitemap, rss_feed
from tests.support.http import Reply, RouteServer, Seen

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def serve_feed_with_validators(server: RouteServer, path: str, body: bytes) -> None:
    """A feed that answers conditional requests the way a good server does."""
    etag, modified = '"feed-v1"', "Thu, 19 Nov 2026 08:00:00 GMT"

    def handler(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {**RSS, "ETag": etag, "Last-Modified": modified})

    server.route(path, handler)


def test_feed_entries_are_followed_to_full_articles(server: RouteServer, crawl: Crawl,
                                                    storage: Storage) -> None:
    stories = [(f"Story {i}", server.url(f"/news/{i}")) for i in range(3)]
    server.route("/feed.xml", Reply(200, rss_feed(stories), RSS))
    for index in range(3):
        server.route(f"/news/{index}", Reply(200, article_html(f"Story {index}"), HTML))
    crawl.add_source("wire", server.url("/feed.xml"))

    report = crawl()

    assert report.results[0].outcome is PollOutcome.FETCHED
    assert report.new_articles == 3
    articles = storage.articles.latest()
    assert sorted(a.title or "" for a in articles) == ["Story 0", "Story 1", "Story 2"]
    assert all(a.origin == "page" and "Paragraph 5" in a.text for a in articles)
    user_agent = server.hits("/feed.xml")[0].headers["user-agent"]
    assert "newsmon" in user_agent and "https://example.org/newsmon-tests" in user_agent


def test_second_crawl_of_unchanged_feed_sends_validators_and_stores_nothing(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    serve_feed_with_validators(server, "/feed.xml", rss_feed([("One", server.url("/a/1"))]))
    server.route("/a/1", Reply(200, article_html("One"), HTML))
    crawl.add_source("wire", server.url("/feed.xml"))

    first = crawl()
    second = crawl(force=True)

    assert first.new_articles == 1
    conditional = server.hits("/feed.xml")[1].headers
    assert conditional["if-none-match"] == '"feed-v1"'
    assert conditional["if-modified-since"] == "Thu, 19 Nov 2026 08:00:00 GMT"
    assert second.results[0].outcome is PollOutcome.UNCHANGED
    assert second.new_articles == 0
    assert len(server.hits("/a/1")) == 1
    assert storage.articles.count() == 1


def test_known_entries_are_not_fetched_again(server: RouteServer, crawl: Crawl) -> None:
    server.route("/feed.xml", Reply(200, rss_feed([("One", server.url("/a/1"))]), RSS))
    server.route("/a/1", Reply(200, article_html("One"), HTML))
    crawl.add_source("wire", server.url("/feed.xml"))
    crawl()
    report = crawl(force=True)
    assert report.results[0].outcome is PollOutcome.FETCHED
    assert report.results[0].duplicates == 1
    assert len(server.hits("/a/1")) == 1


def test_robots_txt_disallow_is_obeyed_and_the_feed_text_kept(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n",
                                      {"Content-Type": "text/plain"}))
    server.route("/feed.xml", Reply(200, rss_feed([("Secret", server.url("/private/1"))]), RSS))
    server.route("/private/1", Reply(200, article_html("Secret"), HTML))
    crawl.add_source("wire", server.url("/feed.xml"))

    report = crawl()

    assert server.hits("/private/1") == []
    assert report.new_articles == 1
    [article] = storage.articles.latest()
    assert article.origin == "feed" and "Summary of the story" in article.text
    reasons = [r.reason for r in storage.sources.rejections("wire")]
    assert any("robots.txt" in reason for reason in reasons)


def test_server_error_is_retried_then_recorded_and_backed_off(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    server.route("/feed.xml", Reply(500, b"oops"))
    crawl.add_source("wire", server.url("/feed.xml"))

    report = crawl()

    assert len(server.hits("/feed.xml")) == 3  # the first try and two retries
    result = report.results[0]
    assert result.outcome is PollOutcome.FAILED and result.status_code == 500
    state = storage.sources.fetch_state("wire")
    assert state.consecutive_failures == 1
    assert state.next_poll_at is not None and state.next_poll_at > utc_now()
    assert "HTTP 500" in (storage.sources.health(utc_now())[0].last_error or "")
    again = crawl()
    assert again.results[0].outcome is PollOutcome.SKIPPED
    assert len(server.hits("/feed.xml")) == 3


def test_retry_after_is_honoured_instead_of_retrying(server: RouteServer, crawl: Crawl,
                                                     storage: Storage) -> None:
    server.route("/feed.xml", Reply(429, b"slow down", {"Retry-After": "7200"}))
    crawl.add_source("wire", server.url("/feed.xml"))
    before = utc_now()
    report = crawl()
    assert len(server.hits("/feed.xml")) == 1
    assert report.results[0].status_code == 429
    state = storage.sources.fetch_state("wire")
    assert state.next_poll_at is not None
    assert state.next_poll_at - before >= timedelta(seconds=7100)
    assert "retry after" in (state.next_poll_reason or "")


def test_cache_control_max_age_postpones_the_next_poll(server: RouteServer, crawl: Crawl,
                                                       storage: Storage) -> None:
    server.route("/feed.xml", Reply(200, rss_feed([]), {**RSS, "Cache-Control": "max-age=7200"}))
    crawl.add_source("wire", server.url("/feed.xml"), interval="15m")
    crawl()
    state = storage.sources.fetch_state("wire")
    assert state.next_poll_at is not None and state.next_poll_at - utc_now() > timedelta(hours=1)
    assert crawl().results[0].outcome is PollOutcome.SKIPPED


def test_oversized_and_gzip_bomb_responses_are_refused(server: RouteServer, crawl: Crawl,
                                                       storage: Storage) -> None:
    big = b"<rss>" + b" " * 300_000 + b"</rss>"
    bomb = gzip.compress(b"\0" * 20_000_000)
    server.route("/big.xml", Reply(200, big, RSS))
    server.route("/bomb.xml", Reply(200, bomb, {**RSS, "Content-Encoding": "gzip"}))
    server.route("/ok.xml", Reply(200, rss_feed([]), RSS))
    for name in ("big", "bomb", "ok"):
        crawl.add_source(name, server.url(f"/{name}.xml"))

    report = crawl(max_body_bytes=200_000)

    outcomes = {r.source: r for r in report.results}
    assert outcomes["ok"].outcome is PollOutcome.FETCHED
    for name in ("big", "bomb"):
        assert outcomes[name].outcome is PollOutcome.FAILED
        assert "size limit" in outcomes[name].errors[0]
    assert len(bomb) < 200_000  # the bomb is small on the wire: only decompression catches it


def test_tracking_parameter_duplicates_collapse_to_one_article(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    server.route("/a.xml", Reply(200, rss_feed([("Deal", server.url("/s/deal?utm_source=a"))]),
                                 RSS))
    tracked = server.url("/s/deal?utm_source=b&utm_medium=rss")
    server.route("/b.xml", Reply(200, rss_feed([("Deal", tracked)]), RSS))
    server.route("/s/deal", Reply(200, article_html("Deal"), HTML))
    crawl.add_source("a", server.url("/a.xml"))
    crawl.add_source("b", server.url("/b.xml"))

    report = crawl()

    assert storage.articles.count() == 1
    assert report.new_articles == 1
    assert storage.articles.latest()[0].canonical_url == server.url("/s/deal")


def test_broken_sources_are_recorded_and_the_rest_completes(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    server.route("/html.xml", Reply(200, b"<!DOCTYPE html><html><body><p>Hi</p></body></html>",
                                    HTML))
    server.route("/gone.xml", Reply(410, b"gone"))
    server.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    server.route("/file", Reply(302, b"", {"Location": "file:///etc/passwd"}))

    def slow(_seen: Seen) -> Reply:
        time.sleep(4)
        return Reply(200, rss_feed([]), RSS)

    server.route("/slow.xml", slow)
    server.route("/good.xml", Reply(200, rss_feed([("Good", server.url("/g"))]), RSS))
    server.route("/g", Reply(200, article_html("Good"), HTML))
    for name, path in [("html", "/html.xml"), ("gone", "/gone.xml"), ("loop", "/loop"),
                       ("file", "/file"), ("slow", "/slow.xml"), ("good", "/good.xml")]:
        crawl.add_source(name, server.url(path))
    stored_before = storage.articles.count()

    report = crawl(retry_times=0, request_timeout_seconds=1.5)

    outcomes = {r.source: r for r in report.results}
    assert outcomes["good"].outcome is PollOutcome.FETCHED and outcomes["good"].new_articles == 1
    assert storage.articles.count() == stored_before + 1
    for name in ("html", "gone", "loop", "file", "slow"):
        assert outcomes[name].outcome is PollOutcome.FAILED, name
        assert outcomes[name].errors and outcomes[name].errors[0], name
    assert "HTML" in outcomes["html"].errors[0]
    assert "410" in outcomes["gone"].errors[0]
    assert "redirect" in outcomes["loop"].errors[0]
    assert "timed out" in outcomes["slow"].errors[0]
    health = {h.source.name: h for h in storage.sources.health(utc_now())}
    assert all(health[name].state.consecutive_failures == 1 for name in outcomes if name != "good")


def test_missing_article_page_keeps_the_feed_content(server: RouteServer, crawl: Crawl,
                                                     storage: Storage) -> None:
    server.route("/feed.xml", Reply(200, rss_feed([("Lost", server.url("/missing"))]), RSS))
    crawl.add_source("wire", server.url("/feed.xml"))
    report = crawl()
    assert report.new_articles == 1
    [article] = storage.articles.latest()
    assert article.origin == "feed" and article.title == "Lost"
    assert any("404" in r.reason for r in storage.sources.rejections("wire"))


def test_sitemap_and_section_page_sources(server: RouteServer, crawl: Crawl,
                                          storage: Storage) -> None:
    now = utc_now()
    fresh, old = now.strftime("%Y-%m-%dT%H:%M:%SZ"), "2020-01-01T00:00:00Z"
    server.route("/news-sitemap.xml", Reply(200, news_sitemap([
        (server.url("/s/fresh"), "Fresh", fresh), (server.url("/s/old"), "Old", old)]),
        {"Content-Type": "application/xml"}))
    server.route("/s/fresh", Reply(200, article_html("Fresh story", marker="sitemap"), HTML))
    server.route("/s/old", Reply(200, article_html("Old story"), HTML))
    section = b'<html><body><ul class="posts"><li><a href="/p/1">One</a></li>' \
              b'<li><a href="/p/2">Two</a></li></ul><a href="/about">About</a></body></html>'
    server.route("/labs/", Reply(200, section, HTML))
    for index in (1, 2):
        server.route(f"/p/{index}", Reply(200, article_html(f"Lab post {index}"), HTML))
    crawl.add_source("signal", server.url("/news-sitemap.xml"), kind="sitemap")
    crawl.add_source("labs", server.url("/labs/"), kind="page", link_selector="ul.posts a")

    report = crawl()

    assert {r.source: r.new_articles for r in report.results} == {"labs": 2, "signal": 1}
    assert server.hits("/s/old") == [] and server.hits("/about") == []
    titles = {a.title for a in storage.articles.latest()}
    assert titles == {"Fresh story", "Lab post 1", "Lab post 2"}


def test_nul_bytes_and_invalid_utf8_from_the_web_store_on_both_databases(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    feed = rss_feed([("Chips \x00and models", server.url("/broken")),
                     ("Feed only", server.url("/gone"))])
    feed = feed.replace(b"Feed only", b"Feed \xff\xfe only\x00")
    hostile = b"Para\x00graph \xc3\x28 \xed\xa0\x80"  # NUL, invalid UTF-8, an encoded surrogate
    page = article_html("Broken bytes").replace(b"Paragraph 2", hostile)
    server.route("/feed.xml", Reply(200, feed, RSS))
    server.route("/broken", Reply(200, page, HTML))
    crawl.add_source("wire", server.url("/feed.xml"))

    report = crawl()

    assert report.new_articles == 2
    for article in storage.articles.latest():
        for value in (article.title or "", article.text, *article.authors):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogates survive
    titles = {a.title for a in storage.articles.latest()}
    assert "Broken bytes" in titles
    assert any(title and title.startswith("Feed") and "only" in title for title in titles)


def test_a_robots_txt_server_error_disallows_until_it_answers(
    server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    server.route("/robots.txt", Reply(503, b"down"))
    server.route("/feed.xml", Reply(200, rss_feed([]), RSS))
    crawl.add_source("wire", server.url("/feed.xml"))

    first = crawl(retry_times=0)

    assert server.hits("/feed.xml") == []
    assert first.results[0].outcome is PollOutcome.FAILED
    assert "robots.txt" in first.results[0].errors[0]
    allow = Reply(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
    server.route("/robots.txt", allow)
    second = crawl(retry_times=0, force=True)
    assert second.results[0].outcome is PollOutcome.FETCHED
    assert len(server.hits("/feed.xml")) == 1
