"""From trafilatura's article body to clean article text, using the page around it as evidence.

Part of the extraction stage (``FetchedPage -> ExtractedArticle``), called by
:mod:`pipeline.extraction` with trafilatura's body (an XML tree of ``p``/``head``/``list``
blocks) and the parsed page. trafilatura decides block by block; looking at where each chosen
block sits in the page fixes its typical slips:

- blocks that live outside the element holding most of the article's paragraphs (the
  headline and standfirst in the page header, "more stories" rails, newsletter boxes);
- blocks that are mostly link text (related-story lists, in-text promos in capitals);
- boilerplate phrasings (see :mod:`pipeline.boilerplate`);
- an article split into several sibling containers (around ads), of which an extractor keeps
  the first: the other containers of the same kind are appended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.xml import xmltotxt

from pipeline.boilerplate import MAX_BOILERPLATE_WORDS, classify_block, words
from pipeline.text import clean_text

MAIN_CONTAINER_SHARE = 0.85
"""The main container is the deepest element holding this share of the article's paragraphs."""

MAX_OUTSIDE_WORDS = 40
"""Blocks outside the main container are dropped up to this length."""

MAX_LINK_DENSITY = 0.7
"""Blocks whose text is more than this share link text are navigation, not prose."""

_MIN_PARAGRAPH_CHARS = 40
_MAX_SOURCE_CHARS = 8000
_SOURCE_TAGS = (
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "blockquote",
    "figcaption", "pre", "div", "span", "section", "header", "footer", "aside", "ul", "ol",
)
_NOT_PROSE = frozenset(
    {"aside", "figure", "figcaption", "nav", "footer", "form", "header", "noscript", "script",
     "style", "button", "blockquote", "select"}
)


@dataclass
class BodyReport:
    """What :func:`clean_article_body` removed and added, for notes and debugging."""

    dropped: list[tuple[str, str]] = field(default_factory=list)
    recovered_paragraphs: int = 0


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def clean_article_body(
    body: etree._Element, page: HtmlElement, titles: Sequence[str]
) -> tuple[str, BodyReport]:
    """Return the article text of trafilatura's ``body`` with boilerplate blocks removed.

    ``body`` is modified in place. ``page`` is the parsed page it came from, ``titles`` the
    page's headline candidates.
    """
    report = BodyReport()
    sources = _match_sources(body, page)
    container = _main_container(body, sources)
    for position, block in enumerate(list(body)):
        reason = _judge_block(block, position, sources, container, titles)
        if reason:
            report.dropped.append((reason, normalize_space("".join(block.itertext()))[:80]))
            body.remove(block)
    text = clean_text(xmltotxt(body, False))
    before, after = _recover_split_body(body, sources, page, text)
    report.recovered_paragraphs = len(before) + len(after)
    return clean_text("\n".join([*before, text, *after])), report


def _judge_block(
    block: etree._Element,
    position: int,
    sources: dict[etree._Element, HtmlElement],
    container: HtmlElement | None,
    titles: Sequence[str],
) -> str | None:
    """Why a body block is boilerplate, or ``None`` to keep it."""
    text = normalize_space("".join(block.itertext()))
    if not text:
        return None
    reason = classify_block(text, position, titles)
    if reason:
        return reason
    origins = _origins(block, sources)
    if not origins:
        return None
    if block.tag != "list" and len(words(text)) > MAX_BOILERPLATE_WORDS * 2:
        return None
    if _most(origins, lambda origin: link_density(origin) > MAX_LINK_DENSITY):
        return "mostly links"
    short = block.tag == "list" or len(words(text)) <= MAX_OUTSIDE_WORDS
    if short and container is not None and _most(origins, lambda o: not _inside(o, container)):
        return "outside the article's main container"
    return None


def _origins(
    block: etree._Element, sources: dict[etree._Element, HtmlElement]
) -> list[HtmlElement]:
    """The page elements a block came from: itself, or for a list its items."""
    if block.tag != "list":
        source = sources.get(block)
        return [source] if source is not None else []
    items = [sources[item] for item in block.iter("item") if item in sources]
    if not items and block in sources:
        items = list(sources[block].iter("li"))
    return items


def _most(elements: list[HtmlElement], test: Callable[[HtmlElement], bool]) -> bool:
    return sum(1 for element in elements if test(element)) > len(elements) / 2


def text_of(element: HtmlElement) -> str:
    return normalize_space(element.text_content())


def link_density(element: HtmlElement) -> float:
    """Share of an element's text that sits inside links."""
    total = len(text_of(element))
    if not total:
        return 0.0
    linked = sum(len(text_of(anchor)) for anchor in element.iter("a"))
    return min(1.0, linked / total)


def _match_key(text: str) -> str:
    """Text without any whitespace: extractors join inline pieces with or without spaces."""
    return "".join(text.split())


