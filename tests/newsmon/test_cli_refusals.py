"""SSRF refusals as an operator meets them on the command line: when a webhook is saved
(``subscribe``), when a feed is added (``sources add``) and when a delivery was refused at send
time (``alerts dead``). Each names the address class and the allow-list entry that admits it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.alerts.delivery_support import Receiver
from tests.support.clock import START

KEY = "k" * 40
HINT = ("to allow it on purpose, add 127.0.0.1 to network.allow_hosts in the config "
        "or to NEWSMON_ALLOW_HOSTS")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def newsmon(home: Path, *args: str, allow: str | None = None, code: int = 0) -> str:
    """Run ``newsmon ARGS`` on the SQLite file in ``home``; ``allow``: NEWSMON_ALLOW_HOSTS."""
    env = {"NEWSMON_HOME": str(home), "NEWSMON_WEBHOOK_SIGNING_KEY": KEY}
    if allow is not None:
        env["NEWSMON_ALLOW_HOSTS"] = allow
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout if "--json" in args else result.output


def test_a_refused_webhook_says_which_class_and_how_to_allow_it(
    tmp_path: Path, receiver: Receiver
) -> None:
    url = receiver.url("/hook")
    refused = newsmon(tmp_path, "subscribe", "company:Meta", "--name", "local",
                      "--webhook", url, code=2)
    assert refused.splitlines() == [
        f"refused {url}: 127.0.0.1 is a private address (loopback); {HINT}"]
    newsmon(tmp_path, "subscribe", "company:Meta", "--name", "local", "--webhook", url,
            allow="127.0.0.1")  # doing what the hint says admits the receiver
    [saved] = json.loads(newsmon(tmp_path, "subscriptions", "list", "--json"))
    assert saved["name"] == "local"


def test_a_refused_feed_url_says_how_to_allow_it(tmp_path: Path) -> None:
    refused = newsmon(tmp_path, "sources", "add", "intranet", "http://10.1.2.3/feed.xml", code=2)
    assert refused.splitlines() == [
        "source: url: refused: 10.1.2.3 is a private address (private network); "
        "to allow it on purpose, add 10.1.2.3 to network.allow_hosts in the config "
        "or to NEWSMON_ALLOW_HOSTS"]


def test_a_delivery_refused_when_sent_shows_the_hint_in_the_dead_letters(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Saved while 127.0.0.1 was allowed; the allow list was emptied before the send."""
    newsmon(tmp_path, "subscribe", "company:Meta", "--name", "local",
            "--webhook", receiver.url("/hook"), allow="127.0.0.1")
    _queue_one_alert(tmp_path, "local")

    assert "dead 1" in newsmon(tmp_path, "alerts", "send")

    [dead] = json.loads(newsmon(tmp_path, "alerts", "dead", "--json"))
    assert dead["last_error"] == f"refused: 127.0.0.1 is a private address (loopback); {HINT}"
    assert receiver.requests() == []


def _queue_one_alert(home: Path, subscription_name: str) -> None:
    """One stored article matched by the subscription: an alert with one queued delivery."""
    storage = Storage.open(f"sqlite:///{home / 'newsmon.sqlite3'}")
    try:
        text = "Meta unveiled Muse Spark on Tuesday. " + " ".join(f"w{n}" for n in range(40))
        stored = storage.articles.store("wire", ExtractedArticle(
            url="https://news.example/muse", title="Meta unveils Muse Spark", text=text),
            origin=ArticleOrigin.PAGE, fetched_at=START)
        subscription = storage.subscriptions.get(subscription_name)
        assert stored.article_id is not None and subscription is not None
        match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta",
                                                     "spans": []},),
                                  tuple(c.id for c in subscription.channels))
        storage.alerts.record_matches(stored.article_id, stored.article_id, [match], START)
    finally:
        storage.close()
