"""Models named by their version alone: "V4" after "DeepSeek-V4" is that model, not another.

Where it sits in the flow: the last step of ``resolution``, over the linked mentions of one
text. Articles name a model in full once and then by its tail ("DeepSeek-V4" ... "V4",
"Claude Opus 5" ... "Opus 5"); the unknown-model patterns read the tail as a model of its own
and the statistical NER calls it an organisation. Here:

- a guessed model whose name is the tail of another model named in the text (after a space or a
  hyphen, and holding a digit) takes that model's name, catalog id and developer: the nearest
  one before it, else the first after it;
- a guessed model that is a version alone ("V4", "v5") and the tail of no model is dropped: a
  version number is not a name;
- an organisation of the NER that is a model's name or such a tail is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from pipeline.nlp.types import DecidedBy, EntityMention, EntityType

_BARE_VERSION = re.compile(r"[vV]\d+(?:\.\d+)*")


def settle_short_names(mentions: Sequence[EntityMention]) -> tuple[EntityMention, ...]:
    """The mentions, in the same order, with short model names linked or dropped (see above)."""
    models = [m for m in mentions if m.type is EntityType.MODEL]
    if not models:
        return tuple(mentions)
    names = {_key(m.canonical) for m in models} | {_key(m.text) for m in models}
    settled: list[EntityMention] = []
    for mention in mentions:
        if mention.type is EntityType.ORG:
            if _key(mention.text) not in names and _full_model(mention, models) is None:
                settled.append(mention)
        elif mention.type is EntityType.MODEL and mention.decided_by is DecidedBy.PATTERN:
            full = _full_model(mention, models)
            if full is not None:
                settled.append(replace(
                    mention, canonical=full.canonical, canonical_id=full.canonical_id,
                    developer=full.developer, developer_id=full.developer_id,
                ))
            elif not _BARE_VERSION.fullmatch(mention.text):
                settled.append(mention)
        else:
            settled.append(mention)
    return tuple(settled)


def _full_model(short: EntityMention, models: Sequence[EntityMention]) -> EntityMention | None:
    """The model named in full whose tail ``short`` is: the nearest before it, else the first
    after it."""
    tail = _key(short.text)
    if not any(char.isdigit() for char in tail):
        return None
    fuller = [m for m in models if m is not short and _ends_with(_key(m.canonical), tail)]
    before = [m for m in fuller if m.start < short.start]
    if before:
        return before[-1]
    return fuller[0] if fuller else None


def _ends_with(name: str, tail: str) -> bool:
    """Whether ``name`` ends with ``tail`` as whole words ("deepseek-v4" ends with "v4")."""
    return len(name) > len(tail) and name.endswith(tail) and name[-len(tail) - 1] in " -"


def _key(name: str) -> str:
    return " ".join(name.split()).lower()
