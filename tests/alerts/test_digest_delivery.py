"""Sending a stored digest by email to a real aiosmtpd server: multipart, stable ids, escaping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from alerts.digest import (
    DigestInput,
    DigestOutlet,
    DigestStory,
    build_digest,
    render_json,
    render_text,
)
from alerts.digest_delivery import (
    CHAT_LIMIT,
    UNSUBSCRIBE_MARK,
    DigestChannels,
    chat_digest_payload,
    digest_key,
    send_digest,
    with_unsubscribe_link,
)
from alerts.netguard import AllowList
from alerts.unsubscribe import verify_token
from config.settings import EmailSettings
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import ChannelRecord, SubscriptionRecord
from tests.alerts.delivery_support import Receiver, free_port

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
DIGEST = StoredDigest(
    id=1, subscription_id=4, local_date="2026-11-20", period_start=NOW, period_end=NOW,
    created_at=NOW, sent_at=None, html="<p>Meta &amp; Muse &lt;script&gt;</p>",
    text="1. Meta unveils Muse Spark\n", markdown="", json='{"schema": "newsmon.digest/1"}',
)
SUBSCRIPTION = SubscriptionRecord(
    id=4, name="muse", query='"Muse Spark"', frequency="daily", digest_time="08:00",
    timezone="Europe/Paris", paused=False, token_secret="x" * 64, created_at=NOW,
    channels=(ChannelRecord(1, "email", "reader@example.org"),
              ChannelRecord(2, "email", "gone@example.org", disabled_at=NOW)),
)


class Recorder:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


SmtpSink = tuple[Recorder, EmailSettings]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real aiosmtpd server on 127.0.0.1 recording what it receives, and settings to reach it."""
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, EmailSettings(host="127.0.0.1", port=port, security="none",
                                      from_address="digest@newsmon.example.org",
                                      helo_name="newsmon.test")
    finally:
        controller.stop()


