"""The tagging metric: precision, recall and F1 of entity mentions and stock reactions.

Used by ``bench/tagging.py`` to score :class:`pipeline.nlp.tagger.Tagger` against the annotated
development set ``tests/data/tagging/dev.jsonl`` (format and annotation rules: the README beside
it). This module only knows plain values, so it can be tested without spaCy or the catalog.

The rules:

- An entity prediction is a true positive when a gold mention of the same type has the same
  canonical name (compared by :func:`name_key`: case-insensitive, a leading "the" and a trailing
  possessive dropped) and the two spans overlap. Matching is one-to-one: a second prediction for
  the same gold mention is a false positive.
- A stock reaction is a true positive when a gold reaction of the same sentence names the same
  company (compared by a ``company_key`` function; by default :func:`name_key`) and direction.
  Among the matched reactions whose gold states a magnitude, the magnitude is correct when the
  prediction is within :data:`MAGNITUDE_TOLERANCE` percentage points; that is reported apart.
- Counts are summed over all sentences (micro-average) per label: ``MODEL``, ``COMPANY``,
  ``ORG`` and ``STOCK``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

ENTITY_TYPES = ("MODEL", "COMPANY", "ORG")
STOCK = "STOCK"
LABELS = (*ENTITY_TYPES, STOCK)
DIRECTIONS = ("up", "down", "flat")
MAGNITUDE_TOLERANCE = 0.05
"""Percentage points a predicted magnitude may differ from the gold one (rounding in the text)."""

_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"[’']s?$")

CompanyKey = Callable[[str], str]


class DevsetError(ValueError):
    """The development set file is malformed; the message lists every problem with its line."""


@dataclass(frozen=True)
class EntitySpan:
    """One entity mention: gold or predicted."""

    type: str
    start: int
    end: int
    text: str
    canonical: str

    def overlaps(self, other: EntitySpan) -> bool:
        """Whether the two character spans share at least one character."""
        return self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{self.type} {self.text!r} [{self.start}:{self.end}] -> {self.canonical!r}"


@dataclass(frozen=True)
class Reaction:
    """One stock reaction: the company's canonical name, the direction, the stated size."""

    company: str
    direction: str
    magnitude_pct: float | None = None

    def __str__(self) -> str:
        size = "" if self.magnitude_pct is None else f" {self.magnitude_pct:g}%"
        return f"{STOCK} {self.company} {self.direction}{size}"


@dataclass(frozen=True)
class Annotation:
    """What one text mentions: entities and stock reactions (gold, or a tagger's output)."""

    entities: tuple[EntitySpan, ...] = ()
    stock_reactions: tuple[Reaction, ...] = ()


@dataclass(frozen=True)
class GoldSentence:
    """One annotated sentence of the development set."""

    id: str
    text: str
    gold: Annotation
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall; 0 when both are 0."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


Mistake = EntitySpan | Reaction


@dataclass(frozen=True)
class SentenceScore:
    """The counts of one sentence and the mistakes behind them."""

    counts: Mapping[str, Counts]
    false_positives: tuple[Mistake, ...] = ()
    false_negatives: tuple[Mistake, ...] = ()
    magnitudes_checked: int = 0
    magnitudes_correct: int = 0


@dataclass(frozen=True)
class Score:
    """Micro-averaged counts over a set of sentences."""

    counts: Mapping[str, Counts] = field(default_factory=dict)
    magnitudes_checked: int = 0
    magnitudes_correct: int = 0
    sentences: int = 0

    def of(self, label: str) -> Counts:
        """The counts of one label (``MODEL``, ``COMPANY``, ``ORG``, ``STOCK``)."""
        return self.counts.get(label, Counts())

    @property
    def entities(self) -> Counts:
        """All entity types together."""
        return sum((self.of(label) for label in ENTITY_TYPES), Counts())

    @property
    def magnitude_accuracy(self) -> float:
        """Share of matched reactions with a stated gold magnitude whose size was right."""
        if not self.magnitudes_checked:
            return 0.0
        return self.magnitudes_correct / self.magnitudes_checked


def name_key(name: str) -> str:
    """How names are compared: case-folded, spaces collapsed, no leading "the", no "'s"."""
    cleaned = _LEADING_THE.sub("", " ".join(name.split()))
    return _POSSESSIVE.sub("", cleaned).casefold()


