"""Matching at scale: every active subscription's query compiled into one index.

Where it sits in the flow: ``Article(tagged) --match--> Alert``. The shell builds a
:class:`MatchIndex` from the active subscriptions when they change (never per article) and calls
:meth:`MatchIndex.match` for each newly tagged article; each ``(subscription id, reasons)`` it
returns becomes an alert. Pure: no I/O, no clock (``now`` is given).

How: each distinct query (equal trees are evaluated once, whatever their spelling and however
many subscribers share them) is filed under the keys of its *trigger set*, the most selective of
its necessary conditions (:mod:`alerts.query.triggers`). Literal words and phrases go into one
Aho-Corasick automaton (pyahocorasick) run over the article's folded words; entity, ticker,
developer, stock and field keys into a dictionary. For an article the index collects the keys
present, takes the queries filed under them plus the few that no key can trigger (only negations
and dates), drops those whose other necessary conditions fail (a set test), and evaluates the
rest. Selectivity comes from :class:`KeyFrequencies` measured on recent articles
(:func:`estimate_key_frequencies`) or, without them, from rough defaults. Trade-offs:
docs/queries.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

import ahocorasick

from alerts.query import PreparedArticle, Query, Reasons, evaluate
from alerts.query.ast import And, Node, Not, Or
from alerts.query.triggers import (
    ANY_REACTION,
    LITERAL,
    Clause,
    Key,
    article_keys,
    query_clauses,
    word_keys,
)
from alerts.query.words import literal_key
from alerts.types import ArticleView

MAX_CHECKS = 3
"""How many further necessary conditions are tested (as set lookups) before evaluating."""

_DEFAULT_FREQUENCY = {"e": 0.03, "t": 0.02, "d": 0.03, "r": 0.01, "rt": 0.01, "source": 0.05,
                      "site": 0.05, "lang": 0.8}
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
        if key[0] == LITERAL:
            words = key[1].split()
            if len(words) > 1:
                return 0.5 * min(self.frequency((LITERAL, literal_key((w,)))) for w in words)
        return self.counts.get(key, 0.5) / max(self.articles, 1)


def estimate_key_frequencies(articles: Iterable[ArticleView]) -> KeyFrequencies:
    """Count, over a sample of recent articles, the articles each word and key occurs in."""
    counts: Counter[Key] = Counter()
    total = 0
    for view in articles:
        prepared = PreparedArticle(view)
        words = {word for field in prepared.fields.values() for word in field.words}
        counts.update((LITERAL, literal_key((word,))) for word in words)
        counts.update(article_keys(prepared))
        total += 1
    return KeyFrequencies(total, dict(counts))


def default_frequency(key: Key) -> float:
    """A rough share of articles containing ``key``, used without measured frequencies."""
    kind, value = key
    if key == ANY_REACTION:
        return 0.1
    if kind != LITERAL:
        return _DEFAULT_FREQUENCY.get(kind, 0.05)
    words = value.split()
    if len(words) > 1:
        return 0.01
    return 0.5 if words[0] in _COMMON_WORDS or len(words[0]) < 3 else 0.05


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


class MatchIndex:
    """Every subscription's query, indexed so an article meets only the queries it can match."""

    def __init__(
        self,
        queries: Sequence[Query],
        subscribers: Sequence[tuple[int, ...]],
        postings: Mapping[Key, tuple[int, ...]],
        checks: Sequence[tuple[Clause, ...]],
        always: Sequence[int],
        frequencies: KeyFrequencies | None = None,
    ) -> None:
        """Use :meth:`build`."""
        self._queries = tuple(queries)
        shared: dict[Node, Node] = {}
        self._roots = tuple(_intern(query.root, shared) for query in queries)
        self._subscribers = tuple(subscribers)
        self._postings = postings
        self._checks = tuple(checks)
        self._always = tuple(always)
        words = {key for root in self._roots for key in word_keys(root)}
        self._automaton = _automaton(sorted(words))
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
        postings: dict[Key, list[int]] = defaultdict(list)
        checks: list[tuple[Clause, ...]] = []
        always: list[int] = []
        for index, query in enumerate(queries):
            clauses = sorted(query_clauses(query.root, cost), key=cost)
            if not clauses:
                always.append(index)
            for key in clauses[0] if clauses else ():
                postings[key].append(index)
            checks.append(tuple(clauses[1:1 + MAX_CHECKS]))
        frozen = {key: tuple(found) for key, found in postings.items()}
        return cls(queries, subscribers, frozen, checks, always, frequencies)

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

    def match(self, article: ArticleView, now: datetime) -> list[tuple[int, Reasons]]:
        """Every subscription whose query matches ``article`` at ``now``, with its reasons.

        Subscriptions sharing a query come together, in the order they were given, and share
        one reasons tuple; sort the list for id order (not done here: at 100,000 subscriptions
        sorting thousands of matches would cost more than finding them)."""
        prepared = PreparedArticle(article)
        found: list[tuple[int, Reasons]] = []
        roots, subscribers = self._roots, self._subscribers
        for index in self._candidate_queries(prepared):  # sets prepared.present
            reasons = evaluate(roots[index], prepared, now)
            if reasons is None:
                continue
            sharing = subscribers[index]
            if len(sharing) == 1:
                found.append((sharing[0], reasons))
            else:
                found.extend(zip(sharing, repeat(reasons)))
        return found

    def candidates(self, article: ArticleView) -> set[int]:
        """The subscriptions whose query :meth:`match` would evaluate for ``article``."""
        indexes = self._candidate_queries(PreparedArticle(article))
        return {sid for index in indexes for sid in self._subscribers[index]}

    def stats(self) -> IndexStats:
        """Sizes of the index."""
        literals = len(self._automaton) if self._automaton is not None else 0
        size = self._automaton.get_stats()["total_size"] if self._automaton is not None else 0
        return IndexStats(len(self), len(self._queries), len(self._always), len(self._postings),
                          literals, int(size))

    def __len__(self) -> int:
        return sum(len(sids) for sids in self._subscribers)

    def _candidate_queries(self, article: PreparedArticle) -> list[int]:
        keys = article_keys(article)
        if self._automaton is not None:
            keys.update(map(_VALUE, self._automaton.iter(article.folded)))
        article.present = keys
        hits: set[int] = set(self._always)
        postings = self._postings
        for key in keys:
            filed = postings.get(key)
            if filed is not None:
                hits.update(filed)
        checks = self._checks
        candidates: list[int] = []
        for index in hits:
            for clause in checks[index]:
                if clause.isdisjoint(keys):
                    break
            else:
                candidates.append(index)
        candidates.sort()
        return candidates


_VALUE = itemgetter(1)


def _intern(node: Node, shared: dict[Node, Node]) -> Node:
    """The node with every subtree replaced by the first equal one seen (so filters shared by
    many queries are one object, answered once per article)."""
    if isinstance(node, And):
        node = And(tuple(_intern(child, shared) for child in node.children))
    elif isinstance(node, Or):
        node = Or(tuple(_intern(child, shared) for child in node.children))
    elif isinstance(node, Not):
        node = Not(_intern(node.child, shared))
    return shared.setdefault(node, node)


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


def _automaton(literals: Iterable[Key]) -> Any:
    """An Aho-Corasick automaton whose values are the literal keys; None when there are none."""
    automaton = ahocorasick.Automaton()
    for key in literals:
        automaton.add_word(key[1], key)
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton
