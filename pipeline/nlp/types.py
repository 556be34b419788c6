"""Typed results of tagging: entity mentions and stock reactions, with offsets into the text.

spaCy ``Doc`` and ``Span`` objects never leave the NLP modules; callers (storage, the CLI, alert
matching) see these frozen values only. Offsets are character offsets into the tagged text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EntityType(enum.StrEnum):
    """What a mention names."""

    MODEL = "MODEL"
    """An AI model (catalog record, or an unknown model found by pattern)."""
    COMPANY = "COMPANY"
    """A company or organisation in the catalog."""
    ORG = "ORG"
    """An organisation the catalog does not know, found by the statistical NER."""


class DecidedBy(enum.StrEnum):
    """Which part of the pipeline made the decision."""

    CATALOG = "catalog"
    NER = "ner"
    PATTERN = "pattern"


class Direction(enum.StrEnum):
    """Which way a stock moved."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"


@dataclass(frozen=True)
class EntityMention:
    """One mention of a model, company or organisation in a text."""

    type: EntityType
    text: str
    start: int
    end: int
    canonical: str
    """The canonical name (the catalog's ``name``; the surface text for unknown entities)."""
    canonical_id: str | None = None
    """The catalog id (``meta/muse-spark``, ``meta``); ``None`` for entities not in the catalog."""
    developer: str | None = None
    """Models: the developer's canonical name (``Meta``)."""
    developer_id: str | None = None
    ticker: str | None = None
    """Companies: the primary ticker (``META``), if listed."""
    parent: str | None = None
    """Companies: the parent organisation's canonical name (``Meta`` for MSL)."""
    parent_id: str | None = None
    sentence: str = ""
    decided_by: DecidedBy = DecidedBy.CATALOG
    confidence: float = 1.0


@dataclass(frozen=True)
class StockReaction:
    """One statement of a market move of a company's stock."""

    company: str
    """The company's canonical name."""
    direction: Direction
    text: str
    """The phrase that states the move."""
    start: int
    end: int
    company_id: str | None = None
    ticker: str | None = None
    magnitude_pct: float | None = None
    """The size of the move in percent (``17.0`` for "fell 17%"), ``None`` when not stated."""
    event: str | None = None
    """The event the move follows, when the sentence names one ("the announcement")."""
    sentence: str = ""


@dataclass(frozen=True)
class TagResult:
    """Everything tagging found in one text, in text order."""

    entities: tuple[EntityMention, ...] = ()
    stock_reactions: tuple[StockReaction, ...] = ()
