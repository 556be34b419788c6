"""Evaluating a query tree against one prepared article, with the reasons it matched.

Where it sits in the flow: :meth:`Query.matches` and :class:`alerts.matching.MatchIndex` call
:func:`evaluate` for each (candidate) query. The answer is ``None`` (no match) or the reasons,
each with the spans to highlight: words and phrases where they occur, the entity mentions and the
stock reactions that satisfied a filter, and the article fields a field filter looked at. A query
made only of negations matches with no reasons (``()``). OR collects the reasons of every
alternative that holds; NOT contributes none.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from alerts.query.article import FIELDS, LEAD, Hits, Occurrence, PreparedArticle
from alerts.query.ast import (
    And,
    Developer,
    FieldIs,
    MaxAge,
    Mentions,
    Near,
    Node,
    Not,
    Or,
    PublishedAfter,
    PublishedBefore,
    Stock,
    Words,
)
from alerts.types import EntityRef, MatchReason, ReactionRef

Reasons = tuple[MatchReason, ...]
_NO_REASONS: Reasons = ()


def evaluate(node: Node, article: PreparedArticle, now: datetime) -> Reasons | None:
    """The reasons ``node`` matches ``article`` at time ``now``, or ``None``.

    Filters (the leaves) are answered once per article and time: a thousand queries containing
    ``company:Meta`` look it up in ``article.results`` after the first.
    """
    kind = type(node)
    evaluator: Callable[[Any, PreparedArticle, datetime], Reasons | None] = _EVALUATORS[kind]
    if kind in _COMPOUND:
        return evaluator(node, article, now)
    results = article.results
    known = results.get(id(node))  # by identity: cheap; the entry keeps the node alive
    if known is not None and known[1] == now:
        return known[2]
    found = evaluator(node, article, now)
    results[id(node)] = (node, now, found)
    return found


def _and(node: And, article: PreparedArticle, now: datetime) -> Reasons | None:
    reasons: list[MatchReason] = []
    results = article.results
    for child in node.children:
        known = results.get(id(child))  # inlined memo check: the hot path of the matcher
        found = known[2] if known is not None and known[1] == now else evaluate(
            child, article, now)
        if found is None:
            return None
        reasons += found
    return _unique(reasons)


def _or(node: Or, article: PreparedArticle, now: datetime) -> Reasons | None:
    reasons: list[MatchReason] = []
    matched = False
    results = article.results
    for child in node.children:
        known = results.get(id(child))
        found = known[2] if known is not None and known[1] == now else evaluate(
            child, article, now)
        if found is not None:
            matched = True
            reasons += found
    return _unique(reasons) if matched else None


def _not(node: Not, article: PreparedArticle, now: datetime) -> Reasons | None:
    known = article.results.get(id(node.child))
    found = known[2] if known is not None and known[1] == now else evaluate(
        node.child, article, now)
    return None if found is not None else _NO_REASONS


def _words(node: Words, article: PreparedArticle, now: datetime) -> Reasons | None:
    present = article.present
    if present is not None:  # the matcher's article: spans straight from its hits
        key = node.key
        if key not in present:
            return None
        size = len(node.words)
        spans = article.hit_spans(key, size, node.scope)
        return (MatchReason("term" if size == 1 else "phrase", node.label, spans),) \
            if spans else None
    spans = article.spans(article.occurrences(node.words, node.scope))
    return (MatchReason(node.kind, node.label, spans),) if spans else None


def near_holds(node: Near, article: PreparedArticle) -> bool:
    """Whether the NEAR holds, without its reasons: what the matcher needs to decide a NEAR
    condition (most NEARs it decides are in no matched query, so their spans would be wasted)."""
    present = article.present
    if present is not None:
        if node.left.key not in present or node.right.key not in present:
            return False
        hits = article.hits
        if hits is not None and LEAD not in (node.left.scope, node.right.scope):
            return _near_in_hits(node, article, hits)
    lefts = article.occurrences_of(node.left)
    rights = article.occurrences_of(node.right) if lefts else ()
    return bool(rights) and _any_within(lefts, rights, node.distance)


def _near_in_hits(node: Near, article: PreparedArticle, hits: Hits) -> bool:
    """:func:`near_holds` from the matcher's hits, without numbering words: in a field's
    folded words (one space between words) the words between two occurrences are the spaces
    between the first one's trailing space and the second one's leading space, and the closest
    occurrence of one side after (or before) an occurrence of the other is found by bisection.
    Scopes limited to the lead are not handled here."""
    left, right, distance = node.left, node.right, node.distance
    for name in FIELDS:
        if (left.scope is not None and left.scope != name) or (
                right.scope is not None and right.scope != name):
            continue
        short, long = hits[name].get(left.key), hits[name].get(right.key)
        if not short or not long:
            continue
        short_size, long_size = len(left.key[1]) - 1, len(right.key[1]) - 1
        if len(short) > len(long):
            short, long, short_size, long_size = long, short, long_size, short_size
        folded = article.fields[name].folded
        leading = [end - long_size for end in long]  # where each occurrence's leading space is
        count = len(long)
        for end in short:  # ``end``: the occurrence's trailing space
            after = bisect_left(leading, end)  # the first one starting at or after it
            if after < count and _spaces_within(folded, end, leading[after], distance):
                return True
            start = end - short_size
            before = bisect_right(long, start) - 1  # the last one ending before it
            if before >= 0 and _spaces_within(folded, long[before], start, distance):
                return True
    return False


def _spaces_within(folded: str, start: int, end: int, limit: int) -> bool:
    """Whether ``folded[start:end]`` has at most ``limit`` spaces: counted in a first stretch
    of the span (a far occurrence has more spaces there already), then, if need be, whole."""
    stretch = start + 8 * (limit + 1)
    if end > stretch and folded.count(" ", start, stretch) > limit:
        return False
    return folded.count(" ", start, end) <= limit


def _near(node: Near, article: PreparedArticle, now: datetime) -> Reasons | None:
    if not near_holds(node, article):
        return None
    lefts = article.occurrences_of(node.left)
    rights = article.occurrences_of(node.right)
    close = {
        occurrence
        for left in lefts for right in rights if _within(left, right, node.distance)
        for occurrence in (left, right)
    }
    if not close:
        return None
    return (MatchReason("near", node.label, article.spans(sorted(close, key=_field_order))),)


def _within(left: Occurrence, right: Occurrence, distance: int) -> bool:
    """Same field, not overlapping, at most ``distance`` words between them."""
    if left[0] != right[0]:
        return False
    gap = right[1] - left[2] if right[1] >= left[2] else left[1] - right[2]
    return 0 <= gap <= distance


def _any_within(lefts: Sequence[Occurrence], rights: Sequence[Occurrence],
                distance: int) -> bool:
    """Whether some pair is within ``distance`` (:func:`_within`), without trying every pair:
    the longer side's starts and ends are numbered on one line (fields far apart) and sorted,
    and each occurrence of the shorter side looks, by bisection, for a start just after it or
    an end just before it."""
    if len(lefts) * len(rights) <= 16:  # every pair, _within inlined
        for field, first, last in lefts:
            for other, start, end in rights:
                if field == other and 0 <= (start - last if start >= last
                                            else first - end) <= distance:
                    return True
        return False
    short, long = (lefts, rights) if len(lefts) <= len(rights) else (rights, lefts)
    starts = sorted(_FIELD_BASE[field] + first for field, first, _ in long)
    ends = sorted(_FIELD_BASE[field] + last for field, _, last in long)
    count = len(long)
    for field, first, last in short:
        base = _FIELD_BASE[field]
        after = base + last  # a start in [after, after + distance]
        index = bisect_left(starts, after)
        if index < count and starts[index] <= after + distance:
            return True
        before = base + first  # an end in [before - distance, before]
        index = bisect_left(ends, before - distance)
        if index < count and ends[index] <= before:
            return True
    return False


_FIELD_BASE = {"title": 0, "text": 1 << 40}
"""Word numbers of the two fields as one line, so far apart that no distance spans both."""


def _field_order(occurrence: Occurrence) -> tuple[int, int]:
    return (0 if occurrence[0] == "title" else 1, occurrence[1])


def _mentions(node: Mentions, article: PreparedArticle, now: datetime) -> Reasons | None:
    refs = [ref for key in node.entity_ids for ref in article.by_entity.get(key, ())]
    refs += [ref for key in node.tickers for ref in article.by_ticker.get(key, ())]
    refs += [ref for key in node.model_names for ref in article.by_model_name.get(key, ())]
    return _entity_reason(node.label, refs, node.scope, article)


def _developer(node: Developer, article: PreparedArticle, now: datetime) -> Reasons | None:
    refs = [ref for key in node.developer_ids for ref in article.by_developer.get(key, ())]
    refs += [ref for key in node.model_ids for ref in article.by_entity.get(key, ())]
    return _entity_reason(node.label, [ref for ref in refs if ref.type == "MODEL"], node.scope,
                          article)


def _entity_reason(label: str, refs: list[EntityRef], scope: str | None,
                   article: PreparedArticle) -> Reasons | None:
    spans = sorted({
        (ref.field, ref.start, ref.end) for ref in refs
        if scope is None or article.in_scope(ref.field, ref.end, scope)
    }, key=lambda span: (span[0] != "title", span[1], span[2]))
    return (MatchReason("entity", label, tuple(spans)),) if spans else None


def _stock(node: Stock, article: PreparedArticle, now: datetime) -> Reasons | None:
    pairs = zip(article.view.reactions, article.reaction_reasons, strict=True)
    reasons = tuple(reason for reaction, reason in pairs if _stock_holds(node, reaction, article))
    return reasons or None


def _stock_holds(node: Stock, reaction: ReactionRef, article: PreparedArticle) -> bool:
    if node.scope is not None and not article.in_scope(reaction.field, reaction.end, node.scope):
        return False
    if node.company_ids is not None and not (
        reaction.company_id in node.company_ids or reaction.ticker in node.tickers
    ):
        return False
    if node.direction is not None and reaction.direction != node.direction:
        return False
    if node.threshold is None:
        return True
    size = reaction.magnitude_pct
    if size is None:
        return False
    return _COMPARE[node.comparison or ">="](abs(size), node.threshold)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda size, limit: size >= limit,
    ">": lambda size, limit: size > limit,
    "<=": lambda size, limit: size <= limit,
    "<": lambda size, limit: size < limit,
}


def _field_is(node: FieldIs, article: PreparedArticle, now: datetime) -> Reasons | None:
    if node.field == "source":
        holds = article.source == node.value
    elif node.field == "site":
        holds = node.value in article.sites
    else:
        holds = node.value in article.languages
    return (MatchReason("field", node.label),) if holds else None


def _after(node: PublishedAfter, article: PreparedArticle, now: datetime) -> Reasons | None:
    date = article.date
    return (MatchReason("field", node.label),) if date is not None and date >= node.at else None


def _before(node: PublishedBefore, article: PreparedArticle, now: datetime) -> Reasons | None:
    date = article.date
    return (MatchReason("field", node.label),) if date is not None and date < node.at else None


def _max_age(node: MaxAge, article: PreparedArticle, now: datetime) -> Reasons | None:
    date = article.date
    if date is None:
        return None
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    return (MatchReason("field", node.label),) if moment - date <= node.age else None


def _unique(reasons: list[MatchReason]) -> Reasons:
    """The reasons without repeats. A filter's reasons are computed once per article, so a
    filter written twice gives the same objects: comparing identities is enough."""
    if len(reasons) < 2:
        return tuple(reasons)
    return tuple({id(reason): reason for reason in reasons}.values())


_COMPOUND = frozenset({And, Or, Not})
_EVALUATORS: dict[type, Callable[[Any, PreparedArticle, datetime], Reasons | None]] = {
    And: _and,
    Or: _or,
    Not: _not,
    Words: _words,
    Near: _near,
    Mentions: _mentions,
    Developer: _developer,
    Stock: _stock,
    FieldIs: _field_is,
    PublishedAfter: _after,
    PublishedBefore: _before,
    MaxAge: _max_age,
}
