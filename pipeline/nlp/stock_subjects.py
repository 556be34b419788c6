"""Stock subjects: what a sentence says moved ("Meta's stock", "shares of Nvidia", "the stock").

A helper of ``pipeline.nlp.stock_reactions`` (the last step of tagging). It reads one masked
sentence (company mentions replaced by ``MASK_HEAD`` + ``MASK_TAIL``s) and returns its subjects in
order, without overlaps, most specific patterns first:

1. complete moves, subject and move in one: "NVDA -3.2%", "Nvidia's 17% plunge";
2. named stocks: "Meta's stock", "Nvidia and AMD shares", "shares of Nvidia";
3. anaphors, resolved to a company later: "the stock", "its shares", "the chipmaker's shares";
4. bare company names, which need a verb right after them: "Oracle jumped 9%".

Offsets are local to the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.nlp import stock_vocabulary as vocab
from pipeline.nlp.stock_moves import Move, percent_value
from pipeline.nlp.types import Direction, EntityMention

_FLAGS = re.IGNORECASE | re.VERBOSE
_CLAUSE_START_WINDOW = 40

_NAMED = re.compile(
    rf"""(?P<group>{vocab.COMPANY_GROUP})
    (?: {vocab.POSSESSIVE}\s+{vocab.STOCK_ADJECTIVE}{vocab.POSSESSIVE_STOCK_NOUN}
      | \s+{vocab.STOCK_ADJECTIVE}{vocab.STOCK_NOUN} )""",
    _FLAGS,
)
_LIST_WITH_OTHER_STOCKS = re.compile(vocab.COMPANY_LIST_WITH_OTHER_STOCKS, _FLAGS)
_LIST_WITH_OTHERS = re.compile(vocab.COMPANY_LIST_WITH_OTHERS, _FLAGS)
_SHARES_OF = re.compile(
    rf"\b(?:shares|stocks?|ADRs?)\s+(?:of|in)\s+(?:the\s+)?(?P<group>{vocab.COMPANY_GROUP})"
    rf"(?!{vocab.POSSESSIVE})",
    _FLAGS,
)
_BARE = re.compile(rf"(?P<group>{vocab.COMPANY_GROUP})", _FLAGS)
_STOCKS_INCLUDING = re.compile(
    rf"\b(?:stocks|shares)\b[^,;.]{{0,60}},\s*(?:including|such\s+as|like)\s+"
    rf"(?P<group>{vocab.COMPANY_GROUP})\s*,",
    _FLAGS,
)
"""Stocks named as examples of the subject: "Stocks tied to AI, including Nvidia and Oracle,
fell"."""
_POSSESSIVE_AFTER = re.compile(r"\s*['’]")

_NOT_THE_COMPANY_S = (
    r"\s+(?:of|in|across|on|at|from|around)\s+(?!(?:premarket|pre-market|after-hours|extended"
    r"|early|late|midday|afternoon|morning|regular|the\s+(?:company|firm|group|session))\b)"
)
"""After a bare "shares": "Shares in Asia fell" is a market's, not the company's."""


class _AnaphorRule(NamedTuple):
    """A phrase standing for a company named elsewhere ("its shares", "the chipmaker's stock")."""

    pattern: re.Pattern[str]
    descriptor: bool = False
    """It names the company by a description ("the chipmaker"), which must not be a market's
    ("the index's shares")."""
    needs_clause_start: bool = False
    """A bare "shares": only at the start of a clause ("..., and shares rose")."""
    needs: tuple[str, ...] = ()
    """Words of which every match holds one (see ``_NEEDS``); empty: not checked."""


def _anaphor_rule(source: str, needs: tuple[str, ...] = (), **options: bool) -> _AnaphorRule:
    return _AnaphorRule(re.compile(source, _FLAGS), needs=needs, **options)


