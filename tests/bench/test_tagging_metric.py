"""The tagging development set is valid and agrees with the catalog; the scorer counts right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.tagging_devset import (
    DEVSET,
    NEGATIVE,
    catalog_problems,
    composition,
    fill_offsets,
    locate,
)
from bench.tagging_metric import (
    ENTITY_TYPES,
    STOCK,
    Annotation,
    Counts,
    DevsetError,
    EntitySpan,
    GoldSentence,
    Reaction,
    load_devset,
    name_key,
    score_devset,
    score_sentence,
)
from config.catalog import Catalog, load_catalog
from config.loading import ConfigError

# --- the development set -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def devset() -> list[GoldSentence]:
    return load_devset(DEVSET)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    try:
        return load_catalog()
    except ConfigError as error:  # the catalog's own tests report this
        pytest.skip(f"the entity catalog does not load: {error}")


def test_every_line_is_an_annotated_sentence_whose_offsets_slice_its_text() -> None:
    lines = DEVSET.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines), "no blank lines"
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        assert set(record) == {"id", "text", "entities", "stock_reactions", "tags"}, number
        text = record["text"]
        for entity in record["entities"]:
            assert entity["type"] in ENTITY_TYPES, (number, entity)
            assert text[entity["start"] : entity["end"]] == entity["text"], (number, entity)
            assert entity["text"] == entity["text"].strip(), (number, entity)
        for reaction in record["stock_reactions"]:
            assert reaction["direction"] in {"up", "down", "flat"}, (number, reaction)


def test_the_devset_passes_the_scorers_validation(devset: list[GoldSentence]) -> None:
    assert [sentence.id for sentence in devset] == [f"s{n:03d}" for n in range(1, len(devset) + 1)]


def test_the_devset_is_large_enough_and_has_hard_negatives(devset: list[GoldSentence]) -> None:
    counts = composition(devset)
    assert counts["sentences"] >= 150
    assert counts[f"tag:{NEGATIVE}"] >= 40
    assert counts["MODEL"] >= 100
    assert counts["COMPANY"] >= 150
    assert counts["ORG"] >= 30
    assert counts[STOCK] >= 50
    assert counts["sentences with nothing to find"] >= 40
    assert all(counts[f"STOCK {direction}"] for direction in ("up", "down", "flat"))


def test_names_agree_with_the_catalog(devset: list[GoldSentence], catalog: Catalog) -> None:
    assert catalog_problems(devset, catalog) == []


def test_tags_agree_with_the_annotation(devset: list[GoldSentence], catalog: Catalog) -> None:
    models = {model.name for model in catalog.models}
    for sentence in devset:
        gold, tags = sentence.gold, set(sentence.tags)
        unknown_model = any(e.type == "MODEL" and e.canonical not in models for e in gold.entities)
        assert ("stock" in tags) == bool(gold.stock_reactions), sentence.id
        assert ("unknown-org" in tags) == any(e.type == "ORG" for e in gold.entities), sentence.id
        assert ("unknown-model" in tags) == unknown_model, sentence.id


def test_catalog_problems_name_each_disagreement(catalog: Catalog) -> None:
    text = "Meta and OpenAI launched Llama 4 and Foo-9; Zeta rose."
    sentence = GoldSentence("x1", text, Annotation(
        entities=(
            EntitySpan("COMPANY", 0, 4, "Meta", "Meta Platforms"),  # an alias, not the name
            EntitySpan("ORG", 9, 15, "OpenAI", "OpenAI"),  # a catalog company
            EntitySpan("MODEL", 25, 32, "Llama 4", "Llama 4"),
            EntitySpan("MODEL", 37, 42, "Foo-9", "Foo-9"),  # unknown: fine
        ),
        stock_reactions=(Reaction("Zeta", "up", None),),
    ))
    problems = catalog_problems([sentence], catalog)
    assert len(problems) == 3
    assert "'Meta Platforms' is not the name" in problems[0]
    assert "ORG 'OpenAI' is a catalog company" in problems[1]
    assert "'Zeta'" in problems[2]


# --- the annotation helper ---------------------------------------------------------------------


def test_locate_finds_whole_words_after_the_cursor() -> None:
    text = "Metaverse plans: Meta said Meta AI would"
    assert locate(text, "Meta") == (17, 21)
    assert locate(text, "Meta", 21) == (27, 31)
    with pytest.raises(DevsetError, match="not found"):
        locate(text, "Meta", 31)


def test_fill_offsets_keeps_given_offsets_and_finds_the_rest_in_order() -> None:
    record: dict[str, object] = {
        "id": "s1", "text": "$META rose; Meta said.", "stock_reactions": [], "tags": [],
        "entities": [
            {"type": "COMPANY", "text": "$META", "canonical": "Meta"},
            {"type": "COMPANY", "text": "Meta", "canonical": "Meta", "start": 12, "end": 16},
        ],
    }
    filled = fill_offsets(record)
    assert filled["entities"] == [
        {"type": "COMPANY", "start": 0, "end": 5, "text": "$META", "canonical": "Meta"},
        {"type": "COMPANY", "start": 12, "end": 16, "text": "Meta", "canonical": "Meta"},
    ]


def test_load_devset_reports_every_bad_line(tmp_path: Path) -> None:
    good = {"id": "a", "text": "Meta rose.", "tags": [],
            "entities": [{"type": "COMPANY", "start": 0, "end": 4, "text": "Meta",
                          "canonical": "Meta"}],
            "stock_reactions": [{"company": "Meta", "direction": "up", "magnitude_pct": None}]}
    shifted = {**good, "id": "b",
               "entities": [{"type": "COMPANY", "start": 1, "end": 5, "text": "Meta",
                             "canonical": "Meta"}]}
    sideways = {**good, "id": "c",
                "stock_reactions": [{"company": "Meta", "direction": "sideways",
                                     "magnitude_pct": 2}]}
    path = tmp_path / "dev.jsonl"
    lines = [json.dumps(good), json.dumps(shifted), "{not json", json.dumps(sideways),
             json.dumps(good)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DevsetError) as caught:
        load_devset(path)
    message = str(caught.value)
    assert "line 2 (b): offsets slice 'eta ', not 'Meta'" in message
    assert "line 3:" in message
    assert "line 4 (c): direction must be one of" in message
    assert "a: duplicate id" in message


# --- the scorer --------------------------------------------------------------------------------


def span(kind: str, start: int, end: int, canonical: str) -> EntitySpan:
    return EntitySpan(kind, start, end, canonical, canonical)


def test_a_perfect_prediction_scores_one() -> None:
    gold = Annotation((span("MODEL", 0, 5, "GPT-5"),), (Reaction("Meta", "up", 4.0),))
    score = score_sentence(gold, gold)
    for label in ("MODEL", STOCK):
        assert (score.counts[label].precision, score.counts[label].recall) == (1.0, 1.0)
        assert score.counts[label].f1 == 1.0
    assert (score.magnitudes_checked, score.magnitudes_correct) == (1, 1)
    assert score.false_positives == score.false_negatives == ()


def test_entities_match_on_type_and_canonical_name_with_overlapping_spans() -> None:
    gold = Annotation((
        span("MODEL", 0, 5, "Muse Spark"),
        span("COMPANY", 10, 15, "Meta"),
        span("COMPANY", 20, 25, "OpenAI"),
    ))
    predicted = Annotation((
        span("MODEL", 2, 7, "muse spark"),  # overlaps, case differs: TP
        span("COMPANY", 30, 35, "Meta"),  # right name, no overlap: FP (and the gold one FN)
        span("COMPANY", 20, 25, "OpenAI"),  # TP
        span("ORG", 40, 45, "Acme"),  # FP
    ))
    score = score_sentence(gold, predicted)
    assert score.counts["MODEL"] == Counts(tp=1)
    assert score.counts["COMPANY"] == Counts(tp=1, fp=1, fn=1)
    assert score.counts["ORG"] == Counts(fp=1)
    assert score.counts["COMPANY"].precision == 0.5
    assert score.counts["COMPANY"].recall == 0.5
    assert score.counts["ORG"].f1 == 0.0
    assert score.false_positives == (span("COMPANY", 30, 35, "Meta"), span("ORG", 40, 45, "Acme"))
    assert score.false_negatives == (span("COMPANY", 10, 15, "Meta"),)


def test_wrong_type_wrong_name_and_touching_spans_do_not_match() -> None:
    gold = Annotation((span("MODEL", 0, 6, "Gemini"), span("COMPANY", 10, 16, "Google")))
    predicted = Annotation((
        span("COMPANY", 0, 6, "Gemini"),  # wrong type
        span("COMPANY", 10, 16, "Alphabet"),  # wrong canonical name
        span("COMPANY", 16, 20, "Google"),  # touches the gold span, shares no character
    ))
    score = score_sentence(gold, predicted)
    assert score.counts["MODEL"] == Counts(fn=1)
    assert score.counts["COMPANY"] == Counts(fp=3, fn=1)


def test_a_gold_mention_is_matched_once() -> None:
    gold = Annotation((span("COMPANY", 0, 4, "Meta"),))
    predicted = Annotation((span("COMPANY", 0, 4, "Meta"), span("COMPANY", 2, 4, "Meta")))
    assert score_sentence(gold, predicted).counts["COMPANY"] == Counts(tp=1, fp=1)


def test_names_compare_without_case_article_or_possessive() -> None:
    assert name_key("The New York Times") == name_key("new york times")
    assert name_key("OpenAI’s") == name_key("OpenAI's") == name_key("openai")
    assert name_key("Meta  AI") == "meta ai"
    assert name_key("Meta") != name_key("Meta AI")


def test_stock_reactions_match_on_company_and_direction() -> None:
    gold = Annotation(stock_reactions=(
        Reaction("Meta", "up", 4.0), Reaction("Nvidia", "down", 3.2), Reaction("AMD", "flat"),
    ))
    predicted = Annotation(stock_reactions=(
        Reaction("meta", "up", 4.0),  # TP, size right
        Reaction("Nvidia", "up", 3.2),  # wrong direction: FP, and Nvidia down is FN
        Reaction("AMD", "flat", 1.0),  # TP; gold states no size, so nothing to check
        Reaction("Intel", "down", None),  # FP
    ))
    score = score_sentence(gold, predicted)
    assert score.counts[STOCK] == Counts(tp=2, fp=2, fn=1)
    assert (score.magnitudes_checked, score.magnitudes_correct) == (1, 1)
    assert [str(item) for item in score.false_negatives] == ["STOCK Nvidia down 3.2%"]


def test_magnitudes_are_checked_apart_from_the_match() -> None:
    gold = Annotation(stock_reactions=(
        Reaction("Meta", "up", 4.0), Reaction("Alphabet", "down", 0.8),
        Reaction("Nvidia", "down", 3.2),
    ))
    predicted = Annotation(stock_reactions=(
        Reaction("Meta", "up", 4.5), Reaction("Alphabet", "down", None),
        Reaction("Nvidia", "down", 3.24),
    ))
    score = score_sentence(gold, predicted)
    assert score.counts[STOCK] == Counts(tp=3)
    assert (score.magnitudes_checked, score.magnitudes_correct) == (3, 1)


def test_a_reaction_prefers_the_gold_reaction_with_its_magnitude() -> None:
    gold = Annotation(stock_reactions=(Reaction("Meta", "up", 2.0), Reaction("Meta", "up", 5.0)))
    predicted = Annotation(stock_reactions=(Reaction("Meta", "up", 5.0),))
    score = score_sentence(gold, predicted)
    assert score.counts[STOCK] == Counts(tp=1, fn=1)
    assert score.magnitudes_correct == 1
    assert score.false_negatives == (Reaction("Meta", "up", 2.0),)


def test_a_company_key_compares_reactions_by_listed_company() -> None:
    gold = Annotation(stock_reactions=(Reaction("Google", "up", 3.0),))
    predicted = Annotation(stock_reactions=(Reaction("Alphabet", "up", 3.0),))
    assert score_sentence(gold, predicted).counts[STOCK] == Counts(fp=1, fn=1)
    listed = {"google": "alphabet"}

    def key(name: str) -> str:
        return listed.get(name_key(name), name_key(name))

    assert score_sentence(gold, predicted, key).counts[STOCK] == Counts(tp=1)


def test_counts_are_summed_over_sentences_not_averaged() -> None:
    first = GoldSentence("a", "x", Annotation((span("MODEL", 0, 1, "A"),)))
    second = GoldSentence("b", "y", Annotation())
    predictions = [
        Annotation((span("MODEL", 0, 1, "A"),)),
        Annotation((span("MODEL", 0, 1, "B"), span("MODEL", 0, 1, "C"), span("ORG", 0, 1, "D"))),
    ]
    total, per_sentence = score_devset([first, second], predictions)
    assert total.sentences == 2
    assert total.of("MODEL") == Counts(tp=1, fp=2)
    assert total.of("MODEL").precision == pytest.approx(1 / 3)  # a macro-average would say 0.5
    assert total.of("MODEL").recall == 1.0
    assert total.entities == Counts(tp=1, fp=3)
    assert total.entities.f1 == pytest.approx(2 * 0.25 * 1.0 / 1.25)
    assert per_sentence[1].counts["ORG"] == Counts(fp=1)


def test_empty_counts_score_zero_and_lengths_must_match() -> None:
    assert (Counts().precision, Counts().recall, Counts().f1) == (0.0, 0.0, 0.0)
    assert Counts(tp=1, fp=1) + Counts(fn=2) == Counts(1, 1, 2)
    with pytest.raises(ValueError, match="1 predictions for 2 sentences"):
        sentence = GoldSentence("a", "x", Annotation())
        score_devset([sentence, sentence], [Annotation()])
