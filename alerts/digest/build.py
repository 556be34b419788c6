"""Building a digest: a period's matched stories ranked, grouped and summarised (pure).

Flow: Alerts of a period -> the shell's :class:`~alerts.digest.types.DigestInput` --
:func:`build_digest` --> :class:`~alerts.digest.types.Digest` --render--> HTML/text/Markdown/JSON.

Ranking (:func:`score_story`), higher first, ties broken by newer ``published`` then story id::

    score = 2 * log2(1 + coverage) + centrality + log2(1 + move)

- ``coverage``: the sum of the weights of the story's distinct outlets (more outlets, or weightier
  ones, rank higher; the logarithm keeps a story carried by 40 outlets from drowning the rest);
- ``centrality``: in [0, 1], the share of the article's model/company mentions that go to its most
  mentioned entity (an article *about* Meta beats one that names Meta once among ten companies);
- ``move``: the largest reported stock move in percent of a company the story is about, that is
  one mentioned at least ``SUBJECT_SHARE`` as often as the most mentioned (``UNSIZED_MOVE_PCT``
  when a move is reported without a size, 0 when none is or the stock was flat): a market wrap
  about Nvidia is not raised by the "SMIC up 6.5%" it also lists (every move is still shown
  with the story).

Lead article (:func:`lead_report`): a story is shown by one of its articles (headline, link,
summary, time): the earliest report, that is the article published first (its stored time when it
gives none), because the first report states the news itself while later ones react to it or
analyse it ("Meta unveils Muse Spark" before "With Muse Spark, Meta walks away from..." and "Meta
shares rise..."); on a tie, the article of the heaviest source, then the one stored first.
Articles without a title are never the lead while one has a title. Which article matched the
query does not matter (that is often a later one); its mentions still decide ranking and section.

Sections: a story is listed once, in the section of the model or company the subscription's
query matched in it (of several, the most mentioned; on a tie, the one listed first), so a digest
of ``company:Nvidia OR company:Meta`` has Nvidia and Meta sections, not one for every company a
story is mostly about. A matched entity mentioned (with its models) less than 0.4 times as often
as the article's most mentioned one (:data:`SUBJECT_SHARE`; half that when the story reports a
move of its stock) is named in passing: "Mistral AI raises EUR 3.4 billion" names OpenAI twice
among eight Mistral mentions and goes to "Other stories", not to "OpenAI"; DeepSeek's release,
naming Nvidia three times among ten DeepSeek mentions but reporting NVDA down 4.1%, is an Nvidia
story, while the Muse Spark launch's "NVDA up 0.8%", Nvidia named once, is not. A
story matched by words alone goes to its most central model or company; stories naming neither go
to "Other stories". Sections are ordered by their best story.

Market table (:func:`market_highlights`): the period's moves, one row per company and direction
(its largest move; "NVDA down 4.1%" and "NVDA down 3.2%" in two stories is one row), largest
first, moves without a size after sized ones, at most :data:`MAX_MARKET_ROWS` rows; the rest are
counted ("and 19 more moves") and stay listed with their stories and in the JSON.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from alerts.digest.types import (
    COMPANY,
    MODEL,
    CountChange,
    Digest,
    DigestEntity,
    DigestInput,
    DigestOutlet,
    DigestReaction,
    DigestSection,
    DigestStory,
    EntityCount,
    MarketMove,
    RankedStory,
    StoryReport,
)
from alerts.messages import Tag, web_url
from alerts.summary import one_line, shorten, story_summary
from alerts.types import EntityRef, MatchReason, ReactionRef

UNSIZED_MOVE_PCT = 1.0
"""The size a stock move counts for in the ranking when the article gives none."""
MAX_COUNT_CHANGES = 10
"""How many rising (and falling) entities a digest lists."""
MAX_LISTED_STORIES = 40
"""How many of a period's best stories HTML, text and Markdown list (the rest are counted, the
JSON keeps every one): 150 stories made a 120 KB email, and Gmail clips one past 102 KB, hiding
the market table and the unsubscribe link."""
MAX_MARKET_ROWS = 10
"""How many moves the market table of a digest shows (the JSON keeps every one)."""
MAX_TAGS = 12
EVENT_MAX_CHARS = 120
OTHER_KEY = "other"
_SECTION_KINDS = {COMPANY: "company", MODEL: "model"}
_EVENT_LEADS = ("after ", "following ")
_ENTITY_REASONS = frozenset({"entity", "stock"})
SUBJECT_SHARE = 0.4
"""A story is listed under a company or model the query matched when the article mentions it at
least this share as often as its most mentioned one (or half that and reports a move of its
stock); less is a mention in passing."""


def build_digest(data: DigestInput) -> Digest:
    """The digest of ``data``'s period: stories ranked, sectioned, the market table and counts."""
    zone = ZoneInfo(data.timezone)
    ordered = sorted(data.stories, key=_rank_key)
    names = outlet_names(data.stories)
    stories = tuple(
        rank_story(story, rank, zone, names) for rank, story in enumerate(ordered, start=1)
    )
    rising, falling = count_changes(
        data.current_counts if data.current_counts is not None else counts_of(data.stories),
        data.previous_counts,
    )
    market = market_table(stories)
    listed = stories[:MAX_LISTED_STORIES]
    digest = Digest(
        subscription=one_line(data.subscription),
        query=one_line(data.query),
        timezone=data.timezone,
        period_start=data.period_start.astimezone(zone),
        period_end=data.period_end.astimezone(zone),
        stories=stories,
        sections=sections_of(stories, ordered),
        market=market,
        rising=rising,
        falling=falling,
        market_highlights=market_highlights(market_table(listed)),
        listed=MAX_LISTED_STORIES if len(stories) > MAX_LISTED_STORIES else 0,
    )
    return numbered(digest)


