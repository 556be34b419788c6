"""``model:"NAME"`` for a model the catalog does not know: matched by the name the tagger finds."""

from __future__ import annotations

import pytest

from alerts.query.ast import Mentions
from alerts.types import ArticleView
from config.catalog import Catalog
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from tests.alerts.query_support import fail, parse
from tests.alerts.stored_articles import NOW, index_and_naive, store_tagged

LAUNCH_TITLE = "OpenAI releases GPT-5.5 to paying subscribers"
LAUNCH_TEXT = (
    "OpenAI released GPT-5.5, its new flagship model, on Tuesday, and said the model would "
    "reach ChatGPT's paying subscribers first.\n"
    "The company did not say when free users would get it. Rivals at Google are expected to "
    "answer within weeks."
)
OTHER_TITLE = "Google unveils Gemini 7"
OTHER_TEXT = (
    "Google unveiled Gemini 7, a large language model, at an event in Mountain View on "
    "Wednesday.\nThe company said it scores well on coding benchmarks."
)


@pytest.fixture
def launch(sqlite_storage: Storage, tagger: Tagger) -> ArticleView:
    return store_tagged(sqlite_storage, tagger, LAUNCH_TITLE, LAUNCH_TEXT,
                        "https://news.example.com/gpt-5-5")


@pytest.fixture
def other(sqlite_storage: Storage, tagger: Tagger) -> ArticleView:
    return store_tagged(sqlite_storage, tagger, OTHER_TITLE, OTHER_TEXT,
                        "https://news.example.com/gemini-7")




def test_a_model_name_the_catalog_lacks_is_valid_with_a_note(catalog: Catalog) -> None:
    query = parse('model:"GPT-5.5"', catalog)
    assert query.root == Mentions("model:GPT-5.5", frozenset(), model_names=frozenset({"gpt 5.5"}))
    assert query.notes == ('model:GPT-5.5 is not in the catalog: it matches models the tagger '
                           'finds named "GPT-5.5"; did you mean GPT-5.2, GPT-5.1, GPT-4.5?',)
    assert parse('model:"Gemini 7" OR model:Avocado', catalog).notes[1] == (
        'model:Avocado is not in the catalog: it matches models the tagger finds named '
        '"Avocado"')
    assert parse('model:"GPT-5.2"', catalog).notes == ()  # in the catalog: nothing to say
    assert parse('model:"4.5 Orbit"', catalog).root == Mentions(
        'model:"4.5 Orbit"', frozenset(), model_names=frozenset({"4.5 orbit"}))


def test_typos_of_catalog_names_and_non_names_stay_errors(catalog: Catalog) -> None:
    typo = fail("model:Cluade", catalog)
    assert typo.message == "unknown model 'Cluade'" and typo.suggestions[0] == "Claude"
    assert fail('model:"Gemni 3 Pro"', catalog).suggestions[0] == "Gemini 3 Pro"
    company = fail("model:Nvdia", catalog)  # a misspelt company, not a new model
    assert "company:Nvidia" in company.suggestions
    assert fail('model:"5.5"', catalog).message == "unknown model '5.5'"  # no letter
    assert fail('model:"one two three four five six seven"', catalog)
    assert fail("model:Meta", catalog).message == "'Meta' is a company, not a model"
    assert fail("developer:Zephyrion", catalog).message == "unknown company 'Zephyrion'"


def test_matches_the_mention_the_tagger_found_by_its_normalised_name(
    catalog: Catalog, launch: ArticleView, other: ArticleView,
) -> None:
    found = [ref for ref in launch.entities if ref.canonical == "GPT-5.5"]
    assert [(ref.type, ref.field, ref.canonical_id) for ref in found] == [
        ("MODEL", "title", None), ("MODEL", "text", None)]  # found from context, stored
    for spelling in ('model:"GPT-5.5"', 'model:"gpt 5.5"', "model:GPT_5.5"):
        reasons = parse(spelling, catalog).matches(launch, NOW)
        assert reasons is not None, spelling
        spans = [(field, start) for field, start, _ in reasons[0].spans]
        assert spans == [("title", LAUNCH_TITLE.find("GPT-5.5")),
                         ("text", LAUNCH_TEXT.find("GPT-5.5"))]
        assert parse(spelling, catalog).matches(other, NOW) is None
    assert parse('model:"Gemini 7"', catalog).matches(other, NOW) is not None
    assert parse('model:"GPT-5.6"', catalog).matches(launch, NOW) is None
    assert parse('text:(model:"GPT-5.5")', catalog).matches(launch, NOW) is not None
    # the developer of the unknown model was found too
    assert parse("developer:OpenAI", catalog).matches(launch, NOW) is not None


def test_index_and_naive_loop_agree(
    catalog: Catalog, launch: ArticleView, other: ArticleView,
) -> None:
    queries = [parse(text, catalog) for text in (
        'model:"GPT-5.5"', 'model:"gpt 5.5" subscribers', 'model:"GPT-5.5" -google',
        'model:"GPT-5.5" OR model:"Gemini 7"', 'title:(model:"GPT-5.5")',
        'model:"Gemini 7" company:Google', 'model:"GPT-5.6"', '-model:"GPT-5.5"',
        'model:"GPT-5.5" NOT (google rivals)',
    )]
    for view in (launch, other):
        by_index, naive = index_and_naive(queries, view)
        assert by_index == naive
    # not 8: the story names "Rivals at Google"
    assert [number for number, _ in index_and_naive(queries, launch)[0]] == [0, 1, 3, 4]
    assert [number for number, _ in index_and_naive(queries, other)[0]] == [3, 5, 7]
