"""Field helpers shared by the feed parsers that build :class:`pipeline.types.EntryHints`.

:mod:`crawler.feeds` (RSS/Atom through feedparser) and :mod:`crawler.jsonfeed` turn raw feed
values into clean hint fields with these: HTML to plain text, plausible UTC dates, absolute
http(s) links (unwrapping known redirect wrappers), order-keeping de-duplication.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html

from pipeline.dates import from_struct_time, parse_iso_datetime, sane_published
from pipeline.text import clean_line, clean_text
from pipeline.urls import is_http_url

T = TypeVar("T")

MAX_WARNINGS = 20
"""Warnings kept per parsed document; the rest are counted in one closing line."""

_BLOCK_TAG_NAMES = (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section table tr ul"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")
_TAG = re.compile(r"<[^>]*>")
_SLASHED_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DIGITS_ONLY = re.compile(r"\d+")
_REDIRECT_WRAPPERS = {("www.google.com", "/url"): ("url", "q")}


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment: tags dropped, block elements on their own lines."""
    cleaned = clean_text(markup)
    if not cleaned:
        return ""
    try:
        root = lxml.html.fragment_fromstring(cleaned, create_parent="div")
    except (lxml.etree.LxmlError, ValueError):
        return clean_text(_TAG.sub(" ", cleaned))
    for element in list(root.iter(*_INVISIBLE_TAGS)):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return clean_text(str(root.text_content()))


def text_field(value: str | None, is_html: bool) -> str | None:
    """A multi-line text field (a summary) as clean plain text, ``None`` when empty."""
    text = html_to_text(value) if is_html else clean_text(value)
    return text or None


def line_field(value: str | None, is_html: bool = False) -> str | None:
    """A one-line field (a title, a name) as clean plain text, ``None`` when empty."""
    return clean_line(html_to_text(value) if is_html else value)


def checked_date(
    raw: str | None, parsed: time.struct_time | None, now: datetime
) -> tuple[datetime | None, str | None]:
    """A feed date as a plausible UTC datetime, or ``None`` and the problem in words.

    ``raw`` is the date as written, ``parsed`` feedparser's reading of it (if any). Shapes that
    feedparser misreads are decided here: ``2020/1/10 14:33`` is read as year/month/day and
    bare numbers (Unix epochs in a date field) are refused.
    """
    text = (raw or "").strip()
    if not text:
        return None, None
    value = _read_date(text, parsed)
    if value is None:
        return None, f"unparsable date {text!r} ignored"
    plausible = sane_published(value, now)
    if plausible is None:
        return None, f"implausible date {text!r} ignored"
    return plausible, None


def _read_date(text: str, parsed: time.struct_time | None) -> datetime | None:
    slashed = _SLASHED_DATE.fullmatch(text)
    if slashed:
        year, month, day, hour, minute, second = (int(p) for p in slashed.groups(default="0"))
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return None
    if _DIGITS_ONLY.fullmatch(text):
        return None
    return from_struct_time(parsed) if parsed is not None else parse_iso_datetime(text)


def http_link(candidate: object, base: str) -> str | None:
    """``candidate`` resolved against ``base`` when it is a usable http(s) link, else ``None``.

    Known redirect wrappers (Google Alerts' ``google.com/url?url=...``) are unwrapped.
    """
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    try:
        resolved = urljoin(base, candidate.strip())
    except ValueError:
        return None
    resolved = _unwrap_redirect(resolved)
    return resolved if is_http_url(resolved) else None


def _unwrap_redirect(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    names = _REDIRECT_WRAPPERS.get(((parts.hostname or ""), parts.path))
    if not names:
        return url
    query = parse_qs(parts.query)
    for name in names:
        target = (query.get(name) or [""])[0]
        if is_http_url(target):
            return target
    return url


def without_fragment(url: str) -> str:
    """``url`` without its ``#fragment``."""
    return urldefrag(url).url


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty values, first occurrence kept, order preserved."""
    return tuple(dict.fromkeys(value for value in values if value))


def capped(warnings: list[str], limit: int = MAX_WARNINGS) -> tuple[str, ...]:
    """At most ``limit`` warnings, plus a line counting the ones left out."""
    if len(warnings) <= limit:
        return tuple(warnings)
    return (*warnings[:limit], f"... and {len(warnings) - limit} more warnings")


def describe_entry(title: str | None, position: int) -> str:
    """How a warning names an entry: its title when it has one, else its position."""
    name = clean_line(title)
    if name:
        return f"entry {position} ({name[:60]!r})"
    return f"entry {position}"


def plain_to_html(text: str | None) -> str | None:
    """Plain text as minimal HTML: one escaped ``<p>`` per paragraph (``None`` when empty)."""
    paragraphs = [part for part in clean_text(text).split("\n\n") if part.strip()]
    if not paragraphs:
        return None
    return "\n".join(f"<p>{html.escape(part)}</p>" for part in paragraphs)


def language_tag(value: object) -> str | None:
    """A language tag as lower-case BCP 47 (``en-us``), ``None`` when empty or not text."""
    if not isinstance(value, str):
        return None
    tag = (clean_line(value) or "").replace("_", "-").lower()
    return tag or None


def first_entries(items: list[T], max_entries: int | None, warnings: list[str]) -> list[T]:
    """The first ``max_entries`` items (all when ``None``), noting in ``warnings`` what was cut."""
    if max_entries is None or len(items) <= max_entries:
        return items
    warnings.append(f"kept the first {max_entries} of {len(items)} entries")
    return items[: max(max_entries, 0)]
