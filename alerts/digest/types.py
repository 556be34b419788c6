"""Typed values of the digest: what the shell gives :func:`~alerts.digest.build.build_digest`, and
the :class:`Digest` it answers, which every renderer reads.

Flow: Alerts of a period (the shell loads stories, outlets, entities and reactions) ->
:class:`DigestInput` --build--> :class:`Digest` --render--> HTML / text / Markdown / JSON / compact.
Nothing here is an ORM row; article fields are kept as given (renderers escape them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from alerts.messages import Tag, stock_name

COMPANY, MODEL = "COMPANY", "MODEL"


# ---- Input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestOutlet:
    """One outlet (source) that covered a story."""

    source: str
    weight: float = 1.0
    """The source's weight (1.0 is an ordinary outlet; 2.0 counts like two)."""
    url: str = ""
    """The outlet's article URL (linked only when it is http(s))."""
    name: str = ""
    """The publication's own name (``Circuit Wire``, from its pages), when known; ``source`` is
    newsmon's name for the source (``circuit-wire``)."""

    @property
    def shown(self) -> str:
        """What a reader is shown: the publication's name, else the source's."""
        return self.name or self.source


@dataclass(frozen=True)
class StoryReport:
    """One article of a story, as a candidate for the story's lead (headline, link, summary)."""

    article_id: int
    title: str
    url: str
    text: str
    published: datetime | None
    """When the article says it was published; ``None`` when it does not."""
    fetched_at: datetime | None = None
    """When newsmon stored it: stands in for an unknown ``published``."""
    weight: float = 1.0
    """The weight of the article's source."""


@dataclass(frozen=True)
class DigestEntity:
    """A model or company a story's article mentions, with how often."""

    type: str
    """``MODEL``, ``COMPANY`` (or ``ORG``, which the digest lists in no section)."""
    canonical: str
    canonical_id: str | None = None
    count: int = 1
    """Mentions in the article: with the other entities' counts, how central this one is."""
    ticker: str | None = None

    @property
    def key(self) -> str:
        """The identity used for sections and counts: the catalog id, else the name."""
        return self.canonical_id or self.canonical


@dataclass(frozen=True)
class DigestReaction:
    """A stock reaction a story's article reports, with the event it follows."""

    company: str
    direction: str
    """``up``, ``down`` or ``flat``."""
    company_id: str | None = None
    ticker: str | None = None
    magnitude_pct: float | None = None
    event: str | None = None
    """What the move followed (``the Muse Spark launch``), when the article says."""


@dataclass(frozen=True)
class DigestStory:
    """One matched story of the period (a cluster of articles; the lead article's fields)."""

    story_id: int
    headline: str
    url: str
    text: str
    """The lead article's text; its first two sentences are the summary unless ``summary``."""
    outlets: tuple[DigestOutlet, ...] = ()
    published: datetime | None = None
    entities: tuple[DigestEntity, ...] = ()
    reactions: tuple[DigestReaction, ...] = ()
    summary: str | None = None
    matched: frozenset[str] = frozenset()
    """Keys (:attr:`DigestEntity.key`) of the entities the subscription's query matched in the
    article: the story is listed under the most mentioned of them."""


@dataclass(frozen=True)
class EntityCount:
    """How many articles of a period mention one model or company."""

    type: str
    canonical: str
    count: int
    canonical_id: str | None = None

    @property
    def key(self) -> str:
        """The catalog id, else the name."""
        return self.canonical_id or self.canonical


@dataclass(frozen=True)
class DigestInput:
    """Everything one subscription's digest is built from (the shell loads it)."""

    subscription: str
    query: str
    timezone: str
    """IANA name (``Europe/Paris``): the period is shown in it."""
    period_start: datetime
    period_end: datetime
    stories: tuple[DigestStory, ...] = ()
    previous_counts: tuple[EntityCount, ...] = ()
    """Mentions per entity in the previous period of the same length."""
    current_counts: tuple[EntityCount, ...] | None = None
    """Mentions per entity in this period; ``None``: counted from ``stories`` (one per story)."""

    def __post_init__(self) -> None:
        if self.period_start.tzinfo is None or self.period_end.tzinfo is None:
            raise ValueError("a digest period must be timezone-aware")
        if self.period_end <= self.period_start:
            raise ValueError("a digest period must end after it starts")


