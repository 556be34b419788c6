"""What an article must contain for a query to have a chance: keys and clauses, for indexing.

Where it sits in the flow: :class:`alerts.matching.MatchIndex` asks :func:`query_clauses` for the
necessary conditions of each query and files the query under the keys of its most selective
condition (its *trigger set*); for each article it computes the keys present
(:func:`article_keys`, plus the words its automaton finds) and evaluates only the queries filed
under one of them. A key names one checkable fact:

- ``("w", " muse spark ")``: the words occur, adjacent (found by the Aho-Corasick automaton);
- ``("e", id)``: a mention of the entity, or of a sub-organisation of it (by ``parent_id``);
- ``("t", ticker)``, ``("d", developer id)``: a mention with that ticker / model by that developer;
- ``("r", company id)``, ``("rt", ticker)``, ``("r", "*")``: a stock reaction of it / of anyone;
- ``("source", name)``, ``("site", domain)``, ``("lang", code)``: the article's fields.

A clause is a set of keys of which an article must contain at least one. Words, NEAR and filters
give one clause each; AND concatenates its children's clauses; OR gives one clause, the union of
each alternative's most selective clause (none if any alternative has none); NOT and date windows
give none. A query with no clause (only negations and dates) is checked for every article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from alerts.query.article import PreparedArticle
from alerts.query.ast import (
    And,
    Developer,
    FieldIs,
    Mentions,
    Near,
    Node,
    Not,
    Or,
    Stock,
    Words,
)

Key = tuple[str, str]
Clause = frozenset[Key]
LITERAL = "w"
ANY_REACTION: Key = ("r", "*")


def query_clauses(node: Node, cost: Callable[[Clause], float]) -> tuple[Clause, ...]:
    """Conditions every article matching ``node`` fulfils: at least one key of each clause."""
    if isinstance(node, And):
        found = (clause for child in node.children for clause in query_clauses(child, cost))
        return tuple(dict.fromkeys(found))
    if isinstance(node, Or):
        return _or_clauses(node, cost)
    if isinstance(node, Near):
        return (leaf_clause(node.left), leaf_clause(node.right))
    clause = leaf_clause(node)
    return (clause,) if clause else ()


def leaf_clause(node: Node) -> Clause:
    """The keys one of which an article must contain for a filter to hold (empty: none)."""
    if isinstance(node, Words):
        return frozenset({node.key})
    if isinstance(node, Mentions):
        return frozenset({("e", key) for key in node.entity_ids} | {
            ("t", ticker) for ticker in node.tickers})
    if isinstance(node, Developer):
        return frozenset({("d", key) for key in node.developer_ids} | {
            ("e", key) for key in node.model_ids})
    if isinstance(node, Stock):
        return _stock_clause(node)
    if isinstance(node, FieldIs):
        return frozenset({(node.field, node.value)})
    return frozenset()


def _or_clauses(node: Or, cost: Callable[[Clause], float]) -> tuple[Clause, ...]:
    union: set[Key] = set()
    for child in node.children:
        options = query_clauses(child, cost)
        if not options:
            return ()
        best: Clause = min(options, key=cost)
        union |= best
    return (frozenset(union),)


def _stock_clause(node: Stock) -> Clause:
    if node.company_ids is None:
        return frozenset({ANY_REACTION})
    return frozenset({("r", key) for key in node.company_ids} | {
        ("rt", ticker) for ticker in node.tickers})


def word_keys(node: Node) -> Iterator[Key]:
    """The keys of every word and phrase in the tree, negated ones included."""
    if isinstance(node, And | Or):
        for child in node.children:
            yield from word_keys(child)
    elif isinstance(node, Not):
        yield from word_keys(node.child)
    elif isinstance(node, Near):
        yield from (node.left.key, node.right.key)
    elif isinstance(node, Words):
        yield node.key


def article_keys(article: PreparedArticle) -> set[Key]:
    """Every non-word key the article contains (words come from the matcher's automaton)."""
    view = article.view
    keys: set[Key] = {("source", article.source)}
    keys.update(("site", site) for site in article.sites)
    keys.update(("lang", code) for code in article.languages)
    for ref in view.entities:
        _add(keys, (("e", ref.canonical_id), ("e", ref.parent_id), ("t", ref.ticker),
                    ("d", ref.developer_id)))
    for reaction in view.reactions:
        keys.add(ANY_REACTION)
        _add(keys, (("r", reaction.company_id), ("rt", reaction.ticker)))
    return keys


def _add(keys: set[Key], pairs: tuple[tuple[str, str | None], ...]) -> None:
    for kind, value in pairs:
        if value:
            keys.add((kind, value))
