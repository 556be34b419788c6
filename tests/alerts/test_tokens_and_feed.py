"""Unsubscribe tokens and a subscription's Atom feed (pure parts of the alerts stage)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from alerts.feed import ATOM, FeedEntry, alerts_feed
from alerts.unsubscribe import make_token, verify_token

SECRETS = {1: "a" * 64, 2: "b" * 64}


def test_a_token_unsubscribes_only_its_own_subscription() -> None:
    token = make_token(1, SECRETS[1])
    assert verify_token(token, SECRETS.get) == 1
    _, nonce, mac = token.split(".")
    assert verify_token(f"2.{nonce}.{mac}", SECRETS.get) is None  # another subscription's id
    assert verify_token(f"1.{nonce}.{'0' * 32}", SECRETS.get) is None  # forged signature
    assert verify_token(f"1.other.{mac}", SECRETS.get) is None  # tampered nonce
    assert verify_token(make_token(3, "c" * 64), SECRETS.get) is None  # deleted subscription
    assert verify_token("garbage", SECRETS.get) is None
    assert make_token(1, SECRETS[1], nonce="n") == make_token(1, SECRETS[1], nonce="n")


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
    assert "2 more outlets" in (first.findtext(f"{{{ATOM}}}summary") or "")
