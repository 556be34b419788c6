"""How tags look on the command line: the JSON of ``newsmon tag`` and Rich tables."""

from __future__ import annotations

from rich.table import Table

from newsmon.output import console, counted, plain
from pipeline.nlp.types import EntityMention, StockReaction, TagResult


def tag_result_json(result: TagResult) -> dict[str, object]:
    """The documented JSON shape of ``newsmon tag --format json``."""
    return {
        "entities": [_entity_json(mention) for mention in result.entities],
        "stock_reactions": [_reaction_json(reaction) for reaction in result.stock_reactions],
    }


def _entity_json(mention: EntityMention) -> dict[str, object]:
    return {
        "type": mention.type.value, "text": mention.text, "start": mention.start,
        "end": mention.end, "canonical": mention.canonical, "canonical_id": mention.canonical_id,
        "developer": mention.developer, "ticker": mention.ticker, "parent": mention.parent,
        "decided_by": mention.decided_by.value, "confidence": mention.confidence,
    }


def _reaction_json(reaction: StockReaction) -> dict[str, object]:
    return {
        "company": reaction.company, "ticker": reaction.ticker,
        "direction": reaction.direction.value, "magnitude_pct": reaction.magnitude_pct,
        "text": reaction.text, "start": reaction.start, "end": reaction.end,
        "event": reaction.event,
    }


def print_tag_tables(result: TagResult) -> None:
    """Entities and stock reactions as two Rich tables."""
    entities = Table(title=counted(len(result.entities), "entity"))
    for column in ("type", "text", "canonical", "developer / parent", "ticker", "by", "at"):
        entities.add_column(column, overflow="fold")
    for m in result.entities:
        entities.add_row(m.type.value, plain(m.text), plain(m.canonical),
                         plain(m.developer or m.parent or ""),
                         m.ticker or "", m.decided_by.value, f"{m.start}-{m.end}")
    console.print(entities)
    reactions = Table(title=counted(len(result.stock_reactions), "stock reaction"))
    for column in ("company", "ticker", "direction", "%", "phrase", "after"):
        reactions.add_column(column, overflow="fold")
    for r in result.stock_reactions:
        magnitude = "" if r.magnitude_pct is None else f"{r.magnitude_pct:g}"
        reactions.add_row(plain(r.company), plain(r.ticker), r.direction.value, magnitude,
                          plain(r.text), plain(r.event))
    console.print(reactions)
