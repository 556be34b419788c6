"""What an article must contain for a query to have a chance: keys, clauses and exact filters.

Where it sits in the flow: :mod:`alerts.query.plans` asks :func:`leaf_clause` and
:func:`query_clauses` for the necessary conditions of each query;
:class:`alerts.matching.MatchIndex` computes the keys an article contains (:func:`article_keys`,
plus the words its automaton finds) and decides or evaluates only the queries those keys can
trigger. A key names one checkable fact:

- ``("w", " muse spark ")``: the words occur, adjacent (found by the Aho-Corasick automaton);
  ``("wt", " muse spark ")``: they occur in the title (words limited to the text or to the
  lead have only the ``w`` key, which is necessary, not sufficient: they are evaluated);
- ``("e", id)``: a mention of the entity, or of a sub-organisation of it (by ``parent_id``);
  ``("em", id)``: the same, by a mention tagged as a model; ``("mn", "gpt 5.5")``: a model
  mention of that name (its comparison key), for models the catalog does not know;
- ``("t", ticker)``: a mention with that ticker; ``("dm", developer id)``: a model mention by
  that developer;
- ``("r", company id)``, ``("rt", ticker)``, ``("r", "*")``: a stock reaction of it / of anyone;
  ``("r.up", ...)``, ``("rt.down", ...)`` and so on: a reaction in that direction;
- ``("source", name)``, ``("site", domain)``, ``("lang", code)``: the article's fields.

A clause is a set of keys of which an article must contain at least one. Words, NEAR and filters
give one clause each; AND concatenates its children's clauses; OR gives one clause, the union of
each alternative's most selective clause (none if any alternative has none); NOT and date windows
give none. For most filters the clause is also sufficient (:func:`decided_by_keys`): holding one
of its keys *is* the filter holding, so the matcher decides it with a set test, without
evaluating anything.
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
    Or,
    Stock,
    Words,
    leaves,
)

Key = tuple[str, str]
Clause = frozenset[Key]
LITERAL = "w"
TITLE_LITERAL = "wt"
ANY_REACTION: Key = ("r", "*")
MODEL_NAME = "mn"


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
        kind = TITLE_LITERAL if node.scope == "title" else LITERAL
        return frozenset({(kind, node.key[1])})
    if isinstance(node, Mentions):
        return frozenset({("e", key) for key in node.entity_ids} | {
            ("t", ticker) for ticker in node.tickers} | {
            (MODEL_NAME, name) for name in node.model_names})
    if isinstance(node, Developer):
        return frozenset({("dm", key) for key in node.developer_ids} | {
            ("em", key) for key in node.model_ids})
    if isinstance(node, Stock):
        return _stock_clause(node)
    if isinstance(node, FieldIs):
        return frozenset({(node.field, node.value)})
    return frozenset()


def decided_by_keys(node: Node) -> bool:
    """Whether ``node`` is a filter that holds exactly when the article contains one of the keys
    of its :func:`leaf_clause` (so deciding it is a set test)."""
    if isinstance(node, Words):
        return node.scope is None or node.scope == "title"
    if isinstance(node, Mentions | Developer):
        return node.scope is None
    if isinstance(node, Stock):
        return node.scope is None and node.threshold is None
    return isinstance(node, FieldIs)


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
    company, ticker = _reaction_kinds(node.direction)
    if node.company_ids is None:
        return frozenset({(company, "*")})
    return frozenset({(company, key) for key in node.company_ids} | {
        (ticker, symbol) for symbol in node.tickers})


def _reaction_kinds(direction: str | None) -> tuple[str, str]:
    """The key kinds of reactions of a company and of a ticker, in any or one direction."""
    return ("r", "rt") if direction is None else (f"r.{direction}", f"rt.{direction}")


def word_keys(node: Node) -> Iterator[Key]:
    """The keys of every word and phrase in the tree, negated ones included."""
    for leaf in leaves(node):
        if isinstance(leaf, Near):
            yield from (leaf.left.key, leaf.right.key)
        elif isinstance(leaf, Words):
            yield leaf.key


def article_keys(article: PreparedArticle) -> set[Key]:
    """Every non-word key the article contains (words come from the matcher's automaton)."""
    view = article.view
    keys: set[Key] = {("source", article.source)}
    keys.update(("site", site) for site in article.sites)
    keys.update(("lang", code) for code in article.languages)
    for ref in view.entities:
        _add(keys, (("e", ref.canonical_id), ("e", ref.parent_id), ("t", ref.ticker)))
        if ref.type == "MODEL":
            _add(keys, (("em", ref.canonical_id), ("em", ref.parent_id),
                        ("dm", ref.developer_id)))
    keys.update((MODEL_NAME, name) for name in article.by_model_name)
    for reaction in view.reactions:
        for company, ticker in (_reaction_kinds(None), _reaction_kinds(reaction.direction)):
            keys.add((company, "*"))
            _add(keys, ((company, reaction.company_id), (ticker, reaction.ticker)))
    return keys


def _add(keys: set[Key], pairs: tuple[tuple[str, str | None], ...]) -> None:
    for kind, value in pairs:
        if value:
            keys.add((kind, value))
