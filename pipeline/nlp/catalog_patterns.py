"""Catalog -> what the tagger looks for: ruler patterns, per-alias case facts, tickers, families.

Where it sits in the flow: built once in ``Tagger.build``. The ``catalog_ruler`` (a spaCy
``SpanRuler``) gets one phrase pattern per name, alias and ticker form, matched on ``LOWER``;
bare tickers go to a ``ticker_ruler`` matched on ``ORTH``. The alias facts kept here
(:class:`AliasForm`) let the reader apply each alias's own case rule and ambiguity flag.
Names with a version number also get their hyphen/space variant (``Claude-3.5-Sonnet`` for
``Claude 3.5 Sonnet``): the catalog compares names with ``alias_key``, which treats the two as
equal, but the tokenizer does not.

Aliases that are a generic term (``AI``) are never patterns: "AI" alone is never an entity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from config.catalog import Catalog, CompanyRecord, Entity, ModelRecord, alias_key, listing_forms
from pipeline.nlp.vocabulary import GENERIC_TERMS

MODEL_LABEL = "MODEL"
COMPANY_LABEL = "COMPANY"
TICKER_LABEL = "TICKER"
"""A bare upper-case ticker (``META``), kept only in a market context."""


@dataclass(frozen=True)
class AliasForm:
    """One way the catalog writes a name: the text, whether it needs context, whether it is the
    record's own name (not an alias), for ticker forms (``$META``) the ticker that must appear in
    capitals, and whether it is a model's short alias (:func:`is_short_alias`)."""

    text: str
    ambiguous: bool
    ticker: str | None = None
    is_name: bool = False
    short: bool = False


@dataclass(frozen=True)
class NameTable:
    """Everything the tagger derives from the catalog, built once per process."""

    patterns: tuple[Mapping[str, Any], ...]
    """Phrase patterns of names, aliases and ticker forms, to match on ``LOWER``."""
    ticker_patterns: tuple[Mapping[str, Any], ...]
    """Phrase patterns of bare tickers (``META``), to match on ``ORTH``."""
    forms: Mapping[tuple[str, str], tuple[AliasForm, ...]]
    """``(entity id, alias_key(text))`` -> the alias forms with that key."""
    bare_tickers: Mapping[str, str]
    """Upper-case ticker -> company id, for tickers that name one company only."""
    families: Mapping[str, str]
    """Entity id -> the id of the top company of its group (``meta/llama`` -> ``meta``)."""
    stems: Mapping[str, str]
    """Lower-case one-word family name without digits (``gemini``) -> its model id, for
    guessing versions the catalog lacks (``Gemini 7``, ``GPT-6``)."""

    def forms_for(self, entity_id: str, surface: str) -> tuple[AliasForm, ...]:
        """The alias forms of ``entity_id`` that ``surface`` may be a spelling of."""
        return self.forms.get((entity_id, alias_key(surface)), ())


def build_name_table(catalog: Catalog) -> NameTable:
    """Patterns and lookups for every model, company and listing of the catalog."""
    forms: dict[tuple[str, str], list[AliasForm]] = defaultdict(list)
    patterns: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for entity, form in _alias_forms(catalog):
        label = MODEL_LABEL if isinstance(entity, ModelRecord) else COMPANY_LABEL
        forms[(entity.id, alias_key(form.text))].append(form)
        for text in _spelling_variants(form.text):
            pattern: Mapping[str, Any] = {"label": label, "id": entity.id, "pattern": text}
            patterns.setdefault((label, entity.id, text.lower()), pattern)
    tickers = _bare_tickers(catalog)
    return NameTable(
        patterns=tuple(patterns.values()),
        ticker_patterns=tuple(
            {"label": TICKER_LABEL, "id": company_id, "pattern": ticker}
            for ticker, company_id in tickers.items()
        ),
        forms=MappingProxyType({key: tuple(value) for key, value in forms.items()}),
        bare_tickers=tickers,
        families=MappingProxyType({e.id: family_of(catalog, e) for e in _entities(catalog)}),
        stems=MappingProxyType({
            model.name.lower(): model.id for model in catalog.models
            if model.kind == "family" and model.name.isalpha()
        }),
    )


def _entities(catalog: Catalog) -> tuple[Entity, ...]:
    return (*catalog.models, *catalog.companies)


def _alias_forms(catalog: Catalog) -> Iterator[tuple[Entity, AliasForm]]:
    for entity in _entities(catalog):
        for text, ambiguous in entity.names():
            if alias_key(text) not in GENERIC_TERMS:
                short = isinstance(entity, ModelRecord) and is_short_alias(text, entity.name)
                yield entity, AliasForm(text, ambiguous, is_name=text == entity.name, short=short)
        if isinstance(entity, CompanyRecord):
            for listing in entity.all_listings:
                for text in listing_forms(listing):
                    yield entity, AliasForm(text, False, ticker=listing.ticker)


def is_short_alias(alias: str, name: str) -> bool:
    """The alias is some of the name's words, without the rest (``Spark`` of "Muse Spark",
    ``Opus`` of "Claude Opus"): a bare word that other products can share, which says less
    than the full name."""
    words, whole = alias_key(alias).split(), alias_key(name).split()
    return 0 < len(words) < len(whole) and any(
        whole[i : i + len(words)] == words for i in range(len(whole) - len(words) + 1)
    )


def _spelling_variants(text: str) -> tuple[str, ...]:
    """The alias, plus its hyphen/space variants when it holds a version number."""
    if not any(char.isdigit() for char in text):
        return (text,)
    variants = dict.fromkeys((text, text.replace("-", " "), text.replace(" ", "-")))
    return tuple(variants)


def _bare_tickers(catalog: Catalog) -> Mapping[str, str]:
    """Alphabetic tickers of two letters or more that name exactly one company."""
    symbols = {
        listing.ticker for company in catalog.companies for listing in company.all_listings
        if listing.ticker.isalpha() and len(listing.ticker) > 1
        and listing.ticker.lower() not in GENERIC_TERMS
    }
    found = {symbol: catalog.by_ticker(symbol) for symbol in sorted(symbols)}
    return MappingProxyType(
        {symbol: company.id for symbol, company in found.items() if company is not None}
    )


def family_of(catalog: Catalog, entity: Entity) -> str:
    """The top company of an entity's group: a model's developer's, a company's own."""
    company_id = entity.developer if isinstance(entity, ModelRecord) else entity.id
    ancestors = catalog.ancestors(company_id)
    return ancestors[-1].id if ancestors else company_id
