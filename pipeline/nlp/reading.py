"""Read one chunk's spaCy ``Doc`` into plain :class:`~pipeline.nlp.facts.ChunkFacts`.

Where it sits in the flow: ``Tagger`` runs ``nlp.pipe`` over the chunks inside a memory zone and
hands each ``Doc`` here; nothing spaCy leaves this call. In order:

1. catalog hits: the ``catalog_ruler``'s matches, kept when the spelling fits the alias's case rule
   (``casing``); hits that need context (ambiguous, shouted, bare tickers) get their
   :class:`~pipeline.nlp.facts.Context` read (``context``);
2. unknown-model guesses from the ``cue_ruler``'s anchors (``unknown_models``), English only;
3. organisations from the statistical NER (label ``ORG``), trimmed of "the" and "'s", English only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.nlp.casing import CaseFit, case_fit, is_shouted_text, ticker_fits
from pipeline.nlp.catalog_patterns import MODEL_LABEL, TICKER_LABEL, NameTable
from pipeline.nlp.context import HitTokens, is_prefix_compound, read_context, read_guard
from pipeline.nlp.facts import (
    NO_CONTEXT,
    ChunkFacts,
    Context,
    Hit,
    HitKind,
    HitSource,
    ModelGuess,
    OrgSpan,
)
from pipeline.nlp.spacy_pipeline import Match, ruler_matches
from pipeline.nlp.unknown_models import (
    STEM_LABEL,
    GuessScope,
    TokenGuess,
    ai_words_in,
    find_guesses,
    stem_anchors,
)
from pipeline.nlp.vocabulary import GENERIC_TERMS, names_a_sector

CATALOG_SPANS = "catalog"
TICKER_SPANS = "tickers"
CUE_SPANS = "cues"
_FIT_CACHE_SIZE = 100_000
_ENGLISH_SAMPLE = 400
_ENGLISH_SAMPLE_CHARS = 4000
_ENGLISH_MIN_WORDS = 30
_ENGLISH_STOP_SHARE = 0.2
_PERSON_OR_PLACE = frozenset({"PERSON", "GPE", "LOC", "NORP", "FAC"})
_ORG_TRIM_START = frozenset({"the", "'s", "-", '"', "'", "("})
_ORG_TRIM_END = frozenset({"'s", "'", '"', ")", "-", ",", "."})



@dataclass(frozen=True)
class SentenceIndex:
    """The text's sentence spans (character offsets), searchable by offset."""

    spans: tuple[tuple[int, int], ...]
    starts: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(start for start, _ in self.spans))

    def index_of(self, offset: int) -> int:
        """The index of the sentence holding ``offset`` (the one before, between sentences)."""
        return max(0, bisect_right(self.starts, offset) - 1)


@dataclass(frozen=True)
class _Fit:
    """How a spelling fits one alias form."""

    rank: int
    source: HitSource
    ambiguous: bool
    shouted: bool = False
    is_name: bool = False
    short: bool = False


_BARE_TICKER = _Fit(0, "bare_ticker", ambiguous=True)
"""A bare upper-case ticker: no alias to fit, always read in context."""


@dataclass(slots=True)
class _Candidate:
    """A ruler match whose spelling fits, before its context is read (private and
    short-lived: not frozen, as one is made per match); ``first``/``stop`` are its tokens,
    ``start``/``end`` its characters in the whole text."""

    first: int
    stop: int
    start: int
    end: int
    surface: str
    entity_id: str
    kind: HitKind
    sentence: int
    fit: _Fit
    needs_context: bool
    shouted: bool = False


