"""Benchmark: matching one article against 10 to 100,000 subscriptions, indexed and naively.

Subscriptions: for each size, the first N of one stream of generated queries
(:mod:`bench.matching_data`: entity, word, phrase, OR, NOT, NEAR, stock, field and date filters;
popular ones recur), compiled into a :class:`alerts.matching.MatchIndex` with key frequencies
measured on a separate sample of articles.

Articles, two sets: *AI stories* (real article bodies with tagged development-set sentences about
one story spliced in: the on-topic traffic every popular subscription matches) and *general news*
(the real articles as they are, nothing tagged: the off-topic share of a crawl).

For each size and set, in the same run: the index's time per article (each article timed
``--repeat`` times, its best kept; mean and median over articles), the same plus pairing each
matched subscription with its reasons (*+ pairs*: ``per_subscription``, the alert writer's step),
the candidates it evaluated, the subscriptions and the distinct queries it matched, next to two
naive loops over every subscription: *naive* prepares the article once (folded words and lookups
shared) and evaluates every query on it, *naive API* calls ``Query.matches`` for every query.
Both naive loops check their answer against the index's (paired per subscription).
The naive loops run on samples of the articles where they are slow (the column says how many).
Also printed: index build time and memory (allocations traced during a build, and the
automaton's own figure), and the goals: time at 100,000 at most 3x the time at 10; at 10,000 at
least 100x faster than the naive loop.

    python bench/matching.py [--articles 100] [--repeat 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from alerts.matching import (  # noqa: E402
    KeyFrequencies,
    MatchIndex,
    estimate_key_frequencies,
    per_subscription,
)
from alerts.query import PreparedArticle, Query, Reasons, parse_query  # noqa: E402
from alerts.types import ArticleView  # noqa: E402
from bench.matching_data import (  # noqa: E402
    QueryMaker,
    build_articles,
    build_general_articles,
    load_corpus,
)
from config.catalog import load_catalog  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SIZES = (10, 1_000, 10_000, 100_000)
FREQUENCY_SAMPLE = 500
NAIVE_SAMPLE = {10: 100, 1_000: 100, 10_000: 30, 100_000: 10}
"""At most this many articles for the naive loop (it takes seconds per article at 100,000)."""
API_SAMPLE = {10: 100, 1_000: 20, 10_000: 5, 100_000: 2}
Subscriptions = Sequence[tuple[int, Query]]
Matches = list[tuple[int, Reasons]]


@dataclass(frozen=True)
class Timing:
    """The figures of one size on one set of articles."""

    index_mean_us: float
    index_median_us: float
    candidates: float
    matches: float
    queries: float
    """Distinct queries matched: the entries :meth:`MatchIndex.match` returns."""
    pairs_mean_us: float
    """Index time plus pairing each subscription with its reasons (the alert writer's step)."""
    naive_articles: int
    naive_us: float
    api_articles: int
    api_us: float
    index_on_naive_us: float
    index_on_api_us: float


@dataclass(frozen=True)
class Row:
    """The figures of one size."""

    size: int
    distinct: int
    always: int
    build_s: float
    memory_mb: float
    automaton_mb: float
    sets: dict[str, Timing]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles in each set")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes of the index")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    console = Console(width=140)
    catalog = load_catalog()
    corpus = load_corpus(catalog)
    sets = {
        "AI stories": build_articles(corpus, catalog, random.Random(args.seed), args.articles,
                                     NOW),
        "general news": build_general_articles(corpus, random.Random(args.seed), args.articles,
                                               NOW),
    }
    sample = build_articles(corpus, catalog, random.Random(args.seed + 1), FREQUENCY_SAMPLE, NOW)
    frequencies = estimate_key_frequencies(sample)
    texts = QueryMaker(corpus, random.Random(args.seed + 2)).make(max(SIZES))
    started = time.perf_counter()
    parsed = [parse_query(text, catalog) for text in texts]
    parse_s = time.perf_counter() - started
    subscriptions = [(number, query) for number, query in enumerate(parsed, start=1)
                     if isinstance(query, Query)]
    _describe_inputs(console, sets, len(texts), parse_s, len(texts) - len(subscriptions))
    rows = [_measure(size, subscriptions[:size], sets, frequencies, args.repeat)
            for size in SIZES]
    for name in sets:
        _print_set(console, name, rows)
    _print_build(console, rows)
    _print_goals(console, rows, list(sets))


def _describe_inputs(
    console: Console, sets: dict[str, list[ArticleView]], queries: int, parse_s: float,
    refused: int,
) -> None:
    for name, articles in sets.items():
        chars = statistics.mean(len(a.title) + len(a.text) for a in articles)
        mentions = statistics.mean(len(a.entities) for a in articles)
        reactions = statistics.mean(len(a.reactions) for a in articles)
        console.print(f"{name}: {len(articles)} articles, mean {chars:,.0f} characters, "
                      f"{mentions:.1f} tagged mentions, {reactions:.2f} stock reactions")
    console.print(f"queries: {queries:,} generated, parsed in {parse_s:.2f} s "
                  f"({parse_s / queries * 1e6:.0f} µs each); {refused} refused by the parser")


def _measure(
    size: int, subscriptions: Subscriptions, sets: dict[str, list[ArticleView]],
    frequencies: KeyFrequencies, repeat: int,
) -> Row:
    gc.collect()
    started = time.perf_counter()
    index = MatchIndex.build(subscriptions, frequencies=frequencies)
    build_s = time.perf_counter() - started
    memory = _build_memory(subscriptions, frequencies)
    gc.collect()
    gc.freeze()  # as the daemon should once its index is built: no full collections over it
    timings = {name: _time_set(index, subscriptions, articles, repeat)
               for name, articles in sets.items()}
    stats = index.stats()
    gc.unfreeze()
    return Row(size, stats.queries, stats.always, build_s, memory, stats.automaton_bytes / 1e6,
               timings)


