"""Sending a stored digest on a subscription's channels: email (multipart HTML + text), signed
webhook (the ``newsmon.digest/1`` JSON), Slack and Discord (the text form, escaped).

``newsmon digest --send`` (and the daemon's digest job) call :func:`send_digest`. A digest is
sent once: the caller marks it sent when every active channel accepted it. Each attempt carries
the same id (``digest-<subscription>-<local date>``), so a receiver can drop a repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime

import httpx
import markupsafe

from alerts.channels.chat import discord_escape, discord_link, slack_escape, slack_link
from alerts.channels.email import (
    EMAIL_POLICY,
    EmailSettingsLike,
    SmtpConfig,
    deliver_email,
    message_id,
    mime_boundary,
    one_click_uri,
    set_subject,
)
from alerts.channels.posting import post_json
from alerts.channels.types import DeliveryResult
from alerts.channels.webhook import SIGNING_KEY_ENV, encode_payload, signed_headers
from alerts.digest.render import compact_heading, compact_story
from alerts.messages import web_url
from alerts.netguard import AllowList, check_url
from alerts.unsubscribe import make_token
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import ChannelRecord, SubscriptionRecord

CHAT_LIMIT = 1900
"""Characters of a chat digest, counted by :func:`chat_length` (Discord takes 2000 at most)."""
CHAT_STORIES = 10
"""Stories a chat digest lists at most."""
MORE_ROOM = 40
UNSUBSCRIBE_MARK = "<!--newsmon:unsubscribe-->"
"""Where the digest HTML template leaves room for a channel's unsubscribe link."""


@dataclass(frozen=True)
class DigestChannels:
    """What sending a digest needs: an HTTP client (guarded), the allow-list, SMTP settings."""

    http_client: httpx.AsyncClient
    allow: AllowList
    email: EmailSettingsLike | None
    env: Mapping[str, str] = field(default_factory=dict)
    """Where secrets come from (the shell passes ``os.environ``)."""
    deadline: float = 10.0
    public_url: str = ""
    """Base of the unsubscribe links (``delivery.public_url``); none when empty."""


def digest_key(stored: StoredDigest) -> str:
    """The stable id every attempt to send this digest carries."""
    return f"digest-{stored.subscription_id}-{stored.local_date}"


async def send_digest(
    stored: StoredDigest, subscription: SubscriptionRecord, channels: DigestChannels
) -> list[tuple[str, str, DeliveryResult]]:
    """Send ``stored`` to every active channel; ``(kind, target as shown, result)`` for each
    (Slack and Discord URLs redacted)."""
    results = []
    for channel in subscription.channels:
        if channel.disabled_at is not None:
            continue
        if channel.unreadable:
            result = DeliveryResult.retry(channel.unreadable)
        else:
            result = await _send_one(stored, subscription, channel, channels)
        results.append((channel.kind, channel.shown, result))
    return results


async def _send_one(stored: StoredDigest, subscription: SubscriptionRecord,
                    channel: ChannelRecord, channels: DigestChannels) -> DeliveryResult:
    kind, target = channel.kind, channel.target
    if kind == "email":
        return await _send_email(stored, subscription, channel, channels)
    refused = check_url(target, channels.allow)
    if refused:
        return DeliveryResult.failed(refused)
    if kind == "webhook":
        body, headers = _webhook_body(stored, channels.env)
        if body is None:
            return DeliveryResult.retry(f"{SIGNING_KEY_ENV} is not set")
    else:
        unsubscribe = digest_unsubscribe_url(stored, subscription, channel, channels.public_url)
        body = encode_payload(chat_digest_payload(stored, kind, unsubscribe))
        headers = {"Content-Type": "application/json"}
    return await post_json(channels.http_client, target, body, headers, deadline=channels.deadline)


def _webhook_body(stored: StoredDigest, env: Mapping[str, str]
                  ) -> tuple[bytes | None, dict[str, str]]:
    key = env.get(SIGNING_KEY_ENV, "")
    if not key:
        return None, {}
    body = encode_payload(json.loads(stored.json))
    return body, signed_headers(key.encode(), digest_key(stored), body, int(time.time()))


