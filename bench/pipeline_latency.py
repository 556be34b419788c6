"""The latency half of ``bench/pipeline.py``: publication in a feed -> alert at a webhook.

The real daemon (``newsmon run``, a subprocess with its own database in a temporary home) polls
the generated site's outlets at the poll interval, with its default politeness, jitter and
process/deliver schedule. The site publishes articles at random moments of a window; a
subscription that every article matches posts to a local :class:`WebhookReceiver`, next to a few
hundred realistic subscriptions posting elsewhere. An article's latency is the arrival of its
alert minus the moment its feed first showed it; it is split into the wait for the next poll
(until the daemon's poll first saw it) and the rest (fetch, extract, store, tag, cluster, match,
deliver). An article clustered into the story of an earlier one is folded into that alert, not
sent again: it has no latency and is counted apart.
"""

from __future__ import annotations

import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from bench.pipeline_receiver import WebhookReceiver
from bench.pipeline_site import BenchArticle, BenchSite, outlet_name, publish_at_random
from config import SourceSpec, load_settings
from newsmon.app import App
from pipeline.storage.subscriptions import NewSubscription

WATCH_PATH = "/hook/all"
OTHERS_PATH = "/hook/others"
READY_TIMEOUT_SECONDS = 180.0
STARTUP_SECONDS = 5.0
"""Publication starts this long after the daemon's first processing run."""


@dataclass(frozen=True)
class LatencyResult:
    """What one latency run measured (seconds)."""

    poll_interval: int
    published: int
    latencies: tuple[float, ...]
    poll_waits: tuple[float, ...]
    after_poll: tuple[float, ...]
    folded: int
    missing: int
    daemon_log: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def percentile(self, values: Sequence[float], share: float) -> float:
        """The nearest-rank percentile (``share`` in 0..1) of ``values``; NaN when empty."""
        return percentile(values, share)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float:
    """The median, NaN when empty."""
    return statistics.median(values) if values else math.nan


def distinct_stories(articles: Sequence[BenchArticle], count: int) -> list[BenchArticle]:
    """Up to ``count`` articles that share no paragraph, so each is a story of its own."""
    seen: set[str] = set()
    chosen = []
    for article in articles:
        paragraphs = {p for p in article.text.split("\n\n") if len(p) > 80}
        if paragraphs & seen:
            continue
        seen |= paragraphs
        chosen.append(article)
        if len(chosen) == count:
            break
    return chosen


def run_latency(
    candidates: Sequence[BenchArticle], queries: Sequence[str], *, count: int, outlets: int,
    poll_interval: int, publish_seconds: float, seed: int,
) -> LatencyResult:
    """Start the daemon, publish ``count`` articles over ``publish_seconds``, wait for alerts."""
    articles = distinct_stories(candidates, count)
    hidden = [_hidden(article) for article in articles]
    with tempfile.TemporaryDirectory(prefix="newsmon-latency-") as home, \
            BenchSite(hidden, outlets) as site, WebhookReceiver() as receiver:
        _prepare_database(Path(home), site, receiver, queries, poll_interval)
        log_path = Path(home) / "daemon.log"
        with log_path.open("w") as log:
            daemon = _start_daemon(Path(home), log)
            try:
                _wait_until_ready(Path(home), daemon)
                start = time.time() + STARTUP_SECONDS
                site.publish(publish_at_random(articles, start=start, seconds=publish_seconds,
                                               seed=seed))
                deadline = start + publish_seconds + 2 * poll_interval + 30
                folded = _wait_for_alerts(site, receiver, Path(home), deadline)
            finally:
                _stop_daemon(daemon)
        return _result(site, receiver, poll_interval, folded, log_path.read_text()[-4000:])


def _hidden(article: BenchArticle) -> BenchArticle:
    return BenchArticle(article.number, article.outlet, article.path, article.title,
                        article.text, article.published, visible_at=math.inf)


def _bench_env(home: Path) -> dict[str, str]:
    return {"NEWSMON_HOME": str(home), "NEWSMON_ALLOW_HOSTS": "127.0.0.1",
            "NEWSMON_WEBHOOK_SIGNING_KEY": "bench-" + "k" * 32}


