"""How the matcher decides a query: conditions decided once per article, then set tests.

Where it sits in the flow: :class:`alerts.matching.MatchIndex` turns each distinct query into a
:class:`Plan` with :func:`plan_query` when it is built. A query's top-level AND parts become

- *required* conditions (a filter, or an OR of filters, that must hold),
- *excluded* conditions (``NOT`` / ``-`` of one: must not hold),
- *residual* parts (anything else, such as ``NOT (a b)`` or ``a OR (b c)``): evaluated as trees.

A :class:`Condition` is shared by every query that contains it and decided once per article: a
filter that holds exactly when the article contains one of its keys (a word, an entity, a
directional stock reaction, a field value; :func:`alerts.query.triggers.decided_by_keys`) is
decided by the keys alone; other filters (NEAR, stock thresholds, dates, a filter limited to
one field or to the lead) are evaluated, but only when their necessary keys are present. A
query without residual parts is then decided by set tests on the conditions that hold (one
intersection per condition for the queries that need exactly two, filed as pairs; two tests each
for the rest); its reasons are the reasons of its required parts in query order, each computed
once per article.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any, TypeVar

import ahocorasick

from alerts.query.ast import And, Node, Not, Or, Stock, leaves
from alerts.query.triggers import (
    TITLE_LITERAL,
    Clause,
    Key,
    decided_by_keys,
    leaf_clause,
    query_clauses,
    word_keys,
)

MAX_RESIDUAL_CHECKS = 3
"""How many necessary clauses of a residual part become required conditions of its query."""


@dataclass(frozen=True)
class Condition:
    """Something an article makes true or false, decided once per article for every query.

    With ``node`` None the condition holds exactly when the article contains one of ``keys``.
    Otherwise ``keys`` (one of them) and every clause of ``checks`` are necessary, and ``node``
    is evaluated when they hold; a condition without keys (a date window) is evaluated for every
    article."""

    keys: Clause
    node: Node | None = None
    checks: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A query as the matcher runs it: it matches when every required condition holds, no
    excluded one does, and every residual part evaluates to a match. Conditions are numbers in
    a :class:`ConditionTable`."""

    required: tuple[int, ...]
    excluded: tuple[int, ...]
    residual: tuple[Node, ...]
    reasons: tuple[Node, ...]
    """The parts whose reasons, in this order and without repeats, are the query's reasons."""


class ConditionTable:
    """The distinct conditions of many queries, numbered: one per distinct clause decided by
    keys, one per (interned) filter that is evaluated."""

    def __init__(self, cost: Callable[[Clause], float]) -> None:
        self.conditions: list[Condition] = []
        self.numbers: list[int] = []
        """The one int object of each condition number, used in every table: set tests on
        equal numbers then stop at identity without reading the int objects (memory, not
        arithmetic, is what matching at scale waits for)."""
        self.clause_cost = cost
        self._by_clause: dict[Clause, int] = {}
        self._by_node: dict[int, int | None] = {}
        self._nodes: list[Node] = []  # keeps the nodes whose id() is a key above alive
        self._costs: dict[int, float] = {}

    def of(self, node: Node) -> int | None:
        """The condition a filter, or an OR of filters, stands for; None for anything else."""
        key = id(node)
        if key not in self._by_node:
            self._nodes.append(node)
            self._by_node[key] = self._make(node)
        return self._by_node[key]

    def clause(self, keys: Clause) -> int:
        """The condition that holds when the article contains one of ``keys``."""
        number = self._by_clause.get(keys)
        if number is None:
            number = self._by_clause[keys] = self._add(Condition(keys))
        return number

    def cost(self, number: int) -> float:
        """How often the condition is expected to trigger: its keys' frequencies; without keys,
        never (decided by keys: it cannot hold) or always (evaluated for every article)."""
        known = self._costs.get(number)
        if known is None:
            condition = self.conditions[number]
            if not condition.keys:
                known = 0.0 if condition.node is None else 1.0
            else:
                known = self.clause_cost(condition.keys)
            self._costs[number] = known
        return known

    def _make(self, node: Node) -> int | None:
        if isinstance(node, And | Not):
            return None
        if isinstance(node, Or):
            return self._or(node)
        if decided_by_keys(node):
            return self.clause(leaf_clause(node))
        clauses = sorted(query_clauses(node, self.clause_cost), key=self.clause_cost)
        if not clauses:
            return self._add(Condition(frozenset(), node))
        return self._add(Condition(clauses[0], node, tuple(clauses[1:])))

    def _or(self, node: Or) -> int | None:
        """An OR of filters is decided by its keys when each alternative is; else it is
        evaluated when the key of one alternative is present (always, if one has no key)."""
        numbers = [self.of(child) for child in node.children]
        if any(number is None for number in numbers):
            return None
        children = [self.conditions[number] for number in numbers if number is not None]
        keys: Clause = frozenset().union(*(child.keys for child in children))
        if all(child.node is None for child in children):
            return self.clause(keys)
        if any(not child.keys for child in children):
            keys = frozenset()
        return self._add(Condition(keys, node))

    def _add(self, condition: Condition) -> int:
        self.conditions.append(condition)
        number = len(self.conditions) - 1
        self.numbers.append(number)
        return number


