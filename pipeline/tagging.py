"""The tagging step: stored articles waiting to be tagged -> tagger -> tags stored per article.

``tag_pending`` is what ``newsmon crawl``, ``newsmon retag`` and (later) the daemon's processing
job call. It works in batches (the tagger runs ``nlp.pipe`` over each), stores each article's
tags in its own transaction, and never lets one bad article stop the batch: an article the
tagger cannot handle is recorded as a rejection and marked tagged with no tags, so it is not
retried in a loop. A tagger that cannot run at all (``TaggerUnavailableError``: its worker
processes cannot load the NER model) stops the step with every article still waiting.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from pipeline.nlp.types import EntityMention, StockReaction, TagResult
from pipeline.storage import Storage
from pipeline.storage.tags import ArticleTags, TaggingInput
from pipeline.types import StopCheck, never

logger = logging.getLogger(__name__)
TITLE_SEPARATOR = "\n\n"
PIPELINE_VERSION = "1"
"""Bump when tagging rules change in a way that should re-tag stored articles."""


class TaggerUnavailableError(RuntimeError):
    """The tagger cannot run at all (no article is at fault): the step stops and leaves every
    article waiting, instead of refusing them one by one."""


class TextTagger(Protocol):
    """What the tagging step needs of the NLP pipeline (``pipeline.nlp.tagger.Tagger``)."""

    def tag(self, text: str) -> TagResult: ...

    def tag_many(self, texts: Sequence[str]) -> list[TagResult]: ...


@dataclass(frozen=True)
class TaggingReport:
    """What one tagging run did."""

    tagged: int = 0
    failed: int = 0
    entities: int = 0
    stock_reactions: int = 0


def tagger_version(catalog_fingerprint: str, ner_model: str) -> str:
    """A short id of the tagging configuration; articles tagged by another one can be re-tagged."""
    key = f"{PIPELINE_VERSION}|{ner_model}|{catalog_fingerprint}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def tag_pending(
    storage: Storage,
    tagger: TextTagger,
    *,
    version: str,
    clock: Callable[[], datetime],
    batch_size: int = 32,
    limit: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    should_stop: StopCheck = never,
) -> TaggingReport:
    """Tag every article waiting to be tagged (up to ``limit``), batch by batch; once
    ``should_stop`` says so (the daemon is stopping), no further batch starts and the rest
    waits for the next run."""
    report = TaggingReport()
    while (remaining := _remaining(limit, report)) > 0 and not should_stop():
        batch = storage.tags.pending(min(batch_size, remaining))
        if not batch:
            break
        report = _merge(report, _tag_batch(storage, tagger, batch, version, clock))
        if on_batch is not None:
            on_batch(len(batch))
    return report


def _remaining(limit: int | None, report: TaggingReport) -> int:
    done = report.tagged + report.failed
    return 1 << 30 if limit is None else limit - done


def _tag_batch(
    storage: Storage,
    tagger: TextTagger,
    batch: list[TaggingInput],
    version: str,
    clock: Callable[[], datetime],
) -> TaggingReport:
    texts = [document_text(item) for item in batch]
    try:
        results: list[TagResult | None] = list(tagger.tag_many(texts))
    except TaggerUnavailableError:
        raise
    except Exception:
        logger.exception("batch tagging failed; tagging its %d articles one by one", len(batch))
        results = [_tag_one(tagger, text) for text in texts]
    tagged = failed = entities = reactions = 0
    for item, result in zip(batch, results, strict=True):
        if result is None:
            failed += 1
            storage.sources.record_rejection(
                item.source_name, "tag", "the tagger failed on this article", item.url, clock()
            )
        else:
            tagged += 1
        tags = split_by_field(item.title, result or TagResult())
        storage.tags.save(item.article_id, tags, at=clock(), version=version)
        entities += len(tags.entities)
        reactions += len(tags.stock_reactions)
    return TaggingReport(tagged, failed, entities, reactions)


def _tag_one(tagger: TextTagger, text: str) -> TagResult | None:
    try:
        return tagger.tag(text)
    except TaggerUnavailableError:
        raise
    except Exception:
        logger.exception("tagging one article failed")
        return None


def document_text(item: TaggingInput) -> str:
    """The text tagged for an article: its title, a blank line, its text."""
    return f"{item.title}{TITLE_SEPARATOR}{item.text}" if item.title else item.text


def split_by_field(title: str, result: TagResult) -> ArticleTags:
    """Re-base offsets of a tagged ``document_text`` onto the title and the text fields."""
    if not title:
        return ArticleTags(text_entities=result.entities, text_reactions=result.stock_reactions)
    body_start = len(title) + len(TITLE_SEPARATOR)
    return ArticleTags(
        title_entities=tuple(m for m in result.entities if m.end <= len(title)),
        text_entities=tuple(
            _shift(m, body_start) for m in result.entities if m.start >= body_start
        ),
        title_reactions=tuple(r for r in result.stock_reactions if r.end <= len(title)),
        text_reactions=tuple(
            _shift(r, body_start) for r in result.stock_reactions if r.start >= body_start
        ),
    )


_Located = TypeVar("_Located", EntityMention, StockReaction)


def _shift(value: _Located, offset: int) -> _Located:
    return replace(value, start=value.start - offset, end=value.end - offset)


def _merge(first: TaggingReport, second: TaggingReport) -> TaggingReport:
    return TaggingReport(
        first.tagged + second.tagged,
        first.failed + second.failed,
        first.entities + second.entities,
        first.stock_reactions + second.stock_reactions,
    )
