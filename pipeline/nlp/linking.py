"""Turn decided hits, guesses and organisations into :class:`~pipeline.nlp.types.EntityMention`.

Where it sits in the flow: the last step of ``resolution``. Catalog hits are linked to their
record: a model carries its developer (``Muse Spark`` -> ``Meta``), a company its primary ticker
and its parent (``Meta Superintelligence Labs`` -> ``Meta``). Unknown models carry the developer
the sentence names, if any; statistical-NER organisations carry only their text.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.catalog import Catalog, CompanyRecord, ModelRecord
from pipeline.nlp.facts import Hit, ModelGuess
from pipeline.nlp.types import DecidedBy, EntityMention, EntityType

MAX_SENTENCE_CHARS = 600
"""A mention's ``sentence`` is cut to this many characters around it (junk "sentences" of a
whole page would otherwise be copied into every mention)."""

NER_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Where:
    """A mention's place: its offsets and its sentence's offsets in the original text."""

    start: int
    end: int
    sentence_start: int
    sentence_end: int


_LinkFields = tuple[str | None, str | None, str | None, str | None, str | None]
_Links = tuple[EntityType, str, str, _LinkFields]
"""A catalog record as its mentions carry it: type, name, id, and its developer, developer id,
ticker, parent and parent id (``EntityMention``'s fields, in its order)."""


class Linker:
    """Builds mentions from catalog records; one per tagger."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._links: dict[str, _Links] = {}

    def catalog_mention(
        self, text: str, hit: Hit, where: Where, confidence: float
    ) -> EntityMention:
        """The mention of a catalog model or company, linked to its record."""
        kind, name, entity_id, links = self._links_of(hit.entity_id)
        start, end = where.start, where.end
        return EntityMention(  # positional: made for every catalog mention
            kind, text[start:end], start, end, name, entity_id, *links,
            sentence_excerpt(text, where), DecidedBy.CATALOG, round(confidence, 2),
        )

    def _links_of(self, entity_id: str) -> _Links:
        """A record's links, read once per record (the catalog does not change under a tagger)."""
        if entity_id not in self._links:
            self._links[entity_id] = self._read_links(entity_id)
        return self._links[entity_id]

    def _read_links(self, entity_id: str) -> _Links:
        entity = self._catalog.get(entity_id)
        if isinstance(entity, ModelRecord):
            developer = self._catalog.get(entity.developer)
            developer_name = developer.name if developer else None
            return EntityType.MODEL, entity.name, entity.id, (
                developer_name, entity.developer, None, None, None
            )
        if not isinstance(entity, CompanyRecord):
            raise KeyError(f"the catalog has no entity {entity_id!r}")
        parent = self._catalog.get(entity.parent) if entity.parent else None
        parent_name = parent.name if parent else None
        return EntityType.COMPANY, entity.name, entity.id, (
            None, None, entity.ticker, parent_name, entity.parent
        )

    def guess_mention(
        self, text: str, guess: ModelGuess, where: Where, developer: EntityMention | None
    ) -> EntityMention:
        """An unknown model; its developer from the catalog entity it extends (a model's
        developer, or the company itself), else from the sentence."""
        developer_name, developer_id = None, None
        base = self._catalog.get(guess.extends) if guess.extends else None
        maker = self._catalog.get(base.developer) if isinstance(base, ModelRecord) else base
        if maker is not None:
            developer_name, developer_id = maker.name, maker.id
        elif developer is not None:
            developer_name, developer_id = developer.canonical, developer.canonical_id
        surface = " ".join(text[where.start : where.end].split())
        name = _versioned_name(text, guess, base) if isinstance(base, ModelRecord) else None
        return _mention(
            text, where, EntityType.MODEL, name or surface, None, DecidedBy.PATTERN,
            guess.confidence, developer=developer_name, developer_id=developer_id,
        )


def _versioned_name(text: str, guess: ModelGuess, base: ModelRecord) -> str | None:
    """A new version's name from the record it extends, when written with a short alias of
    that record's name: "Opus 5" is "Claude Opus 5" (alias "Opus" of Claude Opus), as
    "Opus 4" is the catalog's Claude Opus 4. ``None`` to keep the text as written."""
    if guess.version_at is None or any(char.isdigit() for char in base.name):
        return None
    written = text[guess.start : guess.version_at].lower().split()
    name = base.name.split()
    if not written or [word.lower() for word in name[-len(written) :]] != written:
        return None  # "Google Gemini 2" is not shortened, nor is any other alias
    return " ".join([*name, *text[guess.version_at : guess.end].split()])


def org_mention(text: str, where: Where) -> EntityMention:
    """An organisation the catalog does not know, found by the statistical NER."""
    surface = " ".join(text[where.start : where.end].split())
    return _mention(text, where, EntityType.ORG, surface, None, DecidedBy.NER, NER_CONFIDENCE)


def _mention(
    text: str, where: Where, kind: EntityType, canonical: str, canonical_id: str | None,
    decided_by: DecidedBy, confidence: float, **links: str | None,
) -> EntityMention:
    return EntityMention(
        type=kind, text=text[where.start : where.end], start=where.start, end=where.end,
        canonical=canonical, canonical_id=canonical_id, sentence=sentence_excerpt(text, where),
        decided_by=decided_by, confidence=round(confidence, 2), **links,
    )


def sentence_excerpt(text: str, where: Where) -> str:
    """The mention's sentence, or a window of it around the mention when very long."""
    start, end = where.sentence_start, where.sentence_end
    if end - start > MAX_SENTENCE_CHARS:
        half = MAX_SENTENCE_CHARS // 2
        start = max(start, where.start - half)
        end = min(end, max(where.end + half, start + MAX_SENTENCE_CHARS))
    return text[start:end]
