"""Injection: an article whose title and summary carry script tags, event handlers, javascript:
links, CR/LF, Rich markup and terminal escapes goes through the real ingest into the database,
then out through every alert channel's rendering and the CLI, escaped or stripped everywhere;
and no template is ever built from a string at run time."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.headerregistry import Address
from pathlib import Path

from typer.testing import CliRunner

from alerts.channels.chat import discord_payload, slack_payload
from alerts.channels.email import compose_email
from alerts.channels.webhook import alert_payload, encode_payload
from alerts.messages import AlertMessage, build_alert_message, render_email, template_environment
from alerts.views import article_view
from config import SourceSpec
from newsmon.app import App, AppOptions
from newsmon.cli import app as cli_app
from pipeline.ingest import ArticleIngestor
from pipeline.types import EntryHints

REPO = Path(__file__).resolve().parents[2]
HOSTILE_TITLE = (
    'Nvidia <script>alert(1)</script> <img src=x onerror="alert(2)"> '
    '<a href="javascript:alert(3)">x</a>\r\nBcc: victim@example.org\r\n'
    "[bold red]PWNED[/bold red] [link=file:///etc/passwd]open[/link] \x1b[2J\x1b]8;;http://x\x07"
)
HOSTILE_SUMMARY = (
    "Nvidia shares moved. <script>document.cookie</script> <b onmouseover=alert(4)>bold</b> "
    "[javascript:alert(5)](javascript:alert(5)) \x1b[31m red \x1b[0m [blink]x[/blink] " * 6
)


def store_hostile_article(home: Path) -> tuple[App, int]:
    """The hostile entry stored by the real ingest (the way a feed entry is stored)."""
    application = App.open(AppOptions(home=home), upgrade=True)
    application.storage.sources.add(SourceSpec(name="wire", url="http://127.0.0.1:9/feed"),
                                    application.clock())
    hints = EntryHints(url="http://127.0.0.1:9/story", title=HOSTILE_TITLE,
                       summary=HOSTILE_SUMMARY, published=None)
    outcome = ArticleIngestor(application.storage).ingest_unfetched("wire", hints)
    assert outcome.article_id is not None, outcome
    return application, outcome.article_id


def hostile_message(application: App, article_id: int) -> AlertMessage:
    view = article_view(application.storage, article_id)
    assert view is not None
    return build_alert_message(
        delivery_id="d-1", subscription="nvda", query="nvidia", article=view, reasons=[],
        created=datetime(2026, 11, 20, 12, tzinfo=UTC),
        unsubscribe_url="https://news.example.org/unsubscribe/t", unsubscribe_token="t",
    )


def test_stored_text_has_no_terminal_escapes(tmp_path: Path) -> None:
    application, article_id = store_hostile_article(tmp_path)
    with application:
        stored = application.storage.articles.get(article_id)
    assert stored is not None and stored.title
    for value in (stored.title, stored.text):
        assert "\x1b" not in value and "\x07" not in value and "\r" not in value


def test_email_subject_and_bodies_are_escaped(tmp_path: Path) -> None:
    application, article_id = store_hostile_article(tmp_path)
    with application:
        message = hostile_message(application, article_id)
    rendered = render_email(message, template_environment())
    email = compose_email(message, rendered, to="reader@example.org",
                          sender=Address("newsmon", "alerts", "example.org"))
    parsed = message_from_bytes(email.as_bytes())
    assert parsed["Bcc"] is None and "victim@" not in str(parsed["To"])  # CR/LF made no header
    assert set(parsed.keys()) == set(email.keys())
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    html = rendered.html.lower()
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    assert not re.search(r"<[^>]+\son\w+\s*=", html)  # no event-handler attribute on any tag
    assert 'href="javascript:' not in html
    assert "\x1b" not in rendered.text and "\x1b" not in rendered.html


def test_webhook_slack_and_discord_payloads_carry_the_text_as_inert_data(tmp_path: Path) -> None:
    application, article_id = store_hostile_article(tmp_path)
    with application:
        message = hostile_message(application, article_id)
    webhook = json.loads(encode_payload(alert_payload(message)))
    assert "<script>" in json.dumps(webhook)  # data, not markup: receivers escape as they show it
    slack = json.dumps(slack_payload(message))
    assert "<javascript:" not in slack and "<script>" not in slack  # Slack's <url|label> syntax
    discord = discord_payload(message)
    embed = discord["embeds"][0]
    for value in (discord["content"], embed["title"], embed["description"]):
        assert not re.search(r"(?<!\\)\]\(javascript:", value), value  # no live masked link
    assert discord.get("allowed_mentions") == {"parse": []}


def test_cli_shows_markup_and_escapes_literally(tmp_path: Path) -> None:
    application, article_id = store_hostile_article(tmp_path)
    application.close()
    env = {"NEWSMON_HOME": str(tmp_path), "COLUMNS": "400"}
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["articles", "list"], env=env)
    shown = runner.invoke(cli_app, ["articles", "show", str(article_id)], env=env)
    for result in (listed, shown):
        assert result.exit_code == 0, result.output
        assert "[bold red]PWNED[/bold red]" in result.output  # shown, not interpreted
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[link=file:///etc/passwd]" in shown.output


def test_no_template_is_ever_compiled_from_a_string() -> None:
    offenders = []
    for package in ("alerts", "newsmon", "pipeline", "crawler", "config"):
        for path in (REPO / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if re.search(r"\bfrom_string\(|jinja2\.Template\(|\bTemplate\(", source):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