@dataclass
class _DocView:
    """One ``Doc`` being read: the normalised text it is a chunk of, its offset there, and
    cached sentence token ranges (``Doc.text`` is rebuilt on each call, so it is not used)."""

    doc: Any
    text: str
    offset: int
    end: int
    sentences: SentenceIndex
    _token_ranges: dict[int, tuple[int, int]] = field(default_factory=dict)
    _lowers: dict[int, list[str]] = field(default_factory=dict)

    def sentence_of_char(self, char: int) -> int:
        return self.sentences.index_of(self.offset + char)

    def token_range(self, sentence: int) -> tuple[int, int]:
        if sentence not in self._token_ranges:
            start, end = self.sentences.spans[sentence]
            span = self.doc.char_span(
                start - self.offset, end - self.offset, alignment_mode="expand"
            )
            bounds = (span.start, span.end) if span is not None else (0, len(self.doc))
            self._token_ranges[sentence] = bounds
        return self._token_ranges[sentence]

    def sentence_of_token(self, index: int) -> tuple[int, int]:
        return self.token_range(self.sentence_of_char(self.doc[index].idx))

    def sentence_lowers(self, sentence: int) -> list[str]:
        """The lower-case forms of a sentence's tokens, read once (its hits share them); only
        the sentences with a hit that needs context are read."""
        if sentence not in self._lowers:
            first, end = self.token_range(sentence)
            self._lowers[sentence] = [token.lower_ for token in self.doc[first:end]]
        return self._lowers[sentence]

    def sentence_text(self, sentence: int) -> str:
        start, end = self.sentences.spans[sentence]
        return self.text[start:end]


