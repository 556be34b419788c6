"""Prepare a text for spaCy: normalise look-alike characters, cut, chunk, split into sentences.

Where it sits in the flow: the first step of tagging, before any spaCy call. Every operation here
keeps character offsets into the caller's text intact:

- look-alike characters (curly apostrophes and quotes, no-break spaces and hyphens, full-width
  CJK punctuation, zero-width spaces, lone surrogates) are replaced one character for one
  character, so ``Meta’s`` matches the catalog alias ``Meta's``, ``模型，Meta`` splits before
  ``Meta``, and undecodable input cannot break spaCy;
- text beyond ``max_text_chars`` is not tagged (cut at the last whitespace before the limit);
- the rest is split into chunks of at most ``max_chunk_chars``, cut at a paragraph break, else a
  line break, else a sentence end, else a space, else hard, so spaCy never sees a huge ``Doc``;
- each chunk is split into sentences by rule (line breaks, sentence-final punctuation followed by
  a capital, abbreviations and initials excepted), the same in rules-only and statistical mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.nlp.vocabulary import CORPORATE_SUFFIXES, SENTENCE_ABBREVIATIONS

_SAME_LENGTH = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u00a0": " ", "\u2007": " ", "\u202f": " ",
    "\u2010": "-", "\u2011": "-",
    "\uff0c": ",", "\u3001": ",", "\uff1a": ":", "\uff1b": ";", "\uff08": "(", "\uff09": ")",
    "\uff01": "!", "\uff1f": "?", "\u3002": ".",
    "\ufeff": " ", "\u200b": " ", "\u2060": " ",
})
_LOOK_ALIKE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_SAME_LENGTH)) + "]")
"""Any character of :data:`_SAME_LENGTH` (all non-ASCII): a C scan finds the few there are
faster than ``str.translate`` walks a whole text through its table."""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SENTENCE_END = re.compile(r"""[.!?\u2026]+['")\]]*(?=[ \t]+['"(\[]?[A-Z])""")
_PARAGRAPH, _LINE = "\n\n", "\n"
_SENTENCE_BREAK = re.compile(r"[.!?]['\")\]]*\s")

Span = tuple[int, int]


@dataclass(frozen=True)
class PreparedText:
    """A text ready for spaCy: the normalised tagged part, its chunks and its sentences."""

    original: str
    normalised: str
    """``original[:len(normalised)]`` with look-alike characters replaced one for one."""
    chunks: tuple[Span, ...]
    sentences: tuple[Span, ...]


def prepare_text(text: str, *, max_chunk_chars: int, max_text_chars: int) -> PreparedText:
    """Normalise, cut and chunk ``text``; all offsets index ``text`` itself."""
    normalised = normalise_text(text[: tagged_length(text, max_text_chars)])
    chunks = plan_chunks(normalised, max_chunk_chars)
    sentences = tuple(
        sentence for start, end in chunks for sentence in split_sentences(normalised, start, end)
    )
    return PreparedText(text, normalised, chunks, sentences)


def normalise_text(text: str) -> str:
    """Replace curly quotes, no-break spaces and hyphens by their ASCII forms, invisible
    spaces by spaces and lone surrogates (undecodable input) by U+FFFD, one for one."""
    if text.isascii():
        return text  # neither look-alikes nor surrogates
    return _LONE_SURROGATE.sub("\ufffd", _LOOK_ALIKE.sub(_ascii_form, text))


def _ascii_form(match: re.Match[str]) -> str:
    return str(_SAME_LENGTH[ord(match.group())])


def tagged_length(text: str, max_text_chars: int) -> int:
    """How much of ``text`` is tagged: all of it, or up to the last whitespace before the limit."""
    if len(text) <= max_text_chars:
        return len(text)
    space = max(text.rfind(" ", 0, max_text_chars), text.rfind("\n", 0, max_text_chars))
    return space if space > max_text_chars // 2 else max_text_chars


def plan_chunks(text: str, max_chunk_chars: int) -> tuple[Span, ...]:
    """Consecutive ``(start, end)`` spans covering ``text``, each at most ``max_chunk_chars``."""
    chunks: list[Span] = []
    start = 0
    while start < len(text):
        end = _chunk_end(text, start, max_chunk_chars)
        chunks.append((start, end))
        start = end
    return tuple(chunks)


def _chunk_end(text: str, start: int, max_chunk_chars: int) -> int:
    limit = start + max_chunk_chars
    if limit >= len(text):
        return len(text)
    floor = start + max_chunk_chars // 2
    for separator in (_PARAGRAPH, _LINE):
        cut = text.rfind(separator, floor, limit)
        if cut >= 0:
            return cut + len(separator)
    sentence_end = _last_sentence_break(text, floor, limit)
    if sentence_end is not None:
        return sentence_end
    space = text.rfind(" ", floor, limit)
    return space + 1 if space >= 0 else limit


def _last_sentence_break(text: str, floor: int, limit: int) -> int | None:
    last = None
    for match in _SENTENCE_BREAK.finditer(text, floor, limit):
        last = match.end()
    return last


def split_sentences(text: str, start: int = 0, end: int | None = None) -> tuple[Span, ...]:
    """The sentences of ``text[start:end]`` as stripped ``(start, end)`` spans into ``text``."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    line_start = start
    while line_start < end:
        line_end = text.find(_LINE, line_start, end)
        line_end = end if line_end < 0 else line_end
        spans.extend(_line_sentences(text, line_start, line_end))
        line_start = line_end + 1
    return tuple(span for span in (_strip(text, s, e) for s, e in spans) if span[0] < span[1])


def _line_sentences(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    for match in _SENTENCE_END.finditer(text, start, end):
        if _ends_in_abbreviation(text, start, match.start()):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, end))
    return spans


def _ends_in_abbreviation(text: str, line_start: int, period: int) -> bool:
    word_start = max(text.rfind(" ", line_start, period), text.rfind("\t", line_start, period))
    word = text[word_start + 1 : period].lstrip("\"'([").lower()
    if word in CORPORATE_SUFFIXES and text[period + 1 : period + 3].lstrip().startswith("("):
        return True
    return word in SENTENCE_ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
