"""Alert messages: what one delivery says, built from a matched article, rendered for email.

Flow: ``match`` gives an :class:`~alerts.types.ArticleView` and its
:class:`~alerts.types.MatchReason` values -> :func:`build_alert_message` (pure) ->
:class:`AlertMessage`, stored or rebuilt by the outbox -> a channel's ``send``. Email bodies are
rendered here from the Jinja2 templates in ``alerts/templates`` (autoescaped HTML, plain text);
webhook and chat payloads are built by their channels from the same message.

Excerpts (``highlights``) never repeat the summary: when the summary is the article's opening
(the default: its first sentences), excerpts start after it, and an excerpt the summary already
contains word for word is left out; a match inside the summary is read there.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from alerts.summary import LINE_BREAKS, one_line, shorten, story_summary
from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef

SUBJECT_MAX_CHARS = 150
SNIPPET_CONTEXT_CHARS = 90
SNIPPET_MAX_CHARS = 320
MAX_SNIPPETS = 3
OPENING_SLACK_CHARS = 400
"""How far into a text its summary may start (after a byline, a dateline, captions)."""
MAX_TAGS = 12
_HEADER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]{0,127}")
_SPACE = re.compile(r"\s")
_LAST_SPACE = re.compile(r"\s(?=\S*$)")
_TAG_KINDS = {"MODEL": "model", "COMPANY": "company"}
_ARROWS = {"up": "▲", "down": "▼", "flat": "▬"}


@dataclass(frozen=True)
class Segment:
    """A piece of text, marked when it is what the query matched."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Snippet:
    """An excerpt of the article (``field`` is ``title`` or ``text``) with its matches marked."""

    field: str
    segments: tuple[Segment, ...]
    cut_before: bool = False
    cut_after: bool = False

    @property
    def text(self) -> str:
        """The excerpt as plain text."""
        return "".join(segment.text for segment in self.segments)

    @property
    def marks(self) -> tuple[tuple[int, int], ...]:
        """``(start, end)`` offsets of the marked parts in :attr:`text`."""
        marks, offset = [], 0
        for segment in self.segments:
            if segment.marked:
                marks.append((offset, offset + len(segment.text)))
            offset += len(segment.text)
        return tuple(marks)


@dataclass(frozen=True)
class Tag:
    """A model or company the article mentions."""

    kind: str
    """``model`` or ``company``."""
    name: str
    ticker: str | None = None


@dataclass(frozen=True)
class StockMove:
    """A stock reaction the article reports."""

    company: str
    direction: str
    """``up``, ``down`` or ``flat``."""
    ticker: str | None = None
    magnitude_pct: float | None = None

    @property
    def label(self) -> str:
        """``META ▲ 3.2%`` or ``Meta ▲``."""
        size = f" {self.magnitude_pct:g}%" if self.magnitude_pct is not None else ""
        name = stock_name(self.company, self.ticker)
        return f"{name} {_ARROWS.get(self.direction, '')}{size}".strip()


def stock_name(company: str, ticker: str | None) -> str:
    """How a move names its stock: the ticker when it reads as one (``META``), else the company
    (``TSMC``, not its Taiwan code ``2330``; ``SMIC``, not ``0981``)."""
    return ticker if ticker and any(ch.isalpha() for ch in ticker) else company


