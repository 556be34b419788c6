"""The frozen :class:`Catalog` and its lookups: by id, developer -> models, parent -> children,
ticker -> company, any name -> entities, and every surface form for the tagger."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeVar

from config.catalog.records import (
    EXCHANGES,
    CompanyRecord,
    Entity,
    EntityType,
    ModelRecord,
    SurfaceForm,
    alias_key,
    listing_forms,
)

_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True)
class Origin:
    """Where an entry was read: the file and its layer (0 = bundled, then each path given)."""

    path: Path
    layer: int


@dataclass(frozen=True)
class Redefinition:
    """An id defined again; the later entry replaced the earlier one."""

    entity_id: str
    earlier: Origin
    later: Origin


@dataclass(frozen=True, eq=False)
class Catalog:
    """The validated, frozen catalog with its lookups.

    Build it with :func:`load_catalog`; tests and tools may also construct it from records.
    ``origins`` maps each id to the file it was read from; ``redefinitions`` lists ids that a later
    entry replaced (see :func:`check_catalog`).
    """

    models: tuple[ModelRecord, ...]
    companies: tuple[CompanyRecord, ...]
    origins: Mapping[str, Origin] = field(default_factory=dict)
    redefinitions: tuple[Redefinition, ...] = ()
    _by_id: Mapping[str, Entity] = field(init=False, repr=False)
    _by_developer: Mapping[str, tuple[ModelRecord, ...]] = field(init=False, repr=False)
    _children: Mapping[str, tuple[CompanyRecord, ...]] = field(init=False, repr=False)
    _by_ticker: Mapping[str, tuple[tuple[CompanyRecord, str], ...]] = field(init=False, repr=False)
    _by_key: Mapping[str, tuple[Entity, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        entities: tuple[Entity, ...] = (*self.models, *self.companies)
        by_key: dict[str, list[Entity]] = defaultdict(list)
        for entity in entities:
            for key in dict.fromkeys(alias_key(text) for text, _ in entity.names()):
                by_key[key].append(entity)
        tickers = group_pairs((listing.ticker, (company, listing.exchange))
                         for company in self.companies for listing in company.all_listings)
        index = {
            "origins": MappingProxyType(dict(self.origins)),
            "_by_id": MappingProxyType({entity.id: entity for entity in entities}),
            "_by_developer": group_pairs((model.developer, model) for model in self.models),
            "_children": group_pairs((c.parent, c) for c in self.companies if c.parent is not None),
            "_by_ticker": tickers,
            "_by_key": MappingProxyType({key: tuple(group) for key, group in by_key.items()}),
        }
        for name, value in index.items():
            object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[type[Catalog], tuple[object, ...]]:
        """Pickle the records only (the lookups are rebuilt): how the catalog reaches tagging
        worker processes."""
        return (Catalog, (self.models, self.companies, dict(self.origins), self.redefinitions))

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of every record: it changes whenever the catalog's content does, so the
        tagger can tell which articles were tagged with an older catalog."""
        records = sorted((*self.models, *self.companies), key=lambda entity: entity.id)
        dump = json.dumps([r.model_dump(mode="json") for r in records], sort_keys=True)
        return hashlib.sha256(dump.encode()).hexdigest()[:16]

    def get(self, entity_id: str) -> Entity | None:
        """The model or company with this id, or None."""
        return self._by_id.get(entity_id)

    def model(self, model_id: str) -> ModelRecord:
        """The model with this id; KeyError if there is none."""
        entity = self._by_id.get(model_id)
        if not isinstance(entity, ModelRecord):
            raise KeyError(f"no model {model_id!r} in the catalog")
        return entity

    def company(self, company_id: str) -> CompanyRecord:
        """The company with this id; KeyError if there is none."""
        entity = self._by_id.get(company_id)
        if not isinstance(entity, CompanyRecord):
            raise KeyError(f"no company {company_id!r} in the catalog")
        return entity

    def models_by(
        self, company_id: str, *, include_children: bool = False
    ) -> tuple[ModelRecord, ...]:
        """Models whose developer is the company (and, if asked, any of its descendants)."""
        owners = [company_id]
        if include_children:
            owners += [child.id for child in self.descendants(company_id)]
        return tuple(model for owner in owners for model in self._by_developer.get(owner, ()))

    def children(self, company_id: str) -> tuple[CompanyRecord, ...]:
        """Companies whose parent is this company."""
        return self._children.get(company_id, ())

    def descendants(self, company_id: str) -> tuple[CompanyRecord, ...]:
        """Children, their children and so on (safe against parent cycles)."""
        found: dict[str, CompanyRecord] = {}
        pending = list(self.children(company_id))
        while pending:
            company = pending.pop(0)
            if company.id not in found and company.id != company_id:
                found[company.id] = company
                pending.extend(self.children(company.id))
        return tuple(found.values())

    def ancestors(self, company_id: str) -> tuple[CompanyRecord, ...]:
        """The parent, its parent and so on up to the top (safe against cycles)."""
        chain: dict[str, CompanyRecord] = {}
        current = self._by_id.get(company_id)
        while isinstance(current, CompanyRecord) and current.parent is not None:
            parent = self._by_id.get(current.parent)
            seen = parent is not None and (parent.id in chain or parent.id == company_id)
            if not isinstance(parent, CompanyRecord) or seen:
                break
            chain[parent.id] = parent
            current = parent
        return tuple(chain.values())

    def companies_with_ticker(self, symbol: str) -> tuple[tuple[CompanyRecord, str], ...]:
        """Every ``(company, exchange)`` listed under this ticker."""
        return self._by_ticker.get(symbol.strip().lstrip("$").upper(), ())

    def by_ticker(self, symbol: str, exchange: str | None = None) -> CompanyRecord | None:
        """The company behind ``META``, ``$META``, ``NASDAQ: META`` or ``9988.HK``; None when
        unknown or when the symbol is listed for two companies and no exchange tells them apart."""
        ticker, exchange = _split_symbol(symbol.strip().lstrip("$").upper(), exchange)
        hits = self.companies_with_ticker(ticker)
        if exchange is not None:
            hits = tuple(hit for hit in hits if hit[1].casefold() == exchange.casefold())
        companies = {company.id: company for company, _ in hits}
        return next(iter(companies.values())) if len(companies) == 1 else None

    def find(self, text: str) -> tuple[Entity, ...]:
        """Entities named ``text``: by id, else by name or alias (compared by :func:`alias_key`),
        else by ticker. Several when a name is shared (ambiguous homonyms)."""
        entity = self._by_id.get(text.strip())
        if entity is not None:
            return (entity,)
        named = self._by_key.get(alias_key(text), ())
        if named:
            return named
        company = self.by_ticker(text)
        return (company,) if company is not None else ()

    def surface_forms(self) -> tuple[SurfaceForm, ...]:
        """Every name, alias and ticker form, each with its entity and whether it needs context."""
        forms: list[SurfaceForm] = []
        for entity in (*self.models, *self.companies):
            kind: EntityType = "model" if isinstance(entity, ModelRecord) else "company"
            for index, (text, ambiguous) in enumerate(entity.names()):
                source: Literal["name", "alias"] = "name" if index == 0 else "alias"
                forms.append(SurfaceForm(text, entity.id, kind, ambiguous, source))
            if isinstance(entity, CompanyRecord):
                forms.extend(
                    SurfaceForm(text, entity.id, "company", False, "ticker")
                    for listing in entity.all_listings for text in listing_forms(listing)
                )
        return tuple(forms)


