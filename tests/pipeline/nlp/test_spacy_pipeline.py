"""The tagger's rulers: the same matches, in the same order, as spaCy's ``SpanRuler``."""

from __future__ import annotations

from typing import Any

import spacy

from config.catalog import Catalog
from pipeline.nlp.catalog_patterns import build_name_table
from pipeline.nlp.spacy_pipeline import RulerSpec, build_language, ruler_matches

TEXT = (
    "Meta Platforms said Meta's Muse Spark beats Claude 3.5 Sonnet and claude-3.5-sonnet; "
    "Apache Spark, $META and Nasdaq: META rose while Google DeepMind and Gemini 2.5 Pro lagged."
)


def _span_ruler(patterns: tuple[Any, ...]) -> Any:
    nlp = spacy.blank("en")
    config = {"spans_key": "expected", "phrase_matcher_attr": "LOWER", "overwrite": True,
              "scorer": None}
    ruler: Any = nlp.add_pipe("span_ruler", config=config)
    ruler.add_patterns([dict(pattern) for pattern in patterns])
    return nlp


def test_offset_ruler_keeps_the_span_rulers_matches_in_its_order(catalog: Catalog) -> None:
    patterns = build_name_table(catalog).patterns
    ours = build_language("", (RulerSpec("catalog_ruler", "catalog", "LOWER", patterns),),
                          max_chunk_chars=10_000)
    doc = _span_ruler(patterns)(TEXT)
    expected = [(span.label_, span.id_, span.start, span.end) for span in doc.spans["expected"]]
    found = ruler_matches(ours(TEXT), "catalog")
    assert len(expected) > 10  # overlapping candidates included
    assert found == expected


def test_no_matches_without_the_ruler() -> None:
    assert ruler_matches(spacy.blank("en")("Meta rose."), "catalog") == []
