"""What reading one spaCy ``Doc`` yields, as plain frozen values: the tagger's inner boundary.

Where it sits in the flow: ``reading`` turns each chunk's ``Doc`` into :class:`ChunkFacts`
inside spaCy's memory zone (no spaCy object survives it); ``resolution`` then decides over all
chunks of a text at once, so evidence from anywhere in the article ("the developer is named in
the article") can count. Offsets are character offsets into the whole text; ``sentence`` indexes
the text's sentence spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HitKind = Literal["model", "company"]
HitSource = Literal["name", "ticker_form", "bare_ticker"]


@dataclass(frozen=True)
class Context:
    """What the words around a catalog hit say; read for hits that need context."""

    sentence_initial: bool = False
    """Only punctuation before it in its sentence: its capital says nothing."""
    stop_word: bool = False
    """The name is also an English function word (``Together``)."""
    shouted: bool = False
    """All capitals in a sentence that is not (``META`` for ``Meta``)."""
    version_follows: bool = False
    """A version number follows (``Gemini 7``)."""
    name_continues: bool = False
    """A capitalised word outside the catalog continues the name (``Apache Spark``,
    ``Claude Monet``): another entity."""
    person_cue: bool = False
    """A title before it or a personal pronoun after it (``Mr. Claude``, ``Claude said he``)."""
    ner_other: bool = False
    """The statistical NER names a wider person, place or organisation around it."""
    foreign_owner: bool = False
    """A model owned by a proper name outside the catalog (``Shakespeare's Sonnet``)."""
    not_model_head: bool = False
    """A model name followed by a noun for another thing (``Falcon 9 rocket``)."""
    off_topic_adjacent: bool = False
    """A word of another reading right beside it (``apple pie``, ``Amazon rainforest``)."""
    strong_cue: bool = False
    """A word beside it that fits only this kind (``Claude chatbot``, ``Apple shares``)."""
    weak_cue: bool = False
    """A word beside it that fits this kind and others (``the Gemini app``, ``Apple said``)."""
    company_verb: bool = False
    """A company's verb right after it (``Amazon did not comment``, ``Apple declined``)."""
    market: bool = False
    """A percentage, a market word or another ticker nearby (``META shares +3%``)."""
    bracketed: bool = False
    """In brackets, as tickers are after a name (``Meta (META)``)."""
    off_topic: bool = False
    """Words of another reading nearby (zodiac, fruit, animal, painter, car)."""
    ai_words: int = 0
    """How many AI or technology words are nearby."""
    business_words: int = 0
    """How many business words are nearby (revenue, shares, startup, $)."""


NO_CONTEXT = Context()


@dataclass(frozen=True)
class Hit:
    """A catalog name found in the text, before any decision."""

    start: int
    end: int
    text: str
    entity_id: str
    kind: HitKind
    source: HitSource
    needs_context: bool
    sentence: int
    prefix_compound: bool = False
    """It starts a hyphenated compound (``Meta-analysis``): a prefix, not a name."""
    shouted: bool = False
    """All capitals for a name that is not an acronym (``META`` for ``Meta``)."""
    is_name: bool = False
    """The text is the record's own name, not one of its aliases (``Gemini``, not ``Spark``
    for Muse Spark): only a name takes a version number (``Gemini 7``)."""
    short_alias: bool = False
    """An ambiguous alias that is part of a model's name (``Spark`` of "Muse Spark"): it counts
    only on evidence for that model, not on an AI topic alone."""
    context: Context = NO_CONTEXT


@dataclass(frozen=True)
class OrgSpan:
    """An organisation the statistical NER found (catalog or not; resolution decides)."""

    start: int
    end: int
    text: str
    sentence: int


@dataclass(frozen=True)
class ModelGuess:
    """A model name the catalog may not know, found by an unknown-model pattern."""

    start: int
    end: int
    text: str
    sentence: int
    confidence: float
    rule: str
    """Which pattern found it (``apposition``, ``premodifier``, ``release``, ``naming``,
    ``version``)."""
    extends: str | None = None
    """The catalog entity whose name it extends with a version: a model (``Gemini 7`` ->
    ``google/gemini``) or its maker (``DeepSeek-V4`` -> ``deepseek``)."""
    ai_words: int = 0
    """AI words in its sentence."""
    extends_at: int | None = None
    """Where the catalog hit it extends starts (before a possessive owner the guess leaves
    out: "Google's Gemini 3.5 Pro" guesses "Gemini 3.5 Pro" from the hit "Google's Gemini")."""
    version_at: int | None = None
    """Where the version starts in a guess that extends a model (``5`` in "Opus 5")."""


@dataclass(frozen=True)
class ChunkFacts:
    """Everything read from one chunk's ``Doc``."""

    hits: tuple[Hit, ...] = ()
    orgs: tuple[OrgSpan, ...] = ()
    guesses: tuple[ModelGuess, ...] = ()
    not_orgs: tuple[str, ...] = ()
    """Each time the NER calls a name a person or a place in this chunk (persons also by
    surname): an ``ORG`` named so more often than ORG is NER noise (``Trump``)."""
