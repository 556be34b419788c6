"""Hostile bodies through a real crawl: compression bombs, bodies over the size limit with and
without Content-Length, feeds that are HTML, pages that are binary, broken encodings and absurd
dates. Each is refused (or repaired) with a recorded reason, and the good source of the same
crawl is stored."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime, timedelta

import brotli
import pytest

from crawler.types import PollOutcome
from tests.crawler.pages import article_html, rss_feed
from tests.reliability.hostile_support import (
    HTML,
    RSS,
    HostileCrawl,
    RawReply,
    RawServer,
    assert_good_source_stored,
    result_of,
    serve_good_source,
)
from tests.support.http import Reply, RouteServer

LIMIT = 1_000_000
BOMB_PAYLOAD = b"\0" * (20 * LIMIT)
BOMBS = {
    "gzip": gzip.compress(BOMB_PAYLOAD, compresslevel=6),
    "deflate": zlib.compress(BOMB_PAYLOAD, 6),
    "br": brotli.compress(BOMB_PAYLOAD, quality=4),
}


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_compression_bombs_are_cut_at_the_decompressed_size_limit(
    encoding: str, hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    bomb = BOMBS[encoding]
    assert len(bomb) < LIMIT // 10  # small on the wire: only the decompressed size gives it away
    headers = {**RSS, "Content-Encoding": encoding}
    hostile_server.route("/bomb.xml", Reply(200, bomb, headers))
    hostile_server.route("/feed.xml", Reply(200, rss_feed([("Bombed page",
                                                            hostile_server.url("/page"))]), RSS))
    hostile_server.route("/page", Reply(200, bomb, {**HTML, "Content-Encoding": encoding}))
    hostile_crawl.add_source("bomb", hostile_server.url("/bomb.xml"))
    hostile_crawl.add_source("wire", hostile_server.url("/feed.xml"))
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl(max_body_bytes=LIMIT)

    assert result_of(report, "bomb").outcome is PollOutcome.FAILED
    assert "size limit" in hostile_crawl.reasons("bomb")[-1]
    assert any("size limit" in reason for reason in hostile_crawl.reasons("wire"))
    assert "Bombed page" in hostile_crawl.titles()  # kept from the feed, the page refused
    assert_good_source_stored(report, hostile_crawl, good)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-content-length"])
def test_bodies_over_the_size_limit_are_refused(
    declared: bool, raw_server: RawServer, hostile_server: RouteServer,
    hostile_crawl: HostileCrawl,
) -> None:
    body = b"<rss><channel>" + b"<!-- padding -->" * (2 * LIMIT // 16) + b"</channel></rss>"
    headers = [("Content-Type", "application/rss+xml")]
    if declared:
        headers.append(("Content-Length", str(len(body))))
    raw_server.routes["/huge.xml"] = RawReply(b"HTTP/1.1 200 OK", tuple(headers), body)
    raw_server.routes["/robots.txt"] = RawReply(b"HTTP/1.1 404 Not Found", (), b"")
    hostile_crawl.add_source("huge", raw_server.url("/huge.xml"))
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl(max_body_bytes=LIMIT)

    assert result_of(report, "huge").outcome is PollOutcome.FAILED
    assert "size limit" in hostile_crawl.reasons("huge")[-1]
    assert_good_source_stored(report, hostile_crawl, good)


PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 40
ELF = b"\x7fELF\x02\x01\x01\0" + bytes(range(256)) * 40


def test_feeds_that_are_html_or_binary_and_pages_that_are_binary(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    html_page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body>"
    hostile_server.route("/html-feed.xml", Reply(200, html_page, RSS))
    hostile_server.route("/png-feed.xml", Reply(200, PNG, RSS))
    items = [("Binary page", hostile_server.url("/binary")),
             ("Zip page", hostile_server.url("/zip"))]
    hostile_server.route("/feed.xml", Reply(200, rss_feed(items), RSS))
    hostile_server.route("/binary", Reply(200, ELF, HTML))
    hostile_server.route("/zip", Reply(200, b"PK\x03\x04" + PNG, HTML))
    for name in ("html-feed", "png-feed"):
        hostile_crawl.add_source(name, hostile_server.url(f"/{name}.xml"))
    hostile_crawl.add_source("wire", hostile_server.url("/feed.xml"))
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    assert result_of(report, "html-feed").outcome is PollOutcome.FAILED
    assert "HTML" in hostile_crawl.reasons("html-feed")[-1]
    assert result_of(report, "png-feed").outcome is PollOutcome.FAILED
    assert hostile_crawl.reasons("png-feed")
    page_reasons = hostile_crawl.reasons("wire")
    assert len(page_reasons) == 2 and all("not HTML" in r for r in page_reasons), page_reasons
    stored = {a.title: a for a in hostile_crawl.storage.articles.latest(limit=100)}
    assert stored["Binary page"].origin == "feed" and "ELF" not in stored["Binary page"].text
    assert_good_source_stored(report, hostile_crawl, good)


def test_invalid_utf8_nul_bytes_and_lone_surrogates_store_on_both_databases(
    hostile_server: RouteServer, hostile_crawl_both: HostileCrawl
) -> None:
    crawl = hostile_crawl_both
    feed = rss_feed([("Feed MARK1", hostile_server.url("/gone")),
                     ("Page MARK2", hostile_server.url("/page"))])
    feed = feed.replace(b"MARK1", b"&#xD800; \xff\xfe &#0; \x00 lone")  # surrogate ref, bad UTF-8
    feed = feed.replace(b"MARK2", b"&#xDFFF;\xc3\x28")
    page = article_html("Hostile bytes").replace(
        b"Paragraph 1", b"Para\x00graph \xed\xa0\x80 &#xD83D; &#0; \xf8\x88\x80\x80\x80 1")
    hostile_server.route("/feed.xml", Reply(200, feed, RSS))
    hostile_server.route("/page", Reply(200, page, HTML))
    crawl.add_source("wire", hostile_server.url("/feed.xml"))
    good = serve_good_source(hostile_server, crawl)

    report = crawl()

    assert result_of(report, "wire").new_articles == 2
    articles = crawl.storage.articles.latest(limit=100)
    for article in articles:
        for value in (article.title or "", article.text, article.description or "",
                      *article.authors):
            assert "\x00" not in value
            value.encode("utf-8")  # raises on a lone surrogate
    titles = {a.title or "" for a in articles}
    assert "Hostile bytes" in titles
    assert any(title.startswith("Feed") and title.endswith("lone") for title in titles)
    assert_good_source_stored(report, crawl, good)


ABSURD_DATES = {
    "year-0": ("Sat, 01 Jan 0000 00:00:00 GMT", "0000-01-01T00:00:00Z"),
    "year-9999": ("Fri, 31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z"),
    "negative-epoch": ("-62135596800", "-0001-12-31T00:00:00Z"),
    "zone+99": ("Thu, 19 Nov 2026 08:00:00 +9900", "2026-11-19T08:00:00+99:00"),
}


def test_absurd_dates_never_become_publication_dates_and_the_articles_are_kept(
    hostile_server: RouteServer, hostile_crawl_both: HostileCrawl
) -> None:
    crawl = hostile_crawl_both
    items = []
    for name, (feed_date, page_date) in ABSURD_DATES.items():
        url = hostile_server.url(f"/{name}")
        items.append(f"<item><title>Feed {name}</title><link>{url}</link>"
                     f"<pubDate>{feed_date}</pubDate></item>")
        hostile_server.route(f"/{name}", Reply(200, article_html(f"Page {name}",
                                                                 published=page_date), HTML))
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + "".join(items) + "</channel></rss>").encode()
    hostile_server.route("/feed.xml", Reply(200, feed, RSS))
    crawl.add_source("wire", hostile_server.url("/feed.xml"))

    report = crawl()

    assert result_of(report, "wire").new_articles == len(ABSURD_DATES)
    now = datetime.now(UTC)
    for article in crawl.storage.articles.latest(limit=100):
        assert article.origin == "page" and article.title, article  # the page's text was kept
        published = article.published_at
        if published is not None:
            aware = published if published.tzinfo else published.replace(tzinfo=UTC)
            assert datetime(1990, 1, 1, tzinfo=UTC) < aware < now + timedelta(days=2), (
                article.title, published)
