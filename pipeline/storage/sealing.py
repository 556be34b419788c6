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

Rotation: put the new key in ``NEWSMON_SECRET_KEY`` and the old one(s) in
``NEWSMON_OLD_SECRET_KEYS`` (separated by spaces or commas). Targets sealed with an old key are
still opened, and ``newsmon db upgrade`` (or any start that upgrades) re-seals them with the new
key; once it reports none left on the old keys, drop ``NEWSMON_OLD_SECRET_KEYS``.
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
OLD_SECRET_KEYS_ENV = "NEWSMON_OLD_SECRET_KEYS"  # noqa: S105 (a name, not a key)
"""Earlier keys, separated by spaces or commas: still opened, re-sealed with the current key."""
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
    """Seals with the current key; opens with the current key or an earlier one."""

    fernet: Fernet
    earlier: tuple[Fernet, ...] = ()
    """Keys being rotated out: they open targets, never seal them."""

    @classmethod
    def from_key(cls, key: str, earlier: tuple[str, ...] = ()) -> TargetCipher:
        """Derive the cipher from the operator's key (and earlier keys still to be rotated
        out); raises :class:`SecretKeyError`."""
        return cls(_fernet(key, SECRET_KEY_ENV),
                   tuple(_fernet(old, OLD_SECRET_KEYS_ENV) for old in earlier))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetCipher | None:
        """The cipher of ``NEWSMON_SECRET_KEY`` (plus ``NEWSMON_OLD_SECRET_KEYS``), or ``None``
        when the key is not set; earlier keys without a current one are an error."""
        key = env.get(SECRET_KEY_ENV, "")
        earlier = tuple(env.get(OLD_SECRET_KEYS_ENV, "").replace(",", " ").split())
        if not key.strip():
            if earlier:
                raise SecretKeyError(f"{OLD_SECRET_KEYS_ENV} is set but {SECRET_KEY_ENV} is not: "
                                     "give the new key too")
            return None
        return cls.from_key(key, earlier)

    def seal(self, clear: str) -> str:
        """The stored form of ``clear``, sealed with the current key."""
        return SEALED_PREFIX + self.fernet.encrypt(clear.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str | None:
        """The clear target, or ``None`` if no key of this cipher sealed it (or it was altered)."""
        token = stored.removeprefix(SEALED_PREFIX)
        for fernet in (self.fernet, *self.earlier):
            try:
                return fernet.decrypt(token).decode("utf-8")
            except (InvalidToken, ValueError):
                continue
        return None

    def sealed_with_current_key(self, stored: str) -> bool:
        """Whether the current key opens ``stored`` (else it needs re-sealing, or is lost)."""
        try:
            self.fernet.decrypt(stored.removeprefix(SEALED_PREFIX))
        except (InvalidToken, ValueError):
            return False
        return True


def _fernet(key: str, variable: str) -> Fernet:
    """The Fernet key derived from one operator key; raises :class:`SecretKeyError`."""
    if len(key.strip()) < MIN_KEY_CHARS:
        raise SecretKeyError(f"{variable}: every key must be at least {MIN_KEY_CHARS} characters")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return Fernet(base64.urlsafe_b64encode(derived.derive(key.strip().encode("utf-8"))))


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
                                       f"{SECRET_KEY_ENV}; it cannot be opened (after a key "
                                       f"change, give the old key in {OLD_SECRET_KEYS_ENV})")
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
