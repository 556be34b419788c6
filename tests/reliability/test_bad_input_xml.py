"""Hostile XML through a real crawl: entity bombs and external entities in feeds and sitemaps are
refused with a recorded reason, never expanded, never read from disk or fetched, and the next
good source of the same crawl is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.types import PollOutcome
from tests.reliability.hostile_support import (
    RSS,
    XML,
    HostileCrawl,
    RawServer,
    assert_good_source_stored,
    result_of,
    serve_good_source,
)
from tests.support.http import Reply, RouteServer

URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def laughs(levels: int = 10) -> str:
    """The billion-laughs entity chain: 10 levels of tenfold references."""
    chain = ['<!ENTITY l0 "lol">']
    chain += [f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, levels)]
    return "".join(chain)


def rss(doctype: str, title: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<rss version="2.0"><channel><title>T</title>'
            f"<item><title>{title}</title><link>http://127.0.0.1:9/x</link></item>"
            "</channel></rss>").encode()


def sitemap(doctype: str, loc: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n{URLSET}<url><loc>{loc}</loc>'
            "<lastmod>2026-11-19</lastmod></url></urlset>").encode()


BOMBS = {
    "billion-laughs-feed": ("feed", rss(f"<!DOCTYPE rss [{laughs()}]>", "&l9;")),
    "billion-laughs-sitemap": ("sitemap", sitemap(f"<!DOCTYPE urlset [{laughs()}]>",
                                                  "http://127.0.0.1:9/&l9;")),
    "quadratic-feed": ("feed", rss(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 50_000}">]>',
                                   "&a;" * 50_000)),
    "quadratic-sitemap": ("sitemap", sitemap(f'<!DOCTYPE urlset [<!ENTITY a "{"A" * 50_000}">]>',
                                             "http://127.0.0.1:9/" + "&a;" * 50_000)),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_entity_bombs_are_refused_and_the_crawl_goes_on(
    case: str, hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    kind, body = BOMBS[case]
    hostile_server.route("/bomb.xml", Reply(200, body, RSS if kind == "feed" else XML))
    hostile_crawl.add_source("bomb", hostile_server.url("/bomb.xml"), kind=kind)
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    result = result_of(report, "bomb")
    assert result.outcome is PollOutcome.FAILED
    reasons = hostile_crawl.reasons("bomb")
    assert reasons and "entit" in reasons[-1], reasons
    assert_good_source_stored(report, hostile_crawl, good)
    assert all("lollol" not in title and "AAAA" not in title for title in hostile_crawl.titles())


def external_entity_documents(system_id: str) -> dict[str, tuple[str, bytes]]:
    entity = f'<!ENTITY xxe SYSTEM "{system_id}">'
    parameter = f'<!ENTITY % remote SYSTEM "{system_id}"> %remote;'
    return {
        "feed-entity": ("feed", rss(f"<!DOCTYPE rss [{entity}]>", "News &xxe;")),
        "feed-parameter-entity": ("feed", rss(f"<!DOCTYPE rss [\n{parameter}\n]>", "News")),
        "feed-external-dtd": ("feed", rss(f'<!DOCTYPE rss SYSTEM "{system_id}">', "News")),
        "sitemap-entity": ("sitemap", sitemap(f"<!DOCTYPE urlset [{entity}]>",
                                              "http://127.0.0.1:9/&xxe;")),
        "sitemap-external-dtd": ("sitemap", sitemap(f'<!DOCTYPE urlset SYSTEM "{system_id}">',
                                                    "http://127.0.0.1:9/s")),
    }


def serve_documents(server: RouteServer, crawl: HostileCrawl,
                    documents: dict[str, tuple[str, bytes]]) -> None:
    for name, (kind, body) in documents.items():
        server.route(f"/{name}.xml", Reply(200, body, RSS if kind == "feed" else XML))
        crawl.add_source(name, server.url(f"/{name}.xml"), kind=kind)


def everything_stored(crawl: HostileCrawl) -> str:
    """Every stored title, text, URL and rejection reason, as one string to search."""
    articles = crawl.storage.articles.latest(limit=10_000)
    parts = [f"{a.title} {a.text} {a.canonical_url} {a.description} {a.notes}" for a in articles]
    parts += [f"{r.reason} {r.url}" for r in crawl.storage.sources.rejections(limit=10_000)]
    return "\n".join(parts)


def test_external_entities_never_read_a_local_file(
    tmp_path: Path, hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-91c2")
    documents = external_entity_documents(secret.as_uri())
    serve_documents(hostile_server, hostile_crawl, documents)
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    assert "TOP-SECRET" not in everything_stored(hostile_crawl)
    for name in documents:
        result = result_of(report, name)
        refused = result.outcome is PollOutcome.FAILED and hostile_crawl.reasons(name)
        harmless = result.outcome is PollOutcome.FETCHED  # a bare DOCTYPE is ignored, not read
        assert refused or harmless, (name, result)
    assert result_of(report, "feed-entity").outcome is PollOutcome.FAILED
    assert result_of(report, "sitemap-entity").outcome is PollOutcome.FAILED
    assert_good_source_stored(report, hostile_crawl, good)


def test_external_entities_never_connect_to_a_local_url(
    raw_server: RawServer, hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    documents = external_entity_documents(raw_server.url("/xxe"))
    serve_documents(hostile_server, hostile_crawl, documents)
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    assert raw_server.connections == 0
    assert result_of(report, "feed-entity").outcome is PollOutcome.FAILED
    assert result_of(report, "feed-parameter-entity").outcome is PollOutcome.FAILED
    assert "entit" in hostile_crawl.reasons("feed-entity")[-1]
    assert_good_source_stored(report, hostile_crawl, good)
