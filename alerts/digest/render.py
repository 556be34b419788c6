"""Rendering a digest: :class:`~alerts.digest.types.Digest` -> HTML, plain text, Markdown, JSON,
and a compact few lines for chat and webhook channels (pure: documents in, strings out).

Flow: Alerts of a period --build--> Digest --render (here)--> HTML/text/Markdown/JSON --deliver-->.

Safety: every field that came from an article was put on one line by the builder (no CR/LF or
control characters). The HTML template is autoescaped and links only http(s) URLs (the builder
already replaced any other URL by ``None``), and a ``javascript:`` in article text is written
``javascript&#58;`` (:func:`defang_schemes`); Markdown escapes its special characters and ``<``,
``>``, ``&``; JSON is :func:`json.dumps` output.

JSON schema ``newsmon.digest/1``: ``docs/digest.md`` (fields are only ever added within a version).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2

from alerts.digest.build import period_label
from alerts.digest.types import CountChange, Digest, MarketMove, RankedStory
from alerts.messages import Tag, format_when, web_url
from alerts.summary import one_line, shorten

SCHEMA = "newsmon.digest/1"
TEXT_WIDTH = 78
"""Columns of the plain-text digest (a terminal, a mail client's 78-character lines)."""
COMPACT_STORIES = 3
COMPACT_HEADLINE_CHARS = 120
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MARKDOWN_LINE_START = re.compile(r"^(\d{0,9})((?<=\d)[.)]|(?<!\d)[#+\-])(?=\s|$)")
"""A heading, bullet or numbered-list marker at the start of a value."""
_ARROWS = {"up": "▲", "down": "▼", "flat": "▬"}
_SCRIPT_SCHEMES = re.compile(r"(?i)\b(javascript|vbscript|data):")


def digest_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The Jinja2 environment for digest templates: ``.html`` autoescaped, ``.txt``/``.md`` not."""
    environment = jinja2.Environment(
        loader=loader or jinja2.PackageLoader("alerts", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt", "md"), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        web_url=web_url, one_line=one_line, when=format_when, md=escape_markdown,
        pct=format_pct, arrow=lambda direction: _ARROWS.get(direction, ""), wrap=wrap_text,
        tag_names=tag_names,
    )
    return environment


def escape_markdown(value: object) -> str:
    """``value`` on one line, safe as Markdown text: HTML characters as entities, the characters
    that make inline Markdown backslash-escaped (so ``[x](javascript:...)`` or ``<script>`` stay
    text), and a leading ``#``, ``-``, ``+`` or ``1.`` too, where the value may start a line.
    Ordinary punctuation stays as it is: ``2026-11-26``, ``6.5 gigawatts``, ``ai-daily``."""
    text = one_line(str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def wrap_text(value: object, indent: str = "", first: str | None = None,
              width: int = TEXT_WIDTH) -> str:
    """``value`` on lines of at most ``width`` columns, the first starting with ``first``
    (default ``indent``), the others with ``indent``; words (a URL) are never broken, so a word
    longer than a line stands alone on its line."""
    return textwrap.fill(
        one_line(str(value)), width=width, initial_indent=indent if first is None else first,
        subsequent_indent=indent, break_long_words=False, break_on_hyphens=False,
    )


def tag_names(tags: Iterable[Tag]) -> str:
    """``Meta (META), Muse Spark``: a story's tags as one line of text."""
    return ", ".join(f"{tag.name} ({tag.ticker})" if tag.ticker else tag.name for tag in tags)


def format_pct(value: float | None) -> str:
    """``3.2%``, or an empty string when the size is unknown."""
    return f"{value:g}%" if value is not None else ""


def _context(digest: Digest) -> dict[str, Any]:
    return {"digest": digest, "period": period_label(digest.period_start, digest.period_end)}


def render_html(digest: Digest, environment: jinja2.Environment | None = None) -> str:
    """The digest as an HTML email body (inline CSS, tables, no scripts, no images)."""
    env = environment or digest_environment()
    return defang_schemes(env.get_template("digest.html").render(_context(digest)))


def defang_schemes(html: str) -> str:
    """``html`` with ``javascript:``, ``vbscript:`` and ``data:`` written ``javascript&#58;``:
    the same text once decoded, but no mail client or filter can take it for a link."""
    return _SCRIPT_SCHEMES.sub(r"\1&#58;", html)


def render_text(digest: Digest, environment: jinja2.Environment | None = None) -> str:
    """The digest as plain text."""
    env = environment or digest_environment()
    return env.get_template("digest.txt").render(_context(digest))


def render_markdown(digest: Digest, environment: jinja2.Environment | None = None) -> str:
    """The digest as Markdown (article text escaped)."""
    env = environment or digest_environment()
    return env.get_template("digest.md").render(_context(digest))


def render_compact(digest: Digest, limit: int = COMPACT_STORIES) -> str:
    """A few lines for chat: a heading, the top ``limit`` stories, and how many more.

    Plain text, one line per item (article fields hold no line breaks); a chat channel escapes
    it for its own markup (``slack_escape`` and the like) before sending."""
    document = digest_document(digest)
    stories = document["stories"]
    lines = [compact_heading(document)]
    lines.extend(f"{item['rank']}. {''.join(compact_story(item))}" for item in stories[:limit])
    if len(stories) > limit:
        lines.append(f"+{len(stories) - limit} more")
    return "\n".join(lines)


def compact_heading(document: Mapping[str, Any]) -> str:
    """``newsmon digest · ai-daily · 2026-11-26: 16 stories``, from a digest's JSON document
    (what a sent digest keeps), so that chat channels can be served from storage."""
    subscription = shorten(one_line(str(document.get("subscription", ""))), 60)
    day = str(document.get("period", {}).get("start", ""))[:10]
    head = f"newsmon digest · {subscription} · {day}"
    count = len(document.get("stories") or [])
    if not count:
        return f"{head}: no matching stories"
    return f"{head}: {count} stor{'y' if count == 1 else 'ies'}"


def compact_story(item: Mapping[str, Any]) -> tuple[str, str]:
    """A story of a digest's JSON document for one chat line: its headline (shortened) and the
    rest (`` (3 outlets) · META up 3%``), apart so that a channel can link the headline."""
    outlets = len(item.get("outlets") or [])
    rest = f" ({outlets} outlet{'s' if outlets != 1 else ''})"
    rest += "".join(f" · {one_line(str(move.get('sentence', '')))}"
                    for move in (item.get("moves") or [])[:2])
    return shorten(one_line(str(item.get("headline", ""))), COMPACT_HEADLINE_CHARS), rest


# ---- JSON --------------------------------------------------------------------------------------


def render_json(digest: Digest) -> str:
    """The digest as JSON, schema ``newsmon.digest/1`` (see the module docstring)."""
    return json.dumps(digest_document(digest), ensure_ascii=False, indent=2, sort_keys=False)


def digest_document(digest: Digest) -> dict[str, Any]:
    """The JSON document of ``digest`` as plain Python values."""
    return {
        "schema": SCHEMA,
        "subscription": digest.subscription,
        "query": digest.query,
        "timezone": digest.timezone,
        "period": {"start": digest.period_start.isoformat(),
                   "end": digest.period_end.isoformat()},
        "empty": digest.is_empty,
        "stories": [_story_document(story) for story in digest.stories],
        "sections": [
            {"kind": section.kind, "key": section.key, "title": section.title,
             "story_ids": [story.story_id for story in section.stories]}
            for section in digest.sections
        ],
        "market": [_move_document(move) for move in digest.market],
        "counts": {"rising": [_change_document(c) for c in digest.rising],
                   "falling": [_change_document(c) for c in digest.falling]},
    }


def _story_document(story: RankedStory) -> dict[str, Any]:
    return {
        "rank": story.rank, "story_id": story.story_id, "headline": story.headline,
        "url": story.url, "summary": story.summary,
        "published": story.published.isoformat() if story.published else None,
        "score": story.score, "section": story.section,
        "outlets": [{"source": o.source, "name": o.shown, "weight": o.weight,
                     "url": o.url or None}
                    for o in story.outlets],
        "tags": [{"kind": t.kind, "name": t.name, "ticker": t.ticker} for t in story.tags],
        "moves": [_move_document(move) for move in story.moves],
    }


def _move_document(move: MarketMove) -> dict[str, Any]:
    return {
        "company": move.company, "ticker": move.ticker, "direction": move.direction,
        "magnitude_pct": move.magnitude_pct, "event": move.event, "story_id": move.story_id,
        "headline": move.headline, "sentence": move.sentence,
    }


def _change_document(change: CountChange) -> dict[str, Any]:
    return {"type": change.type, "name": change.name, "current": change.current,
            "previous": change.previous, "delta": change.delta}
