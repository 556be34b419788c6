"""``lead:(...)``: words and filters limited to the title and the text's lead."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from alerts.query.article import PreparedArticle, lead_end
from alerts.query.ast import Mentions, Or, Words
from alerts.types import ArticleView
from config.catalog import Catalog
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from tests.alerts.query_support import fail, parse
from tests.alerts.stored_articles import NOW, index_and_naive, store_tagged
from tests.alerts.test_matching import WORDS, RandomQueries, random_article

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "muse-spark-article.txt"
AMAZON_TITLE = "Amazon unveils new Trainium chips for AWS customers"
AMAZON_TEXT = (
    "SEATTLE —\n"
    "Amazon on Tuesday unveiled its next generation of Trainium chips, promising AWS customers "
    "cheaper training runs, and Amazon shares rose 3% after the announcement.\n"
    "The company said the chips would be available in its data centres from early next year, "
    "with Nvidia's processors still on offer beside them.\n"
    "Amazon has invested $8 billion in Anthropic, which trains its Claude models on Trainium, "
    "and Mistral is also a customer."
)
ANTHROPIC_TITLE = "Anthropic raises $13 billion as Claude usage soars"
ANTHROPIC_TEXT = (
    "Anthropic said on Monday it had raised $13 billion in new funding, valuing the maker of "
    "the Claude chatbot at $183 billion, as business use of its models keeps climbing.\n"
    "Amazon and Google, both earlier backers, took part in the round, according to people "
    "familiar with the matter."
)


@pytest.fixture
def stories(sqlite_storage: Storage, tagger: Tagger) -> dict[str, ArticleView]:
    """Three stored, tagged stories: Anthropic in passing, Anthropic in the lead, the seed."""
    return {
        "amazon": store_tagged(sqlite_storage, tagger, AMAZON_TITLE, AMAZON_TEXT,
                               "https://news.example.com/trainium"),
        "anthropic": store_tagged(sqlite_storage, tagger, ANTHROPIC_TITLE, ANTHROPIC_TEXT,
                                  "https://news.example.com/anthropic-round"),
        "seed": store_tagged(sqlite_storage, tagger, "Meta unveils Muse Spark",
                             SEED.read_text(encoding="utf-8"),
                             "https://news.example.com/muse-spark"),
    }




# -- what the lead is ---------------------------------------------------------------------------


def test_the_lead_is_the_first_real_paragraph_or_about_400_characters() -> None:
    first = "Anthropic said on Monday it had raised new funding, " * 3
    assert lead_end(f"{first}\nSecond paragraph.") == len(first)
    # short lines before it (a dateline, a caption) belong to the lead
    assert lead_end(f"SEATTLE —\n{first}\nMore.") == len("SEATTLE —\n") + len(first)
    # no paragraphs: 400 characters, to the end of the word there
    flat = "word " * 200
    assert lead_end(flat) == 404 and flat[:lead_end(flat)].endswith("word")
    assert lead_end("A short text.") == len("A short text.")
    # a first paragraph beyond 1,000 characters is no lead: 400 characters again
    assert lead_end(f"{'long ' * 300}\nnext") == 404
    assert lead_end(SEED.read_text(encoding="utf-8")) == 505  # after an image's leftovers


def test_parsing_mirrors_title(catalog: Catalog) -> None:
    query = parse("lead:(company:Anthropic)", catalog)
    assert isinstance(query.root, Mentions) and query.root.scope == "lead"
    assert query.canonical == "lead:(company:Anthropic)"
    assert parse('lead:(nvidia OR "muse spark")', catalog).root == Or((
        Words(("nvidia",), "lead"), Words(("muse", "spark"), "lead")))
    assert parse('lead:(nvidia OR "muse spark")', catalog).canonical == \
        'lead:nvidia OR lead:"muse spark"'
    assert parse("lead:nvidia", catalog).root == Words(("nvidia",), "lead")
    assert parse("lead:(stock:AMZN:up)", catalog).canonical == "lead:(stock:Amazon:up)"
    assert parse("lead:(a NEAR/2 b)", catalog).canonical == "lead:a NEAR/2 lead:b"


def test_a_filter_after_lead_needs_brackets(catalog: Catalog) -> None:
    error = fail("lead:company:Anthropic", catalog)
    assert (error.position, error.message, error.expected) == (
        5, "a filter after 'lead:' needs brackets", "brackets: lead:(company:Anthropic)")
    assert fail("title:(lead:x)", catalog).message == "'lead:' inside 'title:(...)'"
    assert fail("lead:(text:x)", catalog).message == "'text:' inside 'lead:(...)'"
    assert fail("leed:x", catalog).suggestions == ("lead:",)


# -- matching stored, tagged articles -----------------------------------------------------------


def test_a_passing_mention_does_not_match_but_a_lead_mention_does(
    catalog: Catalog, stories: dict[str, ArticleView],
) -> None:
    anywhere, in_lead = parse("company:Anthropic", catalog), parse("lead:(company:Anthropic)",
                                                                   catalog)
    assert anywhere.matches(stories["amazon"], NOW) is not None  # named once, in passing
    assert in_lead.matches(stories["amazon"], NOW) is None
    reasons = in_lead.matches(stories["anthropic"], NOW)
    assert reasons is not None and reasons[0].label == "lead:(company:Anthropic)"
    # the title and the first paragraph, not the second
    assert reasons[0].spans == (("title", 0, 9), ("text", 0, 9))
    assert parse("lead:(company:Amazon)", catalog).matches(stories["anthropic"], NOW) is None
    assert parse("lead:(stock:AMZN:up)", catalog).matches(stories["amazon"], NOW) is not None
    assert parse("lead:(company:Nvidia)", catalog).matches(stories["amazon"], NOW) is None
    assert parse("lead:nvidia", catalog).matches(stories["amazon"], NOW) is None
    assert parse("nvidia", catalog).matches(stories["amazon"], NOW) is not None


def test_lead_words_highlight_only_the_lead(
    catalog: Catalog, stories: dict[str, ArticleView],
) -> None:
    seed = stories["seed"]
    reasons = parse('lead:(nvidia OR "muse spark")', catalog).matches(seed, NOW)
    assert reasons is not None and [r.label for r in reasons] == ['lead:"muse spark"']
    spans = reasons[0].spans
    assert spans[0][0] == "title" and all(end <= 505 for _, _, end in spans[1:])
    everywhere = parse('"muse spark"', catalog).matches(seed, NOW)
    assert everywhere is not None and len(everywhere[0].spans) > len(spans) > 2
    assert parse("lead:anthropic", catalog).matches(seed, NOW) is None  # second paragraph
    assert parse("anthropic", catalog).matches(seed, NOW) is not None


def test_index_and_naive_loop_agree_on_stored_articles(
    catalog: Catalog, stories: dict[str, ArticleView],
) -> None:
    queries = [parse(text, catalog) for text in (
        "lead:(company:Anthropic)", 'lead:(nvidia OR "muse spark")', "lead:anthropic",
        "lead:(company:Amazon) -lead:(company:Anthropic)", "lead:(stock:AMZN:up)",
        "lead:(chips NEAR/3 trainium)", "lead:(model:Claude) company:Amazon",
        "company:Anthropic -lead:(company:Anthropic)", "lead:(company:Meta OR crypto)",
        "lead:(company:Amazon OR company:Nvidia) trainium", "title:anthropic lead:funding",
    )]
    matched = set()
    for name, view in stories.items():
        by_index, naive = index_and_naive(queries, view)
        assert by_index == naive, name
        matched |= {(name, number) for number, _ in by_index}
    assert ("amazon", 7) in matched and ("anthropic", 0) in matched
    assert ("amazon", 0) not in matched and ("seed", 1) in matched


class RandomLeadQueries(RandomQueries):
    """The generator of the matcher's tests, with every leaf sometimes limited to the lead."""

    def leaf(self) -> str:
        leaf = super().leaf()
        if self.rng.random() < 0.5 and not leaf.startswith(("title:", "lead:")):
            return f"lead:({leaf})"
        return leaf


def long_article(rng: random.Random, number: int) -> ArticleView:
    """A random article whose text has a lead and more beyond it."""
    article = random_article(rng, number)
    paragraphs = rng.random() < 0.7  # else one block, its lead its first 400 characters
    lead = " ".join(rng.choice(WORDS) for _ in range(30 if paragraphs else 90))
    text = f"{lead}\n{article.text}" if paragraphs else f"{lead} {article.text}"
    shift = len(lead) + 1
    return replace(article, text=text,
                   entities=tuple(replace(ref, start=ref.start + shift, end=ref.end + shift)
                                  if ref.field == "text" else ref for ref in article.entities))


def test_index_and_naive_loop_agree_on_random_lead_queries(catalog: Catalog) -> None:
    maker = RandomLeadQueries(random.Random(5))
    queries = [parse(maker.query(), catalog) for _ in range(600)]
    rng = random.Random(9)
    articles = [long_article(rng, number) for number in range(1, 41)]
    matched = 0
    for article in articles:
        assert PreparedArticle(article).lead_end < len(article.text)
        by_index, naive = index_and_naive(queries, article)
        assert by_index == naive
        matched += len(naive)
    leads = sum("lead:" in query.canonical for query in queries)
    assert matched > 300 and leads > 200
