"""Hostile servers through a real crawl: redirect loops, redirects to other schemes, 25 hops, and
a robots.txt answering 500 (disallow for now, asked again on the next crawl)."""

from __future__ import annotations

from crawler.types import PollOutcome
from tests.crawler.pages import rss_feed
from tests.reliability.hostile_support import (
    RSS,
    HostileCrawl,
    assert_good_source_stored,
    result_of,
    serve_good_source,
)
from tests.support.http import Reply, RouteServer


def test_redirect_loops_other_schemes_and_long_chains_are_refused(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    hostile_server.route("/loop-a", Reply(302, b"", {"Location": "/loop-b"}))
    hostile_server.route("/loop-b", Reply(301, b"", {"Location": "/loop-a"}))
    hostile_server.route("/to-file", Reply(302, b"", {"Location": "file:///etc/passwd"}))
    hostile_server.route("/to-gopher", Reply(307, b"", {
        "Location": f"gopher://127.0.0.1:{hostile_server.base_url.rsplit(':', 1)[1]}/_x"}))
    for hop in range(25):
        hostile_server.route(f"/hop/{hop}", Reply(302, b"", {"Location": f"/hop/{hop + 1}"}))
    hostile_server.route("/hop/25", Reply(200, rss_feed([]), RSS))
    for hop in range(5):
        hostile_server.route(f"/short/{hop}", Reply(302, b"", {"Location": f"/short/{hop + 1}"}))
    hostile_server.route("/short/5", Reply(200, rss_feed([]), RSS))
    for name in ("loop-a", "to-file", "to-gopher"):
        hostile_crawl.add_source(name, hostile_server.url(f"/{name}"))
    hostile_crawl.add_source("hops-25", hostile_server.url("/hop/0"))
    hostile_crawl.add_source("hops-5", hostile_server.url("/short/0"))
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    assert "too many redirects" in result_of(report, "loop-a").errors[0]
    assert "too many redirects" in result_of(report, "hops-25").errors[0]
    assert hostile_server.hits("/hop/25") == []
    assert len(hostile_server.hits("/hop/0")) == 1  # refused once, not retried in a loop
    for name, scheme in (("to-file", "file:"), ("to-gopher", "gopher:")):
        reason = result_of(report, name).errors[0]
        assert "not followed" in reason and scheme in reason, reason
        assert reason in hostile_crawl.reasons(name)
    assert result_of(report, "hops-5").outcome is PollOutcome.FETCHED  # a normal chain works
    assert_good_source_stored(report, hostile_crawl, good)


def test_robots_txt_answering_500_disallows_now_and_is_asked_again_next_crawl(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    hostile_server.route("/robots.txt", Reply(500, b"internal error"))
    title = "Story behind a broken robots.txt"
    items = [(title, hostile_server.url("/a"))]
    hostile_server.route("/feed.xml", Reply(200, rss_feed(items), RSS))
    hostile_crawl.add_source("wire", hostile_server.url("/feed.xml"))

    first = hostile_crawl()

    assert result_of(first, "wire").outcome is PollOutcome.FAILED
    assert "robots.txt" in hostile_crawl.reasons("wire")[-1]
    assert hostile_server.hits("/feed.xml") == []
    hostile_server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow:\n"))

    second = hostile_crawl()

    assert len(hostile_server.hits("/robots.txt")) == 2  # asked again, not cached as "disallow"
    assert result_of(second, "wire").outcome is PollOutcome.FETCHED
    assert title in hostile_crawl.titles()
