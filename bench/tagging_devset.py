"""Annotating the tagging development set: offsets from surface strings, checks, composition.

An annotator writes each entity of ``tests/data/tagging/dev.jsonl`` with its ``type``, ``text``
and ``canonical`` only, in text order; ``fill`` finds each surface string (at word boundaries,
after the previous entity) and writes ``start`` and ``end``. ``check`` validates the file (the
scorer's rules in :mod:`bench.tagging_metric` plus the catalog rules below) and prints its
composition. The annotation guidelines are in ``tests/data/tagging/README.md``.

    python bench/tagging_devset.py fill [PATH]
    python bench/tagging_devset.py check [PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from bench.tagging_metric import (  # noqa: E402
    ENTITY_TYPES,
    DevsetError,
    GoldSentence,
    load_devset,
)
from config.catalog import Catalog, CompanyRecord, ModelRecord, alias_key  # noqa: E402

DEVSET = REPO_ROOT / "tests" / "data" / "tagging" / "dev.jsonl"
NEGATIVE = "negative"
"""The tag of a sentence with a hard negative: a look-alike that must not be tagged."""

JsonObject = dict[str, object]


def locate(text: str, surface: str, start_from: int = 0) -> tuple[int, int]:
    """The first span of ``surface`` in ``text`` at or after ``start_from`` whose ends are word
    boundaries (no letter or digit glued to either side)."""
    position = text.find(surface, start_from)
    while position >= 0:
        end = position + len(surface)
        before = text[position - 1] if position else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return position, end
        position = text.find(surface, position + 1)
    raise DevsetError(f"{surface!r} not found after offset {start_from} in {text!r}")


def fill_offsets(record: JsonObject) -> JsonObject:
    """A copy of one line with ``start``/``end`` added to entities that lack them (in order)."""
    text = str(record["text"])
    entities = record.get("entities", [])
    if not isinstance(entities, list):
        raise DevsetError("entities must be a JSON array")
    filled: list[JsonObject] = []
    cursor = 0
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            start, end = locate(text, str(entity["text"]), cursor)
        filled.append({"type": entity["type"], "start": start, "end": end,
                       "text": entity["text"], "canonical": entity["canonical"]})
        cursor = end
    return {
        "id": record["id"], "text": text, "entities": filled,
        "stock_reactions": record.get("stock_reactions", []), "tags": record.get("tags", []),
    }


def fill_file(path: Path) -> int:
    """Fill missing offsets of every line in place; returns the number of lines."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [fill_offsets(json.loads(line)) for line in lines]
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
        encoding="utf-8",
    )
    return len(records)


def catalog_problems(sentences: Iterable[GoldSentence], catalog: Catalog) -> list[str]:
    """Where the annotation disagrees with the catalog.

    COMPANY and known MODEL mentions carry a catalog ``name``; an unknown MODEL and an ORG carry
    their surface text, which must not be a catalog model's name or alias (unknown MODEL) or a
    catalog company's name or unambiguous alias (ORG). A stock reaction names a catalog company
    or an ORG of its sentence.
    """
    companies = {company.name for company in catalog.companies}
    models = {model.name for model in catalog.models}
    problems: list[str] = []
    for sentence in sentences:
        orgs = {entity.canonical for entity in sentence.gold.entities if entity.type == "ORG"}
        for entity in sentence.gold.entities:
            problem = _entity_problem(entity.type, entity.text, entity.canonical, catalog,
                                      companies, models)
            if problem:
                problems.append(f"{sentence.id}: {problem}")
        problems.extend(
            f"{sentence.id}: stock reaction of {reaction.company!r}, neither a catalog company "
            "nor an ORG of the sentence"
            for reaction in sentence.gold.stock_reactions
            if reaction.company not in companies | orgs
        )
    return problems


def _entity_problem(
    kind: str, text: str, canonical: str, catalog: Catalog, companies: set[str], models: set[str]
) -> str | None:
    if kind == "COMPANY" and canonical not in companies:
        return f"COMPANY {canonical!r} is not the name of a catalog company"
    if kind == "MODEL" and canonical not in models:
        if canonical != text:
            return f"unknown MODEL {text!r} must keep its surface text as canonical"
        known = [entity.name for entity in catalog.find(text) if isinstance(entity, ModelRecord)]
        if known:
            return f"MODEL {text!r} is in the catalog as {known}: use that name"
    if kind == "ORG":
        if canonical != text:
            return f"ORG {text!r} must keep its surface text as canonical"
        owners = _unambiguous_owners(text, catalog)
        if owners:
            return f"ORG {text!r} is a catalog company ({', '.join(owners)}): use COMPANY"
    return None


def _unambiguous_owners(text: str, catalog: Catalog) -> list[str]:
    key = alias_key(text)
    return [
        entity.name
        for entity in catalog.find(text)
        if isinstance(entity, CompanyRecord)
        and any(alias_key(name) == key and not ambiguous for name, ambiguous in entity.names())
    ]


def composition(sentences: Sequence[GoldSentence]) -> Counter[str]:
    """Counts of sentences, mentions per type, reactions, and sentences per tag."""
    counts: Counter[str] = Counter(sentences=len(sentences))
    for sentence in sentences:
        counts.update(entity.type for entity in sentence.gold.entities)
        counts.update(f"tag:{tag}" for tag in sentence.tags)
        for reaction in sentence.gold.stock_reactions:
            counts.update(["STOCK", f"STOCK {reaction.direction}"])
            if reaction.magnitude_pct is not None:
                counts["STOCK with magnitude"] += 1
        if not sentence.gold.entities and not sentence.gold.stock_reactions:
            counts["sentences with nothing to find"] += 1
    return counts


def print_composition(counts: Counter[str]) -> None:
    """Print the composition: totals first, then the tags."""
    order = ["sentences", *ENTITY_TYPES, "STOCK", "STOCK with magnitude", "STOCK up",
             "STOCK down", "STOCK flat", "sentences with nothing to find"]
    for key in order:
        print(f"{key:32} {counts[key]:5}")
    for key, value in sorted(item for item in counts.items() if item[0].startswith("tag:")):
        print(f"{key:32} {value:5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["fill", "check"])
    parser.add_argument("path", nargs="?", type=Path, default=DEVSET)
    args = parser.parse_args()
    if args.command == "fill":
        print(f"{fill_file(args.path)} lines written to {args.path}")
    from config.catalog import load_catalog

    try:
        sentences = load_devset(args.path)
    except DevsetError as error:
        raise SystemExit(str(error)) from None
    problems = catalog_problems(sentences, load_catalog())
    print_composition(composition(sentences))
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()
