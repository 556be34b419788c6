"""Read the words around a catalog hit into a :class:`~pipeline.nlp.facts.Context`.

Where it sits in the flow: called by ``reading`` for each hit that needs context (an ambiguous
name, a shouted name, a bare ticker), and in a cheap form (:func:`read_guard`) for one-word names
the catalog spells unambiguously, inside spaCy's memory zone. This is the only module that looks
at tokens to judge a hit; it states facts ("a capitalised word outside the catalog follows",
"the word after is *shares*") and leaves the verdict to ``disambiguation``.

spaCy is untyped here: ``doc`` and tokens are ``Any``. Token indexes are ``Doc`` positions;
``sentence`` is the ``(first, end)`` token range of the hit's sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.nlp.facts import Context, HitKind
from pipeline.nlp.vocabulary import (
    AI_WORDS,
    BUSINESS_WORDS,
    COMPANY_HEADS,
    COMPANY_STRONG_AFTER,
    COMPANY_STRONG_BEFORE,
    COMPANY_VERBS,
    COMPANY_WEAK_AFTER,
    COMPANY_WEAK_BEFORE,
    GENERIC_TERMS,
    MARKET_WORDS,
    MODEL_HEADS,
    MODEL_STRONG_AFTER,
    MODEL_TYPE_WORDS,
    MODEL_WEAK_AFTER,
    MODEL_WEAK_BEFORE,
    NOT_MODEL_HEADS,
    OFF_TOPIC_WORDS,
    PERSON_PRONOUNS,
    PERSON_TITLES,
    PRODUCT_WORDS,
)

WINDOW = 25
"""How many tokens either side, within the sentence, count as "nearby"."""

VERSION = re.compile(r"^[vV]?\d+(?:\.\d+)*[a-zA-Z]?$")
YEAR = re.compile(r"^(?:19|20)\d\d$")
AMOUNT_AFTER = frozenset({"%", "percent", "per", "billion", "million", "trillion", "bn", "m"})
_COMPOUND_HEADS = frozenset({
    "like", "style", "based", "backed", "owned", "powered", "made", "led", "parent",
    "compatible", "specific", "branded", "funded", "affiliated", "linked", "scale", "sized",
    "level", "class", "grade",
})
_OTHER_ENTITY_LABELS = frozenset({
    "PERSON", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "EVENT", "ORG", "PRODUCT", "LAW",
    "LANGUAGE",
})
_LEGAL_SUFFIXES = frozenset({
    "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "co", "co.",
    "company", "group", "holdings", "gmbh", "ag", "sa",
})
_PERSON_OR_PLACE = frozenset({"PERSON", "GPE", "LOC"})
_SKIPPED_AFTER = frozenset({"'s", "'", '"', ")", "]", "-"})
_SKIPPED_BEFORE = frozenset({"of", "the", '"', "'", "(", "["})
_APPOSITION_DETERMINERS = frozenset({"a", "an", "the", "its"})
_MODEL_APPOSITION_HEADS = MODEL_HEADS | {"chatbot", "assistant", "app"}
_TICKER_SEPARATORS = frozenset({",", "/", "and", "&"})


@dataclass(frozen=True)
class HitTokens:
    """Where a hit is in its ``Doc``: token range, sentence token range, its kind."""

    start: int
    end: int
    sentence: tuple[int, int]
    kind: HitKind


def read_context(
    doc: Any, hit: HitTokens, covered: Collection[int], *, shouted: bool, versioned: bool,
    ner: bool, tickers: Mapping[str, str], sentence_lowers: Sequence[str] | None = None,
    short: bool = False,
) -> Context:
    """The facts around one hit; ``covered`` holds the token indexes of all catalog hits;
    ``versioned`` says whether a version number may follow the name (a record's own name);
    ``short`` whether the hit is a model's short alias (``Spark`` of "Muse Spark": a capitalised
    word before it continues another name even at a sentence start, "Apache Spark 4.1", and a
    version after it, "Opus 5", is only a fitting word);
    ``ner`` whether the statistical NER's labels are there and trusted; ``sentence_lowers``,
    when given, the lower-cased tokens of the hit's sentence, from ``hit.sentence[0]`` (read
    once per sentence instead of once per hit)."""
    if sentence_lowers is None:
        nearby = [doc[i].lower_ for i in _nearby(hit) if i not in covered]
    else:
        first = hit.sentence[0]
        nearby = [sentence_lowers[i - first] for i in _nearby(hit) if i not in covered]
    strong, weak = _cues(doc, hit, tickers)
    weak = weak or (short and _version_follows(doc, hit))
    return Context(
        sentence_initial=is_sentence_initial(doc, hit.start, hit.sentence[0]),
        stop_word=hit.end - hit.start == 1 and bool(doc[hit.start].is_stop),
        shouted=shouted,
        version_follows=versioned and _version_follows(doc, hit),
        name_continues=_name_continues(doc, hit, covered, after_sentence_start=short),
        person_cue=_title_before(doc, hit) or _pronoun_after(doc, hit),
        ner_other=ner and _ner_other(doc, hit, covered),
        foreign_owner=_foreign_owner(doc, hit, covered),
        not_model_head=_not_model_head(doc, hit),
        off_topic_adjacent=_off_topic_adjacent(doc, hit),
        strong_cue=strong,
        weak_cue=weak,
        company_verb=_company_verb_after(doc, hit),
        market=_market(doc, hit, tickers),
        bracketed=_in_brackets(doc, hit),
        off_topic=not OFF_TOPIC_WORDS.isdisjoint(nearby),
        ai_words=sum(map(AI_WORDS.__contains__, nearby)),
        business_words=sum(map(BUSINESS_WORDS.__contains__, nearby)),
    )


def read_guard(
    doc: Any, hit: HitTokens, covered: Collection[int], *, ner: bool
) -> Context | None:
    """The few facts that overrule even an unambiguous one-word name: a person's title before
    it (``novelist Siri``), a surname after a model name (``Siri Hustvedt``), a wider person
    or place of the statistical NER (``Michael Dell``); ``None`` when there is none."""
    after = hit.end
    surname = (
        hit.kind == "model" and after < hit.sentence[1] and after not in covered
        and is_proper_word(doc[after]) and doc[after].lower_ not in PRODUCT_WORDS
    )
    title = _title_before(doc, hit)
    other = ner and _ner_other(doc, hit, covered, labels=_PERSON_OR_PLACE)
    if not (surname or title or other):
        return None
    return Context(person_cue=title, name_continues=surname, ner_other=other)


def _nearby(hit: HitTokens) -> Iterator[int]:
    first, end = hit.sentence
    yield from range(max(first, hit.start - WINDOW), hit.start)
    yield from range(hit.end, min(end, hit.end + WINDOW))


def is_sentence_initial(doc: Any, index: int, sentence_start: int) -> bool:
    """Only punctuation (quotes, brackets) between the sentence start and token ``index``."""
    return all(doc[i].is_punct or doc[i].is_space for i in range(sentence_start, index))


def is_prefix_compound(doc: Any, end: int) -> bool:
    """The name is glued by a hyphen to a lower-case noun (``Meta-analysis``), not to a
    participle or a head that keeps it a name (``Meta-owned``, ``OpenAI-compatible``)."""
    if end + 1 >= len(doc) or doc[end].text != "-" or doc[end - 1].whitespace_:
        return False
    if doc[end].whitespace_:
        return False
    word = doc[end + 1]
    lower = word.lower_
    return bool(word.is_lower and word.is_alpha) and not (
        lower.endswith(("ed", "ing")) or lower in _COMPOUND_HEADS
    )


def is_proper_word(token: Any) -> bool:
    """A capitalised word that is not an acronym, a function word or a generic term."""
    text = token.text
    return bool(
        token.is_alpha and text[:1].isupper() and not token.is_upper and not token.is_stop
        and token.lower_ not in GENERIC_TERMS
    )


def _version_follows(doc: Any, hit: HitTokens) -> bool:
    after = hit.end
    if after >= hit.sentence[1] or hit.kind != "model":
        return False
    return _is_version(doc, after)


def _is_version(doc: Any, index: int) -> bool:
    """A version number (``7``, ``2.5``, ``v3``), not a year, an amount or a percentage."""
    text = doc[index].text
    if not VERSION.match(text) or YEAR.match(text):
        return False
    return index + 1 >= len(doc) or doc[index + 1].lower_ not in AMOUNT_AFTER


def _name_continues(
    doc: Any, hit: HitTokens, covered: Collection[int], *, after_sentence_start: bool = False
) -> bool:
    """Another entity's name around the hit: a proper word before it outside the catalog
    (``Apache Spark``, ``Big Apple``; the sentence's first word only ``after_sentence_start``),
    or before the brackets it stands in (the abbreviation of "Bank for International
    Settlements (BIS)"); after a model name a proper word that is not an edition (``Claude
    Monet``, not ``Claude Enterprise``); after a company a number (``CAC 40``)."""
    before = hit.start - 2 if _in_brackets(doc, hit) else hit.start - 1
    if (
        before >= hit.sentence[0] and before not in covered
        and (after_sentence_start or not is_sentence_initial(doc, before, hit.sentence[0]))
        and is_proper_word(doc[before])
    ):
        return True
    after = hit.end
    if after >= hit.sentence[1] or after in covered:
        return False
    if hit.kind == "company":
        return _company_name_continues(doc, after, hit.sentence[1])
    return is_proper_word(doc[after]) and doc[after].lower_ not in PRODUCT_WORDS


def _company_name_continues(doc: Any, after: int, end: int) -> bool:
    """``CAC 40``; ``Sierra Nevada Corp.``: a number, or proper words then a legal suffix."""
    if doc[after].like_num:
        return _is_version(doc, after)
    index = after
    while index < end and index - after < 3 and is_proper_word(doc[index]):
        index += 1
    return index > after and index < end and doc[index].lower_ in _LEGAL_SUFFIXES


def _title_before(doc: Any, hit: HitTokens) -> bool:
    before = hit.start - 1
    return before >= hit.sentence[0] and doc[before].lower_ in PERSON_TITLES


def _pronoun_after(doc: Any, hit: HitTokens) -> bool:
    following = range(hit.end, min(hit.sentence[1], hit.end + 3))
    return any(doc[i].lower_ in PERSON_PRONOUNS for i in following)


def _ner_other(
    doc: Any, hit: HitTokens, covered: Collection[int],
    labels: frozenset[str] = _OTHER_ENTITY_LABELS,
) -> bool:
    """The NER's entity around the hit runs over proper words outside the catalog."""
    label = doc[hit.start].ent_type_
    if not label and hit.end - hit.start > 1:
        label = doc[hit.end - 1].ent_type_
    if label not in labels:
        return False
    outside = [*_entity_extent_left(doc, hit.start), *_entity_extent_right(doc, hit.end)]
    return any(i not in covered and is_proper_word(doc[i]) for i in outside)


def _entity_extent_left(doc: Any, start: int) -> Iterator[int]:
    index = start
    while index > 0 and doc[index].ent_iob_ == "I":
        index -= 1
        yield index


def _entity_extent_right(doc: Any, end: int) -> Iterator[int]:
    index = end
    while index < len(doc) and doc[index].ent_iob_ == "I":
        yield index
        index += 1


def _foreign_owner(doc: Any, hit: HitTokens, covered: Collection[int]) -> bool:
    """A model owned by a proper name outside the catalog (``Shakespeare's Sonnet``)."""
    owner = hit.start - 2
    if hit.kind != "model" or owner < hit.sentence[0] or doc[hit.start - 1].lower_ != "'s":
        return False
    return owner not in covered and is_proper_word(doc[owner])


def _not_model_head(doc: Any, hit: HitTokens) -> bool:
    """A model name followed by a noun for hardware or another thing (``Falcon 9 rocket``)."""
    if hit.kind != "model":
        return False
    index = hit.end + 1 if _version_follows(doc, hit) else hit.end
    return index < hit.sentence[1] and doc[index].lower_ in NOT_MODEL_HEADS


def _off_topic_adjacent(doc: Any, hit: HitTokens) -> bool:
    """A word of another reading right beside the name (``apple pie``, ``Amazon rainforest``)."""
    before, after = hit.start - 1, hit.end
    words = [doc[i].lower_ for i in (before, after) if hit.sentence[0] <= i < hit.sentence[1]]
    return any(word in OFF_TOPIC_WORDS for word in words)


def _cues(doc: Any, hit: HitTokens, tickers: Mapping[str, str]) -> tuple[bool, bool]:
    """(strong, weak): do the words right after and right before fit the hit's kind?"""
    after = _words_after(doc, hit)
    before = _word_before(doc, hit)
    first = after[0] if after else ""
    head = _apposition_head(doc, hit)
    if hit.kind == "model":
        typed, plain = _model_head_after(after)
        strong = first in MODEL_STRONG_AFTER or typed or head in _MODEL_APPOSITION_HEADS
        weak = plain or first in MODEL_WEAK_AFTER or before in MODEL_WEAK_BEFORE
        return strong, weak
    possessive = hit.end < len(doc) and doc[hit.end].lower_ == "'s"
    owned = after[:2] if possessive else after[:1]  # "Perplexity's annualised revenue"
    strong = (
        any(word in COMPANY_STRONG_AFTER for word in owned)
        or before in COMPANY_STRONG_BEFORE or head in COMPANY_HEADS
        or _own_ticker_after(doc, hit, tickers)
    )
    weak = any(word in COMPANY_WEAK_AFTER for word in owned) or before in COMPANY_WEAK_BEFORE
    return strong, weak


def _company_verb_after(doc: Any, hit: HitTokens) -> bool:
    """``Amazon did not comment``: a company's verb right after a company name."""
    after = hit.end
    return hit.kind == "company" and after < hit.sentence[1] and doc[after].lower_ in COMPANY_VERBS


def _words_after(doc: Any, hit: HitTokens, count: int = 4) -> list[str]:
    words: list[str] = []
    for index in range(hit.end, hit.sentence[1]):
        lower = doc[index].lower_
        if lower not in _SKIPPED_AFTER:
            words.append(lower)
        if len(words) == count:
            break
    return words


def _word_before(doc: Any, hit: HitTokens) -> str:
    for index in range(hit.start - 1, max(hit.sentence[0], hit.start - 4) - 1, -1):
        lower = doc[index].lower_
        if lower not in _SKIPPED_BEFORE:
            return str(lower)
    return ""


def _model_head_after(words: list[str]) -> tuple[bool, bool]:
    """(typed, plain): ``Muse reasoning model`` is typed, ``Sierra model`` plain."""
    for position, word in enumerate(words):
        if word in MODEL_HEADS:
            return position > 0, position == 0
        if word not in MODEL_TYPE_WORDS:
            return False, False
    return False, False


def _apposition_head(doc: Any, hit: HitTokens, reach: int = 7) -> str | None:
    """The head noun of an apposition (``Lambda, the GPU cloud provider,``): the first
    company or model noun after ", a/an/the/its" before the next comma."""
    comma, determiner = hit.end, hit.end + 1
    if determiner >= hit.sentence[1] or doc[comma].text != ",":
        return None
    if doc[determiner].lower_ not in _APPOSITION_DETERMINERS:
        return None
    for index in range(determiner + 1, min(hit.sentence[1], determiner + reach)):
        lower = doc[index].lower_
        if lower == ",":
            return None
        if lower in COMPANY_HEADS or lower in _MODEL_APPOSITION_HEADS:
            return str(lower)
    return None


def _own_ticker_after(doc: Any, hit: HitTokens, tickers: Mapping[str, str]) -> bool:
    """``Arm (ARM)``: a ticker in brackets right after the name."""
    opening, symbol, closing = hit.end, hit.end + 1, hit.end + 2
    return (
        closing < len(doc) and doc[opening].text == "(" and doc[closing].text == ")"
        and doc[symbol].text in tickers
    )


def _market(doc: Any, hit: HitTokens, tickers: Mapping[str, str]) -> bool:
    """A market word, a percentage or a ticker list within three words."""
    first, end = hit.sentence
    lo, hi = max(first, hit.start - 3), min(end, hit.end + 3)
    window = [doc[i] for i in range(lo, hi) if not hit.start <= i < hit.end]
    if any(t.lower_ in MARKET_WORDS or t.text == "%" for t in window):
        return True
    return _in_ticker_list(doc, hit, tickers)


def _in_brackets(doc: Any, hit: HitTokens) -> bool:
    return (
        hit.start > 0 and hit.end < len(doc)
        and doc[hit.start - 1].text == "(" and doc[hit.end].text == ")"
    )


def _in_ticker_list(doc: Any, hit: HitTokens, tickers: Mapping[str, str]) -> bool:
    pairs = ((hit.end, hit.end + 1), (hit.start - 1, hit.start - 2))
    for separator, neighbour in pairs:
        if not (0 <= neighbour < len(doc) and 0 <= separator < len(doc)):
            continue
        if doc[separator].lower_ in _TICKER_SEPARATORS and doc[neighbour].text in tickers:
            return True
    return False
