"""Slack and Discord channels: an alert as an incoming-webhook message in a chat channel.

Flow: outbox -> ``SlackChannel`` / ``DiscordChannel`` ``.send(message, webhook_url)`` ->
:func:`slack_payload` / :func:`discord_payload` -> :func:`alerts.channels.posting.post_json`
through the SSRF-guarded client, with the webhook channel's status mapping, plus "this webhook was
deleted" answers mapped to ``disabled``. Article text is escaped for each format (Slack mrkdwn
``&<>``; Discord markdown) and Discord gets ``allowed_mentions: {"parse": []}`` so nothing in an
article can ping ``@everyone``. Targets must be the service's own webhook hosts unless allow-listed.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from alerts.channels.posting import GoneRule, post_json
from alerts.channels.types import DeliveryResult
from alerts.channels.webhook import iso_time
from alerts.messages import AlertMessage, Segment, format_when, web_url
from alerts.netguard import AllowList, check_url
from alerts.summary import one_line, shorten

SLACK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
DISCORD_HOSTS = frozenset(
    {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
)
SLACK_TEXT_LIMIT = 3000
SLACK_GONE_ERRORS = frozenset(
    {"no_service", "no_team", "team_disabled", "invalid_token", "channel_not_found"}
)
DISCORD_UNKNOWN_WEBHOOK = 10015
DISCORD_INVALID_TOKEN = 50027
_DISCORD_MARKDOWN = re.compile(r"([\\*_~|`>\[\]#])")
_DISCORD_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_ZWSP = "\u200b"


class _ChatChannel:
    """What Slack and Discord share: target rules, JSON posting, status mapping."""

    name = "chat"
    hosts: frozenset[str] = frozenset()
    example = "https://chat.example/webhook"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow: AllowList,
        deadline: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._allow = allow
        self._deadline = deadline
        self._clock = clock

    def check_target(self, target: str) -> str | None:
        """The URL must pass the SSRF guard and be the service's webhook URL (or allow-listed)."""
        refused = check_url(target, self._allow)
        if refused:
            return refused
        parts = urlsplit(target)
        host = (parts.hostname or "").rstrip(".")
        if self._allow.allows_name(host) or _is_listed_ip(host, self._allow):
            return None
        if parts.scheme != "https" or host not in self.hosts or not self._path_ok(parts.path):
            return f"refused: not a {self.name} incoming-webhook URL ({self.example})"
        return None

    async def send(self, message: AlertMessage, target: str) -> DeliveryResult:
        """POST the service's JSON; never raises for network or server trouble."""
        refused = self.check_target(target)
        if refused:
            return DeliveryResult.failed(refused)
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return await post_json(self._client, target, body, headers, deadline=self._deadline,
                               clock=self._clock, gone=self.gone_rule())

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        raise NotImplementedError

    def gone_rule(self) -> GoneRule:
        raise NotImplementedError

    def _path_ok(self, path: str) -> bool:
        return True


class SlackChannel(_ChatChannel):
    """Posts to a Slack incoming webhook (``https://hooks.slack.com/services/...``)."""

    name = "slack"
    hosts = SLACK_HOSTS
    example = "https://hooks.slack.com/services/..."

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return slack_payload(message)

    def gone_rule(self) -> GoneRule:
        return slack_webhook_gone


class DiscordChannel(_ChatChannel):
    """Posts to a Discord webhook (``https://discord.com/api/webhooks/<id>/<token>``)."""

    name = "discord"
    hosts = DISCORD_HOSTS
    example = "https://discord.com/api/webhooks/<id>/<token>"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return discord_payload(message)

    def gone_rule(self) -> GoneRule:
        return discord_webhook_gone

    def _path_ok(self, path: str) -> bool:
        return path.startswith("/api/") and "/webhooks/" in path


# ---- Slack ----------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control: ``&``, ``<``, ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """Slack's incoming-webhook JSON: fallback ``text`` plus Block Kit ``blocks``."""
    title = slack_escape(shorten(one_line(message.title) or "(untitled)", 200))
    link = slack_link(message.url, title)
    heading = f"*{link}*\n{slack_escape(_meta_line(message))}"
    blocks: list[dict[str, Any]] = [_slack_section(heading)]
    if message.summary:
        blocks.append(_slack_section(slack_escape(shorten(one_line(message.summary), 1500))))
    if message.highlights:
        quoted = "\n".join(f"> {_slack_marked(s.segments)}" for s in message.highlights)
        blocks.append(_slack_section(quoted))
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": _slack_fit(slack_escape(line))} for line in _facts(message)
    ][:10]})
    if web_url(message.unsubscribe_url):
        unsubscribe = slack_link(message.unsubscribe_url or "", "Unsubscribe")
        blocks[-1]["elements"].append({"type": "mrkdwn", "text": unsubscribe})
    subscription = slack_escape(shorten(one_line(message.subscription), 80))
    return {"text": f"{subscription}: {link}", "blocks": blocks,
            "unfurl_links": False, "unfurl_media": False}


def slack_webhook_gone(status: int, excerpt: str) -> bool:
    """Slack says the webhook was revoked or its channel or workspace is gone."""
    return status in (403, 404) and excerpt.strip() in SLACK_GONE_ERRORS