def plan_query(root: Node, table: ConditionTable) -> Plan:
    """The plan of a query tree, its conditions numbered in ``table``."""
    required: list[int] = []
    excluded: list[int] = []
    residual: list[Node] = []
    reasons: list[Node] = []
    for part in root.children if isinstance(root, And) else (root,):
        if isinstance(part, Not) and (negated := table.of(part.child)) is not None:
            excluded.append(negated)
            continue
        reasons.append(part)
        found = table.of(part)
        if found is not None:
            required.append(found)
            continue
        residual.append(part)
        cost = table.clause_cost
        clauses = sorted(query_clauses(part, cost), key=cost)[:MAX_RESIDUAL_CHECKS]
        required.extend(table.clause(clause) for clause in clauses)
    return Plan(tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)),
                tuple(residual), tuple(reasons))


@dataclass(frozen=True)
class CompiledPlans:
    """The tables :class:`alerts.matching.MatchIndex` runs on, for queries numbered 0..n-1."""

    conditions: tuple[Condition, ...]
    exact_by_key: dict[Key, tuple[int, ...]]
    """Key -> the conditions it decides (they hold when the article contains the key)."""
    exact_keys: frozenset[Key]
    evaluated_by_key: dict[Key, tuple[int, ...]]
    """Key -> the conditions evaluated when the article contains it."""
    evaluated_keys: frozenset[Key]
    always_evaluated: tuple[int, ...]
    """Conditions evaluated for every article (date windows)."""
    plain: dict[int, tuple[int, ...]]
    """Condition -> the queries that match when it holds (it is their only part)."""
    paired: dict[int, dict[int, tuple[int, ...]]]
    """Condition -> other condition -> the queries that match when both hold (their only
    parts): decided by one C set intersection per condition, not one set test per query."""
    tested_ids: dict[int, tuple[int, ...]]
    """Condition -> the queries filed under it that set tests decide ..."""
    tested_required: dict[int, tuple[frozenset[int], ...]]
    """... the other conditions each requires ..."""
    tested_excluded: dict[int, tuple[frozenset[int], ...]]
    """... and the conditions each excludes."""
    with_parts: dict[int, tuple[int, ...]]
    """Condition -> the queries filed under it that have residual parts."""
    always: tuple[int, ...]
    """Queries without a required condition: decided for every article."""
    always_filed: int
    """How many queries are filed under a condition evaluated for every article."""
    required: tuple[frozenset[int], ...]
    excluded: tuple[frozenset[int], ...]
    residual: tuple[tuple[Node, ...], ...]
    signature: tuple[int, ...]
    """Query -> the number of its reason parts (queries with the same parts share reasons)."""
    signature_parts: tuple[tuple[int, ...], ...]
    """Signature -> the numbers of its parts, in query order."""
    parts: tuple[Node, ...]
    """Part number -> the part (a filter, an OR of filters, or a residual subtree)."""
    repeats: tuple[bool, ...]
    """Whether two parts of a signature can give the same reason object (removed once)."""
    automaton: Any
    """Aho-Corasick automaton (pyahocorasick) of every word and phrase; values are ``w`` keys."""
    title_key: dict[Key, Key]
    """``w`` key -> the ``wt`` key of the same words."""

    needs: dict[int, frozenset[Key]]
    """Evaluated condition -> keys it needs besides one of its own (its one-key checks)."""

    @cached_property
    def tested_keys(self) -> frozenset[int]:
        return frozenset(self.tested_ids)

    @cached_property
    def plain_keys(self) -> frozenset[int]:
        return frozenset(self.plain)

    @cached_property
    def paired_keys(self) -> frozenset[int]:
        return frozenset(self.paired)

    @cached_property
    def with_parts_keys(self) -> frozenset[int]:
        return frozenset(self.with_parts)

    def filed_under(self, condition: int) -> tuple[int, ...]:
        """Every query filed under ``condition``."""
        paired = self.paired.get(condition, {})
        return (*self.plain.get(condition, ()), *chain.from_iterable(paired.values()),
                *self.tested_ids.get(condition, ()), *self.with_parts.get(condition, ()))

    @property
    def with_residual(self) -> int:
        return sum(1 for parts in self.residual if parts)


