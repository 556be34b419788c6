"""Matching at scale: every active subscription's query compiled into one index.

Where it sits in the flow: ``Article(tagged) --match--> Alert``. The shell builds a
:class:`MatchIndex` from the active subscriptions when they change (never per article) and calls
:meth:`MatchIndex.match` for each newly tagged article; it returns each matched distinct query
once, as ``(subscription ids, reasons)``, and every subscription in it becomes an alert with
those reasons (:func:`per_subscription`). Pure: no I/O, no clock (``now`` is given).

How: equal queries are one query, however many subscribers share them, and equal filters one
object. Each distinct query becomes a :class:`~alerts.query.plans.Plan` of conditions shared
between queries (:mod:`alerts.query.plans`). For an article the index

1. computes the keys it contains (:mod:`alerts.query.triggers`: tagged entities, reactions and
   fields, and the words and phrases of any query, found by one Aho-Corasick automaton run over
   the folded title and text);
2. decides the conditions those keys can make true: most by the keys alone, the rest (NEAR,
   thresholds, dates, filters limited to a field) by evaluating them once;
3. takes the queries filed under a condition that holds (each query is filed under its most
   selective required condition) and decides them with a few numpy operations on the mask of
   conditions that hold: every other required condition holds, no excluded one does; the few
   with residual parts (or more conditions than the tables hold) are then checked in Python;
4. builds each matched query's reasons from its parts' reasons, computed once per article, and
   returns each matched query once with all its subscribers.

Selectivity comes from :class:`KeyFrequencies` measured on recent articles
(:func:`estimate_key_frequencies`) or, without them, from rough defaults. Trade-offs:
docs/queries.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, compress
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from alerts.query import PreparedArticle, Query, Reasons, evaluate
from alerts.query.ast import Near, Node
from alerts.query.evaluate import near_holds
from alerts.query.plans import WIDTH, CompiledPlans, compile_plans
from alerts.query.triggers import (
    ANY_REACTION,
    LITERAL,
    TITLE_LITERAL,
    Clause,
    Key,
    article_keys,
)
from alerts.query.words import literal_key
from alerts.types import ArticleView, MatchReason

Holds = npt.NDArray[np.bool_]
"""An article's conditions: which hold (:class:`~alerts.query.plans.CompiledPlans`)."""
Match = tuple[tuple[int, ...], Reasons]
"""One matched distinct query: the ids of the subscriptions sharing it, and why it matched."""

_DEFAULT_FREQUENCY = {"e": 0.03, "em": 0.03, "t": 0.02, "dm": 0.03, "r": 0.01, "rt": 0.01,
                      "source": 0.05, "site": 0.05, "lang": 0.8}
_COMMON_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
    "ai", "model", "models", "new", "said", "says", "company",
})


@dataclass(frozen=True)
class KeyFrequencies:
    """In what share of recent articles each key occurred, to pick selective triggers."""

    articles: int
    counts: Mapping[Key, int]

    def frequency(self, key: Key) -> float:
        """The share of articles containing ``key``; a phrase counts as half its rarest word;
        a key never seen as half an article."""
        if key[0] in (LITERAL, TITLE_LITERAL):
            words = key[1].split()
            if len(words) > 1:
                return 0.5 * min(self.frequency((key[0], literal_key((w,)))) for w in words)
        return self.counts.get(key, 0.5) / max(self.articles, 1)


def estimate_key_frequencies(articles: Iterable[ArticleView]) -> KeyFrequencies:
    """Count, over a sample of recent articles, the articles each word and key occurs in."""
    counts: Counter[Key] = Counter()
    total = 0
    for view in articles:
        prepared = PreparedArticle(view)
        words = {word for field in prepared.fields.values() for word in field.words}
        counts.update((LITERAL, literal_key((word,))) for word in words)
        title = set(prepared.fields["title"].words)
        counts.update((TITLE_LITERAL, literal_key((word,))) for word in title)
        counts.update(article_keys(prepared))
        total += 1
    return KeyFrequencies(total, dict(counts))


def default_frequency(key: Key) -> float:
    """A rough share of articles containing ``key``, used without measured frequencies."""
    kind, value = key
    if key == ANY_REACTION:
        return 0.1
    if kind not in (LITERAL, TITLE_LITERAL):
        return _DEFAULT_FREQUENCY.get(kind, 0.005)  # directional reactions: r.up, rt.down...
    words = value.split()
    share = 0.01 if len(words) > 1 else (
        0.5 if words[0] in _COMMON_WORDS or len(words[0]) < 3 else 0.05)
    return share if kind == LITERAL else share / 5


@dataclass(frozen=True)
class IndexStats:
    """The shape of an index, for ``status`` and the benchmark."""

    subscriptions: int
    queries: int
    """Distinct queries (subscriptions sharing a query count once)."""
    always: int
    """Queries checked for every article (no key can trigger them)."""
    keys: int
    literals: int
    automaton_bytes: int
    conditions: int = 0
    """Distinct conditions, decided once per article when their keys are present."""
    evaluated: int = 0
    """Queries with a part that is evaluated as a tree (the rest are decided by set tests)."""


