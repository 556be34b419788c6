"""Find model names the catalog does not know, from the way news introduces a model.

Where it sits in the flow: ``reading`` calls :func:`find_guesses` on each chunk's ``Doc`` (inside
spaCy's memory zone) with the anchors the ``cue_ruler`` marked; ``resolution`` later drops
guesses that overlap catalog mentions, checks version guesses against the catalog hit they
extend, and names the developer. The rules:

- **apposition**: a name, then ``, a/an/its ... model`` ("Meta unveiled Zephyr, a
  next-generation large language model"); with a plain "model" the name needs a release verb
  or a possessive before it, or a version shape, and the sentence must be about AI;
- **premodifier**: a name right before AI type words and a head noun ("its new Zephyr
  reasoning model"; a plain "Corolla model" is a car, so type words are needed, or a
  version-shaped name in an AI sentence);
- **naming**: a head noun, then "code-named", "dubbed" or "called" and a name ("Meta's next
  model, code-named Avocado");
- **release**: a release verb followed by a version-shaped name in an AI sentence
  ("Acme released Zephyr-2.5-Pro"; not "H200 chips");
- **version**: a catalog model or company followed by a version it does not list ("Gemini 7",
  ``GPT-6``, ``DeepSeek-V4``, "Suno v5"): the developer is the model's or the company itself.
  A possessive owner in the catalog name is left out ("Google's Gemini 3.5 Pro" guesses
  "Gemini 3.5 Pro"; "Google" stays a company mention).

Where an AI sentence is asked for, "AI" means at least two AI words or one AI word and a
catalog name. A name is one to six tokens: capitalised words, versions, hyphen-glued parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.nlp.context import AMOUNT_AFTER, VERSION, YEAR
from pipeline.nlp.vocabulary import (
    AI_WORDS,
    GENERIC_TERMS,
    MODEL_HEADS,
    MODEL_TYPE_WORDS,
    NAME_STOP_WORDS,
    NAMING_WORDS,
    NOT_MODEL_HEADS,
    RELEASE_VERBS,
    VERBS_TAKING_MODELS,
)

HEAD_LABEL = "MODEL_HEAD"
RELEASE_LABEL = "RELEASE_VERB"
NAMING_LABEL = "NAMING"
STEM_LABEL = "VERSIONED"

CUE_PATTERNS: tuple[Mapping[str, Any], ...] = (
    *({"label": HEAD_LABEL, "pattern": word} for word in sorted(MODEL_HEADS)),
    *({"label": RELEASE_LABEL, "pattern": word} for word in sorted(RELEASE_VERBS)),
    *({"label": NAMING_LABEL, "pattern": word} for word in sorted(NAMING_WORDS)),
)
"""Anchors for the ``cue_ruler``: head nouns, release verbs and naming words, as phrase
patterns (far faster than token patterns with sets or regular expressions). Glued ``Name-7``
tokens are found by :func:`stem_anchors` with a regular expression over the text."""

MAX_NAME_TOKENS = 6
MAX_DESCRIPTION_WORDS = 8
_DETERMINERS = frozenset({"a", "an", "its", "their", "the", "his", "her", "our"})
_LEAD_INS = frozenset({"its", "their", "the", "a", "an", "new", "latest", "own", "out", '"', "'"})
_POSSESSIVE_MARKS = frozenset({"'s", "’s", "'", "’"})
_QUARTER = re.compile(r"^(?:Q[1-4]|H[12]|FY\d{2,4}|CY\d{2,4})$")
_STEM = re.compile(r"^([A-Za-z]+)-?\d")
_GLUED_VERSION = re.compile(r"(?<![\w.-])([A-Za-z]++)-?\d")
"""A word of letters glued to a version, as :data:`_STEM` reads a token's start (possessive: a
word not followed by a version is not tried again shorter)."""
_SIZE = re.compile(r"^\d+(?:\.\d+)?[BbMmKk]$|^\d+x\d+[Bb]$")
_MAKER_VERSION = re.compile(r"^[A-Za-z]{1,2}\d+(?:\.\d+)*[a-z]?$")
_SPACED_VERSION = re.compile(r"^[vV]\d+(?:\.\d+)*$")
_MAKER_VERSION_START = re.compile(rf"^-$|{_SPACED_VERSION.pattern}")
"""The token right after a company name that may start its version (``-V4``, ``v5``)."""

TokenRange = tuple[int, int]


@dataclass(frozen=True)
class TokenGuess:
    """A guessed model name as a token range of the ``Doc``."""

    start: int
    end: int
    confidence: float
    rule: str
    extends: str | None = None
    extends_at: int | None = None
    """The first token of the catalog hit a version guess extends (before an owner left out)."""
    version_at: int | None = None
    """The first token of the version a model hit is extended with (``3.5`` in "Gemini 3.5")."""


@dataclass(frozen=True)
class GuessScope:
    """What the finder needs besides the tokens: sentences and the catalog hits around."""

    sentence_of: Callable[[int], TokenRange]
    """Token index -> the token range of its sentence."""
    model_hits: Mapping[int, tuple[int, str]]
    """Start token -> (end token, model id) of the longest catalog model hit starting there."""
    company_hits: Mapping[int, tuple[int, str]]
    """Start token -> (end token, company id) of the longest catalog company hit there."""
    catalog_tokens: frozenset[int]
    """Tokens inside any catalog hit."""
    company_tokens: frozenset[int]
    """Tokens inside catalog company hits (``Meta`` in "Meta Zephyr" is not part of the name)."""
    stems: Mapping[str, str]
    """Lower-case digitless family name (``gemini``) -> its catalog model id."""
    ai_sentences: dict[TokenRange, tuple[int, bool]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Sentence -> its AI words and whether it holds a catalog name, read once per sentence
    (every anchor and guess of a sentence asks)."""


