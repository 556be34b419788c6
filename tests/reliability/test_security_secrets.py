"""Secrets: the SMTP password and the webhook signing key never appear in logs (captured at DEBUG
during a send whose SMTP login fails and a webhook send that fails), in delivery results, in
``newsmon status`` or in the database; both come only from the environment. Slack and Discord
webhook URLs (bearer credentials) are sealed in the database with ``NEWSMON_SECRET_KEY`` and
redacted in every output, log and error; without a key they are refused."""

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
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.models import ChannelRow
from pipeline.storage.sealing import SecretKeyError, TargetCipher
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.alerts.delivery_support import Receiver
from tests.alerts.delivery_support import Reply as DeliveryReply
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


# ---- Slack and Discord webhook URLs: sealed at rest, redacted wherever shown ----------------

SECRET_KEY = "operator-secret-key-5Hq2Lw9Xv3Rt8Np1Bz6Kd"
SLACK_TOKEN = "SLACKtoken0123456789abcd"
DISCORD_TOKEN = "DISCORDtoken-aZ09_qwertyuiopasdfgh"


def _cli_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    return {"NEWSMON_HOME": str(tmp_path), "NEWSMON_DATABASE_URL": url,
            "NEWSMON_ALLOW_HOSTS": "127.0.0.1", "NEWSMON_LOGGING__LEVEL": "DEBUG", **extra}


def _match_article(url: str, cipher: TargetCipher | None) -> None:
    """Store an article and record that the subscription ``chat`` matched it (its deliveries
    are queued on every channel)."""
    storage = Storage.open(url, cipher=cipher)
    try:
        outcome = storage.articles.store("wire", ExtractedArticle(
            url="https://news.example/muse", title="Meta unveils Muse Spark",
            text="Meta unveiled Muse Spark. " + " ".join(f"w{n}" for n in range(40))),
            origin=ArticleOrigin.PAGE, fetched_at=datetime(2026, 11, 20, 12, tzinfo=UTC))
        subscription = storage.subscriptions.get("chat")
        assert outcome.article_id is not None and subscription is not None
        match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta",
                                                      "spans": []},),
                                  tuple(c.id for c in subscription.channels))
        storage.alerts.record_matches(outcome.article_id, outcome.article_id, [match],
                                      datetime(2026, 11, 20, 12, tzinfo=UTC))
    finally:
        storage.close()


def test_slack_and_discord_urls_are_sealed_in_the_database_and_redacted_everywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver().start()
    receiver.reply(f"/api/webhooks/123/{DISCORD_TOKEN}", DeliveryReply(404, b"Unknown Webhook"))
    slack = receiver.url(f"/services/T000/B000/{SLACK_TOKEN}")
    discord = receiver.url(f"/api/webhooks/123/{DISCORD_TOKEN}")
    url = sqlite_url(tmp_path)
    env = _cli_env(tmp_path, url, NEWSMON_SECRET_KEY=SECRET_KEY)
    runner = CliRunner()
    try:
        with caplog.at_level(logging.DEBUG):
            subscribed = runner.invoke(cli_app, ["subscribe", "meta", "--name", "chat",
                                                 "--slack", slack, "--discord", discord], env=env)
            assert subscribed.exit_code == 0, subscribed.output
            _match_article(url, TargetCipher.from_key(SECRET_KEY))
            sent = runner.invoke(cli_app, ["alerts", "send"], env=env)
            shown = [runner.invoke(cli_app, args, env=env) for args in (
                ["subscriptions", "list"], ["subscriptions", "list", "--json"],
                ["subscriptions", "show", "chat"], ["subscriptions", "show", "chat", "--json"],
                ["alerts", "dead"], ["alerts", "dead", "--json"], ["status"],
                ["status", "--json"])]
    finally:
        receiver.stop()

    [posted] = receiver.requests(f"/services/T000/B000/{SLACK_TOKEN}")  # delivery still works
    assert b"Muse Spark" in posted.body
    assert len(receiver.requests(f"/api/webhooks/123/{DISCORD_TOKEN}")) == 1  # 404: dead
    assert "/services/T000/B000/…" in subscribed.output
    assert "/api/webhooks/123/…" in shown[3].output and "404" in shown[5].output
    everything = caplog.text + "".join(r.output for r in (subscribed, sent, *shown))
    everything += "".join(repr(record.args) for record in caplog.records)
    assert SLACK_TOKEN not in everything and DISCORD_TOKEN not in everything
    dumped = dump_database(url)
    assert "sealed:v1:" in dumped and "/services/T000/B000/…" in dumped
    assert SLACK_TOKEN not in dumped and DISCORD_TOKEN not in dumped


def test_without_a_key_slack_and_discord_channels_are_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    runner = CliRunner()
    slack = f"http://127.0.0.1:9/services/T000/B000/{SLACK_TOKEN}"
    refused = runner.invoke(cli_app, ["subscribe", "meta", "--name", "chat", "--slack", slack],
                            env=_cli_env(tmp_path, url))
    assert refused.exit_code == 2 and "NEWSMON_SECRET_KEY" in refused.output
    assert SLACK_TOKEN not in refused.output
    short = runner.invoke(cli_app, ["subscribe", "meta", "--name", "chat", "--slack", slack],
                          env=_cli_env(tmp_path, url, NEWSMON_SECRET_KEY="short"))
    assert short.exit_code != 0
    assert "at least 32 characters" in str(short.exception) + short.output
    assert "chat" not in dump_database(url)
    with pytest.raises(SecretKeyError):  # the store itself refuses too
        storage = Storage.open(url)
        try:
            storage.subscriptions.add(NewSubscription("chat", "meta", channels=(
                ("slack", slack),)), datetime(2026, 11, 20, tzinfo=UTC))
        finally:
            storage.close()