def match_entities(
    gold: Sequence[EntitySpan], predicted: Sequence[EntitySpan]
) -> tuple[list[tuple[EntitySpan, EntitySpan]], list[EntitySpan], list[EntitySpan]]:
    """Pair predictions with gold mentions: ``(pairs, false positives, false negatives)``."""
    unmatched = list(gold)
    pairs: list[tuple[EntitySpan, EntitySpan]] = []
    false_positives: list[EntitySpan] = []
    for guess in predicted:
        hit = next((item for item in unmatched if _same_entity(item, guess)), None)
        if hit is None:
            false_positives.append(guess)
        else:
            unmatched.remove(hit)
            pairs.append((hit, guess))
    return pairs, false_positives, unmatched


def _same_entity(gold: EntitySpan, guess: EntitySpan) -> bool:
    return (
        gold.type == guess.type
        and name_key(gold.canonical) == name_key(guess.canonical)
        and gold.overlaps(guess)
    )


def match_reactions(
    gold: Sequence[Reaction], predicted: Sequence[Reaction], company_key: CompanyKey = name_key
) -> tuple[list[tuple[Reaction, Reaction]], list[Reaction], list[Reaction]]:
    """Pair predicted reactions with gold ones: ``(pairs, false positives, false negatives)``.

    A prediction is paired first with a gold reaction that also has its magnitude, then with
    any gold reaction of the same company and direction.
    """
    unmatched = list(gold)
    pairs: list[tuple[Reaction, Reaction]] = []
    false_positives: list[Reaction] = []
    for guess in predicted:
        candidates = [
            item for item in unmatched
            if company_key(item.company) == company_key(guess.company)
            and item.direction == guess.direction
        ]
        exact = [item for item in candidates if magnitude_correct(item, guess)]
        ranked = exact or candidates
        if not ranked:
            false_positives.append(guess)
            continue
        unmatched.remove(ranked[0])
        pairs.append((ranked[0], guess))
    return pairs, false_positives, unmatched


def magnitude_correct(gold: Reaction, guess: Reaction) -> bool:
    """Whether a predicted size matches the gold one (both stated, within the tolerance)."""
    if gold.magnitude_pct is None or guess.magnitude_pct is None:
        return False
    return abs(gold.magnitude_pct - guess.magnitude_pct) <= MAGNITUDE_TOLERANCE


def score_sentence(
    gold: Annotation, predicted: Annotation, company_key: CompanyKey = name_key
) -> SentenceScore:
    """Compare one sentence's prediction with its gold annotation."""
    entity_pairs, entity_fps, entity_fns = match_entities(gold.entities, predicted.entities)
    reaction_pairs, reaction_fps, reaction_fns = match_reactions(
        gold.stock_reactions, predicted.stock_reactions, company_key
    )
    counts = {
        label: Counts(
            tp=sum(1 for pair in entity_pairs if pair[0].type == label),
            fp=sum(1 for item in entity_fps if item.type == label),
            fn=sum(1 for item in entity_fns if item.type == label),
        )
        for label in ENTITY_TYPES
    }
    counts[STOCK] = Counts(len(reaction_pairs), len(reaction_fps), len(reaction_fns))
    stated = [pair for pair in reaction_pairs if pair[0].magnitude_pct is not None]
    return SentenceScore(
        counts=MappingProxyType(counts),
        false_positives=(*entity_fps, *reaction_fps),
        false_negatives=(*entity_fns, *reaction_fns),
        magnitudes_checked=len(stated),
        magnitudes_correct=sum(1 for pair in stated if magnitude_correct(*pair)),
    )


def total_score(scores: Iterable[SentenceScore]) -> Score:
    """Sum per-sentence counts into micro-averaged figures."""
    counts = dict.fromkeys(LABELS, Counts())
    checked = correct = sentences = 0
    for item in scores:
        for label, value in item.counts.items():
            counts[label] = counts.get(label, Counts()) + value
        checked += item.magnitudes_checked
        correct += item.magnitudes_correct
        sentences += 1
    return Score(MappingProxyType(counts), checked, correct, sentences)


def score_devset(
    sentences: Sequence[GoldSentence],
    predictions: Sequence[Annotation],
    company_key: CompanyKey = name_key,
) -> tuple[Score, list[SentenceScore]]:
    """Score predictions given in the order of ``sentences``; also return per-sentence scores."""
    if len(sentences) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(sentences)} sentences")
    scores = [
        score_sentence(sentence.gold, guess, company_key)
        for sentence, guess in zip(sentences, predictions, strict=True)
    ]
    return total_score(scores), scores


