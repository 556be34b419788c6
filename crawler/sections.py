"""Section pages: a fetched newsroom/listing page's bytes -> the article links a selector picks.

Where it sits: for a source of kind ``page`` (a lab's newsroom without a feed) the page spider
fetches the section URL and calls :func:`pick_article_links` with the source's selector; each
link is then fetched as a :class:`~pipeline.types.FetchedPage`. The CLI checks a selector with
:func:`validate_selector` when an operator runs ``sources add``. Pure: bytes in, links out.

A selector is XPath when it starts with ``/`` or ``(`` or is prefixed ``xpath:``; otherwise CSS
(``css:`` may be written explicitly). It may match ``<a>`` elements, ``href`` attributes or
containers (whose ``<a href>`` descendants are taken; an element inside a link gives that link).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import courlan
import cssselect
import parsel
from w3lib.encoding import html_to_unicode

from crawler.hints import http_link, unique, without_fragment
from crawler.sniff import describe_binary
from crawler.types import ParseFailure

_LINK_TAGS = frozenset({"a", "area"})
_EMPTY_PAGE = "<html><body></body></html>"
_SELECTOR_ERRORS = (ValueError, cssselect.SelectorError)


def validate_selector(selector: str) -> str | None:
    """Why ``selector`` cannot be used (a readable message), or ``None`` when it is valid."""
    try:
        _select(parsel.Selector(text=_EMPTY_PAGE), selector)
    except _SELECTOR_ERRORS as error:
        return f"invalid {_kind(selector)} selector {selector!r}: {_describe(error)}"
    return None


def pick_article_links(
    body: bytes,
    url: str,
    selector: str,
    *,
    encoding: str | None = None,
    same_site: bool = True,
) -> tuple[str, ...] | ParseFailure:
    """The absolute http(s) article links that ``selector`` picks on the page fetched from ``url``.

    Relative links resolve against ``<base href>`` (else ``url``); fragments are dropped and
    fragment-only links ignored; duplicates are removed keeping the first; with ``same_site``
    only links on the page's registered domain are kept.
    """
    if not body.strip():
        return ParseFailure("the page is empty")
    binary = describe_binary(body)
    if binary:
        return ParseFailure(f"the page is {binary}, not HTML")
    page = parsel.Selector(text=_decode(body, encoding), type="html")
    try:
        matches = _select(page, selector)
    except _SELECTOR_ERRORS as error:
        return ParseFailure(f"invalid {_kind(selector)} selector {selector!r}: {_describe(error)}")
    base = _base_url(page, url)
    links = (_absolute(href, base) for match in matches for href in _hrefs(match))
    return unique(link for link in links if link and (not same_site or _same_site(link, url)))


def _select(page: parsel.Selector, selector: str) -> Any:
    text = selector.strip()
    if not text:
        raise ValueError("the selector is empty")
    if text.lower().startswith("xpath:"):
        return page.xpath(text[len("xpath:") :].strip())
    if text.startswith(("/", "(")):
        return page.xpath(text)
    if text.lower().startswith("css:"):
        text = text[len("css:") :].strip()
    return page.css(text)


def _kind(selector: str) -> str:
    text = selector.strip()
    xpath = text.lower().startswith("xpath:") or text.startswith(("/", "("))
    return "XPath" if xpath else "CSS"


def _describe(error: Exception) -> str:
    message = str(error).removeprefix("XPath error: ")
    return message or type(error).__name__


def _decode(body: bytes, encoding: str | None) -> str:
    """Decode the page: a BOM, then ``encoding`` (the HTTP charset), then ``<meta charset>``."""
    content_type = f"text/html; charset={encoding}" if encoding else None
    _, text = html_to_unicode(content_type, body)
    return str(text)


def _base_url(page: parsel.Selector, url: str) -> str:
    declared = page.xpath("//base/@href").get()
    resolved = http_link(declared, url) if declared else None
    return resolved or url


def _hrefs(match: parsel.Selector) -> list[str]:
    """The hrefs a match stands for: itself (an attribute), its link, or the links inside it."""
    root = match.root
    if isinstance(root, str):
        return [root]
    tag = getattr(root, "tag", None)
    if not isinstance(tag, str):
        return []  # a comment, a number or a boolean: no link
    if tag.lower() in _LINK_TAGS:
        return match.xpath("@href").getall()
    inside = match.xpath(".//a/@href | .//area/@href").getall()
    return inside or match.xpath("ancestor::a[@href][1]/@href").getall()


def _absolute(href: str, base: str) -> str | None:
    candidate = href.strip()
    if not candidate or candidate.startswith("#"):
        return None
    link = http_link(candidate, base)
    return without_fragment(link) if link else None


def _same_site(link: str, page_url: str) -> bool:
    """Same registered domain (public-suffix aware), or a subdomain of the page's host."""
    if not courlan.is_external(link, page_url, ignore_suffix=False):
        return True
    host, page_host = _bare_host(link), _bare_host(page_url)
    return bool(page_host) and (host == page_host or host.endswith("." + page_host))


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