_ANAPHORS = (
    _anaphor_rule(
        rf"\b(?:shares|stock)\s+(?:of|in)\s+(?:the|that|this)\s+(?:[\w-]+\s+){{0,2}}?"
        rf"(?:{vocab.DESCRIPTOR_HEAD})\b",
        ("share", "stock"),
        descriptor=True,
    ),
    _anaphor_rule(
        rf"\bthe\s+(?:[\w.&-]+\s+){{0,3}}?[\w.&-]+{vocab.POSSESSIVE}\s+"
        rf"{vocab.STOCK_ADJECTIVE}{vocab.STOCK_NOUN}",
        vocab.STOCK_NOUN_WORDS,
        descriptor=True,
    ),
    _anaphor_rule(
        rf"\b(?:its|their|whose)\s+{vocab.STOCK_ADJECTIVE}{vocab.STOCK_NOUN}",
        vocab.STOCK_NOUN_WORDS,
    ),
    _anaphor_rule(
        rf"\bthe\s+{vocab.STOCK_ADJECTIVE}(?!stocks\b){vocab.STOCK_NOUN}", vocab.STOCK_NOUN_WORDS
    ),
    _anaphor_rule(
        rf"\b(?=shares\b){vocab.STOCK_NOUN}(?!{_NOT_THE_COMPANY_S})",
        ("share",),
        needs_clause_start=True,
    ),
    _anaphor_rule(
        r"\b(?:sending|sent|sends|send|pushing|pushed|pushes|driving|drove|drives"
        r"|lifting|lifted|knocking|knocked)\s+(?P<pronoun>it|them)\b"
    ),
)
_CLAUSE_START = re.compile(
    r"(?:^|[,;:(—–]|\b(?:and|but|while|with|as|so|then|after|before|where|when|that|which|in|for"
    r"|sending|sent|pushing|pushed|lifting|lifted|driving|drove))\s*$",
    re.IGNORECASE,
)
_NOT_A_DESCRIPTOR = re.compile(
    r"\b(?:market|index|sector|industry|world|country|nation|year|day|week|S&P|Nasdaq|Dow)\b",
    re.IGNORECASE,
)


_NEEDS: dict[re.Pattern[str], tuple[str, ...]] = {
    _LIST_WITH_OTHER_STOCKS: ("other",),
    _LIST_WITH_OTHERS: ("other",),
    _STOCKS_INCLUDING: ("stock", "share"),
    _NAMED: (*vocab.STOCK_NOUN_WORDS, "value"),
    _SHARES_OF: ("share", "stock", "adr"),
    vocab.POSSESSIVE_MOVE: vocab.PERCENT_WORDS,
}
"""Words of which every match of the pattern holds one (in the sentence as
``stock_vocabulary.fold_case`` gives it): a sentence without any is not searched with it."""


@dataclass(frozen=True)
class SentenceView:
    """One sentence: its index, its offset in the text, its masked text, its company mentions."""

    index: int
    offset: int
    text: str
    mentions: Mapping[int, EntityMention]
    """The mentions by local start offset."""


@dataclass
class Subject:
    """What moved, as written, and, once found, its move (offsets local to the sentence)."""

    start: int
    end: int
    mentions: tuple[EntityMention, ...] = ()
    """The companies named; empty for an anaphor, resolved later."""
    bare: bool = False
    """A company name alone ("Oracle jumped 9%"), not "Oracle shares"."""
    with_peers: bool = False
    """Bare names listed with their peers ("Nvidia and other chipmakers"): market talk already."""
    move: Move | None = None
    limit: int = 0
    """Where the subject's clause ends: the next subject that moved, or the sentence end."""


class _Subjects:
    """Subjects collected without overlaps (the first found wins)."""

    def __init__(self, length: int) -> None:
        self.found: list[Subject] = []
        self._taken = bytearray(length)

    def add(self, subject: Subject) -> None:
        if not any(self._taken[subject.start : subject.end]):
            self._taken[subject.start : subject.end] = b"\x01" * (subject.end - subject.start)
            self.found.append(subject)


