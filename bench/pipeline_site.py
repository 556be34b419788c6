"""A generated news site for the end-to-end benchmark (``bench/pipeline.py``), on 127.0.0.1.

Articles: the realistic articles of :mod:`bench.matching_data` (a real news article's body from
the extraction benchmark with tagged AI-industry sentences of the development set spliced in; a
short development sentence about the same entities as the title), each rendered into an HTML
page of a typical news-page size: head with metadata and inline script and style, a navigation
bar, the article, related-story teasers and a footer.

Feeds: the articles are spread round-robin over several outlets; each outlet has an RSS 2.0
feed listing its newest visible articles (with validators, so a repeated poll gets a 304). An
article is *visible* from its ``visible_at`` moment (seconds since the epoch) on: the throughput
run publishes everything at once, the latency run at random moments while the daemon runs.
The server records when each feed first listed each article, which is the moment the latency
is counted from.
"""

from __future__ import annotations

import hashlib
import html
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.matching_data import Corpus, build_articles
from config.catalog import Catalog

FEED_SIZE = 40
"""Items in one feed (the newest visible ones), as news feeds usually carry."""
NAV_LINKS = 60
RELATED_TEASERS = 16
FOOTER_LINKS = 40
SCRIPT_KILOBYTES = 36
"""Inline script of each page: analytics and JSON state, as real news pages carry."""
TOPICS = ("AI", "Chips", "Cloud", "Startups", "Policy", "Markets", "Science", "Security")


@dataclass(frozen=True)
class BenchArticle:
    """One generated article: where it lives, what it says, when it becomes visible."""

    number: int
    outlet: int
    path: str
    title: str
    text: str
    published: datetime
    visible_at: float = 0.0


def generate_articles(
    corpus: Corpus, catalog: Catalog, *, count: int, outlets: int, seed: int, now: datetime
) -> list[BenchArticle]:
    """``count`` articles over ``outlets`` outlets, published in the two days before ``now``."""
    views = build_articles(corpus, catalog, random.Random(seed), count, now)
    articles = []
    for view in views:
        outlet = (view.article_id - 1) % outlets
        slug = f"{view.published:%Y/%m/%d}/story-{view.article_id:05d}"
        articles.append(BenchArticle(
            number=view.article_id, outlet=outlet, path=f"/outlet-{outlet:02d}/{slug}.html",
            title=view.title, text=view.text, published=(view.published or now).astimezone(UTC),
        ))
    return articles


def publish_at_random(
    articles: Sequence[BenchArticle], *, start: float, seconds: float, seed: int
) -> list[BenchArticle]:
    """The articles, each made visible at a random moment of ``[start, start + seconds)`` and
    dated then, in order of visibility."""
    rng = random.Random(seed)
    moments = sorted(start + rng.uniform(0, seconds) for _ in articles)
    return [
        BenchArticle(a.number, a.outlet, a.path, a.title, a.text,
                     datetime.fromtimestamp(moment, UTC), visible_at=moment)
        for a, moment in zip(articles, moments, strict=True)
    ]


def outlet_name(outlet: int) -> str:
    """The source name of an outlet."""
    return f"bench-outlet-{outlet:02d}"


def feed_path(outlet: int) -> str:
    """The path of an outlet's RSS feed."""
    return f"/outlet-{outlet:02d}/feed.xml"


# -- rendering ------------------------------------------------------------------------------


def render_page(article: BenchArticle, base_url: str, rng: random.Random) -> bytes:
    """The article as a news page of realistic size and shape."""
    title, url = html.escape(article.title), base_url + article.path
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.text.split("\n\n") if p)
    stamp = article.published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | Outlet {article.outlet}</title>
