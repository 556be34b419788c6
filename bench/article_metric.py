"""The article-body metric of the Zyte/ScrapingHub article-extraction benchmark, re-implemented.

Used by ``bench/extraction.py`` to score ``pipeline.extraction`` against the benchmark's ground
truth. The rules (see the data folder's NOTICE.md): a text becomes its ``\\w+`` tokens, then a
multiset of word 4-gram shingles; per document, TP/FP/FN are counted over shingles and
normalised to sum to one; precision and recall are macro-averaged over the documents where they
are defined; F1 is taken from the averaged precision and recall; accuracy is the share of
documents whose token lists are identical.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")

Shingle = tuple[str, ...]


@dataclass(frozen=True)
class DocumentScore:
    """Normalised shingle counts of one document (``tp + fp + fn`` is 1, or all are 0)."""

    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float:
        """TP/(TP+FP); 1 when nothing was wrong or missing, 0 when nothing was predicted."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """TP/(TP+FN); 1 when nothing was wrong or missing, 0 when nothing true was found."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)


@dataclass(frozen=True)
class BenchmarkScore:
    """Macro-averaged figures over a set of documents."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    documents: int


def tokenize(text: str) -> list[str]:
    """The ``\\w+`` tokens of ``text`` (case kept, punctuation and whitespace dropped)."""
    return _TOKEN.findall(text)


def shingles(tokens: list[str], size: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """The multiset of ``size``-token windows; a shorter non-empty text is one short shingle."""
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def score_document(truth: str, prediction: str) -> DocumentScore:
    """Compare one predicted article body with its ground truth."""
    true_tokens, pred_tokens = tokenize(truth), tokenize(prediction)
    true_counts, pred_counts = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true_counts & pred_counts).values())
    fp = sum((pred_counts - true_counts).values())
    fn = sum((true_counts - pred_counts).values())
    total = tp + fp + fn
    exact = true_tokens == pred_tokens
    if total == 0:
        return DocumentScore(0.0, 0.0, 0.0, exact)
    return DocumentScore(tp / total, fp / total, fn / total, exact)


def score_documents(scores: list[DocumentScore]) -> BenchmarkScore:
    """Macro-average per-document scores the way the benchmark does."""
    precisions = [s.precision for s in scores if s.tp + s.fp > 0]
    recalls = [s.recall for s in scores if s.tp + s.fn > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    accuracy = sum(s.exact for s in scores) / len(scores) if scores else 0.0
    return BenchmarkScore(precision, recall, f1, accuracy, len(scores))


def score_predictions(truth: Mapping[str, str], predictions: Mapping[str, str]) -> BenchmarkScore:
    """Score predicted bodies keyed like ``truth``; the key sets must be identical."""
    if set(truth) != set(predictions):
        missing = len(set(truth) - set(predictions))
        extra = len(set(predictions) - set(truth))
        raise ValueError(f"keys differ from the ground truth: {missing} missing, {extra} extra")
    return score_documents([score_document(truth[key], predictions[key]) for key in sorted(truth)])


def bootstrap_std(
    scores: list[DocumentScore], rounds: int = 1000, seed: int = 0
) -> BenchmarkScore:
    """Standard deviations of the figures over ``rounds`` resamples of the documents."""
    rng = random.Random(seed)
    samples = [score_documents(rng.choices(scores, k=len(scores))) for _ in range(rounds)]

    return BenchmarkScore(
        precision=spread([s.precision for s in samples]),
        recall=spread([s.recall for s in samples]),
        f1=spread([s.f1 for s in samples]),
        accuracy=spread([s.accuracy for s in samples]),
        documents=len(scores),
    )


def spread(values: list[float]) -> float:
    """Population standard deviation."""
    return statistics.pstdev(values) if values else 0.0