@dataclass(frozen=True)
class AlertMessage:
    """Everything one delivery of one alert says, independent of the channel."""

    delivery_id: str
    """Stable per delivery: the idempotency key, ``Message-ID``, ``Newsmon-Delivery``."""
    subscription: str
    query: str
    title: str
    url: str
    source: str
    summary: str
    created: datetime
    """When the alert was created (timezone-aware); the email ``Date``."""
    published: datetime | None = None
    reasons: tuple[MatchReason, ...] = ()
    title_snippet: Snippet | None = None
    """The title with matched parts marked (``None``: nothing in the title matched)."""
    highlights: tuple[Snippet, ...] = ()
    """Excerpts of the article text around what matched."""
    tags: tuple[Tag, ...] = ()
    stock_reactions: tuple[StockMove, ...] = ()
    other_outlets: int = 0
    """How many other outlets cover the same story."""
    unsubscribe_url: str | None = None
    unsubscribe_token: str | None = None
    """Opaque to channels; email puts it in the ``mailto:`` unsubscribe request."""
    timezone: str = "UTC"
    """The subscriber's IANA time zone: times are shown to people in it."""

    def __post_init__(self) -> None:
        if not self.delivery_id.strip():
            raise ValueError("an alert message needs a delivery id")
        if self.created.tzinfo is None:
            raise ValueError("AlertMessage.created must be timezone-aware")

    @property
    def published_local(self) -> datetime | None:
        """``published`` in the subscriber's time zone (a naive time is taken as UTC; an
        unknown zone shows UTC)."""
        if self.published is None:
            return None
        moment = self.published if self.published.tzinfo else self.published.replace(tzinfo=UTC)
        try:
            return moment.astimezone(ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return moment.astimezone(UTC)

    @property
    def title_segments(self) -> tuple[Segment, ...]:
        """The title as segments (one unmarked segment when nothing in it matched)."""
        return self.title_snippet.segments if self.title_snippet else (Segment(self.title),)


def build_alert_message(
    *,
    delivery_id: str,
    subscription: str,
    query: str,
    article: ArticleView,
    reasons: Sequence[MatchReason],
    created: datetime,
    other_outlets: int = 0,
    summary: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_token: str | None = None,
    timezone: str = "UTC",
) -> AlertMessage:
    """The message for one delivery of ``article`` to a subscription (pure)."""
    title_spans = spans_in(reasons, "title", len(article.title))
    summary = summary if summary is not None else story_summary(article.text)
    return AlertMessage(
        delivery_id=delivery_id,
        subscription=subscription,
        query=query,
        title=article.title,
        url=article.url,
        source=article.source,
        summary=summary,
        created=created,
        published=article.published,
        reasons=tuple(reasons),
        title_snippet=mark_text("title", article.title, title_spans) if title_spans else None,
        highlights=excerpts_beside(summary, article.text,
                                   spans_in(reasons, "text", len(article.text))),
        tags=tags_of(article.entities),
        stock_reactions=stock_moves_of(article.reactions),
        other_outlets=max(0, other_outlets),
        unsubscribe_url=unsubscribe_url,
        unsubscribe_token=unsubscribe_token,
        timezone=timezone,
    )


def spans_in(reasons: Iterable[MatchReason], field: str, length: int) -> list[tuple[int, int]]:
    """The reasons' spans in one field, clipped to the text, sorted and merged."""
    spans = sorted(
        (max(0, start), min(length, end))
        for reason in reasons
        for span_field, start, end in reason.spans
        if span_field == field and min(length, end) > max(0, start)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_text(field: str, text: str, spans: Sequence[tuple[int, int]]) -> Snippet:
    """The whole of ``text`` as a snippet with ``spans`` (sorted, disjoint) marked."""
    return _snippet(field, text, 0, len(text), spans)


def excerpts_beside(
    summary: str, text: str, spans: Sequence[tuple[int, int]]
) -> tuple[Snippet, ...]:
    """Excerpts of ``text`` around ``spans`` that do not repeat ``summary``: they start after
    it when it is the text's opening, and one it contains word for word is dropped."""
    said = one_line(summary).removesuffix("…")
    snippets = text_snippets(text, spans, after=opening_end(text, summary))
    return tuple(snippet for snippet in snippets if one_line(snippet.text) not in said)


def opening_end(text: str, summary: str) -> int:
    """Where ``summary`` ends in ``text`` when it is the text's opening (whitespace aside, a
    shortened summary's ellipsis dropped; the byline or dateline the summary leaves out may
    come before it), else 0."""
    words = one_line(summary).removesuffix("…").split()
    if not words:
        return 0
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    found = pattern.search(text, 0, len(summary) + OPENING_SLACK_CHARS)
    return found.end() if found else 0


def text_snippets(
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    context: int = SNIPPET_CONTEXT_CHARS,
    limit: int = MAX_SNIPPETS,
    max_chars: int = SNIPPET_MAX_CHARS,
    after: int = 0,
) -> tuple[Snippet, ...]:
    """Excerpts of ``text`` around ``spans`` (sorted, disjoint), nearby spans sharing one of at
    most about ``max_chars`` (an article naming its subject in every sentence would otherwise be
    quoted whole); the next excerpt starts where a full one ends. Nothing before ``after`` is
    quoted (what the reader already has): spans that end by then are skipped."""
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for start, end in spans:
        if end <= after:
            continue
        low = max(_word_start(text, max(0, start - context)), min(start, after))
        high = _word_end(text, min(len(text), end + context))
        if windows and low <= windows[-1][1]:
            first, last, inside = windows[-1]
            if max(high, last) - first <= max_chars:
                windows[-1] = (first, max(high, last), [*inside, (start, end)])
                continue
            low = max(inside[-1][1], _word_start(text, start))
            windows[-1] = (first, low, inside)
        windows.append((low, high, [(start, end)]))
    return tuple(_snippet("text", text, low, high, inside) for low, high, inside in windows[:limit])


def _snippet(
    field: str, text: str, low: int, high: int, spans: Sequence[tuple[int, int]]
) -> Snippet:
    pieces: list[Segment] = []
    position = low
    for start, end in spans:
        pieces.append(Segment(text[position:start]))
        pieces.append(Segment(text[start:end], marked=True))
        position = end
    pieces.append(Segment(text[position:high]))
    segments = tuple(
        Segment(LINE_BREAKS.sub(" ", piece.text), piece.marked) for piece in pieces if piece.text
    )
    return Snippet(field, _strip_ends(segments), cut_before=low > 0, cut_after=high < len(text))


def _strip_ends(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    if not segments:
        return segments
    items = list(segments)
    items[0] = Segment(items[0].text.lstrip(), items[0].marked)
    items[-1] = Segment(items[-1].text.rstrip(), items[-1].marked)
    return tuple(segment for segment in items if segment.text)


def _word_start(text: str, index: int) -> int:
    """Move ``index`` back to the start of the word it falls in (at most 20 characters)."""
    if index == 0:
        return 0
    space = _LAST_SPACE.search(text, max(0, index - 20), index)
    return space.end() if space else index


def _word_end(text: str, index: int) -> int:
    """Move ``index`` forward to the end of the word it falls in (at most 20 characters)."""
    space = _SPACE.search(text, index, index + 20)
    return space.start() if space else min(index, len(text))


def tags_of(entities: Iterable[EntityRef], limit: int = MAX_TAGS) -> tuple[Tag, ...]:
    """Models and companies the article mentions, once each, in order of first mention."""
    tags: dict[tuple[str, str], Tag] = {}
    for entity in entities:
        kind = _TAG_KINDS.get(entity.type)
        if kind and (kind, entity.canonical) not in tags:
            tags[(kind, entity.canonical)] = Tag(kind, entity.canonical, entity.ticker)
    return tuple(tags.values())[:limit]


def stock_moves_of(reactions: Iterable[ReactionRef]) -> tuple[StockMove, ...]:
    """The article's stock reactions, once per company and direction (with the first size
    stated: "Meta shares rise", then "rose 3.4%", is ``META ▲ 3.4%``)."""
    moves: dict[tuple[str, str], StockMove] = {}
    for reaction in reactions:
        key = (reaction.company_id or reaction.company, reaction.direction)
        known = moves.get(key)
        if known is None:
            moves[key] = StockMove(reaction.company, reaction.direction, reaction.ticker,
                                   reaction.magnitude_pct)
        elif known.magnitude_pct is None and reaction.magnitude_pct is not None:
            moves[key] = StockMove(known.company, known.direction,
                                   known.ticker or reaction.ticker, reaction.magnitude_pct)
    return tuple(moves.values())


def header_token(delivery_id: str) -> str:
    """``delivery_id`` if it is safe in a header or Message-ID, else a stable digest of it."""
    if _HEADER_TOKEN.fullmatch(delivery_id):
        return delivery_id
    return "sha256-" + hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()[:40]


def web_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL safe to link to, else ``None`` (no
    ``javascript:``, no whitespace or quotes that could break out of an attribute)."""
    if not url or one_line(url) != url or any(ch in url for ch in "\"'<>`\\"):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


# ---- Email rendering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedEmail:
    """The parts of an alert email: a one-line subject, a plain-text body and an HTML body."""

    subject: str
    text: str
    html: str


def email_subject(message: AlertMessage) -> str:
    """One line, no CR/LF whatever the article title held: ``Title · subscription``."""
    title = shorten(one_line(message.title) or "(untitled)", SUBJECT_MAX_CHARS)
    return f"{title} · {shorten(one_line(message.subscription), 60)}"


def template_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The Jinja2 environment for alert templates: HTML autoescaped, undefined names errors."""
    environment = jinja2.Environment(
        loader=loader or jinja2.PackageLoader("alerts", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["web_url"] = web_url
    environment.filters["one_line"] = one_line
    environment.filters["when"] = format_when
    return environment


def render_email(message: AlertMessage, environment: jinja2.Environment) -> RenderedEmail:
    """Subject, plain text and HTML of ``message`` from ``alert_email.txt`` / ``.html``."""
    context = {"message": message, "article_url": web_url(message.url),
               "unsubscribe_url": web_url(message.unsubscribe_url)}
    return RenderedEmail(
        subject=email_subject(message),
        text=environment.get_template("alert_email.txt").render(context),
        html=environment.get_template("alert_email.html").render(context),
    )


def format_when(moment: datetime | None) -> str:
    """``2026-11-20 12:00 UTC`` (or empty for ``None``)."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")
