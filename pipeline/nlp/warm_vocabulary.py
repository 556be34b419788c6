"""Which words the tagger keeps in spaCy's vocabulary for good, so recurring text stays fast.

Where it sits in the flow: a helper of ``pipeline.nlp.tagger``, consulted once per batch before
the batch runs inside ``nlp.memory_zone()``. The zone keeps a long-running daemon's memory
bounded: every lexeme, string and tokenizer-cache entry made inside it is dropped at its end. The
price is speed: each batch re-creates the lexemes and re-splits the affixes of every word it
shares with earlier batches ("the", "said,", "Nvidia's"), which costs more than the rest of the
tokenizer. This module keeps that price off the words that recur: a word seen in
``min_batches`` batches is *promoted* (the tagger tokenizes it once outside any zone, so its
lexeme and cache entry stay), up to ``limit`` promoted words in all. The counts of words not yet
promoted are bounded too (past ``8 * limit`` words, the half first seen longest ago is
forgotten), so hostile or endlessly new text cannot grow either structure without bound.

Pure bookkeeping: no spaCy here; the tagger does the tokenizing.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

_MAX_WORD_CHARS = 40
"""Longer whitespace-separated chunks (URLs, junk) are never promoted."""


class WarmVocabulary:
    """Counts the batches each word appears in and says which words to promote, once each."""

    def __init__(self, limit: int, *, min_batches: int = 2) -> None:
        self.limit = limit
        self.min_batches = min_batches
        self._promoted: set[str] = set()
        self._seen: dict[str, int] = {}
        """Batches each word not yet promoted appeared in, oldest first sighting first."""

    @property
    def promoted(self) -> int:
        """How many words have been promoted so far (at most ``limit``)."""
        return len(self._promoted)

    def observe(self, texts: Iterable[str]) -> list[str]:
        """Count one batch's words; return the words that have now earned promotion (each word
        is returned once in the vocabulary's life, and never more than ``limit`` in all)."""
        room = self.limit - len(self._promoted)
        if room <= 0:
            return []
        words: set[str] = set()
        for text in texts:
            words.update(text.split())  # distinct words first: the length test runs once each
        words = {word for word in words if len(word) <= _MAX_WORD_CHARS} - self._promoted
        seen = self._seen
        for word in words:
            seen[word] = seen.get(word, 0) + 1
        ready = [word for word in words if seen[word] >= self.min_batches][:room]
        for word in ready:
            del seen[word]
        self._promoted.update(ready)
        if len(seen) > 8 * self.limit:
            self._forget_oldest_half()
        return ready

    def _forget_oldest_half(self) -> None:
        """Drop the words first seen longest ago: they have not recurred since."""
        for word in list(islice(self._seen, len(self._seen) // 2)):
            del self._seen[word]