class DocReader:
    """Turns a ``Doc`` into :class:`ChunkFacts`; built once from the catalog's name table."""

    def __init__(self, names: NameTable, *, guess_models: bool, uses_ner: bool):
        self._names = names
        self._uses_ner = uses_ner
        self._guess_models = guess_models
        self._fits: dict[tuple[str, str], _Fit | None] = {}

    def read(
        self, doc: Any, text: str, chunk: tuple[int, int], sentences: SentenceIndex
    ) -> ChunkFacts:
        """The hits, guesses and organisations of ``doc``, made of ``text[start:end]`` for
        ``chunk = (start, end)``; ``text`` is the whole normalised text."""
        view = _DocView(doc, text, chunk[0], chunk[1], sentences)
        matches = [*ruler_matches(doc, CATALOG_SPANS), *ruler_matches(doc, TICKER_SPANS)]
        found = [hit for match in matches if (hit := self._candidate(view, match))]
        found = _drop_hits_inside_plain_hits(found)
        covered = frozenset(i for c in found for i in range(c.first, c.stop))
        sample = text[chunk[0] : min(chunk[1], chunk[0] + _ENGLISH_SAMPLE_CHARS)]
        english = (self._uses_ner or self._guess_models) and _looks_english(sample)
        ner = self._uses_ner and english  # the NER's labels on other languages are noise
        hits = tuple(self._hit(view, candidate, covered, ner) for candidate in found)
        guesses = self._guesses(view, found) if self._guess_models and english else ()
        if not ner:
            return ChunkFacts(hits, (), guesses)
        ents = doc.ents  # built anew on each access
        return ChunkFacts(hits, _read_orgs(view, ents), guesses, _read_not_orgs(ents))

    def _candidate(self, view: _DocView, match: Match) -> _Candidate | None:
        """The match as a candidate hit, if its spelling fits one of the entity's aliases."""
        label, entity_id, first, stop = match
        doc = view.doc
        last = doc[stop - 1]
        start_char = doc[first].idx if stop - first > 1 else last.idx
        start, end = view.offset + start_char, view.offset + last.idx + len(last)
        surface = view.text[start:end]  # the span's text, without joining its tokens again
        if label == TICKER_LABEL:
            fit = None
        elif (fit := self._best_fit(entity_id, surface)) is None:
            return None
        sentence = view.sentence_of_char(start_char)
        kind: HitKind = "model" if label == MODEL_LABEL else "company"
        if fit is None:
            return _Candidate(first, stop, start, end, surface, entity_id, kind, sentence,
                              _BARE_TICKER, needs_context=True)
        shouted = fit.shouted and not is_shouted_text(view.sentence_text(sentence))
        return _Candidate(first, stop, start, end, surface, entity_id, kind, sentence, fit,
                          needs_context=fit.ambiguous or shouted, shouted=shouted)

    def _hit(
        self, view: _DocView, candidate: _Candidate, covered: frozenset[int], ner: bool
    ) -> Hit:
        """The hit, made once with its context."""
        c = candidate
        return Hit(
            c.start, c.end, c.surface, c.entity_id, c.kind, c.fit.source,
            needs_context=c.needs_context, sentence=c.sentence,
            # a hyphen must be the very next character (spares making the next tokens)
            prefix_compound=view.text[c.end : c.end + 1] == "-"
            and is_prefix_compound(view.doc, c.stop),
            shouted=c.shouted,
            is_name=c.fit.is_name, short_alias=c.fit.short and c.needs_context,
            context=self._context(view, c, covered, ner),
        )

    def _best_fit(self, entity_id: str, surface: str) -> _Fit | None:
        """How the spelling fits the entity's aliases (cached: names repeat)."""
        key = (entity_id, surface)
        if key not in self._fits:
            if len(self._fits) >= _FIT_CACHE_SIZE:
                self._fits.clear()
            self._fits[key] = self._fit(entity_id, surface)
        return self._fits[key]

    def _fit(self, entity_id: str, surface: str) -> _Fit | None:
        """The best fit: unambiguous and full-case fits first (see ``casing``)."""
        fits: list[_Fit] = []
        for form in self._names.forms_for(entity_id, surface):
            if form.ticker is not None:
                if ticker_fits(surface, form.ticker):
                    fits.append(_Fit(0, "ticker_form", ambiguous=False))
                continue
            fit = case_fit(surface, form.text, ambiguous=form.ambiguous)
            if fit is not CaseFit.NONE:
                shouted = fit is CaseFit.SHOUTED
                rank = 2 if shouted else int(form.ambiguous)
                fits.append(
                    _Fit(rank, "name", form.ambiguous, shouted, form.is_name, form.short)
                )
        return min(fits, key=lambda fit: fit.rank) if fits else None

    def _context(
        self, view: _DocView, hit: _Candidate, covered: frozenset[int], ner: bool
    ) -> Context:
        """Full context for hits that need it; the cheap person/surname guard for one-word
        names the catalog spells unambiguously; nothing for longer names."""
        if not hit.needs_context and hit.stop - hit.first > 1:
            return NO_CONTEXT
        tokens = HitTokens(hit.first, hit.stop, view.token_range(hit.sentence), hit.kind)
        if not hit.needs_context:
            guard = read_guard(view.doc, tokens, covered, ner=ner)
            return NO_CONTEXT if guard is None else guard
        return read_context(
            view.doc, tokens, covered, shouted=hit.shouted, versioned=hit.fit.is_name, ner=ner,
            tickers=self._names.bare_tickers,
            sentence_lowers=view.sentence_lowers(hit.sentence), short=hit.fit.short,
        )

    def _guesses(self, view: _DocView, found: list[_Candidate]) -> tuple[ModelGuess, ...]:
        doc = view.doc
        company_tokens = _tokens_of(found, "company")
        scope = GuessScope(
            sentence_of=view.sentence_of_token,
            model_hits=_longest_by_start(found, "model"),
            company_hits=_longest_by_start(found, "company"),
            catalog_tokens=_tokens_of(found, "model") | company_tokens,
            company_tokens=company_tokens,
            stems=self._names.stems,
        )
        anchors = [(label, start) for label, _, start, _ in ruler_matches(doc, CUE_SPANS)]
        for char in stem_anchors(view.text[view.offset : view.end], self._names.stems):
            token = doc.char_span(char, char + 1, alignment_mode="expand").start
            anchors.append((STEM_LABEL, token))
        guesses = find_guesses(doc, anchors, scope)
        return tuple(_to_guess(view, guess, scope) for guess in guesses)


