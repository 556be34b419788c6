"""Slack and Discord channels: payload shapes, escaping of article text, and a real receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from alerts.channels import DeliveryResult, DeliveryStatus
from alerts.channels.chat import (
    DiscordChannel,
    SlackChannel,
    discord_escape,
    discord_payload,
    slack_escape,
    slack_payload,
)
from alerts.netguard import AllowList, guarded_client
from tests.alerts.delivery_support import Receiver, Reply, free_port, sample_message

LOCAL = AllowList.parse(["127.0.0.1"])
HOSTILE_TITLE = "Meta <!everyone> & <@U123|boss> ships <https://evil.example|Muse Spark> @here"
HOSTILE_TEXT = (
    "Muse Spark is out. [Click here](https://evil.example/phish) for @everyone, *now* <@&42>. "
    "Meta's stock rising following the announcement."
)




def post(channel_class: type[SlackChannel] | type[DiscordChannel], url: str,
         **message_args: str) -> DeliveryResult:
    async def run() -> DeliveryResult:
        async with guarded_client(LOCAL, timeout=5.0) as client:
            channel = channel_class(client, allow=LOCAL, deadline=5.0)
            return await channel.send(sample_message(**message_args), url)

    return asyncio.run(run())


# ---- Slack ------------------------------------------------------------------------------------


def test_slack_payload_shape() -> None:
    payload = slack_payload(sample_message())
    assert set(payload) == {"text", "blocks", "unfurl_links", "unfurl_media"}
    assert [block["type"] for block in payload["blocks"]] == [
        "section", "section", "section", "context"]
    heading = payload["blocks"][0]["text"]
    assert heading["type"] == "mrkdwn"
    assert heading["text"].startswith("*<https://news.example.com/meta-muse-spark|Meta unveils ")
    assert "also covered by 4 other outlets" in heading["text"]
    assert payload["text"].startswith("meta-models: <https://news.example.com/meta-muse-spark|")
    highlights = payload["blocks"][2]["text"]["text"]
    assert "> " in highlights and "*Muse Spark*" in highlights
    context = [element["text"] for element in payload["blocks"][3]["elements"]]
    assert "Stocks: META ▲ 3.2%" in context
    assert context[-1] == "<https://newsmon.example.org/unsubscribe/tok-abc|Unsubscribe>"


def test_slack_escapes_control_characters_of_article_text() -> None:
    assert slack_escape("a & b <c> d") == "a &amp; b &lt;c&gt; d"
    payload = slack_payload(sample_message(title=HOSTILE_TITLE, text=HOSTILE_TEXT,
                                           url="https://news.example.com/a?x=1&y=2|z"))
    encoded = json.dumps(payload)
    for dangerous in ("<!everyone>", "<@U123", "<https://evil.example"):
        assert dangerous not in encoded
    heading = payload["blocks"][0]["text"]["text"]
    assert "&lt;!everyone&gt; &amp; &lt;@U123|boss&gt;" in heading
    assert heading.startswith("*<https://news.example.com/a?x=1&amp;y=2%7Cz|Meta ")


def test_slack_drops_links_that_are_not_http() -> None:
    payload = slack_payload(sample_message(url="javascript:alert(1)"))
    assert "javascript" not in json.dumps(payload)


@pytest.fixture
def idle_client() -> Iterator[httpx.AsyncClient]:
    """A client for channels whose targets are only checked, never sent to."""
    client = guarded_client(AllowList())
    yield client
    asyncio.run(client.aclose())


def test_slack_target_must_be_a_slack_webhook_unless_allow_listed(
    idle_client: httpx.AsyncClient,
) -> None:
    channel = SlackChannel(idle_client, allow=AllowList())
    assert channel.check_target("https://hooks.slack.com/services/T0/B0/secret") is None
    assert "not a slack" in (channel.check_target("https://evil.example/services/T0") or "")
    assert "not a slack" in (channel.check_target("http://hooks.slack.com/services/T0") or "")
    assert "private" in (channel.check_target("http://127.0.0.1:9/hook") or "")


def test_slack_delivery_to_a_real_receiver(receiver: Receiver) -> None:
    result = post(SlackChannel, receiver.url("/slack"))
    assert result.status is DeliveryStatus.SENT
    [seen] = receiver.requests("/slack")
    assert json.loads(seen.body) == slack_payload(sample_message())


@pytest.mark.parametrize(
    ("reply", "status"),
    [(Reply(404, b"no_service"), DeliveryStatus.DISABLED),
     (Reply(410, b"channel_is_archived"), DeliveryStatus.DISABLED),
     (Reply(400, b"invalid_blocks"), DeliveryStatus.FAILED),
     (Reply(500, b"rollup_error"), DeliveryStatus.RETRY)],
)
def test_slack_answers_map_to_results(receiver: Receiver, reply: Reply,
                                      status: DeliveryStatus) -> None:
    receiver.reply("/slack", reply)
    result = post(SlackChannel, receiver.url("/slack"))
    assert result.status is status
    assert reply.body.decode() in result.detail


def test_slack_rate_limit_is_retried_after_retry_after(receiver: Receiver) -> None:
    receiver.reply("/slack", Reply(429, b"rate_limited", {"Retry-After": "30"}))
    result = post(SlackChannel, receiver.url("/slack"))
    assert (result.status, result.retry_after) == (DeliveryStatus.RETRY, 30.0)


def test_failure_details_never_contain_the_webhook_token() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/very-secret-token"
    result = post(SlackChannel, url)
    assert result.status is DeliveryStatus.RETRY
    assert "very-secret-token" not in result.detail


# ---- Discord ----------------------------------------------------------------------------------


def test_discord_payload_shape_and_no_mentions() -> None:
    payload = discord_payload(sample_message())
    assert payload["allowed_mentions"] == {"parse": []}
    [embed] = payload["embeds"]
    assert embed["url"] == "https://news.example.com/meta-muse-spark"
    assert embed["title"].startswith("Meta unveils Muse Spark")
    assert embed["timestamp"] == "2026-11-20T09:30:00Z"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Stocks"] == "META ▲ 3.2%"
    assert fields["Subscription"] == "[Unsubscribe](https://newsmon.example.org/unsubscribe/tok-abc)"
    assert "**Muse Spark**" in embed["description"]
    assert payload["content"].startswith("**meta-models**: Meta unveils")


def test_discord_neutralises_markdown_links_and_mass_mentions() -> None:
    assert discord_escape("[a](b) *x* @everyone") == "\\[a\\](b) \\*x\\* @\u200beveryone"
    payload = discord_payload(sample_message(title=HOSTILE_TITLE, text=HOSTILE_TEXT))
    description = payload["embeds"][0]["description"]
    assert "[Click here](https://evil" not in description
    assert "\\[Click here\\](https://evil.example/phish)" in description
    everything = json.dumps(payload, ensure_ascii=False)
    assert "@everyone" not in everything and "@here" not in everything
    assert payload["allowed_mentions"] == {"parse": []}


def test_discord_respects_its_length_limits() -> None:
    payload = discord_payload(sample_message(title="Muse Spark " * 100, text="Muse Spark. " * 900))
    embed = payload["embeds"][0]
    assert len(embed["title"]) <= 256
    assert len(embed["description"]) <= 4096
    assert all(len(field["value"]) <= 1024 for field in embed["fields"])
    assert len(payload["content"]) <= 2000


def test_discord_target_rules(idle_client: httpx.AsyncClient) -> None:
    channel = DiscordChannel(idle_client, allow=AllowList())
    assert channel.check_target("https://discord.com/api/webhooks/1/tok") is None
    assert channel.check_target("https://discord.com/channels/1/2") is not None
    assert channel.check_target("https://discord.evil.example/api/webhooks/1/t") is not None


def test_discord_delivery_and_deleted_webhook(receiver: Receiver) -> None:
    receiver.reply("/discord", Reply(204))
    assert post(DiscordChannel, receiver.url("/discord")).status is DeliveryStatus.SENT
    [seen] = receiver.requests("/discord")
    assert json.loads(seen.body)["allowed_mentions"] == {"parse": []}
    receiver.reply("/discord", Reply(404, b'{"message": "Unknown Webhook", "code": 10015}'))
    assert post(DiscordChannel, receiver.url("/discord")).status is DeliveryStatus.DISABLED
    receiver.reply("/discord", Reply(404, b'{"message": "Not Found", "code": 0}'))
    assert post(DiscordChannel, receiver.url("/discord")).status is DeliveryStatus.FAILED