class MatchIndex:
    """Every subscription's query, indexed so an article meets only the queries it can match."""

    def __init__(self, queries: list[Query], subscribers: list[tuple[int, ...]],
                 plans: CompiledPlans, frequencies: KeyFrequencies | None) -> None:
        """Use :meth:`build`."""
        self._queries = tuple(queries)
        self._subscribers = tuple(subscribers)
        self._plans = plans
        self._frequencies = frequencies

    @classmethod
    def build(
        cls,
        subscriptions: Iterable[tuple[int, Query]],
        *,
        frequencies: KeyFrequencies | None = None,
    ) -> MatchIndex:
        """Compile ``(subscription id, query)`` pairs; ids must be distinct (ValueError)."""
        queries, subscribers = _distinct_queries(subscriptions)
        cost = _clause_cost(frequencies.frequency if frequencies else default_frequency)
        plans = compile_plans([query.root for query in queries], cost)
        return cls([queries[index] for index in plans.order],
                   [subscribers[index] for index in plans.order], plans, frequencies)

    def rebuilt(
        self, added: Iterable[tuple[int, Query]] = (), removed: Iterable[int] = ()
    ) -> MatchIndex:
        """A new index with subscriptions added (or replaced, by id) and removed."""
        current = dict(self.subscriptions())
        for subscription_id in removed:
            current.pop(subscription_id, None)
        current.update(added)
        return MatchIndex.build(current.items(), frequencies=self._frequencies)

    def subscriptions(self) -> list[tuple[int, Query]]:
        """Every ``(subscription id, query)`` in the index, by id."""
        pairs = [(sid, query) for query, sids in zip(self._queries, self._subscribers, strict=True)
                 for sid in sids]
        return sorted(pairs, key=itemgetter(0))

    def match(self, article: ArticleView, now: datetime) -> list[Match]:
        """Every distinct query that matches ``article`` at ``now``: its subscribers (in the order
        they were given) and its reasons, once for all of them.

        One alert per subscriber is the writer's work (:func:`per_subscription`): at 100,000
        subscriptions an on-topic article matches thousands of subscriptions of a few hundred
        queries, and pairing each with its reasons here would cost more than finding them."""
        prepared = PreparedArticle(article)
        holding = self._holding(prepared, now)
        matched = self._matched(holding, prepared, now)
        signatures = list(map(self._plans.signature.__getitem__, matched))
        known = self._reasons(dict.fromkeys(signatures), prepared, now)
        return list(zip(map(self._subscribers.__getitem__, matched),
                        map(known.__getitem__, signatures), strict=True))

    def candidates(self, article: ArticleView) -> set[int]:
        """The subscriptions whose query :meth:`match` decides beyond its trigger for
        ``article``: filed under a condition that holds, every required condition holding (the
        excluded conditions and residual parts are then checked)."""
        holds = self._holding(PreparedArticle(article), None)
        plans = self._plans
        queries = holds[plans.trigger].nonzero()[0]
        found = queries[holds[plans.tests[queries, :WIDTH]].all(1)].tolist()
        return {sid for index in found
                if index not in plans.checked or holds[list(plans.required[index])].all()
                for sid in self._subscribers[index]}

    def stats(self) -> IndexStats:
        """Sizes of the index."""
        plans = self._plans
        automaton = plans.automaton
        literals = len(automaton) if automaton is not None else 0
        size = automaton.get_stats()["total_size"] if automaton is not None else 0
        return IndexStats(len(self), len(self._queries), plans.always + plans.always_filed,
                          len(plans.exact_by_key) + len(plans.evaluated_by_key), literals,
                          int(size), len(plans.conditions), plans.with_residual)

    def __len__(self) -> int:
        return sum(len(sids) for sids in self._subscribers)

    def _holding(self, prepared: PreparedArticle, now: datetime | None) -> Holds:
        """Which conditions the article makes true (``now`` None: every evaluated condition
        whose keys are present counts as holding, for :meth:`candidates`)."""
        plans = self._plans
        present = self._present_keys(prepared)
        holds = np.zeros(plans.size, np.bool_)
        holds[plans.true] = True
        exact = list(map(plans.exact_by_key.__getitem__, present & plans.exact_keys))
        if exact:
            holds[np.concatenate(exact)] = True
        maybe = set(chain.from_iterable(map(plans.evaluated_by_key.__getitem__,
                                            present & plans.evaluated_keys)))
        maybe.update(plans.always_evaluated)
        conditions = plans.conditions
        ready = compress(maybe, map(present.issuperset, map(plans.needs.__getitem__, maybe)))
        found: list[int] = []
        for number in ready:
            condition = conditions[number]
            if any(clause.isdisjoint(present) for clause in condition.checks):
                continue
            node = condition.node
            if now is None or (node is not None and _holds(node, prepared, now)):
                found.append(number)
        if found:
            holds[found] = True
        return holds

    def _reasons(self, signatures: Iterable[int], prepared: PreparedArticle,
                 now: datetime) -> dict[int, Reasons]:
        """The reasons of the queries with each signature: their parts' reasons in order (each
        part is known to hold, and explained once per article), without repeats."""
        plans = self._plans
        parts_of, repeats = plans.signature_parts, plans.repeats
        explained: dict[int, Reasons] = {}  # id(part) -> its reasons
        known: dict[int, Reasons] = {}
        for signature in signatures:
            parts = parts_of[signature]
            if len(parts) == 1:
                found = explained.get(id(parts[0]))
                if found is None:
                    found = explained[id(parts[0])] = evaluate(parts[0], prepared, now) or ()
                known[signature] = found
                continue
            joined: list[MatchReason] = []
            for part in parts:
                found = explained.get(id(part))
                if found is None:
                    found = explained[id(part)] = evaluate(part, prepared, now) or ()
                joined += found
            known[signature] = tuple({id(reason): reason for reason in joined}.values()) \
                if repeats[signature] else tuple(joined)
        return known

    def _present_keys(self, prepared: PreparedArticle) -> set[Key]:
        """The article's keys: tagged and field keys, and the words of queries that occur
        (where they occur is kept in the prepared article, for reasons and NEAR)."""
        keys = article_keys(prepared)
        automaton = self._plans.automaton
        if automaton is not None:
            fields = prepared.fields
            in_title = _scan(automaton, fields["title"].folded)
            in_text = _scan(automaton, fields["text"].folded)
            keys.update(in_title)
            keys.update(map(self._plans.title_key.__getitem__, in_title))
            keys.update(in_text)
            prepared.hits = {"title": in_title, "text": in_text}
        else:
            prepared.hits = {"title": {}, "text": {}}
        prepared.present = keys
        return keys

    def _matched(self, holds: Holds, prepared: PreparedArticle, now: datetime) -> list[int]:
        """The distinct queries that match, given the conditions that hold: vector tests on
        the queries whose trigger holds, then the checked ones' remaining parts."""
        plans = self._plans
        queries = holds[plans.trigger].nonzero()[0]
        if not queries.size:
            return []
        tests = holds[plans.tests[queries]]
        decided = tests[:, :WIDTH].all(1)
        decided &= ~tests[:, WIDTH:].any(1)
        matched: list[int] = queries[decided].tolist()
        checked = plans.checked
        if checked.isdisjoint(matched):
            return matched
        return [index for index in matched
                if index not in checked or self._rest_holds(index, holds, prepared, now)]

    def _rest_holds(self, index: int, holds: Holds, prepared: PreparedArticle,
                    now: datetime) -> bool:
        """Whether a checked query's conditions beyond its tables and its residual parts hold."""
        plans = self._plans
        return (bool(holds[list(plans.required[index])].all())
                and not holds[list(plans.excluded_all[index])].any()
                and all(evaluate(part, prepared, now) is not None
                        for part in plans.residual[index]))


