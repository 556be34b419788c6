"""How text is cut into words, the same way for queries and for articles.

Where it sits in the flow: a query's words and phrases (``parser``) and an article's title and
text (``article``) are both cut by :class:`CutText`, so ``"Muse-Spark"`` in a query and
"Muse Spark" in an article meet as the same two words. A word is a run of letters or digits (any
script); everything else separates words; words are compared case-folded.
"""

from __future__ import annotations

import re
from itertools import accumulate

_WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(r"([^\W_]+)")


class CutText:
    """A text's case-folded words, and on demand their offsets in the text."""

    def __init__(self, text: str) -> None:
        folded = text.casefold()
        self._text = text
        self._parts: list[str] | None = None
        if len(folded) == len(text):  # one character for one: cut the folded text at once
            self._parts = _SPLIT.split(folded)  # separator, word, separator, ..., separator
            self.words: tuple[str, ...] = tuple(self._parts[1::2])
        else:  # "ß" -> "ss" and the like: cut the text, then fold each word
            self.words = tuple(word.casefold() for word in _WORD.findall(text))

    def offsets(self) -> tuple[list[int], list[int]]:
        """The start and end offsets in the text of each word."""
        parts = self._parts if self._parts is not None else _SPLIT.split(self._text)
        bounds = list(accumulate(map(len, parts)))
        return bounds[0:-1:2], bounds[1::2]


def fold_words(text: str) -> tuple[str, ...]:
    """The case-folded words of ``text`` (``"GPT-5's"`` -> ``("gpt", "5", "s")``)."""
    return CutText(text).words


def literal_key(words: tuple[str, ...]) -> str:
    """The string the matcher's automaton looks for: the words between single spaces."""
    return f" {' '.join(words)} "
