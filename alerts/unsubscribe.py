"""Unsubscribe links: signed tokens, what a link may do, and the page it shows.

Flow: ``alerts.compose`` puts ``{delivery.public_url}/unsubscribe/{token}`` into every alert
(email ``List-Unsubscribe``, chat and webhook payloads) -> the web endpoint (``newsmon.web``)
calls :func:`check_link` for a GET (which never changes anything) and :func:`use_link` for the
RFC 8058 one-click POST -> :func:`render_page` answers with a small HTML page.

A token is ``<subscription>.<channel>.<epoch>.<nonce>.<mac>``: the channel the message went to,
the channel's unsubscribe epoch when it was sent, a nonce (the first 16 characters of the
delivery id, so every attempt of one delivery carries the same link), and an HMAC-SHA256 keyed
with the subscription's own secret (stored, never sent). So:

- a forged token, or another subscription's token with the id changed, fails the MAC (404);
- unsubscribing disables *the channel the message went to* (the recipient stops hearing; the
  subscription's other channels go on) and moves the channel's epoch on, in one conditional
  UPDATE: the link used and every earlier link of that channel are then refused as already used
  (410), and of two simultaneous requests only one succeeds;
- deleting the subscription voids all its links (404).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import jinja2

from alerts.messages import template_environment
from pipeline.storage import Storage
from pipeline.storage.subscriptions import ChannelRecord, SubscriptionRecord

_SEPARATOR = "."
_TOKEN = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,9})\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{32})$")
UNSUBSCRIBED_REASON = "unsubscribed by its recipient (unsubscribe link)"


@dataclass(frozen=True)
class TokenClaim:
    """What a well-formed token claims (not yet checked against its subscription's secret)."""

    subscription_id: int
    channel_id: int
    epoch: int
    nonce: str
    mac: str


def make_token(subscription_id: int, channel_id: int, epoch: int, secret: str,
               nonce: str | None = None) -> str:
    """A token that unsubscribes ``channel_id`` of ``subscription_id`` while the channel's
    unsubscribe epoch is ``epoch``."""
    nonce = nonce or secrets.token_urlsafe(12)
    mac = _mac(subscription_id, channel_id, epoch, nonce, secret)
    return _SEPARATOR.join((str(subscription_id), str(channel_id), str(epoch), nonce, mac))


def read_token(token: str) -> TokenClaim | None:
    """The claim of a well-formed token, or ``None`` if it is not one."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    subscription, channel, epoch, nonce, mac = match.groups()
    return TokenClaim(int(subscription), int(channel), int(epoch), nonce, mac)


def verify_token(token: str, secret_of: Callable[[int], str | None]) -> TokenClaim | None:
    """The claim of a token signed with its subscription's secret, or ``None`` if it is
    malformed, forged, another subscription's, or its subscription is gone."""
    claim = read_token(token)
    if claim is None:
        return None
    secret = secret_of(claim.subscription_id)
    if secret is None:
        return None
    expected = _mac(claim.subscription_id, claim.channel_id, claim.epoch, claim.nonce, secret)
    return claim if hmac.compare_digest(expected, claim.mac) else None


def _mac(subscription_id: int, channel_id: int, epoch: int, nonce: str, secret: str) -> str:
    message = f"unsubscribe:{subscription_id}:{channel_id}:{epoch}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


class LinkState(StrEnum):
    """What an unsubscribe link can do, with the HTTP status its page is served with."""

    VALID = "valid"
    DONE = "done"
    MALFORMED = "malformed"
    INVALID = "invalid"
    USED = "used"
    STOPPED = "stopped"

    @property
    def http_status(self) -> int:
        """200 for a usable or just-used link; 400 malformed; 404 invalid; 410 used/stopped."""
        return {"malformed": 400, "invalid": 404, "used": 410, "stopped": 410}.get(self, 200)


@dataclass(frozen=True)
class LinkCheck:
    """A link's state, with the subscription and channel it names when it verified."""

    state: LinkState
    subscription: SubscriptionRecord | None = None
    channel: ChannelRecord | None = None
    claim: TokenClaim | None = None


def check_link(storage: Storage, token: str) -> LinkCheck:
    """What ``token`` would do now; reads only (a GET of the link calls this)."""
    if read_token(token) is None:
        return LinkCheck(LinkState.MALFORMED)
    subscriptions: dict[int, SubscriptionRecord | None] = {}

    def secret_of(subscription_id: int) -> str | None:
        subscriptions[subscription_id] = storage.subscriptions.by_id(subscription_id)
        found = subscriptions[subscription_id]
        return None if found is None else found.token_secret

    claim = verify_token(token, secret_of)
    subscription = subscriptions.get(claim.subscription_id) if claim else None
    channel = next((c for c in subscription.channels if c.id == claim.channel_id), None) \
        if claim and subscription else None
    if claim is None or channel is None:
        return LinkCheck(LinkState.INVALID)
    if claim.epoch < channel.unsubscribe_epoch:
        state = LinkState.USED
    elif claim.epoch > channel.unsubscribe_epoch:
        state = LinkState.INVALID  # signed, but for an epoch that never was: not ours
    else:
        state = LinkState.STOPPED if channel.disabled_at is not None else LinkState.VALID
    return LinkCheck(state, subscription, channel, claim)


def use_link(storage: Storage, token: str, now: datetime) -> LinkCheck:
    """Unsubscribe the channel ``token`` names if the link is valid now (the RFC 8058 POST);
    any other link changes nothing and reports why."""
    check = check_link(storage, token)
    if check.state is not LinkState.VALID or check.claim is None or check.channel is None:
        return check
    done = storage.subscriptions.unsubscribe_channel(
        check.channel.id, check.claim.epoch, UNSUBSCRIBED_REASON, now)
    return LinkCheck(LinkState.DONE if done else LinkState.USED, check.subscription,
                     check.channel, check.claim)


def page_environment() -> jinja2.Environment:
    """The packaged, autoescaped templates the page is rendered from."""
    return template_environment()


def render_page(check: LinkCheck, environment: jinja2.Environment | None = None,
                problem: str | None = None) -> str:
    """The HTML page for ``check`` (``problem``: a refused request, e.g. a POST without the
    one-click body). Autoescaped, no script; a usable link gets a form that POSTs the RFC 8058
    body to the same address."""
    template = (environment or page_environment()).get_template("unsubscribe.html")
    return template.render(
        state=check.state.value, problem=problem,
        subscription=check.subscription.name if check.subscription else None,
        kind=check.channel.kind if check.channel else None,
        target=check.channel.shown if check.channel else None,
    )