def numbered(digest: Digest) -> Digest:
    """``digest`` with its stories numbered 1, 2, 3... in the order they are read, section by
    section (their ranks jump about once the stories are grouped)."""
    order = [story.rank for section in digest.reading_order for story in section.stories]
    order += [story.rank for story in digest.stories[len(order):]]  # not listed: by rank
    numbers = {rank: number for number, rank in enumerate(order, start=1)}

    def renumber(stories: tuple[RankedStory, ...]) -> tuple[RankedStory, ...]:
        return tuple(replace(story, number=numbers[story.rank]) for story in stories)

    return replace(
        digest, stories=renumber(digest.stories),
        sections=tuple(replace(s, stories=renumber(s.stories)) for s in digest.sections),
    )


# ---- Ranking -----------------------------------------------------------------------------------


def score_story(story: DigestStory) -> float:
    """The ranking score of ``story`` (formula in the module docstring)."""
    outlets = 2 * math.log2(1 + coverage(story))
    return outlets + centrality(story) + math.log2(1 + largest_move(story))


def coverage(story: DigestStory) -> float:
    """The sum of the weights of the story's distinct outlets (by source name)."""
    weights: dict[str, float] = {}
    for outlet in story.outlets:
        name = one_line(outlet.source)
        weights[name] = max(weights.get(name, 0.0), 0.0, outlet.weight)
    return sum(weights.values())


def centrality(story: DigestStory) -> float:
    """The share of model/company mentions that go to the most mentioned one (0 if none)."""
    counts = [max(0, entity.count) for entity in story.entities if entity.type in _SECTION_KINDS]
    total = sum(counts)
    return max(counts) / total if total else 0.0


def largest_move(story: DigestStory) -> float:
    """The largest absolute stock move the story reports of a company it is about (mentioned
    at least :data:`SUBJECT_SHARE` as often as its most mentioned one; every company when the
    story names none), in percent: "SMIC up 6.5%" in a market wrap about Nvidia does not count."""
    sizes = [
        abs(reaction.magnitude_pct) if reaction.magnitude_pct is not None else UNSIZED_MOVE_PCT
        for reaction in story.reactions
        if reaction.direction != "flat" and _moves_a_subject(reaction, story)
    ]
    return max(sizes, default=0.0)


def _moves_a_subject(reaction: DigestReaction, story: DigestStory) -> bool:
    if central_entity(story) is None:
        return True
    return any(_is_mainly_mentioned(entity, story) for entity in story.entities
               if entity.type in _SECTION_KINDS and _is_moved(entity, reaction))


def _rank_key(story: DigestStory) -> tuple[float, float, int]:
    published = story.published.timestamp() if story.published else float("-inf")
    return (-score_story(story), -published, story.story_id)


def central_entity(story: DigestStory) -> DigestEntity | None:
    """The story's most mentioned model or company (the first listed on a tie)."""
    return _most_mentioned(story.entities)