def test_a_digest_is_emailed_as_multipart_to_active_channels_only(sink: SmtpSink) -> None:
    recorder, email = sink

    async def go() -> list[Any]:
        async with httpx.AsyncClient() as client:
            channels = DigestChannels(client, AllowList(), email, {})
            return await send_digest(DIGEST, SUBSCRIPTION, channels)

    results = asyncio.run(go())
    assert [(kind, target, r.status.value) for kind, target, r in results] == [
        ("email", "reader@example.org", "sent")]
    [(recipients, content)] = recorder.received
    assert recipients == ["reader@example.org"]
    parsed = message_from_bytes(content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "newsmon digest: muse, 2026-11-20"
    assert digest_key(DIGEST) in parsed["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    html = parsed.get_body(("html",))
    assert html is not None and "&lt;script&gt;" in html.get_content()


def test_without_email_settings_the_digest_waits() -> None:
    async def go() -> list[Any]:
        async with httpx.AsyncClient() as client:
            return await send_digest(DIGEST, SUBSCRIPTION, DigestChannels(client, AllowList(),
                                                                           None, {}))

    [(_, _, result)] = asyncio.run(go())
    assert result.status.value == "retry" and "not configured" in result.detail


def test_a_digest_email_carries_a_one_click_unsubscribe_for_its_channel(sink: SmtpSink) -> None:
    recorder, email = sink

    async def go(public_url: str) -> None:
        async with httpx.AsyncClient() as client:
            channels = DigestChannels(client, AllowList(), email, {}, public_url=public_url)
            await send_digest(DIGEST, SUBSCRIPTION, channels)

    asyncio.run(go("https://news.example.org/newsmon"))
    asyncio.run(go("https://news.example.org/newsmon"))  # a second attempt
    asyncio.run(go("http://127.0.0.1:8080"))  # not https: no one-click header
    first, again, plain = (message_from_bytes(content, policy=policy.default)
                           for _, content in recorder.received)
    header = first["List-Unsubscribe"]
    assert header.startswith("<https://news.example.org/newsmon/unsubscribe/")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header.strip("<>").rsplit("/", 1)[1]
    claim = verify_token(token, {SUBSCRIPTION.id: SUBSCRIPTION.token_secret}.get)
    assert claim is not None and claim.channel_id == 1  # the channel the digest went to
    assert again["List-Unsubscribe"] == header  # the same bytes on every attempt
    assert plain["List-Unsubscribe"] is None and plain["List-Unsubscribe-Post"] is None
    link = header.strip("<>")
    for message, url in ((first, link), (plain, "http://127.0.0.1:8080/unsubscribe/")):
        html = message.get_body(("html",))
        text = message.get_body(("plain",))
        assert html is not None and text is not None
        assert f'<a href="{url}' in html.get_content()  # visible, for readers without the button
        assert html.get_content().count(">Unsubscribe</a>") == 1
        assert "<!--newsmon:unsubscribe-->" not in html.get_content()
        assert f"Unsubscribe: {url}" in text.get_content()
    assert DIGEST.html.count("newsmon/unsubscribe") == 0  # the stored digest holds no link


def test_an_older_stored_digest_without_the_mark_gets_the_link_before_the_body_ends() -> None:
    text, html = with_unsubscribe_link("Digest.\n", "<html><body><p>x</p></body></html>",
                                       'https://n.example/unsubscribe/a"b')
    assert html == ('<html><body><p>x</p><p style="margin:8px 0 0;font-size:12px;color:#59636e">'
                    'No longer want this digest here? <a href="https://n.example/unsubscribe/'
                    'a&#34;b" style="color:#59636e">Unsubscribe</a>.</p>\n</body></html>')
    assert text == 'Digest.\nUnsubscribe: https://n.example/unsubscribe/a"b\n'
    assert with_unsubscribe_link("t", "h", None) == ("t", "h")
    marked = f"<p>x</p>\n{UNSUBSCRIBE_MARK}\n</body>"
    assert with_unsubscribe_link("t", marked, None) == ("t", "<p>x</p>\n</body>")


def chat_digest(stories: int) -> StoredDigest:
    """A stored digest of ``stories`` long-headlined stories, one with chat markup in it."""
    items = tuple(
        DigestStory(n, f"Story {n}: <!everyone> *{'a very long headline ' * 5}*",
                    f"https://news.example/{n}_(x)", "Text.",
                    outlets=(DigestOutlet("wire", 1.0, f"https://news.example/{n}"),))
        for n in range(1, stories + 1))
    digest = build_digest(DigestInput("ai watch", "company:Meta", "UTC", NOW, NOW.replace(
        day=22), items))
    return replace(DIGEST, json=render_json(digest), text=render_text(digest))


def test_chat_digests_list_whole_linked_lines_and_how_many_more(receiver: Receiver) -> None:
    """Slack and Discord get the top stories, each line whole with its headline linked, then
    how many more (the text digest cut at the chat's limit ended mid-sentence)."""
    stored = chat_digest(14)
    subscription = replace(SUBSCRIPTION, channels=(
        ChannelRecord(7, "slack", receiver.url("/slack")),
        ChannelRecord(8, "discord", receiver.url("/discord"))))

    async def go() -> list[Any]:
        async with httpx.AsyncClient() as client:
            channels = DigestChannels(client, AllowList.parse(["127.0.0.1"]), None, {},
                                      public_url="https://news.example.org")
            return await send_digest(stored, subscription, channels)

    assert [r.status.value for _, _, r in asyncio.run(go())] == ["sent", "sent"]
    slack = json.loads(receiver.requests("/slack")[0].body)["text"]
    discord = json.loads(receiver.requests("/discord")[0].body)["content"]
    for text in (slack, discord):
        lines = text.splitlines()
        assert lines[0] == "newsmon digest · ai watch · 2026-11-21: 14 stories"
        assert len(text) <= CHAT_LIMIT and "<!everyone>" not in text
        stories = lines[1:-2]
        assert 3 <= len(stories) < 14 and all(line.endswith("(1 outlet)") for line in stories)
        assert lines[-2] == f"+{14 - len(stories)} more"
        assert "Unsubscribe" in lines[-1] and "https://news.example.org/unsubscribe/" in text
    assert slack.splitlines()[1].startswith("1. <https://news.example/1_(x)|Story 1: &lt;!every")
    assert discord.splitlines()[1].startswith(r"1. [Story 1: <!everyone\> \*a very")
    assert "(<https://news.example/1_%28x%29>) (1 outlet)" in discord
    short = chat_digest_payload(chat_digest(2), "slack")["text"]
    assert isinstance(short, str) and len(short.splitlines()) == 3  # all shown, no link to leave


def _stored_of(*items: DigestStory) -> StoredDigest:
    digest = build_digest(DigestInput("ai watch", "company:Meta", "UTC", NOW, NOW.replace(
        day=22), items))
    return replace(DIGEST, json=render_json(digest), text=render_text(digest))


def test_a_story_whose_link_does_not_fit_the_chat_is_listed_unlinked() -> None:
    """The top story's 1,800-character URL did not fit the chat message: it and every story after
    it were left out ("+5 more" alone); its headline is listed without the link now."""
    long_url = "https://news.example/" + "a" * 1780
    items = [DigestStory(n, f"Story {n}", long_url if n == 1 else f"https://news.example/{n}",
                         "Text.", outlets=(DigestOutlet("wire", 2.0 if n == 1 else 1.0),))
             for n in range(1, 6)]
    for kind, key in (("slack", "text"), ("discord", "content")):
        text = chat_digest_payload(_stored_of(*items), kind)[key]
        assert isinstance(text, str) and len(text) <= CHAT_LIMIT
        lines = text.splitlines()
        assert lines[1] == "1. Story 1 (1 outlet)"
        assert len(lines) == 6 and "more" not in text


def test_a_chat_digest_fits_discord_counted_in_utf16_units() -> None:
    """Discord counts a message's 2,000 characters as JavaScript does (an emoji is two):
    headlines of emoji measured one per character could overrun it."""
    items = [DigestStory(n, "🚀" * 118, f"https://news.example/{n}", "Text.",
                         outlets=(DigestOutlet("wire"),)) for n in range(1, 16)]
    for kind, key in (("slack", "text"), ("discord", "content")):
        text = chat_digest_payload(_stored_of(*items), kind)[key]
        assert isinstance(text, str)
        assert len(text.encode("utf-16-le")) // 2 <= CHAT_LIMIT
        assert text.splitlines()[-1].startswith("+")
