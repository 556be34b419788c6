"""Secrets: the SMTP password and the webhook signing key never appear in logs (captured at DEBUG
during a send whose SMTP login fails and a webhook send that fails), in delivery results, in
``newsmon status`` or in the database; both come only from the environment."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from alerts.channels.email import EmailChannel, SmtpConfig
from alerts.channels.types import DeliveryStatus
from alerts.channels.webhook import WebhookChannel
from alerts.messages import AlertMessage
from alerts.netguard import AllowList, guarded_client
from config.settings import EmailSettings
from newsmon.cli import app as cli_app
from tests.support.db import sqlite_url
from tests.support.http import RouteServer

PASSWORD = "smtp-pass-Q7ZK4W"
SIGNING_KEY = "signing-key-9F3XJ2-0123456789abcdefghijkl"
ALLOW = AllowList.parse(["127.0.0.1"])


def message() -> AlertMessage:
    return AlertMessage(
        delivery_id="d-secret", subscription="nvda", query="nvidia", title="Nvidia story",
        url="http://127.0.0.1:9/a", source="wire", summary="Nvidia moved.",
        created=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def _reject(server: object, session: object, envelope: object, mechanism: str,
            auth_data: object) -> AuthResult:
    return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_failing_smtp_login_and_webhook_send_never_log_or_report_the_secrets(
    caplog: pytest.LogCaptureFixture, hostile_server: RouteServer
) -> None:
    port = free_port()
    smtp = Controller(_Sink(), hostname="127.0.0.1", port=port, authenticator=_reject,
                      auth_require_tls=False)
    smtp.start()
    settings = EmailSettings(host="127.0.0.1", port=port, security="none", username="alerts",
                             from_address="alerts@example.org")
    try:
        with caplog.at_level(logging.DEBUG):
            config = SmtpConfig.from_settings(settings, {"NEWSMON_SMTP_PASSWORD": PASSWORD})
            mailed = asyncio.run(EmailChannel(config).send(message(), "reader@example.org"))
            hooked = asyncio.run(_send_webhook(hostile_server.url("/hook")))
    finally:
        smtp.stop()

    assert mailed.status is DeliveryStatus.RETRY and mailed.status_code == 535
    assert hooked.status is DeliveryStatus.RETRY  # signed, sent, refused by the receiver (501)
    seen = caplog.text + repr(mailed) + repr(hooked) + repr(config)
    for record in caplog.records:
        seen += repr(record.args) + str(record.exc_info)
    assert PASSWORD not in seen and SIGNING_KEY not in seen


async def _send_webhook(url: str):  # type: ignore[no-untyped-def]
    async with guarded_client(ALLOW, timeout=5.0) as client:
        channel = WebhookChannel.from_env(client, {"NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY},
                                          allow=ALLOW, deadline=5.0)
        return await channel.send(message(), url)


def test_status_output_and_the_database_never_hold_the_secrets(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "db")
    (tmp_path / "db").mkdir()
    (tmp_path / "config.toml").write_text(
        '[email]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\nusername = "alerts"\n'
        'from_address = "alerts@example.org"\n')
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_DATABASE_URL": url,
           "NEWSMON_SMTP_PASSWORD": PASSWORD, "NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
           "NEWSMON_ALLOW_HOSTS": "127.0.0.1"}
    runner = CliRunner()
    subscribed = runner.invoke(cli_app, ["subscribe", "nvidia", "--name", "nvda", "--email",
                                         "reader@example.org", "--webhook",
                                         "http://127.0.0.1:9/hook"], env=env)
    assert subscribed.exit_code == 0, subscribed.output
    sent = runner.invoke(cli_app, ["alerts", "send"], env=env)
    status = runner.invoke(cli_app, ["status"], env=env)
    status_json = runner.invoke(cli_app, ["status", "--json"], env=env)
    for result in (subscribed, sent, status, status_json):
        assert PASSWORD not in result.output and SIGNING_KEY not in result.output
    assert status.exit_code == 0, status.output
    dumped = dump_database(url)
    assert "reader@example.org" in dumped  # the dump does see the stored data
    assert PASSWORD not in dumped and SIGNING_KEY not in dumped


def dump_database(url: str) -> str:
    """Every value of every table, as text."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            parts = [
                repr(row)
                for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()
    return "\n".join(parts)
