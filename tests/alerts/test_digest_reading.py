"""The digest as a reader meets it: summaries that are the article's own whole sentences (no
dateline), stories listed under a followed company only when they are about it, outlets by their
names, and a plain-text part that wraps for a terminal or mail client (pure: no database)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.digest import (
    Digest,
    DigestEntity,
    DigestInput,
    DigestOutlet,
    DigestReaction,
    DigestStory,
    EntityCount,
    build_digest,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from alerts.digest.build import MAX_LISTED_STORIES, score_story
from alerts.summary import story_summary

START = datetime(2026, 11, 26, tzinfo=UTC)
END = START + timedelta(days=1)
OPENAI = DigestEntity("COMPANY", "OpenAI", "openai", 2)
MISTRAL = DigestEntity("COMPANY", "Mistral AI", "mistral-ai", 8)


def story(story_id: int, *, text: str = "It happened. It mattered.",
          entities: tuple[DigestEntity, ...] = (OPENAI,),
          matched: frozenset[str] = frozenset({"openai"}),
          outlets: tuple[DigestOutlet, ...] = (DigestOutlet("wire"),),
          headline: str = "") -> DigestStory:
    return DigestStory(
        story_id=story_id, headline=headline or f"Story {story_id}",
        url=f"https://news.example/{story_id}", text=text, outlets=outlets,
        published=START + timedelta(hours=story_id), entities=entities, matched=matched)


def digest_of(*stories: DigestStory) -> Digest:
    return build_digest(DigestInput("ai-daily", "company:OpenAI", "UTC", START, END, stories))


@pytest.mark.parametrize("dateline", [
    "HONG KONG (Circuit Wire) - ",
    "MENLO PARK, California (Circuit Wire) - ",
    "SAN FRANCISCO, Nov 26 (Reuters) — ",
    "PARIS (AP) -- ",
    "WASHINGTON – ",
    "LONDON—",
])
def test_a_summary_leaves_out_the_dateline(dateline: str) -> None:
    text = f"{dateline}DeepSeek released V4, trained on Huawei chips. Shares fell. More follows."
    assert story_summary(text) == "DeepSeek released V4, trained on Huawei chips. Shares fell."


def test_a_summary_keeps_an_opening_that_only_looks_like_a_dateline() -> None:
    text = "AI labs - and their investors - had a busy week. Prices fell. More."
    assert story_summary(text) == "AI labs - and their investors - had a busy week. Prices fell."
    text = "OpenAI (the ChatGPT maker) said so. It did."
    assert story_summary(text) == text
    text = "AI-generated images flooded the feeds. Nobody checked."
    assert story_summary(text) == text


def test_a_summary_is_whole_sentences_not_a_cut_one() -> None:
    first = "Oracle shares jumped " + "after a very long clause " * 10 + "in the end."
    second = "The expansion brings the total " + "to a long list of places " * 10 + "today."
    summary = story_summary(f"{first} {second} A third.")
    assert summary == first  # the second sentence did not fit: left out, not cut mid-way
    assert not summary.endswith("…")
    huge = "One sentence " + "that goes on " * 60 + "forever."
    assert story_summary(huge).endswith("…") and len(story_summary(huge)) <= 420


def test_a_story_mentioning_a_followed_company_in_passing_is_an_other_story() -> None:
    """The Mistral funding story names OpenAI twice among eight Mistral mentions: it was listed
    under "OpenAI"; it is an other story now, while one about OpenAI stays there."""
    passing = story(1, entities=(MISTRAL, OPENAI))
    about = story(2, entities=(DigestEntity("COMPANY", "DeepSeek", "deepseek", 7),
                               DigestEntity("COMPANY", "OpenAI", "openai", 3)))
    digest = digest_of(passing, about)
    sections = {s.title: [item.story_id for item in s.stories] for s in digest.sections}
    assert sections == {"OpenAI": [2], "Other stories": [1]}
    assert "grouped by company and model" in render_text(digest)


def test_outlets_are_shown_by_their_names_once_each() -> None:
    outlets = (DigestOutlet("circuit-wire", 1.0, "https://wire.example/a", "Circuit Wire"),
               DigestOutlet("circuit-wire", 1.0, "https://wire.example/b"),
               DigestOutlet("lab-notes", 0.8, "https://labs.example/c", "Lab <Notes>"),
               DigestOutlet("harbor-ledger", 1.2, "https://ledger.example/d"))
    digest = digest_of(story(1, outlets=outlets))
    [item] = digest.stories
    assert [outlet.shown for outlet in item.outlets] == [
        "harbor-ledger", "Circuit Wire", "Lab <Notes>"]
    assert "harbor-ledger, Circuit Wire, Lab <Notes> ·" in render_text(digest)
    assert "Circuit Wire</a>" in render_html(digest) and "Lab &lt;Notes&gt;</a>" in render_html(
        digest)
    assert "[Circuit Wire](<https://wire.example/a>)" in render_markdown(digest)
    assert '"name": "Circuit Wire"' in render_json(digest)


def test_the_plain_text_wraps_for_a_terminal() -> None:
    long_text = ("Meta Platforms unveiled Muse Spark, a large language model developed by its "
                 "Superintelligence Labs unit, in the company's most significant change of "
                 "course in artificial intelligence. It will not be released with open weights.")
    many = tuple(DigestEntity("COMPANY", f"Company number {n}", f"c{n}", 1) for n in range(10))
    headline = "Meta unveils Muse Spark, the first model from its Superintelligence Labs, at last"
    digest = digest_of(*(story(n, text=long_text, entities=(OPENAI, *many), headline=headline)
                         for n in range(1, 11)))
    text = render_text(digest)
    long_lines = [line for line in text.splitlines()
                  if len(line) > 78 and not line.strip().startswith("https://")]
    assert long_lines == []
    assert " ".join(text.split()).count(" ".join(long_text.split())) == 10
    lines = text.splitlines()
    tenth = next(n for n, line in enumerate(lines) if line.startswith("10. Meta unveils"))
    assert lines[tenth + 1].startswith("    ") and lines[tenth + 1][4] != " "  # under the words


def test_a_story_about_a_followed_companys_model_stays_under_the_company() -> None:
    anthropic = DigestEntity("COMPANY", "Anthropic", "anthropic", 2)
    opus = DigestEntity("MODEL", "Claude Opus 5", "anthropic/claude-opus-5", 9)
    digest = build_digest(DigestInput("ai-daily", "company:Anthropic", "UTC", START, END, (
        story(1, entities=(opus, anthropic), matched=frozenset({"anthropic"})),)))
    assert [s.title for s in digest.sections] == ["Anthropic"]


def test_a_followed_company_named_in_passing_with_its_model_is_still_in_passing() -> None:
    """Magistral Small 2 is compared with a Qwen model: Alibaba and Qwen, once each among six
    Mistral mentions, filed the story under "Alibaba"."""
    mistral = DigestEntity("COMPANY", "Mistral AI", "mistral-ai", 6)
    alibaba = DigestEntity("COMPANY", "Alibaba", "alibaba", 1)
    qwen = DigestEntity("MODEL", "Qwen", "alibaba/qwen", 1)
    digest = build_digest(DigestInput("ai-daily", "company:Alibaba", "UTC", START, END, (
        story(1, entities=(mistral, alibaba, qwen), matched=frozenset({"alibaba"})),)))
    assert [s.title for s in digest.sections] == ["Other stories"]


def test_a_story_moving_a_followed_companys_stock_is_listed_under_it() -> None:
    """DeepSeek's release names Nvidia three times among ten DeepSeek mentions, and reports NVDA
    down 4.1%: for a reader following Nvidia it is an Nvidia story."""
    deepseek = DigestEntity("COMPANY", "DeepSeek", "deepseek", 10)
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 3, "NVDA")
    openai = DigestEntity("COMPANY", "OpenAI", "openai", 1)
    moved = replace(story(1, entities=(deepseek, openai, nvidia),
                          matched=frozenset({"nvidia", "openai"})),
                    reactions=(DigestReaction("Nvidia", "down", "nvidia", "NVDA", 4.1),))
    unmoved = replace(moved, story_id=2, reactions=())
    digest = build_digest(DigestInput("ai-daily", "company:Nvidia OR company:OpenAI", "UTC",
                                      START, END, (moved, unmoved)))
    sections = {s.title: [item.story_id for item in s.stories] for s in digest.sections}
    assert sections == {"Nvidia": [1], "Other stories": [2]}


def test_other_stories_are_headed_once() -> None:
    """"== Other stories ==" was followed by "-- Other stories --" (its only section's title)."""
    digest = digest_of(story(1), story(2, entities=(), matched=frozenset()))
    assert render_text(digest).count("Other stories") == 1
    assert render_markdown(digest).count("Other stories") == 1
    assert render_html(digest).count("Other stories") == 1


def test_a_story_block_is_indented_under_its_headline() -> None:
    digest = digest_of(*(story(n) for n in range(1, 11)))
    lines = render_text(digest).splitlines()
    tenth = lines.index("10. Story 1")  # the oldest, read last
    assert lines[tenth + 1] == "    wire · 2026-11-26 01:00 UTC"
    assert lines[tenth + 2] == "    https://news.example/1"
    first = lines.index("1. Story 10")
    assert lines[first + 1] == "   wire · 2026-11-26 10:00 UTC"


def test_an_outlet_is_named_alike_in_every_story_of_the_period() -> None:
    """One Circuit Wire page gave no site name: its story was listed as by "circuit-wire" while
    the others were by "Circuit Wire"."""
    named = story(1, outlets=(DigestOutlet("circuit-wire", name="Circuit Wire"),))
    unnamed = story(2, outlets=(DigestOutlet("circuit-wire"), DigestOutlet("lab-notes")))
    digest = digest_of(named, unnamed)
    assert {item.story_id: [o.shown for o in item.outlets] for item in digest.stories} == {
        1: ["Circuit Wire"], 2: ["Circuit Wire", "lab-notes"]}


@pytest.mark.parametrize("opening", [
    "By Maren Costa\n",
    "By Maren Costa, Technology Correspondent | November 26, 2026\n",
    "Technology\nUpdated 26 November 2026, 17:40 GMT\n",
    "Photo: Meta's Menlo Park campus. (Getty Images)\n",
    "Listen to this article · 4 min\n",
])
def test_a_summary_leaves_out_bylines_captions_and_labels(opening: str) -> None:
    text = (f"{opening}Meta Platforms unveiled Muse Spark, its first closed model.\n"
            "It will not be released with open weights. Shares rose.")
    assert story_summary(text) == ("Meta Platforms unveiled Muse Spark, its first closed model. "
                                   "It will not be released with open weights.")


def test_a_summary_keeps_a_first_line_that_is_a_sentence() -> None:
    text = "Meta unveiled Muse Spark.\nShares rose. More."
    assert story_summary(text) == "Meta unveiled Muse Spark. Shares rose."
    assert story_summary("Just a label") == "Just a label"


def test_a_company_is_one_row_of_the_market_table_with_or_without_its_ticker() -> None:
    """A move the article gave with a ticker and one it gave without made two Nvidia rows."""
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 3, "NVDA")
    one = replace(story(1, entities=(nvidia,), matched=frozenset({"nvidia"})),
                  reactions=(DigestReaction("Nvidia", "down", "nvidia", "NVDA", 4.1),))
    two = replace(story(2, entities=(nvidia,), matched=frozenset({"nvidia"})),
                  reactions=(DigestReaction("Nvidia", "down", "nvidia", None, 3.2),))
    digest = digest_of(one, two)
    assert [move.sentence for move in digest.market_highlights] == ["NVDA down 4.1%"]
    assert digest.market_not_shown == 1


