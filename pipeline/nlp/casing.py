"""Case rules: does the way a text spells a name count as that catalog name?

Where it sits in the flow: the catalog ruler matches names case-insensitively (one phrase
matcher on ``LOWER`` for all aliases); :func:`case_fit` then decides, per alias, whether the
spelling counts. The rules, in order:

1. Version-like names (the alias holds a digit) that need no context count in any case:
   ``gpt-4o``, ``GPT-4o`` and ``Gpt-4o`` are the same model.
2. A word the catalog spells with a capital needs a capital in the text: ``meta``, ``apple`` and
   ``anthropic`` are ordinary words; ``Meta``, ``Apple`` and ``Anthropic`` may be names.
3. Names that need context (``ambiguous``) must also keep the catalog's initial lower case
   (``o3``, not ``O3``) and its acronyms in capitals (``FAIR``, not ``Fair``).
4. An all-capitals spelling of a name that is not an acronym (``META`` for ``Meta``) is
   *shouted*: it counts in a shouted headline, elsewhere only with supporting context, like an
   ambiguous name (a bare ``META`` may be a ticker or the word "meta").

Ticker forms (``$META``, ``NASDAQ: META``) need the ticker itself in capitals (:func:`ticker_fits`).
"""

from __future__ import annotations

import enum
import re

_WORD_SEPARATORS = re.compile(r"[\s\-_]+")


class CaseFit(enum.Enum):
    """How a spelling fits a catalog alias."""

    NONE = "none"
    """Not this name (``apple`` for ``Apple``)."""
    SHOUTED = "shouted"
    """All capitals for a name that is not an acronym (``META`` for ``Meta``)."""
    FULL = "full"
    """The name as the catalog spells it, or an accepted variant."""


def case_fit(surface: str, alias: str, *, ambiguous: bool) -> CaseFit:
    """How ``surface`` (equal to ``alias`` ignoring case and separators) fits the alias."""
    if not ambiguous and any(char.isdigit() for char in alias):
        return CaseFit.FULL
    surface_words = _WORD_SEPARATORS.split(surface)
    alias_words = _WORD_SEPARATORS.split(alias)
    if len(surface_words) != len(alias_words):
        surface_words, alias_words = [surface], [alias]
    pairs = zip(surface_words, alias_words, strict=True)
    if not all(_word_fits(s, a, ambiguous=ambiguous) for s, a in pairs):
        return CaseFit.NONE
    return CaseFit.SHOUTED if _is_shouted(surface, alias) else CaseFit.FULL


def _word_fits(surface: str, alias: str, *, ambiguous: bool) -> bool:
    if not surface or not alias:
        return True
    if alias[0].isupper() and not surface[0].isupper():
        return False
    if not ambiguous:
        return True
    if alias[0].islower() and not surface[0].islower():
        return False
    return not (_is_acronym(alias) and not surface.isupper())


def _is_acronym(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return len(letters) > 1 and all(char.isupper() for char in letters)


def _is_shouted(surface: str, alias: str) -> bool:
    letters = [char for char in alias if char.isalpha()]
    return len(letters) > 1 and surface.isupper() and not all(c.isupper() for c in letters)


def ticker_fits(surface: str, ticker: str) -> bool:
    """A ticker form counts only with the ticker in capitals (``$META``, ``Nasdaq: META``)."""
    return ticker in surface


def is_shouted_text(text: str) -> bool:
    """Whether a sentence is written in capitals (a headline), judged on its letters."""
    letters = [char for char in text if char.isalpha()]
    if len(letters) < 8:
        return False
    return sum(char.isupper() for char in letters) / len(letters) > 0.8
