"""A stop with a processing backlog: the processing job ends after its current batch.

Processing runs in a worker thread that nothing can interrupt mid-batch. Before this, a stop
waited for the whole backlog (after downtime, a re-tag, minutes with the statistical NER) and
systemd's stop timeout could kill the daemon. Now the daemon's stop sets
``JobContext.stopping``; tagging, clustering and matching start no further batch (or article,
for matching) once it is set, and the rest waits for the next run with nothing lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.match_job import match_pending
from config.settings import NlpSettings, Settings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, process_pending
from newsmon.daemon.service import Daemon
from pipeline.storage.subscriptions import NewSubscription
from pipeline.story_job import cluster_pending
from pipeline.types import ArticleOrigin, ExtractedArticle

BATCH = 4
ARTICLES = 10


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path,
                        nlp=NlpSettings(ner_model="", processes=0, batch_size=BATCH))
    with App.from_settings(settings, upgrade=True) as application:
        yield application


def publish_backlog(app: App) -> None:
    assert app.storage.subscriptions.add(NewSubscription(name="meta", query="company:Meta"),
                                         app.clock())
    for number in range(ARTICLES):
        app.storage.articles.store(
            "wire", ExtractedArticle(
                url=f"https://news.example.com/{number}",
                title=f"Meta ships update {number} to Muse Spark",
                text=f"Meta said on Tuesday that update {number} of Muse Spark is out. "
                     + " ".join(f"word{number}x{n}" for n in range(30))),
            origin=ArticleOrigin.PAGE, fetched_at=app.clock())


def test_processing_asked_to_stop_finishes_its_batch_and_leaves_the_rest_waiting(
    app: App,
) -> None:
    publish_backlog(app)

    def once_a_batch_is_tagged() -> bool:
        return len(app.storage.tags.pending(100)) < ARTICLES

    report = app.process(once_a_batch_is_tagged)
    assert report.stopped_early
    assert report.tagging.tagged == BATCH
    assert report.clustering.clustered == 0 and report.matching.articles == 0
    assert len(app.storage.tags.pending(100)) == ARTICLES - BATCH

    finished = app.process()  # the next run takes up the rest: nothing was lost
    assert not finished.stopped_early
    assert finished.tagging.tagged == ARTICLES - BATCH
    assert finished.clustering.clustered == ARTICLES
    assert finished.matching.articles == ARTICLES
    assert app.storage.tags.pending(100) == []


def test_matching_asked_to_stop_ends_between_articles(app: App) -> None:
    publish_backlog(app)
    app.tag_pending()
    cluster_pending(app.storage, clock=app.clock, index=app.story_index)

    def once_an_article_is_matched() -> bool:
        return len(app.storage.articles.pending_matching(100)) < ARTICLES

    assert match_pending(app.storage, app.catalog, clock=app.clock,
                         should_stop=once_an_article_is_matched).articles == 1
    assert len(app.storage.articles.pending_matching(100)) == ARTICLES - 1
    assert app.process().matching.articles == ARTICLES - 1


def test_the_daemons_stop_tells_the_processing_job_to_stop(
    app: App, caplog: pytest.LogCaptureFixture,
) -> None:
    publish_backlog(app)

    async def scenario() -> tuple[bool, int]:
        daemon = Daemon(JobContext(app), asyncio.get_running_loop())
        daemon.start()
        await daemon.stop()
        report = await process_pending(daemon.context)  # a run the stop caught in flight
        return daemon.context.stopping.is_set(), report.tagging.tagged

    with caplog.at_level(logging.INFO, logger="newsmon.daemon.jobs"):
        stopping, tagged = asyncio.run(scenario())
    assert stopping and tagged == 0
    assert len(app.storage.tags.pending(100)) == ARTICLES
    assert "stopping: the rest waits for the next run" in caplog.text