def group_pairs(pairs: Iterable[tuple[_K, _V]]) -> Mapping[_K, tuple[_V, ...]]:
    """``[(k, a), (k, b), (j, c)]`` -> ``{k: (a, b), j: (c,)}``, read-only, in first-seen order."""
    grouped: dict[_K, list[_V]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return MappingProxyType({key: tuple(values) for key, values in grouped.items()})


def _split_symbol(symbol: str, exchange: str | None) -> tuple[str, str | None]:
    """``NASDAQ: META`` -> (META, NASDAQ); ``9988.HK`` -> (9988, HKEX); else unchanged."""
    if ":" in symbol:
        prefix, _, ticker = symbol.partition(":")
        named = prefix.strip()
        return ticker.strip(), exchange or _exchange_for(named, by_suffix=False) or named
    head, dot, suffix = symbol.rpartition(".")
    if dot and head:
        market = _exchange_for(suffix, by_suffix=True)
        if market is not None:
            return head, exchange or market
    return symbol, exchange


def _exchange_for(code: str, *, by_suffix: bool) -> str | None:
    for name, market in EXCHANGES.items():
        codes = (market.suffix,) if by_suffix else (name, *market.prefixes)
        if any(c is not None and c.casefold() == code.casefold() for c in codes):
            return name
    return None


