"""All 40 real-world feeds in shared/data/feeds, served over HTTP and crawled into each database.

Each feed either yields stored articles (its entries' own content: pages are not followed, the
links point at the internet) or fails with a readable reason recorded against its source, and
the crawl of the other 39 completes either way. Weird encodings, NUL bytes and odd dates must
store on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler.types import PollOutcome
from pipeline.storage import Storage
from tests.crawler.conftest import Crawl
from tests.support.http import Reply, RouteServer


def test_every_shared_feed_is_stored_or_fails_cleanly(
    shared_data: Path, server: RouteServer, crawl: Crawl, storage: Storage
) -> None:
    feeds_dir = shared_data / "feeds"
    manifest = json.loads((feeds_dir / "manifest.json").read_text())
    names: dict[str, str] = {}
    for index, item in enumerate(manifest):
        path = "/feeds/" + item["path"]
        content_type = "text/html" if index % 7 == 0 else "application/xml"  # a feed served as HTML
        server.route(path, Reply(200, (feeds_dir / item["path"]).read_bytes(),
                                 {"Content-Type": content_type}))
        name = f"feed-{index:02d}"
        names[name] = item["path"]
        crawl.add_source(name, server.url(path))

    report = crawl(follow_entries=False, max_entries_per_poll=1000)

    results = {result.source: result for result in report.results}
    assert set(results) == set(names)
    failed = {n: r for n, r in results.items() if r.outcome is PollOutcome.FAILED}
    fetched = {n: r for n, r in results.items() if r.outcome is PollOutcome.FETCHED}
    assert len(fetched) + len(failed) == 40
    assert len(fetched) >= 35, {names[n]: r.errors for n, r in failed.items()}
    for name, result in failed.items():
        assert result.errors and len(result.errors[0]) > 10, names[name]
        assert storage.sources.rejections(name), names[name]
    stored = sum(result.new_articles for result in fetched.values())
    assert stored == storage.articles.count() > 500
    by_title = {a.title for a in storage.articles.latest(limit=5000)}
    assert any("ü" in (title or "") or "ä" in (title or "") for title in by_title)  # Latin-1 German
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in title or "") for title in by_title)
