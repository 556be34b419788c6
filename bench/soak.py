"""Soak: many accelerated daemon cycles over the sample site; does memory stay bounded?

Usage: ``python bench/soak.py [--blocks 8] [--cycles 10] [--stories-per-cycle 24]
[--rules-only] [--tracemalloc] [--home DIR]``

A cycle is some simulated hours (4 by default) of the daemon's work, done by its own job functions
(``newsmon.daemon.jobs``, as ``newsmon run --once`` does): crawl the due sources, process (tag,
cluster, match), deliver the outbox, send due digests, and once a simulated day the SQLite
maintenance. The clock is a stepped fake clock, moved one cycle at a time. The sample news
site (``newsmon.demo``), a local SMTP sink and a webhook receiver run in a child process, so
the figures are this process's alone (its tagging worker processes, which ``nlp.processes``
starts when the NER is on, in a column of their own); the site publishes
``--stories-per-cycle`` generated variants of the sample stories every cycle
(``newsmon.demo.variants``: new headlines, invented companies, models, figures and places), so
thousands of distinct articles with new words flow through spaCy's vocabulary (which the tagger
bounds with ``memory_zone``), the story index and the caches.

After each block of cycles it prints resident memory (VmRSS from ``/proc/self/status``), its
change since the previous block and since the baseline (the end of the first block, once
everything is loaded and warm), Python's allocated blocks, spaCy's vocabulary size and, with
``--tracemalloc``, the traced Python heap; at the end the growth per block over the second half
(least squares) and, with ``--tracemalloc``, the source lines whose allocations grew most
between the baseline and the end.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.channels.webhook import SIGNING_KEY_ENV
from crawler.reactor import shared_reactor
from newsmon.app import App
from newsmon.daemon.jobs import (
    JobContext,
    crawl_due,
    deliver_alerts,
    process_pending,
    run_maintenance,
    send_digests,
)
from newsmon.demo.scenario import (
    add_demo_sources,
    add_demo_subscriptions,
    demo_plan,
    demo_settings,
)
from newsmon.demo.site import DemoSource
from pipeline.tagging_pool import TaggerPool

START = datetime(2026, 11, 2, 6, tzinfo=UTC)
LISTING_SIZE = 30
"""Stories each outlet's feed, sitemap or section page lists (its newest)."""
DIGEST_TIME = "07:00"
T = TypeVar("T")


@dataclass(frozen=True)
class SoakOptions:
    """How long to soak and with which tagger."""

    blocks: int = 8
    cycles: int = 10
    stories_per_cycle: int = 24
    hours_per_cycle: int = 4
    """Simulated hours a cycle stands for: at 4, the story index's 7-day window fills in 42
    cycles, so a default run shows whether memory levels off once it is full."""
    ner: bool = True
    trace: bool = False
    home: Path | None = None


@dataclass(frozen=True)
class BlockFigures:
    """The process's memory and the pipeline's totals after one block of cycles."""

    block: int
    cycles: int
    articles: int
    stories: int
    alerts: int
    sent: int
    digests: int
    rss_kib: int
    worker_rss_kib: int
    """Resident memory of the tagging worker processes together (0 when tagging in-process)."""
    allocated_blocks: int
    vocabulary: int | None
    traced_kib: int | None
    seconds: float


@dataclass(frozen=True)
class SoakReport:
    """Every block's figures, and the steps that failed (one line each)."""

    figures: list[BlockFigures]
    failures: list[str]


@dataclass
class Totals:
    """Running sums of what the jobs reported."""

    stories: int = 0
    alerts: int = 0
    sent: int = 0
    digests: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class SteppedClock:
    """A clock the soak moves by one cycle at a time; the site's child process reads the same
    moment from shared memory."""

    def __init__(self, start: datetime, shared: Any) -> None:
        self.now = start
        self._shared = shared
        self._shared.value = start.timestamp()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        self.now += step
        self._shared.value = self.now.timestamp()


# --- the child process: sample site, SMTP sink, webhook receiver -----------------------------


