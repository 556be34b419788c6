"""Unsubscribe tokens and a subscription's Atom feed (pure parts of the alerts stage)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from alerts.feed import ATOM, FeedEntry, alerts_feed
from alerts.unsubscribe import make_token, verify_token

SECRETS = {1: "a" * 64, 2: "b" * 64}


def test_a_token_unsubscribes_only_its_own_subscription() -> None:
    token = make_token(1, 10, 0, SECRETS[1])
    claim = verify_token(token, SECRETS.get)
    assert claim is not None
    assert (claim.subscription_id, claim.channel_id, claim.epoch) == (1, 10, 0)
    _, _, _, nonce, mac = token.split(".")
    assert verify_token(f"2.10.0.{nonce}.{mac}", SECRETS.get) is None  # another subscription
    assert verify_token(f"1.11.0.{nonce}.{mac}", SECRETS.get) is None  # another channel
    assert verify_token(f"1.10.1.{nonce}.{mac}", SECRETS.get) is None  # another epoch
    assert verify_token(f"1.10.0.{nonce}.{'0' * 32}", SECRETS.get) is None  # forged signature
    assert verify_token(f"1.10.0.other.{mac}", SECRETS.get) is None  # tampered nonce
    assert verify_token(make_token(3, 30, 0, "c" * 64), SECRETS.get) is None  # deleted
    assert verify_token("garbage", SECRETS.get) is None
    assert verify_token(f"1.{nonce}.{mac}", SECRETS.get) is None  # the old three-part shape
    assert make_token(1, 10, 0, SECRETS[1], nonce="n") == make_token(1, 10, 0, SECRETS[1], "n")


def test_the_feed_escapes_article_text_and_lists_alerts() -> None:
    when = datetime(2026, 11, 20, 12, tzinfo=UTC)
    entries = [
        FeedEntry(7, "<script>alert(1)</script> Meta & Muse", "https://n.example/a?x=1&y=2",
                  "Meta unveiled Muse Spark.", when, 3),
        FeedEntry(6, "Nvidia ships", "https://n.example/b", "", when, 1),
    ]
    document = alerts_feed("meta", 'company:Meta "Muse Spark"', entries,
                           feed_id="urn:newsmon:subscription:1", updated=when)
    assert b"<script>" not in document
    root = ElementTree.fromstring(document)
    titles = [e.findtext(f"{{{ATOM}}}title") for e in root.iter(f"{{{ATOM}}}entry")]
    assert titles == ["<script>alert(1)</script> Meta & Muse", "Nvidia ships"]
    first = next(root.iter(f"{{{ATOM}}}entry"))
    assert first.find(f"{{{ATOM}}}link").get("href") == "https://n.example/a?x=1&y=2"  # type: ignore[union-attr]
    assert (first.findtext(f"{{{ATOM}}}summary") or "").endswith(
        "Muse Spark. (also covered by 2 other outlets)")


def test_a_feed_entry_says_other_outlet_in_the_singular_and_links_only_http() -> None:
    older, newer = datetime(2026, 11, 20, 9, tzinfo=UTC), datetime(2026, 11, 20, 11, tzinfo=UTC)
    entries = [FeedEntry(9, "Meta ships", "javascript:alert(1)", "Meta shipped.", newer, 2),
               FeedEntry(8, "Meta plans", "https://n.example/p", "Meta plans.", older, 1)]
    document = alerts_feed("meta", "company:Meta", entries, feed_id="urn:newsmon:subscription:1",
                           updated=datetime(2026, 11, 21, tzinfo=UTC))
    root = ElementTree.fromstring(document)
    first, second = root.iter(f"{{{ATOM}}}entry")
    assert first.findtext(f"{{{ATOM}}}summary") == (
        "Meta shipped. (also covered by 1 other outlet)")
    assert first.find(f"{{{ATOM}}}link") is None and b"javascript" not in document
    assert second.findtext(f"{{{ATOM}}}summary") == "Meta plans."
    assert root.findtext(f"{{{ATOM}}}updated") == newer.isoformat()  # the newest alert
