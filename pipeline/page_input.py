"""Raw page bytes to a parsed HTML tree, safely: refusal of non-HTML, decoding, bounded parsing.

First step of the extraction stage (``FetchedPage -> ExtractedArticle``), used by
:mod:`pipeline.extraction`. The web serves images as ``text/html``, mislabels encodings (a page
declaring gb2312 whose bytes are UTF-8) and, now and then, HTML built to exhaust a parser. This
module decides whether bytes can be a page at all, decodes them, and parses them with limits on
size, element count and nesting so that extraction afterwards runs in bounded time and memory.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring

MAX_HTML_CHARS = 4_000_000
"""Longer documents are cut (real article pages stay well below 2 MB)."""

MAX_ELEMENTS = 25_000
"""Trees with more elements are trimmed before extraction (articles have a few thousand)."""

MAX_ROWS_PER_BLOCK = 300
"""Huge tables and lists are trimmed to this many rows/items when a tree is too big."""

_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "a Windows executable"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 audio file"),
    (b"\x00\x00\x00\x18ftyp", "an MP4 video"),
    (b"\x00\x00\x00\x1cftyp", "an MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "an MP4 video"),
    (b"RIFF", "a RIFF media file (WebP, WAV or AVI)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Microsoft Office document"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WEB_ALIASES = {
    # What browsers actually use for these labels (WHATWG Encoding Standard).
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252",
    "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949", "tis-620": "cp874", "iso-8859-9": "cp1254",
}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_INVALID_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LAYOUT_TAG = re.compile(
    r"</?(?!(?:html|head|body|title|meta|link|script|style|p|h[1-6]|br|time)\b)[a-zA-Z][^>]*>"
)
_DEPTH_LIMIT_ERROR = "excessive depth"
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 12, 13))


@dataclass(frozen=True)
class ParsedPage:
    """A decoded, parsed page and what had to be done to it on the way."""

    tree: HtmlElement
    encoding: str
    notes: tuple[str, ...] = ()


def refuse_non_html(body: bytes | str, declared_encoding: str | None = None) -> str | None:
    """Why ``body`` cannot be an HTML page (empty, binary), or ``None`` when it may be one."""
    if not body.strip():
        return "The page is empty."
    if isinstance(body, str):
        return None
    head = body[:16]
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return None
    for magic, description in _MAGIC:
        if head.startswith(magic):
            return f"The page is not HTML: its bytes are {description}."
    if (_codec(declared_encoding) or "").startswith(("utf-16", "utf-32")):
        return None
    sample = body[:4096]
    if sample.count(0) > len(sample) // 10 or _control_share(sample) > 0.1:
        return "The page is not HTML: it looks like binary data."
    return None


def _control_share(sample: bytes) -> float:
    """Share of C0 control bytes other than tab, newline, form feed and carriage return."""
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / max(len(sample), 1)


def decode_page(body: bytes | str, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes; return the text and the encoding used. Never raises.

    A BOM wins; then valid UTF-8 (pages that declare a legacy charset but were re-encoded to
    UTF-8 are common, and non-ASCII text that is valid UTF-8 by accident is rare); then the
    encoding declared by HTTP, then the ``<meta charset>``; cp1252 with replacements last.
    """
    if isinstance(body, str):
        return body, "unicode"
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace"), codec
    declared_codec = _codec(declared)
    if declared_codec and declared_codec.startswith(("utf-16", "utf-32")):
        return body.decode(declared_codec, errors="replace"), declared_codec
    candidates = ("utf-8", declared_codec, _codec(_meta_charset(body)))
    for codec in (name for name in candidates if name):
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("cp1252", errors="replace"), "cp1252"


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, browsers' aliases applied; ``None`` if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _WEB_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:8192])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def parse_page(body: bytes | str, declared_encoding: str | None = None) -> ParsedPage | None:
    """Decode and parse a page within the size, element-count and nesting limits above.

    Returns ``None`` when nothing parseable remains. Limits that had to be applied are
    described in :attr:`ParsedPage.notes`.
    """
    text, encoding = decode_page(body, declared_encoding)
    notes: list[str] = []
    text = _INVALID_CHARS.sub(_replace_invalid, text)
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
        notes.append(f"The page was longer than {MAX_HTML_CHARS:,} characters and was cut there.")
    tree, too_deep = _parse(text)
    if too_deep:
        notes.append("The page nests elements deeper than the parser allows; its layout tags were "
                     "dropped to keep the text.")
        tree, _ = _parse(_LAYOUT_TAG.sub(" ", text))
    if tree is None:
        return None
    notes.extend(_bound_tree_size(tree))
    return ParsedPage(tree=tree, encoding=encoding, notes=tuple(notes))


def _replace_invalid(match: re.Match[str]) -> str:
    """NUL and control characters vanish; lone surrogates and non-characters become U+FFFD."""
    return "" if match.group() < "\x20" else "\ufffd"


def _parse(text: str) -> tuple[HtmlElement | None, bool]:
    """Parse HTML text; also say whether the parser stopped at its nesting limit."""
    parser = HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False,
        default_doctype=False,
    )
    try:
        tree = document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError, TypeError):
        return None, False
    too_deep = any(_DEPTH_LIMIT_ERROR in entry.message.lower() for entry in parser.error_log)
    return tree, too_deep


def _bound_tree_size(tree: HtmlElement) -> list[str]:
    """Trim a tree with more than :data:`MAX_ELEMENTS` elements; return what was done."""
    count = _element_count(tree)
    if count <= MAX_ELEMENTS:
        return []
    notes = [f"The page has {count:,} elements; long tables and lists were shortened."]
    for block in tree.xpath(".//table | .//tbody | .//ul | .//ol | .//dl | .//select"):
        for child in block[MAX_ROWS_PER_BLOCK:]:
            block.remove(child)
    if _element_count(tree) > MAX_ELEMENTS:
        _truncate_after(tree, MAX_ELEMENTS)
        notes.append(f"The page was still too large and was cut after {MAX_ELEMENTS:,} elements.")
    return notes


def _element_count(tree: HtmlElement) -> int:
    return int(tree.xpath("count(//*)"))


def _truncate_after(tree: HtmlElement, limit: int) -> None:
    """Drop everything that follows the ``limit``-th element in document order."""
    last = next(element for index, element in enumerate(tree.iter()) if index == limit - 1)
    for child in list(last):
        last.remove(child)
    node: HtmlElement | None = last
    while node is not None:
        parent = node.getparent()
        if parent is not None:
            for sibling in list(node.itersiblings()):
                parent.remove(sibling)
        node = parent
