"""Benchmark: newsmon end to end -- articles per second from crawl to matched, and alert latency.

Inputs (:mod:`bench.pipeline_site`): ``--articles`` generated articles of realistic length (the
extraction benchmark's real article bodies with tagged AI-industry sentences spliced in, about
5,000 characters of text on pages of about 60 KB), spread over feed-publishing outlets (40
items a feed) on one local HTTP server, and ``--subscriptions`` realistic subscription queries
(:class:`bench.matching_data.QueryMaker`), each with a webhook channel to a local receiver.

Throughput (:mod:`bench.pipeline_throughput`), once with the statistical NER and once
rules-only, each on a fresh SQLite database: the real path, one stage after the other -- crawl
(poll, fetch, extract, store), tag, cluster, match -- each stage's articles per second and the
end-to-end figure; then a second fresh run with the crawl and the processing job at the same
time, as the daemon runs them (tagging on ``nlp.processes`` worker processes, "auto" by
default: one per core with the NER), whose wall-clock time is the end-to-end figure the goal
is judged by; next to baselines measured in the same run on the same pages: httpx fetching
every page, ``trafilatura.extract`` on every page, ``nlp.pipe`` of the NER package (or spaCy's
tokenizer, rules-only) on every text. The CPU time of those bare steps gives the machine's
ceiling: articles per second that serving and fetching the pages, extracting them and running
the NER allow on this machine's cores with nothing else to do. One pass of the outbox is timed
too (not part of the end-to-end figure). The crawl runs with no per-site delay and 16 requests
per site: every outlet is on one local host here, so politeness settings would measure the
delay, not newsmon.
``--profile`` then runs the NER-on pass once more under cProfile (not timed) and prints the top
functions of its tag, cluster and match stages, and of extraction + storage run directly on the
pages.

Latency (:mod:`bench.pipeline_latency`): the real daemon (``newsmon run`` in a subprocess, its
default settings) polls the outlets every ``--poll-interval`` seconds (60 by default, as the
goal says) while the site publishes ``--latency-articles`` articles at random moments of
``--publish-seconds``; the local receiver timestamps each alert. Median and p95 of publication
-> alert, split into the wait for the poll and the rest. The default run takes about five
minutes of real time (start-up, a three-minute publication window, then up to two polls); a
quick look: ``--poll-interval 20 --publish-seconds 60`` (the interval is printed with the
figures). ``--skip-latency`` / ``--skip-throughput`` run one half.

Goals (issue 5): at least 20 articles/s end to end with NER on; alert latency p95 at most the
poll interval + 10 s.

    python bench/pipeline.py [--articles 400] [--subscriptions 300] [--profile]
        [--poll-interval 60] [--publish-seconds 180] [--latency-articles 40]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.matching_data import load_corpus  # noqa: E402
from bench.pipeline_latency import LatencyResult, median, percentile, run_latency  # noqa: E402
from bench.pipeline_site import FEED_SIZE, BenchArticle, generate_articles  # noqa: E402
from bench.pipeline_throughput import (  # noqa: E402
    STAGES,
    Baseline,
    ThroughputResult,
    make_queries,
    run_baselines,
    run_overlapped,
    run_throughput,
)
from config.catalog import load_catalog  # noqa: E402

GOAL_ARTICLES_PER_SECOND = 20.0
GOAL_LATENCY_SLACK_SECONDS = 10.0
BASELINE_OF = {"crawl": ("fetch", "extract"), "tag": ("spacy",)}
"""Which baselines a stage's time is set against (their sum)."""


def outlets_for(articles: int, wanted: int) -> int:
    """Enough outlets that every article is in a feed (40 items each), at least ``wanted``."""
    return max(wanted, math.ceil(articles / FEED_SIZE))


def profiled(collector: cProfile.Profile) -> Callable[[Callable[[], Any]], Any]:
    """Runs a function under ``collector``."""
    def wrap(work: Callable[[], Any]) -> Any:
        collector.enable()
        try:
            return work()
        finally:
            collector.disable()
    return wrap


def profile_ingest(articles: Sequence[BenchArticle], outlets: int,
                   collector: cProfile.Profile) -> None:
    """Extraction + storage of every page on this thread (in the crawl they run in workers)."""
    import tempfile

    from bench.pipeline_site import BenchSite, outlet_name
    from bench.pipeline_throughput import add_sources, bench_settings
    from newsmon.app import App
    from pipeline.ingest import ArticleIngestor
    from pipeline.types import FetchedPage

    with tempfile.TemporaryDirectory() as home, BenchSite(articles, outlets) as site, \
            App.from_settings(bench_settings(Path(home), ner=False), upgrade=True) as app:
        add_sources(app, site)
        ingestor = ArticleIngestor(app.storage, app.clock)
        pages = [FetchedPage(source=outlet_name(a.outlet), url=site.base_url + a.path,
                             final_url=site.base_url + a.path, status=200,
                             body=site.pages[a.path], fetched_at=app.clock(),
                             content_type="text/html; charset=utf-8") for a in articles]
        profiled(collector)(lambda: [ingestor.ingest_page(page) for page in pages])


