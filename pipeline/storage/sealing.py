"""Sealing channel targets at rest: Slack and Discord webhook URLs are bearer credentials.

Where it sits: the storage edge. :class:`~pipeline.storage.subscriptions.SubscriptionStore`
seals a Slack or Discord URL before it is written (``channels.target`` holds
``sealed:v1:<Fernet token>``, ``channels.target_redacted`` a form safe to show) and opens it when
a channel is read, so the rest of newsmon handles clear URLs in memory and the database, its
backups and its dumps never hold them. Everything shown to people (the CLI, ``status``, logs,
delivery errors) uses :func:`redact_url`'s form.

The key comes from ``NEWSMON_SECRET_KEY`` (at least 32 characters, e.g.
``python -c "import secrets; print(secrets.token_urlsafe(32))"``); the Fernet key (AES-128-CBC +
HMAC-SHA256, from ``cryptography``) is derived from it with HKDF-SHA256. Without a key newsmon
refuses to store Slack and Discord channels; a sealed target read without the right key is
*unreadable* (a value carried on the record), never an exception.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config.errors import NewsmonError

SECRET_KEY_ENV = "NEWSMON_SECRET_KEY"  # noqa: S105 (the variable's name, not a key)
SEALED_KINDS = frozenset({"slack", "discord"})
"""Channel kinds whose target is a credential (the URL itself grants posting)."""
SEALED_PREFIX = "sealed:v1:"
MIN_KEY_CHARS = 32
ELLIPSIS = "…"
_HKDF_INFO = b"newsmon channel targets v1"


class SecretKeyError(NewsmonError):
    """``NEWSMON_SECRET_KEY`` is missing where it is needed, or too short to be a key."""


def missing_key_message() -> str:
    """Why a Slack or Discord channel cannot be stored without a key, and what to do."""
    return (f"Slack and Discord webhook URLs are credentials and are stored encrypted: set "
            f"{SECRET_KEY_ENV} (at least {MIN_KEY_CHARS} characters, e.g. the output of "
            "python -c \"import secrets; print(secrets.token_urlsafe(32))\") for every "
            "newsmon command and the daemon")


@dataclass(frozen=True)
class TargetCipher:
    """Seals and opens channel targets with one key."""

    fernet: Fernet

    @classmethod
    def from_key(cls, key: str) -> TargetCipher:
        """Derive the cipher from the operator's key; raises :class:`SecretKeyError`."""
        if len(key.strip()) < MIN_KEY_CHARS:
            raise SecretKeyError(f"{SECRET_KEY_ENV} must be at least {MIN_KEY_CHARS} characters")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
        raw = derived.derive(key.strip().encode("utf-8"))
        return cls(Fernet(base64.urlsafe_b64encode(raw)))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetCipher | None:
        """The cipher of ``NEWSMON_SECRET_KEY``, or ``None`` when it is not set."""
        key = env.get(SECRET_KEY_ENV, "")
        return cls.from_key(key) if key.strip() else None

    def seal(self, clear: str) -> str:
        """The stored form of ``clear``."""
        return SEALED_PREFIX + self.fernet.encrypt(clear.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str | None:
        """The clear target, or ``None`` if this key did not seal it (or it was altered)."""
        try:
            return self.fernet.decrypt(stored.removeprefix(SEALED_PREFIX)).decode("utf-8")
        except (InvalidToken, ValueError):
            return None


@dataclass(frozen=True)
class OpenedTarget:
    """A stored target as the application uses it."""

    target: str
    """The clear address or URL; empty when it is sealed and cannot be opened."""
    shown: str
    """What people may see: the address, or the redacted URL of a sealed target."""
    unreadable: str | None = None
    """Why a sealed target could not be opened (no key, another key)."""


def is_sealed(stored: str) -> bool:
    """Whether a stored target is sealed."""
    return stored.startswith(SEALED_PREFIX)


def open_target(
    kind: str, stored: str, redacted: str | None, cipher: TargetCipher | None
) -> OpenedTarget:
    """A channel's stored target as the application uses it (see :class:`OpenedTarget`)."""
    if not is_sealed(stored):
        shown = redact_url(stored) if kind in SEALED_KINDS else stored
        return OpenedTarget(stored, shown)
    shown = redacted or f"(sealed {kind} URL)"
    if cipher is None:
        return OpenedTarget("", shown, f"the {kind} URL is sealed and {SECRET_KEY_ENV} is not set")
    clear = cipher.open(stored)
    if clear is None:
        return OpenedTarget("", shown, f"the {kind} URL was sealed with another "
                                       f"{SECRET_KEY_ENV}; it cannot be opened")
    return OpenedTarget(clear, shown)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/path/`` with the last path segment (where Slack and Discord keep
    the token), the query, the fragment and any user info replaced or dropped."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ELLIPSIS
    if not parts.scheme or not parts.hostname:
        return ELLIPSIS
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    segments = [segment for segment in parts.path.split("/") if segment]
    kept = "/".join(segments[:-1])
    return f"{origin}/{kept}/{ELLIPSIS}" if kept else f"{origin}/{ELLIPSIS}"
