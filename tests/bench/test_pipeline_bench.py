"""The end-to-end benchmark's functions on a tiny run: a dozen generated articles served from
127.0.0.1 are crawled, stored, tagged (rules only), clustered and matched against a few
subscriptions, every stage is timed, and every article reaches the matched state; the latency
figures are computed right from publication and arrival times."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx
import pytest
from rich.console import Console

from bench.matching_data import load_corpus
from bench.pipeline import counts_table, latency_table, outlets_for, throughput_table
from bench.pipeline_latency import LatencyResult, distinct_stories, percentile
from bench.pipeline_site import FEED_SIZE, BenchSite, generate_articles, publish_at_random
from bench.pipeline_throughput import (
    STAGES,
    make_queries,
    run_baselines,
    run_overlapped,
    run_throughput,
)
from config.catalog import load_catalog

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    corpus = load_corpus(catalog)
    articles = generate_articles(corpus, catalog, count=12, outlets=3, seed=3, now=NOW)
    return articles, make_queries(corpus, catalog, 20, seed=5)


@pytest.mark.slow
def test_every_article_is_crawled_stored_tagged_and_matched(inputs) -> None:  # type: ignore[no-untyped-def]
    articles, queries = inputs
    result = run_throughput(articles, 3, queries, ner=False)
    assert (result.stored, result.tagged, result.matched) == (12, 12, 12)
    assert set(result.seconds) == {*STAGES, "deliver"}
    assert all(result.seconds[stage] > 0 for stage in STAGES)
    assert result.per_second() > 0 and result.per_second("tag") > result.per_second()
    assert result.sent == result.deliveries  # one outbox pass sent every delivery
    baselines = {False: run_baselines(articles, 3, ner=False, fetch=True)}
    assert set(baselines[False].seconds) == {"fetch", "extract", "spacy"}
    console = Console(width=200, record=True)
    console.print(throughput_table([result], baselines))
    console.print(counts_table([result]))
    text = console.export_text()
    assert "end to end" in text and "NER off" in text


def test_feeds_list_what_is_visible_and_answer_304_when_unchanged(inputs) -> None:  # type: ignore[no-untyped-def]
    articles, _ = inputs
    clock = [1000.0]
    scheduled = publish_at_random(articles[:6], start=1010.0, seconds=10.0, seed=1)
    with BenchSite(scheduled, 3, clock=lambda: clock[0]) as site, httpx.Client() as client:
        assert "<item>" not in client.get(site.feed_url(0)).text
        clock[0] = 1030.0
        first = client.get(site.feed_url(0))
        shown = [a for a in scheduled if a.outlet == 0]
        assert first.text.count("<item>") == len(shown)
        assert all(site.first_listed[a.path] == 1030.0 for a in shown)
        again = client.get(site.feed_url(0), headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        page = client.get(site.base_url + scheduled[0].path)
        assert page.status_code == 200 and len(page.content) > 40_000
        assert scheduled[0].title.split()[0] in page.text


def test_enough_outlets_that_every_article_is_in_a_feed() -> None:
    assert outlets_for(FEED_SIZE * 10 + 1, 4) == 11
    assert outlets_for(10, 4) == 4


def test_latency_figures(inputs) -> None:  # type: ignore[no-untyped-def]
    articles, _ = inputs
    assert len(distinct_stories(articles + articles, 100)) == len(distinct_stories(articles, 100))
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.95) == 5.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0
    assert math.isnan(percentile([], 0.5))
    result = LatencyResult(60, 3, (61.0, 30.0), (58.0, 27.0), (3.0, 3.0), folded=1, missing=0,
                           daemon_log="")
    console = Console(width=200, record=True)
    console.print(latency_table(result))
    text = " ".join(console.export_text().split())
    assert "2 alerts for 3 articles (1 folded" in text
    assert "│ publication -> alert at the receiver │ 45.5 │ 61.0 │ 61.0 │" in text


@pytest.mark.slow
def test_crawl_and_processing_at_once_match_every_article(inputs) -> None:  # type: ignore[no-untyped-def]
    articles, queries = inputs
    seconds, matched = run_overlapped(articles, 3, queries, ner=False)
    assert matched == len(articles) == 12
    assert seconds > 0
