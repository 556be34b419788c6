"""Stock moves: the direction and size stated around a stock subject in one sentence.

A helper of ``pipeline.nlp.stock_reactions`` (the last step of tagging): given a masked sentence and
where a subject such as "Meta's stock" or "Oracle" stands, find the move that follows it ("rose",
"was little changed", "3% higher") or the cause just before it ("a 17% plunge in", "lifting",
"wiping $600 billion off"), with its percentages. Offsets are local to the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.nlp import stock_vocabulary as vocab
from pipeline.nlp.types import Direction

_MAX_GAP_WORDS = 8
"""Words allowed between a named stock subject and its verb ("Meta's stock has since ... rose")."""
_MAX_WORDS_BEFORE_PERCENT = 6
"""Words allowed between the verb and its percentage ("rose in premarket trading by 4%")."""
_CAUSE_WINDOW = 120
"""How many characters before a subject a cause is looked for ("a 17% plunge in ...")."""


_PERCENT = re.compile(vocab.PERCENT, re.IGNORECASE)
_PERCENT_BEFORE = re.compile(rf"{vocab.PERCENT}\s+(?:[\w-]+\s+){{0,2}}$", re.IGNORECASE)
_PERCENT_NEXT = re.compile(rf"\s+(?:by\s+)?{vocab.QUALIFIERS}{vocab.PERCENT}", re.IGNORECASE)
_NUMBER_AHEAD = rf"\s*{vocab.QUALIFIERS}[+\-−–]?(?:\d|{'|'.join(vocab.NUMBER_WORDS)})"
_MAGNITUDE_STOP = re.compile(
    rf";|{vocab.MASK_HEAD}|\b(?:while|but|whereas)\b|\band\b(?!{_NUMBER_AHEAD})"
    rf"|,(?!\s*(?:or|and|respectively|\w+ing)\b)(?!{_NUMBER_AHEAD})",
    re.IGNORECASE,
)
_MONEY_NEXT = re.compile(
    rf"\s+(?:by\s+)?{vocab.QUALIFIERS}(?:{vocab.MONEY})"
    r"(?:\s+(?:in|of|from|to)\s+(?:its\s+|their\s+)?"
    r"(?:market\s+(?:value|valuation|capitali[sz]ation|cap)|value))?",
    re.IGNORECASE,
)
"""A money amount after the verb, part of the phrase: "lost $200 billion in market value"."""
_MODIFIER = (
    r"(?:biggest|largest|sharpest|steepest|best|worst|big|sharp|steep|strong|modest|slight|small"
    r"|record|intraday|weekly|daily|monthly|new|fresh|further|sudden|massive|huge|early|late"
    r"|all-time|[\w-]+-(?:day|week|month|year)|[+\-]?\d[\d.,]*\s?(?:%|percent|per\s?cent))"
)
_DETERMINED = re.compile(
    rf"(?:\b(?:a|an|the|its|their|his|her|this|that)|['’]s?)\s+(?:{_MODIFIER}\s+)*$", re.IGNORECASE
)
_SUPPORTED = re.compile(
    r"\b(?:posted|posts|posting|notched|notches|notching|logged|logs|logging|recorded|records"
    r"|recording|saw|sees|seeing|had|has|suffered|suffers|suffering|extended|extends|extending"
    r"|booked|registered|marked|marks|set|sets|setting|hit|hits|hitting|reached|reaches|touched"
    r"|touches|closed|closes|closing|ended|ends|finished|pared|paring|erased|erasing|added|adding"
    r"|enjoyed|enjoying|staged|staging|made|making|scored|clocked|delivered|on\s+track|on\s+pace"
    r"|led|leading|leads|among|joined|joining"
    r"|on\s+course|headed|heading)(?:\s+(?:at|to|for|on|in))?\s+(?:a|an|the|its|their)\s+"
    rf"(?:{_MODIFIER}\s+)*$",
    re.IGNORECASE,
)
"""A direction noun after a determiner ("the market's rise", "a lower multiple") belongs to
another noun phrase, unless a verb makes it the stock's ("posted its best day", "a 2% gain")."""
_WORD = re.compile(r"[a-z]+")
_STEM_AT_WORD_START = re.compile(rf"(?<![a-z])(?:{'|'.join(vocab.MOVE_STEMS)})")
_INSERTION = re.compile(r"\s*,[^,;]{1,120}?,")
_RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"\bbetween\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Move:
    """A direction with its phrase span and the percentages stated with it."""

    direction: Direction
    start: int
    """Where the move phrase starts (the verb, or a cause before the subject)."""
    end: int
    """Where it ends (after the verb or its last percentage)."""
    magnitudes: tuple[float, ...] = ()
    magnitude_end: int = 0
    """Where the first percentage ends (to check what follows it)."""
    respectively: bool = False


def percent_value(match: re.Match[str]) -> float:
    """The size of a ``PERCENT`` match: "17%" -> 17.0, "-3.2%" -> 3.2, "four percent" -> 4.0."""
    number = match.group("num").lower()
    if number in vocab.NUMBER_WORDS:
        return float(vocab.NUMBER_WORDS[number])
    return float(number.replace(",", ""))