def test_a_move_is_stated_by_its_direction_and_size() -> None:
    """A size given with its sign read "NVDA down -4.1%"."""
    moved = replace(story(1), reactions=(DigestReaction("Nvidia", "down", "nvidia", "NVDA",
                                                         -4.1),))
    [move] = digest_of(moved).stories[0].moves
    assert move.sentence == "NVDA down 4.1%" and move.magnitude_pct == 4.1


def test_the_plain_text_counts_start_at_the_margin() -> None:
    previous = (EntityCount("COMPANY", "OpenAI", 3, "openai"),
                EntityCount("COMPANY", "Company with a name long enough to need a second line "
                            "in a terminal of 78 columns", 2, "long"))
    digest = build_digest(DigestInput("ai-daily", "company:OpenAI", "UTC", START, END,
                                      (story(1),), previous))
    lines = render_text(digest).splitlines()
    assert "- OpenAI: 1 (was 3, -2)" in lines
    at = next(n for n, line in enumerate(lines) if line.startswith("- Company with"))
    assert lines[at + 1].startswith("  ") and lines[at + 1].endswith("(was 2, -2)")


def test_a_move_ranks_a_story_only_for_a_company_it_is_about() -> None:
    """A market wrap about Nvidia that also lists "SMIC up 6.5%" (SMIC named once) outranked a
    story carried by two outlets; DeepSeek's release ranked first on "Cambricon up 20%"."""
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 4, "NVDA")
    smic = DigestEntity("COMPANY", "SMIC", "smic", 1)
    wrap = replace(story(1, entities=(nvidia, smic), matched=frozenset({"nvidia"})),
                   reactions=(DigestReaction("Nvidia", "down", "nvidia", "NVDA", 1.0),
                              DigestReaction("SMIC", "up", "smic", None, 6.5)))
    covered = replace(story(2, entities=(nvidia,), matched=frozenset({"nvidia"})),
                      outlets=(DigestOutlet("wire"), DigestOutlet("signal", 0.8)))
    digest = digest_of(wrap, covered)
    assert [item.story_id for item in digest.stories] == [2, 1]
    assert [move.sentence for move in digest.stories[1].moves] == [  # still listed
        "NVDA down 1%", "SMIC up 6.5%"]
    assert score_story(wrap) == score_story(replace(wrap, reactions=wrap.reactions[:1]))
    unnamed = replace(wrap, entities=())  # nothing known about what it is about: every move
    assert score_story(unnamed) > score_story(replace(unnamed, reactions=wrap.reactions[:1]))


