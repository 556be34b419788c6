"""Feed parsing: a fetched feed's bytes -> :class:`ParsedFeed` of entry hints, or a ParseFailure.

Where it sits: the feed spider fetches a source's feed URL and calls :func:`parse_feed` on the
body; each :class:`~pipeline.types.EntryHints` names an article URL that the spider fetches next
as a :class:`~pipeline.types.FetchedPage`, and travels with it as hints for extraction. Pure:
bytes in, typed values out; feedparser dicts never leave this module.

The order of :func:`parse_feed`: refuse what is not text (empty, binary); hand JSON to
:mod:`crawler.jsonfeed`; decode the bytes (:func:`crawler.sniff.decode_xml_bytes`: HTTP charset,
XML declaration, BOM, repairs); refuse HTML pages and documents that declare entities; tidy the
XML; let feedparser read it; convert entries; explain an empty result.

Safety: feedparser only ever gets a ``BytesIO`` (given a ``str`` or ``bytes`` it would open a
path or URL). Documents declaring ``<!ENTITY ...>`` are refused up front: feedparser's lenient
fallback parser expands "safe" internal entities with no limit (a quadratic blow-up: 50 KB of
input became 2.5 GB), while its strict SAX parser already ignores external entities and DTDs.
"""

from __future__ import annotations

import io
import re
import xml.sax
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from crawler.hints import (
    capped,
    checked_date,
    describe_entry,
    first_entries,
    http_link,
    language_tag,
    line_field,
    plain_to_html,
    text_field,
    unique,
)
from crawler.jsonfeed import looks_like_json, parse_json_feed
from crawler.sniff import (
    ENTITIES_REFUSED,
    DecodedText,
    declares_entities,
    decode_xml_bytes,
    describe_binary,
    looks_like_html,
    root_element_name,
)
from crawler.types import ParsedFeed, ParseFailure
from pipeline.types import EntryHints
from pipeline.urls import is_http_url

Entry = Any
"""A feedparser ``FeedParserDict`` (untyped; it never leaves this module)."""

_FEED_ELEMENT = re.compile(r"<(?:[\w.-]+:)?(?:feed|rss|RDF|channel)[\s>]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_XML_DECLARATION = re.compile(r"<\?xml\s[^>]*\?>")
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_ADVERTISED_FEED = (
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"
    "[contains(@type, 'rss') or contains(@type, 'atom') or contains(@type, 'json')]/@href"
)


@dataclass(frozen=True)
class _PreparedXml:
    data: bytes
    line_offset: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _FeedContext:
    url: str
    now: datetime
    language: str | None
    not_articles: frozenset[str]
    """The feed's own URLs and home page: an entry link equal to one is no article link."""


def parse_feed(
    body: bytes,
    url: str,
    *,
    now: datetime,
    content_type: str | None = None,
    max_entries: int | None = None,
) -> ParsedFeed | ParseFailure:
    """Parse an RSS 0.9x/1.0/2.0, Atom or JSON Feed document fetched from ``url``.

    Relative links resolve against ``url`` (and ``xml:base``); dates outside 1990..``now`` + 1 day
    are dropped with a warning; entries without an http(s) link are skipped with a warning. A
    document that cannot be read as a feed gives a :class:`ParseFailure` saying why.
    """
    refusal = _refuse_bytes(body)
    if refusal:
        return ParseFailure(refusal)
    if looks_like_json(body, content_type):
        return parse_json_feed(body, url, now=now, max_entries=max_entries)
    decoded = decode_xml_bytes(body, content_type)
    refusal = _refuse_markup(decoded.text, url, content_type)
    if refusal:
        return ParseFailure(refusal)
    prepared = _prepare_xml(decoded.text)
    result = _run_feedparser(prepared.data, url)
    if isinstance(result, str):
        return ParseFailure(result)
    return _to_parsed_feed(
        result, url, now=now, decoded=decoded, prepared=prepared, limit=max_entries
    )


def _refuse_bytes(body: bytes) -> str | None:
    if not body.strip():
        return "the document is empty"
    binary = describe_binary(body)
    if binary is None:
        return None
    if binary == "gzip-compressed data":
        return "the document is gzip-compressed data, not a feed (sent without Content-Encoding?)"
    return f"the document is {binary}, not a feed"


def _refuse_markup(text: str, url: str, content_type: str | None) -> str | None:
    if declares_entities(text.encode("utf-8", errors="replace")):
        return f"the feed {ENTITIES_REFUSED}"
    served_as_html = (content_type or "").split(";")[0].strip().lower() == "text/html"
    if (served_as_html or looks_like_html(text)) and not _FEED_ELEMENT.search(text):
        advertised = _advertised_feed(text, url)
        hint = f"; the page links to a feed at {advertised}" if advertised else ""
        return f"the document is an HTML page, not a feed{hint}"
    return None


def _advertised_feed(text: str, url: str) -> str | None:
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True)
        page = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    hrefs = page.xpath(_ADVERTISED_FEED)
    return http_link(str(hrefs[0]), url) if hrefs else None


