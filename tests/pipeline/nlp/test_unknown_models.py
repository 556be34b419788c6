"""Models the catalog does not know, found from how news introduces them; with and without a
developer named in the sentence, versions of known families, and the things that are not models
(cars, chips, rockets). Runs in both modes."""

from __future__ import annotations

import pytest

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.short_names import settle_short_names
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
        '"Europe needs frontier models it controls," said the finance chief.',  # a verb, not
        "Acme trains reasoning models for banks and insurers.",  # a description
        "Acme releases V9 model for coding agents.",  # a version alone is not a name
    ],
)
def test_things_that_are_not_unknown_models(tagger: Tagger, text: str) -> None:
    assert unknown_models(tagger.tag(text).entities) == []


def test_a_description_may_hold_a_participle_glued_to_a_word(tagger: Tagger) -> None:
    text = "Its Nimbus custom-built reasoning model runs on a laptop."
    assert [m.text for m in unknown_models(tagger.tag(text).entities)] == ["Nimbus"]


@pytest.mark.parametrize(
    ("text", "owner", "name"),
    [
        ("The system scored close to Google's Gemini 7 Pro on coding tests.", "Google",
         "Gemini 7 Pro"),
        ("Meta's Llama 9 is due next year, the company said.", "Meta", "Llama 9"),
    ],
)
def test_a_possessive_owner_is_not_part_of_a_new_version_s_name(
    tagger: Tagger, text: str, owner: str, name: str
) -> None:
    result = tagger.tag(text)
    assert_offsets(text, result)
    assert [(m.text, m.canonical) for m in unknown_models(result.entities)] == [(name, name)]
    companies = [m.text for m in result.entities if m.type is EntityType.COMPANY]
    assert companies == [owner]


def test_a_new_version_of_a_short_alias_takes_the_record_s_name(tagger: Tagger) -> None:
    """"Opus" is the catalog's alias of Claude Opus: "Opus 7" is Claude Opus 7, as "Opus 4" is
    the catalog's Claude Opus 4; the text stays as written."""
    text = ("Anthropic has begun testing Claude Opus 7 with customers. The company deployed "
            "Opus 7 under its strictest safety protections.")
    found = unknown_models(tagger.tag(text).entities)
    assert [(m.text, m.canonical) for m in found] == [
        ("Claude Opus 7", "Claude Opus 7"), ("Opus 7", "Claude Opus 7")]
    assert {m.developer_id for m in found} == {"anthropic"}


def test_a_model_named_by_its_version_alone_is_the_model_named_in_full(tagger: Tagger) -> None:
    text = ("DeepSeek releases V9 model trained on Huawei chips\n\n"
            "DeepSeek released DeepSeek-V9, an open-weight reasoning model.")
    found = unknown_models(tagger.tag(text).entities)
    assert [(m.text, m.canonical) for m in found] == [
        ("V9", "DeepSeek-V9"), ("DeepSeek-V9", "DeepSeek-V9")]


def _mention(kind: EntityType, text: str, start: int, canonical: str | None = None,
             by: DecidedBy = DecidedBy.PATTERN) -> EntityMention:
    return EntityMention(kind, text, start, start + len(text), canonical or text, decided_by=by)


def test_short_names_link_to_the_nearest_full_name_and_drop_what_is_left() -> None:
    full = _mention(EntityType.MODEL, "DeepSeek-V9", 10)
    catalog = EntityMention(EntityType.MODEL, "Gemini 3 Pro", 40, 52, "Gemini 3 Pro",
                            "google/gemini-3-pro", developer="Google DeepMind")
    mentions = [
        _mention(EntityType.MODEL, "V9", 0),  # the full name comes later: still that model
        full,
        catalog,
        _mention(EntityType.ORG, "V9", 60, by=DecidedBy.NER),  # the NER's ORG on the short name
        _mention(EntityType.MODEL, "3 Pro", 70),  # the tail of a catalog name: its record
        _mention(EntityType.ORG, "Gemini 3 Pro", 80, by=DecidedBy.NER),
        _mention(EntityType.MODEL, "v5", 90),  # a version of nothing named
        _mention(EntityType.MODEL, "Zephyr 2", 100),
    ]
    settled = settle_short_names(mentions)
    assert [(m.text, m.canonical, m.canonical_id) for m in settled] == [
        ("V9", "DeepSeek-V9", None),
        ("DeepSeek-V9", "DeepSeek-V9", None),
        ("Gemini 3 Pro", "Gemini 3 Pro", "google/gemini-3-pro"),
        ("3 Pro", "Gemini 3 Pro", "google/gemini-3-pro"),
        ("Zephyr 2", "Zephyr 2", None),
    ]
    assert settled[3].developer == "Google DeepMind"


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
