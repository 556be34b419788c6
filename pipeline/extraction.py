"""Article extraction: the pipeline stage ``FetchedPage -> ExtractedArticle | NotAnArticle``.

Pure functions, no I/O: the crawler hands over the page bytes (and the feed's hints), storage
receives the result. :func:`extract_article` reads top to bottom as the stage's steps:

1. refuse what cannot be a page (empty, binary) -- :mod:`pipeline.page_input`;
2. decode and parse within size and nesting limits -- :mod:`pipeline.page_input`;
3. read what the page declares (JSON-LD, Open Graph, meta tags) -- :mod:`pipeline.metadata`;
4. let trafilatura pick the article body and guess metadata (fast mode; its slower fallbacks
   only when the fast result looks like a navigation dump);
5. clean the body with page evidence (boilerplate, link lists, split bodies) --
   :mod:`pipeline.body_text`; prefer the JSON-LD ``articleBody`` when it agrees;
6. merge metadata: page declarations, then trafilatura, then the feed's hints; dates sanity
   checked, every string cleaned.

:func:`article_from_hints` builds the article from the feed alone when the page is unavailable.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml.html import HtmlElement

from pipeline.body_text import clean_article_body
from pipeline.dates import sane_published
from pipeline.language import guess_language_from_script, normalize_language
from pipeline.metadata import (
    DatedClaim,
    PageMetadata,
    html_to_text,
    parse_date_string,
    read_page_metadata,
)
from pipeline.page_input import parse_page, refuse_non_html
from pipeline.text import clean_line, clean_text
from pipeline.types import EntryHints, ExtractedArticle, NotAnArticle
from pipeline.urls import InvalidUrlError, canonicalize_url, is_http_url

LOGGER = logging.getLogger(__name__)

MIN_ARTICLE_WORDS = 5
"""Less text than this is not an article (unless the page was pathological and has a title)."""

MAX_TEXT_CHARS = 300_000
"""Longer article texts are cut (a novel-length "article" is a page-structure accident)."""

_PLACEHOLDER_AUTHORS = frozenset(
    {"publisher", "admin", "administrator", "author", "editor", "staff", "webmaster", "unknown",
     "anonymous", "none", "null", "redaktion", "redacción", "rédaction", "guest"}
)


@dataclass(frozen=True)
class _Candidate:
    """Article text and trafilatura's metadata guesses for one page."""

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None
    image: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()


def extract_article(
    body: bytes | str,
    url: str,
    *,
    now: datetime,
    hints: EntryHints | None = None,
    declared_encoding: str | None = None,
) -> ExtractedArticle | NotAnArticle:
    """Extract the article of one fetched page; never raises for bad input.

    ``now`` bounds plausible publication dates; ``hints`` (what the feed said) fill gaps in
    title, authors, date, language and image, never the text; ``declared_encoding`` is the
    HTTP charset, if any. Empty, binary and text-less pages give :class:`NotAnArticle` (the
    caller may then fall back to :func:`article_from_hints`); a pathological page (nested too
    deep, too big) still gives an article with its title and whatever text could be kept.
    """
    refusal = refuse_non_html(body, declared_encoding)
    if refusal:
        return NotAnArticle(url=url, reason=refusal)
    page = parse_page(body, declared_encoding)
    if page is None:
        return NotAnArticle(url=url, reason="The page could not be parsed as HTML.")
    declared = read_page_metadata(page.tree, url)
    candidate = _extract_candidate(page.tree, url, now, declared)
    text = _prefer_declared_body(candidate.text, declared.article_body)
    notes = list(page.notes)
    title = declared.title or candidate.title or (hints.title if hints else None)
    if _too_short(text) and not (page.notes and title):
        return NotAnArticle(url=url, reason="No article text could be extracted from the page.")
    if (listing := listing_page_reason(declared, text)) is not None:
        return NotAnArticle(url=url, reason=listing)
    fields = _Fields(url=url, text=_bounded(text, notes), title=title, declared=declared,
                     candidate=candidate, hints=hints)
    return _assemble(fields, now, notes)


def article_from_hints(hints: EntryHints, *, now: datetime) -> ExtractedArticle | NotAnArticle:
    """The article as the feed described it, for entries whose page cannot be fetched.

    The feed's full content (HTML converted to text) is the text, else its summary.
    """
    text = _feed_text(hints)
    if not text:
        return NotAnArticle(url=hints.url, reason="The feed entry has neither content nor summary.")
    notes = ["Built from the feed entry; the page itself was not used."]
    fields = _Fields(url=hints.url, text=_bounded(text, notes), title=hints.title,
                     declared=PageMetadata(), candidate=_Candidate(text=text), hints=hints)
    return _assemble(fields, now, notes, with_canonical=False)


NON_ARTICLE_PAGE_TYPES = frozenset({"website", "profile", "product", "place", "book", "music.song",
                                    "video.other", "business.business"})
LISTING_MAX_WORDS = 300


