"""Decide whether a catalog hit is the catalog's entity: the disambiguation rules, as data in,
verdict out.

Where it sits in the flow: ``resolution`` calls :func:`decide` for every hit, with the hit's
:class:`~pipeline.nlp.facts.Context` (read from the words around it) and the :class:`Evidence`
of the rest of the text (other accepted mentions). No tokens, no spaCy: the rules read as a list.

A hit the catalog spells unambiguously counts, unless it starts a hyphenated compound
(``Meta-analysis``) or, for one-word names, a person is meant (``novelist Siri``, ``Siri
Hustvedt``, or the NER's ``Michael Dell``). A hit that needs context (an ``ambiguous`` name or
alias, a shouted ``META``, a bare ticker) goes through, in order:

1. **vetoes**: part of another name (``Apache Spark``, ``Claude Monet``, ``CAC 40``), a
   person cue (``Mr.``, ``he``), a wider person/place/organisation of the statistical NER,
   another owner (``Shakespeare's Sonnet``), a noun for another thing (``Falcon 9 rocket``),
   a word of another reading right beside it (``apple pie``, ``Amazon rainforest``);
2. **strong evidence** accepts: a version number after a model (``Gemini 7``), a word only
   this kind fits (``Claude chatbot``, ``Apple shares``, ``Lambda, the cloud provider``), the
   same company group named in the sentence (``Anthropic's Claude``), a list with other known
   names (``Apple, Microsoft and Google``), a market context for a company;
3. **other readings** reject: zodiac, food, animal, art, car or sport words nearby;
4. **the article** accepts a capitalised name (not at a sentence start) whose company group
   it names elsewhere (``Claude`` in an article naming Anthropic), and a company at a sentence
   start followed by a company's verb when the article names that company elsewhere
   (``Amazon did not comment`` after ``Amazon said``);
5. **topicality** is required from here: AI words (and business words, for a company) or
   another catalog name nearby;
6. **weak evidence** accepts: a word that fits (``the Gemini app``, ``Apple said``), or the
   group named in the article; else enough support around a capitalised name (two points when
   its capital is only the sentence's, or it is shouted; a catalog name in the sentence counts
   two). A name that is also a function word (``Together``) needs a fitting word and support,
   and so does a word the article uses in another name elsewhere (``Spark`` beside "Apache
   Spark" and "Spark Pilot": the article's evidence no longer counts) and a model's short
   alias (``Spark`` of "Muse Spark", ``Opus``) in an article naming neither its developer nor
   its group, in a sentence without another catalog model: an AI topic alone is no evidence
   for one model among the products sharing it (a version after it, ``Opus 5``, is a fitting
   word).

Bare tickers (``META``) count only in a market context, in brackets or in a ticker list.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.nlp.facts import Hit


@dataclass(frozen=True)
class Evidence:
    """What the rest of the text says about a hit; computed from accepted unambiguous mentions."""

    group_in_sentence: bool = False
    """The hit's company group (developer, parent, sister models) is named in the sentence."""
    group_in_article: bool = False
    """... or anywhere in the article."""
    listed_with_peer: bool = False
    """It stands in a list with accepted mentions of its kind (``Apple, Microsoft and Google``)."""
    catalog_in_sentence: bool = False
    """Any other catalog mention is in the sentence."""
    model_in_sentence: bool = False
    """Another catalog model is in the sentence (``Opus scored higher than Gemini 3 Pro``)."""
    record_in_article: bool = False
    """The same record is accepted elsewhere in the article (``Amazon said`` two paragraphs
    before ``Amazon did not comment``)."""
    word_in_other_name: bool = False
    """Elsewhere in the article the same word is part of another name (``Apache Spark``,
    ``Spark Pilot``): there it names another thing, so the article is no evidence for it."""


@dataclass(frozen=True)
class Verdict:
    """Whether a hit counts, how sure the rules are, and why (for debugging and the docs)."""

    accepted: bool
    confidence: float
    reason: str


def accept(confidence: float, reason: str) -> Verdict:
    return Verdict(True, confidence, reason)


def reject(reason: str) -> Verdict:
    return Verdict(False, 0.0, reason)


