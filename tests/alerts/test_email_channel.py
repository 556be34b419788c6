"""The email channel against a real aiosmtpd server: MIME structure, headers, reply mapping, TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.channels import ChannelNotConfiguredError, DeliveryResult, DeliveryStatus
from alerts.channels.email import EmailChannel, SmtpConfig, compose_email
from alerts.messages import AlertMessage, render_email, template_environment
from tests.alerts.delivery_support import free_port, sample_message

READER = "reader@example.com"


class RecordingHandler:
    """Accepts mail (or answers with a canned reply) and keeps what it received."""

    def __init__(self) -> None:
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int
    controller: Controller = field(repr=False)

    def config(self, **overrides: Any) -> SmtpConfig:
        values: dict[str, Any] = {
            "host": "127.0.0.1", "port": self.port, "from_address": "alerts@newsmon.example.org",
            "security": "none", "connect_timeout": 2.0, "command_timeout": 2.0,
            "unsubscribe_mailto": "unsubscribe@newsmon.example.org",
        }
        return SmtpConfig(**{**values, **overrides})

    def only_message(self) -> EmailMessage:
        [(_, _, content)] = self.handler.received
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def start_server(**smtp_options: Any) -> SmtpServer:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    return SmtpServer(handler, port, controller)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_server()
    yield server
    server.controller.stop()


def send(config: SmtpConfig, message: AlertMessage | None = None, target: str = READER,
         tls: ssl.SSLContext | None = None) -> DeliveryResult:
    channel = EmailChannel(config, tls_context=tls)
    return asyncio.run(channel.send(message or sample_message(), target))


# ---- What arrives -----------------------------------------------------------------------------


def test_alert_arrives_as_multipart_alternative_text_and_html(smtp: SmtpServer) -> None:
    result = send(smtp.config())
    assert result.status is DeliveryStatus.SENT and result.status_code == 250
    [(mail_from, rcpt_tos, _)] = smtp.handler.received
    assert (mail_from, rcpt_tos) == ("alerts@newsmon.example.org", [READER])
    email = smtp.only_message()
    assert email.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in email.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None and html is not None
    assert "Meta unveils *Muse Spark*" not in text.get_content()  # title is not marked in text
    assert "*Muse Spark*" in text.get_content()
    assert '<a href="https://news.example.com/meta-muse-spark"' in html.get_content()
    assert "<mark" in html.get_content()
    assert email["From"] == "newsmon <alerts@newsmon.example.org>"
    assert email["To"] == READER
    assert email["Auto-Submitted"] == "auto-generated"


def test_script_in_a_title_is_escaped_in_html(smtp: SmtpServer) -> None:
    message = sample_message(title="Muse Spark <script>alert('x')</script> & more")
    assert send(smtp.config(), message).status is DeliveryStatus.SENT
    html = smtp.only_message().get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in body
    text = smtp.only_message().get_body(("plain",))
    assert text is not None and "<script>alert('x')</script> & more" in text.get_content()


def test_line_breaks_in_a_title_cannot_inject_headers(smtp: SmtpServer) -> None:
    message = sample_message(title="Muse Spark\r\nBcc: victim@example.net\nX-Evil: 1\u2028end")
    assert send(smtp.config(), message).status is DeliveryStatus.SENT
    [(_, rcpt_tos, raw)] = smtp.handler.received
    assert rcpt_tos == [READER]
    email = smtp.only_message()
    assert email["Bcc"] is None and email["X-Evil"] is None
    assert email["Subject"] == "Muse Spark Bcc: victim@example.net X-Evil: 1 end · meta-models"
    assert b"\r\nBcc:" not in raw and b"\nX-Evil:" not in raw


@pytest.mark.parametrize("title", [
    "OpenAI cuts GPT-5.5 prices by 40% and adds a cheaper 'mini' tier",  # folds before " · "
    "Anthropic's valuation rises to $420 billion in new funding round",
    "Mistral AI raises €3.4 billion as Europe's AI champion seeks scale",
    "Zürich lab's model beats München and Genève rivals on every benchmark the team could find",
])
def test_a_long_subject_arrives_exactly_as_written(smtp: SmtpServer, title: str) -> None:
    assert send(smtp.config(), sample_message(title=title, subscription="anthropic-models")
                ).status is DeliveryStatus.SENT
    [(_, _, raw)] = smtp.handler.received
    assert smtp.only_message()["Subject"] == f"{title} · anthropic-models"
    folded = raw.split(b"Subject: ", 1)[1].split(b"\r\nFrom: ")[0].split(b"\r\n")
    assert max(len(line) for line in folded) <= 78


def test_list_unsubscribe_headers_one_click(smtp: SmtpServer) -> None:
    long_url = "https://newsmon.example.org/unsubscribe/" + "t" * 120
    message = sample_message(unsubscribe_url=long_url, unsubscribe_token="tok-abc")
    assert send(smtp.config(), message).status is DeliveryStatus.SENT
    email = smtp.only_message()
    assert email["List-Unsubscribe"] == (
        f"<{long_url}>, <mailto:unsubscribe@newsmon.example.org?subject=unsubscribe%20tok-abc>")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw_headers = smtp.handler.received[0][2].split(b"\r\n\r\n")[0]
    assert f"List-Unsubscribe: <{long_url}>, <mailto:".encode() in raw_headers  # not encoded


def test_no_one_click_header_without_an_https_unsubscribe_url() -> None:
    message = sample_message(unsubscribe_url="javascript:alert(1)")
    email = compose(message, unsubscribe_mailto=None)
    assert email["List-Unsubscribe"] is None and email["List-Unsubscribe-Post"] is None


def compose(message: AlertMessage, unsubscribe_mailto: str | None = "u@newsmon.example.org"
            ) -> EmailMessage:
    config = SmtpConfig(host="127.0.0.1", port=25, from_address="alerts@newsmon.example.org")
    rendered = render_email(message, template_environment())
    return compose_email(message, rendered, to=READER, sender=config.sender,
                         unsubscribe_mailto=unsubscribe_mailto)


def test_message_id_is_stable_per_delivery_id(smtp: SmtpServer) -> None:
    first = compose(sample_message(delivery_id="dlv-42"))
    again = compose(sample_message(delivery_id="dlv-42"))
    other = compose(sample_message(delivery_id="dlv-43"))
    assert first["Message-ID"] == again["Message-ID"] == "<dlv-42@newsmon.example.org>"
    assert other["Message-ID"] != first["Message-ID"]
    assert first.as_bytes() == again.as_bytes()
    odd = compose(sample_message(delivery_id="weird id\r\n<>"))
    assert odd["Message-ID"].startswith("<sha256-") and "\n" not in odd["Message-ID"]
    assert send(smtp.config(), sample_message(delivery_id="dlv-42")).status is DeliveryStatus.SENT
    assert smtp.only_message()["Message-ID"] == "<dlv-42@newsmon.example.org>"
    assert smtp.only_message()["Date"] == "Fri, 20 Nov 2026 12:00:00 +0000"


# ---- Reply mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "reply", "status", "code"),
    [("rcpt", "451 4.3.0 Mailbox temporarily unavailable", DeliveryStatus.RETRY, 451),
     ("data", "421 4.3.2 Service shutting down", DeliveryStatus.RETRY, 421),
     ("data", "452 4.3.1 Insufficient system storage", DeliveryStatus.RETRY, 452),
     ("rcpt", "550 5.1.1 No such user", DeliveryStatus.FAILED, 550),
     ("data", "554 5.7.1 Message rejected as spam", DeliveryStatus.FAILED, 554)],
)
def test_smtp_replies_map_to_results(smtp: SmtpServer, stage: str, reply: str,
                                     status: DeliveryStatus, code: int) -> None:
    setattr(smtp.handler, f"{stage}_reply", reply)
    result = send(smtp.config())
    assert (result.status, result.status_code) == (status, code)
    assert reply.split(" ", 1)[1] in result.detail
    assert smtp.handler.received == []


def test_server_down_is_retried() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), from_address="a@newsmon.example.org",
                        security="none", connect_timeout=1.0)
    result = send(config)
    assert result.status is DeliveryStatus.RETRY
    assert "refused" in result.detail.lower()


def test_silent_server_times_out_and_is_retried() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        config = SmtpConfig(host="127.0.0.1", port=silent.getsockname()[1], security="none",
                            from_address="a@newsmon.example.org", connect_timeout=0.3,
                            command_timeout=0.3)
        result = send(config)
    assert result.status is DeliveryStatus.RETRY
    assert "timed out" in result.detail


def test_starttls_required_but_not_offered_is_retried_and_nothing_sent(smtp: SmtpServer) -> None:
    result = send(smtp.config(security="starttls"))
    assert result.status is DeliveryStatus.RETRY
    assert "STARTTLS" in result.detail
    assert smtp.handler.received == []


def test_invalid_recipient_fails_without_connecting() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), from_address="a@newsmon.example.org")
    for target in ("not-an-address", "a@b.example\r\nRCPT TO:<x@y.example>", "a@x.example, b@y"):
        result = send(config, target=target)
        assert result.status is DeliveryStatus.FAILED
        assert result.detail.startswith("invalid email address")


# ---- TLS and credentials ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, and client/server contexts trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return Tls(server, ssl.create_default_context(cafile=str(cert_file)))


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"alerts", b"s3cret-password")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def tls_smtp(tls: Tls) -> Iterator[SmtpServer]:
    server = start_server(tls_context=tls.server, require_starttls=True,
                          authenticator=_authenticator, auth_require_tls=True)
    yield server
    server.controller.stop()


def test_starttls_and_login_deliver(tls_smtp: SmtpServer, tls: Tls) -> None:
    config = tls_smtp.config(security="starttls", username="alerts", password="s3cret-password")
    result = send(config, tls=tls.client)
    assert result.status is DeliveryStatus.SENT, result.detail
    assert len(tls_smtp.handler.received) == 1


def test_wrong_password_is_retried_without_leaking_it(tls_smtp: SmtpServer, tls: Tls) -> None:
    config = tls_smtp.config(security="starttls", username="alerts", password="wrong-secret")
    result = send(config, tls=tls.client)
    assert result.status is DeliveryStatus.RETRY and result.status_code == 535
    assert "wrong-secret" not in result.detail and "wrong-secret" not in repr(config)


def test_untrusted_certificate_is_retried(tls_smtp: SmtpServer) -> None:
    config = tls_smtp.config(security="starttls", username="alerts", password="s3cret-password")
    result = send(config, tls=ssl.create_default_context())
    assert result.status is DeliveryStatus.RETRY
    assert "TLS failed" in result.detail and "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert tls_smtp.handler.received == []


def test_implicit_tls_delivers(tls: Tls) -> None:
    server = start_server(ssl_context=tls.server)
    try:
        result = send(server.config(security="tls"), tls=tls.client)
        assert result.status is DeliveryStatus.SENT, result.detail
        assert len(server.handler.received) == 1
    finally:
        server.controller.stop()


# ---- Configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailSettingsStub:
    host: str = "smtp.example.org"
    port: int = 587
    security: str = "starttls"
    username: str | None = "alerts"
    from_address: str = "alerts@newsmon.example.org"
    from_name: str = "newsmon"
    helo_name: str | None = None
    connect_timeout_seconds: float = 10.0
    command_timeout_seconds: float = 30.0
    unsubscribe_mailto: str | None = None


def test_password_comes_only_from_the_environment() -> None:
    with pytest.raises(ChannelNotConfiguredError, match="NEWSMON_SMTP_PASSWORD"):
        SmtpConfig.from_settings(EmailSettingsStub(), {})
    config = SmtpConfig.from_settings(EmailSettingsStub(), {"NEWSMON_SMTP_PASSWORD": "pw-123"})
    assert config.password == "pw-123" and "pw-123" not in repr(config)
    with pytest.raises(ChannelNotConfiguredError, match="clear text"):
        SmtpConfig.from_settings(EmailSettingsStub(security="none"),
                                 {"NEWSMON_SMTP_PASSWORD": "pw"})
    with pytest.raises(ChannelNotConfiguredError, match="security"):
        SmtpConfig(host="h", port=25, from_address="a@b.example", security="ssl")
