"""The composition root's own behaviour: what it logs across repeated daemon passes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from config import Settings
from config.settings import NlpSettings
from newsmon.app import App


def test_an_unavailable_channel_is_reported_once_not_at_every_delivery_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NEWSMON_WEBHOOK_SIGNING_KEY", raising=False)
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""))  # no [email] section
    with App.from_settings(settings, upgrade=True) as application:
        caplog.set_level(logging.DEBUG, logger="newsmon.app")
        for _ in range(3):
            asyncio.run(application.send_alerts())
    lines = [r for r in caplog.records if "channel email unavailable" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.INFO, logging.DEBUG, logging.DEBUG]
