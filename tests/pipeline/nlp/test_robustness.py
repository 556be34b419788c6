"""Text preparation and bad input: chunking and sentences keep offsets exact; text beyond
``max_text_chars`` is not tagged; empty, binary, huge and foreign text give a clear result
without a crash or a hang."""

from __future__ import annotations

import random
import time
from itertools import pairwise

import pytest

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.chunking import (
    normalise_text,
    plan_chunks,
    prepare_text,
    split_sentences,
    tagged_length,
)
from pipeline.nlp.tagger import Tagger
from pipeline.nlp.types import EntityType, TagResult
from tests.pipeline.nlp.helpers import assert_offsets, ids, of_type

PARAGRAPH = (
    "Meta unveiled Muse Spark on Tuesday. OpenAI and Anthropic were named as rivals, "
    "and Shares of Nvidia rose 2% after the announcement. Dr. Smith, a U.S. analyst, "
    "said Gemini 2.5 Pro still leads.\n\n"
)


# --- text preparation -------------------------------------------------------------------------


def test_normalising_keeps_every_offset() -> None:
    text = "Meta’s “Muse Spark”\u00a0model\u2011family"

    normalised = normalise_text(text)
    assert normalised == "Meta's \"Muse Spark\" model-family"
    assert len(normalised) == len(text)


def test_normalising_replaces_every_look_alike_and_surrogate_one_for_one() -> None:
    quotes = "\u2019\u2018\u201b\u2032\u201c\u201d\u201e\u2033"
    spaces_and_dashes = "\u00a0\u2007\u202f\u2010\u2011"
    wide = "\uff0c\u3001\uff1a\uff1b\uff08\uff09\uff01\uff1f\u3002\ufeff\u200b\u2060"
    text = f"x{quotes}{spaces_and_dashes}{wide}\ud800\u00e9 y"

    assert normalise_text(text) == "x''''" + '""""' + "   --,,:;()!?.   \ufffd\u00e9 y"
    assert normalise_text("plain ASCII text") == "plain ASCII text"

def test_sentences_split_at_ends_and_line_breaks_not_abbreviations() -> None:
    text = "Dr. Smith met Mr. Jones in the U.S. on Friday. Meta rose 3.5%!\nA headline\nNext one."

    spans = split_sentences(text)
    assert [text[start:end] for start, end in spans] == [
        "Dr. Smith met Mr. Jones in the U.S. on Friday.",
        "Meta rose 3.5%!",
        "A headline",
        "Next one.",
    ]


def test_a_legal_suffix_before_a_ticker_does_not_end_the_sentence() -> None:
    text = "Microsoft Corp. (MSFT) gained 0.9% today. The deal closed with Apple Inc. Shares rose."

    spans = split_sentences(text)
    assert [text[start:end] for start, end in spans] == [
        "Microsoft Corp. (MSFT) gained 0.9% today.",
        "The deal closed with Apple Inc.",  # before a capital it may end one: it does here
        "Shares rose.",
    ]


def test_chunks_cover_the_text_and_end_at_boundaries() -> None:
    text = PARAGRAPH * 40

    chunks = plan_chunks(text, 1000)
    assert chunks[0][0] == 0
    assert chunks[-1][1] == len(text)
    assert all(end == next_start for (_, end), (next_start, _) in pairwise(chunks))
    assert all(end - start <= 1000 for start, end in chunks)
    assert all(text[end - 2 : end] == "\n\n" for _, end in chunks[:-1])


def test_chunks_of_text_without_breaks_are_still_bounded() -> None:
    text = "x" * 5000

    assert plan_chunks(text, 1000) == tuple((i, i + 1000) for i in range(0, 5000, 1000))


def test_text_beyond_the_limit_is_cut_at_a_space() -> None:
    text = "word " * 5000

    assert tagged_length(text, 10_000) <= 10_000
    assert text[tagged_length(text, 10_000)] == " "
    assert tagged_length("short", 10_000) == 5


def test_prepared_sentences_lie_inside_chunks() -> None:
    prepared = prepare_text(PARAGRAPH * 30, max_chunk_chars=1000, max_text_chars=10_000)

    assert len(prepared.chunks) > 1
    for start, end in prepared.sentences:
        assert any(c_start <= start and end <= c_end for c_start, c_end in prepared.chunks)


# --- long texts through the tagger ------------------------------------------------------------


