"""The matcher's fast paths: what they decide by keys and set tests equals full evaluation.

``alerts.query.plans`` turns each query into conditions decided once per article, most of them by
the article's keys alone (no evaluation); these tests check each such shortcut against the tree
evaluator, on generated queries and articles and on the edge cases one by one."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from alerts.matching import MatchIndex
from alerts.query import PreparedArticle, Query, evaluate
from alerts.query.ast import And, Near, Node, Not, Or, Words
from alerts.query.evaluate import _any_within, _within, near_holds
from alerts.query.plans import ConditionTable, plan_query
from alerts.query.triggers import decided_by_keys, leaf_clause
from alerts.types import ArticleView, EntityRef, ReactionRef
from config.catalog import Catalog
from tests.alerts.query_support import parse
from tests.alerts.test_matching import NOW, RandomQueries, by_subscription, random_article


@pytest.fixture(scope="module")
def articles() -> list[ArticleView]:
    rng = random.Random(11)
    return [random_article(rng, number) for number in range(1, 81)]


@pytest.fixture(scope="module")
def queries(catalog: Catalog) -> list[Query]:
    maker = RandomQueries(random.Random(4))
    return [parse(maker.query(), catalog) for _ in range(1500)]


def leaves(node: Node) -> list[Node]:
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not):
        return leaves(node.child)
    return [node]


def test_filters_decided_by_keys_hold_exactly_when_a_key_is_present(
    queries: list[Query], articles: list[ArticleView]
) -> None:
    filters = {leaf for query in queries for leaf in leaves(query.root) if decided_by_keys(leaf)}
    index = MatchIndex.build((number, Query("", leaf)) for number, leaf in enumerate(filters))
    decided = 0
    for article in articles:
        prepared = PreparedArticle(article)
        present = index._present_keys(prepared)
        plain = PreparedArticle(article)  # no keys: the evaluator looks for itself
        for leaf in filters:
            holds = evaluate(leaf, plain, NOW) is not None
            assert holds == (not leaf_clause(leaf).isdisjoint(present)), (leaf, article)
            decided += holds
    assert len(filters) > 30 and decided > 200  # many filters, and not all absent


def test_every_query_matches_as_its_tree_evaluates(
    queries: list[Query], articles: list[ArticleView]
) -> None:
    index = MatchIndex.build(enumerate(queries))
    matched = 0
    for article in articles:
        expected = {number: query.matches(article, NOW) for number, query in enumerate(queries)}
        found = dict(by_subscription(index, article))
        assert found == {number: r for number, r in expected.items() if r is not None}
        matched += len(found)
    assert matched > 3000


def test_most_generated_queries_are_decided_by_set_tests(queries: list[Query]) -> None:
    table = ConditionTable(lambda clause: 0.05 * len(clause))
    plans = [plan_query(query.root, table) for query in queries]
    decided = sum(1 for plan in plans if not plan.residual)
    assert decided > 0.8 * len(plans)
    assert any(plan.excluded for plan in plans) and any(plan.residual for plan in plans)


EDGE_ARTICLE = ArticleView(
    article_id=9, title="Nvidia export rules: Muse Spark debuts", text=(
        "Meta shares rose 3% after the Muse Spark launch. Nvidia fell; export export rules "
        "apply. Claude and GPT-5 were named. The crypto rumor was denied."),
    source="Reuters", site="www.reuters.com", url="https://reuters.com/9", language="en-GB",
    published=NOW - timedelta(hours=30),
    entities=(
        EntityRef("COMPANY", "Nvidia", "nvidia", "title", 0, 6, ticker="NVDA"),
        EntityRef("MODEL", "Muse Spark", "meta/muse-spark", "title", 21, 31,
                  developer_id="meta"),
        EntityRef("COMPANY", "Meta", "meta", "text", 0, 4, ticker="META"),
        EntityRef("ORG", "Acme", None, "text", 60, 64, developer_id="anthropic"),
        EntityRef("COMPANY", "OpenAI", "openai", "text", 90, 96),
    ),
    reactions=(
        ReactionRef("Meta", "meta", "META", "up", 3.0, "text", 0, 16),
        ReactionRef("Nvidia", None, "NVDA", "down", None, "text", 49, 59),
    ),
)


@pytest.mark.parametrize("text", [
    "nvidia -crypto", "nvidia -rumor NOT denied", "-crypto", "NOT (crypto rumor)",
    "export NEAR/0 export", "export NEAR/0 rules", "rules NEAR/1 export", "nvidia NEAR/3 rules",
    '"muse spark" NEAR/2 launch', "nvidia NEAR/1000 denied", "title:(nvidia NEAR/1 rules)",
    "company:Meta OR crypto", "(company:Meta OR nvidia NEAR/1 fell) shares",
    "(crypto OR -nvidia) rules", "nvidia OR (export rules)", "(a OR b) OR (c OR d)",
    "stock:META", "stock:META:up", "stock:META:down", "stock:META:>=3%", "stock:META:>3%",
    "stock:NVDA:down", "stock:NVDA:down>=1%", "stock:*:up>=2%", "stock:* -stock:NVDA",
    "stock:META stock:META:up", "ticker:NVDA", "developer:Anthropic", "developer:Meta",
    'model:"Muse Spark" title:spark', "title:(company:Meta)", "text:(company:Meta)",
    "title:nvidia", "text:nvidia", "title:shares", "text:debuts", "title:debuts", "debuts",
    "source:reuters", "site:reuters.com",
    "site:com", "lang:en", "lang:en-gb", "lang:de", "max-age:1d", "max-age:2d nvidia",
    "after:2026-11-19 nvidia", "before:2026-11-19T12:00", "nvidia nvidia", "nvidia (nvidia OR x)",
    "title:(company:Meta OR nvidia)", "company:OpenAI -company:Meta",
    # more required or excluded conditions than the matcher's tables hold (checked one by one)
    "nvidia export rules muse spark debuts meta shares",
    "nvidia export rules muse spark meta shares zebra",
    "nvidia -a -b -c -d -e", "nvidia -a -b -c -d -crypto", "nvidia -a -b -c -rumor",
    "nvidia export rules -a -b -c -d -e -f", "x export rules muse spark debuts meta shares",
])
def test_edge_cases_match_as_evaluated(text: str, catalog: Catalog) -> None:
    query = parse(text, catalog)
    index = MatchIndex.build([(1, query), (2, parse("nvidia rules", catalog))])
    found = dict(by_subscription(index, EDGE_ARTICLE))
    assert found.get(1) == query.matches(EDGE_ARTICLE, NOW)


def test_near_shortcut_agrees_with_every_pair() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        sides = [
            tuple(sorted(
                (field, first, first + rng.randint(1, 3))
                for field, first in {(rng.choice(["title", "text"]), rng.randint(0, 60))
                                     for _ in range(rng.randint(1, 12))}))
            for _ in range(2)
        ]
        distance = rng.choice([rng.randint(0, 6), rng.randint(0, 80)])
        expected = any(_within(left, right, distance) for left in sides[0] for right in sides[1])
        assert _any_within(sides[0], sides[1], distance) == expected


def test_near_from_the_matcher_s_hits_agrees_with_numbered_words() -> None:
    """The matcher decides a NEAR from where its automaton found the words (spaces counted
    between them); the evaluator, from numbered word occurrences: the same answer, phrases,
    scopes, repeated and long words included."""
    rng = random.Random(8)
    vocab = ["a", "b", "cc", "a b", "extraordinarily", "d"]
    checked = held = 0
    for _ in range(600):
        fields = [" ".join(rng.choice(vocab) + rng.choice(["", ",", " -", ".", "\n"])
                           for _ in range(rng.randint(0, count))) for count in (8, 40)]
        article = ArticleView(article_id=1, title=fields[0], text=fields[1], source="s",
                              site="example.com", url="https://example.com/1")
        nears = [Near(Words(tuple(rng.choice(vocab).split()), rng.choice([None, "title", "text"])),
                      Words(tuple(rng.choice(vocab).split()), rng.choice([None, "title", "text"])),
                      rng.randint(0, 5)) for _ in range(5)]
        index = MatchIndex.build((number, Query("", near)) for number, near in enumerate(nears))
        prepared = PreparedArticle(article)
        index._present_keys(prepared)
        for near in nears:
            plain = PreparedArticle(article)  # no hits: occurrences numbered by word
            lefts, rights = plain.occurrences_of(near.left), plain.occurrences_of(near.right)
            expected = bool(lefts and rights) and _any_within(lefts, rights, near.distance)
            assert near_holds(near, prepared) == expected, (article, near)
            checked += 1
            held += expected
    assert held > 300 and checked - held > 300


def test_title_words_have_keys_of_their_own(catalog: Catalog) -> None:
    index = MatchIndex.build([(1, parse("title:shares", catalog)),
                              (2, parse("title:spark", catalog))])
    assert index.candidates(EDGE_ARTICLE) == {2}
