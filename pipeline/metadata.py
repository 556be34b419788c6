"""Page metadata that publishers declare: JSON-LD (schema.org articles), Open Graph and meta tags.

Part of the extraction stage (``FetchedPage -> ExtractedArticle``): :mod:`pipeline.extraction`
parses a page once and asks :func:`read_page_metadata` what the page says about itself. These
declarations are usually more exact than what a text extractor guesses (full timestamps, all
authors, the canonical URL), so they take precedence over trafilatura's metadata where present.
Everything here is pure: an lxml tree in, a frozen :class:`PageMetadata` out, nothing raised.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement, fragment_fromstring

from pipeline.dates import parse_iso_datetime, to_utc
from pipeline.language import normalize_language
from pipeline.text import clean_line, clean_text
from pipeline.urls import is_http_url

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "techarticle",
        "scholarlyarticle", "liveblogposting", "socialmediaposting", "report", "posting",
    }
)
"""schema.org ``@type`` values (lower-cased) that describe the article itself."""

_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
               "section", "article", "pre", "ul", "ol", "table", "figure")
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TZ_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


@dataclass(frozen=True)
class DatedClaim:
    """A publication date a page states, with where it was stated (for readable notes)."""

    source: str
    value: datetime


@dataclass(frozen=True)
class PageMetadata:
    """What a page declares about its article; every field optional, text already cleaned."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published: tuple[DatedClaim, ...] = ()
    language: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    article_body: str | None = None
    """The JSON-LD ``articleBody`` as plain text, when the page carries one."""
    page_type: str | None = None
    """The Open Graph ``og:type`` (``article``, ``website``, ...), lower-cased."""
    has_article_schema: bool = False
    """Whether the page's JSON-LD holds a schema.org article object."""


def read_page_metadata(tree: HtmlElement, base_url: str) -> PageMetadata:
    """Collect JSON-LD, Open Graph, meta-tag and ``<link>`` declarations from a parsed page.

    JSON-LD wins over Open Graph, which wins over plain meta tags; relative URLs are resolved
    against ``base_url`` and only http(s) URLs are kept.
    """
    ld = find_article_object(tree) or {}
    meta = _meta_values(tree)
    image = _ld_url(ld.get("image")) or _meta_line(meta, "og:image", "twitter:image")
    canonical = _canonical_link(tree, base_url) or _absolute(base_url, _meta_line(meta, "og:url"))
    description = _meta_line(meta, "og:description", "description", "twitter:description")
    keywords = [*meta.get("article:tag", []), *meta.get("keywords", [])]
    keywords += _ld_keywords(ld.get("keywords"))
    return PageMetadata(
        title=_first_text(ld.get("headline"), ld.get("name"))
        or _meta_line(meta, "og:title", "twitter:title"),
        authors=_ld_people(ld.get("author")) or _meta_people(meta),
        published=_published_claims(ld.get("datePublished"), meta),
        language=_page_language(tree, ld.get("inLanguage"), meta),
        image=_absolute(base_url, image),
        canonical_url=canonical,
        site_name=_meta_line(meta, "og:site_name") or _ld_name(ld.get("publisher")),
        description=description or _first_text(ld.get("description")),
        tags=_split_tags(keywords),
        article_body=html_to_text(ld.get("articleBody")) or None,
        page_type=(_meta_line(meta, "og:type") or "").lower() or None,
        has_article_schema=bool(ld),
    )


# --- JSON-LD ----------------------------------------------------------------------------------


def find_article_object(tree: HtmlElement) -> dict[str, Any] | None:
    """The first schema.org article object in the page's JSON-LD (``@graph`` and lists included).

    References by ``@id`` (``"author": {"@id": "#person-1"}``) are replaced by the objects they
    point to, so callers see names rather than identifiers.
    """
    objects = [obj for script in _ld_scripts(tree) for obj in _json_objects(_load_json(script))]
    index = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str) and len(obj) > 1}
    for obj in objects:
        if _is_article(obj):
            return {key: _resolve(value, index) for key, value in obj.items()}
    return None


def _ld_scripts(tree: HtmlElement) -> Iterator[str]:
    for script in tree.iterfind(".//script"):
        if "ld+json" in (script.get("type") or "").lower() and script.text:
            yield script.text


def _resolve(value: Any, index: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, list):
        return [_resolve(item, index) for item in value]
    if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
        return index.get(value["@id"], value)
    return value


def _load_json(text: str) -> Any:
    """Parse a JSON-LD block leniently (raw control characters allowed); ``None`` when broken."""
    try:
        return json.loads(text.strip().rstrip(";"), strict=False)
    except ValueError:
        return None


