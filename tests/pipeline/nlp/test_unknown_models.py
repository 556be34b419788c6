"""Models the catalog does not know, found from how news introduces them; with and without a
developer named in the sentence, versions of known families, and the things that are not models
(cars, chips, rockets). Runs in both modes."""

from __future__ import annotations

import pytest

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger
from pipeline.nlp.types import DecidedBy, EntityMention, EntityType
from pipeline.nlp.unknown_models import stem_anchors
from tests.pipeline.nlp.helpers import assert_offsets

UNKNOWN = [
    # (text, model name, developer name, developer id)
    ("Meta unveiled Zorblax, a next-generation large language model.", "Zorblax", "Meta", "meta"),
    ("Researchers released Zorblax-2.5-Pro, a new open-weight reasoning model for coding agents.",
     "Zorblax-2.5-Pro", None, None),
    ("OpenAI is preparing its new Quasar reasoning model for enterprise customers.", "Quasar",
     "OpenAI", "openai"),
    ("The lab's next model, code-named Avocado, is due early next year, Meta said.", "Avocado",
     None, None),
    ("Kraken-13B, a model built by Nvidia, tops the open leaderboard.", "Kraken-13B",
     "Nvidia", "nvidia"),
    ("Google is expected to release Gemini 7 later this year, its most capable AI model.",
     "Gemini 7", "Google DeepMind", "google-deepmind"),
    ("OpenAI is training GPT-6 on a new cluster of Nvidia GPUs.", "GPT-6", "OpenAI", "openai"),
    ("DeepSeek released DeepSeek-V4, a new open-weight reasoning model.", "DeepSeek-V4",
     "DeepSeek", "deepseek"),
    ("Anthropic has begun testing Claude Opus 7 with enterprise customers.", "Claude Opus 7",
     "Anthropic", "anthropic"),
]


def unknown_models(mentions: tuple[EntityMention, ...]) -> list[EntityMention]:
    return [m for m in mentions if m.type is EntityType.MODEL and m.canonical_id is None]


@pytest.mark.parametrize(("text", "name", "developer", "developer_id"), UNKNOWN)
def test_unknown_model_and_its_developer(
    tagger: Tagger, text: str, name: str, developer: str | None, developer_id: str | None
) -> None:
    result = tagger.tag(text)

    assert_offsets(text, result)
    found = unknown_models(result.entities)
    assert [m.text for m in found] == [name]
    model = found[0]
    assert (model.canonical, model.decided_by) == (name, DecidedBy.PATTERN)
    assert (model.developer, model.developer_id) == (developer, developer_id)
    assert 0.5 <= model.confidence < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Ford unveiled its new Bronco model, a rugged SUV for off-road driving.",
        "Toyota's new Corolla model gets a hybrid engine.",
        "Nvidia's H200 chips power most new AI models.",
        "SpaceX launched satellites on a Falcon 9 rocket from Cape Canaveral.",
        "The company released Q3 results on Tuesday, and its AI models drew praise.",
        "Samsung unveiled the Galaxy S25 Ultra with Gemini AI features.",
        "Windows 12 will ship with new AI features, Microsoft said.",
        "The Chinese AI model beat its American rivals on benchmarks.",
        "How Large Language Models Work",
        "Apache Spark 4.0 adds a new SQL engine.",
    ],
)
def test_things_that_are_not_unknown_models(tagger: Tagger, text: str) -> None:
    assert unknown_models(tagger.tag(text).entities) == []


def test_catalog_names_are_not_guessed(tagger: Tagger) -> None:
    """Known models introduced the same way keep their catalog record."""
    text = "Meta has officially unveiled Muse Spark, a next-generation large language model."
    result = tagger.tag(text)

    assert unknown_models(result.entities) == []
    assert "meta/muse-spark" in {m.canonical_id for m in result.entities}


def test_unknown_models_can_be_switched_off(catalog: Catalog) -> None:
    tagger = Tagger.build(catalog, NlpSettings(ner_model="", unknown_models=False))
    result = tagger.tag("Meta unveiled Zorblax, a next-generation large language model.")

    assert [m.canonical_id for m in result.entities] == ["meta"]


def test_stem_anchors_mark_family_names_glued_to_a_version() -> None:
    stems = {"gpt": "openai/gpt", "qwen": "alibaba/qwen"}
    text = "GPT-6 and qwen4 beat xGPT-6, v.GPT-7, GPTx-2, Zork-3 and GPT-style models."
    assert [text[start:start + 5] for start in stem_anchors(text, stems)] == ["GPT-6", "qwen4"]
