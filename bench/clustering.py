"""Benchmark: story clustering's pairwise precision and recall, order independence and speed.

Accuracy: :class:`pipeline.clustering.StoryClusterer` clusters the demo site's stories (several
outlets covering one event share a ``cluster`` key), the extraction benchmark's 181 real news
pages (14 events covered by several outlets, labelled in ``bench/clustering_real_stories.toml``)
and both together (``bench/clustering_data.py``), in publication order and in ``--shuffles``
random orders. Every pair of articles is one same-story decision; the table shows pairwise
precision, recall and F1 next to the baseline of near-duplicate detection alone (URL + MinHash
LSH, what plain dedup finds), the worst F1 over the shuffles and how many distinct partitions
the orders gave. ``--pairs`` prints the score of every true pair and of the closest false ones
(everything remembered at once), to see the margins.

Speed and memory: articles per second through ``add`` into a window of ``--scale`` synthetic
articles (paragraphs of the real articles recombined, spread over a week), the memory that
window holds and the cost of rebuilding it from signatures.

    python bench/clustering.py [--shuffles 20] [--pairs] [--scale 3000] [--ner]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.clustering_data import (  # noqa: E402
    DEMO_START,
    LabelledArticle,
    PairCounts,
    TagMany,
    demo_articles,
    partition_of,
    real_articles,
    score_partition,
    wrong_pairs,
)
from config.catalog import load_catalog  # noqa: E402
from config.settings import NlpSettings  # noqa: E402
from pipeline.clustering import StoryClusterer  # noqa: E402
from pipeline.nlp.tagger import Tagger  # noqa: E402
from pipeline.story_types import ClusteringParams, ClusterInput  # noqa: E402

BENCHMARK_DIR = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
DEDUP_ONLY = ClusteringParams(join_score=2.0)
"""The baseline: only the same URL or a near-duplicate text joins a story."""


def cluster(
    articles: Sequence[LabelledArticle], params: ClusteringParams
) -> tuple[dict[int, int], float]:
    """Story id per article id, and the seconds ``add`` took in all."""
    clusterer = StoryClusterer(params)
    stories: dict[int, int] = {}
    started = time.perf_counter()
    for labelled in articles:
        stories[labelled.article.article_id] = clusterer.add(labelled.article).resolved_story_id
    return stories, time.perf_counter() - started


def in_publication_order(articles: Sequence[LabelledArticle]) -> list[LabelledArticle]:
    """Sorted by publication time, then id."""
    return sorted(articles, key=lambda a: (a.article.seen_at, a.article.article_id))


Ignored = frozenset[tuple[int, int]]
PairRow = tuple[float, float, float, float, str, str]
ArticleSet = tuple[list[LabelledArticle], Ignored]


def evaluate(
    articles: Sequence[LabelledArticle], ignored: Ignored, params: ClusteringParams, shuffles: int
) -> tuple[PairCounts, PairCounts, int, float]:
    """Scores in publication order, the worst F1 over shuffles, distinct partitions, ms/article."""
    truth = {a.article.article_id: a.label for a in articles}
    ordered = in_publication_order(articles)
    stories, seconds = cluster(ordered, params)
    first = score_partition(stories, truth, ignored)
    worst = first
    partitions = {partition_of(stories.items())}
    rng = random.Random(20261120)
    for _ in range(shuffles):
        shuffled = list(articles)
        rng.shuffle(shuffled)
        stories, _ = cluster(shuffled, params)
        partitions.add(partition_of(stories.items()))
        counts = score_partition(stories, truth, ignored)
        worst = counts if counts.f1 < worst.f1 else worst
    return first, worst, len(partitions), 1000 * seconds / max(1, len(articles))


def accuracy_table(sets: dict[str, ArticleSet], shuffles: int) -> Table:
    """One row per (article set, method)."""
    table = Table(title=f"Pairwise same-story decisions (publication order; worst of {shuffles} "
                  "shuffles)")
    for column in ("set", "method", "articles", "P", "R", "F1", "TP/FP/FN", "worst F1",
                   "partitions", "ms/article"):
        table.add_column(column, justify="left" if column in ("set", "method") else "right")
    for name, (articles, ignored) in sets.items():
        for method, params in (("newsmon", ClusteringParams()), ("dedup only", DEDUP_ONLY)):
            first, worst, partitions, ms = evaluate(articles, ignored, params, shuffles)
            table.add_row(
                name, method, str(len(articles)), f"{first.precision:.3f}",
                f"{first.recall:.3f}", f"{first.f1:.3f}",
                f"{first.true_positives}/{first.false_positives}/{first.false_negatives}",
                f"{worst.f1:.3f}", str(partitions), f"{ms:.2f}",
            )
    return table


def print_errors(console: Console, articles: Sequence[LabelledArticle], ignored: Ignored) -> None:
    """The wrongly joined and wrongly separated pairs in publication order."""
    truth = {a.article.article_id: a.label for a in articles}
    titles = {a.article.article_id: a.article.title[:60] for a in articles}
    stories, _ = cluster(in_publication_order(articles), ClusteringParams())
    joined, split = wrong_pairs(stories, truth, ignored)
    for kind, pairs in (("falsely joined", joined), ("wrongly split", split)):
        for left, right in pairs:
            console.print(f"  {kind}: {titles[left]}  +  {titles[right]}", highlight=False)


def print_pair_scores(console: Console, articles: Sequence[LabelledArticle]) -> None:
    """Every true pair's score and the highest-scoring false pairs, with everything remembered."""
    by_id = {a.article.article_id: a for a in articles}
    clusterer = StoryClusterer.restored((a.article, a.article.article_id) for a in articles)
    true_rows: list[PairRow] = []
    false_rows: list[PairRow] = []
    for left in by_id.values():
        for right in by_id.values():
            if left.article.article_id >= right.article.article_id:
                continue
            scored = clusterer.explain(left.article, right.article.article_id)
            if scored is None:
                continue
            row = (scored.score, scored.entities, scored.title, scored.text,
                   left.article.title[:50], right.article.title[:50])
            (true_rows if left.label == right.label else false_rows).append(row)
    console.print("[bold]Same-story pairs[/bold] (score, entities, title, text)")
    for row in sorted(true_rows):
        console.print(_pair_line(row), highlight=False)
    console.print("[bold]Closest different-story pairs[/bold]")
    for row in sorted(false_rows, reverse=True)[:25]:
        console.print(_pair_line(row), highlight=False)


