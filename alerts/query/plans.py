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
query without residual parts is then decided by vector tests (numpy) on the mask of the
conditions that hold, over the queries filed under one that holds (:class:`CompiledPlans`); its
reasons are the reasons of its required parts in query order, each computed once per article.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import ahocorasick
import numpy as np
import numpy.typing as npt

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


Conditions = npt.NDArray[np.int32]
"""Condition numbers, as numpy indexes into an article's mask of the conditions that hold."""

WIDTH = 4
"""Columns of the per-query tables: required conditions besides the trigger, and excluded
ones, beyond which a query's conditions are tested one by one (few queries have more)."""


@dataclass(frozen=True)
class CompiledPlans:
    """The tables :class:`alerts.matching.MatchIndex` runs on, for queries numbered 0..n-1.

    An article's conditions are a boolean mask (numpy) of :attr:`size` entries, two past the
    conditions: :attr:`true` always holds, :attr:`false` never does (what the tables are padded
    with). A query matches when its :attr:`trigger` holds (its most selective required
    condition, or :attr:`true`), every other required one in :attr:`tests` does, none of the
    excluded ones in :attr:`tests` does, and, for the queries in :attr:`checked`, the rest of their
    required and excluded conditions and their residual parts too: a few vector operations
    over the queries whose trigger holds, then Python for the few checked ones."""

    conditions: tuple[Condition, ...]
    exact_by_key: dict[Key, Conditions]
    """Key -> the conditions it decides (they hold when the article contains the key)."""
    exact_keys: frozenset[Key]
    evaluated_by_key: dict[Key, tuple[int, ...]]
    """Key -> the conditions evaluated when the article contains it."""
    evaluated_keys: frozenset[Key]
    always_evaluated: tuple[int, ...]
    """Conditions evaluated for every article (date windows)."""
    order: tuple[int, ...]
    """Query number -> the number of the tree it was compiled from: queries are numbered by
    trigger, so that the queries an article tries lie together in the tables below."""
    trigger: Conditions
    """Query -> the condition it is filed under (:attr:`true`: none, it is always tried)."""
    tests: Conditions
    """Query -> up to :data:`WIDTH` other required conditions (padded with :attr:`true`), then
    up to :data:`WIDTH` excluded conditions (padded with :attr:`false`): one row, read at
    once."""
    checked: frozenset[int]
    """Queries with residual parts or more conditions than the tables hold."""
    required: tuple[tuple[int, ...], ...]
    """Query -> every required condition (for the :attr:`checked` ones)."""
    excluded_all: tuple[tuple[int, ...], ...]
    """Query -> every excluded condition (for the :attr:`checked` ones)."""
    always: int
    """Queries without a required condition: decided for every article."""
    always_filed: int
    """How many queries are filed under a condition evaluated for every article."""
    residual: tuple[tuple[Node, ...], ...]
    signature: tuple[int, ...]
    """Query -> the number of its reason parts (queries with the same parts share reasons)."""
    signature_parts: tuple[tuple[Node, ...], ...]
    """Signature -> its parts (filters, ORs of filters, residual subtrees), in query order."""
    repeats: tuple[bool, ...]
    """Whether two parts of a signature can give the same reason object (removed once)."""
    automaton: Any
    """Aho-Corasick automaton (pyahocorasick) of every word and phrase; values are ``w`` keys."""
    title_key: dict[Key, Key]
    """``w`` key -> the ``wt`` key of the same words."""

    needs: dict[int, frozenset[Key]]
    """Evaluated condition -> keys it needs besides one of its own (its one-key checks)."""

    @property
    def true(self) -> int:
        return len(self.conditions)

    @property
    def false(self) -> int:
        return len(self.conditions) + 1

    @property
    def size(self) -> int:
        return len(self.conditions) + 2

    @property
    def with_residual(self) -> int:
        return sum(1 for parts in self.residual if parts)


def compile_plans(roots: Sequence[Node], cost: Callable[[Clause], float]) -> CompiledPlans:
    """The matcher's tables for distinct query trees, renumbered by trigger
    (:attr:`CompiledPlans.order`)."""
    shared: dict[Node, Node] = {}
    roots = [_intern(root, shared) for root in roots]
    table = ConditionTable(cost)
    plans = [plan_query(root, table) for root in roots]
    conditions = tuple(table.conditions)
    numbers = table.numbers
    exact, evaluated = _conditions_by_key(conditions, numbers)
    triggers = [_trigger(plan, table) for plan in plans]
    order = tuple(sorted(range(len(plans)), key=triggers.__getitem__))
    plans = [plans[index] for index in order]
    filing = _Filing(table, len(plans))
    for index, plan in enumerate(plans):
        filing.file(index, plan, triggers[order[index]])
    signature, signature_parts, repeats = _signatures(plans)
    automaton, title_key = _automaton(roots)
    return CompiledPlans(
        conditions, {key: np.array(found, np.int32) for key, found in exact.items()},
        frozenset(exact), evaluated, frozenset(evaluated),
        tuple(n for n, c in zip(numbers, conditions, strict=True)
              if c.node is not None and not c.keys),
        order, filing.trigger, filing.tests, frozenset(filing.checked),
        tuple(plan.required for plan in plans), tuple(plan.excluded for plan in plans),
        filing.always, filing.always_filed, tuple(plan.residual for plan in plans), signature,
        signature_parts, repeats, automaton, title_key, _needs(conditions, numbers),
    )


def _trigger(plan: Plan, table: ConditionTable) -> int:
    """The condition a query is filed under: its most selective required one (the number past
    the conditions, :attr:`CompiledPlans.true`, for a query with none)."""
    return min(plan.required, key=table.cost) if plan.required else len(table.conditions)


class _Filing:
    """Files each query under its trigger, in numpy tables."""

    def __init__(self, table: ConditionTable, queries: int) -> None:
        self.table = table
        true, false = len(table.conditions), len(table.conditions) + 1
        self.trigger = np.full(queries, true, np.int32)
        self.tests = np.full((queries, 2 * WIDTH), true, np.int32)
        self.tests[:, WIDTH:] = false
        self.checked: list[int] = []
        self.always = 0
        self.always_filed = 0

    def file(self, index: int, plan: Plan, trigger: int) -> None:
        if plan.residual or len(plan.required) > WIDTH + 1 or len(plan.excluded) > WIDTH:
            self.checked.append(index)
        excluded = plan.excluded[:WIDTH]
        self.tests[index, WIDTH:WIDTH + len(excluded)] = excluded
        if not plan.required:
            self.always += 1
            return
        if self.table.cost(trigger) == 1.0 and not self.table.conditions[trigger].keys:
            self.always_filed += 1
        self.trigger[index] = trigger
        others = [number for number in plan.required if number != trigger][:WIDTH]
        self.tests[index, :len(others)] = others


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
) -> tuple[tuple[int, ...], tuple[tuple[Node, ...], ...], tuple[bool, ...]]:
    """Number the distinct tuples of reason parts (by identity: nodes are interned); queries
    with equal tuples share their reasons in an article."""
    numbers: dict[tuple[int, ...], int] = {}
    signatures: list[tuple[Node, ...]] = []
    signature: list[int] = []
    for plan in plans:
        key = tuple(map(id, plan.reasons))
        number = numbers.setdefault(key, len(numbers))
        if number == len(signatures):
            signatures.append(plan.reasons)
        signature.append(number)
    repeats = tuple(map(_may_repeat, signatures))
    return tuple(signature), tuple(signatures), repeats


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