def test_a_flat_stock_does_not_rank_a_story() -> None:
    """"AMZN flat" counted as a 1% move, like a move reported without its size."""
    amazon = DigestEntity("COMPANY", "Amazon", "amazon", 4, "AMZN")
    quiet = story(1, entities=(amazon,), matched=frozenset({"amazon"}))
    flat = replace(quiet, reactions=(DigestReaction("Amazon", "flat", "amazon", "AMZN"),))
    unsized = replace(quiet, reactions=(DigestReaction("Amazon", "up", "amazon", "AMZN"),))
    assert score_story(flat) == score_story(quiet) < score_story(unsized)


def test_a_busy_day_lists_its_best_stories_and_counts_the_rest() -> None:
    """150 stories made a 120 KB HTML digest: Gmail clips a message past 102 KB, hiding the
    market table and the unsubscribe link at its end. The best MAX_LISTED_STORIES are listed;
    the rest are counted (and kept in the JSON)."""
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 4, "NVDA")
    text = ("Meta Platforms unveiled Muse Spark, a large language model developed by its "
            "Superintelligence Labs unit, in the company's most significant change of course "
            "in artificial intelligence. It will not be released with open weights.")
    many = tuple(DigestEntity("COMPANY", f"Company {n}", f"c{n}", 1) for n in range(10))
    stories = [replace(story(n, text=text, entities=(OPENAI, nvidia, *many),
                             matched=frozenset({"openai", "nvidia"})),
                       reactions=(DigestReaction("Nvidia", "up", "nvidia", "NVDA", n / 10),))
               for n in range(1, 151)]
    digest = digest_of(*stories)
    shown = MAX_LISTED_STORIES
    assert len(digest.stories) == 150 and digest.not_listed == 150 - shown
    listed = [item for section in digest.reading_order for item in section.stories]
    assert [item.number for item in listed] == list(range(1, shown + 1))
    assert {item.rank for item in listed} == set(range(1, shown + 1))
    html, text_part, markdown = render_html(digest), render_text(digest), render_markdown(digest)
    assert len(html.encode()) < 100_000
    for document in (html, text_part, markdown):
        assert f"{shown}. " in document and f"{shown + 1}. " not in document
        assert f"and {150 - shown} more stories" in document
        assert "150 stories matched" in document
    assert "and 0 more moves" not in text_part
    assert len(json.loads(render_json(digest))["stories"]) == 150
    listed_ids = {item.story_id for item in listed}  # the table speaks of listed stories only
    assert {move.story_id for move in digest.market_highlights} <= listed_ids