def _time_set(
    index: MatchIndex, subscriptions: Subscriptions, articles: Sequence[ArticleView],
    repeat: int,
) -> Timing:
    best = [float("inf")] * len(articles)
    paired = [float("inf")] * len(articles)
    answers: list[Matches] = []
    queries: list[int] = []
    for article in articles:  # warm-up, and the answers to check the naive loops against
        found = index.match(article, NOW)
        queries.append(len(found))
        answers.append(sorted(per_subscription(found)))
    for _ in range(repeat):  # one pass each, so that neither follows the same article
        for number, article in enumerate(articles):
            started = time.perf_counter_ns()
            index.match(article, NOW)
            best[number] = min(best[number], (time.perf_counter_ns() - started) / 1000)
        for number, article in enumerate(articles):
            started = time.perf_counter_ns()
            per_subscription(index.match(article, NOW))
            paired[number] = min(paired[number], (time.perf_counter_ns() - started) / 1000)
    size = len(subscriptions)
    naive = articles[:NAIVE_SAMPLE[size]]
    api = articles[:API_SAMPLE[size]]
    return Timing(
        statistics.mean(best), statistics.median(best),
        statistics.mean(len(index.candidates(article)) for article in articles),
        statistics.mean(len(found) for found in answers), statistics.mean(queries),
        statistics.mean(paired),
        len(naive), statistics.mean(_time_naive(subscriptions, naive, answers, _naive_shared)),
        len(api), statistics.mean(_time_naive(subscriptions, api, answers, _naive_api)),
        statistics.mean(best[: len(naive)]), statistics.mean(best[: len(api)]),
    )


def _naive_shared(subscriptions: Subscriptions, article: ArticleView) -> Matches:
    prepared = PreparedArticle(article)
    found: Matches = []
    for subscription_id, query in subscriptions:
        reasons = query.evaluate(prepared, NOW)
        if reasons is not None:
            found.append((subscription_id, reasons))
    return found


def _naive_api(subscriptions: Subscriptions, article: ArticleView) -> Matches:
    found: Matches = []
    for subscription_id, query in subscriptions:
        reasons = query.matches(article, NOW)
        if reasons is not None:
            found.append((subscription_id, reasons))
    return found


def _time_naive(
    subscriptions: Subscriptions, articles: Sequence[ArticleView], answers: Sequence[Matches],
    loop: Callable[[Subscriptions, ArticleView], Matches],
) -> list[float]:
    """Per-article µs of a naive loop; raises if its answer differs from the index's."""
    timings: list[float] = []
    for article, expected in zip(articles, answers, strict=False):
        started = time.perf_counter_ns()
        found = loop(subscriptions, article)
        timings.append((time.perf_counter_ns() - started) / 1000)
        if sorted(found) != expected:
            raise AssertionError(f"index and naive loop disagree on article {article.article_id}")
    return timings


def _build_memory(subscriptions: Subscriptions, frequencies: KeyFrequencies) -> float:
    """MB allocated (and still held) by building the index, as traced by tracemalloc."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = MatchIndex.build(subscriptions, frequencies=frequencies)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del index
    return held / 1e6


def _print_set(console: Console, name: str, rows: Sequence[Row]) -> None:
    table = Table(title=f"{name}: time per article (one core)")
    for column in ("subscriptions", "index mean", "index median", "+ pairs", "candidates",
                   "matches", "queries", "naive", "naive / index", "naive API", "API / index"):
        table.add_column(column, justify="right")
    for row in rows:
        t = row.sets[name]
        table.add_row(
            f"{row.size:,}", f"{t.index_mean_us:,.0f} µs", f"{t.index_median_us:,.0f} µs",
            f"{t.pairs_mean_us:,.0f} µs", f"{t.candidates:,.1f}", f"{t.matches:,.1f}",
            f"{t.queries:,.1f}",
            f"{t.naive_us / 1000:,.2f} ms ({t.naive_articles})",
            f"{t.naive_us / t.index_on_naive_us:,.0f}x",
            f"{t.api_us / 1000:,.1f} ms ({t.api_articles})",
            f"{t.api_us / t.index_on_api_us:,.0f}x",
        )
    console.print(table)


def _print_build(console: Console, rows: Sequence[Row]) -> None:
    table = Table(title="Index build")
    for column in ("subscriptions", "distinct queries", "always checked", "build time",
                   "memory (traced)", "automaton"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(f"{row.size:,}", f"{row.distinct:,}", f"{row.always:,}",
                      f"{row.build_s:.2f} s", f"{row.memory_mb:,.1f} MB",
                      f"{row.automaton_mb:,.2f} MB")
    console.print(table)


def _print_goals(console: Console, rows: Sequence[Row], names: Sequence[str]) -> None:
    by_size = {row.size: row for row in rows}
    for name in names:
        small, large, mid = (by_size[size].sets[name] for size in (10, 100_000, 10_000))
        growth = large.index_mean_us / small.index_mean_us
        median_growth = large.index_median_us / small.index_median_us
        speedup = mid.naive_us / mid.index_on_naive_us
        api_speedup = mid.api_us / mid.index_on_api_us
        console.print(
            f"{name}: time at 100,000 / time at 10 = {growth:.1f}x by mean, "
            f"{median_growth:.1f}x by median (goal <= 3x: {_verdict(growth <= 3)}); "
            f"at 10,000 the index is {speedup:,.0f}x faster than the naive loop "
            f"(goal >= 100x: {_verdict(speedup >= 100)}) and {api_speedup:,.0f}x faster than "
            f"calling Query.matches per query")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