def chat_digest_payload(stored: StoredDigest, kind: str,
                        unsubscribe_url: str | None = None) -> dict[str, object]:
    """The Slack (``text``) or Discord (``content``) message of a digest: a heading, the top
    stories with their headlines linked, as many whole lines as fit, how many more, and the
    unsubscribe link (from the stored JSON; every article field escaped for the chat's markup)."""
    slack = kind == "slack"
    escape, link = (slack_escape, slack_link) if slack else (discord_escape, discord_link)
    document = json.loads(stored.json)
    stories = document.get("stories") or []
    lines = [escape(compact_heading(document))]
    footer = [link(unsubscribe_url, "Unsubscribe")] if web_url(unsubscribe_url) else []
    room = CHAT_LIMIT - chat_length(lines[0]) - sum(chat_length(line) + 1 for line in footer)
    room -= MORE_ROOM
    shown = 0
    for item in stories[:CHAT_STORIES]:
        headline, rest = compact_story(item)
        number = f"{item.get('rank', shown + 1)}. "
        line = f"{number}{link(item.get('url'), escape(headline))}{escape(rest)}"
        if chat_length(line) + 1 > room:  # a very long link: the headline alone
            line = f"{number}{escape(headline)}{escape(rest)}"
        if chat_length(line) + 1 > room:
            break
        lines.append(line)
        room -= chat_length(line) + 1
        shown += 1
    if len(stories) > shown:
        lines.append(escape(f"+{len(stories) - shown} more"))
    text = "\n".join(lines + footer)
    if slack:
        return {"text": text, "unfurl_links": False, "unfurl_media": False}
    return {"content": text, "allowed_mentions": {"parse": []}}


def chat_length(text: str) -> int:
    """The length of ``text`` as chat services count it: in UTF-16 code units, as JavaScript
    does (an emoji is two), never less than Python's count of code points."""
    return len(text.encode("utf-16-le")) // 2


async def _send_email(stored: StoredDigest, subscription: SubscriptionRecord,
                      channel: ChannelRecord, channels: DigestChannels) -> DeliveryResult:
    if channels.email is None:
        return DeliveryResult.retry("the email channel is not configured ([email] settings)")
    config = SmtpConfig.from_settings(channels.email, channels.env)
    unsubscribe = digest_unsubscribe_url(stored, subscription, channel, channels.public_url)
    email = digest_email(stored, subscription, to=channel.target, config=config,
                         unsubscribe_url=unsubscribe)
    tls = ssl.create_default_context()
    return await asyncio.to_thread(deliver_email, config, tls, email, channel.target)


def digest_unsubscribe_url(stored: StoredDigest, subscription: SubscriptionRecord,
                           channel: ChannelRecord, public_url: str) -> str | None:
    """The link that unsubscribes ``channel`` (the same on every attempt: its nonce comes from
    the digest's id); ``None`` without a public URL."""
    if not public_url:
        return None
    nonce = hashlib.sha256(digest_key(stored).encode()).hexdigest()[:16]
    token = make_token(subscription.id, channel.id, channel.unsubscribe_epoch,
                       subscription.token_secret, nonce=nonce)
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


def digest_email(stored: StoredDigest, subscription: SubscriptionRecord, *, to: str,
                 config: SmtpConfig, unsubscribe_url: str | None = None) -> EmailMessage:
    """The multipart email of a digest (pure; the same bytes on every attempt), with a one-click
    ``List-Unsubscribe`` (RFC 8058) when ``unsubscribe_url`` is https."""
    sender = config.sender
    key = digest_key(stored)
    email = EmailMessage(policy=EMAIL_POLICY)
    set_subject(email, f"newsmon digest: {subscription.name}, {stored.local_date}")
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(stored.created_at)
    email["Message-ID"] = message_id(key, sender.domain)
    email["Auto-Submitted"] = "auto-generated"
    one_click = one_click_uri(unsubscribe_url)
    if one_click:
        email.set_raw("List-Unsubscribe", one_click)
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text, html = with_unsubscribe_link(stored.text, stored.html, unsubscribe_url)
    email.set_content(text, cte="quoted-printable")
    email.add_alternative(html, subtype="html", cte="quoted-printable")
    email.set_boundary(mime_boundary(key))
    return email


def with_unsubscribe_link(text: str, html: str, unsubscribe_url: str | None) -> tuple[str, str]:
    """The stored digest bodies with a visible unsubscribe link for one channel appended (the
    stored digest is shared by every channel and never holds a channel's link). The HTML link
    goes where the template marks it (older stored digests: before ``</body>``); without a link
    the mark is removed."""
    if not unsubscribe_url:
        return text, html.replace(f"{UNSUBSCRIBE_MARK}\n", "").replace(UNSUBSCRIBE_MARK, "")
    link = markupsafe.escape(unsubscribe_url)
    paragraph = (f'<p style="margin:8px 0 0;font-size:12px;color:#59636e">No longer want this '
                 f'digest here? <a href="{link}" style="color:#59636e">Unsubscribe</a>.</p>')
    if UNSUBSCRIBE_MARK in html:
        html = html.replace(UNSUBSCRIBE_MARK, paragraph, 1)
    else:
        head, found, tail = html.rpartition("</body>")
        html = f"{head}{paragraph}\n{found}{tail}" if found else f"{html}\n{paragraph}"
    return f"{text.rstrip()}\nUnsubscribe: {unsubscribe_url}\n", html