<link rel="canonical" href="{html.escape(url)}">
<meta name="description" content="{html.escape(article.text[:160])}">
<meta property="og:title" content="{title}"><meta property="og:type" content="article">
<meta property="article:published_time" content="{stamp}">
<meta name="author" content="Staff Writer {article.number % 23}">
<style>{_style(rng)}</style>
<script>{_script(rng)}</script>
</head><body>
<header><a href="/">Outlet {article.outlet}</a><nav><ul>{_links(rng, NAV_LINKS, "section")}</ul>
</nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By Staff Writer {article.number % 23} &middot;
<time datetime="{stamp}">{article.published:%B %d, %Y %H:%M} UTC</time></p>
<div class="article-body">
{paragraphs}
</div>
<p class="share">Share this story: email, copy link</p>
</article>
<aside class="related"><h2>More stories</h2><ul>{_teasers(rng)}</ul></aside>
</main>
<footer><ul>{_links(rng, FOOTER_LINKS, "about")}</ul>
<p>&copy; 2026 Outlet {article.outlet}. All rights reserved.</p></footer>
</body></html>
""".encode()


def render_feed(outlet: int, items: Sequence[BenchArticle], base_url: str) -> bytes:
    """An RSS 2.0 feed of ``items`` (newest first)."""
    entries = "\n".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base_url}{a.path}</link>"
        f"<guid isPermaLink=\"true\">{base_url}{a.path}</guid>"
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
        f"<description>{html.escape(a.text[:300])}</description></item>"
        for a in items
    )
    return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
            f"<title>Outlet {outlet}</title><link>{base_url}/outlet-{outlet:02d}/</link>"
            f"<description>AI news from outlet {outlet}</description>\n{entries}\n"
            f"</channel></rss>\n").encode()


def _style(rng: random.Random) -> str:
    rules = (f".c{n}{{margin:{rng.randint(0, 24)}px;color:#{rng.randrange(1 << 24):06x}}}"
             for n in range(180))
    return "".join(rules)


def _script(rng: random.Random) -> str:
    chunk = "window.__state=window.__state||[];"
    pieces, size = [chunk], len(chunk)
    while size < SCRIPT_KILOBYTES * 1024:
        piece = f'__state.push({{"k":"{rng.getrandbits(64):016x}","v":{rng.random():.6f}}});'
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces)


def _links(rng: random.Random, count: int, kind: str) -> str:
    return "".join(
        f'<li><a href="/{kind}/{rng.choice(TOPICS).lower()}-{n}">{rng.choice(TOPICS)} {n}</a>'
        "</li>" for n in range(count))


def _teasers(rng: random.Random) -> str:
    return "".join(
        f'<li><a href="/teaser/{n}"><img src="/img/{n}.jpg" alt=""><span>{rng.choice(TOPICS)}'
        f" news: what the week brought, part {n}</span></a></li>" for n in range(RELATED_TEASERS))


# -- the server -----------------------------------------------------------------------------


class BenchSite:
    """The outlets' feeds and article pages, served from 127.0.0.1 in a daemon thread.

    Pages are rendered once, when the server starts; feeds at each request, from the articles
    visible at that moment (``clock``: seconds since the epoch).
    """

    def __init__(
        self, articles: Sequence[BenchArticle], outlets: int, *, seed: int = 7,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.articles = list(articles)
        self.outlets = outlets
        self.clock = clock
        self.first_listed: dict[str, float] = {}
        """Article path -> the moment a feed response first listed it."""
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._seed = seed
        self.pages: dict[str, bytes] = {}
        self.publish(self.articles)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def feed_url(self, outlet: int) -> str:
        """The absolute URL of an outlet's feed."""
        return self.base_url + feed_path(outlet)

    def publish(self, articles: Sequence[BenchArticle]) -> None:
        """Serve these articles (pages rendered now) instead of the current ones."""
        rng = random.Random(self._seed)
        self.pages = {a.path: render_page(a, self.base_url, rng) for a in articles}
        self.articles = list(articles)

    def feed(self, outlet: int, now: float) -> bytes:
        """The outlet's feed as it is at ``now``; notes when each item was first listed."""
        visible = [a for a in self.articles if a.outlet == outlet and a.visible_at <= now]
        visible.sort(key=lambda a: (a.published, a.number), reverse=True)
        items = visible[:FEED_SIZE]
        with self._lock:
            for article in items:
                self.first_listed.setdefault(article.path, now)
        return render_feed(outlet, items, self.base_url)

    def start(self) -> BenchSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BenchSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(site: BenchSite) -> type[BaseHTTPRequestHandler]:
    feeds = {feed_path(outlet): outlet for outlet in range(site.outlets)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.requests += 1
            path = self.path.split("?")[0]
            if path == "/robots.txt":
                self._reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif path in feeds:
                self._feed(site.feed(feeds[path], site.clock()))
            elif path in site.pages:
                self._reply(200, site.pages[path], "text/html; charset=utf-8")
            else:
                self._reply(404, b"not found", "text/plain")

        def _feed(self, body: bytes) -> None:
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._reply(304, b"", None, {"ETag": etag})
            else:
                self._reply(200, body, "application/rss+xml; charset=utf-8", {"ETag": etag})

        def _reply(self, status: int, body: bytes, content_type: str | None,
                   headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
