"""Article language as a short ISO 639 code ("en", "de", "zh").

Part of the extraction stage (``FetchedPage -> ExtractedArticle``). Pages declare their language
in many spellings (``en-US``, ``pt_BR``, ``de-DE,de``); :func:`normalize_language` reduces them to
the primary subtag. When a page declares nothing, :func:`guess_language_from_script` still
recognises the languages whose writing system gives them away (Japanese kana, Korean Hangul,
Chinese Han, Thai, Greek, Hebrew, Georgian, Armenian); telling English from German needs a
statistical identifier, which newsmon does not ship.
"""

from __future__ import annotations

import re
import unicodedata

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
_SAMPLE_CHARS = 2000
_SCRIPT_SHARE = 0.3
"""A script must cover this share of the sampled letters to name the language."""

_SCRIPTS = (
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("CJK UNIFIED", "zh"),
    ("THAI", "th"),
    ("GREEK", "el"),
    ("HEBREW", "he"),
    ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"),
)


def normalize_language(value: str | None) -> str | None:
    """``"en-US"`` -> ``"en"``, ``"pt_BR"`` -> ``"pt"``; ``None`` for anything that is not a tag."""
    if not value:
        return None
    match = _TAG.match(value.strip().split(",")[0].strip())
    return match.group(1).lower() if match else None


def guess_language_from_script(text: str) -> str | None:
    """The language an unambiguous writing system reveals, or ``None``.

    Han characters with a fair share of kana are Japanese; Latin, Cyrillic and Arabic scripts
    are shared by many languages and give ``None``.
    """
    letters = [char for char in text[:_SAMPLE_CHARS] if char.isalpha()]
    if not letters:
        return None
    counts: dict[str, int] = {}
    for char in letters:
        name = unicodedata.name(char, "")
        for prefix, code in _SCRIPTS:
            if name.startswith(prefix):
                counts[code] = counts.get(code, 0) + 1
                break
    if counts.get("ja", 0) >= 0.05 * len(letters) and "zh" in counts:
        counts["ja"] += counts.pop("zh")
    best = max(counts, key=lambda code: counts[code], default=None)
    if best is None or counts[best] < _SCRIPT_SHARE * len(letters):
        return None
    return best
