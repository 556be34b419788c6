"""Consistency checks over a loaded catalog, for the CLI's catalog check and the tests.

Errors: unknown developer or parent ids, parent cycles, an id defined twice in one file, a name
shared by two entities when either counts without context, a ticker shared on one exchange, a name
that is empty once normalised. Warnings: a name shared only by ambiguous entries, an id defined in
two files of one layer, a ticker shared across exchanges, an unknown exchange, an ordinary word not
marked ambiguous, one name listed both as ambiguous and not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from config.catalog.index import Catalog, group_pairs
from config.catalog.records import EXCHANGES, CompanyRecord, alias_key

Severity = Literal["error", "warning"]

# Ordinary words (and very common first names) that must not count as a mention without context.
# An unambiguous name or alias equal to one of these is reported by check_catalog.
_WORDS = """
    1x adept agent alphabet amazon apple arctic arm assistant atlas aurora bard bark benchmark bert
    bloom chameleon character chinchilla claude clip codex cognition comet command composer copilot
    cosmos cursor devin dolly emu epoch ernie essential etched figure firefly flamingo flux gemini
    genie glean gopher granite grok harvey helix hermes ideogram index inflection jukebox jules
    lambda lightspeed llama luminous magic marble mila mochi moonshot muse nova opt opus operator
    oracle orion palm perplexity phi photon pi poolside pythia reflection rufus runway sam scale
    scout scribe seed sequoia sierra snowflake solar sonar sonnet spark stability stargate surge
    thrive titan together upstage vantage voicebox watson whisper windsurf writer x yi zephyr
    haiku maverick behemoth falcon fireworks constellation
"""
COMMON_WORDS = frozenset(_WORDS.split()) | {
    "deep research", "dream machine", "physical intelligence", "safe superintelligence",
    "thinking machines", "computer use",
}


@dataclass(frozen=True)
class CatalogProblem:
    """A finding of :func:`check_catalog`: an error must be fixed, a warning deserves a look."""

    severity: Severity
    entity_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.entity_id}: {self.message}"




def check_catalog(catalog: Catalog) -> list[CatalogProblem]:
    """Every problem found in the catalog: errors first, then warnings, each naming the entity."""
    problems = [problem for check in _CHECKS for problem in check(catalog)]
    return sorted(problems, key=lambda problem: problem.severity != "error")


def _check_redefinitions(catalog: Catalog) -> Iterator[CatalogProblem]:
    for item in catalog.redefinitions:
        if item.earlier.path == item.later.path:
            yield CatalogProblem("error", item.entity_id, f"defined twice in {item.later.path}")
        elif item.earlier.layer == item.later.layer:
            yield CatalogProblem(
                "warning", item.entity_id,
                f"defined in {item.earlier.path} and again in {item.later.path} (the later wins)",
            )


def _check_links(catalog: Catalog) -> Iterator[CatalogProblem]:
    for model in catalog.models:
        if not isinstance(catalog.get(model.developer), CompanyRecord):
            yield CatalogProblem("error", model.id, f"unknown developer {model.developer!r}")
    for company in catalog.companies:
        parent = company.parent
        if parent is not None and not isinstance(catalog.get(parent), CompanyRecord):
            yield CatalogProblem("error", company.id, f"unknown parent {parent!r}")


def _check_parent_cycles(catalog: Catalog) -> Iterator[CatalogProblem]:
    parents: dict[str, str] = {}
    for company in catalog.companies:
        if company.parent is not None:
            parents[company.id] = company.parent
    reported: set[str] = set()
    for start in parents:
        path = [start]
        while path[-1] in parents and parents[path[-1]] not in path:
            path.append(parents[path[-1]])
        if parents.get(path[-1]) == start and start not in reported:
            reported.update(path)
            loop = " -> ".join([*path, start])
            yield CatalogProblem("error", start, f"parent cycle: {loop}")


def _check_empty_names(catalog: Catalog) -> Iterator[CatalogProblem]:
    for entity in (*catalog.models, *catalog.companies):
        for text, _ in entity.names():
            if not alias_key(text):
                yield CatalogProblem("error", entity.id, f"empty name or alias {text!r}")


def _check_alias_clashes(catalog: Catalog) -> Iterator[CatalogProblem]:
    owners: dict[str, dict[str, bool]] = defaultdict(dict)  # key -> {entity id: needs context}
    for entity in (*catalog.models, *catalog.companies):
        for text, ambiguous in entity.names():
            key = alias_key(text)
            if key:
                owners[key][entity.id] = owners[key].get(entity.id, True) and ambiguous
    for key, by_entity in owners.items():
        if len(by_entity) < 2:
            continue
        ids = sorted(by_entity)
        if all(by_entity.values()):
            message = f"ambiguous name {key!r} is shared by {', '.join(ids)}"
            yield CatalogProblem("warning", ids[0], message)
        else:
            message = f"name {key!r} is used by {', '.join(ids)}; mark it ambiguous on all of them"
            yield CatalogProblem("error", ids[0], message)


def _check_mixed_ambiguity(catalog: Catalog) -> Iterator[CatalogProblem]:
    for entity in (*catalog.models, *catalog.companies):
        flags: dict[str, set[bool]] = defaultdict(set)
        for text, ambiguous in entity.names():
            flags[alias_key(text)].add(ambiguous)
        for key, seen in flags.items():
            if len(seen) == 2:
                yield CatalogProblem(
                    "warning", entity.id, f"{key!r} is listed both as ambiguous and as unambiguous"
                )


def _check_tickers(catalog: Catalog) -> Iterator[CatalogProblem]:
    listed = group_pairs((listing.ticker, (company.id, listing.exchange))
                    for company in catalog.companies for listing in company.all_listings)
    for ticker, hits in listed.items():
        companies = sorted({company_id for company_id, _ in hits})
        if len(companies) < 2:
            continue
        markets = group_pairs((exchange, company_id) for company_id, exchange in hits)
        same_market = any(len(set(ids)) > 1 for ids in markets.values())
        severity: Severity = "error" if same_market else "warning"
        where = "on the same exchange" if same_market else "on different exchanges"
        yield CatalogProblem(severity, companies[0],
                             f"ticker {ticker} is shared by {', '.join(companies)} {where}")


def _check_exchanges(catalog: Catalog) -> Iterator[CatalogProblem]:
    for company in catalog.companies:
        for listing in company.all_listings:
            if listing.exchange not in EXCHANGES:
                yield CatalogProblem(
                    "warning", company.id,
                    f"unknown exchange {listing.exchange!r} (known: {', '.join(EXCHANGES)})",
                )


def _check_common_words(catalog: Catalog) -> Iterator[CatalogProblem]:
    for entity in (*catalog.models, *catalog.companies):
        for text, ambiguous in entity.names():
            if not ambiguous and alias_key(text) in COMMON_WORDS:
                yield CatalogProblem(
                    "warning", entity.id,
                    f"{text!r} is an ordinary word: set ambiguous = true or move it to "
                    "ambiguous_aliases",
                )


_CHECKS: tuple[Callable[[Catalog], Iterable[CatalogProblem]], ...] = (
    _check_redefinitions,
    _check_links,
    _check_parent_cycles,
    _check_empty_names,
    _check_alias_clashes,
    _check_mixed_ambiguity,
    _check_tickers,
    _check_exchanges,
    _check_common_words,
)
