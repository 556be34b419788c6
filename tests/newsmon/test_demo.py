"""``newsmon demo`` end to end in fast mode: the real daemon on an accelerated clock over the
sample site, a real SMTP sink and webhook receiver on 127.0.0.1, a SQLite database in tmp_path.

The assertions read what the sinks received, what the database holds and the digest files;
nothing is timed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app as cli
from newsmon.demo.catalog import load_catalog
from newsmon.demo.clock import AcceleratedClock
from newsmon.demo.runner import DemoResult, run_demo
from newsmon.demo.scenario import DIGEST_SUBSCRIPTION, demo_plan
from newsmon.demo.schedule import DemoTimeline, spread_over_day
from pipeline.storage import Storage
from tests.support.db import sqlite_url

DAY = date(2026, 11, 20)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoResult, Storage]]:
    home = tmp_path_factory.mktemp("demo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSMON_WEBHOOK_SIGNING_KEY", "demo-test-key")
        result = run_demo(home, demo_plan(DAY, fast=True), ner=False)
    storage = Storage.open(sqlite_url(home))
    yield result, storage
    storage.close()


@pytest.mark.slow
def test_the_day_runs_to_its_digest(demo: tuple[DemoResult, Storage]) -> None:
    result, _ = demo
    assert result.digest_sent and not result.stopped_early
    assert sum(result.stats.errors.values()) == 0
    assert result.stats.executed["process"] >= 1 and result.stats.executed["digests"] >= 1


@pytest.mark.slow
def test_stories_came_out_during_the_run_and_subscribers_were_alerted(
    demo: tuple[DemoResult, Storage],
) -> None:
    result, storage = demo
    total = len(load_catalog().stories)
    assert len(result.published_before) == result.plan.timeline.backlog
    assert len(result.published_during) == total - result.plan.timeline.backlog
    assert all(item.published > result.plan.start for item in result.published_during)
    alerted = {item.title for item in result.alerted_during}
    delivered_titles = {words(m.subject) for m in result.mails} | {
        words(p["article"]["title"]) for p in result.payloads if "article" in p}
    assert any(words(title) in subject for title in alerted for subject in delivered_titles), (
        "no alert about a story published mid-run reached the sinks")
    assert storage.articles.count() >= total - 2  # two stories are feed entries without pages


@pytest.mark.slow
def test_every_sent_delivery_reached_the_sink_or_the_receiver_once(
    demo: tuple[DemoResult, Storage],
) -> None:
    result, storage = demo
    sent = storage.alerts.deliveries(status="sent", limit=1000)
    alert_mails = [m for m in result.mails if not m.subject.startswith("newsmon digest:")]
    alert_posts = [p for p in result.payloads if "article" in p]
    by_kind = {kind: [d for d in sent if d.channel_kind == kind] for kind in ("email", "webhook")}
    assert by_kind["email"] and by_kind["webhook"]
    assert len(alert_mails) == len(by_kind["email"])
    assert len(alert_posts) == len(by_kind["webhook"])
    for delivery in by_kind["email"]:
        alert = storage.alerts.get(delivery.alert_id)
        assert alert is not None and alert.title
        assert any(words(alert.title) in words(m.subject) for m in alert_mails), alert.title
    posted = [(p["subscription"]["name"], words(p["article"]["title"])) for p in alert_posts]
    for delivery in by_kind["webhook"]:
        alert = storage.alerts.get(delivery.alert_id)
        assert alert is not None and (alert.subscription, words(alert.title or "")) in posted


@pytest.mark.slow
def test_the_muse_spark_subscriber_hears_of_the_launch_not_of_a_passing_mention(
    demo: tuple[DemoResult, Storage],
) -> None:
    """``lead:(model:"Muse Spark")``: the launch coverage alerts; the Databricks story, which
    names Muse Spark and Meta only in its fifth paragraph, does not."""
    _, storage = demo
    subscription = storage.subscriptions.get("muse-spark")
    assert subscription is not None
    titles = [words(title) for alert in storage.alerts.alerts(
        subscription_id=subscription.id, limit=1000)
        for article_id in storage.alerts.story_articles(alert.id)
        if (article := storage.articles.get(article_id)) and (title := article.title)]
    assert any("Muse Spark" in title for title in titles), titles
    assert not any("Databricks" in title for title in titles), titles


@pytest.mark.slow
def test_the_daily_digest_was_sent_and_written_with_the_days_stories(
    demo: tuple[DemoResult, Storage],
) -> None:
    result, storage = demo
    subscription = storage.subscriptions.get(DIGEST_SUBSCRIPTION)
    assert subscription is not None
    day_start = datetime.combine(DAY, datetime.min.time(), UTC)
    alerts = [a for a in storage.alerts.alerts(subscription_id=subscription.id, limit=1000)
              if day_start <= a.created_at < day_start + timedelta(days=1)]
    assert len(alerts) >= 5
    files = {path.suffix: path for path in result.digest_files}
    assert set(files) == {".html", ".txt"}
    text = words(files[".txt"].read_text(encoding="utf-8"))
    html = files[".html"].read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    for alert in alerts:  # each story under one of its articles' titles (its earliest report)
        titles = [article.title for article_id in storage.alerts.story_articles(alert.id)
                  if (article := storage.articles.get(article_id)) and article.title]
        assert any(words(title) in text for title in titles), titles
    assert f"{len(alerts)} stories matched" in text
    assert "Meta unveils Muse Spark" in text  # the launch, not the analysis that matched first
    assert "With Muse Spark, Meta walks away" not in text
    assert any(item.title in text for item in result.alerted_during)
    digest_mails = [m for m in result.mails
                    if m.subject == f"newsmon digest: {DIGEST_SUBSCRIPTION}, {DAY.isoformat()}"]
    assert len(digest_mails) == 1
    posted = [p for p in result.payloads
              if p.get("subscription") == DIGEST_SUBSCRIPTION and p.get("period", {}).get(
                  "start", "").startswith(DAY.isoformat())]
    assert len(posted) == 1
    stored = storage.digests.get(subscription.id, DAY.isoformat())
    assert stored is not None and stored.sent_at is not None
    assert result.digest_sent_at == stored.sent_at
    # the live view stamps a message with when it arrived (simulated), before it was marked sent
    [mail] = digest_mails
    assert mail.received_at is not None
    assert result.plan.digest_at <= mail.received_at <= stored.sent_at
    assert len(posted[0]["stories"]) == len(json.loads(stored.json)["stories"]) > 0


@pytest.mark.slow
def test_the_digest_reads_like_a_briefing(demo: tuple[DemoResult, Storage]) -> None:
    """Sections are the companies the subscriber asked for, numbered as read, and a story's
    stock moves come with their size and what they followed, whichever outlet stated them."""
    result, _ = demo
    [text_file] = [path for path in result.digest_files if path.suffix == ".txt"]
    text = text_file.read_text(encoding="utf-8")
    asked = {"Meta", "Nvidia", "Anthropic", "OpenAI", "Google", "Microsoft", "Alibaba"}
    sections = re.findall(r"(?m)^-- (.+) --$", text)
    assert sections and set(sections) <= asked  # Google: Alphabet's, which the query names
    numbers = [int(n) for n in re.findall(r"(?m)^(\d+)\. ", text)]
    assert numbers == list(range(1, len(numbers) + 1))
    meta = text.split("\n-- Meta --\n")[1].split("\n-- ")[0]  # the Muse Spark launch
    assert re.search(r"Stocks: META up \d+(\.\d+)?% after the announcement", meta), meta
    assert "Stocks: 2330" not in text and "Stocks: TSMC" not in text.replace("; TSMC", "")
    assert "was 0," not in text  # no comparison with a day before the subscription


@pytest.mark.slow
def test_the_command_prints_the_day_and_where_the_digest_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSMON_WEBHOOK_SIGNING_KEY", "demo-test-key")
    home = tmp_path / "home"
    outcome = CliRunner().invoke(cli, ["demo", "--fast", "--rules-only", "--home", str(home)])
    assert outcome.exit_code == 0, outcome.output
    written = sorted((home / "digests").iterdir())
    assert [p.suffix for p in written] == [".html", ".txt"]
    output = words(outcome.output)
    for path in written:
        assert str(path) in output
    assert "news Circuit Wire:" in output and "webhook [nvidia-moves]" in output
    storage = Storage.open(sqlite_url(home))
    try:  # the digest goes out at the first digest check after 01:00, and the summary says when
        subscription = storage.subscriptions.get(DIGEST_SUBSCRIPTION)
        assert subscription is not None
        day = re.findall(r"--date (\d{4}-\d\d-\d\d)", output)[-1]
        stored = storage.digests.get(subscription.id, day)
    finally:
        storage.close()
    assert stored is not None and stored.sent_at is not None
    sent = stored.sent_at.astimezone(UTC)
    assert (f"The digest of {stored.local_date} was sent at {sent:%a %H:%M} UTC (simulated), at "
            "the daemon's first digest check after its digest time of 01:00 UTC") in output
    assert "sent at its digest time" not in output


def test_the_demo_day_keeps_the_story_order_and_puts_the_rest_after_the_start() -> None:
    catalog = load_catalog()
    timeline = DemoTimeline(backlog=4, first=timedelta(minutes=30), last=timedelta(hours=6))
    spread = spread_over_day(catalog, timeline)
    old = sorted(catalog.stories, key=lambda s: (s.offset, s.key))
    new = {s.key: s for s in spread.stories}
    offsets = [new[s.key].offset for s in old]
    assert offsets == sorted(offsets)
    assert all(o < timedelta(0) for o in offsets[:4])
    assert offsets[4] == timedelta(minutes=30) and offsets[-1] == timedelta(hours=6)
    for story in spread.stories:
        if story.updated_offset is not None:
            assert story.updated_offset >= story.offset


def test_the_accelerated_clock_holds_still_until_it_begins_then_runs_at_its_speed() -> None:
    wall = [100.0]
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    clock = AcceleratedClock(start, 600, wall=lambda: wall[0])
    wall[0] = 130.0
    assert clock() == start
    clock.begin()
    wall[0] = 131.5
    assert clock() == start + timedelta(minutes=15)
    assert clock.wall_seconds_until(start + timedelta(minutes=25)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        AcceleratedClock(start, 0)