def _pair_line(row: PairRow) -> str:
    score, entities, title, text, left, right = row
    return f"  {score:.3f}  e{entities:.2f} t{title:.2f} x{text:.2f}  {left} + {right}"


def synthetic_articles(source: Sequence[LabelledArticle], count: int) -> list[ClusterInput]:
    """``count`` articles made of paragraphs of ``source`` recombined, over one week."""
    rng = random.Random(7)
    paragraphs = [p for a in source for p in a.article.text.split("\n") if len(p.split()) > 12]
    step = timedelta(days=7) / count
    made: list[ClusterInput] = []
    for index in range(count):
        donor = rng.choice(source).article
        text = "\n\n".join(rng.sample(paragraphs, 6))
        made.append(replace(
            donor, article_id=100_000 + index, canonical_url=f"https://s.example/{index}",
            text=text, published_at=DEMO_START + step * index,
            fetched_at=DEMO_START + step * index, signature=None,
        ))
    return made


def speed(console: Console, source: Sequence[LabelledArticle], scale: int) -> None:
    """Throughput of ``add`` over ``scale`` synthetic articles, then the memory of that window
    (traced while rebuilding it from signatures) and the cost of the rebuild."""
    articles = synthetic_articles(source, scale)
    clusterer = StoryClusterer()
    started = time.perf_counter()
    assignments = [clusterer.add(article) for article in articles]
    seconds = time.perf_counter() - started
    stored = [
        (replace(a, text="", signature=done.signature), done.resolved_story_id)
        for a, done in zip(articles, assignments, strict=True)
    ]
    tracemalloc.start()
    started = time.perf_counter()
    restored = StoryClusterer.restored(stored)
    restore_seconds = time.perf_counter() - started
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = clusterer.stats()
    assert restored.stats() == stats
    size = sum(len(done.signature) for done in assignments) / len(assignments)
    console.print(
        f"{scale} synthetic articles over 7 days: {scale / seconds:.0f} articles/s through add "
        f"({1000 * seconds / scale:.1f} ms each) into a window of {stats.articles} articles in "
        f"{stats.stories} stories; window memory {traced / 2**20:.1f} MiB traced "
        f"({traced / stats.articles / 1024:.1f} KiB per article); restart from signatures "
        f"{1000 * restore_seconds / scale:.2f} ms per article (traced); signature "
        f"{size:.0f} bytes on average"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shuffles", type=int, default=20)
    parser.add_argument("--pairs", action="store_true", help="print pair scores and margins")
    parser.add_argument("--scale", type=int, default=3000, help="synthetic window size (0: skip)")
    parser.add_argument("--ner", action="store_true", help="tag with the statistical NER too")
    args = parser.parse_args(argv)
    console = Console()
    settings = NlpSettings() if args.ner else NlpSettings(ner_model="")
    tag_many: TagMany = Tagger.build(load_catalog(), settings).tag_many
    demo = demo_articles(tag_many)
    sets: dict[str, ArticleSet] = {"demo": (demo, frozenset())}
    if BENCHMARK_DIR.is_dir():
        real, ignored = real_articles(
            BENCHMARK_DIR, tag_many, DEMO_START - timedelta(hours=40), timedelta(hours=48)
        )
        sets["real (181)"] = (real, ignored)
        sets["demo + real"] = (demo + real, ignored)
    console.print(accuracy_table(sets, args.shuffles))
    for name, (articles, ignored) in sets.items():
        if name != "demo + real":
            console.print(f"[bold]{name}[/bold]: errors in publication order")
            print_errors(console, articles, ignored)
    if args.pairs:
        print_pair_scores(console, sets[list(sets)[-1]][0])
    if args.scale:
        speed(console, sets[list(sets)[-1]][0], args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