def serve_sample_site(
    shared_clock: Any, count: int, spacing_seconds: float, pipe: Connection, stop: EventType,
) -> None:
    """Serve ``count`` story variants on a clock read from ``shared_clock``; send the sources and
    the sinks' addresses down ``pipe``; on ``stop``, send what the sinks received and exit."""
    from newsmon.demo.catalog import load_catalog
    from newsmon.demo.sinks import SmtpSink, WebhookSink
    from newsmon.demo.site import SampleNewsSite
    from newsmon.demo.variants import variant_catalog

    spacing = timedelta(seconds=spacing_seconds)
    catalog = variant_catalog(load_catalog(), count, spacing=spacing, first_offset=spacing)
    start = datetime.fromtimestamp(shared_clock.value, UTC)

    def clock() -> datetime:
        return datetime.fromtimestamp(shared_clock.value, UTC)

    with SampleNewsSite(clock=clock, start=start, catalog=catalog,
                        listing_size=LISTING_SIZE) as site:
        smtp, webhook = SmtpSink().start(), WebhookSink().start()
        pipe.send((site.sources(), smtp.port, webhook.url))
        stop.wait()
        pipe.send((len(smtp.mails), len(webhook.payloads), len(site.requests)))
        smtp.stop()
        webhook.stop()


# --- measuring ---------------------------------------------------------------------------------


def resident_kib(pid: int | str = "self") -> int:
    """A process's resident set size in KiB (VmRSS; for this process without /proc, the peak
    from getrusage; 0 for another process that is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    if pid != "self":
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def workers_kib(application: App) -> int:
    """Resident memory of the tagging worker processes, when the articles are tagged by some."""
    pool = application.article_tagger
    pids = pool.worker_pids() if isinstance(pool, TaggerPool) else []
    return sum(resident_kib(pid) for pid in pids)


def vocabulary_size(application: App) -> int | None:
    """Strings in spaCy's vocabulary, when the articles are tagged in this process."""
    size = getattr(application.article_tagger, "vocabulary_size", None)
    return size if isinstance(size, int) else None


def measure(application: App, block: int, cycles: int, totals: Totals, seconds: float,
            ) -> BlockFigures:
    """Collect garbage, then read the figures."""
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] // 1024 if tracemalloc.is_tracing() else None
    return BlockFigures(
        block=block, cycles=cycles, articles=application.storage.articles.count(),
        stories=totals.stories, alerts=totals.alerts, sent=totals.sent, digests=totals.digests,
        rss_kib=resident_kib(), worker_rss_kib=workers_kib(application),
        allocated_blocks=sys.getallocatedblocks(),
        vocabulary=vocabulary_size(application), traced_kib=traced, seconds=seconds,
    )


# --- the cycles --------------------------------------------------------------------------------


def run_job(make: Callable[[], Awaitable[T]]) -> T:
    """Run one daemon job on the process's reactor loop."""
    return shared_reactor().run(make)


def run_cycle(context: JobContext, clock: SteppedClock, number: int, totals: Totals,
              cycle: timedelta) -> None:
    """One cycle of simulated time: crawl, process, deliver, digests; maintenance once a day."""
    clock.advance(cycle)
    steps: list[tuple[str, Callable[[JobContext], Awaitable[Any]]]] = [
        ("crawl", crawl_due), ("process", process_pending), ("deliver", deliver_alerts),
        ("digests", send_digests),
    ]
    per_day = max(1, round(timedelta(days=1) / cycle))
    if number % per_day == per_day - 1:
        steps.append(("maintenance", run_maintenance))
    for name, step in steps:
        began = time.perf_counter()
        try:
            report = run_job(lambda step=step: step(context))  # type: ignore[misc]
        except Exception as error:  # a failed step is reported, the soak goes on
            totals.failures.append(f"cycle {number} {name}: {error!r}")
            continue
        finally:
            totals.seconds[name] = totals.seconds.get(name, 0.0) + time.perf_counter() - began
        if name == "process":
            totals.stories += report.clustering.new_stories
            totals.alerts += report.matching.new_alerts
        elif name == "deliver":
            totals.sent += report.sent
        elif name == "digests":
            totals.digests += report


