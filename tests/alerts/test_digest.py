"""The daily digest: ranking, sections, market table, counts versus the previous period, the empty
digest, and hostile article fields in every rendered format (pure: no database, no clock)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from alerts.digest import (
    SCHEMA,
    Digest,
    DigestEntity,
    DigestInput,
    DigestOutlet,
    DigestReaction,
    DigestStory,
    EntityCount,
    build_digest,
    entities_from_refs,
    reaction_from_ref,
    render_compact,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from alerts.digest.build import matched_entity_keys
from alerts.digest.render import escape_markdown
from alerts.digest_delivery import UNSUBSCRIBE_MARK
from alerts.types import EntityRef, MatchReason
from alerts.views import view_of
from pipeline.nlp.types import Direction, StockReaction
from pipeline.storage import StoredArticle
from pipeline.storage.tags import ArticleTags

START = datetime(2026, 11, 25, tzinfo=UTC)
END = START + timedelta(days=1)
META = DigestEntity("COMPANY", "Meta", "meta", 5, "META")
GPT6 = DigestEntity("MODEL", "GPT-6", "openai/gpt-6", 4)


def story(
    story_id: int,
    *,
    outlets: int = 1,
    weight: float = 1.0,
    move: float | None = None,
    entities: tuple[DigestEntity, ...] = (META,),
    headline: str | None = None,
    published: datetime | None = None,
) -> DigestStory:
    reactions = (DigestReaction("Meta", "up", "meta", "META", move, "the launch"),) if move else ()
    return DigestStory(
        story_id=story_id,
        headline=headline or f"Story {story_id}",
        url=f"https://news.example/{story_id}",
        text=f"First sentence of {story_id}. Second sentence. Third sentence.",
        outlets=tuple(
            DigestOutlet(f"outlet-{i}", weight, f"https://o{i}.example/{story_id}")
            for i in range(outlets)
        ),
        published=published or START + timedelta(hours=1),
        entities=entities,
        reactions=reactions,
    )


def digest_of(
    *stories: DigestStory,
    previous_counts: tuple[EntityCount, ...] = (),
    current_counts: tuple[EntityCount, ...] | None = None,
) -> Digest:
    return build_digest(DigestInput("ai watch", "company:Meta", "UTC", START, END, stories,
                                    previous_counts, current_counts))


def ranked_ids(digest: Digest) -> list[int]:
    return [item.story_id for item in digest.stories]


# ---- Ranking -----------------------------------------------------------------------------------


def test_more_outlets_rank_higher() -> None:
    digest = digest_of(story(1, outlets=1), story(2, outlets=5), story(3, outlets=3))
    assert ranked_ids(digest) == [2, 3, 1]
    assert [item.rank for item in digest.stories] == [1, 2, 3]


def test_heavier_outlets_rank_higher() -> None:
    digest = digest_of(story(1, outlets=2, weight=1.0), story(2, outlets=2, weight=3.0))
    assert ranked_ids(digest) == [2, 1]


def test_bigger_stock_moves_rank_higher() -> None:
    digest = digest_of(story(1, move=2.0), story(2, move=12.0), story(3))
    assert ranked_ids(digest) == [2, 1, 3]


def test_central_entity_ranks_higher() -> None:
    passing = (DigestEntity("COMPANY", "Meta", "meta", 1),
               DigestEntity("COMPANY", "OpenAI", "openai", 1),
               DigestEntity("COMPANY", "Google", "google", 1))
    digest = digest_of(story(1, entities=passing), story(2, entities=(META,)))
    assert ranked_ids(digest) == [2, 1]


def test_ties_put_newer_first() -> None:
    digest = digest_of(story(1, published=START), story(2, published=START + timedelta(hours=5)))
    assert ranked_ids(digest) == [2, 1]


# ---- Sections ----------------------------------------------------------------------------------


def test_story_goes_to_section_of_its_most_central_entity() -> None:
    about_model = (DigestEntity("COMPANY", "OpenAI", "openai", 1), GPT6)
    digest = digest_of(
        story(1, outlets=3, entities=(META, GPT6)),
        story(2, outlets=2, entities=about_model),
        story(3, outlets=1, entities=()),
        story(4, outlets=1, entities=(DigestEntity("ORG", "Acme Labs", None, 9),)),
    )
    assert [(s.kind, s.key, s.title) for s in digest.sections] == [
        ("company", "company:meta", "Meta"),
        ("model", "model:openai/gpt-6", "GPT-6"),
        ("other", "other", "Other stories"),
    ]
    assert [[item.story_id for item in s.stories] for s in digest.sections] == [[1], [2], [3, 4]]
    assert [s.key for s in digest.company_sections] == ["company:meta"]
    assert [s.key for s in digest.model_sections] == ["model:openai/gpt-6"]


def test_stories_are_numbered_in_the_order_they_are_read() -> None:
    openai = DigestEntity("COMPANY", "OpenAI", "openai", 3)
    digest = digest_of(story(1, outlets=5), story(2, outlets=4, entities=(openai,)),
                       story(3, outlets=3), story(4, outlets=2, entities=(GPT6,)),
                       story(5, outlets=1, entities=()))
    assert [s.title for s in digest.sections] == ["Meta", "OpenAI", "GPT-6", "Other stories"]
    read = [(item.story_id, item.rank, item.number)
            for section in digest.sections for item in section.stories]
    assert read == [(1, 1, 1), (3, 3, 2), (2, 2, 3), (4, 4, 4), (5, 5, 5)]
    assert [item.number for item in digest.stories] == [1, 3, 2, 4, 5]  # by rank
    text = render_text(digest)
    assert re.findall(r"(?m)^(\d+)\. Story (\d)", text) == [
        ("1", "1"), ("2", "3"), ("3", "2"), ("4", "4"), ("5", "5")]
    assert "5 stories matched company:Meta, grouped by company and model, most" in text
    html = render_html(digest)
    assert html.index(">2. <a") < html.index(">3. <a") < html.index(">4. <a")
    assert "**2. [Story 3]" in render_markdown(digest)
    assert "grouped" not in render_text(digest_of(story(6, entities=())))


def test_story_goes_to_the_section_of_what_the_query_matched_in_it() -> None:
    deepseek = DigestEntity("COMPANY", "DeepSeek", "deepseek", 6)
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 3, "NVDA")  # half as often: not in passing
    about_deepseek = replace(story(1), entities=(deepseek, nvidia), matched=frozenset({"nvidia"}))
    by_words = replace(story(2), entities=(deepseek, nvidia))  # "chips" matched: no entity
    digest = digest_of(about_deepseek, by_words)
    assert [s.key for s in digest.sections] == ["company:nvidia", "company:deepseek"]
    assert digest.sections[0].title == "Nvidia"


def test_the_entities_an_alert_matched_are_those_its_reasons_cover() -> None:
    text = "DeepSeek rattles Nvidia. DeepSeek V4 was trained on Huawei chips."
    refs = [EntityRef("COMPANY", "DeepSeek", "deepseek", "text", 0, 8),
            EntityRef("COMPANY", "Nvidia", "nvidia", "text", 17, 23, ticker="NVDA"),
            EntityRef("COMPANY", "DeepSeek", "deepseek", "text", 25, 33),
            EntityRef("COMPANY", "Huawei", None, "text", text.find("Huawei"), 58),
            EntityRef("COMPANY", "Nvidia", "nvidia", "title", 0, 6)]
    reasons = [MatchReason("entity", "company:Nvidia", (("text", 17, 23),)),
               MatchReason("term", "chips", (("text", 59, 64),))]
    assert matched_entity_keys(refs, reasons) == {"nvidia"}
    stock = [MatchReason("stock", "NVDA down 4%", (("text", 17, 40),))]
    assert matched_entity_keys(refs, stock) == {"nvidia", "deepseek"}


def test_story_has_summary_tags_and_outlets() -> None:
    item = digest_of(story(7, outlets=2, move=3.0, entities=(GPT6, META))).stories[0]
    assert item.summary == "First sentence of 7. Second sentence."
    assert [(tag.kind, tag.name, tag.ticker) for tag in item.tags] == [
        ("company", "Meta", "META"), ("model", "GPT-6", None)]
    assert [outlet.source for outlet in item.outlets] == ["outlet-0", "outlet-1"]
    assert [move.sentence for move in item.moves] == ["META up 3% after the launch"]


# ---- Market table and counts -------------------------------------------------------------------


def test_market_table_lists_the_period_moves_largest_first() -> None:
    seed = DigestStory(
        9, "Meta unveils Muse Spark", "https://news.example/9", "Meta unveiled Muse Spark.",
        reactions=(
            DigestReaction("Meta", "up", "meta", "META", 3.0, "following the Muse Spark launch"),
            DigestReaction("Meta", "up", "meta", "META", 3.0, "the same move, said twice"),
        ),
    )
    other = DigestStory(
        8, "Nvidia slides", "https://news.example/8", "Nvidia fell.",
        reactions=(DigestReaction("Nvidia", "down", "nvidia", "NVDA", -7.5, None),
                   DigestReaction("AMD", "up", "amd", "AMD", None, None)),
    )
    market = digest_of(seed, other).market
    assert [(m.ticker, m.direction, m.magnitude_pct) for m in market] == [
        ("NVDA", "down", 7.5), ("META", "up", 3.0), ("AMD", "up", None)]
    assert market[1].sentence == "META up 3% after the Muse Spark launch"
    assert market[1].headline == "Meta unveils Muse Spark"
    assert market[1].event == "the Muse Spark launch"


def test_market_table_shows_the_largest_move_per_company_and_direction_capped() -> None:
    tickers = [f"T{n:02d}" for n in range(14)]
    wide = DigestStory(
        7, "Chipmakers slide", "https://news.example/7", "Chips fell.",
        reactions=tuple(DigestReaction(t, "down", t.lower(), t, float(n + 1), None)
                        for n, t in enumerate(tickers)),
    )
    again = DigestStory(  # T13 again, smaller, and up once: its own row
        6, "Chipmakers again", "https://news.example/6", "Chips fell again.",
        reactions=(DigestReaction("T13", "down", "t13", "T13", 2.5, None),
                   DigestReaction("T12", "up", "t12", "T12", 30.0, "a rebound")),
    )
    digest = digest_of(wide, again)
    assert len(digest.market) == 16  # the JSON keeps every move
    assert len(json.loads(render_json(digest))["market"]) == 16
    rows = [(m.ticker, m.direction, m.magnitude_pct) for m in digest.market_highlights]
    assert rows == [("T12", "up", 30.0), ("T13", "down", 14.0), ("T12", "down", 13.0),
                    *((f"T{n:02d}", "down", float(n + 1)) for n in range(11, 4, -1))]
    assert digest.market_not_shown == 6
    text, markdown = render_text(digest), render_markdown(digest)
    html = render_html(digest)
    market_text = text.split("== Market reactions ==")[1]
    assert market_text.count("\n- ") == 10 and "T13 down 2.5%" not in market_text
    assert "and 6 more moves, listed with their stories above." in market_text
    assert markdown.split("## Market reactions")[1].count("\n| T") == 10
    assert "and 6 more moves" in markdown
    assert html.split("Market reactions")[1].count("<tr><td") == 10
    assert "and 6 more moves" in html


def test_a_move_stated_twice_keeps_its_size_and_its_event() -> None:
    stated_twice = DigestStory(
        9, "Meta shares rise", "https://news.example/9", "Meta shares rose.",
        reactions=(DigestReaction("Meta", "up", "meta", "META", None, "after the Muse Spark debut"),
                   DigestReaction("Meta", "up", "meta", "META", 3.4, None),
                   DigestReaction("Meta", "up", "meta", "META", 2.0, "later trading")),
    )
    [move] = digest_of(stated_twice).stories[0].moves
    assert move.sentence == "META up 3.4% after the Muse Spark debut"


def test_counts_versus_previous_period() -> None:
    current = (EntityCount("COMPANY", "Meta", 9, "meta"), EntityCount("MODEL", "GPT-6", 3, "g6"),
               EntityCount("COMPANY", "Google", 4, "google"), EntityCount("ORG", "Acme", 50))
    previous = (EntityCount("COMPANY", "Meta", 2, "meta"), EntityCount("MODEL", "Claude", 6, "c"),
                EntityCount("COMPANY", "Google", 4, "google"),
                EntityCount("MODEL", "GPT-6", 5, "g6"))
    digest = digest_of(story(1), current_counts=current, previous_counts=previous)
    assert [(c.name, c.current, c.previous, c.delta) for c in digest.rising] == [("Meta", 9, 2, 7)]
    assert [(c.name, c.delta) for c in digest.falling] == [("Claude", -6), ("GPT-6", -2)]


def test_counts_default_to_one_per_matched_story() -> None:
    previous = (EntityCount("COMPANY", "Meta", 1, "meta"),)
    digest = digest_of(story(1), story(2), previous_counts=previous)
    assert [(c.name, c.current, c.previous) for c in digest.rising] == [("Meta", 2, 1)]


def test_no_comparison_without_a_previous_period_to_compare_with() -> None:
    digest = digest_of(story(1), story(2))
    assert digest.rising == () and digest.falling == ()
    for document in (render_text(digest), render_html(digest), render_markdown(digest)):
        assert "previous period" not in document


def test_entities_from_refs_counts_mentions() -> None:
    refs = [EntityRef("COMPANY", "Meta", "meta", "text", 0, 4, ticker="META"),
            EntityRef("COMPANY", "Meta", "meta", "text", 10, 14, ticker="META"),
            EntityRef("MODEL", "Muse Spark", "meta/muse-spark", "title", 0, 10)]
    assert entities_from_refs(refs) == (
        DigestEntity("COMPANY", "Meta", "meta", 2, "META"),
        DigestEntity("MODEL", "Muse Spark", "meta/muse-spark", 1))


def test_stored_reactions_reach_the_digest_with_the_event_they_followed() -> None:
    text = "Meta unveiled Muse Spark. Meta's stock rose 3% following the announcement."
    article = StoredArticle(
        id=5, source_name="wire", url="https://news.example/5",
        canonical_url="https://news.example/5", origin="feed", title="Meta unveils Muse Spark",
        text=text, description=None, authors=(), tags=(), notes=(), language="en",
        image_url=None, site_name=None, word_count=11, published_at=START, fetched_at=START)
    move = StockReaction("Meta", Direction.UP, "Meta's stock rose 3%", 26, 46, "meta", "META",
                         3.0, "the announcement", text)
    view = view_of(article, ArticleTags(text_reactions=(move,)))
    digest = digest_of(replace(story(5), reactions=tuple(map(reaction_from_ref, view.reactions))))
    assert [m.sentence for m in digest.market] == ["META up 3% after the announcement"]


def test_period_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DigestInput("s", "q", "UTC", START.replace(tzinfo=None), END)
    with pytest.raises(ValueError, match="end after"):
        DigestInput("s", "q", "UTC", END, START)


def test_period_and_times_in_subscription_timezone() -> None:
    digest = build_digest(DigestInput("s", "q", "Europe/Paris", START, END, (story(1),)))
    assert digest.period_start.isoformat() == "2026-11-25T01:00:00+01:00"
    assert digest.stories[0].published is not None
    assert digest.stories[0].published.utcoffset() == timedelta(hours=1)


# ---- Empty digest and renderers ----------------------------------------------------------------


def test_empty_digest_says_so_in_every_format() -> None:
    digest = digest_of()
    assert digest.is_empty and digest.sections == () and digest.market == ()
    assert "No stories matched" in render_html(digest)
    assert "No stories matched" in render_text(digest)
    assert "No stories matched" in render_markdown(digest)
    assert json.loads(render_json(digest))["empty"] is True
    assert render_compact(digest).endswith("no matching stories")


def test_json_follows_the_schema() -> None:
    document = json.loads(render_json(digest_of(story(1, move=3.0), story(2, outlets=2))))
    assert document["schema"] == SCHEMA == "newsmon.digest/1"
    assert [s["story_id"] for s in document["stories"]] == [1, 2]
    assert document["sections"] == [{"kind": "company", "key": "company:meta", "title": "Meta",
                                     "story_ids": [1, 2]}]
    assert document["market"][0]["sentence"] == "META up 3% after the launch"
    assert document["period"] == {"start": START.isoformat(), "end": END.isoformat()}


def test_compact_lists_top_stories_and_how_many_more() -> None:
    lines = render_compact(digest_of(*(story(i, outlets=i) for i in range(1, 6)))).splitlines()
    assert lines[0].endswith("5 stories")
    assert lines[1].startswith("1. Story 5 (5 outlets)")
    assert lines[1:4] == [f"{n}. Story {6 - n} ({6 - n} outlets)" for n in range(1, 4)]
    assert lines[4] == "+2 more"


def test_renderers_show_story_fields() -> None:
    digest = digest_of(story(1, move=3.0))
    for document in (render_html(digest), render_text(digest)):
        assert "Story 1" in document
        assert "First sentence of 1. Second sentence." in document
        assert "META up 3% after the launch" in document
        assert "outlet-0" in document
    markdown = render_markdown(digest)
    assert "First sentence of 1. Second sentence." in markdown  # punctuation kept plain
    assert "[outlet-0](<https://o0.example/1>)" in markdown
    assert "**1. [Story 1](<https://news.example/1>)**" in markdown
    assert "2026-11-25 00:00 – 2026-11-26 00:00 UTC" in markdown
    assert '<a href="https://news.example/1"' in render_html(digest)
    # where sending puts each channel's own unsubscribe link (alerts.digest_delivery)
    assert render_html(digest).count(UNSUBSCRIBE_MARK) == 1
    assert "[Story 1](<https://news.example/1>)" in render_markdown(digest)


def test_a_storys_moves_are_one_line_and_the_after_column_only_when_an_event_is_known() -> None:
    moves = (DigestReaction("Nvidia", "down", "nvidia", "NVDA", 4.0, None),
             DigestReaction("Broadcom", "down", "broadcom", "AVGO", None, None),
             DigestReaction("TSMC", "down", "tsmc", "2330", 1.7, None))
    digest = digest_of(replace(story(3), reactions=moves))
    text = render_text(digest)
    assert "   Stocks: NVDA down 4%; AVGO down; TSMC down 1.7%\n" in text
    assert text.count("Stocks:") == 1
    html = render_html(digest)
    assert html.count("<strong>Stocks:</strong>") == 1
    assert "▼&nbsp;NVDA down 4%; ▼&nbsp;AVGO down; ▼&nbsp;TSMC down 1.7%</p>" in html
    markdown = render_markdown(digest)
    assert markdown.count("*Stocks:*") == 1
    for document in (html, markdown):  # no event known: no column of empty cells
        assert "After" not in document
    assert "| Company | Move | Story |" in markdown
    with_event = render_html(digest_of(story(4, move=2.0)))
    assert ">After</th>" in with_event and ">the launch</td>" in with_event


# ---- Hostile article fields --------------------------------------------------------------------

HOSTILE = DigestStory(
    story_id=66,
    headline='<script>alert(1)</script> Big news\r\nBcc: victim@example.com',
    url="javascript:alert(1)",
    text='Click <img src=x onerror="alert(1)"> [here](javascript:alert(2)) *now* `x` | # _y_.\n'
         "Second sentence.",
    outlets=(DigestOutlet('Evil"><script>x</script>', 1.0, "javascript:alert(3)"),
             DigestOutlet("Fine\nOutlet", 1.0, " JavaScript:alert(4)")),
    entities=(DigestEntity("COMPANY", "<b onmouseover=alert(5)>Corp</b>", "evil", 3,
                           "EV<i>L"),),
    reactions=(DigestReaction("<svg onload=alert(6)>", "up", "evil", "EVL", 5.0,
                              "after <script>alert(7)</script>\r\nX"),),
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_html_escapes_every_field_from_an_article() -> None:
    html = render_html(digest_of(HOSTILE))
    assert "<script" not in html.lower()
    assert "javascript:" not in html.lower()
    parser = _Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "svg", "b", "i", "iframe", "object"}
    for _tag, attrs in parser.tags:
        assert not [name for name, _ in attrs if name.startswith("on")]
        for name, value in attrs:
            if name in {"href", "src"}:
                assert value is not None and re.match(r"https?://", value)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Big news Bcc: victim@example.com" in html
    assert "[here](javascript&#58;alert(2))" in html


def test_text_and_json_keep_article_fields_on_one_line() -> None:
    digest = digest_of(HOSTILE)
    text = render_text(digest)
    assert "\r" not in text
    assert not [line for line in text.splitlines() if line.lstrip().startswith(("Bcc:", "X"))]
    assert "alert(1)" in text and "alert(3)" not in text and "alert(4)" not in text
    document = json.loads(render_json(digest))
    item = document["stories"][0]
    assert item["url"] is None
    assert [o["url"] for o in item["outlets"]] == [None, None]
    assert item["headline"] == "<script>alert(1)</script> Big news Bcc: victim@example.com"
    assert document["market"][0]["event"] == "<script>alert(7)</script> X"
    compact = render_compact(digest)
    assert "\r" not in compact and len(compact.splitlines()) == 2


def test_markdown_escapes_article_text_and_links_only_http() -> None:
    markdown = render_markdown(digest_of(HOSTILE))
    assert "<script" not in markdown.lower() and "<img" not in markdown.lower()
    assert "<b " not in markdown and "<svg" not in markdown
    assert "\r" not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith("Bcc:")]
    targets = re.findall(r"(?<!\\)\]\((\S*)", markdown)
    assert targets == []
    assert r"\[here\](javascript:alert(2)) \*now\* \`x\` \| # \_y\_." in markdown


@pytest.mark.parametrize(("value", "escaped"), [
    ("# Not a heading", r"\# Not a heading"), ("- not a bullet", r"\- not a bullet"),
    ("+ nor this", r"\+ nor this"), ("1. nor a list", r"1\. nor a list"),
    ("2026-11-26, 6.5 GW, ai-daily (beta)!", "2026-11-26, 6.5 GW, ai-daily (beta)!"),
    ("#hashtag -5% +3", "#hashtag -5% +3"),
])
def test_markdown_escapes_line_start_markers_but_not_ordinary_punctuation(
    value: str, escaped: str,
) -> None:
    assert escape_markdown(value) == escaped


def test_the_period_comparison_says_it_counts_stories() -> None:
    """It counts stories naming each company or model, not mentions (it read "Mentions")."""
    previous = (EntityCount("COMPANY", "Meta", 1, "meta"),)
    digest = digest_of(story(1), story(2), previous_counts=previous)
    for render in (render_text, render_markdown, render_html):
        rendered = render(digest)
        assert "Stories per company and model, versus the previous period" in rendered, render
        assert "Mentions versus" not in rendered, render


def test_the_plain_text_never_leaves_two_blank_lines_in_a_row() -> None:
    previous = (EntityCount("COMPANY", "Meta", 1, "meta"),)
    for digest in (digest_of(story(1, move=3.0), story(2), previous_counts=previous),
                   digest_of(story(1), story(2, entities=()), previous_counts=previous),
                   replace(digest_of(story(1), story(2), story(3)), listed=2)):
        assert "\n\n\n" not in render_text(digest), render_text(digest)