def listing_page_reason(declared: PageMetadata, text: str) -> str | None:
    """Why a page is a section, listing or landing page rather than an article, if it is one.

    Only a page that says so itself counts: a non-article ``og:type``, no schema.org article, no
    declared publication date, and little text. Pages that declare nothing are given the
    benefit of the doubt.
    """
    if declared.page_type not in NON_ARTICLE_PAGE_TYPES or declared.has_article_schema:
        return None
    words = len(text.split())
    if declared.published or words >= LISTING_MAX_WORDS:
        return None
    return (f"Not an article: the page declares og:type {declared.page_type!r}, no schema.org "
            f"article and no publication date, and has only {words} words of text.")


def _too_short(text: str) -> bool:
    return len(text.split()) < MIN_ARTICLE_WORDS


def _feed_text(hints: EntryHints) -> str:
    return html_to_text(hints.content_html) or html_to_text(hints.summary)


def _bounded(text: str, notes: list[str]) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    notes.append(f"The article text was cut at {MAX_TEXT_CHARS:,} characters.")
    return text[:MAX_TEXT_CHARS]


# --- trafilatura ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TrafilaturaSettings:
    url: str
    now: datetime
    fast: bool
    metadata: bool
    extensive_dates: bool


def _extract_candidate(
    tree: HtmlElement, url: str, now: datetime, declared: PageMetadata
) -> _Candidate:
    """Run trafilatura in fast mode; retry with its fallbacks when the result is a menu dump.

    trafilatura's own metadata guesses (the slower half of its work) are only asked for when
    the page does not declare its title, authors and a plausible date itself.
    """
    dated = any(sane_published(claim.value, now) for claim in declared.published)
    complete = bool(dated and declared.title and _clean_names(declared.authors))
    settings = _TrafilaturaSettings(
        url=url, now=now, fast=True, metadata=not complete, extensive_dates=not dated
    )
    candidate = _candidate_from(_run_trafilatura(tree, settings), tree, declared)
    if candidate is None and settings.metadata:
        # trafilatura discards the whole page when its metadata step fails on hostile values
        # (a date with a +99:00 zone); the page's own declarations still give title and dates
        settings = dataclasses.replace(settings, metadata=False)
        candidate = _candidate_from(_run_trafilatura(tree, settings), tree, declared)
    if candidate is None or looks_like_navigation(candidate.text):
        slow_settings = dataclasses.replace(settings, fast=False)
        slow = _candidate_from(_run_trafilatura(tree, slow_settings), tree, declared)
        if slow is not None and (candidate is None or len(slow.text) < len(candidate.text)):
            candidate = slow
    return candidate or _Candidate(text="")


def _run_trafilatura(tree: HtmlElement, settings: _TrafilaturaSettings) -> Any:
    """trafilatura's document for a parsed page, or ``None`` (it refuses or fails)."""
    date_params = {
        "original_date": True,
        "extensive_search": settings.extensive_dates,
        "max_date": settings.now.strftime("%Y-%m-%d"),
    }
    try:
        return trafilatura.bare_extraction(
            tree, url=settings.url, fast=settings.fast, include_comments=False,
            include_tables=True, with_metadata=settings.metadata,
            date_extraction_params=date_params,
        )
    except Exception:  # a third-party failure on one page must not abort a batch
        LOGGER.warning("trafilatura failed on %s", settings.url, exc_info=True)
        return None


def _candidate_from(document: Any, tree: HtmlElement, declared: PageMetadata) -> _Candidate | None:
    """Our cleaned text and trafilatura's metadata guesses from its document."""
    if document is None or document.body is None:
        return None
    headings = (declared.title, document.title, tree.findtext(".//title"), *_h1s(tree))
    titles = [title for title in headings if title]
    text, report = clean_article_body(document.body, tree, titles)
    if report.dropped or report.recovered_paragraphs:
        LOGGER.debug("body cleaning: dropped %s, recovered %d paragraphs",
                     report.dropped, report.recovered_paragraphs)
    return _Candidate(
        text=text,
        title=clean_line(document.title),
        authors=tuple((document.author or "").split(";")),
        date=document.date,
        image=document.image,
        site_name=clean_line(document.sitename),
        description=clean_line(document.description),
        tags=(*(document.tags or ()), *(document.categories or ())),
    )


def _h1s(tree: HtmlElement) -> list[str]:
    return [" ".join(h1.text_content().split()) for h1 in tree.iterfind(".//h1")][:2]