def section_entity(story: DigestStory) -> DigestEntity | None:
    """The entity whose section lists ``story``: the most mentioned of those the query matched
    that the story is about (:func:`is_subject`; none: ``None``, an other story); when the query
    matched none (words alone), the most central."""
    matched = [entity for entity in story.entities if entity.key in story.matched]
    if not any(entity.type in _SECTION_KINDS for entity in matched):
        return central_entity(story)
    return _most_mentioned(entity for entity in matched if is_subject(entity, story))


def is_subject(entity: DigestEntity, story: DigestStory) -> bool:
    """Whether ``story`` is about ``entity`` rather than naming it in passing: it (with its
    models) is mentioned at least :data:`SUBJECT_SHARE` as often as the most mentioned model or
    company, or half that and the story reports a move of its stock (a stock named once beside
    the news, "NVDA up 0.8%" in the Muse Spark launch, does not make it an Nvidia story)."""
    return _is_mainly_mentioned(entity, story) or (
        _is_mainly_mentioned(entity, story, SUBJECT_SHARE / 2)
        and any(_is_moved(entity, reaction) for reaction in story.reactions))


def _is_mainly_mentioned(entity: DigestEntity, story: DigestStory,
                         share: float = SUBJECT_SHARE) -> bool:
    """``entity`` (with its models) is mentioned at least ``share`` as often as the story's most
    mentioned model or company."""
    central = central_entity(story)
    return central is None or _mentions_with_models(entity, story) >= central.count * share


def _is_moved(entity: DigestEntity, reaction: DigestReaction) -> bool:
    """``reaction`` is a move of ``entity``'s stock."""
    return reaction.company_id == entity.key or reaction.company == entity.canonical


def _mentions_with_models(company: DigestEntity, story: DigestStory) -> int:
    """Mentions of ``company`` and of its models (keys ``anthropic/...`` for ``anthropic``): an
    article about Claude Opus 5 is about Anthropic too."""
    prefix = f"{company.key}/"
    return company.count + sum(max(0, entity.count) for entity in story.entities
                               if entity.type == MODEL and entity.key.startswith(prefix))


def _most_mentioned(entities: Iterable[DigestEntity]) -> DigestEntity | None:
    best: DigestEntity | None = None
    for entity in entities:
        if entity.type in _SECTION_KINDS and (best is None or entity.count > best.count):
            best = entity
    return best


# ---- Lead article ------------------------------------------------------------------------------


def lead_report(reports: Iterable[StoryReport]) -> StoryReport | None:
    """The article a story is shown by: the earliest report (rule in the module docstring);
    ``None`` for no article."""
    return min(reports, key=_lead_key, default=None)


def _lead_key(report: StoryReport) -> tuple[bool, float, float, int]:
    moment = _in_zone(report.published or report.fetched_at, UTC)
    when = moment.timestamp() if moment else float("inf")
    return (not one_line(report.title), when, -report.weight, report.article_id)


# ---- Stories -----------------------------------------------------------------------------------


def rank_story(story: DigestStory, rank: int, zone: tzinfo = UTC,
               names: Mapping[str, str] | None = None) -> RankedStory:
    """``story`` as listed at ``rank``: one-lined fields, summary, tags and moves; times in
    ``zone`` (a naive ``published`` is taken as UTC); an outlet without a publication name gets
    its source's from ``names`` (:func:`outlet_names`)."""
    headline = one_line(story.headline) or "(untitled)"
    entity = section_entity(story)
    return RankedStory(
        rank=rank,
        story_id=story.story_id,
        headline=headline,
        url=web_url(story.url),
        summary=one_line(story.summary) if story.summary else story_summary(story.text),
        outlets=clean_outlets(story.outlets, names or {}, lead_url=story.url),
        published=_in_zone(story.published, zone),
        tags=story_tags(story.entities),
        moves=story_moves(story.story_id, headline, story.reactions),
        score=round(score_story(story), 4),
        section=_section_key(entity),
    )


