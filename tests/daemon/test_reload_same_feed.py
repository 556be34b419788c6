"""The user's sources.toml cannot give a stored feed a second name: the daemon's reload leaves it
out and logs which source already polls it (the rule ``newsmon sources add`` follows)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config import SourceSpec
from newsmon.daemon.reload import apply_user_sources
from tests.daemon.test_reload import open_app, source_table, write_sources


def test_a_file_source_polling_a_stored_feed_is_left_out_and_named(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    write_sources(home, source_table("mine", "https://example.com/feed?utm_medium=rss"),
                  source_table("other", "https://other.example/feed"))
    with open_app(home, database_url) as app:
        app.storage.sources.add(SourceSpec(name="wire", url="https://example.com/feed"),
                                app.clock())
        with caplog.at_level(logging.WARNING):
            outcomes = apply_user_sources(app)
        assert outcomes == {"mine": "duplicate", "other": "added"}
        assert [source.name for source in app.storage.sources.all()] == ["other", "wire"]
    assert any(
        record.levelno == logging.WARNING and record.getMessage() == (
            f"{home / 'sources.toml'}: source 'mine' not applied: source 'wire' already polls "
            "this URL (https://example.com/feed)")
        for record in caplog.records), caplog.text
