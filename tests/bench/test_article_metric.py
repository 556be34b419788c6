"""The re-implemented article-extraction metric reproduces the benchmark's published figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.article_metric import (
    DocumentScore,
    score_document,
    score_documents,
    score_predictions,
    shingles,
    tokenize,
)


def _bodies(path: Path, wrapped: bool) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["output"] if wrapped else data
    return {key: value["articleBody"] for key, value in items.items()}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # (F1, precision, recall, accuracy) as published in the benchmark's README
        ("trafilatura.json", (0.958, 0.938, 0.978, 0.293)),
        ("html-text.json", (0.665, 0.500, 0.994, 0.000)),
    ],
)
def test_published_outputs_score_as_published(
    shared_data: Path, output: str, expected: tuple[float, float, float, float]
) -> None:
    folder = shared_data / "article-extraction-benchmark"
    truth = _bodies(folder / "ground-truth.json", wrapped=False)
    predictions = _bodies(folder / "reference-outputs" / output, wrapped=True)
    score = score_predictions(truth, predictions)
    assert score.documents == 181
    figures = (score.f1, score.precision, score.recall, score.accuracy)
    assert tuple(round(value, 3) for value in figures) == expected


def test_tokens_are_word_runs_and_short_texts_make_one_shingle() -> None:
    assert tokenize("Hello, world! It's 2019.") == ["Hello", "world", "It", "s", "2019"]
    assert shingles(["a", "b"]) == {("a", "b"): 1}
    assert shingles([]) == {}
    assert shingles(tokenize("a b c d a b c d")) == {
        ("a", "b", "c", "d"): 2, ("b", "c", "d", "a"): 1, ("c", "d", "a", "b"): 1,
        ("d", "a", "b", "c"): 1,
    }


def test_document_counts_are_normalised_and_respect_multiplicity() -> None:
    score = score_document("one two three four five", "one two three four one two three four")
    # truth shingles: (1234), (2345); prediction: (1234) x2, (2341), (3412), (4123)
    assert (score.tp, score.fp, score.fn) == pytest.approx((1 / 6, 4 / 6, 1 / 6))
    assert score.precision == pytest.approx(0.2)
    assert score.recall == pytest.approx(0.5)
    assert not score.exact


def test_exact_match_ignores_punctuation_and_whitespace() -> None:
    score = score_document("Hello,  world\nagain and again", "Hello world. Again and again")
    assert not score.exact  # case matters
    assert score_document("Hello,  world\nagain", "Hello world again!").exact


def test_empty_predictions_are_left_out_of_the_precision_average() -> None:
    perfect = score_document("a b c d e", "a b c d e")
    empty = score_document("a b c d e", "")
    total = score_documents([perfect, empty])
    assert total.precision == 1.0
    assert total.recall == 0.5
    assert total.f1 == pytest.approx(2 / 3)
    assert total.accuracy == 0.5
    assert empty == DocumentScore(0.0, 0.0, 1.0, exact=False)


def test_prediction_keys_must_match_the_truth() -> None:
    with pytest.raises(ValueError, match="1 missing"):
        score_predictions({"a": "x", "b": "y"}, {"a": "x"})
