"""Words for story clustering: normalised tokens, content terms, shingles and stable term hashes.

Where it sits in the flow: ``Article(+tags) --cluster--> Article(story_id)``. Story clustering
(:mod:`pipeline.clustering`) compares articles by the words they use; this module turns a title
or a body into those words, the same way every time and in every process:

- *tokens*: NFKC, case-folded, curly apostrophes straightened; a token is a run of letters and
  digits that may contain ``.``, ``-`` or ``'`` inside (``gpt-5.5``, ``3.4``, ``qwen4-max``);
  a possessive ``'s`` is dropped;
- *shingles*: every run of ``size`` consecutive tokens (stop words kept), for near-duplicate
  detection of copies and light rewrites;
- *content terms*: tokens that are not stop words, with a plural ``s`` removed, for the
  rarity-weighted title and text similarity between different wordings of one story;
- *term hashes*: 32-bit BLAKE2b of a term, stable across processes (unlike :func:`hash`), so
  stored signatures stay comparable after a restart.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

_TOKEN = re.compile(r"[^\W_]+(?:[.'\-][^\W_]+)*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-"})

_STOP_WORDS_TEXT = """
    a about above across after again against ago all almost along also although always am among
    an and another any anyone anything are around as at away back be became because become been
    before being below between both but by came can cannot could did do does doing done down
    during each either else enough even ever every few first for from further get gets getting
    given go goes going got had has have having he her here hers herself him himself his how
    however i if in including into is it its itself just last least less like made make makes
    many may me might more most much must my myself near need never new next no nor not now of
    off often on once one only onto or other others our ours out over own per put rather really
    said same say says see seen several she should since so some still such take than that the
    their theirs them themselves then there these they thing things this those though three
    through thus to told too two under until up upon us use used very via was way we well were
    what whatever when where whether which while who whom whose why will with within without
    would yet you your yours
    according added adding announced asked called comment comments including mr ms mrs news
    report reported reports reporter reporters saying statement spokesperson spokesman
    spokeswoman week weeks year years today yesterday tomorrow day days month months time times
    monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night
    percent pct
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""Function words, reporting verbs and calendar words: they say nothing about which event a
story is about. Kept in shingles (copies share them too), dropped from content terms."""

MAX_TERM_CHARS = 40


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` in order (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return [_strip_possessive(match.group()) for match in _TOKEN.finditer(folded)]


def content_terms(text: str) -> list[str]:
    """Tokens that carry meaning: no stop words, no one-letter words, plurals folded."""
    terms: list[str] = []
    for token in tokens(text):
        if token in STOP_WORDS or len(token) > MAX_TERM_CHARS:
            continue
        if len(token) < 2 and not token.isdigit():
            continue
        terms.append(fold_plural(token))
    return terms


def fold_plural(term: str) -> str:
    """A light, rule-based singular: ``chips`` -> ``chip``, ``companies`` -> ``company``.

    Not a stemmer: only the English plural ``s`` is removed, and words ending in ``ss``, ``us``
    or ``is`` (``class``, ``status``, ``analysis``) are left alone.
    """
    if len(term) > 4 and term.endswith("ies"):
        return term[:-3] + "y"
    if len(term) > 3 and term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


def shingles(words: Sequence[str], size: int) -> set[bytes]:
    """Every run of ``size`` consecutive words, UTF-8 encoded; the whole text when shorter."""
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def term_hash(term: str) -> int:
    """A stable 32-bit hash of a term (BLAKE2b), the same in every process and release."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


def term_counts(terms: Iterable[str], limit: int) -> dict[int, int]:
    """Hashed term -> count, keeping the ``limit`` most frequent terms (ties: earliest first)."""
    counts = Counter(terms)
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:limit]
    hashed: dict[int, int] = {}
    for term, count in ranked:
        key = term_hash(term)
        hashed[key] = hashed.get(key, 0) + count
    return hashed


def _strip_possessive(token: str) -> str:
    return token[:-2] if token.endswith("'s") and len(token) > 2 else token
