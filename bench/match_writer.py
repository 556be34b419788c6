"""Benchmark: recording one article's matches (``AlertStore.record_matches``) at 10 to 40,000
matched subscriptions, on SQLite and PostgreSQL.

The in-memory matcher is measured by ``bench/matching.py``; this is the writer behind it. A
popular query (``company:OpenAI``) is shared by tens of thousands of subscribers at 100,000
subscriptions, so one article can match that many. For each size N, in the same run and on
the same database:

- *new*: the first article of a fresh story matched by N immediate subscriptions, one channel
  each: N alerts, N first-article rows and N deliveries in one transaction;
- *fold*: a second article of that story matched by the same N: N alerts' coverage counted;
- *list*: ``SubscriptionStore.all(active_only=True)``, which every matching run with articles
  waiting starts with (once per run, not per article), over N subscriptions.

Each figure is the best of ``--repeat`` runs (a fresh story each), in ms and in µs per matched
subscription; N = 10 is the baseline the others are read against (a per-match cost that stays
flat as N grows is linear). SQLite is a file in a temporary directory; PostgreSQL a fresh
schema on ``--postgres-url`` (dropped afterwards), skipped if the server cannot be reached.

    python bench/match_writer.py [--sizes 10,1000,10000,40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, insert, select, text, update  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from pipeline.storage import Storage  # noqa: E402
from pipeline.storage.alerts import SubscriptionMatch  # noqa: E402
from pipeline.storage.models import ChannelRow, SubscriptionRow  # noqa: E402
from pipeline.types import ArticleOrigin, ExtractedArticle  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REASON = ({"kind": "entity", "label": "company:OpenAI", "spans": [["title", 0, 6]]},)


@dataclass(frozen=True)
class Figures:
    """Best times of one size on one database, in seconds."""

    size: int
    new: float
    fold: float
    listing: float


@contextmanager
def sqlite_storage() -> Iterator[Storage]:
    """A migrated SQLite storage in a temporary directory."""
    with tempfile.TemporaryDirectory() as directory:
        storage = Storage.open(f"sqlite:///{Path(directory) / 'bench.db'}")
        storage.upgrade()
        try:
            yield storage
        finally:
            storage.close()


@contextmanager
def postgres_storage(url: str) -> Iterator[Storage]:
    """A migrated storage in a fresh PostgreSQL schema, dropped on exit."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    storage = Storage.open(f"{url}{separator}options={quote(f'-csearch_path={schema}')}")
    try:
        storage.upgrade()
        yield storage
    finally:
        storage.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def subscribers(storage: Storage, count: int) -> list[SubscriptionMatch]:
    """``count`` immediate subscriptions with one email channel each, inserted in bulk, as the
    matches of one article."""
    channels = insert_subscriptions(storage, count)
    ids = sorted(channels)
    return [SubscriptionMatch(sid, REASON, (channels[sid],)) for sid in ids]


def insert_subscriptions(storage: Storage, count: int, at: datetime = NOW) -> dict[int, int]:
    """Insert ``count`` immediate ``company:OpenAI`` subscriptions with one email channel each,
    in bulk (the benchmark's and the scale tests' subscribers); subscription id -> channel id."""
    with storage.sessions.write() as session:
        session.execute(insert(SubscriptionRow), [
            {"name": f"s{n}", "query": "company:OpenAI", "frequency": "immediate",
             "digest_time": "08:00", "timezone": "UTC", "paused": False,
             "token_secret": "0" * 64, "created_at": at} for n in range(count)])
        ids = list(session.scalars(select(SubscriptionRow.id).order_by(SubscriptionRow.id)))
        session.execute(insert(ChannelRow), [
            {"subscription_id": sid, "kind": "email", "target": f"s{sid}@example.org"}
            for sid in ids])
        return dict(session.execute(select(ChannelRow.subscription_id, ChannelRow.id)).all())


class Articles:
    """Fresh stored articles, each placed in a story."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._count = 0

    def new(self, story: int | None = None) -> int:
        self._count += 1
        text_ = " ".join(f"w{self._count}x{n}" for n in range(40))
        outcome = self._storage.articles.store("wire", ExtractedArticle(
            url=f"https://bench.example/{self._count}", title=f"T{self._count}", text=text_),
            origin=ArticleOrigin.PAGE, fetched_at=NOW)
        assert outcome.article_id is not None
        self._storage.articles.set_story(outcome.article_id, story or outcome.article_id, b"")
        return outcome.article_id


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def timed_record(storage: Storage, article_id: int, story_id: int,
                 matches: Sequence[SubscriptionMatch], at: datetime) -> float:
    """Seconds to record ``matches`` of one article."""
    started = time.perf_counter()
    storage.alerts.record_matches(article_id, story_id, matches, at)
    return time.perf_counter() - started


def measure(storage: Storage, sizes: Sequence[int], repeat: int) -> list[Figures]:
    """The best new, fold and listing times of each size."""
    matches = subscribers(storage, max(sizes))
    articles = Articles(storage)
    figures = []
    for size in sizes:
        chosen = matches[:size]
        new, fold = [], []
        for run in range(repeat):
            first = articles.new()
            second = articles.new(first)
            at = NOW + timedelta(minutes=run)
            new.append(timed_record(storage, first, first, chosen, at))
            fold.append(timed_record(storage, second, first, chosen, at))
        figures.append(Figures(size, min(new), min(fold), 0.0))
    return _with_listing(storage, figures, repeat)


def _with_listing(storage: Storage, figures: list[Figures], repeat: int) -> list[Figures]:
    """Listing times, once every size's alerts are written: subscriptions are paused from the
    largest size down so that ``all(active_only=True)`` returns exactly N of them."""
    listed = []
    for figure in sorted(figures, key=lambda f: -f.size):
        with storage.sessions.write() as session:
            session.execute(update(SubscriptionRow)
                            .where(SubscriptionRow.id > _nth_id(storage, figure.size))
                            .values(paused=True))
        best = min(timed(lambda: storage.subscriptions.all(active_only=True))
                   for _ in range(repeat))
        listed.append(Figures(figure.size, figure.new, figure.fold, best))
    return sorted(listed, key=lambda f: f.size)


def _nth_id(storage: Storage, n: int) -> int:
    with storage.sessions.read() as session:
        return int(session.scalars(select(SubscriptionRow.id).order_by(SubscriptionRow.id)
                                   .offset(n - 1).limit(1)).one())


def print_table(console: Console, backend: str, figures: list[Figures]) -> None:
    table = Table(title=f"record_matches on {backend}: best of each size")
    for column in ("matches", "new ms", "new µs/match", "fold ms", "fold µs/match",
                   "list subscriptions ms", "list µs/subscription"):
        table.add_column(column, justify="right")
    for f in figures:
        table.add_row(f"{f.size:,}", f"{f.new * 1e3:,.1f}", f"{f.new / f.size * 1e6:,.1f}",
                      f"{f.fold * 1e3:,.1f}", f"{f.fold / f.size * 1e6:,.1f}",
                      f"{f.listing * 1e3:,.1f}", f"{f.listing / f.size * 1e6:,.1f}")
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,1000,10000,40000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    console = Console(width=120)
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with sqlite_storage() as storage:
            print_table(console, "SQLite", measure(storage, sizes, args.repeat))
    if "postgresql" in backends:
        try:
            with postgres_storage(args.postgres_url) as storage:
                print_table(console, "PostgreSQL", measure(storage, sizes, args.repeat))
        except OperationalError as error:
            console.print(f"PostgreSQL skipped: {str(error.orig or error).splitlines()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
