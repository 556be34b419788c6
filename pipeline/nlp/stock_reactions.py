"""Stock reactions: every statement of a market move of a company's stock in a text.

Where it sits in the flow: the last step of tagging (``Article --tag--> Article + Mentions +
StockReactions``). The tagger finds the sentences and the company mentions (names, aliases and
ticker forms such as "$META" or "NASDAQ: META"); ``find_stock_reactions`` reads each sentence
around those mentions and returns ``StockReaction`` values. Pure and spaCy-free: text in, values
out.

How a sentence is read (rules over the sentence; the words are in ``stock_vocabulary``):

1. Company mentions are masked so one pattern matches any company, offsets unchanged.
2. *Subjects* are found (``stock_subjects``): a ticker with a signed percentage ("NVDA -3.2%",
   complete by itself); a named stock ("Meta's stock", "Nvidia shares", "shares of Nvidia"); an
   anaphor ("the stock", "its shares", "the chipmaker's shares", "sending it"); a bare company
   name ("Oracle jumped 9%").
3. Each subject's *move* (``stock_moves``) is the direction word that follows it in its clause
   ("rose", "was little changed", "3% higher") or a cause just before it ("a 17% plunge in",
   "lifting", "wiping $X off"). A bare company name must be followed at once by its verb and
   needs a percentage, a ticker form or market context ("in premarket trading") to count.
4. Anaphors resolve to a listed company named earlier in the sentence, else in the two sentences
   before (here); a division without a listing stands for its listed parent ("AWS" for
   Amazon), a company with neither (OpenAI) is never "the stock".
5. The magnitude is the percentage near the verb; the event is the phrase after "following",
   "after", "on", "amid"..., up to the next clause, cut after about twelve words but never
   inside a quantity ("rent an additional 2 gigawatts"). One reaction per company per
   sentence, in text order.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from pipeline.nlp import stock_vocabulary as vocab
from pipeline.nlp.stock_moves import Move, find_move_after, find_move_before, may_state_move
from pipeline.nlp.stock_subjects import SentenceView, Subject, find_subjects
from pipeline.nlp.types import EntityMention, EntityType, StockReaction
from pipeline.nlp.vocabulary import names_a_sector

_MAX_LOOKBACK_SENTENCES = 2
"""How far back "the stock" may look for its company."""
_MAX_EVENT_WORDS = 12
"""Longer event phrases are cut (the rest is usually a clause about something else)."""
_MAX_EVENT_OVERRUN = 4
"""Words a cut event phrase may run over ``_MAX_EVENT_WORDS`` to finish a quantity ("rent an
additional 2 gigawatts"); a longer quantity is dropped from the phrase instead."""
_WORD = re.compile(r"\S+")
_TICKER_IN_BRACKETS = re.compile(rf"\(\s*{vocab.MASK_HEAD}{vocab.MASK_TAIL}{{0,13}}\s*\)")
"""A short company mention alone in brackets after a bare name, before its move: its ticker
("(GOOG)", "(NASDAQ: GOOGL)"), so the name is a listed company's and its move a stock move."""
_TICKER_FORM = re.compile(r"\$?(?:[A-Z]+:\s?)?[A-Z]{1,5}(?:\.[A-Z]{1,2})?")
_NOT_A_LISTED_COMPANY = re.compile(
    r"\b(?:NYSE|exchanges?|index|indices|bourse|markets?|reserve|treasury|fed|central\s+bank"
    r"|universit(?:y|ies)|college|institute|government|ministry|department|agency|commission"
    r"|council|authority|parliament|congress|senate|court|police|army|union)\b",
    re.IGNORECASE,
)
"""Words in an organisation's name that say it is not a listed company."""
_NAME_PART = re.compile(r"[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*")
_AND = re.compile(r",?\s+and\s+|,\s+")
_HAS_STOCK_WORDS = re.compile(
    r"\b(?:shares?|stocks?|ADRs?|market|sending|sent|pushing|pushed|lifting|lifted|driving|drove"
    r"|knock\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ListedParent:
    """The listed company a division without its own listing belongs to (``Amazon`` for
    Amazon Web Services, ``Alphabet`` for Google): the catalog's nearest listed ancestor."""

    name: str
    company_id: str
    ticker: str


ListedParents = Mapping[str, ListedParent]
"""Catalog id of a company without a listing -> its nearest listed ancestor."""


@dataclass(frozen=True)
class _Document:
    """The text, its masked twin, its sentences and the usable company mentions (sorted)."""

    text: str
    masked: str
    sentences: tuple[tuple[int, int], ...]
    mentions: tuple[EntityMention, ...]
    starts: tuple[int, ...]
    listed_parents: ListedParents

    def mentions_in(self, start: int, end: int) -> tuple[EntityMention, ...]:
        """The mentions that start in ``[start, end)``."""
        return self.mentions[bisect_left(self.starts, start) : bisect_left(self.starts, end)]

    def sentence(self, index: int) -> SentenceView:
        start, end = self.sentences[index]
        local = {m.start - start: m for m in self.mentions_in(start, end)}
        return SentenceView(index, start, self.masked[start:end], local)


def find_stock_reactions(
    text: str,
    sentences: Sequence[tuple[int, int]],
    companies: Sequence[EntityMention],
    listed_parents: ListedParents | None = None,
) -> tuple[StockReaction, ...]:
    """Every statement of a market move of a company's stock in ``text``, in text order.

    ``sentences`` are character spans into ``text`` (the whole text is one sentence when none are
    given); ``companies`` are the company mentions the tagger found, ticker forms included, and
    the organisations the statistical NER found outside the catalog (model mentions are
    ignored). At most one reaction per company per sentence. ``listed_parents`` gives the listed
    company of each division without a listing (the catalog's): "the stock" after "AWS" is
    Amazon's; without it only a mention with a ticker can be "the stock".

    Catalog companies are read first, as if no organisation had been found. An organisation
    outside the catalog is then read only as a named stock ("shares of Fanuc fell 4%", "Xpeng
    stock jumped"): never as a bare name or as the company "the stock" stands for, where an
    organisation is too often not a listed company.
    """
    if not text.strip():
        return ()
    spans = tuple(sentences) or ((0, len(text)),)
    parents = listed_parents or {}
    listed = [mention for mention in companies if _catalogued(mention)]
    reactions = _reactions(_document(text, spans, listed, parents), catalogued_only=True)
    organisations = [part for mention in companies
                     if _may_be_listed(mention) and not _overlaps_any(mention, listed)
                     for part in _coordinated_parts(mention)]
    if organisations:
        reactions += _reactions(_document(text, spans, listed + organisations, parents),
                                catalogued_only=False)
    return tuple(sorted(reactions, key=lambda reaction: (reaction.start, reaction.end)))


def _document(text: str, spans: tuple[tuple[int, int], ...],
              companies: Sequence[EntityMention], listed_parents: ListedParents) -> _Document:
    mentions = _usable_mentions(companies, len(text))
    starts = tuple(mention.start for mention in mentions)
    return _Document(text, _mask(text, mentions), spans, mentions, starts, listed_parents)


def _reactions(document: _Document, *, catalogued_only: bool) -> list[StockReaction]:
    """The reactions of catalog companies, or (``catalogued_only`` False) those of the named
    stocks of organisations outside the catalog, in sentences that name one."""
    reactions: list[StockReaction] = []
    for index, (start, end) in enumerate(document.sentences):
        if not catalogued_only and all(map(_catalogued, document.mentions_in(start, end))):
            continue
        if _may_react(document.masked[start:end]):
            sentence = document.sentence(index)
            reactions.extend(_sentence_reactions(document, sentence, catalogued_only))
    return reactions


def _catalogued(mention: EntityMention) -> bool:
    """A catalog company (the others are the NER's organisations)."""
    return mention.type is EntityType.COMPANY


def _overlaps_any(mention: EntityMention, others: Sequence[EntityMention]) -> bool:
    """Whether ``mention`` overlaps one of ``others`` (a catalog company wins over an
    organisation the NER found on the same words)."""
    return any(mention.start < other.end and other.start < mention.end for other in others)


def _coordinated_parts(mention: EntityMention) -> list[EntityMention]:
    """An organisation the NER ran together with the next ("Xpeng and Nio") as one mention per
    name; names joined by "&" ("Johnson & Johnson") stay whole."""
    parts = list(_NAME_PART.finditer(mention.text))
    if len(parts) < 2 or not all(_AND.fullmatch(mention.text, left.end(), right.start())
                                 for left, right in itertools.pairwise(parts)):
        return [mention]
    return [replace(mention, text=part.group(), canonical=part.group(),
                    start=mention.start + part.start(), end=mention.start + part.end())
            for part in parts]


def _may_be_listed(mention: EntityMention) -> bool:
    """An organisation outside the catalog that may be a listed company: not an index or an
    exchange ("Nasdaq stocks rose" is market talk), a sector ("Tech stocks fell"), a central
    bank, a university or an authority."""
    return (mention.type is EntityType.ORG and not vocab.INDEX_NAME.match(mention.text)
            and not names_a_sector(mention.text)
            and not _NOT_A_LISTED_COMPANY.search(mention.text))


def _usable_mentions(companies: Sequence[EntityMention], length: int) -> tuple[EntityMention, ...]:
    """Company mentions with valid offsets, sorted, without overlaps (the longer one wins)."""
    valid = sorted(
        (m for m in companies if m.type != EntityType.MODEL and 0 <= m.start < m.end <= length),
        key=lambda m: (m.start, m.start - m.end),
    )
    kept: list[EntityMention] = []
    for mention in valid:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return tuple(kept)


def _mask(text: str, mentions: Sequence[EntityMention]) -> str:
    """``text`` with each mention replaced by ``MASK_HEAD`` + ``MASK_TAIL``s, offsets unchanged."""
    parts: list[str] = []
    position = 0
    for mention in mentions:
        parts.append(text[position : mention.start])
        parts.append(vocab.MASK_HEAD + vocab.MASK_TAIL * (mention.end - mention.start - 1))
        position = mention.end
    parts.append(text[position:])
    return "".join(parts)


def _may_react(masked: str) -> bool:
    """Whether a (masked) sentence may state a reaction: a company or a stock word, and a word
    a move needs; the others are not read further."""
    if vocab.MASK_HEAD not in masked and not _HAS_STOCK_WORDS.search(masked):
        return False
    return may_state_move(masked)


def _sentence_reactions(document: _Document, sentence: SentenceView,
                        catalogued_only: bool = True) -> list[StockReaction]:
    """The reactions stated in one sentence: its subjects, their moves, then their companies
    (``catalogued_only`` False: only the organisations outside the catalog of named stocks)."""
    subjects = find_subjects(sentence)
    _attach_moves(sentence.text, subjects)
    moved = [subject for subject in subjects if subject.move is not None]
    claimed = {id(mention) for subject in moved for mention in subject.mentions}
    if not catalogued_only:
        moved = [subject for subject in moved if not subject.bare]
    reactions: list[StockReaction] = []
    seen: set[str] = set()
    for subject in moved:
        if catalogued_only:
            companies = subject.mentions or _resolve_anaphor(document, sentence, subject, claimed)
        else:
            companies = tuple(m for m in subject.mentions if not _catalogued(m))
        for position, mention in enumerate(companies):
            key = mention.canonical_id or mention.canonical
            if key not in seen:
                seen.add(key)
                reactions.append(_reaction(document, sentence, subject, mention, position))
    return reactions


# --- moves -----------------------------------------------------------------------------------


def _attach_moves(sentence: str, subjects: list[Subject]) -> None:
    """Give each subject its move, then set its ``limit`` to the next subject that moved.

    Bare names go first and only they are cut by the next subject of any kind; a named stock is
    cut only by subjects that are named too or have moved ("Shares of Nvidia, whose chips power
    OpenAI's models, slipped 1%" is one subject).
    """
    limits = _next_starts(subjects, lambda other: not other.bare, len(sentence))
    for subject, limit in zip(subjects, limits, strict=True):
        if subject.bare:
            move = find_move_after(sentence, subject.end, limit, strict=True)
            subject.move = move if move and _bare_move_counts(sentence, subject, move) else None
    limits = _next_starts(subjects, _named_or_moved, len(sentence))
    for subject, limit in zip(subjects, limits, strict=True):
        if not subject.bare and subject.move is None:
            subject.limit = limit
            subject.move = _named_move(sentence, subject)
    limits = _next_starts(subjects, lambda other: other.move is not None, len(sentence))
    for subject, limit in zip(subjects, limits, strict=True):
        subject.limit = limit


def _named_or_moved(subject: Subject) -> bool:
    return not subject.bare or subject.move is not None


def _next_starts(
    subjects: list[Subject], counts: Callable[[Subject], bool], default: int
) -> list[int]:
    """For each subject, where the next subject for which ``counts`` holds begins."""
    starts = [default] * len(subjects)
    following = default
    for index in range(len(subjects) - 1, -1, -1):
        starts[index] = following
        if counts(subjects[index]):
            following = subjects[index].start
    return starts


def _named_move(sentence: str, subject: Subject) -> Move | None:
    """The move of a named stock or anaphor: a cause before it, else a verb after it."""
    after = find_move_after(sentence, subject.end, subject.limit, strict=False)
    before = find_move_before(sentence, subject.start, subject.end)
    if before is None:
        return after
    if not before.magnitudes and after is not None and after.direction is before.direction:
        sizes = after.magnitudes
        return Move(before.direction, before.start, after.end, sizes, after.magnitude_end)
    return before


def _bare_move_counts(sentence: str, subject: Subject, move: Move) -> bool:
    """A bare company name moved if the move has a stock-like percentage, a ticker, market
    words ("closed at a record") or market context in the sentence ("in premarket trading")."""
    if move.magnitudes:
        return not vocab.NOT_A_STOCK_PERCENT_AFTER.match(sentence, move.magnitude_end)
    if subject.with_peers or any(_looks_like_ticker(mention) for mention in subject.mentions):
        return True
    if _TICKER_IN_BRACKETS.search(sentence, subject.start, move.start):  # "Alphabet (GOOG) was"
        return True
    if vocab.MARKET_VERB.search(sentence, subject.end, move.end):
        return True
    return bool(vocab.MARKET_CONTEXT.search(sentence))


def _looks_like_ticker(mention: EntityMention) -> bool:
    """Whether the mention is a ticker form: "$META", "NASDAQ: META", "NVDA" for Nvidia."""
    text = mention.text.strip()
    if text.startswith("$") or ":" in text:
        return True
    return bool(
        mention.ticker
        and _TICKER_FORM.fullmatch(text)
        and text.lower() != mention.canonical.lower()
    )


# --- anaphora --------------------------------------------------------------------------------


def _resolve_anaphor(
    document: _Document, sentence: SentenceView, subject: Subject, claimed: set[int]
) -> tuple[EntityMention, ...]:
    """The company "the stock" or "its shares" stands for.

    Candidates, nearest place first: named before it in the sentence, in the sentences before,
    after it in the sentence (unless it is the subject of a move of its own). The first listed
    company wins ("OpenAI signed a deal with Oracle, and the stock jumped" is Oracle's); a
    division without a listing stands for its listed parent ("AWS said ... The stock was little
    changed" is Amazon's). A company with neither (OpenAI, a regulator) has no stock: with no
    listed company around, "the stock" is nobody's.
    """
    start, end = document.sentences[sentence.index]
    position = start + subject.start
    places = [document.mentions_in(start, position)]
    for back in range(1, min(_MAX_LOOKBACK_SENTENCES, sentence.index) + 1):
        places.append(document.mentions_in(*document.sentences[sentence.index - back]))
    places.append(tuple(m for m in document.mentions_in(position, end) if id(m) not in claimed))
    for mention in (m for place in places for m in place):
        listed = _listed_company(mention, document.listed_parents)
        if listed is not None and not vocab.INDEX_NAME.match(mention.text):
            return (listed,)
    return ()


def _listed_company(mention: EntityMention, parents: ListedParents) -> EntityMention | None:
    """The mention itself if it has a ticker, its listed parent's if it is a division without
    one (as a mention of the parent, at the same place), else ``None``."""
    if mention.ticker is not None:
        return mention
    parent = parents.get(mention.canonical_id) if mention.canonical_id else None
    if parent is None:
        return None
    return replace(mention, canonical=parent.name, canonical_id=parent.company_id,
                   ticker=parent.ticker, parent=None, parent_id=None)


# --- building the result ---------------------------------------------------------------------


def _reaction(
    document: _Document,
    sentence: SentenceView,
    subject: Subject,
    mention: EntityMention,
    position: int,
) -> StockReaction:
    """One ``StockReaction`` for one company of a subject that moved."""
    move = subject.move
    assert move is not None
    offset, sentence_end = document.sentences[sentence.index]
    event = _find_event(document, sentence, subject)
    start = min(subject.start, move.start)
    end = max(move.end, event[2] if event and event[1] >= move.start else 0)
    phrase = document.text[offset + start : offset + end].rstrip(" ,;:.")
    return StockReaction(
        company=mention.canonical,
        direction=move.direction,
        text=phrase,
        start=offset + start,
        end=offset + start + len(phrase),
        company_id=mention.canonical_id,
        ticker=mention.ticker,
        magnitude_pct=_magnitude(move, len(subject.mentions), position),
        event=event[0] if event else None,
        sentence=document.text[offset:sentence_end].strip(),
    )


def _magnitude(move: Move, companies: int, position: int) -> float | None:
    """The move's size for the company at ``position`` ("3% and 2%, respectively")."""
    if not move.magnitudes:
        return None
    if move.respectively and len(move.magnitudes) == companies:
        return move.magnitudes[position]
    return move.magnitudes[0]


def _find_event(
    document: _Document, sentence: SentenceView, subject: Subject
) -> tuple[str, int, int] | None:
    """The event the move follows (text, local start, local end), when the sentence names one:
    after the subject ("rising following the announcement") or before it ("After the launch,")."""
    masked = sentence.text
    original = document.text[sentence.offset : sentence.offset + len(masked)]
    for marker in vocab.EVENT_MARKER.finditer(masked, subject.end, subject.limit):
        event_end = vocab.EVENT_END.search(masked, marker.end(), subject.limit)
        stop = event_end.start() if event_end else subject.limit
        event = _clean_event(original[marker.end() : stop])
        if event:
            return event, marker.end(), marker.end() + len(event)
    leading = vocab.LEADING_EVENT.match(masked)
    if leading and leading.end() <= subject.start:
        event = _clean_event(original[leading.start("event") : leading.end("event")])
        if event:
            return event, leading.start("event"), leading.start("event") + len(event)
    return None


def _clean_event(phrase: str) -> str | None:
    """The event phrase without trailing time words, or ``None`` if it is a time or a place."""
    phrase = vocab.TRAILING_TIME.sub("", phrase.strip()).strip(" .")
    if not phrase or vocab.NOT_AN_EVENT.match(phrase):
        return None
    return _shortened(phrase)


def _shortened(phrase: str) -> str:
    """The phrase cut after ``_MAX_EVENT_WORDS`` words, never inside a quantity ("an additional
    2 gigawatts" is kept whole or left out) nor after a function word ("agreed to")."""
    words = list(_WORD.finditer(phrase))
    if len(words) <= _MAX_EVENT_WORDS:
        return phrase
    cut = words[_MAX_EVENT_WORDS - 1].end()
    for quantity in vocab.QUANTITY.finditer(phrase, 0, words[-1].end()):
        if quantity.start() < cut < quantity.end():
            overrun = len(_WORD.findall(phrase, cut, quantity.end()))
            cut = quantity.end() if overrun <= _MAX_EVENT_OVERRUN else quantity.start()
            break
    shortened = vocab.DANGLING_END.sub("", phrase[:cut].rstrip(" ,;:"))
    return shortened or phrase[:cut].rstrip()
