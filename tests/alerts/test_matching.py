"""Matching at scale: the index answers exactly what evaluating every query would, evaluates only
the queries an article can match, and is rebuilt when subscriptions change."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.matching import (
    KeyFrequencies,
    MatchIndex,
    estimate_key_frequencies,
    per_subscription,
)
from alerts.query import PreparedArticle, Query, Reasons
from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef
from config.catalog import Catalog
from tests.alerts.query_support import parse

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WORDS = ("nvidia", "export", "chips", "meta", "muse", "spark", "model", "shares", "rules",
         "crypto", "launch", "data", "center", "openai", "the", "labs", "gpu", "rose")
COMPANIES = {"meta": "META", "meta-superintelligence-labs": None, "nvidia": "NVDA",
             "openai": None, "google": None, "alphabet": "GOOGL", "anthropic": None}
PARENTS = {"meta-superintelligence-labs": "meta", "google": "alphabet"}
MODELS = {"meta/muse-spark": "meta", "openai/gpt-5": "openai", "anthropic/claude-opus-4.6":
          "anthropic", "google/gemini": "google"}
SITES = (("techcrunch-ai", "techcrunch.com"), ("verge", "theverge.com"),
         ("reuters", "www.reuters.com"), ("heise", "heise.de"))




def naive(subscriptions: list[tuple[int, Query]], article: ArticleView) -> list[
        tuple[int, Reasons]]:
    """Every query evaluated on the article: what the index must reproduce."""
    found = [(sid, query.matches(article, NOW)) for sid, query in subscriptions]
    return sorted((sid, reasons) for sid, reasons in found if reasons is not None)


def by_subscription(index: MatchIndex, article: ArticleView) -> list[tuple[int, Reasons]]:
    """The index's answer, one pair per subscription, in id order."""
    return sorted(per_subscription(index.match(article, NOW)))


# -- random queries and articles ----------------------------------------------------------------


