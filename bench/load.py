"""Load: the real daemon over 500 feeds and 10,000 subscriptions for a sustained period.

    python bench/load.py                       # 500 sources, 10,000 subscriptions, 3 minutes
    python bench/load.py --minutes 30          # longer
    python bench/load.py --sources 20 --subscriptions 200 --minutes 0.5   # a quick look

One local HTTP server process serves every source's RSS feed and article pages; each source
publishes a new article every ``--period`` seconds (staggered), so articles arrive all the time.
Each article names one of ``--topics`` topic words; each subscription asks for one topic and has
a signed webhook to a local receiver, so every article should raise ``subscriptions / topics``
alerts. ``newsmon run`` (a subprocess, SQLite in a temporary data directory, or
``--database-url``) crawls, tags, clusters, matches and delivers. After the load period the
server stops publishing and the daemon is given ``--drain`` seconds to catch up; then it is
stopped with SIGTERM.

Printed: articles stored per minute (and served per minute, their ratio is the baseline), the
outbox lag (alert created -> webhook received: median, p95, max), error counts (rejections, job
errors, dead or waiting deliveries, bad signatures, error log lines) and the daemon's memory
(RSS at start, peak, end); then the checks: every served article stored once, one alert per
(subscription, story) for exactly the subscriptions whose topic the story's articles name, and
every delivery received once. The exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import text  # noqa: E402

from config import SourceSpec  # noqa: E402
from pipeline.storage import Storage  # noqa: E402
from pipeline.storage.subscriptions import NewSubscription  # noqa: E402

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
SIGNING_KEY = "load-bench-signing-key-0123456789abcdef"
FEED_SIZE = 20
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CONFIG = """
[crawler]
download_delay_seconds = 0
concurrent_requests = 32
concurrent_requests_per_domain = 16
request_timeout_seconds = 20
retry_times = 1
[nlp]
ner_model = ""
[network]
allow_hosts = ["127.0.0.1"]
[delivery]
concurrency = 16
batch_size = 500
[daemon]
process_interval = "10s"
deliver_interval = "5s"
crawl_jitter = "10s"
crawl_stagger = "0s"
"""


class BusyServer(ThreadingHTTPServer):
    """A threading HTTP server with room for many connections at once (the default listen
    backlog of 5 drops connections when the daemon opens dozens together)."""

    daemon_threads = True
    request_queue_size = 256


# --- the news server (its own process) -------------------------------------------------------

def article_of(source: int, number: int, topics: int) -> tuple[str, str, int]:
    """Title, text and topic of a source's article ``number`` (deterministic)."""
    rng = random.Random(source * 1_000_003 + number)
    topic = rng.randrange(topics)
    words = " ".join(_word(rng) for _ in range(120))  # unrelated texts: one story each
    title = f"{_word(rng).title()} {_word(rng)} report {source}-{number} on topic{topic}"
    body = (f"This report covers topic{topic} for source {source}, item {number}. {words}. "
            f"Analysts followed topic{topic} closely.")
    return title, body, topic


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 9)))


def published_numbers(source: int, now: float, start: float, period: float) -> range:
    """The article numbers a source has published by ``now`` (one every ``period`` seconds,
    staggered over sources; two are out at the start)."""
    offset = (source * 7.919) % period
    extra = int((now - start - offset) // period) + 1 if now >= start + offset else 0
    return range(2 + extra)


def serve(port: Any, sources: int, topics: int, period: float, start: float,
          frozen_at: Any) -> None:
    """The server process: ``/feed/<s>.xml`` and ``/a/<s>/<n>`` for every source."""
    def now() -> float:
        return min(time.time(), frozen_at.value) if frozen_at.value else time.time()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if parts[0] == "feed" and len(parts) == 2:
                source = int(parts[1].removesuffix(".xml"))
                self._reply(render_feed(source, now(), start, period, topics, self._base()),
                            "application/rss+xml")
            elif parts[0] == "a" and len(parts) == 3:
                title, body, _topic = article_of(int(parts[1]), int(parts[2]), topics)
                self._reply(render_page(title, body), "text/html; charset=utf-8")
            else:
                self._reply(b"not found", "text/plain", 404)

        def _base(self) -> str:
            address = cast("tuple[str, int]", self.server.server_address)
            return f"http://127.0.0.1:{address[1]}"

        def _reply(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = BusyServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    server.serve_forever()


def render_feed(source: int, now: float, start: float, period: float, topics: int,
                base: str) -> bytes:
    numbers = list(published_numbers(source, now, start, period))[-FEED_SIZE:]
    items = []
    for number in reversed(numbers):
        title, _body, _topic = article_of(source, number, topics)
        moment = datetime.fromtimestamp(
            start + (source * 7.919) % period + max(0, number - 2) * period, UTC)
        items.append(f"<item><title>{escape(title)}</title>"
                     f"<link>{base}/a/{source}/{number}</link>"
                     f"<guid>{base}/a/{source}/{number}</guid>"
                     f"<pubDate>{format_datetime(moment)}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Load source {source}</title><link>{base}/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>").encode()


def render_page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(part)}.</p>" for part in body.split(". ") if part)
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
            f"<article><h1>{escape(title)}</h1>{paragraphs}</article></body></html>").encode()