# ---- Output ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketMove:
    """A stock move reported in a story of the period: one row of the market table."""

    company: str
    direction: str
    ticker: str | None
    magnitude_pct: float | None
    event: str | None
    story_id: int
    headline: str
    company_id: str | None = None
    """The company's catalog id, when known: with the direction, what makes a market-table row."""

    @property
    def sentence(self) -> str:
        """``META up 3% after the Muse Spark launch``."""
        size = f" {self.magnitude_pct:g}%" if self.magnitude_pct is not None else ""
        after = f" after {self.event}" if self.event else ""
        return f"{stock_name(self.company, self.ticker)} {self.direction}{size}{after}"


@dataclass(frozen=True)
class RankedStory:
    """A story as the digest shows it (fields one-lined; escaping is the renderers' job)."""

    rank: int
    story_id: int
    headline: str
    url: str | None
    """The lead article's URL when it is http(s), else ``None``."""
    summary: str
    outlets: tuple[DigestOutlet, ...]
    published: datetime | None
    tags: tuple[Tag, ...]
    moves: tuple[MarketMove, ...]
    score: float
    section: str
    """The key of the section it is listed in."""
    number: int = 0
    """Its number as read, section by section (companies, then models, then other stories);
    ``rank`` orders the whole period."""


@dataclass(frozen=True)
class DigestSection:
    """The stories whose most central entity is one company or model."""

    kind: str
    """``company``, ``model`` or ``other``."""
    key: str
    title: str
    stories: tuple[RankedStory, ...]


@dataclass(frozen=True)
class CountChange:
    """How much more or less an entity was mentioned than in the previous period."""

    type: str
    name: str
    current: int
    previous: int

    @property
    def delta(self) -> int:
        """``current - previous``."""
        return self.current - self.previous


@dataclass(frozen=True)
class Digest:
    """A subscription's digest of one period, ready to render."""

    subscription: str
    query: str
    timezone: str
    period_start: datetime
    """In the subscription's timezone."""
    period_end: datetime
    stories: tuple[RankedStory, ...]
    """All stories, best first."""
    sections: tuple[DigestSection, ...]
    market: tuple[MarketMove, ...]
    """Every stock move of the period, largest first (what the JSON lists)."""
    rising: tuple[CountChange, ...]
    falling: tuple[CountChange, ...]
    market_highlights: tuple[MarketMove, ...] = ()
    """The rows of the market table that HTML, text and Markdown show: the largest move of each
    company and direction of the listed stories, largest first, at most a dozen or so (see
    ``market_highlights``)."""
    listed: int = 0
    """How many of the best stories HTML, text and Markdown list (0: all); the rest are counted
    (:attr:`not_listed`), the JSON keeps every one."""

    @property
    def listed_stories(self) -> tuple[RankedStory, ...]:
        """The stories HTML, text and Markdown list, best first."""
        return self.stories[: self.listed] if self.listed else self.stories

    @property
    def not_listed(self) -> int:
        """How many stories of the period are counted but not listed."""
        return len(self.stories) - len(self.listed_stories)

    @property
    def market_not_shown(self) -> int:
        """How many moves of the listed stories the market table leaves to the stories above."""
        moves = sum(len(story.moves) for story in self.listed_stories)
        return moves - len(self.market_highlights)

    @property
    def is_empty(self) -> bool:
        """No story matched in the period."""
        return not self.stories

    @property
    def reading_order(self) -> tuple[DigestSection, ...]:
        """The sections in the order a reader meets them: companies, models, other stories."""
        return self.company_sections + self.model_sections + self.other_sections

    @property
    def company_sections(self) -> tuple[DigestSection, ...]:
        """Sections of companies, in order of their best story, with their listed stories."""
        return self._listed_sections("company")

    @property
    def model_sections(self) -> tuple[DigestSection, ...]:
        """Sections of models, in order of their best story, with their listed stories."""
        return self._listed_sections("model")

    def _listed_sections(self, kind: str) -> tuple[DigestSection, ...]:
        """The sections of ``kind`` cut to the listed stories (a section left empty goes)."""
        last = self.listed or len(self.stories)
        cut = (replace(section, stories=tuple(s for s in section.stories if s.rank <= last))
               for section in self.sections if section.kind == kind)
        return tuple(section for section in cut if section.stories)

    @property
    def other_sections(self) -> tuple[DigestSection, ...]:
        """The section of stories naming no company or model the query matched, or naming it only
        in passing (at most one), with its listed stories."""
        return self._listed_sections("other")
