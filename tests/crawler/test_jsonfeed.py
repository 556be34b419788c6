"""parse_feed on JSON Feed documents (crawler.jsonfeed): versions 1.0 and 1.1, broken JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.feeds import parse_feed
from crawler.types import ParsedFeed, ParseFailure

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "https://feeds.example.com/feed.json"


def _json_feed(**fields: Any) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", **fields}).encode()


def test_json_feed() -> None:
    body = _json_feed(
        title="AI News",
        home_page_url="https://news.example/",
        language="en-US",
        authors=[{"name": "Desk"}],
        items=[
            {
                "id": "1",
                "url": "/2026/11/muse-spark",
                "title": "Meta unveils <Muse> Spark",
                "content_html": "<p>Meta's stock rose.</p>",
                "summary": "Meta\u0000 unveils a model.",
                "date_published": "2026-11-19T10:00:00-05:00",
                "date_modified": "9999-01-01T00:00:00Z",
                "tags": ["AI", "Meta", "AI", 7],
                "image": "https://news.example/i.png",
            },
            {"id": 2, "content_text": "No link here."},
            {
                "id": "https://news.example/3",
                "content_text": "Para one.\n\nPara <two>.",
                "language": "fr",
            },
            "not an object",
        ],
    )
    result = parse_feed(
        body, "https://news.example/feed.json", now=NOW, content_type="application/feed+json"
    )
    assert isinstance(result, ParsedFeed)
    assert (result.format, result.title, result.link) == (
        "json1",
        "AI News",
        "https://news.example/",
    )
    first, third = result.entries
    assert first.url == "https://news.example/2026/11/muse-spark"
    assert first.title == "Meta unveils <Muse> Spark"
    assert first.summary == "Meta unveils a model."
    assert first.content_html == "<p>Meta's stock rose.</p>"
    assert first.published == datetime(2026, 11, 19, 15, 0, tzinfo=UTC)
    assert first.updated is None
    assert first.tags == ("AI", "Meta")
    assert (first.authors, first.language, first.image) == (
        ("Desk",),
        "en-us",
        "https://news.example/i.png",
    )
    assert third.url == "https://news.example/3"
    assert third.content_html == "<p>Para one.</p>\n<p>Para &lt;two&gt;.</p>"
    assert third.language == "fr"
    assert "entry 2 has no http(s) link; skipped" in result.warnings
    assert "entry 4 is not a JSON object; skipped" in result.warnings
    assert any("implausible date '9999-01-01T00:00:00Z'" in w for w in result.warnings)


def test_json_feed_1_0_author() -> None:
    body = _json_feed(
        version="https://jsonfeed.org/version/1",
        items=[{"id": "a", "url": "https://x.example/a", "author": {"name": "Ann"}}],
    )
    result = parse_feed(body, BASE, now=NOW)
    assert isinstance(result, ParsedFeed)
    assert result.entries[0].authors == ("Ann",)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"items": [', "the document is not valid JSON (line 1: Expecting value)"),
        (
            b'{"title": "x", "items": []}',
            "the document is JSON but not a JSON Feed (no jsonfeed.org version)",
        ),
        (_json_feed(items="nope"), "the JSON Feed has no 'items' list"),
        (b"{" + b'"a":[' * 100_000, "the document is not valid JSON"),
    ],
)
def test_broken_json_feeds(body: bytes, reason: str) -> None:
    result = parse_feed(body, BASE, now=NOW, content_type="application/json")
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith(reason)