def test_urls_stored_in_clear_are_sealed_by_db_upgrade_and_a_wrong_key_only_delays(
    tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    storage = Storage.open(url)
    storage.upgrade()
    added = storage.subscriptions.add(NewSubscription("chat", "meta"), datetime.now(UTC))
    assert added is not None
    slack = f"http://127.0.0.1:9/services/T000/B000/{SLACK_TOKEN}"
    with storage.sessions.write() as session:  # as a version before sealing stored it
        session.add(ChannelRow(subscription_id=added.id, kind="slack", target=slack))
    storage.close()
    runner = CliRunner()

    without_key = runner.invoke(cli_app, ["db", "upgrade"], env=_cli_env(tmp_path, url))
    assert "stored in clear" in without_key.output and SLACK_TOKEN not in without_key.output
    assert SLACK_TOKEN in dump_database(url)  # nothing to seal with yet
    upgraded = runner.invoke(cli_app, ["db", "upgrade"],
                             env=_cli_env(tmp_path, url, NEWSMON_SECRET_KEY=SECRET_KEY))
    assert "Sealed 1 Slack/Discord webhook URL(s)" in upgraded.output
    assert SLACK_TOKEN not in dump_database(url)

    sealed = Storage.open(url, cipher=TargetCipher.from_key(SECRET_KEY))
    other = Storage.open(url, cipher=TargetCipher.from_key("another-key-" + "x" * 30))
    try:
        chat = sealed.subscriptions.get("chat")
        assert chat is not None and chat.channels[0].target == slack  # opened with the key
        wrong = other.subscriptions.get("chat")
        assert wrong is not None and wrong.channels[0].target == ""
        assert "another NEWSMON_SECRET_KEY" in (wrong.channels[0].unreadable or "")
        assert wrong.channels[0].shown == "http://127.0.0.1:9/services/T000/B000/…"
    finally:
        sealed.close()
        other.close()
    _match_article(url, None)
    sent = runner.invoke(cli_app, ["alerts", "send"], env=_cli_env(
        tmp_path, url, NEWSMON_SECRET_KEY="another-key-" + "x" * 30))
    assert "1 retrying" in sent.output or "retrying 1" in sent.output, sent.output
    listed = dump_database(url)
    assert "sealed with another NEWSMON_SECRET_KEY" in listed  # the delivery's last error


def test_the_key_rotates_with_the_old_one_in_newsmon_old_secret_keys(tmp_path: Path) -> None:
    """Sealed with key A; the operator moves to key B with A in NEWSMON_OLD_SECRET_KEYS: the
    channel still opens, ``db upgrade`` re-seals it with B, and afterwards B alone opens it."""
    url = sqlite_url(tmp_path)
    new_key = "rotated-operator-key-" + "y" * 20
    slack = f"http://127.0.0.1:9/services/T000/B000/{SLACK_TOKEN}"
    runner = CliRunner()
    subscribed = runner.invoke(cli_app, ["subscribe", "meta", "--name", "chat", "--slack", slack],
                               env=_cli_env(tmp_path, url, NEWSMON_SECRET_KEY=SECRET_KEY))
    assert subscribed.exit_code == 0, subscribed.output
    sealed_with_a = dump_database(url)

    def target(cipher: TargetCipher) -> str:
        storage = Storage.open(url, cipher=cipher)
        try:
            chat = storage.subscriptions.get("chat")
            assert chat is not None
            return chat.channels[0].target
        finally:
            storage.close()

    assert target(TargetCipher.from_key(new_key)) == ""  # B alone cannot open A's seal yet
    both = _cli_env(tmp_path, url, NEWSMON_SECRET_KEY=new_key,
                    NEWSMON_OLD_SECRET_KEYS=f"unrelated-{'z' * 30}, {SECRET_KEY}")
    assert target(TargetCipher.from_env(both) or TargetCipher.from_key(new_key)) == slack
    upgraded = runner.invoke(cli_app, ["db", "upgrade"], env=both)
    assert "Re-sealed 1 Slack/Discord webhook URL(s)" in upgraded.output, upgraded.output
    assert dump_database(url) != sealed_with_a and SLACK_TOKEN not in dump_database(url)
    assert target(TargetCipher.from_key(new_key)) == slack  # the old key is no longer needed
    assert target(TargetCipher.from_key(SECRET_KEY)) == ""  # and no longer opens it
    again = runner.invoke(cli_app, ["db", "upgrade"], env=both)
    assert "Re-sealed" not in again.output  # nothing left on the old key

    lost = runner.invoke(cli_app, ["db", "upgrade"], env=_cli_env(
        tmp_path, url, NEWSMON_SECRET_KEY="a-third-key-" + "q" * 30))
    assert "neither NEWSMON_SECRET_KEY nor in NEWSMON_OLD_SECRET_KEYS" in lost.output
    with pytest.raises(SecretKeyError):  # old keys without a new one: a clear error
        TargetCipher.from_env({"NEWSMON_OLD_SECRET_KEYS": SECRET_KEY})
    with pytest.raises(SecretKeyError, match="NEWSMON_OLD_SECRET_KEYS"):
        TargetCipher.from_env({"NEWSMON_SECRET_KEY": new_key, "NEWSMON_OLD_SECRET_KEYS": "short"})
