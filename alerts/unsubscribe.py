"""Unsubscribe tokens: signed per subscription, so a forged token or another subscription's
token is refused. The token names the subscription and a nonce; its HMAC uses the subscription's
own secret (stored in the database, never sent), so deleting the subscription voids its tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

_SEPARATOR = "."


def make_token(subscription_id: int, secret: str, nonce: str | None = None) -> str:
    """A token that unsubscribes ``subscription_id``: ``<id>.<nonce>.<mac>``."""
    nonce = nonce or secrets.token_urlsafe(12)
    return _SEPARATOR.join((str(subscription_id), nonce, _mac(subscription_id, nonce, secret)))


def verify_token(token: str, secret_of: Callable[[int], str | None]) -> int | None:
    """The subscription id a token unsubscribes, or ``None`` if it is forged or void."""
    parts = token.split(_SEPARATOR)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    subscription_id, nonce, mac = int(parts[0]), parts[1], parts[2]
    secret = secret_of(subscription_id)
    if secret is None:
        return None
    expected = _mac(subscription_id, nonce, secret)
    return subscription_id if hmac.compare_digest(expected, mac) else None


def _mac(subscription_id: int, nonce: str, secret: str) -> str:
    message = f"unsubscribe:{subscription_id}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]
