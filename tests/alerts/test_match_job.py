"""The matching step keeps its compiled index between runs and compiles it again only when the
active subscriptions change; a run with nothing waiting compiles nothing.

Real parts: an App on SQLite with the rules-only tagger, articles stored and processed (tagged,
clustered, matched) as ``newsmon process`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings
from config.settings import NlpSettings
from newsmon.app import App
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle

STORIES = [
    ("Meta unveils Muse Spark", "Meta released Muse Spark, its new reasoning model, on Tuesday."),
    ("Nvidia shares fall 4%", "Shares of Nvidia fell 4% after a rival chip was announced."),
    ("Anthropic ships Claude Opus 5", "Anthropic said Claude Opus 5 is its strongest model yet."),
    ("OpenAI opens a Paris office", "OpenAI will hire 50 engineers in Paris, the company said."),
]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=0))
    with App.from_settings(settings, upgrade=True) as application:
        yield application


def subscribe(app: App, name: str, query: str) -> None:
    assert app.storage.subscriptions.add(NewSubscription(name=name, query=query), app.clock())


def publish(app: App, number: int) -> None:
    title, text = STORIES[number]
    filler = " ".join(f"word{number}x{n}" for n in range(40))
    app.storage.articles.store(
        "wire", ExtractedArticle(url=f"https://news.example.com/{number}", title=title,
                                 text=f"{text} {filler}"),
        origin=ArticleOrigin.PAGE, fetched_at=app.clock())


def alerted(app: App, name: str) -> list[str]:
    record = app.storage.subscriptions.get(name)
    assert record is not None
    return sorted(a.title or "" for a in app.storage.alerts.alerts(subscription_id=record.id))


def test_the_index_is_compiled_once_while_the_subscriptions_stay_the_same(app: App) -> None:
    subscribe(app, "meta", "company:Meta")
    subscribe(app, "chips", "company:Nvidia")
    publish(app, 0)
    assert app.process().matching.new_alerts == 1
    assert app.process().matching.articles == 0  # nothing waits: nothing compiled
    publish(app, 1)
    assert app.process().matching.new_alerts == 1
    assert app.compiled_subscriptions.compiles == 1
    assert alerted(app, "meta") == ["Meta unveils Muse Spark"]
    assert alerted(app, "chips") == ["Nvidia shares fall 4%"]


def test_a_new_paused_or_deleted_subscription_recompiles_the_index(app: App) -> None:
    subscribe(app, "meta", "company:Meta")
    publish(app, 0)
    app.process()
    subscribe(app, "labs", "company:Anthropic OR company:OpenAI")
    publish(app, 2)
    app.process()
    assert app.compiled_subscriptions.compiles == 2
    assert alerted(app, "labs") == ["Anthropic ships Claude Opus 5"]
    assert app.storage.subscriptions.set_paused("labs", True)
    publish(app, 3)
    app.process()
    assert app.compiled_subscriptions.compiles == 3
    assert alerted(app, "labs") == ["Anthropic ships Claude Opus 5"]  # paused: no new alert
    assert app.storage.subscriptions.set_paused("labs", False)
    assert app.storage.subscriptions.delete("meta")
    publish(app, 1)
    app.process()
    assert app.compiled_subscriptions.compiles == 4
