"""How text is cut into words, the same way for queries and for articles.

Where it sits in the flow: a query's words and phrases (``parser``) and an article's title and
text (``article``) both go through :func:`fold_words`, so ``"Muse-Spark"`` in a query and
"Muse Spark" in an article meet as the same two words. A word is a run of letters or digits (any
script); everything else separates words; words are compared case-folded.
"""

from __future__ import annotations

import re
from itertools import accumulate

_WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(r"([^\W_]+)")


def fold_words(text: str) -> tuple[str, ...]:
    """The case-folded words of ``text`` (``"GPT-5's"`` -> ``("gpt", "5", "s")``)."""
    folded = text.casefold()
    if len(folded) == len(text):  # one character for one: cut the folded text at once
        return tuple(_WORD.findall(folded))
    return tuple(word.casefold() for word in _WORD.findall(text))  # "ß" -> "ss" and the like


def word_offsets(text: str) -> tuple[list[int], list[int]]:
    """The start and end offsets in ``text`` of each word :func:`fold_words` returns."""
    parts = _SPLIT.split(text)  # separator, word, separator, word, ..., separator
    bounds = list(accumulate(map(len, parts)))
    return bounds[0:-1:2], bounds[1::2]


def literal_key(words: tuple[str, ...]) -> str:
    """The string the matcher's automaton looks for: the words between single spaces."""
    return f" {' '.join(words)} "
