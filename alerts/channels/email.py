"""The email channel: an alert as a multipart (plain text + HTML) message sent over SMTP.

Flow: outbox -> ``EmailChannel.send(message, address)`` -> :func:`compose_email` (pure: Jinja2
bodies from :func:`alerts.messages.render_email`, headers through ``email``'s default policy,
``Message-ID`` from the delivery id, RFC 8058 one-click ``List-Unsubscribe``) -> ``smtplib`` in a
worker thread -> :class:`DeliveryResult`.

Why ``smtplib`` in a thread rather than an async SMTP client: it is the standard library's
well-trodden STARTTLS/implicit-TLS/AUTH implementation, no extra dependency; a socket timeout
bounds the connect (and TLS handshake) and every command after it, so a worker thread can never
hang; alerts are few, so a thread per send costs nothing. Replies map 4xx -> retry, 5xx -> failed;
connection, TLS, timeouts and authentication trouble (the operator's, not the message's) -> retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import quote

import jinja2

from alerts.channels.types import ChannelNotConfiguredError, DeliveryResult
from alerts.messages import (
    AlertMessage,
    RenderedEmail,
    header_token,
    render_email,
    template_environment,
    web_url,
)
from alerts.summary import one_line, shorten

SMTP_PASSWORD_ENV = "NEWSMON_SMTP_PASSWORD"  # noqa: S105 (the variable's name, not a secret)
SECURITY_MODES = ("starttls", "tls", "none")
EMAIL_POLICY = policy.default.clone(refold_source="none")
"""The default policy; ``refold_source="none"`` only keeps :func:`list_unsubscribe`'s value (set
with ``set_raw`` after validation) from being RFC 2047-encoded, which would break its URL."""
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+;=%]+")
_MAILBOX = re.compile(r"[^@\s<>,;\"()]+@[^@\s<>,;\"()]+")


class EmailSettingsLike(Protocol):
    """The ``[email]`` settings the channel reads (``config``'s ``EmailSettings`` satisfies it)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def security(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def from_address(self) -> str: ...
    @property
    def from_name(self) -> str: ...
    @property
    def helo_name(self) -> str | None: ...
    @property
    def connect_timeout_seconds(self) -> float: ...
    @property
    def command_timeout_seconds(self) -> float: ...
    @property
    def unsubscribe_mailto(self) -> str | None: ...


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail; the password is never shown in ``repr``."""

    host: str
    port: int
    from_address: str
    security: str = "starttls"
    from_name: str = "newsmon"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    helo_name: str | None = None
    connect_timeout: float = 10.0
    command_timeout: float = 30.0
    unsubscribe_mailto: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ChannelNotConfiguredError(f"email.security must be one of {SECURITY_MODES}")
        if self.username and self.security == "none" and not is_loopback_host(self.host):
            raise ChannelNotConfiguredError(
                "email.security = 'none' would send the SMTP password in clear text; "
                "use 'starttls' or 'tls'"
            )
        if self.unsubscribe_mailto and not _MAILBOX.fullmatch(self.unsubscribe_mailto):
            raise ChannelNotConfiguredError("email.unsubscribe_mailto is not an email address")

    @classmethod
    def from_settings(cls, settings: EmailSettingsLike, env: Mapping[str, str]) -> SmtpConfig:
        """The settings plus the password from ``$NEWSMON_SMTP_PASSWORD``."""
        password = env.get(SMTP_PASSWORD_ENV) or None
        if settings.username and not password:
            raise ChannelNotConfiguredError(
                f"email.username is set but {SMTP_PASSWORD_ENV} is not"
            )
        return cls(
            host=settings.host, port=settings.port, from_address=settings.from_address,
            security=settings.security, from_name=settings.from_name,
            username=settings.username, password=password, helo_name=settings.helo_name,
            connect_timeout=settings.connect_timeout_seconds,
            command_timeout=settings.command_timeout_seconds,
            unsubscribe_mailto=settings.unsubscribe_mailto,
        )

    @property
    def sender(self) -> Address:
        """The ``From`` mailbox."""
        try:
            return Address(display_name=one_line(self.from_name), addr_spec=self.from_address)
        except (ValueError, HeaderParseError, IndexError) as error:
            raise ChannelNotConfiguredError(f"email.from_address is invalid: {error}") from error


class EmailChannel:
    """Sends alert emails through one SMTP server."""

    name = "email"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        templates: jinja2.Environment | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._config = config
        self._sender = config.sender
        self._templates = templates or template_environment()
        self._tls = tls_context or ssl.create_default_context()

    def check_target(self, target: str) -> str | None:
        """Why ``target`` is not one plain email address, or ``None``."""
        return check_email_address(target)

    async def send(self, message: AlertMessage, target: str) -> DeliveryResult:
        """Render, compose and send in a worker thread; never raises for SMTP trouble."""
        invalid = check_email_address(target)
        if invalid:
            return DeliveryResult.failed(invalid)
        email = compose_email(
            message, render_email(message, self._templates), to=target, sender=self._sender,
            unsubscribe_mailto=self._config.unsubscribe_mailto,
        )
        return await asyncio.to_thread(deliver_email, self._config, self._tls, email, target)


def compose_email(
    message: AlertMessage,
    rendered: RenderedEmail,
    *,
    to: str,
    sender: Address,
    unsubscribe_mailto: str | None = None,
) -> EmailMessage:
    """The complete email for one delivery (pure; the same bytes on every attempt).

    Bodies are quoted-printable: 7-bit clean with short lines, whatever the article's text.
    """
    email = EmailMessage(policy=EMAIL_POLICY)
    set_subject(email, rendered.subject)
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(message.created)
    email["Message-ID"] = message_id(message.delivery_id, sender.domain)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Newsmon-Delivery"] = header_token(message.delivery_id)
    unsubscribe = list_unsubscribe(message, unsubscribe_mailto)
    if unsubscribe:
        email.set_raw("List-Unsubscribe", unsubscribe)
        if "<https://" in unsubscribe:
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text, cte="quoted-printable")
    email.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    email.set_boundary(mime_boundary(message.delivery_id))
    return email


def set_subject(email: EmailMessage, subject: str) -> None:
    """Set ``Subject`` to ``subject`` on one line, folded and RFC 2047-encoded so that every
    mail client shows it exactly. (The default policy, folding a long subject just before an
    encoded word such as the one " · " needs, keeps the space before the fold and adds one
    after it: "tier  · anthropic-models".)"""
    text = one_line(subject)
    charset = "us-ascii" if text.isascii() else "utf-8"
    folded = Header(text, charset, maxlinelen=76, header_name="Subject").encode()
    email.set_raw("Subject", folded)


def mime_boundary(delivery_id: str) -> str:
    """A boundary derived from the delivery id (unguessable from article text), so every attempt
    of a delivery sends the same bytes."""
    return "=_newsmon_" + hashlib.sha256(b"boundary:" + delivery_id.encode()).hexdigest()[:32]


def message_id(delivery_id: str, domain: str) -> str:
    """``<delivery-id@domain>``: stable, so a retried delivery is recognisably the same mail."""
    return f"<{header_token(delivery_id)}@{domain or 'newsmon.invalid'}>"


def list_unsubscribe(message: AlertMessage, mailto: str | None) -> str | None:
    """``<https://...>, <mailto:...>`` for RFC 2369 / 8058, from validated parts only."""
    uris = []
    one_click = one_click_uri(message.unsubscribe_url)
    if one_click:
        uris.append(one_click)
    if mailto and _MAILBOX.fullmatch(mailto):
        token = one_line(message.unsubscribe_token or "")
        subject = quote(f"unsubscribe {token}".strip(), safe="")
        uris.append(f"<mailto:{mailto}?subject={subject}>")
    return ", ".join(uris) or None


def one_click_uri(unsubscribe_url: str | None) -> str | None:
    """``<https://...>`` for ``List-Unsubscribe`` when the link can be a one-click (RFC 8058)
    unsubscribe: https and a plain URI; else ``None``."""
    url = web_url(unsubscribe_url)
    if url and url.startswith("https://") and _URI.fullmatch(url):
        return f"<{url}>"
    return None


def check_email_address(target: str) -> str | None:
    """Why ``target`` is not a single, plain ``user@domain`` address, or ``None``."""
    if not _MAILBOX.fullmatch(target) or one_line(target) != target:
        return f"invalid email address: {shorten(one_line(target), 80)!r}"
    try:
        parsed = Address(addr_spec=target)
    except (ValueError, HeaderParseError, IndexError):
        return f"invalid email address: {shorten(target, 80)!r}"
    if not parsed.username or not parsed.domain:
        return f"invalid email address: {shorten(target, 80)!r}"
    return None


def deliver_email(
    config: SmtpConfig, tls: ssl.SSLContext, email: EmailMessage, target: str
) -> DeliveryResult:
    """Open a session, send, quit (blocking: run it in a thread)."""
    try:
        smtp = open_session(config, tls)
    except (smtplib.SMTPException, OSError) as error:
        return result_from_smtp_error(error, during_setup=True)
    try:
        smtp.send_message(email, from_addr=config.from_address, to_addrs=[target])
    except (smtplib.SMTPException, OSError) as error:
        return result_from_smtp_error(error, during_setup=False)
    finally:
        _quit(smtp)
    return DeliveryResult.sent(f"accepted by {config.host}", 250)


def open_session(config: SmtpConfig, tls: ssl.SSLContext) -> smtplib.SMTP:
    """Connect (TLS at once, or STARTTLS), greet and log in; every step under a timeout.

    The host is given to the constructor (which connects and reads the greeting under the connect
    timeout) so that TLS verifies the certificate against it; commands get the command timeout.
    """
    helo = config.helo_name or config.from_address.rpartition("@")[2] or "localhost"
    smtp: smtplib.SMTP
    if config.security == "tls":
        smtp = smtplib.SMTP_SSL(config.host, config.port, local_hostname=helo,
                                timeout=config.connect_timeout, context=tls)
    else:
        smtp = smtplib.SMTP(config.host, config.port, local_hostname=helo,
                            timeout=config.connect_timeout)
    try:
        if smtp.sock is not None:
            smtp.sock.settimeout(config.command_timeout)
        smtp.ehlo()
        if config.security == "starttls":
            smtp.starttls(context=tls)
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def result_from_smtp_error(error: Exception, *, during_setup: bool) -> DeliveryResult:
    """Map an ``smtplib`` or socket error to a result (see the module docstring)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        return _by_code(code, reply, "recipient refused")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryResult.retry(
            f"SMTP authentication failed ({error.smtp_code}); check the username and "
            f"{SMTP_PASSWORD_ENV}", error.smtp_code,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, error.smtp_error, "refused")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        detail = f"the server does not support what is required: {error}"
        return DeliveryResult.retry(detail) if during_setup else DeliveryResult.failed(detail)
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return DeliveryResult.retry(f"TLS failed: {one_line(str(error))}")
    if isinstance(error, TimeoutError):
        return DeliveryResult.retry("the SMTP server did not answer in time")
    reason = one_line(str(error)) or type(error).__name__
    return DeliveryResult.retry(f"SMTP connection failed: {reason}")


def _by_code(code: int, reply: bytes | str, what: str) -> DeliveryResult:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    detail = f"SMTP {code} {shorten(one_line(text), 200)}".rstrip()
    if 400 <= code < 500:
        return DeliveryResult.retry(f"{detail} (temporarily {what})", code)
    if 500 <= code < 600:
        return DeliveryResult.failed(f"{detail} ({what})", code)
    return DeliveryResult.retry(detail, code if code > 0 else None)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (plain-text AUTH is tolerated only there)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
