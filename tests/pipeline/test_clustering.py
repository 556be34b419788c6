"""Story clustering: copies, URL twins, the demo's multi-outlet stories, order, window, restart.

The demo site's fictional stories (``newsmon/demo/stories/*.toml``) are the ground truth: stories
sharing a ``cluster`` key are one event covered by several outlets. They are tagged with the
real rules-only tagger, title and body apart, as the tagging step does.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bench.clustering_data import (
    LabelledArticle,
    PairCounts,
    demo_articles,
    partition_of,
    score_partition,
)
from config.catalog import load_catalog
from config.settings import NlpSettings
from pipeline.clustering import (
    ClusteringParams,
    ClusterInput,
    StoryAssignment,
    StoryClusterer,
    WindowStats,
    entity_key,
    signature_bytes,
)
from pipeline.nlp.tagger import Tagger
from pipeline.nlp.types import EntityMention, EntityType
from pipeline.story_features import MAGIC, decode_signature
from pipeline.story_scoring import time_factor

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> list[LabelledArticle]:
    """The demo stories, and the syndicated copy, tagged; in catalog order."""
    tagger = Tagger.build(load_catalog(), NlpSettings(ner_model=""))
    return demo_articles(tagger.tag_many)


def by_name(articles: Iterable[LabelledArticle], name: str) -> ClusterInput:
    return next(a.article for a in articles if a.name == name)


def in_publication_order(articles: Iterable[LabelledArticle]) -> list[LabelledArticle]:
    return sorted(articles, key=lambda a: (a.article.seen_at, a.article.article_id))


def cluster_all(articles: Sequence[ClusterInput], params: ClusteringParams | None = None
                ) -> tuple[StoryClusterer, dict[int, StoryAssignment]]:
    clusterer = StoryClusterer(params)
    return clusterer, {a.article_id: clusterer.add(a) for a in articles}


def stories(assignments: dict[int, StoryAssignment]) -> dict[int, int]:
    return {article_id: a.resolved_story_id for article_id, a in assignments.items()}


def article(article_id: int, title: str, text: str, *, at: datetime = T0,
            url: str | None = None, entities: tuple[str, ...] = ()) -> ClusterInput:
    return ClusterInput(
        article_id=article_id, canonical_url=url or f"https://news.example/{article_id}",
        title=title, text=text, fetched_at=at, published_at=at, entities=entities,
    )


def lightly_edited(text: str) -> str:
    """A wire copy as a partner runs it: a dateline changed, a sentence cut, a credit added."""
    paragraphs = text.split("\n\n")
    paragraphs[0] = paragraphs[0].replace("(Circuit Wire)", "(Harbor Ledger, from Circuit Wire)")
    paragraphs[1] = paragraphs[1].split(". ", 1)[-1]
    edited = "\n\n".join(paragraphs).replace(" said,", " told reporters,")
    return edited + "\n\nThis story was provided by Circuit Wire and edited by Harbor Ledger."


# --- the demo's multi-outlet stories ---------------------------------------------------------


def test_demo_stories_cluster_exactly_as_labelled(demo: list[LabelledArticle]) -> None:
    ordered = in_publication_order(demo)
    _, assignments = cluster_all([a.article for a in ordered])
    truth = {a.article.article_id: a.label for a in demo}
    counts = score_partition(stories(assignments), truth)
    print(f"demo pairwise: P={counts.precision:.3f} R={counts.recall:.3f} "
          f"(TP {counts.true_positives}, FP {counts.false_positives}, "
          f"FN {counts.false_negatives})")
    assert counts == PairCounts(true_positives=9, false_positives=0, false_negatives=0)


def test_every_cluster_key_becomes_one_story_and_says_why(demo: list[LabelledArticle]) -> None:
    ordered = in_publication_order(demo)
    _, assignments = cluster_all([a.article for a in ordered])
    groups: dict[str, set[int]] = {}
    for labelled in demo:
        story = assignments[labelled.article.article_id].resolved_story_id
        groups.setdefault(labelled.label, set()).add(story)
    assert all(len(story_ids) == 1 for story_ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == len(groups)
    later = assignments[by_name(demo, "ledger/meta-shares-rise-muse-spark-debut").article_id]
    assert later.story_id == by_name(demo, "wire/meta-unveils-muse-spark").article_id
    assert any("meta/muse-spark" in reason for reason in later.reasons), later.reasons


def test_different_stories_about_the_same_company_stay_apart(
    demo: list[LabelledArticle],
) -> None:
    ordered = in_publication_order(demo)
    clusterer, _ = cluster_all([a.article for a in ordered])
    apart = [
        # two Nvidia stories a day apart: a supply deal, a sell-off after a rival's model
        ("wire/nvidia-anthropic-rubin-supply-deal",
         "ledger/chipmakers-slide-after-deepseek-release"),
        # Mistral: a funding round, then a model release "hours after" it
        ("wire/mistral-ai-raises-3-4-billion-euros", "labs/mistral-magistral-small-2-apache"),
        # Anthropic: the Nvidia deal, then a funding round that mentions it
        ("wire/nvidia-anthropic-rubin-supply-deal", "ledger/anthropic-valuation-rises-420-billion"),
        # "Spark": Databricks' Spark Pilot is not Meta's Muse Spark
        ("wire/databricks-spark-pilot-agents", "wire/meta-unveils-muse-spark"),
    ]
    for left, right in apart:
        left_story = clusterer.story_of(by_name(demo, left).article_id)
        right_story = clusterer.story_of(by_name(demo, right).article_id)
        assert left_story is not None and left_story != right_story, (left, right)


def test_the_partition_does_not_depend_on_arrival_order(demo: list[LabelledArticle]) -> None:
    expected = partition_of(
        stories(cluster_all([a.article for a in in_publication_order(demo)])[1]).items()
    )
    rng = random.Random(20261120)
    for _ in range(8):
        shuffled = [a.article for a in demo]
        rng.shuffle(shuffled)
        assert partition_of(stories(cluster_all(shuffled)[1]).items()) == expected


# --- copies and URL twins --------------------------------------------------------------------


def test_a_syndicated_copy_with_small_edits_joins_its_original(
    demo: list[LabelledArticle],
) -> None:
    original = by_name(demo, "wire/amazon-north-carolina-ai-data-centre")
    copy = replace(
        original, article_id=500, canonical_url="https://ledger.example/tech/amazon-campus",
        title="Amazon plans $18bn AI data-centre campus near Raleigh",
        text=lightly_edited(original.text), entities=(), title_entities=(),
        fetched_at=original.fetched_at + timedelta(hours=5),
        published_at=original.seen_at + timedelta(hours=5),
    )
    clusterer, _ = cluster_all([a.article for a in in_publication_order(demo)
                                if "(syndicated)" not in a.name])
    assignment = clusterer.add(copy)
    assert assignment.story_id == original.article_id
    assert assignment.matched_article_id == original.article_id
    assert assignment.reasons[0].startswith("near-duplicate text"), assignment.reasons
    assert 0.5 <= assignment.score < 1.0


def test_a_shared_footer_does_not_make_two_stories_near_duplicates(
    demo: list[LabelledArticle],
) -> None:
    footer = (
        "\n\nCircuit Wire is an independent technology newswire. Our journalists follow the "
        "companies, laboratories and regulators that shape artificial intelligence, and we "
        "correct our errors openly. To report a mistake, write to the standards desk; to license "
        "this story, contact our syndication team. Copyright Circuit Wire, all rights reserved."
    )
    first = by_name(demo, "wire/amazon-north-carolina-ai-data-centre")
    second = by_name(demo, "signal/microsoft-nuclear-power-deal-ohio")
    clusterer = StoryClusterer()
    clusterer.add(replace(first, text=first.text + footer))
    assignment = clusterer.add(replace(second, text=second.text + footer))
    assert assignment.is_new_story, assignment.reasons


def test_a_tracking_parameter_twin_of_the_url_joins_the_story(
    demo: list[LabelledArticle],
) -> None:
    copy = next(a for a in demo if a.name.endswith("(syndicated)")).article
    assert "utm_source=" in copy.canonical_url
    _, assignments = cluster_all([a.article for a in in_publication_order(demo)])
    original = by_name(demo, "wire/amazon-north-carolina-ai-data-centre")
    assert assignments[copy.article_id].story_id == original.article_id
    assert assignments[copy.article_id].reasons == (
        f"same canonical URL as article {original.article_id}",
    )


def test_the_same_url_joins_even_when_the_text_differs() -> None:
    clusterer = StoryClusterer()
    clusterer.add(article(1, "Chipmaker results", "Full text of the results story. " * 20,
                          url="https://wire.example/2026/results"))
    teaser = clusterer.add(article(
        2, "Chipmaker beats forecasts", "A two-line teaser.",
        url="https://wire.example/2026/results?utm_medium=feed&utm_source=rss",
    ))
    assert teaser.story_id == 1


# --- the window, time, restarts ---------------------------------------------------------------


def body(demo: list[LabelledArticle], name: str) -> str:
    return by_name(demo, name).text


def test_articles_beyond_the_window_are_forgotten(demo: list[LabelledArticle]) -> None:
    text = body(demo, "wire/amazon-north-carolina-ai-data-centre")
    clusterer = StoryClusterer()
    clusterer.add(article(1, "Amazon campus", text, entities=("amazon", "aws")))
    clusterer.add(article(2, "Nuclear deal", body(demo, "signal/microsoft-nuclear-power-deal-ohio"),
                          at=T0 + timedelta(days=3), entities=("microsoft",)))
    assert len(clusterer) == 2
    late_copy = clusterer.add(article(3, "Amazon campus", text, at=T0 + timedelta(days=7, hours=1)))
    assert late_copy.is_new_story  # article 1 was evicted, from the LSH index too
    assert clusterer.story_of(1) is None
    stats = clusterer.stats()
    assert (stats.articles, stats.urls, stats.near_duplicate_texts) == (2, 2, 2)
    assert stats.distinct_entities == 1  # "amazon" and "aws" went with article 1
    assert clusterer.evict(T0 + timedelta(days=30)) == 2
    assert clusterer.stats() == WindowStats(0, 0, 0, 0, 0, 0, 0, 0)


def test_a_copy_within_the_window_still_joins_days_later(demo: list[LabelledArticle]) -> None:
    text = body(demo, "wire/amazon-north-carolina-ai-data-centre")
    clusterer = StoryClusterer()
    clusterer.add(article(1, "Amazon campus", text))
    copy = clusterer.add(article(2, "Amazon's campus, revisited", text, at=T0 + timedelta(days=5)))
    assert copy.story_id == 1
    assert copy.reasons[0].startswith("near-duplicate text")


def test_an_article_older_than_the_window_is_answered_but_not_remembered(
    demo: list[LabelledArticle],
) -> None:
    clusterer = StoryClusterer()
    clusterer.add(article(1, "Today", body(demo, "wire/amazon-north-carolina-ai-data-centre")))
    old = clusterer.add(article(2, "Long ago", body(demo, "signal/chatbots-thanksgiving-table"),
                                at=T0 - timedelta(days=9)))
    assert old.is_new_story
    assert clusterer.story_of(2) is None


def test_time_proximity_fades_then_stops() -> None:
    params = ClusteringParams()
    assert time_factor(3, params) == 1.0
    assert time_factor(24, params) == 1.0
    assert 0.8 < time_factor(48, params) < 1.0
    assert time_factor(72, params) == pytest.approx(params.gap_floor)
    assert time_factor(73, params) == 0.0


def test_different_wordings_four_days_apart_are_different_stories(
    demo: list[LabelledArticle],
) -> None:
    first = by_name(demo, "wire/meta-unveils-muse-spark")
    second = by_name(demo, "signal/meta-muse-spark-closed-model")
    clusterer = StoryClusterer()
    clusterer.add(first)
    assert clusterer.add(replace(second, published_at=first.seen_at + timedelta(hours=2),
                                 fetched_at=first.seen_at + timedelta(hours=2))).story_id == 1
    late = StoryClusterer()
    late.add(first)
    four_days = first.seen_at + timedelta(days=4)
    assert late.add(replace(second, published_at=four_days, fetched_at=four_days)).is_new_story


def test_a_restart_from_signatures_gives_the_same_assignments(
    demo: list[LabelledArticle],
) -> None:
    ordered = [a.article for a in in_publication_order(demo)]
    before, after = ordered[:13], ordered[13:]
    live, assignments = cluster_all(before)
    stored = [
        (replace(a, text="", signature=assignments[a.article_id].signature),
         assignments[a.article_id].resolved_story_id)
        for a in before
    ]
    restarted = StoryClusterer.restored(stored)
    assert restarted.stats() == live.stats()
    assert all(restarted.story_of(a.article_id) == live.story_of(a.article_id) for a in before)
    for item in after:
        expected, got = live.add(item), restarted.add(item)
        assert (got.story_id, got.matched_article_id) == (expected.story_id,
                                                           expected.matched_article_id)
        assert got.score == pytest.approx(expected.score)
        assert got.signature == expected.signature


def test_adding_an_article_twice_answers_its_story_again() -> None:
    clusterer = StoryClusterer()
    first = clusterer.add(article(1, "Port strike ends", "Dock workers voted to return."))
    again = clusterer.add(article(1, "Port strike ends", "Dock workers voted to return."))
    assert first.is_new_story and again.is_new_story
    assert again.reasons == ("already clustered",)
    assert len(clusterer) == 1


def with_entities(item: ClusterInput, *keys: str, article_id: int | None = None) -> ClusterInput:
    return replace(item, article_id=article_id or item.article_id, entities=keys,
                   title_entities=(), stock_reactions=())


def test_sharing_a_rare_entity_counts_for_more_than_sharing_a_common_one(
    demo: list[LabelledArticle],
) -> None:
    clusterer = StoryClusterer()
    for index, labelled in enumerate(in_publication_order(demo)):
        clusterer.remember(with_entities(labelled.article, "openai", "nvidia",
                                         article_id=index + 100), index + 100)
    first = by_name(demo, "wire/meta-unveils-muse-spark")
    second = by_name(demo, "signal/meta-muse-spark-closed-model")
    clusterer.remember(with_entities(first, "openai", "meta/muse-spark", article_id=1), 1)
    common = clusterer.explain(with_entities(second, "openai"), 1)
    rare = clusterer.explain(with_entities(second, "meta/muse-spark"), 1)
    without = clusterer.explain(with_entities(second), 1)
    assert common is not None and rare is not None and without is not None
    assert without.entities == 0.0 < common.entities < rare.entities
    assert without.score < common.score < rare.score
    assert rare.shared_entities == ("meta/muse-spark",)
    assert any(reason.startswith("entities") for reason in rare.reasons())


# --- signatures -------------------------------------------------------------------------------


def test_signatures_are_deterministic_and_round_trip(demo: list[LabelledArticle]) -> None:
    item = by_name(demo, "wire/meta-unveils-muse-spark")
    data = signature_bytes(item)
    assert data.startswith(MAGIC)
    assert data == StoryClusterer().signature(item) == signature_bytes(replace(item))
    params = ClusteringParams()
    profile = decode_signature(data, params, StoryClusterer(params)._hasher)
    assert profile is not None and profile.sketch is not None
    assert profile.shingle_count > 300 and len(profile.terms) > 100
    assert StoryClusterer().signature(replace(item, text="", signature=data)) == data


@pytest.mark.parametrize(
    "signature",
    [b"", b"garbage", b"NMS9" + bytes(40), b"NMS1\x05" + bytes(60)],
    ids=["empty", "garbage", "other-version", "truncated"],
)
def test_a_bad_or_stale_signature_is_recomputed_from_the_text(
    demo: list[LabelledArticle], signature: bytes
) -> None:
    item = by_name(demo, "wire/meta-unveils-muse-spark")
    assert signature_bytes(replace(item, signature=signature)) == signature_bytes(item)


def test_a_signature_made_with_other_parameters_is_not_trusted(
    demo: list[LabelledArticle],
) -> None:
    item = by_name(demo, "wire/meta-unveils-muse-spark")
    other = signature_bytes(item, ClusteringParams(shingle_size=4))
    assert signature_bytes(replace(item, signature=other)) == signature_bytes(item)
    assert signature_bytes(replace(item, signature=other), ClusteringParams(num_perm=128)) \
        != signature_bytes(item)


# --- helpers ----------------------------------------------------------------------------------


def test_entity_keys_use_catalog_ids_else_folded_names() -> None:
    known = EntityMention(EntityType.MODEL, "Muse Spark", 0, 10, "Muse Spark",
                          canonical_id="meta/muse-spark")
    unknown = EntityMention(EntityType.MODEL, "Gemini 3.5 Pro", 0, 14, "Gemini  3.5 Pro")
    assert entity_key(known) == "meta/muse-spark"
    assert entity_key(unknown) == "name:gemini 3.5 pro"


def test_the_pairwise_metric_counts_agreements() -> None:
    truth = {1: "a", 2: "a", 3: "b", 4: "c"}
    predicted = {1: 1, 2: 1, 3: 1, 4: 4}
    assert score_partition(predicted, truth) == PairCounts(1, 2, 0)
    assert score_partition({1: 1, 2: 2, 3: 3, 4: 4}, truth) == PairCounts(0, 0, 1)
    assert score_partition(predicted, truth, frozenset({(1, 3), (2, 3)})) == PairCounts(1, 0, 0)
