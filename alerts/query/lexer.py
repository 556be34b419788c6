"""Cutting a query's text into tokens, each with its position, for the parser.

Where it sits in the flow: the first step of :func:`alerts.query.parse_query`. Tokens are words,
"quoted phrases", ``field:`` prefixes with their value, brackets and the operators ``OR``, ``AND``,
``NOT``, ``-`` (before a word) and ``NEAR/n``. Operators are operators only in capitals (``or`` is
a word). A backslash takes the next character literally, inside quotes (``\\"``) and outside
(``\\OR``, ``\\-word``, ``foo\\:bar``); an escaped word is never an operator nor a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from alerts.query.errors import QueryProblem


class Kind(Enum):
    """What a token is."""

    WORD = "word"
    PHRASE = "phrase"
    FIELD = "field"
    """``name:``; its value is the next token (VALUE, PHRASE or an opening bracket)."""
    VALUE = "value"
    """The bare value written right after ``name:``."""
    SUFFIX = "suffix"
    """``:...`` written right after a quoted field value (``stock:"Meta Platforms":up``)."""
    LPAREN = "("
    RPAREN = ")"
    OR = "OR"
    AND = "AND"
    NOT = "NOT"
    MINUS = "-"
    NEAR = "NEAR"


@dataclass(frozen=True)
class Token:
    """One token: ``text`` is the unescaped content (a NEAR token's text is its distance)."""

    kind: Kind
    text: str
    start: int
    end: int


_OPERATORS = {"OR": Kind.OR, "AND": Kind.AND, "NOT": Kind.NOT}
_NEAR = re.compile(r"NEAR/(\d+)", re.IGNORECASE)
_FIELD = re.compile(r"([A-Za-z][A-Za-z-]*):")
_STOP = frozenset(' \t\r\n\f\v()"')


def lex_query(text: str) -> list[Token]:
    """The tokens of ``text``; raises :class:`QueryProblem` (offset into ``text``)."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "()":
            kind = Kind.LPAREN if char == "(" else Kind.RPAREN
            tokens.append(Token(kind, char, position, position + 1))
            position += 1
        elif char == '"':
            position = _lex_phrase(text, position, tokens)
        elif char == "-" and _starts_operand(text, position + 1):
            tokens.append(Token(Kind.MINUS, "-", position, position + 1))
            position += 1
        else:
            position = _lex_bare(text, position, tokens)
    return tokens


def _starts_operand(text: str, position: int) -> bool:
    return position < len(text) and not text[position].isspace() and text[position] != ")"


def _lex_phrase(text: str, start: int, tokens: list[Token]) -> int:
    content, end = _read_until(text, start + 1, '"')
    if end >= len(text):
        raise QueryProblem(len(text), 'a closing \'"\'', f"the phrase opened at column {start + 1}"
                           " is not closed")
    tokens.append(Token(Kind.PHRASE, content, start, end + 1))
    return end + 1


def _lex_bare(text: str, start: int, tokens: list[Token]) -> int:
    after_phrase = bool(tokens) and tokens[-1].kind is Kind.PHRASE and tokens[-1].end == start
    if after_phrase and text[start] == ":":
        content, end = _read_bare(text, start + 1)
        tokens.append(Token(Kind.SUFFIX, content, start, end))
        return end
    content, end = _read_bare(text, start)
    raw = text[start:end]
    escaped = "\\" in raw
    if not escaped and raw in _OPERATORS:
        tokens.append(Token(_OPERATORS[raw], raw, start, end))
    elif not escaped and (_NEAR.fullmatch(raw) or raw == "NEAR" or raw.startswith("NEAR/")):
        tokens.append(_near_token(raw, start, end))
    elif not escaped and (field := _FIELD.match(raw)) is not None:
        name_end = start + field.end()
        tokens.append(Token(Kind.FIELD, field.group(1).casefold(), start, name_end))
        if name_end < end:
            tokens.append(Token(Kind.VALUE, raw[field.end():], name_end, end))
        elif end >= len(text) or text[end].isspace() or text[end] == ")":
            raise QueryProblem(name_end, f"a value right after '{field.group(1)}:' (no space)",
                               f"'{field.group(1)}:' has no value")
    else:
        tokens.append(Token(Kind.WORD, content, start, end))
    return end


def _near_token(raw: str, start: int, end: int) -> Token:
    match = _NEAR.fullmatch(raw)
    if match is None:
        raise QueryProblem(
            start + min(len(raw), 5), "a distance in words, as in NEAR/5",
            "NEAR needs a distance (write \"near\" in quotes to search for the word)",
        )
    return Token(Kind.NEAR, match.group(1), start, end)


def _read_bare(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    position = start
    while position < len(text) and text[position] not in _STOP:
        position = _take(text, position, chars)
    return "".join(chars), position


def _read_until(text: str, start: int, closing: str) -> tuple[str, int]:
    chars: list[str] = []
    position = start
    while position < len(text) and text[position] != closing:
        position = _take(text, position, chars)
    return "".join(chars), position


def _take(text: str, position: int, chars: list[str]) -> int:
    """Append the character at ``position`` (or the one a backslash escapes); the next position."""
    if text[position] != "\\":
        chars.append(text[position])
        return position + 1
    if position + 1 >= len(text):
        raise QueryProblem(position + 1, "a character after '\\'",
                           "the query ends with a lone '\\'")
    chars.append(text[position + 1])
    return position + 2
