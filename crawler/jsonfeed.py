"""JSON Feed (https://jsonfeed.org, versions 1.0 and 1.1) -> :class:`ParsedFeed`.

Where it sits: :func:`crawler.feeds.parse_feed` hands a body here when it is JSON (feedparser 6.0
does not read JSON Feed). Items become :class:`~pipeline.types.EntryHints` with the same rules
as RSS/Atom entries (http(s) links only, plausible dates, clean text). Every value is
type-checked, since a JSON document can put anything anywhere.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

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
from crawler.types import ParsedFeed, ParseFailure
from pipeline.types import EntryHints
from pipeline.urls import is_http_url

JSON_FEED_FORMAT = "json1"
_JSON_TYPES = ("application/feed+json", "application/json")


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    """True when ``body`` is a JSON object, or is declared JSON and is not markup."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return True
    declared = (content_type or "").split(";")[0].strip().lower()
    return declared in _JSON_TYPES and start != b"<"


def parse_json_feed(
    body: bytes, url: str, *, now: datetime, max_entries: int | None = None
) -> ParsedFeed | ParseFailure:
    """Parse a JSON Feed document fetched from ``url``; see :func:`crawler.feeds.parse_feed`."""
    document = _load(body)
    if isinstance(document, str):
        return ParseFailure(document)
    version = document.get("version")
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        return ParseFailure("the document is JSON but not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        return ParseFailure("the JSON Feed has no 'items' list")
    warnings: list[str] = []
    kept_items = first_entries(items, max_entries, warnings)
    feed_defaults = (_authors(document), language_tag(document.get("language")))
    hints = [
        _item_hints(item, n, url=url, now=now, defaults=feed_defaults, warnings=warnings)
        for n, item in enumerate(kept_items, 1)
    ]
    return ParsedFeed(
        format=JSON_FEED_FORMAT,
        title=line_field(_text(document.get("title"))),
        link=http_link(document.get("home_page_url"), url),
        entries=tuple(hint for hint in hints if hint is not None),
        encoding="utf-8",
        warnings=capped(warnings),
    )


def _load(body: bytes) -> dict[str, Any] | str:
    text = body.decode("utf-8-sig", errors="replace")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return f"the document is not valid JSON (line {error.lineno}: {error.msg})"
    except (ValueError, RecursionError) as error:
        return f"the document is not valid JSON ({type(error).__name__})"
    if not isinstance(document, dict):
        return "the document is JSON but not a JSON Feed (not an object)"
    return document


def _item_hints(
    item: object,
    position: int,
    *,
    url: str,
    now: datetime,
    defaults: tuple[tuple[str, ...], str | None],
    warnings: list[str],
) -> EntryHints | None:
    """One item as hints; ``defaults`` are the feed's authors and language."""
    if not isinstance(item, dict):
        warnings.append(f"entry {position} is not a JSON object; skipped")
        return None
    title = line_field(_text(item.get("title")))
    name = describe_entry(title, position)
    link = _item_link(item, url)
    if link is None:
        warnings.append(f"{name} has no http(s) link; skipped")
        return None
    dates = [_date(item, key, now, name, warnings) for key in ("date_published", "date_modified")]
    return EntryHints(
        url=link,
        guid=line_field(_identifier(item.get("id"))),
        title=title,
        summary=text_field(_text(item.get("summary")), is_html=False),
        content_html=_content_html(item),
        authors=_authors(item) or defaults[0],
        published=dates[0],
        updated=dates[1],
        image=http_link(item.get("image"), url) or http_link(item.get("banner_image"), url),
        language=language_tag(item.get("language")) or defaults[1],
        tags=unique(line_field(tag) for tag in _list(item.get("tags")) if isinstance(tag, str)),
    )


def _item_link(item: dict[str, Any], url: str) -> str | None:
    link = http_link(item.get("url"), url) or http_link(item.get("external_url"), url)
    if link:
        return link
    identifier = _identifier(item.get("id"))
    return identifier if identifier and is_http_url(identifier) else None


def _content_html(item: dict[str, Any]) -> str | None:
    return _text(item.get("content_html")) or plain_to_html(_text(item.get("content_text")))


def _date(
    item: dict[str, Any], key: str, now: datetime, name: str, warnings: list[str]
) -> datetime | None:
    value, problem = checked_date(_text(item.get(key)), None, now)
    if problem:
        warnings.append(f"{name}: {problem}")
    return value


def _authors(holder: dict[str, Any]) -> tuple[str, ...]:
    """Authors of a JSON Feed 1.1 ``authors`` list or a 1.0 ``author`` object."""
    people = _list(holder.get("authors")) or [holder.get("author")]
    names = (line_field(_text(person.get("name"))) for person in people if isinstance(person, dict))
    return unique(names)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _identifier(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return _text(value)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