class RandomQueries:
    """Query texts over a small vocabulary, so that they often match."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def query(self, depth: int = 0) -> str:
        roll = self.rng.random()
        if depth >= 2 or roll < 0.45:
            return self.leaf()
        if roll < 0.65:
            return " ".join(self.query(depth + 1) for _ in range(self.rng.randint(2, 3)))
        if roll < 0.85:
            return f"({self.query(depth + 1)} OR {self.query(depth + 1)})"
        return f"-{self.leaf()}" if roll < 0.95 else f"NOT ({self.query(depth + 1)})"

    def leaf(self) -> str:
        rng = self.rng
        makers = (
            lambda: rng.choice(WORDS),
            lambda: f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"',
            lambda: f"{rng.choice(WORDS)} NEAR/{rng.randint(0, 4)} {rng.choice(WORDS)}",
            lambda: f"title:{rng.choice(WORDS)}",
            lambda: rng.choice(["company:Meta", "company:Nvidia", "company:Alphabet",
                                'company:"Meta Superintelligence Labs"', "company:OpenAI"]),
            lambda: rng.choice(['model:"Muse Spark"', 'model:"GPT-5"', "model:Claude"]),
            lambda: rng.choice(["developer:Meta", "developer:Anthropic", "ticker:NVDA"]),
            lambda: rng.choice(["stock:META", "stock:NVDA:down", "stock:Meta:up>=2%",
                                "stock:*", "stock:GOOGL:>=1%", "stock:*:down>=5%"]),
            lambda: rng.choice(["source:verge", "site:reuters.com", "lang:en", "lang:de"]),
            lambda: rng.choice(["max-age:1d", "after:2026-11-19", "before:2026-11-19T06:00"]),
            lambda: f"title:(company:Meta OR {rng.choice(WORDS)})",
        )
        return rng.choice(makers)()


def random_article(rng: random.Random, number: int) -> ArticleView:
    title = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(2, 6)))
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 40))]
    text = " ".join(word.upper() if rng.random() < 0.1 else word for word in words) + "."
    entities = [random_entity(rng, title, "title") for _ in range(rng.randint(0, 2))]
    entities += [random_entity(rng, text, "text") for _ in range(rng.randint(0, 4))]
    reactions = [random_reaction(rng, text) for _ in range(rng.randint(0, 2))]
    source, site = rng.choice(SITES)
    published = NOW - timedelta(hours=rng.randint(0, 60)) if rng.random() < 0.9 else None
    return ArticleView(
        article_id=number, title=title, text=text, source=source, site=site,
        url=f"https://{site}/{number}", language=rng.choice(["en", "en-GB", "de", None]),
        published=published, entities=tuple(entities), reactions=tuple(reactions),
    )


def random_entity(rng: random.Random, text: str, field: str) -> EntityRef:
    start = rng.randrange(max(len(text) - 5, 1))
    end = start + 4
    if rng.random() < 0.6:
        company = rng.choice(list(COMPANIES))
        return EntityRef("COMPANY", company, company, field, start, end,
                         ticker=COMPANIES[company], parent_id=PARENTS.get(company))
    if rng.random() < 0.8:
        model = rng.choice(list(MODELS))
        return EntityRef("MODEL", model, model, field, start, end,
                         developer_id=MODELS[model] if rng.random() < 0.7 else None)
    return EntityRef("ORG", "Acme", None, field, start, end, ticker=rng.choice([None, "AMD"]))


def random_reaction(rng: random.Random, text: str) -> ReactionRef:
    company = rng.choice(list(COMPANIES))
    return ReactionRef(
        company, company if rng.random() < 0.8 else None,
        COMPANIES[company] or rng.choice([None, "GOOGL"]), rng.choice(["up", "down", "flat"]),
        rng.choice([None, 0.5, 2.0, 5.0, 7.5]), "text", 0, min(len(text), 10),
    )


# -- the index against the naive loop -----------------------------------------------------------


@pytest.fixture(scope="module")
def random_subscriptions(catalog: Catalog) -> list[tuple[int, Query]]:
    maker = RandomQueries(random.Random(20261120))
    texts = [maker.query() for _ in range(2000)]
    return [(number * 3 + 1, parse(text, catalog)) for number, text in enumerate(texts)]


@pytest.fixture(scope="module")
def random_articles() -> list[ArticleView]:
    rng = random.Random(7)
    return [random_article(rng, number) for number in range(1, 61)]


def test_index_matches_exactly_what_the_naive_loop_matches(
    random_subscriptions: list[tuple[int, Query]], random_articles: list[ArticleView]
) -> None:
    index = MatchIndex.build(random_subscriptions)
    total = 0
    for article in random_articles:
        expected = naive(random_subscriptions, article)
        assert by_subscription(index, article) == expected, article
        assert {sid for sid, _ in expected} <= index.candidates(article)
        total += len(expected)
    assert total > 2000  # the comparison is not vacuous: many matches
    assert total < len(random_subscriptions) * len(random_articles) // 2  # nor trivial


def test_frequencies_change_triggers_but_not_answers(
    random_subscriptions: list[tuple[int, Query]], random_articles: list[ArticleView]
) -> None:
    frequencies = estimate_key_frequencies(random_articles[:20])
    index = MatchIndex.build(random_subscriptions, frequencies=frequencies)
    for article in random_articles[20:]:
        assert by_subscription(index, article) == naive(random_subscriptions, article)


def test_an_article_meets_only_the_queries_whose_terms_it_contains(catalog: Catalog) -> None:
    subscriptions = [(n, parse(f"term{n} OR \"phrase {n}\" -crypto", catalog))
                     for n in range(1000)]
    subscriptions += [(1000 + n, parse(f"company:Nvidia term{n}", catalog)) for n in range(1000)]
    index = MatchIndex.build(subscriptions)
    article = ArticleView(1, "term7 and term70", "a phrase 700 and Phrase-999, term1000", "s",
                          "x.com", "u", entities=ARTICLE.entities)
    assert index.candidates(article) == {7, 70, 700, 999, 1007, 1070}
    assert [sid for sid, _ in by_subscription(index, article)] == [7, 70, 700, 999, 1007, 1070]


# -- what is evaluated ---------------------------------------------------------------------------

ARTICLE = ArticleView(
    article_id=1, title="Nvidia faces export rules", text="Shares fell after the news.",
    source="reuters", site="reuters.com", url="https://reuters.com/1", language="en",
    published=NOW - timedelta(hours=3),
    entities=(EntityRef("COMPANY", "Nvidia", "nvidia", "title", 0, 6, ticker="NVDA"),),
    reactions=(ReactionRef("Nvidia", "nvidia", "NVDA", "down", 4.0, "text", 0, 11),),
)


def test_candidates_are_the_queries_whose_keys_the_article_contains(catalog: Catalog) -> None:
    texts = {
        1: "nvidia export", 2: '"export rules"', 3: "crypto", 4: "company:Meta",
        5: "company:Nvidia OR crypto", 6: "stock:NVDA:down", 7: "stock:META",
        8: "-crypto", 9: "max-age:1d", 10: "site:theverge.com nvidia", 11: "nvidia NEAR/2 rules",
        12: "lang:en", 13: "meta OR launch", 14: "nvidia -export", 15: "title:shares",
    }
    index = MatchIndex.build((sid, parse(text, catalog)) for sid, text in texts.items())
    # 15: "shares" is in the text, and title words have keys of their own
    assert index.candidates(ARTICLE) == {1, 2, 5, 6, 8, 9, 11, 12, 14}
    assert [sid for sid, _ in by_subscription(index, ARTICLE)] == [1, 2, 5, 6, 8, 9, 11, 12]


def test_the_most_selective_condition_triggers_an_and(catalog: Catalog) -> None:
    query = parse("company:Nvidia rare", catalog)
    article = ArticleView(2, "Nvidia news", "nothing rare here", "s", "x.com", "u")
    common = KeyFrequencies(100, {("e", "nvidia"): 90, ("w", " rare "): 1})
    rare_entity = KeyFrequencies(100, {("e", "nvidia"): 1, ("w", " rare "): 90})
    assert MatchIndex.build([(1, query)], frequencies=common).candidates(article) == set()
    with_entity = ArticleView(3, "Nvidia", "", "s", "x.com", "u", entities=ARTICLE.entities)
    assert MatchIndex.build([(1, query)], frequencies=common).candidates(with_entity) == set()
    assert MatchIndex.build([(1, query)], frequencies=rare_entity).candidates(
        with_entity) == set()  # the other condition is checked before evaluating


def test_queries_without_keys_are_always_checked(catalog: Catalog) -> None:
    index = MatchIndex.build([(1, parse("-crypto max-age:1d", catalog)),
                              (2, parse("(-crypto) OR nvidia", catalog))])
    assert index.stats().always == 2
    empty = ArticleView(4, "", "", "s", "x.com", "u", published=NOW)
    assert index.candidates(empty) == {1, 2}
    assert by_subscription(index, empty) == [
        (1, (MatchReason("field", "max-age:1d"),)), (2, ())]


def test_subscriptions_sharing_a_query_share_its_evaluation(catalog: Catalog) -> None:
    index = MatchIndex.build([(5, parse("company:Nvidia", catalog)),
                              (9, parse('company:"Nvidia Corp."', catalog)),
                              (7, parse("NVIDIA", catalog))])
    assert (len(index), index.stats().queries) == (3, 2)
    found = dict(by_subscription(index, ARTICLE))
    assert set(found) == {5, 7, 9}
    assert found[5] is found[9]
    assert [r.label for r in found[5]] == ["company:Nvidia"]


def test_a_matched_query_comes_once_with_every_subscriber(catalog: Catalog) -> None:
    index = MatchIndex.build([(5, parse("company:Nvidia", catalog)), (3, parse("crypto", catalog)),
                              (9, parse('company:"Nvidia Corp."', catalog)),
                              (7, parse("NVIDIA", catalog))])
    found = index.match(ARTICLE, NOW)
    assert sorted(subscribers for subscribers, _ in found) == [(5, 9), (7,)]
    assert per_subscription(found) == [
        (sid, reasons) for subscribers, reasons in found for sid in subscribers]


def test_rebuilding_after_changes(catalog: Catalog) -> None:
    index = MatchIndex.build([(1, parse("crypto", catalog)), (2, parse("nvidia", catalog))])
    assert [sid for sid, _ in by_subscription(index, ARTICLE)] == [2]
    changed = index.rebuilt(added=[(3, parse("stock:NVDA", catalog)),
                                   (1, parse("rules", catalog))], removed=[2])
    assert [sid for sid, _ in by_subscription(changed, ARTICLE)] == [1, 3]
    assert [sid for sid, _ in changed.subscriptions()] == [1, 3]
    assert [sid for sid, _ in by_subscription(index, ARTICLE)] == [2]  # the old index is unchanged
    assert len(MatchIndex.build([])) == 0
    assert MatchIndex.build([]).match(ARTICLE, NOW) == []


def test_the_index_keeps_each_subscription_with_its_query(
    random_subscriptions: list[tuple[int, Query]],
) -> None:
    """Queries are renumbered inside the index (by trigger); subscriptions keep theirs."""
    index = MatchIndex.build(random_subscriptions)
    kept = index.subscriptions()
    assert [sid for sid, _ in kept] == sorted(sid for sid, _ in random_subscriptions)
    assert dict(kept) == dict(random_subscriptions)  # equal trees (one text kept per tree)


def test_subscription_ids_must_be_distinct(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="given twice"):
        MatchIndex.build([(1, parse("a", catalog)), (1, parse("b", catalog))])


def test_reasons_from_the_index_index_the_article(catalog: Catalog) -> None:
    index = MatchIndex.build([(1, parse('"export rules" stock:NVDA:down>=4%', catalog))])
    [(_, reasons)] = by_subscription(index, ARTICLE)
    fields = {"title": ARTICLE.title, "text": ARTICLE.text}
    assert [(r.kind, r.label) for r in reasons] == [("phrase", '"export rules"'),
                                                    ("stock", "NVDA down 4%")]
    assert [fields[f][a:b] for r in reasons for f, a, b in r.spans] == ["export rules",
                                                                        "Shares fell"]


def test_estimated_frequencies(random_articles: list[ArticleView]) -> None:
    frequencies = estimate_key_frequencies(random_articles)
    assert frequencies.articles == len(random_articles)
    containing = sum(1 for a in random_articles if "nvidia" in PreparedArticle(a).folded.split())
    assert frequencies.frequency(("w", " nvidia ")) == containing / len(random_articles)
    assert frequencies.frequency(("w", " nvidia export ")) <= 0.5 * frequencies.frequency(
        ("w", " nvidia "))
    assert frequencies.frequency(("w", " zzz ")) == 0.5 / len(random_articles)
