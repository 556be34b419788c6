"""Names that are also ordinary words or other things: each trap both ways, in both modes.

Each case is a sentence, the catalog id that must be tagged (or ``None``) and the ids that must
not be. The sentences are written for these tests, not taken from the development set.
"""

from __future__ import annotations

import pytest

from pipeline.nlp.disambiguation import Evidence, decide
from pipeline.nlp.facts import Context, Hit
from pipeline.nlp.tagger import Tagger
from tests.pipeline.nlp.helpers import assert_offsets, ids

GEMINI, CLAUDE, LLAMA, SPARK = "google/gemini", "anthropic/claude", "meta/llama", "meta/muse-spark"

TRAPS = [
    # Gemini: the model vs the zodiac sign and the space programme
    ("Google's Gemini can now summarise your inbox.", GEMINI, set()),
    ("Gemini 7 is expected next year, Google told developers.", "google", {GEMINI}),
    ("The Gemini app now drafts emails for its users.", GEMINI, set()),
    ("Horoscope for Gemini: expect a surprise at work this week.", None, {GEMINI}),
    ("Gemini is an air sign, and people born under the Gemini zodiac sign are curious.",
     None, {GEMINI}),
    # Claude: the model vs people
    ("Anthropic said Claude now supports longer context windows for coding agents.", CLAUDE,
     set()),
    ("Users of Claude and ChatGPT asked for cheaper plans.", CLAUDE, set()),
    ("Claude, the chatbot made by Anthropic, refused the request.", CLAUDE, set()),
    ("Claude Monet painted water lilies at Giverny.", None, {CLAUDE}),
    ("Claude said he would repaint the garden next spring.", None, {CLAUDE}),
    ("Mr. Claude Dupont was elected mayor of the village.", None, {CLAUDE}),
    # Apple: the company vs the fruit
    ("Apple shares fell 2% after the iPhone maker delayed its Siri upgrade.", "apple", set()),
    ("Apple is also working on its own AI models for Siri.", "apple", set()),
    ("I baked an apple pie with fresh apples from the orchard.", None, {"apple"}),
    ("Apple pie sales surged during the holidays, bakers said.", None, {"apple"}),
    # Llama: the model family vs the animal
    ("Unlike earlier efforts such as Llama, Meta's new model is closed.", LLAMA, set()),
    ("Farmers in Peru raise llama and alpaca herds for wool.", None, {LLAMA}),
    ("The Llama grazed in the Andes pasture next to an alpaca.", None, {LLAMA}),
    # Spark: Muse Spark (an alias needing context) vs Apache Spark
    ("Meta's Spark model is now available in the Meta AI app.", SPARK, set()),
    ("Our data team runs Apache Spark jobs on a Hadoop cluster.", None, {SPARK}),
    ("Apache Spark 4.0 adds a new SQL engine.", None, {SPARK}),
    # Others: rivers, sign-language of markets, people, a sentence adverb
    ("The Amazon river carries more water than any other river.", None, {"amazon"}),
    ("Deforestation in the Amazon rainforest fell 11% last year.", None, {"amazon"}),
    ("Amazon Web Services said Bedrock now offers Claude and Llama models.", "aws", set()),
    ("Arm shares jumped 5% after the chip designer beat estimates.", "arm", set()),
    ("He hurt his arm playing tennis.", None, {"arm"}),
    ("Together, these features make the product more than a conversational AI.", None,
     {"together-ai"}),
    ("Together AI raised $305 million to expand its GPU cloud.", "together-ai", set()),
    ("Perplexity, Mistral and Cohere are rivals of OpenAI.", "perplexity", set()),
    ("The perplexity of the model dropped during training.", None, {"perplexity"}),
    ("Economists at the Bank for International Settlements (BIS) warned about AI.", None,
     {"bis"}),
    ("The CAC 40 slipped 0.4% in Paris.", None, {"cac"}),
    ("Shakespeare's Sonnet 18 compares the beloved to a summer's day.", None,
     {"anthropic/claude-sonnet"}),
    ("SpaceX launched satellites on a Falcon 9 rocket.", None, {"tii/falcon"}),
    # "model" of a car: no unknown model, no catalog model
    ("She bought a new Ford model with a hybrid engine and leather seats.", None, set()),
    # "AI" alone is never an entity
    ("AI is changing everything, and AI companies know it.", None, set()),
]


@pytest.mark.parametrize(("text", "expected", "forbidden"), TRAPS)
def test_trap(tagger: Tagger, text: str, expected: str | None, forbidden: set[str]) -> None:
    result = tagger.tag(text)

    assert_offsets(text, result)
    found = ids(result.entities)
    if expected is not None:
        assert expected in found
    assert not found & forbidden
    assert all(m.text.strip() != "AI" for m in result.entities)
    if expected is None and not forbidden:
        assert [m for m in result.entities if m.canonical_id is not None] == []