def find_subjects(sentence: SentenceView) -> list[Subject]:
    """Every subject in the sentence, without overlaps, in text order."""
    subjects = _Subjects(len(sentence.text))
    folded = vocab.fold_case(sentence.text)
    _add_complete_moves(sentence, subjects, folded)
    for pattern in (_LIST_WITH_OTHER_STOCKS, _STOCKS_INCLUDING, _NAMED, _SHARES_OF):
        for match in _finditer(pattern, sentence.text, folded):
            companies = companies_in(sentence, match.span("group"))
            subjects.add(Subject(match.start(), match.end(), companies))
    for subject in _anaphors(sentence.text, folded):
        subjects.add(subject)
    for pattern in (_LIST_WITH_OTHERS, _BARE):
        for match in _finditer(pattern, sentence.text, folded):
            companies = companies_in(sentence, match.span("group"))
            if _could_be_bare(sentence.text, match, companies):
                peers = pattern is _LIST_WITH_OTHERS
                subjects.add(Subject(*match.span(), companies, bare=True, with_peers=peers))
    return sorted(subjects.found, key=lambda subject: subject.start)


def _finditer(pattern: re.Pattern[str], text: str, folded: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, not run when ``folded`` holds none of the words every match
    needs (``_NEEDS``)."""
    return pattern.finditer(text) if _may_match(_NEEDS.get(pattern, ()), folded) else iter(())


def _may_match(needs: tuple[str, ...], folded: str) -> bool:
    return not needs or any(word in folded for word in needs)


def companies_in(sentence: SentenceView, span: tuple[int, int]) -> tuple[EntityMention, ...]:
    """The companies named in a local span, one mention each, without those that only describe
    the next ("OpenAI" in "OpenAI partner CoreWeave")."""
    found: dict[str, EntityMention] = {}
    position = sentence.text.find(vocab.MASK_HEAD, *span)
    while position != -1:
        mention = sentence.mentions[position]
        if not vocab.ROLE_FOLLOWS.match(sentence.text, mention.end - sentence.offset):
            found.setdefault(mention.canonical_id or mention.canonical, mention)
        position = sentence.text.find(vocab.MASK_HEAD, position + 1, span[1])
    return tuple(found.values())


def _add_complete_moves(sentence: SentenceView, subjects: _Subjects, folded: str) -> None:
    """Subjects stated with their move: "NVDA -3.2%" (ticker lists), "Nvidia's 17% plunge"."""
    for match in vocab.TICKER_MOVE.finditer(sentence.text):
        sign = match.group("arrow") or match.group("sign")
        size = float(match.group("anum") or match.group("num"))
        direction = (Direction.UP if sign in "+▲↑" else Direction.DOWN) if size else Direction.FLAT
        _add_complete(sentence, subjects, match, Move(direction, *_at_end(match), (size,)))
    for match in _finditer(vocab.POSSESSIVE_MOVE, sentence.text, folded):
        direction = Direction.UP if match.group("up") else Direction.DOWN
        move = Move(direction, *_at_end(match), (percent_value(match),))
        _add_complete(sentence, subjects, match, move)


def _at_end(match: re.Match[str]) -> tuple[int, int]:
    return match.end(), match.end()


def _add_complete(
    sentence: SentenceView, subjects: _Subjects, match: re.Match[str], move: Move
) -> None:
    companies = companies_in(sentence, match.span("company"))
    subjects.add(Subject(match.start(), match.end(), companies, move=move))


def _anaphors(text: str, folded: str) -> list[Subject]:
    """Words that stand for a company named elsewhere: "the stock", "its shares"."""
    subjects = []
    for rule in _ANAPHORS:
        if not _may_match(rule.needs, folded):
            continue
        for match in rule.pattern.finditer(text):
            if rule.descriptor and _NOT_A_DESCRIPTOR.search(match.group()):
                continue
            window = max(0, match.start() - _CLAUSE_START_WINDOW)
            if rule.needs_clause_start and not _CLAUSE_START.search(text, window, match.start()):
                continue
            pronoun = match.groupdict().get("pronoun")
            subjects.append(Subject(match.start("pronoun" if pronoun else 0), match.end()))
    return subjects


def _could_be_bare(text: str, match: re.Match[str], mentions: tuple[EntityMention, ...]) -> bool:
    """A company name that may be the subject of a move: not possessive, not an index."""
    if not mentions or _POSSESSIVE_AFTER.match(text, match.end()):
        return False
    return not any(vocab.INDEX_NAME.match(mention.text) for mention in mentions)