def compile_plans(roots: Sequence[Node], cost: Callable[[Clause], float]) -> CompiledPlans:
    """The matcher's tables for distinct query trees."""
    shared: dict[Node, Node] = {}
    roots = [_intern(root, shared) for root in roots]
    table = ConditionTable(cost)
    plans = [plan_query(root, table) for root in roots]
    conditions = tuple(table.conditions)
    numbers = table.numbers
    exact, evaluated = _conditions_by_key(conditions, numbers)
    filing = _Filing(table)
    for index, plan in enumerate(plans):
        filing.file(index, plan)
    signature, signature_parts, parts, repeats = _signatures(plans)
    automaton, title_key = _automaton(roots)
    return CompiledPlans(
        conditions, exact, frozenset(exact), evaluated, frozenset(evaluated),
        tuple(n for n, c in zip(numbers, conditions, strict=True)
              if c.node is not None and not c.keys),
        _frozen(filing.plain),
        {trigger: _frozen(others) for trigger, others in filing.paired.items()},
        _frozen(filing.tested_ids), _frozen(filing.tested_required),
        _frozen(filing.tested_excluded), _frozen(filing.with_parts), tuple(filing.always),
        filing.always_filed, tuple(filing.required), tuple(filing.excluded),
        tuple(plan.residual for plan in plans), signature, signature_parts, parts, repeats,
        automaton, title_key, _needs(conditions, numbers),
    )


class _Filing:
    """Files each query under its most selective required condition, by kind of decision."""

    def __init__(self, table: ConditionTable) -> None:
        self.table = table
        self.plain: dict[int, list[int]] = defaultdict(list)
        self.paired: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.tested_ids: dict[int, list[int]] = defaultdict(list)
        self.tested_required: dict[int, list[frozenset[int]]] = defaultdict(list)
        self.tested_excluded: dict[int, list[frozenset[int]]] = defaultdict(list)
        self.with_parts: dict[int, list[int]] = defaultdict(list)
        self.always: list[int] = []
        self.always_filed = 0
        self.required: list[frozenset[int]] = []
        self.excluded: list[frozenset[int]] = []
        self._sets: dict[frozenset[int], frozenset[int]] = {}

    def shared(self, numbers: Iterable[int]) -> frozenset[int]:
        """The set of ``numbers``, one object for equal sets (thousands of queries share them)."""
        found = frozenset(numbers)
        return self._sets.setdefault(found, found)

    def file(self, index: int, plan: Plan) -> None:
        required, excluded = self.shared(plan.required), self.shared(plan.excluded)
        self.required.append(required)
        self.excluded.append(excluded)
        if not plan.required:
            self.always.append(index)
            return
        trigger = min(plan.required, key=self.table.cost)
        if self.table.cost(trigger) == 1.0 and not self.table.conditions[trigger].keys:
            self.always_filed += 1
        if plan.residual:
            self.with_parts[trigger].append(index)
        elif len(required) == 1 and not excluded:
            self.plain[trigger].append(index)
        elif len(required) == 2 and not excluded:
            [other] = required - {trigger}
            self.paired[trigger][other].append(index)
        else:
            self.tested_ids[trigger].append(index)
            self.tested_required[trigger].append(self.shared(required - {trigger}))
            self.tested_excluded[trigger].append(excluded)