def _source_index(page: HtmlElement) -> dict[str, HtmlElement]:
    """Block-level page elements by their text (the outermost one wins)."""
    index: dict[str, HtmlElement] = {}
    for element in page.iter(*_SOURCE_TAGS):
        raw = element.text_content()
        if raw and len(raw) < _MAX_SOURCE_CHARS:
            index.setdefault(_match_key(raw), element)
    return index


def _match_sources(body: etree._Element, page: HtmlElement) -> dict[etree._Element, HtmlElement]:
    """For each body block (and list item), the page element it came from, when its text
    identifies one."""
    index = _source_index(page)
    matches = {}
    for block in body:
        parts = [block, *block.iter("item")] if block.tag == "list" else [block]
        for part in parts:
            source = index.get(_match_key("".join(part.itertext())))
            if source is not None:
                matches[part] = source
    return matches


def _ancestors(element: HtmlElement) -> Iterator[HtmlElement]:
    parent = element.getparent()
    while parent is not None:
        yield parent
        parent = parent.getparent()


def _inside(element: HtmlElement, container: HtmlElement) -> bool:
    return element is container or any(parent is container for parent in _ancestors(element))


def _main_container(
    body: etree._Element, sources: dict[etree._Element, HtmlElement]
) -> HtmlElement | None:
    """The deepest page element holding most of the body's paragraph text (``None`` if unsure)."""
    paragraphs = [
        (sources[block], len("".join(block.itertext())))
        for block in body
        if block.tag == "p" and block in sources
        and len("".join(block.itertext())) >= _MIN_PARAGRAPH_CHARS
    ]
    if len(paragraphs) < 3:
        return None
    weights: Counter[HtmlElement] = Counter()
    depths: dict[HtmlElement, int] = {}
    for element, size in paragraphs:
        chain = list(_ancestors(element))
        for depth, parent in enumerate(reversed(chain)):
            weights[parent] += size
            depths[parent] = depth
    needed = MAIN_CONTAINER_SHARE * sum(size for _, size in paragraphs)
    covering = [parent for parent, weight in weights.items() if weight >= needed]
    return max(covering, key=lambda parent: depths[parent]) if covering else None


def _recover_split_body(
    body: etree._Element,
    sources: dict[etree._Element, HtmlElement],
    page: HtmlElement,
    text: str,
) -> tuple[list[str], list[str]]:
    """Paragraphs of sibling containers like the one the body's paragraphs came from.

    Returns the paragraphs to put before and after the text. Only containers with a class
    attribute, within the same ``<article>`` (or close in the tree), holding two or more
    prose paragraphs, are taken.
    """
    parents = Counter(
        source.getparent()
        for block, source in sources.items()
        if block.tag == "p" and len(text_of(source)) >= _MIN_PARAGRAPH_CHARS
        and source.getparent() is not None
    )
    if sum(parents.values()) < 2:
        return [], []
    main = parents.most_common(1)[0][0]
    if not (main.get("class") or "").strip():
        return [], []
    known = set(text.split("\n"))
    before: list[str] = []
    after: list[str] = []
    for candidate in _sibling_containers(main, set(parents)):
        paragraphs = [p for p in _prose_paragraphs(candidate) if p not in known]
        if len(paragraphs) >= 2 and sum(map(len, paragraphs)) >= 200:
            (before if _precedes(candidate, main) else after).extend(paragraphs)
    return before, after


def _precedes(first: HtmlElement, second: HtmlElement) -> bool:
    """True when ``first`` comes before ``second`` in document order (neither holds the other)."""
    for element in first.getroottree().iter():
        if element is first:
            return True
        if element is second:
            return False
    return False


def _sibling_containers(main: HtmlElement, used: set[HtmlElement]) -> Iterator[HtmlElement]:
    """Elements with the same tag and class as ``main`` that belong to the same article."""
    signature = sorted((main.get("class") or "").split())
    main_chain = list(_ancestors(main))
    article = next((parent for parent in main_chain if parent.tag == "article"), None)
    scope = set(main_chain[:4]) if article is None else {article}
    root = main_chain[-1] if main_chain else main
    for candidate in root.iter(main.tag):
        if candidate in used or sorted((candidate.get("class") or "").split()) != signature:
            continue
        chain = list(_ancestors(candidate))
        if main in chain or candidate in main_chain:
            continue
        if scope.intersection(chain):
            yield candidate


def _prose_paragraphs(container: HtmlElement) -> Iterator[str]:
    """Texts of a container's ``<p>`` elements that are prose (not asides, not link lists)."""
    for paragraph in container.iter("p"):
        if any(parent.tag in _NOT_PROSE for parent in _up_to(paragraph, container)):
            continue
        text = text_of(paragraph)
        if len(text) >= 20 and link_density(paragraph) <= MAX_LINK_DENSITY:
            yield text


def _up_to(element: HtmlElement, container: HtmlElement) -> Iterator[HtmlElement]:
    for parent in _ancestors(element):
        if parent is container:
            return
        yield parent
