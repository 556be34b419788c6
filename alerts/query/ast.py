"""The syntax tree of a parsed query: frozen values, entities already resolved to catalog ids.

Where it sits in the flow: ``parser`` builds these nodes from a query's text (with the catalog);
``evaluate`` runs them against an article; ``triggers`` reads them to index a subscription. Nodes
hold no source positions, so two queries that mean the same thing compare equal and the matcher
evaluates them once. :func:`format_node` writes a tree back as a fully bracketed query, which is
how a user sees what was understood.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from alerts.query.words import literal_key

Scope = str | None
"""``"title"`` or ``"text"`` when a filter is limited to one field, ``"lead"`` when it is limited
to the title and the text's lead (:func:`alerts.query.article.lead_end`); ``None`` for both
fields whole."""


@dataclass(frozen=True)
class Words:
    """A word (one element) or an exact phrase (several, adjacent, in order)."""

    words: tuple[str, ...]
    scope: Scope = None

    @cached_property
    def key(self) -> tuple[str, str]:
        """The matcher's key for these words: ``("w", " muse spark ")`` (see ``triggers``)."""
        return ("w", literal_key(self.words))

    @property
    def kind(self) -> str:
        """``term`` for one word, ``phrase`` for several."""
        return "term" if len(self.words) == 1 else "phrase"

    @cached_property
    def label(self) -> str:
        text = " ".join(self.words)
        shown = text if len(self.words) == 1 else f'"{text}"'
        return f"{self.scope}:{shown}" if self.scope else shown


@dataclass(frozen=True)
class Near:
    """Two words or phrases in one field with at most ``distance`` words between them."""

    left: Words
    right: Words
    distance: int

    @property
    def label(self) -> str:
        return f"{self.left.label} NEAR/{self.distance} {self.right.label}"


@dataclass(frozen=True)
class Mentions:
    """``company:``, ``model:`` or ``ticker:``: a tagged mention of any of these catalog ids
    (as the entity or as its parent), or carrying one of these tickers, or a model mention
    whose name has one of ``model_names`` as its comparison key (``model:`` of a model the
    catalog does not know: ``gpt 5.5``)."""

    label: str
    entity_ids: frozenset[str]
    tickers: frozenset[str] = frozenset()
    scope: Scope = None
    model_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Developer:
    """``developer:``: a model mention whose developer is one of ``developer_ids``."""

    label: str
    developer_ids: frozenset[str]
    model_ids: frozenset[str]
    scope: Scope = None


@dataclass(frozen=True)
class Stock:
    """``stock:``: a stock reaction of these companies (``None``: any), in a direction, of at
    least (or at most) a size in percent."""

    label: str
    company_ids: frozenset[str] | None
    tickers: frozenset[str] = frozenset()
    direction: str | None = None
    comparison: str | None = None
    """``>=``, ``>``, ``<=`` or ``<``, compared with ``threshold``."""
    threshold: float | None = None
    scope: Scope = None


@dataclass(frozen=True)
class FieldIs:
    """``source:``, ``site:`` or ``lang:`` equal to a value (case-folded)."""

    field: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.field}:{self.value}"


@dataclass(frozen=True)
class PublishedAfter:
    """``after:``: published (else fetched) at or after ``at``."""

    label: str
    at: datetime


@dataclass(frozen=True)
class PublishedBefore:
    """``before:``: published (else fetched) before ``at``."""

    label: str
    at: datetime


@dataclass(frozen=True)
class MaxAge:
    """``max-age:``: published (else fetched) at most ``age`` before the time of matching."""

    label: str
    age: timedelta


@dataclass(frozen=True)
class And:
    """Every child matches (written side by side, or with ``AND``)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child does not match (``NOT x`` or ``-x``)."""

    child: Node


Leaf = (
    Words | Near | Mentions | Developer | Stock | FieldIs
    | PublishedAfter | PublishedBefore | MaxAge
)
Node = Leaf | And | Or | Not


def leaves(node: Node) -> Iterator[Leaf]:
    """Every filter of the tree, negated ones included, left to right."""
    if isinstance(node, And | Or):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        yield node


def make_and(children: list[Node]) -> Node:
    """An :class:`And` of the children, nested ANDs flattened; the child itself if only one."""
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, And) else (child,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def make_or(children: list[Node]) -> Node:
    """An :class:`Or` of the children, nested ORs flattened; the child itself if only one."""
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, Or) else (child,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def format_node(node: Node) -> str:
    """The query a tree stands for, every group bracketed: ``(nvidia OR amd) AND chips``."""
    if isinstance(node, And):
        return " AND ".join(_operand(child) for child in node.children)
    if isinstance(node, Or):
        return " OR ".join(_operand(child) for child in node.children)
    if isinstance(node, Not):
        return f"NOT {_operand(node.child)}"
    return node.label


def _operand(node: Node) -> str:
    text = format_node(node)
    return f"({text})" if isinstance(node, And | Or) else text