_PREFIX_COMPOUND = reject("starts a hyphenated compound (Meta-analysis)")
_CATALOG_SPELLING = accept(1.0, "the catalog's spelling")
"""The verdicts most hits get, made once (a ``Verdict`` is a value)."""


def decide(hit: Hit, evidence: Evidence) -> Verdict:
    """The verdict on one catalog hit."""
    if hit.prefix_compound:
        return _PREFIX_COMPOUND
    if not hit.needs_context:
        veto = _veto(hit)
        return reject(veto) if veto else _CATALOG_SPELLING
    if hit.source == "bare_ticker":
        return _decide_ticker(hit, evidence)
    veto = _veto(hit)
    if veto:
        return reject(veto)
    strong = _strong_evidence(hit, evidence)
    if strong:
        return accept(0.9, strong)
    return _decide_on_weak_evidence(hit, evidence)


def _decide_ticker(hit: Hit, evidence: Evidence) -> Verdict:
    if hit.context.market or hit.context.bracketed or evidence.listed_with_peer:
        return accept(0.9, "a ticker in a market context")
    return reject("an upper-case word without a market context")


def _veto(hit: Hit) -> str | None:
    context = hit.context
    if context.name_continues:
        return "part of another name (Apache Spark, Claude Monet)"
    if context.person_cue:
        return "a person (a title before or a pronoun after)"
    if context.ner_other:
        return "the statistical NER names a wider entity around it"
    if context.foreign_owner:
        return "owned by another name (Shakespeare's Sonnet)"
    if context.not_model_head:
        return "followed by a noun for another thing (Falcon 9 rocket)"
    if context.off_topic_adjacent:
        return "a word of another reading beside it (apple pie)"
    return None


def _strong_evidence(hit: Hit, evidence: Evidence) -> str | None:
    context = hit.context
    if context.version_follows:
        return "a version number follows"
    if context.strong_cue:
        return "a word beside it fits only this kind"
    if evidence.group_in_sentence:
        return "its company group is named in the sentence"
    if evidence.listed_with_peer:
        return "listed with other known names"
    if hit.kind == "company" and context.market:
        return "a market context"
    return None


def _decide_on_weak_evidence(hit: Hit, evidence: Evidence) -> Verdict:
    context = hit.context
    if context.off_topic:
        return reject("words of another reading nearby")
    support = _support(hit, evidence)
    if context.stop_word:
        if context.weak_cue and support:
            return accept(0.7, "a function-word name with a fitting word beside it")
        return reject("a function word (Together) without a fitting word beside it")
    doubt = _doubt(hit, evidence)
    if doubt:
        if context.weak_cue and support:
            return accept(0.7, "a fitting word beside a name that needs evidence for its model")
        return reject(doubt)
    if evidence.group_in_article and not context.sentence_initial:
        return accept(0.75, "its company group is named in the article")
    if context.company_verb and evidence.record_in_article:
        return accept(0.7, "the article names this company, and a company's verb follows")
    if support == 0:
        return reject("no AI or business context nearby")
    if context.weak_cue or evidence.group_in_article:
        return accept(0.75, "a fitting word beside it, or its group named in the article")
    needed = 2 if context.sentence_initial or context.shouted else 1
    if support >= needed:
        return accept(0.6, "a capitalised name in an AI or business sentence")
    return reject("not enough supporting context")


def _doubt(hit: Hit, evidence: Evidence) -> str | None:
    """Why only a fitting word beside the hit may still accept it: the article uses the word in
    another name, or a model's short alias has no developer nor full name in the article."""
    if evidence.word_in_other_name:
        return "the article uses the word in another name (Apache Spark) and nothing here fits"
    if hit.short_alias and not (evidence.group_in_article or evidence.model_in_sentence):
        return "a model's short alias without its group, another model or a fitting word"
    return None


def _support(hit: Hit, evidence: Evidence) -> int:
    """AI words nearby, business words too for a company, and two for a catalog name."""
    context = hit.context
    business = context.business_words if hit.kind == "company" else 0
    return context.ai_words + business + (2 if evidence.catalog_in_sentence else 0)
