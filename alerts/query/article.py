"""An article made ready for evaluating many queries: words, positions and lookups built once.

Where it sits in the flow: matching wraps each :class:`~alerts.types.ArticleView` in a
:class:`PreparedArticle`, then evaluates every candidate query against it. Everything here is
computed on first use and kept for the article's lifetime, so a thousand queries that all look for
"nvidia" cost one dictionary lookup each after the first. The text's lead, which ``lead:(...)``
looks at beside the title, is defined once here (:func:`lead_end`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from itertools import repeat

from alerts.query.ast import Node, Scope, Words
from alerts.query.words import CutText, literal_key
from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef
from config.catalog import alias_key

FIELDS = ("title", "text")
LEAD = "lead"
"""The scope of ``lead:(...)``: the title and the text's lead (:func:`lead_end`)."""
LEAD_PARAGRAPH_CHARS = 100
LEAD_MAX_CHARS = 1000
LEAD_FALLBACK_CHARS = 400
_PARAGRAPH = re.compile(r"[^\n]+")
_TO_WORD_END = re.compile(r"\S*")

Span = tuple[str, int, int]
"""(field, start, end): characters ``[start, end)`` of the article's ``title`` or ``text``."""
Hits = Mapping[str, Mapping[tuple[str, str], list[int]]]
"""The matcher's hits: field -> word key -> where each occurrence ends in the field's folded
words (the index of its trailing space), ascending."""
Occurrence = tuple[str, int, int]
"""(field, first word, last word + 1): a word or phrase found, by word index."""


def lead_end(text: str) -> int:
    """Where an article text's lead ends: the end of its first paragraph (a line) of at least
    100 characters, shorter lines before it included (a dateline, a caption, an image's
    leftovers). Without paragraphs (no line break), or if that paragraph ends beyond 1,000
    characters, or there is none: the first 400 characters, to the end of the word there.
    ``lead:(...)`` looks at the title and ``text[:lead_end(text)]``."""
    if "\n" in text.strip():
        for paragraph in _PARAGRAPH.finditer(text):
            if paragraph.end() > LEAD_MAX_CHARS:
                break
            if len(paragraph.group().strip()) >= LEAD_PARAGRAPH_CHARS:
                return paragraph.end()
    if len(text) <= LEAD_FALLBACK_CHARS:
        return len(text)
    found = _TO_WORD_END.match(text, LEAD_FALLBACK_CHARS)
    return found.end() if found else LEAD_FALLBACK_CHARS


def scope_fields(scope: Scope) -> tuple[str, ...]:
    """The fields a filter with ``scope`` looks in (the lead: both, the text up to its lead's
    end)."""
    return FIELDS if scope is None or scope == LEAD else (scope,)


class FieldWords:
    """The words of one field, folded and joined; their offsets are computed on first use."""

    def __init__(self, text: str) -> None:
        self._cut = CutText(text)
        self.words = self._cut.words
        self.folded = f" {' '.join(self.words)} "
        """The folded words between single spaces, with a space at each end."""

    @cached_property
    def bounds(self) -> tuple[list[int], list[int] | None, list[int]]:
        """:attr:`offsets` and :attr:`starts` at once (:meth:`CutText.bounds`)."""
        return self._cut.bounds()

    @property
    def starts(self) -> list[int]:
        """Where each word starts in :attr:`folded` (ascending), to number a hit's words."""
        return self.bounds[2]

    @property
    def offsets(self) -> tuple[list[int], list[int] | None]:
        """The start offset of each word in the field's text, and of each word's end (None:
        a word ends at its start plus its length)."""
        bounds = self.bounds
        return bounds[0], bounds[1]

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The characters of words ``first`` to ``last`` (inclusive) in the field's text."""
        starts, ends = self.offsets
        return starts[first], (starts[last] + len(self.words[last]) if ends is None
                               else ends[last])


