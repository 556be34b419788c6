"""Decide over the facts of all chunks of one text and build its mentions. Pure: no spaCy.

Where it sits in the flow: after ``reading`` (one :class:`ChunkFacts` per chunk), before stock
reactions. In order:

1. unambiguous catalog hits count (``disambiguation.decide``); they are the evidence for the
   rest (which company groups the article and each sentence name, which names stand in lists);
2. hits that need context are decided with that evidence, and with the words the article
   shows to be part of other names (``Spark`` in "Apache Spark": a bare ``Spark`` elsewhere
   then needs a fitting word of its own);
   a rejected company at a sentence start with a company's verb after it is decided again
   once its record is known to be accepted elsewhere (``Amazon did not comment``);
3. guesses that extend a catalog name with a version (``Gemini 7``) stand or fall with that
   name's hit; ``GPT-6``-style guesses need AI words or the family's group in the article;
4. overlaps are settled: a name inside a longer one loses to it; among the rest the more
   specific name wins (the longer, not counting a developer prefix: "Claude 3.5 Sonnet" beats
   "Anthropic's Claude"), a catalog mention before a guess, then the more confident. A company
   named in the possessive at the start of a longer name stays a mention (``Meta`` in
   "Meta's Llama"); one that is merely part of a product name does not ("Meta AI");
5. statistical-NER organisations survive only where no mention is, where the catalog did not
   reject the very same words (``Apple`` in "apple pie" stays rejected; ``Apple Records`` is
   another organisation), and when the NER does not call the same name a person or a place
   more often in the text (``Trump`` tagged ORG once and PERSON twice);
6. unknown models get their developer: the catalog entity they extend, else the nearest
   company named before them in the sentence, else one right after "by" or "from";
7. models named by their version alone ("V4" after "DeepSeek-V4") are linked to the model
   named in full, or dropped, and so are NER organisations on them (``short_names``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from config.catalog import Catalog
from pipeline.nlp.catalog_patterns import NameTable
from pipeline.nlp.chunking import PreparedText
from pipeline.nlp.disambiguation import Evidence, Verdict, decide
from pipeline.nlp.facts import ChunkFacts, Hit, ModelGuess, OrgSpan
from pipeline.nlp.linking import Linker, Where, org_mention
from pipeline.nlp.short_names import settle_short_names
from pipeline.nlp.types import EntityMention, EntityType

_LIST_GAP = re.compile(r"^\s*(?:,|;|/|&|and|or|,\s*and|,\s*or)\s*$", re.IGNORECASE)
_AGENT_GAP = re.compile(r"\b(?:by|from)\s+(?:the\s+)?$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"^'s?\s")
_POSSESSIVE_AT = re.compile(r"'s?\s")
"""A possessive where ``match(text, position)`` is asked (``^`` holds only at the text start)."""
_MAX_AGENT_GAP = 80
_NO_EVIDENCE = Evidence()

Accepted = tuple[Hit, Verdict]


@dataclass(slots=True)
class _Choice:
    """A catalog hit or a guess competing for its span (short-lived and private to this
    module: not frozen, as one is made per accepted hit and a frozen one costs three times as
    much to make)."""

    start: int
    end: int
    rank: int
    """0 for catalog hits, 1 for guesses: the catalog wins a tie."""
    confidence: float
    hit: Hit | None = None
    guess: ModelGuess | None = None
    name_start: int | None = None
    """Where the name proper starts, after a developer prefix (``Claude`` in "Anthropic's
    Claude"): the prefix does not make a hit more specific than "Claude 3.5 Sonnet"."""
    inner: bool = False
    """Strictly inside another candidate's span: it only fills in where that one loses."""

    def order(self) -> tuple[bool, int, int, int, float, int]:
        name_start = self.start if self.name_start is None else self.name_start
        return (self.inner, name_start - self.end, self.start - self.end, self.rank,
                -self.confidence, self.start)


class _Intervals:
    """Disjoint ``[start, end)`` intervals with an O(log n) overlap test."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect_left(self._spans, (end, end))
        return index > 0 and self._spans[index - 1][1] > start

    def add(self, start: int, end: int) -> None:
        insort(self._spans, (start, end))


class Resolver:
    """Turns the facts of one text into its mentions; built once from the catalog."""

    def __init__(self, catalog: Catalog, names: NameTable):
        self._linker = Linker(catalog)
        self._families = names.families
        self._products = frozenset(product for company in catalog.companies
                                   for product in company.products)

    def resolve(
        self, prepared: PreparedText, facts: Sequence[ChunkFacts]
    ) -> tuple[EntityMention, ...]:
        """Every mention of the text, in text order."""
        text = prepared.normalised
        hits = [hit for chunk in facts for hit in chunk.hits]
        verdicts = self._decide(text, hits)
        accepted = [(hit, verdict) for hit, verdict in verdicts if verdict.accepted]
        prefixes = self._developer_prefixes(accepted)
        prefixed = {hit.start for hit in prefixes}  # tested before a whole Hit is hashed
        choices = [
            _Choice(h.start, h.end, 0, v.confidence, hit=h,
                    name_start=_name_start(text, prefixes.get(h)) if h.start in prefixed else None)
            for h, v in accepted
        ]
        guesses = [guess for chunk in facts for guess in chunk.guesses]
        choices += [_Choice(g.start, g.end, 1, g.confidence, guess=g)
                    for g in self._supported_guesses(guesses, verdicts)]
        chosen = _select(_mark_inner(choices))
        chosen += [
            _Choice(owner.start, owner.end, 0, verdict.confidence, hit=owner)
            for choice in chosen
            if choice.hit is not None and choice.hit.start in prefixed and choice.hit in prefixes
            for owner, verdict in [prefixes[choice.hit]] if _POSSESSIVE.match(text[owner.end :])
        ]
        rejected = [hit for hit, verdict in verdicts if not verdict.accepted]
        orgs = [org for org in _surviving_orgs(_orgs_by_majority(facts), chosen, rejected)
                if org.text not in self._products]  # "WhatsApp" is Meta's app
        return settle_short_names(self._link(prepared, chosen, orgs))

    def _decide(self, text: str, hits: list[Hit]) -> list[Accepted]:
        """Hits that need no context are decided alone, once; the others with the evidence of
        those accepted."""
        alone = [None if hit.needs_context else decide(hit, _NO_EVIDENCE) for hit in hits]
        plain = [
            hit for hit, verdict in zip(hits, alone, strict=True)
            if verdict is not None and verdict.accepted
        ]
        by_sentence: dict[int, list[Hit]] = defaultdict(list)
        for hit in plain:
            by_sentence[hit.sentence].append(hit)
        groups = {self._families.get(hit.entity_id) for hit in plain}
        in_other_names = {
            hit.text.lower() for hit in hits if hit.needs_context and hit.context.name_continues
        }
        decided = [
            (hit, verdict if verdict is not None else decide(hit, self._evidence(
                text, hit, by_sentence[hit.sentence], groups, in_other_names
            )))
            for hit, verdict in zip(hits, alone, strict=True)
        ]
        found = {hit.entity_id for hit, verdict in decided if verdict.accepted}
        return [
            (hit, decide(hit, replace(self._evidence(
                text, hit, by_sentence[hit.sentence], groups, in_other_names
            ), record_in_article=True)) if _second_look(hit, verdict, found) else verdict)
            for hit, verdict in decided
        ]

    def _evidence(
        self, text: str, hit: Hit, sentence: list[Hit], groups: set[str | None],
        in_other_names: set[str],
    ) -> Evidence:
        """What the accepted plain hits say about a hit that needs context; ``in_other_names``
        holds the words that some hit of the article showed to be part of another name."""
        group = self._families.get(hit.entity_id)
        others = [other for other in sentence if other.end <= hit.start or other.start >= hit.end]
        return Evidence(
            group_in_sentence=any(self._families.get(o.entity_id) == group for o in others),
            group_in_article=group in groups,
            listed_with_peer=any(o.kind == hit.kind and _listed(text, hit, o) for o in others),
            catalog_in_sentence=bool(others),
            model_in_sentence=any(o.kind == "model" for o in others),
            word_in_other_name=hit.text.lower() in in_other_names,
        )

    def _supported_guesses(
        self, guesses: list[ModelGuess], verdicts: list[Accepted]
    ) -> list[ModelGuess]:
        """A version guess stands with the catalog hit it extends; without one (``GPT-6``) it
        needs AI words or its family's group named in the text."""
        decided = {(hit.start, hit.entity_id): verdict.accepted for hit, verdict in verdicts}
        groups = {self._families.get(hit.entity_id) for hit, v in verdicts if v.accepted}
        kept = []
        for guess in guesses:
            base = (guess.start if guess.extends_at is None else guess.extends_at, guess.extends)
            if guess.extends is None:
                kept.append(guess)
            elif base in decided:
                if decided[base]:
                    kept.append(guess)
            elif guess.ai_words > 0 or self._families.get(guess.extends) in groups:
                kept.append(guess)
        return kept

    def _developer_prefixes(self, accepted: list[Accepted]) -> dict[Hit, Accepted]:
        """Hits that start with a company of their group (``Meta's Llama``, "Microsoft
        Copilot") -> that company's hit."""
        companies: dict[int, list[Accepted]] = defaultdict(list)
        for hit, verdict in accepted:
            if hit.kind == "company":
                companies[hit.start].append((hit, verdict))
        prefixes: dict[Hit, Accepted] = {}
        for hit, _ in accepted:
            group = self._families.get(hit.entity_id)
            for company, verdict in companies.get(hit.start, ()):
                if company.end < hit.end and self._families.get(company.entity_id) == group:
                    prefixes[hit] = (company, verdict)
        return prefixes

    def _link(
        self, prepared: PreparedText, chosen: list[_Choice], orgs: list[OrgSpan]
    ) -> tuple[EntityMention, ...]:
        text, sentences = prepared.original, prepared.sentences

        def where(start: int, end: int, sentence: int) -> Where:
            return Where(start, end, *sentences[sentence])

        mentions: list[tuple[int, EntityMention]] = [
            (c.hit.sentence, self._linker.catalog_mention(
                text, c.hit, where(c.start, c.end, c.hit.sentence), c.confidence))
            for c in chosen if c.hit is not None
        ]
        mentions += [(o.sentence, org_mention(text, where(o.start, o.end, o.sentence)))
                     for o in orgs]
        companies = [(s, m) for s, m in mentions if m.type is not EntityType.MODEL]
        for choice in chosen:
            if choice.guess is not None:
                guess = choice.guess
                developer = _developer(text, guess, companies)
                place = where(guess.start, guess.end, guess.sentence)
                mentions.append((guess.sentence,
                                 self._linker.guess_mention(text, guess, place, developer)))
        return tuple(sorted((m for _, m in mentions), key=lambda m: (m.start, m.end)))


def _second_look(hit: Hit, verdict: Verdict, found: set[str]) -> bool:
    """A rejected company at a sentence start with a company's verb after it (``Amazon did not
    comment``), whose record the first pass accepted elsewhere: decide it again with that."""
    context = hit.context
    return (
        not verdict.accepted and context.company_verb and context.sentence_initial
        and hit.entity_id in found
    )


def _name_start(text: str, prefix: Accepted | None) -> int | None:
    """Where a name proper starts after its developer prefix and its possessive ("Llama" in
    "Meta's Llama", which "Llama 5" then beats)."""
    if prefix is None:
        return None
    possessive = _POSSESSIVE_AT.match(text, prefix[0].end)
    return possessive.end() if possessive else prefix[0].end


def _mark_inner(choices: list[_Choice]) -> list[_Choice]:
    """Mark the candidates that lie strictly inside another candidate's span."""
    marked: list[_Choice] = []
    reach = -1
    reach_span = (-1, -1)
    for choice in sorted(choices, key=lambda c: (c.start, -c.end)):
        inner = reach >= choice.end and reach_span != (choice.start, choice.end)
        marked.append(replace(choice, inner=inner) if inner else choice)
        if choice.end > reach:
            reach, reach_span = choice.end, (choice.start, choice.end)
    return marked


def _select(choices: Iterable[_Choice]) -> list[_Choice]:
    """In :meth:`_Choice.order`, each candidate that overlaps none taken before it."""
    taken = _Intervals()
    chosen: list[_Choice] = []
    for choice in sorted(choices, key=_Choice.order):
        if not taken.overlaps(choice.start, choice.end):
            taken.add(choice.start, choice.end)
            chosen.append(choice)
    return chosen


def _listed(text: str, hit: Hit, other: Hit) -> bool:
    """Only a comma, "and", "or", "&" or "/" between the two names."""
    gap = text[hit.end : other.start] if hit.end <= other.start else text[other.end : hit.start]
    return len(gap) < 8 and bool(_LIST_GAP.match(gap))


def _orgs_by_majority(facts: Sequence[ChunkFacts]) -> list[OrgSpan]:
    """The NER's organisations, without names it calls a person or place more often."""
    orgs = [org for chunk in facts for org in chunk.orgs]
    as_org = Counter(org.text for org in orgs)
    as_other = Counter(name for chunk in facts for name in chunk.not_orgs)
    return [org for org in orgs if as_other[org.text] <= as_org[org.text]]


def _surviving_orgs(
    orgs: list[OrgSpan], chosen: list[_Choice], rejected: list[Hit]
) -> list[OrgSpan]:
    taken = _Intervals()
    for choice in sorted(chosen, key=lambda c: c.start):
        if not taken.overlaps(choice.start, choice.end):
            taken.add(choice.start, choice.end)
    refused = sorted((hit.start, hit.end) for hit in rejected)
    longest = max((end - start for start, end in refused), default=0)
    starts = [start for start, _ in refused]
    survivors = []
    for org in orgs:
        if taken.overlaps(org.start, org.end):
            continue
        nearby = refused[bisect_left(starts, org.start - longest) : bisect_left(starts, org.end)]
        clashes = [(start, end) for start, end in nearby if start < org.end and end > org.start]
        if all(_wider(org, start, end) for start, end in clashes):
            survivors.append(org)
    return survivors


def _wider(org: OrgSpan, start: int, end: int) -> bool:
    """The organisation covers a rejected hit and more words (``Apple Records``)."""
    return org.start <= start and org.end >= end and org.end - org.start > end - start + 1


def _developer(
    text: str, guess: ModelGuess, companies: list[tuple[int, EntityMention]]
) -> EntityMention | None:
    """The nearest company before the guess in its sentence, else one right after by/from."""
    same = [mention for sentence, mention in companies if sentence == guess.sentence]
    before = [m for m in same if m.end <= guess.start]
    if before:
        return max(before, key=lambda m: m.end)
    after = sorted((m for m in same if m.start >= guess.end), key=lambda m: m.start)
    for mention in after:
        gap = text[guess.end : mention.start]
        if len(gap) <= _MAX_AGENT_GAP and _AGENT_GAP.search(gap):
            return mention
    return None
