"""Sniffing fetched bytes before a parser sees them: what they are and how to decode them.

Sits at the front of the crawler's pure parsers (:mod:`crawler.feeds`, :mod:`crawler.sitemaps`):
a fetched body may be empty, binary, gzip-compressed, an HTML page where a feed was expected,
or XML in a charset its declaration lies about. These helpers answer those questions from the
bytes alone, so the parsers can refuse with a readable reason or decode correctly.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

import charset_normalizer

_MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF16_SNIFF: tuple[tuple[bytes, str], ...] = (
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_XML_DECLARED = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)
_ELEMENT_NAME = re.compile(r"<([A-Za-z_][\w:.-]*)")
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_SINGLE_BYTE_PREFIXES = ("iso8859", "cp125", "cp437", "cp850", "koi8", "mac-", "latin", "ascii")
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949"}
_PREFERRED_ON_TIE = "cp1252"
SNIFF_CHARS = 65536
"""How much of a document the prolog and root-element sniffers look at."""


@dataclass(frozen=True)
class DecodedText:
    """Bytes decoded to text, the codec used and what had to be guessed or repaired."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def describe_binary(body: bytes) -> str | None:
    """Name what ``body`` is when it is binary data rather than text (``None`` for text)."""
    for magic, name in _MAGIC_NUMBERS:
        if body.startswith(magic):
            return name
    head = body[:1024]
    markers = [bom for bom, _ in _BOMS] + [marker for marker, _ in _UTF16_SNIFF]
    if head.startswith(tuple(markers)):
        return None
    if len(_CONTROL_BYTES.findall(head)) > max(8, len(head) // 20):
        return "binary data"
    return None


def declares_entities(document: bytes) -> bool:
    """True when an XML document has a DOCTYPE and ``<!ENTITY`` declarations.

    Feeds and sitemaps never need their own entities; refusing them rules out billion-laughs,
    quadratic-blowup and external-entity (XXE) documents whatever the parser would do.
    UTF-16/32 documents are checked with their NUL bytes removed.
    """
    ascii_view = document.replace(b"\x00", b"") if b"\x00" in document[:4] else document
    return bool(_ENTITY_DECLARATION.search(ascii_view) and _DOCTYPE.search(ascii_view))


ENTITIES_REFUSED = (
    "declares its own XML entities (<!DOCTYPE ... [<!ENTITY ...]>), which it never needs;"
    " refused to rule out entity-expansion and external-entity attacks"
)
"""The end of the reason given for a document that :func:`declares_entities`."""


def is_gzip(body: bytes) -> bool:
    """True when ``body`` starts with the gzip magic number."""
    return body.startswith(b"\x1f\x8b")


def gunzip_capped(body: bytes, max_bytes: int) -> bytes | str:
    """Decompress gzip ``body``, refusing to produce more than ``max_bytes`` (a gzip bomb).

    Returns the decompressed bytes, or a readable reason when the data is corrupt, truncated or
    larger than the limit once decompressed. Concatenated gzip members are supported.
    """
    output = bytearray()
    remaining = body
    while remaining:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            output += inflater.decompress(remaining, max_bytes + 1 - len(output))
        except zlib.error as error:
            return f"corrupt gzip data: {error}"
        if len(output) > max_bytes:
            return f"larger than the limit of {max_bytes:,} bytes once decompressed"
        if not inflater.eof:
            return "truncated gzip data (the compressed stream ends early)"
        remaining = inflater.unused_data.lstrip(b"\x00")
    return bytes(output)


def root_element_name(text: str) -> str | None:
    """The name of the first element of a markup document, skipping its prolog."""
    head = text[:SNIFF_CHARS]
    position = 0
    while match := _PROLOG_ITEM.match(head, position):
        position = match.end()
    element = _ELEMENT_NAME.match(head, position)
    return element.group(1) if element else None


def looks_like_html(text: str) -> bool:
    """True when a document opens as an HTML page (HTML doctype or an ``<html>`` root)."""
    root = root_element_name(text)
    if root is not None and root.lower() == "html":
        return True
    return root is None and bool(_HTML_DOCTYPE.search(text[:SNIFF_CHARS]))


def http_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of an HTTP Content-Type header, if any."""
    match = _HTTP_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def decode_xml_bytes(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode XML bytes: a BOM wins, then the declared charsets (HTTP, then XML), then sniffing.

    Repairs the common lies: bytes that are valid UTF-8 but declared as a single-byte charset
    are read as UTF-8; gb2312/gbk are read as their superset gb18030; a mostly-UTF-8 document
    with a few broken sequences is read as UTF-8 with U+FFFD; undeclared legacy bytes are
    guessed with charset-normalizer (windows-1252 winning ties among Latin charsets).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return DecodedText(body[len(bom) :].decode(codec, errors="replace"), codec)
    for marker, codec in _UTF16_SNIFF:
        if body.startswith(marker):
            return DecodedText(body.decode(codec, errors="replace"), codec)
    declared = [name for name in (http_charset(content_type), _xml_declared(body)) if name]
    warnings: list[str] = []
    codec = _pick_declared(body, declared, warnings) or _pick_undeclared(body, declared, warnings)
    return DecodedText(body.decode(codec, errors="replace"), codec, tuple(warnings))


def _pick_declared(body: bytes, declared: list[str], warnings: list[str]) -> str | None:
    utf8 = _decodes(body, "utf-8")
    for name in declared:
        codec = _lookup(name)
        if codec is None:
            warnings.append(f"unknown charset {name!r} ignored")
        elif codec == "utf-8":
            if utf8:
                return codec
        elif utf8 and _is_single_byte(codec) and not body.isascii():
            warnings.append(f"declared as {name} but the bytes are UTF-8; read as UTF-8")
            return "utf-8"
        elif codec != "utf-8" and _decodes(body, codec):
            return codec
        else:
            warnings.append(f"declared charset {name} does not fit the bytes")
    return "utf-8" if utf8 else None


def _pick_undeclared(body: bytes, declared: list[str], warnings: list[str]) -> str:
    if all(_lookup(name) in {None, "utf-8"} for name in declared) and _mostly_utf8(body):
        bad = body.decode("utf-8", errors="replace").count("\ufffd")
        warnings.append(f"{bad} invalid UTF-8 sequence(s) replaced with U+FFFD")
        return "utf-8"
    guess = _guess_charset(body)
    warnings.append(f"charset not declared correctly; guessed {guess}")
    return guess


def _guess_charset(body: bytes) -> str:
    matches = list(charset_normalizer.from_bytes(body))
    if not matches:
        return _PREFERRED_ON_TIE
    best = matches[0]
    tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    chosen = _PREFERRED_ON_TIE if _PREFERRED_ON_TIE in tied else best.encoding
    return _lookup(chosen) or _PREFERRED_ON_TIE


def _mostly_utf8(body: bytes) -> bool:
    """At least as many valid multi-byte UTF-8 characters as broken sequences.

    Legacy-charset text (Latin-1 accents) almost never forms valid UTF-8 sequences by accident,
    so a document that has some is UTF-8 with a few broken bytes.
    """
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for char in text if ord(char) > 127) - bad
    return valid >= bad


def _xml_declared(body: bytes) -> str | None:
    match = _XML_DECLARED.search(body[:1024])
    return match.group(1).decode("ascii") if match else None


def _lookup(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, codec)


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _is_single_byte(codec: str) -> bool:
    return codec.startswith(_SINGLE_BYTE_PREFIXES)