def _prepare_xml(text: str) -> _PreparedXml:
    """Tidy decoded XML for feedparser: leading blank lines, illegal characters, declaration."""
    stripped = text.lstrip("\ufeff \t\r\n")
    line_offset = text[: len(text) - len(stripped)].count("\n")
    warnings = []
    if line_offset:
        warnings.append("blank lines before the XML declaration removed")
    cleaned, removed = _XML_ILLEGAL.subn("", stripped)
    references = len(_CHARACTER_REFERENCE.findall(cleaned))
    cleaned = _CHARACTER_REFERENCE.sub(_legal_reference, cleaned)
    removed += references - len(_CHARACTER_REFERENCE.findall(cleaned))
    if removed:
        warnings.append(f"{removed} character(s) not allowed in XML (such as NUL) removed")
    if declaration := _XML_DECLARATION.match(cleaned):
        cleaned = cleaned[declaration.end() :]
    data = (_UTF8_DECLARATION + cleaned).encode("utf-8", errors="replace")
    return _PreparedXml(data, line_offset, tuple(warnings))


def _legal_reference(match: re.Match[str]) -> str:
    """A character reference kept if it names a character XML allows, else dropped (a reference
    to a lone surrogate makes feedparser fail on the whole feed)."""
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    legal = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or (
        0x10000 <= code <= 0x10FFFF)
    return match.group(0) if legal else ""