# --- reading and validating the development set ------------------------------------------------


def load_devset(path: Path) -> list[GoldSentence]:
    """Read and validate a JSON-lines development set; :class:`DevsetError` lists all problems."""
    sentences: list[GoldSentence] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            sentence = parse_sentence(json.loads(line))
        except (json.JSONDecodeError, DevsetError) as error:
            problems.append(f"line {number}: {error}")
            continue
        problems.extend(f"line {number} ({sentence.id}): {p}" for p in sentence_problems(sentence))
        sentences.append(sentence)
    seen: set[str] = set()
    for sentence in sentences:
        if sentence.id in seen:
            problems.append(f"{sentence.id}: duplicate id")
        seen.add(sentence.id)
    if problems:
        raise DevsetError(f"{path}:\n" + "\n".join(problems))
    return sentences


def parse_sentence(record: object) -> GoldSentence:
    """Turn one decoded JSON object into a :class:`GoldSentence` (types checked, not content)."""
    data = _mapping(record, "the line")
    _expect_keys(data, {"id", "text", "entities", "stock_reactions", "tags"}, "the line")
    entities = tuple(_entity(item) for item in _list(data["entities"], "entities"))
    reactions = tuple(_reaction(item) for item in _list(data["stock_reactions"], "reactions"))
    tags = tuple(_string(item, "a tag") for item in _list(data["tags"], "tags"))
    gold = Annotation(entities, reactions)
    return GoldSentence(_string(data["id"], "id"), _string(data["text"], "text"), gold, tags)


def sentence_problems(sentence: GoldSentence) -> list[str]:
    """What is wrong with an annotated sentence's content (offsets, labels, order)."""
    problems: list[str] = []
    text = sentence.text
    previous: EntitySpan | None = None
    for entity in sentence.gold.entities:
        if entity.type not in ENTITY_TYPES:
            problems.append(f"unknown entity type {entity.type!r}")
        if not 0 <= entity.start < entity.end <= len(text):
            problems.append(f"offsets out of range: {entity}")
        elif text[entity.start : entity.end] != entity.text:
            found = text[entity.start : entity.end]
            problems.append(f"offsets slice {found!r}, not {entity.text!r}")
        if not entity.canonical.strip():
            problems.append(f"empty canonical name: {entity}")
        if previous is not None and entity.start < previous.end:
            problems.append(f"{entity} overlaps or precedes {previous}")
        previous = entity
    for reaction in sentence.gold.stock_reactions:
        problems.extend(_reaction_problems(reaction))
    return problems


def _reaction_problems(reaction: Reaction) -> list[str]:
    problems = []
    if reaction.direction not in DIRECTIONS:
        problems.append(f"direction must be one of {DIRECTIONS}: {reaction}")
    size = reaction.magnitude_pct
    if size is not None and (not math.isfinite(size) or size < 0):
        problems.append(f"magnitude must be a non-negative number of percent: {reaction}")
    if not reaction.company.strip():
        problems.append("a stock reaction without a company")
    return problems


def _entity(item: object) -> EntitySpan:
    data = _mapping(item, "an entity")
    _expect_keys(data, {"type", "start", "end", "text", "canonical"}, "an entity")
    return EntitySpan(
        type=_string(data["type"], "type"),
        start=_integer(data["start"], "start"),
        end=_integer(data["end"], "end"),
        text=_string(data["text"], "entity text"),
        canonical=_string(data["canonical"], "canonical"),
    )


def _reaction(item: object) -> Reaction:
    data = _mapping(item, "a stock reaction")
    _expect_keys(data, {"company", "direction", "magnitude_pct"}, "a stock reaction")
    size = data["magnitude_pct"]
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise DevsetError(f"magnitude_pct must be a number or null, not {size!r}")
    return Reaction(
        company=_string(data["company"], "company"),
        direction=_string(data["direction"], "direction"),
        magnitude_pct=None if size is None else float(size),
    )


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise DevsetError(f"{what} must be a JSON object")
    return value


def _expect_keys(data: Mapping[str, object], keys: set[str], what: str) -> None:
    missing, extra = keys - set(data), set(data) - keys
    if missing or extra:
        raise DevsetError(f"{what}: missing {sorted(missing)}, unexpected {sorted(extra)}")


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise DevsetError(f"{what} must be a JSON array")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise DevsetError(f"{what} must be a non-empty string, not {value!r}")
    return value


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DevsetError(f"{what} must be an integer, not {value!r}")
    return value
