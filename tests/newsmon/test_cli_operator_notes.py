"""What an operator reads on a fresh data directory (a real SQLite file): a subscription saved
to a channel that cannot deliver here says so at once, counts read in the singular, and a bad
allow-list entry is one line naming where it came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.support.clock import START

KEY = "k" * 40
EMAIL_SECTION = ('[email]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
                 'from_address = "alerts@example.org"\n')


def newsmon(home: Path, *args: str, key: bool = False) -> str:
    """``newsmon ARGS`` on ``home``; ``key``: with a webhook signing key in the environment.
    Every other ``NEWSMON_*`` variable of this process is unset for the call."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("NEWSMON_")}
    env["NEWSMON_HOME"] = str(home)
    if key:
        env["NEWSMON_WEBHOOK_SIGNING_KEY"] = KEY
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout if "--json" in args else result.output


def test_subscribing_to_unconfigured_channels_says_the_alerts_will_wait(tmp_path: Path) -> None:
    output = newsmon(tmp_path, "subscribe", "company:Meta", "--name", "both",
                     "--email", "me@example.org", "--webhook", "https://hooks.example.com/x")
    notes = [line for line in output.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: email alerts will wait in the outbox: the email channel is not configured here "
        "(no [email] settings)",
        "note: webhook alerts will wait in the outbox: the webhook channel is not configured "
        "here (set NEWSMON_WEBHOOK_SIGNING_KEY to a random secret of 32+ characters, e.g. "
        'python -c "import secrets; print(secrets.token_hex(32))")',
    ]


def test_subscribing_to_configured_channels_adds_no_note(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(EMAIL_SECTION)
    output = newsmon(tmp_path, "subscribe", "company:Meta", "--name", "both", "--email",
                     "me@example.org", "--webhook", "https://hooks.example.com/x", key=True)
    assert "note:" not in output and "Subscribed 'both'" in output
    assert "note:" not in newsmon(tmp_path, "subscribe", "company:Meta", "--name", "feed-only")


def test_one_source_and_one_waiting_article_read_in_the_singular(tmp_path: Path) -> None:
    newsmon(tmp_path, "init", "--no-sources")
    newsmon(tmp_path, "sources", "add", "wire", "https://news.example/feed.xml")
    storage = Storage.open(f"sqlite:///{tmp_path / 'newsmon.sqlite3'}")
    try:
        storage.articles.store("wire", ExtractedArticle(
            url="https://news.example/a", title="Nvidia rises",
            text="Nvidia shares rose. " + " ".join(f"w{n}" for n in range(40))),
            origin=ArticleOrigin.PAGE, fetched_at=START)
    finally:
        storage.close()
    assert newsmon(tmp_path, "sources", "list").splitlines()[0].strip() == "1 source"
    assert newsmon(tmp_path, "articles", "list").splitlines()[0].strip() == "1 article"
    assert "tagging:   1 article waiting to be tagged" in newsmon(tmp_path, "status")


def test_a_bad_allow_hosts_variable_stops_each_command_with_one_line(tmp_path: Path) -> None:
    """It used to pass ``status`` and crash ``subscribe --webhook`` with a traceback."""
    script = Path(sys.executable).with_name("newsmon")
    env = {**os.environ, "NEWSMON_HOME": str(tmp_path), "NEWSMON_ALLOW_HOSTS": "127.0.0.1,http://x/"}
    for args in (["status"], ["subscribe", "company:Meta", "--name", "m", "--webhook",
                              "https://hooks.example.com/x"]):
        ran = subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                             check=False, timeout=60)
        assert ran.returncode == 2, ran.stderr
        assert ran.stderr == ("error: environment variable NEWSMON_ALLOW_HOSTS: not a host name, "
                              "IP address or network: 'http://x/'\n")


def test_tag_tables_count_in_the_singular(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tag", "-"], input="Nvidia shares rose 3% on Tuesday.",
                                env={"NEWSMON_HOME": str(tmp_path), "NEWSMON_NLP__NER_MODEL": ""},
                                catch_exceptions=False)
    titles = [line.strip() for line in result.output.splitlines() if line.strip()[:1].isdigit()]
    assert titles == ["1 entity", "1 stock reaction"]


def test_a_data_directory_that_cannot_be_created_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    script = Path(sys.executable).with_name("newsmon")
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    for home, why in ((in_the_way, "it is not a directory"),
                      (in_the_way / "home", "Not a directory")):
        ran = subprocess.run([str(script), "--home", str(home), "status"], capture_output=True,
                             text=True, check=False, timeout=60,
                             env={**os.environ, "NEWSMON_HOME": ""})
        assert ran.returncode == 2, ran.stderr
        assert ran.stderr == (f"error: cannot create the data directory {home}: {why} (give "
                              "--home or NEWSMON_HOME a directory this user may create and "
                              "write)\n")


def test_why_a_delivery_is_retrying_is_shown_and_status_points_there(tmp_path: Path) -> None:
    """An email subscription with no [email] settings: its delivery backs off, and says why."""
    newsmon(tmp_path, "subscribe", "company:Nvidia", "--name", "chips", "--email",
            "ops@example.org")
    storage = Storage.open(f"sqlite:///{tmp_path / 'newsmon.sqlite3'}")
    try:
        stored = storage.articles.store("wire", ExtractedArticle(
            url="https://news.example/nv", title="Nvidia rises",
            text="Nvidia shares rose. " + " ".join(f"w{n}" for n in range(40))),
            origin=ArticleOrigin.PAGE, fetched_at=START)
        subscription = storage.subscriptions.get("chips")
        assert stored.article_id is not None and subscription is not None
        storage.alerts.record_matches(stored.article_id, stored.article_id, [SubscriptionMatch(
            subscription.id, ({"kind": "term", "label": "nvidia", "spans": []},),
            tuple(c.id for c in subscription.channels))], START)
    finally:
        storage.close()
    assert "retrying 1" in newsmon(tmp_path, "alerts", "send")

    [job] = json.loads(newsmon(tmp_path, "alerts", "retrying", "--json"))
    assert (job["status"], job["target"], job["attempts"]) == ("retrying", "ops@example.org", 1)
    assert job["last_error"] == "the email channel is not configured"
    table = newsmon(tmp_path, "alerts", "retrying")
    assert table.splitlines()[0].strip() == "1 retrying delivery"
    assert "the email channel is not" in table
    status = " ".join(newsmon(tmp_path, "status").split())
    assert ("outbox: 0 pending, 1 retrying, 0 sent, 0 dead (see `newsmon alerts retrying`)"
            in status)
