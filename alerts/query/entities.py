"""Entity filters resolved against the catalog at parse time, with "did you mean" for typos.

Where it sits in the flow: the parser hands the value of ``company:``, ``model:``,
``developer:``, ``ticker:`` and ``stock:`` to :class:`EntityResolver`, which returns the node
holding the catalog ids (and tickers) to compare with an article's tagged mentions, so that
evaluating the query is a set lookup. What each filter covers (docs/queries.md):

- ``company:X``: X and its sub-organisations (``company:Meta`` covers Meta Superintelligence Labs
  and FAIR; ``company:Alphabet`` covers Google and Google DeepMind; not the other way round).
- ``model:X``: X and the models of its family, transitively: those whose catalog ``family`` is
  X, or (same developer) starts with X's name (``model:Claude`` covers Claude Opus 4.6, family
  "Claude 4.6"; ``model:"GPT-5"`` covers GPT-5 mini). A name the catalog does not know that
  looks like a model's and is no typo of a catalog name (``model:"GPT-5.5"``) is valid: it
  matches the model mentions the tagger found under that name, and the parser adds a note.
- ``developer:X``: any model developed by X or one of its sub-organisations.
- ``ticker:T``: ``company:`` of the company listed under T.
- ``stock:X``: reactions of the listed company X belongs to (X itself or its nearest listed
  parent: ``stock:Google`` is Alphabet's stock) and of that company's sub-organisations.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property, lru_cache
from typing import TypeVar

from alerts.query.ast import Developer, Mentions
from alerts.query.errors import QueryProblem
from config.catalog import Catalog, CompanyRecord, Entity, ModelRecord, alias_key

_E = TypeVar("_E", CompanyRecord, ModelRecord)


@lru_cache(maxsize=8)
def resolver_for(catalog: Catalog) -> EntityResolver:
    """The resolver of a catalog, built once per catalog object (catalogs are frozen)."""
    return EntityResolver(catalog)


class EntityResolver:
    """Looks names up in one catalog; raises :class:`QueryProblem` for unknown names."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def company_filter(self, value: str, prefix: str = "company") -> Mentions:
        """``company:X`` (or ``ticker:``, with ``prefix``): X and its sub-organisations."""
        company = self.company(value)
        ids = self.company_family(company)
        shown = company.ticker if prefix == "ticker" and company.ticker else company.name
        return Mentions(f"{prefix}:{quote(shown)}", ids, self.tickers_of(ids))

    def ticker_filter(self, value: str) -> Mentions:
        """``ticker:T``: the company listed under T, as ``company:`` would."""
        company = self.catalog.by_ticker(value)
        if company is None:
            raise self._unknown(value, "ticker", self._ticker_keys)
        return self.company_filter(company.id, prefix="ticker")

    def model_filter(self, value: str) -> Mentions:
        """``model:X``: X and the members of its family; for a name the catalog does not know
        that looks like a model's (:func:`unknown_model_key`), the model mentions the tagger
        found under that name."""
        try:
            model = self.model(value)
        except UnknownEntityError as unknown:
            key = self.unknown_model_key(value)
            if key is None:
                raise self._with_companies(unknown, value) from None
            return Mentions(f"model:{quote(value.strip())}", frozenset(),
                            model_names=frozenset({key}))
        return Mentions(f"model:{quote(model.name)}", self.model_family(model))

    def unknown_model_key(self, value: str) -> str | None:
        """The comparison key of ``value`` as a model the catalog does not know yet, or None
        when it cannot be one: it does not look like a model name (1 to 6 words of letters,
        digits and ``.+/'``, at least one letter, at most 60 characters), or it is a typo of a
        catalog name (a model's or a company's at least 80% alike, with the same digits:
        ``Cluade``, ``Gemni 3 Pro``; a different version, ``GPT-5.5`` beside ``GPT-5.2``, is a
        new model)."""
        key = alias_key(value)
        if (not _MODEL_NAME.fullmatch(key) or not any(char.isalpha() for char in key)
                or len(key) > 60 or len(key.split()) > 6):
            return None
        names = [*self._model_keys, *self._company_keys]
        close = difflib.get_close_matches(key, names, n=5, cutoff=_TYPO_SIMILARITY)
        if any(_digits(name) == _digits(key) for name in close):
            return None
        return key

    def _with_companies(self, problem: QueryProblem, value: str) -> QueryProblem:
        """An unknown model's error, suggesting ``company:`` of a company it misspells."""
        keys = self._company_keys
        close = difflib.get_close_matches(alias_key(value), list(keys), n=3,
                                          cutoff=_TYPO_SIMILARITY)
        companies = tuple(dict.fromkeys(f"company:{quote(keys[key])}" for key in close))
        if not companies:
            return problem
        return UnknownEntityError(problem.offset, problem.expected, problem.message,
                                  (*companies, *problem.suggestions)[:3])

    def model_suggestions(self, value: str) -> tuple[str, ...]:
        """The catalog models nearest to ``value`` (at most three canonical names)."""
        keys = self._model_keys
        close = difflib.get_close_matches(alias_key(value), list(keys), n=5, cutoff=0.6)
        return tuple(dict.fromkeys(keys[key] for key in close))[:3]

    def developer_filter(self, value: str) -> Developer:
        """``developer:X``: models of X and of its sub-organisations."""
        company = self.company(value)
        developers = self.company_family(company)
        models = frozenset(
            model.id for model in self.catalog.models_by(company.id, include_children=True)
        )
        return Developer(f"developer:{quote(company.name)}", developers, models)

    def company(self, value: str) -> CompanyRecord:
        """The one company named ``value`` (name, alias, ticker or id)."""
        return self._one(value, CompanyRecord, "company", self._company_keys)

    def model(self, value: str) -> ModelRecord:
        """The one model named ``value`` (name, alias or id)."""
        return self._one(value, ModelRecord, "model", self._model_keys)

    def company_family(self, company: CompanyRecord) -> frozenset[str]:
        """The company's id and its descendants' ids."""
        children = self.catalog.descendants(company.id)
        return frozenset([company.id, *(child.id for child in children)])

    def listed_company(self, company: CompanyRecord) -> CompanyRecord:
        """The company itself if listed, else its nearest listed ancestor, else itself."""
        for candidate in (company, *self.catalog.ancestors(company.id)):
            if candidate.ticker is not None:
                return candidate
        return company

    def tickers_of(self, company_ids: frozenset[str]) -> frozenset[str]:
        """Every ticker any of these companies is listed under."""
        return frozenset(
            listing.ticker
            for company_id in company_ids
            if isinstance(company := self.catalog.get(company_id), CompanyRecord)
            for listing in company.all_listings
        )

    def model_family(self, model: ModelRecord) -> frozenset[str]:
        """The model's id and the ids of its family members, transitively."""
        members = _family_members(self.catalog)
        found = {model.id}
        pending = [model.id]
        while pending:
            for member in members.get(pending.pop(), ()):
                if member not in found:
                    found.add(member)
                    pending.append(member)
        return frozenset(found)

    def _one(
        self, value: str, wanted: type[_E], noun: str, keys: Mapping[str, str]
    ) -> _E:
        found = self.catalog.find(value)
        matching = [entity for entity in found if isinstance(entity, wanted)]
        if len(matching) == 1:
            return matching[0]
        if matching:
            names = tuple(f"{entity.name} ({entity.id})" for entity in matching)
            raise QueryProblem(0, "one entity: write its id", f"'{value}' names several "
                               f"{noun} entries", names)
        if found:
            raise _wrong_kind(value, found[0])
        raise self._unknown(value, noun, keys)

    def _unknown(self, value: str, noun: str, keys: Mapping[str, str]) -> QueryProblem:
        close = difflib.get_close_matches(alias_key(value), list(keys), n=5, cutoff=0.6)
        suggestions = tuple(dict.fromkeys(keys[key] for key in close))[:3]
        return UnknownEntityError(
            0, f"a {noun} in the catalog (name, alias or id), or quoted words to search for",
            f"unknown {noun} '{value}'", suggestions,
        )

    @cached_property
    def _company_keys(self) -> Mapping[str, str]:
        keys = _name_keys(self.catalog.companies)
        for company in self.catalog.companies:
            for listing in company.all_listings:
                keys.setdefault(listing.ticker.casefold(), company.name)
        return keys

    @cached_property
    def _model_keys(self) -> Mapping[str, str]:
        return _name_keys(self.catalog.models)

    @cached_property
    def _ticker_keys(self) -> Mapping[str, str]:
        """Every ticker's comparison key -> the ticker."""
        return {
            listing.ticker.casefold(): listing.ticker
            for company in self.catalog.companies for listing in company.all_listings
        }


