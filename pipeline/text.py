"""Text hygiene shared by every stage that stores or compares text.

Web input carries NUL bytes, lone surrogates, odd whitespace and control characters; PostgreSQL
refuses NUL in text and UTF-8 cannot encode lone surrogates. Everything that reaches storage
passes through :func:`clean_text` first.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_WORDS = re.compile(r"\w+")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def clean_text(value: str | None) -> str:
    """Return ``value`` without NUL/control characters or lone surrogates, NFC-normalised.

    Newlines are kept (paragraphs matter), runs of spaces collapse to one, and runs of blank
    lines collapse to one blank line. ``None`` becomes the empty string.
    """
    if not value:
        return ""
    text = _SURROGATES.sub("\ufffd", value)
    text = _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str | None:
    """Like :func:`clean_text` but for one-line fields (titles, names): newlines become spaces."""
    text = clean_text(value).replace("\n", " ")
    return " ".join(text.split()) or None


def decode_bytes(body: bytes, declared: str | None = None) -> str:
    """Decode web bytes to text: a BOM wins, then the declared charset, then UTF-8, then cp1252.

    Never raises: undecodable bytes become U+FFFD.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    for codec in [name for name in (declared, "utf-8") if name]:
        try:
            return body.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def content_fingerprint(title: str | None, text: str) -> str | None:
    """A hash of an article's words (case and punctuation ignored) for exact-duplicate detection.

    Returns ``None`` when there is too little text to tell two articles apart reliably.
    """
    words = _WORDS.findall(text.casefold())
    if len(words) < 25:
        return None
    head = " ".join(_WORDS.findall((title or "").casefold()))
    digest = hashlib.sha256((head + "\n" + " ".join(words)).encode("utf-8"))
    return digest.hexdigest()
