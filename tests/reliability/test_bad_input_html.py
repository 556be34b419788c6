"""Pathological HTML through a real crawl, extraction and tagging: a page nested 200,000 levels
deep and a page with a million-row table are each kept with their title, their text bounded by
the extraction limits, and tagged (rules-only tagger built from the real catalog), next to a
normal page of the same feed."""

from __future__ import annotations

from config.catalog import load_catalog
from config.settings import NlpSettings
from pipeline.dates import utc_now
from pipeline.nlp.tagger import Tagger
from pipeline.page_input import MAX_HTML_CHARS
from pipeline.tagging import tag_pending
from tests.crawler.pages import PARAGRAPH, article_html, rss_feed
from tests.reliability.hostile_support import (
    HTML,
    RSS,
    HostileCrawl,
    result_of,
)
from tests.support.http import Reply, RouteServer


def deep_page(depth: int) -> bytes:
    head = ("<!DOCTYPE html><html><head><title>Nvidia deep nesting story</title>"
            '<meta property="og:title" content="Nvidia deep nesting story"></head><body>')
    text = f"<p>{PARAGRAPH}</p>" * 3
    return (head + "<div>" * depth + text + "</div>" * depth + "</body></html>").encode()


def table_page(rows: int) -> bytes:
    head = ("<!DOCTYPE html><html><head><title>Nvidia million row story</title>"
            '<meta property="og:title" content="Nvidia million row story"></head><body>'
            f"<article><h1>Nvidia million row story</h1><p>{PARAGRAPH}</p><table>")
    return (head + "<tr><td>1</td><td>Nvidia</td></tr>" * rows + "</table></article>"
            "</body></html>").encode()


def test_deep_nesting_and_a_million_row_table_are_kept_bounded_and_tagged(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    hostile_server.route("/deep", Reply(200, deep_page(200_000), HTML))
    table = table_page(1_000_000)
    assert len(table) > 30_000_000
    hostile_server.route("/table", Reply(200, table, HTML))
    hostile_server.route("/normal", Reply(200, article_html("Normal story"), HTML))
    items = [("Feed title deep", hostile_server.url("/deep")),
             ("Feed title table", hostile_server.url("/table")),
             ("Normal story", hostile_server.url("/normal"))]
    hostile_server.route("/feed.xml", Reply(200, rss_feed(items), RSS))
    hostile_crawl.add_source("wire", hostile_server.url("/feed.xml"))

    report = hostile_crawl(max_body_bytes=64_000_000)

    assert result_of(report, "wire").new_articles == 3
    stored = {a.title: a for a in hostile_crawl.storage.articles.latest(limit=10)}
    assert set(stored) == {"Nvidia deep nesting story", "Nvidia million row story",
                           "Normal story"}
    for article in stored.values():
        assert article.origin == "page"
        assert len(article.text) < MAX_HTML_CHARS
    assert stored["Nvidia million row story"].notes  # the cut is recorded on the article

    tagger = Tagger.build(load_catalog(), NlpSettings(ner_model=""))
    tagging = tag_pending(hostile_crawl.storage, tagger, version="reliability", clock=utc_now)

    assert tagging.tagged == 3 and tagging.failed == 0
    assert hostile_crawl.storage.tags.pending(10) == []