def _json_objects(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON-LD document, through ``@graph``, lists and ``mainEntity``."""
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if isinstance(data.get(key), list | dict):
                yield from _json_objects(data[key], depth + 1)


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(name, str) and name.lower() in ARTICLE_TYPES for name in names)


def _first_text(*values: Any) -> str | None:
    for value in values:
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str) and (line := clean_line(html.unescape(first))):
            return line
    return None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _first_text(value.get("name"))
    return _first_text(value)


def _ld_people(value: Any) -> tuple[str, ...]:
    """Author names from a JSON-LD ``author`` (string, Person/Organization, or a list of them)."""
    items = value if isinstance(value, list) else [value]
    names = (_ld_name(item) for item in items)
    return _unique(name for name in names if name and not is_http_url(name))


def _ld_url(value: Any) -> str | None:
    """The URL of a JSON-LD ``image`` (string, ImageObject, or a list of them)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ld_keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def html_to_text(value: Any) -> str:
    """Plain text of an HTML-ish string (JSON-LD ``articleBody``, feed content), paragraphs kept.

    Scripts and styles are dropped, entities decoded (also doubly escaped ones, a common
    JSON-LD slip), the result cleaned with :func:`pipeline.text.clean_text`. Never raises.
    """
    if not isinstance(value, str) or not value.strip():
        return ""
    text = _UNSAFE_CHARS.sub("", value)
    if "<" in text:
        text = _fragment_text(text)
    if "&" in text:
        text = html.unescape(text)
    return clean_text(text)


def _fragment_text(markup: str) -> str:
    try:
        root = fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, TypeError):
        return _TAG.sub(" ", markup)
    for unwanted in root.xpath(".//script | .//style | .//noscript"):
        unwanted.drop_tree()
    for block in root.iter(*_BLOCK_TAGS):
        block.tail = ("\n" if block.tag == "br" else "\n\n") + (block.tail or "")
    return str(root.text_content())


# --- meta tags and links ----------------------------------------------------------------------


def _meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """``<meta>`` contents by lower-cased ``property``/``name``/``itemprop``/``http-equiv``."""
    values: dict[str, list[str]] = {}
    for meta in tree.iterfind(".//meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                values.setdefault(key, []).append(content.strip())
    return values


def _meta_line(meta: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in meta.get(key, []):
            if line := clean_line(html.unescape(value)):
                return line
    return None


def _meta_people(meta: dict[str, list[str]]) -> tuple[str, ...]:
    keys = ("author", "article:author", "sailthru.author")
    names = (clean_line(html.unescape(value)) for key in keys for value in meta.get(key, []))
    return _unique(name for name in names if name and not is_http_url(name))


def _published_claims(ld_value: Any, meta: dict[str, list[str]]) -> tuple[DatedClaim, ...]:
    """Publication dates in the order we trust them: JSON-LD, then Open Graph and meta tags."""
    sources = [("JSON-LD datePublished", ld_value if isinstance(ld_value, str) else None)]
    for key in ("article:published_time", "og:published_time", "datepublished", "pubdate",
                "publishdate", "parsely-pub-date", "dc.date.issued", "date"):
        sources.extend((f"meta {key}", value) for value in meta.get(key, [])[:1])
    claims = []
    for source, raw in sources:
        value = parse_date_string(raw)
        if value is not None:
            claims.append(DatedClaim(source, value))
    return tuple(claims)


def parse_date_string(raw: str | None) -> datetime | None:
    """Parse an ISO-8601 or RFC-2822 date as pages write them; UTC-aware, or ``None``."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    if " " in text[:19] and text[:4].isdigit():
        text = text.replace(" ", "T", 1)
    parsed = parse_iso_datetime(text) or parse_iso_datetime(_TZ_WITHOUT_COLON.sub(r"\1:\2", text))
    if parsed is not None:
        return parsed
    try:
        return to_utc(parsedate_to_datetime(raw.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _page_language(tree: HtmlElement, ld_value: Any, meta: dict[str, list[str]]) -> str | None:
    """The page language from ``<html lang>``, JSON-LD ``inLanguage``, ``og:locale``, meta tags."""
    if isinstance(ld_value, dict):
        ld_value = ld_value.get("alternateName") or ld_value.get("name")
    candidates = [tree.get("lang"), tree.get("xml:lang"), ld_value]
    for key in ("og:locale", "content-language", "language", "dc.language"):
        candidates.extend(meta.get(key, [])[:1])
    for candidate in candidates:
        if isinstance(candidate, str) and (code := normalize_language(candidate)):
            return code
    return None


def _canonical_link(tree: HtmlElement, base_url: str) -> str | None:
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and (url := _absolute(base_url, link.get("href"))):
            return url
    return None


def _absolute(base_url: str, value: str | None) -> str | None:
    """``value`` resolved against ``base_url`` when it yields an http(s) URL, else ``None``."""
    if not value or not value.strip():
        return None
    try:
        url = urljoin(base_url, html.unescape(value.strip()))
    except ValueError:
        return None
    return url if is_http_url(url) else None


def _split_tags(values: list[str]) -> tuple[str, ...]:
    parts = (clean_line(html.unescape(part)) for value in values for part in value.split(","))
    return _unique(part for part in parts if part and len(part) <= 80)[:30]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())
