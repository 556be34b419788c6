"""What one alert says, whatever the channel: the stock moves, the excerpts around the matches,
and the times (pure: no database, no server)."""

from __future__ import annotations

import re

from alerts.channels.chat import discord_payload, slack_payload
from alerts.channels.webhook import alert_payload
from alerts.messages import (
    SNIPPET_MAX_CHARS,
    build_alert_message,
    excerpts_beside,
    render_email,
    spans_in,
    stock_moves_of,
    template_environment,
    text_snippets,
)
from alerts.types import MatchReason, ReactionRef
from tests.alerts.delivery_support import sample_message, seed_article, seed_reasons


def test_a_move_stated_twice_is_shown_once_with_its_size() -> None:
    reactions = (ReactionRef("Meta", "meta", "META", "up", None, "title", 0, 16),
                 ReactionRef("Meta", "meta", "META", "up", 3.4, "text", 40, 60),
                 ReactionRef("Nvidia", "nvidia", "NVDA", "up", 0.8, "text", 80, 95))
    assert [move.label for move in stock_moves_of(reactions)] == ["META ▲ 3.4%", "NVDA ▲ 0.8%"]


def test_a_numeric_exchange_code_is_shown_as_the_company() -> None:
    reactions = (ReactionRef("TSMC", "tsmc", "2330", "down", 1.7, "text", 0, 10),
                 ReactionRef("Fanuc", None, None, "down", 4.0, "text", 20, 30))
    assert [move.label for move in stock_moves_of(reactions)] == ["TSMC ▼ 1.7%", "Fanuc ▼ 4%"]


def test_an_article_naming_its_subject_in_every_sentence_is_not_quoted_whole() -> None:
    text = " ".join(f"Meta said thing number {n} about its new model today." for n in range(60))
    spans = [(m.start(), m.end()) for m in re.finditer("Meta", text)]
    reason = MatchReason("entity", "company:Meta", tuple(("text", s, e) for s, e in spans))
    snippets = text_snippets(text, spans_in([reason], "text", len(text)))
    assert len(snippets) == 3
    assert all(len(snippet.text) <= SNIPPET_MAX_CHARS for snippet in snippets)
    for snippet in snippets:  # every "Meta" shown is marked, none is shown twice
        assert snippet.text.count("Meta") == len(snippet.marks)
        assert all(snippet.text[a:b] == "Meta" for a, b in snippet.marks)
    shown = "".join(snippet.text for snippet in snippets)
    assert shown.count("number 3 ") == 1 and snippets[1].cut_before


def test_matches_far_apart_get_an_excerpt_each() -> None:
    text = "Meta opened. " + "Filler words here. " * 40 + "Nvidia closed."
    spans = [(0, 4), (text.index("Nvidia"), text.index("Nvidia") + 6)]
    first, second = text_snippets(text, spans)
    assert first.text.startswith("Meta opened.") and not first.cut_before and first.cut_after
    assert second.text.endswith("Nvidia closed.") and second.cut_before


def test_people_read_times_in_the_subscribers_time_zone_machines_in_utc() -> None:
    message = sample_message(timezone="Europe/Paris")  # published 09:30 UTC
    email = render_email(message, template_environment())
    assert "example-news · 2026-11-20 10:30 CET · also covered" in email.text
    assert "example-news &middot; 2026-11-20 10:30 CET &middot;" in email.html
    slack_meta = slack_payload(message)["blocks"][0]["text"]["text"]
    assert "example-news · 2026-11-20 10:30 CET · also" in slack_meta  # no seconds either
    [source] = [f for f in discord_payload(message)["embeds"][0]["fields"] if f["name"] == "Source"]
    assert "10:30 CET" in source["value"]
    assert alert_payload(message)["article"]["published"] == "2026-11-20T09:30:00Z"
    default = render_email(sample_message(), template_environment())
    assert "2026-11-20 09:30 UTC" in default.text


def test_no_excerpt_repeats_the_summary() -> None:
    message = sample_message()  # "Muse Spark" in the first sentence, and again in the last
    assert "unveiled Muse Spark" in message.summary
    [excerpt] = message.highlights  # the first match is read in the summary; the later one:
    assert excerpt.text.startswith("Investors responded") and excerpt.cut_before
    assert [excerpt.text[a:b] for a, b in excerpt.marks] == ["Muse Spark"]
    article = seed_article()
    quoting = build_alert_message(  # a summary from elsewhere that quotes every excerpt
        delivery_id="d", subscription="s", query="q", article=article,
        reasons=seed_reasons(article), created=message.created,
        summary=f"In short: {article.text}")
    assert quoting.highlights == ()


def test_an_alert_summarises_like_the_digest_whole_sentences_without_the_dateline() -> None:
    """Alerts used a plain splitter: a wire story's summary opened with 'HONG KONG (Circuit
    Wire) - ' and 'Mr. Altman' ended a sentence at 'Mr.'; both messages now share one summary."""
    text = ("By Maren Costa\nHONG KONG (Circuit Wire) - Mr. Altman said OpenAI would build "
            "in the U.S. Commerce Department's view. Shares of partners rose. A third sentence.")
    message = sample_message(text=text)
    assert message.summary == ("Mr. Altman said OpenAI would build in the U.S. Commerce "
                               "Department's view. Shares of partners rose.")


def test_excerpts_start_after_a_summary_that_follows_a_byline_and_a_dateline() -> None:
    lead = "Meta unveiled Muse Spark on Tuesday. The model is closed."
    text = f"By Maren Costa\nMENLO PARK (Circuit Wire) - {lead} " + " ".join(
        f"Filler sentence {n} says nothing." for n in range(30)) + " Meta shares rose."
    spans = [(m.start(), m.end()) for m in re.finditer("Meta", text)]
    message = sample_message(text=text)
    assert message.summary == lead
    excerpts = excerpts_beside(message.summary, text, spans)
    assert [e.text.count("unveiled") for e in excerpts] == [0]  # only the later "Meta shares"
    assert "Meta shares rose." in excerpts[0].text