def _needs(conditions: Sequence[Condition], numbers: Sequence[int]) -> dict[int, frozenset[Key]]:
    return {number: frozenset(key for clause in condition.checks if len(clause) == 1
                              for key in clause)
            for number, condition in zip(numbers, conditions, strict=True)
            if condition.node is not None}


def _conditions_by_key(
    conditions: Sequence[Condition], numbers: Sequence[int],
) -> tuple[dict[Key, tuple[int, ...]], dict[Key, tuple[int, ...]]]:
    exact: dict[Key, list[int]] = defaultdict(list)
    evaluated: dict[Key, list[int]] = defaultdict(list)
    for number, condition in zip(numbers, conditions, strict=True):
        for key in condition.keys:
            (exact if condition.node is None else evaluated)[key].append(number)
    return _frozen(exact), _frozen(evaluated)


def _signatures(
    plans: Sequence[Plan],
) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...], tuple[Node, ...], tuple[bool, ...]]:
    """Number the distinct parts (by identity: nodes are interned) and the distinct tuples of
    reason parts; queries with equal tuples share their reasons in an article."""
    part_numbers: dict[int, int] = {}
    parts: list[Node] = []
    numbers: dict[tuple[int, ...], int] = {}
    signature: list[int] = []
    for plan in plans:
        for part in plan.reasons:
            if part_numbers.setdefault(id(part), len(parts)) == len(parts):
                parts.append(part)
        key = tuple(part_numbers[id(part)] for part in plan.reasons)
        signature.append(numbers.setdefault(key, len(numbers)))
    signatures = tuple(numbers)
    repeats = tuple(_may_repeat(tuple(parts[number] for number in key)) for key in signatures)
    return tuple(signature), signatures, tuple(parts), repeats


def _may_repeat(parts: tuple[Node, ...]) -> bool:
    """Whether two parts can give one reason object: they share a filter, or two stock filters
    name the same reaction."""
    if len(parts) < 2:
        return False
    seen: set[int] = set()
    stocks = 0
    for part in parts:
        found = {id(leaf): leaf for leaf in leaves(part)}
        if not seen.isdisjoint(found):
            return True
        seen.update(found)
        stocks += sum(1 for leaf in found.values() if isinstance(leaf, Stock))
    return stocks > 1


def _intern(node: Node, shared: dict[Node, Node]) -> Node:
    """The node with every subtree replaced by the first equal one seen (so filters shared by
    many queries are one object, decided and explained once per article)."""
    if isinstance(node, And):
        node = And(tuple(_intern(child, shared) for child in node.children))
    elif isinstance(node, Or):
        node = Or(tuple(_intern(child, shared) for child in node.children))
    elif isinstance(node, Not):
        node = Not(_intern(node.child, shared))
    return shared.setdefault(node, node)


def _automaton(roots: Iterable[Node]) -> tuple[Any, dict[Key, Key]]:
    """An Aho-Corasick automaton whose values are the literal keys (None when there are none),
    and each literal key's title key."""
    literals = sorted({key for root in roots for key in word_keys(root)})
    automaton = ahocorasick.Automaton()
    for key in literals:
        automaton.add_word(key[1], key)
    if len(automaton) == 0:
        return None, {}
    automaton.make_automaton()
    return automaton, {key: (TITLE_LITERAL, key[1]) for key in literals}


_K = TypeVar("_K", bound=Hashable)
_T = TypeVar("_T")


def _frozen(table: dict[_K, list[_T]]) -> dict[_K, tuple[_T, ...]]:
    return {key: tuple(found) for key, found in table.items()}
