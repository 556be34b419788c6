"""Assertions shared by the NLP tests."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.nlp.types import EntityMention, EntityType, TagResult


def of_type(result: TagResult, kind: EntityType) -> list[EntityMention]:
    return [mention for mention in result.entities if mention.type is kind]


def ids(mentions: Iterable[EntityMention]) -> set[str | None]:
    return {mention.canonical_id for mention in mentions}


def assert_offsets(text: str, result: TagResult) -> None:
    """Every mention's offsets index the input text exactly, in text order."""
    starts = [mention.start for mention in result.entities]
    assert starts == sorted(starts)
    for mention in result.entities:
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.text
        assert mention.text in mention.sentence
    for reaction in result.stock_reactions:
        assert text[reaction.start : reaction.end] == reaction.text