def may_state_move(sentence: str) -> bool:
    """Whether a move can be found anywhere in the sentence; ``False`` only when none of the
    move patterns can match (no "%", no direction word, no cause word), so that its subjects
    need not be looked for. A quick necessary condition, not a verdict."""
    if "%" in sentence:
        return True
    lowered = vocab.fold_case(sentence)
    if not vocab.MOVE_WORDS.isdisjoint(_WORD.findall(lowered)):
        return True
    return _STEM_AT_WORD_START.search(lowered) is not None


def find_move_after(sentence: str, start: int, limit: int, *, strict: bool) -> Move | None:
    """The move stated after a subject ending at ``start``, before ``limit``.

    ``strict`` (a bare company name): the verb must follow at once, with only auxiliaries, adverbs,
    a parenthesis or an appositive between. Otherwise the first direction word of the clause.
    """
    trigger = _trigger_after(sentence, start, limit, strict=strict)
    if trigger is None:
        return None
    direction = _direction(trigger)
    if direction is Direction.FLAT:
        return Move(direction, trigger.start("trigger"), trigger.end("trigger"))
    if trigger.group("num"):
        size = percent_value(trigger)
        return Move(direction, trigger.start("trigger"), trigger.end(), (size,), trigger.end())
    after = _magnitudes_after(sentence, trigger.end(), limit)
    if after is not None:
        return Move(direction, trigger.start("trigger"), *after)
    before = _PERCENT_BEFORE.search(sentence, start, trigger.start("trigger"))
    if before is not None:
        size = percent_value(before)
        return Move(direction, trigger.start("trigger"), trigger.end(), (size,), trigger.end())
    money = _MONEY_NEXT.match(sentence, trigger.end(), limit)
    return Move(direction, trigger.start("trigger"), money.end() if money else trigger.end())


def find_move_before(sentence: str, start: int, end: int) -> Move | None:
    """A move named just before the subject at ``start``..``end``: "a 17% plunge in Nvidia shares",
    "lifting Meta shares 3%", "wiping $600 billion off its market value"."""
    window = max(0, start - _CAUSE_WINDOW)
    noun = vocab.PRE_NOUN_TRIGGER.search(sentence, window, start)
    if noun is not None:
        direction = Direction.UP if noun.group("up") else Direction.DOWN
        sizes = (percent_value(noun),) if noun.group("num") else ()
        return Move(direction, noun.start(), end, sizes, end)
    for pattern, direction in (
        (vocab.PRE_CAUSE_UP, Direction.UP),
        (vocab.PRE_ADD_UP, Direction.UP),
        (vocab.PRE_CAUSE_DOWN, Direction.DOWN),
    ):
        cause = pattern.search(sentence, window, start)
        if cause is not None:
            size = _PERCENT_NEXT.match(sentence, end)
            if size is None:
                return Move(direction, cause.start(), end)
            return Move(direction, cause.start(), size.end(), (percent_value(size),), size.end())
    return None


def _trigger_after(sentence: str, start: int, limit: int, *, strict: bool) -> re.Match[str] | None:
    """The direction word after a subject (skipping a comma-delimited insertion if needed)."""
    if strict:
        return vocab.BARE_MOVE.match(sentence, start, limit)
    insertion = _INSERTION.match(sentence, start, limit)
    if insertion is not None:
        found = _first_trigger(sentence, insertion.end(), limit)
        if found is not None:
            return found
    return _first_trigger(sentence, start, limit)


def _first_trigger(sentence: str, start: int, limit: int) -> re.Match[str] | None:
    """The first direction word in the clause, if nothing ends the clause before it."""
    match = vocab.TRIGGER.search(sentence, start, limit)
    if match is None:
        return None
    gap = sentence[start : match.start("trigger")]
    if vocab.GAP_BREAKER.search(gap) or len(gap.split()) > _MAX_GAP_WORDS:
        return None
    if vocab.NOT_YET_A_MOVE.search(gap):
        return None
    if _DETERMINED.search(gap) and not _SUPPORTED.search(gap):
        return None
    return match


def _direction(trigger: re.Match[str]) -> Direction:
    """The direction a ``TRIGGER`` match states."""
    if trigger.group("flat"):
        return Direction.FLAT
    if trigger.group("period"):
        return Direction.UP if trigger.group("period").lower() == "high" else Direction.DOWN
    word = trigger.group("pct_dir") or trigger.group("dir")
    if word:
        return Direction.UP if word.lower() in vocab.UP_DIRECTION_WORDS else Direction.DOWN
    return Direction.UP if trigger.group("up") else Direction.DOWN


def _magnitudes_after(
    sentence: str, start: int, limit: int
) -> tuple[int, tuple[float, ...], int, bool] | None:
    """Percentages after the verb, in its clause: (end, sizes, first end, "respectively")."""
    stop = _MAGNITUDE_STOP.search(sentence, start, limit)
    end = stop.start() if stop is not None else limit
    found = list(_PERCENT.finditer(sentence, start, end))
    if not found or len(sentence[start : found[0].start()].split()) > _MAX_WORDS_BEFORE_PERCENT:
        return None
    if _RANGE_BEFORE.search(sentence, start, found[0].start()):
        return None  # "fell between 2% and 4%": no one company's size
    sizes = tuple(percent_value(match) for match in found)
    respectively = bool(_RESPECTIVELY.search(sentence, start, end))
    return found[-1].end(), sizes, found[0].end(), respectively
