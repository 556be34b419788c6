"""The tagger end to end: the seed article (the acceptance test), alias variants and links to
catalog records, company tickers and parents, the statistical NER's organisations and noise,
and the API (``tag`` / ``tag_many`` / ``uses_statistical_ner``). Runs in both modes."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.spacy_pipeline import NlpSetupError
from pipeline.nlp.tagger import Tagger
from pipeline.nlp.types import DecidedBy, Direction, EntityType, TagResult
from tests.pipeline.nlp.helpers import assert_offsets, ids, of_type

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "muse-spark-article.txt"
MODEL, COMPANY, ORG = EntityType.MODEL, EntityType.COMPANY, EntityType.ORG


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


# --- the seed article (acceptance) ----------------------------------------------------------


def test_seed_article_models_and_companies(tagger: Tagger, seed_text: str) -> None:
    result = tagger.tag(seed_text)

    assert_offsets(seed_text, result)
    models = of_type(result, MODEL)
    assert {"meta/muse-spark", "meta/llama"} <= ids(models)
    spark = next(m for m in models if m.canonical_id == "meta/muse-spark")
    assert (spark.canonical, spark.developer) == ("Muse Spark", "Meta")
    assert spark.developer_id == "meta"
    companies = of_type(result, COMPANY)
    expected = {"meta", "meta-superintelligence-labs", "openai", "google", "anthropic"}
    assert expected <= ids(companies)
    msl = next(m for m in companies if m.canonical_id == "meta-superintelligence-labs")
    assert (msl.parent, msl.parent_id) == ("Meta", "meta")
    assert next(m for m in companies if m.canonical_id == "meta").ticker == "META"


def test_seed_article_traps(tagger: Tagger, seed_text: str) -> None:
    """Muse Spark is never a company or a person (the statistical NER calls it PERSON and ORG
    in this article); "AI" alone is never an entity (the NER calls it ORG and GPE)."""
    result = tagger.tag(seed_text)

    for mention in result.entities:
        assert mention.text.strip() != "AI"
        if "Muse Spark" in mention.text:
            assert mention.type is MODEL
            assert mention.canonical_id == "meta/muse-spark"
    spark_mentions = [m for m in result.entities if m.text == "Muse Spark"]
    assert len(spark_mentions) == seed_text.count("Muse Spark")


def test_seed_article_stock_reaction(tagger: Tagger, seed_text: str) -> None:
    if importlib.util.find_spec("pipeline.nlp.stock_reactions") is None:
        pytest.skip("pipeline.nlp.stock_reactions has not landed yet")
    reactions = tagger.tag(seed_text).stock_reactions

    meta = [r for r in reactions if r.company_id == "meta"]
    assert len(meta) == 1
    assert (meta[0].direction, meta[0].ticker) == (Direction.UP, "META")
    assert meta[0].magnitude_pct is None


# --- aliases and links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "canonical_id", "developer"),
    [
        ("OpenAI made GPT-4o the default model.", "GPT-4o", "openai/gpt-4o", "OpenAI"),
        ("Developers still call gpt-4o through the API.", "gpt-4o", "openai/gpt-4o", "OpenAI"),
        ("Claude 3.5 Sonnet writes code.", "Claude 3.5 Sonnet", "anthropic/claude-3.5-sonnet",
         "Anthropic"),
        ("Claude Sonnet 3.5 writes code.", "Claude Sonnet 3.5", "anthropic/claude-3.5-sonnet",
         "Anthropic"),
        ("The claude-3-5-sonnet API is cheap.", "claude-3-5-sonnet",
         "anthropic/claude-3.5-sonnet", "Anthropic"),
        ("Llama 4 Scout fits on one GPU.", "Llama 4 Scout", "meta/llama-4-scout", "Meta"),
        ("Gemini 2.5 Pro leads the leaderboard.", "Gemini 2.5 Pro", "google/gemini-2.5-pro",
         "Google DeepMind"),
    ],
)
def test_model_aliases_link_to_the_record(
    tagger: Tagger, text: str, surface: str, canonical_id: str, developer: str
) -> None:
    result = tagger.tag(text)

    assert_offsets(text, result)
    mention = next(m for m in result.entities if m.text == surface)
    assert (mention.type, mention.canonical_id, mention.developer) == (
        MODEL, canonical_id, developer)
    assert mention.decided_by is DecidedBy.CATALOG


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Meta Platforms reported record revenue.", "Meta Platforms"),
        ("The Facebook parent spent $40 billion on data centres.", "Facebook parent"),
        ("Traders bought $META ahead of earnings.", "$META"),
        ("Meta Platforms Inc. (NASDAQ: META) announced a dividend.", "NASDAQ: META"),
        ("Meta (Nasdaq: META) announced a dividend.", "Nasdaq: META"),
        ("META shares rose 4% in premarket trading.", "META"),
    ],
)
def test_company_forms_of_meta(tagger: Tagger, text: str, surface: str) -> None:
    result = tagger.tag(text)

    assert_offsets(text, result)
    mention = next(m for m in result.entities if m.text == surface)
    assert (mention.type, mention.canonical, mention.canonical_id, mention.ticker) == (
        COMPANY, "Meta", "meta", "META")


@pytest.mark.parametrize(
    "text",
    [
        "The meta description of the page was empty.",
        "Traders bought $meta stickers.",
        "A Meta-analysis of 40 trials found no effect.",
        "Add a META tag to the page header.",
    ],
)
def test_meta_as_a_word_is_not_the_company(tagger: Tagger, text: str) -> None:
    assert "meta" not in ids(tagger.tag(text).entities)


def test_ticker_list_and_bare_tickers(tagger: Tagger) -> None:
    text = "Stocks to watch today: NVDA, MSFT and GOOGL. Right now the ARM of the chair broke."
    result = tagger.tag(text)

    assert_offsets(text, result)
    assert ids(of_type(result, COMPANY)) == {"nvidia", "microsoft", "alphabet"}


def test_sub_organisations_carry_their_parent(tagger: Tagger) -> None:
    text = "Google DeepMind and Meta Superintelligence Labs are hiring."
    result = tagger.tag(text)

    parents = {m.canonical_id: (m.parent, m.parent_id) for m in result.entities}
    assert parents["google-deepmind"] == ("Alphabet", "alphabet")
    assert parents["meta-superintelligence-labs"] == ("Meta", "meta")


def test_possessive_owner_is_a_mention_but_a_product_name_is_not(tagger: Tagger) -> None:
    owned = tagger.tag("Meta's Llama models remain popular.")
    product = tagger.tag("The Meta AI assistant answers questions.")

    assert ids(owned.entities) == {"meta", "meta/llama"}
    assert ids(product.entities) == {"meta/meta-ai"}


def test_the_more_specific_name_wins_an_overlap(tagger: Tagger) -> None:
    text = "Anthropic's Claude 3.5 Sonnet beat GPT-4o."
    result = tagger.tag(text)

    assert [(m.text, m.canonical_id) for m in result.entities] == [
        ("Anthropic", "anthropic"),
        ("Claude 3.5 Sonnet", "anthropic/claude-3.5-sonnet"),
        ("GPT-4o", "openai/gpt-4o"),
    ]


# --- the statistical NER ----------------------------------------------------------------------


def test_ner_finds_organisations_the_catalog_lacks(
    rules_tagger: Tagger, ner_tagger: Tagger
) -> None:
    text = "Acme Robotics unveiled its new Vortex reasoning model on Monday."

    with_ner = ner_tagger.tag(text)
    orgs = of_type(with_ner, ORG)
    assert [(m.text, m.canonical_id, m.decided_by) for m in orgs] == [
        ("Acme Robotics", None, DecidedBy.NER)]
    vortex = next(m for m in with_ner.entities if m.text == "Vortex")
    assert (vortex.type, vortex.developer, vortex.developer_id) == (MODEL, "Acme Robotics", None)
    assert of_type(rules_tagger.tag(text), ORG) == []


def test_catalog_overrules_ner_noise(ner_tagger: Tagger, seed_text: str) -> None:
    """The NER calls Muse Spark a PERSON, Instagram a GPE and "AI" an ORG here; the catalog
    wins where it knows the name, and generic terms are never organisations."""
    result = ner_tagger.tag(seed_text)

    assert {m.type for m in result.entities if m.text == "Muse Spark"} == {MODEL}
    assert all(m.text not in {"AI", "Meta’s AI", "Muse Spark"} for m in of_type(result, ORG))
    assert all("Meta" not in m.text for m in of_type(result, ORG))


# --- the API ----------------------------------------------------------------------------------


def test_build_is_quick_and_a_missing_model_is_a_clear_error(catalog: Catalog) -> None:
    started = time.perf_counter()
    Tagger.build(catalog, NlpSettings(ner_model=""))
    assert time.perf_counter() - started < 10

    with pytest.raises(NlpSetupError, match="en_core_web_nonexistent"):
        Tagger.build(catalog, NlpSettings(ner_model="en_core_web_nonexistent"))


def test_modes_report_the_statistical_ner(rules_tagger: Tagger, ner_tagger: Tagger) -> None:
    assert not rules_tagger.uses_statistical_ner
    assert ner_tagger.uses_statistical_ner


def test_tag_many_equals_tag_in_order(tagger: Tagger, seed_text: str) -> None:
    texts = ["OpenAI released GPT-5.", "", seed_text, "Nothing to see here.", "Anthropic's Claude"]

    assert tagger.tag_many(texts) == [tagger.tag(text) for text in texts]
    assert tagger.tag_many([]) == []


def test_results_are_values(tagger: Tagger) -> None:
    result = tagger.tag("Nvidia shares rose 3% after OpenAI signed a deal.")

    assert isinstance(result, TagResult)
    assert all(0.0 < m.confidence <= 1.0 for m in result.entities)
    with pytest.raises(AttributeError):
        result.entities[0].start = 5  # type: ignore[misc]


def test_a_product_the_catalog_lists_is_never_an_organisation(
    ner_tagger: Tagger, catalog: Catalog
) -> None:
    """The small NER labels apps, devices and chips ORG here (WhatsApp, iPhone, MacBook,
    Blackwell Ultra); a catalog company's ``products`` veto exactly those texts, and the
    companies themselves are still found."""
    text = ("Meta is rolling the model out across WhatsApp, Instagram and Messenger, the company "
            "said. Apple will bring its assistant to the iPhone and the MacBook, and Nvidia said "
            "its Blackwell Ultra chips ship in March.")
    result = ner_tagger.tag(text)
    assert of_type(result, ORG) == []
    assert [m.canonical for m in of_type(result, COMPANY)] == ["Meta", "Apple", "Nvidia"]
    products = {product for company in catalog.companies for product in company.products}
    assert {"WhatsApp", "iPhone", "MacBook", "Blackwell Ultra"} <= products