class UnknownEntityError(QueryProblem):
    """A name the catalog does not know (as opposed to a name of the wrong kind, or shared)."""


def unknown_model_note(value: str, suggestions: tuple[str, ...]) -> str:
    """What subscribing to a model the catalog does not know means, for the subscriber."""
    note = (f"model:{quote(value.strip())} is not in the catalog: it matches models the tagger "
            f"finds named \"{value.strip()}\"")
    return note + (f"; did you mean {', '.join(suggestions)}?" if suggestions else "")


def _digits(key: str) -> str:
    return "".join(char for char in key if char.isdigit())


_MODEL_NAME = re.compile(r"[^\W_][\w.+/' ]*")
"""A comparison key (:func:`alias_key`) that can be a model's name: a letter or digit, then
letters, digits, spaces and ``.+/'`` (and a letter somewhere, checked apart)."""
_TYPO_SIMILARITY = 0.8


def quote(name: str) -> str:
    """A name as a query value: bare when it is one simple word, else in quotes."""
    if name and all(char.isalnum() or char in "-./&'$" for char in name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _wrong_kind(value: str, entity: Entity) -> QueryProblem:
    if isinstance(entity, ModelRecord):
        return QueryProblem(0, f"a company (for this model write model:{quote(entity.name)})",
                            f"'{value}' is a model, not a company")
    return QueryProblem(
        0, f"a model (for this company write company:{quote(entity.name)} or "
        f"developer:{quote(entity.name)})", f"'{value}' is a company, not a model",
    )


def _name_keys(entities: tuple[CompanyRecord, ...] | tuple[ModelRecord, ...]) -> dict[str, str]:
    """Every name's comparison key -> the canonical name of its entity (so that suggestions
    name entities, not several aliases of one)."""
    keys: dict[str, str] = {}
    for entity in entities:
        for text, _ in entity.names():
            keys.setdefault(alias_key(text), entity.name)
    return keys


@lru_cache(maxsize=8)
def _family_members(catalog: Catalog) -> Mapping[str, tuple[str, ...]]:
    """Model id -> ids of its family's members: models of the same organisation whose
    ``family`` is its name or starts with its name (``Claude`` -> family ``Claude 4.6`` ->
    Claude Opus 4.6). An organisation is a company with all its sub-organisations."""
    members: dict[str, list[str]] = defaultdict(list)
    for model in catalog.models:
        if model.family is None:
            continue
        words = alias_key(model.family).split(" ")
        for size in range(len(words), 0, -1):
            for family in catalog.find(" ".join(words[:size])):
                if (isinstance(family, ModelRecord) and family.id != model.id
                        and _top(catalog, family.developer) == _top(catalog, model.developer)):
                    members[family.id].append(model.id)
    return {family_id: tuple(dict.fromkeys(ids)) for family_id, ids in members.items()}


def _top(catalog: Catalog, company_id: str) -> str:
    """The company at the top of ``company_id``'s parent chain."""
    ancestors = catalog.ancestors(company_id)
    return ancestors[-1].id if ancestors else company_id