def _in_zone(moment: datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def outlet_names(stories: Iterable[DigestStory]) -> dict[str, str]:
    """Per source, the first publication name any outlet of the period gives (a page without
    one is still named like its source's other pages)."""
    names: dict[str, str] = {}
    for outlet in (outlet for story in stories for outlet in story.outlets):
        source, name = one_line(outlet.source), one_line(outlet.name)
        if name:
            names.setdefault(source, name)
    return names


def clean_outlets(
    outlets: Iterable[DigestOutlet], names: Mapping[str, str] | None = None,
    lead_url: str = "",
) -> tuple[DigestOutlet, ...]:
    """Outlets once per source: the one whose article is ``lead_url`` (the headline, link and
    summary shown) first, then heaviest first; names one-lined, unsafe URLs dropped; a source's
    publication name is the first any of its articles gives, else its name in ``names``."""
    seen: dict[str, DigestOutlet] = {}
    for outlet in sorted(outlets, key=lambda item: (not lead_url or item.url != lead_url,
                                                    -item.weight)):
        source = one_line(outlet.source)
        name = one_line(outlet.name) or (names or {}).get(source, "")
        if not source:
            continue
        if source not in seen:
            seen[source] = DigestOutlet(source, outlet.weight, web_url(outlet.url) or "", name)
        elif name and not seen[source].name:
            seen[source] = replace(seen[source], name=name)
    return tuple(seen.values())


def story_tags(entities: Iterable[DigestEntity]) -> tuple[Tag, ...]:
    """Models and companies mentioned, most mentioned first, once each."""
    tags: dict[tuple[str, str], Tag] = {}
    for entity in sorted(entities, key=lambda item: -item.count):
        kind = _SECTION_KINDS.get(entity.type)
        name = one_line(entity.canonical)
        if kind and name and (kind, name) not in tags:
            tags[(kind, name)] = Tag(kind, name, one_line(entity.ticker or "") or None)
    return tuple(tags.values())[:MAX_TAGS]


def story_moves(
    story_id: int, headline: str, reactions: Iterable[DigestReaction]
) -> tuple[MarketMove, ...]:
    """The story's stock moves, once per company and direction: an article often states a move
    twice ("Meta shares rise ... after the launch", then "rose 3.4%"), so the first size and the
    first event stated are kept together."""
    moves: dict[tuple[str, str], MarketMove] = {}
    for reaction in reactions:
        key = (reaction.company_id or reaction.company, reaction.direction)
        known = moves.get(key)
        if known is None:
            moves[key] = MarketMove(
                company=one_line(reaction.company),
                direction=one_line(reaction.direction),
                ticker=one_line(reaction.ticker or "") or None,
                magnitude_pct=_size(reaction.magnitude_pct),
                event=clean_event(reaction.event),
                story_id=story_id,
                headline=headline,
                company_id=reaction.company_id,
            )
        else:
            moves[key] = replace(
                known,
                ticker=known.ticker or one_line(reaction.ticker or "") or None,
                magnitude_pct=_first_size(known.magnitude_pct, _size(reaction.magnitude_pct)),
                event=known.event or clean_event(reaction.event),
            )
    return tuple(moves.values())


def _size(magnitude_pct: float | None) -> float | None:
    """A move's size without a sign: the direction says which way ("down 4.1%", not "-4.1%")."""
    return abs(magnitude_pct) if magnitude_pct is not None else None


def _first_size(known: float | None, other: float | None) -> float | None:
    return known if known is not None else other


def clean_event(event: str | None) -> str | None:
    """The event on one line without a leading "after"/"following" (the sentence adds one)."""
    text = one_line(event or "")
    for lead in _EVENT_LEADS:
        if text.lower().startswith(lead):
            text = text[len(lead):].lstrip()
    return shorten(text, EVENT_MAX_CHARS) or None


# ---- Sections, market table, counts ------------------------------------------------------------


def _section_key(entity: DigestEntity | None) -> str:
    return f"{_SECTION_KINDS[entity.type]}:{entity.key}" if entity else OTHER_KEY


def sections_of(
    ranked: tuple[RankedStory, ...], ordered: list[DigestStory]
) -> tuple[DigestSection, ...]:
    """Sections in order of their best story; ``ordered`` is the input of ``ranked``."""
    sections: dict[str, DigestSection] = {}
    for story, source in zip(ranked, ordered, strict=True):
        if story.section not in sections:
            sections[story.section] = _empty_section(story.section, section_entity(source))
        section = sections[story.section]
        sections[story.section] = replace(section, stories=(*section.stories, story))
    return tuple(sections.values())


def _empty_section(key: str, entity: DigestEntity | None) -> DigestSection:
    if entity is None:
        return DigestSection("other", key, "Other stories", ())
    return DigestSection(_SECTION_KINDS[entity.type], key, one_line(entity.canonical), ())


def market_table(stories: Iterable[RankedStory]) -> tuple[MarketMove, ...]:
    """Every stock move of the period, largest first (unsized moves last, by story rank)."""
    moves = [move for story in stories for move in story.moves]
    return tuple(
        sorted(
            moves,
            key=lambda move: -abs(move.magnitude_pct) if move.magnitude_pct is not None else 0.0,
        )
    )


def market_highlights(
    market: Iterable[MarketMove], limit: int = MAX_MARKET_ROWS
) -> tuple[MarketMove, ...]:
    """The rows of the market table: ``market`` (largest first) once per company and direction,
    keeping the first (largest) move of each, at most ``limit`` rows."""
    rows: dict[tuple[str, str], MarketMove] = {}
    for move in market:
        rows.setdefault((move.company_id or move.ticker or move.company, move.direction), move)
    return tuple(rows.values())[:limit]


def counts_of(stories: Iterable[DigestStory]) -> tuple[EntityCount, ...]:
    """One count per story mentioning each model or company (when the shell gives none)."""
    counter: Counter[tuple[str, str, str | None]] = Counter()
    for story in stories:
        keys = {(e.type, e.canonical, e.canonical_id) for e in story.entities}
        counter.update(key for key in keys if key[0] in _SECTION_KINDS)
    return tuple(EntityCount(kind, name, n, cid) for (kind, name, cid), n in counter.items())


def count_changes(
    current: Iterable[EntityCount], previous: Iterable[EntityCount]
) -> tuple[tuple[CountChange, ...], tuple[CountChange, ...]]:
    """(rising, falling) models and companies, largest change first, at most
    :data:`MAX_COUNT_CHANGES` each; an entity absent from one period counts 0 there. Nothing
    when the previous period counted nothing (a new subscription): every name "up from 0"
    would only repeat the stories."""
    previous = tuple(previous)
    if not previous:
        return (), ()
    names: dict[str, tuple[str, str]] = {}
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for counts, counter in ((previous, before), (current, now)):
        for item in counts:
            if item.type in _SECTION_KINDS:
                names[item.key] = (item.type, one_line(item.canonical))
                counter[item.key] += item.count
    changes = [CountChange(*names[key], now[key], before[key]) for key in names]
    rising = sorted((c for c in changes if c.delta > 0), key=lambda c: (-c.delta, c.name))
    falling = sorted((c for c in changes if c.delta < 0), key=lambda c: (c.delta, c.name))
    return tuple(rising[:MAX_COUNT_CHANGES]), tuple(falling[:MAX_COUNT_CHANGES])


# ---- Adapters from the alerts types ------------------------------------------------------------


def entities_from_refs(refs: Iterable[EntityRef]) -> tuple[DigestEntity, ...]:
    """Per-mention :class:`~alerts.types.EntityRef` values folded into counted entities."""
    counts: Counter[tuple[str, str, str | None, str | None]] = Counter(
        (ref.type, ref.canonical, ref.canonical_id, ref.ticker) for ref in refs
    )
    return tuple(
        DigestEntity(kind, name, cid, n, ticker) for (kind, name, cid, ticker), n in counts.items()
    )


def matched_entity_keys(
    refs: Iterable[EntityRef], reasons: Iterable[MatchReason]
) -> frozenset[str]:
    """Keys of the entities whose mentions an alert's entity or stock reasons cover (what the
    query matched), for :attr:`DigestStory.matched`."""
    spans = [span for reason in reasons if reason.kind in _ENTITY_REASONS
             for span in reason.spans]
    return frozenset(
        ref.canonical_id or ref.canonical for ref in refs
        if any(field == ref.field and start < ref.end and ref.start < end
               for field, start, end in spans)
    )


def reaction_from_ref(ref: ReactionRef) -> DigestReaction:
    """A :class:`~alerts.types.ReactionRef`, with the event the tagger found, for the digest."""
    return DigestReaction(ref.company, ref.direction, ref.company_id, ref.ticker,
                          ref.magnitude_pct, ref.event)


def period_label(start: datetime, end: datetime) -> str:
    """``2026-11-25 00:00 – 2026-11-26 00:00 CET`` (both ends in their own zone)."""
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {end.tzname() or ''}".rstrip()
