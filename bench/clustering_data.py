"""Labelled articles for story clustering, and the pairwise metric that scores a partition.

Used by ``bench/clustering.py`` and ``tests/pipeline/test_clustering.py``. The labelled set is
the demo site's fictional stories (``newsmon/demo/stories/*.toml``): stories that share a
``cluster`` key are one event covered by several outlets; every other story is an event of its
own. The syndicated copy the demo feeds carry (the same text under the original URL with
tracking parameters) is added as one more article of its original's story. Articles are tagged
with the real tagger, title and body separately, as the tagging step does.

Real articles (bench only): the 181 news pages of the extraction benchmark
(``shared/data/article-extraction-benchmark``, November 2019, many outlets), labelled by hand in
``bench/clustering_real_stories.toml``: 14 events covered by two to four outlets each, the rest
stories of their own, and some judgement-call pairs left out of the score.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

from newsmon.demo.catalog import load_catalog as load_demo_catalog
from newsmon.demo.timeline import schedule_stories
from pipeline.clustering import entity_keys, reaction_keys
from pipeline.nlp.types import TagResult
from pipeline.story_types import ClusterInput

DEMO_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEMO_BASE_URL = "https://demo.newsmon.test"
FETCH_DELAY = timedelta(minutes=3)
REAL_ID_BASE = 10_000
REAL_LABELS = Path(__file__).with_name("clustering_real_stories.toml")
_SITE_SUFFIX = re.compile(r"\s+[|\-–—:]\s+[^|\-–—:]{1,40}$")
_TITLE = re.compile(rb'<meta[^>]+property="og:title"[^>]+content="([^"]*)"|<title[^>]*>([^<]*)<')

TagMany = Callable[[Sequence[str]], list[TagResult]]


@dataclass(frozen=True)
class LabelledArticle:
    """A clustering input and the story it truly belongs to."""

    article: ClusterInput
    label: str
    name: str
    """Readable: ``outlet/slug`` for demo stories."""


@dataclass(frozen=True)
class PairCounts:
    """Pairwise same-story decisions against the truth."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """Of the pairs put in one story, the share that truly are."""
        decided = self.true_positives + self.false_positives
        return self.true_positives / decided if decided else 1.0

    @property
    def recall(self) -> float:
        """Of the pairs that truly are one story, the share put in one."""
        truth = self.true_positives + self.false_negatives
        return self.true_positives / truth if truth else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score_partition(
    predicted: Mapping[int, int],
    truth: Mapping[int, str],
    ignored: frozenset[tuple[int, int]] = frozenset(),
) -> PairCounts:
    """Count pairwise agreements between predicted story ids and true labels (same keys);
    ``ignored`` pairs (smaller id first) are left out."""
    ids = sorted(truth)
    tp = fp = fn = 0
    for left, right in combinations(ids, 2):
        if (left, right) in ignored:
            continue
        same_predicted = predicted[left] == predicted[right]
        same_true = truth[left] == truth[right]
        tp += same_predicted and same_true
        fp += same_predicted and not same_true
        fn += same_true and not same_predicted
    return PairCounts(tp, fp, fn)


def wrong_pairs(
    predicted: Mapping[int, int],
    truth: Mapping[int, str],
    ignored: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The falsely joined pairs and the wrongly separated pairs, by article id."""
    joined: list[tuple[int, int]] = []
    split: list[tuple[int, int]] = []
    for left, right in combinations(sorted(truth), 2):
        if (left, right) in ignored:
            continue
        same_predicted = predicted[left] == predicted[right]
        same_true = truth[left] == truth[right]
        if same_predicted and not same_true:
            joined.append((left, right))
        elif same_true and not same_predicted:
            split.append((left, right))
    return joined, split


def partition_of(pairs: Iterable[tuple[int, int]]) -> frozenset[frozenset[int]]:
    """``(article_id, story_id)`` pairs as a set of groups (ids are forgotten, only grouping)."""
    groups: dict[int, set[int]] = {}
    for article_id, story_id in pairs:
        groups.setdefault(story_id, set()).add(article_id)
    return frozenset(frozenset(group) for group in groups.values())


