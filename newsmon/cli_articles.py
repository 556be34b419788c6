"""``newsmon articles ...``: list and show stored articles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from config.settings import is_bare_number, parse_duration
from newsmon.app import App
from newsmon.cli_sources import print_table
from newsmon.output import (
    console,
    counted,
    errors,
    literal,
    plain,
    print_json,
    short_time,
    to_jsonable,
)
from newsmon.tags_view import tag_result_json
from pipeline.dates import parse_iso_datetime
from pipeline.nlp.types import EntityType, TagResult
from pipeline.storage import StoredArticle
from pipeline.storage.tags import ArticleTags

articles_app = typer.Typer(help="Browse stored articles.", no_args_is_help=True)


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``--since`` accepts a duration back from now (``24h``, ``7d``) or an ISO date/time; a
    bare number is refused (``7`` is 7 what? ``2026`` a year or seconds?)."""
    if value is None:
        return None
    if is_bare_number(value):
        raise typer.BadParameter(f"{value!r} has no unit: write a duration such as "
                                 f"{value.strip()}d or {value.strip()}h, or a date such as "
                                 "2026-11-01")
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
    since: Annotated[
        str | None, typer.Option(help="e.g. 24h, 7d or 2026-11-01.")
    ] = None,
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
    table = Table(title=counted(len(articles), "article"))
    for column in ("id", "published", "source", "title", "words"):
        table.add_column(column, overflow="fold")
    for article in articles:
        table.add_row(str(article.id), short_time(article.published_at),
                      plain(article.source_name), plain(article.title or "(untitled)"),
                      str(article.word_count))
    print_table(table)


@articles_app.command("show")
def show_article(
    context: typer.Context,
    article_id: Annotated[int, typer.Argument(help="Article id (see `articles list`).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One article with its metadata and full text."""
    with App.open(context.obj, upgrade=True) as application:
        article = application.storage.articles.get(article_id)
        tags = application.storage.tags.of(article_id)
    if article is None:
        errors.print(f"no article with id {article_id}")
        raise typer.Exit(1)
    if json_output:
        print_json({**to_jsonable(article), **tag_result_json(
            TagResult(tags.entities, tags.stock_reactions))})
        return
    console.print(f"[bold]{literal(article.title or '(untitled)')}[/bold]", markup=True)
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
    print_tags(tags)
    console.print()
    console.print(article.text, markup=False)


def print_tags(tags: ArticleTags) -> None:
    """The article's tags in three short lines: models, companies, stock reactions."""
    for label, kind in (("models", EntityType.MODEL), ("companies", EntityType.COMPANY),
                        ("other orgs", EntityType.ORG)):
        names = sorted({m.canonical for m in tags.entities if m.type is kind})
        if names:
            console.print(f"{label:>10}: {', '.join(names)}", markup=False)
    for reaction in tags.stock_reactions:
        move = f" {reaction.magnitude_pct:g}%" if reaction.magnitude_pct is not None else ""
        after = f" after {reaction.event}" if reaction.event else ""
        console.print(f"{'market':>10}: {reaction.ticker or reaction.company} "
                      f"{reaction.direction.value}{move}{after}", markup=False)


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
