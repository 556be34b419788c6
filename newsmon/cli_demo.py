"""``newsmon demo``: the product end to end, offline, in well under a minute.

Serves the bundled sample news site on 127.0.0.1 and starts a local SMTP sink and webhook
receiver; creates subscriptions; crawls the site into a fresh SQLite database in a temporary
directory; tags, clusters and matches; delivers the alerts; then crawls again to show
conditional GET at work.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from config import Settings, SourceSpec, load_settings
from newsmon.app import App
from newsmon.cli_articles import print_tags
from newsmon.cli_crawl import print_report, print_tagging, run_crawl
from newsmon.cli_tag import run_tagging
from newsmon.demo.sinks import SmtpSink, WebhookSink
from newsmon.demo.site import SampleNewsSite
from newsmon.output import console, short_time
from pipeline.storage import SourceRecord
from pipeline.storage.subscriptions import NewSubscription

DEMO_CRAWLER_SETTINGS = {
    "download_delay_seconds": 0.0,
    "concurrent_requests_per_domain": 8,
    "request_timeout_seconds": 10.0,
    "retry_times": 1,
}
DEMO_SUBSCRIPTIONS = (
    ("muse-spark", 'company:Meta "Muse Spark"', "email"),
    ("nvidia-moves", "company:Nvidia", "webhook"),
    ("anthropic-models", "developer:Anthropic OR company:Anthropic", "email"),
)


def demo_command(
    home: Annotated[
        Path | None, typer.Option(help="Directory for the demo database (default: a new temp dir).")
    ] = None,
) -> None:
    """Crawl, tag, match and alert over the bundled sample news site, all on this machine."""
    demo_home = home or Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    os.environ.setdefault("NEWSMON_WEBHOOK_SIGNING_KEY", secrets.token_hex(24))
    with ExitStack() as stack:
        site = stack.enter_context(SampleNewsSite())
        smtp = SmtpSink().start()
        stack.callback(smtp.stop)
        webhook = WebhookSink().start()
        stack.callback(webhook.stop)
        application = stack.enter_context(
            App.from_settings(_demo_settings(demo_home, smtp.port), upgrade=True))
        _run(application, site, smtp, webhook)
    console.print(f"\nExplore it: newsmon --home {demo_home} articles list "
                  f"(or: alerts list, subscriptions list, entities show Meta)")


def _demo_settings(home: Path, smtp_port: int) -> Settings:
    return load_settings(home=home, env={}, overrides={
        "crawler": DEMO_CRAWLER_SETTINGS,
        "network": {"allow_hosts": ["127.0.0.1"]},
        "email": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                  "from_address": "alerts@newsmon.demo", "helo_name": "newsmon.demo"},
    })


def _run(application: App, site: SampleNewsSite, smtp: SmtpSink, webhook: WebhookSink) -> None:
    console.rule("newsmon demo")
    console.print(f"Sample news site (fictional stories) at {site.base_url}")
    console.print(f"Database: {application.settings.database_url}")
    sources = _add_demo_sources(application, site)
    _add_demo_subscriptions(application, webhook.url)
    console.rule("crawl")
    print_report(run_crawl(application, sources, force=True, show_progress=True))
    console.rule("tag: AI models, companies, stock reactions")
    print_tagging(run_tagging(application))
    _print_articles(application)
    console.rule("cluster into stories and match subscriptions")
    report = application.process()
    console.print(f"{report.clustering.clustered} articles in {report.clustering.new_stories} "
                  f"stories; {report.matching.new_alerts} alerts, {report.matching.folded} "
                  f"later articles folded into them, {report.matching.deliveries} deliveries")
    console.rule("deliver")
    sent = asyncio.run(application.send_alerts())
    console.print(f"sent {sent.sent}, retrying {sent.retrying}, dead {sent.dead}")
    _print_received(smtp, webhook)
    console.rule("crawl again: nothing changed, so conditional GET answers 304")
    print_report(run_crawl(application, sources, force=True, show_progress=True))


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


def _add_demo_subscriptions(application: App, webhook_url: str) -> None:
    for name, query, kind in DEMO_SUBSCRIPTIONS:
        target = "reader@newsmon.demo" if kind == "email" else webhook_url
        application.storage.subscriptions.add(
            NewSubscription(name=name, query=query, channels=((kind, target),)),
            application.clock())
        console.print(f"Subscription {name}: {query} -> {kind}", markup=False)


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
        console.print(f"[bold]{showcase.title}[/bold]")
        print_tags(application.storage.tags.of(showcase.id))


def _print_received(smtp: SmtpSink, webhook: WebhookSink) -> None:
    table = Table(title=f"{len(smtp.mails)} emails and {len(webhook.payloads)} webhook posts "
                        "received")
    for column in ("channel", "to", "subject / title"):
        table.add_column(column, overflow="fold")
    for mail in smtp.mails:
        table.add_row("email", ", ".join(mail.recipients), mail.subject)
    for payload in webhook.payloads:
        article, subscription = payload.get("article"), payload.get("subscription")
        name = subscription.get("name", "") if isinstance(subscription, dict) else ""
        title = article.get("title", "") if isinstance(article, dict) else ""
        table.add_row("webhook", f"{name} (signed POST)", str(title))
    console.print(table)