def find_guesses(
    doc: Any, anchors: Iterable[tuple[str, int]], scope: GuessScope
) -> list[TokenGuess]:
    """Every guess the rules make; ``anchors`` are ``(label, token index)`` pairs."""
    finders = {
        HEAD_LABEL: _before_head, RELEASE_LABEL: _after_release, NAMING_LABEL: _after_naming,
        STEM_LABEL: _from_stem,
    }
    guesses = [finders[label](doc, index, scope) for label, index in anchors if label in finders]
    guesses.extend(_version_extensions(doc, scope))
    return [guess for guess in guesses if guess is not None]


def stem_anchors(text: str, stems: Container[str]) -> list[int]:
    """Character offsets of the ``Name-7`` tokens in ``text`` whose letters are a family name
    (``GPT-6``, ``Qwen4``): a word of letters glued to a version, looked up in ``stems`` (one
    pass of a short expression; an alternation of every family name was slower)."""
    return [
        match.start() for match in _GLUED_VERSION.finditer(text)
        if match.group(1).lower() in stems
    ]


def ai_words_in(doc: Any, sentence: TokenRange, scope: GuessScope) -> int:
    """How many AI words the sentence holds outside catalog names (its first 120 tokens)."""
    return _ai_sentence(doc, sentence, scope)[0]


def _ai_sentence(doc: Any, sentence: TokenRange, scope: GuessScope) -> tuple[int, bool]:
    """(AI words outside catalog names, a catalog name in it), read once per sentence."""
    if sentence not in scope.ai_sentences:
        first, end = sentence
        catalog = scope.catalog_tokens
        words = sum(
            doc[i].lower_ in AI_WORDS and i not in catalog
            for i in range(first, min(end, first + 120))
        )
        named = any(i in catalog for i in range(first, end))
        scope.ai_sentences[sentence] = (words, named)
    return scope.ai_sentences[sentence]


def _before_head(doc: Any, head: int, scope: GuessScope) -> TokenGuess | None:
    first, _ = sentence = scope.sentence_of(head)
    index, typed = _skip_description(doc, head - 1, first)
    if index < first:
        return None
    about_ai = _about_ai(doc, sentence, scope)
    if doc[index].lower_ in _DETERMINERS and index - 1 >= first and doc[index - 1].text == ",":
        name = _name_before(doc, _skip_quote_back(doc, index - 2), first, scope)
        if name is None:
            return None
        introduced = _release_verb_before(doc, name[0], first) or _owner_before(doc, name[0])
        if typed or (about_ai and (introduced or _is_shaped(doc, name))):
            return TokenGuess(*name, 0.8, "apposition")
        return None
    name = _name_before(doc, _skip_quote_back(doc, index), first, scope)
    if name is None or _verb_follows(doc, name[1], head):
        return None
    if typed or (_is_shaped(doc, name) and about_ai):
        return TokenGuess(*name, 0.7, "premodifier")
    return None


def _verb_follows(doc: Any, after: int, head: int) -> bool:
    """A verb between the name and the head noun: the name is the subject of a clause ("Europe
    needs frontier models", "Acme trains reasoning models"), not a model's premodifier."""
    return any(
        doc[i].lower_ in VERBS_TAKING_MODELS and not (doc[i - 1].text == "-" and _glued(doc, i - 1))
        for i in range(after, head)
    )  # "custom-built" is a description


def _after_release(doc: Any, verb: int, scope: GuessScope) -> TokenGuess | None:
    sentence = scope.sentence_of(verb)
    name = _name_after(doc, _skip_lead_ins(doc, verb + 1, sentence[1]), sentence[1], scope)
    if name is None or not _is_shaped(doc, name) or not _about_ai(doc, sentence, scope):
        return None
    after = name[1]
    if after < sentence[1] and doc[after].lower_ in NOT_MODEL_HEADS:
        return None
    return TokenGuess(*name, 0.7, "release")