def test_ambiguous_model_in_an_article_naming_its_developer(tagger: Tagger) -> None:
    """Evidence from elsewhere in the article: Anthropic is named two paragraphs earlier."""
    text = (
        "Anthropic released a new version of its assistant on Tuesday.\n\n"
        "Early testers said the update was fast.\n\n"
        "Most of them now use Claude for writing code and reviewing pull requests."
    )

    assert CLAUDE in ids(tagger.tag(text).entities)


def _hit(**context: object) -> Hit:
    return Hit(0, 6, "Claude", CLAUDE, "model", "name", needs_context=True, sentence=0,
               context=Context(**context))  # type: ignore[arg-type]


def test_decide_rules_as_data() -> None:
    """The rule order: vetoes, strong evidence, other readings, topicality, weak evidence."""
    assert not decide(_hit(name_continues=True, strong_cue=True), Evidence()).accepted
    assert decide(_hit(strong_cue=True, off_topic=True), Evidence()).accepted
    assert decide(_hit(), Evidence(group_in_sentence=True)).accepted
    assert not decide(_hit(off_topic=True, ai_words=3), Evidence()).accepted
    assert not decide(_hit(weak_cue=True), Evidence()).accepted
    assert decide(_hit(weak_cue=True, ai_words=1), Evidence()).accepted
    assert decide(_hit(ai_words=1), Evidence()).accepted
    assert not decide(_hit(ai_words=1, sentence_initial=True), Evidence()).accepted
    assert not decide(_hit(ai_words=3, stop_word=True), Evidence()).accepted
    plain = Hit(0, 4, "Meta", "meta", "company", "name", needs_context=False, sentence=0)
    assert decide(plain, Evidence()).confidence == 1.0


SPARK_AND_MUSE_SPARK = (
    "Databricks released a coding agent for Apache Spark, the open-source data engine.\n\n"
    "Called Spark Copilot, it reads a request in plain English and writes Spark code and "
    "tests for it.\n\n"
    "The agent can pick its model: Anthropic's Claude or Meta's Muse Spark, the model Meta "
    "released last week.\n\n"
    "Apache Spark 4.2, due in the spring, adds faster joins; engineers at Databricks say "
    "most jobs in Spark are still written by hand."
)


def test_short_alias_loses_where_the_article_uses_the_word_in_another_name(
    tagger: Tagger,
) -> None:
    """"Spark" stands in other names here (Apache Spark, Spark Copilot): only the full name
    "Muse Spark" is Meta's model, though Meta and Muse Spark are both named; no version guess
    "Spark 4.2" is made Meta's "Muse Spark 4.2" either."""
    result = tagger.tag(SPARK_AND_MUSE_SPARK)

    assert_offsets(SPARK_AND_MUSE_SPARK, result)
    sparks = [m for m in result.entities if m.canonical_id == SPARK]
    assert [m.text for m in sparks] == ["Meta's Muse Spark"]
    assert not [m for m in result.entities if "Spark 4.2" in m.text or "Spark 4.2" in m.canonical]
    assert {"anthropic/claude", "databricks"} <= ids(result.entities)


def test_short_alias_needs_evidence_for_its_model(tagger: Tagger) -> None:
    """A bare "Spark" in an AI sentence of an article that never names Meta or Muse Spark is
    not Meta's model: topicality alone does not make a model's short alias count."""
    text = (
        "Databricks said its new runtime makes Spark faster for AI training and inference "
        "on GPUs."
    )

    assert SPARK not in ids(tagger.tag(text).entities)


SHORT_ALIAS_DROPPED = [
    # another name's first word at the sentence start, a version after it
    "Apache Spark 4.1 added streaming features for AI workloads.",
    # a version after it, but in a data-engineering sentence
    "Our team upgraded to Spark 4.1 to speed up ETL jobs for the AI platform.",
]


@pytest.mark.parametrize("text", SHORT_ALIAS_DROPPED)
def test_short_alias_in_another_name_or_reading(tagger: Tagger, text: str) -> None:
    result = tagger.tag(text)

    assert SPARK not in ids(result.entities)
    assert not [m for m in result.entities if "Muse Spark" in m.canonical]


SHORT_ALIAS_KEPT = [
    # the developer named in the article, no other name built on the word
    "Meta released Muse Spark on Tuesday.\n\nEarly testers said Spark handled long documents "
    "well and rarely refused a request.",
    # the developer in the sentence outweighs another name elsewhere in the article
    "Unlike Apache Spark, the data engine, Meta's new Spark model reasons over images.",
    # a model word beside the short alias, with the word used in another name elsewhere
    "Apache Spark powers our data platform.\n\nWe also tested Meta's models: the Spark model "
    "answered most questions.",
    # another catalog model in the sentence
    "In coding tests, Spark scored higher than Gemini 3 Pro and GPT-5.",
]


