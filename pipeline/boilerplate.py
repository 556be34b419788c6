"""Recognising boilerplate lines that text extractors leave inside an article body.

Part of the extraction stage (``FetchedPage -> ExtractedArticle``): after trafilatura has chosen
the article's blocks, :mod:`pipeline.body_text` asks :func:`classify_block` about each one. These
are phrasings, not site rules: the repeated headline, a dateline or byline above the text,
"Related: ..." and "Read more: ..." teasers, newsletter and social-media prompts, comment
counters, wire-service credits and copyright lines. Only short blocks are judged, so a real
paragraph that happens to start with "More" is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_BOILERPLATE_WORDS = 30
"""Blocks longer than this are article prose, whatever they start with."""

LEADING_BLOCKS = 3
"""Headline repeats and datelines are only looked for among the first blocks."""

_WORD = re.compile(r"\w+")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}:\d{{2}}"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}}\.? {_MONTH} \d{{4}})",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+\S", re.IGNORECASE)
_TEASER = re.compile(
    r"^(?:related(?: articles?| stories| posts?| content| coverage| reading)?\s*[:|]"
    r"|read (?:more|also|next)\b|see (?:more|also)\s*:|more\s*:|also\s*:|also (?:read|see|on)\b"
    r"|leggi anche|lesen sie auch|lire aussi|veja também|leia (?:também|mais)"
    r"|don'?t miss\b|you (?:may|might) (?:also )?like"
    r"|recommended(?: for you| stories| reading)?\s*:?$"
    r"|most (?:read|popular|viewed)\b|trending(?: now| stories)?\s*:?$|advertisement\b|sponsored\b"
    r"|click here\b|sign up\b|subscribe\b|follow us\b|share (?:this|on)\b"
    r"|like this (?:story|article)\b|filed under\s*:|tags?\s*:|image source\s*:|photo credit\s*:)",
    re.IGNORECASE,
)
_LONE_LABEL = re.compile(
    r"^(?:\d+\s+)?(?:comments?|tags|share|advertisement|related|more|print|e-?mail|_+|-+|\*+)\s*:?$",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^\(?\s*(?:(?:additional )?reporting|editing|writing|compiled|edited) by\b"
    r"|contributed (?:reporting|to this (?:report|story|article))"
    r"|^with (?:post )?wires?\b",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"^(?:follow|like|join)\b.{0,120}\b(?:twitter|facebook|instagram|linkedin|youtube)\b"
    r"|\b(?:e-?mail|reach|contact)\b.{0,80}\S+@\S+\.\w+"
    r"|newsletter|all rights reserved|^©|^copyright\b",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """Case-folded ``\\w+`` words of ``text``."""
    return [word.casefold() for word in _WORD.findall(text)]


def classify_block(text: str, position: int, titles: Sequence[str]) -> str | None:
    """Name the kind of boilerplate a body block is, or ``None`` when it is article text.

    ``position`` is the block's index in the body (0 = first); ``titles`` are the page's
    headline candidates (title tag, ``og:title``, JSON-LD headline, ``<h1>``).
    """
    block_words = words(text)
    if position < LEADING_BLOCKS:
        if is_title_repeat(block_words, titles):
            return "headline repeated above the text"
        if len(block_words) <= 14 and (_DATE.search(text) or _BYLINE.match(text)):
            return "dateline or byline"
    if len(block_words) > MAX_BOILERPLATE_WORDS:
        return None
    if _TEASER.match(text) or _LONE_LABEL.match(text):
        return "teaser or label"
    if _CREDIT.search(text):
        return "reporting credit"
    if _PROMO.search(text):
        return "promotion or copyright line"
    return None


def is_title_repeat(block_words: list[str], titles: Sequence[str]) -> bool:
    """True when a block is one of the titles, or most of one, or a title plus a few words."""
    if not block_words:
        return False
    for title in titles:
        title_words = words(title)
        if title_words and _repeats(block_words, title_words):
            return True
    return False


def _repeats(block: list[str], title: list[str]) -> bool:
    """The block equals the title, is most of it, or is the title with a few extra words."""
    if block == title:
        return True
    block_text, title_text = " ".join(block), " ".join(title)
    if len(block) >= 3 and len(block) >= 0.6 * len(title) and _within(block_text, title_text):
        return True
    return len(title) >= 3 and len(block) <= len(title) + 4 and _within(title_text, block_text)


def _within(part: str, whole: str) -> bool:
    """Word-aligned containment of space-joined word sequences."""
    return f" {part} " in f" {whole} "