def _after_naming(doc: Any, word: int, scope: GuessScope) -> TokenGuess | None:
    """``a new model, code-named Avocado``; ``its chatbot, dubbed Zephyr``."""
    first, end = scope.sentence_of(word)
    if not any(doc[i].lower_ in MODEL_HEADS for i in range(max(first, word - 6), word)):
        return None
    name = _name_after(doc, _skip_lead_ins(doc, word + 1, end), end, scope)
    return TokenGuess(*name, 0.75, "naming") if name else None


def _from_stem(doc: Any, index: int, scope: GuessScope) -> TokenGuess | None:
    match = _STEM.match(doc[index].text)
    family = scope.stems.get(match.group(1).lower()) if match else None
    if family is None or index in scope.catalog_tokens:
        return None
    name = _name_after(doc, index, scope.sentence_of(index)[1], scope)
    return TokenGuess(*name, 0.85, "version", family) if name else None


def _version_extensions(doc: Any, scope: GuessScope) -> list[TokenGuess | None]:
    """A digitless catalog model followed by a version it does not list (``Gemini 7``); a
    catalog company glued to a version (``DeepSeek-V4``, ``Suno v5``)."""
    guesses: list[TokenGuess | None] = []
    for start, (end, model_id) in scope.model_hits.items():
        if end >= len(doc) or not VERSION.match(doc[end].text):
            continue  # no version after it: spare looking up its sentence
        sentence = scope.sentence_of(start)
        if _new_version_follows(doc, start, end, sentence, scope):
            stop = _walk_name(doc, end + 1, sentence[1], sizes=False)
            guesses.append(TokenGuess(
                _after_owner(doc, start, end), stop, 0.85, "version", model_id,
                extends_at=start, version_at=end,
            ))
    for start, (end, company_id) in scope.company_hits.items():
        if end >= len(doc) or not _MAKER_VERSION_START.match(doc[end].text):
            continue
        version = _maker_version_end(doc, end, scope.sentence_of(start)[1], scope)
        if version is not None:
            guesses.append(TokenGuess(start, version, 0.8, "version", company_id, extends_at=start))
    return guesses


def _after_owner(doc: Any, start: int, end: int) -> int:
    """Where a catalog name proper starts after a possessive owner in it (``Gemini`` in the
    alias "Google's Gemini"): the owner is not part of a new version's name."""
    owner_end = max((i for i in range(start, end) if doc[i].lower_ in _POSSESSIVE_MARKS),
                    default=start - 1)
    return owner_end + 1 if owner_end + 1 < end else start


def _new_version_follows(
    doc: Any, start: int, end: int, sentence: TokenRange, scope: GuessScope
) -> bool:
    """A version number right after a digitless model name, not part of a catalog name, not a
    year, a size or an amount."""
    if end >= sentence[1]:
        return False
    version = doc[end].text
    if end in scope.catalog_tokens or not VERSION.match(version):
        return False
    if any(char.isdigit() for char in doc[start:end].text):
        return False
    return not (YEAR.match(version) or _SIZE.match(version) or _amount_follows(doc, end + 1))


def _maker_version_end(doc: Any, end: int, ceiling: int, scope: GuessScope) -> int | None:
    """Where ``DeepSeek-V4``/"Suno v5" ends, if a version follows the company name ``end``."""
    if end + 1 < ceiling and doc[end].text == "-" and _glued(doc, end):
        version = end + 1
        if version in scope.catalog_tokens or not _MAKER_VERSION.match(doc[version].text):
            return None
        stop = _walk_name(doc, version, ceiling, sizes=False)
    elif end < ceiling and _SPACED_VERSION.match(doc[end].text):
        stop = end + 1
    else:
        return None
    if stop < ceiling and doc[stop].lower_ in NOT_MODEL_HEADS:
        return None
    return stop


def _amount_follows(doc: Any, index: int) -> bool:
    return index < len(doc) and doc[index].lower_ in AMOUNT_AFTER


def _about_ai(doc: Any, sentence: TokenRange, scope: GuessScope) -> bool:
    words, has_catalog_name = _ai_sentence(doc, sentence, scope)
    return words >= 2 or (words >= 1 and has_catalog_name)


def _skip_description(doc: Any, index: int, first: int) -> tuple[int, bool]:
    """Walk back over the description before a head noun; was an AI type word among it?"""
    typed = False
    count = 0
    while index >= first and count < MAX_DESCRIPTION_WORDS:
        token = doc[index]
        if token.lower_ in MODEL_TYPE_WORDS:
            typed = True
        elif not _is_description_word(doc, index):
            break
        index -= 1
        count += 1
    return index, typed


