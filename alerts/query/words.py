"""How text is cut into words, the same way for queries and for articles.

Where it sits in the flow: a query's words and phrases (``parser``) and an article's title and
text (``article``) are both cut by :class:`CutText`, so ``"Muse-Spark"`` in a query and
"Muse Spark" in an article meet as the same two words. A word is a run of letters or digits (any
script); everything else separates words; words are compared case-folded.
"""

from __future__ import annotations

import re
from itertools import accumulate, compress, count
from operator import add
from typing import cast

import numpy as np

_WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(r"([^\W_]+)")
_ASCII = bytes(range(128))
_SEPARATORS_TO_SPACE = bytes(
    code if chr(code).isalnum() else 0x20 for code in range(128)) + bytes(range(128, 256))
"""UTF-8 bytes with every ASCII separator made a space (bytes of other characters kept)."""


class CutText:
    """A text's case-folded words, and on demand their offsets in the text."""

    def __init__(self, text: str) -> None:
        folded = text.casefold()
        self._text = text
        self._spaced: str | None = None
        if len(folded) == len(text):  # one character for one: separators become spaces in place
            self._spaced = _spaced(folded)
            self.words: tuple[str, ...] = tuple(self._spaced.split())
        else:  # "ß" -> "ss" and the like: cut the text, then fold each word
            self.words = tuple(word.casefold() for word in _WORD.findall(text))

    def offsets(self) -> tuple[list[int], list[int] | None]:
        """The start offset in the text of each word, and of each word's end; ends None when
        the folding kept every character (a word then ends at its start plus its length)."""
        if self._spaced is None:
            bounds = list(accumulate(map(len, _SPLIT.split(self._text))))
            return bounds[0:-1:2], bounds[1::2]
        pieces = self._spaced.split(" ")  # words, and "" between adjacent separators
        # piece k starts after the lengths of the pieces before it and k separators
        at = map(add, accumulate(map(len, pieces), initial=0), count())
        return list(compress(at, pieces)), None

    def bounds(self) -> tuple[list[int], list[int] | None, list[int]]:
        """:meth:`offsets`, and where each word starts in the words joined by single spaces
        after one space (:func:`literal_key` of all the words): both at once, and with numpy
        when the folding kept every character (a third of the time of :meth:`offsets` alone,
        for the matcher, which needs both for each article with a match)."""
        if self._spaced is None:
            starts, ends = self.offsets()
            return starts, ends, _joined_starts(self.words)
        codes = np.frombuffer(self._spaced.encode("utf-32-le", "surrogatepass"), np.uint32)
        inside = np.zeros(len(codes) + 2, np.bool_)  # a space before and after the text
        np.not_equal(codes, _SPACE, out=inside[1:-1])
        edges = (inside[1:] != inside[:-1]).nonzero()[0]  # where words start, then end
        firsts = edges[0::2]
        lengths = edges[1::2] - firsts
        joined = np.cumsum(lengths + 1) - lengths
        return cast(list[int], firsts.tolist()), None, cast(list[int], joined.tolist())


_SPACE = 0x20
_ONE = 1


def _joined_starts(words: tuple[str, ...]) -> list[int]:
    """Where each word starts in ``literal_key(words)``."""
    return list(accumulate(map(_ONE.__add__, map(len, words)), initial=1))[:-1]


def _spaced(folded: str) -> str:
    """``folded`` with every character that is not a letter or digit (``str.isalnum``, which is
    what a word character of the regex other than ``_`` is) replaced by a space, so that its
    words keep their offsets: ASCII through a byte table, then the few distinct other characters
    one by one (C speed; a regex takes twice as long)."""
    raw = folded.encode("utf-8", "surrogatepass")
    spaced = raw.translate(_SEPARATORS_TO_SPACE).decode("utf-8", "surrogatepass")
    if len(raw) != len(folded):  # some characters beyond ASCII
        for char in set(raw.translate(None, _ASCII).decode("utf-8", "surrogatepass")):
            if not char.isalnum():
                spaced = spaced.replace(char, " ")
    return spaced


def fold_words(text: str) -> tuple[str, ...]:
    """The case-folded words of ``text`` (``"GPT-5's"`` -> ``("gpt", "5", "s")``)."""
    return CutText(text).words


def literal_key(words: tuple[str, ...]) -> str:
    """The string the matcher's automaton looks for: the words between single spaces."""
    return f" {' '.join(words)} "
