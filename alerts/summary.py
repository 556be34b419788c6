"""An article's summary for people: its first sentences, and the text helpers messages share.

Where it sits in the flow: both messages a subscriber reads summarise an article the same way,
an alert (:func:`alerts.messages.build_alert_message`) and each story of a digest
(:mod:`alerts.digest.build`). The summary is the article's first two whole sentences from its
prose: leading bylines, section labels, "Updated ..." stamps and photo captions are skipped, a
wire dateline (``HONG KONG (Circuit Wire) - ``) is left out, and a sentence does not end at an
abbreviation or an initial (``Mr. Altman``, ``the U.S. Commerce Department``). Pure.
"""

from __future__ import annotations

import re

SUMMARY_MAX_CHARS = 420
LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")
"""Line breaks, control characters and whitespace runs: one space each in one-line fields."""
_DATELINE = re.compile(
    r"[A-Z][A-Z.'’]+(?: [A-Z][A-Z.'’]+)*"  # the place, in capitals: HONG KONG, ST. LOUIS
    r"(?:, [A-Z][A-Za-z.]*(?: [A-Za-z0-9.]+){0,3})?"  # its region or the date: , California
    r"(?: \([^()]{1,60}\))?"  # the outlet: (Circuit Wire)
    r"(?: (?:--|[-–—]) |—)(?=\S)"  # a dash, spaced (an em dash may be unspaced: LONDON—)
)
"""A wire-story dateline at the start of an article's text."""
_SENTENCE_GAP = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_INITIALS = re.compile(r"[A-Za-z](?:\.[A-Za-z])*")
"""``Q`` (Jane Q. Smith), ``U.S``, ``U.K``, ``E.U``: a word of single letters and dots."""
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "st", "jr",
    "sr", "inc", "corp", "co", "ltd", "plc", "bros", "no", "vs", "approx", "dept", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "fig"})
PREAMBLE_MAX_WORDS = 16
_SENTENCE_CLOSE = re.compile(r"[.!?…][\"”’')\]]*$")
_CAPTION = re.compile(
    r"(?i)(?:photo|image|picture|caption|credit|video)s?\s*:|listen to this article|advertisement")


def story_summary(text: str, max_chars: int = SUMMARY_MAX_CHARS) -> str:
    """The article's first two sentences, without the dateline a wire story opens with
    (``HONG KONG (Circuit Wire) - ``); only the first when both do not fit in ``max_chars``
    (a reader gets whole sentences), cut with an ellipsis only when the first alone is longer."""
    body = strip_dateline(one_line(without_preamble(text)))
    found = sentences(body, limit=2)
    for count in (2, 1):
        summary = " ".join(found[:count])
        if len(summary) <= max_chars:
            return summary
    return shorten(summary, max_chars)


def sentences(text: str, limit: int) -> list[str]:
    """The first ``limit`` sentences of one-line ``text``, not ended at an abbreviation or an
    initial: "Mr. Altman", "the U.S. Commerce Department", "Nvidia Corp. Chief Executive",
    "Jane Q. Smith"."""
    found: list[str] = []
    start = 0
    for gap in _SENTENCE_GAP.finditer(text):
        if len(found) == limit:
            return found
        if not _ends_abbreviation(text[start:gap.start()]):
            found.append(text[start:gap.start()])
            start = gap.end()
    rest = text[start:]
    return ([*found, rest] if rest else found)[:limit]


def _ends_abbreviation(sentence: str) -> bool:
    word = sentence.rsplit(" ", 1)[-1].lstrip("\"“‘(")
    if not word.endswith("."):
        return False
    bare = word[:-1]
    return bare.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(bare))


def without_preamble(text: str) -> str:
    """``text`` from its first line that reads as prose: leading bylines (``By Maren Costa``),
    section labels, "Updated ..." stamps, photo captions and "Listen to this article" are left
    out. A line is prose when it ends a sentence (``.``, ``!``, ``?``) or runs to
    :data:`PREAMBLE_MAX_WORDS` words; a text of nothing else is kept whole."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not _is_preamble(line.strip()):
            return "\n".join(lines[index:])
    return text


def _is_preamble(line: str) -> bool:
    if not line or _CAPTION.match(line):
        return True
    return not _SENTENCE_CLOSE.search(line) and len(line.split()) < PREAMBLE_MAX_WORDS


def strip_dateline(text: str) -> str:
    """``text`` without a leading dateline: a place in capitals (``MENLO PARK, California``,
    ``SAN FRANCISCO, Nov 26``), an optional ``(Outlet)`` and a dash; anything else is kept."""
    match = _DATELINE.match(text)
    return text[match.end():] if match and match.end() < len(text) else text


def one_line(text: str) -> str:
    """``text`` with every line break, control character and whitespace run made one space."""
    return LINE_BREAKS.sub(" ", text).strip()


def shorten(text: str, max_chars: int) -> str:
    """``text`` cut at a word boundary to at most ``max_chars``, with an ellipsis if cut."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;:") + "…"