def looks_like_navigation(text: str) -> bool:
    """True for text made mostly of one-to-three-word lines (a menu dump, not an article)."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 20:
        return False
    short = sum(1 for line in lines if len(line.split()) <= 3)
    return short >= 0.6 * len(lines)


def _prefer_declared_body(text: str, article_body: str | None) -> str:
    """The JSON-LD ``articleBody`` when it agrees with the extracted text or the latter failed.

    Agreement is 90% of shared word 4-grams both ways: then the publisher's own body is the
    cleaner copy. A teaser-length ``articleBody`` never replaces a full extraction.
    """
    if not article_body:
        return text
    if len(text.split()) < 30 <= len(article_body.split()) // 2:
        return article_body
    ours, theirs = _shingles(text), _shingles(article_body)
    if not ours or not theirs:
        return text
    shared = len(ours & theirs)
    agree = shared >= 0.9 * len(ours) and shared >= 0.9 * len(theirs)
    return article_body if agree else text


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = text.casefold().split()
    return {tuple(tokens[i : i + 4]) for i in range(max(len(tokens) - 3, 0))}


# --- metadata merge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fields:
    """Everything known about one article before merging: text and three metadata sources."""

    url: str
    text: str
    title: str | None
    declared: PageMetadata
    candidate: _Candidate
    hints: EntryHints | None


def _assemble(
    fields: _Fields, now: datetime, notes: list[str], *, with_canonical: bool = True
) -> ExtractedArticle:
    """Merge page declarations, then trafilatura's guesses, then the feed's hints."""
    declared, candidate, hints = fields.declared, fields.candidate, fields.hints or _NO_HINTS
    claims = [*declared.published]
    guessed = parse_date_string(candidate.date)
    if guessed is not None and _is_year_only(guessed):
        notes.append(f"Ignored a date guess of {guessed:%Y-%m-%d}: it names only a year.")
    elif guessed is not None:
        claims.append(DatedClaim("trafilatura's date guess", guessed))
    if hints.published is not None:
        claims.append(DatedClaim("the feed", hints.published))
    canonical = _canonical(declared.canonical_url, fields.url, notes) if with_canonical else None
    site_name = declared.site_name or candidate.site_name
    return ExtractedArticle(
        url=fields.url,
        title=strip_site_name(clean_line(fields.title), site_name),
        text=clean_text(fields.text),
        canonical_url=canonical,
        authors=_clean_names(declared.authors) or _clean_names(candidate.authors)
        or _clean_names(hints.authors),
        published=_first_sane(claims, now, notes),
        language=declared.language or normalize_language(hints.language)
        or guess_language_from_script(fields.text),
        image=declared.image or _http_or_none(candidate.image) or _http_or_none(hints.image),
        description=declared.description or candidate.description or _summary_line(hints),
        site_name=site_name,
        tags=_merge_tags(*declared.tags, *candidate.tags, *hints.tags),
        notes=tuple(notes),
    )


_NO_HINTS = EntryHints(url="")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " // ")


def strip_site_name(title: str | None, site_name: str | None) -> str | None:
    """``"Muse Spark | Example News"`` -> ``"Muse Spark"`` when the site is "Example News"."""
    if not title or not site_name:
        return title
    site = site_name.casefold()
    for separator in _TITLE_SEPARATORS:
        head, _, tail = title.rpartition(separator)
        if head and tail.strip().casefold() == site:
            return head.strip()
        first, _, rest = title.partition(separator)
        if rest and first.strip().casefold() == site:
            return rest.strip()
    return title


def _is_year_only(value: datetime) -> bool:
    """htmldate answers January 1st, midnight, when all it found was a year (e.g. a copyright)."""
    return (value.month, value.day, value.hour, value.minute, value.second) == (1, 1, 0, 0, 0)


def _first_sane(claims: list[DatedClaim], now: datetime, notes: list[str]) -> datetime | None:
    """The first plausible date; implausible ones are noted, not kept."""
    for claim in claims:
        value = sane_published(claim.value, now)
        if value is not None:
            return value
        notes.append(
            f"Dropped an implausible publication date from {claim.source}: "
            f"{claim.value.isoformat()}."
        )
    return None


def _canonical(declared: str | None, url: str, notes: list[str]) -> str | None:
    """The declared canonical URL, canonicalised; a home-page canonical on an article is ignored."""
    if not declared:
        return None
    try:
        canonical = canonicalize_url(declared)
    except InvalidUrlError:
        notes.append(f"Ignored an unusable canonical URL: {declared!r}.")
        return None
    if _is_home_page(canonical) and is_http_url(url) and not _is_home_page(url):
        notes.append(f"Ignored a canonical URL that points to the site's home page: {canonical}.")
        return None
    return canonical


def _is_home_page(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.path in ("", "/") and not parts.query


def _clean_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """Distinct author names, without placeholders such as "admin" or "publisher"."""
    cleaned: dict[str, str] = {}
    for name in names:
        line = clean_line(name)
        if line and line.casefold() not in _PLACEHOLDER_AUTHORS and len(line) <= 100:
            cleaned.setdefault(line.casefold(), line)
    return tuple(cleaned.values())


def _merge_tags(*tags: str) -> tuple[str, ...]:
    merged: dict[str, str] = {}
    for tag in tags:
        for part in tag.split(","):
            line = clean_line(part)
            if line and len(line) <= 80:
                merged.setdefault(line.casefold(), line)
    return tuple(merged.values())[:30]


def _http_or_none(url: str | None) -> str | None:
    return url.strip() if url and is_http_url(url) else None


def _summary_line(hints: EntryHints) -> str | None:
    return clean_line(html_to_text(hints.summary)) if hints.summary else None
