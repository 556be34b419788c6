"""``newsmon tag`` (tag a text now) and ``newsmon retag`` (tag stored articles again)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from newsmon.app import App
from newsmon.cli_articles import parse_since
from newsmon.output import console, counted, errors, print_json
from newsmon.tags_view import print_tag_tables, tag_result_json
from pipeline.tagging import TaggingReport

MAX_INPUT_BYTES = 16 * 1024 * 1024


class TagFormat(StrEnum):
    """How ``tag`` prints its result."""

    JSON = "json"
    TABLE = "table"


def tag_command(
    context: typer.Context,
    source: Annotated[str, typer.Argument(help="A text file, or - for standard input.")] = "-",
    output_format: Annotated[TagFormat, typer.Option("--format")] = TagFormat.TABLE,
) -> None:
    """Tag a text with the AI models, companies and stock reactions it mentions."""
    text = _read_text(source)
    with App.open(context.obj) as application:
        result = application.tagger.tag(text)
    if output_format is TagFormat.JSON:
        print_json(tag_result_json(result))
    else:
        print_tag_tables(result)


def retag_command(
    context: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Only articles fetched since: 24h, 7d or 2026-11-01.")
    ] = None,
) -> None:
    """Tag stored articles again (after a change of the entity catalog or NLP settings)."""
    with App.open(context.obj, upgrade=True) as application:
        cutoff = parse_since(since, application.clock())
        marked = application.storage.tags.mark_for_retagging(cutoff)
        report = run_tagging(application, marked)
    console.print(f"Re-tagged {counted(report.tagged, 'article')} ({report.failed} failed): "
                  f"{counted(report.entities, 'mention')}, "
                  f"{counted(report.stock_reactions, 'stock reaction')}.", soft_wrap=True)


def run_tagging(application: App, total: int | None = None) -> TaggingReport:
    """Tag pending articles with a progress bar."""
    pending = application.storage.tags.count_pending() if total is None else total
    if pending == 0:
        return TaggingReport()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("tagging articles", total=pending)
        return application.tag_pending(on_batch=lambda n: progress.advance(task, n))


def _read_text(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        try:
            with Path(source).open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as error:
            errors.print(f"cannot read {source}: {error.strerror or error}")
            raise typer.Exit(2) from error
    if len(data) > MAX_INPUT_BYTES:
        errors.print(f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
        raise typer.Exit(2)
    return data.decode("utf-8", errors="replace")
