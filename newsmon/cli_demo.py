"""``newsmon demo``: the whole product, offline, in about a minute.

The shell's entry point to the offline demo (``newsmon/demo``): it serves the bundled sample
news site on 127.0.0.1, starts a local SMTP sink and webhook receiver, creates subscribers in a
fresh SQLite database (a temporary directory, or ``--home``), and runs the real daemon through
one simulated day on an accelerated clock: stories come out on the site, the daemon crawls, tags,
clusters, matches and delivers, alerts are printed as they arrive, and after midnight the daily
digest is sent and written as HTML and text. See :mod:`newsmon.demo.scenario` for what is
simulated and what is real.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newsmon.demo.live import LiveDemoView
from newsmon.demo.runner import DemoResult, run_demo
from newsmon.demo.scenario import demo_plan, wall_clock_today
from newsmon.output import console


def demo_command(
    home: Annotated[
        Path | None, typer.Option(help="Directory for the demo database (default: a new temp dir).")
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Run a shorter day in about ten seconds (for tests).")
    ] = False,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Tag without the statistical NER model.")
    ] = False,
) -> None:
    """Run the daemon through one simulated day of news on this machine, alerts and digest."""
    demo_home = home or Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    plan = demo_plan(wall_clock_today(), fast=fast)
    console.rule("newsmon demo")
    result = run_demo(demo_home, plan, ner=not rules_only, watcher=LiveDemoView(console),
                      on_setup=lambda message: console.print(f"[dim]{message}...[/dim]"))
    print_summary(result)
    if result.stopped_early:
        raise typer.Exit(130)
    if not result.digest_sent:
        raise typer.Exit(1)


def print_summary(result: DemoResult) -> None:
    """What the day delivered, where the digest files are, and how to explore further."""
    console.rule("the day in numbers")
    table = Table()
    for column in ("", "count"):
        table.add_column(column)
    stats = result.stats
    rows = (
        ("stories out before the day began", len(result.published_before)),
        ("stories published during the day", len(result.published_during)),
        ("alerts stored", len(result.alerts)),
        ("stories published during the day that raised alerts", len(result.alerted_during)),
        ("emails received by the SMTP sink", len(result.mails)),
        ("posts received by the webhook receiver", len(result.payloads)),
        ("daemon job runs", sum(stats.executed.values())),
        ("job errors", sum(stats.errors.values())),
        ("missed runs", sum(stats.missed.values())),
    )
    for label, count in rows:
        table.add_row(label, str(count))
    console.print(table)
    console.print(result.digest_report, style=None if result.digest_sent else "red",
                  markup=False)
    for path in result.digest_files:
        console.print(f"  {path}", markup=False, soft_wrap=True)
    console.print(f"\nExplore it: newsmon --home {result.home} articles list "
                  "(or: alerts list, digest --subscription ai-daily "
                  f"--date {result.plan.day}, status)", markup=False, soft_wrap=True)