class PreparedArticle:
    """An :class:`ArticleView` with the lookups evaluation needs, built lazily."""

    def __init__(self, view: ArticleView) -> None:
        self.view = view
        self._occurrences: dict[tuple[tuple[str, ...], Scope], tuple[Occurrence, ...]] = {}
        self.results: dict[int, tuple[Node, datetime, tuple[MatchReason, ...] | None]] = {}
        """``id(filter)`` -> (filter, time, its answer then), filled by ``evaluate``."""
        self.present: set[tuple[str, str]] | None = None
        """Set by :class:`~alerts.matching.MatchIndex` for its own queries only: every key its
        automaton found, which includes every word and phrase of those queries that occurs. A
        word or phrase whose key is missing does not occur, without looking."""
        self.hits: Hits | None = None
        """Set by the matcher with :attr:`present`: field -> word key -> where its automaton
        found the words in the field's :attr:`FieldWords.folded` (index of the last
        character), so occurrences need no search."""

    @cached_property
    def fields(self) -> Mapping[str, FieldWords]:
        """The words of the title and of the text."""
        return {"title": FieldWords(self.view.title), "text": FieldWords(self.view.text)}

    @cached_property
    def folded(self) -> str:
        """Title and text as folded words between single spaces, the fields apart (`` a b | c ``),
        for the matcher's automaton."""
        return f"{self.fields['title'].folded}|{self.fields['text'].folded}"

    def occurrences(self, words: tuple[str, ...], scope: Scope) -> tuple[Occurrence, ...]:
        """Where the word or phrase occurs, in field order then text order."""
        key = (words, scope)
        found = self._occurrences.get(key)
        if found is None:
            found = self._occurrences[key] = self._find(words, scope)
        return found

    def occurrences_of(self, node: Words) -> tuple[Occurrence, ...]:
        """:meth:`occurrences` of a word or phrase filter, whose matcher key is made already."""
        memo = (node.words, node.scope)
        found = self._occurrences.get(memo)
        if found is None:
            hits = self.hits
            found = self._occurrences[memo] = self._find(node.words, node.scope) \
                if hits is None else self._found(node.key, len(node.words), node.scope, hits)
        return found

    def spans(self, occurrences: Iterable[Occurrence]) -> tuple[Span, ...]:
        """The character spans of word occurrences."""
        fields = self.fields
        return tuple((name, *fields[name].span(first, last - 1))
                     for name, first, last in occurrences)

    def hit_spans(self, key: tuple[str, str], size: int, scope: Scope) -> tuple[Span, ...]:
        """The character spans of a word key from the matcher's :attr:`hits` (which must be
        set), in field order then text order: :meth:`spans` of :meth:`occurrences` in one
        step, for the many filters the matcher explains per article."""
        hits = self.hits
        assert hits is not None
        back = len(key[1]) - 2  # a hit ending at ``end`` starts its first word at end - back
        spans: list[Span] = []
        for name in FIELDS if scope is None else scope_fields(scope):
            ends = hits[name].get(key)
            if not ends:
                continue
            field = self.fields[name]
            firsts, lasts, starts = field.bounds
            if scope == LEAD and name == "text":
                limit = self.lead_words
            elif size == 1 and lasts is None:  # the commonest: one word, folded in place
                spans += [(name, firsts[index], firsts[index] + back) for index in
                          map(bisect_left, repeat(starts), map(back.__rsub__, ends))]
                continue
            else:
                limit = len(field.words)
            words = field.words
            for end in ends:
                index = bisect_left(starts, end - back)
                last = index + size - 1
                if last < limit:
                    spans.append((name, firsts[index], firsts[last] + len(words[last])
                                  if lasts is None else lasts[last]))
        return tuple(spans)

    def _find(self, words: tuple[str, ...], scope: Scope) -> tuple[Occurrence, ...]:
        """Searched in each field's joined words (C speed); a hit is numbered by where the
        words start in the joined text."""
        literal = literal_key(words)
        if self.hits is not None:
            return self._found(("w", literal), len(words), scope, self.hits)
        found: list[Occurrence] = []
        for name in scope_fields(scope):
            field = self.fields[name]
            folded = field.folded
            start = folded.find(literal)
            if start == -1:
                continue
            starts = field.starts
            while start != -1:
                index = bisect_left(starts, start + 1)
                found.append((name, index, index + len(words)))
                start = folded.find(literal, start + 1)
        return self._in_lead(found) if scope == LEAD else tuple(found)

    def _in_lead(self, found: list[Occurrence]) -> tuple[Occurrence, ...]:
        """The occurrences in the title or in the text's lead."""
        limit = self.lead_words
        return tuple(occurrence for occurrence in found
                     if occurrence[0] == "title" or occurrence[2] <= limit)

    def _found(self, key: tuple[str, str], size: int, scope: Scope,
               hits: Hits) -> tuple[Occurrence, ...]:
        """Occurrences from the matcher's hits of a word ``key`` (``("w", literal)``): a hit
        ending at ``end`` starts its first word at ``end - len(literal) + 2``."""
        found: list[Occurrence] = []
        back = len(key[1]) - 2
        for name in scope_fields(scope):
            ends = hits[name].get(key)
            if ends:
                starts = self.fields[name].starts
                for end in ends:
                    index = bisect_left(starts, end - back)
                    found.append((name, index, index + size))
        return self._in_lead(found) if scope == LEAD else tuple(found)

    @cached_property
    def lead_end(self) -> int:
        """Where the text's lead ends (:func:`lead_end`)."""
        return lead_end(self.view.text)

    @cached_property
    def lead_words(self) -> int:
        """How many words of the text are in its lead (the lead ends between words)."""
        return len(CutText(self.view.text[:self.lead_end]).words)

    def in_scope(self, field: str, end: int, scope: Scope) -> bool:
        """Whether a tag of ``field`` ending at ``end`` is within ``scope``."""
        if scope is None:
            return True
        if scope == LEAD:
            return field == "title" or end <= self.lead_end
        return field == scope

    @cached_property
    def by_entity(self) -> Mapping[str, tuple[EntityRef, ...]]:
        """Catalog id -> the mentions of that entity or of its sub-organisations (by parent)."""
        refs = self.view.entities
        return _group(refs, ((ref.canonical_id, ref.parent_id) for ref in refs))

    @cached_property
    def by_ticker(self) -> Mapping[str, tuple[EntityRef, ...]]:
        """Ticker -> the mentions carrying it."""
        return _group(self.view.entities, ((ref.ticker,) for ref in self.view.entities))

    @cached_property
    def by_model_name(self) -> Mapping[str, tuple[EntityRef, ...]]:
        """A model name's comparison key (``gpt 5.5``, as the catalog compares names) -> the
        model mentions of that name, catalog or not (``model:`` of a model the catalog does not
        know)."""
        models = [ref for ref in self.view.entities if ref.type == "MODEL"]
        return _group(models, ((alias_key(ref.canonical),) for ref in models))

    @cached_property
    def by_developer(self) -> Mapping[str, tuple[EntityRef, ...]]:
        """Developer id -> the model mentions it developed."""
        return _group(self.view.entities, ((ref.developer_id,) for ref in self.view.entities))

    @cached_property
    def reaction_reasons(self) -> tuple[MatchReason, ...]:
        """One reason per stock reaction (``META up 3.1%``), made once so that every filter
        naming the reaction gives the same object."""
        return tuple(
            MatchReason("stock", _reaction_label(reaction),
                        ((reaction.field, reaction.start, reaction.end),))
            for reaction in self.view.reactions
        )

    @cached_property
    def date(self) -> datetime | None:
        """When the article was published (else fetched), in UTC."""
        when = self.view.published or self.view.fetched_at
        if when is None:
            return None
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)

    @cached_property
    def languages(self) -> frozenset[str]:
        """The language code and its primary part (``pt-br`` and ``pt``), case-folded."""
        code = (self.view.language or "").strip().casefold().replace("_", "-")
        return frozenset({code, code.split("-")[0]}) if code else frozenset()

    @cached_property
    def sites(self) -> frozenset[str]:
        """The host and every parent domain (``blog.example.com``, ``example.com``, ``com``)."""
        host = self.view.site.casefold().removeprefix("www.").strip(".")
        parts = host.split(".")
        if not host:
            return frozenset()
        return frozenset(".".join(parts[index:]) for index in range(len(parts)))

    @cached_property
    def source(self) -> str:
        return self.view.source.casefold()


def _reaction_label(reaction: ReactionRef) -> str:
    size = f" {reaction.magnitude_pct:g}%" if reaction.magnitude_pct is not None else ""
    return f"{reaction.ticker or reaction.company} {reaction.direction}{size}"


def _group(
    refs: Iterable[EntityRef], keys: Iterable[tuple[str | None, ...]]
) -> Mapping[str, tuple[EntityRef, ...]]:
    """Index mentions under each of their non-empty keys, keeping the mentions' order."""
    grouped: dict[str, list[EntityRef]] = defaultdict(list)
    for ref, ref_keys in zip(refs, keys, strict=True):
        for key in dict.fromkeys(ref_keys):
            if key:
                grouped[key].append(ref)
    return {key: tuple(found) for key, found in grouped.items()}