def _drop_hits_inside_plain_hits(found: list[_Candidate]) -> list[_Candidate]:
    """Hits needing context inside a longer plain hit (``Spark`` in "Muse Spark") cannot win
    their span; dropping them early spares reading their context (their tokens stay covered by
    the longer hit)."""
    reach: dict[int, int] = {}
    for hit in found:
        if not hit.needs_context:
            for index in range(hit.first, hit.stop):
                reach[index] = max(reach.get(index, 0), hit.stop)
    return [
        hit for hit in found if not (hit.needs_context and reach.get(hit.first, -1) >= hit.stop)
    ]


def _longest_by_start(found: list[_Candidate], kind: HitKind) -> dict[int, tuple[int, str]]:
    longest: dict[int, tuple[int, str]] = {}
    for hit in sorted(found, key=lambda hit: hit.stop - hit.first):
        if hit.kind == kind:
            longest[hit.first] = (hit.stop, hit.entity_id)
    return longest


def _tokens_of(found: list[_Candidate], kind: HitKind) -> frozenset[int]:
    return frozenset(
        i for hit in found if hit.kind == kind for i in range(hit.first, hit.stop)
    )


def _to_guess(view: _DocView, guess: TokenGuess, scope: GuessScope) -> ModelGuess:
    doc = view.doc
    span = doc[guess.start : guess.end]
    return ModelGuess(
        start=view.offset + span.start_char, end=view.offset + span.end_char, text=span.text,
        sentence=view.sentence_of_char(span.start_char), confidence=guess.confidence,
        rule=guess.rule, extends=guess.extends,
        ai_words=ai_words_in(doc, scope.sentence_of(guess.start), scope),
        extends_at=None if guess.extends_at is None else view.offset + doc[guess.extends_at].idx,
        version_at=None if guess.version_at is None else view.offset + doc[guess.version_at].idx,
    )


def _read_orgs(view: _DocView, ents: Sequence[Any]) -> tuple[OrgSpan, ...]:
    orgs: list[OrgSpan] = []
    doc = view.doc
    for ent in ents:
        if ent.label_ != "ORG":
            continue
        start, end = _trim_org(doc, ent.start, ent.end)
        if start >= end:
            continue
        last = doc[end - 1]
        first_char, end_char = doc[start].idx, last.idx + len(last)
        text = view.text[view.offset + first_char : view.offset + end_char]  # ``doc[start:end]``
        if _plausible_org(text):
            orgs.append(OrgSpan(
                view.offset + first_char, view.offset + end_char, text,
                view.sentence_of_char(first_char),
            ))
    return tuple(orgs)


def _read_not_orgs(ents: Sequence[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for ent in ents:
        if ent.label_ in _PERSON_OR_PLACE:
            names.append(ent.text)
            if ent.label_ == "PERSON" and len(ent) > 1:
                names.append(ent[-1].text)
    return tuple(names)


def _trim_org(doc: Any, start: int, end: int) -> tuple[int, int]:
    while start < end and (doc[start].lower_ in _ORG_TRIM_START or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].lower_ in _ORG_TRIM_END or doc[end - 1].is_space):
        end -= 1
    return start, end


def _plausible_org(text: str) -> bool:
    """A name: a capital letter, not a generic term (``AI``) nor a market sector (``Tech``,
    ``Software`` at a sentence start), one line, not too long."""
    return (
        any(map(str.isupper, text)) and text.lower() not in GENERIC_TERMS
        and not names_a_sector(text) and "\n" not in text and len(text) <= 80
        and len(text.split()) <= 8 and text.isprintable()
    )


def _looks_english(text: str) -> bool:
    """English running text has many function words; a German or Chinese text has few."""
    sample = text.lower().split(None, _ENGLISH_SAMPLE)[:_ENGLISH_SAMPLE]
    words = [word for word in sample if word.isalpha()]
    if len(words) < _ENGLISH_MIN_WORDS:
        return True
    return sum(map(STOP_WORDS.__contains__, words)) / len(words) >= _ENGLISH_STOP_SHARE
