"""From a query's text to a :class:`Query` (or a :class:`QueryError`): recursive descent.

Where it sits in the flow: subscribing (CLI, web page, API) calls :func:`parse_query` with the
catalog; the resulting :class:`Query` is stored with the subscription and compiled into the
:class:`alerts.matching.MatchIndex`. Grammar, loosest binding first (docs/queries.md)::

    query   := all EOF
    all     := any ( ["AND"] any )*          side by side means AND
    any     := unary ( "OR" unary )*         OR binds tighter than AND, as in Google and Gmail
    unary   := ("NOT" | "-") unary | near
    near    := primary [ "NEAR/n" primary ]  both sides words or phrases
    primary := word | "phrase" | field ":" value | "(" all ")"

``title:(...)``, ``text:(...)`` and ``lead:(...)`` parse their group with a scope that every
word, phrase, NEAR and entity or stock filter inside takes (they do not nest).
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Never

from alerts.query.ast import (
    And,
    Developer,
    Mentions,
    Near,
    Node,
    Not,
    Or,
    Scope,
    Stock,
    Words,
    make_and,
    make_or,
)
from alerts.query.entities import EntityResolver, resolver_for, unknown_model_note
from alerts.query.errors import QueryError, QueryProblem
from alerts.query.fields import (
    ENTITY_FIELDS,
    FIELD_NAMES,
    TEXT_FIELDS,
    field_filter,
    stock_filter,
)
from alerts.query.lexer import Kind, Token, lex_query
from alerts.query.query import Query
from alerts.query.words import fold_words
from config.catalog import Catalog

MAX_LENGTH = 4000
MAX_DEPTH = 32
"""Brackets and negations nest at most this deep (the parser recurses)."""
_OPERAND = "a word, a \"phrase\", a filter such as company:Meta, or '('"
_STARTS_OPERAND = frozenset(
    {Kind.WORD, Kind.PHRASE, Kind.FIELD, Kind.LPAREN, Kind.NOT, Kind.MINUS}
)


def parse_query(text: str, catalog: Catalog) -> Query | QueryError:
    """The query ``text`` means, entities resolved in ``catalog``; or why it cannot be used."""
    if len(text) > MAX_LENGTH:
        return QueryError(text, MAX_LENGTH, f"at most {MAX_LENGTH} characters",
                          "the query is too long")
    try:
        tokens = lex_query(text)
    except QueryProblem as problem:
        return problem.at(text, 0)
    parser = _Parser(text, tokens, resolver_for(catalog))
    try:
        root = parser.parse()
    except _FailureError as failure:
        return failure.error
    return Query(text, root, tuple(dict.fromkeys(parser.notes)))


class _FailureError(Exception):
    def __init__(self, error: QueryError) -> None:
        super().__init__(error.message)
        self.error = error


class _Parser:
    def __init__(self, text: str, tokens: list[Token], resolver: EntityResolver) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.resolver = resolver
        self.leaves: dict[Node, Node] = {}
        """Equal filters share one object, so their reasons are computed once per article."""
        self.depth = 0
        self.notes: list[str] = []
        """Remarks for the subscriber on a valid query (:attr:`Query.notes`)."""

    def parse(self) -> Node:
        if not self.tokens:
            self.fail(0, _OPERAND, "the query is empty")
        node = self.parse_all(None)
        token = self.peek()
        if token is not None:  # only a ')' stops parse_all early
            self.fail(token.start, "an operand or the end of the query",
                      "')' closes no '('")
        return node

    # -- the grammar ------------------------------------------------------------------------

    def parse_all(self, scope: Scope) -> Node:
        children = [self.parse_any(scope)]
        while (token := self.peek()) is not None and token.kind is not Kind.RPAREN:
            if token.kind is Kind.AND:
                self.index += 1
            elif token.kind not in _STARTS_OPERAND:
                self.fail(token.start, _OPERAND, f"unexpected {_describe(token)}")
            children.append(self.parse_any(scope))
        return make_and(children)

    def parse_any(self, scope: Scope) -> Node:
        children = [self.parse_unary(scope)]
        while (token := self.peek()) is not None and token.kind is Kind.OR:
            self.index += 1
            children.append(self.parse_unary(scope))
        return make_or(children)

    def parse_unary(self, scope: Scope) -> Node:
        token = self.peek()
        if token is not None and token.kind in (Kind.NOT, Kind.MINUS):
            self.index += 1
            self.enter(token)
            node = Not(self.parse_unary(scope))
            self.depth -= 1
            return node
        return self.parse_near(scope)

    def parse_near(self, scope: Scope) -> Node:
        start = self.peek()
        left = self.parse_primary(scope)
        token = self.peek()
        if token is None or token.kind is not Kind.NEAR:
            return left
        self.index += 1
        right_token = self.peek()
        right = self.parse_primary(scope)
        for side, at in ((left, start), (right, right_token)):
            if not isinstance(side, Words):
                position = at.start if at is not None else len(self.text)
                self.fail(position, "a word or a \"phrase\" on each side of NEAR",
                          "NEAR joins two words or phrases")
        after = self.peek()
        if after is not None and after.kind is Kind.NEAR:
            self.fail(after.start, "AND between two NEAR conditions",
                      "NEAR joins exactly two words or phrases")
        assert isinstance(left, Words) and isinstance(right, Words)
        near = Near(left, right, int(token.text))
        return self.leaves.setdefault(near, near)

    def parse_primary(self, scope: Scope) -> Node:
        node = self.read_primary(scope)
        return node if isinstance(node, And | Or | Not) else self.leaves.setdefault(node, node)

    def read_primary(self, scope: Scope) -> Node:
        token = self.peek()
        if token is None:
            self.fail(len(self.text), _OPERAND, self._missing_operand())
        self.index += 1
        if token.kind is Kind.WORD:
            return self.words(token, token.text, scope)
        if token.kind is Kind.PHRASE:
            return self.words(token, token.text, scope)
        if token.kind is Kind.LPAREN:
            return self.group(token, scope)
        if token.kind is Kind.FIELD:
            return self.field(token, scope)
        self.index -= 1
        return self.fail(token.start, _OPERAND, self._unexpected(token))

    def group(self, opening: Token, scope: Scope) -> Node:
        token = self.peek()
        if token is not None and token.kind is Kind.RPAREN:
            self.fail(token.start, _OPERAND, "empty brackets")
        self.enter(opening)
        node = self.parse_all(scope)
        self.depth -= 1
        closing = self.peek()
        if closing is None:
            self.fail(len(self.text), "')'",
                      f"the '(' at column {opening.start + 1} is not closed")
        self.index += 1
        return node

    # -- leaves -----------------------------------------------------------------------------

    def words(self, token: Token, text: str, scope: Scope) -> Words:
        words = fold_words(text)
        if words:
            return Words(words, scope)
        if token.kind is Kind.PHRASE:
            self.fail(token.start, "a phrase with letters or digits", "empty phrase")
        hint = "; write -word to exclude a word" if text == "-" else ""
        return self.fail(token.start, "a word with letters or digits",
                         f"'{text}' has nothing to search for{hint}")

    def field(self, token: Token, scope: Scope) -> Node:
        name = token.text
        if name not in FIELD_NAMES:
            close = difflib.get_close_matches(name, FIELD_NAMES, n=3, cutoff=0.6)
            self.fail(token.start, f"a field ({', '.join(FIELD_NAMES)}), or quotes around text "
                      "with a colon", f"unknown field '{name}:'", tuple(f"{c}:" for c in close))
        if name in TEXT_FIELDS:
            return self.scoped(token, name, scope)
        value = self.value_token(token)
        try:
            return self.build_field(name, value, scope)
        except QueryProblem as problem:
            raise _FailureError(problem.at(self.text, _value_start(value))) from None

    def scoped(self, token: Token, name: str, scope: Scope) -> Node:
        if scope is not None and scope != name:
            self.fail(token.start, f"a filter that fits in {scope}:(...)",
                      f"'{name}:' inside '{scope}:(...)'")
        value = self.peek()
        if value is not None and value.kind is Kind.LPAREN and value.start == token.end:
            self.index += 1
            return self.group(value, name)
        value = self.value_token(token)
        head = value.text.partition(":")[0].casefold()
        if value.kind is Kind.VALUE and ":" in value.text and head in FIELD_NAMES:
            self.fail(value.start, f"brackets: {name}:({value.text})",
                      f"a filter after '{name}:' needs brackets")
        return self.words(value, value.text, name)

    def value_token(self, field: Token) -> Token:
        value = self.peek()
        if value is None or value.start != field.end or value.kind not in (Kind.VALUE, Kind.PHRASE):
            self.fail(field.end, f"a value right after '{field.text}:'",
                      f"'{field.text}:' has no value")
        self.index += 1
        return value

    def build_field(self, name: str, value: Token, scope: Scope) -> Node:
        if name not in ENTITY_FIELDS:
            return field_filter(name, value.text)
        node: Mentions | Developer | Stock
        if name == "stock":
            node = self.stock(value)
        elif name == "company":
            node = self.resolver.company_filter(value.text)
        elif name == "model":
            node = self.resolver.model_filter(value.text)
            if node.model_names:
                suggestions = self.resolver.model_suggestions(value.text)
                self.notes.append(unknown_model_note(value.text, suggestions))
        elif name == "developer":
            node = self.resolver.developer_filter(value.text)
        else:
            node = self.resolver.ticker_filter(value.text)
        return _scope(node, scope)

    def stock(self, value: Token) -> Stock:
        if value.kind is Kind.VALUE:
            company, colon, spec = value.text.partition(":")
            return stock_filter(self.resolver, company, spec if colon else None, len(company) + 1)
        suffix = self.peek()
        if suffix is None or suffix.kind is not Kind.SUFFIX:
            return stock_filter(self.resolver, value.text, None, 0)
        self.index += 1
        return stock_filter(self.resolver, value.text, suffix.text, suffix.start - value.start)

    # -- errors -----------------------------------------------------------------------------

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(token.start, f"at most {MAX_DEPTH} nested brackets or negations",
                      "the query nests too deeply")

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def fail(self, position: int, expected: str, message: str,
             suggestions: tuple[str, ...] = ()) -> Never:
        raise _FailureError(QueryError(self.text, position, expected, message, suggestions))

    def _missing_operand(self) -> str:
        previous = self.tokens[self.index - 1] if self.index else None
        if previous is None:
            return "the query is empty"
        return f"nothing after {_describe(previous)}"

    def _unexpected(self, token: Token) -> str:
        if token.kind in (Kind.OR, Kind.AND, Kind.NEAR):
            return f"{_describe(token)} needs something on its left"
        if token.kind is Kind.RPAREN:
            return "')' closes no '('"
        return f"unexpected {_describe(token)}"


def _describe(token: Token) -> str:
    if token.kind is Kind.NEAR:
        return f"NEAR/{token.text}"
    if token.kind in (Kind.OR, Kind.AND, Kind.NOT):
        return token.text
    return f"'{token.text}'" if token.kind is not Kind.SUFFIX else f"':{token.text}'"


def _value_start(token: Token) -> int:
    return token.start + 1 if token.kind is Kind.PHRASE else token.start


def _scope(node: Mentions | Developer | Stock, scope: Scope) -> Node:
    """The filter limited to mentions (or reactions) in one field."""
    if scope is None:
        return node
    label = f"{scope}:({node.label})"
    if isinstance(node, Mentions):
        return replace(node, scope=scope, label=label)
    if isinstance(node, Developer):
        return replace(node, scope=scope, label=label)
    return replace(node, scope=scope, label=label)
