"""``newsmon articles ...``: list and show stored articles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from config.settings import parse_duration
from newsmon.app import App
from newsmon.output import console, errors, print_json, short_time
from pipeline.dates import parse_iso_datetime
from pipeline.storage import StoredArticle

articles_app = typer.Typer(help="Browse stored articles.", no_args_is_help=True)


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``--since`` accepts a duration back from now (``24h``, ``7d``) or an ISO date/time."""
    if value is None:
        return None
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    parsed = parse_iso_datetime(value)
    if parsed is None:
        raise typer.BadParameter(f"{value!r} is neither a duration (24h, 7d) nor an ISO date")
    return parsed


@articles_app.command("list")
def list_articles(
    context: typer.Context,
    since: Annotated[str | None, typer.Option(help="e.g. 24h, 7d or 2026-11-01.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")] = 50,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Stored articles, newest first."""
    with App.open(context.obj, upgrade=True) as application:
        cutoff = parse_since(since, application.clock())
        articles = application.storage.articles.latest(since=cutoff, source=source, limit=limit)
    if json_output:
        print_json([article_summary(article) for article in articles])
        return
    table = Table(title=f"{len(articles)} articles")
    for column in ("id", "published", "source", "title", "words"):
        table.add_column(column, overflow="fold")
    for article in articles:
        table.add_row(str(article.id), short_time(article.published_at), article.source_name,
                      article.title or "(untitled)", str(article.word_count))
    console.print(table)


@articles_app.command("show")
def show_article(
    context: typer.Context,
    article_id: Annotated[int, typer.Argument(help="Article id (see `articles list`).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One article with its metadata and full text."""
    with App.open(context.obj, upgrade=True) as application:
        article = application.storage.articles.get(article_id)
    if article is None:
        errors.print(f"no article with id {article_id}")
        raise typer.Exit(1)
    if json_output:
        print_json(article)
        return
    console.print(f"[bold]{article.title or '(untitled)'}[/bold]", markup=True)
    for label, value in (
        ("url", article.canonical_url), ("source", article.source_name),
        ("published", short_time(article.published_at)),
        ("fetched", short_time(article.fetched_at)),
        ("authors", ", ".join(article.authors)), ("language", article.language or ""),
        ("from", article.origin), ("words", str(article.word_count)),
        ("notes", "; ".join(article.notes)),
    ):
        if value:
            console.print(f"{label:>10}: {value}", markup=False)
    console.print()
    console.print(article.text, markup=False)


def article_summary(article: StoredArticle) -> dict[str, object]:
    """The JSON shape of one article in ``articles list --json``."""
    return {
        "id": article.id,
        "url": article.canonical_url,
        "title": article.title,
        "published": article.published_at,
        "source": article.source_name,
        "fetched": article.fetched_at,
        "authors": article.authors,
        "language": article.language,
        "word_count": article.word_count,
        "origin": article.origin,
    }
