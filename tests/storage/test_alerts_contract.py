"""Subscriptions, alerts and the outbox: the contract, on SQLite and the real PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def article(storage: Storage, index: int) -> int:
    text = " ".join(f"word{index}x{n}" for n in range(40))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://n.example/{index}", title=f"T{index}", text=text),
        origin=ArticleOrigin.PAGE, fetched_at=NOW)
    assert outcome.article_id is not None
    return outcome.article_id


def subscribe(storage: Storage, name: str = "meta-watch") -> tuple[int, tuple[int, ...]]:
    record = storage.subscriptions.add(NewSubscription(
        name=name, query="company:Meta", channels=(("email", "a@example.org"),
                                                    ("webhook", "http://127.0.0.1:9/hook"))),
        NOW)
    assert record is not None
    return record.id, tuple(channel.id for channel in record.channels)


def test_subscriptions_are_unique_by_name_and_can_be_paused_and_deleted(storage: Storage) -> None:
    subscribe(storage)
    assert storage.subscriptions.add(NewSubscription(name="meta-watch", query="x"), NOW) is None
    stored = storage.subscriptions.get("meta-watch")
    assert stored is not None and [c.kind for c in stored.channels] == ["email", "webhook"]
    assert len(stored.token_secret) == 64
    assert storage.subscriptions.set_paused("meta-watch", True)
    assert storage.subscriptions.all(active_only=True) == []
    assert storage.subscriptions.delete("meta-watch") and storage.subscriptions.all() == []
    assert not storage.subscriptions.delete("meta-watch")


def test_one_alert_per_subscription_and_story_later_coverage_folded(storage: Storage) -> None:
    subscription_id, channels = subscribe(storage)
    first, second = article(storage, 1), article(storage, 2)
    match = SubscriptionMatch(subscription_id, ({"kind": "entity", "label": "company:Meta"},),
                              channels)
    recorded = storage.alerts.record_matches(first, first, [match], NOW)
    again = storage.alerts.record_matches(second, first, [match], NOW + timedelta(minutes=5))
    repeat = storage.alerts.record_matches(second, first, [match], NOW + timedelta(minutes=6))
    assert (recorded.new_alerts, recorded.deliveries) == (1, 2)
    assert (again.new_alerts, again.folded, again.deliveries) == (0, 1, 0)
    assert (repeat.new_alerts, repeat.folded) == (0, 0)
    [alert] = storage.alerts.alerts()
    assert alert.coverage == 2 and alert.story_id == first
    assert alert.reasons == ({"kind": "entity", "label": "company:Meta"},)
    assert storage.alerts.story_articles(alert.id) == [first, second]
    assert storage.alerts.outbox_counts() == {"pending": 2}


def test_concurrent_matchers_create_one_alert(storage: Storage) -> None:
    subscription_id, channels = subscribe(storage)
    ids = [article(storage, index) for index in range(8)]

    def record(article_id: int) -> int:
        match = SubscriptionMatch(subscription_id, (), channels)
        return storage.alerts.record_matches(article_id, ids[0], [match], NOW).new_alerts

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(record, ids)) == 1
    [alert] = storage.alerts.alerts()
    assert alert.coverage == 8
    assert storage.alerts.outbox_counts() == {"pending": 2}


def test_many_matches_of_one_article_are_recorded_together(storage: Storage) -> None:
    subscriptions = [subscribe(storage, f"watch-{n}") for n in range(5)]
    first, second = article(storage, 1), article(storage, 2)

    def matches(chosen: range) -> list[SubscriptionMatch]:
        return [SubscriptionMatch(subscriptions[n][0], ({"kind": "term", "label": f"w{n}"},),
                                  subscriptions[n][1]) for n in chosen]

    early = storage.alerts.record_matches(first, first, matches(range(2)), NOW)
    later = storage.alerts.record_matches(second, first, matches(range(5)), NOW)
    assert (early.new_alerts, early.folded, early.deliveries) == (2, 0, 4)
    assert (later.new_alerts, later.folded, later.deliveries) == (3, 2, 6)
    alerts = {alert.subscription: alert for alert in storage.alerts.alerts()}
    assert {name: alert.coverage for name, alert in alerts.items()} == {
        "watch-0": 2, "watch-1": 2, "watch-2": 1, "watch-3": 1, "watch-4": 1}
    assert alerts["watch-3"].article_id == second
    assert alerts["watch-3"].reasons == ({"kind": "term", "label": "w3"},)
    assert storage.alerts.story_articles(alerts["watch-0"].id) == [first, second]
    assert storage.alerts.story_articles(alerts["watch-4"].id) == [second]
    assert storage.alerts.outbox_counts() == {"pending": 10}
    assert storage.alerts.record_matches(second, first, matches(range(5)), NOW).folded == 0


def test_outbox_claims_retries_dead_letters_and_replays(storage: Storage) -> None:
    subscription_id, channels = subscribe(storage)
    first = article(storage, 1)
    storage.alerts.record_matches(first, first, [SubscriptionMatch(subscription_id, (), channels)],
                                  NOW)
    email, hook = storage.alerts.claim_due(NOW)
    assert email.channel_kind == "email" and hook.channel_kind == "webhook"
    assert email.key != hook.key and len(email.key) == 32
    assert storage.alerts.claim_due(NOW) == []  # leased while being sent
    storage.alerts.mark_sent(email.id, NOW, 250)
    storage.alerts.mark_retry(hook.id, NOW + timedelta(minutes=2), "HTTP 500", 500)
    assert storage.alerts.claim_due(NOW + timedelta(minutes=1)) == []
    [retry] = storage.alerts.claim_due(NOW + timedelta(minutes=2))
    assert retry.key == hook.key and retry.attempts == 1 and retry.status == "retrying"
    storage.alerts.mark_dead(hook.id, "HTTP 500 after 5 attempts", 500)
    [dead] = storage.alerts.deliveries(status="dead")
    assert dead.last_error == "HTTP 500 after 5 attempts" and dead.attempts == 2
    assert storage.alerts.replay(dead.id, NOW + timedelta(hours=1))
    [replayed] = storage.alerts.claim_due(NOW + timedelta(hours=1))
    assert replayed.key == hook.key and replayed.attempts == 0
    assert [j.id for j in storage.alerts.claim_due(NOW + timedelta(days=1))] == [hook.id]
    storage.alerts.mark_sent(hook.id, NOW + timedelta(days=1), 200)  # a lease ran out: resent
    assert storage.alerts.claim_due(NOW + timedelta(days=2)) == []  # both stay sent
    assert storage.alerts.outbox_counts() == {"sent": 2}


def test_disabled_channels_and_paused_subscriptions_are_not_sent(storage: Storage) -> None:
    subscription_id, channels = subscribe(storage)
    first = article(storage, 1)
    storage.alerts.record_matches(first, first, [SubscriptionMatch(subscription_id, (), channels)],
                                  NOW)
    storage.subscriptions.disable_channel(channels[1], "410 Gone", NOW)
    assert [job.channel_kind for job in storage.alerts.claim_due(NOW)] == ["email"]
    storage.subscriptions.set_paused("meta-watch", True)
    assert storage.alerts.claim_due(NOW + timedelta(hours=1)) == []
    stored = storage.subscriptions.get("meta-watch")
    assert stored is not None and stored.channels[1].disabled_reason == "410 Gone"


def test_job_runs_keep_the_last_outcome_and_count_each_kind(storage: Storage) -> None:
    later = NOW + timedelta(hours=1)
    storage.job_runs.record("crawl:wire", "ok", at=NOW, next_run_at=later)
    storage.job_runs.record("crawl:wire", "error", at=later, next_run_at=later, error="boom\x00")
    storage.job_runs.record("crawl:wire", "missed", at=later, next_run_at=None)
    storage.job_runs.record("deliver", "ok", at=NOW, next_run_at=later)
    wire, deliver = storage.job_runs.all()
    assert (wire.job_id, wire.runs, wire.errors, wire.missed) == ("crawl:wire", 1, 1, 1)
    assert wire.last_outcome == "missed" and wire.last_run_at == later
    assert deliver.next_run_at == later and deliver.last_error is None


def test_listing_subscriptions_reads_every_channel_in_one_query(storage: Storage) -> None:
    """Matching lists the active subscriptions every run: one query per subscription for its
    channels took 11 s a run at 100,000 subscriptions on SQLite (23 s on PostgreSQL)."""
    for number in range(30):
        subscribe(storage, f"watch-{number:02d}")
    storage.subscriptions.add(NewSubscription(name="no-channel", query="company:Meta"), NOW)
    assert storage.subscriptions.set_paused("watch-07", True)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(storage.engine, "before_cursor_execute", count)
    try:
        listed = storage.subscriptions.all()
        active = storage.subscriptions.all(active_only=True)
    finally:
        event.remove(storage.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4, selects  # subscriptions and channels, twice
    assert [s.name for s in listed][:2] == ["no-channel", "watch-00"]
    assert len(listed) == 31 and len(active) == 30
    assert "watch-07" not in {s.name for s in active}
    by_name = {s.name: s for s in listed}
    assert by_name["no-channel"].channels == ()
    for record in listed[1:]:  # each subscription its own two channels, in the order added
        assert [(c.kind, c.target) for c in record.channels] == [
            ("email", "a@example.org"), ("webhook", "http://127.0.0.1:9/hook")]
        assert record.channels == storage.subscriptions.get(record.name).channels  # type: ignore[union-attr]