def soak(options: SoakOptions, print_line: Callable[[str], None] = print) -> SoakReport:
    """Run the soak; print and return the figures of every block."""
    if options.trace:
        tracemalloc.start(1)
    os.environ[SIGNING_KEY_ENV] = secrets.token_hex(24)  # webhooks to the local receiver
    home = options.home or Path(tempfile.mkdtemp(prefix="newsmon-soak-"))
    total_stories = options.blocks * options.cycles * options.stories_per_cycle + 1
    spacing = options.hours_per_cycle * 3600 / options.stories_per_cycle
    spawn = multiprocessing.get_context("spawn")
    shared_clock = spawn.Value("d", START.timestamp())
    clock = SteppedClock(START, shared_clock)
    ours, theirs = spawn.Pipe()
    stop = spawn.Event()
    child = spawn.Process(target=serve_sample_site, daemon=True,
                          args=(shared_clock, total_stories, spacing, theirs, stop))
    child.start()
    try:
        sources, smtp_port, webhook_url = ours.recv()
        return _soak_in(home, options, clock, sources, smtp_port, webhook_url, print_line)
    finally:
        stop.set()
        if ours.poll(30):
            mails, posts, requests = ours.recv()
            print_line(f"sample site: {requests} requests served; sinks received {mails} emails "
                       f"and {posts} webhook posts")
        child.join(30)


def _soak_in(
    home: Path, options: SoakOptions, clock: SteppedClock, sources: Sequence[DemoSource],
    smtp_port: int, webhook_url: str, print_line: Callable[[str], None],
) -> SoakReport:
    # The plan's daemon intervals are unused: the soak calls the job functions itself.
    settings = demo_settings(home, smtp_port, demo_plan(START.date()), ner=options.ner)
    figures: list[BlockFigures] = []
    totals = Totals()
    baseline = home / "baseline.tracemalloc"
    with App.from_settings(settings, upgrade=True) as application:
        application.clock = clock
        cycle = timedelta(hours=options.hours_per_cycle)
        add_demo_sources(application, sources, int(cycle.total_seconds()))
        add_demo_subscriptions(application, webhook_url, DIGEST_TIME)
        context = JobContext(application)
        print_line(header(options, home))
        for block in range(1, options.blocks + 1):
            began = time.perf_counter()
            for number in range(options.cycles):
                run_cycle(context, clock, (block - 1) * options.cycles + number, totals, cycle)
            figures.append(measure(application, block, block * options.cycles, totals,
                                   time.perf_counter() - began))
            print_line(block_line(figures))
            if block == 1 and options.trace:
                # Kept on disk, not in memory: a live snapshot would be counted in the curve.
                tracemalloc.take_snapshot().dump(str(baseline))
        for line in summary(figures, totals):
            print_line(line)
        if options.trace:
            final = tracemalloc.take_snapshot()
            for line in heap_growth(tracemalloc.Snapshot.load(str(baseline)), final):
                print_line(line)
    return SoakReport(figures, totals.failures)


# --- output ------------------------------------------------------------------------------------


def header(options: SoakOptions, home: Path) -> str:
    """What is soaked, and the column names."""
    tagger = "statistical NER + rules" if options.ner else "rules only"
    heap = "  heap MiB" if options.trace else ""
    return (f"soak: {options.blocks} blocks x {options.cycles} cycles "
            f"({options.hours_per_cycle} simulated hours each), "
            f"{options.stories_per_cycle} new stories a cycle, tagger: {tagger}, "
            f"database: {home}\n"
            f"block cycles articles stories alerts  sent digests  RSS MiB  d-block  d-base "
            f" x-base  py-blocks  vocab{heap}  seconds  workers MiB")


