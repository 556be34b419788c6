"""``newsmon demo``: the whole ingest stage, offline, in well under a minute.

Serves the bundled sample news site on 127.0.0.1, crawls it into a fresh SQLite database in a
temporary directory, shows what was stored, then crawls again to show conditional GET at work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from config import SourceSpec, load_settings
from newsmon.app import App
from newsmon.cli_articles import print_tags
from newsmon.cli_crawl import print_report, print_tagging, run_crawl
from newsmon.cli_tag import run_tagging
from newsmon.demo.site import SampleNewsSite
from newsmon.output import console, short_time
from pipeline.storage import SourceRecord

DEMO_CRAWLER_SETTINGS = {
    "download_delay_seconds": 0.0,
    "concurrent_requests_per_domain": 8,
    "request_timeout_seconds": 10.0,
    "retry_times": 1,
}


def demo_command(
    home: Annotated[
        Path | None, typer.Option(help="Directory for the demo database (default: a new temp dir).")
    ] = None,
) -> None:
    """Crawl the bundled sample news site into a fresh SQLite database and show the result."""
    demo_home = home or Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    settings = load_settings(
        home=demo_home, env={}, overrides={"crawler": DEMO_CRAWLER_SETTINGS}
    )
    with App.from_settings(settings, upgrade=True) as application, SampleNewsSite() as site:
        console.rule("newsmon demo")
        console.print(f"Sample news site (fictional stories) at {site.base_url}")
        console.print(f"Database: {settings.database_url}")
        sources = _add_demo_sources(application, site)
        console.rule("first crawl")
        print_report(run_crawl(application, sources, force=True, show_progress=True))
        console.rule("tagging: AI models, companies, stock reactions")
        print_tagging(run_tagging(application))
        _print_articles(application)
        console.rule("second crawl: nothing changed, so conditional GET answers 304")
        print_report(run_crawl(application, sources, force=True, show_progress=True))
    console.print(f"\nExplore it: newsmon --home {demo_home} articles list")


def _add_demo_sources(application: App, site: SampleNewsSite) -> list[SourceRecord]:
    now = application.clock()
    added = []
    for source in site.sources():
        spec = SourceSpec(
            name=source.name, kind=source.kind, url=source.url,  # type: ignore[arg-type]
            interval=source.interval_seconds, weight=source.weight,
            link_selector=source.link_selector,
        )
        record = application.storage.sources.add(spec, now) or application.storage.sources.get(
            spec.name
        )
        if record is not None:
            added.append(record)
    console.print(f"Sources: {', '.join(f'{r.name} ({r.kind})' for r in added)}")
    return added


def _print_articles(application: App) -> None:
    articles = application.storage.articles.latest(limit=100)
    table = Table(title=f"{application.storage.articles.count()} articles stored")
    for column in ("id", "published", "source", "title", "words", "from"):
        table.add_column(column, overflow="fold")
    for article in articles:
        table.add_row(str(article.id), short_time(article.published_at), article.source_name,
                      article.title or "(untitled)", str(article.word_count), article.origin)
    console.print(table)
    showcase = next((a for a in articles if application.storage.tags.of(a.id).stock_reactions),
                    articles[0] if articles else None)
    if showcase is not None:
        console.rule(f"article {showcase.id}")
        console.print(f"[bold]{showcase.title}[/bold]")
        print_tags(application.storage.tags.of(showcase.id))
        text = showcase.text
        console.print(text[:600] + ("..." if len(text) > 600 else ""), markup=False)