@pytest.fixture(scope="module")
def small_chunks_tagger(catalog: Catalog) -> Tagger:
    return Tagger.build(
        catalog, NlpSettings(ner_model="", max_chunk_chars=1000, max_text_chars=10_000)
    )


def test_chunked_text_keeps_exact_offsets(small_chunks_tagger: Tagger) -> None:
    text = PARAGRAPH * 40  # about 8,000 characters: eight chunks of 1,000

    result = small_chunks_tagger.tag(text)
    assert_offsets(text, result)
    sparks = [m for m in result.entities if m.canonical_id == "meta/muse-spark"]
    assert [m.start for m in sparks] == [
        i * len(PARAGRAPH) + PARAGRAPH.index("Muse Spark") for i in range(40)
    ]
    assert len(result.stock_reactions) in (0, 40)


def test_text_beyond_max_text_chars_is_not_tagged(small_chunks_tagger: Tagger) -> None:
    text = PARAGRAPH * 100  # about 20,000 characters; only the first 10,000 are tagged

    result = small_chunks_tagger.tag(text)
    assert_offsets(text, result)
    assert result.entities
    assert max(m.end for m in result.entities) <= 10_000
    assert all(r.end <= 10_000 for r in result.stock_reactions)


# --- bad input --------------------------------------------------------------------------------


def _binary_junk(size: int) -> str:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(size)).decode("latin-1")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t  ",
        "\x00" * 1000,
        "a" * 50_000,
        "🤖" * 2000 + " Meta",
        "\ud800 Meta \udfff",
        "\ufeffMeta said so.",
        "The weather was mild and the garden needed water all week.",
    ],
    ids=["empty", "whitespace", "nul", "one-long-word", "emoji", "lone-surrogates", "bom",
         "no-entities"],
)
def test_degenerate_text_gives_a_clear_result(tagger: Tagger, text: str) -> None:
    result = tagger.tag(text)

    assert isinstance(result, TagResult)
    assert_offsets(text, result)
    assert all(m.canonical_id == "meta" for m in result.entities)


def test_binary_junk(tagger: Tagger) -> None:
    text = _binary_junk(30_000) + " OpenAI released GPT-4o. " + _binary_junk(3000)

    result = tagger.tag(text)
    assert_offsets(text, result)
    assert {"openai", "openai/gpt-4o"} <= ids(result.entities)


def test_five_megabytes_are_cut_and_fast(catalog: Catalog) -> None:
    tagger = Tagger.build(catalog, NlpSettings(ner_model="", max_text_chars=200_000))
    text = PARAGRAPH * (5_000_000 // len(PARAGRAPH))

    started = time.perf_counter()
    result = tagger.tag(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 15
    assert_offsets(text, result)
    assert max(m.end for m in result.entities) <= 200_000
    assert len(of_type(result, EntityType.MODEL)) > 500


def test_five_megabytes_of_junk_with_default_limits(rules_tagger: Tagger) -> None:
    text = _binary_junk(50_000) * 100

    started = time.perf_counter()
    result = rules_tagger.tag(text)
    assert time.perf_counter() - started < 30
    assert_offsets(text, result)


@pytest.mark.parametrize(
    "text",
    [
        "Die Bundesregierung hat am Dienstag in Berlin ein neues Gesetz zur Regulierung der "
        "künstlichen Intelligenz vorgestellt, sagte der Sprecher der Regierung vor der Presse. "
        "Auch Meta und OpenAI müssen sich an die neuen Regeln halten, hieß es weiter.",
        "人工智能公司在北京发布了新的大型语言模型，Meta 和 OpenAI 也在关注这一市场的发展。",
    ],
    ids=["german", "chinese"],
)
def test_another_language(tagger: Tagger, text: str) -> None:
    """Catalog names are language-independent; NER organisations and English patterns are
    not produced for text that does not look English."""
    result = tagger.tag(text)

    assert_offsets(text, result)
    assert {"meta", "openai"} <= ids(result.entities)
    assert of_type(result, EntityType.ORG) == []
    assert all(m.canonical_id is not None for m in result.entities)


def test_many_texts_in_one_call(tagger: Tagger) -> None:
    texts = [f"Article {i}: OpenAI and Meta compete. " * 3 for i in range(100)]

    results = tagger.tag_many(texts)
    assert len(results) == 100
    assert all(ids(r.entities) == {"openai", "meta"} for r in results)