def print_profile(console: Console, title: str, collector: cProfile.Profile, top: int) -> None:
    """The top functions by own time and by cumulative time."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(collector, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        console.print(f"[bold]{title}, by {order}[/bold]")
        console.print(out.getvalue().split("\n\n", 1)[-1].strip(), markup=False,
                      highlight=False, soft_wrap=True)


def throughput_table(results: Sequence[ThroughputResult],
                     baselines: dict[bool, Baseline]) -> Table:
    """One row per stage: seconds, articles/s and the ratio to the baseline, NER on and off."""
    table = Table(title="Throughput: articles per second from crawl to matched (fresh SQLite)")
    table.add_column("stage")
    for result in results:
        label = "NER on" if result.ner else "NER off"
        table.add_column(f"{label}: s", justify="right")
        table.add_column(f"{label}: art/s", justify="right")
        table.add_column(f"{label}: x baseline", justify="right")
    rows: list[tuple[str, str | None]] = [(stage, stage) for stage in STAGES]
    rows += [("end to end, stage after stage", None), ("deliver (outbox, extra)", "deliver")]
    for label, stage in rows:
        cells = [label]
        for result in results:
            seconds = result.end_to_end_seconds if stage is None else result.seconds[stage]
            base = _baseline_seconds(baselines[result.ner], stage)
            cells += [f"{seconds:.2f}", f"{result.per_second(stage):.1f}",
                      f"{seconds / base:.1f}x" if base else ""]
        table.add_row(*cells)
    cells = ["end to end, crawl and processing at once (as the daemon)"]
    for result in results:
        seconds = result.overlapped_seconds or 0.0
        cells += [f"{seconds:.2f}", f"{result.overlapped_per_second:.1f}", ""]
    table.add_row(*cells)
    for name in ("fetch", "extract", "spacy"):
        cells = [f"baseline: {_baseline_label(name)}"]
        for result in results:
            seconds = baselines[result.ner].seconds.get(name, 0.0)
            cells += [f"{seconds:.2f}", f"{result.articles / seconds:.1f}" if seconds else "", ""]
        table.add_row(*cells)
    return table


def _baseline_seconds(baseline: Baseline, stage: str | None) -> float:
    names = [n for parts in BASELINE_OF.values() for n in parts] if stage is None else \
        list(BASELINE_OF.get(stage, ()))
    return sum(baseline.seconds.get(name, 0.0) for name in names)


def _baseline_label(name: str) -> str:
    return {"fetch": "httpx GET of every page (16 at a time)",
            "extract": "trafilatura.extract of every page",
            "spacy": "nlp.pipe: NER package (NER on) / tokenizer (NER off)"}[name]


def counts_table(results: Sequence[ThroughputResult]) -> Table:
    """What each run produced: every article should be stored and matched."""
    table = Table(title="What the runs produced")
    for column in ("run", "articles", "stored", "tagged", "matched", "stories", "alerts",
                   "deliveries", "sent in one outbox pass", "tagging processes",
                   "tagger start s"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row("NER on" if r.ner else "NER off", str(r.articles), str(r.stored),
                      str(r.tagged), str(r.matched), str(r.stories), str(r.alerts),
                      str(r.deliveries), str(r.sent),
                      str(r.tagging_processes) if r.tagging_processes else "in-process",
                      f"{r.tagger_build_seconds:.1f}")
    return table


def latency_table(result: LatencyResult) -> Table:
    """Median and p95 of publication -> alert, and its two parts."""
    table = Table(title=f"Alert latency at a {result.poll_interval} s poll interval: "
                        f"{len(result.latencies)} alerts for {result.published} articles "
                        f"({result.folded} folded into earlier stories, {result.missing} missing)")
    for column in ("seconds", "median", "p95", "max"):
        table.add_column(column, justify="right")
    for label, values in (("publication -> alert at the receiver", result.latencies),
                          ("  publication -> first poll that saw it", result.poll_waits),
                          ("  that poll -> alert (fetch ... deliver)", result.after_poll)):
        table.add_row(label, f"{median(values):.1f}", f"{percentile(values, 0.95):.1f}",
                      f"{max(values):.1f}" if values else "")
    return table


def ceiling_line(baseline: Baseline, articles: int, *, ner: bool) -> str:
    """What the bare steps alone allow on this machine's cores, whatever newsmon does."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    per_article = {name: 1000 * cpu / articles for name, cpu in baseline.cpu_seconds.items()}
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in per_article.items())
    label = "NER on" if ner else "NER off"
    return (f"ceiling, {label}: the bare steps alone cost {sum(per_article.values()):.1f} ms "
            f"of CPU an article ({parts}; fetch counts the local site serving the page): at "
            f"most {baseline.cpu_ceiling(articles, cores):.1f} articles/s on {cores} cores, "
            "before storing, rule tagging, clustering and matching take their share")