@pytest.mark.parametrize("text", SHORT_ALIAS_KEPT)
def test_short_alias_with_evidence_for_its_model_counts(tagger: Tagger, text: str) -> None:
    assert SPARK in ids(tagger.tag(text).entities)


def test_short_alias_with_a_version_is_a_version_of_its_model(tagger: Tagger) -> None:
    """A version after a short alias fits a model ("Opus 5" is Claude Opus 5), without the
    developer named."""
    result = tagger.tag("Opus 5 beat GPT-5.5 on most coding benchmarks.")

    assert "Claude Opus 5" in {m.canonical for m in result.entities}


def _short_alias(**context: object) -> Hit:
    return Hit(0, 5, "Spark", SPARK, "model", "name", needs_context=True, sentence=0,
               short_alias=True, context=Context(**context))  # type: ignore[arg-type]


def test_decide_short_alias_rules_as_data() -> None:
    """A model's short alias counts on evidence for its model, never on topicality alone, and
    the article using the word in another name overrules evidence from the article."""
    assert not decide(_short_alias(ai_words=3), Evidence(catalog_in_sentence=True)).accepted
    assert decide(_short_alias(ai_words=1, weak_cue=True), Evidence()).accepted
    assert decide(_short_alias(ai_words=1), Evidence(group_in_article=True)).accepted
    in_other_name = Evidence(group_in_article=True, word_in_other_name=True)
    assert not decide(_short_alias(ai_words=3), in_other_name).accepted
    assert decide(_short_alias(ai_words=1, weak_cue=True), in_other_name).accepted
    in_sentence = Evidence(group_in_sentence=True, word_in_other_name=True)
    assert decide(_short_alias(), in_sentence).accepted
    assert not decide(_hit(ai_words=3), Evidence(word_in_other_name=True)).accepted
    assert decide(_short_alias(ai_words=1), Evidence(model_in_sentence=True)).accepted


def test_sentence_initial_company_with_a_company_verb_in_an_article_naming_it(
    tagger: Tagger,
) -> None:
    """At a sentence start an ambiguous company name has only the sentence's capital; the same
    company found elsewhere in the article and a verb a company takes ("declined", "did not")
    make it the company."""
    text = (
        "Amazon Web Services will open a new AI region in Ohio, Amazon said on Monday.\n\n"
        "The site needs 300 megawatts.\n\n"
        "Amazon declined to say what the site would cost. Amazon did not name its suppliers."
    )
    result = tagger.tag(text)

    amazons = [m for m in result.entities if m.canonical_id == "amazon"]
    assert [m.start for m in amazons] == [
        text.index("Amazon said"), text.index("Amazon declined"), text.index("Amazon did")
    ]


SENTENCE_INITIAL_KEPT_OUT = [
    # the river: words of another reading in the sentence
    "Amazon said on Monday it would build a data centre in Brazil.\n\nAmazon did not flood the "
    "river towns this year, the rainforest agency said.",
    # a function word: no company verb can make "Together" a name at a sentence start
    "Together AI raised $305 million.\n\nTogether, these features make the product more than "
    "a chatbot. Together did not help.",
    # the company is named nowhere else in the article
    "Amazon did not flood the plains this year.",
    # food
    "Apple said it would open a store in Paris.\n\nApple pie did well at the fair.",
]


@pytest.mark.parametrize("text", SENTENCE_INITIAL_KEPT_OUT)
def test_sentence_initial_name_of_another_reading_stays_out(tagger: Tagger, text: str) -> None:
    result = tagger.tag(text)

    second = text.index("\n\n") + 2 if "\n\n" in text else 0
    assert [m for m in result.entities if m.start >= second and m.canonical_id] == []


def test_decide_sentence_initial_company_rules_as_data() -> None:
    """The record named elsewhere and a company verb accept a sentence-initial company; neither
    alone does, nor does it beat words of another reading."""
    def company(**context: object) -> Hit:
        return Hit(0, 6, "Amazon", "amazon", "company", "name", needs_context=True, sentence=0,
                   context=Context(sentence_initial=True, **context))  # type: ignore[arg-type]

    named = Evidence(group_in_article=True, record_in_article=True)
    assert decide(company(company_verb=True), named).accepted
    assert not decide(company(company_verb=True), Evidence(group_in_article=True)).accepted
    assert not decide(company(), named).accepted
    assert not decide(company(company_verb=True, off_topic=True), named).accepted
