"""``newsmon crawl``: poll sources now, with a progress display and a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from crawler.reactor import shared_reactor
from crawler.runner import CrawlReport
from crawler.types import PollOutcome
from newsmon.app import App
from newsmon.cli_sources import print_table
from newsmon.cli_tag import run_tagging
from newsmon.output import console, counted, errors, plain, print_json, to_jsonable
from pipeline.storage import SourceRecord
from pipeline.tagging import TaggingReport
from pipeline.types import IngestOutcome


class ProgressListener:
    """Feeds crawl events into two Rich progress bars: sources polled, articles processed."""

    def __init__(self, progress: Progress, source_count: int) -> None:
        self._progress = progress
        self._sources: TaskID = progress.add_task("sources polled", total=source_count)
        self._articles: TaskID = progress.add_task("articles", total=0)
        self._queued = 0

    def poll_done(self, source: str, outcome: PollOutcome) -> None:
        self._progress.advance(self._sources)

    def articles_queued(self, source: str, count: int) -> None:
        self._queued += count
        self._progress.update(self._articles, total=self._queued)

    def article_done(self, source: str, outcome: IngestOutcome) -> None:
        self._progress.advance(self._articles)


def crawl_command(
    context: typer.Context,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Poll even sources that are backing off or asked to wait.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tag: Annotated[bool, typer.Option(help="Tag the new articles after the crawl.")] = True,
) -> None:
    """Poll sources now (all enabled ones, or those named), store and tag new articles."""
    with App.open(context.obj, upgrade=True) as application:
        chosen = _choose_sources(application, source or [])
        report = run_crawl(application, chosen, force=force, show_progress=not json_output)
        tagging = run_tagging(application) if tag else TaggingReport()
    if json_output:
        print_json({**to_jsonable(report), "tagging": tagging})
    else:
        print_report(report)
        if tag:
            print_tagging(tagging)
    polled = [r for r in report.results if r.outcome is not PollOutcome.SKIPPED]
    if polled and all(r.outcome is PollOutcome.FAILED for r in polled):
        raise typer.Exit(1)


def run_crawl(
    application: App, sources: list[SourceRecord], *, force: bool, show_progress: bool
) -> CrawlReport:
    """Crawl ``sources`` once on a reactor thread, optionally with a progress display."""
    runner = application.crawl_runner()
    reactor = shared_reactor()
    if not show_progress:
        return reactor.run(lambda: runner.crawl(sources, force=force))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        listener = ProgressListener(progress, len(sources))
        return reactor.run(lambda: runner.crawl(sources, force=force, listener=listener))


def print_report(report: CrawlReport) -> None:
    """A table per source and one summary line."""
    table = Table(title="crawl")
    for column in ("source", "outcome", "status", "entries", "new", "dup", "rejected", "note"):
        table.add_column(column, overflow="fold")
    for result in report.results:
        table.add_row(
            plain(result.source), result.outcome.value, str(result.status_code or ""),
            str(result.entries_seen), str(result.new_articles), str(result.duplicates),
            str(result.rejected), plain((result.errors[0] if result.errors else "")[:100]),
        )
    print_table(table)
    seconds = (report.finished_at - report.started_at).total_seconds()
    console.print(
        f"fetched {report.count(PollOutcome.FETCHED)}, "
        f"unchanged {report.count(PollOutcome.UNCHANGED)}, "
        f"failed {report.count(PollOutcome.FAILED)}, "
        f"skipped {report.count(PollOutcome.SKIPPED)}; "
        f"{counted(report.new_articles, 'new article')} in {seconds:.1f}s", soft_wrap=True,
    )


def print_tagging(report: TaggingReport) -> None:
    """One line about the tagging that followed a crawl."""
    failed = f", {report.failed} failed" if report.failed else ""
    console.print(f"tagged {counted(report.tagged, 'article')}{failed}: "
                  f"{counted(report.entities, 'mention')}, "
                  f"{counted(report.stock_reactions, 'stock reaction')}", soft_wrap=True)


def _choose_sources(application: App, names: list[str]) -> list[SourceRecord]:
    if not names:
        return application.storage.sources.all(enabled_only=True)
    chosen = []
    for name in names:
        record = application.storage.sources.get(name)
        if record is None:
            errors.print(f"no source named {name!r} (see `newsmon sources list`)")
            raise typer.Exit(2)
        chosen.append(record)
    return chosen