def _prepare_database(
    home: Path, site: BenchSite, receiver: WebhookReceiver, queries: Sequence[str],
    poll_interval: int,
) -> None:
    (home / "config.toml").write_text(
        f"[crawler]\nmin_interval = {min(poll_interval, 60)}\n"
        '[network]\nallow_hosts = ["127.0.0.1"]\n'
        '[logging]\nlevel = "INFO"\n')
    settings = load_settings(home=home, env=_bench_env(home))
    with App.from_settings(settings, upgrade=True) as app:
        for outlet in range(site.outlets):
            app.storage.sources.add(feed_source(outlet_name(outlet), site.feed_url(outlet),
                                                poll_interval), app.clock())
        watch_all = " OR ".join(f"source:{outlet_name(o)}" for o in range(site.outlets))
        subscriptions = [("watch-all", watch_all, receiver.url(WATCH_PATH))] + [
            (f"bench-{n:04d}", query, receiver.url(OTHERS_PATH))
            for n, query in enumerate(queries, start=1)]
        for name, query, url in subscriptions:
            app.storage.subscriptions.add(
                NewSubscription(name=name, query=query, channels=(("webhook", url),)),
                app.clock())


def feed_source(name: str, url: str, interval: int) -> SourceSpec:
    """A feed source polled every ``interval`` seconds; below the 60 s that ``SourceSpec``
    validates for (the quick mode), built without validation."""
    if interval >= 60:
        return SourceSpec(name=name, url=url, interval=interval)
    return SourceSpec.model_construct(name=name, url=url, interval=interval)


def _daemon_command() -> list[str]:
    script = Path(sys.executable).with_name("newsmon")
    if script.is_file():
        return [str(script), "run"]
    return [sys.executable, "-c", "from newsmon.cli import main; main()", "run"]


def _start_daemon(home: Path, log: IO[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **_bench_env(home)}
    env.pop("NEWSMON_DATABASE_URL", None)
    env.pop("NEWSMON_CONFIG", None)
    return subprocess.Popen(_daemon_command(), env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def _open_app(home: Path) -> App:
    return App.from_settings(load_settings(home=home, env=_bench_env(home)))


def _wait_until_ready(home: Path, daemon: subprocess.Popen[bytes]) -> None:
    """Until the daemon's first processing run is recorded (its tagger is loaded by then)."""
    deadline = time.time() + READY_TIMEOUT_SECONDS
    with _open_app(home) as app:
        while time.time() < deadline:
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited with {daemon.returncode}; see its log")
            if any(run.job_id == "process" for run in app.storage.job_runs.all()):
                return
            time.sleep(0.5)
    raise RuntimeError("the daemon did not run its first processing job in time")


def _wait_for_alerts(
    site: BenchSite, receiver: WebhookReceiver, home: Path, deadline: float
) -> int:
    """Until every published article has an alert or was folded into an earlier story (or the
    deadline); returns how many were folded."""
    folded = 0
    with _open_app(home) as app:
        while time.time() < deadline:
            time.sleep(1.0)
            if any(a.visible_at > time.time() for a in site.articles):
                continue
            arrived = {urlsplit(a.article_url or "").path for a in receiver.received(WATCH_PATH)}
            folded = _folded_count(app)
            if len(arrived) + folded >= len(site.articles):
                break
    return folded


def _folded_count(app: App) -> int:
    """Stored articles that joined an earlier article's story (no alert of their own)."""
    return sum(1 for article in app.storage.articles.latest(limit=10_000)
               if article.story_id is not None and article.story_id != article.id)


def _stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=150)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def _result(
    site: BenchSite, receiver: WebhookReceiver, poll_interval: int, folded: int, log: str
) -> LatencyResult:
    arrivals: dict[str, float] = {}
    for arrival in receiver.received(WATCH_PATH):
        path = urlsplit(arrival.article_url or "").path
        arrivals.setdefault(path, arrival.at)
    latencies, waits, rest = [], [], []
    for article in site.articles:
        if article.path not in arrivals:
            continue
        latencies.append(arrivals[article.path] - article.visible_at)
        listed = site.first_listed.get(article.path, article.visible_at)
        waits.append(listed - article.visible_at)
        rest.append(arrivals[article.path] - listed)
    missing = len(site.articles) - len(latencies) - folded
    return LatencyResult(poll_interval, len(site.articles), tuple(latencies), tuple(waits),
                         tuple(rest), folded, max(0, missing), log)


def shuffled(articles: Sequence[BenchArticle], seed: int) -> list[BenchArticle]:
    """The articles in a random order (so the latency run draws other ones than the first)."""
    order = list(articles)
    random.Random(seed).shuffle(order)
    return order