# --- the webhook receiver (a thread of this process) ------------------------------------------

@dataclass
class Receiver:
    """Records each delivery id with its arrival time; checks every signature."""

    arrivals: list[tuple[str, float]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> BusyServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stamp = self.headers.get("Newsmon-Timestamp", "")
                expected = "sha256=" + hmac.new(SIGNING_KEY.encode(), stamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                with receiver.lock:
                    receiver.arrivals.append((self.headers.get("Newsmon-Delivery", ""),
                                              time.time()))
                    receiver.bad_signatures += not hmac.compare_digest(
                        expected, self.headers.get("Newsmon-Signature", ""))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = BusyServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


# --- the run -----------------------------------------------------------------------------------

@dataclass
class LoadResult:
    """What a run measured and whether its checks held."""

    minutes: float
    served: int
    stored: int
    lag_seconds: list[float]
    errors: dict[str, int]
    rss_kib: list[int]
    failures: list[str]
    per_minute: list[int]


def prepare(home: Path, database_url: str | None, base: str, receiver_url: str,
            args: argparse.Namespace) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG)
    storage = open_storage(home, database_url)
    now = datetime.now(UTC)
    try:
        for source in range(args.sources):
            storage.sources.add(SourceSpec(name=f"load-{source}",
                                           url=f"{base}/feed/{source}.xml", interval=60), now)
        for number in range(args.subscriptions):
            topic = number % args.topics
            storage.subscriptions.add(NewSubscription(
                name=f"t{topic}-{number}", query=f"topic{topic}",
                channels=(("webhook", f"{receiver_url}/{number}"),)), now)
        if args.interval < 60:  # the source list refuses less; the bench may ask for it
            with storage.engine.begin() as connection:
                connection.execute(text("UPDATE sources SET interval_seconds = :s"),
                                   {"s": args.interval})
    finally:
        storage.close()


def open_storage(home: Path, database_url: str | None) -> Storage:
    storage = Storage.open(database_url or f"sqlite:///{home / 'newsmon.sqlite3'}")
    storage.upgrade()
    return storage


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def served_urls(args: argparse.Namespace, base: str, start: float, until: float) -> set[str]:
    return {f"{base}/a/{source}/{number}" for source in range(args.sources)
            for number in published_numbers(source, until, start, args.period)}


def settled(storage: Storage, served: int) -> bool:
    with storage.engine.connect() as connection:
        stored, matched = connection.execute(
            text("SELECT count(*), count(matched_at) FROM articles")).one()
    counts = storage.alerts.outbox_counts()
    return stored >= served and matched == stored and set(counts) <= {"sent", "dead"}


def run_load(args: argparse.Namespace) -> LoadResult:
    """Serve, run the daemon under load, drain, stop; measure and check."""
    home = Path(args.home or tempfile.mkdtemp(prefix="newsmon-load-"))
    port, frozen_at = multiprocessing.Value("i", 0), multiprocessing.Value("d", 0.0)
    start = time.time()
    server = multiprocessing.Process(target=serve, daemon=True, args=(
        port, args.sources, args.topics, args.period, start, frozen_at))
    server.start()
    while not port.value:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port.value}"
    receiver = Receiver()
    hook = receiver.start()
    hook_url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
    print(f"preparing {args.sources} sources and {args.subscriptions} subscriptions in {home}")
    prepare(home, args.database_url, base, hook_url, args)
    env = {**os.environ, "NEWSMON_HOME": str(home), "NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
           "NEWSMON_LOGGING__LEVEL": "INFO"}
    if args.database_url:
        env["NEWSMON_DATABASE_URL"] = args.database_url
    log = (home / "daemon.log").open("w")
    daemon = subprocess.Popen([NEWSMON, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    storage = open_storage(home, args.database_url)
    rss: list[int] = []
    per_minute: list[int] = []
    try:
        began = time.time()
        frozen_at.value = 0.0
        next_minute = began + 60
        while time.time() < began + args.minutes * 60 and daemon.poll() is None:
            rss.append(rss_of(daemon.pid))
            time.sleep(2)
            if time.time() >= next_minute:
                per_minute.append(count_articles(storage))
                next_minute += 60
        stop_publishing = time.time()
        frozen_at.value = stop_publishing
        served = served_urls(args, base, start, stop_publishing)
        deadline = time.time() + args.drain
        while time.time() < deadline and daemon.poll() is None and not settled(
                storage, len(served)):
            rss.append(rss_of(daemon.pid))
            time.sleep(2)
        drained = time.time()
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(300)
        log.close()
        hook.shutdown()
        server.terminate()
    result = measure(storage, receiver, served, home, args, code)
    result.minutes = (drained - began) / 60
    result.rss_kib = [value for value in rss if value]
    result.per_minute = per_minute
    storage.close()
    return result


def count_articles(storage: Storage) -> int:
    with storage.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM articles")).scalar_one())


def measure(storage: Storage, receiver: Receiver, served: set[str], home: Path,
            args: argparse.Namespace, exit_code: int) -> LoadResult:
    with storage.engine.connect() as connection:
        articles = connection.execute(text(
            "SELECT canonical_url, title, story_id FROM articles")).all()
        alerts = {(sub, story) for sub, story in connection.execute(text(
            "SELECT s.name, a.story_id FROM alerts a JOIN subscriptions s "
            "ON s.id = a.subscription_id"))}
        created: dict[str, Any] = dict(connection.execute(text(
            "SELECT d.key, a.created_at FROM deliveries d JOIN alerts a ON a.id = d.alert_id")
        ).all())
        job_errors = connection.execute(text(
            "SELECT coalesce(sum(errors), 0) FROM job_runs")).scalar_one()
        rejections = connection.execute(text("SELECT count(*) FROM rejections")).scalar_one()
    failures = check(articles, alerts, created, receiver, served, args)
    outbox = storage.alerts.outbox_counts()
    arrivals = dict(receiver.arrivals)
    lag = [arrivals[key] - _epoch(moment) for key, moment in created.items() if key in arrivals]
    log_errors = sum(" ERROR " in line for line in (home / "daemon.log").read_text().splitlines())
    errors = {"rejections": int(rejections), "job errors": int(job_errors),
              "deliveries dead": outbox.get("dead", 0),
              "deliveries waiting": outbox.get("pending", 0) + outbox.get("retrying", 0),
              "bad signatures": receiver.bad_signatures, "error log lines": log_errors,
              "daemon exit code": exit_code}
    return LoadResult(0.0, len(served), len(articles), lag, errors, [], failures, [])


def check(articles: Sequence[Any], alerts: set[tuple[str, int]], created: dict[str, Any],
          receiver: Receiver, served: set[str], args: argparse.Namespace) -> list[str]:
    """Nothing dropped, nothing doubled."""
    failures = []
    stored = Counter(url for url, _title, _story in articles)
    missing = served - set(stored)
    if missing:
        failures.append(f"{len(missing)} served articles not stored, e.g. {sorted(missing)[:3]}")
    if any(count > 1 for count in stored.values()):
        failures.append("an article is stored twice")
    topics_of_story: dict[int, set[int]] = {}
    for _url, title, story in articles:
        topic = int((title or "topic-1").rsplit("topic", 1)[1])
        topics_of_story.setdefault(story, set()).add(topic)
    expected = {(f"t{number % args.topics}-{number}", story)
                for story, topics in topics_of_story.items()
                for number in range(args.subscriptions) if number % args.topics in topics}
    if alerts != expected:
        failures.append(f"alerts: {len(expected - alerts)} expected ones missing, "
                        f"{len(alerts - expected)} unexpected")
    seen = Counter(key for key, _at in receiver.arrivals)
    if set(seen) != set(created):
        failures.append(f"deliveries: {len(set(created) - set(seen))} never received, "
                        f"{len(set(seen) - set(created))} unknown ids received")
    repeats = sum(count - 1 for count in seen.values())
    if repeats:
        failures.append(f"{repeats} deliveries received more than once")
    return failures


def _epoch(moment: datetime | str) -> float:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def report(result: LoadResult, args: argparse.Namespace) -> None:
    minutes = max(result.minutes, 1e-9)
    print(f"\nload: {args.sources} sources, {args.subscriptions} subscriptions "
          f"({args.subscriptions // args.topics} per topic), {result.minutes:.1f} min "
          f"incl. drain")
    print(f"articles: {result.served} served, {result.stored} stored; "
          f"{result.stored / minutes:.0f} stored/min vs {result.served / minutes:.0f} served/min "
          f"(ratio {result.stored / max(result.served, 1):.3f})")
    if result.per_minute:
        print(f"articles stored by each minute's end: {result.per_minute}")
    if result.lag_seconds:
        lags = sorted(result.lag_seconds)
        p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))]
        print(f"outbox lag (alert created -> received) over {len(lags)} deliveries: median "
              f"{statistics.median(lags):.1f} s, p95 {p95:.1f} s, max {lags[-1]:.1f} s")
    print("errors: " + ", ".join(f"{name} {count}" for name, count in result.errors.items()))
    if result.rss_kib:
        settled_in = result.rss_kib[min(len(result.rss_kib) - 1, 15)]  # after ~30 s
        print(f"daemon RSS: after 30 s {settled_in / 1024:.0f} MiB, peak "
              f"{max(result.rss_kib) / 1024:.0f} MiB, end {result.rss_kib[-1] / 1024:.0f} MiB")
    print("checks: " + ("nothing dropped, nothing doubled" if not result.failures
                        else "FAILED: " + "; ".join(result.failures)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=2_000)
    parser.add_argument("--period", type=float, default=120.0,
                        help="seconds between two articles of one source")
    parser.add_argument("--interval", type=int, default=60, help="poll interval of each source")
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the load period")
    parser.add_argument("--drain", type=float, default=300.0,
                        help="seconds allowed to catch up afterwards")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--home", default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_load(args)
    report(result, args)
    return 1 if result.failures or result.errors["daemon exit code"] else 0


if __name__ == "__main__":
    sys.exit(main())
