"""parse_sitemap: news sitemaps and the recency window, indexes, gzip and gzip bombs, bad input."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.sitemaps import parse_sitemap
from crawler.types import ParsedSitemap, ParseFailure, SitemapLink

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TWO_DAYS = timedelta(days=2)
URL = "https://news.example/sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def urlset(*urls: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:news="{NEWS_NS}">\n{"".join(urls)}\n</urlset>\n'
    ).encode()


def news_url(loc: str, published: str, title: str = "A title", language: str = "en") -> str:
    return (
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>News</news:name>"
        f"<news:language>{language}</news:language></news:publication>"
        f"<news:publication_date>{published}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
    )


def plain_url(loc: str, lastmod: str | None = None) -> str:
    modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{loc}</loc>{modified}</url>"


def parse(body: bytes, **options: object) -> ParsedSitemap:
    result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS, **options)  # type: ignore[arg-type]
    assert isinstance(result, ParsedSitemap), result
    return result


def test_news_sitemap_keeps_recent_and_undated_links() -> None:
    body = urlset(
        news_url(
            "https://news.example/ai/muse-spark",
            "2026-11-20T09:30:00+01:00",
            "Meta unveils Muse Spark",
        ),
        news_url("https://news.example/old", "2026-11-10T09:30:00Z", "Old news"),
        plain_url("https://news.example/undated"),
        plain_url("https://news.example/stale", "2026-10-01"),
        plain_url("https://news.example/fresh", "2026-11-19"),
    )
    sitemap = parse(body)
    assert sitemap.links == (
        SitemapLink(
            url="https://news.example/ai/muse-spark",
            published=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
            title="Meta unveils Muse Spark",
            language="en",
        ),
        SitemapLink(url="https://news.example/undated"),
        SitemapLink(
            url="https://news.example/fresh", last_modified=datetime(2026, 11, 19, tzinfo=UTC)
        ),
    )
    assert sitemap.skipped_as_old == 2
    assert sitemap.child_sitemaps == ()


def test_publication_date_wins_over_lastmod() -> None:
    body = urlset(
        "<url><loc>https://news.example/a</loc><lastmod>2026-11-20</lastmod><news:news>"
        "<news:publication_date>2026-01-01T00:00:00Z</news:publication_date></news:news></url>"
    )
    sitemap = parse(body)
    assert sitemap.links == ()
    assert sitemap.skipped_as_old == 1


def test_absurd_dates_count_as_no_date_and_reduced_precision_dates_parse() -> None:
    body = urlset(
        plain_url("https://news.example/future", "9999-12-31"),
        plain_url("https://news.example/ancient", "0001-01-01T00:00:00Z"),
        plain_url("https://news.example/month", "2026-11"),
        plain_url("https://news.example/junk", "yesterday-ish"),
    )
    sitemap = parse(body)
    assert [link.url for link in sitemap.links] == [
        "https://news.example/future",
        "https://news.example/ancient",
        "https://news.example/junk",
    ]
    assert all(link.last_modified is None for link in sitemap.links)
    assert sitemap.skipped_as_old == 1  # 2026-11 means 2026-11-01, older than two days


def test_only_http_links_resolved_and_deduplicated() -> None:
    body = urlset(
        plain_url("https://news.example/a"),
        plain_url("/relative/b"),
        plain_url("ftp://news.example/c"),
        plain_url("javascript:alert(1)"),
        plain_url("  https://news.example/a  "),
        "<url><lastmod>2026-11-20</lastmod></url>",
    )
    assert [link.url for link in parse(body).links] == [
        "https://news.example/a",
        "https://news.example/relative/b",
    ]


def test_sitemap_without_namespace_and_with_leading_blank_lines() -> None:
    body = b'\n\n<?xml version="1.0"?><urlset><url><loc>https://news.example/x</loc></url></urlset>'
    assert parse(body).links == (SitemapLink(url="https://news.example/x"),)


def test_sitemap_index_lists_recent_children() -> None:
    body = (
        f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAP_NS}">'
        "<sitemap><loc>https://news.example/sitemap-news.xml</loc><lastmod>2026-11-20T10:00:00Z</lastmod></sitemap>"
        "<sitemap><loc>https://news.example/sitemap-2019-01.xml.gz</loc><lastmod>2019-02-01</lastmod></sitemap>"
        "<sitemap><loc>/sitemap-pages.xml</loc></sitemap>"
        "<sitemap><loc>https://news.example/sitemap-news.xml</loc></sitemap>"
        "</sitemapindex>"
    ).encode()
    sitemap = parse(body)
    assert sitemap.links == ()
    assert sitemap.child_sitemaps == (
        "https://news.example/sitemap-news.xml",
        "https://news.example/sitemap-pages.xml",
    )
    assert sitemap.skipped_as_old == 1


def test_gzipped_sitemap_is_decompressed() -> None:
    body = urlset(plain_url("https://news.example/gz", "2026-11-20"))
    assert parse(gzip.compress(body)) == parse(body)
    two_members = gzip.compress(body[:40]) + gzip.compress(body[40:])
    assert parse(two_members) == parse(body)


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 20_000_000 + b"</urlset>", compresslevel=9)
    assert len(bomb) < 50_000
    started = time.perf_counter()
    result = parse_sitemap(bomb, URL, now=NOW, recency=TWO_DAYS, max_bytes=1_000_000)
    assert time.perf_counter() - started < 1.0
    assert result == ParseFailure(
        "the gzip-compressed sitemap is unusable: "
        "larger than the limit of 1,000,000 bytes once decompressed"
    )


def test_uncompressed_body_over_the_limit_is_refused() -> None:
    body = urlset(*(plain_url(f"https://news.example/{n}") for n in range(100)))
    result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS, max_bytes=1000)
    assert result == ParseFailure("the sitemap is larger than the limit of 1,000 bytes")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (gzip.compress(urlset(plain_url("https://x.example/")))[:-12], "truncated gzip data"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 40, "corrupt gzip data"),
    ],
)
def test_broken_gzip(body: bytes, reason: str) -> None:
    result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS)
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith(f"the gzip-compressed sitemap is unusable: {reason}")


def test_malformed_sitemap_names_the_line() -> None:
    body = b'<?xml version="1.0"?>\n<urlset>\n<url><loc>https://news.example/a</loc>\n</urlset>\n'
    result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS)
    assert isinstance(result, ParseFailure)
    assert result.reason == (
        "not well-formed XML at line 4: Opening and ending tag mismatch: url line 3 and urlset"
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the document is empty"),
        (
            b"<!DOCTYPE html><html><body>Not found</body></html>",
            "the document is an HTML page, not a sitemap",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "the document is a PNG image, not a sitemap"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
            "the document is XML but not a sitemap (root element <rss>); it looks like a feed, "
            "so add the source as a feed",
        ),
    ],
)
def test_documents_that_are_not_sitemaps(body: bytes, reason: str) -> None:
    assert parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS) == ParseFailure(reason)


def test_entities_are_never_expanded() -> None:
    lol = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    quadratic = f'<!ENTITY a "{"A" * 50_000}">'
    for declarations, use in ((lol, "&lol9;"), (quadratic, "&a;" * 50_000)):
        body = (
            f'<?xml version="1.0"?><!DOCTYPE urlset [{declarations}]><urlset>'
            f"<url><loc>https://news.example/{use}</loc></url>"
            "<url><loc>https://news.example/plain</loc></url></urlset>"
        ).encode()
        started = time.perf_counter()
        result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS)
        assert time.perf_counter() - started < 1.0
        assert isinstance(result, ParseFailure)
        assert result.reason.startswith("the sitemap declares its own XML entities")


def test_external_entity_to_a_local_file_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-91c2")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        "<urlset><url><loc>https://news.example/&xxe;</loc></url>"
        "<url><loc>https://news.example/ok</loc></url></urlset>"
    ).encode()
    result = parse_sitemap(body, URL, now=NOW, recency=TWO_DAYS)
    assert isinstance(result, ParseFailure)
    assert "entity-expansion and external-entity attacks" in result.reason
    assert "TOP-SECRET" not in repr(result)


def test_utf_16_sitemap() -> None:
    body = urlset(plain_url("https://news.example/ü")).decode().replace("UTF-8", "UTF-16")
    sitemap = parse(body.encode("utf-16"))
    assert [link.url for link in sitemap.links] == ["https://news.example/ü"]