def print_goals(console: Console, results: Sequence[ThroughputResult],
                latency: LatencyResult | None) -> None:
    for result in results:
        if result.ner:
            rate = max(result.per_second(), result.overlapped_per_second)
            verdict = "met" if rate >= GOAL_ARTICLES_PER_SECOND else "NOT met"
            console.print(f"goal: >= {GOAL_ARTICLES_PER_SECOND:.0f} articles/s end to end with "
                          f"NER on: {result.overlapped_per_second:.1f} with crawl and "
                          f"processing at once, {result.per_second():.1f} stage after stage "
                          f"({result.tagging_processes} tagging processes) -> {verdict}")
    if latency is not None:
        p95 = percentile(latency.latencies, 0.95)
        limit = latency.poll_interval + GOAL_LATENCY_SLACK_SECONDS
        verdict = "met" if p95 <= limit else "NOT met"
        console.print(f"goal: alert latency p95 <= {limit:.0f} s: {p95:.1f} s -> {verdict}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400, help="articles served (throughput)")
    parser.add_argument("--outlets", type=int, default=10, help="feeds (at least articles/40)")
    parser.add_argument("--subscriptions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the NER-on run")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    parser.add_argument("--poll-interval", type=int, default=60, help="seconds (latency)")
    parser.add_argument("--publish-seconds", type=float, default=180.0,
                        help="window in which the latency run's articles appear")
    parser.add_argument("--latency-articles", type=int, default=40)
    parser.add_argument("--latency-outlets", type=int, default=4)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    console = Console(width=150)
    catalog = load_catalog()
    corpus = load_corpus(catalog)
    queries = make_queries(corpus, catalog, args.subscriptions, args.seed + 2)
    now = datetime.now(UTC)
    outlets = outlets_for(args.articles, args.outlets)
    articles = generate_articles(corpus, catalog, count=args.articles, outlets=outlets,
                                 seed=args.seed, now=now)
    text_chars = sum(len(a.text) for a in articles) / max(1, len(articles))
    console.print(f"{len(articles)} articles over {outlets} feeds, mean {text_chars:,.0f} "
                  f"characters of text; {len(queries)} subscriptions")
    results: list[ThroughputResult] = []
    if not args.skip_throughput:
        results = _throughput(console, args, articles, outlets, queries)
    latency = None
    if not args.skip_latency:
        latency = _latency(console, args, corpus, catalog, queries, now)
    print_goals(console, results, latency)


def _throughput(console: Console, args: argparse.Namespace, articles: list[BenchArticle],
                outlets: int, queries: list[str]) -> list[ThroughputResult]:
    collector = cProfile.Profile() if args.profile else None
    baselines = {ner: run_baselines(articles, outlets, ner=ner) for ner in (True, False)}
    results = []
    for ner in (True, False):
        result = run_throughput(articles, outlets, queries, ner=ner)
        seconds, matched = run_overlapped(articles, outlets, queries, ner=ner)
        if matched != len(articles):
            console.print(f"[red]overlapped run matched {matched} of {len(articles)}[/red]")
        results.append(replace(result, overlapped_seconds=seconds))
    console.print(throughput_table(results, baselines))
    console.print(counts_table(results))
    for ner in (True, False):
        console.print(ceiling_line(baselines[ner], len(articles), ner=ner))
    if collector is not None:  # a run of its own: the profiler slows what it watches
        run_throughput(articles, outlets, queries, ner=True, deliver=False,
                       profile=profiled(collector))
        print_profile(console, "Profile: tag + cluster + match, NER on", collector, args.top)
        ingest = cProfile.Profile()
        started = time.perf_counter()
        profile_ingest(articles, outlets, ingest)
        console.print(f"(extraction + storage on one thread: {time.perf_counter() - started:.1f} "
                      "s under the profiler)")
        print_profile(console, "Profile: extract + store", ingest, args.top)
    return results


def _latency(console: Console, args: argparse.Namespace, corpus: Any, catalog: Any,
             queries: list[str], now: datetime) -> LatencyResult:
    candidates = generate_articles(corpus, catalog, count=args.latency_articles * 4,
                                   outlets=args.latency_outlets, seed=args.seed + 100, now=now)
    console.print(f"latency run: poll interval {args.poll_interval} s, {args.latency_articles} "
                  f"articles published over {args.publish_seconds:.0f} s on "
                  f"{args.latency_outlets} feeds, the daemon in a subprocess ...")
    result = run_latency(candidates, queries, count=args.latency_articles,
                         outlets=args.latency_outlets, poll_interval=args.poll_interval,
                         publish_seconds=args.publish_seconds, seed=args.seed)
    console.print(latency_table(result))
    if result.missing:
        console.print("[yellow]some alerts did not arrive; the daemon's log ends:[/yellow]")
        console.print(result.daemon_log, markup=False, highlight=False)
    return result


if __name__ == "__main__":
    main()
