"""Sitemap parsing: a fetched sitemap's bytes -> :class:`ParsedSitemap`, or a ParseFailure.

Where it sits: the sitemap spider fetches a source's sitemap (often a Google News sitemap, or an
index of sitemaps) and calls :func:`parse_sitemap`; it fetches the recent article links as
:class:`~pipeline.types.FetchedPage` and recurses into ``child_sitemaps``. Pure: bytes in, typed
values out.

Safety: gzip bodies are decompressed with a cap counted after decompression (a gzip bomb is
refused), and lxml parses without resolving entities, loading DTDs or touching the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import lxml.etree

from crawler.hints import http_link, language_tag, line_field
from crawler.sniff import (
    ENTITIES_REFUSED,
    declares_entities,
    describe_binary,
    gunzip_capped,
    is_gzip,
    looks_like_html,
)
from crawler.types import ParsedSitemap, ParseFailure, SitemapLink
from pipeline.dates import parse_iso_datetime, sane_published

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""The sitemap protocol's own limit: 50 MB uncompressed per sitemap file."""

Element: TypeAlias = Any
"""An ``lxml.etree._Element`` (lxml ships no type information)."""
_FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")


def parse_sitemap(
    body: bytes,
    url: str,
    *,
    now: datetime,
    recency: timedelta,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedSitemap | ParseFailure:
    """Parse a sitemap, a sitemap index or a Google News sitemap fetched from ``url``.

    Links whose publication date (else ``lastmod``) is older than ``now - recency`` are dropped
    and counted in ``skipped_as_old``; links without a usable date are kept. In an index, child
    sitemaps whose ``lastmod`` is older than the window are skipped the same way (they cannot
    hold recent links). Only absolute http(s) links are kept, resolved against ``url``.
    """
    document = _unpack(body, max_bytes)
    if isinstance(document, str):
        return ParseFailure(document)
    root = _parse_xml(document)
    if isinstance(root, str):
        return ParseFailure(root)
    cutoff = now - recency
    name = lxml.etree.QName(root).localname
    if name == "urlset":
        return _read_urlset(root, url, now, cutoff)
    if name == "sitemapindex":
        return _read_index(root, url, now, cutoff)
    hint = "; it looks like a feed, so add the source as a feed" if name in _FEED_ROOTS else ""
    return ParseFailure(f"the document is XML but not a sitemap (root element <{name}>){hint}")


def _unpack(body: bytes, max_bytes: int) -> bytes | str:
    """The XML bytes of ``body`` (gunzipped when needed), or why there are none."""
    if is_gzip(body):
        unpacked = gunzip_capped(body, max_bytes)
        if isinstance(unpacked, str):
            return f"the gzip-compressed sitemap is unusable: {unpacked}"
        body = unpacked
    elif len(body) > max_bytes:
        return f"the sitemap is larger than the limit of {max_bytes:,} bytes"
    if not body.strip():
        return "the document is empty"
    binary = describe_binary(body)
    if binary:
        return f"the document is {binary}, not a sitemap"
    if looks_like_html(body[:65536].decode("utf-8", errors="replace")):
        return "the document is an HTML page, not a sitemap"
    if declares_entities(body):
        return f"the sitemap {ENTITIES_REFUSED}"
    return body


def _parse_xml(body: bytes) -> Element | str:
    parser = lxml.etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root: Element = lxml.etree.fromstring(body.lstrip(b" \t\r\n"), parser=parser)
    except lxml.etree.XMLSyntaxError as error:
        message = _POSITION_SUFFIX.sub("", str(error.msg))
        return f"not well-formed XML at line {error.lineno}: {message}"
    if root is None:
        return "the document has no root element"
    return root


def _read_urlset(root: Element, base: str, now: datetime, cutoff: datetime) -> ParsedSitemap:
    links: list[SitemapLink] = []
    skipped = 0
    seen: set[str] = set()
    for entry in _children(root, "url"):
        link = _sitemap_link(entry, base, now)
        if link is None or link.url in seen:
            continue
        seen.add(link.url)
        date = link.published or link.last_modified
        if date is not None and date < cutoff:
            skipped += 1
        else:
            links.append(link)
    return ParsedSitemap(links=tuple(links), skipped_as_old=skipped)


def _read_index(root: Element, base: str, now: datetime, cutoff: datetime) -> ParsedSitemap:
    children: list[str] = []
    skipped = 0
    for entry in _children(root, "sitemap"):
        location = http_link(_child_text(entry, "loc"), base)
        if location is None or location in children:
            continue
        modified = _date(_child_text(entry, "lastmod"), now)
        if modified is not None and modified < cutoff:
            skipped += 1
        else:
            children.append(location)
    return ParsedSitemap(links=(), child_sitemaps=tuple(children), skipped_as_old=skipped)


def _sitemap_link(entry: Element, base: str, now: datetime) -> SitemapLink | None:
    location = http_link(_child_text(entry, "loc"), base)
    if location is None:
        return None
    news = _first_child(entry, "news")
    publication = _first_child(news, "publication") if news is not None else None
    return SitemapLink(
        url=location,
        published=_date(_child_text(news, "publication_date"), now),
        last_modified=_date(_child_text(entry, "lastmod"), now),
        title=line_field(_child_text(news, "title")),
        language=language_tag(_child_text(publication, "language")),
    )


def _date(value: str | None, now: datetime) -> datetime | None:
    """A W3C datetime (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or full) kept only when plausible."""
    text = (value or "").strip()
    if len(text) in (4, 7) and text.replace("-", "").isdigit():
        text = (text + "-01-01")[:10]
    return sane_published(parse_iso_datetime(text), now)


def _children(parent: Element | None, name: str) -> Iterator[Element]:
    """Child elements called ``name`` in any namespace (sitemaps in the wild vary)."""
    if parent is None:
        return
    for child in parent:
        if isinstance(child.tag, str) and lxml.etree.QName(child).localname == name:
            yield child


def _first_child(parent: Element | None, name: str) -> Element | None:
    return next(_children(parent, name), None)


def _child_text(parent: Element | None, name: str) -> str | None:
    child = _first_child(parent, name)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None
