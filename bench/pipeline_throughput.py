"""The throughput half of ``bench/pipeline.py``: N articles from crawl to stored, tagged, matched.

One run: a fresh SQLite database in a temporary directory, the generated site's outlets as feed
sources, a few hundred realistic subscriptions (:class:`bench.matching_data.QueryMaker`) with a
webhook channel each; then the real path, each stage timed on its own -- the crawl
(:class:`crawler.runner.CrawlRunner`: poll, fetch, extract and store through
:class:`pipeline.ingest.ArticleIngestor`), :func:`pipeline.tagging.tag_pending`, clustering and
:func:`alerts.match_job.match_pending` -- and, outside the end-to-end figure, one pass of the
outbox to a local receiver. The baselines time bare libraries on the same pages in the same
process: fetching every page with httpx, ``trafilatura.extract`` on every page, and ``nlp.pipe``
of the statistical NER package (or spaCy's tokenizer, for the rules-only run) on every text.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from alerts.match_job import match_pending
from alerts.query import Query, parse_query
from bench.matching_data import Corpus, QueryMaker
from bench.pipeline_receiver import WebhookReceiver
from bench.pipeline_site import BenchArticle, BenchSite, outlet_name
from config import Settings, SourceSpec, load_settings
from config.catalog import Catalog
from config.settings import NlpSettings
from crawler.reactor import shared_reactor
from newsmon.app import App
from pipeline.storage.models import ArticleRow
from pipeline.storage.subscriptions import NewSubscription
from pipeline.story_job import cluster_pending

STAGES = ("crawl", "tag", "cluster", "match")
"""The stages of the end-to-end figure, in order; ``deliver`` is timed after them."""
SIGNING_KEY_VARIABLE = "NEWSMON_WEBHOOK_SIGNING_KEY"
LOCAL_CRAWLER = {
    "download_delay_seconds": 0.0,
    "concurrent_requests": 16,
    "concurrent_requests_per_domain": 16,
    "max_entries_per_poll": 100,
}
"""One local host serves every outlet here, so the per-site politeness delay and concurrency
(1 s, 2 requests, right for a real site) would measure the delay rather than newsmon."""


@dataclass(frozen=True)
class ThroughputResult:
    """The figures of one run (NER on or off)."""

    ner: bool
    articles: int
    seconds: dict[str, float]
    """Stage name -> wall-clock seconds (``STAGES`` plus ``deliver``)."""
    stored: int
    matched: int
    tagged: int
    stories: int
    alerts: int
    deliveries: int
    sent: int
    tagger_build_seconds: float
    tagging_processes: int = 0
    """Worker processes that tagged (``nlp.processes`` resolved; 0 = in-process)."""
    overlapped_seconds: float | None = None
    """Wall-clock seconds of a second run with the crawl and the processing job at the same
    time, as the daemon runs them (``None`` when not measured)."""

    @property
    def end_to_end_seconds(self) -> float:
        return sum(self.seconds[stage] for stage in STAGES)

    @property
    def overlapped_per_second(self) -> float:
        """Articles per second end to end with crawl and processing overlapped (0 if unmeasured)."""
        seconds = self.overlapped_seconds
        return self.articles / seconds if seconds else 0.0

    def per_second(self, stage: str | None = None) -> float:
        """Articles per second through one stage, or end to end."""
        seconds = self.end_to_end_seconds if stage is None else self.seconds[stage]
        return self.articles / seconds if seconds else 0.0


@dataclass(frozen=True)
class Baseline:
    """Bare libraries on the same inputs: seconds per step."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """Step name -> CPU seconds this process spent on it (every thread: the fetch step counts
    the local site serving the pages as well as httpx fetching them)."""

    def cpu_ceiling(self, articles: int, cores: int) -> float:
        """Articles per second the bare steps alone allow on ``cores`` cores, however well the
        work is spread: ``cores`` / their CPU seconds per article (0 when not measured)."""
        spent = sum(self.cpu_seconds.values())
        return cores * articles / spent if spent > 0 else 0.0


def bench_settings(home: Path, *, ner: bool) -> Settings:
    """Settings of a throughput run: a fresh home, local crawling, NER on or off."""
    return load_settings(home=home, env={}, overrides={
        "crawler": LOCAL_CRAWLER,
        "nlp": {"ner_model": NlpSettings().ner_model if ner else ""},
        "network": {"allow_hosts": ["127.0.0.1"]},
        "logging": {"level": "WARNING"},
    })


def make_queries(corpus: Corpus, catalog: Catalog, count: int, seed: int) -> list[str]:
    """``count`` subscription queries that parse, as subscribers write them."""
    maker = QueryMaker(corpus, random.Random(seed))
    queries: list[str] = []
    while len(queries) < count:
        queries += [q for q in maker.make(count - len(queries))
                    if isinstance(parse_query(q, catalog), Query)]
    return queries


def add_sources(app: App, site: BenchSite, interval_seconds: int = 1800) -> None:
    """One feed source per outlet of the site."""
    for outlet in range(site.outlets):
        spec = SourceSpec(name=outlet_name(outlet), url=site.feed_url(outlet),
                          interval=interval_seconds)
        app.storage.sources.add(spec, app.clock())


def add_subscriptions(app: App, queries: Sequence[str], webhook_url: str | None) -> None:
    """One immediate subscription per query, with a webhook channel when a URL is given."""
    channels = (("webhook", webhook_url),) if webhook_url else ()
    for number, query in enumerate(queries, start=1):
        app.storage.subscriptions.add(
            NewSubscription(name=f"bench-{number:04d}", query=query, channels=channels),
            app.clock())


def run_throughput(
    articles: Sequence[BenchArticle], outlets: int, queries: Sequence[str], *, ner: bool,
    deliver: bool = True, profile: Callable[[Callable[[], Any]], Any] | None = None,
) -> ThroughputResult:
    """Serve the articles, crawl them into a fresh database and process them; time each stage.

    ``profile``, when given, wraps the stages that run on this thread (tag, cluster, match).
    """
    os.environ.setdefault(SIGNING_KEY_VARIABLE, "bench-" + "k" * 32)
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as home, \
            BenchSite(articles, outlets) as site, WebhookReceiver() as receiver, \
            App.from_settings(bench_settings(Path(home), ner=ner), upgrade=True) as app:
        add_sources(app, site)
        add_subscriptions(app, queries, receiver.url("/hook"))
        started = time.perf_counter()
        _ = app.article_tagger, app.catalog  # the tagger, or its worker processes, started
        build = time.perf_counter() - started
        seconds: dict[str, float] = {}
        sources = app.storage.sources.all()
        seconds["crawl"], crawl = _timed(
            lambda: shared_reactor().run(lambda: app.crawl_runner().crawl(sources, force=True)))
        later = _process_stages(app)
        (seconds["tag"], tagging), (seconds["cluster"], clustering), (
            seconds["match"], matching) = profile(later) if profile else later()
        seconds["deliver"], outbox = _timed(lambda: asyncio.run(app.send_alerts())) \
            if deliver else (0.0, None)
        del crawl
        return ThroughputResult(
            ner=ner, articles=len(articles), seconds=seconds,
            stored=app.storage.articles.count(), matched=matched_count(app),
            tagged=tagging.tagged, stories=clustering.new_stories, alerts=matching.new_alerts,
            deliveries=matching.deliveries, sent=outbox.sent if outbox else 0,
            tagger_build_seconds=build,
            tagging_processes=app.settings.nlp.worker_processes(),
        )


def run_overlapped(
    articles: Sequence[BenchArticle], outlets: int, queries: Sequence[str], *, ner: bool,
) -> tuple[float, int]:
    """Crawl and process at the same time, as the daemon does (the crawl on the reactor, the
    processing job on a thread, again and again until the crawl is over and nothing waits);
    returns the wall-clock seconds from the crawl's start to the last article matched, and how
    many articles were matched."""
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as home, \
            BenchSite(articles, outlets) as site, WebhookReceiver() as receiver, \
            App.from_settings(bench_settings(Path(home), ner=ner), upgrade=True) as app:
        add_sources(app, site)
        add_subscriptions(app, queries, receiver.url("/hook"))
        _ = app.article_tagger, app.catalog
        sources = app.storage.sources.all()
        crawl_over = threading.Event()
        processing = threading.Thread(target=_process_until, args=(app, crawl_over))
        started = time.perf_counter()
        processing.start()
        try:
            shared_reactor().run(lambda: app.crawl_runner().crawl(sources, force=True))
        finally:
            crawl_over.set()
            processing.join()
        return time.perf_counter() - started, matched_count(app)


def _process_until(app: App, crawl_over: threading.Event) -> None:
    """The processing job, run back to back until the crawl is over and a pass finds nothing."""
    while True:
        finished = crawl_over.is_set()
        report = app.process()
        if finished and report.tagging.tagged + report.tagging.failed == 0:
            return
        if report.tagging.tagged + report.tagging.failed == 0:
            time.sleep(0.05)


def _process_stages(app: App) -> Callable[[], tuple[Any, Any, Any]]:
    def run() -> tuple[Any, Any, Any]:
        tagging = _timed(app.tag_pending)
        clustering = _timed(lambda: cluster_pending(app.storage, clock=app.clock,
                                                    index=app.story_index))
        matching = _timed(lambda: match_pending(app.storage, app.catalog, clock=app.clock))
        return tagging, clustering, matching

    return run


def matched_count(app: App) -> int:
    """Stored articles that reached the matched state."""
    query = select(func.count()).select_from(ArticleRow).where(ArticleRow.matched_at.is_not(None))
    with app.storage.engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# -- baselines --------------------------------------------------------------------------------


def run_baselines(
    articles: Sequence[BenchArticle], outlets: int, *, ner: bool, fetch: bool = True
) -> Baseline:
    """Bare fetch (httpx, 16 at a time), bare ``trafilatura.extract``, bare ``nlp.pipe``."""
    import trafilatura

    from bench.tagging import build_bare_ner, build_tokenizer

    baseline = Baseline()
    with BenchSite(articles, outlets) as site:
        if fetch:
            _measure_step(baseline, "fetch", lambda: asyncio.run(_fetch_all(site)))
        pages = list(site.pages.values())
    _measure_step(baseline, "extract", lambda: deque(map(trafilatura.extract, pages), maxlen=0))
    texts = [f"{a.title}\n\n{a.text}" for a in articles]
    pipe = build_bare_ner() if ner else build_tokenizer()
    pipe(texts[:2])  # the first call loads lazily-built tables; not part of the figure
    _measure_step(baseline, "spacy", lambda: pipe(texts))
    return baseline


def _measure_step(baseline: Baseline, name: str, work: Callable[[], Any]) -> None:
    """Record the wall-clock and the CPU seconds of one bare step."""
    cpu_started = time.process_time()
    baseline.seconds[name], _ = _timed(work)
    baseline.cpu_seconds[name] = time.process_time() - cpu_started


async def _fetch_all(site: BenchSite) -> None:
    limit = asyncio.Semaphore(16)
    urls = [site.feed_url(o) for o in range(site.outlets)] + [site.base_url + p
                                                              for p in site.pages]

    async def get(client: httpx.AsyncClient, url: str) -> None:
        async with limit:
            (await client.get(url)).raise_for_status()

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(get(client, url) for url in urls))
