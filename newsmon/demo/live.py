"""The live view of ``newsmon demo``: news, alerts and digests printed as they happen.

Part of the offline demo of the application shell (``newsmon/demo``). :class:`LiveDemoView` is
the :class:`~newsmon.demo.runner.DemoWatcher` the command uses: on every tick it prints one line
per story the sample site has just published and per message the SMTP sink or the webhook
receiver has just received (stamped with the simulated time), under a Rich ``Live`` status line
with the simulated clock and running counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from newsmon.demo.runner import DemoWatcher, RunningDemo
from newsmon.demo.sinks import ReceivedMail

DIGEST_SUBJECT = "newsmon digest:"


class LiveDemoView(DemoWatcher):
    """Prints the demo's events as they happen, with a status line that keeps updating."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live: Live | None = None
        self._stories: set[str] = set()
        self._mails = 0
        self._posts = 0

    def started(self, demo: RunningDemo) -> None:
        """Say what runs where, then start the live status line."""
        print_setup(self._console, demo)
        out = demo.site.published_stories()
        self._stories = {item.story.key for item in out}
        self._console.print(f"{len(out)} stories were out before the day began; the other "
                            f"{len(demo.site.scheduled_stories()) - len(out)} come out during it.")
        self._console.rule(f"{demo.plan.day:%A %d %B %Y}, simulated")
        self._live = Live(self._status(demo), console=self._console, refresh_per_second=8,
                          transient=True)
        self._live.start()

    def tick(self, demo: RunningDemo) -> None:
        """Print what happened since the last tick; refresh the status line."""
        for line in self._events(demo):
            self._console.print(line)
        if self._live is not None:
            self._live.update(self._status(demo))

    def finished(self, demo: RunningDemo) -> None:
        """Print the last events and stop the status line."""
        self.tick(demo)
        if self._live is not None:
            self._live.stop()

    def _events(self, demo: RunningDemo) -> list[Text]:
        """What happened since the last tick, in the order it happened (stories by their
        publication time, messages by when the sink or the receiver got them)."""
        now = demo.clock()
        events: list[tuple[datetime, Text]] = []
        for item in reversed(demo.site.published_stories()):
            if item.story.key not in self._stories:
                self._stories.add(item.story.key)
                events.append((item.published, event_line(
                    item.published, "news", "cyan", f"{item.outlet.name}: {item.title}")))
        mails = list(demo.smtp.mails)
        for mail in mails[self._mails:]:
            events.append((mail.received_at or now, mail_line(mail.received_at or now, mail)))
        self._mails = len(mails)
        payloads, arrivals = list(demo.webhook.payloads), list(demo.webhook.received_at)
        for index in range(self._posts, len(payloads)):
            arrived = (arrivals[index] if index < len(arrivals) else None) or now
            events.append((arrived, post_line(arrived, payloads[index])))
        self._posts = len(payloads)
        return [line for _, line in sorted(events, key=lambda event: event[0])]

    def _status(self, demo: RunningDemo) -> Table:
        now = demo.clock()
        span = (demo.plan.end - demo.plan.start).total_seconds()
        done = min(1.0, max(0.0, (now - demo.plan.start).total_seconds() / span))
        grid = Table.grid(padding=(0, 2))
        grid.add_row(
            Text(f"{now:%a %H:%M} UTC", style="bold"), f"{done:4.0%} of the day",
            f"{len(self._stories)} stories out",
            f"{demo.application.storage.articles.count()} articles stored",
            f"{len(demo.smtp.mails)} emails", f"{len(demo.webhook.payloads)} webhook posts",
            f"digest at {demo.plan.digest_at:%a %H:%M}",
        )
        return grid


def print_setup(console: Console, demo: RunningDemo) -> None:
    """Where the site, the sinks and the database are; the sources and the subscribers."""
    plan = demo.plan
    console.print(f"Sample news site (fictional stories) at {demo.site.base_url}")
    console.print(f"SMTP sink at 127.0.0.1:{demo.smtp.port}, webhook receiver at "
                  f"{demo.webhook.url}")
    console.print(f"Database: {demo.application.settings.database_url}")
    console.print(f"Sources, each polled every {plan.crawl_interval // 60} simulated minutes: "
                  + ", ".join(f"{s.name} ({s.kind})" for s in demo.sources))
    table = Table(title="subscribers")
    for column in ("name", "query", "delivery"):
        table.add_column(column, overflow="fold")
    for subscription in demo.subscriptions:
        channels = ", ".join(channel.kind for channel in subscription.channels)
        when = ("digest daily at " + subscription.digest_time + " UTC"
                if subscription.frequency == "daily" else "each alert")
        table.add_row(subscription.name, subscription.query, f"{channels}: {when}")
    console.print(table)
    console.print(f"The daemon runs on an accelerated clock: 1 wall second = "
                  f"{plan.speed / 60:g} simulated minutes "
                  f"(the day takes about {plan.wall_seconds:.0f} s).")


def event_line(at: datetime, kind: str, style: str, message: str) -> Text:
    """``Tue 10:42  news      Signal Wire: ...``"""
    line = Text(f"{at:%a %H:%M}  ", style="dim")
    line.append(f"{kind:<8}", style=style)
    line.append(message)
    return line


def mail_line(at: datetime, mail: ReceivedMail) -> Text:
    """An email the SMTP sink received: an alert or a digest."""
    kind, style = ("digest", "bold magenta") if mail.subject.startswith(DIGEST_SUBJECT) else (
        "email", "green")
    return event_line(at, kind, style, f"to {', '.join(mail.recipients)}: {mail.subject}")


def post_line(at: datetime, payload: dict[str, Any]) -> Text:
    """A webhook post the receiver got: an alert (subscription and article) or a digest."""
    subscription, article = payload.get("subscription"), payload.get("article")
    if isinstance(subscription, dict) and isinstance(article, dict):
        return event_line(at, "webhook", "yellow",
                          f"[{subscription.get('name', '')}] {article.get('title', '')}")
    if "schema" in payload:
        stories = payload.get("stories")
        count = len(stories) if isinstance(stories, list) else 0
        return event_line(at, "digest", "bold magenta",
                          f"webhook [{subscription}]: {count} stories")
    return event_line(at, "webhook", "yellow", str(payload)[:100])