def block_line(figures: list[BlockFigures]) -> str:
    """One block's row: totals, RSS and its growth since the previous block and the baseline."""
    row, base = figures[-1], figures[0]
    previous = figures[-2] if len(figures) > 1 else row
    heap = "" if row.traced_kib is None else f"  {row.traced_kib / 1024:8.1f}"
    vocab = "-" if row.vocabulary is None else str(row.vocabulary)
    return (f"{row.block:5d} {row.cycles:6d} {row.articles:8d} {row.stories:7d} {row.alerts:6d}"
            f" {row.sent:5d} {row.digests:7d} {mib(row.rss_kib):8.1f} "
            f"{mib(row.rss_kib - previous.rss_kib):+8.1f} {mib(row.rss_kib - base.rss_kib):+7.1f}"
            f" {row.rss_kib / base.rss_kib:6.3f} {row.allocated_blocks:10d} {vocab:>6}{heap}"
            f" {row.seconds:8.1f}  {mib(row.worker_rss_kib):11.1f}")


def summary(figures: list[BlockFigures], totals: Totals) -> list[str]:
    """The verdict: growth per block over the second half of the run, and any failed steps."""
    base, last = figures[0], figures[-1]
    half = figures[len(figures) // 2:] if len(figures) >= 4 else figures
    blocks = [f.block for f in half]
    lines = [
        f"baseline (after block 1): {mib(base.rss_kib):.1f} MiB; after block {last.block}: "
        f"{mib(last.rss_kib):.1f} MiB ({last.rss_kib / base.rss_kib:.3f} x baseline) with "
        f"{last.articles} articles stored",
        f"RSS growth per block over blocks {half[0].block}-{half[-1].block}: "
        f"{mib(slope(blocks, [f.rss_kib for f in half])):+.2f} MiB "
        f"(Python's allocated blocks {slope(blocks, [f.allocated_blocks for f in half]):+.0f})",
    ]
    if last.worker_rss_kib:
        lines.append(
            f"tagging workers: {mib(base.worker_rss_kib):.1f} MiB after block 1, "
            f"{mib(last.worker_rss_kib):.1f} MiB after block {last.block}, growth per block "
            f"{mib(slope(blocks, [f.worker_rss_kib for f in half])):+.2f} MiB")
    lines.append("wall seconds per step: " + ", ".join(
        f"{name} {seconds:.1f}" for name, seconds in
        sorted(totals.seconds.items(), key=lambda item: -item[1])))
    if totals.failures:
        lines.append(f"{len(totals.failures)} failed steps, first: {totals.failures[0]}")
    return lines


def heap_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int = 15,
                ) -> list[str]:
    """The source lines whose live allocations grew most between two snapshots."""
    noise = (tracemalloc.Filter(False, tracemalloc.__file__),
             tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"))
    stats = after.filter_traces(noise).compare_to(before.filter_traces(noise), "lineno")
    lines = [f"heap growth since the baseline, top {top} lines:"]
    for stat in stats[:top]:
        frame = stat.traceback[0]
        lines.append(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  "
                     f"{frame.filename}:{frame.lineno}")
    return lines


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys over xs (0 for fewer than two points)."""
    if len(xs) < 2:
        return 0.0
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def mib(kib: float) -> float:
    """KiB as MiB."""
    return kib / 1024


def parse_options(argv: Sequence[str] | None = None) -> SoakOptions:
    """The command line as :class:`SoakOptions`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--blocks", type=int, default=8, help="blocks of cycles (default 8)")
    parser.add_argument("--cycles", type=int, default=10, help="cycles per block (default 10)")
    parser.add_argument("--stories-per-cycle", type=int, default=24,
                        help="new stories the site publishes each cycle (default 24)")
    parser.add_argument("--hours-per-cycle", type=int, default=4,
                        help="simulated hours a cycle stands for (default 4)")
    parser.add_argument("--rules-only", action="store_true", help="tag without the NER model")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace the Python heap (slower) and list the lines that grew")
    parser.add_argument("--home", type=Path, help="data directory (default: a new temp dir)")
    args = parser.parse_args(argv)
    if min(args.blocks, args.cycles, args.stories_per_cycle, args.hours_per_cycle) < 1:
        parser.error("--blocks, --cycles, --stories-per-cycle and --hours-per-cycle must be "
                     "at least 1")
    return SoakOptions(args.blocks, args.cycles, args.stories_per_cycle, args.hours_per_cycle,
                       not args.rules_only, args.tracemalloc, args.home)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak from the command line; 1 if any step failed."""
    return 1 if soak(parse_options(argv)).failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