def _holds(node: Node, prepared: PreparedArticle, now: datetime) -> bool:
    """Whether an evaluated condition holds (a NEAR without working out its reasons)."""
    if type(node) is Near:
        return near_holds(node, prepared)
    return evaluate(node, prepared, now) is not None


def per_subscription(matches: Iterable[Match]) -> list[tuple[int, Reasons]]:
    """One ``(subscription id, reasons)`` pair per matched subscription, in the order of
    :meth:`MatchIndex.match` (subscribers of one query share its reasons tuple)."""
    return [(subscription_id, reasons) for subscribers, reasons in matches
            for subscription_id in subscribers]


def _scan(automaton: Any, folded: str) -> dict[Key, list[int]]:
    """Every word key the automaton finds in ``folded``, with where each occurrence ends."""
    found: dict[Key, list[int]] = {}
    for end, key in automaton.iter(folded):
        ends = found.get(key)
        if ends is None:
            found[key] = [end]
        else:
            ends.append(end)
    return found


def _distinct_queries(
    subscriptions: Iterable[tuple[int, Query]],
) -> tuple[list[Query], list[tuple[int, ...]]]:
    """Group subscriptions by query tree: the distinct queries and each one's subscribers."""
    by_root: dict[Node, int] = {}
    queries: list[Query] = []
    subscribers: list[list[int]] = []
    seen: set[int] = set()
    for subscription_id, query in subscriptions:
        if subscription_id in seen:
            raise ValueError(f"subscription id {subscription_id} given twice")
        seen.add(subscription_id)
        index = by_root.setdefault(query.root, len(queries))
        if index == len(queries):
            queries.append(query)
            subscribers.append([])
        subscribers[index].append(subscription_id)
    return queries, [tuple(sids) for sids in subscribers]


def _clause_cost(frequency: Callable[[Key], float]) -> Callable[[Clause], float]:
    """A clause's cost: the summed frequencies of its keys (a bound on how often it holds)."""
    known: dict[Key, float] = {}

    def cost(clause: Clause) -> float:
        total = 0.0
        for key in clause:
            value = known.get(key)
            if value is None:
                value = known[key] = frequency(key)
            total += value
        return total

    return cost