def slack_link(url: str | None, escaped_label: str) -> str:
    """``<url|label>`` when ``url`` is a safe http(s) URL, else the (escaped) label alone."""
    safe = web_url(url)
    if safe is None or len(safe) > 2000:
        return escaped_label
    return f"<{slack_escape(safe).replace('|', '%7C')}|{escaped_label}>"


def _slack_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _slack_fit(text)}}


def _slack_marked(segments: Iterable[Segment]) -> str:
    parts = []
    for segment in segments:
        text = slack_escape(segment.text)
        bold = segment.marked and text.strip() == text and text and "*" not in text
        parts.append(f"*{text}*" if bold else text)
    return "".join(parts)


def _slack_fit(text: str, limit: int = SLACK_TEXT_LIMIT) -> str:
    """Cut escaped text to Slack's limit without leaving half an ``&amp;`` entity."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY.sub("", text[: limit - 1]) + "…"


# ---- Discord --------------------------------------------------------------------------------


def discord_escape(text: str) -> str:
    """Backslash-escape Discord markdown and break ``@everyone`` / ``@here``."""
    escaped = _DISCORD_MARKDOWN.sub(r"\\\1", text)
    return _DISCORD_MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", escaped)


def discord_link(url: str | None, escaped_label: str) -> str:
    """``[label](<url>)`` (a masked link without a preview) when ``url`` is a safe http(s)
    URL, else the (escaped) label alone."""
    safe = web_url(url)
    if safe is None or len(safe) > 1000:
        return escaped_label
    return f"[{escaped_label}](<{safe.replace('(', '%28').replace(')', '%29')}>)"


def discord_payload(message: AlertMessage) -> dict[str, Any]:
    """Discord's webhook JSON: a short ``content`` line, one embed, and no mentions at all."""
    title = shorten(one_line(message.title) or "(untitled)", 256)
    embed: dict[str, Any] = {
        "title": _DISCORD_MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", title),
        "description": _discord_description(message),
        "fields": _discord_fields(message),
        "footer": {"text": shorten(f"newsmon · {one_line(message.subscription)}", 2048)},
        "timestamp": iso_time(message.published or message.created),
    }
    url = web_url(message.url)
    if url and len(url) <= 2048:
        embed["url"] = url
    content = f"**{discord_escape(shorten(one_line(message.subscription), 80))}**: " \
              f"{discord_escape(title)}"
    return {"content": shorten(content, 2000), "embeds": [embed],
            "allowed_mentions": {"parse": []}}


def discord_webhook_gone(status: int, excerpt: str) -> bool:
    """Discord says the webhook no longer exists (or its token was reset)."""
    if status not in (401, 404):
        return False
    try:
        code = json.loads(excerpt).get("code")
    except (ValueError, AttributeError):
        return False
    return code in (DISCORD_UNKNOWN_WEBHOOK, DISCORD_INVALID_TOKEN)


def _discord_description(message: AlertMessage) -> str:
    parts = [discord_escape(shorten(one_line(message.summary), 1500))] if message.summary else []
    for snippet in message.highlights:
        marked = "".join(
            f"**{discord_escape(s.text)}**" if s.marked and s.text.strip() == s.text
            else discord_escape(s.text)
            for s in snippet.segments
        )
        parts.append(f"> {marked}")
    return shorten("\n".join(parts), 4096)


def _discord_facts(message: AlertMessage) -> list[tuple[str, str]]:
    facts = [("Source", _meta_line(message))]
    if message.reasons:
        facts.append(("Matched", ", ".join(reason.label for reason in message.reasons)))
    if message.tags:
        facts.append(("Mentions", ", ".join(_tag_label(t.name, t.ticker) for t in message.tags)))
    if message.stock_reactions:
        facts.append(("Stocks", ", ".join(move.label for move in message.stock_reactions)))
    return facts


def _discord_fields(message: AlertMessage) -> list[dict[str, Any]]:
    fields = [
        {"name": name, "value": shorten(discord_escape(one_line(value)), 1024) or "-",
         "inline": False}
        for name, value in _discord_facts(message)
    ]
    unsubscribe = web_url(message.unsubscribe_url)
    if unsubscribe and len(unsubscribe) < 1000:
        link = unsubscribe.replace("(", "%28").replace(")", "%29")
        fields.append({"name": "Subscription", "value": f"[Unsubscribe]({link})", "inline": False})
    return fields


# ---- Shared ---------------------------------------------------------------------------------


def _meta_line(message: AlertMessage) -> str:
    parts = [one_line(message.source)]
    if message.published:
        parts.append(format_when(message.published_local))
    if message.other_outlets:
        plural = "s" if message.other_outlets != 1 else ""
        parts.append(f"also covered by {message.other_outlets} other outlet{plural}")
    return " · ".join(parts)


def _facts(message: AlertMessage) -> list[str]:
    facts = [f"Subscription: {one_line(message.subscription)}"]
    if message.reasons:
        facts.append("Matched: " + ", ".join(one_line(r.label) for r in message.reasons))
    if message.tags:
        facts.append("Mentions: " + ", ".join(_tag_label(t.name, t.ticker) for t in message.tags))
    if message.stock_reactions:
        facts.append("Stocks: " + ", ".join(move.label for move in message.stock_reactions))
    return facts


def _tag_label(name: str, ticker: str | None) -> str:
    return f"{name} ({ticker})" if ticker else name


def _is_listed_ip(host: str, allow: AllowList) -> bool:
    try:
        return allow.allows_address(ipaddress.ip_address(host))
    except ValueError:
        return False