def test_the_outlet_whose_words_are_shown_is_listed_first() -> None:
    """The Muse Spark story is headed, linked and summarised by Circuit Wire's report, but its
    outlets read "Harbor Ledger, Northgate Signal, Circuit Wire" (heaviest first)."""
    outlets = (DigestOutlet("harbor-ledger", 1.2, "https://ledger.example/m", "Harbor Ledger"),
               DigestOutlet("northgate-signal", 1.0, "https://signal.example/m"),
               DigestOutlet("circuit-wire", 1.0, "https://news.example/1", "Circuit Wire"))
    [item] = digest_of(story(1, outlets=outlets)).stories
    assert [o.shown for o in item.outlets] == ["Circuit Wire", "Harbor Ledger", "northgate-signal"]


def test_a_move_of_a_stock_named_once_does_not_make_a_story_about_it() -> None:
    """The Muse Spark launch names Nvidia once among eleven Meta mentions and reports "NVDA up
    0.8%": it was the first story under "Nvidia" in a digest of company:Nvidia."""
    meta = DigestEntity("COMPANY", "Meta", "meta", 11, "META")
    nvidia = DigestEntity("COMPANY", "Nvidia", "nvidia", 1, "NVDA")
    launch = replace(story(1, entities=(meta, nvidia), matched=frozenset({"nvidia"})),
                     reactions=(DigestReaction("Nvidia", "up", "nvidia", "NVDA", 0.8),))
    digest = build_digest(DigestInput("nvidia-moves", "company:Nvidia", "UTC", START, END,
                                      (launch,)))
    assert [s.title for s in digest.sections] == ["Other stories"]


@pytest.mark.parametrize("first", [
    "Mr. Altman said OpenAI would grow.",
    "The U.S. Commerce Department restricted exports.",
    "Nvidia Corp. Chief Executive Jensen Huang said demand was strong.",
    "Dr. Jane Q. Smith joined Anthropic Inc. on Nov. 3 from Google.",
])
def test_a_summary_does_not_end_a_sentence_at_an_abbreviation(first: str) -> None:
    """"Mr. Altman said OpenAI would grow. It will." was summarised as its first sentence
    only (two "sentences": "Mr." and the rest), and a first sentence alone as "Mr."."""
    assert story_summary(f"{first} Shares rose. Third.") == f"{first} Shares rose."
    long_second = "Shares rose " + "and rose " * 60 + "again."
    assert story_summary(f"{first} {long_second}") == first