def _is_description_word(doc: Any, index: int) -> bool:
    token = doc[index]
    if token.text == "-":
        return _glued(doc, index)
    if _glued_to_name(doc, index):
        return False
    if token.like_num:
        return True
    compound_part = index + 1 < len(doc) and doc[index + 1].text == "-" and not token.whitespace_
    return bool(token.is_lower and token.is_alpha and (compound_part or not token.is_stop))


def _name_before(doc: Any, last: int, first: int, scope: GuessScope) -> TokenRange | None:
    if last < first or not _is_name_part(doc, last) or doc[last].text == "-":
        return None
    index = last
    while index >= first and last - index < MAX_NAME_TOKENS and _is_name_part(doc, index):
        index -= 1
    return _trimmed(doc, index + 1, last + 1, scope)


def _name_after(doc: Any, start: int, ceiling: int, scope: GuessScope) -> TokenRange | None:
    if start >= ceiling or not _is_name_part(doc, start):
        return None
    return _trimmed(doc, start, _walk_name(doc, start, ceiling, sizes=True), scope)


def _walk_name(doc: Any, index: int, ceiling: int, *, sizes: bool) -> int:
    start = index
    while index < ceiling and index - start < MAX_NAME_TOKENS and _is_name_part(doc, index):
        if not sizes and _SIZE.match(doc[index].text):
            break
        index += 1
    while index > start and doc[index - 1].text == "-":
        index -= 1
    return index


def _trimmed(doc: Any, start: int, end: int, scope: GuessScope) -> TokenRange | None:
    """Drop leading company names (``Meta`` in "Meta Zephyr", not ``DeepSeek`` in
    ``DeepSeek-V4``), hyphens and function words; the rest must start a name."""
    while start < end and (
        _is_company_before_name(doc, start, scope) or doc[start].text == "-"
        or not _starts_name(doc[start])
    ):
        start += 1
    while end > start and doc[end - 1].text == "-":
        end -= 1
    return (start, end) if start < end else None


def _is_company_before_name(doc: Any, index: int, scope: GuessScope) -> bool:
    if index not in scope.company_tokens:
        return False
    return not (index + 1 < len(doc) and doc[index + 1].text == "-" and _glued(doc, index + 1))


def _is_name_part(doc: Any, index: int) -> bool:
    token = doc[index]
    text = token.text
    lower = token.lower_
    if text == "-":
        return _glued(doc, index)
    if token.is_stop or lower in NAME_STOP_WORDS or lower in GENERIC_TERMS:
        return False
    if not text.isprintable():
        return False
    if text[:1].isupper() or VERSION.match(text) or _SIZE.match(text):
        return True
    return _glued_to_name(doc, index) and bool(token.is_alpha)


def _starts_name(token: Any) -> bool:
    text = token.text
    return bool(
        text[:1].isupper() and not token.is_stop and token.lower_ not in NAME_STOP_WORDS
        and token.lower_ not in GENERIC_TERMS and not _QUARTER.match(text)
    )


def _glued(doc: Any, index: int) -> bool:
    """A hyphen with no space either side (``Zephyr-2``)."""
    return index > 0 and not doc[index - 1].whitespace_ and not doc[index].whitespace_


def _glued_to_name(doc: Any, index: int) -> bool:
    """A lower-case word hyphen-glued after a name part (``mini`` in ``o3-mini``)."""
    if index < 2 or doc[index - 1].text != "-" or not _glued(doc, index - 1):
        return False
    before = doc[index - 2].text
    return before[:1].isupper() or _has_letters_and_digits(before)


def _is_shaped(doc: Any, name: TokenRange) -> bool:
    """A version-shaped name: a token with letters and digits, or a word then a number."""
    tokens = [doc[i].text for i in range(*name)]
    if any(_has_letters_and_digits(text) for text in tokens):
        return True
    return len(tokens) > 1 and any(VERSION.match(text) for text in tokens[1:])


def _has_letters_and_digits(text: str) -> bool:
    return any(char.isdigit() for char in text) and any(char.isalpha() for char in text)


def _skip_quote_back(doc: Any, index: int) -> int:
    while index >= 0 and doc[index].is_quote:
        index -= 1
    return index


def _skip_lead_ins(doc: Any, index: int, ceiling: int) -> int:
    start = index
    while index < ceiling and index - start < 3 and doc[index].lower_ in _LEAD_INS:
        index += 1
    return index


def _release_verb_before(doc: Any, start: int, first: int) -> bool:
    index = start - 1
    while index >= first and start - index <= 4 and doc[index].lower_ in _LEAD_INS:
        index -= 1
    return index >= first and doc[index].lower_ in RELEASE_VERBS


def _owner_before(doc: Any, start: int) -> bool:
    """A possessive right before the name (``Tidewater AI's Nimbus-7B``)."""
    return start > 0 and doc[start - 1].lower_ == "'s"