def demo_articles(tag_many: TagMany) -> list[LabelledArticle]:
    """The demo stories (and the syndicated copy) as labelled inputs, in catalog order."""
    catalog = load_demo_catalog()
    placed = {item.story.key: item for item in schedule_stories(catalog, DEMO_START, DEMO_BASE_URL)}
    stories = list(catalog.stories)
    titles = tag_many([story.title for story in stories])
    bodies = tag_many([story.text for story in stories])
    labelled: list[LabelledArticle] = []
    for index, story in enumerate(stories):
        item = placed[story.key]
        label = story.cluster or story.key
        article = tagged_input(
            index + 1, item.url, story.title, story.text, item.published,
            titles[index], bodies[index],
        )
        labelled.append(LabelledArticle(article, label, story.key))
        if story.syndication is not None:
            copy = tagged_input(
                len(stories) + len(labelled), f"{item.url}?{story.syndication.query}",
                story.title, story.text, item.published + story.syndication.delay,
                titles[index], bodies[index],
            )
            labelled.append(LabelledArticle(copy, label, f"{story.key} (syndicated)"))
    return labelled


def tagged_input(
    article_id: int, url: str, title: str, text: str, published: datetime,
    title_tags: TagResult, body_tags: TagResult,
) -> ClusterInput:
    """A :class:`ClusterInput` from an article's title and body tags."""
    return ClusterInput(
        article_id=article_id,
        canonical_url=url,
        title=title,
        text=text,
        fetched_at=published + FETCH_DELAY,
        published_at=published,
        entities=entity_keys(title_tags.entities + body_tags.entities),
        title_entities=entity_keys(title_tags.entities),
        stock_reactions=reaction_keys(title_tags.stock_reactions + body_tags.stock_reactions),
    )


def real_articles(
    benchmark_dir: Path, tag_many: TagMany, start: datetime, span: timedelta
) -> tuple[list[LabelledArticle], frozenset[tuple[int, int]]]:
    """The extraction benchmark's real articles, labelled by ``clustering_real_stories.toml``
    and spread evenly over ``span`` from ``start``; and the pairs left out of the score."""
    truth = json.loads((benchmark_dir / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)
    titles = [page_title(benchmark_dir / "html" / f"{key}.html.gz") for key in keys]
    bodies = [str(truth[key]["articleBody"]) for key in keys]
    title_tags, body_tags = tag_many(titles), tag_many(bodies)
    groups, related = _real_labels()
    step = span / max(1, len(keys))
    labelled: list[LabelledArticle] = []
    ids: dict[str, int] = {}
    for index, key in enumerate(keys):
        short = key[:10]
        ids[short] = REAL_ID_BASE + index
        article = tagged_input(
            ids[short], str(truth[key]["url"]), titles[index], bodies[index],
            start + step * index, title_tags[index], body_tags[index],
        )
        label = groups.get(short, f"real/{short}")
        labelled.append(LabelledArticle(article, label, f"real/{short}"))
    ignored = {
        (min(ids[a], ids[b]), max(ids[a], ids[b]))
        for members in related for a, b in combinations(members, 2)
        if groups.get(a) is None or groups.get(a) != groups.get(b)
    }
    return labelled, frozenset(ignored)


def page_title(path: Path) -> str:
    """A page's ``og:title`` (else ``<title>``) without a trailing site name."""
    raw = gzip.decompress(path.read_bytes())
    match = _TITLE.search(raw)
    if match is None:
        return ""
    value = (match.group(1) or match.group(2) or b"").decode("utf-8", errors="replace")
    title = " ".join(html.unescape(value).split())
    while (trimmed := _SITE_SUFFIX.sub("", title)) != title and len(trimmed.split()) >= 3:
        title = trimmed
    return title


def _real_labels() -> tuple[dict[str, str], list[list[str]]]:
    data = tomllib.loads(REAL_LABELS.read_text(encoding="utf-8"))
    groups = {
        article: f"real-story/{story['name']}"
        for story in data["story"] for article in story["articles"]
    }
    return groups, [list(entry["articles"]) for entry in data["related"]]


def group_sizes(labels: Iterable[str]) -> Counter[int]:
    """How many true stories have 1, 2, 3... articles."""
    return Counter(Counter(labels).values())
