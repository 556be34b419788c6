"""End to end through the real parts: five outlets run the same story; a subscriber to it gets
exactly one immediate webhook alert, and the other four are folded into it; a query that does
not parse is refused with its position; titles with markup and line breaks arrive escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from tests.alerts.delivery_support import Receiver
from tests.support.http import Reply, RouteServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
KEY = "s" * 40

VERSIONS = [
    ("Meta unveils Muse Spark, its first model from Meta Superintelligence Labs",
     "Meta on Tuesday unveiled Muse Spark, a large language model built by Meta Superintelligence "
     "Labs. The company said Muse Spark rivals systems from OpenAI, Google and Anthropic. "
     "Meta's stock rose 3% following the announcement."),
    ("Meta launches Muse Spark model to take on OpenAI and Google",
     "Meta Platforms launched Muse Spark, the first model from Meta Superintelligence Labs, "
     "on Tuesday. Muse Spark is meant to compete with OpenAI, Google and Anthropic. Shares of "
     "Meta climbed 3% after the launch."),
    ("Muse Spark: Meta Superintelligence Labs ships its first large language model",
     "Meta Superintelligence Labs has shipped Muse Spark, its first large language model, Meta "
     "said on Tuesday. The model will power Meta AI across WhatsApp and Instagram and targets "
     "OpenAI, Google and Anthropic. Meta shares rose 3%."),
    ("Meta bets on closed Muse Spark model in race with OpenAI",
     "With Muse Spark, unveiled on Tuesday, Meta moves away from open models. Muse Spark comes "
     "from Meta Superintelligence Labs and is pitched against OpenAI, Google and Anthropic. "
     "Meta's shares gained 3% on the news."),
    ("Investors cheer Meta's Muse Spark debut",
     "Meta's stock rose 3% on Tuesday after the company unveiled Muse Spark, the first model "
     "from Meta Superintelligence Labs, built to rival OpenAI, Google and Anthropic."),
]


def page(title: str, body: str, index: int) -> bytes:
    filler = " ".join(
        f"<p>Outlet {index} adds context: the model is available in Meta AI, and analysts "
        f"compared its benchmark results with rivals in note {n}.</p>" for n in range(4))
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>"
            f"<meta property='article:published_time' content='2026-11-24T09:0{index}:00Z'>"
            f"</head><body><article><h1>{title}</h1><p>{body}</p>{filler}</article></body>"
            f"</html>").encode()


def feed(title: str, link: str) -> bytes:
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Outlet</title>"
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>").encode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"NEWSMON_HOME": str(tmp_path / "home"), "NEWSMON_DATABASE_URL": database_url,
           "NEWSMON_ALLOW_HOSTS": "127.0.0.1", "NEWSMON_WEBHOOK_SIGNING_KEY": KEY,
           "NEWSMON_CRAWLER__DOWNLOAD_DELAY_SECONDS": "0"}

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.stdout if "--json" in args else result.output

    return invoke


def test_five_outlets_one_story_one_immediate_alert(run, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    server = RouteServer().start()
    try:
        run("init", "--no-sources")
        for index, (title, body) in enumerate(VERSIONS):
            server.route(f"/o{index}/feed.xml", Reply(200, feed(title, server.url(f"/o{index}/a")),
                                                      RSS))
            server.route(f"/o{index}/a", Reply(200, page(title, body, index), HTML))
            run("sources", "add", f"outlet-{index}", server.url(f"/o{index}/feed.xml"))
        run("subscribe", 'company:Meta "Muse Spark"', "--name", "muse",
            "--webhook", receiver.url("/hook"))
        run("subscribe", "company:Nvidia", "--name", "chips", "--webhook", receiver.url("/chips"))
        assert "5 new articles" in run("crawl")
    finally:
        server.stop()
    processed = run("process")
    assert "1 new alert, 4 folded" in processed
    assert "sent 1," in run("alerts", "send")
    assert "sent 0," in run("alerts", "send")
    [request] = receiver.requests("/hook")
    payload = json.loads(request.body)
    assert payload["schema"] == "newsmon.alert/1"
    assert receiver.requests("/chips") == []
    [alert] = json.loads(run("alerts", "list", "--json"))
    assert alert["coverage"] == 5 and alert["subscription"] == "muse"
    status = json.loads(run("status", "--json"))
    assert status["outbox"] == {"pending": 0, "retrying": 0, "sent": 1, "dead": 0}
    assert status["subscriptions"] == 2
    shown = " ".join(run("status").split())  # for people: words, not a dict
    assert "2 subscriptions (0 paused); outbox: 0 pending, 0 retrying, 1 sent, 0 dead" in shown


def test_a_query_that_does_not_parse_is_refused_with_its_position(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    output = run("subscribe", "company:Meta AND (", "--name", "bad", code=2)
    assert "^" in output and "expected" in output
    output = run("subscribe", "company:Nvdia", "--name", "typo", code=2)
    assert "did you mean" in output and "Nvidia" in output
    refused = run("subscribe", "x", "--name", "ssrf", "--webhook", "http://169.254.169.254/x",
                  code=2)
    assert "refused" in refused
    assert json.loads(run("subscriptions", "list", "--json")) == []


def test_subscribing_to_a_model_the_catalog_lacks_says_what_it_matches(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    output = " ".join(run("subscribe", 'model:"GPT-5.5"', "--name", "next-gpt").split())
    assert ('note: model:GPT-5.5 is not in the catalog: it matches models the tagger finds '
            'named "GPT-5.5"; did you mean GPT-5.2') in output
    [subscription] = json.loads(run("subscriptions", "list", "--json"))
    assert subscription["query"] == 'model:"GPT-5.5"'
    assert "did you mean" in run("subscribe", "model:Cluade", "--name", "typo", code=2)


def test_the_days_digest_shows_the_story_once_with_its_outlets(  # type: ignore[no-untyped-def]
    run, receiver: Receiver
) -> None:
    server = RouteServer().start()
    try:
        run("init", "--no-sources")
        for index, (title, body) in enumerate(VERSIONS[:3]):
            server.route(f"/o{index}/feed.xml", Reply(200, feed(title, server.url(f"/o{index}/a")),
                                                      RSS))
            server.route(f"/o{index}/a", Reply(200, page(title, body, index), HTML))
            run("sources", "add", f"outlet-{index}", server.url(f"/o{index}/feed.xml"))
        run("subscribe", '"Muse Spark"', "--name", "muse", "--frequency", "daily",
            "--webhook", receiver.url("/digest"))
        run("crawl")
    finally:
        server.stop()
    assert "1 new alert, 2 folded" in run("process")
    document = json.loads(run("digest", "--subscription", "muse", "--format", "json"))
    assert document["schema"] == "newsmon.digest/1"
    [story] = document["stories"]
    assert len(story["outlets"]) == 3
    assert any(story["story_id"] in section["story_ids"] for section in document["sections"])
    html = run("digest", "--subscription", "muse", "--format", "html")
    assert "<script" not in html and "Muse Spark" in html
    assert receiver.requests("/digest") == []  # daily: nothing was sent per alert
    assert "webhook" in run("digest", "--subscription", "muse", "--send")
    assert "already sent" in run("digest", "--subscription", "muse", "--send")
    [posted] = receiver.requests("/digest")
    assert json.loads(posted.body)["schema"] == "newsmon.digest/1"
    assert posted.headers["newsmon-delivery"].startswith("digest-")


def test_alerts_test_shows_each_match_with_excerpts_of_the_text_marked(run) -> None:  # type: ignore[no-untyped-def]
    """A query tried before subscribing: the count, each matching article with why, and where
    in the text it matched (a match only in the body must still be visible)."""
    body = ("Utilities are racing to sign data-centre customers. Among the buyers of new nuclear "
            "power are Amazon and Meta, which signed a [bold]deal[/bold] with a reactor "
            "developer last month. " + "Other filler text about the grid. " * 30)
    server = RouteServer().start()
    try:
        run("init", "--no-sources")
        server.route("/feed.xml", Reply(200, feed("Utilities court the AI boom",
                                                  server.url("/a")), RSS))
        server.route("/a", Reply(200, page("Utilities court the AI boom", body, 1), HTML))
        server.route("/m/feed.xml", Reply(200, feed(VERSIONS[0][0], server.url("/m/a")), RSS))
        server.route("/m/a", Reply(200, page(*VERSIONS[0], 2), HTML))
        run("sources", "add", "grid", server.url("/feed.xml"))
        run("sources", "add", "wire", server.url("/m/feed.xml"))
        assert "2 new articles" in run("crawl")
    finally:
        server.stop()
    output = " ".join(run("alerts", "test", "company:Meta", "--since", "3650d").split())
    assert "2 of 2 articles since" in output
    assert "Utilities court the AI boom" in output and "company:Meta" in output
    # the body-only match is shown in context, cut with "…", the article's markup kept as text
    assert "are Amazon and Meta, which signed a [bold]deal[/bold] with a reactor" in output
    assert "last month. Other filler text about…" in output  # cut at a word, marked as cut
    nothing = run("alerts", "test", '"fusion reactor"', "--since", "3650d")
    assert "0 of 2 articles since" in nothing
    unknown = " ".join(run("alerts", "test", 'model:"GPT-5.5"', "--since", "3650d").split())
    assert "note: model:GPT-5.5 is not in the catalog" in unknown
    assert "0 of 2 articles since" in unknown


def test_one_alert_reads_in_the_singular_and_show_gives_the_schedule_and_latest_alerts(  # type: ignore[no-untyped-def]
    run, tmp_path: Path,
) -> None:
    server = RouteServer().start()
    try:
        run("init", "--no-sources")
        server.route("/feed.xml", Reply(200, feed(VERSIONS[0][0], server.url("/a")), RSS))
        server.route("/a", Reply(200, page(*VERSIONS[0], 1), HTML))
        run("sources", "add", "wire", server.url("/feed.xml"))
        run("subscribe", '"Muse Spark"', "--name", "muse")
        run("subscribe", "company:Nvidia", "--name", "chips", "--frequency", "daily",
            "--digest-time", "07:30", "--tz", "Europe/Paris")
        run("crawl")
    finally:
        server.stop()
    run("process")
    assert run("alerts", "list").split()[:2] == ["1", "alert"]  # the table's title
    assert run("alerts", "dead").split()[:3] == ["0", "dead", "deliveries"]
    assert run("subscriptions", "list").split()[:2] == ["2", "subscriptions"]
    shown = run("subscriptions", "show", "muse")
    assert "frequency: immediate\n" in shown and "digest" not in shown  # no digest time
    assert f"{VERSIONS[0][0][:40]}" in " ".join(shown.split())  # its latest alert
    daily = run("subscriptions", "show", "chips")
    assert "frequency: daily digest at 07:30 Europe/Paris" in daily
    assert "alerts:    none yet" in daily
    written = run("alerts", "feed", "muse", "--out", str(tmp_path / "muse.atom"))
    assert "Wrote 1 alert to" in " ".join(written.split())