def _run_feedparser(data: bytes, url: str) -> Entry | str:
    """feedparser's result, or why it crashed (its lenient parser raises on some broken input)."""
    headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    try:
        return feedparser.parse(
            io.BytesIO(data),
            response_headers=headers,
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as error:  # a feedparser bug on malformed input must not end the crawl
        return (
            f"the feed is too broken to read (feedparser failed: {type(error).__name__}: {error})"
        )


def _to_parsed_feed(
    result: Entry,
    url: str,
    *,
    now: datetime,
    decoded: DecodedText,
    prepared: _PreparedXml,
    limit: int | None,
) -> ParsedFeed | ParseFailure:
    problem = _bozo_problem(result, prepared.line_offset)
    warnings = [*decoded.warnings, *prepared.warnings]
    if problem:
        warnings.append(f"{problem}; read with the lenient parser")
    entries = first_entries(list(result.get("entries") or []), limit, warnings)
    context = _feed_context(result.get("feed") or {}, url, now)
    hints = [_entry_hints(entry, n, context, warnings) for n, entry in enumerate(entries, 1)]
    kept = tuple(hint for hint in hints if hint is not None)
    if not kept and problem:
        return ParseFailure(problem)
    if not kept and not result.get("version"):
        root = root_element_name(decoded.text) or "?"
        return ParseFailure(f"the document is XML but not a feed (its root element is <{root}>)")
    feed = result.get("feed") or {}
    return ParsedFeed(
        format=result.get("version") or "unknown",
        title=line_field(feed.get("title"), _is_html(feed.get("title_detail"))),
        link=http_link(feed.get("link"), url),
        entries=kept,
        encoding=decoded.encoding,
        warnings=capped(warnings),
    )


def _bozo_problem(result: Entry, line_offset: int) -> str | None:
    error = result.get("bozo_exception") if result.get("bozo") else None
    if error is None:
        return None
    if isinstance(error, xml.sax.SAXParseException):
        line = (error.getLineNumber() or 0) + line_offset
        return f"not well-formed XML at line {line}: {error.getMessage()}"
    return f"{type(error).__name__}: {error}"


def _feed_context(feed: Entry, url: str, now: datetime) -> _FeedContext:
    own = [url, feed.get("link")]
    own += [(feed.get(key) or {}).get("base") for key in ("title_detail", "subtitle_detail")]
    own += [link.get("href") for link in feed.get("links") or [] if link.get("rel") == "self"]
    return _FeedContext(
        url=url,
        now=now,
        language=language_tag(feed.get("language")),
        not_articles=frozenset(link for link in own if isinstance(link, str) and link),
    )


def _entry_hints(
    entry: Entry, position: int, context: _FeedContext, warnings: list[str]
) -> EntryHints | None:
    title = line_field(entry.get("title"), _is_html(entry.get("title_detail")))
    name = describe_entry(title, position)
    link = _entry_link(entry, context)
    if link is None:
        warnings.append(f"{name} has no http(s) link; skipped")
        return None
    published = _entry_date(entry, "published", context.now, name, warnings)
    updated = _entry_date(entry, "updated", context.now, name, warnings)
    return EntryHints(
        url=link,
        guid=line_field(entry.get("id")),
        title=title,
        summary=_summary(entry),
        content_html=_content_html(entry),
        authors=_authors(entry),
        published=published,
        updated=updated,
        image=_image(entry, _entry_base(entry, context)),
        language=_language(entry) or context.language,
        tags=_tags(entry),
    )


def _entry_link(entry: Entry, context: _FeedContext) -> str | None:
    """The article link: FeedBurner's origLink, the alternate link(s), else an http(s) id."""
    base = _entry_base(entry, context)
    alternates = [link.get("href") for link in _list(entry, "links") if _is_alternate(link)]
    candidates = [entry.get("feedburner_origlink"), entry.get("link"), *alternates]
    for candidate in candidates:
        link = http_link(candidate, base)
        if link and link not in context.not_articles:
            return link
    guid = entry.get("id")
    if isinstance(guid, str) and is_http_url(guid) and guid.strip() not in context.not_articles:
        return guid.strip()
    return None


def _is_alternate(link: Entry) -> bool:
    return bool(link.get("rel", "alternate") == "alternate")


def _entry_base(entry: Entry, context: _FeedContext) -> str:
    for key in ("title_detail", "summary_detail"):
        base = (entry.get(key) or {}).get("base")
        if isinstance(base, str) and base:
            return base
    return context.url


def _entry_date(
    entry: Entry, key: str, now: datetime, name: str, warnings: list[str]
) -> datetime | None:
    # dict.get: FeedParserDict.get("updated") falls back to "published" (feedparser issue 310)
    value, problem = checked_date(dict.get(entry, key), dict.get(entry, f"{key}_parsed"), now)
    if problem:
        warnings.append(f"{name}: {problem}")
    return value


def _summary(entry: Entry) -> str | None:
    detail = entry.get("summary_detail")
    if not detail:
        return None  # feedparser copied the content into ``summary``; not a summary
    return text_field(entry.get("summary"), _is_html(detail))


def _content_html(entry: Entry) -> str | None:
    """Full content: the first HTML content, else plain-text content, else the summary."""
    contents = [item for item in _list(entry, "content") if (item.get("value") or "").strip()]
    for item in contents:
        if _is_html(item):
            return str(item["value"])
    if contents:
        return plain_to_html(contents[0]["value"])
    summary = entry.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        return None
    detail = entry.get("summary_detail")
    return summary if detail is None or _is_html(detail) else plain_to_html(summary)


def _authors(entry: Entry) -> tuple[str, ...]:
    names = [author.get("name") for author in _list(entry, "authors")]
    if not any(names):
        names = [entry.get("author")]
    return unique(line_field(n) for n in names if isinstance(n, str) and not _is_email(n))


def _tags(entry: Entry) -> tuple[str, ...]:
    return unique(line_field(tag.get("label") or tag.get("term")) for tag in _list(entry, "tags"))


def _is_email(value: str) -> bool:
    text = value.strip()
    return "@" in text and " " not in text


def _image(entry: Entry, base: str) -> str | None:
    """media:content (images), media:thumbnail, image enclosures, then itunes:image."""
    candidates = [media.get("url") for media in _list(entry, "media_content") if _is_image(media)]
    candidates += [thumb.get("url") for thumb in _list(entry, "media_thumbnail")]
    candidates += [
        link.get("href")
        for link in _list(entry, "links")
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")
    ]
    itunes = entry.get("image")
    candidates.append(itunes.get("href") if hasattr(itunes, "get") else None)
    return next((link for c in candidates if (link := http_link(c, base))), None)


def _is_image(media: Entry) -> bool:
    if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
        return True
    no_hint = not media.get("medium") and not media.get("type")
    return no_hint and str(media.get("url", "")).lower().split("?")[0].endswith(_IMAGE_SUFFIXES)


def _language(entry: Entry) -> str | None:
    details = [*_list(entry, "content"), entry.get("summary_detail"), entry.get("title_detail")]
    for detail in details:
        tag = language_tag((detail or {}).get("language"))
        if tag:
            return tag
    return None


def _is_html(detail: Entry) -> bool:
    return bool(detail and str(detail.get("type", "")).lower() in _HTML_TYPES)


def _list(entry: Entry, key: str) -> list[Entry]:
    value = entry.get(key)
    return [item for item in value if hasattr(item, "get")] if isinstance(value, list) else []
